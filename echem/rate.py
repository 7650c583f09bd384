"""Rate capability: group consecutive cycles by current into a table like the papers'.

A *rate step* is a run of consecutive complete cycles whose (cycler-sense) discharge current
stays within ``relative_tolerance`` of the run's first cycle.  For each step the table reports the
current (as current density mA g⁻¹ when the active mass is given, and as C-rate when a nominal
capacity is given: :math:`C = I / Q_{\\text{nominal}}`), the cycles, and the mean capacities

.. math::

   \\bar Q = \\frac{1}{N}\\sum_{n \\in \\text{step}} Q_n

A step whose current returns to one used before a faster step is flagged ``recovery`` and its
``recovery_percent`` compares it with the mean of the first step at that current.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from anodelab.echem.cycling import cycle_summary
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.echem.steps import leading_sign
from anodelab.schema.errors import InputError
from anodelab.schema.version import __version__

__all__ = ["analyze_rate", "rate_steps"]


def rate_steps(table: pd.DataFrame, relative_tolerance: float = 0.05) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of :func:`cycle_summary` rows with the same discharge current."""
    current = table["max_discharge_current_mA"].to_numpy(dtype=float)
    ranges: list[tuple[int, int]] = []
    start = 0
    for k in range(1, current.size + 1):
        if k == current.size or abs(current[k] - current[start]) > relative_tolerance * max(
            current[start], 1e-300
        ):
            ranges.append((start, k))
            start = k
    return ranges


def analyze_rate(
    frame: pd.DataFrame,
    *,
    mass_g: float | None = None,
    nominal_capacity_mAh: float | None = None,
    cell: str = "anode-half",
    relative_tolerance: float = 0.05,
    capacity_source: str = "auto",
) -> AnalysisResult:
    """Rate-capability table from a cycling frame; see the module docstring.

    ``results["steps"]``: list of ``{"current_density_mA_per_g" (with mass) or "c_rate" (with
    nominal capacity), "current_mA", "cycles": [first, last], "n_cycles",
    "mean_discharge_capacity_mAh"(/_per_g), "mean_charge_capacity_mAh"(/_per_g),
    "mean_coulombic_efficiency_percent", "recovery", "recovery_percent"}``.
    """
    warnings: list[str] = []
    table = cycle_summary(frame, cell=cell, capacity_source=capacity_source, warnings=warnings)
    table = table[table["complete"]].reset_index(drop=True)
    if table.empty:
        raise InputError("no complete cycle for a rate table", file=frame.attrs.get("source_file"))
    reversible = "charge_capacity_mAh" if leading_sign(cell) < 0 else "discharge_capacity_mAh"
    steps: list[dict[str, Any]] = []
    metrics: list[Metric] = []
    seen: dict[float, float] = {}
    fastest = 0.0
    for start, stop in rate_steps(table, relative_tolerance):
        part = table.iloc[start:stop]
        current_mA = float(part["max_discharge_current_mA"].median())
        item: dict[str, Any] = {
            "current_mA": current_mA,
            "cycles": [int(part["cycle"].iloc[0]), int(part["cycle"].iloc[-1])],
            "n_cycles": int(len(part)),
            "mean_discharge_capacity_mAh": float(part["discharge_capacity_mAh"].mean()),
            "mean_charge_capacity_mAh": float(part["charge_capacity_mAh"].mean()),
            "mean_coulombic_efficiency_percent": float(part["coulombic_efficiency_percent"].mean()),
        }
        if mass_g:
            item["current_density_mA_per_g"] = current_mA / mass_g
            item["mean_discharge_capacity_mAh_per_g"] = item["mean_discharge_capacity_mAh"] / mass_g
            item["mean_charge_capacity_mAh_per_g"] = item["mean_charge_capacity_mAh"] / mass_g
        if nominal_capacity_mAh:
            item["c_rate"] = current_mA / nominal_capacity_mAh
        mean_reversible = float(part[reversible].mean())
        match = next((c for c in seen if abs(c - current_mA) <= relative_tolerance * c), None)
        item["recovery"] = bool(
            match is not None and fastest > current_mA * (1 + relative_tolerance)
        )
        item["recovery_percent"] = (
            100.0 * mean_reversible / seen[match]
            if item["recovery"] and match is not None
            else None
        )
        if match is None:
            seen[current_mA] = mean_reversible
        fastest = max(fastest, current_mA)
        steps.append(item)
        cond: dict[str, Any] = {"cycle": (item["cycles"][-1], "cycle_count")}
        if mass_g:
            cond["current_density"] = (item["current_density_mA_per_g"], "mA/g")
            note = f"mean over cycles {item['cycles'][0]}-{item['cycles'][1]} of a rate test" + (
                " (recovery step)" if item["recovery"] else ""
            )
            metrics.append(
                Metric(
                    "discharge_capacity",
                    item["mean_discharge_capacity_mAh_per_g"],
                    "mA*h/g",
                    cond,
                    note=note,
                )
            )
            metrics.append(
                Metric(
                    "charge_capacity",
                    item["mean_charge_capacity_mAh_per_g"],
                    "mA*h/g",
                    cond,
                    note=note,
                )
            )
        elif nominal_capacity_mAh:
            cond["c_rate"] = (item["c_rate"], "C_rate")
            metrics.append(
                Metric(
                    "discharge_capacity_absolute", item["mean_discharge_capacity_mAh"], "mA*h", cond
                )
            )
    if len(steps) < 2:
        warnings.append("only one current level found; is this a rate-capability test?")
    options = {
        "mass_g": mass_g,
        "nominal_capacity_mAh": nominal_capacity_mAh,
        "cell": cell,
        "relative_tolerance": relative_tolerance,
        "capacity_source": capacity_source,
    }
    results = {
        "steps": steps,
        "convention": f"currents are the discharge (negative-current) half-cycle's; reversible capacity = {reversible}",
    }
    return AnalysisResult(
        kind="rate",
        analyzer="anodelab.echem.rate.analyze_rate",
        version=__version__,
        options=options,
        warnings=warnings,
        results=results,
        metrics=metrics,
    )
