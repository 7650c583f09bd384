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
from anodelab.echem.kk import lin_kk
from anodelab.echem.quantities import as_float
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.echem.warburg import check_spectrum, diffusion_from_warburg, warburg_coefficient

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
) -> AnalysisResult:
    """Fit an equivalent circuit, test Kramers–Kronig validity, read σ and (optionally) D.

    ``circuit=None`` fits both circuits of the papers (:data:`PAPER_CIRCUITS`) and keeps the one
    with the lower Akaike information criterion (a second arc must earn its 3 parameters).
    Options accept numbers in the unit of their name or text with a unit (``"1.13 cm2"``).
    ``z`` is complex Z′ + jZ″ with the electrochemical sign (Z″ < 0 for capacitive arcs).
    """
    from anodelab.echem.kk import lin_kk
    from anodelab.schema.version import __version__

    area = as_float(area_cm2, "cm**2", what="area")
    conc = as_float(concentration_mol_per_cm3, "mol/cm**3", what="concentration")
    temp = as_float(temperature_K, "K", what="temperature")
    f, zz = check_spectrum(frequency_hz, z)
    warnings: list[str] = []
    if circuit:
        fit = fit_circuit(f, zz, circuit, n_starts=n_starts)
    else:
        fits = [fit_circuit(f, zz, text, n_starts=n_starts) for text in PAPER_CIRCUITS.values()]
        fit = min(fits, key=lambda x: x.aic)
    warnings += fit.warnings
    kk = lin_kk(f, zz)
    if not kk.valid:
        warnings.append(
            f"Kramers–Kronig test failed (structured residuals up to {kk.max_smoothed_residual_percent:.1f} % "
            "of |Z|): the spectrum drifted or is non-linear; fitted values are unreliable"
        )
    tail = warburg_coefficient(f, zz)
    sigma = tail["warburg_coefficient_ohm_per_sqrt_s"]
    if tail["r_squared"] < 0.95:
        warnings.append(
            f"low-frequency tail is not linear in ω^-1/2 (R² = {tail['r_squared']:.3f}); σ is doubtful"
        )
    results: dict = {
        "circuit": fit.circuit.text,
        "parameters": fit.parameters(),
        "kramers_kronig": kk.to_dict(),
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
                uncertainty=float(errors[name]),
                uncertainty_kind="stderr",
                note=f"{name} of {fit.circuit.text}",
            )
        )
    if sigma > 0:
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
    if area and conc:
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
        },
        warnings=warnings,
        results=results,
        metrics=metrics,
    )
