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
    "stale_slots",
    "rank_levels",
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
    optimistic_value: float  # max of sign·μ + OPTIMISM_SIGMAS·σ over the probe, outcome units


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


def stale_slots(log_values: np.ndarray, noise: float) -> list[int]:
    """Slots whose expected improvement, ``exp(log_values)``, is below the stagnation floor."""
    floor = math.log(max(STAGNATION_NOISE_FRACTION * noise, 1e-300))
    return [i for i, v in enumerate(np.asarray(log_values, float)) if not v >= floor]


def rank_levels(
    posterior_mean_std,
    features: list[Feature],
    incumbent_codes: np.ndarray,
    probe_codes: np.ndarray,
) -> list[LevelChoice]:
    """Every level other than the incumbent's, best optimistic prediction first.

    ``posterior_mean_std(X) -> (mean, std)`` gives the objective as a quantity to maximise
    (sign applied) for encoded rows ``X``; ``probe_codes`` are encoded space-filling rows whose
    categorical column is overwritten with each level in turn.
    """
    choices = []
    for j, feature in enumerate(features):
        if not feature.is_categorical:
            continue
        for code in range(len(feature.categories)):
            if code == int(incumbent_codes[j]):
                continue
            rows = probe_codes.copy()
            rows[:, j] = code
            mean, std = posterior_mean_std(rows)
            optimistic = mean + OPTIMISM_SIGMAS * std
            choices.append(LevelChoice(j, code, float(np.max(optimistic))))
    return sorted(choices, key=lambda c: -c.optimistic_value)


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
