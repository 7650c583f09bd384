"""Fuzzing the campaign entry points: ``campaign new`` (mutated design-space YAML and candidate
CSV), ``record`` (hostile values, units, conditions, cycle counts, cells, notes) and
``campaign status``.  Invariant as in test_fuzz_import_table.py; recorded results must be finite
and within their property's range."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anodelab.campaign import new_campaign
from anodelab.kb import campaigns as store
from anodelab.kb.db import open_db

FUZZ = settings.get_profile("fuzz")

SPACE = """name: fz
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
  carbonization_temperature_C: {type: discrete, bounds: [600, 1000], step: 50, unit: °C}
  coating_precursor: {type: categorical, values: [pitch, polydopamine, none]}
constraints: ["pitch_wt_pct <= 45"]
objectives:
  - {property: discharge_capacity, at: {cycle: 500, current_density: 1 A/g}, goal: maximize, threshold: 600 mA h/g}
  - {property: ICE, goal: maximize}
outcome_constraints: ["ICE >= 75 %"]
min_observations: 3
"""
CANDIDATE_SPACE = """name: fzc
candidates: can.csv
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
  carbonization_temperature_C: {type: discrete, bounds: [600, 1000], step: 50, unit: °C}
objectives:
  - {property: ICE, goal: maximize}
"""
CANDIDATES = "pitch_wt_pct,carbonization_temperature_C\n" + "".join(
    f"{p},{t}\n" for p in (0, 10, 20, 30, 40) for t in (600, 700, 800, 900, 1000)
)

NUMBERS = ["1050", "86", "0", "-5", "nan", "inf", "-inf", "1e400", "1e-400", "4199", "4201", "100.5",
           "0.86", "1,050", "1 050", "١٠٥٠", "", "abc", "1050 ± 20", "'; DROP TABLE proposals;--"]  # fmt: skip
UNITS = ["", "mAh/g", "mA h g−1", "A h/kg", "%", "K", "°C", "wt%", "mAh/cm2", "bogus"]
PROPERTIES = ["discharge_capacity", "ICE", "initial_coulombic_efficiency", "capacity",
              "charge_capacity", "BET", "nonsense", "", "=", "discharge_capacity=1=2"]  # fmt: skip
CONDITIONS = ["cycle=500", "cycle=0", "cycle=-1", "cycle=1e400", "cycle=nan", "current_density=1A/g",
              "current_density=-1A/g", "temperature=25degC", "temperature=-300degC", "bogus=1",
              "cycle", "=5", "state=lithiated", "state=boiling"]  # fmt: skip
TEXT = ["c1", "", " ", "'; DROP TABLE proposal_results;--", "<script>", "\u202e", "🙂", "A" * 5000]


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB with campaign ``fz`` and three proposals (fz-p1 … fz-p3)."""
    folder = tmp_path_factory.mktemp("campaign")
    (folder / "space.yaml").write_text(SPACE, encoding="utf-8")
    db = open_db(folder / "base.db")
    campaign = new_campaign(db, folder / "space.yaml")
    rows = [
        {"parameters": {"pitch_wt_pct": p, "carbonization_temperature_C": t,
                        "coating_precursor": "pitch"}, "strategy": "fuzz", "predictions": {}}
        for p, t in ((10.0, 700.0), (30.0, 900.0), (40.0, 800.0))
    ]  # fmt: skip
    store.add_proposals(db, campaign["id"], rows)
    db.close()
    return folder / "base.db"


@FUZZ
@given(data=st.data())
def test_record(kb: Path, entry_point, data) -> None:
    proposal = data.draw(st.sampled_from(["1", "2", "fz-p3", "fz-p9", "0", "-1", "x'; --"]))
    values = data.draw(
        st.lists(
            st.builds(
                lambda p, n, u: f"{p}={n}{u}",
                st.sampled_from(PROPERTIES), st.sampled_from(NUMBERS), st.sampled_from(UNITS),
            ),
            min_size=1, max_size=3,
        ),
        label="values",
    )  # fmt: skip
    options: list[str] = []
    for condition in data.draw(st.lists(st.sampled_from(CONDITIONS), max_size=2), label="at"):
        options += ["--at", condition]
    if data.draw(st.booleans(), label="cycles?"):
        options += ["--cycles", str(data.draw(st.sampled_from([0, 1, 100, 500, -3, 10**12])))]
    if data.draw(st.booleans(), label="planned?"):
        options += ["--planned", str(data.draw(st.sampled_from([0, 500, 1000, -1])))]
    if data.draw(st.booleans(), label="cell?"):
        options += ["--cell", data.draw(st.sampled_from(TEXT))]
    if data.draw(st.booleans(), label="note?"):
        options += ["--note", data.draw(st.sampled_from(TEXT))]
    entry_point("record", proposal, *values, *options, "--db", kb, db=kb)


@FUZZ
@given(data=st.data())
def test_campaign_status(kb: Path, entry_point, data) -> None:
    proposal = data.draw(st.sampled_from(["1", "fz-p2", "3", "fz-p7", "", "'; --"]))
    status = data.draw(
        st.sampled_from(["running", "abandoned", "proposed", "done", "RUNNING", "x"])
    )
    note = data.draw(st.sampled_from(TEXT))
    entry_point("campaign", "status", proposal, status, "--note", note, "--db", kb, db=kb)


@FUZZ
@given(data=st.data())
def test_campaign_new(kb: Path, tmp_path: Path, entry_point, mutate, data) -> None:
    with_table = data.draw(st.booleans(), label="candidate table?")
    space = CANDIDATE_SPACE if with_table else SPACE
    content = space.encode()
    if not with_table or data.draw(st.booleans(), label="mutate space?"):
        content = data.draw(mutate(content), label="space")
    (tmp_path / "space.yaml").write_bytes(content)
    if with_table:
        table = data.draw(mutate(CANDIDATES.encode()), label="candidates")
        (tmp_path / "can.csv").write_bytes(table)
    name = data.draw(st.sampled_from(["", "fz", "new", "'; DROP TABLE campaigns;--"]))
    args = ["campaign", "new", tmp_path / "space.yaml", "--db", kb]
    if name:
        args += ["--name", name]
    entry_point(*args, db=kb, names=("space.yaml", "can.csv", "campaign"))
