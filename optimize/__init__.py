"""Bayesian optimization of recipes: design spaces, objectives, acquisition and proposals.

DataFrames in, proposals out; never SQL (the campaign loop in ``anodelab.campaign`` wires the KB).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names, for type checkers
    from anodelab.optimize.batch import propose
    from anodelab.optimize.objectives import ObjectiveSet, assemble, objectives_from_dict
    from anodelab.optimize.records import Proposal, ProposalSet
    from anodelab.optimize.space import Space, load_space, space_from_dict

# Loaded on first use (PEP 562): importing one light submodule (features, space, objectives) must not
# pull in torch/gpytorch/botorch — the CLI's start-up budget depends on it (tests/foundation/test_startup.py).
_WHERE = {
    "Space": "anodelab.optimize.space",
    "load_space": "anodelab.optimize.space",
    "space_from_dict": "anodelab.optimize.space",
    "ObjectiveSet": "anodelab.optimize.objectives",
    "objectives_from_dict": "anodelab.optimize.objectives",
    "assemble": "anodelab.optimize.objectives",
    "propose": "anodelab.optimize.batch",
    "Proposal": "anodelab.optimize.records",
    "ProposalSet": "anodelab.optimize.records",
}

__all__ = [
    "Space",
    "load_space",
    "space_from_dict",
    "ObjectiveSet",
    "objectives_from_dict",
    "assemble",
    "propose",
    "Proposal",
    "ProposalSet",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
