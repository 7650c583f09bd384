"""CV analyzer against cvsim reversible simulations (data/make_cv_fixtures.py) and swelling against the papers."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cv import analyze_cv, randles_sevcik_D
from anodelab.echem.quantities import FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K
from anodelab.echem.swelling import analyze_swelling
from anodelab.ingest.readers.spectra import read_cv
from anodelab.schema.errors import InputError

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "cv_truth.json").read_text())


@pytest.fixture(scope="module")
def faradaic():
    return read_cv(DATA / "cv_reversible.csv")


def with_capacitance(frame, c_dl_F):
    """Add the analytic double-layer current C·v·sign(dE/dt) to cvsim's faradaic current."""
    out = frame.copy()
    direction = frame.groupby("scan_rate_mV_per_s")["potential_volt"].transform(
        lambda e: np.sign(np.gradient(e.to_numpy()))
    )
    capacitive = c_dl_F * frame["scan_rate_mV_per_s"] / 1000.0 * direction
    out["current_ampere"] = frame["current_ampere"] + capacitive
    return out, capacitive


def test_randles_sevcik_slope_and_D_match_the_simulator(faradaic):
    t = TRUTH
    result = analyze_cv(
        faradaic,
        area_cm2=t["area_cm2"],
        concentration_mol_per_cm3=t["concentration_mol_per_cm3"],
        temperature_K=t["temperature_K"],
    )
    rs = result.results["randles_sevcik"]
    f, r, temp = FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K, t["temperature_K"]
    expected_slope = (
        0.4463
        * f
        * t["area_cm2"]
        * t["concentration_mol_per_cm3"]
        * np.sqrt(f * t["diffusion_coefficient_cm2_per_s"] / (r * temp))
    )
    assert rs["slope_A_s_sqrt_per_V_sqrt"] == pytest.approx(expected_slope, rel=0.01)
    assert rs["diffusion_coefficient_cm2_per_s"] == pytest.approx(
        t["diffusion_coefficient_cm2_per_s"], rel=0.02
    )
    assert result.results["b_value"]["cathodic"] == pytest.approx(0.5, abs=0.01)
    assert all(row["capacitive_fraction"] < 0.01 for row in result.results["dunn"])
    # peaks of a reversible one-electron couple sit ~28.5 mV negative of E° = 0 on the forward sweep
    for p in result.results["peaks"]:
        assert p["cathodic"]["main"]["potential_V"] == pytest.approx(-0.0285, abs=0.005)


def test_dunn_recovers_a_known_capacitive_current(faradaic):
    mixed, capacitive = with_capacitance(faradaic, 60e-6)
    result = analyze_cv(mixed)
    for row in result.results["dunn"]:
        rate = row["scan_rate_mV_per_s"]
        sel = mixed["scan_rate_mV_per_s"] == rate
        truth = np.abs(capacitive[sel]).sum() / np.abs(mixed.loc[sel, "current_ampere"]).sum()
        assert row["capacitive_fraction"] == pytest.approx(truth, abs=0.02)
    b = result.results["b_value"]["cathodic"]
    assert 0.5 < b < 1.0


def test_purely_capacitive_cv_has_b_value_one():
    frames = {}
    for rate in (1.0, 2.0, 5.0, 10.0):
        e = np.concatenate([np.linspace(0.0, 1.0, 200), np.linspace(1.0, 0.0, 200)])
        i = (
            1e-3
            * rate
            / 1000
            * np.sign(np.gradient(e))
            * (1 + 0.5 * np.exp(-(((e - 0.5) / 0.05) ** 2)))
        )
        frames[rate] = pd.DataFrame({"potential_volt": e, "current_ampere": i})
    result = analyze_cv(frames)
    assert result.results["b_value"]["anodic"] == pytest.approx(1.0, abs=1e-6)
    assert all(
        row["capacitive_fraction"] == pytest.approx(1.0, abs=1e-6) for row in result.results["dunn"]
    )


def test_one_file_per_scan_rate_gives_the_same_answer(faradaic, tmp_path):
    frames = []
    for rate, part in faradaic.groupby("scan_rate_mV_per_s"):
        path = tmp_path / f"cv_{rate:g}.txt"
        lines = ["Potential (V)\tCurrent (uA)"] + [
            f"{e}\t{i * 1e6}" for e, i in zip(part.potential_volt, part.current_ampere, strict=True)
        ]
        path.write_text("\n".join(lines))
        frames.append(read_cv(path, scan_rate_mV_per_s=rate))
    a = analyze_cv(frames).results["randles_sevcik"]["slope_A_s_sqrt_per_V_sqrt"]
    b = analyze_cv(faradaic).results["randles_sevcik"]["slope_A_s_sqrt_per_V_sqrt"]
    assert a == pytest.approx(b, rel=1e-6)


def test_wide_layout_with_scan_rate_in_column_names(faradaic, tmp_path):
    parts = {rate: part for rate, part in faradaic.groupby("scan_rate_mV_per_s")}
    e = parts[10.0].potential_volt.to_numpy()
    cols = {
        f"I @ {rate:g} mV/s (mA)": part.current_ampere.to_numpy() * 1e3
        for rate, part in parts.items()
    }
    pd.DataFrame({"E (V)": e, **cols}).to_csv(tmp_path / "wide.csv", index=False)
    frame = read_cv(tmp_path / "wide.csv")
    assert sorted(frame.scan_rate_mV_per_s.unique()) == sorted(parts)
    np.testing.assert_allclose(
        frame[frame.scan_rate_mV_per_s == 50.0].current_ampere,
        parts[50.0].current_ampere,
        rtol=1e-9,
    )


def test_cv_reader_errors_name_the_file(tmp_path):
    path = tmp_path / "cv.csv"
    path.write_text("E/V,I/mA\n0.1,1\n0.2,2\n0.3,3\n")
    with pytest.raises(InputError, match="scan rate"):
        read_cv(path)
    path.write_text("E/V,foo\n0.1,1\n0.2,2\n")
    with pytest.raises(InputError, match="cv.csv"):
        read_cv(path, scan_rate_mV_per_s=1)


def test_randles_sevcik_D_inverts_the_equation():
    slope = 0.4463 * 96485.33212 * 2.0 * 1e-3 * np.sqrt(96485.33212 * 1e-9 / (8.314462618 * 298.15))
    assert randles_sevcik_D(
        slope, electrons=1, area_cm2=2.0, concentration_mol_per_cm3=1e-3
    ) == pytest.approx(1e-9)


def test_swelling_reproduces_the_papers_numbers():
    lee = analyze_swelling(pristine_um=30.6, lithiated_um=33.8, delithiated_um=31.9).results
    assert lee["lithiation_thickness_change_percent"] == pytest.approx(10.5, abs=0.05)
    assert lee["delithiation_thickness_change_percent"] == pytest.approx(-5.6, abs=0.05)
    assert lee["net_thickness_change_percent"] == pytest.approx(4.2, abs=0.05)
    ji = analyze_swelling("18.1 um", lithiated_um="41.8 um").results
    assert ji["lithiation_thickness_change_percent"] == pytest.approx(130.9, abs=0.05)
    with pytest.raises(InputError):
        analyze_swelling(0.0, 10.0)
