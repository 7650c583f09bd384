"""EIS analyzer: circuit fit (:mod:`anodelab.echem.eis_fit`), Kramers–Kronig validity
(:mod:`anodelab.echem.kk`), Warburg σ and D (:mod:`anodelab.echem.warburg`) → one AnalysisResult.

The fitting, lin-KK and Warburg functions are re-exported here for convenience.
"""

from __future__ import annotations

import numpy as np

from anodelab.echem.circuits import Circuit, Element, Node
from anodelab.echem.eis_fit import (
    PAPER_CIRCUITS,
    EISFit,
    arc_blocks,
    fit_circuit,
    initial_guess,
    initial_guesses,
)
from anodelab.echem.kk import KramersKronigResult, lin_kk
from anodelab.echem.kk_range import kk_valid_range
from anodelab.echem.quantities import as_float
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.echem.warburg import check_spectrum, diffusion_from_warburg, warburg_coefficient
from anodelab.schema.errors import InputError

__all__ = [
    "PAPER_CIRCUITS",
    "EISFit",
    "initial_guess",
    "initial_guesses",
    "fit_circuit",
    "lin_kk",
    "warburg_coefficient",
    "diffusion_from_warburg",
    "resistance_roles",
    "analyze_eis",
]

_MIN_FIT_POINTS = 15  # a fitted range needs points well beyond the 8 parameters of two arcs
_METRIC_BY_ROLE = {
    "series": "solution_resistance",
    "sei": "sei_resistance",
    "ct": "charge_transfer_resistance",
}


def resistance_roles(circuit: Circuit) -> dict[str, str]:
    """Map resistor names to their meaning: first series R → solution; arcs in frequency order →
    SEI then charge transfer when there are two, charge transfer when there is one."""
    roles: dict[str, str] = {}
    blocks = arc_blocks(circuit)
    arc_rs = [r.name for r, _ in blocks]
    if len(arc_rs) == 1:
        roles[arc_rs[0]] = "ct"
    elif len(arc_rs) >= 2:
        roles[arc_rs[0]] = "sei"
        roles[arc_rs[1]] = "ct"
    top = (
        circuit.tree.children
        if isinstance(circuit.tree, Node) and circuit.tree.op == "s"
        else (circuit.tree,)
    )
    series = [el for el in top if isinstance(el, Element) and el.kind == "R"]
    if series:
        roles[series[0].name] = "series"
    return roles


def _drop_inductive_end(
    f: np.ndarray, z: np.ndarray, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the leading (high-frequency, ``f`` sorted high → low) points with Z″ > 0."""
    inductive = z.imag > 0
    n = int(np.argmin(inductive)) if not inductive.all() else f.size
    if n == 0:
        return f, z
    if f.size - n < 4:
        warnings.append(f"{n} of {f.size} points have Z'' > 0; too few would remain, all kept")
        return f, z
    warnings.append(
        f"{n} inductive point(s) (Z'' > 0) at the high-frequency end ({f[n - 1]:.3g}-{f[0]:.3g} Hz) "
        "were dropped before fitting (keep_inductive=True, CLI --keep-inductive, keeps them)"
    )
    return f[n:], z[n:]


def _hz(value: float) -> str:
    """``100000.0`` → ``'100 kHz'``, ``0.5012`` → ``'501.2 mHz'``."""
    for scale, unit in ((1e6, "MHz"), (1e3, "kHz"), (1.0, "Hz")):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value * 1e3:.4g} mHz"


def _fit_range(
    f: np.ndarray, z: np.ndarray, kk: KramersKronigResult, rule: str, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray, dict]:
    """The points to fit: all of them, or the lin-KK-valid range from the high-frequency end."""
    if rule not in ("kk", "all"):
        raise InputError(f"fit_range_rule must be 'kk' or 'all', got {rule!r}")
    whole = {
        "min_frequency_Hz": float(f[-1]),
        "max_frequency_Hz": float(f[0]),
        "n_points_used": int(f.size),
        "n_points_dropped": 0,
    }
    failed = (
        f"the spectrum fails the Kramers–Kronig test as a whole (structured residuals up to "
        f"{kk.max_smoothed_residual_percent:.1f} % of |Z|: drift, noise or non-linearity)"
    )
    if kk.valid:
        return f, z, {"selected_by": "all points (the spectrum passes lin-KK)", **whole}
    if rule == "all":
        warnings.append(f"{failed}; every point was fitted as asked (fit_range_rule='all'), so "
                        "the fitted values are unreliable")  # fmt: skip
        return f, z, {"selected_by": "all points (fit_range_rule='all')", **whole}
    chosen = kk_valid_range(f, z, min_points=_MIN_FIT_POINTS)
    if chosen is None or chosen.n_dropped == 0:
        warnings.append(
            f"{failed}, and no range of at least {_MIN_FIT_POINTS} points from the high-frequency "
            "end passes either; every point was fitted, so the fitted values are unreliable"
        )
        return f, z, {"selected_by": "all points (no lin-KK-valid range found)", **whole}
    n = chosen.n_kept
    low, high = _hz(chosen.min_frequency_Hz), _hz(chosen.max_frequency_Hz)
    warnings.append(
        f"{failed}; it passes from {high} down to {low}, so the circuit was fitted on those {n} "
        f"points only and the {chosen.n_dropped} points below {low} were dropped "
        "(analyze_eis(..., fit_range_rule='all') fits every point)"
    )
    return f[:n], z[:n], chosen.to_dict()


def _choose_by_aic(fits: list[EISFit], warnings: list[str]) -> EISFit:
    """The lowest-AIC fit among those with no parameter at a bound (all of them if none qualifies).

    A two-arc fit whose second arc ran to its bounds (R2 = W1 = 1e-6 Ω, CPE2 α = 1) is the one-arc
    circuit in disguise with more parameters; its AIC is not a fair count of them.
    """
    usable = [fit for fit in fits if not fit.degenerate]
    best = (
        min(usable, key=lambda x: x.aic) if usable else min(fits, key=lambda x: (x.n_stuck, x.aic))
    )
    for fit in fits:
        if fit is not best and fit.degenerate and fit.aic < best.aic and fit.at_bound is not None:
            names = [n for n, b in zip(fit.circuit.param_names, fit.at_bound, strict=True) if b]
            warnings.append(
                f"EIS: {fit.circuit.text} had the lower AIC but {', '.join(names)} sit at their bounds "
                f"(effectively a simpler circuit); {best.circuit.text} is kept"
            )
    return best


def analyze_eis(
    frequency_hz: np.ndarray,
    z: np.ndarray,
    *,
    circuit: str | None = None,
    area_cm2: float | str | None = None,
    concentration_mol_per_cm3: float | str | None = None,
    temperature_K: float | str = 298.15,
    electrons: int = 1,
    n_starts: int = 4,
    keep_inductive: bool = False,
    fit_range_rule: str = "kk",
) -> AnalysisResult:
    """Fit an equivalent circuit, test Kramers–Kronig validity, read σ and (optionally) D.

    ``circuit=None`` fits both circuits of the papers (:data:`PAPER_CIRCUITS`) and keeps the one
    with the lower Akaike information criterion (a second arc must earn its 3 parameters).
    Options accept numbers in the unit of their name or text with a unit (``"1.13 cm2"``).
    ``z`` is complex Z′ + jZ″ with the electrochemical sign (Z″ < 0 for capacitive arcs).
    Points with Z″ > 0 at the high-frequency end (cable/cell inductance, which none of the
    circuits models) are dropped with a warning unless ``keep_inductive`` (impedance.py's
    tutorial does the same with ``ignoreBelowX``).

    ``fit_range_rule="kk"`` (default): when the spectrum fails lin-KK as a whole, the circuit and
    the Warburg tail are fitted on the largest range from the high-frequency end that passes
    (:func:`anodelab.echem.kk_range.kk_valid_range`); ``results["fit_range"]`` and a warning give
    the range used and the points dropped.  ``"all"`` fits every point regardless.
    """
    from anodelab.echem.kk import lin_kk
    from anodelab.schema.version import __version__

    area = as_float(area_cm2, "cm**2", what="area")
    conc = as_float(concentration_mol_per_cm3, "mol/cm**3", what="concentration")
    temp = as_float(temperature_K, "K", what="temperature")
    f, zz = check_spectrum(frequency_hz, z)
    warnings: list[str] = []
    if not keep_inductive:
        f, zz = _drop_inductive_end(f, zz, warnings)
    kk = lin_kk(f, zz)
    f_fit, z_fit, fit_range = _fit_range(f, zz, kk, fit_range_rule, warnings)
    if circuit:
        fit = fit_circuit(f_fit, z_fit, circuit, n_starts=n_starts)
    else:
        fits = [
            fit_circuit(f_fit, z_fit, text, n_starts=n_starts) for text in PAPER_CIRCUITS.values()
        ]
        fit = _choose_by_aic(fits, warnings)
    warnings += fit.warnings
    if fit.n_points < 2 * len(fit.values):
        warnings.append(
            f"EIS fit: {fit.n_points} points for the {len(fit.values)} parameters of "
            f"{fit.circuit.text} (each point gives two numbers, Z′ and Z″): the parameters and "
            "their standard errors are barely determined; measure more frequencies per decade"
        )
    tail = warburg_coefficient(f_fit, z_fit)
    sigma = tail["warburg_coefficient_ohm_per_sqrt_s"]
    doubtful = tail["r_squared"] < 0.95
    if doubtful:
        warnings.append(
            f"low-frequency tail is not linear in ω^-1/2 (R² = {tail['r_squared']:.3f}); σ is doubtful "
            "and is not reported as a metric (nor D from it)"
        )
    results: dict = {
        "circuit": fit.circuit.text,
        "parameters": fit.parameters(),
        "kramers_kronig": kk.to_dict(),
        "fit_range": fit_range,
        "warburg": tail,
        "fit": {"rss": fit.rss, "aic": fit.aic, "n_points": fit.n_points, "starts": fit.starts},
    }
    metrics: list[Metric] = []
    eis_condition = {"method": "EIS"}
    values = dict(zip(fit.circuit.param_names, fit.values, strict=True))
    errors = dict(zip(fit.circuit.param_names, fit.stderr, strict=True))
    for name, role in resistance_roles(fit.circuit).items():
        metrics.append(
            Metric(
                _METRIC_BY_ROLE[role],
                float(values[name]),
                "ohm",
                dict(eis_condition),
                uncertainty=float(errors[name]) if np.isfinite(errors[name]) else None,
                uncertainty_kind="stderr",
                note=f"{name} of {fit.circuit.text}",
            )
        )
    if sigma > 0 and not doubtful:
        metrics.append(
            Metric(
                "warburg_coefficient",
                sigma,
                "ohm/s**0.5",
                dict(eis_condition),
                note="slope of Z' vs omega^-1/2, "
                f"{tail['min_frequency_Hz']:.3g}-{tail['max_frequency_Hz']:.3g} Hz",
            )
        )
    if area and conc and not doubtful:
        if sigma <= 0:
            warnings.append("Warburg coefficient is not positive; D from EIS not computed")
        else:
            d = diffusion_from_warburg(
                sigma,
                area_cm2=area,
                concentration_mol_per_cm3=conc,
                temperature_K=temp or 298.15,
                electrons=electrons,
            )
            results["diffusion_coefficient_cm2_per_s"] = d
            metrics.append(
                Metric(
                    "diffusion_coefficient",
                    d,
                    "cm**2/s",
                    dict(eis_condition),
                    note="D = R²T²/(2A²n⁴F⁴C²σ²)",
                )
            )
    return AnalysisResult(
        kind="eis",
        analyzer="anodelab.echem.eis.analyze_eis",
        version=__version__,
        options={
            "circuit": circuit,
            "area_cm2": area,
            "concentration_mol_per_cm3": conc,
            "temperature_K": temp,
            "electrons": electrons,
            "keep_inductive": keep_inductive,
            "fit_range_rule": fit_range_rule,
        },
        warnings=warnings,
        results=results,
        metrics=metrics,
    )
