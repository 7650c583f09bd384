"""Electrode swelling: relative thickness change between electrode states, as the papers report it.

.. math:: \\Delta t_{a\\to b} = 100\\,\\frac{t_b - t_a}{t_a}\\ \\%

Lee et al., *Small Struct.* 2025: 30.6 → 33.8 µm on lithiation is +10.5 %, → 31.9 µm after
delithiation is −5.6 % of the lithiated thickness ("decreased by 6 %") and +4.2 % overall versus
pristine; Ji et al. 2025: 18.1 → 41.8 µm is +130.9 %.
"""

from __future__ import annotations

from anodelab.echem.quantities import as_float
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.schema.errors import InputError

__all__ = ["thickness_change_percent", "analyze_swelling"]


def thickness_change_percent(before_um: float, after_um: float) -> float:
    """100·(after − before)/before."""
    if before_um is None or before_um <= 0:
        raise InputError(f"reference thickness must be positive (got {before_um})")
    if after_um is None or after_um < 0:
        raise InputError(f"thickness must not be negative (got {after_um})")
    return 100.0 * (after_um - before_um) / before_um


def analyze_swelling(
    pristine_um: float | str,
    lithiated_um: float | str | None = None,
    delithiated_um: float | str | None = None,
) -> AnalysisResult:
    """Thickness changes pristine→lithiated, lithiated→delithiated and pristine→delithiated (net)."""
    from anodelab.schema.version import __version__

    t0 = as_float(pristine_um, "um", what="pristine thickness")
    t1 = as_float(lithiated_um, "um", what="lithiated thickness")
    t2 = as_float(delithiated_um, "um", what="delithiated thickness")
    if t1 is None and t2 is None:
        raise InputError("give a lithiated and/or delithiated thickness besides the pristine one")
    results: dict = {"pristine_um": t0, "lithiated_um": t1, "delithiated_um": t2}
    metrics = []
    pairs = [
        ("lithiation", "pristine", "lithiated", t0, t1),
        ("delithiation", "lithiated", "delithiated", t1, t2),
        ("net", "pristine", "delithiated", t0, t2),
    ]
    for key, a, b, ta, tb in pairs:
        if ta is None or tb is None:
            continue
        change = thickness_change_percent(ta, tb)
        results[f"{key}_thickness_change_percent"] = change
        metrics.append(
            Metric(
                "electrode_thickness_change",
                change,
                "percent",
                {"state": b},
                note=f"relative to the {a} thickness",
            )
        )
    return AnalysisResult(
        kind="swelling",
        analyzer="anodelab.echem.swelling.analyze_swelling",
        version=__version__,
        options={},
        results=results,
        metrics=metrics,
    )
