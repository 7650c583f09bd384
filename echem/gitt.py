"""GITT: chemical diffusion coefficient per pulse (Weppner & Huggins), with validity checks.

Weppner & Huggins, *J. Electrochem. Soc.* 124, 1569 (1977), eq. (29) in the form printed as eq. (5)
of Ji et al., *Batteries & Supercaps* 2025 and eq. (1) of Lee et al., *Small Struct.* 2025:

.. math::

    D = \\frac{4}{\\pi\\tau}\\left(\\frac{m_B V_M}{M_B S}\\right)^2
        \\left(\\frac{\\Delta E_s}{\\Delta E_t}\\right)^2, \\qquad \\tau \\ll \\frac{L^2}{D}

with :math:`m_B V_M/(M_B S) = V/S = r/3` for spherical particles of radius r.  Per pulse:

* τ — pulse duration (s);
* ΔE_s — change of the relaxed (end-of-rest) voltage from the rest before to the rest after;
* ΔE_t — voltage change *during* the pulse without the IR step: V(τ) − V(0⁺), with V(0⁺) the
  sample logged at the step start or, without one, the intercept of V vs √t over the early pulse.

The formula assumes semi-infinite diffusion during the pulse and a locally linear OCV.  Each pulse
is flagged (``valid = False`` with the reason) when

* the dimensionless pulse length τD/r² exceeds ``max_tau_D_over_r2`` (default 0.015; with PyBaMM
  truth D is recovered to 3 % at 0.009, underestimated by ~20 % at 0.035 and ~55 % at 0.17);
* V vs √t during the pulse is not straight (R² < ``min_sqrt_t_r2``, default 0.98);
* |ΔE_s| is below ``min_delta_es_V`` (a plateau of the OCV: the ratio ΔE_s/ΔE_t is noise) or its
  sign disagrees with ΔE_t;
* ΔE_s differs from both neighbours' by more than a factor ``max_es_ratio`` (OCV slope changes
  within the pulse, e.g. at a plateau edge);
* the rest before or after has not relaxed (drift over its last 10 % larger than
  max(0.2 mV, 5 % of |ΔE_s|)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from anodelab.echem.quantities import as_float
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.schema.errors import InputError

__all__ = ["segment_pulses", "analyze_gitt", "weppner_huggins_D"]


_BDF_COLUMNS = ("test_time_second", "voltage_volt", "current_ampere")
_PLAIN_COLUMNS = ("time_s", "voltage_V", "current_A")


def weppner_huggins_D(
    tau_s: float, length_cm: float, delta_es_V: float, delta_et_V: float
) -> float:
    """D (cm² s⁻¹) = 4/(πτ) · L² · (ΔE_s/ΔE_t)², L = m_B V_M/(M_B S) (= r/3 for spheres)."""
    return float(4.0 / (np.pi * tau_s) * length_cm**2 * (delta_es_V / delta_et_V) ** 2)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) index pairs of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    d = np.diff(padded)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def segment_pulses(
    current_A: np.ndarray, rest_current_A: float | None = None
) -> list[dict[str, tuple[int, int]]]:
    """Pulses with a rest before and after: ``[{"rest_before": (s, e), "pulse": (s, e), "rest_after": (s, e)}]``
    as index ranges.  A rest is |I| ≤ ``rest_current_A`` (default 1 % of max |I|)."""
    i = np.asarray(current_A, dtype=float)
    limit = 0.01 * np.nanmax(np.abs(i)) if rest_current_A is None else rest_current_A
    rest = np.abs(i) <= limit
    rests = _runs(rest)
    pulses = _runs(~rest)
    out: list[dict[str, tuple[int, int]]] = []
    for ps, pe in pulses:
        before = [r for r in rests if r[1] == ps - 1]
        after = [r for r in rests if r[0] == pe + 1]
        if before and after:
            out.append({"rest_before": before[0], "pulse": (ps, pe), "rest_after": after[0]})
    return out


def _drift(t: np.ndarray, v: np.ndarray) -> float:
    """Voltage change over the last 10 % of a rest (V)."""
    if t.size < 3:
        return 0.0
    cut = t[-1] - 0.1 * (t[-1] - t[0])
    tail = v[t >= cut]
    return float(abs(tail[-1] - tail[0])) if tail.size >= 2 else 0.0


def _sqrt_t_fit(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """V(0⁺) and R² of V vs √t over the pulse (``t`` from the pulse start, ``t[0]`` may be 0).

    V(0⁺) is the sample logged at the step start when there is one (after the IR jump), else the
    intercept of a straight line through V vs √t over the early pulse (t ≤ 0.2τ, ≥ 3 points).
    """
    x = np.sqrt(t)
    if t[0] == 0:
        v0 = float(v[0])
    else:
        early = t <= max(0.2 * t[-1], t[min(2, t.size - 1)])
        line = _line(x[early], v[early])
        v0 = line[1] if line is not None else float(v[0])
    inner = t > 0
    fit = _line(x[inner], v[inner]) if inner.sum() >= 3 else None
    if fit is not None:
        s_all, i_all = fit
        pred = s_all * x[inner] + i_all
        ss = float(np.sum((v[inner] - v[inner].mean()) ** 2))
        r2 = 1.0 - float(np.sum((v[inner] - pred) ** 2)) / ss if ss > 0 else 0.0
    else:
        r2 = float("nan")
    return v0, r2


def _check_time_order(t: np.ndarray) -> None:
    """GITT needs rows in time order (τ, √t fits); refuse NaN times and time going backwards."""
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise InputError("GITT: time is missing (NaN)", row=int(bad[0]) + 1, column="time")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        raise InputError(
            f"GITT: time goes backwards ({t[back[0]]:g} s → {t[back[0] + 1]:g} s); "
            "the rows must be in recording order",
            row=int(back[0]) + 2,
            column="time",
        )


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Slope and intercept of a least-squares line, ``None`` when it is undetermined."""
    if x.size < 2 or np.ptp(x) == 0 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    try:
        slope, intercept = np.polyfit(x, y, 1)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return float(slope), float(intercept)


def _titration_fractions(rows: list[dict[str, Any]]) -> None:
    """``soc_fraction`` per pulse: the fraction of its titration (run of same-direction pulses) done.

    For the pulses k = 1…N of one run (a charge-then-discharge GITT has two runs),
    x_k = Σ_{j≤k} Q_j / Σ_{j≤N} Q_j with Q_j the charge of pulse j, so x rises from Q_1/ΣQ to 1 in
    either direction (the cumulative net charge of a two-way run returns to ≈ 0, so it cannot be the
    denominator).
    """
    start = 0
    for k in range(1, len(rows) + 1):
        if k < len(rows) and rows[k]["direction"] == rows[start]["direction"]:
            continue
        run = rows[start:k]
        total = sum(r["pulse_charge_mAh"] for r in run) or 1.0
        done = 0.0
        for r in run:
            done += r["pulse_charge_mAh"]
            r["soc_fraction"] = done / total
        start = k


def analyze_gitt(
    data: pd.DataFrame | None = None,
    *,
    time_s: np.ndarray | None = None,
    voltage_V: np.ndarray | None = None,
    current_A: np.ndarray | None = None,
    particle_radius_cm: float | str | None = None,
    mass_g: float | str | None = None,
    molar_volume_cm3_per_mol: float | str | None = None,
    molar_mass_g_per_mol: float | str | None = None,
    area_cm2: float | str | None = None,
    max_tau_D_over_r2: float = 0.015,
    min_sqrt_t_r2: float = 0.98,
    min_delta_es_V: float = 5e-4,
    max_es_ratio: float = 3.0,
    rest_current_A: float | None = None,
) -> AnalysisResult:
    """D per GITT pulse with validity flags; median D over the valid pulses.

    Give ``data`` with BDF columns ``test_time_second``, ``voltage_volt``, ``current_ampere`` (as
    :func:`anodelab.ingest.readers.read_cycler` returns) or ``time_s``, ``voltage_V``,
    ``current_A``, or the three arrays.  Geometry: either
    ``particle_radius_cm`` (spheres, L = r/3) or ``mass_g`` + ``molar_volume_cm3_per_mol`` +
    ``molar_mass_g_per_mol`` + ``area_cm2`` (L = m V_M/(M S)); when only the latter is given, the
    validity check uses the sphere-equivalent radius 3L.  Numbers may be text with units.
    """
    from anodelab.schema.version import __version__

    if data is not None:
        names = next(
            (cols for cols in (_BDF_COLUMNS, _PLAIN_COLUMNS) if all(c in data for c in cols)), None
        )
        if names is None:
            raise InputError(
                f"GITT data needs columns {list(_BDF_COLUMNS)} (or {list(_PLAIN_COLUMNS)}); "
                f"have {list(data.columns)}"
            )
        time_s, voltage_V, current_A = (data[c].to_numpy(dtype=float) for c in names)
    if time_s is None or voltage_V is None or current_A is None:
        raise InputError("GITT needs time (s), voltage (V) and current (A)")
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    i = np.asarray(current_A, dtype=float)
    _check_time_order(t)
    radius = as_float(particle_radius_cm, "cm", what="particle radius")
    mass = as_float(mass_g, "g", what="mass")
    vm = as_float(molar_volume_cm3_per_mol, "cm**3/mol", what="molar volume")
    mm = as_float(molar_mass_g_per_mol, "g/mol", what="molar mass")
    area = as_float(area_cm2, "cm**2", what="area")
    if radius:
        length, geometry = radius / 3.0, "sphere: L = r/3"
    elif mass and vm and mm and area:
        length, geometry = mass * vm / (mm * area), "L = m_B V_M / (M_B S)"
        radius = 3.0 * length
    else:
        raise InputError(
            "GITT needs a particle radius (--particle-radius 5um) or mass, molar volume, molar mass and area"
        )
    segments = segment_pulses(i, rest_current_A)
    if not segments:
        raise InputError(
            "no current pulse with a rest before and after was found (is the current column in A?)"
        )
    charge = np.concatenate([[0.0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))]) / 3.6  # mAh
    rows: list[dict[str, Any]] = []
    for k, seg in enumerate(segments):
        (bs, be), (ps, pe), (as_, ae) = seg["rest_before"], seg["pulse"], seg["rest_after"]
        t0 = t[be]  # the step starts after the last rest sample (at it, when logged twice)
        tp = t[ps : pe + 1] - t0
        vp = v[ps : pe + 1]
        tau = float(t[pe] - t0)
        e_before, e_after = float(v[be]), float(v[ae])
        v0, r2 = _sqrt_t_fit(tp, vp)
        d_es = e_after - e_before
        d_et = float(vp[-1] - v0)
        d = weppner_huggins_D(tau, length, d_es, d_et) if d_et != 0 else float("nan")
        drift = max(
            _drift(t[bs : be + 1], v[bs : be + 1]), _drift(t[as_ : ae + 1], v[as_ : ae + 1])
        )
        rows.append(
            {
                "index": k + 1,
                "voltage_V": e_after,
                "charge_passed_mAh": float(charge[pe]),
                "pulse_charge_mAh": float(abs(charge[pe] - charge[ps - 1 if ps else 0])),
                "direction": "charge" if np.median(i[ps : pe + 1]) > 0 else "discharge",
                "current_A": float(np.median(i[ps : pe + 1])),
                "pulse_seconds": tau,
                "delta_Es_V": d_es,
                "delta_Et_V": d_et,
                "ir_drop_V": float(v0 - e_before),
                "sqrt_t_r_squared": r2,
                "diffusion_coefficient_cm2_per_s": d,
                "tau_D_over_r2": tau * d / radius**2 if np.isfinite(d) else float("nan"),
                "rest_drift_V": drift,
            }
        )
    _titration_fractions(rows)
    es = np.array([abs(r["delta_Es_V"]) for r in rows])
    for k, row in enumerate(rows):
        reasons = []
        if not np.isfinite(row["diffusion_coefficient_cm2_per_s"]):
            reasons.append("no transient voltage change")
        elif row["tau_D_over_r2"] > max_tau_D_over_r2:
            reasons.append(
                f"pulse too long: tau*D/r^2 = {row['tau_D_over_r2']:.3g} > {max_tau_D_over_r2}"
            )
        if abs(row["delta_Es_V"]) < min_delta_es_V:
            reasons.append(
                f"OCV plateau: |dEs| = {abs(row['delta_Es_V']) * 1e3:.2g} mV < {min_delta_es_V * 1e3:g} mV"
            )
        elif np.sign(row["delta_Es_V"]) != np.sign(row["delta_Et_V"]):
            reasons.append("dEs and dEt have opposite signs")
        neighbours = [es[j] for j in (k - 1, k + 1) if 0 <= j < len(rows)]
        if (
            neighbours
            and es[k] > 0
            and all(max(es[k], n) / max(min(es[k], n), 1e-12) > max_es_ratio for n in neighbours)
        ):
            reasons.append("OCV slope changes sharply here (dEs differs from both neighbours)")
        if np.isfinite(row["sqrt_t_r_squared"]) and row["sqrt_t_r_squared"] < min_sqrt_t_r2:
            reasons.append(f"E vs sqrt(t) not linear (R^2 = {row['sqrt_t_r_squared']:.3f})")
        if row["rest_drift_V"] > max(2e-4, 0.05 * abs(row["delta_Es_V"])):
            reasons.append(
                f"rest not relaxed (drift {row['rest_drift_V'] * 1e3:.2g} mV over its last 10 %)"
            )
        row["valid"] = not reasons
        row["reason"] = "; ".join(reasons) if reasons else None
    for row in rows:  # strict JSON: no NaN
        for key, value in row.items():
            if isinstance(value, float) and not np.isfinite(value):
                row[key] = None
    valid_d = [r["diffusion_coefficient_cm2_per_s"] for r in rows if r["valid"]]
    warnings = []
    summary: dict[str, Any] = {
        "diffusion_coefficient_cm2_per_s": float(np.median(valid_d)) if valid_d else None,
        "n_pulses": len(rows),
        "n_valid": len(valid_d),
        "geometry": geometry,
        "length_cm": length,
    }
    metrics = []
    if valid_d:
        summary["log10_spread"] = float(np.std(np.log10(valid_d)))
        metrics.append(
            Metric(
                "diffusion_coefficient",
                summary["diffusion_coefficient_cm2_per_s"],
                "cm**2/s",
                {"method": "GITT"},
                note=f"median over {len(valid_d)} valid of {len(rows)} pulses",
            )
        )
    else:
        warnings.append(
            "no pulse satisfies the GITT assumptions; no D reported (see each pulse's reason)"
        )
    return AnalysisResult(
        kind="gitt",
        analyzer="anodelab.echem.gitt.analyze_gitt",
        version=__version__,
        options={
            "particle_radius_cm": radius if particle_radius_cm is not None else None,
            "mass_g": mass,
            "molar_volume_cm3_per_mol": vm,
            "molar_mass_g_per_mol": mm,
            "area_cm2": area,
            "max_tau_D_over_r2": max_tau_D_over_r2,
            "min_sqrt_t_r2": min_sqrt_t_r2,
            "min_delta_es_V": min_delta_es_V,
        },
        warnings=warnings,
        results={"pulses": rows, "summary": summary},
        metrics=metrics,
    )
