"""Scan rate from |dE/dt| when the file has none: cvsim voltammograms (data/make_cv_fixtures.py,
known D and scan rates) exported with time and no scan-rate column, one file per rate and as one
long file; stated rates that disagree with the data are warned about."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from anodelab.cli import app
from anodelab.echem.cv import analyze_cv
from anodelab.echem.cv_rate import find_sweeps, sweep_scan_rates
from anodelab.ingest.readers.spectra import read_cv
from anodelab.schema.errors import InputError

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "cv_truth.json").read_text())
RATES = TRUTH["scan_rates_mV_per_s"]
PER_FILE = [DATA / "cv_timed" / f"cv_{rate}mVs.txt" for rate in RATES]


def _analyze(data):
    return analyze_cv(
        data,
        area_cm2=TRUTH["area_cm2"],
        concentration_mol_per_cm3=TRUTH["concentration_mol_per_cm3"],
        temperature_K=TRUTH["temperature_K"],
    )


def _assert_matches_truth(result):
    d_true = TRUTH["diffusion_coefficient_cm2_per_s"]
    for side in ("cathodic", "anodic"):
        rs = result.results["randles_sevcik"][side]
        if side == "cathodic":  # forward sweep: Randles–Sevcik holds
            assert rs["diffusion_coefficient_cm2_per_s"] == pytest.approx(d_true, rel=0.10)
        assert result.results["b_value"][side] == pytest.approx(0.5, abs=0.05)
    found = [p["scan_rate_mV_per_s"] for p in result.results["peaks"]]
    np.testing.assert_allclose(found, RATES, rtol=0.01)


def test_one_file_per_scan_rate_without_a_rate_column():
    frames = [read_cv(path) for path in PER_FILE]
    for frame, rate in zip(frames, RATES, strict=True):
        assert "scan_rate_mV_per_s" not in frame.attrs["columns"]
        assert frame.attrs["scan_rate_source"].startswith("|dE/dt|")
        assert frame["scan_rate_mV_per_s"].nunique() == 1
        assert frame["scan_rate_mV_per_s"].iloc[0] == pytest.approx(rate, rel=0.005)
        assert frame.attrs["warnings"] == []
    _assert_matches_truth(_analyze(frames))


def test_long_file_without_a_rate_column_is_split_into_its_scan_rates():
    frame = read_cv(DATA / "cv_timed_long.csv")
    rates = sorted(frame["scan_rate_mV_per_s"].unique())
    np.testing.assert_allclose(rates, RATES, rtol=0.005)
    assert any("5 scan rates" in w for w in frame.attrs["warnings"])
    _assert_matches_truth(_analyze(frame))


def test_cli_takes_the_files_without_scan_rate_options():
    argv = ["analyze", *map(str, PER_FILE), "--kind", "cv", "--json",
            "--area", f"{TRUTH['area_cm2']}cm2", "--concentration", "1e-6mol/cm3"]  # fmt: skip
    out = CliRunner().invoke(app, argv)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    d = doc["results"]["randles_sevcik"]["diffusion_coefficient_cm2_per_s"]
    assert d == pytest.approx(TRUTH["diffusion_coefficient_cm2_per_s"], rel=0.10)


def test_issue_header_with_scan_rate_time_potential_current(tmp_path):
    """The issue's header `Scan Rate (mV/s),Time (s),Potential (V),Current (A)` once failed with
    'no current column' ('(A)' was taken for ZPlot's "Z'(a)")."""
    src = read_cv(PER_FILE[2])
    path = tmp_path / "cv.csv"
    with open(path, "w") as fh:
        fh.write("Scan Rate (mV/s),Time (s),Potential (V),Current (A)\n")
        for t, e, i in src[["time_second", "potential_volt", "current_ampere"]].to_numpy():
            fh.write(f"50,{t:.6g},{e:.4f},{i:.6g}\n")
    frame = read_cv(path)
    assert frame.attrs["columns"]["current_ampere"] == "Current (A)"
    np.testing.assert_allclose(frame["current_ampere"], src["current_ampere"], rtol=1e-5)
    assert set(frame["scan_rate_mV_per_s"]) == {50.0}
    assert frame.attrs["warnings"] == []  # the column agrees with |dE/dt|


def test_a_given_rate_that_disagrees_with_the_data_is_warned_about():
    close = read_cv(PER_FILE[0], scan_rate_mV_per_s=10.3)  # 3 % off: no warning
    assert close.attrs["warnings"] == []
    wrong = read_cv(PER_FILE[0], scan_rate_mV_per_s=20)
    assert set(wrong["scan_rate_mV_per_s"]) == {20.0}  # the user's value is used ...
    (warning,) = wrong.attrs["warnings"]  # ... and the disagreement is said
    assert "20 mV/s" in warning and "10 mV/s" in warning and "differs by 100 %" in warning


def test_rates_survive_quantised_noisy_potential_and_vertex_holds():
    """A real potentiostat steps E in DAC quanta with noise and may hold at a vertex."""
    rng = np.random.default_rng(3)
    rate_V_per_s, dt = 0.005, 0.2
    up = np.arange(0, 0.5, rate_V_per_s * dt)
    hold = np.full(50, up[-1])
    e = np.concatenate([up, hold, up[::-1], up, up[::-1]])
    e = np.round((e + rng.normal(0, 3e-4, e.size)) / 1.5e-4) * 1.5e-4
    t = np.arange(e.size) * dt
    found = sweep_scan_rates(t, e)
    assert found.sweep_rates_mV_per_s.size == 4
    np.testing.assert_allclose(found.sweep_rates_mV_per_s, 5.0, rtol=0.01)
    assert list(np.unique(found.cycle)) == [1, 2]
    assert find_sweeps(e).max() == 3


def test_no_rate_anywhere_is_one_sentence_naming_what_would_help(tmp_path):
    path = tmp_path / "cv.csv"
    src = read_cv(PER_FILE[0])
    src[["potential_volt", "current_ampere"]].rename(
        columns={"potential_volt": "E (V)", "current_ampere": "I (A)"}
    ).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_cv(path)
    text = str(err.value)
    assert str(path) in text and "['E (V)', 'I (A)']" in text and "--scan-rate" in text
    assert "time column" in text and "\n" not in text


def test_time_running_backwards_names_the_row(tmp_path):
    path = tmp_path / "cv.csv"
    src = read_cv(PER_FILE[0])
    t = src["time_second"].to_numpy().copy()
    t[100] = t[99] - 1
    with open(path, "w") as fh:
        fh.write("time/s,Ewe/V,<I>/mA\n")
        for a, e, i in zip(t, src["potential_volt"], src["current_ampere"], strict=True):
            fh.write(f"{a},{e},{i * 1e3}\n")
    with pytest.raises(InputError, match=r"row 100: time goes backwards"):
        read_cv(path)


def test_reader_warnings_reach_the_cli_output():
    out = CliRunner().invoke(
        app, ["analyze", str(PER_FILE[0]), "--kind", "cv", "--scan-rate", "20mV/s"]
    )
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "warning: the scan rate of 20 mV/s from the scan_rate_mV_per_s option" in text


def _eclab_cv(path, frame, stated_mV_per_s, with_time):
    """An EC-Lab CV .mpt layout (header block with the technique's dE/dt, tab separated)."""
    names = (["time/s"] if with_time else []) + ["Ewe/V", "<I>/mA", "cycle number"]
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 8", "", "Cyclic Voltammetry",
             f"dE/dt               {stated_mV_per_s:.3f}", "dE/dt unit          mV/s",
             "", "\t".join(names)]  # fmt: skip
    for t, e, i in frame[["time_second", "potential_volt", "current_ampere"]].to_numpy():
        row = ([f"{t:.6f}"] if with_time else []) + [f"{e:.6f}", f"{i * 1e3:.6e}", "1"]
        lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def test_eclab_header_rate_is_used_without_time_and_checked_with_it(tmp_path):
    src = read_cv(PER_FILE[1])  # 20 mV/s
    no_time = tmp_path / "cv_notime.mpt"
    _eclab_cv(no_time, src, 20.0, with_time=False)
    frame = read_cv(no_time)
    assert frame.attrs["scan_rate_source"] == "the file header"
    assert set(frame["scan_rate_mV_per_s"]) == {20.0}
    timed = tmp_path / "cv_wrong_header.mpt"
    _eclab_cv(timed, src, 50.0, with_time=True)
    frame = read_cv(timed)
    assert frame["scan_rate_mV_per_s"].unique() == pytest.approx([20.0], rel=0.005)
    (warning,) = frame.attrs["warnings"]
    assert "50 mV/s from the file header" in warning
