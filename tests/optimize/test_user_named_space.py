"""Issue 20 item 1: a campaign file names its own parameters and objectives (its ``vocabulary:``
section, the format of table mapping files), and the whole loop runs from the CLI with them."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from anodelab.cli import app
from anodelab.schema.vocabulary import use_user_terms

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "bench/optimization/data/liang_crossed_barrel.csv"

CAMPAIGN = """\
name: barrel
vocabulary:
  - {name: n, kind: parameter, unit: 1, description: number of struts}
  - {name: theta, kind: parameter, unit: degree, description: twist angle}
  - {name: r, kind: parameter, unit: mm}
  - {name: t, kind: parameter, unit: mm}
  - {name: rel_toughness, kind: property, unit: 1, description: toughness / best toughness}
parameters:
  n: {type: discrete, values: [6, 8, 10, 12]}
  theta: {type: continuous, bounds: [0, 200]}
  r: {type: continuous, bounds: [1.5, 2.5]}
  t: {type: continuous, bounds: [0.7, 1.4]}
candidates: can.csv
objectives:
  - {property: rel_toughness, goal: maximize}
"""


@pytest.fixture(autouse=True)
def _shipped_vocabulary():
    use_user_terms(())
    yield
    use_user_terms(())  # the next test starts from the shipped vocabulary


def _lookup(truth: pd.DataFrame, params: dict) -> float:
    row = truth[
        (truth["n"] == params["n"])
        & ((truth["theta"] - params["theta"]).abs() < 1e-9)
        & ((truth["r"] - params["r"]).abs() < 1e-9)
        & ((truth["t"] - params["t"]).abs() < 1e-9)
    ]
    return float(row["toughness"].iloc[0] / truth["toughness"].max())


def test_user_named_parameters_and_a_dimensionless_objective_run_the_whole_loop(
    tmp_path, monkeypatch
):
    truth = pd.read_csv(TABLE)
    truth.drop(columns="toughness").to_csv(tmp_path / "can.csv", index=False)
    (tmp_path / "barrel.yaml").write_text(CAMPAIGN)
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "kb.db"))
    runner = CliRunner()

    def run(*args: str) -> str:
        out = runner.invoke(app, list(args))
        assert out.exit_code == 0, (args, out.output)
        return out.stdout

    assert "parameters n, theta, r, t" in run("campaign", "new", str(tmp_path / "barrel.yaml"))
    for batch in range(2):
        records = json.loads(run("recommend", "barrel", "--batch", "4", "--fast", "--json"))
        assert [r["strategy"] for r in records] == ["design" if batch == 0 else "qLogNEI"] * 4
        for r in records:
            assert set(r["parameters"]) == {"n", "theta", "r", "t"}
            value = _lookup(truth, r["parameters"])
            assert "rel_toughness" in run("record", r["sample"], f"rel_toughness={value:.6f}")
    pred = records[0]["predictions"]["rel_toughness"]
    assert pred["std"] > 0 and pred["unit"] in (None, "", "1", "dimensionless")
    shown = run("campaign", "show", "barrel", "-o", str(tmp_path / "table.csv"))
    assert "rel_toughness" in shown and "Traceback" not in shown
    table = pd.read_csv(tmp_path / "table.csv")
    assert {"n", "theta", "r", "t"} <= set(table.columns)
    assert table.filter(like="rel_toughness measured").notna().sum().iloc[0] == 8
    assert table.filter(like="rel_toughness predicted").notna().sum().iloc[0] == 4
    # the lab's results are KB facts (proposals are samples): relate and export show all 8
    related = json.loads(run("relate", "theta", "rel_toughness", "--json"))
    points = related["points"] if isinstance(related, dict) else related
    assert len(points) == 8
    exported = pd.read_csv(io.StringIO(run("export", "--property", "rel_toughness")))
    assert len(exported) == 8 and set(exported["sample"]) == set(table["sample"])
    listed = {(t["kind"], t["name"]) for t in json.loads(run("vocabulary", "--json"))}
    assert {("property", "rel_toughness"), ("parameter", "theta")} <= listed
    with sqlite3.connect(tmp_path / "kb.db") as conn:
        added = dict(conn.execute("SELECT name, added_by FROM user_terms").fetchall())
    assert added == dict.fromkeys(["n", "theta", "r", "t", "rel_toughness"], "campaign:barrel")


def test_an_undeclared_name_is_still_refused_with_a_suggestion(tmp_path, monkeypatch):
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "kb.db"))
    (tmp_path / "c.yaml").write_text(
        "parameters:\n  pitch_wt_pc: {bounds: [0, 50]}\n"
        "objectives:\n  - {property: ICE, goal: maximize}\n"
    )
    out = CliRunner().invoke(app, ["campaign", "new", str(tmp_path / "c.yaml")])
    said = out.output + str(out.exception)
    assert out.exit_code != 0 and "did you mean 'pitch_wt_pct'" in said


def test_a_refused_campaign_adds_no_terms(tmp_path, monkeypatch):
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "kb.db"))
    bad = CAMPAIGN.replace("candidates: can.csv\n", "").replace("goal: maximize", "goal: best")
    (tmp_path / "c.yaml").write_text(bad)
    out = CliRunner().invoke(app, ["campaign", "new", str(tmp_path / "c.yaml")])
    assert out.exit_code != 0 and "goal" in out.output + str(out.exception)
    if (tmp_path / "kb.db").exists():
        with sqlite3.connect(tmp_path / "kb.db") as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "user_terms" in tables:
                assert conn.execute("SELECT COUNT(*) FROM user_terms").fetchone()[0] == 0
