"""The transfer guard: keep the other sources of a multi-task GP only where they help.

BoTorch's task covariance cannot be negative, so an unrelated or inverted source (another paper,
an earlier campaign) can pull the target's model the wrong way.  :class:`GPSurrogate` runs
:func:`judge_transfer` at the end of its own ``fit`` when built with ``transfer_guard=True`` and
keeps the verdict as its fitted attribute ``transfer_decision_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from anodelab.models.gp import GPSurrogate

__all__ = ["MIN_TARGET_FOR_TRANSFER_CHECK", "TRANSFER_MIN_GAIN_NATS", "judge_transfer"]

MIN_TARGET_FOR_TRANSFER_CHECK = 3
"""Target-source observations needed before the transfer guard judges the prior sources."""
TRANSFER_MIN_GAIN_NATS = 0.1
"""Mean leave-one-out log-density gain per target observation the prior sources must bring.

A source with (near) zero task correlation gives a gain ≈ 0 ± 0.2 on small synthetic data
(inverted source) while a related one gives ≈ +1; the margin rejects the ties, where the
shared hyperparameters fitted to foreign data are a risk without a benefit."""


def judge_transfer(
    multi: GPSurrogate, X: pd.DataFrame, y: np.ndarray
) -> tuple[GPSurrogate | None, dict[str, Any]]:
    """``(replacement, decision)``: a single-task surrogate to use instead of ``multi`` (or
    ``None`` to keep it) and the reasons.

    Below ``MIN_TARGET_FOR_TRANSFER_CHECK`` target rows the sources are pooled in one
    single-task GP; from then on the mean closed-form leave-one-out log predictive density of the
    target rows (:meth:`GPSurrogate.loo_log_predictive_density`) under the multi-task GP is
    compared with that of a single-task GP fitted to the target rows alone; the prior sources
    are dropped unless the multi-task GP is better by ``TRANSFER_MIN_GAIN_NATS`` per observation.
    """
    target = multi.target_task_
    assert multi.task_column is not None
    mine = (X[multi.task_column].astype(str) == target).to_numpy()
    n_target = int(mine.sum())
    if n_target < MIN_TARGET_FOR_TRANSFER_CHECK:
        # A task covariance learnt from one or two target points is degenerate: the multi-task
        # GP then predicts the target's own value everywhere with σ ≈ 0 (seen on the shipped KB
        # after a campaign's first result).  Until the target can be judged, all sources are
        # pooled in one single-task GP — the model the campaign used before its first result.
        pooled = multi.single_task_copy().fit(X, y)
        return pooled, {
            "used": True,
            "why": f"only {n_target} target observation(s) (< {MIN_TARGET_FOR_TRANSFER_CHECK}):"
            " every source pooled in one single-task GP, unchecked",
            "n_target": n_target,
        }
    single = multi.single_task_copy().fit(X[mine], np.asarray(y)[mine])
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
    return (None if used else single), decision
