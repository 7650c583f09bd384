"""Excel (.xlsx) sheets with merged header cells, via openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from anodelab.ingest.tables.grid import RawTable
from anodelab.schema.errors import InputError

__all__ = ["read_excel", "cell_text"]


def cell_text(value: object) -> str:
    """The text a reader sees in a cell: integers without ``.0``, floats in shortest form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def read_excel(
    path: str | Path,
    *,
    sheet: str | None = None,
    header_rows: int | None = None,
    decimal: str | None = None,
) -> RawTable:
    """Read one sheet; every merged range is filled with its top-left value (merged headers)."""
    from openpyxl import load_workbook

    from anodelab.ingest.tables.readers import _finish

    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError for broken files
        raise InputError(f"cannot open the workbook: {exc}", file=str(path)) from exc
    if sheet is None:
        ws = book.worksheets[0]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        raise InputError(
            f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}", file=str(path)
        )
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    grid = [[cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
    for r0, c0, r1, c1 in merged:
        value = grid[r0 - 1][c0 - 1] if r0 - 1 < len(grid) and c0 - 1 < len(grid[r0 - 1]) else ""
        for r in range(r0 - 1, min(r1, len(grid))):
            for c in range(c0 - 1, min(c1, len(grid[r]))):
                grid[r][c] = value
    caption = None
    first = next((i for i, row in enumerate(grid) if any(row)), 0)
    filled = [c for c in grid[first] if c] if grid else []
    if len(filled) == 1 and filled[0].lower().startswith(("table", "tab.")):
        caption = filled[0]
        first += 1
    width = max(
        (max((j + 1 for j, c in enumerate(row) if c), default=0) for row in grid), default=0
    )
    body = [row[:width] for row in grid[first:]]
    numbers = list(range(first + 1, first + 1 + len(body)))
    return _finish(body, str(path), ws.title, caption, header_rows, decimal, numbers)
