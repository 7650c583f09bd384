"""Fail when SQL text or a database call appears outside kb/ (issue 18: kb/ is the only layer
that speaks SQL).  Run by `make lint` and by tests/foundation/test_no_sql_outside_kb.py.

Checks every string literal (SQL keywords in capitals, as anodelab writes them) of the other packages for SQL statements (SELECT … FROM, INSERT
INTO, UPDATE … SET, DELETE FROM, CREATE/DROP/ALTER TABLE|VIEW|INDEX, PRAGMA) and every call of
``.execute``/``.executemany``/``.executescript``/``read_sql_query``/``read_sql``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("anodelab", "schema", "echem", "ingest", "models", "optimize")
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|"
    r"\bDELETE\s+FROM\b|\b(CREATE|DROP|ALTER)\s+(TEMP\s+)?(TABLE|VIEW|INDEX)\b|\bPRAGMA\s+\w+"
)
DB_CALLS = {"execute", "executemany", "executescript", "read_sql_query", "read_sql"}


def violations(path: Path) -> list[str]:
    """``file:line: what`` for each SQL string or database call in one Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"{path}:{node.lineno}: SQL text {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DB_CALLS:
                found.append(f"{path}:{node.lineno}: database call .{name}(…)")
    return found


def check(root: Path = ROOT) -> list[str]:
    """Every violation under the checked packages of ``root``."""
    out: list[str] = []
    for package in CHECKED:
        for path in sorted((root / package).rglob("*.py")):
            out += violations(path)
    return out


if __name__ == "__main__":
    problems = check()
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} SQL text(s) outside kb/: move them into kb/", file=sys.stderr)
    sys.exit(1 if problems else 0)
