"""Figures for the EIS, GITT and CV analyzers (Agg backend; every function returns the Figure)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from anodelab.echem.circuits import parse_circuit  # noqa: E402
from anodelab.echem.results import AnalysisResult  # noqa: E402
from anodelab.format import number  # noqa: E402

__all__ = ["plot_nyquist", "plot_gitt_diffusion", "plot_cv"]


def plot_nyquist(result: AnalysisResult, frequency_hz: np.ndarray, z: np.ndarray) -> Figure:
    """Nyquist plot (−Z″ vs Z′, equal axes) of the data with the fitted circuit drawn through it."""
    res = result.results
    circuit = parse_circuit(res["circuit"])
    params = np.array([res["parameters"][n]["value"] for n in circuit.param_names])
    f = np.asarray(frequency_hz, dtype=float)
    dense = np.logspace(np.log10(f.max()), np.log10(f.min()), 400)
    z_fit = circuit.impedance(params, dense)
    fig, ax = plt.subplots(figsize=(5.5, 4.5), constrained_layout=True)
    ax.plot(np.real(z), -np.imag(z), "o", ms=4, mfc="none", label="data")
    ax.plot(z_fit.real, -z_fit.imag, "-", lw=1.5, label=f"fit {res['circuit']}")
    ax.set_xlabel("Z′ (Ω)")
    ax.set_ylabel("−Z″ (Ω)")
    ax.set_aspect("equal", adjustable="datalim")
    kk = res.get("kramers_kronig", {})
    lines = [
        f"{name} = {number(p['value'], 3)} ± {number(p['stderr'], 2) or '?'} Ω"
        for name, p in res["parameters"].items()
        if name.startswith("R")
    ]
    if kk:
        lines.append(
            f"Kramers–Kronig {'consistent' if kk['valid'] else 'NOT consistent'} "
            f"(largest residual {number(kk['max_residual_percent'], 2)} %)"
        )
    ax.text(0.02, 0.98, "\n".join(lines), transform=ax.transAxes, va="top", fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_gitt_diffusion(result: AnalysisResult) -> Figure:
    """D per pulse versus relaxed voltage and versus state of charge; flagged pulses hollow."""
    pulses = pd.DataFrame(result.results["pulses"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), constrained_layout=True, sharey=True)
    for ax, x, label in (
        (axes[0], "voltage_V", "voltage (V)"),
        (axes[1], "soc_fraction", "fraction of charge passed"),
    ):
        ok = pulses["valid"].astype(bool)
        ax.semilogy(
            pulses.loc[ok, x], pulses.loc[ok, "diffusion_coefficient_cm2_per_s"], "o", label="valid"
        )
        ax.semilogy(
            pulses.loc[~ok, x],
            pulses.loc[~ok, "diffusion_coefficient_cm2_per_s"],
            "o",
            mfc="none",
            color="tab:red",
            label="outside assumptions",
        )
        ax.set_xlabel(label)
    axes[0].set_ylabel("D (cm² s⁻¹)")
    median = result.results["summary"].get("diffusion_coefficient_cm2_per_s")
    if median:
        for ax in axes:
            ax.axhline(median, ls="--", lw=1, color="grey")
    axes[1].legend(fontsize=8)
    return fig


def plot_cv(data: pd.DataFrame | dict[float, pd.DataFrame], result: AnalysisResult) -> Figure:
    """CV curves per scan rate with the detected main peaks, and the i_p–√v Randles–Sevcik fit."""
    if isinstance(data, dict):
        frames = dict(sorted(data.items()))
    else:
        frames = {float(r): g for r, g in data.groupby("scan_rate_mV_per_s", sort=True)}
    fig, (ax, ax_rs) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for rate, frame in frames.items():
        ax.plot(
            frame["potential_volt"], frame["current_ampere"] * 1e3, lw=1, label=f"{rate:g} mV s⁻¹"
        )
    for peak in result.results["peaks"]:
        for side, marker in (("anodic", "^"), ("cathodic", "v")):
            if peak.get(side):
                main = peak[side]["main"]
                ax.plot(main["potential_V"], main["current_A"] * 1e3, marker, color="k", ms=5)
    ax.set_xlabel("potential (V)")
    ax.set_ylabel("current (mA)")
    ax.legend(fontsize=7)
    for side, color in (("cathodic", "tab:blue"), ("anodic", "tab:red")):
        fit = result.results["randles_sevcik"].get(side)
        pts = [
            (p["scan_rate_mV_per_s"], abs(p[side]["main"]["current_A"]))
            for p in result.results["peaks"]
            if p.get(side)
        ]
        if not pts or not fit:
            continue
        v, ip = map(np.array, zip(*pts, strict=True))
        x = np.sqrt(v / 1000.0)
        ax_rs.plot(x, ip * 1e3, "o", color=color, label=f"{side}")
        xx = np.linspace(0, x.max() * 1.05, 20)
        ax_rs.plot(
            xx,
            (fit["slope_A_s_sqrt_per_V_sqrt"] * xx + fit["intercept_A"]) * 1e3,
            "-",
            color=color,
            label=f"slope {fit['slope_A_s_sqrt_per_V_sqrt']:.3g} A s½ V⁻½",
        )
    ax_rs.set_xlabel("v^½ (V½ s⁻½)")
    ax_rs.set_ylabel("|i_p| (mA)")
    ax_rs.legend(fontsize=7)
    return fig
