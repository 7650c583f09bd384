"""Screening a large candidate table before the exact discrete search.

BoTorch's ``optimize_acqf_discrete`` scores every untested row with the Monte-Carlo acquisition
function, once per slot of the batch (sequential greedy): ``q × rows`` evaluations.  On a
10⁵-row table that took 12 s with qLogNEI and 92 s with qLogNEHVI for a batch of 4
(``bench/candidates_bench.py``); 10⁶ rows would take minutes to a quarter of an hour.

Above :data:`SCREEN_ABOVE` untested rows, the rows are screened first.  The posterior mean
:math:`\\mu_k` and standard deviation :math:`\\sigma_k` of every outcome are computed at every
row once (closed form, no Monte-Carlo samples; the outcomes' GPs are independent), and the
exact search then runs over the union of the :data:`SCREEN_KEEP` best rows by each of

* the closed-form counterpart of the acquisition: the expected improvement (one objective) or
  expected hypervolume improvement (several) over the posterior means at the measured recipes,
  times the probability of meeting the outcome constraints (:func:`log_expected_improvement`);
* per objective, the optimistic value :math:`s\\,\\mu_k + 2\\sigma_k` (rows far from the data);
* per objective, the expected value :math:`s\\,\\mu_k` (rows near the best).

It is a screen, not a bound: the Monte-Carlo acquisition also depends on how a row covaries
with the measured and pending recipes.  Measured on the benchmark's tables, the rows the
exhaustive search chooses rank far inside the kept set, and the screened search proposes the
same recipes (docs/performance.md, "Large candidate tables"; tested in
``tests/optimize/test_candidate_screen.py``).  The kept rows keep their table order, so ties are
broken as the exhaustive search breaks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "SCREEN_ABOVE",
    "SCREEN_KEEP",
    "posterior_moments",
    "log_h",
    "log_expected_improvement",
    "screen_rows",
]

SCREEN_ABOVE = 20_000
"""Untested rows above which the table is screened (at most this many are searched exhaustively)."""
SCREEN_KEEP = 1_000
"""Rows kept per screening score (the union is searched: at most ``(1 + 2 × objectives) ×`` this)."""
OPTIMISM_SIGMAS = 2.0
CHUNK = 1024  # rows per batched posterior call (fastest of 256…20 000 on the benchmark machine)


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
    out[upper] = torch.log(
        torch.exp(-0.5 * zu**2) / math.sqrt(2 * math.pi) + zu * torch.special.ndtr(zu)
    )
    zl = -z[~upper]  # ≥ 1
    log_phi = -0.5 * zl**2 - 0.5 * math.log(2 * math.pi)
    far = zl > 1e3  # h(z) ≈ φ(z) / z² there
    ratio = zl * math.sqrt(math.pi / 2) * torch.special.erfcx(zl / math.sqrt(2))
    near = log_phi + torch.log1p(-ratio.clamp_max(1 - 1e-16))
    out[~upper] = torch.where(far, log_phi - 2 * torch.log(zl), near)
    return out


def _log_cell_factor(mu: torch.Tensor, sigma: torch.Tensor, lower: float, upper: float):
    """:math:`\\log E[(\\min(Y, u) - l)^+]` for :math:`Y \\sim N(\\mu, \\sigma^2)`:
    :math:`\\sigma\\,[h((\\mu-l)/\\sigma) - h((\\mu-u)/\\sigma)]`."""
    at_lower = log_h((mu - lower) / sigma)
    if math.isinf(upper):
        return torch.log(sigma) + at_lower
    at_upper = log_h((mu - upper) / sigma)
    gap = torch.log1p(-torch.exp((at_upper - at_lower).clamp_max(-1e-300)))
    return torch.log(sigma) + at_lower + gap


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
        return _log_cell_factor(mean[:, 0], std[:, 0], float(front.max()), math.inf)
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


def _top(score: torch.Tensor, keep: int) -> np.ndarray:
    """Indices of the ``keep`` largest scores (NaN last; ties in table order)."""
    values = np.nan_to_num(score.numpy().astype(float), nan=-np.inf)
    return np.argsort(-values, kind="stable")[:keep]


def screen_rows(
    mean: torch.Tensor,
    std: torch.Tensor,
    signs: Sequence[float],
    objective_columns: Sequence[int],
    front: np.ndarray,
    ref_point: Sequence[float] | None = None,
    constraints: Sequence[tuple[int, str, float]] = (),
    keep: int | None = None,
) -> np.ndarray:
    """Sorted row indices kept by the screen (see the module docstring).

    ``mean``/``std``: ``rows × outputs`` in outcome units; ``signs``/``objective_columns``:
    direction and output column of each objective; ``front``: the incumbent(s), signed
    (``k × objectives``); ``constraints``: ``(output column, ">=" or "<=", value)``; ``keep``:
    rows per score (default :data:`SCREEN_KEEP`)."""
    keep = SCREEN_KEEP if keep is None else keep
    if len(mean) <= keep:
        return np.arange(len(mean))
    s = torch.tensor(list(signs), dtype=torch.float64)
    cols = list(objective_columns)
    signed, sd = mean[:, cols] * s, std[:, cols]
    score = log_expected_improvement(signed, sd, front, ref_point)
    for column, op, value in constraints:
        z = (mean[:, column] - value) / std[:, column]
        score = score + torch.special.log_ndtr(z if op == ">=" else -z)
    picks = [_top(score, keep)]
    for k in range(len(cols)):
        picks.append(_top(signed[:, k] + OPTIMISM_SIGMAS * sd[:, k], keep))
        picks.append(_top(signed[:, k], keep))
    return np.unique(np.concatenate(picks))
