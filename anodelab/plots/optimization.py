"""Optimization figures: parity plot of cross-validated predictions, Pareto front, progress."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from anodelab.plots.style import objective_label, save  # noqa: E402

__all__ = ["plot_parity", "plot_pareto", "plot_progress", "pareto_mask"]


def plot_parity(
    predictions: pd.DataFrame, label: str, metrics: dict, path: str | Path | None = None
) -> Figure:
    """Held-out prediction ± 1σ against measurement, with the y = x line and the CV metrics."""
    done = predictions.dropna(subset=["mean"])
    fig, ax = plt.subplots(figsize=(5.5, 5.0), layout="constrained")
    for group, part in done.groupby("group"):
        ax.errorbar(
            part["y"],
            part["mean"],
            yerr=part["std"],
            fmt="o",
            ms=4,
            capsize=2,
            label=str(group)[:30],
        )
    lo = float(min(done["y"].min(), done["mean"].min())) if len(done) else 0.0
    hi = float(max(done["y"].max(), done["mean"].max())) if len(done) else 1.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel(f"measured {label}")
    ax.set_ylabel(f"predicted {label} (held out)")
    ax.set_title(
        f"R² {metrics.get('r2', float('nan')):.2f}  MAE {metrics.get('mae', float('nan')):.3g}  "
        f"68%: {metrics.get('coverage_68', float('nan')):.0%}  95%: {metrics.get('coverage_95', float('nan')):.0%}",
        fontsize=9,
    )
    if done["group"].nunique() <= 8:
        ax.legend(fontsize=7)
    return save(fig, path)


def pareto_mask(values: np.ndarray, signs: list[float]) -> np.ndarray:
    """Rows not dominated by any other (after multiplying each column by its sign: maximise)."""
    v = np.asarray(values, dtype=float) * np.asarray(signs)
    mask = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        others = np.delete(v, i, axis=0)
        if len(others) and np.any(np.all(others >= v[i], axis=1) & np.any(others > v[i], axis=1)):
            mask[i] = False
    return mask


def plot_pareto(
    measured: pd.DataFrame, objectives: list[str], goals: list[str], path: str | Path | None = None
) -> Figure:
    """Measured campaign results for the first two objectives, Pareto-optimal ones connected."""
    data = measured.dropna(subset=objectives[:2])
    fig, ax = plt.subplots(figsize=(6.0, 5.0), layout="constrained")
    x, y = objectives[0], objectives[1]
    ax.scatter(data[x], data[y], c="0.6", label="measured")
    if len(data):
        signs = [1.0 if g == "maximize" else -1.0 for g in goals[:2]]
        front = data[pareto_mask(data[[x, y]].to_numpy(), signs)].sort_values(x)
        ax.plot(front[x], front[y], "o-", color="C3", label="Pareto front")
        for _, r in front.iterrows():
            ax.annotate(str(r["sample"]), (r[x], r[y]), fontsize=7)
    ax.set_xlabel(f"{objective_label(x)} → {goals[0]}")
    ax.set_ylabel(f"{objective_label(y)} → {goals[1]}")
    ax.legend(fontsize=8)
    return save(fig, path)


def plot_progress(
    measured: pd.DataFrame, objective: str, goal: str, path: str | Path | None = None
) -> Figure:
    """Each measured result in proposal order and the best so far."""
    values = measured[objective].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    ax.plot(np.arange(1, len(values) + 1), values, "o", color="0.5", label="measured")
    clean = np.where(np.isnan(values), -np.inf if goal == "maximize" else np.inf, values)
    best = np.maximum.accumulate(clean) if goal == "maximize" else np.minimum.accumulate(clean)
    ax.step(
        np.arange(1, len(values) + 1),
        np.where(np.isfinite(best), best, np.nan),
        where="post",
        color="C0",
        label="best so far",
    )
    ax.set_xlabel("proposal")
    ax.set_ylabel(f"{objective_label(objective)} → {goal}")
    ax.legend(fontsize=8)
    return save(fig, path)
