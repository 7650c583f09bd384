"""Reading design spaces from YAML or a dict: names checked against the vocabulary, units made
canonical, conditions, linear constraints and candidate tables (see :mod:`anodelab.optimize.space`
for the file format and :class:`~anodelab.optimize.space.Space` for what a space does)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from anodelab.optimize.space import KINDS, LinearConstraint, Parameter, Space
from anodelab.schema.errors import InputError, UnknownNameError
from anodelab.schema.vocabulary import Term, load_vocabulary

__all__ = ["load_space", "space_from_dict"]


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
