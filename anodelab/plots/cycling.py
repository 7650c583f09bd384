"""Cycling figures: capacity and CE vs cycle, voltage profiles of chosen cycles, dQ/dV."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from anodelab.echem.dqdv import incremental_capacity  # noqa: E402
from anodelab.echem.results import AnalysisResult  # noqa: E402
from anodelab.echem.steps import current_state  # noqa: E402

__all__ = ["plot_capacity_ce", "plot_voltage_profiles", "plot_dqdv", "plot_rate_capability"]


def plot_capacity_ce(result: AnalysisResult) -> Figure:
    """Charge/discharge capacity (mA h g⁻¹ when a mass was given, else mA h) and CE vs cycle.

    Partial cycles (the file starts or ends inside them; ``complete`` is false) are drawn as grey
    crosses under their own legend entry, and have no CE point: they are not a capacity loss.
    """
    cycles = pd.DataFrame(result.results["cycles"])
    per_g = "discharge_capacity_mAh_per_g" in cycles.columns
    suffix, label = ("_mAh_per_g", "mA h g⁻¹") if per_g else ("_mAh", "mA h")
    complete = (
        cycles["complete"].astype(bool) if "complete" in cycles else pd.Series(True, cycles.index)
    )
    whole, partial = cycles[complete], cycles[~complete]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    ax.plot(whole["cycle"], whole["discharge_capacity" + suffix], "o", ms=4, label="discharge")
    ax.plot(
        whole["cycle"], whole["charge_capacity" + suffix], "s", ms=4, mfc="none", label="charge"
    )
    if not partial.empty:
        values = partial[["discharge_capacity" + suffix, "charge_capacity" + suffix]]
        ax.plot(
            np.repeat(partial["cycle"].to_numpy(), 2),
            values.to_numpy().ravel(),
            "x",
            ms=5,
            color="0.55",
            label="partial cycle (not used)",
        )
    ax.set_xlabel("cycle")
    ax.set_ylabel(f"capacity ({label})")
    ce_ax = ax.twinx()
    ce_ax.plot(
        whole["cycle"],
        whole["coulombic_efficiency_percent"],
        "^",
        ms=3,
        color="tab:green",
        label="CE",
    )
    ce_ax.set_ylabel("Coulombic efficiency (%)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # cycles are whole numbers
    convention = result.results["summary"]["convention"]["coulombic_efficiency"]
    ax.set_title(
        f"{result.results['summary']['convention']['cell']}; CE = {convention}", fontsize=8
    )
    handles, labels = ax.get_legend_handles_labels()
    ce_handles, ce_labels = ce_ax.get_legend_handles_labels()
    fig.legend(handles + ce_handles, labels + ce_labels, loc="outside lower center", ncols=4)
    return fig


def plot_voltage_profiles(
    frame: pd.DataFrame, cycles: list[int], mass_g: float | None = None
) -> Figure:
    """Voltage vs capacity of each half-cycle of the chosen cycles (capacity from the current)."""
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    current = frame["current_ampere"].to_numpy(dtype=float)
    state = current_state(current)
    for cycle in cycles:
        for sign, style in ((-1, "-"), (1, "--")):
            rows = np.flatnonzero((frame["cycle_index"].to_numpy() == cycle) & (state == sign))
            if rows.size < 2:
                continue
            t = frame["test_time_second"].to_numpy(dtype=float)[rows]
            q = np.concatenate(([0.0], np.cumsum(np.abs(current[rows][1:]) * np.diff(t)) / 3.6))
            q = q / mass_g if mass_g else q
            ax.plot(
                q,
                frame["voltage_volt"].to_numpy()[rows],
                style,
                label=f"cycle {cycle} {'discharge' if sign < 0 else 'charge'}",
            )
    ax.set_xlabel("capacity (mA h g⁻¹)" if mass_g else "capacity (mA h)")
    ax.set_ylabel("voltage (V)")
    ax.legend(fontsize=7)
    return fig


def plot_dqdv(
    frame: pd.DataFrame, cycles: list[int], window_V: float = 0.015, mass_g: float | None = None
) -> Figure:
    """dQ/dV vs voltage for the chosen cycles (mA h g⁻¹ V⁻¹ with the active mass ``mass_g``,
    else mA h V⁻¹); discharge drawn negative."""
    scale = 1.0 / mass_g if mass_g else 1.0
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for cycle in cycles:
        for half, sign in (("discharge", -1), ("charge", 1)):
            curve = incremental_capacity(frame, cycle, half, window_V=window_V)
            if not curve.empty:
                ax.plot(
                    curve["voltage_V"],
                    sign * scale * curve["dqdv_mAh_per_V"],
                    label=f"cycle {cycle} {half}",
                )
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set_xlabel("voltage (V)")
    ax.set_ylabel("dQ/dV (mA h g⁻¹ V⁻¹)" if mass_g else "dQ/dV (mA h V⁻¹)")
    ax.legend(fontsize=7)
    return fig


def plot_rate_capability(result: AnalysisResult) -> Figure:
    """Mean capacity per rate step (bars labelled with the current), as in the papers' rate tests."""
    steps = pd.DataFrame(result.results["steps"])
    per_g = "mean_discharge_capacity_mAh_per_g" in steps.columns
    column, unit = (
        ("mean_charge_capacity_mAh_per_g", "mA h g⁻¹")
        if per_g
        else ("mean_charge_capacity_mAh", "mA h")
    )
    if "current_density_mA_per_g" in steps.columns:
        labels = [f"{v / 1000:g} A g⁻¹" for v in steps["current_density_mA_per_g"]]
    elif "c_rate" in steps.columns:
        labels = [f"{v:g} C" for v in steps["c_rate"]]
    else:
        labels = [f"{v:g} mA" for v in steps["current_mA"]]
    labels = [
        f"{label}\n(recovery)" if rec else label
        for label, rec in zip(labels, steps["recovery"], strict=True)
    ]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    ax.bar(range(len(steps)), steps[column], color="tab:blue")
    ax.set_xticks(range(len(steps)), labels, fontsize=8)
    ax.set_ylabel(f"mean reversible capacity ({unit})")
    ax.set_xlabel("rate step")
    return fig
