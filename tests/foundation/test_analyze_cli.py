"""`anodelab analyze` for every kind: the documented JSON keys and a figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anodelab.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPECTRA = ROOT / "tests" / "echem_spectra" / "data"
CASES = [
    (
        "cycling",
        [ROOT / "examples" / "cycling_half_cell.csv"],
        ["--mass", "1.2mg"],
        ["cycles", "summary"],
    ),
    ("rate", [ROOT / "examples" / "cycling_half_cell.csv"], ["--mass", "1.2mg"], ["steps"]),
    (
        "dqdv",
        [ROOT / "examples" / "cycling_half_cell.csv"],
        ["--mass", "1.2mg"],
        ["peaks", "peak_shift"],
    ),
    (
        "eis",
        [ROOT / "examples" / "eis_spectrum.csv"],
        [],
        ["circuit", "parameters", "kramers_kronig"],
    ),
    (
        "gitt",
        [SPECTRA / "gitt_short_d1e-14.csv"],
        ["--particle-radius", "5.86um"],
        ["pulses", "summary"],
    ),
    ("cv", [SPECTRA / "cv_reversible.csv"], [], ["peaks", "randles_sevcik", "dunn", "b_value"]),
]


@pytest.mark.parametrize(("kind", "files", "options", "keys"), CASES, ids=[c[0] for c in CASES])
def test_analyze_every_kind(kind, files, options, keys, tmp_path: Path, capsys) -> None:
    plot = tmp_path / f"{kind}.png"
    code = main(
        ["analyze", *map(str, files), "--kind", kind, *options, "--json", "--plot", str(plot)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    doc = json.loads(out)
    assert {"kind", "file", "analyzer", "version", "options", "warnings", "results"} <= set(doc)
    assert doc["kind"] == kind and set(keys) <= set(doc["results"])
    assert plot.stat().st_size > 5_000


def test_gitt_result_is_the_true_diffusivity(capsys) -> None:
    main(
        [
            "analyze",
            str(SPECTRA / "gitt_short_d1e-14.csv"),
            "--kind",
            "gitt",
            "--particle-radius",
            "5.86um",
            "--json",
        ]
    )
    d = json.loads(capsys.readouterr().out)["results"]["summary"]["diffusion_coefficient_cm2_per_s"]
    assert d == pytest.approx(1e-10, rel=0.15)  # PyBaMM's particle diffusivity, 1e-14 m² s⁻¹


def test_bad_option_unit_is_a_clear_error(capsys) -> None:
    code = main(
        [
            "analyze",
            str(ROOT / "examples" / "cycling_half_cell.csv"),
            "--kind",
            "cycling",
            "--mass",
            "1.2cm",
        ]
    )
    assert code == 1
    assert "--mass" in capsys.readouterr().err
