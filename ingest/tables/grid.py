"""The raw grid every table reader returns, and the split of header rows from data rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from anodelab.schema.cells import parse_cell
from anodelab.schema.errors import AnodelabError
from anodelab.schema.units import parse_unit, ureg

__all__ = ["RawTable", "split_header_rows", "is_unit_text", "looks_numeric"]


@dataclass
class RawTable:
    """Cells exactly as printed (strings), split into header rows and data rows.

    ``row_numbers[i]`` is the 1-based row (line) of data row ``i`` in the file, for provenance.
    ``unit_row`` holds the units printed under the names (multi-row headers), one per column.
    """

    header_rows: list[list[str]]
    rows: list[list[str]]
    file: str | None = None
    name: str | None = None  # sheet name or "table 2"
    caption: str | None = None
    decimal: str = "."
    encoding: str | None = None
    row_numbers: list[int] = field(default_factory=list)
    unit_row: list[str] | None = None
    footnotes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = max(
            [len(r) for r in self.header_rows + self.rows] + [len(self.unit_row or [])] + [0]
        )
        self.header_rows = [_pad(r, width) for r in self.header_rows]
        self.rows = [_pad(r, width) for r in self.rows]
        if self.unit_row is not None:
            self.unit_row = _pad(self.unit_row, width)
        if not self.row_numbers:
            start = len(self.header_rows) + (1 if self.unit_row else 0) + 1
            self.row_numbers = list(range(start, start + len(self.rows)))

    @property
    def width(self) -> int:
        return (
            len(self.rows[0])
            if self.rows
            else (len(self.header_rows[0]) if self.header_rows else 0)
        )

    @property
    def headers(self) -> list[str]:
        """One header text per column: the header rows joined top to bottom (merged cells once)."""
        out = []
        for j in range(self.width):
            parts: list[str] = []
            for row in self.header_rows:
                cell = row[j].strip()
                if cell and (not parts or parts[-1] != cell):
                    parts.append(cell)
            out.append(" ".join(parts))
        return out

    def table_locator(self) -> str | None:
        """``Table S3`` from the caption, else the sheet/table name."""
        if self.caption:
            match = re.match(r"\s*((?:Table|Tab\.)\s*S?\d+[a-z]?)", self.caption, re.IGNORECASE)
            if match:
                return match.group(1)
        return self.name


def _pad(row: list[str], width: int) -> list[str]:
    return [("" if c is None else str(c)) for c in row] + [""] * (width - len(row))


def is_unit_text(text: str) -> bool:
    """True when ``text`` is a unit with a dimension (``mA h g−1``, ``(%)``, ``°C``)."""
    text = text.strip().strip("()[]").strip()
    if not text or re.fullmatch(r"[\d\s.,]+", text) or len(text) > 30:
        return False
    try:
        unit = parse_unit(text)
    except AnodelabError:
        return False
    return unit != ureg.dimensionless or text in ("%", "‰")


def looks_numeric(text: str, decimal: str = ".") -> bool:
    """True when a cell parses as a number, range or pair."""
    try:
        return parse_cell(text, allow_pair=True, decimal=decimal).has_value
    except AnodelabError:
        return False


def split_header_rows(
    grid: list[list[str]], header_rows: int | None = None, decimal: str = "."
) -> tuple[list[list[str]], list[str] | None, list[list[str]], int]:
    """Split ``grid`` into (name rows, unit row or None, data rows, index of the first data row).

    The first row is always a header row.  Up to two more rows count as header rows when they
    hold no numbers: a *unit row* (every filled cell a unit) or a sub-header row under merged
    cells (first cell empty, e.g. ``1st | 100th`` under ``Capacity``).  ``header_rows`` fixes
    the count instead.
    """
    if not grid:
        return [], None, [], 0
    unit: list[str] | None = None
    if header_rows is not None:
        names, rest = grid[:header_rows], grid[header_rows:]
        if len(names) > 1 and _is_unit_row(names[-1]):
            unit = names[-1]
            names = names[:-1]
        return names, unit, rest, header_rows
    names = [grid[0]]
    i = 1
    while i < len(grid) and i <= 3:
        row = grid[i]
        if any(looks_numeric(c, decimal) for c in row if c.strip()):
            break
        if unit is None and _is_unit_row(row):
            unit = row
        elif (
            (not row[0].strip() or row[0] == names[-1][0])
            and any(c.strip() for c in row)
            and unit is None
        ):
            names.append(row)
        else:
            break
        i += 1
    return names, unit, grid[i:], i


def _is_unit_row(row: list[str]) -> bool:
    filled = [c for c in row if c.strip()]
    return (
        bool(filled)
        and all(is_unit_text(c) or c.strip() in ("-", "–", "—") for c in filled)
        and any(is_unit_text(c) for c in filled)
    )
