"""Searching a large candidate table: BoTorch's greedy discrete search, evaluated lazily.

BoTorch's ``optimize_acqf_discrete`` scores every untested row with the Monte-Carlo acquisition
function once per slot of the batch (sequential greedy): ``q × rows`` evaluations.  A batch of 4
from a 10⁶-row table took 139 s with qLogNEI and 833 s with qLogNEHVI
(``bench/candidates_bench.py``, docs/performance.md "Large candidate tables").

:func:`lazy_greedy_search` makes the same greedy choices with far fewer evaluations — the lazy
greedy of Minoux (1978) for a submodular batch value.  Each row gets a cheap upper bound of its
acquisition value in the same log units; a slot scores rows in decreasing order of their bound and
stops as soon as the bound of every row left, plus :data:`LAZY_MARGIN`, is below the best value
found.  The bounds, from the posterior mean and variance of each row (closed form; the outcomes'
GPs are independent):

* :math:`\\log \\mathrm{EI}` (one objective) or :math:`\\log \\mathrm{EHVI}` (several) over the
  posterior means at the measured recipes, plus the log probability of meeting the outcome
  constraints (:func:`log_expected_improvement`): the closed-form value of the row on its own.
  Pending recipes only lower the incremental acquisition (its incumbent or front can only grow),
  so this bounds every slot.
* For slots after the first, without outcome constraints: for each recipe ``p`` already chosen,
  the improvement over the best of the measured and pending recipes is at most the improvement
  over ``p`` alone (sample by sample).  One objective: :math:`E[(s f(x) - s f(p))^+]`, the expected improvement of a
  Gaussian difference (which needs the posterior covariance of ``x`` and ``p``).  Several: the
  hypervolume a point ``y`` adds beyond ``p`` is at most
  :math:`\\sum_k (y_k - p_k)^+ \\prod_{j \\ne k} (y_j - r_j)^+`, whose expectation factorises
  over the independent objectives (:func:`log_pending_bound`).  This is what stops the later
  slots from re-scoring the crowd of rows next to the first choice.

The bounds hold for the expectations (the first one for a fixed incumbent); the Monte-Carlo
estimate of the acquisition — 64 or 128 samples, the smoothing of the log-acquisitions, an
incumbent that is itself uncertain — can exceed them.  Measured on 10⁴-row tables (51 and 30
cases, rows within 1–1.5 of the best), the estimate exceeded the first bound by at most 0.63 and
the second by at most 0.28 (log units); :data:`LAZY_MARGIN` = 1 covers both.  The lazy search
chose the same recipes as the exhaustive one in every comparison made (docs/performance.md and
``tests/optimize/test_candidate_tables.py``).  BoTorch's Monte-Carlo acquisition is itself
slightly path-dependent (its samplers keep state between calls: the same recipe scored 1.716
after an exhaustive first slot and 1.688 after a lazy one), so two searches that visit rows
differently can in principle part on a near-tie; the values reported with the proposals are
recomputed afterwards either way.  Ties break by table order, as in BoTorch's search;
nothing is random, so proposals stay deterministic for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "LAZY_ABOVE",
    "LAZY_MARGIN",
    "posterior_moments",
    "log_h",
    "log_expected_improvement",
    "log_pending_bound",
    "lazy_greedy_search",
]

LAZY_ABOVE = 20_000
"""Untested rows above which the table is searched lazily (up to this, every row is scored)."""
LAZY_MARGIN = 1.0
"""Slack (log units) between a row's bound and the best value before the row is skipped."""
CHUNK = 1024  # rows per batched posterior / acquisition call (fastest of 256…20 000 here)


def posterior_moments(
    model, X: torch.Tensor, chunk: int = CHUNK
) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior mean and std (``rows × outputs``) of each row on its own (no joint covariance:
    a joint posterior over 20 000 rows needed 15 GB)."""
    means, stds = [], []
    with torch.no_grad():
        for part in X.split(chunk):
            post = model.posterior(part.unsqueeze(-2))  # rows × 1 × d: one 1×1 covariance each
            means.append(post.mean.squeeze(-2))
            stds.append(post.variance.clamp_min(1e-18).sqrt().squeeze(-2))
    if not means:
        return torch.zeros(0, 0, dtype=X.dtype), torch.zeros(0, 0, dtype=X.dtype)
    return torch.cat(means), torch.cat(stds)


def log_h(z: torch.Tensor) -> torch.Tensor:
    """:math:`\\log(\\varphi(z) + z\\Phi(z))`, the log of the standard expected improvement,
    accurate far into the lower tail (for :math:`z \\le -1` through the scaled complementary
    error function, where the direct form cancels; Ament et al., 2023)."""
    z = torch.as_tensor(z, dtype=torch.float64)
    out = torch.empty_like(z)
    upper = z > -1
    zu = z[upper]
    phi = torch.exp(-0.5 * zu**2) / math.sqrt(2 * math.pi)
    out[upper] = torch.log(phi + zu * torch.special.ndtr(zu))
    zl = -z[~upper]  # ≥ 1
    log_phi = -0.5 * zl**2 - 0.5 * math.log(2 * math.pi)
    far = zl > 1e3  # h(z) ≈ φ(z) / z² there
    ratio = zl * math.sqrt(math.pi / 2) * torch.special.erfcx(zl / math.sqrt(2))
    near = log_phi + torch.log1p(-ratio.clamp_max(1 - 1e-16))
    out[~upper] = torch.where(far, log_phi - 2 * torch.log(zl), near)
    return out


def _log_ei(mu: torch.Tensor, sigma: torch.Tensor, threshold: float | torch.Tensor) -> torch.Tensor:
    """:math:`\\log E[(Y - t)^+]` for :math:`Y \\sim N(\\mu, \\sigma^2)`."""
    return torch.log(sigma) + log_h((mu - threshold) / sigma)


def _log_cell_factor(mu: torch.Tensor, sigma: torch.Tensor, lower: float, upper: float):
    """:math:`\\log E[(\\min(Y, u) - l)^+]` for :math:`Y \\sim N(\\mu, \\sigma^2)`:
    :math:`\\sigma\\,[h((\\mu-l)/\\sigma) - h((\\mu-u)/\\sigma)]`."""
    at_lower = _log_ei(mu, sigma, lower)
    if math.isinf(upper):
        return at_lower
    at_upper = _log_ei(mu, sigma, upper)
    return at_lower + torch.log1p(-torch.exp((at_upper - at_lower).clamp_max(-1e-300)))


def log_expected_improvement(
    mean: torch.Tensor,
    std: torch.Tensor,
    front: np.ndarray,
    ref_point: Sequence[float] | None = None,
) -> torch.Tensor:
    """Log expected (hypervolume) improvement of independent Gaussian outcomes over ``front``.

    ``mean``/``std`` are ``rows × m`` with every objective to maximise; ``front`` holds the
    incumbent values (``k × m``).  One objective: :math:`\\log E[(Y - \\max F)^+]`.  Several:
    the region above ``ref_point`` not dominated by ``front`` split into boxes
    :math:`[l_c, u_c]` (as :func:`anodelab.optimize.levels.hypervolume_improvement` does), and
    since the outcomes are independent,

    .. math:: \\mathrm{EHVI} = \\sum_c \\prod_k E[(\\min(Y_k, u_{c,k}) - l_{c,k})^+]

    (Yang et al., 2019, *J. Global Optimization* 75:3), summed in log space so that rows far
    below the front still rank instead of tying at 0.
    """
    m = mean.shape[-1]
    front = np.asarray(front, dtype=float).reshape(-1, m)
    if m == 1:
        return _log_ei(mean[:, 0], std[:, 0], float(front.max()))
    from botorch.utils.multi_objective.box_decompositions.non_dominated import (
        FastNondominatedPartitioning,
    )

    if ref_point is None:
        raise ValueError("several objectives need the hypervolume reference point")
    ref = torch.as_tensor(np.asarray(ref_point, float), dtype=torch.float64)
    Y = torch.as_tensor(front, dtype=torch.float64)
    cells = FastNondominatedPartitioning(ref_point=ref, Y=Y).get_hypercell_bounds()
    terms = []
    for lower, upper in zip(cells[0].tolist(), cells[1].tolist(), strict=True):
        terms.append(
            sum(_log_cell_factor(mean[:, k], std[:, k], lower[k], upper[k]) for k in range(m))
        )
    return torch.logsumexp(torch.stack(terms), dim=0)


def log_pending_bound(
    mean: torch.Tensor,
    std: torch.Tensor,
    diff_mean: torch.Tensor,
    diff_std: torch.Tensor,
    ref_point: Sequence[float] | None = None,
) -> torch.Tensor:
    """Log bound of the improvement of a row beyond one chosen recipe ``p`` (module docstring).

    ``mean``/``std``: ``rows × m`` of the row (every objective to maximise); ``diff_mean``/
    ``diff_std``: of :math:`Y_k - P_k` per objective.  One objective: :math:`\\log E[(Y-P)^+]`;
    several: :math:`\\log \\sum_k E[(Y_k - P_k)^+] \\prod_{j \\ne k} E[(Y_j - r_j)^+]`."""
    beyond = _log_ei(diff_mean, diff_std, 0.0)
    m = mean.shape[-1]
    if m == 1:
        return beyond[:, 0]
    if ref_point is None:
        raise ValueError("several objectives need the hypervolume reference point")
    above_ref = torch.stack([_log_ei(mean[:, j], std[:, j], ref_point[j]) for j in range(m)], 1)
    total = above_ref.sum(1, keepdim=True)
    return torch.logsumexp(beyond + total - above_ref, dim=1)


def lazy_greedy_search(
    acqf,
    q: int,
    choices: torch.Tensor,
    bound: torch.Tensor,
    pending_bound=None,
    margin: float | None = None,
    chunk: int = CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The choices and values of BoTorch's ``optimize_acqf_discrete(acqf, q, choices)``, scoring
    rows lazily.

    ``bound``: an upper bound of each row's acquisition value (log units, any slot);
    ``pending_bound(rows, picked)``, if given: a bound of the value of ``choices[rows]`` once the
    rows ``picked`` are pending; both trusted to within ``margin``.  Like BoTorch, each choice is
    added to the acquisition's pending points for the next slot and the pending points are
    restored at the end; ties go to the first row of the table."""
    margin = LAZY_MARGIN if margin is None else margin
    n = len(choices)
    order = np.argsort(-np.nan_to_num(bound.numpy(), nan=np.inf), kind="stable")
    sorted_bound = np.nan_to_num(bound.numpy()[order], nan=np.inf)
    taken = np.zeros(n, dtype=bool)
    base_pending = acqf.X_pending
    picked: list[int] = []
    values: list[torch.Tensor] = []
    for _ in range(min(q, n)):
        best_value, best_row, best_score = -math.inf, None, None
        start = 0
        while start < n and sorted_bound[start] + margin >= best_value:
            rows = order[start : start + chunk]
            start += chunk
            rows = rows[~taken[rows]]
            if picked and pending_bound is not None and len(rows):
                tighter = np.nan_to_num(pending_bound(rows, picked).numpy(), nan=np.inf)
                rows = rows[tighter + margin >= best_value]
            if not len(rows):
                continue
            with torch.no_grad():
                scores = acqf(choices[rows].unsqueeze(-2))
            plain = np.nan_to_num(scores.numpy(), nan=-np.inf)
            top = float(plain.max())
            first = int(rows[plain == top].min())
            if best_row is None or top > best_value or (top == best_value and first < best_row):
                best_value, best_row = top, first
                best_score = scores[torch.as_tensor(rows == first)][0]
        assert best_row is not None and best_score is not None  # the first chunk is scored
        picked.append(best_row)
        values.append(best_score)
        taken[best_row] = True
        X = choices[picked]
        acqf.set_X_pending(X if base_pending is None else torch.cat([base_pending, X], dim=-2))
    acqf.set_X_pending(base_pending)
    return choices[picked], torch.stack(values)
