"""A campaign with a cell still cycling: `campaign show` prints its forecast and stop advice."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from anodelab.campaign import new_campaign, record
from anodelab.cli import app
from anodelab.kb import campaigns as store
from anodelab.kb.db import open_db

SPACE = """
name: fc
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
objectives:
  - property: discharge_capacity
    at: {cycle: 500, current_density: 1 A/g}
    goal: maximize
"""


@pytest.fixture
def running_campaign(tmp_path):
    (tmp_path / "space.yaml").write_text(SPACE)
    db = open_db(tmp_path / "kb.db")
    campaign = new_campaign(db, tmp_path / "space.yaml")
    rows = [{"parameters": {"pitch_wt_pct": p}, "strategy": "test", "predictions": {}}
            for p in (10.0, 30.0)]  # fmt: skip
    p1, p2 = store.add_proposals(db, campaign["id"], rows)
    record(db, p1, ["discharge_capacity=640mAh/g"])  # finished: measured at cycle 500
    n = np.arange(1, 41)
    for cycle, q in zip(n, 1200 * (1 - 0.01 * np.sqrt(n - 1) - 4e-4 * (n - 1)), strict=True):
        record(db, p2, [f"discharge_capacity={q:.2f}mAh/g"], cycles_completed=int(cycle))
    db.close()
    return tmp_path / "kb.db", campaign["name"]


def test_campaign_show_lists_running_cells_with_forecast_and_advice(running_campaign):
    path, name = running_campaign
    runner = CliRunner()
    result = runner.invoke(app, ["campaign", "show", name, "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (fc,) = data["forecasts"]
    assert fc["cycles_seen"] == 40
    # no completed per-cycle curves in this KB: the forecast says so and never stops the cell
    assert fc["calibrated"] is False and fc["advice"].startswith("keep cycling")
    text = runner.invoke(app, ["campaign", "show", name, "--db", str(path)]).output
    assert "cells still cycling: forecast at cycle 500" in text
