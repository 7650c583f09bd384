"""`anodelab fit`: cross-validation of a surrogate on the shipped KB, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from anodelab.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_reports_cv_metrics_and_writes_a_parity_plot(shipped_kb, tmp_path: Path, capsys):
    db = str(shipped_kb.path)
    plot = tmp_path / "parity.png"
    code, out, err = run(capsys, "fit", "ICE", "--db", db, "--json", "--plot", str(plot))
    assert code == 0, err
    report = json.loads(out)
    assert report["n"] >= 4 and report["features"]
    # two papers describe different steps: parameters unknown for some recipes are left out, said why
    assert report["left_out"] and all(
        "measured recipes" in why for why in report["left_out"].values()
    )
    assert not set(report["features"]) & set(report["left_out"])
    predictions = report["predictions"]
    assert len(predictions) == report["n"]
    # the metrics are those of the held-out predictions it returns (recomputed here by hand)
    y = np.array([p["y"] for p in predictions])
    mean = np.array([p["mean"] for p in predictions])
    ok = ~np.isnan(mean)
    assert abs(report["loo"]["mae"] - np.mean(np.abs(y[ok] - mean[ok]))) < 1e-9
    assert plot.stat().st_size > 10_000


def test_fit_with_other_kernel_and_unknown_kernel(shipped_kb, capsys):
    db = str(shipped_kb.path)
    code, out, _ = run(capsys, "fit", "ICE", "--db", db, "--json", "--kernel", "rbf")
    assert code == 0 and json.loads(out)["n"] >= 4
    code, _, err = run(capsys, "fit", "ICE", "--db", db, "--kernel", "cubic")
    assert code != 0 and "unknown kernel 'cubic'" in err and "Traceback" not in err


def test_fit_at_conditions_converts_units_and_says_when_data_are_too_few(shipped_kb, capsys):
    """--at reaches the outcome (1 A/g → 1000 mA g⁻¹); the KB has 3 such recipes, too few for CV."""
    args = ["fit", "discharge_capacity", "--at", "cycle=500", "--at", "current_density=1A/g"]
    code, _, err = run(capsys, *args, "--db", str(shipped_kb.path))
    assert code != 0 and "Traceback" not in err
    assert "discharge_capacity@current_density=1000,cycle=500" in err.replace("\n", "")
    assert "need ≥ 4" in err.replace("\n", " ")


def test_fit_without_a_space_leaves_blends_out(shipped_kb, capsys):
    """Found by QA: the 10:90 graphite blend's computed full-cell ICE was a pitch data point."""
    code, out, err = run(capsys, "fit", "ICE", "--db", str(shipped_kb.path), "--json")
    assert code == 0, err
    samples = {p["sample"] for p in json.loads(out)["predictions"]}
    assert samples and not any("blend" in s for s in samples)


def test_gp_fits_when_every_input_is_categorical():
    import pandas as pd

    from anodelab.models.features import Feature
    from anodelab.models.gp import GPSurrogate

    features = [
        Feature("coating_precursor", "categorical", categories=("none", "pitch", "polydopamine"))
    ]
    X = pd.DataFrame({"coating_precursor": ["none", "pitch", "polydopamine", "pitch", "none"]})
    y = np.array([70.0, 76.0, 88.0, 77.0, 69.0])
    mean, std = GPSurrogate(features).fit(X, y).predict(X.iloc[:3], return_std=True)
    assert np.all(std > 0) and mean[2] > mean[1] > mean[0]  # the levels' order is learnt


def test_fit_with_named_inputs_keeps_them_and_leaves_out_recipes_that_lack_them(shipped_kb, capsys):
    """By default carbonization temperature is dropped (unknown for one recipe); --inputs keeps it
    (synonyms accepted) and leaves out that recipe instead, saying why."""
    db = str(shipped_kb.path)
    code, out, err = run(capsys, "fit", "ICE", "--db", db, "--json")
    default = json.loads(out)
    assert "carbonization_temperature_C" in default["left_out"]
    args = ["--inputs", "carbonization_temperature_C", "--inputs", "pitch"]
    code, out, err = run(capsys, "fit", "ICE", "--db", db, "--json", *args)
    assert code == 0, err
    named = json.loads(out)
    assert named["features"] == ["pitch_wt_pct", "carbonization_temperature_C"]
    assert 4 <= named["n"] < default["n"] and named["left_out"] == {}
    code, out, err = run(capsys, "fit", "ICE", "--db", db, *args)
    assert "not used" in out and "pitch_wt_pct unknown" in out
    code, _, err = run(capsys, "fit", "ICE", "--db", db, "--inputs", "nonsense")
    assert code != 0 and "unknown parameter 'nonsense'" in err and "Traceback" not in err
