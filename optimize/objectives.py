"""Objectives and outcome constraints, and the training data they imply.

An objective names a property of ``schema/data/properties.yaml`` and the conditions it is measured
at; YAML (next to the space, see ``docs/optimization.md``)::

    objectives:
      - property: discharge_capacity
        at: {cycle: 500, current_density: 1 A/g}
        goal: maximize
        threshold: 600 mA h/g        # reference point for the hypervolume (optional)
      - {property: ICE, goal: maximize}
    outcome_constraints:
      - ICE >= 80 %

Training data (:func:`assemble`) joins recipe vectors (one row per sample) with the measurements
of the property at matching conditions (relative tolerance ``rtol`` for numbers, equality for
text): every replicate is one row; samples without a matching value are *reported* with the
reason, never silently dropped.
"""

from __future__ import annotations

import builtins  # the field `Outcome.property` shadows the decorator inside the class
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from anodelab.models.features import Feature, inactive_rows
from anodelab.schema.cells import parse_quantity
from anodelab.schema.conditions import conditions_label
from anodelab.schema.errors import InputError, UnknownNameError
from anodelab.schema.units import to_canonical
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "Outcome",
    "Objective",
    "OutcomeConstraint",
    "ObjectiveSet",
    "Assembled",
    "objectives_from_dict",
    "parse_quantity_text",
    "assemble",
    "matching_rows",
]

GOALS = ("maximize", "minimize")


@dataclass(frozen=True)
class Outcome:
    """A property measured at given conditions (canonical units)."""

    property: str
    at: tuple[tuple[str, Any], ...] = ()
    unit: str | None = None

    @builtins.property
    def key(self) -> str:
        """``discharge_capacity@cycle=500,current_density=1000`` (or the bare property)."""
        if not self.at:
            return self.property
        return self.property + "@" + ",".join(f"{k}={_fmt(v)}" for k, v in self.at)

    @builtins.property
    def label(self) -> str:
        """For people: ``discharge_capacity (cycle 500, current_density 1000 mA g⁻¹)``.

        The conditions carry their canonical units from ``schema/data/conditions.yaml``
        (``key`` stays the machine name used in JSON and the KB)."""
        if not self.at:
            return self.property
        return f"{self.property} ({conditions_label(self.at)})"

    def conditions(self) -> dict[str, Any]:
        return dict(self.at)


@dataclass(frozen=True)
class Objective:
    outcome: Outcome
    goal: str = "maximize"
    threshold: float | None = None
    name: str = ""

    @property
    def key(self) -> str:
        return self.name or self.outcome.key

    @property
    def sign(self) -> float:
        """+1 to maximise, −1 to minimise (the optimizer always maximises ``sign · y``)."""
        return 1.0 if self.goal == "maximize" else -1.0


@dataclass(frozen=True)
class OutcomeConstraint:
    """Feasible when ``outcome op value`` (``op`` is ``>=`` or ``<=``)."""

    outcome: Outcome
    op: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.outcome.key} {self.op} {_fmt(self.value)}"

    def satisfied(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return y >= self.value if self.op == ">=" else y <= self.value


@dataclass(frozen=True)
class ObjectiveSet:
    objectives: tuple[Objective, ...]
    constraints: tuple[OutcomeConstraint, ...] = ()

    def outcomes(self) -> list[Outcome]:
        """Every outcome a model is needed for: objectives first, then constraint outcomes."""
        seen: dict[str, Outcome] = {}
        for o in [o.outcome for o in self.objectives] + [c.outcome for c in self.constraints]:
            seen.setdefault(o.key, o)
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "objectives": [
                {
                    "property": o.outcome.property,
                    "at": dict(o.outcome.at),
                    "goal": o.goal,
                    "threshold": o.threshold,
                    "name": o.name,
                }
                for o in self.objectives
            ],
            "outcome_constraints": [
                {
                    "property": c.outcome.property,
                    "at": dict(c.outcome.at),
                    "op": c.op,
                    "value": c.value,
                }
                for c in self.constraints
            ],
        }


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_quantity_text(text: Any) -> tuple[float, str | None]:
    """``"1 A/g"`` → ``(1.0, "A/g")``; numbers pass through with no unit."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text), None
    if isinstance(text, Mapping):
        return float(text["value"]), text.get("unit")
    try:
        value, unit = parse_quantity(str(text))  # the one quantity reader (schema.cells)
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a number with an optional unit (e.g. '1 A/g')"
        ) from None
    return value, (unit or None)


def _outcome(spec: Mapping[str, Any], *, file: str | None) -> Outcome:
    vocab = load_vocabulary()
    if "property" not in spec:
        raise InputError(f"an objective needs 'property': {dict(spec)}", file=file)
    try:
        term = vocab.get("property", spec["property"])
    except UnknownNameError as exc:
        raise InputError(str(exc), file=file, column="objectives") from exc
    at: list[tuple[str, Any]] = []
    for name, raw in (spec.get("at") or {}).items():
        try:
            cond = vocab.get("condition", name)
        except UnknownNameError as exc:
            raise InputError(str(exc), file=file, column=f"at.{name}") from exc
        if cond.is_numeric:
            value, unit = parse_quantity_text(raw)
            at.append(
                (cond.name, cond.canonical_value(value, unit or cond.unit, where={"file": file}))
            )
        else:
            at.append((cond.name, str(raw)))
    return Outcome(term.name, tuple(sorted(at)), term.unit)


def _threshold(raw: Any, outcome: Outcome, *, file: str | None) -> float:
    value, unit = parse_quantity_text(raw)
    if unit is None or outcome.unit is None:
        return value
    try:
        return to_canonical(value, unit, outcome.unit, what=outcome.property)
    except Exception as exc:
        raise InputError(f"{outcome.property}: {exc}", file=file, value=raw) from exc


_CONSTRAINT = re.compile(r"^\s*(.+?)\s*(>=|<=|≥|≤)\s*(.+?)\s*$")


def objectives_from_dict(data: Mapping[str, Any], *, file: str | None = None) -> ObjectiveSet:
    """Read ``objectives`` and ``outcome_constraints`` from a campaign file's structure."""
    objectives = []
    for spec in data.get("objectives") or []:
        outcome = _outcome(spec, file=file)
        goal = str(spec.get("goal", "maximize")).lower()
        goal = {"max": "maximize", "min": "minimize"}.get(goal, goal)
        if goal not in GOALS:
            raise InputError(f"goal must be maximize or minimize, got {goal!r}", file=file)
        threshold = spec.get("threshold")
        objectives.append(
            Objective(
                outcome,
                goal,
                None if threshold is None else _threshold(threshold, outcome, file=file),
                str(spec.get("name") or ""),
            )
        )
    if not objectives:
        raise InputError("the campaign names no objectives", file=file)
    keys = [o.key for o in objectives]
    if len(set(keys)) != len(keys):
        raise InputError(f"objectives repeat: {keys}; give them distinct 'name's", file=file)
    constraints = []
    for spec in data.get("outcome_constraints") or []:
        if isinstance(spec, str):
            match = _CONSTRAINT.match(spec)
            if not match:
                raise InputError(
                    f"cannot read outcome constraint {spec!r}; e.g. 'ICE >= 80 %'", file=file
                )
            spec = {"property": match.group(1), "op": match.group(2), "value": match.group(3)}
        outcome = _outcome(spec, file=file)
        op = {"≥": ">=", "≤": "<="}.get(spec.get("op", ">="), spec.get("op", ">="))
        if op not in (">=", "<="):
            raise InputError(f"outcome constraint op must be >= or <=, got {op!r}", file=file)
        constraints.append(
            OutcomeConstraint(outcome, op, _threshold(spec["value"], outcome, file=file))
        )
    return ObjectiveSet(tuple(objectives), tuple(constraints))


# -- training data -----------------------------------------------------------------------------
@dataclass
class Assembled:
    """Training rows per outcome key, and the samples that could not be used (with why)."""

    tables: dict[str, pd.DataFrame]
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.tables.items()}


def matching_rows(
    measurements: pd.DataFrame, outcome: Outcome, rtol: float = 0.02, *, skip: Sequence[str] = ()
) -> np.ndarray:
    """Which rows measured ``outcome``: its property at its conditions (numbers within ``rtol``),
    conditions named in ``skip`` not compared."""
    mask = (measurements["property"] == outcome.property).to_numpy().copy()
    for name, wanted in outcome.at:
        if name in skip:
            continue
        if name not in measurements.columns:
            return np.zeros(len(measurements), dtype=bool)
        col = measurements[name]
        if isinstance(wanted, str):
            mask &= (col.astype(str) == wanted).to_numpy()
        else:
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                mask &= np.abs(values - wanted) <= rtol * max(abs(wanted), 1e-12)
    return mask


def _values(rows: pd.DataFrame, outcome: Outcome) -> np.ndarray:
    value = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float).copy()
    if "value_min" in rows and "value_max" in rows:
        mid = (
            pd.to_numeric(rows["value_min"], errors="coerce").to_numpy(dtype=float)
            + pd.to_numeric(rows["value_max"], errors="coerce").to_numpy(dtype=float)
        ) / 2
        value = np.where(np.isnan(value), mid, value)
    if "unit" in rows and outcome.unit:
        for i, unit in enumerate(rows["unit"]):
            if isinstance(unit, str) and unit and unit != outcome.unit and not math.isnan(value[i]):
                value[i] = to_canonical(value[i], unit, outcome.unit, what=outcome.property)
    return value


def _stated_std(rows: pd.DataFrame, outcome: Outcome, y: np.ndarray) -> np.ndarray:
    """The stated uncertainty of each value (``uncertainty`` column, ``651 ± 12``) in the
    outcome's canonical unit — the converted ``value + uncertainty`` minus the converted value,
    so units with an offset convert correctly; NaN where none is stated."""
    if "uncertainty" not in rows:
        return np.full(len(rows), np.nan)
    unc = pd.to_numeric(rows["uncertainty"], errors="coerce").to_numpy(dtype=float)
    shifted = rows.assign(value=pd.to_numeric(rows["value"], errors="coerce") + unc)
    return np.abs(_values(shifted, outcome) - y)


def assemble(
    recipes: pd.DataFrame,
    measurements: pd.DataFrame,
    outcomes: Sequence[Outcome],
    features: Sequence[Feature],
    rtol: float = 0.02,
) -> Assembled:
    """Recipe vectors ⨝ measurements at matching conditions, one row per measured value.

    ``recipes`` has one row per ``sample`` with a column per feature; ``measurements`` is tidy
    (``sample``, ``property``, ``value``, ``unit``, one column per condition, optional
    ``source``).  Returns the training table per outcome key (feature columns, ``y``, ``sample``,
    ``source``) and a ``missing`` table (``sample``, ``outcome``, ``reason``).
    """
    if "sample" not in recipes.columns:
        raise InputError("recipe table needs a 'sample' column")
    names = [f.name for f in features]
    missing_rows: list[dict[str, Any]] = []
    usable = np.ones(len(recipes), dtype=bool)
    for f in features:
        if f.name not in recipes.columns:
            raise InputError(f"recipe table lacks parameter column {f.name!r}")
        col = recipes[f.name]
        if f.is_categorical:
            bad = ~col.astype(str).isin(f.categories) | col.isna()
            reason = f"{f.name} not one of {list(f.categories)}"
        else:
            bad = pd.to_numeric(col, errors="coerce").isna()
            if f.active_when:  # a step the recipe does not have: not applicable, not unknown
                bad &= ~inactive_rows(recipes, f.name, f.active_when)
            reason = f"{f.name} unknown"
        for sample in recipes.loc[bad.to_numpy() & usable, "sample"]:
            missing_rows.append({"sample": sample, "outcome": "*", "reason": reason})
        usable &= ~bad.to_numpy()
    clean = recipes.loc[usable].drop_duplicates("sample")
    tables = {}
    for outcome in outcomes:
        rows = measurements.loc[matching_rows(measurements, outcome, rtol)].copy()
        rows["y"] = _values(rows, outcome)
        rows["y_std"] = _stated_std(rows, outcome, rows["y"].to_numpy(dtype=float))
        rows = rows[np.isfinite(rows["y"].to_numpy(dtype=float))]
        keep = ["sample", "y", "y_std"] + (["source"] if "source" in rows.columns else [])
        joined = clean.drop(
            columns=[c for c in ("source",) if c in rows.columns and c in clean.columns]
        )
        table = joined[["sample", *names, *[c for c in joined.columns if c == "source"]]].merge(
            rows[keep], on="sample", how="inner"
        )
        if "source" not in table.columns:
            table["source"] = "unknown"
        tables[outcome.key] = table.reset_index(drop=True)
        have = set(table["sample"])
        others = measurements.loc[measurements["property"] == outcome.property, "sample"]
        for sample in clean["sample"]:
            if sample not in have:
                reason = (
                    f"{outcome.property} measured, but not at {outcome.key.partition('@')[2]}"
                    if sample in set(others)
                    else f"no {outcome.property} value"
                )
                missing_rows.append({"sample": sample, "outcome": outcome.key, "reason": reason})
    missing = pd.DataFrame(missing_rows, columns=["sample", "outcome", "reason"])
    return Assembled(tables, missing)
