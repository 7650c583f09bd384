"""The shipped KB holds the numbers stated in the text of Ji et al., Batteries & Supercaps 2025.

Paper: "Interfacial Engineering Strategy to Avoid Oxidation Reaction and Boost Charge Transport
Kinetics of Microparticle Silicon Larger than 5 μm ...", DOI 10.1002/batt.202500037 (source key
``ji2025``; plain text in ``/work/shared/seeds/001_aa5a794d03cdd5c2.txt``).

Every expected value below was typed from the paper text (section given in the comment), converted
to the vocabulary's canonical unit by hand (A g⁻¹ → mA g⁻¹, Å → nm, days/weeks → h), and is
compared with what ``anodelab init`` built from ``kb/literature/ji2025/``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

SOURCE = "ji2025"


def _matches(cell: object, expected: object) -> bool:
    missing = cell is None or (isinstance(cell, float) and math.isnan(cell))
    if expected is None:
        return missing
    if missing:
        return False
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return math.isclose(float(cell), float(expected), rel_tol=1e-6, abs_tol=1e-9)
    return str(cell) == str(expected)


def rows(kb, prop: str, sample: str, **conditions: object) -> pd.DataFrame:
    """Rows of ``prop`` for ``sample`` whose condition columns equal ``conditions`` (None = not set)."""
    df = kb.measurements(property=prop, sample=sample, source=SOURCE)
    for name, expected in conditions.items():
        assert name in df.columns, f"no column {name!r} in {list(df.columns)}"
        df = df[[_matches(c, expected) for c in df[name]]]
    return df


def one(kb, prop: str, sample: str, **conditions: object) -> pd.Series:
    """The single row of ``prop`` for ``sample`` at ``conditions``; fails on zero or several matches."""
    df = rows(kb, prop, sample, **conditions)
    assert len(df) == 1, f"{prop} of {sample} at {conditions}: {len(df)} rows\n{df}"
    return df.iloc[0]


def value(kb, prop: str, sample: str, **conditions: object) -> float:
    return float(one(kb, prop, sample, **conditions)["value"])


# ------------------------------------------------------------------------------------------------
# Synthesis (Section 4, "Preparation of Scalable N-doped Carbon-Coated Silicon Microparticle")


@pytest.fixture(scope="module")
def vectors(shipped_kb) -> pd.DataFrame:
    df = shipped_kb.recipe_vectors()
    return df[df["source"] == SOURCE].set_index("sample")


@pytest.mark.parametrize(
    ("sample", "dopamine_wt_pct", "dopamine_g", "carbonization_temperature_C"),
    [
        (
            "mSi@NHC-700-10",
            10,
            0.56,
            700,
        ),  # "0.26 g, 0.56 g, and 1.25 g for 5 wt%, 10 wt%, and 20 wt%"
        ("mSi@NHC-800-5", 5, 0.26, 800),
        ("mSi@NHC-600-20", 20, 1.25, 600),
    ],
)
def test_recipe_vector_of_carbonized_samples(
    vectors, sample, dopamine_wt_pct, dopamine_g, carbonization_temperature_C
):
    row = vectors.loc[sample]
    assert row["dopamine_wt_pct"] == pytest.approx(dopamine_wt_pct)
    assert row["dopamine_g"] == pytest.approx(dopamine_g)
    assert row["carbonization_temperature_C"] == pytest.approx(carbonization_temperature_C)
    assert row["carbonization_time_h"] == pytest.approx(2)  # "under argon atmosphere for 2 h"
    assert row["carbonization_heating_rate_K_per_min"] == pytest.approx(
        1
    )  # "ramping rate of 1 °C min−1"
    assert row["si_g"] == pytest.approx(5.0)  # "mSi (5.0 g) was dispersed"
    assert row["si_particle_size_um"] == pytest.approx(5)  # "mSi, ≈5 μm, LG Energy Solution"
    assert row["coating_precursor"] == "polydopamine"
    assert row["template"] == "none"
    assert row["family"] == vectors.loc["mSi", "family"]


def test_recipe_vector_of_uncarbonized_and_bare_samples(vectors):
    pda = vectors.loc["mSi@PDA-20"]
    assert pda["dopamine_wt_pct"] == pytest.approx(20)
    assert pda["dopamine_g"] == pytest.approx(1.25)
    assert pd.isna(pda["carbonization_temperature_C"])  # "PDA ... for no calcination"
    bare = vectors.loc["mSi"]
    assert bare["dopamine_wt_pct"] == pytest.approx(0)  # no dopamine added: family absent value
    assert bare["coating_precursor"] == "none"
    assert bare["si_particle_size_um"] == pytest.approx(5)
    # 3 PDA + 9 NHC + bare mSi form the series
    series = [s for s in vectors.index if s.startswith("mSi")]
    assert {"mSi", "mSi@PDA-5", "mSi@PDA-10", "mSi@PDA-20"} <= set(series)
    assert {f"mSi@NHC-{t}-{y}" for t in (600, 700, 800) for y in (5, 10, 20)} <= set(series)


def test_inherited_steps_of_a_coated_sample(shipped_kb):
    steps = shipped_kb.steps(sample="mSi@NHC-700-20")

    def number(step_type: str, quantity: str, substance: str | None = None) -> float:
        sel = steps[(steps["step_type"] == step_type) & (steps["quantity"] == quantity)]
        if substance is not None:
            sel = sel[sel["substance"] == substance]
        assert len(sel) == 1, sel
        return float(sel.iloc[0]["value"])

    fraction = steps[
        (steps["quantity"] == "fraction") & (steps["substance"] == "dopamine hydrochloride")
    ]
    assert len(fraction) == 1
    assert float(fraction.iloc[0]["value"]) == pytest.approx(20)
    assert fraction.iloc[0]["basis"] == "mass_of_si"  # "relative to the weight scale of mSi powder"
    assert number("pda_polymerization", "mass", "dopamine hydrochloride") == pytest.approx(1.25)
    assert number("pda_polymerization", "time") == pytest.approx(24)  # "magnetic stirring for 24 h"
    assert number("dispersion", "ph") == pytest.approx(8.5)  # "adjusted to pH of 8.5"
    assert number(
        "dispersion", "concentration", "tris(hydroxymethyl)aminomethane"
    ) == pytest.approx(0.01)  # 0.01 M
    assert number("dispersion", "volume", "DI water") == pytest.approx(500)  # "DI water (500 mL)"
    assert number("carbonization", "temperature") == pytest.approx(700)
    atmospheres = set(steps.loc[steps["quantity"] == "atmosphere", "text_value"])
    assert atmospheres == {"air", "Ar"}  # polymerization in air, carbonization under argon
    dispersion_times = sorted(
        steps.loc[(steps["step_type"] == "dispersion") & (steps["quantity"] == "time"), "value"]
    )
    assert dispersion_times == pytest.approx([0.5, 12])  # ultrasonication 0.5 h, stirring 12 h


# ------------------------------------------------------------------------------------------------
# Characterization (Section 2.1)


def test_layer_thickness_carbon_content_and_dsc(shipped_kb):
    nhc = one(shipped_kb, "coating_thickness", "mSi@NHC-700-20")
    assert nhc["value"] == pytest.approx(90) and nhc["qualifier"] == "≈"  # "NHC layer (≈ 90 nm)"
    assert value(shipped_kb, "coating_thickness", "mSi@PDA-20") == pytest.approx(
        200
    )  # "PDA layer (≈ 200 nm)"
    for sample, wt in [("mSi@NHC-700-5", 1.70), ("mSi@NHC-700-10", 2.54), ("mSi@NHC-700-20", 3.51)]:
        assert value(shipped_kb, "carbon_content", sample) == pytest.approx(wt)
    assert value(shipped_kb, "dsc_peak_heat", "mSi@NHC-700-20") == pytest.approx(408.3)  # J g⁻¹


def test_group_statements_are_ranges_on_groups(shipped_kb):
    hi = one(shipped_kb, "bet_surface_area", "mSi@NHC-700-y and mSi@NHC-800-y")
    assert (hi["value_min"], hi["value_max"]) == pytest.approx((1.8, 7.9))  # m² g⁻¹
    assert pd.isna(hi["value"])
    pore = one(shipped_kb, "pore_size", "mSi@NHC-700-y and mSi@NHC-800-y")
    assert (pore["value_min"], pore["value_max"]) == pytest.approx((5.1, 11.0))  # nm
    low = one(shipped_kb, "bet_surface_area", "mSi@NHC-600-y")
    assert (low["value_min"], low["value_max"]) == pytest.approx((10.0, 45.0))
    vol = one(shipped_kb, "pore_volume", "mSi@NHC-600-y")
    assert (vol["value_min"], vol["value_max"]) == pytest.approx((0.013, 0.058))  # cm³ g⁻¹
    size = one(shipped_kb, "pore_size", "mSi@NHC-600-y")
    assert (size["value_min"], size["value_max"]) == pytest.approx((10.8, 11.4))
    # no per-sample BET value was invented for a member of a group
    assert shipped_kb.measurements(
        property="bet_surface_area", sample="mSi@NHC-700-10", source=SOURCE
    ).empty
    coated = one(shipped_kb, "particle_size", "mSi@NHC-x-y (all carbonized)")
    assert (coated["value_min"], coated["value_max"]) == pytest.approx((5.09, 5.25))  # µm
    assert value(shipped_kb, "particle_size", "mSi") == pytest.approx(4.12)  # "from ≈ 4.12 μm"
    # "d-spacing values in (111) direction as about 3.14 Å for all mSi@x-y" → 0.314 nm
    d = one(shipped_kb, "d_spacing", "mSi@x-y", reflection="(111)")
    assert d["value"] == pytest.approx(0.314) and d["unit"] == "nm"


@pytest.mark.parametrize(
    ("sample", "ratio"),
    [
        ("mSi@PDA-10", 0.96),
        ("mSi@NHC-600-10", 0.92),
        ("mSi@NHC-700-10", 0.91),
        ("mSi@NHC-800-10", 0.89),
    ],
)
def test_raman_ratio(shipped_kb, sample, ratio):
    assert value(shipped_kb, "raman_id_ig", sample) == pytest.approx(ratio)


def test_ftir_bands(shipped_kb):
    bands = shipped_kb.measurements(
        property="ftir_band_position", sample="mSi@NHC-x-y (all carbonized)", source=SOURCE
    )
    assert sorted(bands["value"]) == pytest.approx([1045, 1539, 2847, 2920, 2982])  # cm⁻¹


# ------------------------------------------------------------------------------------------------
# Gas evolution of the aqueous slurry at 50 °C (Section 2.2)


def test_gas_evolution(shipped_kb):
    gas = one(shipped_kb, "specific_gas_evolution_volume", "mSi", time=2 * 7 * 24, temperature=50)
    assert gas["value"] == pytest.approx(10.2)  # "10.2 (± 0.2) mL g−1 slurry" after 2 weeks
    assert gas["uncertainty"] == pytest.approx(0.2) and gas["uncertainty_kind"] == "unspecified"
    assert gas["unit"] in ("mL/g", "milliliter / gram")
    assert value(shipped_kb, "specific_gas_evolution_volume", "mSi", time=0) == pytest.approx(0)
    day3 = one(shipped_kb, "hydrogen_fraction_in_gas", "mSi", time=3 * 24)
    assert (day3["value"], day3["uncertainty"]) == pytest.approx((72.4, 2.1))
    day13 = one(shipped_kb, "hydrogen_fraction_in_gas", "mSi", time=13 * 24)
    assert (day13["value"], day13["uncertainty"]) == pytest.approx((88.4, 1.4))


# ------------------------------------------------------------------------------------------------
# Half cells (Section 2.3): rate capability, ICE, cycling, EIS


@pytest.mark.parametrize(
    ("sample", "current_density_mA_per_g", "step", "capacity_mAh_per_cm2"),
    [
        ("mSi", 200, 1, 3.58),
        ("mSi", 1000, 4, 3.45),
        ("mSi", 5000, 8, 0.06),
        ("mSi", 1000, 9, 3.13),  # back to 1 A g−1 at the end
        ("mSi@NHC-700-5", 5000, 8, 0.18),
        ("mSi@NHC-700-5", 1000, 9, 2.72),
        ("mSi@NHC-700-10", 5000, 8, 2.21),
        ("mSi@NHC-700-10", 3000, 6, 2.61),
        ("mSi@NHC-700-20", 200, 1, 2.84),
        ("mSi@NHC-700-20", 4000, 7, 2.28),
    ],
)
def test_rate_capability(shipped_kb, sample, current_density_mA_per_g, step, capacity_mAh_per_cm2):
    row = one(
        shipped_kb,
        "areal_discharge_capacity",
        sample,
        current_density=current_density_mA_per_g,
        rate_step=step,
    )
    assert row["value"] == pytest.approx(capacity_mAh_per_cm2)
    assert row["cell"] == f"half-{sample}"


def test_rate_series_is_complete(shipped_kb):
    for sample in ("mSi", "mSi@NHC-700-5", "mSi@NHC-700-10", "mSi@NHC-700-20"):
        df = rows(shipped_kb, "areal_discharge_capacity", sample, cycle=None)
        df = df[df["rate_step"].notna()]
        assert sorted(df["rate_step"]) == list(range(1, 10))
        by_step = df.set_index("rate_step")["current_density"].sort_index()
        assert list(by_step) == pytest.approx([200, 400, 800, 1000, 2000, 3000, 4000, 5000, 1000])


@pytest.mark.parametrize(
    ("sample", "ice", "sd"),
    [
        ("mSi@NHC-700-5", 90.07, 0.36),
        ("mSi@NHC-700-10", 88.99, 0.24),
        ("mSi@NHC-700-20", 87.03, 0.32),
        ("mSi", 91.19, 0.18),
    ],
)
def test_initial_coulombic_efficiency(shipped_kb, sample, ice, sd):
    row = one(shipped_kb, "initial_coulombic_efficiency", sample)
    assert (row["value"], row["uncertainty"]) == pytest.approx((ice, sd))
    assert row["unit"] in ("percent", "%")


def test_long_cycling_half_cells(shipped_kb):
    # 2 A g−1: "1.74 mAh cm−2 for 55th cycle, 1.11 mAh cm−2 for 57th cycle, and 1.26 mAh cm−2 for 79th cycle"
    assert value(
        shipped_kb, "areal_charge_capacity", "mSi@NHC-700-5", current_density=2000, cycle=55
    ) == pytest.approx(1.74)
    assert value(
        shipped_kb, "areal_charge_capacity", "mSi@NHC-700-20", current_density=2000, cycle=79
    ) == pytest.approx(1.26)
    # 5 A g−1: "2.26 ... at 39th cycle, 2.05 ... at 48th cycle, and 1.38 ... at 53th cycle"
    assert value(
        shipped_kb, "areal_charge_capacity", "mSi@NHC-700-10", current_density=5000, cycle=48
    ) == pytest.approx(2.05)
    assert value(
        shipped_kb, "areal_charge_capacity", "mSi@NHC-700-20", current_density=5000, cycle=53
    ) == pytest.approx(1.38)
    # 1 A g−1: "35.2 % retention value for 120 cycles"
    assert value(
        shipped_kb, "capacity_retention", "mSi@NHC-700-20", current_density=1000, cycle=120
    ) == pytest.approx(35.2)


@pytest.mark.parametrize(
    ("sample", "prop", "after_10th", "after_30th"),
    [
        ("mSi@NHC-700-20", "solution_resistance", 3.32, 9.75),
        ("mSi", "solution_resistance", 2.69, 17.6),
        ("mSi@NHC-700-20", "charge_transfer_resistance", 1.02, 2.24),
        ("mSi", "charge_transfer_resistance", 0.724, 10.3),
        ("mSi@NHC-700-20", "sei_resistance", 0.498, 1.58),
        ("mSi", "sei_resistance", 0.676, 2.12),
    ],
)
def test_eis_at_5_A_per_g(shipped_kb, sample, prop, after_10th, after_30th):
    assert value(shipped_kb, prop, sample, current_density=5000, cycle=10) == pytest.approx(
        after_10th
    )  # Ω
    assert value(shipped_kb, prop, sample, current_density=5000, cycle=30) == pytest.approx(
        after_30th
    )


# ------------------------------------------------------------------------------------------------
# Kinetics (Section 2.4): CV peaks, Randles–Sevcik slopes


def test_cv_peaks(shipped_kb):
    cathodic = {
        "mSi@NHC-700-20": 0.148,
        "mSi": 0.128,
        "mSi@NHC-700-5": 0.139,
        "mSi@NHC-700-10": 0.146,
    }
    for sample, volts in cathodic.items():
        row = one(shipped_kb, "cv_peak_potential", sample, half_cycle="lithiation", scan_rate=0.1)
        assert row["value"] == pytest.approx(volts)
    anodic = rows(shipped_kb, "cv_peak_potential", "mSi@NHC-700-20", half_cycle="delithiation")
    assert sorted(anodic["value"]) == pytest.approx([0.379, 0.545])
    assert value(
        shipped_kb, "cv_peak_potential", "mSi", half_cycle="delithiation"
    ) == pytest.approx(0.584)
    sei = one(shipped_kb, "cv_peak_potential", "mSi and mSi@x-y", cycle=1)
    assert sei["value"] == pytest.approx(1.3) and sei["qualifier"] == "≈"


@pytest.mark.parametrize(
    ("sample", "anodic", "cathodic"),
    [
        ("mSi@NHC-700-20", 1.03, 1.34),
        ("mSi@NHC-700-5", 0.45, 0.58),
        ("mSi@NHC-700-10", 0.97, 1.24),
        ("mSi", 0.43, 0.55),
    ],
)
def test_randles_sevcik_slopes(shipped_kb, sample, anodic, cathodic):
    prop = "randles_sevcik_slope_unstated_unit"
    assert value(shipped_kb, prop, sample, half_cycle="delithiation") == pytest.approx(anodic)
    assert value(shipped_kb, prop, sample, half_cycle="lithiation") == pytest.approx(cathodic)


# ------------------------------------------------------------------------------------------------
# Post mortem after 30 cycles (Section 2.5): AFM roughness, electrode swelling


def test_roughness_after_30_cycles(shipped_kb):
    expected = {
        ("mSi@NHC-700-20", 2000): 99.2,
        ("mSi@NHC-700-20", 5000): 212.1,
        ("mSi", 2000): 182.5,
        ("mSi", 5000): 227.7,
    }
    for (sample, j), nm in expected.items():
        assert value(
            shipped_kb, "surface_roughness_rms", sample, current_density=j, cycle=30
        ) == pytest.approx(nm)


@pytest.mark.parametrize(
    ("sample", "pristine_um", "after_2_um", "after_5_um", "swelling_2_pct", "swelling_5_pct"),
    [("mSi", 18.1, 41.8, 63.9, 130.9, 253.0), ("mSi@NHC-700-20", 18.0, 24.2, 37.9, 34.4, 110.6)],
)
def test_electrode_swelling(
    shipped_kb, sample, pristine_um, after_2_um, after_5_um, swelling_2_pct, swelling_5_pct
):
    assert value(shipped_kb, "electrode_thickness", sample, state="pristine") == pytest.approx(
        pristine_um
    )
    after = {2000: after_2_um, 5000: after_5_um}
    swelling = {2000: swelling_2_pct, 5000: swelling_5_pct}
    for j in (2000, 5000):
        assert value(
            shipped_kb,
            "electrode_thickness",
            sample,
            state="after_cycling",
            current_density=j,
            cycle=30,
        ) == pytest.approx(after[j])
        assert value(
            shipped_kb, "electrode_thickness_change", sample, current_density=j, cycle=30
        ) == pytest.approx(swelling[j])


# ------------------------------------------------------------------------------------------------
# Ni65 full cells (Abstract, Section 2.6)


@pytest.mark.parametrize(
    ("sample", "charge_c", "discharge_c", "at_150", "at_300"),
    [
        ("mSi@NHC-700-5", 1, 0.5, 44.8, 27.7),
        ("mSi@NHC-700-10", 1, 0.5, 45.5, 27.8),
        ("mSi@NHC-700-20", 1, 0.5, 43.8, 27.9),
        ("mSi", 1, 0.5, 41.6, 27.3),
        ("mSi@NHC-700-20", 3, 3, 47.9, 32.6),
        ("mSi", 3, 3, 33.8, 23.1),
        ("mSi@NHC-700-5", 3, 3, 39.0, 25.1),
        ("mSi@NHC-700-10", 3, 3, 37.5, 28.7),
    ],
)
def test_full_cell_retention(shipped_kb, sample, charge_c, discharge_c, at_150, at_300):
    for cycle, pct in ((150, at_150), (300, at_300)):
        row = one(
            shipped_kb,
            "capacity_retention",
            sample,
            charge_c_rate=charge_c,
            discharge_c_rate=discharge_c,
            cycle=cycle,
        )
        assert row["value"] == pytest.approx(pct)
        assert row["cell"] == f"{sample}||Ni65"


def test_full_cell_headline_numbers(shipped_kb):
    best = "mSi@NHC-700-20"
    slow = one(
        shipped_kb,
        "areal_discharge_capacity",
        best,
        charge_c_rate=1,
        discharge_c_rate=0.5,
        cycle=300,
    )
    assert (
        slow["value"] == pytest.approx(0.85) and slow["qualifier"] == ">"
    )  # "over 0.85 ... mAh cm−2"
    fast = one(
        shipped_kb, "areal_discharge_capacity", best, charge_c_rate=3, discharge_c_rate=3, cycle=300
    )
    assert fast["value"] == pytest.approx(0.84) and fast["qualifier"] == ">"
    assert value(
        shipped_kb, "fade_rate", best, charge_c_rate=1, discharge_c_rate=0.5
    ) == pytest.approx(0.24)
    assert value(
        shipped_kb, "fade_rate", best, charge_c_rate=3, discharge_c_rate=3
    ) == pytest.approx(0.22)
    # (003) shift of the Ni65 cathode across H2–H3 at 0.75 C: 0.07° (mSi||Ni65), 0.04° (mSi@NHC-700-20||Ni65)
    assert value(shipped_kb, "xrd_peak_shift", "mSi", c_rate=0.75) == pytest.approx(0.07)
    assert value(shipped_kb, "xrd_peak_shift", best, c_rate=0.75) == pytest.approx(0.04)


def test_every_row_has_provenance(shipped_kb):
    df = shipped_kb.measurements(source=SOURCE)
    assert len(df) >= 130
    assert df["locator"].notna().all() and df["raw"].notna().all()
    assert set(df["origin"]) == {"stated"}


def test_a_printed_implausible_pore_volume_is_stored_as_printed_and_flagged(shipped_kb):
    """Section 2.1 prints "pore volume (32–74 cm³ g⁻¹)" for mSi@NHC-700-y/800-y while calling it
    lower than the 0.013–0.058 cm³ g⁻¹ of mSi@NHC-600-y: a printing error, kept as printed."""
    values = shipped_kb.measurements("pore_volume", source=SOURCE).set_index("sample")
    printed = values.loc["mSi@NHC-700-y and mSi@NHC-800-y"]
    assert (printed["value_min"], printed["value_max"]) == (32.0, 74.0)
    assert "implausible_as_printed" in printed["flags"] and "printing error" in printed["note"]
    assert pd.isna(values.loc["mSi@NHC-600-y", "flags"])


def test_an_implausible_value_needs_the_flag_and_a_note(tmp_path):
    from anodelab.ingest.layout import bundle_from_rows
    from anodelab.schema.errors import AnodelabError

    row = {"source": "x", "sample": "s", "property": "pore_volume", "value": "50", "unit": "cm3/g"}
    for extra, fragment in (({}, "flags=implausible_as_printed"),
                            ({"flags": "implausible_as_printed"}, "needs a note"),
                            ({"flags": "typo"}, "unknown flag")):  # fmt: skip
        with pytest.raises(AnodelabError, match=fragment):
            bundle = bundle_from_rows("measurements", [row | extra], file="m.csv")
            if bundle.problems:  # problems are collected, not raised
                raise AnodelabError(str(bundle.problems[0]))
    bundle = bundle_from_rows(
        "measurements",
        [row | {"flags": "implausible_as_printed", "note": "printed so"}],
        file="m.csv",
    )
    assert bundle.measurements[0].flags == ("outside_plausible_range", "implausible_as_printed")


def test_stored_row_is_the_line_a_spreadsheet_shows(shipped_kb) -> None:
    """Each value's stored ``row`` is its line in measurements.csv, the header being row 1 (it was
    stored one less: the ICE of mSi@NHC-700-5, on line 65, as row 64)."""
    import csv
    from pathlib import Path

    from anodelab.kb.literature_data import literature_folders

    folder = next(f for f in literature_folders() if f.name == SOURCE)
    lines = list(csv.reader((Path(folder) / "measurements.csv").open(encoding="utf-8")))
    line = next(
        number
        for number, cells in enumerate(lines, start=1)
        if cells[:3] == [SOURCE, "mSi@NHC-700-5", "initial_coulombic_efficiency"]
    )
    row = one(shipped_kb, "initial_coulombic_efficiency", "mSi@NHC-700-5")
    assert row["row"] == line
