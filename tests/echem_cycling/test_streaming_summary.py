"""The streaming file path (summarize_cycler_file) against the full path (read_cycler + analyze_cycling).

Both are independent implementations of the same per-row formulas (one over rows in memory, one
over per-run sums accumulated batch by batch), so agreement on files with analytic truth (layouts,
PyBaMM) and on awkward synthetic files (tiny batches, rest-current noise around the threshold,
NaN rows, capacity columns that reset, a leading delithiation) checks the streaming bookkeeping.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import analyze_cycling
from anodelab.echem.cycling_runs import TopValues, rest_threshold_from_top
from anodelab.echem.steps import default_rest_current
from anodelab.ingest.readers import read_cycler, streaming
from anodelab.ingest.readers.streaming import summarize_cycler_file

DATA = Path(__file__).parent / "data"
LAYOUTS = sorted((DATA / "layouts").iterdir())
TRUTH = json.loads((DATA / "layouts_truth.json").read_text())["cycles"]


def _assert_same(path: Path, cell: str = "anode-half", **kwargs: object) -> dict:
    frame = read_cycler(path, cell=cell, rest_current=kwargs.get("rest_current"))  # type: ignore[arg-type]
    full = analyze_cycling(frame, cell=cell, **kwargs)  # type: ignore[arg-type]
    fast = summarize_cycler_file(path, cell=cell, **kwargs)  # type: ignore[arg-type]
    a, b = full.results["cycles"], fast.results["cycles"]
    assert [c["cycle"] for c in a] == [c["cycle"] for c in b]
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float):
                assert y[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (key, x["cycle"])
            else:
                assert y[key] == value, (key, x["cycle"])
    assert fast.results["summary"].keys() == full.results["summary"].keys()
    for key, value in full.results["summary"].items():
        if isinstance(value, float):
            assert fast.results["summary"][key] == pytest.approx(value, rel=1e-9)
        else:
            assert fast.results["summary"][key] == value, key
    assert [(m.property, m.conditions) for m in fast.metrics] == [
        (m.property, m.conditions) for m in full.metrics
    ]
    np.testing.assert_allclose(
        [m.value for m in fast.metrics], [m.value for m in full.metrics], rtol=1e-9
    )
    assert fast.warnings == frame.attrs["warnings"] + full.warnings
    assert fast.options["file"]["sha256"] == frame.attrs["sha256"]
    assert fast.options["file"]["rows"] == len(frame)
    return fast.options["file"]


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda p: p.name)
def test_layouts_same_as_full_path_and_analytic(path: Path) -> None:
    _assert_same(path, mass_g=1e-3)
    fast = summarize_cycler_file(path)
    np.testing.assert_allclose(
        [c["discharge_capacity_mAh"] for c in fast.results["cycles"]],
        [t["discharge_capacity_mAh"] for t in TRUTH],
        rtol=2e-5,
    )


@pytest.mark.parametrize("block", [4096, 1 << 20])
def test_pybamm_full_cell_same_as_full_path_across_batch_boundaries(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "_BLOCK_BYTES", block)
    info = _assert_same(DATA / "pybamm_cycling.csv", cell="full", capacity_source="current")
    assert info["reader_path"] == "streaming"
    _assert_same(DATA / "pybamm_cycling.csv", cell="full")


def test_streaming_path_is_taken_for_plain_csv_layouts() -> None:
    paths = {p.name: summarize_cycler_file(p).options["file"]["reader_path"] for p in LAYOUTS}
    assert paths["arbin.csv"] == paths["opposite_sign.csv"] == "streaming"
    assert paths["arbin.xlsx"] == paths["maccor.txt"] == "full"


def _awkward(tmp_path: Path, rng: np.random.Generator, *, lead_with_charge: bool) -> Path:
    """Cycles with CC+CV, rest noise straddling the threshold, NaN rows, resetting capacities."""
    rows = []
    t = 0.0
    step = 0
    q_net = 0.0
    signs = ([1] if lead_with_charge else []) + [-1, 1] * 6
    for n, sign in enumerate(signs):
        step += 1
        for _ in range(int(rng.integers(3, 9))):  # rest with noise of either sign
            t += 7.0
            rows.append((t, 0.6, rng.normal(0, 2.5e-6), step, 0.0, 0.0, q_net))
        step += 1
        amps = 1e-3 * (1 + 0.5 * (n % 3))
        cap = 0.0
        count = int(rng.integers(40, 90))
        for k in range(count):
            dt = float(rng.uniform(5, 15))
            t += dt
            current = sign * (amps if k < count - 10 else amps * np.exp(-(k - count + 11) / 2))
            cap += abs(current) * dt / 3600
            q_net += current * dt / 3600
            volt = 0.5 + sign * 0.3 * k / count
            rows.append(
                (
                    t,
                    volt,
                    current,
                    step,
                    cap if sign > 0 else 0.0,
                    cap if sign < 0 else 0.0,
                    q_net,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "Test_Time(s)",
            "Voltage(V)",
            "Current(A)",
            "Step_Index",
            "Charge_Capacity(Ah)",
            "Discharge_Capacity(Ah)",
            "Net_Capacity(Ah)",
        ],
    )
    frame.loc[rng.choice(len(frame), 4, replace=False), "Voltage(V)"] = np.nan
    path = tmp_path / "awkward.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lead_with_charge", [False, True])
def test_awkward_files_same_as_full_path(
    tmp_path: Path, seed: int, lead_with_charge: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "_BLOCK_BYTES", 2048)  # many batches
    path = _awkward(tmp_path, np.random.default_rng(seed), lead_with_charge=lead_with_charge)
    info = _assert_same(path, mass_g=2e-3)
    assert info["reader_path"] == "streaming"
    _assert_same(path, capacity_source="current")
    _assert_same(path, rest_current=1e-6)


def test_bracket_miss_restreams_with_the_exact_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "_BRACKET", 1.0 + 1e-9)  # the first guess always misses
    path = _awkward(tmp_path, np.random.default_rng(5), lead_with_charge=False)
    assert _assert_same(path)["reader_path"] == "streaming"


@pytest.mark.parametrize("size", [1, 50, 101, 1000, 20011])
def test_percentile_store_gives_the_default_rest_threshold(size: int) -> None:
    rng = np.random.default_rng(size)
    values = np.abs(np.round(rng.normal(0, 1e-3, size), 5))  # many ties
    top = TopValues(keep=size // 100 + 3)
    for chunk in np.array_split(values, 7):
        top.add(chunk)
    assert rest_threshold_from_top(top, size) == default_rest_current(values)
