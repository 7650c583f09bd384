"""Numbers stated in Lee et al., Small Structures 2025 (doi 10.1002/ssstr.202500067) must be in the shipped KB.

The expected values below were typed from the paper text (``/work/shared/seeds/000_22ba105c08be047f.txt``),
not copied from ``kb/literature/lee2025/``, and converted to the vocabulary's canonical units by hand
(``1.0 A g−1`` → 1000 mA g⁻¹, ``30 min`` → 1800 s, ``3 h`` → 10800 s, ``350 cc min−1`` → 350 mL min⁻¹).
Every case asserts sample, property, canonical unit and the conditions that tell the value apart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from anodelab.schema.units import parse_unit

SOURCE = "lee2025"
P30 = "Si/HNC/AC@Pitch30"
SIAC30 = "Si/AC@Pitch30"
SIAC = "Si/AC"
HNC = "Si/HNC/AC"
BLEND = "graphite-blended Si/HNC/AC@Pitch30"
TWO = "Si/HNC/AC and Si/HNC/AC@Pitch30"
THREE = "Si/HNC/AC@Pitch30, Si/AC@Pitch30 and Si/AC"
SERIES = "Si/HNC/AC@Pitch series (0–50 wt%)"
NAN = None  # condition must be unset


def _matches(column: pd.Series, wanted: Any) -> pd.Series:
    if wanted is NAN:
        return column.isna()
    if isinstance(wanted, str):
        return column.astype("string") == wanted
    numbers = pd.to_numeric(column, errors="coerce")
    return pd.Series(np.isclose(numbers, float(wanted), rtol=1e-9, atol=0.0), index=column.index)


def one(df: pd.DataFrame, **conds: Any) -> pd.Series:
    """The single stated row of ``df`` matching every condition (``NAN`` = condition not set)."""
    if "origin" in df.columns:
        df = df[df["origin"] == "stated"]
    sel = df
    for name, wanted in conds.items():
        if name not in sel.columns:
            assert wanted is NAN, f"column {name!r} missing; columns: {list(df.columns)}"
            continue
        sel = sel[_matches(sel[name], wanted)]
    shown = df.drop(columns=[c for c in ("raw", "locator", "note") if c in df.columns])
    assert len(sel) == 1, f"{len(sel)} rows match {conds}:\n{shown.to_string()}"
    return sel.iloc[0]


def same_unit(actual: str, expected: str) -> bool:
    return parse_unit(actual) == parse_unit(expected)


def value_of(kb, sample: str, prop: str, unit: str, **conds: Any) -> pd.Series:
    df = kb.measurements(property=prop, sample=sample, source=SOURCE)
    row = one(df, **conds)
    assert same_unit(row["unit"], unit), f"{sample} {prop}: unit {row['unit']!r}, expected {unit!r}"
    return row


# (sample, property, value, canonical unit, conditions) — one line per stated number.
MA_H_G = "mA*h/g"
CASES: list[tuple[str, str, float, str, dict[str, Any]]] = [
    # characterization: composition, BET, Raman, TEM, AFM
    (HNC, "carbon_content", 26, "wt_percent", {"method": "TGA"}),
    (P30, "carbon_content", 36, "wt_percent", {"method": "TGA"}),
    (HNC, "carbon_content", 25.8, "wt_percent", {"method": "EA"}),
    (P30, "carbon_content", 36.4, "wt_percent", {"method": "EA"}),
    (SIAC, "carbon_content", 32, "wt_percent", {"method": "TGA"}),
    (SIAC30, "carbon_content", 32, "wt_percent", {"method": "TGA"}),
    (HNC, "bet_surface_area", 211, "m**2/g", {}),
    (P30, "bet_surface_area", 112, "m**2/g", {}),
    (SIAC, "bet_surface_area", 242, "m**2/g", {}),
    (SIAC30, "bet_surface_area", 60, "m**2/g", {}),
    (HNC, "raman_id_ig", 1.01, "dimensionless", {}),
    (P30, "raman_id_ig", 0.99, "dimensionless", {}),
    (TWO, "raman_band_position", 1351, "1/cm", {"feature": "D band"}),
    (TWO, "raman_band_position", 1593, "1/cm", {"feature": "G band"}),
    (TWO, "pore_size", 3.7, "nm", {"feature": "micropore peak"}),
    (TWO, "pore_size", 49.2, "nm", {"feature": "mesopore peak"}),
    (HNC, "particle_size", 3, "um", {}),
    (HNC, "coating_thickness", 3, "nm", {}),
    (P30, "coating_thickness", 1.8, "nm", {"feature": "pitch-derived carbon layer"}),
    (P30, "coating_thickness", 2.9, "nm", {"feature": "dextrin-derived amorphous carbon layer"}),
    (SIAC, "coating_thickness", 3.1, "nm", {}),
    (P30, "d_spacing", 0.31, "nm", {"reflection": "(111)"}),
    (HNC, "youngs_modulus", 0.7, "GPa", {}),
    (P30, "youngs_modulus", 1.0, "GPa", {}),
    (P30, "xps_binding_energy", 99.7, "eV", {"feature": "Si⁰ 2p3/2", "state": NAN}),
    (
        P30,
        "xps_binding_energy",
        98.8,
        "eV",
        {"feature": "Si⁰ 2p3/2", "state": "after_cycling", "cycle": 500},
    ),
    (P30, "xps_binding_energy", 398.5, "eV", {"feature": "pyridinic-N (N-6)"}),
    (P30, "xps_binding_energy", 289.2, "eV", {"feature": "O–C=O"}),
    # first cycle at 0.1 A g−1
    (P30, "discharge_capacity", 2200, MA_H_G, {"current_density": 100, "cycle": 1}),
    (P30, "charge_capacity", 1589, MA_H_G, {"current_density": 100, "cycle": 1}),
    (SIAC30, "discharge_capacity", 2376, MA_H_G, {"current_density": 100, "cycle": 1}),
    (SIAC30, "charge_capacity", 1809, MA_H_G, {"current_density": 100, "cycle": 1}),
    (SIAC, "discharge_capacity", 2433, MA_H_G, {"current_density": 100, "cycle": 1}),
    (SIAC, "charge_capacity", 1700, MA_H_G, {"current_density": 100, "cycle": 1}),
    (P30, "initial_coulombic_efficiency", 72.3, "percent", {"current_density": 100}),
    (SIAC30, "initial_coulombic_efficiency", 76.1, "percent", {"current_density": 100}),
    (SIAC, "initial_coulombic_efficiency", 69.9, "percent", {"current_density": 100}),
    (HNC, "initial_coulombic_efficiency", 63.1, "percent", {}),
    ("Si/HNC/AC@Pitch10", "initial_coulombic_efficiency", 68.5, "percent", {}),
    ("Si/HNC/AC@Pitch20", "initial_coulombic_efficiency", 69.2, "percent", {}),
    # long cycling at 1.0 A g−1
    (P30, "discharge_capacity", 651, MA_H_G, {"current_density": 1000, "cycle": 500}),
    (SIAC30, "discharge_capacity", 486, MA_H_G, {"current_density": 1000, "cycle": 500}),
    (SIAC, "discharge_capacity", 293, MA_H_G, {"current_density": 1000, "cycle": 500}),
    (P30, "fade_rate", 0.06, "percent", {"current_density": 1000, "cycle": 500}),
    # rate capability (half cell)
    (P30, "discharge_capacity", 1521, MA_H_G, {"current_density": 100, "cycle": NAN}),
    (P30, "discharge_capacity", 1034, MA_H_G, {"current_density": 700}),
    (P30, "discharge_capacity", 870, MA_H_G, {"current_density": 1000, "cycle": NAN}),
    (P30, "discharge_capacity", 315, MA_H_G, {"current_density": 5000}),
    (SIAC30, "discharge_capacity", 1847, MA_H_G, {"current_density": 100, "cycle": NAN}),
    (SIAC30, "discharge_capacity", 226, MA_H_G, {"current_density": 5000}),
    (SIAC, "discharge_capacity", 1835, MA_H_G, {"current_density": 100, "cycle": NAN}),
    (SIAC, "discharge_capacity", 82, MA_H_G, {"current_density": 5000}),
    # graphite blend (1.0 C = 516 mA g−1) and graphite alone
    (BLEND, "discharge_capacity", 449, MA_H_G, {"c_rate": 0.5, "cycle": 3}),
    (BLEND, "discharge_capacity", 376, MA_H_G, {"c_rate": 0.5, "cycle": 200}),
    (BLEND, "capacity_retention", 84, "percent", {"c_rate": 0.5, "cycle": 200}),
    ("commercial graphite", "discharge_capacity", 303, MA_H_G, {"c_rate": 0.5, "cycle": 3}),
    # NCM811 half cell and NCM811 full cell (capacities per gram of cathode)
    ("NCM811", "discharge_capacity", 145, MA_H_G, {"c_rate": 0.5, "cycle": 300}),
    ("NCM811", "discharge_capacity", 204, MA_H_G, {"c_rate": 0.1}),
    ("NCM811", "discharge_capacity", 59, MA_H_G, {"c_rate": 5.0}),
    (BLEND, "charge_capacity", 219, MA_H_G, {"c_rate": 0.1, "cycle": 1}),
    (BLEND, "discharge_capacity", 196, MA_H_G, {"c_rate": 0.1, "cycle": 1}),
    (BLEND, "discharge_capacity", 164, MA_H_G, {"c_rate": 0.5, "cycle": 100}),
    (BLEND, "capacity_retention", 91, "percent", {"c_rate": 0.5, "cycle": 100}),
    (BLEND, "coulombic_efficiency", 99.8, "percent", {"c_rate": 0.5, "cycle": 100}),
    (BLEND, "discharge_capacity", 181, MA_H_G, {"c_rate": 0.3}),
    (BLEND, "discharge_capacity", 107, MA_H_G, {"c_rate": 5.0}),
    # EIS before cycling, GITT, conductivity
    (P30, "charge_transfer_resistance", 238, "ohm", {"cycle": 0}),
    (SIAC30, "charge_transfer_resistance", 302, "ohm", {"cycle": 0}),
    (SIAC, "charge_transfer_resistance", 367, "ohm", {"cycle": 0}),
    (
        P30,
        "diffusion_coefficient",
        4.00e-12,
        "cm**2/s",
        {"method": "GITT", "pulse_duration": 1800, "relaxation_time": 10800},
    ),
    (
        SIAC30,
        "diffusion_coefficient",
        3.84e-12,
        "cm**2/s",
        {"method": "GITT", "current_density": 100},
    ),
    (
        SIAC,
        "diffusion_coefficient",
        4.43e-12,
        "cm**2/s",
        {"method": "GITT", "current_density": 100},
    ),
    (P30, "electronic_conductivity", 5.91e-6, "S/cm", {}),
    (SIAC30, "electronic_conductivity", 4.09e-6, "S/cm", {}),
    (SIAC, "electronic_conductivity", 0.29e-6, "S/cm", {}),
    (P30, "electrode_thickness", 37, "um", {"method": "four-point probe"}),
    (SIAC, "electrode_thickness", 26, "um", {"method": "EIS"}),
    (THREE, "electrode_area", 1.5386, "cm**2", {}),
    # swelling of the graphite-blended electrodes (cross-sectional FE-SEM)
    (BLEND, "electrode_thickness", 30.6, "um", {"state": "pristine"}),
    (BLEND, "electrode_thickness", 33.8, "um", {"state": "lithiated"}),
    (BLEND, "electrode_thickness", 31.9, "um", {"state": "delithiated"}),
    (
        BLEND,
        "electrode_thickness_change",
        10.5,
        "percent",
        {"state": "lithiated", "reference_state": "pristine"},
    ),
    (
        BLEND,
        "electrode_thickness_change",
        4.2,
        "percent",
        {"state": "delithiated", "reference_state": "pristine"},
    ),
    (
        "graphite-blended Si/AC@Pitch30",
        "electrode_thickness_change",
        38.0,
        "percent",
        {"reference_state": "pristine"},
    ),
    (
        "graphite-blended Si/AC",
        "electrode_thickness_change",
        48.9,
        "percent",
        {"reference_state": "pristine"},
    ),
    (
        "graphite-blended Si",
        "electrode_thickness_change",
        83.8,
        "percent",
        {"reference_state": "pristine"},
    ),
    # CV (0.1 mV s−1) and profile features of the three anodes
    (
        THREE,
        "cv_peak_potential",
        0.34,
        "V",
        {"cycle": 1, "scan_rate": 0.1, "half_cycle": "delithiation", "feature": "anodic peak 1"},
    ),
    (
        THREE,
        "cv_peak_potential",
        0.51,
        "V",
        {"cycle": 1, "scan_rate": 0.1, "half_cycle": "delithiation", "feature": "anodic peak 2"},
    ),
    (
        THREE,
        "cv_peak_potential",
        0.15,
        "V",
        {"half_cycle": "lithiation", "feature": "cathodic peak 1"},
    ),
    (SERIES, "nitrogen_mass_content", 2, "wt_percent", {}),
]


@pytest.mark.parametrize(
    ("sample", "prop", "expected", "unit", "conds"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]:g}" for c in CASES],
)
def test_stated_value(shipped_kb, sample, prop, expected, unit, conds):
    row = value_of(shipped_kb, sample, prop, unit, **conds)
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    assert row["source"] == SOURCE
    assert isinstance(row["raw"], str) and row["raw"], "the words as printed must be kept"
    assert isinstance(row["locator"], str) and row["locator"]


# (sample, property, min, max, canonical unit, conditions) — stated ranges
RANGES = [
    ("Si", "particle_size", 0.050, 0.140, "um", {}),  # 50–140 nm
    ("ZIF-8 polyhedra", "particle_size", 0.040, 0.050, "um", {}),  # 40–50 nm
    (HNC, "primary_particle_size", 50, 140, "nm", {}),
    (TWO, "thermal_event_temperature", 500, 650, "degC", {"atmosphere": "air"}),
    (
        "Si/ZIF-8/dextrin",
        "thermal_event_temperature",
        200,
        300,
        "degC",
        {"feature": "decomposition of dextrin"},
    ),
    (THREE, "plateau_potential", 0.3, 0.55, "V", {"half_cycle": "charge"}),
]


@pytest.mark.parametrize(
    ("sample", "prop", "low", "high", "unit", "conds"),
    RANGES,
    ids=[f"{r[0]}-{r[1]}" for r in RANGES],
)
def test_stated_range(shipped_kb, sample, prop, low, high, unit, conds):
    row = value_of(shipped_kb, sample, prop, unit, **conds)
    assert row["value_min"] == pytest.approx(low, rel=1e-9)
    assert row["value_max"] == pytest.approx(high, rel=1e-9)
    assert row["value"] is None or math.isnan(row["value"]), "a range is not a value"


def test_qualifiers_and_cells(shipped_kb):
    ret = value_of(shipped_kb, BLEND, "capacity_retention", "percent", c_rate=0.5, cycle=100)
    assert ret["qualifier"] == "≈"  # "≈ 91% capacity retention"
    assert ret["cell"] == "full-NCM811"
    size = value_of(shipped_kb, HNC, "particle_size", "um")
    assert size["qualifier"] == "≈"  # "an average size of ≈ 3 μm"
    zn = value_of(
        shipped_kb,
        "ZIF-8 polyhedra",
        "thermal_event_temperature",
        "degC",
        feature="evaporation of Zn metal",
    )
    assert zn["value"] == pytest.approx(900) and zn["qualifier"] == ">"
    first = value_of(shipped_kb, P30, "discharge_capacity", MA_H_G, current_density=100, cycle=1)
    assert first["cell"] == "half-Si/HNC/AC@Pitch30"
    full = value_of(shipped_kb, BLEND, "discharge_capacity", MA_H_G, c_rate=0.5, cycle=100)
    assert full["basis"] == "cathode"


def test_full_cell_setup(shipped_kb):
    rows = list(
        shipped_kb.db.query(
            "SELECT c.* FROM cells c JOIN sources s ON s.id = c.source_id WHERE s.key = ? AND c.label = ?",
            [SOURCE, "full-NCM811"],
        )
    )
    assert len(rows) == 1
    cell = rows[0]
    assert cell["cell_type"] == "full"
    assert cell["one_c_mA_per_g"] == pytest.approx(180)  # 1.0 C = 180 mA g−1
    assert cell["np_ratio"] == pytest.approx(1.13)
    assert cell["active_mass_loading_mg_per_cm2"] == pytest.approx(2.21)
    assert cell["cathode_loading_mg_per_cm2"] == pytest.approx(4.21)
    assert (cell["voltage_min_V"], cell["voltage_max_V"]) == (
        pytest.approx(2.5),
        pytest.approx(4.2),
    )
    blend = list(
        shipped_kb.db.query(
            "SELECT c.one_c_mA_per_g FROM cells c JOIN sources s ON s.id = c.source_id WHERE s.key = ? AND c.label = ?",
            [SOURCE, f"half-{BLEND}"],
        )
    )
    assert blend[0]["one_c_mA_per_g"] == pytest.approx(516)  # 1.0 C = 516 mA g−1


def _vector(kb) -> pd.DataFrame:
    vec = kb.recipe_vectors()
    return vec[vec["source"] == SOURCE].set_index("sample")


@pytest.mark.parametrize(
    ("sample", "pitch", "carb_T", "carb_h", "dextrin", "zif8", "precursor", "template"),
    [
        (HNC, 0, 1000, 2, 1.5, 1.0, "none", "ZIF-8"),
        ("Si/HNC/AC@Pitch10", 10, 900, 3, 1.5, 1.0, "pitch", "ZIF-8"),
        ("Si/HNC/AC@Pitch20", 20, 900, 3, 1.5, 1.0, "pitch", "ZIF-8"),
        (P30, 30, 900, 3, 1.5, 1.0, "pitch", "ZIF-8"),
        ("Si/HNC/AC@Pitch40", 40, 900, 3, 1.5, 1.0, "pitch", "ZIF-8"),
        ("Si/HNC/AC@Pitch50", 50, 900, 3, 1.5, 1.0, "pitch", "ZIF-8"),
        (SIAC30, 30, 900, 3, 2.0, 0, "pitch", "none"),
        (SIAC, 0, 1000, 2, 3.4, 0, "none", "none"),
    ],
)
def test_recipe_vector(
    shipped_kb, sample, pitch, carb_T, carb_h, dextrin, zif8, precursor, template
):
    row = _vector(shipped_kb).loc[sample]
    assert row["pitch_wt_pct"] == pytest.approx(pitch)
    assert row["carbonization_temperature_C"] == pytest.approx(carb_T)
    assert row["carbonization_time_h"] == pytest.approx(carb_h)
    assert row["dextrin_g"] == pytest.approx(dextrin)
    assert row["zif8_g"] == pytest.approx(zif8)
    assert row["si_g"] == pytest.approx(1.0)  # 1.0 g of Si nanopowder
    assert row["spray_inlet_temperature_C"] == pytest.approx(190)
    assert row["coating_precursor"] == precursor
    assert row["template"] == template


def test_blend_recipe_vector(shipped_kb):
    row = _vector(shipped_kb).loc[BLEND]
    assert row["graphite_wt_pct"] == pytest.approx(90)  # 10:90 (w/w)
    assert row["pitch_wt_pct"] == pytest.approx(30)  # inherited from Si/HNC/AC@Pitch30


def _step(steps: pd.DataFrame, **where: Any) -> pd.Series:
    sel = steps
    for name, wanted in where.items():
        sel = sel[sel[name] == wanted]
    assert len(sel) == 1, f"{len(sel)} step rows match {where}:\n{steps.to_string()}"
    return sel.iloc[0]


def test_inherited_steps_of_pitch30(shipped_kb):
    steps = shipped_kb.steps(sample=P30)
    imid = _step(steps, step_type="dispersion", quantity="mass", substance="2-methylimidazole")
    assert imid["value"] == pytest.approx(19.2)  # 19.2 g of 2-methylimidazole
    zn = _step(steps, quantity="mass", substance="Zn(NO3)2·6H2O")
    assert zn["value"] == pytest.approx(8.4)
    dry = _step(steps, step_type="drying", quantity="temperature")
    assert dry["value"] == pytest.approx(60)  # oven at 60 °C for 12 h
    assert _step(steps, step_type="spray_drying", quantity="pressure")["value"] == pytest.approx(
        0.17
    )  # bar
    assert _step(steps, step_type="spray_drying", quantity="liquid_flow_rate")[
        "value"
    ] == pytest.approx(1.0)  # mL/min
    assert _step(steps, step_type="spray_drying", quantity="outlet_temperature")[
        "value"
    ] == pytest.approx(100)
    carb = steps[steps["step_type"] == "carbonization"]
    assert sorted(carb.loc[carb["quantity"] == "temperature", "value"]) == [
        pytest.approx(900),
        pytest.approx(1000),
    ]
    assert _step(carb, quantity="gas_flow_rate")["value"] == pytest.approx(
        350
    )  # 350 cc/min = 350 mL/min
    assert _step(carb, quantity="heating_rate")["value"] == pytest.approx(5)  # 5 °C/min = 5 K/min
    pitch = steps[(steps["quantity"] == "fraction") & (steps["substance"] == "pitch")]
    by_basis = dict(zip(pitch["basis"], pitch["value"], strict=True))
    assert by_basis == {"mass_of_solution": pytest.approx(25), "mass_of_total": pytest.approx(30)}
    atmospheres = set(steps.loc[steps["quantity"] == "atmosphere", "text_value"])
    assert atmospheres == {"N2", "air"}
