"""One number-with-unit reader (schema.cells.parse_quantity) behind conditions, objectives,
campaign records and table cells: `.5A/g`, `0,5 A/g`, `5E-1 A g−1` read the same everywhere."""

from __future__ import annotations

import pytest

from anodelab.campaign import parse_assignment
from anodelab.optimize.objectives import parse_quantity_text
from anodelab.schema.cells import parse_cell, parse_quantity
from anodelab.schema.conditions import parse_conditions, split_number_unit

SPELLINGS = [".5A/g", "0.5 A/g", "0,5 A/g", "5E-1 A g−1", "5 × 10⁻¹ A/g", "+0.50A g^-1"]


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_entry_point_reads_the_same_current_density(text: str) -> None:
    assert parse_quantity(text)[0] == pytest.approx(0.5)
    assert split_number_unit(text)[0] == pytest.approx(0.5)
    assert parse_quantity_text(text)[0] == pytest.approx(0.5)
    conditions = parse_conditions(f"current_density={text}")
    assert conditions["current_density"].value == pytest.approx(500.0)  # mA g⁻¹
    name, value, unit = parse_assignment(f"current_density={text}", kind="condition")
    assert (name, unit) == ("current_density", "mA/g") and value == pytest.approx(500.0)


def test_thousands_and_decimal_commas() -> None:
    assert parse_quantity("1,500 mA/g") == (1500.0, "mA/g")  # a comma before three digits groups
    assert parse_quantity("1,5 A/g") == (1.5, "A/g")
    assert parse_quantity("1.500 mA/g", decimal=",") == (1500.0, "mA/g")  # a table's own mark
    assert parse_quantity("1\u2009234 mA/g") == (1234.0, "mA/g")
    assert parse_quantity("500") == (500.0, "")


def test_a_table_cell_and_a_condition_agree() -> None:
    cell = parse_cell("3.2 × 10−12")
    assert cell.value == pytest.approx(parse_quantity("3.2 × 10−12")[0])


@pytest.mark.parametrize("bad", ["abc", "", "A/g 5", "."])
def test_no_number_is_one_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match="does not start with a number"):
        parse_quantity(bad)
