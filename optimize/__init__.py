"""Bayesian optimization of recipes: design spaces, objectives, acquisition and proposals.

DataFrames in, proposals out; never SQL (the campaign loop in ``anodelab.campaign`` wires the KB).
"""

from anodelab.optimize.objectives import ObjectiveSet, assemble, objectives_from_dict
from anodelab.optimize.propose import Proposal, ProposalSet, propose
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
