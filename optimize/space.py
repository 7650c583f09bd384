"""Design spaces: which recipes may be proposed.

A space is read from YAML (see ``docs/optimization.md`` and ``examples/spaces/``)::

    parameters:
      pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
      carbonization_temperature_C: {type: discrete, bounds: [600, 1000], step: 50, unit: °C}
      coating_precursor: {type: categorical, values: [pitch, polydopamine, none]}
      template: {type: fixed, value: none}
      dopamine_wt_pct: {type: continuous, bounds: [2, 25], unit: wt%,
                        when: {coating_precursor: polydopamine}}   # conditional
    constraints:
      - dextrin_g + zif8_g <= 4          # linear, canonical units
    candidates: lab_can_make.csv         # optional finite table of recipes (or a DataFrame)

Names are checked against ``schema/data/parameters.yaml`` (synonyms accepted, suggestions on a
miss); values are converted to the parameter's canonical unit.  Discrete parameters keep only
their own list of levels — the Cartesian product of a space is never built (:meth:`Space.size`
computes it as a number).

A *conditional* parameter (``when: {categorical parameter: level or [levels]}``) applies only to
recipes with those levels; elsewhere it is not applicable: proposals leave it empty (NaN, JSON
``null``), the checks accept any value there, linear constraints count it as 0, and the models see
a constant (:mod:`anodelab.models.conditional`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from anodelab.models.features import Feature, inactive_rows
from anodelab.schema.errors import InputError

__all__ = [
    "Parameter",
    "LinearConstraint",
    "Space",
]  # + load_space, space_from_dict (module __getattr__)

KINDS = ("continuous", "discrete", "categorical", "fixed")
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Parameter:
    """One design variable in its canonical unit (``values`` for discrete/categorical/fixed)."""

    name: str
    kind: str
    lower: float = 0.0
    upper: float = 0.0
    values: tuple[Any, ...] = ()
    unit: str | None = None
    #: ``((categorical parameter, (levels…)), …)``: applies only to recipes with those levels.
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical" or (
            self.kind == "fixed" and not isinstance(self.values[0], (int, float))
        )

    @property
    def fixed_value(self) -> Any:
        return self.values[0]


@dataclass(frozen=True)
class LinearConstraint:
    """``sum(coefficients[name] * x[name]) <= rhs`` (``>=`` is stored negated)."""

    coefficients: dict[str, float]
    rhs: float
    text: str = ""

    def slack(self, table: pd.DataFrame) -> np.ndarray:
        """``rhs − lhs`` per row; negative means violated."""
        lhs = sum(
            c * np.nan_to_num(table[n].to_numpy(dtype=float))  # not applicable counts as 0
            for n, c in self.coefficients.items()
        )
        return self.rhs - np.asarray(lhs, dtype=float)


@dataclass(frozen=True)
class Space:
    """Parameters (in order), linear constraints and an optional finite candidate table."""

    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    candidates: pd.DataFrame | None = field(default=None, compare=False)
    name: str = ""

    # -- views -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def free(self) -> list[Parameter]:
        """Parameters the optimizer chooses (not fixed): the model inputs."""
        return [p for p in self.parameters if p.kind != "fixed"]

    @property
    def fixed(self) -> dict[str, Any]:
        return {p.name: p.fixed_value for p in self.parameters if p.kind == "fixed"}

    def features(self) -> list[Feature]:
        """Model inputs (free parameters) with bounds / levels."""
        out = []
        for p in self.free:
            if p.kind == "categorical":
                out.append(Feature(p.name, "categorical", categories=tuple(map(str, p.values))))
            else:
                out.append(Feature(p.name, "numeric", p.lower, p.upper, active_when=p.when))
        return out

    def blank_inactive(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with conditional parameters set to NaN where they do not apply."""
        conditional = [p for p in self.free if p.when and p.name in table.columns]
        if not conditional:
            return table
        table = table.copy()
        for p in conditional:
            table[p.name] = table[p.name].astype(float).mask(inactive_rows(table, p.name, p.when))
        return table

    def size(self) -> float:
        """Number of distinct recipes (``inf`` with a continuous parameter); never enumerated."""
        if self.candidates is not None:
            return float(len(self.candidates))
        total = 1.0
        for p in self.free:
            total *= math.inf if p.kind == "continuous" else len(p.values)
        return total

    # -- checks ----------------------------------------------------------------------------
    def violations(self, table: pd.DataFrame) -> list[str]:
        """Human-readable reasons why rows of ``table`` are outside the space (empty = all fine)."""
        problems = []
        for p in self.parameters:
            if p.name not in table.columns:
                problems.append(f"column {p.name!r} is missing")
                continue
            col = table[p.name]
            known = all(c in table.columns for c, _ in p.when)  # else reported as missing
            skip = inactive_rows(table, p.name, p.when) if known else np.zeros(len(col), dtype=bool)
            bad = _outside(p, col) & ~np.asarray(skip, dtype=bool)
            for i in np.flatnonzero(bad):  # vectorised check, a message only for the bad rows
                problems.append(f"row {i + 1}: {p.name}={_shown(p, col.iloc[i])} {_why(p)}")
        for c in self.constraints:
            if all(n in table.columns for n in c.coefficients):
                for index in np.flatnonzero(c.slack(table) < -TOLERANCE):
                    problems.append(f"row {int(index) + 1}: violates {c.text or c}")
        return problems

    def feasible(self, table: pd.DataFrame) -> np.ndarray:
        """Boolean mask of rows satisfying every linear constraint."""
        mask = np.ones(len(table), dtype=bool)
        for c in self.constraints:
            mask &= c.slack(table) >= -TOLERANCE
        return mask

    # -- sampling --------------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0, exclude: pd.DataFrame | None = None) -> pd.DataFrame:
        """``n`` space-filling recipes (scrambled Sobol, constraints by rejection); deterministic."""
        from scipy.stats import qmc

        if self.candidates is not None:
            pool = self.candidates
            if exclude is not None and len(exclude):
                pool = _anti_join(pool, exclude, self.names)
            if len(pool) < n:
                raise InputError(f"only {len(pool)} untested candidates left, {n} requested")
            rng = np.random.default_rng(seed)
            return pool.iloc[np.sort(rng.choice(len(pool), n, replace=False))].reset_index(
                drop=True
            )
        free = self.free
        engine = qmc.Sobol(d=max(len(free), 1), scramble=True, seed=seed)
        chosen: list[pd.DataFrame] = []
        have = 0
        for _ in range(64):
            u = engine.random(max(64, 4 * n))
            table = self.from_unit(u)
            table = table[self.feasible(table)]
            chosen.append(table)
            have += len(table)
            if have >= n:
                break
        if have < n:
            raise InputError(
                f"could not find {n} recipes satisfying the constraints "
                f"{[c.text for c in self.constraints]}; are they feasible within the bounds?"
            )
        return pd.concat(chosen, ignore_index=True).iloc[:n].reset_index(drop=True)

    def from_unit(self, u: np.ndarray) -> pd.DataFrame:
        """Map points of the unit cube (one column per free parameter) to recipes."""
        data: dict[str, Any] = {}
        for j, p in enumerate(self.free):
            col = u[:, j]
            if p.kind == "continuous":
                data[p.name] = p.lower + col * (p.upper - p.lower)
            else:
                idx = np.minimum((col * len(p.values)).astype(int), len(p.values) - 1)
                data[p.name] = [p.values[i] for i in idx]
        table = pd.DataFrame(data, index=range(len(u)))
        for name, value in self.fixed.items():
            table[name] = value
        return self.blank_inactive(table[self.names])

    def snap(self, table: pd.DataFrame) -> pd.DataFrame:
        """Round discrete parameters to their nearest level and clip to bounds (after optimizers)."""
        table = table.copy()
        for p in self.free:
            if p.kind == "discrete":
                levels = np.asarray(p.values, dtype=float)
                vals = table[p.name].to_numpy(dtype=float)
                table[p.name] = levels[np.abs(vals[:, None] - levels[None, :]).argmin(axis=1)]
            elif p.kind == "continuous":
                table[p.name] = table[p.name].astype(float).clip(p.lower, p.upper)
        for name, value in self.fixed.items():
            table[name] = value
        return self.blank_inactive(table[self.names])

    def to_dict(self, candidates: bool = True) -> dict[str, Any]:
        """JSON-able description; :func:`space_from_dict` reads it back.  ``candidates=False``
        leaves the candidate table out (a campaign stores it separately, see
        :func:`anodelab.kb.campaigns.store_candidates`)."""
        params: dict[str, Any] = {}
        for p in self.parameters:
            if p.kind == "continuous":
                params[p.name] = {"type": p.kind, "bounds": [p.lower, p.upper]}
            elif p.kind == "fixed":
                params[p.name] = {"type": p.kind, "value": p.fixed_value}
            else:
                params[p.name] = {"type": p.kind, "values": list(p.values)}
            if p.when:
                params[p.name]["when"] = {c: list(levels) for c, levels in p.when}
        out: dict[str, Any] = {"name": self.name, "parameters": params}
        out["constraints"] = [
            {"coefficients": c.coefficients, "rhs": c.rhs, "text": c.text} for c in self.constraints
        ]
        if candidates and self.candidates is not None:
            out["candidates"] = self.candidates.to_dict(orient="records")
        return out


def _outside(p: Parameter, col: pd.Series) -> np.ndarray:
    """Rows of ``col`` whose value is not allowed for ``p`` (vectorised: candidate tables of
    10⁵–10⁶ rows are checked in well under a second)."""
    if p.kind in ("continuous", "discrete"):
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)  # text → NaN → outside
        if p.kind == "continuous":
            return ~((x >= p.lower - TOLERANCE) & (x <= p.upper + TOLERANCE))
        levels = np.sort(np.asarray(p.values, dtype=float))
        at = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1) if len(levels) > 1 else None
        nearest = (
            np.full(x.shape, levels[0])
            if at is None
            else np.where(
                np.abs(x - levels[at - 1]) <= np.abs(x - levels[at]), levels[at - 1], levels[at]
            )  # fmt: skip
        )
        return ~np.isclose(x, nearest, atol=TOLERANCE)
    text = col.astype(str)
    if p.kind == "categorical":
        return ~text.isin({str(v) for v in p.values}).to_numpy()
    differs = (text != str(p.fixed_value)).to_numpy().copy()
    for i in np.flatnonzero(differs):  # "600" vs 600.0: equal as numbers
        differs[i] = not _close(col.iloc[i], p.fixed_value)
    return differs


def _why(p: Parameter) -> str:
    if p.kind == "continuous":
        return f"outside [{p.lower}, {p.upper}]"
    if p.kind == "fixed":
        return f"but it is fixed at {p.fixed_value!r}"
    return f"not one of {list(p.values)}"


def _shown(p: Parameter, value: Any) -> str:
    return repr(value) if p.kind in ("categorical", "fixed") else str(value)


def _close(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) <= TOLERANCE
    except (TypeError, ValueError):
        return False


def _anti_join(pool: pd.DataFrame, done: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Rows of ``pool`` not in ``done`` (numbers compared to 10 significant digits, so 600 and
    600.0 are one recipe, and a number written as text is that number; empty and NaN are one
    value, "not applicable")."""
    return pool[~_rows_in(pool, done, names)].reset_index(drop=True)


def _rows_in(pool: pd.DataFrame, done: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Boolean mask: rows of ``pool`` whose values in ``names`` equal those of a ``done`` row.

    Exact and vectorised: each column is factorised, only its *distinct* values are turned into
    comparison keys (a 10⁶-row table of 4 columns has a few hundred), and the per-column codes
    are folded into one integer per row.  Building a text key per row instead took 13 s for
    10⁶ rows."""
    if not len(pool) or not len(done):
        return np.zeros(len(pool), dtype=bool)
    both = pd.concat([pool[list(names)], done[list(names)]], ignore_index=True)
    row, span = np.zeros(len(both), dtype=np.int64), 1  # row codes are < span
    for name in names:
        codes, uniques = pd.factorize(both[name], use_na_sentinel=True)
        keys = _value_keys(np.asarray(uniques, dtype=object))
        ids = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)[0] + 1
        column = np.where(codes < 0, 0, ids[np.maximum(codes, 0)] if len(ids) else 0)  # 0: missing
        if span * (len(ids) + 1) >= 2**62:  # renumber the distinct rows so far before overflow
            row = pd.factorize(row)[0].astype(np.int64)
            span = int(row.max()) + 1
        row, span = row * (len(ids) + 1) + column, span * (len(ids) + 1)
    return np.isin(row[: len(pool)], row[len(pool) :])


def _value_keys(values: np.ndarray) -> np.ndarray:
    """Comparison key of each distinct value: a number (or text that reads as one) as
    ``%.10g``, other text as itself."""
    series = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    out = series.astype(str).to_numpy(dtype=object)
    is_number = ~np.isnan(numbers)
    if is_number.any():
        out[is_number] = np.char.mod("%.10g", numbers[is_number])
    return out


def __getattr__(name: str) -> Any:
    """``load_space`` and ``space_from_dict`` live in :mod:`anodelab.optimize.space_file` (the
    space model and its file reader split along that seam); importable from here, as always."""
    if name in ("load_space", "space_from_dict"):
        from anodelab.optimize import space_file

        return getattr(space_file, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
