"""Plain text copied from a PDF table: columns separated by runs of two or more spaces.

Column positions come from the header line; every later field is put into the column its
character span overlaps most.  A line without numbers that fills fewer than half the columns
continues the cells of the row above (multi-line cells such as ``Si/graphene`` / ``composite``).
Lines before the header that start with ``Table`` are the caption; lines after the first blank
line that follows the data are footnotes.
"""

from __future__ import annotations

import re

from anodelab.ingest.tables.grid import RawTable, is_unit_text, looks_numeric
from anodelab.schema.errors import InputError

__all__ = ["read_pdf_text"]

_FIELD = re.compile(r"\S+(?: \S+)*")
_CAPTION = re.compile(r"\s*(Table|Tab\.)\s*S?\d+", re.IGNORECASE)


def _fields(line: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _FIELD.finditer(line.replace("\t", "    "))]


def _assign(fields: list[tuple[int, int, str]], starts: list[int], width: int) -> list[str]:
    cells = [""] * len(starts)
    bounds = [*starts[1:], 10**6]
    for s, e, text in fields:
        overlaps = [max(0, min(e, bounds[j]) - max(s, starts[j])) for j in range(len(starts))]
        best = max(range(len(starts)), key=lambda j: (overlaps[j], -j))
        if overlaps[best] == 0:  # left of the first column or in a gap: nearest start
            best = min(range(len(starts)), key=lambda j: abs(starts[j] - s))
        cells[best] = f"{cells[best]} {text}".strip()
    return cells


def read_pdf_text(
    text: str,
    *,
    file: str | None = None,
    header_rows: int | None = None,
    decimal: str | None = None,
) -> RawTable:
    """Read a table pasted from a PDF (see the module docstring)."""
    lines = text.expandtabs(4).splitlines()
    caption_lines: list[str] = []
    i = 0
    while i < len(lines) and (len(_fields(lines[i])) < 2 or _CAPTION.match(lines[i])):
        if lines[i].strip():
            caption_lines.append(lines[i].strip())
        i += 1
    if i == len(lines):
        raise InputError(
            "no columns found (columns must be separated by two or more spaces)", file=file
        )
    header_fields = _fields(lines[i])
    starts = [s for s, _, _ in header_fields]
    names = [[t for _, _, t in header_fields]]
    unit_row: list[str] | None = None
    header_line = i
    i += 1
    dec = decimal or "."
    # header continuation lines: no numbers
    while (
        i < len(lines)
        and lines[i].strip()
        and (header_rows is None or len(names) + (unit_row is not None) < header_rows)
    ):
        cells = _assign(_fields(lines[i]), starts, len(starts))
        if any(looks_numeric(c, dec) for c in cells if c):
            break
        if header_rows is None and not any(c for c in cells):
            break
        if unit_row is None and all(is_unit_text(c) for c in cells if c):
            unit_row = cells
        else:
            names.append(cells)
        i += 1
    rows: list[list[str]] = []
    numbers: list[int] = []
    footnotes: list[str] = []
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if rows:
                footnotes = [ln.strip() for ln in lines[i + 1 :] if ln.strip()]
                break
            i += 1
            continue
        cells = _assign(_fields(line), starts, len(starts))
        filled = sum(bool(c) for c in cells)
        numeric = any(looks_numeric(c, dec) for c in cells if c)
        if rows and not numeric and filled * 2 < len(starts):
            for j, c in enumerate(cells):
                if c:
                    rows[-1][j] = f"{rows[-1][j]} {c}".strip()
        else:
            rows.append(cells)
            numbers.append(i + 1)
        i += 1
    if not rows:
        raise InputError("the table has a header but no data rows", file=file, row=header_line + 1)
    return RawTable(
        header_rows=names,
        rows=rows,
        file=file,
        name=None,
        caption=" ".join(caption_lines) or None,
        decimal=dec,
        row_numbers=numbers,
        unit_row=unit_row,
        footnotes=footnotes,
    )
