"""GITT analyzer against PyBaMM single-particle simulations with known D (data/make_gitt_fixtures.py)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.gitt import analyze_gitt, segment_pulses
from anodelab.schema.errors import InputError

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "gitt_truth.json").read_text())


def load(name):
    return pd.read_csv(DATA / f"{name}.csv")


@pytest.mark.parametrize("name", ["gitt_short_d1e-14", "gitt_short_d1e-15"])
def test_short_pulses_recover_true_D_within_15_percent(name):
    truth = TRUTH[name]
    result = analyze_gitt(load(name), particle_radius_cm=truth["particle_radius_cm"])
    pulses = result.results["pulses"]
    assert len(pulses) == truth["n_pulses"]
    d_true = truth["diffusion_coefficient_cm2_per_s"]
    for pulse in pulses:
        assert pulse["valid"], pulse["reason"]
        assert pulse["diffusion_coefficient_cm2_per_s"] == pytest.approx(d_true, rel=0.15)
        assert pulse["tau_D_over_r2"] == pytest.approx(truth["tau_D_over_r2"], rel=0.2)
    assert result.results["summary"]["diffusion_coefficient_cm2_per_s"] == pytest.approx(
        d_true, rel=0.15
    )
    (metric,) = result.metrics
    assert metric.property == "diffusion_coefficient" and metric.conditions == {"method": "GITT"}


def test_two_diffusivities_a_decade_apart_are_told_apart():
    fast = analyze_gitt(load("gitt_short_d1e-14"), particle_radius_cm="5.86 um")
    slow = analyze_gitt(load("gitt_short_d1e-15"), particle_radius_cm="5.86 um")
    ratio = (
        fast.results["summary"]["diffusion_coefficient_cm2_per_s"]
        / slow.results["summary"]["diffusion_coefficient_cm2_per_s"]
    )
    assert ratio == pytest.approx(10.0, rel=0.2)


def test_long_pulses_are_flagged_with_reason():
    name = "gitt_long_d1e-14"
    result = analyze_gitt(load(name), particle_radius_cm=TRUTH[name]["particle_radius_cm"])
    assert all(not p["valid"] and "too long" in p["reason"] for p in result.results["pulses"])
    assert result.results["summary"]["diffusion_coefficient_cm2_per_s"] is None
    assert result.metrics == [] and result.warnings


def test_plateau_pulses_are_flagged():
    name = "gitt_plateau_d1e-14"
    result = analyze_gitt(load(name), particle_radius_cm=TRUTH[name]["particle_radius_cm"])
    assert all("plateau" in p["reason"] for p in result.results["pulses"])


def test_mass_molar_volume_geometry_equals_sphere_geometry():
    name = "gitt_short_d1e-14"
    r = TRUTH[name]["particle_radius_cm"]
    sphere = analyze_gitt(load(name), particle_radius_cm=r)
    # choose m, V_M, M, S so that m V_M / (M S) = r / 3
    general = analyze_gitt(
        load(name),
        mass_g=2.0e-3,
        molar_volume_cm3_per_mol=9.0,
        molar_mass_g_per_mol=28.0,
        area_cm2=2.0e-3 * 9.0 / (28.0 * r / 3),
    )
    a = [p["diffusion_coefficient_cm2_per_s"] for p in sphere.results["pulses"]]
    b = [p["diffusion_coefficient_cm2_per_s"] for p in general.results["pulses"]]
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_arrays_and_sign_of_current_do_not_matter():
    frame = load("gitt_short_d1e-14")
    flipped = analyze_gitt(
        time_s=frame.test_time_second.to_numpy(),
        voltage_V=frame.voltage_volt.to_numpy(),
        current_A=-frame.current_ampere.to_numpy(),
        particle_radius_cm=5.86e-4,
    )
    ref = analyze_gitt(frame, particle_radius_cm=5.86e-4)
    assert flipped.results["summary"]["diffusion_coefficient_cm2_per_s"] == pytest.approx(
        ref.results["summary"]["diffusion_coefficient_cm2_per_s"]
    )


def test_segmentation_counts_pulses_between_rests():
    current = np.array([0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1.0])
    segments = segment_pulses(current)
    assert [s["pulse"] for s in segments] == [(2, 3), (6, 8)]  # the last pulse has no rest after it


def test_missing_inputs_raise_input_error():
    with pytest.raises(InputError, match="radius"):
        analyze_gitt(load("gitt_short_d1e-14"))
    with pytest.raises(InputError, match="columns"):
        analyze_gitt(pd.DataFrame({"t": [1, 2]}), particle_radius_cm=1e-4)
    with pytest.raises(InputError, match="pulse"):
        analyze_gitt(
            time_s=np.arange(5.0),
            voltage_V=np.ones(5),
            current_A=np.ones(5),
            particle_radius_cm=1e-4,
        )


def test_plain_column_names_are_accepted_too():
    frame = load("gitt_short_d1e-14")
    plain = frame.rename(
        columns={
            "test_time_second": "time_s",
            "voltage_volt": "voltage_V",
            "current_ampere": "current_A",
        }
    )
    a = analyze_gitt(plain, particle_radius_cm=5.86e-4).results["summary"][
        "diffusion_coefficient_cm2_per_s"
    ]
    b = analyze_gitt(frame, particle_radius_cm=5.86e-4).results["summary"][
        "diffusion_coefficient_cm2_per_s"
    ]
    assert a == b


def test_rows_out_of_time_order_are_a_clear_error():
    data = load("gitt_short_d1e-14")
    swapped = pd.concat([data.iloc[len(data) // 2 :], data.iloc[: len(data) // 2]])
    with pytest.raises(InputError, match="time goes backwards") as info:
        analyze_gitt(swapped, particle_radius_cm=5e-4)
    assert info.value.row == len(data) - len(data) // 2 + 1


def test_soc_fraction_runs_from_0_to_1_per_titration_direction():
    """Charge-then-discharge GITT: the net charge returns to ~0 at the end (soc was Q/0 → 76.7)."""
    data = load("gitt_short_d1e-14")
    t, v, i = (data[c].to_numpy() for c in data.columns[:3])
    back = pd.DataFrame(
        {
            data.columns[0]: t[-1] + t[1:] - t[0] + 1.0,
            data.columns[1]: v[::-1][1:],
            data.columns[2]: -i[1:],
        }
    )
    both = pd.concat([data, back], ignore_index=True)
    pulses = analyze_gitt(both, particle_radius_cm=5e-4).results["pulses"]
    soc = np.array([p["soc_fraction"] for p in pulses])
    directions = [p["direction"] for p in pulses]
    assert soc.max() <= 1.0 + 1e-12 and soc.min() > 0
    for d in set(directions):
        part = soc[[x == d for x in directions]]
        assert np.all(np.diff(part) > 0) and part[-1] == pytest.approx(1.0)
    assert len(set(directions)) == 2
