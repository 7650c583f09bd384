"""Rows of a table in the documented layout (docs/table-layout.md) → schema records.

Each ``*_from_rows`` function takes the table as a list of ``{column: text}`` dicts and returns a
:class:`~anodelab.schema.records.Bundle` whose problems name file, row and column.  Rows are numbered as a spreadsheet shows them — the header is row 1,
the first data row row 2 — like the literature importer's, in messages and stored provenance.
Nothing here touches the KB.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from anodelab.schema.compositions import formula_of
from anodelab.schema.conditions import parse_conditions, split_number_unit
from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.records import (
    QUALIFIERS,
    SAMPLE_KINDS,
    SOURCE_KINDS,
    UNCERTAINTY_KINDS,
    Bundle,
    CellRecord,
    MeasurementRecord,
    Problem,
    Provenance,
    SampleRecord,
    SourceRecord,
    StepParameterRecord,
    step_parameter_key,
    step_value_difference,
)
from anodelab.schema.units import to_canonical
from anodelab.schema.validation import YEAR_RANGE, parse_finite, whole_number
from anodelab.schema.vocabulary import load_vocabulary

__all__ = ["LAYOUTS", "detect_layout", "missing_layout_columns", "bundle_from_rows"]

LAYOUTS: dict[str, dict[str, set[str]]] = {
    "sources": {
        "required": {"source", "kind"},
        "optional": {"doi", "title", "year", "authors", "journal", "license"},
    },
    "samples": {
        "required": {"source", "sample", "kind"},
        "optional": {"family", "parents", "members", "description", "locator"},
    },
    "steps": {
        "required": {"source", "sample", "step", "step_type", "quantity"},
        "optional": {
            "substance",
            "value",
            "unit",
            "value_min",
            "value_max",
            "qualifier",
            "basis",
            "raw",
            "locator",
            "note",
        },
    },
    "cells": {
        "required": {"source", "cell", "sample", "cell_type"},
        "optional": {
            "format",
            "counter_electrode",
            "cathode",
            "electrolyte",
            "separator",
            "binder",
            "electrode_composition",
            "active_mass_loading",
            "cathode_loading",
            "loading_unit",
            "np_ratio",
            "voltage_min",
            "voltage_max",
            "one_c",
            "blend_ratio",
            "temperature",
            "locator",
            "note",
        },
    },  # fmt: skip
    "measurements": {
        "required": {"source", "sample", "property"},
        "optional": {
            "value",
            "unit",
            "value_min",
            "value_max",
            "uncertainty",
            "uncertainty_kind",
            "qualifier",
            "conditions",
            "cell",
            "basis",
            "raw",
            "locator",
            "note",
            "flags",
        },
    },  # fmt: skip
}

#: ``flags`` a curator may set on a measurement row: a number the paper states that is outside
#: the vocabulary's plausible range (a printing error) is stored as printed, flagged, instead of
#: refused — every stated number belongs in the KB, and the flag keeps it out of trusted answers.
AS_PRINTED = "implausible_as_printed"
_ORDER = ["sources", "cells", "steps", "samples", "measurements"]  # most specific first
_QUALIFIER_ALIASES = {"": "=", "~": "≈", "approx": "≈", "ca.": "≈", "<=": "≤", ">=": "≥", "≈": "≈"}


def detect_layout(columns: list[str]) -> str | None:
    """The documented layout a header belongs to, or ``None`` (a messy table)."""
    cols = {c.strip() for c in columns}
    for name in _ORDER:
        spec = LAYOUTS[name]
        if spec["required"] <= cols and cols <= spec["required"] | spec["optional"]:
            return name
    return None


def missing_layout_columns(columns: list[str]) -> dict[str, list[str]]:
    """For a header that is a documented layout but for missing required columns: layout → missing.

    Every column must be one of the layout's, and at least two of its required columns present
    (``source,sample,value,unit`` is a measurements table without ``property``).  Only the
    layouts that miss the fewest columns are returned; ``{}`` when the header is no near layout
    (a messy literature table) or a complete one.
    """
    cols = {c.strip() for c in columns}
    near: dict[str, list[str]] = {}
    for name in _ORDER:
        spec = LAYOUTS[name]
        missing = sorted(spec["required"] - cols)
        if (
            missing
            and cols <= spec["required"] | spec["optional"]
            and len(spec["required"] & cols) >= 2
        ):
            near[name] = missing
    if not near:
        return {}
    fewest = min(len(m) for m in near.values())
    return {name: missing for name, missing in near.items() if len(missing) == fewest}


def _text(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _number(row: dict[str, Any], column: str, where: dict[str, Any]) -> float | None:
    """The cell's number (finite: ``nan``, ``inf``, ``1e400`` are refused), or None when blank."""
    text = _text(row, column)
    if not text:
        return None
    return parse_finite(text, what=column, where={**where, "column": column})


def _qualifier(row: dict[str, Any], where: dict[str, Any]) -> str:
    text = _text(row, "qualifier")
    text = _QUALIFIER_ALIASES.get(text, text)
    if text not in QUALIFIERS:
        raise InputError(
            f"qualifier must be one of {' '.join(QUALIFIERS)}",
            column="qualifier",
            value=text,
            **where,
        )
    return text


def _labels(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _source(row: dict[str, Any], where: dict[str, Any], prov: Provenance) -> SourceRecord:
    kind = _text(row, "kind")
    if kind not in SOURCE_KINDS:
        raise InputError(
            f"kind must be one of {', '.join(SOURCE_KINDS)}", column="kind", value=kind, **where
        )
    year_text = _text(row, "year")
    year = (
        whole_number(
            year_text, what="year", minimum=YEAR_RANGE[0], where={**where, "column": "year"}
        )
        if year_text
        else None
    )
    return SourceRecord(
        key=_text(row, "source"),
        kind=kind,
        doi=_text(row, "doi") or None,
        title=_text(row, "title") or None,
        year=int(year) if year is not None else None,
        authors=_text(row, "authors") or None,
        journal=_text(row, "journal") or None,
        license=_text(row, "license") or None,
    )


def _sample(row: dict[str, Any], where: dict[str, Any], prov: Provenance) -> SampleRecord:
    kind = _text(row, "kind")
    if kind not in SAMPLE_KINDS:
        raise InputError(
            f"kind must be one of {', '.join(SAMPLE_KINDS)}", column="kind", value=kind, **where
        )
    members = _labels(_text(row, "members"))
    if members and kind != "group":
        raise InputError("only kind=group samples have members", column="members", **where)
    if kind == "group" and not members:
        raise InputError("a group needs its members", column="members", **where)
    return SampleRecord(
        source=_text(row, "source"),
        label=_text(row, "sample"),
        kind=kind,
        family=_text(row, "family") or None,
        parents=_labels(_text(row, "parents")),
        members=members,
        description=_text(row, "description") or None,
        provenance=prov,
    )


def _step(row: dict[str, Any], where: dict[str, Any], prov: Provenance) -> StepParameterRecord:
    vocab = load_vocabulary()
    try:
        step_type = vocab.check_step_type(_text(row, "step_type"))
    except AnodelabError as exc:
        raise InputError(str(exc), column="step_type", **where) from exc
    try:
        term = vocab.get("step_quantity", _text(row, "quantity"))
    except AnodelabError as exc:
        raise InputError(str(exc), column="quantity", **where) from exc
    if not _text(row, "step"):
        raise InputError("step must be a positive whole number", column="step", **where)
    step = whole_number(_text(row, "step"), what="step", where={**where, "column": "step"})
    basis = _text(row, "basis") or None
    if basis is not None:
        try:
            vocab.check_fraction_basis(basis)
        except AnodelabError as exc:
            raise InputError(str(exc), column="basis", **where) from exc
    elif term.name == "fraction":
        raise InputError(
            "a fraction needs its basis (what it is a fraction of)", column="basis", **where
        )
    unit = _text(row, "unit") or None
    values: dict[str, Any] = {}
    if term.is_numeric:
        for column in ("value", "value_min", "value_max"):
            number = _number(row, column, where)
            if number is not None:
                canonical = term.canonical_value(number, unit, where={**where, "column": column})
                reason = term.check_range(canonical)
                if reason:
                    raise InputError(reason, column=column, value=_text(row, column), **where)
                values[column] = canonical
        if not values:
            raise InputError("no value", column="value", **where)
    elif not _text(row, "value"):
        raise InputError("no value", column="value", **where)
    return StepParameterRecord(
        source=_text(row, "source"),
        sample=_text(row, "sample"),
        step=int(step),
        step_type=step_type,
        quantity=term.name,
        value=values.get("value"),
        unit=term.unit,
        text_value=None if term.is_numeric else _text(row, "value"),
        value_min=values.get("value_min"),
        value_max=values.get("value_max"),
        qualifier=_qualifier(row, where),
        substance=_text(row, "substance") or None,
        basis=basis,
        raw_value=_text(row, "value") or None,
        raw_unit=unit,
        raw=_text(row, "raw") or None,
        provenance=prov,
    )


def _one_c(text: str, where: dict[str, Any]) -> tuple[float | None, float | None]:
    """The 1C definition: ``"1 C = 200 mA g−1"`` → (200, None); ``"1 C ≈ 2.2 mA cm−2"`` → (None, 2.2).

    Returned as (mA g⁻¹, mA cm⁻²); whichever the paper states.  Anything else is refused.
    """
    if not text:
        return None, None
    rhs = re.split(r"[=≈~]", text, maxsplit=1)[1] if re.search(r"[=≈~]", text) else text
    try:
        value, unit = split_number_unit(rhs)
        try:
            return to_canonical(value, unit, "mA/g", what="1C definition"), None
        except AnodelabError:
            return None, to_canonical(value, unit, "mA/cm**2", what="1C definition")
    except (ValueError, AnodelabError) as exc:
        raise InputError(
            f"cannot read the 1C definition (give a specific current like '1 C = 200 mA g−1' or an areal one "
            f"like '1 C = 2.2 mA cm−2'): {exc}",
            column="one_c",
            value=text,
            **where,
        ) from None


def _cell(row: dict[str, Any], where: dict[str, Any], prov: Provenance) -> CellRecord:
    cell_type = _text(row, "cell_type")
    if cell_type not in ("half", "full"):
        raise InputError(
            "cell_type must be half or full", column="cell_type", value=cell_type, **where
        )
    loading_unit = _text(row, "loading_unit") or "mg/cm2"

    def loading(column: str) -> float | None:
        number = _number(row, column, where)
        if number is None:
            return None
        try:
            return to_canonical(number, loading_unit, "mg/cm**2", what=column)
        except AnodelabError as exc:
            raise InputError(str(exc), column="loading_unit", **where) from exc

    temperature = None
    if _text(row, "temperature"):
        try:
            value, unit = split_number_unit(_text(row, "temperature"))
            temperature = to_canonical(value, unit or "degC", "degC", what="temperature")
        except (ValueError, AnodelabError) as exc:
            raise InputError(str(exc), column="temperature", **where) from None
    cathode = _text(row, "cathode") or None
    one_c = _one_c(_text(row, "one_c"), where)
    return CellRecord(
        source=_text(row, "source"),
        label=_text(row, "cell"),
        sample=_text(row, "sample"),
        cell_type=cell_type,  # type: ignore[arg-type]
        format=_text(row, "format") or None,
        counter_electrode=_text(row, "counter_electrode") or None,
        cathode=cathode,
        cathode_formula=_cathode_formula(cathode),
        electrolyte=_text(row, "electrolyte") or None,
        separator=_text(row, "separator") or None,
        binder=_text(row, "binder") or None,
        electrode_composition=_text(row, "electrode_composition") or None,
        active_mass_loading_mg_per_cm2=loading("active_mass_loading"),
        cathode_loading_mg_per_cm2=loading("cathode_loading"),
        np_ratio=_number(row, "np_ratio", where),
        voltage_min_V=_number(row, "voltage_min", where),
        voltage_max_V=_number(row, "voltage_max", where),
        one_c_mA_per_g=one_c[0],
        one_c_mA_per_cm2=one_c[1],
        one_c_raw=_text(row, "one_c") or None,
        blend_ratio=_text(row, "blend_ratio") or None,
        temperature_C=temperature,
        note=_text(row, "note") or None,
        provenance=prov,
    )


def _cathode_formula(name: str | None) -> str | None:
    """Reduced formula of a cathode named by formula or a common alias (NCM811 → LiNi0.8Co0.1Mn0.1O2)."""
    if not name:
        return None
    return formula_of(name)


def _measurement(row: dict[str, Any], where: dict[str, Any], prov: Provenance) -> MeasurementRecord:
    vocab = load_vocabulary()
    try:
        term = vocab.get("property", _text(row, "property"))
    except AnodelabError as exc:
        raise InputError(str(exc), column="property", **where) from exc
    unit = _text(row, "unit") or None
    flags = tuple(f.strip() for f in (_text(row, "flags") or "").split(";") if f.strip())
    unknown = [f for f in flags if f != AS_PRINTED]
    if unknown:
        raise InputError(
            f"unknown flag(s) {unknown}; the one a curator sets is {AS_PRINTED}",
            column="flags",
            **where,
        )
    as_printed = AS_PRINTED in flags
    if as_printed and not _text(row, "note"):
        raise InputError(f"flags={AS_PRINTED} needs a note saying why", column="note", **where)
    values: dict[str, float] = {}
    for column in ("value", "value_min", "value_max", "uncertainty"):
        number = _number(row, column, where)
        if number is None:
            continue
        if column == "uncertainty" and term.unit in ("degC",):  # an uncertainty is a difference
            values[column] = number
            continue
        canonical = term.canonical_value(number, unit, where={**where, "column": column})
        if column != "uncertainty":
            reason = term.check_range(canonical)
            if reason and not as_printed:
                raise InputError(
                    f"{reason} (if the paper prints it so, set flags={AS_PRINTED} and say why"
                    " in note)",
                    column=column,
                    value=_text(row, column),
                    **where,
                )
        elif canonical < 0:
            raise InputError("uncertainty must not be negative", column=column, **where)
        values[column] = canonical
    if "value" not in values and not ("value_min" in values or "value_max" in values):
        raise InputError(
            "no value (give value, or value_min/value_max for a range)", column="value", **where
        )
    if (
        "value_min" in values
        and "value_max" in values
        and values["value_min"] > values["value_max"]
    ):
        raise InputError("value_min is larger than value_max", column="value_min", **where)
    kind = _text(row, "uncertainty_kind") or ("unspecified" if "uncertainty" in values else None)
    if kind is not None and kind not in UNCERTAINTY_KINDS:
        raise InputError(
            f"uncertainty_kind must be one of {', '.join(UNCERTAINTY_KINDS)}",
            column="uncertainty_kind",
            value=kind,
            **where,
        )
    conditions = parse_conditions(_text(row, "conditions") or None, column="conditions", **where)
    return MeasurementRecord(
        source=_text(row, "source"),
        sample=_text(row, "sample"),
        property=term.name,
        value=values.get("value"),
        unit=term.unit,
        value_min=values.get("value_min"),
        value_max=values.get("value_max"),
        uncertainty=values.get("uncertainty"),
        uncertainty_kind=kind,
        qualifier=_qualifier(row, where),
        conditions=conditions,
        cell=_text(row, "cell") or None,
        basis=_text(row, "basis") or None,
        raw_value=_text(row, "value") or None,
        raw_unit=unit,
        raw=_text(row, "raw") or None,
        note=_text(row, "note") or None,
        flags=("outside_plausible_range", AS_PRINTED) if as_printed else (),
        provenance=prov,
    )


_BUILDERS: dict[str, tuple[str, Callable[[dict[str, Any], dict[str, Any], Provenance], Any]]] = {
    "sources": ("sources", _source),
    "samples": ("samples", _sample),
    "steps": ("steps", _step),
    "cells": ("cells", _cell),
    "measurements": ("measurements", _measurement),
}


def bundle_from_rows(
    layout: str,
    rows: list[dict[str, Any]],
    *,
    file: str,
    source: str | None = None,
    first_row: int = 2,
) -> Bundle:
    """Convert documented-layout rows to a Bundle; every bad cell becomes a Problem (nothing dropped).

    ``first_row`` is the row number of ``rows[0]`` in the file (2: the row under a one-row header)."""
    attr, build = _BUILDERS[layout]
    bundle = Bundle()
    target = getattr(bundle, attr)
    for offset, row in enumerate(rows):
        if all(not _text(row, c) for c in row):
            continue  # a blank line
        if source is not None:
            given = _text(row, "source")
            if given and given != source:
                bundle.problems.append(
                    Problem(
                        f"row names source {given!r} but the import is for {source!r}",
                        file=file,
                        row=first_row + offset,
                        column="source",
                        value=given,
                    )
                )
                continue
            row = {**row, "source": source}
        where = {"file": file, "row": first_row + offset}
        missing = [c for c in sorted(LAYOUTS[layout]["required"]) if not _text(row, c)]
        if missing:
            bundle.problems.append(
                Problem(
                    f"empty required column(s) {', '.join(missing)}",
                    file=file,
                    row=first_row + offset,
                    column=missing[0],
                )
            )
            continue
        prov = Provenance(locator=_text(row, "locator") or None, file=file, row=first_row + offset)
        try:
            target.append(build(row, where, prov))
        except InputError as exc:
            bundle.problems.append(
                Problem(
                    exc.message,
                    file=file,
                    row=exc.row,
                    column=exc.column,
                    value=None if exc.value is None else str(exc.value),
                )
            )
        except AnodelabError as exc:
            bundle.problems.append(Problem(str(exc), file=file, row=first_row + offset))
    _check_duplicate_keys(bundle, file)
    bundle.steps = _check_repeated_step_parameters(bundle.steps, bundle.problems, file)
    return bundle


def _check_duplicate_keys(bundle: Bundle, file: str) -> None:
    seen: dict[str, int | None] = {}
    for m in bundle.measurements:
        conds = ";".join(f"{k}={v.display()}" for k, v in sorted(m.conditions.items()))
        key = f"{m.sample}|{m.property}|{m.cell}|{m.basis}|{conds}|{m.note or ''}"
        if key in seen:
            bundle.problems.append(
                Problem(
                    f"same sample, property, cell and conditions as row {seen[key]}: state what differs (conditions, cell or note)",
                    severity="warning",
                    file=file,
                    row=m.provenance.row,
                )
            )
        seen[key] = m.provenance.row
    labels: dict[str, int | None] = {}
    for s in bundle.samples:
        if s.label in labels:
            bundle.problems.append(
                Problem(
                    f"sample {s.label!r} defined twice (first in row {labels[s.label]})",
                    file=file,
                    row=s.provenance.row,
                    column="sample",
                )
            )
        labels[s.label] = s.provenance.row


def _step_name(sp: StepParameterRecord) -> str:
    """``temperature of step 2 (carbonization) of sample 'A'``; ``fraction of pitch (basis …)``."""
    what = sp.quantity + (f" of {sp.substance}" if sp.substance else "")
    what += f" (basis {sp.basis})" if sp.basis else ""
    return f"{what} of step {sp.step} ({sp.step_type}) of sample {sp.sample!r}"


def _shown(sp: StepParameterRecord) -> str:
    """The value as the row gives it: ``700 °C``, ``≈ 2 h``, ``600–800 °C``, ``N2``."""
    if sp.raw_value:
        text = sp.raw_value
    elif sp.value_min is not None or sp.value_max is not None:
        text = "–".join(f"{v:g}" if v is not None else "?" for v in (sp.value_min, sp.value_max))
    else:
        text = "?"
    qualifier = "" if sp.qualifier == "=" else f"{sp.qualifier} "
    unit = f" {sp.raw_unit}" if sp.raw_unit else ""
    return f"{qualifier}{text}{unit}"


def _check_repeated_step_parameters(
    steps: list[StepParameterRecord], problems: list[Problem], file: str
) -> list[StepParameterRecord]:
    """One step (rows with the same source, sample and ``step`` number) has one step type and one
    value per parameter (quantity, substance, basis).  A second row for the same parameter with
    another value is a contradiction (an error naming both rows); with the same value it is a
    repeat (a copy-paste: a warning, as for repeated measurement rows, and it is kept once).
    The same step type under another step number is another step (two carbonizations), not a
    repeat.  Returns the step parameters without the repeats."""
    types: dict[tuple[str, str, int], StepParameterRecord] = {}
    seen: dict[tuple[Any, ...], StepParameterRecord] = {}
    kept: list[StepParameterRecord] = []
    for sp in steps:
        step_key = (sp.source, sp.sample, sp.step)
        first = types.setdefault(step_key, sp)
        if first.step_type != sp.step_type:
            problems.append(
                Problem(
                    f"step {sp.step} of sample {sp.sample!r} is a {first.step_type!r} step in row "
                    f"{first.provenance.row} and a {sp.step_type!r} step here; rows with the same "
                    "sample and step number are one step — give the other step its own number",
                    file=file,
                    row=sp.provenance.row,
                    column="step_type",
                    value=sp.step_type,
                )
            )
            continue
        key = step_parameter_key(sp)
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = sp
            kept.append(sp)
            continue
        column = step_value_difference(earlier, sp)
        if column is None:
            before, here = _shown(earlier), _shown(sp)
            stated = (
                f"is {before} in both; kept once (a copy-paste? delete one of the rows)"
                if before == here
                else f"is {before} there and {here} here, the same value; kept once (delete one "
                "of the rows)"
            )
            problems.append(
                Problem(
                    f"repeats row {earlier.provenance.row}: {_step_name(sp)} {stated}",
                    severity="warning",
                    file=file,
                    row=sp.provenance.row,
                    column="quantity",
                )
            )
            continue
        problems.append(
            Problem(
                f"{_step_name(sp)} is given twice with different values: {_shown(earlier)} in row "
                f"{earlier.provenance.row}, {_shown(sp)} in row {sp.provenance.row}; one step has "
                f"one {sp.quantity} — correct the wrong row, or, if these are two {sp.step_type} "
                "steps, give the second its own step number",
                file=file,
                row=sp.provenance.row,
                column=column,
                value=sp.raw_value,
            )
        )
    return kept
