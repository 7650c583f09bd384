"""Conditions a value was measured at, written as ``name=value unit`` pairs.

The same syntax serves the literature tables (``conditions`` column), the command line
(``--at cycle=500 --at current_density=1A/g``) and the Python API
(``conditions={"cycle": 500, "current_density": "1 A/g"}``):

>>> spec = ConditionSpec.parse("current_density=1 A g−1; cycle=500")
>>> spec.to_dict()
{'current_density': {'value': 1000.0, 'unit': 'mA g⁻¹'}, 'cycle': {'value': 500.0, 'unit': 'cycles'}}
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anodelab.schema.cells import parse_quantity
from anodelab.schema.errors import InputError
from anodelab.schema.records import ConditionValue
from anodelab.schema.vocabulary import load_vocabulary

__all__ = ["ConditionSpec", "conditions_label", "parse_conditions", "split_number_unit"]


def conditions_label(conditions: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """Canonical conditions for people: ``current_density 1000 mA g⁻¹, cycle 500``.

    Values are in the vocabulary's canonical units (as stored); a cycle number is a count and
    gets no unit word; text values are shown as they are.

    >>> conditions_label({"current_density": 1000.0, "cycle": 500.0})
    'current_density 1000 mA g⁻¹, cycle 500'
    """
    items = conditions.items() if isinstance(conditions, Mapping) else conditions
    vocabulary = load_vocabulary()
    parts = []
    for name, value in items:
        term = vocabulary.find(name, ["condition"])
        number = isinstance(value, int | float) and not isinstance(value, bool)
        unit = term.unit_label if term is not None and term.unit != "cycle_count" else ""
        shown = f"{value:g}" if number else str(value)
        parts.append(f"{name} {shown}{' ' + unit if unit and number else ''}")
    return ", ".join(parts)


def split_number_unit(text: str) -> tuple[float, str]:
    """``"1 A g−1"`` → ``(1.0, "A g−1")``; ``"500"`` → ``(500.0, "")``.  Raises ``ValueError``.

    The same reader as every other quantity: :func:`anodelab.schema.cells.parse_quantity`."""
    return parse_quantity(text)


def _one(
    name: str, raw_value: Any, where: dict[str, Any], bare_is_canonical: bool = False
) -> tuple[str, ConditionValue]:
    vocab = load_vocabulary()
    try:
        term = vocab.get("condition", name.strip())
    except Exception as exc:
        raise InputError(str(exc), **where) from exc
    if not term.is_numeric:
        text = str(raw_value).strip()
        if term.values and text not in term.values:
            lower = {v.lower(): v for v in term.values}
            if text.lower() in lower:
                text = lower[text.lower()]
            else:
                raise InputError(
                    f"condition {term.name} must be one of {', '.join(term.values)}, got {text!r}",
                    **where,
                )
        return term.name, ConditionValue(text=text, raw=str(raw_value))
    if isinstance(raw_value, (int, float)) and not isinstance(raw_value, bool):
        value, unit_text = float(raw_value), ""
    else:
        try:
            value, unit_text = split_number_unit(str(raw_value))
        except ValueError as exc:
            raise InputError(f"condition {term.name}: {exc}", **where) from exc
    if not unit_text and bare_is_canonical:
        canonical = value  # typed on a command line: a bare number is in the canonical unit
    else:
        canonical = term.canonical_value(value, unit_text or None, where=where)
    return term.name, ConditionValue(value=canonical, unit=term.unit, raw=str(raw_value))


def parse_conditions(
    conditions: str | Mapping[str, Any] | Iterable[str] | None,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    bare_is_canonical: bool = False,
) -> dict[str, ConditionValue]:
    """Parse conditions given as ``"a=1 A/g; b=2"``, a mapping, or a list of ``"a=1"`` strings.

    In tables a number needs its unit unless the condition is dimensionless (``cycle=500``);
    with ``bare_is_canonical`` (command line, API) a bare number is read in the canonical unit.
    """
    where: dict[str, Any] = {"file": file, "row": row, "column": column}
    if conditions is None:
        return {}
    if isinstance(conditions, Mapping):
        pairs = list(conditions.items())
    else:
        items = (
            [c for c in re.split(r"[;\n]", conditions)]
            if isinstance(conditions, str)
            else list(conditions)
        )
        pairs = []
        for item in items:
            if not str(item).strip():
                continue
            if "=" not in str(item):
                raise InputError(
                    f"condition {str(item).strip()!r} is not of the form name=value",
                    value=item,
                    **where,
                )
            key, _, val = str(item).partition("=")
            pairs.append((key, val))
    out: dict[str, ConditionValue] = {}
    for key, val in pairs:
        name, cond = _one(str(key), val, where, bare_is_canonical)
        if name in out:
            raise InputError(f"condition {name} is given twice", value=val, **where)
        out[name] = cond
    return out


@dataclass(frozen=True)
class ConditionSpec:
    """Conditions to match values against (numbers compared with a relative tolerance)."""

    values: dict[str, ConditionValue] = field(default_factory=dict)
    rel_tol: float = 1e-6

    @classmethod
    def parse(cls, conditions: str | Mapping[str, Any] | Iterable[str] | None) -> ConditionSpec:
        return cls(parse_conditions(conditions, bare_is_canonical=True))

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def to_dict(self) -> dict[str, Any]:
        vocab = load_vocabulary()
        out: dict[str, Any] = {}
        for name, cond in self.values.items():
            if cond.text is not None:
                out[name] = cond.text
            else:
                out[name] = {"value": cond.value, "unit": vocab.conditions()[name].unit_label}
        return out

    def mask(self, frame: Any) -> Any:
        """Boolean Series: rows of a ``v_measurements`` frame measured at these conditions."""
        import pandas as pd  # local: schema stays importable without pandas at import time

        keep = pd.Series(True, index=frame.index)
        for name, cond in self.values.items():
            if name not in frame.columns:
                return pd.Series(False, index=frame.index)
            column = frame[name]
            if cond.text is not None:
                keep &= column.astype("string").str.lower() == cond.text.lower()
            else:
                target = float(cond.value)  # type: ignore[arg-type]
                # measured currents/scan rates sit within a fraction of a percent of the nominal one
                tolerance = max(self.rel_tol, load_vocabulary().conditions()[name].match_rel_tol)
                numeric = pd.to_numeric(column, errors="coerce")
                keep &= numeric.apply(
                    lambda v, t=target, tol=tolerance: (
                        v is not None
                        and not math.isnan(v)
                        and math.isclose(v, t, rel_tol=tol, abs_tol=1e-12)
                    )
                )
        return keep
