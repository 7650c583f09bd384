"""Real published tables (tests/literature_import/data/real/, origins and licences in SOURCES.md),
imported with their maps and checked cell by cell against the file read independently (Python's
csv module, numbers converted by hand to the canonical unit)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import anodelab
from anodelab.schema.vocabulary import use_user_terms

REAL = Path(__file__).parent / "data" / "real"


@pytest.fixture(autouse=True)
def _reset_terms():
    yield
    use_user_terms(())


def test_sigesn_thin_film_library_every_cell_stored_right(tmp_path: Path) -> None:
    table, mapping = REAL / "sigesn_df_109.csv", REAL / "sigesn_df_109.yaml"
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # column → (property, factor to the canonical unit); typed from the header and the paper
    expected_columns = {
        "Si (at. %)": ("si_at_pct", 100.0),  # printed as fractions of 1
        "Ge (at. %)": ("ge_at_pct", 100.0),
        "Sn (at. %)": ("sn_at_pct", 100.0),
        "m (g)": ("film_mass", 1.0),
        "ρ (g/cm³)": ("film_density", 1.0),
        "l (mg/cm²)": ("film_areal_mass", 1.0),
        "d (µm)": ("electrode_thickness", 1.0),
    }
    with anodelab.open(tmp_path / "kb.db", create=True) as kb:
        report = kb.import_table(table, mapping=mapping)
        assert report.status == "imported" and not report.refused
        stored = kb.measurements()
    assert set(stored["doi"]) == {"10.1002/aenm.202404961"}
    by_key = {(r["sample"], r["property"]): r for _, r in stored.iterrows()}
    stated = right = 0
    for row in rows:
        for column, (prop, factor) in expected_columns.items():
            stated += 1
            record = by_key.get((row[""], prop))
            if record is not None and record["value"] == pytest.approx(
                float(row[column]) * factor, rel=1e-12
            ):
                right += 1
    assert len(rows) == 259 and stated == 259 * 7
    assert right == stated  # every stated cell, right sample, canonical unit; nothing else stored
    assert len(stored) == stated
    assert set(stored.loc[stored["property"] == "si_at_pct", "unit"]) == {"at_percent"}


# Table 1 of doi:10.1098/rsos.172370, typed from the journal page: label, ref, Qr1, ICE %,
# rate (value, "C" or "A/g"), QdN, N, retention %
RSOS_TABLE_1 = [
    ("C–SiNWs", "[36]", 1700.0, 90.0, (0.2, "C"), 1300.0, 30, 76.5),
    ("C–SiNWs", "[37]", 2300.0, 96.0, (0.1, "C"), 2000.0, 100, 87.0),
    ("HCNFs–Si", "[38]", 941.4, 78.5, (0.6, "C"), 733.9, 20, 77.9),
    ("3D Si/C FP", "[39]", 1589.0, 80.0, (0.5, "A/g"), 1267.0, 100, 79.7),
    ("PC/Si", "[40]", 1639.0, 83.6, (0.1, "A/g"), 1199.0, 10, 73.2),
    ("Si–CNF–P", "[41]", 1957.0, 79.3, (2.0, "A/g"), 1187.0, 400, 60.6),
    ("MWCNT@Si", "[42]", 1547.0, 51.0, (0.4, "A/g"), 800.0, 10, 51.7),
    ("MWCNT–Si", "[43]", 3000.0, 96.0, (0.3, "A/g"), 2280.0, 50, 76.0),
    ("Si/ACNT", "[44]", 1496.0, 66.4, (0.1, "A/g"), 1198.0, 300, 80.0),
    ("MSi@C", "[16]", 1375.0, 83.0, (0.05, "A/g"), 1054.0, 100, 76.7),
    ("Si@C NSs", "[45]", 888.6, 52.0, (0.2, "A/g"), 610.7, 50, 68.7),
    ("HSi@C", "[46]", 1610.0, 70.0, (2.0, "A/g"), 800.0, 120, 49.7),
    ("Si@void@C", "[47]", 901.0, 62.5, (1.0, "A/g"), 796.0, 100, 88.3),
    ("p-Si@C", "[48]", 1287.0, 69.4, (0.5, "A/g"), 1146.0, 100, 89.1),
]


def test_rsos_si_c_comparison_table_two_values_per_cell_and_mixed_rates(tmp_path: Path) -> None:
    table, mapping = REAL / "rsos_172370_table1.csv", REAL / "rsos_172370_table1.yaml"
    with anodelab.open(tmp_path / "kb.db", create=True) as kb:
        report = kb.import_table(table, mapping=mapping)
        assert report.status == "imported" and not report.refused
        stored = kb.measurements()
    rows = {}
    for _, r in stored.iterrows():
        rows[(r["sample"], r["source"].rsplit(" ", 1)[1], r["property"])] = r
    stated = right = 0
    for label, ref, qr1, ice, (rate, rate_unit), qdn, n, retention in RSOS_TABLE_1:
        rate_condition = (
            {"c_rate": rate} if rate_unit == "C" else {"current_density": rate * 1000.0}
        )
        expected = [
            ("charge_capacity", qr1, {"cycle": 1, **rate_condition}),
            ("initial_coulombic_efficiency", ice, rate_condition),
            ("discharge_capacity", qdn, {"cycle": n, **rate_condition}),
            ("capacity_retention", retention, {"cycle": n, **rate_condition}),
        ]
        stated += 6  # Qr1, ICE, rate, QdN, N, retention
        for prop, value, conditions in expected:
            r = rows.get((label, ref, prop))
            ok = r is not None and r["value"] == pytest.approx(value)
            ok = ok and all(r[k] == pytest.approx(v) for k, v in conditions.items())
            right += ok
        # the rate and N cells are right when every value of the row carries them (checked above)
        right += 2 if all(rows.get((label, ref, p)) is not None for p, *_ in expected) else 0
    assert stated == 84
    assert right == stated
    assert len(stored) == 56  # nothing stored that the table does not state
