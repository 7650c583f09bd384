"""Unit parsing: the literature spellings that pint silently misreads must come out right."""

from __future__ import annotations

import pytest

from anodelab.schema.errors import UnitError
from anodelab.schema.units import normalize_unit_text, parse_unit, to_canonical, unit_label, ureg


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("mA h g−1", "mA*h/g"),  # U+2212: pint alone reads gram·hour·milliampere
        ("mA h g^-1", "mA*h/g"),
        ("mAh/g", "mA*h/g"),
        ("mAhg−1", "mA*h/g"),
        ("mA·h·g⁻¹", "mA*h/g"),
        ("mA h g^{-1}", "mA*h/g"),
        ("A g−1", "A/g"),  # pint alone: ampere·gram
        ("mA cm−2", "mA/cm**2"),  # pint alone: 2 centimeter·milliampere
        ("mg cm-2", "mg/cm**2"),
        ("m² g⁻¹", "m**2/g"),
        ("cm2 s−1", "cm**2/s"),
        ("°C min−1", "K/min"),
        ("Ω", "ohm"),
        ("μm", "um"),
        ("µm", "um"),
        ("V vs. Li/Li+", "V"),
        ("mV s-1", "mV/s"),
    ],
)
def test_literature_units_parse_to_the_right_dimension_and_scale(
    printed: str, expected: str
) -> None:
    parsed = parse_unit(printed)
    assert ureg.Quantity(1, parsed).to(expected).magnitude == pytest.approx(1.0)


def test_at_percent_is_not_percent_times_technical_atmosphere() -> None:
    assert parse_unit("at%") == parse_unit("at_percent")
    assert "atmosphere" not in str(parse_unit("at%"))


def test_bare_c_is_a_c_rate_not_coulomb() -> None:
    assert parse_unit("C").dimensionality != ureg.coulomb.dimensionality
    with pytest.raises(UnitError):
        to_canonical(0.5, "C", "mA/g")


def test_a_temperature_is_refused_where_a_mass_fraction_is_expected() -> None:
    with pytest.raises(UnitError, match="cannot be converted"):
        to_canonical(700, "°C", "wt%")


def test_percent_is_accepted_for_a_mass_fraction_and_wt_percent_refused_for_efficiency() -> None:
    assert to_canonical(30, "%", "wt%") == pytest.approx(30)
    with pytest.raises(UnitError):
        to_canonical(30, "wt%", "percent")


@pytest.mark.parametrize(
    ("value", "unit", "target", "expected"),
    [
        (1.0, "A g−1", "mA/g", 1000.0),
        (700, "°C", "K", 973.15),
        (5, "°C min−1", "K/min", 5.0),
        (350, "cc min−1", "mL/min", 350.0),
        (3.2e-12, "cm2 s−1", "m**2/s", 3.2e-16),
        (2.2, "mAh cm⁻²", "mA*h/cm**2", 2.2),
    ],
)
def test_conversions(value: float, unit: str, target: str, expected: float) -> None:
    assert to_canonical(value, unit, target) == pytest.approx(expected)


def test_labels_are_written_as_researchers_write_them() -> None:
    assert unit_label("mA*h/g") == "mA h g⁻¹"
    assert unit_label("m**2/g") == "m² g⁻¹"
    assert unit_label("wt_percent") == "wt%"
    assert unit_label("dimensionless") == ""


def test_names_with_digits_are_not_turned_into_powers() -> None:
    assert "^" not in normalize_unit_text("mL")
    with pytest.raises(UnitError):
        parse_unit("ZIF-8")


@pytest.mark.parametrize("garbage", ["", "/", "mA/", "12"])
def test_garbage_units_are_refused_or_dimensionless(garbage: str) -> None:
    if garbage == "":
        assert parse_unit(garbage) == ureg.dimensionless
    else:
        with pytest.raises(UnitError):
            parse_unit(garbage)
