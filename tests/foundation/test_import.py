"""Table import: transactions, idempotency, replacement with a diff, clear errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import anodelab
from anodelab.kb.write import ImportRejected
from anodelab.schema.errors import AnodelabError, SchemaVersionError

SOURCES = "source,kind,doi,title,year\nt1,paper,10.1/t1,Test paper,2025\n"
SAMPLES = (
    "source,sample,family,kind,parents,members\n"
    "t1,A,fam,material,,\n"
    "t1,A@P10,fam,material,A,\n"
    "t1,A@P30,fam,material,A,\n"
    "t1,all,fam,group,,A@P10;A@P30\n"
)
STEPS = (
    "source,sample,step,step_type,quantity,substance,value,unit,basis\n"
    "t1,A,1,dispersion,mass,dextrin,2.0,g,\n"
    "t1,A,2,carbonization,temperature,,1000,°C,\n"
    "t1,A@P10,1,pitch_coating,fraction,pitch,10,wt%,mass_of_total\n"
    "t1,A@P10,2,carbonization,temperature,,900,°C,\n"
    "t1,A@P30,1,pitch_coating,fraction,pitch,30,wt%,mass_of_total\n"
    "t1,A@P30,2,carbonization,temperature,,1173.15,K,\n"
)
CELLS = (
    "source,cell,sample,cell_type,one_c\nt1,h30,A@P30,half,\nt1,f30,A@P30,full,1 C = 200 mA g−1\n"
)
MEASUREMENTS = (
    "source,sample,property,value,unit,value_min,value_max,uncertainty,qualifier,conditions,cell,locator\n"
    "t1,A,ICE,70.1,%,,,,,current_density=0.1 A g−1; cycle=1,,S2\n"
    "t1,A@P10,ICE,75.0,%,,,0.5,,current_density=0.1 A g−1; cycle=1,,S2\n"
    "t1,A@P30,ICE,80.2,%,,,,≈,current_density=0.1 A g−1; cycle=1,h30,S2\n"
    "t1,A@P30,discharge_capacity,2000,mA h g−1,,,,,current_density=0.1 A g−1; cycle=1,h30,S2\n"
    "t1,A@P30,charge_capacity,1604,mAh/g,,,,,current_density=100 mA/g; cycle=1,h30,S2\n"
    "t1,A@P30,discharge_capacity,1500,mA h g−1,,,,,current_density=1 A g−1; cycle=500,h30,S3\n"
    "t1,A@P10,discharge_capacity,1400,mA h g−1,,,,,current_density=1 A g−1; cycle=500,,S3\n"
    "t1,A,discharge_capacity,900,mA h g−1,,,,,current_density=2 A g−1; cycle=500,,S3\n"
    "t1,all,BET,,m² g⁻¹,1.8,7.9,,,,,S2\n"
)


def write_folder(folder: Path, **overrides: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "sources": SOURCES,
        "samples": SAMPLES,
        "steps": STEPS,
        "cells": CELLS,
        "measurements": MEASUREMENTS,
    }
    tables.update(overrides)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def loaded(tmp_path: Path):
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    kb.import_folder(write_folder(tmp_path / "t1"))
    yield kb
    kb.close()


def count(kb: anodelab.KnowledgeBase, table: str) -> int:
    return kb.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_values_are_converted_to_canonical_units_with_raw_text_kept(loaded) -> None:
    values = loaded.measurements("charge_capacity", sample="A@P30")
    row = values.iloc[0]
    assert row["value"] == pytest.approx(1604)
    assert row["unit"] == "mA*h/g"
    assert row["raw_unit"] == "mAh/g"
    assert row["current_density"] == pytest.approx(100.0)
    assert row["cycle"] == pytest.approx(1)
    steps = loaded.steps("A@P30")
    temps = steps[(steps["step_type"] == "carbonization") & (steps["quantity"] == "temperature")]
    assert list(temps["value"]) == pytest.approx(
        [1000.0, 900.0]
    )  # inherited 1000 °C, own 1173.15 K


def test_recipe_vector_inherits_parent_steps_and_absent_ingredient_is_zero(loaded) -> None:
    vectors = loaded.recipe_vectors().set_index("sample")
    assert vectors.loc["A@P30", "pitch_wt_pct"] == pytest.approx(30)
    assert vectors.loc["A@P30", "carbonization_temperature_C"] == pytest.approx(900)
    assert vectors.loc["A@P30", "dextrin_g"] == pytest.approx(2.0)
    assert vectors.loc["A", "pitch_wt_pct"] == 0
    assert vectors.loc["A@P30", "coating_precursor"] == "pitch"
    assert vectors.loc["A", "coating_precursor"] == "none"
    assert "all" not in vectors.index  # groups have no recipe


def test_reimport_is_idempotent(loaded, tmp_path: Path) -> None:
    before = {
        t: count(loaded, t)
        for t in ("samples", "measurements", "step_parameters", "cells", "imports")
    }
    reports = loaded.import_folder(tmp_path / "t1")
    assert {r.status for r in reports} == {"unchanged"}
    after = {
        t: count(loaded, t)
        for t in ("samples", "measurements", "step_parameters", "cells", "imports")
    }
    assert before == after


def test_changed_table_replaces_its_previous_version_and_reports_the_difference(
    loaded, tmp_path: Path
) -> None:
    changed = MEASUREMENTS.replace("t1,A,ICE,70.1", "t1,A,ICE,71.0").replace(
        "t1,A,discharge_capacity,900,mA h g−1,,,,,current_density=2 A g−1; cycle=500,,S3\n", ""
    )
    folder = write_folder(tmp_path / "t1", measurements=changed)
    report = loaded.import_table(folder / "measurements.csv")
    assert report.write is not None and report.write.status == "replaced"
    assert any("71" in c and "70.1" in c for c in report.write.changed)
    assert len(report.write.removed) == 1 and "discharge_capacity" in report.write.removed[0]
    assert loaded.measurements("ICE", sample="A")["value"].tolist() == [pytest.approx(71.0)]
    ledger = loaded.imports()
    assert (ledger["status"] == "replaced").sum() == 1


@pytest.mark.parametrize(
    ("bad_row", "column", "fragment"),
    [
        ("t1,A,ICE,101.5,%,,,,,,,S2", "value", "above the plausible maximum"),
        ("t1,A,discharge_capacity,-5,mA h g−1,,,,,,,S2", "value", "below the plausible minimum"),
        ("t1,A,ICE,70,wt%,,,,,,,S2", "value", "cannot be converted"),
        ("t1,A,ICEE,70,%,,,,,,,S2", "property", "did you mean"),
        ("t1,Z,ICE,70,%,,,,,,,S2", None, "unknown sample 'Z'"),
        ("t1,A,ICE,seventy,%,,,,,,,S2", "value", "must be a number"),
        ("t1,A,ICE,70,%,,,,,cycel=1,,S2", "conditions", "unknown condition"),
        ("t1,A,ICE,70,%,,,,,cycle=1,h99,S2", None, "unknown cell"),
    ],
)
def test_bad_rows_are_refused_with_file_row_and_column_and_strict_rejects_the_table(
    loaded, tmp_path: Path, bad_row, column, fragment
) -> None:
    path = tmp_path / "bad.csv"
    good = "t1,A@P10,coulombic_efficiency,99.1,%,,,,,cycle=100,,S3"
    path.write_text(
        MEASUREMENTS.splitlines()[0] + "\n" + good + "\n" + bad_row + "\n", encoding="utf-8"
    )
    before = count(loaded, "measurements")
    with pytest.raises(ImportRejected) as info:
        loaded.import_table(path, strict=True)
    message = str(info.value)
    assert fragment in message
    assert "bad.csv" in message and "row 3" in message  # file line 3: header, good row, bad row
    if column:
        assert f"column {column!r}" in message
    assert count(loaded, "measurements") == before  # --strict: the good row was not written either
    assert loaded.measurements("coulombic_efficiency").empty
    report = loaded.import_table(path)  # default: the sound row is written, the bad one refused
    assert [(p.row, p.column) for p in report.refused] == [(3, column)]
    assert fragment in report.refused[0].message
    assert count(loaded, "measurements") == before + 1
    assert loaded.measurements("coulombic_efficiency")["value"].tolist() == [pytest.approx(99.1)]
    ledger = loaded.db.execute(
        "SELECT rows_taken, rows_refused, refused_json FROM imports WHERE id = ?",
        [report.write.import_id],
    ).fetchone()
    assert ledger[:2] == (1, 1) and fragment in ledger[2]


@pytest.mark.parametrize(
    ("header", "row", "missing"),
    [
        ("source,sample,value,unit,conditions,locator", "t1,A,70,%,,S2", "'property'"),
        ("source,sample,family", "t1,B,fam", "'kind'"),
        ("source,cell,sample,format", "t1,h1,A,coin", "'cell_type'"),
    ],
)
def test_missing_required_layout_column_is_named(
    loaded, tmp_path: Path, header, row, missing
) -> None:
    """A layout table without one required column was sent to the literature importer, which
    called the layout's other columns unknown (``unknown column 'conditions'``)."""
    path = tmp_path / "incomplete.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(AnodelabError) as info:
        loaded.import_table(path)
    message = str(info.value)
    assert f"missing required column {missing}" in message and "incomplete.csv" in message
    assert "unknown column" not in message


def test_both_importers_number_rows_as_the_file_lines(empty_kb, tmp_path: Path) -> None:
    """The documented-layout importer counted data rows (file line 3 was 'row 2'), the literature
    importer file lines; both now give the line a spreadsheet shows (header = row 1)."""
    long = tmp_path / "long.csv"
    long.write_text(
        "source,sample,property,value,unit\nt9,A,ICE,70,%\nt9,B,ICEE,71,%\n", encoding="utf-8"
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("Sample,ICE (%)\nA,70\nB,seventy\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:  # row 2's source is unknown, row 3 is refused
        empty_kb.import_table(long, source="t9")
    assert "row 3" in str(info.value) and "row 2" in str(info.value)
    report = empty_kb.import_table(wide, source="t9")  # row 3 refused, row 2 written
    assert [p.row for p in report.refused] == [3]
    wide.write_text("Sample,ICE (%)\nA,70\nB,71\n", encoding="utf-8")
    empty_kb.import_folder(write_folder(tmp_path / "t1"))
    empty_kb.import_table(wide, source="t1")
    rows = empty_kb.measurements("ICE", source="t1").set_index(["sample", "file"])["row"]
    assert rows[("A", str(tmp_path / "t1" / "measurements.csv"))] == 2  # first data line
    assert rows[("B", str(wide))] == 3


def test_opening_a_version_1_kb_moves_layout_rows_to_the_file_lines(loaded) -> None:
    """A KB written by schema version 1 stored layout rows one less than the file line."""
    path = loaded.path
    stored = loaded.measurements("ICE", sample="A").iloc[0]["row"]
    loaded.db.execute("UPDATE measurements SET row = row - 1")
    loaded.db.execute("PRAGMA user_version = 1")
    loaded.close()
    again = anodelab.open(path)
    assert again.measurements("ICE", sample="A").iloc[0]["row"] == stored == 2
    again.close()


def test_group_statement_is_a_range_for_the_group_not_a_member_value(loaded) -> None:
    bet = loaded.measurements("BET")
    assert len(bet) == 1
    row = bet.iloc[0]
    assert row["sample"] == "all" and row["sample_kind"] == "group"
    assert (row["value_min"], row["value_max"]) == (pytest.approx(1.8), pytest.approx(7.9))
    assert pd_isna(row["value"])
    members = loaded.samples().set_index("sample").loc["all", "members"]
    assert set(members.split("; ")) == {"A@P10", "A@P30"}


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_consistency_check_recomputes_ice_from_capacities(loaded) -> None:
    checks = loaded.checks()
    ice = checks[checks["rule"] == "ice_from_capacities"].iloc[0]
    assert ice["recomputed"] == pytest.approx(100 * 1604 / 2000)
    assert ice["status"] == "ok"


def test_consistency_check_flags_a_disagreement(tmp_path: Path) -> None:
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    bad = MEASUREMENTS.replace("t1,A@P30,ICE,80.2", "t1,A@P30,ICE,85.0")
    kb.import_folder(write_folder(tmp_path / "t1", measurements=bad))
    mismatch = kb.checks("mismatch")
    assert len(mismatch) == 1 and mismatch.iloc[0]["stated"] == pytest.approx(85.0)


def test_undo_removes_everything_an_import_wrote(loaded) -> None:
    ledger = loaded.imports()
    measurement_import = int(ledger[ledger["dataset"] == "t1:measurements.csv"]["id"].iloc[0])
    loaded.undo_import(measurement_import)
    assert count(loaded, "measurements") == 0
    samples_import = int(ledger[ledger["dataset"] == "t1:samples.csv"]["id"].iloc[0])
    with pytest.raises(AnodelabError, match="still used"):
        loaded.undo_import(samples_import)  # steps and cells from other imports use them


def test_same_table_under_another_file_name_is_unchanged(loaded, tmp_path: Path) -> None:
    """A copy of an imported table under another name was imported again: every value twice."""
    before = count(loaded, "measurements")
    original = int(loaded.imports().set_index("dataset").loc["t1:measurements.csv", "id"])
    copy = tmp_path / "copy.csv"
    copy.write_text(MEASUREMENTS, encoding="utf-8")
    report = loaded.import_table(copy)
    assert report.write is not None and report.write.status == "unchanged"
    assert report.write.import_id == original
    assert report.write.note.startswith(f"already imported as import {original} from ")
    assert report.write.note.endswith("measurements.csv")
    assert count(loaded, "measurements") == before
    assert "t1:copy.csv" not in set(loaded.imports()["dataset"])


def test_corrected_copy_under_another_name_is_refused_naming_the_rows(
    loaded, tmp_path: Path
) -> None:
    """A corrected copy stored its values next to the old ones (1105 and 1125 side by side)."""
    before = count(loaded, "measurements")
    copy = tmp_path / "measurements_v2.csv"
    copy.write_text(MEASUREMENTS.replace("t1,A,ICE,70.1", "t1,A,ICE,71.0"), encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        loaded.import_table(copy)
    message = str(info.value)
    assert "measurements_v2.csv, row 2: " in message  # the first value, file line 2
    assert (
        "initial_coulombic_efficiency of 'A'" in message and "already stored by import" in message
    )
    assert message.count("already stored") == len(MEASUREMENTS.splitlines()) - 1
    assert count(loaded, "measurements") == before
    # the same values under new conditions are no duplicates
    other = tmp_path / "other.csv"
    other.write_text(MEASUREMENTS.replace("cycle=1", "cycle=2"), encoding="utf-8")
    with pytest.raises(ImportRejected):  # rows without cycle=1 are still duplicates
        loaded.import_table(other, strict=True)
    partial = loaded.import_table(other)  # without --strict: those rows refused, the others written
    assert partial.refused and all("already stored" in p.message for p in partial.refused)
    assert partial.to_dict()["counts"]["measurements"] == MEASUREMENTS.count("cycle=1")
    loaded.undo_import(partial.write.import_id)
    only_new = "\n".join(
        line
        for line in MEASUREMENTS.replace("cycle=1", "cycle=2").splitlines()
        if "cycle=2" in line
    )
    other.write_text(MEASUREMENTS.splitlines()[0] + "\n" + only_new + "\n", encoding="utf-8")
    assert loaded.import_table(other).status == "imported"


def test_undo_removes_steps_another_import_added_parameters_to(loaded, tmp_path: Path) -> None:
    """Undoing the import that created a step left the step behind once another import had
    given it a parameter, and that import could then never be undone ('still used by')."""
    extra = tmp_path / "steps_time.csv"
    extra.write_text(
        "source,sample,step,step_type,quantity,value,unit\nt1,A,2,carbonization,time,2,h\n",
        encoding="utf-8",
    )
    added = loaded.import_table(extra).write
    ledger = loaded.imports().set_index("dataset")["id"]
    loaded.undo_import(int(ledger["t1:steps.csv"]))
    steps = loaded.db.execute(
        "SELECT ps.import_id FROM process_steps ps JOIN samples s ON s.id = ps.sample_id WHERE s.label = 'A'"
    ).fetchall()
    assert steps == [(added.import_id,)]  # the step now belongs to the import that uses it
    loaded.undo_import(added.import_id)
    assert count(loaded, "process_steps") == 0 and count(loaded, "step_parameters") == 0
    loaded.undo_import(int(ledger["t1:measurements.csv"]))
    loaded.undo_import(int(ledger["t1:cells.csv"]))
    loaded.undo_import(int(ledger["t1:samples.csv"]))
    assert count(loaded, "samples") == 0


def test_refused_undo_says_undo_not_import(loaded) -> None:
    samples_import = int(loaded.imports().set_index("dataset").loc["t1:samples.csv", "id"])
    with pytest.raises(AnodelabError) as info:
        loaded.undo_import(samples_import)
    message = str(info.value)
    assert message.startswith(f"undo of import {samples_import} refused, nothing was changed")
    assert "import of" not in message and "still used" in message


def _values(kb: anodelab.KnowledgeBase) -> list[tuple]:
    frame = kb.measurements()
    return sorted(
        frame[["sample", "property", "value", "value_min", "value_max", "import_id"]]
        .astype(str)
        .itertuples(index=False)
    )


def test_undo_of_a_replacement_brings_back_the_version_it_replaced(loaded, tmp_path: Path) -> None:
    """Undoing a corrected import deleted the whole table (and left the old version 'replaced')."""
    values, vectors = _values(loaded), loaded.recipe_vectors().set_index("sample").sort_index()
    ledger = loaded.imports().set_index("dataset")["id"]
    folder = write_folder(
        tmp_path / "t1",
        measurements=MEASUREMENTS.replace("t1,A,ICE,70.1", "t1,A,ICE,71.0"),
        steps=STEPS.replace("pitch,30,wt%", "pitch,35,wt%"),
    )
    new_values = loaded.import_table(folder / "measurements.csv").write
    new_steps = loaded.import_table(folder / "steps.csv").write
    assert loaded.recipe_vectors().set_index("sample").loc[
        "A@P30", "pitch_wt_pct"
    ] == pytest.approx(35)
    assert loaded.undo_import(new_values.import_id) == ledger["t1:measurements.csv"]
    assert loaded.undo_import(new_steps.import_id) == ledger["t1:steps.csv"]
    assert _values(loaded) == values  # the old rows, under the old import id
    assert loaded.recipe_vectors().set_index("sample").sort_index().equals(vectors)
    status = loaded.imports().set_index("id")["status"]
    assert status[ledger["t1:measurements.csv"]] == status[ledger["t1:steps.csv"]] == "ok"
    assert status[new_values.import_id] == status[new_steps.import_id] == "undone"
    again = loaded.import_table(folder / "measurements.csv").write  # the correction, once more
    assert again.status == "replaced" and len(again.changed) == 1


def test_undo_of_a_replacement_whose_old_rows_were_not_kept_is_refused(
    loaded, tmp_path: Path
) -> None:
    """A KB from before schema version 2 has no copy of a replaced version: refuse, do not delete."""
    original = int(loaded.imports().set_index("dataset").loc["t1:measurements.csv", "id"])
    folder = write_folder(
        tmp_path / "t1", measurements=MEASUREMENTS.replace("t1,A,ICE,70.1", "t1,A,ICE,71.0")
    )
    new = loaded.import_table(folder / "measurements.csv").write
    loaded.db.execute("DELETE FROM import_bundles WHERE import_id = ?", [original])
    values = _values(loaded)
    with pytest.raises(
        AnodelabError, match=f"would delete the table instead of going back to import {original}"
    ):
        loaded.undo_import(new.import_id)
    assert _values(loaded) == values
    assert loaded.imports().set_index("id")["status"][new.import_id] == "ok"


@pytest.fixture()
def defined(tmp_path: Path):
    """A KB with the test paper's sources and samples, no steps yet."""
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    folder = write_folder(tmp_path / "t1")
    kb.import_table(folder / "sources.csv")
    kb.import_table(folder / "samples.csv")
    yield kb
    kb.close()


def _steps_file(tmp_path: Path, *extra: str, text: str = STEPS) -> Path:
    """``steps.csv`` with rows appended: the first extra row is file row 8 (header = row 1)."""
    path = tmp_path / "steps.csv"
    path.write_text(text + "".join(row + "\n" for row in extra), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "first_row", "column", "shown"),
    [
        # STEPS row 5 gives A@P10's carbonization (step 2) 900 °C
        (["t1,A@P10,2,carbonization,temperature,,950,°C,"], 5, "value", ("900 °C", "950 °C")),
        # row 6: A@P30's pitch is 30 wt% of the total; substance names match as in the recipe
        (["t1,A@P30,1,pitch_coating,fraction,Pitch,20,wt%,mass_of_total"], 6, "value",
         ("30 wt%", "20 wt%")),
        # a text quantity: N2 in row 8, Ar in row 9
        (["t1,A,2,carbonization,atmosphere,,N2,,", "t1,A,2,carbonization,atmosphere,,Ar,,"], 8,
         "value", ("N2", "Ar")),
    ],
)  # fmt: skip
def test_a_step_quantity_given_twice_with_different_values_is_refused(
    defined, tmp_path: Path, extra, first_row, column, shown
) -> None:
    """The second value silently won in the recipe vector (900 °C, then 950 °C: 950 °C)."""
    path = _steps_file(tmp_path, *extra)
    with pytest.raises(ImportRejected) as info:
        defined.import_table(path, strict=True)
    message = str(info.value)
    last_row = 7 + len(extra)
    assert f"file {path}, row {last_row}, column {column!r}" in message
    assert f"in row {first_row}" in message and f"in row {last_row}" in message
    assert f"{shown[0]} in row {first_row}, {shown[1]} in row {last_row}" in message
    assert "given twice with different values" in message
    # a refused import writes nothing
    assert count(defined, "step_parameters") == 0 and count(defined, "process_steps") == 0
    assert "t1:steps.csv" not in set(defined.imports()["dataset"])
    # without --strict the conflicting row is refused (both rows named) and the others written
    report = defined.import_table(path)
    assert {p.row for p in report.refused} == {last_row}
    assert f"in row {first_row}" in report.refused[0].message
    assert count(defined, "step_parameters") == (last_row - 1) - len(report.refused_by_row())


def test_a_repeated_step_row_is_a_warning_and_stored_once(defined, tmp_path: Path) -> None:
    """Like a repeated measurement row: reported, not refused; the step keeps one value."""
    path = _steps_file(
        tmp_path,
        "t1,A@P10,2,carbonization,temperature,,900,°C,",  # row 8: row 5 copied
        "t1,A@P10,2,carbonization,temperature,,1173.15,K,",  # row 9: the same, in kelvin
    )
    report = defined.import_table(path)
    warnings = [str(w) for w in report.bundle.warnings]
    assert len(warnings) == 2, warnings
    assert f"file {path}, row 8" in warnings[0] and "repeats row 5" in warnings[0]
    assert "900 °C in both" in warnings[0]
    assert "row 9" in warnings[1] and "900 °C there and 1173.15 K here" in warnings[1]
    assert report.write is not None and report.write.status == "imported"
    assert report.write.counts["step_parameters"] == len(STEPS.splitlines()) - 1
    assert count(defined, "step_parameters") == len(STEPS.splitlines()) - 1
    temps = defined.steps("A@P10")
    own = temps[(temps["from_sample"] == "A@P10") & (temps["quantity"] == "temperature")]
    assert list(own["value"]) == [900.0]


def test_two_steps_of_one_type_and_several_ingredients_of_one_step_are_no_repeats(
    defined, tmp_path: Path
) -> None:
    """Steps are keyed by sample and step number; a parameter within a step by quantity,
    substance and basis.  A second carbonization (step 3) is another step."""
    path = _steps_file(
        tmp_path,
        "t1,A@P10,3,carbonization,temperature,,1100,°C,",
        "t1,A,1,dispersion,mass,Si,1.0,g,",
        "t1,A@P30,1,pitch_coating,fraction,pitch,43,wt%,mass_of_si",
    )
    report = defined.import_table(path)
    assert report.bundle.problems == []
    assert count(defined, "step_parameters") == len(STEPS.splitlines()) - 1 + 3
    vectors = defined.recipe_vectors().set_index("sample")
    assert vectors.loc["A@P10", "carbonization_temperature_C"] == pytest.approx(1100)  # the last
    assert vectors.loc["A@P30", "pitch_wt_pct"] == pytest.approx(30)  # basis mass_of_total


def test_one_step_number_with_two_step_types_names_both_rows(defined, tmp_path: Path) -> None:
    path = _steps_file(tmp_path, "t1,A,2,dispersion,time,,2,h,")
    with pytest.raises(ImportRejected) as info:
        defined.import_table(path, strict=True)
    message = str(info.value)
    assert f"file {path}, row 8, column 'step_type'" in message
    assert "'carbonization' step in row 3 and a 'dispersion' step here" in message
    assert count(defined, "step_parameters") == 0


def test_another_table_giving_a_step_parameter_another_value_is_refused(
    loaded, tmp_path: Path
) -> None:
    """steps.csv gives A's carbonization (step 2) 1000 °C in row 3; a second table saying
    1100 °C was stored next to it and the recipe vector took the later import's value."""
    header = STEPS.splitlines()[0]
    before = count(loaded, "step_parameters")
    extra = tmp_path / "steps_extra.csv"
    extra.write_text(f"{header}\nt1,A,2,carbonization,temperature,,1100,°C,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        loaded.import_table(extra)
    message = str(info.value)
    steps_import = int(loaded.imports().set_index("dataset").loc["t1:steps.csv", "id"])
    assert f"file {extra}, row 2, column 'value'" in message
    assert f"1100 °C here but 1000 °C in import {steps_import} (" in message
    assert "steps.csv, row 3)" in message
    assert count(loaded, "step_parameters") == before
    assert "t1:steps_extra.csv" not in set(loaded.imports()["dataset"])
    # a literature table repeating a sample's recipe with another value is refused too
    wide = tmp_path / "table2.csv"
    wide.write_text("Sample,Pitch content (wt%),BET (m2/g)\nA@P30,20,12\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"row 2, column 'Pitch content \(wt%\)'.*20 wt% here"):
        loaded.import_table(wide, source="t1")
    # the same value (in other units), a new parameter of the step, and a literature table
    # repeating the recipe as stated are no contradiction
    extra.write_text(
        f"{header}\nt1,A,2,carbonization,temperature,,1273.15,K,\nt1,A,2,carbonization,time,,2,h,\n",
        encoding="utf-8",
    )
    assert loaded.import_table(extra).status == "imported"
    wide.write_text("Sample,Pitch content (wt%),BET (m2/g)\nA@P30,30,12\n", encoding="utf-8")
    assert loaded.import_table(wide, source="t1").status == "imported"
    vectors = loaded.recipe_vectors().set_index("sample")
    assert vectors.loc["A", "carbonization_temperature_C"] == pytest.approx(1000)
    assert vectors.loc["A", "carbonization_time_h"] == pytest.approx(2)
    assert vectors.loc["A@P30", "pitch_wt_pct"] == pytest.approx(30)


def test_wal_mode_and_schema_version(loaded, tmp_path: Path) -> None:
    assert loaded.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        anodelab.open(path)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (a)")
    conn.close()
    with pytest.raises(SchemaVersionError, match="not an anodelab"):
        anodelab.open(other)


WRITER = """
import sys, anodelab
kb = anodelab.open(sys.argv[1], create=True)
kb.import_folder(sys.argv[2])
kb.close()
print("ok")
"""


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    anodelab.open(path, create=True).close()
    folders = []
    for key in ("pa", "pb"):
        tables = {name: text.replace("t1", key) for name, text in
                  {"sources": SOURCES, "samples": SAMPLES, "steps": STEPS, "cells": CELLS, "measurements": MEASUREMENTS}.items()}  # fmt: skip
        folders.append(write_folder(tmp_path / key, **tables))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in folders
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == ["ok", "ok"]
    kb = anodelab.open(path)
    assert set(kb.sources()["source"]) == {"pa", "pb"}
    assert len(kb.measurements()) == 2 * len(anodelab.open(path).measurements(source="pa"))
