"""Analyzer options given either as a number in the documented unit or as text with a unit.

``as_float("1.13cm2", "cm**2") == 1.13``, ``as_float("5um", "cm") == 5e-4``,
``as_float(2.1, "mg") == 2.1`` — so the CLI can pass ``--area 1.13cm2`` straight through and a
notebook can pass plain floats in the unit the parameter name states.
"""

from __future__ import annotations

from anodelab.schema.conditions import split_number_unit
from anodelab.schema.errors import UnitError
from anodelab.schema.units import to_canonical

__all__ = ["as_float", "FARADAY_C_PER_MOL", "GAS_CONSTANT_J_PER_MOL_K"]

FARADAY_C_PER_MOL = 96485.33212
GAS_CONSTANT_J_PER_MOL_K = 8.314462618


def as_float(value: float | int | str | None, unit: str, *, what: str = "value") -> float | None:
    """``value`` converted to ``unit``; numbers are taken as already in ``unit``; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number, unit_text = split_number_unit(str(value))
    except ValueError:
        raise UnitError(
            f"{what}: cannot read {value!r} as a number with a unit (e.g. '1.13 cm2')"
        ) from None
    if not unit_text:
        return number
    return to_canonical(number, unit_text, unit, what=what)
