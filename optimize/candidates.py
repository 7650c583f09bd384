"""The untested rows of a candidate table and the greedy search over them.

Up to :data:`~anodelab.optimize.discrete.LAZY_ABOVE` untested rows BoTorch's
``optimize_acqf_discrete`` scores every one; above, :func:`~anodelab.optimize.discrete.lazy_greedy_search`
makes the same choices scoring few of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from botorch.models import ModelListGP
from botorch.optim import optimize_acqf_discrete

from anodelab.models.features import encode
from anodelab.models.gp import DTYPE
from anodelab.optimize.discrete import (
    LAZY_ABOVE,
    lazy_greedy_search,
    log_expected_improvement,
    log_pending_bound,
    posterior_moments,
)
from anodelab.optimize.objectives import ObjectiveSet
from anodelab.optimize.space import Space, _rows_in
from anodelab.schema.errors import InputError

__all__ = ["CandidateRows", "CountingAcquisition"]


@dataclass
class CandidateRows:
    """The untested rows of a candidate table, encoded once per proposal.

    Tables of more than :data:`~anodelab.optimize.discrete.LAZY_ABOVE` untested rows are
    searched lazily (:func:`~anodelab.optimize.discrete.lazy_greedy_search`: the same greedy
    choices, most rows never scored); the posterior moments its bounds need are computed once,
    at the first search, and reused by the level-exploration searches."""

    codes: torch.Tensor  # untested rows × model inputs
    model: ModelListGP
    objectives: ObjectiveSet
    keys: list[str]
    ref: list[float] | None
    _moments: tuple[torch.Tensor, torch.Tensor] | None = None
    #: (rows scored, rows the exhaustive search scores) of the batch's search when it was lazy
    scored: tuple[int, int] | None = None

    @classmethod
    def untested(cls, space: Space, done: pd.DataFrame, model, objectives, keys, ref):
        names = [f.name for f in space.features()]
        assert space.candidates is not None
        pool = space.candidates[~_rows_in(space.candidates, done, names)]
        codes = torch.tensor(encode(pool, space.features()), dtype=DTYPE)
        return cls(codes, model, objectives, keys, ref)

    def search(
        self, acqf, q: int, baseline: torch.Tensor, fixed: dict[int, float] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """BoTorch's greedy discrete search (``optimize_acqf_discrete``) over the untested rows
        with the ``fixed`` input values — lazily above ``LAZY_ABOVE`` rows; ``baseline``: the
        recipes the acquisition improves on (the incumbent or front of the bounds)."""
        rows = torch.ones(len(self.codes), dtype=torch.bool)
        for j, v in (fixed or {}).items():
            rows &= self.codes[:, j] == v
        choices = self.codes[rows]
        if len(choices) < q:
            raise InputError(f"only {len(choices)} untested candidates left, {q} requested")
        if len(choices) <= LAZY_ABOVE:
            return optimize_acqf_discrete(acqf, q=q, choices=choices, unique=True)
        if self._moments is None:
            self._moments = posterior_moments(self.model, self.codes)
        mean, std = (m[rows] for m in self._moments)
        objs = self.objectives.objectives
        signs = torch.tensor([o.sign for o in objs], dtype=DTYPE)
        columns = [self.keys.index(o.key) for o in objs]
        signed, spread = mean[:, columns] * signs, std[:, columns]
        bound = log_expected_improvement(signed, spread, self._front(baseline), self.ref)
        for c in self.objectives.constraints:  # P(feasible) of the row on its own
            j = self.keys.index(c.outcome.key)
            z = (mean[:, j] - float(c.value)) / std[:, j]
            bound = bound + torch.special.log_ndtr(z if c.op == ">=" else -z)

        def beyond_picked(at: np.ndarray, picked: list[int]) -> torch.Tensor:
            """min over the chosen recipes p of the bound of the improvement beyond p."""
            X = choices[at].unsqueeze(-2)
            P = choices[picked].expand(len(at), len(picked), choices.shape[-1])
            diff_mean, diff_std = [], []
            with torch.no_grad():
                for k, column in enumerate(columns):
                    outcome_model: Any = self.model.models[column]
                    post = outcome_model.posterior(torch.cat([X, P], dim=-2))
                    mu, cov = post.mean[..., 0], post.mvn.covariance_matrix
                    var = cov[:, :1, 0] + cov.diagonal(dim1=-2, dim2=-1)[:, 1:] - 2 * cov[:, 0, 1:]
                    diff_mean.append(signs[k] * (mu[:, :1] - mu[:, 1:]))
                    diff_std.append(var.clamp_min(1e-18).sqrt())
            dm, ds = torch.stack(diff_mean, -1), torch.stack(diff_std, -1)  # at × picked × m
            per_pick = [
                log_pending_bound(signed[at], spread[at], dm[:, i], ds[:, i], self.ref)
                for i in range(len(picked))
            ]
            return torch.stack(per_pick, -1).min(-1).values

        # with outcome constraints a chosen recipe may be infeasible in a sample, and then it
        # does not raise the incumbent: only the first bound holds
        pending = None if self.objectives.constraints else beyond_picked
        scored = CountingAcquisition(acqf)
        X, values = lazy_greedy_search(scored, q, choices, bound, pending)
        if self.scored is None:  # BoTorch's search scores every row left, once per slot
            self.scored = (scored.rows, sum(len(choices) - k for k in range(q)))
        return X, values

    def _front(self, baseline: torch.Tensor) -> np.ndarray:
        """Signed posterior means at ``baseline``: the best one (one objective) or the
        non-dominated ones (several)."""
        objs = self.objectives.objectives
        columns = [self.keys.index(o.key) for o in objs]
        mean, _ = posterior_moments(self.model, baseline)
        signed = mean[:, columns].numpy() * np.asarray([o.sign for o in objs], dtype=float)
        if len(objs) == 1:
            return signed.max(axis=0, keepdims=True)
        from botorch.utils.multi_objective.pareto import is_non_dominated

        return signed[is_non_dominated(torch.as_tensor(signed)).numpy()]


class CountingAcquisition:
    """An acquisition function that counts the rows it scores (for the batch message)."""

    def __init__(self, acqf) -> None:
        self.acqf, self.rows = acqf, 0

    @property
    def X_pending(self):
        return self.acqf.X_pending

    def set_X_pending(self, X) -> None:
        self.acqf.set_X_pending(X)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        self.rows += X.shape[0]
        return self.acqf(X)
