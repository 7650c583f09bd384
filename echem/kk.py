"""Kramers–Kronig validity of an impedance spectrum by the linear KK test (lin-KK).

After Schönleber, Klotz & Ivers-Tiffée, *Electrochim. Acta* 131, 20–27 (2014): the spectrum is
fitted, by *linear* least squares, with a chain of M Voigt (RC) elements whose time constants
are fixed and log-spaced over the measured range, plus a series resistance and inductance
(and optionally a series capacitance for blocking electrodes):

.. math::

    \\hat Z(\\omega) = R_0 + j\\omega L + \\frac{1}{j\\omega C}
        + \\sum_{k=1}^{M} \\frac{R_k}{1 + j\\omega\\tau_k},
    \\qquad \\tau_1 = \\frac{1}{\\omega_{max}},\\ \\tau_M = \\frac{1}{\\omega_{min}}

Every such model obeys the KK relations, so a spectrum that it cannot reproduce is not KK
compliant (drift, non-linearity, instability).  Over-fitting is measured by

.. math:: \\mu = 1 - \\frac{\\sum_{R_k<0} |R_k|}{\\sum_{R_k \\ge 0} |R_k|}

Schönleber et al. take the first M (from 3 up) with μ below ``mu_criterion`` (0.85).  That rule
stops too early for sharp, ideal RC arcs (a 5-element fit of a single RC leaves 50 % residuals),
so here every M up to N/2 is fitted and the best (smallest structured residual) among the fits
that are *not* over-fitted (μ > 0.85) is kept; Schönleber's M is the fallback.  Residuals are
:math:`\\Delta_{re} = (Z' - \\hat Z')/|Z|` and :math:`\\Delta_{im} = (Z'' - \\hat Z'')/|Z|`.

A spectrum is flagged not valid when the residuals show *structure* larger than the noise: a
5-point running mean of the residuals (white noise averages out, a drift does not) exceeds
``max_smoothed_residual_percent`` (default 1 %), or 3.5 σ̂/√5 when the spectrum is noisier than
that (σ̂ = noise estimated from point-to-point differences of the residuals, so a noisy but
KK-compliant spectrum is not rejected for its noise alone).  The raw ``max_residual_percent`` is
reported as well.  ``add_capacitance=None`` (default) tries the model with and without the series
capacitance and keeps the better one (a Warburg or blocking tail needs it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anodelab.schema.errors import InputError

__all__ = ["KramersKronigResult", "lin_kk"]


@dataclass
class KramersKronigResult:
    """Outcome of :func:`lin_kk`; ``to_dict`` gives the ``kramers_kronig`` JSON block."""

    valid: bool
    max_residual_percent: float
    max_smoothed_residual_percent: float
    n_rc: int
    mu: float
    noise_percent: float
    residual_real: np.ndarray
    residual_imag: np.ndarray
    z_fit: np.ndarray

    def to_dict(self) -> dict[str, float | int | bool]:
        return {
            "valid": bool(self.valid),
            "max_residual_percent": float(self.max_residual_percent),
            "max_smoothed_residual_percent": float(self.max_smoothed_residual_percent),
            "noise_percent": float(self.noise_percent),
            "n_rc_elements": int(self.n_rc),
            "mu": float(self.mu),
        }


def _design(omega: np.ndarray, taus: np.ndarray, add_capacitance: bool) -> np.ndarray:
    """Complex design matrix: columns R0, R_k (Voigt), L, [1/C]."""
    cols = [np.ones_like(omega, dtype=complex)]
    cols += [1.0 / (1.0 + 1j * omega * t) for t in taus]
    cols.append(1j * omega)
    if add_capacitance:
        cols.append(1.0 / (1j * omega))
    return np.column_stack(cols)


def _running_mean(x: np.ndarray, width: int = 5) -> np.ndarray:
    if x.size < width:
        return x
    kernel = np.ones(width) / width
    return np.convolve(x, kernel, mode="valid")


def lin_kk(
    frequency_hz: np.ndarray,
    z: np.ndarray,
    *,
    mu_criterion: float = 0.85,
    max_rc: int = 50,
    add_capacitance: bool | None = None,
    max_smoothed_residual_percent: float = 1.0,
) -> KramersKronigResult:
    """Linear Kramers–Kronig test of a spectrum ``z`` (complex, Ω) measured at ``frequency_hz``.

    Returns residuals in fractions of |Z| and a validity flag (see module docstring).
    """
    f = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z, dtype=complex)
    if f.size != z.size or f.size < 6:
        raise InputError(
            f"lin-KK needs at least 6 points with matching frequency and impedance (got {f.size})"
        )
    if add_capacitance is None:
        results = [
            lin_kk(
                f,
                z,
                mu_criterion=mu_criterion,
                max_rc=max_rc,
                add_capacitance=cap,
                max_smoothed_residual_percent=max_smoothed_residual_percent,
            )
            for cap in (False, True)
        ]
        return min(results, key=lambda r: r.max_smoothed_residual_percent)
    omega = 2.0 * np.pi * f
    w = 1.0 / np.abs(z)
    target = np.concatenate([z.real * w, z.imag * w])
    upper = min(max_rc, max(3, f.size // 2))
    order = np.argsort(f)
    best: tuple | None = None
    fallback: tuple | None = None
    for m in range(3, upper + 1):
        taus = np.logspace(np.log10(1.0 / omega.max()), np.log10(1.0 / omega.min()), m)
        design = _design(omega, taus, add_capacitance)
        a = design * w[:, None]
        coef, *_ = np.linalg.lstsq(np.vstack([a.real, a.imag]), target, rcond=None)
        rk = coef[1 : m + 1]
        positive = np.abs(rk[rk >= 0]).sum()
        mu = 1.0 - np.abs(rk[rk < 0]).sum() / positive if positive > 0 else 0.0
        z_fit = design @ coef
        res_re = (z.real - z_fit.real) / np.abs(z)
        res_im = (z.imag - z_fit.imag) / np.abs(z)
        smooth = max(
            np.max(np.abs(_running_mean(res_re[order]))),
            np.max(np.abs(_running_mean(res_im[order]))),
        )
        candidate = (smooth, m, mu, z_fit, res_re, res_im)
        if mu <= mu_criterion and fallback is None:
            fallback = candidate  # Schönleber's choice of M
        if mu > mu_criterion and (best is None or smooth < best[0]):
            best = candidate
    if best is None:
        best = fallback
    smooth, m, mu, z_fit, res_re, res_im = best  # type: ignore[misc]
    steps = np.concatenate([np.diff(res_re[order]), np.diff(res_im[order])])
    noise = float(np.std(steps) / np.sqrt(2.0))
    threshold = max(max_smoothed_residual_percent, 100 * 3.5 * noise / np.sqrt(5.0))
    max_res = max(np.max(np.abs(res_re)), np.max(np.abs(res_im)))
    return KramersKronigResult(
        valid=bool(100 * smooth <= threshold),
        max_residual_percent=float(100 * max_res),
        max_smoothed_residual_percent=float(100 * smooth),
        n_rc=m,
        mu=float(mu),
        noise_percent=100 * noise,
        residual_real=res_re,
        residual_imag=res_im,
        z_fit=z_fit,
    )
