"""The one small interface every surrogate follows (scikit-learn conventions).

* ``__init__`` only stores its arguments;
* ``fit(X, y) -> self`` with ``X`` a DataFrame holding the columns named by ``features``
  (canonical units; categoricals as level names) and ``y`` a 1-D array; fitted state ends in ``_``;
* ``predict(X, return_std=False)`` returns the mean, or ``(mean, std)`` with ``std`` the predictive
  standard deviation of the *latent* function (observation noise excluded), in the units of ``y``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from anodelab.models.features import Feature
from anodelab.schema.errors import InputError

__all__ = ["Surrogate", "check_training_data"]


@runtime_checkable
class Surrogate(Protocol):
    """A regression model with uncertainty: ``fit(X, y) -> self``; ``predict(X, return_std)``."""

    features: Sequence[Feature]

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> Surrogate: ...

    def predict(
        self, X: pd.DataFrame, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...


def check_training_data(X: np.ndarray, y: np.ndarray, *, minimum: int = 2) -> np.ndarray:
    """Validate an encoded design matrix and targets once, before fitting; returns ``y`` as 1-D."""
    y = np.asarray(y, dtype=float).reshape(-1)
    if X.shape[0] != y.shape[0]:
        raise InputError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values")
    if X.shape[0] < minimum:
        raise InputError(f"a surrogate needs at least {minimum} observations, got {X.shape[0]}")
    if not np.all(np.isfinite(y)):
        raise InputError("y contains NaN or infinite values; drop or report those rows first")
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        raise InputError("X contains missing values", row=int(bad[0][0]) + 1)
    return y
