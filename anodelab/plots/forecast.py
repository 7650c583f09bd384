"""Forecast figure: each cell's partial curve, its fitted fade curve to the target cycle, and the
calibrated interval of the capacity at the target cycle."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from anodelab.echem.fade import forecast_capacity  # noqa: E402

__all__ = ["plot_forecast"]


def plot_forecast(
    curves: pd.DataFrame, table: pd.DataFrame, target_cycle: int, capacity: str, unit: str = ""
) -> Figure:
    """Measured points, the model-averaged fit extended to ``target_cycle`` and the interval."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, row in enumerate(table.itertuples()):
        c = colours[i % len(colours)]
        g = curves[curves["sample"] == row.sample].sort_values("cycle")
        ax.plot(g["cycle"], g[capacity], ".", ms=3, color=c, label=str(row.sample))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fc = forecast_capacity(
                g["cycle"].to_numpy(float), g[capacity].to_numpy(float), target_cycle
            )
        n = np.linspace(fc.fit_start_cycle, target_cycle, 200)
        mean, _ = fc.curve(n)
        ax.plot(n, mean, "-", lw=1, color=c, alpha=0.6)
        ax.errorbar(
            [target_cycle],
            [row.capacity_mean],
            yerr=[
                [row.capacity_mean - row.capacity_lower],
                [row.capacity_upper - row.capacity_mean],
            ],
            fmt="D",
            color=c,
            capsize=4,
        )
    ax.axvline(target_cycle, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("cycle")
    ax.set_ylabel(f"{capacity.replace('_', ' ')}" + (f" ({unit})" if unit else ""))
    calibrated = bool(table["calibrated"].all()) if len(table) else False
    ax.set_title(
        f"forecast at cycle {target_cycle}: "
        + ("calibrated 90 % interval" if calibrated else "per-cell fit interval (uncalibrated)"),
        fontsize=9,
    )
    if len(table) <= 8:
        ax.legend(fontsize=7, loc="best")
    return fig
