"""Proposal records: the recipes of a batch with their predictions and the reasons for them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from anodelab.optimize.explain import nearest_recipes

if TYPE_CHECKING:
    from anodelab.models.gp import GPSurrogate

__all__ = ["Proposal", "ProposalSet", "proposal_set"]


@dataclass
class Proposal:
    """One proposed recipe: its parameters, predicted outcomes, acquisition value and reasons."""

    parameters: dict[str, Any]
    predictions: dict[str, dict[str, float]]
    acquisition_value: float | None
    reasons: dict[str, Any]


@dataclass
class ProposalSet:
    """A batch of proposals with the strategy and message that describe how it was made."""

    proposals: list[Proposal]
    strategy: str
    message: str
    seed: int
    n_observations: dict[str, int] = field(default_factory=dict)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([p.parameters for p in self.proposals])


def proposal_set(
    space, objectives, training, models, table, values, strategy, message, seed, counts
) -> ProposalSet:
    """The :class:`ProposalSet` for the recipes in ``table``: predictions, nearest measured
    recipes, parameter importances, acquisition values and constraint probabilities."""
    features = space.features()
    keys = [o.key for o in objectives.outcomes()]
    predictions: list[dict[str, dict[str, float]]] = [{} for _ in range(len(table))]
    for key in keys:
        if key in models:
            # the std of a new measurement (the noise included): what the lab will see
            mean, std = models[key].predict(table, return_std=True, observation_noise=True)
            _, std_mean = models[key].predict(table, return_std=True)
            for i in range(len(table)):
                predictions[i][key] = {
                    "mean": float(mean[i]),
                    "std": float(std[i]),
                    "std_of_mean": float(std_mean[i]),
                }
    neighbours = nearest_recipes(table, training.tables, features)
    importances = {k: _round(m.importances()) for k, m in models.items()}
    vals = None if values is None else np.atleast_1d(values.detach().numpy()).astype(float)
    transfer = _transfer_reason(models)
    proposals = []
    for i in range(len(table)):
        acq = None if vals is None or len(vals) != len(table) else float(vals[i])
        reasons: dict[str, Any] = {
            "strategy": strategy,
            "message": message,
            "nearest_measured": neighbours[i],
            "parameter_importance": importances,
        }
        if transfer:
            reasons["transfer"] = transfer
        if acq is not None:
            reasons["log_acquisition"] = acq
            if strategy == "qLogNEI":
                reasons["expected_improvement"] = math.exp(acq) if acq > -700 else 0.0
            elif strategy == "qLogNEHVI":
                reasons["expected_hypervolume_improvement"] = math.exp(acq) if acq > -700 else 0.0
        for c in objectives.constraints:
            pred = predictions[i].get(c.outcome.key)
            if pred:
                from scipy.stats import norm

                z = (pred["mean"] - c.value) / max(pred["std"], 1e-12)
                prob = norm.cdf(z) if c.op == ">=" else norm.cdf(-z)
                reasons.setdefault("constraint_probability", {})[c.text] = round(float(prob), 4)
        params = {k: _plain(v) for k, v in table.iloc[i].items()}
        proposals.append(Proposal(params, predictions[i], acq, reasons))
    return ProposalSet(proposals, strategy, message, seed, dict(counts), training.missing)


def _transfer_reason(models: dict[str, GPSurrogate]) -> dict[str, Any] | None:
    """``{"used", "why", "outcomes"}`` from the transfer guard's decisions, if any were made."""
    decisions = {
        k: m.transfer_decision_ for k, m in models.items() if hasattr(m, "transfer_decision_")
    }
    if not decisions:
        return None
    used = [k for k, d in decisions.items() if d["used"]]
    why = "; ".join(f"{k}: {d['why']}" for k, d in decisions.items())
    return {"used": bool(used), "why": why, "outcomes": decisions}


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in sorted(d.items(), key=lambda kv: -kv[1])}


def _plain(value: Any) -> Any:
    """JSON-able scalar; NaN (a conditional parameter that does not apply) becomes ``None``."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 10)
    return value
