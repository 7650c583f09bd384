"""The one check every number passes on its way into the KB.

Importers parse text, analyzers compute, users type options and record results; whatever the
route, a number is stored only when

* it is **finite**: ``nan``, ``inf`` and ``1e400`` (which Python reads as ``inf``) are refused,
  never stored (SQLite would store ``nan`` as NULL: a measurement without a value);
* it lies in the **plausible range** of its vocabulary term (``min``/``max`` in
  ``schema/data/*.yaml``), unless a measurement carries the override flag
  :data:`OUTLIER_FLAG` — set by a curator's ``flags=implausible_as_printed`` (with a note saying
  why) or by an analyzer that keeps a measured outlier and warns;
* it is **positive where physical**: masses, areas, loadings, N/P ratios, 1C currents, absolute
  temperatures; counts (cycles, steps) are whole numbers from 1.

:func:`validate_bundle` applies these rules to every record of a
:class:`~anodelab.schema.records.Bundle`; ``kb.write.write_bundle`` calls it before it opens the
transaction, so no import path can store a value that skipped them.  The parse helpers
(:func:`parse_finite`, :func:`whole_number`) give the importers the same rules at the cell
level, with the error naming the file, row and column.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.records import (
    Bundle,
    CellRecord,
    MeasurementRecord,
    Problem,
    Provenance,
    StepParameterRecord,
)
from anodelab.schema.vocabulary import Term, Vocabulary, load_vocabulary

__all__ = [
    "OUTLIER_FLAG",
    "CELL_LIMITS",
    "YEAR_RANGE",
    "parse_finite",
    "require_finite",
    "require_positive",
    "whole_number",
    "validate_bundle",
]

OUTLIER_FLAG = "outside_plausible_range"
YEAR_RANGE = (1800, 2200)

# Cell attributes: (lowest, highest, whether the lowest itself is refused).  Loadings, N/P ratio
# and 1C currents are strictly positive; cut-off voltages are vs. Li/Li⁺ or a full cell (0–6 V).
CELL_LIMITS: dict[str, tuple[float, float, bool]] = {
    "active_mass_loading_mg_per_cm2": (0.0, 1000.0, True),
    "cathode_loading_mg_per_cm2": (0.0, 1000.0, True),
    "np_ratio": (0.0, 100.0, True),
    "voltage_min_V": (0.0, 6.0, False),
    "voltage_max_V": (0.0, 6.0, True),
    "one_c_mA_per_g": (0.0, 1.0e6, True),
    "one_c_mA_per_cm2": (0.0, 1.0e4, True),
    "temperature_C": (-273.15, 1000.0, True),
}

# the cells layout's column for each attribute (docs/data-model.md), named in errors
CELL_COLUMNS = {
    "active_mass_loading_mg_per_cm2": "active_mass_loading",
    "cathode_loading_mg_per_cm2": "cathode_loading",
    "voltage_min_V": "voltage_min",
    "voltage_max_V": "voltage_max",
    "one_c_mA_per_g": "one_c",
    "one_c_mA_per_cm2": "one_c",
    "temperature_C": "temperature",
}


def _where(where: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (where or {}).items() if k in ("file", "row", "column")}


def require_finite(value: float, *, what: str, where: dict[str, Any] | None = None) -> float:
    """``value`` as a float, or :class:`InputError` when it is ``nan`` or infinite."""
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number", value=str(value), **_where(where))
    return number


def parse_finite(text: str, *, what: str, where: dict[str, Any] | None = None) -> float:
    """A number as printed (``−1.5``, thin spaces allowed) that is finite.

    ``"nan"``, ``"inf"`` and ``"1e400"`` (out of double range, read as ``inf``) are refused."""
    cleaned = text.strip().replace("\u2212", "-").replace("\u2009", "").replace("\u202f", "")
    try:
        number = float(cleaned)
    except ValueError:
        raise InputError(f"{what} must be a number", value=text, **_where(where)) from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number", value=text, **_where(where))
    return number


def require_positive(
    value: float | None,
    *,
    what: str,
    unit: str = "",
    allow_zero: bool = False,
    where: dict[str, Any] | None = None,
) -> float | None:
    """``value`` unchanged when it is finite and > 0 (≥ 0 with ``allow_zero``); ``None`` passes."""
    if value is None:
        return None
    number = require_finite(value, what=what, where=where)
    if number < 0 or (number == 0 and not allow_zero):
        shown = f"{number:g}{f' {unit}' if unit else ''}"
        bound = "must not be negative" if allow_zero else "must be positive"
        raise InputError(f"{what} {bound}, got {shown}", **_where(where))
    return number


def whole_number(
    value: float | str, *, what: str, minimum: int = 1, where: dict[str, Any] | None = None
) -> int:
    """A count (cycle, step, year, …): finite, whole and at least ``minimum``."""
    number = (
        parse_finite(value, what=what, where=where)
        if isinstance(value, str)
        else require_finite(value, what=what, where=where)
    )
    if number != int(number) or number < minimum:
        raise InputError(f"{what} must be a whole number ≥ {minimum}, got {value}", **_where(where))
    return int(number)


# -- bundles ---------------------------------------------------------------------------------


def _problem(
    message: str, prov: Provenance, column: str | None = None, value: Any = None
) -> Problem:
    return Problem(
        message,
        file=prov.file,
        row=prov.row,
        column=prov.column or column,
        value=None if value is None else str(value),
    )


def _term(vocab: Vocabulary, kind: str, name: str) -> Term | None:
    try:
        return vocab.get(kind, name)  # type: ignore[arg-type]
    except AnodelabError:
        return None


def _numbers_of_measurement(
    m: MeasurementRecord, vocab: Vocabulary
) -> Iterator[tuple[str, str | None]]:
    """(column, reason) for each unsound number of one measurement."""
    term = _term(vocab, "property", m.property)
    if m.value is None and m.value_min is None and m.value_max is None:
        yield "value", f"{m.property} has no value (give value, or value_min/value_max)"
    outlier_allowed = OUTLIER_FLAG in m.flags
    for column in ("value", "value_min", "value_max"):
        number = getattr(m, column)
        if number is None:
            continue
        if not math.isfinite(number):
            yield column, f"{m.property} {column} = {number} is not a finite number"
        elif term is not None and not outlier_allowed:
            yield column, term.check_range(number)
    if m.value_min is not None and m.value_max is not None and m.value_min > m.value_max:
        yield "value_min", f"value_min {m.value_min:g} is above value_max {m.value_max:g}"
    if m.uncertainty is not None and (not math.isfinite(m.uncertainty) or m.uncertainty < 0):
        yield "uncertainty", f"uncertainty {m.uncertainty} must be a finite number ≥ 0"
    for name, cond in m.conditions.items():
        if cond.value is None:
            continue
        if not math.isfinite(cond.value):
            yield "conditions", f"condition {name} = {cond.value} is not a finite number"
            continue
        cterm = _term(vocab, "condition", name)
        if cterm is not None:
            reason = cterm.check_range(cond.value)
            if reason:
                yield "conditions", f"condition {reason}"


def _numbers_of_step(
    sp: StepParameterRecord, vocab: Vocabulary
) -> Iterator[tuple[str, str | None]]:
    if sp.step < 1:
        yield "step", f"step {sp.step} must be a whole number ≥ 1"
    term = _term(vocab, "step_quantity", sp.quantity)
    numbers = [(c, getattr(sp, c)) for c in ("value", "value_min", "value_max")]
    if term is not None and term.is_numeric and all(v is None for _, v in numbers):
        yield "value", f"{sp.quantity} has no value"
    for column, number in numbers:
        if number is None:
            continue
        if not math.isfinite(number):
            yield column, f"{sp.quantity} {column} = {number} is not a finite number"
        elif term is not None:
            yield column, term.check_range(number)


def _numbers_of_cell(cell: CellRecord) -> Iterator[tuple[str, str | None]]:
    for column, (low, high, low_refused) in CELL_LIMITS.items():
        number = getattr(cell, column)
        if number is None:
            continue
        name = CELL_COLUMNS.get(column, column)
        if not math.isfinite(number):
            yield name, f"cell {column} = {number} is not a finite number"
        elif number < low or (low_refused and number == low) or number > high:
            low_side = f"> {low:g}" if low_refused else f"≥ {low:g}"
            yield name, f"cell {column} = {number:g} must be {low_side} and ≤ {high:g}"
    vmin, vmax = cell.voltage_min_V, cell.voltage_max_V
    if vmin is not None and vmax is not None and vmin >= vmax:
        yield (
            "voltage_min",
            f"cut-off voltages {vmin:g} V – {vmax:g} V: the lower is not below the upper",
        )


def validate_bundle(bundle: Bundle, vocab: Vocabulary | None = None) -> list[Problem]:
    """Every unsound number of ``bundle`` as an error naming file, row and column (empty: sound)."""
    vocab = vocab or load_vocabulary()
    problems: list[Problem] = []
    for src in bundle.sources:
        if src.year is not None and not (
            isinstance(src.year, int) and YEAR_RANGE[0] <= src.year <= YEAR_RANGE[1]
        ):
            problems.append(
                Problem(
                    f"source {src.key!r}: year must be a whole number from {YEAR_RANGE[0]} to "
                    f"{YEAR_RANGE[1]}",
                    column="year",
                    value=str(src.year),
                )
            )
    checked: list[tuple[Any, Iterator[tuple[str, str | None]]]] = [
        *((sp, _numbers_of_step(sp, vocab)) for sp in bundle.steps),
        *((c, _numbers_of_cell(c)) for c in bundle.cells),
        *((m, _numbers_of_measurement(m, vocab)) for m in bundle.measurements),
    ]
    for record, reasons in checked:
        for column, reason in reasons:
            if reason:
                problems.append(_problem(reason, record.provenance, column))
    return problems
