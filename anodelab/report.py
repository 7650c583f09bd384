"""Analysis results for people: the tables and sentences ``anodelab analyze`` and ``import-run``
print (``--json`` gives the full-precision data instead).

Every number goes through :mod:`anodelab.format`: units on every value, 4 significant figures,
names in words.  EIS is reported as researchers write it: a CPE as *Q* (F s^(n−1)) and *n*, the
Warburg coefficient σ, the Kramers–Kronig verdict as a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from anodelab.format import column_label, number, quantity, split_column, words

__all__ = ["Block", "analysis_blocks", "eis_parameter_rows", "kk_sentence"]


@dataclass(frozen=True)
class Block:
    """One piece of a report: a table (``frame`` with a ``title``) or a line of ``text``."""

    title: str = ""
    frame: pd.DataFrame | None = None
    text: str = ""


def _people_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns named for people (units from the names' suffixes)."""
    return frame.rename(columns={c: column_label(c) for c in frame.columns})


def _summary_frame(summary: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for key, value in summary.items():
        if isinstance(value, (dict, list)) or value is None:
            continue
        label, unit = split_column(key)
        rows.append({"quantity": label, "value": quantity(value, unit) if unit else number(value)})
    return pd.DataFrame(rows, columns=["quantity", "value"])


# impedance.py element parameters → what researchers write.
_ELEMENT = re.compile(r"^(?P<kind>[A-Za-z]+)(?P<index>\d*)(?:_(?P<part>\d+))?$")
_CPE_PARTS = {"0": ("Q", "F s^(n−1)"), "1": ("n", "")}
_NAMES = {"R": "resistance", "C": "capacitance", "L": "inductance", "W": "Warburg coefficient σ",
          "Wo": "Warburg (open) σ", "Ws": "Warburg (short) σ", "CPE": "constant-phase element"}  # fmt: skip
_UNITS = {"ohm": "Ω", "ohm/s^0.5": "Ω s⁻¹ᐟ²", "F": "F", "H": "H"}


def eis_parameter_rows(parameters: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The fitted circuit in words: one row per parameter with element, quantity, value ± error
    and unit; a CPE (impedance.py ``CPE1_0``, ``CPE1_1``) becomes Q in F s^(n−1) and n."""
    rows = []
    for name, p in parameters.items():
        match = _ELEMENT.match(name)
        kind = match.group("kind") if match else name
        element = f"{kind}{match.group('index')}" if match else name
        if kind == "CPE" and match and match.group("part") in _CPE_PARTS:
            what, unit = _CPE_PARTS[match.group("part")]
            what = f"CPE {what}"
        else:
            what, unit = (
                _NAMES.get(kind, name),
                _UNITS.get(p.get("unit") or "", p.get("unit") or ""),
            )
        value, error = p.get("value"), p.get("stderr")
        shown = number(value)
        if error is not None and error == error:
            shown += f" ± {number(error, 2)}"
        rows.append({"element": element, "quantity": what, "value": shown, "unit": unit})
    return pd.DataFrame(rows, columns=["element", "quantity", "value", "unit"])


def kk_sentence(kk: dict[str, Any] | None) -> str:
    """The Kramers–Kronig verdict as a sentence."""
    if not kk:
        return "Kramers–Kronig: not tested."
    verdict = "consistent with" if kk.get("valid") else "NOT consistent with"
    details = [f"largest residual {number(kk.get('max_residual_percent'), 3)} %"]
    if kk.get("noise_percent") is not None:
        details.append(f"noise {number(kk['noise_percent'], 3)} %")
    if kk.get("n_rc_elements") is not None:
        details.append(f"{kk['n_rc_elements']} RC elements")
    return f"Kramers–Kronig: the spectrum is {verdict} a linear, causal, stable system ({', '.join(details)})."


def _eis_blocks(res: dict[str, Any], name: str) -> list[Block]:
    blocks = [Block(f"EIS fit {res.get('circuit')} — {name}", eis_parameter_rows(res.get("parameters", {}))),
              Block(text=kk_sentence(res.get("kramers_kronig")))]  # fmt: skip
    fit_range = res.get("fit_range") or {}
    if fit_range:
        blocks.append(Block(text=(
            f"Fitted range: {number(fit_range.get('min_frequency_Hz'))}–{number(fit_range.get('max_frequency_Hz'))} Hz, "
            f"{fit_range.get('n_points_used')} points, {fit_range.get('n_points_dropped', 0)} dropped — "
            f"{fit_range.get('selected_by', '')}.")))  # fmt: skip
    warburg = res.get("warburg") or {}
    if warburg.get("warburg_coefficient_ohm_per_sqrt_s") is not None:
        blocks.append(Block(text=(
            f"Warburg coefficient σ = {quantity(warburg['warburg_coefficient_ohm_per_sqrt_s'], 'ohm/s**0.5')} "
            f"from Z′ against ω^(−1/2) between {number(warburg.get('min_frequency_Hz'))} and "
            f"{number(warburg.get('max_frequency_Hz'))} Hz ({warburg.get('n_points')} points, "
            f"R² = {number(warburg.get('r_squared'))}).")))  # fmt: skip
    return blocks


def _dqdv_blocks(res: dict[str, Any], name: str) -> list[Block]:
    peaks = pd.DataFrame(res.get("peaks") or [])
    if peaks.empty:
        return [Block(text=f"dQ/dV — {name}: no peak found.")]
    blocks = [Block(f"dQ/dV peaks — {name}", _people_frame(peaks))]
    for half, shifts in (res.get("peak_shift") or {}).items():
        if len(shifts) >= 2:
            first, last = shifts[0], shifts[-1]
            blocks.append(Block(text=(
                f"Main {words(half)} peak: {quantity(first['voltage_V'], 'V')} in cycle {first['cycle']}, "
                f"{quantity(last['voltage_V'], 'V')} in cycle {last['cycle']} "
                f"(shift {quantity(1000 * (last['voltage_V'] - first['voltage_V']), 'mV')}).")))  # fmt: skip
    return blocks


def analysis_blocks(
    kind: str, results: dict[str, Any], metrics: list[Any], name: str
) -> list[Block]:
    """The report of one analysis (``kind`` of :data:`anodelab.ingest.runs.ANALYSES`)."""
    if kind == "cycling":
        cycles = pd.DataFrame(results["cycles"])
        wanted = ["cycle", "discharge_capacity_mAh_per_g", "charge_capacity_mAh_per_g", "discharge_capacity_mAh",
                  "charge_capacity_mAh", "coulombic_efficiency_percent", "average_discharge_voltage_V",
                  "average_charge_voltage_V", "discharge_current_density_mA_per_g"]  # fmt: skip
        cycles = cycles[[c for c in wanted if c in cycles]].dropna(axis=1, how="all")
        if (
            "discharge_capacity_mAh_per_g" in cycles
        ):  # per gram known: the absolute mAh is in --json
            cycles = cycles.drop(
                columns=[
                    c for c in ("discharge_capacity_mAh", "charge_capacity_mAh") if c in cycles
                ]
            )
        notes = []
        density = "discharge_current_density_mA_per_g"
        if density in cycles and cycles[density].nunique() == 1:
            notes.append(
                Block(
                    text=f"Discharge current density {quantity(cycles[density].iloc[0], 'mA/g')} in every cycle."
                )
            )
            cycles = cycles.drop(columns=[density])
        blocks = [Block(f"cycling — {name}", _people_frame(cycles)), *notes,
                  Block("summary", _summary_frame(results["summary"]))]  # fmt: skip
        for key, text in results["summary"].get("convention", {}).items():
            blocks.append(Block(text=f"  {words(key)}: {text}"))
        return blocks
    if kind == "rate":
        return [Block(f"rate capability — {name}", _people_frame(pd.DataFrame(results["steps"])))]
    if kind == "gitt":
        pulses = pd.DataFrame(results["pulses"])
        keep = [
            "index",
            "voltage_V",
            "diffusion_coefficient_cm2_per_s",
            "tau_D_over_r2",
            "valid",
            "reason",
        ]
        return [Block(f"GITT — {name}", _people_frame(pulses[[c for c in keep if c in pulses]])),
                Block("summary", _summary_frame(results["summary"]))]  # fmt: skip
    if kind == "eis":
        return _eis_blocks(results, name)
    if kind == "dqdv":
        return _dqdv_blocks(results, name)
    rows = [{"quantity": words(m.property), "value": quantity(m.value, m.unit),
             "conditions": ", ".join(f"{words(k)} {number(v[0] if isinstance(v, tuple) else v)}"
                                     for k, v in m.conditions.items())} for m in metrics]  # fmt: skip
    return [
        Block(f"{kind} — {name}", pd.DataFrame(rows, columns=["quantity", "value", "conditions"]))
    ]
