"""Why a recipe was proposed: nearest measured recipes and which parameters drive the model.

Distance between recipes is Gower's (Gower, 1971, *Biometrics* 27:857) over the free parameters:

.. math:: d(x, x') = \\frac{1}{p}\\sum_j \\delta_j, \\quad
    \\delta_j = \\frac{|x_j - x'_j|}{u_j - l_j}\\ \\text{(numeric)},\\quad
    \\delta_j = \\mathbf 1[x_j \\ne x'_j]\\ \\text{(categorical)}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from anodelab.models.features import Feature, encode

__all__ = ["gower_distance", "nearest_recipes"]


def gower_distance(a: np.ndarray, b: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    """``len(a) × len(b)`` Gower distances between encoded recipe matrices."""
    if not features:
        return np.zeros((len(a), len(b)))
    parts = []
    for j, f in enumerate(features):
        diff = a[:, j][:, None] - b[:, j][None, :]
        if f.is_categorical:
            parts.append((diff != 0).astype(float))
        else:
            span = f.upper - f.lower
            parts.append(np.abs(diff) / span if span > 0 else np.zeros_like(diff))
    return np.mean(parts, axis=0)


def nearest_recipes(
    proposals: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    features: Sequence[Feature],
    k: int = 3,
) -> list[list[dict[str, Any]]]:
    """For each proposal, the ``k`` closest measured samples with their (mean) measured values."""
    frames = [t.assign(_key=key) for key, t in tables.items() if len(t)]
    if not frames:
        return [[] for _ in range(len(proposals))]
    names = [f.name for f in features]
    long = pd.concat(frames, ignore_index=True)
    per_sample = long.groupby("sample", sort=False).first()[[*names, "source"]].reset_index()
    values = long.groupby(["sample", "_key"])["y"].agg(["mean", "count"]).reset_index()
    dist = gower_distance(encode(proposals, features), encode(per_sample, features), features)
    out = []
    for i in range(len(proposals)):
        rows = []
        for j in np.argsort(dist[i], kind="stable")[:k]:
            sample = per_sample.iloc[j]
            measured = values[values["sample"] == sample["sample"]]
            rows.append(
                {
                    "sample": str(sample["sample"]),
                    "source": str(sample["source"]),
                    "distance": round(float(dist[i, j]), 4),
                    "parameters": {n: _plain(sample[n]) for n in names},
                    "measured": {
                        r["_key"]: {"mean": float(r["mean"]), "n": int(r["count"])}
                        for _, r in measured.iterrows()
                    },
                }
            )
        out.append(rows)
    return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
