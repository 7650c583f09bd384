"""Shared fixtures.  Lives inside tests/ (never at the root: see docs/development.md)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
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


def _without_times(value: object) -> object:
    """A JSON text cell without its timestamps (``recorded_at`` inside ``options_json``)."""
    import json

    if not (isinstance(value, str) and value.startswith("{")):
        return value
    try:
        data = json.loads(value)
    except ValueError:
        return value

    def scrub(item: object) -> object:
        if isinstance(item, dict):
            return {k: scrub(v) for k, v in item.items() if not str(k).endswith("_at")}
        if isinstance(item, list):
            return [scrub(v) for v in item]
        return item

    return json.dumps(scrub(data), sort_keys=True)


def kb_state(path: Path, *, without_times: bool = False) -> dict[str, object]:
    """Row count of every table, a digest of every row and ``PRAGMA integrity_check`` of the KB
    at ``path`` (read-only; for checking that a refused command left the KB as it was).
    ``without_times`` leaves out timestamp columns (``*_at``, ``at``) and ``*_at`` keys of JSON
    cells, to compare two runs."""
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
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            if without_times:
                columns = [c for c in columns if not (c == "at" or c.endswith("_at"))]
            listed = ", ".join(f'"{c}"' for c in columns) or "*"
            rows = conn.execute(f'SELECT {listed} FROM "{table}"').fetchall()
            if without_times:
                rows = [tuple(_without_times(v) for v in row) for row in rows]
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
        has_results = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'proposal_results'"
        ).fetchone()
        for rid, prop, value in (
            conn.execute("SELECT id, property, value FROM proposal_results") if has_results else ()
        ):
            term = vocab.find(prop, ("property",))
            if value is None or not math.isfinite(value) or (term and term.check_range(value)):
                bad.append(f"recorded result {rid} {prop}: {value}")
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


@pytest.fixture(scope="session")
def kb_state_of():
    """:func:`kb_state` for tests in other folders (``kb_state_of(path, without_times=True)``)."""
    return kb_state


# -- fuzzing (tests/fuzz): one settings profile, one invariant -------------------------------
# ANODELAB_FUZZ_EXAMPLES sets the generated cases per entry point (300 in CI, i.e. with $CI
# set; 60 in a local `make test`, which must stay within minutes on 2 cores);
# ANODELAB_FUZZ_EXPLORE=1 draws new random cases instead of the fixed, derandomized sequence.
try:
    from hypothesis import HealthCheck

    settings.register_profile(
        "fuzz",
        max_examples=int(
            os.environ.get("ANODELAB_FUZZ_EXAMPLES", "300" if os.environ.get("CI") else "60")
        ),
        derandomize=not os.environ.get("ANODELAB_FUZZ_EXPLORE"),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
except ImportError:  # pragma: no cover
    pass


class EntryPoint:
    """Runs one CLI command in-process and checks the invariant of issue 19: either it succeeds
    and the KB holds only sound values with integrity ok, or it exits with ``error:`` lines
    (naming ``names`` where given) and the KB is exactly as before — or, ``import-table``'s exit
    3, it wrote the sound rows and named each refused one.  An unexpected exception
    propagates out of ``main`` (a traceback) and fails the test with the case that caused it."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.outcomes: dict[str, int] = {}

    def __call__(
        self, *args: object, db: Path | None = None, names: tuple[str, ...] = ()
    ) -> tuple[int, str, str]:
        from anodelab.cli import main

        before = kb_state(db) if db is not None and db.exists() else None
        code = main([str(a) for a in args])
        captured = self.capsys.readouterr()
        out, err = captured.out, captured.err
        if code == 0:
            self.outcomes["ok"] = self.outcomes.get("ok", 0) + 1
            if db is not None and db.exists():
                assert kb_state(db)["integrity"] == "ok"
                assert kb_unsound_values(db) == [], (args, out)
            return code, out, err
        if code == 3:  # import-table: the sound rows written, each refused row named
            self.outcomes["partly"] = self.outcomes.get("partly", 0) + 1
            assert "Traceback" not in err and "error:" in out + err, (args, out, err)
            if names:
                assert any(n in out + err for n in names), (args, out, err)
            if db is not None and db.exists():
                assert kb_state(db)["integrity"] == "ok"
                assert kb_unsound_values(db) == [], (args, out)
            return code, out, err
        self.outcomes["refused"] = self.outcomes.get("refused", 0) + 1
        assert "Traceback" not in err, err
        usage = code == 2 and "Usage:" in err  # click: a bad option value, before any work
        assert usage or err.lstrip().startswith(("error:", "database error:")), (args, err)
        if names and not usage:
            assert any(n in err for n in names), (args, err)
        if before is not None:
            assert kb_state(db) == before, (args, err)
        return code, out, err


@pytest.fixture()
def entry_point(capsys: pytest.CaptureFixture[str]) -> EntryPoint:
    return EntryPoint(capsys)


class LocalServe:
    """Start ``anodelab serve`` on a free loopback port and wait until it listens (the web UI
    and serve tests share it)."""

    @staticmethod
    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    @staticmethod
    def port_open(port: int) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", port)) == 0

    def start(self, path: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "anodelab"), "serve", "--db", str(path), "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not self.port_open(port):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "anodelab serve did not start"
            time.sleep(0.3)
        return proc


@pytest.fixture(scope="session")
def local_serve() -> LocalServe:
    """See :class:`LocalServe`."""
    return LocalServe()
