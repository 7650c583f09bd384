"""Cell grammar, pint traps, header understanding and compositions (expected values by hand)."""

from __future__ import annotations

import pytest

from anodelab.ingest.headers import parse_header
from anodelab.schema.cells import parse_cell
from anodelab.schema.compositions import (
    composite_capacity_mAh_per_g,
    formula_of,
    theoretical_capacity_mAh_per_g,
)
from anodelab.schema.errors import InputError


@pytest.mark.parametrize(
    ("text", "kind", "value", "vmin", "vmax", "qualifier", "unc", "unit"),
    [
        ("≈91", "number", 91, None, None, "≈", None, None),
        ("~1.0", "number", 1.0, None, None, "≈", None, None),
        ("ca. 3", "number", 3, None, None, "≈", None, None),
        ("651 ± 12", "number", 651, None, None, "=", 12, None),
        ("85.3 (± 1.2)", "number", 85.3, None, None, "=", 1.2, None),
        ("85.3 (±1.2) %", "number", 85.3, None, None, "=", 1.2, "%"),
        ("5.23(4)", "number", 5.23, None, None, "=", 0.04, None),
        ("50–140", "range", None, 50, 140, "=", None, None),
        ("50 nm – 140 nm", "range", None, 50, 140, "=", None, "nm"),
        ("0.2 to 0.45 V", "range", None, 0.2, 0.45, "=", None, "V"),
        ("3.2 × 10−12", "number", 3.2e-12, None, None, "=", None, None),
        ("3.2 × 10⁻¹²", "number", 3.2e-12, None, None, "=", None, None),
        ("3.2E-12", "number", 3.2e-12, None, None, "=", None, None),
        ("1,234", "number", 1234, None, None, "=", None, None),
        ("1\u2009234", "number", 1234, None, None, "=", None, None),
        ("12\u202f345", "number", 12345, None, None, "=", None, None),
        ("−5.2", "number", -5.2, None, None, "=", None, None),
        ("<0.1", "number", 0.1, None, None, "<", None, None),
        ("≥ 99.5", "number", 99.5, None, None, "≥", None, None),
        ("1520 mA h g−1", "number", 1520, None, None, "=", None, "mA h g-1"),
    ],
)
def test_cell_grammar(text, kind, value, vmin, vmax, qualifier, unc, unit):
    cell = parse_cell(text)
    assert cell.kind == kind
    assert cell.value == (pytest.approx(value) if value is not None else None)
    assert cell.value_min == vmin and cell.value_max == vmax
    assert cell.qualifier == qualifier
    assert cell.uncertainty == (pytest.approx(unc) if unc is not None else None)
    assert cell.unit_text == unit


@pytest.mark.parametrize(
    ("text", "mark"), [("651ᵃ", "ᵃ"), ("651*", "*"), ("651^a", "a"), ("651¹", "1")]
)
def test_footnote_markers_are_not_digits(text, mark):
    cell = parse_cell(text)
    assert cell.value == 651 and cell.footnotes == (mark,)


@pytest.mark.parametrize("text", ["–", "—", "-", "n/a", "N/A", "n.d.", "−"])
def test_missing_markers_have_no_value(text):
    cell = parse_cell(text)
    assert cell.kind == "missing" and cell.value is None and cell.reason


def test_blank_is_not_zero():
    cell = parse_cell("   ")
    assert cell.kind == "blank" and cell.value is None


def test_pair_only_when_allowed():
    with pytest.raises(InputError, match="pair"):
        parse_cell("2200/1589")
    cell = parse_cell("2200/1589", allow_pair=True)
    assert (cell.value, cell.second) == (2200, 1589)


def test_decimal_comma():
    assert parse_cell("85,3", decimal=",").value == pytest.approx(85.3)
    assert parse_cell("1.234,5", decimal=",").value == pytest.approx(1234.5)
    with pytest.raises(InputError, match="decimal comma"):
        parse_cell("85,3")


@pytest.mark.parametrize(
    "text", ["abc", "12 and 14", "512.3, 440.6", "1st", "N2", "1 234 567", "± 3"]
)
def test_not_values_are_errors(text):
    with pytest.raises(InputError):
        parse_cell(text)


# --- pint traps: each is read right or refused, never silently misread -------------------------
def test_unicode_minus_capacity_unit():
    spec = parse_header("Capacity (mA h g−1)")
    assert spec.term.name == "discharge_capacity" and not spec.problems
    assert spec.term.canonical_value(1.5, spec.unit_text) == pytest.approx(1.5)


def test_per_area_current_is_not_two_cm_mA():
    spec = parse_header("Current density (mA cm−2)")
    assert spec.term.name == "areal_current_density"
    assert spec.term.canonical_value(0.5, spec.unit_text) == pytest.approx(0.5)
    assert parse_header("Capacity (mA cm−2)").problems  # a current per area is no capacity


def test_atomic_percent_is_not_technical_atmosphere():
    spec = parse_header("N content (at%)")
    assert spec.term.name == "nitrogen_content" and not spec.problems
    assert parse_header("Carbon content (at%)").problems  # carbon_content is wt%: refused


def test_bare_c_is_c_rate_not_coulomb():
    spec = parse_header("Rate (C)")
    assert spec.term.name == "c_rate" and not spec.problems
    assert parse_header("Capacity (C)").problems


def test_ampere_per_gram_converted():
    spec = parse_header("Current density (A g−1)")
    assert spec.term.canonical_value(1.0, spec.unit_text) == pytest.approx(1000.0)


# --- headers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "term", "unit", "conditions"),
    [
        ("Reversible capacity (mA h g−1)", "charge_capacity", "mA h g−1", {}),
        ("Pitch content / wt%", "pitch_wt_pct", "wt%", {}),
        ("T_carb (°C)", "carbonization_temperature_C", "°C", {}),
        ("Capacity, mAh/g", "discharge_capacity", "mAh/g", {}),
        ("ICE [%]", "initial_coulombic_efficiency", "%", {}),
        ("Retention (%) after 100 cycles", "capacity_retention", "%", {"cycle": 100}),
        (
            "Capacity after 500 cycles at 1 A g−1",
            "discharge_capacity",
            None,
            {"cycle": 500, "current_density": 1000},
        ),
        ("Capacity @2 A/g (mAh/g)", "discharge_capacity", "mAh/g", {"current_density": 2000}),
        ("Initial discharge capacity (mAhg−1)", "discharge_capacity", "mAhg−1", {"cycle": 1}),
        ("I_D/I_G", "raman_id_ig", None, {}),
    ],
)
def test_header_to_term_unit_conditions(header, term, unit, conditions):
    spec = parse_header(header)
    assert not spec.problems, spec.problems
    assert spec.term.name == term and spec.unit_text == unit
    assert {k: v.value for k, v in spec.conditions.items()} == pytest.approx(conditions)


def test_c_rate_with_one_c_definition():
    spec = parse_header("Capacity at 0.5 C (1 C = 516 mA g−1) (mA h g−1)")
    assert spec.conditions["c_rate"].value == 0.5
    assert spec.one_c_mA_per_g == pytest.approx(516)
    assert spec.unit_text == "mA h g−1"


def test_unknown_header_gets_suggestions():
    spec = parse_header("Reversble capacity (mA h g−1)")
    assert spec.role == "unknown" and spec.problems and "charge_capacity" in spec.suggestions


def test_pair_header_order_kept():
    spec = parse_header("Charge/discharge capacity (mA h g−1)")
    assert [t.name for t in spec.pair_terms] == ["charge_capacity", "discharge_capacity"]


# --- compositions -------------------------------------------------------------------------------
def test_labels_are_not_formulas():
    assert formula_of("Si@C") is None  # pymatgen would say SiC
    assert formula_of("Si/C") is None
    assert formula_of("NCM811") == "LiNi0.8Co0.1Mn0.1O2"  # alias, not "M811 C N"
    assert formula_of("LiNi0.8Co0.1Mn0.1O2") == "LiNi0.8Co0.1Mn0.1O2"
    assert formula_of("LFP") == "LiFePO4"


def test_theoretical_capacities_from_faraday_law():
    # Li15Si4: 3.75 Li per Si → 3579 mA h g−1; LiC6 → 372 mA h g−1 (Obrovac & Chevrier 2014)
    assert theoretical_capacity_mAh_per_g("Si") == pytest.approx(3579, abs=1)
    assert theoretical_capacity_mAh_per_g("C") == pytest.approx(372, abs=0.5)
    assert composite_capacity_mAh_per_g({"Si": 0.3, "C": 0.7}) == pytest.approx(
        0.3 * 3579 + 0.7 * 372, abs=1
    )
