"""Surrogate models: predict measured properties (with uncertainty) from recipe tables.

DataFrames in, predictions out; never SQL.  See :mod:`anodelab.models.base` for the interface.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names, for type checkers
    from anodelab.models.features import Feature
    from anodelab.models.gp import GPSurrogate
    from anodelab.models.trees import ForestSurrogate
    from anodelab.models.validation import cross_validate, cv_metrics

# Loaded on first use (PEP 562): importing one light submodule (features, space, objectives) must not
# pull in torch/gpytorch/botorch — the CLI's start-up budget depends on it (tests/foundation/test_startup.py).
_WHERE = {
    "Feature": "anodelab.models.features",
    "GPSurrogate": "anodelab.models.gp",
    "ForestSurrogate": "anodelab.models.trees",
    "cross_validate": "anodelab.models.validation",
    "cv_metrics": "anodelab.models.validation",
}

__all__ = ["Feature", "GPSurrogate", "ForestSurrogate", "cross_validate", "cv_metrics"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
