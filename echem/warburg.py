"""Warburg coefficient σ from the low-frequency tail of an impedance spectrum, and D from σ.

Semi-infinite diffusion (Bard & Faulkner, *Electrochemical Methods*, 2nd ed., 2001, §10.3.3):
:math:`Z' = R + \\sigma\\,\\omega^{-1/2}` in the low-frequency region, and with one diffusing species

.. math:: D = \\frac{R^2 T^2}{2 A^2 n^4 F^4 C^2 \\sigma^2}

(Bard & Faulkner 2001 eq. 10.3.22 with :math:`C_O = C`; eq. (2) of Lee et al., *Small Struct.*
2025, which prints it without n).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from anodelab.echem.quantities import FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K
from anodelab.schema.errors import InputError

__all__ = ["warburg_coefficient", "diffusion_from_warburg", "check_spectrum", "lowfreq_tail"]


def check_spectrum(frequency_hz: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(frequency_hz, dtype=float).ravel()
    z = np.asarray(z, dtype=complex).ravel()
    if f.size != z.size:
        raise InputError(
            f"frequency ({f.size} points) and impedance ({z.size} points) differ in length"
        )
    # |Z| = 0 is no impedance a cell has (a disconnected channel logs zeros); the fit weights 1/|Z|
    ok = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0) & (np.abs(z) > 0)
    if ok.sum() < 5:
        zero = int((np.abs(z) == 0).sum())
        raise InputError(
            f"an impedance spectrum needs at least 5 valid points (got {int(ok.sum())}"
            + (f"; {zero} points have Z = 0" if zero else "")
            + ")"
        )
    order = np.argsort(-f[ok])  # high to low frequency
    return f[ok][order], z[ok][order]


def lowfreq_tail(f: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Indices (into high→low sorted arrays) of the low-frequency diffusion tail.

    The tail starts below the last local minimum of −Z″ (the valley after the lowest arc); if
    there is no valley, the lowest quarter of the frequencies is used.  At least 4 points.
    """
    mz = -z.imag
    n = f.size
    valleys, _ = find_peaks(-mz, prominence=0.02 * (np.ptp(mz) + 1e-300))
    start = int(valleys[-1]) + 1 if valleys.size and valleys[-1] < n - 3 else int(0.75 * n)
    start = min(start, n - 4)
    return np.arange(start, n)


def warburg_coefficient(
    frequency_hz: np.ndarray,
    z: np.ndarray,
    *,
    min_frequency_hz: float | None = None,
    max_frequency_hz: float | None = None,
) -> dict[str, float]:
    """Warburg coefficient σ (Ω s^-1/2) = slope of Z′ versus ω^(−1/2) in the low-frequency tail.

    Returns ``{"warburg_coefficient_ohm_per_sqrt_s", "intercept_ohm", "r_squared",
    "min_frequency_Hz", "max_frequency_Hz", "n_points"}``.  The range is detected
    automatically unless ``min_frequency_hz``/``max_frequency_hz`` are given.
    """
    f, z = check_spectrum(frequency_hz, z)
    if min_frequency_hz is not None or max_frequency_hz is not None:
        lo = min_frequency_hz or 0.0
        hi = max_frequency_hz or np.inf
        idx = np.flatnonzero((f >= lo) & (f <= hi))
        if idx.size < 3:
            raise InputError(
                f"only {idx.size} points between {lo} and {hi} Hz for the Warburg fit (need 3)"
            )
    else:
        idx = lowfreq_tail(f, z)
    x = (2 * np.pi * f[idx]) ** -0.5
    y = z.real[idx]
    slope, intercept = np.polyfit(x, y, 1)
    pred = slope * x + intercept
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - pred) ** 2)) / ss_tot if ss_tot > 0 else 0.0
    return {
        "warburg_coefficient_ohm_per_sqrt_s": float(slope),
        "intercept_ohm": float(intercept),
        "r_squared": float(r2),
        "min_frequency_Hz": float(f[idx].min()),
        "max_frequency_Hz": float(f[idx].max()),
        "n_points": int(idx.size),
    }


def diffusion_from_warburg(
    sigma_ohm_per_sqrt_s: float,
    *,
    area_cm2: float,
    concentration_mol_per_cm3: float,
    temperature_K: float = 298.15,
    electrons: int = 1,
) -> float:
    """D (cm² s⁻¹) = R²T² / (2 A² n⁴ F⁴ C² σ²) (Bard & Faulkner 2001, eq. 10.3.22, one species)."""
    F, R = FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K
    for name, v in (
        ("area", area_cm2),
        ("concentration", concentration_mol_per_cm3),
        ("temperature", temperature_K),
        ("Warburg coefficient", sigma_ohm_per_sqrt_s),
    ):
        if not v or v <= 0:
            raise InputError(
                f"{name} must be positive to compute D from the Warburg coefficient (got {v})"
            )
    return float(
        (R * temperature_K) ** 2
        / (
            2
            * area_cm2**2
            * electrons**4
            * F**4
            * concentration_mol_per_cm3**2
            * sigma_ohm_per_sqrt_s**2
        )
    )
