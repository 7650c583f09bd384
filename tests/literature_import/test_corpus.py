"""Every table of the corpus: values, units, conditions and problems checked cell by cell.

Expected numbers are typed by hand from the table files in ``data/`` (not produced by the code).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from anodelab.ingest.mapping import load_mapping
from anodelab.ingest.tables import read_table
from anodelab.ingest.wide import bundle_from_table, describe_columns

DATA = Path(__file__).parent / "data"


def load(name: str, mapping: str | None = None, source: str | None = None):
    m = load_mapping(DATA / mapping) if mapping else None
    return bundle_from_table(DATA / name, mapping=m, source=source)


def values(bundle) -> dict[tuple[str, str, tuple], tuple]:
    """(sample, property, conditions) → (value, unit, min, max, uncertainty, qualifier)."""
    out = {}
    for m in bundle.measurements:
        cond = tuple(
            sorted((k, v.value if v.text is None else v.text) for k, v in m.conditions.items())
        )
        key = (m.sample, m.property, cond)
        assert key not in out, f"duplicate {key}"
        out[key] = (m.value, m.unit, m.value_min, m.value_max, m.uncertainty, m.qualifier)
    return out


def problems(bundle) -> set[tuple[str, int | None, str | None]]:
    return {(p.severity, p.row, p.column) for p in bundle.problems}


def test_wide_acs_basic_ref_doi_forward_filled():
    b = load("wide_acs_basic.csv")
    v = values(b)
    cd1, cd05 = ("current_density", 1000.0), ("current_density", 500.0)
    assert v[("Si@C-700", "charge_capacity", (("current_density", 1000.0), ("cycle", 500.0)))] == (
        1234,
        "mA*h/g",
        None,
        None,
        None,
        "=",
    )
    assert v[("Si@C-700", "capacity_retention", (cd1, ("cycle", 500.0)))] == (
        85.3,
        "percent",
        None,
        None,
        1.2,
        "=",
    )
    assert v[("Si@C-700", "initial_coulombic_efficiency", (cd1,))] == (
        91,
        "percent",
        None,
        None,
        None,
        "≈",
    )
    assert v[("Si/C-2", "charge_capacity", (cd05, ("cycle", 200.0)))] == (
        651,
        "mA*h/g",
        None,
        None,
        12,
        "=",
    )
    assert v[("Si/C-2", "initial_coulombic_efficiency", (cd05,))][0] == 78.1
    assert v[("Si@C-900", "initial_coulombic_efficiency", (("current_density", 2000.0),))][:1] == (
        72,
    )
    assert len(v) == 6
    # the second row has no DOI of its own: it belongs to the paper of the row above
    assert {(s.source, s.label) for s in b.samples} == {
        ("10.1021/acsami.0c01234", "Si@C-700"),
        ("10.1021/acsami.0c01234", "Si/C-2"),
        ("10.1016/j.jpowsour.2019.226789", "Si@C-900"),
    }
    steps = {
        (s.sample, s.step, s.step_type, s.quantity, s.substance, s.basis, s.value) for s in b.steps
    }
    assert steps == {
        ("Si@C-700", 1, "pitch_coating", "fraction", "pitch", "mass_of_total", 30),
        ("Si@C-700", 2, "carbonization", "temperature", None, None, 700),
        ("Si/C-2", 1, "pitch_coating", "fraction", "pitch", "mass_of_total", 20),
        ("Si/C-2", 2, "carbonization", "temperature", None, None, 800),
        ("Si@C-900", 1, "carbonization", "temperature", None, None, 900),
    }
    col = "Reversible capacity (mA h g−1)"
    assert problems(b) == {
        ("warning", 3, "Retention (%)"),  # "–"
        ("error", 4, col),  # 2200/1589 in a column that does not say discharge/charge
        ("warning", 4, "Retention (%)"),  # "n/a"
    }


def test_semicolon_decimal_comma_latin1():
    b = load("semicolon_decimal_comma_latin1.csv", source="10.1000/eu.2020")
    v = values(b)
    c = (("current_density", 200.0), ("cycle", 100.0))
    assert v[("Si/C-A", "discharge_capacity", c)][0] == pytest.approx(1520.5)
    assert v[("Si/C-B", "discharge_capacity", c)][0] == pytest.approx(1234.0)
    assert v[("Si/C-C", "discharge_capacity", (("current_density", 500.0), ("cycle", 100.0)))][
        ::5
    ] == (pytest.approx(980.2), "≈")
    assert v[("Si/C-A", "initial_coulombic_efficiency", (("current_density", 200.0),))][
        0
    ] == pytest.approx(85.3)
    assert v[("Si/C-B", "initial_coulombic_efficiency", (("current_density", 200.0),))][
        0
    ] == pytest.approx(80.1)
    assert len(v) == 5
    assert sorted(s.value for s in b.steps) == [800, 900, 1000]  # "°C" read from Latin-1
    assert problems(b) == {("warning", 4, "ICE (%)")}
    assert read_table(DATA / "semicolon_decimal_comma_latin1.csv").encoding == "cp1252"


def test_bom_tab_thin_spaces():
    b = load("bom_tab_thin_spaces.tsv")
    v = values(b)
    assert v[("mSi@NHC-700", "bet_surface_area", ())][:2] == (1234, "m**2/g")
    assert v[("mSi@NHC-700", "diffusion_coefficient", ())][0] == pytest.approx(3.2e-12)
    assert v[("mSi@NHC-800", "diffusion_coefficient", ())][0] == pytest.approx(3.2e-12)
    assert v[("mSi@NHC-700", "particle_size", ())][:4] == (None, "um", 50, 140)
    assert v[("mSi@NHC-800", "particle_size", ())][::5] == (5, "≈")
    assert v[("mSi@NHC-800", "charge_transfer_resistance", ())][:2] == (42.5, "ohm")
    assert len(v) == 7
    assert b.samples[0].label == "mSi@NHC-700"  # the BOM is not part of the first header
    assert problems(b) == {("warning", 2, "R_ct (Ω)")}


def test_multirow_unit_row():
    b = load("multirow_unit_row.csv", source="lee2025")
    v = values(b)
    cd = (("current_density", 100.0),)
    assert v[("Si/HNC/AC@Pitch30", "discharge_capacity", cd)][:2] == (2213, "mA*h/g")
    assert v[("Si/HNC/AC@Pitch30", "charge_capacity", cd)][0] == 1711
    assert v[("Si/HNC/AC@Pitch30", "initial_coulombic_efficiency", cd)][0] == 77.3
    assert v[("Si/HNC/AC@Pitch30", "carbon_content", ())][:2] == (35.2, "wt_percent")
    assert v[("Si/HNC/AC@Pitch10", "discharge_capacity", cd)][0] == 2501
    assert v[("Si/HNC/AC@Pitch10", "charge_capacity", cd)][0] == 1848
    assert v[("Si/HNC/AC@Pitch10", "initial_coulombic_efficiency", cd)][0] == 73.9
    assert v[("Si/HNC/AC@Pitch10", "carbon_content", ())][0] == 28.6
    assert len(v) == 8 and not b.problems
    units = {
        d["header"]: (d["unit"], d["unit_from"])
        for d in describe_columns(DATA / "multirow_unit_row.csv")
    }
    assert units["Current density"] == ("A g−1", "unit row")


def test_markdown_pair_and_conditions_in_header():
    b = load("markdown_pair.md")
    v = values(b)
    assert v[("Si@C-1", "discharge_capacity", ())][0] == 2200
    assert v[("Si@C-1", "charge_capacity", ())][0] == 1589
    assert v[("Si@C-2", "discharge_capacity", ())][0] == 2650
    assert v[("Si@C-2", "charge_capacity", ())][0] == 1900
    after = (("current_density", 1000.0), ("cycle", 500.0))
    assert v[("Si@C-1", "discharge_capacity", after)][0] == 1012
    assert v[("Si@C-2", "discharge_capacity", after)][0] == 1105
    assert [
        v[(s, "initial_coulombic_efficiency", ())][0] for s in ("Si@C-1", "Si@C-2", "Si@C-3")
    ] == [72.2, 71.7, 69.0]
    assert len(v) == 9
    assert {m.provenance.locator for m in b.measurements} == {"Table 2"}
    notes = {m.raw_value: m.note for m in b.measurements if m.note}
    assert notes == {"1012ᵃ": "footnote a", "1105*": "footnote *"}
    assert {p.row for p in b.problems} == {7} and not b.errors


def test_html_two_row_header_colspan_rowspan():
    b = load("html_two_row_header.html", source="10.1016/j.review.2024.1")
    v = values(b)
    assert v[("Si@NC", "discharge_capacity", (("cycle", 1.0),))][0] == 1845
    assert v[("Si@NC", "discharge_capacity", (("cycle", 100.0),))][0] == 1320
    assert v[("Si@NC", "initial_coulombic_efficiency", ())][0] == 84.1
    label = "Si/graphene composite"  # <br> inside the cell
    assert v[(label, "discharge_capacity", (("cycle", 1.0),))][0] == 2310
    assert v[(label, "discharge_capacity", (("cycle", 100.0),))][::4] == (1187, 25)
    assert v[(label, "initial_coulombic_efficiency", ())][::5] == (80, ">")
    assert len(v) == 6 and not b.problems
    # "[12]" is a reference of the review, kept with the review's key
    assert {s.key for s in b.sources} == {
        "10.1016/j.review.2024.1 [12]",
        "10.1016/j.review.2024.1 [13]",
    }
    assert {m.provenance.locator for m in b.measurements} == {"Table S3"}
    assert sorted(s.value for s in b.steps) == [700, 800]


def test_xlsx_merged_header_cells():
    b = load("merged_header.xlsx", source="10.1000/xlsx")
    v = values(b)
    cd = ("current_density", 100.0)
    assert v[("SiOx/C-1", "discharge_capacity", (cd, ("cycle", 1.0)))][0] == 1650.5
    assert v[("SiOx/C-1", "discharge_capacity", (cd, ("cycle", 100.0)))][0] == 1402
    assert v[("SiOx/C-2", "discharge_capacity", (cd, ("cycle", 1.0)))][0] == 1580
    assert v[("SiOx/C-2", "discharge_capacity", (cd, ("cycle", 100.0)))][::4] == (1390, 20)
    assert v[("SiOx/C-1", "initial_coulombic_efficiency", (cd,))][0] == 76.2
    assert v[("SiOx/C-2", "initial_coulombic_efficiency", (cd,))][0] == 78.9
    assert len(v) == 6 and not b.problems
    assert {m.provenance.row for m in b.measurements} == {4, 5}  # spreadsheet rows
    assert {m.provenance.locator for m in b.measurements} == {"Table S2"}


def test_pdf_unit_row_and_multiline_cell():
    b = load("pdf_unit_row_multiline.txt", source="10.1000/pdf1")
    v = values(b)
    assert v[("Si@C-700", "charge_capacity", (("current_density", 500.0), ("cycle", 200.0)))][
        ::4
    ] == (1520, 15)
    assert (
        v[("Si@C-700", "capacity_retention", (("current_density", 500.0), ("cycle", 200.0)))][0]
        == 85.3
    )
    assert v[("Si@C-700", "initial_coulombic_efficiency", (("current_density", 500.0),))][0] == 82.1
    g = "Si/graphene composite"  # label continued on the next line
    assert v[(g, "charge_capacity", (("current_density", 1000.0), ("cycle", 500.0)))][0] == 1210
    assert v[(g, "capacity_retention", (("current_density", 1000.0), ("cycle", 500.0)))][0] == 78.1
    assert v[(g, "initial_coulombic_efficiency", (("current_density", 1000.0),))][0] == 76.4
    p = "p-Si@void@C"
    assert v[(p, "charge_capacity", (("current_density", 2000.0), ("cycle", 1000.0)))][::5] == (
        980,
        "≈",
    )
    assert v[(p, "capacity_retention", (("current_density", 2000.0), ("cycle", 1000.0)))][::5] == (
        70,
        "≈",
    )
    assert len(v) == 8
    assert problems(b) == {("warning", 7, "ICE (%)")}
    assert read_table(DATA / "pdf_unit_row_multiline.txt").footnotes[0].startswith("a Measured")


def test_pdf_doi_only_on_first_row_of_block():
    b = load("pdf_doi_forward_fill.txt")
    by_sample = {s.label: s.source for s in b.samples}
    assert by_sample == {
        "SiC-P10": "10.1016/j.cej.2023.141234",
        "SiC-P30": "10.1016/j.cej.2023.141234",
        "SiC-P50": "10.1016/j.cej.2023.141234",
        "G-Si-1": "10.1016/j.est.2022.105678",
    }
    v = values(b)
    at2 = (("current_density", 2000.0),)
    assert [
        v[(s, "discharge_capacity", at2)][0] for s in ("SiC-P10", "SiC-P30", "SiC-P50", "G-Si-1")
    ] == [812, 1045, 990, 655]
    assert [
        v[(s, "initial_coulombic_efficiency", ())][0]
        for s in ("SiC-P10", "SiC-P30", "SiC-P50", "G-Si-1")
    ] == [80.2, 83.5, 84.9, 86.1]
    pitch = {s.sample: s.value for s in b.steps if s.quantity == "fraction"}
    assert pitch == {"SiC-P10": 10, "SiC-P30": 30, "SiC-P50": 50, "G-Si-1": 20}
    carb = {s.sample: s.value for s in b.steps if s.step_type == "carbonization"}
    assert carb == {"SiC-P10": 900, "SiC-P30": 900, "SiC-P50": 900, "G-Si-1": 1000}
    assert not b.problems


def test_pdf_c_rate_with_one_c_and_powers_of_ten():
    b = load("pdf_c_rate_diffusion.txt", source="10.1000/pdf3")
    v = values(b)
    cond = (("c_rate", 0.5), ("current_density", 258.0))  # 0.5 C × (1 C = 516 mA g−1)
    assert v[("NCM811||Si@C", "discharge_capacity", cond)][0] == 498.2
    assert v[("Si@C-x", "discharge_capacity", cond)][0] == 512.8
    assert v[("NCM811||Si@C", "diffusion_coefficient", ())][:2] == (
        pytest.approx(3.2e-12),
        "cm**2/s",
    )
    assert v[("Si@C-x", "diffusion_coefficient", ())][0] == pytest.approx(1.5e-11)
    assert v[("NCM811||Si@C", "charge_transfer_resistance", ())][0] == 45.3
    assert v[("Si@C-x", "sei_resistance", ())][0] == 9.8
    assert len(v) == 8 and not b.problems
    assert b.samples[0].label == "NCM811||Si@C"  # a label, never parsed as a formula


def test_chinese_headers_through_mapping():
    b = load("chinese_headers.csv", mapping="chinese_mapping.yaml")
    v = values(b)
    cd = ("current_density", 1000.0)  # fixed for the whole table by the mapping
    assert v[("Si@C-1", "initial_coulombic_efficiency", (cd,))][:2] == (86.5, "percent")
    assert v[("Si@C-1", "charge_capacity", (cd, ("cycle", 300.0)))][0] == 1450
    assert v[("Si@C-1", "capacity_retention", (cd, ("cycle", 300.0)))][0] == 88.2
    assert v[("Si@C-2", "initial_coulombic_efficiency", (cd,))][0] == 84.0
    assert v[("Si@C-2", "charge_capacity", (cd, ("cycle", 300.0)))][0] == 1620
    assert v[("Si@C-2", "capacity_retention", (cd, ("cycle", 300.0)))][0] == 80.5
    assert len(v) == 6 and not b.problems
    assert [(s.key, s.doi) for s in b.sources] == [("10.1016/j.cej.2024.150001",) * 2]
    cols = {
        d["header"]: d
        for d in describe_columns(
            DATA / "chinese_headers.csv", mapping=DATA / "chinese_mapping.yaml"
        )
    }
    assert cols["可逆容量 (mAh/g)"]["unit"] == "mAh/g"  # unit still read from the header
    assert cols["备注"]["role"] == "ignore"


def test_korean_headers_through_mapping():
    b = load("korean_headers.csv", mapping="korean_mapping.yaml")
    v = values(b)
    cd = (("current_density", 100.0),)
    assert v[("SiOx@C", "discharge_capacity", cd)][0] == 1890
    assert v[("SiOx@C", "charge_capacity", cd)][0] == 1420
    assert v[("SiOx@C", "initial_coulombic_efficiency", cd)][0] == 75.1
    assert v[("SiOx@C-Gr", "discharge_capacity", cd)][0] == 640
    assert v[("SiOx@C-Gr", "charge_capacity", cd)][0] == 560
    assert v[("SiOx@C-Gr", "initial_coulombic_efficiency", cd)][0] == 87.5
    assert len(v) == 6 and not b.problems
    assert {s.key for s in b.sources} == {"kim2023-table1"}


def test_korean_headers_without_mapping_are_reported():
    b = load("korean_headers.csv", source="x")
    assert not b.measurements
    assert {p.column for p in b.errors} >= {"방전 용량 [mAh g-1]", "초기 쿨롱 효율 [%]"}


def test_long_table():
    b = load("long_table.csv")
    v = values(b)
    s7 = "mSi@NHC-700-10"
    assert v[(s7, "initial_coulombic_efficiency", (("current_density", 200.0),))][::4] == (
        85.3,
        1.2,
    )
    assert v[(s7, "discharge_capacity", (("current_density", 1000.0), ("cycle", 200.0)))][0] == 1480
    assert v[(s7, "bet_surface_area", ())][:4] == (None, "m**2/g", 1.8, 7.9)
    assert (
        v[("mSi@NHC-800-10", "initial_coulombic_efficiency", (("current_density", 200.0),))][0]
        == 83.9
    )
    assert len(v) == 4
    assert problems(b) == {("error", 6, "Property")}  # "hardness" is not in the vocabulary
    assert "did you mean" in b.errors[0].message


def test_fractions_reported_then_converted_by_mapping():
    b = load("fractions_ice.csv", source="x")
    assert not b.measurements
    assert {p.column for p in b.errors} == {"ICE", "Retention (%)"}
    b = load("fractions_ice.csv", mapping="fractions_mapping.yaml")
    v = values(b)
    cd = (("current_density", 500.0),)
    assert v[("Si-1", "initial_coulombic_efficiency", cd)][0] == pytest.approx(72)
    assert v[("Si-2", "capacity_retention", cd)][0] == pytest.approx(90)
    assert all("converted_from_fraction" in m.flags for m in b.measurements)
    assert len(v) == 4 and not b.errors


def test_implausible_values_flagged():
    b = load("implausible.csv")
    errors = {(p.row, p.column) for p in b.errors}
    assert errors == {(2, "ICE (%)"), (3, "R_ct (Ω)")}  # ICE 104 %, R_ct −3 Ω
    warnings = {(p.row, p.column) for p in b.warnings}
    # 10 wt% Si + C: 0.1·3579 + 0.9·372 = 693 < 1500;  60 wt%: 2296 ≥ 2100 but < 2350
    assert warnings == {(2, "Discharge capacity (mA h g−1)"), (4, "Discharge capacity (mA h g−1)")}
    flagged = {m.sample for m in b.measurements if "above_theoretical_capacity" in m.flags}
    assert flagged == {"Si@C-10", "Si@C-60b"}
    assert not any(m.value in (104, -3) for m in b.measurements)


def test_pint_traps_table():
    b = load("pint_traps.csv", source="x")
    v = values(b)
    row = (("areal_current_density", 0.5), ("c_rate", 0.2))  # mA cm−2 and C: no coulomb, no 2 cm
    assert v[("Si-T1", "discharge_capacity", row)][:2] == (1500, "mA*h/g")
    assert v[("Si-T1", "areal_discharge_capacity", row)][:2] == (3.1, "mA*h/cm**2")
    assert v[("Si-T1", "nitrogen_content", ())][:2] == (4.2, "at_percent")
    assert v[("Si-T1", "capacity_retention", row)][0] == 90
    assert len(v) == 4
    assert not b.errors


def test_wrong_dimensions_refused():
    b = load("wrong_dimension.csv", source="x")
    assert not b.measurements and not b.steps
    assert {p.column for p in b.errors} == {
        "ICE (mA h g−1)",
        "Carbonization temperature (wt%)",
        "Capacity (mA cm−2)",
    }


def test_every_cell_mapped_or_reported():
    """Across the corpus, every non-blank data cell is a record, a problem, or a label/source/ignored cell."""
    cases = [
        (f.name, None)
        for f in DATA.iterdir()
        if f.suffix in (".csv", ".tsv", ".md", ".html", ".txt", ".xlsx")
    ]
    cases = [
        c
        for c in cases
        if c[0] not in ("chinese_headers.csv", "korean_headers.csv", "fractions_ice.csv")
    ]
    cases += [
        ("chinese_headers.csv", "chinese_mapping.yaml"),
        ("korean_headers.csv", "korean_mapping.yaml"),
    ]
    assert len(cases) >= 15
    for name, mapping in cases:
        m = load_mapping(DATA / mapping) if mapping else None
        table = read_table(DATA / name)
        b = bundle_from_table(table, mapping=m, source="corpus")
        cols = describe_columns(table, mapping=m)
        used = {(r.provenance.row, r.provenance.column) for r in b.measurements + b.steps}
        reported = {(p.row, p.column) for p in b.problems}
        long_rows = {p.row for p in b.problems if p.column == "Property"}  # long table: the row
        bad_columns = {p.column for p in b.errors if p.row is None}
        for i, row in enumerate(table.rows):
            rownum = table.row_numbers[i]
            for col, text in zip(cols, row, strict=True):
                if not text.strip() or col["role"] in (
                    "label",
                    "source",
                    "ignore",
                    "condition",
                    "property_name",
                    "unit",
                ):
                    continue
                where = (rownum, col["header"])
                covered = where in used or where in reported or col["header"] in bad_columns
                assert covered or (col["role"] == "value" and rownum in long_rows), (
                    name,
                    where,
                    text,
                )


def _table(tmp_path: Path, text: str):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return bundle_from_table(path, source="10.1/x")


@pytest.mark.parametrize(
    ("second_label", "fragment"),
    [("G-1", "sample 'G-1' is also the label of row 2"), ("", "row has no sample label")],
)
def test_one_label_for_two_recipes_is_refused(tmp_path: Path, second_label, fragment) -> None:
    """A repeated (or blank, filled from above) label merged a 10 wt% and a 20 wt% pitch recipe
    into one sample whose recipe vector kept only 20, so its 10 wt% row's ICE was plotted at 20."""
    b = _table(
        tmp_path, f"Sample,Pitch content (wt%),ICE (%)\nG-1,10,78.1\n{second_label},20,80.2\n"
    )
    assert problems(b) == {("error", 3, "Sample")}
    message = b.errors[0].message
    assert fragment in message and "Pitch content (wt%): 10 in row 2, 20 here" in message


def test_rows_of_one_sample_at_other_conditions_state_its_recipe_once(tmp_path: Path) -> None:
    """Several rows of one sample (one per cycle; the label repeated or left blank under it) are
    one sample: its recipe, repeated or left out, is stored once."""
    b = _table(
        tmp_path,
        "Sample,Pitch content (wt%),Cycle,Capacity (mA h g−1)\n"
        "G-1,10,1,1200\nG-1,10,100,1010\n,,200,950\nG-2,20,1,1150\n",
    )
    assert not b.errors
    assert [s.label for s in b.samples] == ["G-1", "G-2"]
    assert [(sp.sample, sp.value) for sp in b.steps] == [("G-1", 10), ("G-2", 20)]
    assert len(b.measurements) == 4


def test_one_sample_stated_twice_at_the_same_conditions_is_refused(tmp_path: Path) -> None:
    b = _table(tmp_path, "Sample,ICE (%)\nG-1,78.1\n,80.2\n")
    assert problems(b) == {("error", 3, "ICE (%)")}
    assert "row 2 already gives initial_coulombic_efficiency of 'G-1'" in b.errors[0].message
