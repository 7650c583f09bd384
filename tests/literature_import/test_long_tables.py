"""Long tables (one value per row, text-mined style): the map renames property names and units in
cells (value_map), a conditions cell — dict-like or prose — is read with the header grammar, and
a cell with two values becomes what the map says."""

from __future__ import annotations

from pathlib import Path

import pytest

import anodelab

# the layout of the ChemDataExtractor battery database (Name, Property, Raw_value, Raw_unit, Info)
TABLE = """Name,Property,Raw_value,Raw_unit,Info,DOI
LiFePO4,Capacity,162,mAhg-1,"{'rate': '0.1C', 'temperature': '25 °C'}",10.1000/a
LiFePO4,Voltage,3.4,V,None,10.1000/a
Si/C,Capacity,1480,mAh/g,at 1 A g−1 after 200 cycles,10.1000/b
Si/C,Coulombic efficiency,99.5,%,at 0.5 C and 25 °C,10.1000/b
Si/C,Capacity,521.4 and 448.0,mAh g-1,at 2 A g-1,10.1000/b
"""
MAP = """label: Name
ref: DOI
columns:
  Property:
    role: property_name
    value_map: {Capacity: discharge_capacity, Voltage: average_voltage}
  Raw_value: {role: value}
  Raw_unit:
    role: unit
    value_map: {mAhg-1: mA h g-1}
  Info: {role: conditions}
"""


@pytest.fixture()
def imported(tmp_path: Path):
    (tmp_path / "long.csv").write_text(TABLE, encoding="utf-8")
    (tmp_path / "long.yaml").write_text(MAP, encoding="utf-8")
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    report = kb.import_table(tmp_path / "long.csv", mapping=tmp_path / "long.yaml")
    yield kb, report
    kb.close()


def test_value_map_and_conditions_cells(imported) -> None:
    kb, report = imported
    frame = kb.measurements().set_index(["sample", "property", "value"])
    lfp = frame.loc[("LiFePO4", "discharge_capacity", 162.0)]
    assert lfp["c_rate"] == 0.1 and lfp["temperature"] == 25.0  # from the dict-like cell
    assert ("LiFePO4", "average_voltage", 3.4) in frame.index  # 'Voltage' renamed by the map
    sic = frame.loc[("Si/C", "discharge_capacity", 1480.0)]
    assert sic["current_density"] == 1000.0 and sic["cycle"] == 200.0  # prose conditions
    ce = frame.loc[("Si/C", "coulombic_efficiency", 99.5)]
    assert ce["c_rate"] == 0.5 and ce["temperature"] == 25.0


def test_two_values_without_a_map_entry_are_refused_with_the_reason(imported) -> None:
    _, report = imported
    assert [(p.row, p.column) for p in report.refused] == [(6, "Raw_value")]
    assert "more than one value" in report.refused[0].message
    assert report.to_dict()["rows"] == {"taken": 4, "refused": 1}


def test_two_values_as_a_range_when_the_map_says_so(tmp_path: Path) -> None:
    (tmp_path / "long.csv").write_text(TABLE, encoding="utf-8")
    (tmp_path / "long.yaml").write_text(
        MAP.replace(
            "  Raw_value: {role: value}", "  Raw_value: {role: value, second: {as: range}}"
        ),
        encoding="utf-8",
    )
    with anodelab.open(tmp_path / "kb.db", create=True) as kb:
        report = kb.import_table(tmp_path / "long.csv", mapping=tmp_path / "long.yaml")
        assert not report.refused
        ranged = kb.measurements("discharge_capacity", sample="Si/C")
    row = ranged[ranged["value"].isna()].iloc[0]
    assert (row["value_min"], row["value_max"], row["current_density"]) == (448.0, 521.4, 2000.0)
