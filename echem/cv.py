"""CV kinetics: peaks per scan rate, Randles–Sevcik, b-value and Dunn capacitive split.

* Randles–Sevcik (Bard & Faulkner 2001, eq. 6.2.19; eq. (3) of Ji et al., *Batteries & Supercaps*
  2025), reversible system, 25 °C form generalised to T:

  .. math:: i_p = 0.4463\\, nFAC \\sqrt{\\frac{nFvD}{RT}}

  The slope of |i_p| against √v (A s^½ V^-½) is reported as the paper reports it (``a D^½``, its
  eq. (4)); with n, A (cm²) and C (mol cm⁻³) given,
  :math:`D = \\frac{RT}{nF}\\left(\\frac{\\text{slope}}{0.4463\\, nFAC}\\right)^2`.
* b-value: slope of log|i_p| against log v (i_p = a v^b; 0.5 diffusion-limited, 1 capacitive).
* Dunn analysis (Wang, Polleux, Lim & Dunn, *J. Phys. Chem. C* 111, 14925 (2007); eq. (2) of Ji
  et al.): at each potential of each sweep direction, :math:`i(V) = k_1 v + k_2 v^{1/2}`, solved
  by least squares over the scan rates as :math:`i/v^{1/2} = k_1 v^{1/2} + k_2`.  The capacitive
  fraction at scan rate v is :math:`\\sum_V |k_1 v| / \\sum_V |i(V)|` over both sweeps on a common
  potential grid (the area ratio of the shaded capacitive CV to the measured CV).

Peak currents are taken from zero current (no baseline), the forward-sweep convention of
Randles–Sevcik; the reverse-sweep peak sits on the decaying forward current and its apparent
slope is smaller — both are reported, ``"cathodic"`` and ``"anodic"`` separately.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from anodelab.echem.quantities import FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K, as_float
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.schema.errors import InputError

__all__ = ["split_sweeps", "find_cv_peaks", "randles_sevcik_D", "dunn_analysis", "analyze_cv"]


def split_sweeps(
    potential_V: np.ndarray, current_A: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"anodic": (E, i), "cathodic": (E, i)}`` by the sign of dE between samples."""
    e = np.asarray(potential_V, dtype=float)
    i = np.asarray(current_A, dtype=float)
    de = np.gradient(e)
    out = {}
    for name, mask in (("anodic", de > 0), ("cathodic", de < 0)):
        out[name] = (e[mask], i[mask])
    return out


def find_cv_peaks(
    potential_V: np.ndarray, current_A: np.ndarray, *, prominence_fraction: float = 0.05
) -> dict[str, Any]:
    """Peaks of each sweep: anodic maxima of i, cathodic minima; the main one is the largest |i|."""
    result: dict[str, Any] = {}
    for name, (e, i) in split_sweeps(potential_V, current_A).items():
        if e.size < 5:
            result[name] = None
            continue
        signal = i if name == "anodic" else -i
        span = float(np.ptp(signal)) or 1.0
        idx, _ = find_peaks(signal, prominence=prominence_fraction * span)
        if idx.size == 0:
            result[name] = None
            continue
        peaks = [{"potential_V": float(e[k]), "current_A": float(i[k])} for k in idx]
        main = max(peaks, key=lambda p: abs(p["current_A"]))
        result[name] = {"main": main, "all": peaks}
    return result


def randles_sevcik_D(
    slope_A_s_sqrt_per_V_sqrt: float,
    *,
    electrons: int,
    area_cm2: float,
    concentration_mol_per_cm3: float,
    temperature_K: float = 298.15,
) -> float:
    """D (cm² s⁻¹) from the i_p–√v slope: D = RT/(nF) · (slope / (0.4463 n F A C))²."""
    f, r = FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K
    a = 0.4463 * electrons * f * area_cm2 * concentration_mol_per_cm3
    return float(r * temperature_K / (electrons * f) * (slope_A_s_sqrt_per_V_sqrt / a) ** 2)


def _by_rate(
    data: pd.DataFrame | list[pd.DataFrame] | dict[float, pd.DataFrame],
) -> dict[float, pd.DataFrame]:
    if isinstance(data, dict):
        frames = {float(k): v for k, v in data.items()}
    else:
        frames_list = [data] if isinstance(data, pd.DataFrame) else list(data)
        frames = {}
        for frame in frames_list:
            if "scan_rate_mV_per_s" not in frame:
                raise InputError(
                    "CV data needs a scan_rate_mV_per_s column (or a dict {scan rate: frame})"
                )
            for rate, part in frame.groupby("scan_rate_mV_per_s", sort=True):
                frames[float(rate)] = part
    for rate, frame in frames.items():
        missing = [c for c in ("potential_volt", "current_ampere") if c not in frame]
        if missing:
            raise InputError(f"CV data at {rate} mV/s lacks columns {missing}")
    return dict(sorted(frames.items()))


def _last_cycle(frame: pd.DataFrame) -> pd.DataFrame:
    if "cycle" in frame and frame["cycle"].nunique() > 1:
        return frame[frame["cycle"] == frame["cycle"].max()]
    return frame


def dunn_analysis(frames: dict[float, pd.DataFrame], n_grid: int = 200) -> dict[str, Any]:
    """k₁, k₂ per potential and sweep, and the capacitive fraction per scan rate (see module doc)."""
    rates = np.array(sorted(frames))
    if rates.size < 2:
        raise InputError("Dunn analysis needs at least two scan rates")
    v = rates / 1000.0  # V/s
    sweeps = {
        r: split_sweeps(
            frames[r]["potential_volt"].to_numpy(), frames[r]["current_ampere"].to_numpy()
        )
        for r in rates
    }
    grids, currents = {}, {}
    for name in ("anodic", "cathodic"):
        lo = max(np.min(sweeps[r][name][0]) for r in rates)
        hi = min(np.max(sweeps[r][name][0]) for r in rates)
        if not hi > lo:
            raise InputError(f"the {name} sweeps of the scan rates share no potential range")
        grid = np.linspace(lo, hi, n_grid)
        rows = []
        for r in rates:
            e, i = sweeps[r][name]
            order = np.argsort(e)
            rows.append(np.interp(grid, e[order], i[order]))
        grids[name], currents[name] = grid, np.array(rows)  # (n_rates, n_grid)
    design = np.column_stack([np.sqrt(v), np.ones_like(v)])
    k1, k2 = {}, {}
    for name in grids:
        y = currents[name] / np.sqrt(v)[:, None]
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        k1[name], k2[name] = coef[0], coef[1]
    fractions = []
    for j, r in enumerate(rates):
        cap = sum(np.sum(np.abs(k1[n] * v[j])) for n in grids)
        total = sum(np.sum(np.abs(currents[n][j])) for n in grids)
        fractions.append(
            {"scan_rate_mV_per_s": float(r), "capacitive_fraction": float(min(cap / total, 1.0))}
        )
    return {
        "fractions": fractions,
        "grid_V": grids,
        "k1_A_s_per_V": k1,
        "k2_A_s_sqrt_per_V_sqrt": k2,
    }


def analyze_cv(
    data: pd.DataFrame | list[pd.DataFrame] | dict[float, pd.DataFrame],
    *,
    electrons: int = 1,
    area_cm2: float | str | None = None,
    concentration_mol_per_cm3: float | str | None = None,
    temperature_K: float | str = 298.15,
) -> AnalysisResult:
    """Peaks per scan rate, Randles–Sevcik slope (and D), b-values and Dunn capacitive fractions.

    ``data``: one frame with ``potential_volt``, ``current_ampere``, ``scan_rate_mV_per_s`` (as
    :func:`anodelab.ingest.readers.spectra.read_cv` returns), a list of such frames (one file per
    scan rate), or ``{scan_rate_mV_per_s: frame}``.  With a ``cycle`` column the last cycle is used.
    """
    from anodelab.schema.version import __version__

    frames = {r: _last_cycle(f) for r, f in _by_rate(data).items()}
    area = as_float(area_cm2, "cm**2", what="area")
    conc = as_float(concentration_mol_per_cm3, "mol/cm**3", what="concentration")
    temp = as_float(temperature_K, "K", what="temperature") or 298.15
    warnings: list[str] = []
    peaks = []
    for rate, frame in frames.items():
        found = find_cv_peaks(
            frame["potential_volt"].to_numpy(), frame["current_ampere"].to_numpy()
        )
        peaks.append({"scan_rate_mV_per_s": rate, **found})
    results: dict[str, Any] = {"peaks": peaks, "randles_sevcik": {}, "b_value": {}}
    metrics: list[Metric] = []
    for side in ("cathodic", "anodic"):
        pts = [
            (p["scan_rate_mV_per_s"] / 1000.0, abs(p[side]["main"]["current_A"]))
            for p in peaks
            if p.get(side)
        ]
        if len(pts) < 2:
            warnings.append(
                f"{side} peaks found at fewer than two scan rates: no Randles–Sevcik fit"
            )
            continue
        v, ip = map(np.array, zip(*pts, strict=True))
        slope, intercept = np.polyfit(np.sqrt(v), ip, 1)
        r2 = float(np.corrcoef(np.sqrt(v), ip)[0, 1] ** 2) if v.size > 2 else 1.0
        b, _ = np.polyfit(np.log10(v), np.log10(ip), 1)
        entry: dict[str, Any] = {
            "slope_A_s_sqrt_per_V_sqrt": float(slope),
            "intercept_A": float(intercept),
            "r_squared": r2,
            "diffusion_coefficient_cm2_per_s": None,
        }
        if area and conc:
            entry["diffusion_coefficient_cm2_per_s"] = randles_sevcik_D(
                slope,
                electrons=electrons,
                area_cm2=area,
                concentration_mol_per_cm3=conc,
                temperature_K=temp,
            )
            metrics.append(
                Metric(
                    "diffusion_coefficient",
                    entry["diffusion_coefficient_cm2_per_s"],
                    "cm**2/s",
                    {
                        "method": "CV",
                        "half_cycle": "lithiation" if side == "cathodic" else "delithiation",
                    },
                    note=f"Randles–Sevcik, {side} peaks",
                )
            )
        results["randles_sevcik"][side] = entry
        results["b_value"][side] = float(b)
        metrics.append(
            Metric(
                "randles_sevcik_slope",
                float(slope),
                "A*s**0.5/V**0.5",
                {"method": "CV"},
                note=f"{side} peaks",
            )
        )
        metrics.append(
            Metric("b_value", float(b), "dimensionless", {"method": "CV"}, note=f"{side} peaks")
        )
    # the top-level keys of the documented JSON use the forward (cathodic for an anode) sweep
    main_side = "cathodic" if "cathodic" in results["randles_sevcik"] else "anodic"
    if results["randles_sevcik"].get(main_side):
        rs = results["randles_sevcik"][main_side]
        results["randles_sevcik"]["slope_A_s_sqrt_per_V_sqrt"] = rs["slope_A_s_sqrt_per_V_sqrt"]
        results["randles_sevcik"]["diffusion_coefficient_cm2_per_s"] = rs[
            "diffusion_coefficient_cm2_per_s"
        ]
    if len(frames) >= 2:
        dunn = dunn_analysis(frames)
        results["dunn"] = dunn["fractions"]
        for row in dunn["fractions"]:
            metrics.append(
                Metric(
                    "capacitive_fraction",
                    100 * row["capacitive_fraction"],
                    "percent",
                    {"method": "CV", "scan_rate": (row["scan_rate_mV_per_s"], "mV/s")},
                )
            )
    else:
        results["dunn"] = []
        warnings.append("one scan rate only: no Randles–Sevcik, b-value or Dunn analysis")
    return AnalysisResult(
        kind="cv",
        analyzer="anodelab.echem.cv.analyze_cv",
        version=__version__,
        options={
            "electrons": electrons,
            "area_cm2": area,
            "concentration_mol_per_cm3": conc,
            "temperature_K": temp,
        },
        warnings=warnings,
        results=results,
        metrics=metrics,
    )
