"""Row-level outcome of an import: keep the sound rows, refuse the others, and say why.

An error that belongs to one row (a cell that cannot be read, a value another row of the table
already gives, a sample the KB does not know) refuses that row: every record the row produced
is left out, and the rest of the table is written in one transaction.  An error that belongs to
no row (a column whose unit contradicts its quantity, no sample-label column, no source) refuses
the whole table, as does any error with ``strict``.

A rejects file (``import-table --rejects PATH``) is a CSV with the table's header rows, every
refused row as it was read (a blank label filled from the row above) and a last column
``refused because``; fix the cells and import it again with the same map (the reason column is
ignored on import).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from anodelab.ingest.mapping import REJECTS_COLUMN
from anodelab.schema.errors import AnodelabError
from anodelab.schema.records import Bundle, Problem

__all__ = ["RowTable", "refused_rows", "without_rows", "write_rejects", "rows_of"]


class RowTable:
    """The table as read: header rows and each data row's cells by row number."""

    def __init__(self, header_rows: list[list[str]], rows: dict[int, list[str]]) -> None:
        self.header_rows = header_rows
        self.rows = rows


def refused_rows(problems: Iterable[Problem], file: str | None) -> dict[int, list[Problem]]:
    """Errors of this file that belong to one row, by row number."""
    out: dict[int, list[Problem]] = {}
    for p in problems:
        if p.severity == "error" and p.row is not None and (p.file in (None, file)):
            out.setdefault(p.row, []).append(p)
    return out


def table_errors(problems: Iterable[Problem], file: str | None) -> list[Problem]:
    """Errors that belong to no row of this file (they refuse the whole table)."""
    return [
        p
        for p in problems
        if p.severity == "error" and (p.row is None or p.file not in (None, file))
    ]


def _row(record: Any) -> int | None:
    prov = getattr(record, "provenance", None)
    return None if prov is None else prov.row


def without_rows(bundle: Bundle, rows: set[int], file: str | None) -> Bundle:
    """``bundle`` without the records and problems of ``rows`` of ``file``.

    A sample first named in a refused row stays when a kept row names it too; a source stays when
    a kept record belongs to it."""

    def keep(record: Any) -> bool:
        prov = getattr(record, "provenance", None)
        if prov is None or prov.row is None or prov.row not in rows:
            return True
        return prov.file not in (None, file)

    measurements = [m for m in bundle.measurements if keep(m)]
    steps = [s for s in bundle.steps if keep(s)]
    cells = [c for c in bundle.cells if keep(c)]
    rows_kept: list[Any] = [*measurements, *steps, *cells]
    used = {(r.source, r.sample) for r in rows_kept}
    samples = [
        s
        for s in bundle.samples
        if keep(s)
        or (s.source, s.label) in used
        or any(s.label in (p.parents + p.members) for p in bundle.samples if keep(p))
    ]
    sample_sources = {s.source for s in samples} | {r.source for r in rows_kept}
    sources = [
        s
        for s in bundle.sources
        if s.key in sample_sources or not (bundle.samples or bundle.measurements)
    ]
    problems = [
        p
        for p in bundle.problems
        if not (p.row is not None and p.row in rows and p.file in (None, file))
    ]
    return Bundle(
        sources=sources,
        samples=samples,
        steps=steps,
        cells=cells,
        measurements=measurements,
        problems=problems,
    )


def rows_of(bundle: Bundle) -> set[int]:
    """Rows of the table that records of ``bundle`` came from."""
    return {
        r
        for group in (bundle.samples, bundle.steps, bundle.cells, bundle.measurements)
        for r in map(_row, group)
        if r is not None
    }


def reasons(problems: list[Problem]) -> str:
    """One text for a rejects file: each reason with its column."""
    return "; ".join(
        (f"{p.column}: " if p.column else "")
        + p.message
        + (f" ({p.value!r})" if p.value and str(p.value) not in p.message else "")
        for p in problems
    )


def write_rejects(
    path: str | Path, table: RowTable, refused: dict[int, list[Problem]], *, delimiter: str = ","
) -> int:
    """Write the refused rows with their reasons; returns the number of rows written."""
    path = Path(path)
    width = max([len(r) for r in table.header_rows] + [len(r) for r in table.rows.values()] + [0])
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            for i, header in enumerate(table.header_rows):
                cells = list(header) + [""] * (width - len(header))
                writer.writerow([*cells, REJECTS_COLUMN if i == 0 else ""])
            for row in sorted(refused):
                cells = list(table.rows.get(row, []))
                cells += [""] * (width - len(cells))
                writer.writerow([*cells, f"row {row}: {reasons(refused[row])}"])
    except OSError as exc:
        raise AnodelabError(f"cannot write the rejects file {path}: {exc}") from exc
    return len(refused)
