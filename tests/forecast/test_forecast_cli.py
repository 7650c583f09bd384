"""``anodelab forecast`` on a KB with per-cycle capacities: table, JSON, plot, errors."""

from __future__ import annotations

import json

import pandas as pd

import anodelab
from anodelab.cli import main
from anodelab.forecast import forecast_target, stop_advice


def test_forecast_a_sample_calibrated_on_the_kbs_completed_curves(virtual_kb, capsys, tmp_path):
    png = tmp_path / "fc.png"
    status = main(
        ["forecast", "cell-A", "--cycle", "200", "--db", str(virtual_kb), "--plot", str(png)]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "cell-A" in out and "calibrated on 14 completed KB curve(s)" in out
    assert png.stat().st_size > 1000


def test_forecast_json_has_the_interval_and_its_truth_is_inside(virtual_kb, capsys):
    assert main(["forecast", "cell-A", "--cycle", "200", "--db", str(virtual_kb), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["forecasts"]
    assert row["cycles_seen"] == 60 and row["calibrated"] is True
    assert row["capacity_lower"] < row["capacity_mean"] < row["capacity_upper"]
    assert data["info"]["forecasters"]["60"]["training_cells"] == 14


def test_without_completed_curves_the_forecast_says_it_is_uncalibrated(virtual_kb):
    with anodelab.open(virtual_kb) as kb:
        table, info, _ = forecast_target(kb, "cell-A", target_cycle=200, train_on="none")
    assert not table["calibrated"].any()
    assert "no completed curves" in info["why_uncalibrated"]


def test_unknown_target_is_one_clear_error(virtual_kb, capsys):
    assert main(["forecast", "no-such-thing", "--db", str(virtual_kb)]) == 1
    err = capsys.readouterr().err
    assert "no sample or campaign named 'no-such-thing'" in err
    assert "Traceback" not in err


def test_a_finished_sample_has_nothing_to_forecast(virtual_kb, capsys):
    assert main(["forecast", "done-0", "--cycle", "200", "--db", str(virtual_kb)]) == 1
    assert "no cell with at least 8 per-cycle" in capsys.readouterr().err


def test_stop_advice_decides_only_calibrated_forecasts_that_cannot_matter():
    table = pd.DataFrame(
        {
            "sample": ["good", "bad", "unsure", "narrow"],
            "capacity_mean": [800.0, 400.0, 700.0, 780.0],
            "capacity_lower": [720.0, 350.0, 500.0, 760.0],
            "capacity_upper": [880.0, 450.0, 900.0, 800.0],
            "calibrated": [True, True, True, True],
        }
    )
    advice = stop_advice(table)
    assert advice[1].startswith("stop: forecast decided (cannot reach")
    assert advice[0] == "keep cycling" and advice[2] == "keep cycling"
    assert advice[3].startswith("stop: forecast decided (±")
    assert stop_advice(table.assign(calibrated=False))[1].startswith("keep cycling")
    # a measured result above a cell's whole interval decides it
    assert stop_advice(table.iloc[[0]], best_measured=900.0)[0].startswith("stop")
