"""``import_table``: one function for every table that enters the KB.

A table in the documented layout (docs/table-layout.md) is read directly; any other table is
handed to the literature importer (:mod:`anodelab.ingest.wide`), which translates messy paper
tables into the same records.  Either way the result is one :class:`~anodelab.schema.records.Bundle`
written by :func:`anodelab.kb.write.write_bundle` as one transaction:

* same source + same content → nothing changes (``status = "unchanged"``);
* changed content → the previous version of that table is replaced and the difference reported;
* a row with an error is refused (named with file, row, column and reason; ``rejects=`` writes
  them to a CSV that can be fixed and imported again) and the sound rows are written;
* an error of no row, or any error with ``strict=True`` → nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anodelab.ingest.layout import (
    LAYOUTS,
    bundle_from_rows,
    detect_layout,
    missing_layout_columns,
)
from anodelab.ingest.mapping import TableMapping, load_mapping, mapping_from_dict
from anodelab.ingest.refusals import (
    RowTable,
    refused_rows,
    rows_of,
    table_errors,
    without_rows,
    write_rejects,
)
from anodelab.kb.db import Database, transaction
from anodelab.kb.user_terms import add_user_terms
from anodelab.kb.write import ImportRejected, WriteReport, write_bundle
from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.records import Bundle, Problem
from anodelab.schema.version import __version__
from anodelab.schema.vocabulary import active_user_terms, user_terms_in_use

__all__ = ["ImportReport", "import_table", "import_folder", "read_layout_table", "LITERATURE_ORDER"]

LITERATURE_ORDER = ["sources", "samples", "steps", "cells", "measurements"]


@dataclass
class ImportReport:
    """What ``import_table`` understood and did.

    ``bundle`` is everything the table gave (with every problem); ``kept`` what is written (the
    sound rows); ``refused`` the errors of the refused rows (file, row, column, reason);
    ``rejected`` is true when the whole table is refused (an error of no row, ``strict``, or no
    sound row left).
    """

    file: str
    layout: str
    dataset: str
    dry_run: bool
    bundle: Bundle
    write: WriteReport | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    strict: bool = False
    kept: Bundle = field(default_factory=Bundle)
    refused: list[Problem] = field(default_factory=list)
    rejected: bool = False
    rejects_file: str | None = None

    def settle(self, file: str) -> None:
        """Split the table into kept rows and refused rows (see the module docstring)."""
        whole = table_errors(self.bundle.problems, file)
        by_row = refused_rows(self.bundle.problems, file)
        self.refused = [p for problems in by_row.values() for p in problems]
        self.kept = without_rows(self.bundle, set(by_row), file)
        sound = self.kept.measurements or self.kept.steps or self.kept.cells or self.kept.samples
        self.rejected = (
            bool(whole) or (self.strict and bool(by_row)) or (bool(by_row) and not sound)
        )
        if self.rejected:
            self.refused = whole + self.refused

    def refuse_more(self, problems: list[Problem], file: str) -> bool:
        """Refuse the rows the KB refused at write time; False (nothing changed) when one of the
        problems has no row or no sound row would be left."""
        more = refused_rows(problems, file)
        if not more or table_errors(problems, file):
            return False
        kept = without_rows(self.kept, set(more), file)
        if not (kept.measurements or kept.steps or kept.cells or kept.samples):
            return False
        self.kept = kept
        self.refused += [p for ps in more.values() for p in ps]
        return True

    def refused_by_row(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for p in self.refused:
            if p.row is not None:
                out.setdefault(p.row, []).append(p)
        return out

    def errors(self) -> list[Problem]:
        return self.refused if self.rejected else []

    @property
    def status(self) -> str:
        if self.rejected:
            return "rejected"
        if self.dry_run:
            return "dry-run"
        return self.write.status if self.write else "not written"

    def to_dict(self) -> dict[str, Any]:
        kept = self.kept if not self.rejected else Bundle()
        refused_rows_ = sorted(self.refused_by_row())
        return {
            "file": self.file,
            "layout": self.layout,
            "dataset": self.dataset,
            "status": self.status,
            "columns": self.columns,
            "counts": {
                "sources": len(kept.sources),
                "samples": len(kept.samples),
                "step_parameters": len(kept.steps),
                "cells": len(kept.cells),
                "measurements": len(kept.measurements),
            },
            "rows": {
                "taken": len(rows_of(kept)),
                "refused": len(refused_rows_),
            },
            "refused": [
                {
                    "file": p.file,
                    "row": p.row,
                    "column": p.column,
                    "value": p.value,
                    "reason": p.message,
                }
                for p in self.refused
            ],
            "rejects_file": self.rejects_file,
            "problems": [str(p) for p in self.bundle.problems],
            "write": self.write.to_dict() if self.write else None,
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, file: str) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        "cannot decode the file as text", file=file
    )  # pragma: no cover - latin-1 decodes anything


def read_layout_table(path: Path) -> tuple[list[str], list[dict[str, str]]] | None:
    """Header and rows of a CSV in the documented layout, or ``None`` if it is not one."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    text = _decode(path.read_bytes(), str(path))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    if "\x00" in text:
        raise InputError("not a text table (the file holds binary bytes)", file=str(path))
    # old Excel for Mac ends lines with CR alone; the csv module wants LF or CR LF
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(
            f"not a readable CSV: {exc}", file=str(path), row=reader.line_num
        ) from None
    if not rows:
        raise InputError("the file is empty", file=str(path))
    header = [h.strip() for h in rows[0]]
    if detect_layout(header) is None:
        _refuse_incomplete_layout(header, str(path))
        return None
    out = []
    for number, values in enumerate(rows[1:], start=2):  # the header is row 1
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            raise InputError(
                f"row has {len(values)} cells but the header has {len(header)} columns",
                file=str(path),
                row=number,
            )
        out.append({h: (values[i] if i < len(values) else "") for i, h in enumerate(header)})
    return header, out


def _refuse_incomplete_layout(header: list[str], file: str) -> None:
    """Name the missing required column of a header that is a documented layout but for it.

    Without this the table went to the literature importer, which called the layout's own
    columns unknown (``unknown column 'conditions'`` for a measurements table without
    ``property``)."""
    near = missing_layout_columns(header)
    if not near:
        return
    what = " or ".join(
        f"{', '.join(repr(c) for c in missing)} ({layout} layout)"
        for layout, missing in near.items()
    )
    plural = "s" if any(len(m) > 1 for m in near.values()) else ""
    raise InputError(
        f"missing required column{plural} {what}; see docs/table-layout.md", file=file, row=1
    )


def _bundle_for(
    path: Path, *, source: str | None, mapping: Any, sheet: str | None
) -> tuple[str, Bundle, list[dict[str, Any]], RowTable]:
    layout_table = read_layout_table(path)
    if layout_table is not None:
        header, rows = layout_table
        layout = detect_layout(header) or ""
        bundle = bundle_from_rows(layout, rows, file=str(path), source=source)
        columns = [{"column": h, "understood_as": f"{layout} layout column"} for h in header]
        as_read = RowTable(
            [header], {n: [r.get(h, "") for h in header] for n, r in enumerate(rows, start=2)}
        )
        return layout, bundle, columns, as_read
    try:
        from anodelab.ingest import wide
    except ImportError:
        known = "; ".join(
            f"{name}: {', '.join(sorted(spec['required']))}" for name, spec in LAYOUTS.items()
        )
        raise InputError(
            f"not a table in the documented layout (required columns per layout — {known})",
            file=str(path),
        ) from None
    table = wide.as_raw_table(
        wide.read_any_table(path, sheet=sheet), mapping=mapping, file=str(path)
    )
    cells: dict[int, list[str]] = {}
    bundle = wide.bundle_from_table(
        table, mapping=mapping, source=source, file=str(path), row_cells=cells
    )
    columns = wide.describe_columns(table, mapping=mapping, source=source, file=str(path))
    headers = table.header_rows + ([table.unit_row] if table.unit_row else [])
    return "literature", bundle, columns, RowTable(headers, cells)


def import_table(
    db: Database,
    path: str | Path,
    *,
    source: str | None = None,
    mapping: str | Path | dict[str, Any] | TableMapping | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    rejects: str | Path | None = None,
) -> ImportReport:
    """Import one table file into the KB: its sound rows in one transaction, the others refused.

    Every row whose cells cannot all be used is refused (with file, row, column and reason in
    ``report.refused``) and the other rows are written; an error that belongs to no row (a
    column's unit contradicts its quantity, no label column, no source) refuses the whole table.

    :param db: an open KB (:func:`anodelab.kb.db.open_db`).
    :param path: CSV/TSV in the documented layout, or a literature table (CSV, XLSX, Markdown, HTML, PDF text).
    :param source: source key (or DOI) all rows belong to; overrides/validates the ``source`` column.
    :param mapping: YAML mapping file (or dict) pinning what columns mean (literature tables).
    :param sheet: worksheet name for Excel files.
    :param dry_run: parse and report how every column was understood; write nothing.
    :param strict: all or nothing: any refused row refuses the whole table.
    :param rejects: write the refused rows and their reasons to this CSV (re-importable).
    :raises ImportRejected: when the whole table is refused (nothing is written).
    """
    file = Path(path)
    if not file.exists():
        raise InputError("file not found", file=str(file))  # worded as every reader words it
    data = file.read_bytes()
    mapping_text = ""
    if isinstance(mapping, (str, Path)):
        if not Path(mapping).is_file():
            raise InputError("no such mapping file", file=str(mapping))
        # as text for the content hash only; load_mapping refuses a file that is not UTF-8
        mapping_text = Path(mapping).read_bytes().decode("utf-8", errors="surrogateescape")
    elif isinstance(mapping, dict):
        mapping_text = json.dumps(mapping, sort_keys=True, default=str)
    elif mapping is not None:
        mapping_text = repr(mapping)
    table_mapping = _as_mapping(mapping)
    terms = table_mapping.terms if table_mapping is not None else ()
    with user_terms_in_use((*active_user_terms(), *terms)):  # the map's own terms parse its cells
        layout, bundle, columns, as_read = _bundle_for(
            file, source=source, mapping=table_mapping, sheet=sheet
        )
    source_key = source or _first_source(bundle) or "unknown"
    dataset = f"{source_key}:{file.name}" + (f"#{sheet}" if sheet else "")
    report = ImportReport(
        file=str(file),
        layout=layout,
        dataset=dataset,
        dry_run=dry_run,
        bundle=bundle,
        columns=columns,
        strict=strict,
    )
    report.settle(str(file))
    if rejects is not None and report.refused:
        write_rejects(rejects, as_read, report.refused_by_row())
        report.rejects_file = str(rejects)
    if dry_run:
        return report
    if report.rejected:
        raise _rejected(report, report.errors(), str(file))
    content = _sha256(
        data
        + b"\0"
        + mapping_text.encode("utf-8", "surrogateescape")
        + b"\0"
        + (source or "").encode()
        + b"\0"
        + (sheet or "").encode()
        + b"\0"
        + (b"strict" if strict else b"")
    )
    label = Path(str(mapping)).name if isinstance(mapping, (str, Path)) else "dict"
    for _attempt in range(3):  # rows the KB refuses (an unknown sample) are refused in turn
        try:
            with transaction(db):  # the map's terms and the rows it maps: one transaction
                if terms:
                    add_user_terms(db, terms, added_by=f"map:{label}")
                report.write = _write(db, report, dataset, content, file, data, layout)
            break
        except ImportRejected as exc:
            if strict or not report.refuse_more(exc.problems, str(file)):
                report.rejected = True
                report.refused = [*report.refused, *exc.problems]
                raise _rejected(report, report.refused, str(file)) from None
            if rejects is not None:
                write_rejects(rejects, as_read, report.refused_by_row())
    return report


def _rejected(report: ImportReport, problems: list[Problem], file: str) -> ImportRejected:
    """The error of a refused table, carrying the report (``--json`` prints it)."""
    exc = ImportRejected(problems, file)
    exc.report = report  # type: ignore[attr-defined]
    return exc


def _as_mapping(mapping: Any) -> TableMapping | None:
    if mapping is None or isinstance(mapping, TableMapping):
        return mapping
    if isinstance(mapping, (str, Path)):
        return load_mapping(mapping)
    return mapping_from_dict(mapping)


def _write(
    db: Database,
    report: ImportReport,
    dataset: str,
    content: str,
    file: Path,
    data: bytes,
    layout: str,
) -> WriteReport:
    return write_bundle(
        db,
        report.kept,
        dataset=dataset,
        content_sha256=content,
        file_path=str(file),
        file_sha256=_sha256(data),
        importer=f"anodelab.ingest.table_import[{layout}]",
        importer_version=__version__,
        create_missing_samples=layout == "literature",
        refused=report.refused,
    )


def _first_source(bundle: Bundle) -> str | None:
    for group in (bundle.sources, bundle.samples, bundle.steps, bundle.cells, bundle.measurements):
        for record in group:
            key = getattr(record, "key", None) or getattr(record, "source", None)
            if key:
                return str(key)
    return None


def import_folder(db: Database, folder: str | Path) -> list[ImportReport]:
    """Import a literature folder (sources, samples, steps, cells, measurements CSVs, in that order)."""
    folder = Path(folder)
    reports = []
    for name in LITERATURE_ORDER:
        path = folder / f"{name}.csv"
        if path.exists():
            reports.append(import_table(db, path))
    extra = sorted(p for p in folder.glob("*.csv") if p.stem not in LITERATURE_ORDER)
    for path in extra:
        reports.append(import_table(db, path))
    if not reports:
        raise AnodelabError(f"no tables in {folder}")
    return reports


__all__ += ["ImportRejected", "Problem"]
