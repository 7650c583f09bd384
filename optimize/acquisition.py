"""Acquisition functions, registered by name (a dict filled by a decorator that refuses duplicates).

* ``qLogNEI`` — noisy expected improvement, log-transformed for numerically stable optimisation
  (Ament et al., 2023, *Unexpected improvements to expected improvement for Bayesian
  optimization*, NeurIPS; Letham et al., 2019, *Bayesian Analysis* 14:495 for the noisy form):

  .. math:: \\alpha(x) = \\log \\mathbb E\\big[\\max(0,\\ s\\,f(x) - \\max_{x' \\in X_{obs}} s\\,f(x'))\\big]

  with :math:`s = \\pm 1` for maximise/minimise, estimated by quasi-Monte-Carlo over the joint
  posterior of the candidate and the observed recipes.
* ``qLogNEHVI`` — log noisy expected hypervolume improvement for several objectives (Daulton et
  al., 2021, NeurIPS), batches built one point at a time (sequential greedy).

Outcome constraints :math:`g(x) \\ge c` enter both through a smooth feasibility weight
(Gardner et al., 2014, ICML).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogExpectedImprovement, qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.objective import WeightedMCMultiOutputObjective
from botorch.acquisition.objective import GenericMCObjective
from botorch.models.model import Model
from botorch.sampling import SobolQMCNormalSampler

from anodelab.optimize.kernel_cache import isolate_extension_cache
from anodelab.optimize.objectives import ObjectiveSet
from anodelab.schema.errors import InputError

__all__ = [
    "ACQUISITIONS",
    "register_acquisition",
    "build_acquisition",
    "default_acquisition",
    "check_acquisition",
]

#: Acquisition functions that score one objective (the others take every objective).
SINGLE_OBJECTIVE = {"qLogNEI", "qLogEI"}

Builder = Callable[..., AcquisitionFunction]
ACQUISITIONS: dict[str, Builder] = {}


def register_acquisition(name: str) -> Callable[[Builder], Builder]:
    """Decorator adding an acquisition builder to :data:`ACQUISITIONS` (duplicates refused)."""

    def wrap(builder: Builder) -> Builder:
        if name in ACQUISITIONS:
            raise ValueError(f"acquisition {name!r} is already registered")
        ACQUISITIONS[name] = builder
        return builder

    return wrap


def default_acquisition(objectives: ObjectiveSet) -> str:
    return "qLogNEI" if len(objectives.objectives) == 1 else "qLogNEHVI"


def _column_objective(sign: float, column: int) -> Callable[..., torch.Tensor]:
    """``sign · Y[..., column]``: the objective as a quantity to maximize."""

    def objective(Y: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
        return sign * Y[..., column]

    return objective


def _constraint_callables(objectives: ObjectiveSet, keys: Sequence[str]) -> list[Callable]:
    """BoTorch convention: feasible where the callable is ≤ 0."""
    out = []
    for c in objectives.constraints:
        j = keys.index(c.outcome.key)
        if c.op == ">=":
            out.append(lambda Z, j=j, v=c.value: v - Z[..., j])
        else:
            out.append(lambda Z, j=j, v=c.value: Z[..., j] - v)
    return out


def _single_objective(
    objectives: ObjectiveSet, keys: Sequence[str], X_pending: torch.Tensor | None, seed: int
) -> tuple[float, int, dict]:
    """Sign and column of the (first) objective, and the keyword arguments both EI forms share."""
    objective = objectives.objectives[0]
    j = keys.index(objective.key)
    shared = {
        "sampler": SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=seed),
        "objective": GenericMCObjective(_column_objective(objective.sign, j)),
        "constraints": _constraint_callables(objectives, keys) or None,
        "X_pending": X_pending,
    }
    return objective.sign, j, shared


@register_acquisition("qLogNEI")
def _q_log_nei(
    model: Model,
    objectives: ObjectiveSet,
    keys: Sequence[str],
    X_baseline: torch.Tensor,
    X_pending: torch.Tensor | None,
    ref_point: Sequence[float] | None,
    seed: int,
) -> AcquisitionFunction:
    _, _, shared = _single_objective(objectives, keys, X_pending, seed)
    return qLogNoisyExpectedImprovement(
        model=model, X_baseline=X_baseline, prune_baseline=True, **shared
    )


@register_acquisition("qLogEI")
def _q_log_ei(
    model: Model,
    objectives: ObjectiveSet,
    keys: Sequence[str],
    X_baseline: torch.Tensor,
    X_pending: torch.Tensor | None,
    ref_point: Sequence[float] | None,
    seed: int,
) -> AcquisitionFunction:
    sign, j, shared = _single_objective(objectives, keys, X_pending, seed)
    with torch.no_grad():
        mean = model.posterior(X_baseline).mean  # type: ignore[attr-defined]  # a GPyTorch posterior
        best_f = (sign * mean[..., j]).max()
    return qLogExpectedImprovement(model=model, best_f=best_f, **shared)


@register_acquisition("qLogNEHVI")
def _q_log_nehvi(
    model: Model,
    objectives: ObjectiveSet,
    keys: Sequence[str],
    X_baseline: torch.Tensor,
    X_pending: torch.Tensor | None,
    ref_point: Sequence[float] | None,
    seed: int,
) -> AcquisitionFunction:
    if ref_point is None:
        raise ValueError("qLogNEHVI needs a reference point")
    isolate_extension_cache()  # before BoTorch loads (or builds) its fused kernel
    idx = [keys.index(o.key) for o in objectives.objectives]
    weights = torch.tensor([o.sign for o in objectives.objectives], dtype=X_baseline.dtype)
    return qLogNoisyExpectedHypervolumeImprovement(
        model=model,
        ref_point=list(ref_point),
        X_baseline=X_baseline,
        sampler=SobolQMCNormalSampler(sample_shape=torch.Size([64]), seed=seed),
        objective=WeightedMCMultiOutputObjective(weights=weights, outcomes=idx),
        constraints=_constraint_callables(objectives, keys) or None,
        X_pending=X_pending,
        prune_baseline=True,
    )


def check_acquisition(name: str, n_objectives: int) -> None:
    """Refuse an unknown name, or a single-objective function for several objectives."""
    if name not in ACQUISITIONS:
        raise InputError(f"unknown acquisition {name!r}; registered: {sorted(ACQUISITIONS)}")
    if name in SINGLE_OBJECTIVE and n_objectives > 1:
        raise InputError(
            f"acquisition {name!r} optimises one objective, the campaign has {n_objectives}; "
            "use qLogNEHVI"
        )


def build_acquisition(name: str, **kwargs) -> AcquisitionFunction:
    """Build the registered acquisition ``name``; unknown names list the registered ones."""
    if name not in ACQUISITIONS:
        raise ValueError(f"unknown acquisition {name!r}; registered: {sorted(ACQUISITIONS)}")
    return ACQUISITIONS[name](**kwargs)
