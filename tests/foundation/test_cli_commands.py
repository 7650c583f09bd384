"""Every KB command through the CLI, with its effect checked through the Python API."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd

import anodelab
from anodelab.cli import main

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "tests" / "literature_import" / "data"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_and_listing_commands(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "kb.db")
    code, out, _ = run(capsys, "init", "--db", db, "--json")
    assert code == 0 and {r["status"] for r in json.loads(out)["imports"]} == {"imported"}
    code, out, _ = run(capsys, "init", "--db", db, "--json")
    assert {r["status"] for r in json.loads(out)["imports"]} == {"unchanged"}
    code, out, _ = run(capsys, "samples", "--db", db, "--source", "ji2025", "--json")
    assert code == 0 and "mSi@NHC-700-10" in {r["sample"] for r in json.loads(out)}
    code, out, _ = run(capsys, "measurements", "ICE", "--db", db, "--source", "ji2025", "--json")
    assert code == 0 and {r["property"] for r in json.loads(out)} == {
        "initial_coulombic_efficiency"
    }
    code, out, _ = run(capsys, "checks", "--db", db, "--status", "mismatch", "--json")
    assert code == 0 and all(r["status"] == "mismatch" for r in json.loads(out))
    code, out, _ = run(capsys, "vocabulary", "--kind", "parameter", "--json")
    assert code == 0 and "pitch_wt_pct" in {r["name"] for r in json.loads(out)}


def test_export_command_writes_every_value(shipped_kb, tmp_path: Path, capsys) -> None:
    out_file = tmp_path / "values.parquet"
    code, _, _ = run(
        capsys, "export", "--db", str(shipped_kb.path), "--format", "parquet", "-o", str(out_file)
    )
    assert code == 0
    assert len(pd.read_parquet(out_file)) == len(shipped_kb.measurements())
    code, out, _ = run(capsys, "export", "--db", str(shipped_kb.path), "--property", "BET")
    assert code == 0 and out.splitlines()[0].startswith("sample,source")
    assert len(out.strip().splitlines()) == 1 + len(shipped_kb.measurements("BET"))


def test_export_format_follows_the_output_suffix(shipped_kb, tmp_path: Path, capsys) -> None:
    """`-o values.xlsx` without --format writes a real workbook (it wrote CSV text before)."""
    db = str(shipped_kb.path)
    for suffix, read in (("xlsx", pd.read_excel), ("parquet", pd.read_parquet),
                         ("json", pd.read_json), ("csv", pd.read_csv)):  # fmt: skip
        out_file = tmp_path / f"values.{suffix}"
        code, _, err = run(capsys, "export", "--db", db, "--property", "ICE", "-o", str(out_file))
        assert code == 0, err
        assert len(read(out_file)) == len(shipped_kb.measurements("ICE")), suffix
    code, _, err = run(
        capsys, "export", "--db", db, "--format", "csv", "-o", str(tmp_path / "v.xlsx")
    )
    assert code == 1 and "--format csv contradicts" in err and "v.xlsx" in err
    assert not (tmp_path / "v.xlsx").exists()
    code, _, err = run(capsys, "export", "--db", db, "-o", str(tmp_path / "v.txt"))
    assert code == 1 and "cannot tell the export format" in err
    code, _, err = run(
        capsys, "export", "--db", db, "--format", "json", "-o", str(tmp_path / "v.txt")
    )
    assert code == 0 and json.loads((tmp_path / "v.txt").read_text())


def test_import_table_dry_run_map_import_and_undo(shipped_kb, tmp_path: Path, capsys) -> None:
    db = tmp_path / "kb.db"
    shutil.copy(shipped_kb.path, db)
    table, mapping = TABLES / "chinese_headers.csv", TABLES / "chinese_mapping.yaml"
    before = len(anodelab.open(db).measurements())
    code, out, _ = run(
        capsys,
        "import-table",
        str(table),
        "--map",
        str(mapping),
        "--db",
        str(db),
        "--dry-run",
        "--json",
    )
    assert code == 0 and json.loads(out)["status"] == "dry-run"
    assert len(anodelab.open(db).measurements()) == before  # a dry run writes nothing
    code, out, _ = run(capsys, "import-table", str(table), "--map", str(mapping), "--db", str(db),
                       "--dry-run")  # fmt: skip
    # for people: counts in words, not a Python dict
    assert code == 0 and re.search(
        r"dry-run: sources 1, samples 2, step parameters 2, cells 0, measurements 6", out
    )
    code, out, _ = run(
        capsys, "import-table", str(table), "--map", str(mapping), "--db", str(db), "--json"
    )
    report = json.loads(out)
    assert code == 0 and report["status"] == "imported"
    assert len(anodelab.open(db).measurements()) == before + report["counts"]["measurements"]
    code, _, _ = run(capsys, "undo", str(report["write"]["import_id"]), "--db", str(db))
    assert code == 0 and len(anodelab.open(db).measurements()) == before
    code, out, _ = run(capsys, "imports", "--db", str(db), "--json")
    assert "undone" in {r["status"] for r in json.loads(out)}


def test_import_table_rejects_bad_file_with_location(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("source,sample,property,value,unit\nx,A,ICE,120,%\n", encoding="utf-8")
    code, _, err = run(capsys, "import-table", str(bad), "--db", str(tmp_path / "kb.db"))
    assert code == 1 and "bad.csv" in err and "row 2" in err and "Traceback" not in err
