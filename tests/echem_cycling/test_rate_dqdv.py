"""Rate-capability table and dQ/dV peaks against analytic ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.dqdv import analyze_dqdv, incremental_capacity
from anodelab.echem.rate import analyze_rate
from anodelab.echem.steps import add_step_and_cycle_index
from anodelab.ingest.readers import read_cycler

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "layouts_truth.json").read_text())


def _rate_test() -> tuple[pd.DataFrame, list[tuple[float, float]]]:
    """Anode CC cycles: 3 cycles each at 0.1, 0.2, 0.5, 1.0 and again 0.1 mA; Q(I) known."""
    currents = [0.1e-3, 0.2e-3, 0.5e-3, 1.0e-3, 0.1e-3]
    rows, t, truth = [], 0.0, []
    for current in currents:
        capacity_ah = 1.0e-3 * (1 - 0.3 * current / 1e-3)  # less capacity at higher current
        seconds = capacity_ah / current * 3600
        for _ in range(3):
            for sign in (-1, 1):
                times = t + np.linspace(0, seconds, 50)
                volts = np.linspace(1.0, 0.05, 50) if sign < 0 else np.linspace(0.1, 1.0, 50)
                rows += [(tt, vv, sign * current) for tt, vv in zip(times, volts, strict=True)]
                t = times[-1] + 1
                rows += [(t, volts[-1], 0.0), (t + 60, volts[-1], 0.0)]
                t += 61
        truth.append((current * 1e3, capacity_ah * 1e3))
    frame = pd.DataFrame(rows, columns=["test_time_second", "voltage_volt", "current_ampere"])
    return add_step_and_cycle_index(frame), truth


def test_rate_table_groups_cycles_and_flags_recovery() -> None:
    frame, truth = _rate_test()
    result = analyze_rate(frame, mass_g=2e-3, nominal_capacity_mAh=1.0)
    steps = result.results["steps"]
    assert len(steps) == 5
    for step, (current_mA, capacity_mAh) in zip(steps, truth, strict=True):
        assert step["current_density_mA_per_g"] == pytest.approx(current_mA / 2e-3, rel=1e-9)
        assert step["c_rate"] == pytest.approx(current_mA, rel=1e-9)
        assert step["n_cycles"] == 3
        assert step["mean_discharge_capacity_mAh_per_g"] == pytest.approx(
            capacity_mAh / 2e-3, rel=1e-6
        )
    assert [s["recovery"] for s in steps] == [False, False, False, False, True]
    assert steps[-1]["recovery_percent"] == pytest.approx(100.0, rel=1e-6)
    assert steps[2]["cycles"] == [7, 9]
    assert any(m.conditions.get("current_density") for m in result.metrics)


def test_dqdv_peaks_at_the_known_plateau_voltages() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    result = analyze_dqdv(frame, cycles=[2, 3])
    plateau, eta = TRUTH["plateau_V"], TRUTH["overpotential_V"]
    for cycle in (2, 3):
        dis = [
            p
            for p in result.results["peaks"]
            if p["cycle"] == cycle and p["half_cycle"] == "discharge"
        ]
        ch = [
            p
            for p in result.results["peaks"]
            if p["cycle"] == cycle and p["half_cycle"] == "charge"
        ]
        assert len(dis) == 1 and len(ch) == 1
        assert dis[0]["voltage_V"] == pytest.approx(plateau - eta, abs=0.005)
        assert ch[0]["voltage_V"] == pytest.approx(plateau + eta, abs=0.005)


def test_dqdv_area_equals_half_cycle_capacity_and_survives_noise() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    curve = incremental_capacity(frame, 2, "charge")
    q = curve["capacity_mAh"].to_numpy()
    assert q[-1] - q[0] == pytest.approx(TRUTH["cycles"][1]["charge_capacity_mAh"], rel=0.02)
    noisy = frame.copy()
    rng = np.random.default_rng(0)
    noisy["voltage_volt"] = noisy["voltage_volt"] + rng.normal(0, 0.5e-3, len(noisy))
    result = analyze_dqdv(noisy, cycles=[2], window_V=0.03)
    charge = [p for p in result.results["peaks"] if p["half_cycle"] == "charge"]
    assert len(charge) == 1 and charge[0]["voltage_V"] == pytest.approx(0.52, abs=0.01)
