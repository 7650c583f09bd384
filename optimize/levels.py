"""Exploring other levels of a categorical parameter once the campaign has converged.

Expected improvement is greedy about categorical choices: when the first few recipes of a level
(say polydopamine coatings) miss that level's narrow optimum, the model ranks the whole level
below the incumbent and never proposes it again; the rest of the budget is spent repeating the
incumbent's neighbourhood (CoCaBO, Ru et al. 2020, ICML, treats the categorical choice as a bandit
for this reason).  Here the trigger is the model's own verdict: a batch slot whose expected
improvement is below :data:`STAGNATION_NOISE_FRACTION` of the measurement noise cannot be told
from a repeat, so it goes instead to the most promising *other* level, proposing the recipe with
the highest expected improvement over that level's best measurement.  The most promising level is
the one with the highest optimistic prediction, :math:`\\max_x \\mu(x) + 2\\sigma(x)` over a
Sobol probe of the space with the level fixed.

With several objectives the same rule is stated in hypervolume: a slot is stale when its
expected hypervolume improvement is below what one Pareto-front recipe improved by
:data:`STAGNATION_NOISE_FRACTION` of the noise in every objective would add
(:func:`improvement_floor`), levels with no recipe on the front are the "other" ones, and they are
ranked by the hypervolume improvement of their optimistic predictions (:func:`hypervolume_improvement`).

Measured on the virtual Si/C lab (``bench/optimization``, docs/performance-optimization.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from anodelab.models.features import Feature

__all__ = [
    "STAGNATION_NOISE_FRACTION",
    "OPTIMISM_SIGMAS",
    "LevelChoice",
    "noise_std",
    "improvement_floor",
    "hypervolume_improvement",
    "stale_slots",
    "rank_levels",
    "optimistic_prediction",
    "box_probe",
]

STAGNATION_NOISE_FRACTION = 0.1
"""A slot whose expected improvement is below this fraction of the measurement noise σ has
converged: one measurement could not tell the gain from noise."""

OPTIMISM_SIGMAS = 2.0
"""How many posterior standard deviations the level ranking adds to the mean."""


@dataclass(frozen=True)
class LevelChoice:
    """A level of a categorical input to explore, with its optimistic prediction."""

    column: int  # index of the categorical feature
    code: int  # level code
    #: max over the probe of the optimistic score: sign·μ + OPTIMISM_SIGMAS·σ (outcome units)
    #: with one objective, the hypervolume improvement of those optimistic values with several
    optimistic_value: float


def noise_std(model) -> float:
    """Measurement-noise standard deviation in outcome units of a fitted single-output GP.

    The difference between the predictive variance with and without observation noise at the
    training inputs, averaged, so that outcome transforms (standardization) are undone.
    """
    X = model.train_inputs[0]
    with torch.no_grad():
        with_noise = model.posterior(X, observation_noise=True).variance
        without = model.posterior(X).variance
    return float((with_noise - without).clamp_min(0).mean().sqrt())


def hypervolume_improvement(
    points: np.ndarray, front: np.ndarray, ref_point: np.ndarray | list[float]
) -> np.ndarray:
    r"""Hypervolume each of ``points`` (n × m, every objective to maximise) adds to ``front``.

    With the region not dominated by ``front`` (above ``ref_point``) split into boxes
    :math:`[l_c, u_c]` (BoTorch's ``FastNondominatedPartitioning``; Lacour et al., 2017,
    *Computers & Operations Research* 79:347), the improvement of a point :math:`y` is

    .. math:: \mathrm{HVI}(y) = \sum_c \prod_k \max(0,\ \min(y_k, u_{c,k}) - l_{c,k})

    in the product of the objectives' units (the form analytic EHVI integrates; Yang et al.,
    2019, *J. Global Optimization* 75:3).
    """
    from botorch.utils.multi_objective.box_decompositions.non_dominated import (
        FastNondominatedPartitioning,
    )

    ref = torch.as_tensor(np.asarray(ref_point, float), dtype=torch.float64)
    Y = torch.as_tensor(np.asarray(front, float), dtype=torch.float64).reshape(-1, len(ref))
    cells = FastNondominatedPartitioning(ref_point=ref, Y=Y).get_hypercell_bounds()
    lower, upper = cells[0], cells[1]  # each: cells × m
    P = torch.as_tensor(np.asarray(points, float), dtype=torch.float64).reshape(-1, 1, len(ref))
    sides = (torch.minimum(P, upper) - lower).clamp_min(0)
    return sides.prod(-1).sum(-1).numpy()


def improvement_floor(
    noise: list[float] | np.ndarray,
    front: np.ndarray | None = None,
    ref_point: np.ndarray | list[float] | None = None,
) -> float:
    r"""The smallest improvement one measurement could tell from noise, in the acquisition's units.

    One objective: :data:`STAGNATION_NOISE_FRACTION` × σ (``noise`` = [σ]).  Several: the largest
    hypervolume that one recipe of ``front`` (signed observations or predictions, every objective
    to maximise) would add if it improved by that fraction of its noise in every objective,
    :math:`\max_{y \in F} \mathrm{HVI}(y + 0.1\,\sigma)`; with one objective this is the same
    number.
    """
    step = STAGNATION_NOISE_FRACTION * np.asarray(noise, float)
    if front is None or len(step) == 1:
        return float(step[0])
    if ref_point is None:
        raise ValueError("several objectives need the reference point of the hypervolume")
    front = np.asarray(front, float).reshape(-1, len(step))
    return float(np.max(hypervolume_improvement(front + step, front, ref_point)))


def stale_slots(log_values: np.ndarray, floor: float) -> list[int]:
    """Slots whose expected improvement, ``exp(log_values)``, is below ``floor``
    (:func:`improvement_floor`)."""
    log_floor = math.log(max(floor, 1e-300))
    return [i for i, v in enumerate(np.asarray(log_values, float)) if not v >= log_floor]


def rank_levels(
    optimistic,
    features: list[Feature],
    front_codes: np.ndarray,
    probe_codes: np.ndarray,
) -> list[LevelChoice]:
    """Every level with no recipe in ``front_codes``, best optimistic score first.

    ``optimistic(X) -> scores`` scores encoded rows ``X`` (one objective: sign·μ +
    :data:`OPTIMISM_SIGMAS`·σ; several: the hypervolume improvement of those values);
    ``front_codes`` are the encoded incumbent (one objective) or Pareto-front recipes, whose levels
    are not "other"; ``probe_codes`` are encoded space-filling rows whose categorical column is
    overwritten with each level in turn.
    """
    front_codes = np.atleast_2d(np.asarray(front_codes, float))
    choices = []
    for j, feature in enumerate(features):
        if not feature.is_categorical:
            continue
        taken = {int(c) for c in front_codes[:, j]}
        for code in range(len(feature.categories)):
            if code in taken:
                continue
            rows = probe_codes.copy()
            rows[:, j] = code
            choices.append(LevelChoice(j, code, float(np.max(optimistic(rows)))))
    return sorted(choices, key=lambda c: -c.optimistic_value)


def optimistic_prediction(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """sign·μ + :data:`OPTIMISM_SIGMAS`·σ (``mean`` already signed: larger is better)."""
    return mean + OPTIMISM_SIGMAS * std


def box_probe(features: list[Feature], n: int, seed: int) -> np.ndarray:
    """``n`` scrambled-Sobol rows of the parameter box, encoded as the models take them.

    Linear constraints are ignored (the probe ranks levels; it proposes nothing) and conditional
    inputs keep their drawn value (the model's own transform blanks them where inactive).
    """
    from scipy.stats import qmc

    u = qmc.Sobol(len(features), scramble=True, seed=seed).random(n)
    rows = np.empty_like(u)
    for j, f in enumerate(features):
        if f.is_categorical:
            rows[:, j] = np.minimum(np.floor(u[:, j] * len(f.categories)), len(f.categories) - 1)
        else:
            rows[:, j] = f.lower + u[:, j] * (f.upper - f.lower)
    return rows
