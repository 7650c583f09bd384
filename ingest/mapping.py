"""The optional YAML mapping file: what each column of a messy table means.

Example (see docs/how-to-import-a-table.md)::

    source: {doi: 10.1016/j.cej.2024.150001, table: Table 2}
    label: 样品                       # column with the sample labels ([样品, 文献] = label + paper)
    conditions: {current_density: 1 A g-1, cycle: 100}   # fixed for every value of the table
    decimal: ","
    columns:
      首次库伦效率 (%): {property: initial_coulombic_efficiency}
      可逆容量: {property: charge_capacity, unit: mA h g-1}
      ICE: {property: ICE, scale: fraction}     # printed as 0.85: convert to 85 %
      备注: ignore
      平台容量: {property: plateau_capacity_x}  # a term the map adds itself:
    vocabulary:
      - {name: plateau_capacity_x, kind: property, unit: mA h g-1, synonyms: [平台容量]}

A column key matches the header as printed, the header without its unit (``首次库伦效率``), or
``"#3"`` (the third column).  Anything in the file that anodelab does not know is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.term_entries import terms_from_entries
from anodelab.schema.vocabulary import Term, name_key

__all__ = ["ColumnMapping", "TableMapping", "load_mapping", "mapping_from_dict", "REJECTS_COLUMN"]

_TOP_KEYS = {
    "source",
    "label",
    "ref",
    "conditions",
    "columns",
    "decimal",
    "header_rows",
    "sheet",
    "table",
    "fill_down",
    "kind",
    "vocabulary",
}
_COLUMN_KEYS = {
    "value_map",
    "cell",
    "second",
    "property",
    "parameter",
    "condition",
    "role",
    "unit",
    "conditions",
    "scale",
    "fill_down",
    "substance",
    "basis",
}
_ROLES = {"label", "source", "ignore", "property_name", "value", "unit", "conditions"}
# the last column of a rejects file (``import-table --rejects``): ignored when it is re-imported
REJECTS_COLUMN = "refused because"


@dataclass(frozen=True)
class ColumnMapping:
    """What the mapping file says about one column."""

    kind: str | None = None  # property / parameter / condition
    cell: str | None = None  # a cell attribute (electrolyte, binder, loading …)
    second: dict[str, str] | None = None  # what a cell's second number is (ingest.two_values)
    value_map: dict[str, str] = field(default_factory=dict)  # rename cell texts (long tables)
    name: str | None = None
    role: str | None = None  # label / source / ignore / property_name / value / unit
    unit: str | None = None
    conditions: dict[str, str] = field(default_factory=dict)
    scale: str | None = None  # "fraction": values are 0–1 of a % quantity
    fill_down: bool = False


@dataclass(frozen=True)
class TableMapping:
    source_doi: str | None = None
    source_key: str | None = None
    source_text: str | None = None
    table: str | None = None
    label: str | None = None
    label_parts: tuple[str, ...] = ()  # more columns that make up the label (label + paper)
    ref: str | None = None
    conditions: dict[str, str] = field(default_factory=dict)
    columns: dict[str, ColumnMapping] = field(default_factory=dict)
    decimal: str | None = None
    header_rows: int | None = None
    sheet: str | None = None
    fill_down: tuple[str, ...] = ()
    file: str | None = None
    terms: tuple[Term, ...] = ()  # the map's ``vocabulary:`` section (user terms it adds)

    def column(self, header: str, name_part: str, index: int) -> ColumnMapping | None:
        """The mapping of a column, matched by header, header without unit, or ``#n``."""
        for key in (header, name_part, f"#{index + 1}"):
            if key in self.columns:
                return self.columns[key]
        wanted = {name_key(header), name_key(name_part)}
        for key, value in self.columns.items():
            if name_key(key) in wanted:
                return value
        if self.label and name_key(self.label) in wanted:
            return ColumnMapping(role="label", fill_down=name_key(self.label) in self._fill)
        if any(name_key(part) in wanted for part in self.label_parts):
            return ColumnMapping(role="label_part")
        if name_key(REJECTS_COLUMN) in wanted:
            return ColumnMapping(role="ignore")  # the reason column of a rejects file
        if self.ref and name_key(self.ref) in wanted:
            return ColumnMapping(role="source", fill_down=True)
        if wanted & self._fill:
            return ColumnMapping(fill_down=True)
        return None

    def unmatched(self, headers: list[str], name_parts: list[str]) -> list[str]:
        """Column keys (and ``label``/``ref``) of the mapping that match no column of the table:
        a ``"#99"`` of a 6-column table, a misspelt header — errors, never silently ignored."""
        known = {name_key(h) for h in [*headers, *name_parts]}
        known |= {f"#{i + 1}" for i in range(len(headers))}
        keys = [*self.columns, *(k for k in (self.label, self.ref) if k)]
        return [k for k in keys if k not in headers and k not in known and name_key(k) not in known]

    @property
    def _fill(self) -> set[str]:
        return {name_key(c) for c in self.fill_down}


def _conditions(value: Any, where: str, file: str | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: 'conditions' must be a mapping name: value", file=file)
    return {str(k): str(v) for k, v in value.items()}


def _value_map(value: Any, where: str, file: str | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: 'value_map' must map a cell text to its replacement", file=file)
    return {str(k).strip(): "" if v is None else str(v) for k, v in value.items()}


def _second(value: Any, where: str, file: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(
            f"{where}: 'second' must be {{condition: NAME}} or {{property: NAME, unit: U}}",
            file=file,
        )
    return {str(k): str(v) for k, v in value.items()}


def _terms(value: Any, file: str | None) -> tuple[Term, ...]:
    """The ``vocabulary:`` section: a list of user terms (see ``anodelab vocabulary add``)."""
    return terms_from_entries(value, file)


def mapping_from_dict(data: Any, file: str | None = None) -> TableMapping:
    """Validate a parsed mapping (as from YAML); unknown keys are errors, never ignored."""
    if data is None:
        return TableMapping(file=file)
    if not isinstance(data, dict):
        raise InputError("a mapping file must hold a YAML mapping (key: value)", file=file)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise InputError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}", file=file)
    source = data.get("source")
    doi = key = text = None
    table = data.get("table")
    if isinstance(source, dict):
        bad = set(source) - {"doi", "key", "reference", "table"}
        if bad:
            raise InputError(f"source: unknown keys {sorted(bad)}", file=file)
        doi, key, text = source.get("doi"), source.get("key"), source.get("reference")
        table = source.get("table", table)
    elif source is not None:
        text = str(source)
        if text.startswith("10.") or "doi.org/" in text:
            doi, text = text, None
    columns: dict[str, ColumnMapping] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise InputError("'columns' must map a column header to its meaning", file=file)
    for header, spec in raw_columns.items():
        where = f"columns: {header!r}"
        if spec is None or spec == "ignore":
            columns[str(header)] = ColumnMapping(role="ignore")
            continue
        if isinstance(spec, str):
            spec = {"property": spec}
        if not isinstance(spec, dict):
            raise InputError(f"{where}: expected 'ignore' or a mapping", file=file)
        bad = set(spec) - _COLUMN_KEYS
        if bad:
            raise InputError(
                f"{where}: unknown keys {sorted(bad)}; allowed: {sorted(_COLUMN_KEYS)}", file=file
            )
        kinds = [k for k in ("property", "parameter", "condition") if k in spec]
        if len(kinds) + ("role" in spec) + ("cell" in spec) > 1:
            raise InputError(
                f"{where}: give one of property, parameter, condition, cell or role", file=file
            )
        role = spec.get("role")
        if role is not None and role not in _ROLES:
            raise InputError(f"{where}: role must be one of {sorted(_ROLES)}", file=file)
        scale = spec.get("scale")
        if scale not in (None, "fraction", "percent"):
            raise InputError(
                f"{where}: scale must be 'fraction' (values 0–1) or 'percent'", file=file
            )
        columns[str(header)] = ColumnMapping(
            kind=kinds[0] if kinds else None,
            name=str(spec[kinds[0]]) if kinds else None,
            role=role,
            cell=None if spec.get("cell") is None else str(spec["cell"]),
            second=_second(spec.get("second"), where, file),
            value_map=_value_map(spec.get("value_map"), where, file),
            unit=None if spec.get("unit") is None else str(spec["unit"]),
            conditions=_conditions(spec.get("conditions"), where, file),
            scale=scale if scale == "fraction" else None,
            fill_down=bool(spec.get("fill_down", False)),
        )
    decimal = data.get("decimal")
    if decimal not in (None, ".", ","):
        raise InputError("decimal must be '.' or ','", file=file)
    header_rows = data.get("header_rows")
    if header_rows is not None and (not isinstance(header_rows, int) or not 1 <= header_rows <= 5):
        raise InputError("header_rows must be a number from 1 to 5", file=file)
    raw_label = data.get("label")
    labels = (
        [str(x) for x in raw_label]
        if isinstance(raw_label, list)
        else ([] if raw_label is None else [str(raw_label)])
    )
    fill = data.get("fill_down") or []
    if isinstance(fill, str):
        fill = [fill]
    return TableMapping(
        source_doi=None if doi is None else str(doi),
        source_key=None if key is None else str(key),
        source_text=None if text is None else str(text),
        table=None if table is None else str(table),
        label=labels[0] if labels else None,
        label_parts=tuple(labels[1:]),
        ref=None if data.get("ref") is None else str(data["ref"]),
        conditions=_conditions(data.get("conditions"), "top level", file),
        columns=columns,
        decimal=decimal,
        header_rows=header_rows,
        sheet=None if data.get("sheet") is None else str(data["sheet"]),
        fill_down=tuple(str(c) for c in fill),
        file=file,
        terms=_terms(data.get("vocabulary"), file),
    )


def load_mapping(path: str | Path) -> TableMapping:
    """Read and validate a mapping file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the mapping file: {exc}", file=str(path)) from exc
    try:
        return mapping_from_dict(data, str(path))
    except AnodelabError:
        raise
