"""Rate capability columns keep their own rate (never the row's other current density), and cell
attributes given as columns (electrolyte, binder, loading, N/P) become the cell of the row's
electrochemical values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anodelab
from anodelab.cli import main

RATE = """Sample,Current density (mA g-1),Reversible capacity (mA h g-1),Capacity at 1 A g-1 (mA h g-1),Rate 5C
HC-1,20,300.5,150.2,47.8
"""
RATE_MAP = """source: 10.1000/rate
columns:
  Rate 5C: {property: charge_capacity, unit: mA h g-1, conditions: {c_rate: 5 C}}
"""
CELLS = """Sample,Electrolyte,Binder,Loading (mg cm-2),N/P ratio,Reversible capacity (mA h g-1),BET (m2 g-1)
HC-1,1 M LiPF6 in EC/DEC,CMC/SBR,1.2,1.1,300.5,12.1
HC-2,1 M NaPF6 in diglyme,PVDF,2500 µg cm-2,,280.1,8.0
"""


def test_a_rate_column_never_inherits_the_rows_current_density(tmp_path: Path) -> None:
    (tmp_path / "rate.csv").write_text(RATE, encoding="utf-8")
    (tmp_path / "rate.yaml").write_text(RATE_MAP, encoding="utf-8")
    db = tmp_path / "kb.db"
    assert (
        main(
            [
                "import-table",
                str(tmp_path / "rate.csv"),
                "--map",
                str(tmp_path / "rate.yaml"),
                "--db",
                str(db),
            ]
        )
        == 0
    )
    with anodelab.open(db, readonly=True) as kb:
        frame = kb.measurements()
    got = {r["value"]: (r.get("current_density"), r.get("c_rate")) for _, r in frame.iterrows()}
    assert got[300.5][0] == 20.0  # the row's own current density
    assert got[150.2][0] == 1000.0  # "at 1 A g-1" from its header, not 20
    assert (
        got[47.8][1] == 5.0 and got[47.8][0] != got[47.8][0]
    )  # 5 C from the map; no current density (NaN)


def test_cell_attribute_columns_make_the_cell_of_the_rows_values(tmp_path: Path) -> None:
    (tmp_path / "cells.csv").write_text(CELLS, encoding="utf-8")
    db = tmp_path / "kb.db"
    assert (
        main(
            [
                "import-table",
                str(tmp_path / "cells.csv"),
                "--source",
                "10.1000/cells",
                "--db",
                str(db),
            ]
        )
        == 0
    )
    with sqlite3.connect(db) as conn:
        cells = conn.execute(
            "SELECT label, electrolyte, binder, active_mass_loading_mg_per_cm2, np_ratio FROM cells ORDER BY label"
        ).fetchall()
        linked = dict(
            conn.execute(
                "SELECT m.property || ' ' || s.label, c.label FROM measurements m JOIN samples s ON s.id = m.sample_id "
                "LEFT JOIN cells c ON c.id = m.cell_id"
            ).fetchall()
        )
    assert cells == [
        ("HC-1 cell", "1 M LiPF6 in EC/DEC", "CMC/SBR", 1.2, 1.1),
        ("HC-2 cell", "1 M NaPF6 in diglyme", "PVDF", 2.5, None),  # 2500 µg cm-2 converted
    ]
    assert linked["charge_capacity HC-1"] == "HC-1 cell"
    assert linked["bet_surface_area HC-1"] is None  # a material property has no cell
