"""Which recipe parameters can be a model's inputs, inferred from the measured recipes (for
``anodelab fit`` without a design space)."""

from __future__ import annotations

import pandas as pd

from anodelab.models.features import Feature
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import Term, Vocabulary

__all__ = ["measured_features"]


def measured_features(
    vocab: Vocabulary, recipes: pd.DataFrame, meas: pd.DataFrame, inputs: list[str] | None = None
) -> tuple[list[Feature], dict[str, str]]:
    """Model inputs for ``fit`` without a space: the recipe parameters known for every recipe
    with the property and varying among them; the others are returned with the reason.  With
    ``inputs`` (parameter names or synonyms), exactly those, ranged over the recipes that know
    them; recipes that do not are then left out of the data (and listed as missing).

    Papers describe different steps (one varies pitch, another dopamine and ZIF-8), so a
    parameter unknown for some recipes would drop those rows from the data altogether."""
    measured = set(zip(meas["sample"].astype(str), meas["source"].astype(str), strict=True))
    keys = zip(recipes["sample"].astype(str), recipes["source"].astype(str), strict=True)
    rows = recipes[[k in measured for k in keys]]
    wanted = [vocab.get("parameter", n).name for n in inputs] if inputs else None
    features, left_out = [], {}
    for name, t in vocab.parameters().items():
        if wanted is not None and name not in wanted:
            continue
        col = rows[name].dropna() if name in rows else pd.Series(dtype=object)
        if not len(col):
            if wanted is not None:
                raise InputError(f"--inputs {name}: not known for any recipe with this property")
            continue
        if wanted is None and len(col) < len(rows):
            left_out[name] = f"known for {len(col)} of {len(rows)} measured recipes"
            continue
        feature, reason = _feature_of(name, t, col)
        if feature is not None:
            features.append(feature)
        else:
            left_out[name] = reason
    if not features:
        raise InputError(
            "no recipe parameter is known and varies across the recipes with this property; "
            "name the inputs (--inputs) or give a space (--space)"
        )
    return features, left_out


def _feature_of(name: str, term: Term, col: pd.Series) -> tuple[Feature | None, str]:
    """A model input spanning the values in ``col``, or ``None`` and why (one value only)."""
    if term.is_numeric:
        lo, hi = float(col.min()), float(col.max())
        if hi > lo:
            return Feature(name, "numeric", lo, hi), ""
        return None, f"the same value ({lo:g}) for every measured recipe"
    if col.nunique() > 1:
        return Feature(name, "categorical", categories=tuple(sorted(map(str, col.unique())))), ""
    return None, f"the same level ({col.iloc[0]}) for every measured recipe"
