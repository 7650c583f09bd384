"""kb/ is the only layer with SQL (issue 18): tools/check_sql.py, run by `make lint`, finds SQL
text and database calls anywhere else."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checker():
    spec = importlib.util.spec_from_file_location("check_sql", ROOT / "tools" / "check_sql.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_sql_text_outside_kb() -> None:
    assert _checker().check() == []


def test_the_check_finds_planted_sql(tmp_path: Path) -> None:
    planted = tmp_path / "ingest"
    planted.mkdir()
    (planted / "bad.py").write_text(
        'def f(db):\n    return db.execute("SELECT kind FROM sources WHERE key = ?", ["x"])\n'
        'R = "INSERT OR IGNORE INTO cells VALUES (1)"\nS = "PRAGMA user_version"\n',
        encoding="utf-8",
    )
    found = _checker().check(tmp_path)
    assert len(found) == 4 and all("bad.py" in line for line in found)


def test_make_lint_runs_the_check_and_ci_runs_lint() -> None:
    assert "tools/check_sql.py" in (ROOT / "Makefile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "make lint" in ci
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_sql.py")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout
