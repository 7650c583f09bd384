"""How noisy a measurement is at least: from replicate cells and stated uncertainties.

A GP fitted to a handful of results can explain every one of them exactly and report a
measurement noise near zero — after two cells of one recipe measured 84 % and 75 % ICE the
campaign predicted 79 ± 0.06 %.  The data say otherwise, and :func:`noise_floor` reads it:

* replicates — rows with the same recipe (and source) — give the pooled within-recipe variance
  :math:`s_p^2 = \\sum_g \\sum_{i \\in g} (y_i - \\bar y_g)^2 / \\sum_g (n_g - 1)`
  (the one-way ANOVA error mean square; Montgomery, *Design and Analysis of Experiments*, §3.3);
* stated uncertainties (``651 ± 12``) give their mean variance :math:`\\overline{u^2}`.

The larger of the two is the floor of the likelihood's noise variance (a lower bound the
marginal-likelihood fit cannot go below); with neither the fit is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from anodelab.models.features import Feature, encode

__all__ = ["noise_floor", "pooled_replicate_variance"]


def pooled_replicate_variance(
    X: pd.DataFrame, y: np.ndarray, features: Sequence[Feature], group_column: str | None = None
) -> tuple[float | None, int]:
    """``(pooled variance, degrees of freedom)`` of rows sharing a recipe (and ``group_column``
    value, e.g. the source); ``(None, 0)`` without replicates."""
    keys = pd.DataFrame(np.round(encode(X, features), 9))
    if group_column is not None and group_column in X.columns:
        keys["group"] = X[group_column].astype(str).to_numpy()
    frame = keys.assign(y=np.asarray(y, dtype=float))
    groups = frame.groupby(list(keys.columns), dropna=False)["y"]
    sizes = groups.transform("size").to_numpy()
    resid = (frame["y"] - groups.transform("mean")).to_numpy()
    dof = int(groups.size().sub(1).sum())
    if dof < 1:
        return None, 0
    return float(np.sum(resid[sizes > 1] ** 2) / dof), dof


def noise_floor(
    X: pd.DataFrame,
    y: np.ndarray,
    features: Sequence[Feature],
    y_std: np.ndarray | None = None,
    group_column: str | None = None,
) -> float | None:
    """Lower bound of the measurement-noise variance, in ``y``'s units squared (see module)."""
    pooled, _ = pooled_replicate_variance(X, y, features, group_column)
    stated = None
    if y_std is not None:
        u = np.asarray(y_std, dtype=float)
        u = u[np.isfinite(u) & (u > 0)]
        stated = float(np.mean(u**2)) if len(u) else None
    floors = [v for v in (pooled, stated) if v is not None and v > 0]
    return max(floors) if floors else None
