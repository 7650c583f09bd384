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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from anodelab.models.features import Feature, inactive_rows
from anodelab.schema.errors import InputError, UnknownNameError
from anodelab.schema.vocabulary import Term, load_vocabulary

__all__ = ["Parameter", "LinearConstraint", "Space", "load_space", "space_from_dict"]

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


# -- reading -----------------------------------------------------------------------------------
def load_space(path: str | Path) -> Space:
    """Read a design space from a YAML file (candidate CSV paths are relative to it)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read design space: {exc}", file=str(path)) from exc
    return space_from_dict(data, file=str(path), base=path.parent)


def space_from_dict(
    data: Mapping[str, Any], *, file: str | None = None, base: Path | None = None
) -> Space:
    """Build and validate a :class:`Space` from its YAML/JSON structure."""
    if not isinstance(data, Mapping):
        raise InputError("a design space must be a mapping with 'parameters'", file=file)
    vocab = load_vocabulary()
    params: list[Parameter] = []
    for raw_name, spec in (data.get("parameters") or {}).items():
        try:
            term = vocab.get("parameter", raw_name)
        except UnknownNameError as exc:
            raise InputError(
                f"{exc}; known parameters are listed in schema/data/parameters.yaml",
                file=file,
                column=f"parameters.{raw_name}",
            ) from exc
        params.append(_parameter(term, spec or {}, file=file))
    names = [p.name for p in params]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise InputError(f"parameter(s) {sorted(dupes)} given twice (synonyms?)", file=file)
    params = _conditions(params, data.get("parameters") or {}, vocab, file=file)
    candidates = None
    if data.get("candidates") is not None:
        candidates, params = _candidates(data["candidates"], params, file=file, base=base)
    if not params:
        raise InputError("the design space names no parameters", file=file)
    constraints = tuple(
        _constraint(c, [p.name for p in params], file=file) for c in data.get("constraints") or []
    )
    space = Space(tuple(params), constraints, candidates, name=str(data.get("name", "")))
    if candidates is not None:
        bad = space.violations(candidates)
        if bad:
            raise InputError(f"candidate table rows are outside the space: {bad[:5]}", file=file)
    elif constraints:
        _check_feasible(space, file=file)
    return space


def _check_feasible(space: Space, *, file: str | None) -> None:
    """Refuse linear constraints that no recipe in the parameter box satisfies.

    A linear programme over the box (discrete parameters relaxed to their range, so a space
    this passes can still lack a feasible *level*; sampling then says so) — found when the
    campaign is created, not at its first ``recommend``."""
    from scipy.optimize import linprog

    numeric = [p for p in space.parameters if not p.is_categorical]
    index = {p.name: i for i, p in enumerate(numeric)}
    a_ub = np.zeros((len(space.constraints), len(numeric)))
    for row, constraint in enumerate(space.constraints):
        for name, coefficient in constraint.coefficients.items():
            a_ub[row, index[name]] = coefficient
    b_ub = np.array([c.rhs for c in space.constraints])
    # a conditional parameter that does not apply counts as 0 in a constraint (LinearConstraint.slack)
    bounds = [
        (min(p.lower, 0.0), max(p.upper, 0.0)) if p.when else (p.lower, p.upper) for p in numeric
    ]
    result = linprog(np.zeros(len(numeric)), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if result.status == 2:  # infeasible
        texts = "; ".join(c.text or str(c.coefficients) for c in space.constraints)
        ranges = ", ".join(f"{p.name} {p.lower:g}–{p.upper:g}" for p in numeric)
        raise InputError(
            f"no recipe satisfies the constraints ({texts}) within the bounds ({ranges})",
            file=file,
            column="constraints",
        )


def _parameter(term: Term, spec: Mapping[str, Any], *, file: str | None) -> Parameter:
    where: dict[str, Any] = {"file": file, "column": f"parameters.{term.name}"}
    kind = str(
        spec.get("type", "categorical" if term.value_kind == "categorical" else "continuous")
    )
    if kind not in KINDS:
        raise InputError(f"type must be one of {KINDS}, got {kind!r}", **where)
    unit = spec.get("unit")

    def canon(v: Any) -> float:
        try:
            value = float(v)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{v!r} is not a number", value=v, **where) from exc
        return term.canonical_value(value, unit or term.unit, where=where)

    if kind == "categorical" or (kind == "fixed" and term.value_kind == "categorical"):
        if term.is_numeric:
            raise InputError(
                f"{term.name} is numeric ({term.unit_label}); it cannot be categorical", **where
            )
        values = [spec["value"]] if kind == "fixed" else list(spec.get("values") or [])
        if kind == "categorical" and len(values) < 2:
            raise InputError("a categorical parameter needs at least two values", **where)
        allowed = {str(v).lower(): str(v) for v in term.values}
        fixed = []
        for v in values:
            if allowed and str(v).lower() not in allowed:
                raise InputError(
                    f"{v!r} is not a known value; allowed: {list(term.values)}", value=v, **where
                )
            fixed.append(allowed.get(str(v).lower(), str(v)))
        return Parameter(term.name, kind, values=tuple(fixed))
    if not term.is_numeric:
        raise InputError(
            f"{term.name} takes one of {list(term.values)}; use type: categorical", **where
        )
    if kind == "fixed":
        if "value" not in spec:
            raise InputError("a fixed parameter needs 'value'", **where)
        value = canon(spec["value"])
        return Parameter(term.name, kind, value, value, (value,), term.unit)
    if kind == "discrete" and "values" in spec:
        values = sorted({canon(v) for v in spec["values"]})
        if len(values) < 2:
            raise InputError("a discrete parameter needs at least two values", **where)
        return Parameter(term.name, kind, values[0], values[-1], tuple(values), term.unit)
    bounds = spec.get("bounds")
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise InputError("needs 'bounds: [lower, upper]'", value=bounds, **where)
    lower, upper = canon(bounds[0]), canon(bounds[1])
    if not lower < upper:
        raise InputError(
            f"bounds reversed or empty: lower {bounds[0]} >= upper {bounds[1]}", **where
        )
    for v, label in ((lower, "lower"), (upper, "upper")):
        reason = term.check_range(v)
        if reason:
            raise InputError(f"{label} bound: {reason}", value=v, **where)
    if kind == "discrete":
        if "step" not in spec:
            raise InputError("a discrete parameter needs 'step' (or 'values')", **where)
        step = float(spec["step"])
        if step <= 0:
            raise InputError(f"step must be positive, got {step}", **where)
        raw_lo, raw_hi = float(bounds[0]), float(bounds[1])
        count = int(math.floor((raw_hi - raw_lo) / step + 1e-9)) + 1
        if count > 100_000:
            raise InputError(f"{count} levels; use type: continuous instead", **where)
        levels = tuple(canon(raw_lo + i * step) for i in range(count))
        return Parameter(term.name, kind, levels[0], levels[-1], levels, term.unit)
    return Parameter(term.name, kind, lower, upper, (), term.unit)


def _conditions(
    params: list[Parameter], specs: Mapping[str, Any], vocab, *, file: str | None
) -> list[Parameter]:
    """Resolve the ``when:`` of conditional parameters against the space's categoricals."""
    from dataclasses import replace

    by_name = {p.name: p for p in params}
    out = []
    for raw_name, spec in specs.items():
        p = by_name[vocab.get("parameter", raw_name).name]
        when = (spec or {}).get("when")
        if not when:
            out.append(p)
            continue
        where: dict[str, Any] = {"file": file, "column": f"parameters.{p.name}.when"}
        if p.kind not in ("continuous", "discrete"):
            raise InputError("only continuous or discrete parameters can be conditional", **where)
        if not isinstance(when, Mapping):
            raise InputError("'when' must map a categorical parameter to its level(s)", **where)
        resolved = []
        for raw_controller, raw_levels in when.items():
            try:
                controller = by_name.get(vocab.get("parameter", raw_controller).name)
            except UnknownNameError as exc:
                raise InputError(f"'when' names an unknown parameter: {exc}", **where) from exc
            if controller is None or not controller.is_categorical:
                raise InputError(
                    f"'when' must name a categorical parameter of the space, not {raw_controller!r}",
                    **where,
                )
            wanted = raw_levels if isinstance(raw_levels, (list, tuple)) else [raw_levels]
            if controller.kind == "fixed":
                if str(controller.fixed_value).lower() not in {str(v).lower() for v in wanted}:
                    raise InputError(
                        f"{p.name} applies only when {controller.name} is {list(wanted)}, but "
                        f"{controller.name} is fixed at {controller.fixed_value!r}: remove {p.name}",
                        **where,
                    )
                continue  # always applies
            known = {str(v).lower(): str(v) for v in controller.values}
            unknown = [v for v in wanted if str(v).lower() not in known]
            if unknown:
                raise InputError(
                    f"{unknown} not among the levels {list(controller.values)} of {controller.name}",
                    **where,
                )
            levels = tuple(known[str(v).lower()] for v in wanted)
            resolved.append((controller.name, levels))
        out.append(replace(p, when=tuple(resolved)))
    return out


_TERM = re.compile(r"([+-]?)\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)?\s*\*?\s*([A-Za-z_][A-Za-z0-9_]*)")


def _constraint(spec: Any, names: Sequence[str], *, file: str | None) -> LinearConstraint:
    """Parse ``"a + 2*b <= 4"`` (or ``{coefficients: {...}, rhs:, op:}``) without ``eval``."""
    where: dict[str, Any] = {"file": file, "column": "constraints"}
    vocab = load_vocabulary()
    if isinstance(spec, Mapping):
        coefficients = dict(spec.get("coefficients") or {})
        op, rhs, text = spec.get("op", "<="), float(spec.get("rhs", 0)), spec.get("text", "")
    else:
        text = str(spec)
        match = re.fullmatch(
            r"\s*(.+?)\s*(<=|>=|≤|≥)\s*([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*", text
        )
        if not match:
            raise InputError(
                f"cannot read constraint {text!r}; write e.g. 'dextrin_g + zif8_g <= 4'", **where
            )
        lhs, op, rhs = match.group(1), match.group(2), float(match.group(3))
        coefficients = {}
        pos = 0
        for m in _TERM.finditer(lhs):
            if lhs[pos : m.start()].strip():
                raise InputError(
                    f"cannot read {lhs[pos : m.start()]!r} in constraint {text!r}", **where
                )
            if pos and not m.group(1):  # 'a * b' or 'a b': not a sum of terms
                raise InputError(
                    f"constraint {text!r} is not linear: terms must be joined by + or -, and a"
                    " coefficient goes before its parameter ('2*b'); products, ratios and powers"
                    " of parameters are not linear constraints",
                    **where,
                )
            pos = m.end()
            coef = float(m.group(2)) if m.group(2) else 1.0
            coefficients[m.group(3)] = coefficients.get(m.group(3), 0.0) + (
                -coef if m.group(1) == "-" else coef
            )
        if lhs[pos:].strip() or not coefficients:
            raise InputError(f"cannot read constraint {text!r}; write e.g. 'a + 2*b <= 4'", **where)
    resolved = {}
    for name, coef in coefficients.items():
        try:
            canonical = vocab.get("parameter", name).name
        except UnknownNameError as exc:
            raise InputError(f"constraint {text!r}: {exc}", **where) from exc
        if canonical not in names:
            raise InputError(
                f"constraint {text!r} uses {canonical!r}, which is not in the space", **where
            )
        resolved[canonical] = float(coef)
    if op in (">=", "≥"):
        resolved = {k: -v for k, v in resolved.items()}
        rhs = -rhs
    return LinearConstraint(resolved, float(rhs), text)


def _candidates(
    spec: Any, params: list[Parameter], *, file: str | None, base: Path | None
) -> tuple[pd.DataFrame, list[Parameter]]:
    """Read the candidate table; parameters not declared are inferred from its columns."""
    vocab = load_vocabulary()
    if isinstance(spec, (str, Path)):
        csv = Path(spec) if base is None or Path(spec).is_absolute() else base / spec
        try:
            table = pd.read_csv(csv)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # pandas' parser errors too
            reason = " ".join(str(exc).split())  # "Error tokenizing data. C error: ... line 23"
            raise InputError(f"cannot read candidate table: {reason}", file=str(csv)) from None
    elif isinstance(spec, pd.DataFrame):
        table = spec
    else:
        table = pd.DataFrame(list(spec))
    rename = {}
    for column in table.columns:
        try:
            rename[column] = vocab.get("parameter", column).name
        except UnknownNameError as exc:
            raise InputError(f"candidate table: {exc}", file=file, column=column) from exc
    table = table.rename(columns=rename).drop_duplicates().reset_index(drop=True)
    declared = {p.name: p for p in params}
    out = []
    for name in table.columns:
        if name in declared:
            out.append(declared[name])
            continue
        col = table[name]
        if pd.api.types.is_numeric_dtype(col):
            levels = tuple(sorted(float(v) for v in col.unique()))
            kind = "fixed" if len(levels) == 1 else "discrete"
            out.append(
                Parameter(
                    name, kind, levels[0], levels[-1], levels, vocab.get("parameter", name).unit
                )
            )
        else:
            names = tuple(sorted(str(v) for v in col.unique()))
            out.append(Parameter(name, "fixed" if len(names) == 1 else "categorical", values=names))
    for p in params:
        if p.name not in table.columns:
            if p.kind != "fixed":
                raise InputError(f"candidate table lacks column {p.name!r}", file=file)
            table[p.name] = p.fixed_value
            out.append(p)
    return table[[p.name for p in out]], out
