"""Propose the next batch of recipes: fit one GP per outcome, maximise the acquisition.

``propose(space, objectives, training, q)`` is deterministic for a given ``seed`` (torch RNG forked,
QMC samplers seeded).  With fewer than ``min_observations`` measured recipes for an objective it
falls back to a scrambled Sobol design and says so.  Continuous spaces use ``optimize_acqf``
(L-BFGS-B / SLSQP with the linear constraints), spaces with discrete or categorical parameters
``optimize_acqf_mixed_alternating`` (no enumeration of combinations), candidate tables
``optimize_acqf_discrete`` over the untested rows (more than ``LAZY_ABOVE`` of them searched
lazily, same choices, :mod:`anodelab.optimize.discrete`).  Batches are built sequentially
(greedy), each point conditioned on the previous ones and on ``pending`` recipes (proposed, not
yet measured).  Every returned recipe is re-checked against the space; a recipe that fails
after rounding is repaired (best feasible point of a Sobol sample) and the repair is recorded.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from botorch.models import ModelListGP
from botorch.optim import optimize_acqf, optimize_acqf_discrete
from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating

from anodelab.models.features import encode
from anodelab.models.gp import DTYPE, GPSurrogate
from anodelab.models.threads import torch_threads
from anodelab.optimize.acquisition import (
    SINGLE_OBJECTIVE,
    build_acquisition,
    check_acquisition,
    default_acquisition,
)
from anodelab.optimize.discrete import (
    LAZY_ABOVE,
    lazy_greedy_search,
    log_expected_improvement,
    log_pending_bound,
    posterior_moments,
)
from anodelab.optimize.explain import nearest_recipes
from anodelab.optimize.levels import (
    STAGNATION_NOISE_FRACTION,
    LevelChoice,
    box_probe,
    hypervolume_improvement,
    improvement_floor,
    noise_std,
    optimistic_prediction,
    rank_levels,
    stale_slots,
)
from anodelab.optimize.objectives import Assembled, ObjectiveSet
from anodelab.optimize.space import Space, _rows_in
from anodelab.schema.errors import InputError

__all__ = ["Proposal", "ProposalSet", "propose", "fit_outcome_models", "OPTIMIZER_BUDGET"]

#: (restarts, raw samples, alternating rounds); "fast" is for tests and quick benchmark runs.
#: Continuous spaces and candidate tables: 64 raw samples gave the same batch quality as 512 on
#: the latency problem (true hypervolume gain 0.5346 both, 6 seeds) in ~20 % less time.
OPTIMIZER_BUDGET = {"default": (10, 64, 8), "fast": (4, 64, 3)}
#: Mixed spaces (``optimize_acqf_mixed_alternating``): random feasible starts instead of the
#: constrained continuous relaxation (SLSQP) and a smaller budget — on the virtual lab
#: (30 observations, 2 objectives, a linear constraint) 10 s instead of 62 s per batch of 4,
#: with batches as good or better on the noise-free truth (docs/performance-optimization.md).
MIXED_BUDGET = {"default": (6, 256, 4), "fast": (4, 128, 3)}
MIXED_OPTIONS: dict = {"initialization_strategy": "random"}


@dataclass
class Proposal:
    parameters: dict[str, Any]
    predictions: dict[str, dict[str, float]]
    acquisition_value: float | None
    reasons: dict[str, Any]


MIN_TARGET_FOR_TRANSFER_CHECK = 3
"""Target-source observations needed before the transfer guard judges the prior sources."""
TRANSFER_MIN_GAIN_NATS = 0.1
"""Mean leave-one-out log-density gain per target observation the prior sources must bring.

A source with (near) zero task correlation gives a gain ≈ 0 ± 0.2 on small synthetic data
(inverted source) while a related one gives ≈ +1; the margin rejects the ties, where the
shared hyperparameters fitted to foreign data are a risk without a benefit."""


@dataclass
class ProposalSet:
    proposals: list[Proposal]
    strategy: str
    message: str
    seed: int
    n_observations: dict[str, int] = field(default_factory=dict)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([p.parameters for p in self.proposals])


def fit_outcome_models(
    space: Space,
    training: Assembled,
    *,
    transfer: bool = False,
    target_source: str | None = None,
    seed: int = 0,
    model_options: dict[str, Any] | None = None,
) -> dict[str, GPSurrogate]:
    """One GP per outcome key with at least two observations (multi-task when ``transfer``).

    ``model_options`` go to every :class:`GPSurrogate` (``kernel``, ``categorical_encoding``).

    Separate GPs, not one batched multi-output GP: on the latency benchmark the batched fit took
    1.3–2.2 s against 0.6–0.95 s for two separate fits (the summed likelihood needs more L-BFGS
    iterations) for identical predictions, and its posterior was slower inside qLogNEHVI.
    """
    features = space.features()
    models: dict[str, GPSurrogate] = {}
    for key, table in training.tables.items():
        if len(table) < 2:
            continue
        use_tasks = transfer and table["source"].nunique() > 1
        model = GPSurrogate(
            features,
            task_column="source" if use_tasks else None,
            target_task=target_source if use_tasks else None,
            random_state=seed,
            **(model_options or {}),
        )
        models[key] = model.fit(table, table["y"].to_numpy())
        if use_tasks:
            models[key] = _guard_transfer(models[key], table, features, seed, model_options)
    return models


def _guard_transfer(
    multi: GPSurrogate,
    table: pd.DataFrame,
    features: list,
    seed: int,
    model_options: dict[str, Any] | None = None,
) -> GPSurrogate:
    """Keep the multi-task GP only if the other sources help predict the target source.

    BoTorch's task covariance cannot be negative, so an unrelated or inverted source can pull
    the target's model the wrong way.  Below ``MIN_TARGET_FOR_TRANSFER_CHECK`` target rows the
    sources are pooled in one single-task GP; from then on the mean closed-form leave-one-out log predictive density of the target rows
    (:meth:`GPSurrogate.loo_log_predictive_density`) under the multi-task GP is compared with
    that of a single-task GP fitted to the target rows alone; the prior sources are dropped
    unless the multi-task GP is better by ``TRANSFER_MIN_GAIN_NATS`` per observation.  The decision is stored in ``transfer_decision_``.
    """
    target = multi.target_task_
    own = table[table["source"].astype(str) == target]
    n_target = len(own)
    if n_target < MIN_TARGET_FOR_TRANSFER_CHECK:
        # A task covariance learnt from one or two target points is degenerate: the multi-task
        # GP then predicts the target's own value everywhere with σ ≈ 0 (seen on the shipped KB
        # after a campaign's first result).  Until the target can be judged, all sources are
        # pooled in one single-task GP — the model the campaign used before its first result.
        pooled = GPSurrogate(features, random_state=seed, **(model_options or {}))
        pooled = pooled.fit(table, table["y"].to_numpy())
        pooled.transfer_decision_ = {
            "used": True,
            "why": f"only {n_target} target observation(s) (< {MIN_TARGET_FOR_TRANSFER_CHECK}):"
            " every source pooled in one single-task GP, unchecked",
            "n_target": n_target,
        }
        return pooled
    single = GPSurrogate(features, random_state=seed, **(model_options or {}))
    single = single.fit(own, own["y"].to_numpy())
    lpd_multi = float(np.mean(multi.loo_log_predictive_density()))
    lpd_single = float(np.mean(single.loo_log_predictive_density()))
    used = lpd_multi - lpd_single >= TRANSFER_MIN_GAIN_NATS
    verdict = "better" if used else "not better"
    decision = {
        "used": used,
        "why": f"leave-one-out log predictive density of the {n_target} target observations: "
        f"{lpd_multi:.3f} with the prior source(s), {lpd_single:.3f} without "
        f"({verdict} by the required {TRANSFER_MIN_GAIN_NATS} nats)",
        "n_target": n_target,
        "loo_lpd_with_prior": round(lpd_multi, 4),
        "loo_lpd_target_only": round(lpd_single, 4),
    }
    chosen = multi if used else single
    chosen.transfer_decision_ = decision
    return chosen


def propose(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    q: int = 1,
    *,
    pending: pd.DataFrame | None = None,
    seed: int = 0,
    min_observations: int = 5,
    transfer: bool = False,
    target_source: str | None = None,
    acquisition: str | None = None,
    budget: str = "default",
    model_options: dict[str, Any] | None = None,
    explore_levels: bool = True,
) -> ProposalSet:
    """Next ``q`` recipes for ``space`` maximising ``objectives`` given ``training`` data.

    ``acquisition`` names a registered acquisition function (default: qLogNEI for one
    objective, qLogNEHVI for several); ``model_options`` go to every :class:`GPSurrogate`
    (``kernel``, ``categorical_encoding``).  ``explore_levels``: with one objective, slots whose
    expected improvement has fallen below a tenth of the measurement noise go to the most
    promising other level of a categorical parameter (:mod:`anodelab.optimize.levels`).

    Runs with one torch thread (``ANODELAB_TORCH_THREADS`` overrides; see
    :mod:`anodelab.models.threads`).
    """
    with torch_threads():
        return _propose(
            space,
            objectives,
            training,
            q,
            pending=pending,
            seed=seed,
            min_observations=min_observations,
            transfer=transfer,
            target_source=target_source,
            acquisition=acquisition,
            budget=budget,
            model_options=model_options,
            explore_levels=explore_levels,
        )


def _propose(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    q: int,
    *,
    pending: pd.DataFrame | None,
    seed: int,
    min_observations: int,
    transfer: bool,
    target_source: str | None,
    acquisition: str | None,
    budget: str,
    model_options: dict[str, Any] | None,
    explore_levels: bool,
) -> ProposalSet:
    if q < 1:
        raise InputError(f"batch size q must be ≥ 1, got {q}")
    name = acquisition or default_acquisition(objectives)
    check_acquisition(name, len(objectives.objectives))
    features = space.features()
    keys = [o.key for o in objectives.outcomes()]
    absent = [k for k in keys if k not in training.tables]
    if absent:
        raise InputError(f"training data has no table for outcome(s) {absent}")
    counts = {k: len(training.tables[k]) for k in keys}
    # every training row counts, the other sources' too: with related data in the KB the model
    # is informed before the campaign's own first result (transfer is what that data is for)
    fewest = min(counts[o.key] for o in objectives.objectives)
    tested = pd.concat(
        [t[space.names[:0] + [f.name for f in features]] for t in training.tables.values()]
    )
    done = tested if pending is None else pd.concat([tested, pending[[f.name for f in features]]])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        models = fit_outcome_models(
            space,
            training,
            transfer=transfer,
            target_source=target_source,
            seed=seed,
            model_options=model_options,
        )
        if fewest < min_observations or any(k not in models for k in keys):
            table = space.sample(
                q, seed=seed + fewest, exclude=done if space.candidates is not None else None
            )
            message = (
                f"cold start: {fewest} measured recipe(s) for the objective(s) "
                f"(< {min_observations}); proposing a space-filling Sobol design"
            )
            return _finish(
                space, objectives, training, models, table, None, "sobol", message, seed, counts
            )
        model = ModelListGP(*[models[k].model_ for k in keys])
        X_base = _unique(torch.tensor(encode(tested, features), dtype=DTYPE))
        X_pend = None
        if pending is not None and len(pending):
            X_pend = torch.tensor(encode(pending, features), dtype=DTYPE)
        ref = _reference_point(objectives, training) if name == "qLogNEHVI" else None

        def acquisition_with(pending: torch.Tensor | None):
            return build_acquisition(
                name,
                model=model,
                objectives=objectives,
                keys=keys,
                X_baseline=X_base,
                X_pending=pending,
                ref_point=ref,
                seed=seed,
            )

        acqf = acquisition_with(X_pend)
        candidates = None
        if space.candidates is not None:
            candidates = _Candidates.untested(space, done, model, objectives, keys, ref)
        X, _ = _optimize(space, acqf, q, candidates, budget, baseline=X_base)
        table = space.snap(_decode(X, space))
        # qLogNEHVI folds pending points into its box decomposition (BoTorch's cache_pending),
        # which set_X_pending cannot undo: after the optimiser's greedy steps it would score
        # every slot against a front that already holds the batch, so it is built afresh
        rebuild = None if name in SINGLE_OBJECTIVE else acquisition_with
        table, repaired = _repair(
            space, lambda: acqf if rebuild is None else rebuild(X_pend), table, seed
        )
        values = _sequential_values(acqf, table, features, X_pend, rebuild)
        exploring: list[dict[str, Any] | None] = [None] * len(table)
        labels = {o.key: o.label for o in objectives.outcomes()}
        message = "GP per outcome, fitted on " + ", ".join(
            f"{n} {labels.get(k, k)} row{'s' * (n != 1)}" for k, n in counts.items()
        )
        if candidates is not None and candidates.scored is not None:
            scored, exhaustive = candidates.scored
            message += (
                f"; candidate table searched lazily: {scored:,} acquisition evaluations instead"
                f" of {exhaustive:,} (rows whose bound was below the best were skipped)"
            )
        if explore_levels and (name in SINGLE_OBJECTIVE or ref is not None):
            own_source = target_source if transfer else None
            explored = _explore_levels(space, objectives, training, models, keys, name, table,
                                       values, candidates, X_pend, budget, seed, own_source, ref)  # fmt: skip
            if explored is not None:
                table, values, exploring = explored
                chosen = sorted({f"{e['parameter']}={e['level']}" for e in exploring if e})
                message += "; converged under the model: exploring " + ", ".join(chosen)
        if repaired:
            message += f"; {repaired} proposal(s) repaired to satisfy the constraints"
        result = _finish(
            space, objectives, training, models, table, values, name, message, seed, counts
        )
        for proposal, note in zip(result.proposals, exploring, strict=True):
            if note is not None:
                proposal.reasons["exploration"] = note
        if ref is not None:
            for p in result.proposals:
                p.reasons["reference_point"] = dict(
                    zip([o.key for o in objectives.objectives], ref, strict=True)
                )
        return result


def _unique(X: torch.Tensor) -> torch.Tensor:
    return torch.unique(X, dim=0) if len(X) else X


def _decode(X: torch.Tensor, space: Space) -> pd.DataFrame:
    from anodelab.models.features import decode

    table = decode(X.detach().numpy(), space.features())
    for name, value in space.fixed.items():
        table[name] = value
    return table[space.names]


@dataclass
class _Candidates:
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
        scored = _Counter(acqf)
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


class _Counter:
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


def _optimize(
    space: Space,
    acqf,
    q: int,
    candidates: _Candidates | None,
    budget: str,
    fixed: dict[int, float] | None = None,
    baseline: torch.Tensor | None = None,
):
    """Maximise ``acqf`` over the space: the untested ``candidates`` of a candidate table
    (``baseline``: the acquisition's measured recipes, for the bounds), else the parameter box."""
    features = space.features()
    mixed = any(f.is_categorical for f in features) or any(p.kind == "discrete" for p in space.free)
    restarts, raw, rounds = (MIXED_BUDGET if mixed else OPTIMIZER_BUDGET)[budget]
    if space.candidates is not None:
        if candidates is None or baseline is None:
            raise ValueError("a candidate table is searched through its untested rows")
        return candidates.search(acqf, q, baseline, fixed)
    lower = [f.lower if not f.is_categorical else 0.0 for f in features]
    upper = [f.upper if not f.is_categorical else float(len(f.categories) - 1) for f in features]
    bounds = torch.tensor([lower, upper], dtype=DTYPE)
    names = [f.name for f in features]
    constraints = [_drop_fixed(space, names, c) for c in space.constraints]
    constraints = [c for c in constraints if c is not None]
    discrete = {j: list(p.values) for j, p in enumerate(space.free) if p.kind == "discrete"}
    categorical = {
        j: list(range(len(f.categories)))
        for j, f in enumerate(features)
        if f.is_categorical and len(f.categories) > 1
    }
    # a categorical parameter with a single level is a constant (BoTorch's mixed optimizer
    # cannot draw neighbours for it)
    single = {j: 0.0 for j, f in enumerate(features) if f.is_categorical and len(f.categories) == 1}
    fixed = {**single, **(fixed or {})} or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if not discrete and not categorical:
            return optimize_acqf(
                acqf,
                bounds=bounds,
                q=q,
                num_restarts=restarts,
                raw_samples=raw,
                sequential=True,
                inequality_constraints=constraints or None,
                fixed_features=fixed,
                options={"maxiter": 100},
            )
        return optimize_acqf_mixed_alternating(
            acqf,
            bounds=bounds,
            discrete_dims=discrete or None,
            cat_dims=categorical or None,
            q=q,
            num_restarts=restarts,
            raw_samples=raw,
            inequality_constraints=constraints or None,
            fixed_features=fixed,
            options={"maxiter_alternating": rounds, **MIXED_OPTIONS},
        )


def _fixed_part(space: Space, constraint) -> float:
    return sum(
        c * float(space.fixed[n]) for n, c in constraint.coefficients.items() if n in space.fixed
    )


def _drop_fixed(space: Space, names: list[str], c):
    """``Σ a x ≤ b`` → BoTorch's ``Σ (−a) x ≥ −b + Σ a·fixed`` over free parameters only."""
    free = {n: v for n, v in c.coefficients.items() if n in names}
    if not free:
        return None
    return (
        torch.tensor([names.index(n) for n in free], dtype=torch.long),
        torch.tensor([-v for v in free.values()], dtype=DTYPE),
        float(-c.rhs + _fixed_part(space, c)),
    )


def _sequential_values(acqf, table: pd.DataFrame, features, X_pend, rebuild=None) -> torch.Tensor:
    """Acquisition value of each proposal given the pending recipes and the proposals before it.

    ``rebuild(X_pending)``, if given, builds a fresh acquisition function to score with instead of
    ``acqf`` — needed where pending points are cached and cannot be taken back, as in qLogNEHVI:
    the fresh one is handed the earlier slots one at a time, as the optimiser's greedy steps did."""
    X = torch.tensor(encode(table, features), dtype=DTYPE)
    scorer = acqf if rebuild is None else rebuild(X_pend)
    values = []
    with torch.no_grad():
        for i in range(len(X)):
            before = [t for t in (X_pend, X[:i]) if t is not None and len(t)]
            scorer.set_X_pending(torch.cat(before) if before else None)
            values.append(float(scorer(X[i : i + 1].unsqueeze(0))))
    acqf.set_X_pending(X_pend)
    return torch.tensor(values, dtype=DTYPE)


def _repair(space: Space, scorer, table: pd.DataFrame, seed: int):
    """Replace proposals violating the space after rounding by the best feasible Sobol point.

    ``scorer()`` gives the acquisition function to rank the Sobol points by (built only when a
    repair is needed)."""
    bad = [i for i in range(len(table)) if space.violations(table.iloc[[i]])]
    if not bad:
        return table, 0
    acqf = scorer()
    pool = space.sample(256, seed=seed + 7919)
    X = torch.tensor(encode(pool, space.features()), dtype=DTYPE).unsqueeze(1)
    with torch.no_grad():
        scores = acqf(X).numpy()
    order = np.argsort(-scores)
    table = table.copy()
    for n, i in enumerate(bad):
        table.iloc[i] = pool.iloc[order[n]][table.columns].to_numpy()
    return table, len(bad)


def _reference_point(objectives: ObjectiveSet, training: Assembled) -> list[float]:
    """Thresholds where given (signed), else the worst observation − 10 % of the observed range."""
    ref = []
    for o in objectives.objectives:
        if o.threshold is not None:
            ref.append(o.sign * o.threshold)
            continue
        y = o.sign * training.tables[o.key]["y"].to_numpy(dtype=float)
        span = float(y.max() - y.min()) or max(abs(float(y.max())), 1.0)
        ref.append(float(y.min() - 0.1 * span))
    return ref


def _finish(space, objectives, training, models, table, values, strategy, message, seed, counts):
    features = space.features()
    keys = [o.key for o in objectives.outcomes()]
    predictions: list[dict[str, dict[str, float]]] = [{} for _ in range(len(table))]
    for key in keys:
        if key in models:
            mean, std = models[key].predict(table, return_std=True)
            for i in range(len(table)):
                predictions[i][key] = {"mean": float(mean[i]), "std": float(std[i])}
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


@dataclass
class _Frame:
    """What level exploration compares against: the campaign's own recipes and its best ones."""

    measured: np.ndarray  # encoded own recipes
    front: np.ndarray  # encoded incumbent (one objective) or Pareto-front recipes
    floor: float  # stagnation floor, in the acquisition's units
    optimistic: Any  # encoded rows -> optimistic score (levels.rank_levels)
    score_sign: float  # turns the score back into the objective's direction for the reason
    wording: dict[str, str]  # how the reason names the acquisition, the floor and the score


def _own_rows(table: pd.DataFrame, own_source: str | None) -> pd.DataFrame:
    if own_source is not None and (table["source"].astype(str) == own_source).any():
        return table[table["source"].astype(str) == own_source]
    return table


def _exploration_frame(
    objectives: ObjectiveSet,
    training: Assembled,
    models: dict[str, GPSurrogate],
    keys: list[str],
    model: ModelListGP,
    features: list,
    own_source: str | None,
    ref: list[float] | None,
) -> _Frame:
    """One objective: the best own measurement and 0.1 σ.  Several: the Pareto front of the
    posterior means at the own recipes (replicates and missing outcomes need no joining) and the
    hypervolume floor of :func:`levels.improvement_floor`."""
    objs = objectives.objectives
    noises = [noise_std(models[o.key].model_) for o in objs]
    columns = [keys.index(o.key) for o in objs]
    signs = np.array([o.sign for o in objs], dtype=float)

    def signed_mean_std(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            post = model.posterior(torch.tensor(rows, dtype=DTYPE))
        mean = post.mean[..., columns].numpy() * signs
        return mean, post.variance[..., columns].clamp_min(0).sqrt().numpy()

    if len(objs) == 1:
        own = _own_rows(training.tables[objs[0].key], own_source)
        measured = encode(own, features)
        incumbent = measured[int(np.argmax(signs[0] * own["y"].to_numpy(dtype=float)))]
        return _Frame(
            measured,
            incumbent[None],
            improvement_floor(noises),
            lambda rows: optimistic_prediction(*signed_mean_std(rows))[:, 0],
            float(signs[0]),
            {
                "gain": "expected improvement",
                "floor": f"{STAGNATION_NOISE_FRACTION} × the measurement noise (σ ≈ {noises[0]:.3g})",
                "score": "optimistic prediction",
            },
        )
    from botorch.utils.multi_objective.pareto import is_non_dominated

    if ref is None:
        raise ValueError("several objectives need the hypervolume reference point")
    own = pd.concat([_own_rows(training.tables[o.key], own_source) for o in objs])
    measured = np.unique(encode(own, features), axis=0)
    mean, _ = signed_mean_std(measured)
    on_front = is_non_dominated(torch.tensor(mean)).numpy()
    front = mean[on_front]
    floor = improvement_floor(noises, front, ref)
    sigmas = ", ".join(f"{o.key} {n:.3g}" for o, n in zip(objs, noises, strict=True))
    return _Frame(
        measured,
        measured[on_front],
        floor,
        lambda rows: hypervolume_improvement(
            optimistic_prediction(*signed_mean_std(rows)), front, ref
        ),
        1.0,  # a hypervolume improvement has no direction
        {
            "gain": "expected hypervolume improvement",
            "floor": f"the hypervolume a Pareto-front recipe would add if it improved by "
            f"{STAGNATION_NOISE_FRACTION} × the measurement noise in every objective "
            f"(≈ {floor:.3g}; σ: {sigmas})",
            "score": "optimistic hypervolume improvement",
        },
    )


def _best_at_level(
    objectives: ObjectiveSet,
    training: Assembled,
    features: list,
    level: LevelChoice,
    own_source: str | None,
) -> float | None | dict[str, float | None]:
    """Best own measurement at the level: a number (one objective) or one per objective."""
    best: dict[str, float | None] = {}
    for o in objectives.objectives:
        own = _own_rows(training.tables[o.key], own_source)
        at_level = encode(own, features)[:, level.column] == level.code
        y = own["y"].to_numpy(dtype=float)[at_level]
        best[o.key] = None if not len(y) else float(y.max() if o.sign > 0 else y.min())
    return best[objectives.objectives[0].key] if len(best) == 1 else best


def _explore_levels(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    models: dict[str, GPSurrogate],
    keys: list[str],
    name: str,
    table: pd.DataFrame,
    values: torch.Tensor,
    candidates: _Candidates | None,
    X_pend: torch.Tensor | None,
    budget: str,
    seed: int,
    own_source: str | None = None,
    ref: list[float] | None = None,
) -> tuple[pd.DataFrame, torch.Tensor, list[dict[str, Any] | None]] | None:
    """Converged slots → the best recipe of the most promising other categorical level.

    See :mod:`anodelab.optimize.levels`.  With transfer, ``own_source`` names the campaign's own
    source: the incumbent (or front) and each level's best are taken from its rows, not the prior
    sources'.  ``ref``: the hypervolume reference point (several objectives).
    Returns ``(table, values, notes)`` with ``notes[i]``
    the exploration reason of slot ``i`` (``None`` where the slot is unchanged), or ``None``.
    """
    features = space.features()
    if not any(f.is_categorical for f in features):
        return None
    model = ModelListGP(*[models[k].model_ for k in keys])
    frame = _exploration_frame(objectives, training, models, keys, model, features, own_source, ref)
    stale = stale_slots(values.detach().numpy(), frame.floor)
    if not stale:
        return None
    levels = rank_levels(frame.optimistic, features, frame.front, box_probe(features, 512, seed))
    if not levels:  # every level is on the front, or every categorical has a single level
        return None
    table = table.copy()
    X = torch.tensor(encode(table, features), dtype=DTYPE)
    kept = [i for i in range(len(table)) if i not in stale]
    new_values = values.detach().clone()
    notes: list[dict[str, Any] | None] = [None] * len(table)
    words = frame.wording
    for n, i in enumerate(stale):
        level = levels[n % len(levels)]
        rows = frame.measured[:, level.column] == level.code
        baseline = frame.measured[rows] if rows.any() else frame.measured
        before = [t for t in (X_pend, X[kept]) if t is not None and len(t)]
        X_level = _unique(torch.tensor(baseline, dtype=DTYPE))
        acqf = build_acquisition(
            name,
            model=model,
            objectives=objectives,
            keys=keys,
            X_baseline=X_level,
            X_pending=torch.cat(before) if before else None,
            ref_point=ref,
            seed=seed,
        )
        try:
            x, value = _optimize(space, acqf, 1, candidates, budget,
                                 fixed={level.column: level.code}, baseline=X_level)  # fmt: skip
        except InputError:  # a candidate table with no untested recipe of this level
            continue
        row = space.snap(_decode(x, space))
        if space.violations(row):
            continue
        table.iloc[i] = row.iloc[0][table.columns].to_numpy()
        X[i] = torch.tensor(encode(row, features), dtype=DTYPE)[0]
        kept.append(i)
        new_values[i] = float(value.reshape(-1)[0])
        feature = features[level.column]
        label = feature.categories[level.code]
        score = level.optimistic_value * frame.score_sign
        notes[i] = {
            "parameter": feature.name,
            "level": label,
            "why": (
                f"{words['gain']} of this slot fell below {words['floor']}: the campaign has "
                f"converged under the model, so the slot explores {feature.name} = {label} "
                f"({words['score']} {score:.4g})"
            ),
            "best_measured_at_level": _best_at_level(
                objectives, training, features, level, own_source
            ),  # fmt: skip
            "acquisition_is_relative_to": "best measurement at this level"
            if rows.any()
            else "best measurement overall (level not yet measured)",
        }
    if not any(notes):
        return None
    return table, new_values, notes
