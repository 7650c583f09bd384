"""Cell attributes as columns of a wide table: electrolyte, binder, counter electrode, separator,
mass loading, N/P ratio.

A review table often gives the test cell next to the values (``Electrolyte``: ``1 M LiPF6 in
EC/DEC + 5% FEC``; ``Loading (mg cm−2)``: ``1.2``).  Those columns describe the *cell* the
electrochemical values of the row were measured in, not the material: each row with any of them
gets a :class:`~anodelab.schema.records.CellRecord` (one per distinct setup of a sample) and the
row's electrochemical values point at it.  Headers are recognised by name (English and Chinese),
or a map says ``{cell: electrolyte}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from anodelab.ingest.headers import ColumnSpec, header_name_part
from anodelab.schema.cells import parse_cell
from anodelab.schema.errors import AnodelabError
from anodelab.schema.records import CellRecord, MeasurementRecord, Problem, Provenance
from anodelab.schema.units import to_canonical
from anodelab.schema.vocabulary import name_key

__all__ = ["CELL_FIELDS", "cell_field", "row_cell", "attach_cell"]

# CellRecord field → (canonical unit or None for text, names a header may use)
CELL_FIELDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "electrolyte": (None, ("electrolyte", "electrolytes", "电解液", "电解质")),
    "binder": (None, ("binder", "binders", "粘结剂", "黏结剂")),
    "counter_electrode": (None, ("counter electrode", "counter/reference electrode", "对电极")),
    "separator": (None, ("separator", "隔膜")),
    "active_mass_loading_mg_per_cm2": (
        "mg/cm**2",
        (
            "loading",
            "mass loading",
            "active mass loading",
            "areal loading",
            "active material loading",
            "负载量",
            "面载量",
        ),
    ),  # fmt: skip
    "np_ratio": ("dimensionless", ("N/P", "N/P ratio", "NP ratio", "n/p ratio", "N:P")),
    "electrode_composition": (None, ("electrode composition", "active:binder:carbon", "电极组成")),
}
_BY_NAME = {name_key(n): field for field, (_, names) in CELL_FIELDS.items() for n in names}


def cell_field(header: str, mapped: str | None = None) -> str | None:
    """The :class:`CellRecord` field a column gives (from the map's ``cell:`` or its header)."""
    if mapped is not None:
        key = name_key(mapped)
        field = mapped if mapped in CELL_FIELDS else _BY_NAME.get(key)
        if field is None:
            raise AnodelabError(
                f"cell attribute {mapped!r} unknown; one of {', '.join(CELL_FIELDS)}"
            )
        return field
    return _BY_NAME.get(name_key(header_name_part(header)))


def _value(spec: ColumnSpec, text: str, decimal: str) -> Any:
    unit, _ = CELL_FIELDS[spec.name_text]
    if unit is None:
        return " ".join(text.split())
    cell = parse_cell(text, decimal=decimal)
    if cell.value is None:
        raise AnodelabError(f"{spec.name_text}: not a single number: {text!r}")
    given = cell.unit_text or spec.unit_text or (None if unit == "dimensionless" else unit)
    return to_canonical(cell.value, given, unit, what=spec.name_text)


def row_cell(
    specs: list[ColumnSpec],
    cells: list[str],
    *,
    row: int,
    source: str,
    sample: str,
    decimal: str,
    provenance: Provenance,
) -> tuple[dict[str, Any], list[Problem]]:
    """The cell attributes one row states (field → value), and the cells that could not be read."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in specs:
        if spec.role != "cell_attribute":
            continue
        text = cells[spec.index].strip()
        if not text or text in ("-", "–", "—", "n/a", "N/A"):
            continue
        try:
            values[spec.name_text] = _value(spec, text, decimal)
        except Exception as exc:  # noqa: BLE001 - every failure is reported on the cell
            problems.append(Problem(str(exc), "error", provenance.file, row, spec.header, text))
    return values, problems


def attach_cell(
    values: dict[str, Any],
    measurements: list[MeasurementRecord],
    electrochemical: set[str] | frozenset[str],
    known: dict[tuple[str, str, tuple[tuple[str, Any], ...]], CellRecord],
    *,
    source: str,
    sample: str,
    provenance: Provenance,
) -> tuple[list[MeasurementRecord], CellRecord | None]:
    """Point the row's electrochemical values at the cell ``values`` describe (one cell per
    distinct setup of a sample: ``HC-1 cell``, ``HC-1 cell 2`` …); returns the new cell, if any."""
    if not values:
        return measurements, None
    key = (source, sample, tuple(sorted(values.items())))
    new = None
    if key not in known:
        n = sum(1 for k in known if k[:2] == (source, sample)) + 1
        label = f"{sample} cell" + (f" {n}" if n > 1 else "")
        new = CellRecord(source=source, label=label, sample=sample, provenance=provenance, **values)
        known[key] = new
    label = known[key].label
    linked = [replace(m, cell=label) if m.property in electrochemical else m for m in measurements]
    return linked, new
