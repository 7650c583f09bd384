"""The malformed inputs of issue 19, each through the CLI: one ``error:`` line naming the file,
row and column (never a traceback), and the KB exactly as it was before (counts, digest,
integrity); the options no cell can have are refused before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

import anodelab
from anodelab.cli import main

ROOT = Path(__file__).resolve().parents[2]
CYCLING = ROOT / "examples" / "cycling_half_cell.csv"

SOURCES = "source,kind,doi,title,year\nr1,paper,10.1/r1,Reliability,2025\n"
SAMPLES = "source,sample,family,kind\nr1,A,fam,material\nr1,B,fam,material\n"
CELLS = "source,cell,sample,cell_type\nr1,hA,A,half\n"
MEASUREMENT_HEADER = "source,sample,property,value,unit,uncertainty,conditions,cell\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def kb(tmp_path: Path, capsys) -> Path:
    """A KB with one source, two samples and one cell."""
    db = tmp_path / "kb.db"
    for name, text in (("sources", SOURCES), ("samples", SAMPLES), ("cells", CELLS)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        assert run(capsys, "import-table", path, "--db", db)[0] == 0
    return db


def refused(capsys, kb_checks, db: Path, path: Path, *options: str) -> str:
    """Import ``path`` all-or-nothing (``--strict``): refused with one error naming the file and
    nothing changed.  Then row by row (the default): the unsound row is named and not stored."""
    before = kb_checks.state(db)
    code, _, err = run(capsys, "import-table", path, "--db", db, "--strict", *options)
    assert code == 1, err
    assert "Traceback" not in err and err.lstrip().startswith("error:")
    assert f"file {path.name}" in err or f"file {path}" in err
    assert kb_checks.state(db) == before
    code, out, err2 = run(capsys, "import-table", path, "--db", db, *options)
    assert code in (1, 3), err2
    assert path.name in out + err2 and "Traceback" not in err2
    assert kb_checks.unsound(db) == []
    return " ".join(err.split())  # rich wraps long lines


def test_good_rows_import_and_store_sound_values(kb: Path, tmp_path: Path, capsys, kb_checks):
    path = tmp_path / "measurements.csv"
    path.write_text(
        MEASUREMENT_HEADER + "r1,A,ICE,80.5,%,0.4,cycle=1,hA\nr1,B,ICE,70,%,,cycle=1,\n",
        encoding="utf-8",
    )
    assert run(capsys, "import-table", path, "--db", kb)[0] == 0
    assert kb_checks.unsound(kb) == []


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("r1,A,ICE,nan,%,,cycle=1,", "value", "finite"),
        ("r1,A,ICE,inf,%,,cycle=1,", "value", "finite"),
        ("r1,A,ICE,1e400,%,,cycle=1,", "value", "finite"),
        ("r1,A,ICE,80,%,nan,cycle=1,", "uncertainty", "finite"),
        ("r1,A,ICE,80,%,,cycle=1e400,", "conditions", "finite"),
        ("r1,A,ICE,80,%,,cycle=-1,", "conditions", "below the plausible minimum"),
        ("r1,A,ICE,80,%,,current_density=nan mA/g,", "conditions", ""),
        ("r1,A,ICE,180,%,,cycle=1,", "value", "above the plausible maximum"),
    ],
)
def test_one_unsound_measurement_among_200_good_rows_refuses_the_table(
    kb: Path, tmp_path: Path, capsys, kb_checks, row: str, column: str, words: str
) -> None:
    """A table of 200 good rows plus one ``nan`` imported whole before (the nan row without a value)."""
    good = "".join(f"r1,A,ICE,{60 + i / 10:.1f},%,,cycle={i + 1},\n" for i in range(200))
    path = tmp_path / "measurements.csv"
    path.write_text(MEASUREMENT_HEADER + good + row + "\n", encoding="utf-8")
    err = refused(capsys, kb_checks, kb, path)
    assert "row 202" in err and f"column '{column}'" in err and words in err


@pytest.mark.parametrize(
    ("header", "row", "column"),
    [
        ("source,kind,doi,title,year", "r2,paper,,T,inf", "year"),
        ("source,kind,doi,title,year", "r2,paper,,T,nan", "year"),
        ("source,kind,doi,title,year", "r2,paper,,T,1e400", "year"),
        ("source,kind,doi,title,year", "r2,paper,,T,2025.5", "year"),
        ("source,sample,step,step_type,quantity,value,unit", "r1,A,inf,carbonization,temperature,700,°C", "step"),
        ("source,sample,step,step_type,quantity,value,unit", "r1,A,nan,carbonization,temperature,700,°C", "step"),
        ("source,sample,step,step_type,quantity,value,unit", "r1,A,1e400,carbonization,temperature,700,°C", "step"),
        ("source,sample,step,step_type,quantity,value,unit", "r1,A,1,carbonization,temperature,nan,°C", "value"),
        ("source,sample,step,step_type,quantity,value,unit", "r1,A,1,carbonization,temperature,-500,°C", "value"),
        ("source,cell,sample,cell_type,active_mass_loading", "r1,c2,A,half,-3", "active_mass_loading"),
        ("source,cell,sample,cell_type,active_mass_loading", "r1,c2,A,half,nan", "active_mass_loading"),
        ("source,cell,sample,cell_type,active_mass_loading", "r1,c2,A,half,0", "active_mass_loading"),
        ("source,cell,sample,cell_type,np_ratio", "r1,c2,A,full,inf", "np_ratio"),
        ("source,cell,sample,cell_type,np_ratio", "r1,c2,A,full,-1.1", "np_ratio"),
        ("source,cell,sample,cell_type,voltage_min,voltage_max", "r1,c2,A,half,nan,1.5", "voltage_min"),
        ("source,cell,sample,cell_type,voltage_min,voltage_max", "r1,c2,A,half,1.5,0.01", "voltage_min"),
    ],
)  # fmt: skip
def test_unsound_numbers_in_layout_tables_are_refused_naming_the_cell(
    kb: Path, tmp_path: Path, capsys, kb_checks, header: str, row: str, column: str
) -> None:
    name = {"year": "sources", "step": "steps", "value": "steps"}.get(column, "cells")
    path = tmp_path / f"{name}.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    err = refused(capsys, kb_checks, kb, path)
    assert "row 2" in err and f"column '{column}'" in err


def test_cr_only_line_endings_read_like_any_csv(tmp_path: Path, capsys, kb_checks) -> None:
    """Old Excel for Mac ends lines with CR alone (a csv.Error traceback before)."""
    db = tmp_path / "kb.db"
    path = tmp_path / "sources.csv"
    path.write_bytes(SOURCES.replace("\n", "\r").encode())
    code, _, err = run(capsys, "import-table", path, "--db", db)
    assert code == 0, err
    assert kb_checks.state(db)["counts"]["sources"] == 1


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 3,
        b"source,kind\nr1,paper\x00\x00\x01\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(40)),
    ],
)
def test_binary_junk_is_one_error_line(
    kb: Path, tmp_path: Path, capsys, kb_checks, content
) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    before = kb_checks.state(kb)
    code, _, err = run(capsys, "import-table", path, "--db", kb)
    assert code == 1 and "error:" in err and "junk.csv" in err
    assert kb_checks.state(kb) == before


def test_a_mapping_naming_a_column_the_table_lacks_is_an_error(
    kb: Path, tmp_path: Path, capsys, kb_checks
) -> None:
    """`#99` of a 6-column table was silently ignored."""
    table = tmp_path / "table1.csv"
    table.write_text(
        "Sample,ICE (%),Capacity (mAh/g),a,b,c\nA,80,1500,1,2,3\nB,75,1400,1,2,3\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("source: r1\ncolumns:\n  '#99': discharge_capacity\n", encoding="utf-8")
    before = kb_checks.state(kb)
    code, _, err = run(capsys, "import-table", table, "--db", kb, "--map", mapping)
    assert code == 1 and "Traceback" not in err
    assert "#99" in err
    assert kb_checks.state(kb) == before


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--reference-cycle", "0", "--reference-cycle must be a whole number ≥ 1"),
        ("--temperature", "-5K", "--temperature must be positive"),
        ("--temperature", "0K", "--temperature must be positive"),
        ("--area", "-1cm2", "--area must be positive"),
        ("--mass", "0mg", "--mass must be positive"),
        ("--mass", "inf mg", "--mass"),
    ],
)
def test_options_no_cell_can_have_are_refused(
    tmp_path: Path, capsys, kb_checks, option: str, value: str, words: str
) -> None:
    db = tmp_path / "kb.db"
    anodelab.open(db, create=True).close()
    before = kb_checks.state(db)
    args = ["--kind", "cycling", "--mass", "2mg", option, value]
    code, _, err = run(capsys, "analyze", CYCLING, *args)
    assert code == 1 and words in " ".join(err.split())
    code, _, err = run(capsys, "import-run", CYCLING, *args, "--sample", "S", "--db", db)
    assert code == 1 and words in " ".join(err.split())
    assert kb_checks.state(db) == before


def test_a_cycler_file_with_zero_current_writes_nothing(tmp_path: Path, capsys, kb_checks):
    """It wrote a source, a sample, a cell and a ledger entry holding 0 values."""
    lines = CYCLING.read_text().splitlines()[:400]
    header, rows = lines[0], [r.split(",") for r in lines[1:]]
    for r in rows:
        r[4], r[6], r[7] = "0", "0", "0"  # Current(A), Charge/Discharge_Capacity(Ah)
    path = tmp_path / "zero.csv"
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n")
    db = tmp_path / "kb.db"
    anodelab.open(db, create=True).close()
    before = kb_checks.state(db)
    code, _, err = run(
        capsys,
        "import-run",
        path,
        "--kind",
        "cycling",
        "--mass",
        "2mg",
        "--sample",
        "Z",
        "--db",
        db,
    )
    assert code == 1 and "no values to store" in err and "zero.csv" in err
    assert kb_checks.state(db) == before


def test_an_all_zero_impedance_spectrum_is_one_error_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "eis0.csv"
    path.write_text(
        "frequency_Hz,z_real_ohm,z_imag_ohm\n"
        + "".join(f"{10 ** (5 - i / 5):g},0,0\n" for i in range(30))
    )
    code, _, err = run(capsys, "analyze", path, "--kind", "eis")
    assert code == 1 and "eis0.csv" in err and "Z = 0" in " ".join(err.split())


def test_measurements_lists_a_value_less_row_of_an_old_kb(kb: Path, tmp_path: Path, capsys):
    """A KB written before values were checked may hold a row without a value (a TypeError before)."""
    import sqlite3

    path = tmp_path / "measurements.csv"
    path.write_text(MEASUREMENT_HEADER + "r1,A,BET,12,m2/g,,,\n", encoding="utf-8")
    assert run(capsys, "import-table", path, "--db", kb)[0] == 0
    with sqlite3.connect(kb) as conn:
        conn.execute("UPDATE measurements SET value = NULL")
    code, out, err = run(capsys, "measurements", "--db", kb, "--json")
    assert code == 0, err
    code, out, err = run(capsys, "measurements", "--db", kb)
    assert code == 0, err
    assert "(no" in out and "BET" not in err
