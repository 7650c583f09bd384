"""Encoding recipe tables as model inputs.

A :class:`Feature` describes one model input column: ``numeric`` (continuous or discrete, with
bounds in the parameter's canonical unit) or ``categorical`` (a fixed list of levels).  Numeric
columns are passed to the models in their own units and normalised inside the model (BoTorch
``Normalize`` with the declared bounds, so the unit cube is the design space and not the data's
range); categorical columns are encoded as integer level codes ``0 … k−1`` for BoTorch's
Hamming-distance categorical kernel, or one-hot for tree ensembles.

A numeric feature may be *conditional* (``active_when``): it only means something for some levels
of a categorical feature — the dopamine fraction of a polydopamine coating, the pitch fraction of a
pitch coating.  Where it is inactive its value (usually missing: the recipe has no such step) is
replaced by the feature's lower bound, one constant for every such row, so that the models see no
spurious variation there (the "imputation" treatment of conditional parameters, cf. Swersky et
al., 2014, *Raiders of the lost architecture: kernels for Bayesian optimization in conditional
parameter spaces*, arXiv:1409.4011).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from anodelab.schema.errors import InputError

__all__ = ["Feature", "encode", "decode", "inactive_rows", "one_hot", "unit_cube"]


@dataclass(frozen=True)
class Feature:
    """One model input: a numeric column with bounds or a categorical column with levels."""

    name: str
    kind: str  # "numeric" | "categorical"
    lower: float = 0.0
    upper: float = 1.0
    categories: tuple[str, ...] = ()
    #: ``((controller feature, (levels…)), …)``: active only where every controller has one of
    #: its levels (numeric features only).
    active_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"


def inactive_rows(
    table: pd.DataFrame, name: str, active_when: tuple[tuple[str, tuple[str, ...]], ...]
) -> np.ndarray:
    """Rows of ``table`` where the conditional input ``name`` (``active_when``) does not apply."""
    inactive = np.zeros(len(table), dtype=bool)
    for controller, levels in active_when:
        if controller not in table.columns:
            raise InputError(f"{name} depends on {controller!r}, which the recipe table lacks")
        inactive |= ~table[controller].astype(str).isin(levels).to_numpy()
    return inactive


def encode(table: pd.DataFrame, features: Sequence[Feature]) -> np.ndarray:
    """Numeric matrix ``n × d`` of ``table`` (categoricals as level codes); unknown levels raise.

    Conditional features take their lower bound in the rows where they are inactive."""
    missing = [f.name for f in features if f.name not in table.columns]
    if missing:
        raise InputError(f"recipe table lacks the model input column(s) {missing}")
    columns = []
    for feature in features:
        raw = table[feature.name]
        if feature.is_categorical:
            # vectorised (a Python loop over rows took 3 s for a 10⁶-row candidate table)
            lookup = {level: float(i) for i, level in enumerate(feature.categories)}
            which, distinct = pd.factorize(raw)  # missing values: -1
            level = np.array([lookup.get(str(v), np.nan) for v in distinct] + [np.nan])
            codes = level[which]  # which = -1 picks the trailing NaN
            missing = which < 0
            unknown = np.flatnonzero(np.isnan(codes) & ~missing)
            if len(unknown):
                row = int(unknown[0])
                value = raw.iloc[row]
                raise InputError(
                    f"{value!r} is not a level of {feature.name} (levels: {list(feature.categories)})",
                    row=row + 1,
                    column=feature.name,
                    value=value,
                )
            columns.append(codes)
        else:
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            if feature.active_when:
                values = np.where(
                    inactive_rows(table, feature.name, feature.active_when), feature.lower, values
                )
            columns.append(values)
    if not columns:
        return np.zeros((len(table), 0))
    return np.column_stack(columns)


def decode(matrix: np.ndarray, features: Sequence[Feature]) -> pd.DataFrame:
    """Inverse of :func:`encode`: level codes back to level names (rounded to the nearest code)."""
    data: dict[str, list] = {}
    matrix = np.atleast_2d(np.asarray(matrix, dtype=float))
    for j, feature in enumerate(features):
        column = matrix[:, j]
        if feature.is_categorical:
            codes = np.clip(np.rint(column), 0, len(feature.categories) - 1).astype(int)
            data[feature.name] = [feature.categories[c] for c in codes]
        else:
            data[feature.name] = column.tolist()
    return pd.DataFrame(data)


def unit_cube(matrix: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    """Scale numeric columns to [0, 1] by their bounds; categorical codes become 0/1 per mismatch use."""
    out = np.array(matrix, dtype=float, copy=True)
    for j, feature in enumerate(features):
        if not feature.is_categorical:
            span = feature.upper - feature.lower
            out[:, j] = (out[:, j] - feature.lower) / span if span > 0 else 0.0
    return out


def one_hot(matrix: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    """Numeric columns scaled to [0, 1], categoricals expanded to one-hot (for tree ensembles)."""
    cube = unit_cube(matrix, features)
    blocks = []
    for j, feature in enumerate(features):
        if feature.is_categorical:
            codes = cube[:, j]
            block = np.zeros((len(codes), len(feature.categories)))
            for k in range(len(feature.categories)):
                block[:, k] = codes == k
            blocks.append(block)
        else:
            blocks.append(cube[:, [j]])
    return np.hstack(blocks) if blocks else np.zeros((len(matrix), 0))
