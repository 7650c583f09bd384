"""Checks follow the import, not the KB (issue 19, item 6), and undo removes what an import
created, its source included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import anodelab
from anodelab.ingest.runs import RunOptions, import_run
from anodelab.kb import checks as checks_module
from anodelab.kb.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]


def _copy(kb: anodelab.KnowledgeBase, path: Path) -> None:
    """A copy of an open KB (its WAL included: the SQLite backup API, not a file copy)."""
    target = sqlite3.connect(path)
    kb.db.conn.backup(target)
    target.close()


def _checks(db) -> tuple[list, list]:
    rows = db.execute(
        "SELECT ch.rule, s.label, ch.status, round(ch.stated, 9), round(ch.recomputed, 9),"
        " round(ch.tolerance, 12), ch.note FROM checks ch JOIN samples s ON s.id = ch.sample_id"
    ).fetchall()
    computed = db.execute(
        "SELECT s.label, m.property, round(m.value, 9), m.note FROM measurements m"
        " JOIN samples s ON s.id = m.sample_id WHERE m.origin = 'computed'"
    ).fetchall()
    return sorted(rows), sorted(computed)


def test_incremental_checks_equal_a_full_recomputation(shipped_kb, tmp_path: Path) -> None:
    """After `init` (every import recomputing only its samples), replacing a table and undoing
    it, the checks equal those of recomputing every sample from scratch."""
    path = tmp_path / "kb.db"
    _copy(shipped_kb, path)
    kb = anodelab.open(path)
    incremental = _checks(kb.db)
    assert incremental[0], "the shipped literature has checks"
    kb.db.execute("BEGIN IMMEDIATE")
    run_checks(kb.db)
    assert _checks(kb.db) == incremental
    kb.db.execute("ROLLBACK")

    source = ROOT / "kb" / "literature" / "lee2025" / "measurements.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    changed = tmp_path / "measurements.csv"  # a corrected copy: one capacity changes, rows drop
    text = "\n".join(line.replace(",1604,", ",1590,") for line in lines[:-5]) + "\n"
    changed.write_text(text, encoding="utf-8")
    report = kb.import_table(changed, source="lee2025")
    assert report.write is not None and report.write.status == "replaced"
    after_replace = _checks(kb.db)
    kb.db.execute("BEGIN IMMEDIATE")
    run_checks(kb.db)
    assert _checks(kb.db) == after_replace
    kb.db.execute("ROLLBACK")
    kb.undo_import(report.write.import_id)
    kb.db.execute("BEGIN IMMEDIATE")
    after_undo = _checks(kb.db)
    run_checks(kb.db)
    assert _checks(kb.db) == after_undo
    kb.db.execute("ROLLBACK")
    kb.close()


def test_a_small_import_reads_only_its_own_samples(shipped_kb, tmp_path: Path, monkeypatch) -> None:
    """The checks of a 2-row import read the values of its one sample, not the KB's."""
    path = tmp_path / "kb.db"
    _copy(shipped_kb, path)
    read: list[int] = []
    original = checks_module._values

    def counted(db, sample_ids):  # type: ignore[no-untyped-def]
        frame = original(db, sample_ids)
        read.append(len(frame))
        return frame

    monkeypatch.setattr(checks_module, "_values", counted)
    kb = anodelab.open(path)
    total = kb.db.execute(
        "SELECT COUNT(*) FROM measurements WHERE value IS NOT NULL AND origin != 'computed'"
    ).fetchone()[0]
    (tmp_path / "sources.csv").write_text("source,kind,title,year\nsc1,paper,Scope,2025\n")
    (tmp_path / "samples.csv").write_text("source,sample,family,kind\nsc1,Q,fam,material\n")
    (tmp_path / "measurements.csv").write_text(
        "source,sample,property,value,unit,conditions\n"
        "sc1,Q,discharge_capacity,2000,mAh/g,cycle=1\nsc1,Q,charge_capacity,1700,mAh/g,cycle=1\n"
    )
    for name in ("sources.csv", "samples.csv"):
        kb.import_table(tmp_path / name)
    read.clear()
    report = kb.import_table(tmp_path / "measurements.csv").write
    assert read == [2] and total > 100
    assert report is not None and report.checks == {
        "computed": 1
    }  # ICE of Q = 85 %, stored as computed
    ice = kb.measurements("initial_coulombic_efficiency", sample="Q")
    assert ice["value"].tolist() == pytest.approx([85.0])
    kb.close()


def test_undo_removes_the_source_sample_and_cell_an_import_run_created(tmp_path: Path) -> None:
    cycling = tmp_path / "cycling.csv"
    lines = (ROOT / "examples" / "cycling_half_cell.csv").read_text().splitlines()[:1500]
    cycling.write_text("\n".join(lines) + "\n")
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    kb.close()

    def content() -> dict:
        with sqlite3.connect(tmp_path / "kb.db") as conn:
            return {
                t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("sources", "samples", "cells", "measurements", "checks")
            }

    empty = content()
    kb = anodelab.open(tmp_path / "kb.db")
    options = RunOptions(mass_g=0.002)
    _, first = import_run(kb.db, cycling, "cycling", sample="R1", source="mylab", options=options)
    _, second = import_run(kb.db, cycling, "cycling", sample="R2", source="mylab", options=options)
    assert content()["sources"] == 1 and content()["samples"] == 2
    kb.undo_import(first.import_id)  # R2's run still files its rows under 'mylab': the source stays
    assert content()["sources"] == 1 and content()["samples"] == 1
    kb.undo_import(second.import_id)  # now nothing uses it: it goes with the last run
    assert content() == empty
    kb.close()
