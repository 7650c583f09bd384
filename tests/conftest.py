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
