"""Messy literature tables → a :class:`~anodelab.schema.records.Bundle`.

A *wide* table has one row per material (``Material | Reversible capacity (mA h g−1) | Current
density (A g−1) | Cycles | ICE (%) | Pitch content / wt% | T_carb (°C) | Ref.``): every row
becomes a sample (its label kept verbatim), property columns become measurements whose
conditions come from the header and from the condition columns of the same row, parameter
columns become process-step parameters, cell-attribute columns (electrolyte, binder, loading …)
a cell the row's electrochemical values point at (:mod:`anodelab.ingest.cell_columns`), and a
``Ref.`` column gives each row its source.
A *long* table has one row per value (``Sample | Property | Value | Unit | ...``).

Nothing is dropped silently: each cell either becomes a record or a :class:`Problem` naming
file, row and column.  The bundle is returned whole; ``import_table`` writes its sound rows in
one transaction and refuses the rows with errors (:mod:`anodelab.ingest.refusals`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from anodelab.ingest.cell_columns import attach_cell, cell_field, row_cell
from anodelab.ingest.headers import (
    ColumnSpec,
    condition_from_text,
    header_name_part,
    header_unit_part,
    parse_header,
)
from anodelab.ingest.mapping import (
    REJECTS_COLUMN,
    ColumnMapping,
    TableMapping,
    load_mapping,
    mapping_from_dict,
)
from anodelab.ingest.tables import RawTable, read_table
from anodelab.ingest.two_values import second_value_spec
from anodelab.ingest.wide_rows import ELECTROCHEMICAL, RowContext, row_measurements, row_steps
from anodelab.kb.write import measurement_key
from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.records import (
    Bundle,
    CellRecord,
    ConditionValue,
    Problem,
    SampleRecord,
    SourceRecord,
    StepParameterRecord,
)
from anodelab.schema.vocabulary import Vocabulary, load_vocabulary, name_key

__all__ = [
    "bundle_from_table",
    "describe_columns",
    "understand_columns",
    "as_raw_table",
    "as_mapping",
    "read_any_table",
]

_DOI = re.compile(r"10\.\d{4,9}/[^\s,;]+")


def as_mapping(mapping: Any) -> TableMapping | None:
    """A :class:`TableMapping` from a path to a YAML file, a dict, or a mapping (or ``None``)."""
    if mapping is None or isinstance(mapping, TableMapping):
        return mapping
    if isinstance(mapping, (str, Path)):
        return load_mapping(mapping)
    return mapping_from_dict(mapping)


def read_any_table(path: str | Path, *, sheet: str | None = None, mapping: Any = None) -> RawTable:
    """Read a literature table file (CSV/TSV, XLSX, Markdown, HTML, PDF text)."""
    m = as_mapping(mapping) or TableMapping()
    return read_table(path, sheet=sheet or m.sheet, header_rows=m.header_rows, decimal=m.decimal)


def as_raw_table(
    table: Any, *, mapping: TableMapping | None = None, file: str | None = None
) -> RawTable:
    """Accept a :class:`RawTable`, a path, or a pandas DataFrame (header = its columns)."""
    if isinstance(table, RawTable):
        reread = mapping is not None and bool(
            mapping.header_rows or mapping.decimal or mapping.sheet
        )
        if mapping is not None and reread and table.file and Path(table.file).is_file():
            return read_any_table(
                table.file, sheet=table.name if not mapping.sheet else None, mapping=mapping
            )
        return table
    if isinstance(table, (str, Path)):
        return read_any_table(table, mapping=mapping)
    if hasattr(table, "columns") and hasattr(table, "itertuples"):
        header = [str(c) for c in table.columns]
        rows = [["" if _isnan(v) else str(v) for v in row] for row in table.itertuples(index=False)]
        return RawTable(
            header_rows=[header],
            rows=rows,
            file=file,
            decimal=(mapping.decimal if mapping else None) or ".",
        )
    raise InputError(f"cannot read a table from a {type(table).__name__}", file=file)


def _isnan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def understand_columns(
    table: RawTable, mapping: TableMapping | None = None, vocab: Vocabulary | None = None
) -> list[ColumnSpec]:
    """One :class:`ColumnSpec` per column: header + unit row + mapping file."""
    vocab = vocab or load_vocabulary()
    if mapping is not None:
        missing = mapping.unmatched(table.headers, [header_name_part(h) for h in table.headers])
        if missing:
            shown = ", ".join(repr(h) for h in table.headers)
            raise InputError(
                f"the mapping names column(s) {', '.join(repr(k) for k in missing)} that the "
                f"table does not have; its {len(table.headers)} columns are {shown} "
                f"(or #1–#{len(table.headers)})",
                file=mapping.file or table.file,
            )
    specs: list[ColumnSpec] = []
    for j, header in enumerate(table.headers):
        unit_row = table.unit_row[j] if table.unit_row else None
        cm = mapping.column(header, header_name_part(header), j) if mapping else None
        if cm is None and name_key(header) == name_key(REJECTS_COLUMN):
            cm = ColumnMapping(role="ignore")  # the reason column of a rejects file
        try:
            attribute = cell_field(header, cm.cell if cm is not None else None)
            if attribute is not None and (cm is None or cm.kind is None and cm.role is None):
                spec = ColumnSpec(index=j, header=header, role="cell_attribute")
                spec.name_text = attribute
                if cm is not None and cm.unit is not None:
                    spec.unit_text, spec.unit_from = cm.unit, "mapping"
                else:
                    spec.unit_text = header_unit_part(header, unit_row)
                    spec.unit_from = "header" if spec.unit_text else None
            elif cm is not None and cm.kind is not None:
                # ingest.mapping types kind/name/role as plain str but fills kind and name together,
                # from the property/parameter/condition keys, and role from its _ROLES set; the
                # proper fix is Literal types in ingest/mapping.py
                term = vocab.get(cm.kind, cm.name)  # type: ignore[arg-type]
                spec = parse_header(
                    header, j, unit_row=unit_row, vocab=vocab, term=term, unit=cm.unit
                )
            elif cm is not None and cm.role is not None:
                spec = ColumnSpec(index=j, header=header, role=cm.role)  # type: ignore[arg-type]
                spec.fill_down = cm.role == "source"
            else:
                spec = parse_header(header, j, unit_row=unit_row, vocab=vocab)
                if cm is not None and cm.unit is not None:
                    spec.unit_text, spec.unit_from = cm.unit, "mapping"
        except AnodelabError as exc:
            spec = ColumnSpec(index=j, header=header, role="unknown", problems=[str(exc)])
        if cm is not None:
            spec.fill_down = spec.fill_down or cm.fill_down
            spec.scale_fraction = cm.scale == "fraction"
            spec.value_map = dict(cm.value_map)
            if cm.second is not None:
                try:
                    spec.second = second_value_spec(cm.second, vocab)
                except AnodelabError as exc:
                    spec.problems.append(f"second: {exc}")
            if cm.scale == "percent":
                spec.warnings.append("mapping says the values are percent (no fraction check)")
            for name, text in cm.conditions.items():
                _add_condition(spec, name, text, vocab)
        if (
            spec.role == "unknown"
            and not header.strip()
            and not any(r[j].strip() for r in table.rows)
        ):
            spec.role, spec.problems = "ignore", []  # an empty spacer column
        specs.append(spec)
    labels = [s for s in specs if s.role == "label"]
    if not labels and specs and specs[0].role == "unknown" and not (mapping and mapping.label):
        first = specs[0]
        texts = [r[0] for r in table.rows if r[0].strip()]
        if texts and not any(re.fullmatch(r"[-+−\d.,\s±%]+", t) for t in texts):
            first.role, first.problems = "label", []
            first.warnings.append(
                "first column read as sample labels (its header is not a known name)"
            )
    for extra in [s for s in specs if s.role == "label"][1:]:
        extra.problems.append(
            "a second sample-label column; map one of them with `label:` or ignore it"
        )
    return specs


def _add_condition(spec: ColumnSpec, name: str, text: str, vocab: Vocabulary) -> None:
    try:
        key, value = condition_from_text(text, vocab, name=name)
        spec.conditions[key] = value
    except AnodelabError as exc:
        spec.problems.append(f"mapping condition {name}={text!r}: {exc}")


def describe_columns(
    table: Any, *, mapping: Any = None, source: str | None = None, file: str | None = None
) -> list[dict[str, Any]]:
    """How every column was understood (for ``import-table --dry-run``): one dict per column.

    ``source`` is accepted for symmetry with :func:`bundle_from_table`; columns do not depend on it.
    """
    mapping = as_mapping(mapping)
    raw = as_raw_table(table, mapping=mapping, file=file)
    rows = []
    for spec in understand_columns(raw, mapping):
        info = spec.describe()
        info["cells"] = sum(bool(r[spec.index].strip()) for r in raw.rows)
        rows.append(info)
    return rows


def _table_source(mapping: TableMapping | None, source: str | None) -> SourceRecord | None:
    doi: str | None = None
    key: str | None = None
    text: str | None = None
    if source:
        found = _DOI.search(source)
        if found:
            doi = found.group(0).rstrip(".")
        else:
            key = source.strip()
    if mapping is not None:
        doi = doi or mapping.source_doi
        key = key or mapping.source_key
        text = mapping.source_text
    record_key = key or doi or text
    if not record_key:
        return None
    return SourceRecord(key=record_key, kind="paper", doi=doi, title=text)


def _row_source(ref: str, table_source: SourceRecord | None) -> SourceRecord:
    doi = _DOI.search(ref)
    if doi:
        value = doi.group(0).rstrip(".")
        return SourceRecord(key=value, kind="paper", doi=value)
    if table_source is not None:
        # the cited paper has no DOI in the table; its title (when the cell gives one) is kept
        # as printed and the review it was read from is named, with the review's DOI
        review = table_source.doi or table_source.key
        titled = len(ref) > 25 and re.search(r"[A-Za-z]{4,}\s+[A-Za-z]{3,}", ref) is not None
        return SourceRecord(
            key=f"{table_source.key} {ref}",
            kind="paper",
            title=f"{ref} (cited in {review})" if titled else f"reference {ref} cited in {review}",
        )
    return SourceRecord(key=ref, kind="paper", title=ref)


def _refuse_ambiguous_headers(specs: list[ColumnSpec], bundle: Bundle, file: str | None) -> None:
    """Two used columns with the same header would give values an ambiguous provenance."""
    seen: dict[str, int] = {}
    for spec in specs:
        if spec.role in ("unknown", "ignore") or not spec.header:
            continue
        if spec.header in seen:
            bundle.problems.append(
                Problem(
                    f"columns {seen[spec.header] + 1} and {spec.index + 1} have the same header; "
                    f"name them apart in a mapping file (columns can be given as '#{spec.index + 1}')",
                    "error",
                    file,
                    None,
                    spec.header,
                )
            )
        else:
            seen[spec.header] = spec.index


def bundle_from_table(
    table: Any,
    *,
    mapping: Any = None,
    source: str | None = None,
    file: str | None = None,
    row_cells: dict[int, list[str]] | None = None,
) -> Bundle:
    """Turn a messy wide or long table into a Bundle (records in canonical units + problems).

    ``table`` is a :class:`RawTable`, a path or a DataFrame; ``source`` a DOI or source key for
    the whole table (else the mapping's ``source`` or a ``Ref.`` column per row).  ``row_cells``,
    when given, receives each data row's cells by row number, blank labels filled from above
    (what a rejects file shows, so that a refused row can be re-imported on its own).
    """
    vocab = load_vocabulary()
    mapping = as_mapping(mapping)
    raw = as_raw_table(table, mapping=mapping, file=file)
    file = file or raw.file
    bundle = Bundle()
    specs = understand_columns(raw, mapping, vocab)
    _refuse_ambiguous_headers(specs, bundle, file)
    for spec in specs:
        for message in spec.problems:
            bundle.problems.append(Problem(message, "error", file, None, spec.header))
        for message in spec.warnings:
            bundle.problems.append(Problem(message, "warning", file, None, spec.header))
    fixed: dict[str, ConditionValue] = {}
    for name, text in (mapping.conditions if mapping else {}).items():
        try:
            key, value = condition_from_text(text, vocab, name=name)
            fixed[key] = value
        except AnodelabError as exc:
            bundle.problems.append(
                Problem(
                    f"mapping condition {name}={text!r}: {exc}",
                    "error",
                    mapping.file if mapping else file,
                )
            )
    table_source = _table_source(mapping, source)
    locator = (mapping.table if mapping and mapping.table else None) or raw.table_locator()
    label_col = next((s for s in specs if s.role == "label"), None)
    ref_col = next((s for s in specs if s.role == "source"), None)
    long_mode = any(s.role == "property_name" for s in specs)
    if label_col is None:
        bundle.problems.append(
            Problem(
                "no sample-label column (name it 'Material'/'Sample' or set `label:` in a mapping file)",
                "error",
                file,
            )
        )
        return bundle
    if long_mode and not any(s.role == "value" for s in specs):
        bundle.problems.append(Problem("a 'Property' column but no 'Value' column", "error", file))
        return bundle
    if ref_col is None and table_source is None:
        bundle.problems.append(
            Problem(
                "no source: pass --source DOI, set `source:` in a mapping file, or add a 'Ref.' column",
                "error",
                file,
            )
        )
    ctx = RowContext(
        vocab=vocab,
        file=file,
        locator=locator,
        decimal=raw.decimal,
        specs=specs,
        fixed=fixed,
        long_mode=long_mode,
    )
    _check_fraction_columns(raw, specs, bundle, file)
    fill: dict[int, str] = {}
    sources: dict[str, SourceRecord] = {}
    samples: dict[tuple[str, str], SampleRecord] = {}
    recipes: dict[tuple[str, str], dict[tuple[Any, ...], StepParameterRecord]] = {}
    stated: dict[str, int] = {}  # value key → row: one sample's rows must differ in conditions
    cell_setups: dict[tuple[str, str, tuple[tuple[str, Any], ...]], CellRecord] = {}
    if table_source is not None and ref_col is None:
        sources[table_source.key] = table_source
    for i, row in enumerate(raw.rows):
        rownum = raw.row_numbers[i]
        cells = list(row)
        for spec in specs:
            if spec.role in ("label", "label_part", "source") or spec.fill_down:
                if cells[spec.index].strip():
                    fill[spec.index] = cells[spec.index].strip()
                elif spec.index in fill:
                    cells[spec.index] = fill[spec.index]
        if row_cells is not None:
            row_cells[rownum] = list(cells)
        for spec in specs:  # the map's value_map renames cell texts (property names, units …)
            if spec.value_map and cells[spec.index].strip() in spec.value_map:
                cells[spec.index] = spec.value_map[cells[spec.index].strip()]
        label = _label_text(cells, label_col, specs)
        has_values = any(
            cells[s.index].strip()
            for s in specs
            if s.role not in ("label", "label_part", "source", "ignore")
        )
        if not label:
            if has_values:
                bundle.problems.append(
                    Problem(
                        "row has values but no sample label",
                        "error",
                        file,
                        rownum,
                        label_col.header,
                    )
                )
            continue
        src = table_source
        if ref_col is not None and cells[ref_col.index].strip():
            src = _row_source(cells[ref_col.index].strip(), table_source)
        if src is None:
            bundle.problems.append(
                Problem(
                    "no source for this row (empty Ref. cell and no --source)",
                    "error",
                    file,
                    rownum,
                    ref_col.header if ref_col else None,
                )
            )
            continue
        sources.setdefault(src.key, src)
        sample_key = (src.key, label)
        if sample_key not in samples:
            samples[sample_key] = SampleRecord(
                source=src.key,
                label=label,
                kind="material",
                provenance=ctx.provenance(rownum, label_col.header),
            )
        measurements, problems = row_measurements(ctx, cells, rownum, src.key, label)
        setup, cell_problems = row_cell(specs, cells, row=rownum, source=src.key, sample=label,
                                        decimal=raw.decimal, provenance=ctx.provenance(rownum, label_col.header))  # fmt: skip
        problems += cell_problems
        steps, step_problems = row_steps(ctx, cells, rownum, src.key, label)
        recipe = recipes.setdefault(sample_key, {})
        conflict = _recipe_conflict(recipe, steps)
        if conflict is not None:
            filled = not row[label_col.index].strip()
            bundle.problems.append(
                Problem(
                    _conflict_message(label, conflict, filled),
                    "error",
                    file,
                    rownum,
                    label_col.header,
                )
            )
            continue
        repeated = _repeated_values(measurements, stated, rownum)
        if repeated:
            bundle.problems += [
                Problem(message, "error", file, rownum, column) for column, message in repeated
            ]
            continue
        measurements, new_cell = attach_cell(setup, measurements, ELECTROCHEMICAL, cell_setups,
                                             source=src.key, sample=label,
                                             provenance=ctx.provenance(rownum, label_col.header))  # fmt: skip
        if new_cell is not None:
            bundle.cells.append(new_cell)
        new_steps = [sp for sp in steps if _parameter_key(sp) not in recipe]
        recipe.update((_parameter_key(sp), sp) for sp in new_steps)
        bundle.measurements += measurements
        bundle.steps += new_steps  # a sample's repeated rows (several cycles) state its recipe once
        bundle.problems += problems + step_problems
    bundle.sources += list(sources.values())
    bundle.samples += list(samples.values())
    return bundle


_HYPHEN_BREAK = re.compile(r"([-/–])[ \t]*\r?\n\s*")  # "HCM-1300-\nZBE" → "HCM-1300-ZBE"


def _label_text(cells: list[str], label_col: ColumnSpec, specs: list[ColumnSpec]) -> str:
    """The sample label: the label cell (line breaks folded to one space), followed by the cells
    of the map's further label columns (``label: [Sample, Ref.]``) joined with `` / ``."""
    parts = [cells[label_col.index]] + [cells[s.index] for s in specs if s.role == "label_part"]
    parts = [" ".join(_HYPHEN_BREAK.sub(r"\1", p).split()) for p in parts]
    if not parts[0]:
        return ""
    return " / ".join(p for p in parts if p)


def _parameter_key(sp: StepParameterRecord) -> tuple[Any, ...]:
    """Which recipe parameter a step parameter is (its value aside)."""
    return (sp.step, sp.step_type, sp.quantity, sp.substance, sp.basis)


def _recipe_conflict(
    recipe: dict[tuple[Any, ...], StepParameterRecord], steps: list[StepParameterRecord]
) -> tuple[StepParameterRecord, StepParameterRecord] | None:
    """The first parameter of ``steps`` the sample's earlier rows gave another value, as (old, new).

    Rows of one sample are legitimate when they repeat its recipe (or leave it out) and differ in
    conditions (one row per cycle); a different value means two recipes under one label."""
    for sp in steps:
        old = recipe.get(_parameter_key(sp))
        if old is not None and (old.value, old.value_min, old.value_max, old.text_value) != (
            sp.value,
            sp.value_min,
            sp.value_max,
            sp.text_value,
        ):
            return old, sp
    return None


def _repeated_values(
    measurements: list[Any], stated: dict[str, int], row: int
) -> list[tuple[str | None, str]]:
    """(column, message) for each value an earlier row gave for the same sample at the same
    conditions; records the others in ``stated``."""
    out: list[tuple[str | None, str]] = []
    for m in measurements:
        key = measurement_key(m)
        if key in stated and stated[key] != row:
            out.append(
                (
                    m.provenance.column,
                    f"row {stated[key]} already gives {m.property} of {m.sample!r} at the same "
                    "conditions; state what differs (a condition column) or give each row its own label",
                )
            )
        else:
            stated[key] = row
    return out


def _conflict_message(
    label: str, conflict: tuple[StepParameterRecord, StepParameterRecord], filled: bool
) -> str:
    old, new = conflict
    column = new.provenance.column or new.quantity
    shown = f"{column}: {old.raw_value or old.value} in row {old.provenance.row}, {new.raw_value or new.value} here"
    if filled:
        return (
            f"row has no sample label, and the label above ({label!r}, row {old.provenance.row}) has "
            f"another recipe ({shown}); write this row's sample label"
        )
    return (
        f"sample {label!r} is also the label of row {old.provenance.row}, with another recipe "
        f"({shown}); two recipes need two labels (rows of one sample must repeat its recipe)"
    )


def _check_fraction_columns(
    raw: RawTable, specs: list[ColumnSpec], bundle: Bundle, file: str | None
) -> None:
    """A % quantity printed as 0–1 fractions (ICE 0.85) must not be stored as 0.85 %."""
    from anodelab.schema.cells import parse_cell

    for spec in specs:
        term = spec.term
        if spec.role not in ("property", "pair") or term is None or term.unit != "percent":
            continue
        if (
            spec.unit_text not in (None, "%", "(%)")
            or spec.scale_fraction
            or any("percent" in w for w in spec.warnings)
        ):
            continue
        values = []
        for row in raw.rows:
            try:
                cell = parse_cell(row[spec.index], decimal=raw.decimal)
            except AnodelabError:
                continue
            values += [v for v in (cell.value, cell.value_max) if v is not None]
        if values and max(values) <= 1.0:
            spec.problems.append(
                "all values ≤ 1: fractions, not percent? Set `scale: fraction` (or `scale: percent`) for this column in a mapping file"
            )
            bundle.problems.append(Problem(spec.problems[-1], "error", file, None, spec.header))
