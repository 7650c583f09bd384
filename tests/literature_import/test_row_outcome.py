"""Row-level outcome: the sound rows of a table are written in one transaction, every refused
row is named (file, row, column, reason) in the summary, --json and a re-importable rejects file;
--strict keeps all-or-nothing; the ledger records rows taken and refused."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

import anodelab
from anodelab.cli import main

# row 4 repeats HC-1's label (an earlier paper's sample) with other values; row 6 has an unreadable cell
TABLE = """Sample,Ref.,Carbonization temperature (°C),Reversible capacity (mA h g-1),ICE (%)
HC-1,10.1000/paper.a,1100,280.5,78.2
HC-2,10.1000/paper.a,1300,301.0,84.0
HC-1,10.1000/paper.a,1500,250.0,86.5
HC-3,10.1000/paper.a,1400,310.2,85.1
HC-4,10.1000/paper.a,1200,twelve,80.0
"""


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "review.csv").write_text(TABLE, encoding="utf-8")
    return tmp_path


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_sound_rows_are_written_and_refused_rows_named_everywhere(files: Path, capsys) -> None:
    db, rejects = files / "kb.db", files / "rejects.csv"
    code = main(
        [
            "import-table",
            str(files / "review.csv"),
            "--db",
            str(db),
            "--rejects",
            str(rejects),
            "--json",
        ]
    )
    assert code == 3  # some rows refused, the others written
    data = _json(capsys)
    assert data["status"] == "imported"
    assert data["rows"] == {"taken": 3, "refused": 2}
    refused = {(r["row"], r["column"]) for r in data["refused"]}
    assert refused == {(4, "Sample"), (6, "Reversible capacity (mA h g-1)")}
    conflict = next(r for r in data["refused"] if r["row"] == 4)["reason"]
    assert "row 2" in conflict and "HC-1" in conflict  # both rows named
    with anodelab.open(db, readonly=True) as kb:
        ice = kb.measurements("ICE").set_index("sample")["value"].to_dict()
        ledger = kb.imports().iloc[-1]
    assert ice == {"HC-1": 78.2, "HC-2": 84.0, "HC-3": 85.1}  # HC-1 keeps its first row's value
    with sqlite3.connect(db) as conn:
        taken, refused_n, reasons = conn.execute(
            "SELECT rows_taken, rows_refused, refused_json FROM imports WHERE id = ?",
            [int(ledger["id"])],
        ).fetchone()
    assert (taken, refused_n) == (3, 2) and "twelve" in reasons
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*TABLE.splitlines()[0].split(","), "refused because"]
    assert [r[:5] for r in rows[1:]] == [line.split(",") for line in TABLE.splitlines()[3:6:2]]
    assert rows[1][5].startswith("row 4: Sample:") and rows[2][5].startswith(
        "row 6: Reversible capacity"
    )


def test_the_fixed_rejects_file_imports_with_a_label_built_from_two_columns(
    files: Path, capsys
) -> None:
    db, rejects = files / "kb.db", files / "rejects.csv"
    main(["import-table", str(files / "review.csv"), "--db", str(db), "--rejects", str(rejects)])
    # the fix: HC-1 of row 4 is another paper's sample; row 6 had a typo
    fixed = rejects.read_text(encoding="utf-8").replace(
        "HC-1,10.1000/paper.a,1500", "HC-1,10.1000/paper.b,1500"
    )
    fixed = fixed.replace("twelve", "312.0")
    rejects.write_text(fixed, encoding="utf-8")
    capsys.readouterr()
    assert main(["import-table", str(rejects), "--db", str(db), "--json"]) == 0
    data = _json(capsys)
    assert data["rows"] == {"taken": 2, "refused": 0} and data["status"] == "imported"
    with anodelab.open(db, readonly=True) as kb:
        cap = kb.measurements("charge_capacity").set_index(["source", "sample"])["value"].to_dict()
    assert cap[("10.1000/paper.b", "HC-1")] == 250.0 and cap[("10.1000/paper.a", "HC-4")] == 312.0
    assert cap[("10.1000/paper.a", "HC-1")] == 280.5


def test_a_map_can_build_the_label_from_two_columns(files: Path, capsys) -> None:
    text = TABLE.replace("Ref.", "Year").replace("10.1000/paper.a", "2019")
    text = text.replace("HC-1,2019,1500", "HC-1,2021,1500")
    (files / "by_year.csv").write_text(text, encoding="utf-8")
    (files / "map.yaml").write_text(
        "source: 10.1000/review\nlabel: [Sample, Year]\n", encoding="utf-8"
    )
    main(
        [
            "import-table",
            str(files / "by_year.csv"),
            "--map",
            str(files / "map.yaml"),
            "--db",
            str(files / "kb.db"),
            "--json",
        ]
    )
    data = _json(capsys)
    assert [(r["row"], r["column"]) for r in data["refused"]] == [
        (6, "Reversible capacity (mA h g-1)")
    ]
    with anodelab.open(files / "kb.db", readonly=True) as kb:
        labels = sorted(kb.samples()["sample"])
    assert labels == ["HC-1 / 2019", "HC-1 / 2021", "HC-2 / 2019", "HC-3 / 2019"]


def test_strict_keeps_all_or_nothing_and_json_reports_the_rejection(files: Path, capsys) -> None:
    db = files / "kb.db"
    assert (
        main(["import-table", str(files / "review.csv"), "--db", str(db), "--strict", "--json"])
        == 1
    )
    data = _json(capsys)
    assert data["status"] == "rejected" and {r["row"] for r in data["refused"]} == {4, 6}
    with anodelab.open(db, readonly=True) as kb:
        assert kb.measurements().empty


def test_dry_run_exit_status_says_what_the_import_would_do(files: Path, capsys) -> None:
    db = str(files / "kb.db")
    assert main(["import-table", str(files / "review.csv"), "--db", db, "--dry-run"]) == 3
    assert (
        main(["import-table", str(files / "review.csv"), "--db", db, "--dry-run", "--strict"]) == 1
    )
    (files / "nolabel.csv").write_text("ICE (%)\n70\n", encoding="utf-8")
    assert (
        main(["import-table", str(files / "nolabel.csv"), "--db", db, "--dry-run", "--source", "x"])
        == 1
    )
    capsys.readouterr()
    assert (
        main(["import-table", str(files / "nolabel.csv"), "--db", db, "--source", "x", "--json"])
        == 1
    )
    assert _json(capsys)["status"] == "rejected"


def test_a_label_with_a_line_break_is_joined(files: Path, capsys) -> None:
    (files / "lb.csv").write_text(
        'Sample,ICE (%)\n"HCM-1300-\nZBE",80\n"Si/C\ncomposite",75\n', encoding="utf-8"
    )
    assert (
        main(
            [
                "import-table",
                str(files / "lb.csv"),
                "--db",
                str(files / "kb.db"),
                "--source",
                "10.1000/x",
            ]
        )
        == 0
    )
    with anodelab.open(files / "kb.db", readonly=True) as kb:
        assert sorted(kb.samples()["sample"]) == ["HCM-1300-ZBE", "Si/C composite"]
