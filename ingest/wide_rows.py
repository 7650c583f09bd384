"""One row of a messy table → measurement and step-parameter records (used by :mod:`wide`).

Conditions of a value, lowest to highest priority: the mapping file's table-wide conditions,
the condition columns of the same row (current density, cycles, C-rate ...), the conditions in
the property's own header (``Capacity after 500 cycles``) and the mapping's per-column ones.
A row's cycle number does not apply to first-cycle properties (ICE); row conditions apply only
to electrochemical properties (not to BET area or carbon content).

Plausibility (flagged, never silently accepted): values outside the vocabulary's range (ICE >
100 %, a negative resistance) are errors; a specific capacity above the theoretical capacity of
the composite (:func:`anodelab.schema.compositions.composite_capacity_mAh_per_g`, from the row's
Si or C content, else pure Si) is a warning and a ``flags`` entry.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from anodelab.ingest.condition_cells import conditions_from_cell
from anodelab.ingest.headers import ColumnSpec
from anodelab.ingest.two_values import SecondValue, read_second, split_two
from anodelab.schema.cells import CellLocation, CellValue, parse_cell
from anodelab.schema.compositions import composite_capacity_mAh_per_g
from anodelab.schema.errors import AnodelabError
from anodelab.schema.records import (
    ConditionValue,
    MeasurementRecord,
    Problem,
    Provenance,
    StepParameterRecord,
)
from anodelab.schema.units import parse_unit
from anodelab.schema.vocabulary import Term, Vocabulary

__all__ = ["RowContext", "row_measurements", "row_steps", "STEP_ORDER"]

ELECTROCHEMICAL = {
    "discharge_capacity", "charge_capacity", "areal_discharge_capacity", "areal_charge_capacity",
    "discharge_capacity_absolute", "initial_coulombic_efficiency", "coulombic_efficiency",
    "average_coulombic_efficiency", "capacity_retention", "fade_rate", "cycle_life",
    "average_voltage", "specific_energy", "voltage_hysteresis",
}  # fmt: skip
FIRST_CYCLE = {"initial_coulombic_efficiency"}
NOT_AT_ONE_CYCLE = {"cycle_life", "fade_rate", "average_coulombic_efficiency"}
SPECIFIC_CAPACITIES = {"discharge_capacity", "charge_capacity"}
# Order of process steps in a recipe read from a wide table (the table's T_carb is the final
# carbonization, after coating).
STEP_ORDER = [
    "dispersion",
    "spray_drying",
    "pitch_coating",
    "pda_polymerization",
    "carbonization",
    "blending",
]
_STEP_OF_SUBSTANCE = {
    "pitch": ("pitch_coating", "mass_of_total"),
    "dopamine hydrochloride": ("pda_polymerization", "mass_of_si"),
    "graphite": ("blending", "mass_of_active"),
    "dextrin": ("dispersion", None),
    "ZIF-8": ("dispersion", None),
    "Si": ("dispersion", None),
}


@dataclass
class RowContext:
    vocab: Vocabulary
    file: str | None
    locator: str | None
    decimal: str
    specs: list[ColumnSpec]
    fixed: dict[str, ConditionValue] = field(default_factory=dict)
    long_mode: bool = False

    def provenance(self, row: int, column: str) -> Provenance:
        return Provenance(locator=self.locator, file=self.file, row=row, column=column)

    def problem(
        self,
        message: str | Exception,
        row: int,
        column: str | None,
        value: str | None = None,
        severity: Literal["error", "warning"] = "error",
    ) -> Problem:
        if isinstance(message, Exception):
            message = getattr(message, "message", None) or str(message)
        return Problem(str(message), severity, self.file, row, column, value)


def _unit_for(
    spec: ColumnSpec, cell: CellValue, term: Term, unit_cell: str | None = None
) -> tuple[str | None, str | None]:
    """(unit text to convert with, warning) — a cell's own unit wins over the column's."""
    unit = cell.unit_text or (unit_cell or None) or spec.unit_text
    if unit is not None:
        return unit, None
    if term.unit in ("cycle_count", "dimensionless"):
        return None, None
    if term.unit == "percent":
        return "%", None
    raise AnodelabError(
        f"no unit for {term.name}: give it in the header, a unit row or the mapping file"
    )


def _convert(
    term: Term, cell: CellValue, unit: str | None, scale: float
) -> dict[str, float | None]:
    def conv(v: float | None) -> float | None:
        return None if v is None else term.canonical_value(v * scale, unit)

    out = {
        "value": conv(cell.value),
        "value_min": conv(cell.value_min),
        "value_max": conv(cell.value_max),
    }
    if cell.uncertainty is not None and cell.value is not None:
        factor = term.canonical_value(scale, unit) - term.canonical_value(0.0, unit)  # offset-free
        out["uncertainty"] = abs(cell.uncertainty * factor)
    if cell.second is not None:
        out["second"] = conv(cell.second)
    return out


def _rate_term(term: Term, cell_unit: str | None, vocab: Any) -> Term:
    """A current-density column whose cell gives a C-rate (``0.2 C`` among ``0.5 A g−1``, as
    comparison tables mix them) states that row's C-rate, not a current density."""
    if term.name != "current_density" or not cell_unit:
        return term
    try:
        is_c_rate = parse_unit(cell_unit).dimensionality == parse_unit("C_rate").dimensionality
    except AnodelabError:
        return term
    return vocab.get("condition", "c_rate") if is_c_rate else term


def _row_conditions(
    ctx: RowContext, cells: list[str], row: int
) -> tuple[dict[str, ConditionValue], list[Problem]]:
    conditions: dict[str, ConditionValue] = {}
    problems: list[Problem] = []
    for spec in ctx.specs:
        if spec.role == "conditions" and cells[spec.index].strip():
            try:  # a cell packing several conditions: {'temperature': '25 °C'} / "at 0.1 C"
                conditions.update(conditions_from_cell(cells[spec.index], ctx.vocab))
            except AnodelabError as exc:
                problems.append(ctx.problem(exc, row, spec.header, cells[spec.index]))
            continue
        if spec.role != "condition" or spec.term is None or not cells[spec.index].strip():
            continue
        term, text = spec.term, cells[spec.index]
        if not term.is_numeric:
            conditions[term.name] = ConditionValue(text=text.strip(), raw=text)
            continue
        try:
            cell = parse_cell(
                text,
                decimal=ctx.decimal,
                where={"file": ctx.file, "row": row, "column": spec.header},
            )
            if cell.kind != "number" or cell.value is None:  # a "number" cell always has a value
                if cell.kind == "missing":
                    problems.append(
                        ctx.problem(
                            f"no condition value: {cell.reason}", row, spec.header, text, "warning"
                        )
                    )
                else:
                    problems.append(
                        ctx.problem(
                            "a condition must be one number (not a range or pair)",
                            row,
                            spec.header,
                            text,
                        )
                    )
                continue
            unit, _ = _unit_for(spec, cell, term)
            term = _rate_term(term, cell.unit_text, ctx.vocab)
            conditions[term.name] = ConditionValue(
                value=term.canonical_value(
                    cell.value, unit if term is spec.term else cell.unit_text
                ),
                unit=term.unit,
                raw=text.strip(),
            )
        except AnodelabError as exc:
            problems.append(ctx.problem(exc, row, spec.header, text))
    return conditions, problems


# conditions that say how fast a cell was cycled: one column's own rate replaces all of them
RATE_CONDITIONS = frozenset(
    {"current_density", "areal_current_density", "c_rate", "charge_c_rate", "discharge_c_rate"}
)


def _conditions_for(
    term: Term, spec: ColumnSpec, ctx: RowContext, row_conditions: dict[str, ConditionValue]
) -> dict[str, ConditionValue]:
    merged = dict(ctx.fixed)
    # A column with its own rate (a rate-capability column: "Capacity at 5 C", or a map's
    # `conditions: {current_density: 2 A g-1}`) never takes the row's or the table's other rate:
    # 47.8 mA h g⁻¹ at 5 C is not also "at 20 mA g⁻¹".
    own_rate = RATE_CONDITIONS & set(spec.conditions)
    if own_rate:
        merged = {k: v for k, v in merged.items() if k not in RATE_CONDITIONS}
    if term.name in ELECTROCHEMICAL:
        for name, value in row_conditions.items():
            if name == "cycle" and term.name in FIRST_CYCLE | NOT_AT_ONE_CYCLE:
                continue
            if own_rate and name in RATE_CONDITIONS:
                continue
            merged[name] = value
    merged.update(spec.conditions)
    if "c_rate" in merged and spec.one_c_mA_per_g and "current_density" not in merged:
        rate = merged["c_rate"].value or 0.0
        merged["current_density"] = ConditionValue(
            value=rate * spec.one_c_mA_per_g,
            unit="mA/g",
            raw=f"{merged['c_rate'].raw} with {spec.one_c_raw}",
        )
    return merged


def _theoretical_limit(ctx: RowContext, cells: list[str]) -> tuple[float, str]:
    fractions: dict[str, float] = {}
    for spec in ctx.specs:
        if (
            spec.role == "property"
            and spec.term is not None
            and spec.term.name in ("silicon_content", "carbon_content")
        ):
            try:
                cell = parse_cell(cells[spec.index], decimal=ctx.decimal)
                if cell.kind == "number" and cell.value is not None:
                    unit, _ = _unit_for(spec, cell, spec.term)
                    fractions[spec.term.name] = spec.term.canonical_value(cell.value, unit) / 100.0
            except AnodelabError:
                continue
    si = fractions.get("silicon_content")
    if si is not None and 0 <= si <= 1:
        return composite_capacity_mAh_per_g({"Si": si, "C": 1 - si}), f"{si * 100:g} wt% Si + C"
    c = fractions.get("carbon_content")
    if c is not None and 0 <= c <= 1:
        return composite_capacity_mAh_per_g(
            {"Si": 1 - c, "C": c}
        ), f"≤ {100 - c * 100:g} wt% Si + {c * 100:g} wt% C"
    return composite_capacity_mAh_per_g({"Si": 1.0}), "pure Si (no composition in the row)"


def _second_of(
    spec: ColumnSpec, text: str | None, decimal: str
) -> tuple[SecondValue, float, str | None] | None:
    """The map-declared second number of a cell (``1560 @ 100``), or ``None``."""
    if spec.second is None or text is None:
        return None
    value, unit = read_second(spec.second, text, decimal)
    return spec.second, value, unit


def _read_cell(
    ctx: RowContext,
    text: str,
    row: int,
    spec: ColumnSpec,
    problems: list[Problem],
    allow_pair: bool = False,
) -> CellValue | None:
    """The parsed cell, or ``None`` for a blank one or one marked missing (reported as a warning).

    Raises :class:`AnodelabError` for a cell that cannot be read."""
    where: CellLocation = {"file": ctx.file, "row": row, "column": spec.header}
    cell = parse_cell(text, allow_pair=allow_pair, decimal=ctx.decimal, where=where)
    if cell.kind == "blank":
        return None
    if cell.kind == "missing":
        problems.append(ctx.problem(f"no value: {cell.reason}", row, spec.header, text, "warning"))
        return None
    return cell


def _implausible(term: Term, *values: float | None) -> str | None:
    """The first plausibility complaint of ``term`` about ``values`` (``None`` if all are fine)."""
    return next((reason for reason in map(term.check_range, values) if reason), None)


def row_measurements(
    ctx: RowContext, cells: list[str], row: int, source: str, sample: str
) -> tuple[list[MeasurementRecord], list[Problem]]:
    """Measurements of one row (wide: one per property cell; long: the row's value)."""
    row_conditions, problems = _row_conditions(ctx, cells, row)
    for spec in ctx.specs:  # a cell's second number that the map makes a condition of the row
        if spec.second is not None and spec.second.row and not spec.problems:
            row_term = spec.second.term  # `row: true` is refused without a condition term
            second_text = split_two(cells[spec.index])[1]
            try:
                found = _second_of(spec, second_text, ctx.decimal)
            except AnodelabError:
                continue  # reported with the cell itself
            if found is not None and row_term is not None:
                row_conditions[row_term.name] = ConditionValue(
                    value=found[1], unit=row_term.unit, raw=second_text
                )
    records: list[MeasurementRecord] = []
    limit: tuple[float, str] | None = None
    targets: list[tuple[ColumnSpec, list[Term], str | None]] = []
    if ctx.long_mode:
        name_spec = next(s for s in ctx.specs if s.role == "property_name")
        value_spec = next(s for s in ctx.specs if s.role == "value")
        unit_spec = next((s for s in ctx.specs if s.role == "unit"), None)
        name = cells[name_spec.index].strip()
        if not name:
            if cells[value_spec.index].strip():
                problems.append(ctx.problem("value without a property name", row, name_spec.header))
            return records, problems
        term = ctx.vocab.find(name, ("property",))
        if term is None:
            try:
                ctx.vocab.get("property", name)
            except AnodelabError as exc:
                problems.append(ctx.problem(exc, row, name_spec.header, name))
            return records, problems
        unit_cell = cells[unit_spec.index].strip() if unit_spec else None
        targets.append((value_spec, [term], unit_cell))
    else:
        for spec in ctx.specs:
            if spec.role == "property" and spec.term is not None and not spec.problems:
                targets.append((spec, [spec.term], None))
            elif spec.role == "pair" and not spec.problems:
                targets.append((spec, list(spec.pair_terms), None))
    for spec, terms, unit_cell in targets:
        text = original = cells[spec.index]
        second_text = None
        if spec.second is not None:
            text, second_text = split_two(text)
        try:
            extra = _second_of(spec, second_text, ctx.decimal)
            cell = _read_cell(ctx, text, row, spec, problems, allow_pair=len(terms) == 2)
            if cell is None:
                continue
            if len(terms) == 2 and cell.kind != "pair":
                problems.append(
                    ctx.problem(
                        "the header announces a discharge/charge pair but the cell holds one value",
                        row,
                        spec.header,
                        text,
                    )
                )
                continue
            unit, _ = _unit_for(spec, cell, terms[0], unit_cell)
            if unit is not None:
                parse_unit(unit)
            scale = 100.0 if spec.scale_fraction else 1.0
            values = _convert(terms[0], cell, unit, scale)
        except AnodelabError as exc:
            problems.append(ctx.problem(exc, row, spec.header, text))
            continue
        pairs = [(terms[0], values["value"])] + (
            [(terms[1], values["second"])] if len(terms) == 2 else []
        )
        if extra is not None and extra[0].kind == "property" and extra[0].term is not None:
            pairs.append((extra[0].term, extra[1]))
        if extra is not None and extra[0].kind == "range" and values["value"] is not None:
            try:
                other = terms[0].canonical_value(extra[1] * scale, extra[2] or unit)
            except AnodelabError as exc:
                problems.append(ctx.problem(exc, row, spec.header, original))
                continue
            low, high = sorted((values["value"], other))
            values = {**values, "value": None, "value_min": low, "value_max": high}
            pairs = [(terms[0], None)]
        for term, value in pairs:
            conditions = _conditions_for(term, spec, ctx, row_conditions)
            if extra is not None and extra[0].kind == "condition" and extra[0].term is not None:
                conditions[extra[0].term.name] = ConditionValue(
                    value=extra[1], unit=extra[0].term.unit, raw=second_text
                )
            first_only = extra is not None and extra[0].kind == "property" and term is extra[0].term
            flags: list[str] = []
            bad = _implausible(term, value, values["value_min"], values["value_max"])
            if bad:
                problems.append(ctx.problem(f"implausible: {bad}", row, spec.header, text))
                continue
            if term.name in SPECIFIC_CAPACITIES and value is not None:
                limit = limit or _theoretical_limit(ctx, cells)
                if value > limit[0]:
                    flags.append("above_theoretical_capacity")
                    problems.append(ctx.problem(
                        f"{term.name} {value:g} mA h g⁻¹ is above the theoretical capacity {limit[0]:.0f} mA h g⁻¹ of {limit[1]}",
                        row, spec.header, text, "warning"))  # fmt: skip
            if spec.scale_fraction:
                flags.append("converted_from_fraction")
            records.append(
                MeasurementRecord(
                    source=source,
                    sample=sample,
                    property=term.name,
                    value=value,
                    unit=term.unit,
                    value_min=None if first_only else values["value_min"],
                    value_max=None if first_only else values["value_max"],
                    uncertainty=None if first_only else values.get("uncertainty"),
                    uncertainty_kind=None if first_only else cell.uncertainty_kind,
                    qualifier="=" if first_only else cell.qualifier,
                    conditions=conditions,
                    origin="stated",
                    raw_value=(second_text or "").strip() if first_only else text.strip(),
                    raw_unit=extra[2] if first_only and extra is not None else unit,
                    raw=f"{spec.header}: {original.strip()}",
                    note=(
                        "footnote "
                        + ", ".join(unicodedata.normalize("NFKC", f) for f in cell.footnotes)
                    )
                    if cell.footnotes
                    else None,
                    flags=tuple(flags),
                    provenance=ctx.provenance(row, spec.header),
                )
            )
    return records, problems


def _step_target(term: Term) -> tuple[str, str, str | None, str | None] | None:
    source = term.derivation.get("from") or {}
    quantity = source.get("quantity")
    if not quantity:
        return None
    substance = source.get("substance")
    step_type, basis = source.get("step_type"), None
    if substance in _STEP_OF_SUBSTANCE:
        mapped_type, basis = _STEP_OF_SUBSTANCE[substance]
        step_type = step_type or mapped_type
    if quantity != "fraction":
        basis = None
    return step_type or "other", quantity, substance, basis


def row_steps(
    ctx: RowContext, cells: list[str], row: int, source: str, sample: str
) -> tuple[list[StepParameterRecord], list[Problem]]:
    """Recipe parameters of one row → step parameters (``pitch_wt_pct`` → pitch_coating/fraction)."""
    out: list[StepParameterRecord] = []
    problems: list[Problem] = []
    found: list[tuple[str, StepParameterRecord]] = []
    for spec in ctx.specs:
        if spec.role != "parameter" or spec.term is None or spec.problems:
            continue
        text = cells[spec.index]
        target = _step_target(spec.term)
        if target is None:
            if text.strip():
                problems.append(
                    ctx.problem(
                        f"{spec.term.name} is derived from the recipe and cannot be imported from a column",
                        row,
                        spec.header,
                        text,
                    )
                )
            continue
        step_type, quantity, substance, basis = target
        try:
            cell = _read_cell(ctx, text, row, spec, problems)
            if cell is None:
                continue
            if cell.kind == "pair":
                raise AnodelabError("a recipe parameter takes one value or a range")
            qterm = ctx.vocab.get("step_quantity", quantity)
            unit, _ = _unit_for(spec, cell, spec.term)
            values = _convert(qterm, cell, unit, 1.0)
        except AnodelabError as exc:
            problems.append(ctx.problem(exc, row, spec.header, text))
            continue
        bad = _implausible(qterm, values["value"], values["value_min"], values["value_max"])
        if bad:
            problems.append(ctx.problem(f"implausible: {bad}", row, spec.header, text))
            continue
        record = StepParameterRecord(
            source=source, sample=sample, step=0, step_type=step_type, quantity=quantity,
            value=values["value"], unit=qterm.unit, value_min=values["value_min"],
            value_max=values["value_max"], qualifier=cell.qualifier, substance=substance, basis=basis,
            raw_value=text.strip(), raw_unit=unit, raw=f"{spec.header}: {text.strip()}",
            provenance=ctx.provenance(row, spec.header),
        )  # fmt: skip
        found.append((step_type, record))
    order = sorted(
        {t for t, _ in found},
        key=lambda t: (STEP_ORDER.index(t) if t in STEP_ORDER else len(STEP_ORDER), t),
    )
    for step_type, record in found:
        out.append(_with_step(record, order.index(step_type) + 1))
    return out, problems


def _with_step(record: StepParameterRecord, step: int) -> StepParameterRecord:
    from dataclasses import replace

    return replace(record, step=step)
