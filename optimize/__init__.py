"""Bayesian optimization of recipes: design spaces, objectives, acquisition and proposals.

DataFrames in, proposals out; never SQL (the campaign loop in ``anodelab.campaign`` wires the KB).
"""

from anodelab.optimize.batch import propose
from anodelab.optimize.objectives import ObjectiveSet, assemble, objectives_from_dict
from anodelab.optimize.records import Proposal, ProposalSet
from anodelab.optimize.space import Space, load_space, space_from_dict

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
