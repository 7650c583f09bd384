"""Incremental capacity (dQ/dV) per half-cycle with smoothing suited to noisy cycler data.

Method (per cycle and half-cycle, following the grid approach of BEEP and cellpy's ``ica``):

1. the half-cycle's capacity :math:`Q(t)` is integrated from the current (trapezoid rule);
2. the voltage is made monotone (running maximum while charging, running minimum while
   discharging) so that :math:`Q(V)` is a function, and :math:`Q` is interpolated linearly onto a
   uniform voltage grid of step ``grid_step_V``;
3. the derivative is a Savitzky–Golay first derivative (Savitzky & Golay, Anal. Chem. 1964, 36,
   1627) over a window of ``window_V`` volts, polynomial order ``polyorder``:

   .. math::

      \\frac{dQ}{dV}(V_k) = \\frac{1}{\\Delta V}\\sum_{j=-m}^{m} c_j\\, Q(V_{k+j})

4. peaks are local maxima of :math:`|dQ/dV|` with a prominence of at least
   ``min_prominence_fraction`` of the curve's maximum (``scipy.signal.find_peaks``).

The sign is dropped: dQ/dV is reported positive for both half-cycles (mA h V⁻¹), and per gram when
an active mass is given.  Peak voltages per cycle let peak shifts over cycling be tracked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from anodelab.echem.results import AnalysisResult
from anodelab.echem.steps import add_step_and_cycle_index, current_state
from anodelab.schema.errors import InputError
from anodelab.schema.version import __version__

__all__ = ["incremental_capacity", "analyze_dqdv"]


def incremental_capacity(
    frame: pd.DataFrame,
    cycle: int,
    half_cycle: str,
    *,
    grid_step_V: float = 0.001,
    window_V: float = 0.015,
    polyorder: int = 2,
    rest_current: float | None = None,
) -> pd.DataFrame:
    """dQ/dV of one half-cycle (``half_cycle`` = ``"charge"`` or ``"discharge"``, cycler sense).

    Returns columns ``voltage_V``, ``capacity_mAh`` and ``dqdv_mAh_per_V`` on the uniform grid
    (empty frame when the half-cycle spans less than one smoothing window).
    """
    if half_cycle not in ("charge", "discharge"):
        raise InputError(f"half_cycle must be 'charge' or 'discharge'; got {half_cycle!r}")
    if "cycle_index" not in frame.columns:
        add_step_and_cycle_index(frame, rest_current=rest_current)
    sign = 1 if half_cycle == "charge" else -1
    current = frame["current_ampere"].to_numpy(dtype=float)
    state = current_state(current, rest_current)
    rows = np.flatnonzero((frame["cycle_index"].to_numpy() == cycle) & (state == sign))
    empty = pd.DataFrame({"voltage_V": [], "capacity_mAh": [], "dqdv_mAh_per_V": []})
    if rows.size < 3:
        return empty
    t = frame["test_time_second"].to_numpy(dtype=float)[rows]
    v = frame["voltage_volt"].to_numpy(dtype=float)[rows]
    i = np.abs(current[rows])
    dt = np.diff(t, prepend=t[0])
    contiguous = np.diff(rows, prepend=rows[0]) == 1  # do not integrate across a rest
    dq = np.where(contiguous, 0.5 * (i + np.roll(i, 1)) * dt, 0.0) / 3.6  # mA h
    dq[0] = 0.0
    q = np.cumsum(dq)
    monotone = np.maximum.accumulate(v) if sign > 0 else np.minimum.accumulate(v)
    keep = np.ones(monotone.size, dtype=bool)
    keep[1:] = monotone[1:] != monotone[:-1]
    vm, qm = monotone[keep], q[keep]
    if sign < 0:
        vm, qm = vm[::-1], qm[::-1]
    span = vm[-1] - vm[0]
    window = max(int(round(window_V / grid_step_V)) | 1, polyorder + 2 | 1)
    if span < window * grid_step_V:
        return empty
    grid = np.arange(vm[0], vm[-1], grid_step_V)
    q_grid = np.interp(grid, vm, qm)
    dqdv = np.abs(savgol_filter(q_grid, window, polyorder, deriv=1, delta=grid_step_V))
    return pd.DataFrame({"voltage_V": grid, "capacity_mAh": q_grid, "dqdv_mAh_per_V": dqdv})


def analyze_dqdv(
    frame: pd.DataFrame,
    *,
    cycles: list[int] | None = None,
    mass_g: float | None = None,
    grid_step_V: float = 0.001,
    window_V: float = 0.015,
    polyorder: int = 2,
    min_prominence_fraction: float = 0.05,
    include_curves: bool = False,
    rest_current: float | None = None,
) -> AnalysisResult:
    """Peak positions of dQ/dV for every (or the chosen) cycle and both half-cycles.

    ``results["peaks"]``: list of ``{"cycle", "half_cycle", "voltage_V", "dqdv_mAh_per_V"}``
    (``dqdv_mAh_per_g_per_V`` too when ``mass_g`` is given); ``results["peak_shift"]``: for each
    half-cycle, the voltage of the largest peak per cycle (to track shifts).  With
    ``include_curves`` the smoothed curves are included under ``results["curves"]``.
    """
    if "cycle_index" not in frame.columns:
        add_step_and_cycle_index(frame, rest_current=rest_current)
    available = sorted(int(c) for c in pd.unique(frame["cycle_index"]) if c > 0)
    chosen = available if cycles is None else [c for c in cycles if c in available]
    warnings = (
        [] if cycles is None else [f"cycle {c} not in file" for c in cycles if c not in available]
    )
    peaks: list[dict[str, Any]] = []
    largest: dict[str, list[dict[str, float]]] = {"charge": [], "discharge": []}
    curves: list[dict[str, Any]] = []
    for cycle in chosen:
        for half in ("discharge", "charge"):
            curve = incremental_capacity(
                frame,
                cycle,
                half,
                grid_step_V=grid_step_V,
                window_V=window_V,
                polyorder=polyorder,
                rest_current=rest_current,
            )
            if curve.empty:
                continue
            y = curve["dqdv_mAh_per_V"].to_numpy()
            index, props = find_peaks(y, prominence=min_prominence_fraction * float(y.max()))
            for k in index:
                item = {
                    "cycle": cycle,
                    "half_cycle": half,
                    "voltage_V": float(curve["voltage_V"].iloc[k]),
                    "dqdv_mAh_per_V": float(y[k]),
                }
                if mass_g:
                    item["dqdv_mAh_per_g_per_V"] = float(y[k]) / mass_g
                peaks.append(item)
            if index.size:
                top = index[np.argmax(y[index])]
                largest[half].append(
                    {"cycle": cycle, "voltage_V": float(curve["voltage_V"].iloc[top])}
                )
            if include_curves:
                curves.append(
                    {
                        "cycle": cycle,
                        "half_cycle": half,
                        "voltage_V": curve["voltage_V"].round(6).tolist(),
                        "dqdv_mAh_per_V": curve["dqdv_mAh_per_V"].tolist(),
                    }
                )
    results: dict[str, Any] = {"peaks": peaks, "peak_shift": largest}
    if include_curves:
        results["curves"] = curves
    options = {
        "cycles": cycles,
        "mass_g": mass_g,
        "grid_step_V": grid_step_V,
        "window_V": window_V,
        "polyorder": polyorder,
        "min_prominence_fraction": min_prominence_fraction,
    }
    return AnalysisResult(
        kind="dqdv",
        analyzer="anodelab.echem.dqdv.analyze_dqdv",
        version=__version__,
        options=options,
        warnings=warnings,
        results=results,
    )
