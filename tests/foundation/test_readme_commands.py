"""The README's "Five minutes with it" commands run exactly as written on a KB that `make demo`
made (issue 18's "done when"): after them, `relate pitch ICE --json` lists pitch1-p1 — its
recorded ICE against its proposed pitch — beside the literature, and measurements, export and the
Datasette view show the same values."""

from __future__ import annotations

import json
import shlex
import sqlite3
from pathlib import Path

import pytest

import anodelab
from anodelab.cli import main
from anodelab.kb import campaigns as store

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[list[str]]:
    """The `anodelab …` lines of the README's first shell block, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Five minutes with it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines()
            if line.startswith("anodelab ")]  # fmt: skip


def test_the_readme_names_only_files_that_ship() -> None:
    for args in readme_commands():
        for arg in args:
            if arg.startswith("examples/"):
                assert (ROOT / arg).is_file(), arg


@pytest.mark.slow
def test_readme_commands_run_as_written_and_lab_results_join_the_literature(
    shipped_kb, tmp_path: Path, monkeypatch, capsys
) -> None:
    db = tmp_path / "anodelab.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    with anodelab.open(db) as kb:  # what `make demo` leaves: a campaign 'demo' with proposals
        kb.new_campaign(ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="demo")
        demo = store.get_campaign(kb.db, "demo")["id"]
        store.add_proposals(kb.db, demo, [{"parameters": {"pitch_wt_pct": 5.0 * i,
                            "carbonization_temperature_C": 800.0, "dextrin_g": 2.0, "zif8_g": 1.0},
                            "strategy": "sobol"} for i in range(1, 5)])  # fmt: skip
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANODELAB_DB", raising=False)
    for args in readme_commands():
        capsys.readouterr()
        assert main(args[1:]) == 0, " ".join(args)
    relation = json.loads(capsys.readouterr().out)  # the last command: relate pitch ICE --json
    assert readme_commands()[-1] == ["anodelab", "relate", "pitch", "ICE", "--json"]
    with anodelab.open(db) as kb:
        pitch = store.find_proposal(kb.db, "pitch1-p1")
        proposed = json.loads(
            kb.db.execute("SELECT parameters_json FROM proposals WHERE id = ?", [pitch["id"]])
            .fetchone()[0]
        )["pitch_wt_pct"]  # fmt: skip
        ours = [p for p in relation["points"] if p["sample"] == "pitch1-p1"]
        recorded = [p for p in ours if p["origin"] == "recorded"]
        assert len(recorded) == 1 and recorded[0]["y"] == 84.0
        assert (
            recorded[0]["x"] == pytest.approx(proposed)
            and recorded[0]["source"] == "campaign:pitch1"
        )
        assert [p["origin"] for p in ours if p["origin"] != "recorded"] == ["analyzer"]  # cell c2
        assert {p["source"] for p in relation["points"]} - {"campaign:pitch1"}  # the papers too
        ice = kb.measurements("ICE", sample="pitch1-p1")
        assert sorted(zip(ice["origin"], ice["value"], strict=True)) == [
            ("analyzer", pytest.approx(75.0)), ("recorded", 84.0)]  # fmt: skip
        exported = kb.export(format="csv", property="ICE", sample="pitch1-p1")
        assert "campaign:pitch1" in exported and "recorded" in exported
        view = kb.db.execute(
            "SELECT origin, value, pitch_wt_pct FROM v_relations WHERE sample = 'pitch1-p1'"
            " AND property = 'initial_coulombic_efficiency' ORDER BY origin"
        ).fetchall()
        assert [(o, round(v, 1)) for o, v, _ in view] == [("analyzer", 75.0), ("recorded", 84.0)]
        assert all(p == pytest.approx(proposed) for _, _, p in view)
    assert (tmp_path / "pitch1.xlsx").stat().st_size > 0


def doc_block(path: Path, heading: str) -> list[list[str]]:
    """The `anodelab …` lines of the first shell block after ``heading`` in a docs page."""
    text = path.read_text(encoding="utf-8").split(heading, 1)[1]
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines()
            if line.startswith("anodelab ")]  # fmt: skip


@pytest.mark.slow
def test_the_loop_in_optimization_md_runs_as_written(
    shipped_kb, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "anodelab.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANODELAB_DB", raising=False)
    commands = doc_block(ROOT / "docs" / "optimization.md", "## The loop from the shell")
    assert len(commands) == 8
    for args in commands:
        args = [a for a in args if a != "--json"] if args[1] == "recommend" else args
        assert main([*args[1:], *(["--fast"] if args[1] == "recommend" else [])]) == 0, args
    with anodelab.open(db) as kb:
        props = store.proposals(kb.db).set_index("sample")
        assert (
            props.loc["pitch1-p1", "status"] == "done"
            and props.loc["pitch1-p3", "status"] == "abandoned"
        )
        assert len(props) == 8 and props.loc["pitch1-p2", "status"] == "running"
