"""Shared fixtures.  Lives inside tests/ (never at the root: see docs/development.md)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def shipped_kb(tmp_path_factory: pytest.TempPathFactory):
    """The KB as `anodelab init` builds it (shipped literature), opened once per test session."""
    import anodelab

    path = Path(tmp_path_factory.mktemp("shipped")) / "anodelab.db"
    kb = anodelab.init(path)
    yield kb
    kb.close()


@pytest.fixture()
def empty_kb(tmp_path: Path):
    """A new, empty KB file."""
    import anodelab

    kb = anodelab.open(tmp_path / "kb.db", create=True)
    yield kb
    kb.close()


# CI runs the property tests with a fixed example sequence (reproducible); locally they explore.
try:
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass


def kb_state(path: Path) -> dict[str, object]:
    """Row count of every table, a digest of every row and ``PRAGMA integrity_check`` of the KB
    at ``path`` (read-only; for checking that a refused command left the KB as it was)."""
    import hashlib
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=60)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        ]
        counts: dict[str, int] = {}
        digest = hashlib.sha256()
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            counts[table] = len(rows)
            for row in sorted(repr(r) for r in rows):
                digest.update(row.encode())
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return {"counts": counts, "digest": digest.hexdigest(), "integrity": integrity}


def kb_unsound_values(path: Path) -> list[str]:
    """Stored numbers that break the validation rules (non-finite, value-less, out of the
    vocabulary's range without the outlier flag, non-positive cell loadings): one line each."""
    import math
    import sqlite3

    from anodelab.schema.validation import CELL_LIMITS, OUTLIER_FLAG
    from anodelab.schema.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=60)
    bad: list[str] = []
    try:
        for mid, prop, value, vmin, vmax, unc, flags in conn.execute(
            "SELECT id, property, value, value_min, value_max, uncertainty, flags FROM measurements"
        ):
            if value is None and vmin is None and vmax is None:
                bad.append(f"measurement {mid}: no value")
            term = vocab.find(prop, ("property",))
            for number in (value, vmin, vmax):
                if number is None:
                    continue
                if not math.isfinite(number):
                    bad.append(f"measurement {mid}: {number}")
                elif term and OUTLIER_FLAG not in (flags or "") and term.check_range(number):
                    bad.append(f"measurement {mid}: {term.check_range(number)}")
            if unc is not None and (not math.isfinite(unc) or unc < 0):
                bad.append(f"measurement {mid}: uncertainty {unc}")
        for mid, name, value in conn.execute(
            "SELECT measurement_id, name, value FROM measurement_conditions WHERE value IS NOT NULL"
        ):
            term = vocab.find(name, ("condition",))
            if not math.isfinite(value) or (term and term.check_range(value)):
                bad.append(f"condition {name} of measurement {mid}: {value}")
        for sid, quantity, *numbers in conn.execute(
            "SELECT id, quantity, value, value_min, value_max FROM step_parameters"
        ):
            term = vocab.find(quantity, ("step_quantity",))
            for number in numbers:
                if number is not None and (
                    not math.isfinite(number) or (term and term.check_range(number))
                ):
                    bad.append(f"step parameter {sid} {quantity}: {number}")
        columns = list(CELL_LIMITS)
        for cid, *numbers in conn.execute(f"SELECT id, {', '.join(columns)} FROM cells"):
            for column, number in zip(columns, numbers, strict=True):
                low, high, low_refused = CELL_LIMITS[column]
                if number is not None and (
                    not math.isfinite(number)
                    or number < low
                    or (low_refused and number == low)
                    or number > high
                ):
                    bad.append(f"cell {cid} {column}: {number}")
        for key, year in conn.execute("SELECT key, year FROM sources WHERE year IS NOT NULL"):
            if not isinstance(year, int):
                bad.append(f"source {key} year {year!r}")
    finally:
        conn.close()
    return bad


@pytest.fixture(scope="session")
def kb_checks():
    """``kb_checks.state(path)`` and ``kb_checks.unsound(path)`` (see :func:`kb_state`)."""
    from types import SimpleNamespace

    return SimpleNamespace(state=kb_state, unsound=kb_unsound_values)
