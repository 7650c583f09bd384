"""Mutations of valid input files for the fuzz suite (drawn with ``data.draw(mutate(base))``).

A case starts from a file an entry point accepts and applies one to three mutations: truncation,
byte flips, line-ending and encoding changes, a cell replaced by a hostile token (``nan``,
``1e400``, an SQL- or formula-injection-like name, a 100 000-character field, NUL, RTL override,
…), an emptied cell, a dropped, duplicated or swapped line, or an extra column.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import strategies as st

import anodelab

HOSTILE_TOKENS = [
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "1e308",
    "-0", "0", "-1", "-3", "1e9", "2025.5", "١٢٣", "½", "0x1F", "1_000", "1,5", "1.2.3",
    "", " ", "''", '"', '"unclosed', "\x00", "NULL", "None", "null", "true",
    "'; DROP TABLE measurements;--", "Robert'); DELETE FROM samples;--",
    "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "@SUM(1+1)", "../../etc/passwd",
    "\u202etxt.exe", "🙂", "\ufeffA", "%s%s%n", "{0}", "$(rm -rf /)", "A" * 100_000,
    "mA h g−1", "°C", "K", "wt%", "1 C = 0 mA g−1", "cycle=0", "cycle=1e400", "cycle=nan",
    "current_density=-1 A/g", "x=1; y", "±", "1 ± nan", "5–", "–5", "~", "n/a",
]  # fmt: skip
ENCODINGS = ["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "utf-8-sig", "shift_jis"]
_CELL = re.compile(r"[^,;\t|\n\r]+")

MUTATIONS = (
    "truncate", "flip", "cr", "crlf", "encoding", "token", "token", "token", "empty",
    "drop_line", "duplicate_line", "swap_lines", "extra_column",
)  # fmt: skip


@st.composite
def _mutated(draw: st.DrawFn, base: bytes) -> bytes:
    data = base
    for op in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        if op == "truncate":
            data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
        elif op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
        elif op == "cr":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
        elif op == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif op == "encoding":
            text = data.decode("utf-8", errors="replace")
            data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
        elif op in ("token", "empty"):
            text = data.decode("utf-8", errors="replace")
            cells = list(_CELL.finditer(text))
            if cells:
                cell = cells[draw(st.integers(0, len(cells) - 1))]
                token = "" if op == "empty" else draw(st.sampled_from(HOSTILE_TOKENS))
                text = text[: cell.start()] + token + text[cell.end() :]
                data = text.encode("utf-8", errors="surrogatepass")
        else:
            lines = data.split(b"\n")
            if len(lines) < 2:
                continue
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "drop_line":
                del lines[i]
            elif op == "duplicate_line":
                lines.insert(i, lines[i])
            elif op == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:  # extra_column
                lines[i] = lines[i] + b"," + draw(st.sampled_from(HOSTILE_TOKENS)).encode()
            data = b"\n".join(lines)
    return data


@pytest.fixture(scope="session")
def mutate() -> Callable[[bytes], st.SearchStrategy[bytes]]:
    """``mutate(base)``: a strategy of mutated copies of ``base``."""
    return _mutated


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty KB made once per module (modules that need data override this fixture)."""
    db = tmp_path_factory.mktemp("fuzz") / "base.db"
    anodelab.open(db, create=True).close()
    return db


@pytest.fixture()
def kb(base_kb: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's base KB for each test (a refusal is checked against it)."""
    db = tmp_path / "kb.db"
    shutil.copy(base_kb, db)
    return db
