"""Fuzzing ``analyze`` and ``import-run``: every kind (cycling, rate, dqdv, gitt, eis, cv) and
every cycler reader (Arbin CSV/XLSX, BioLogic, Maccor, Neware export, unit and delimiter
variants), with mutated files and hostile option values.

Invariant as in test_fuzz_import_table.py; ``import-run`` also leaves the KB untouched when it
refuses, and stores only sound values when it succeeds.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "tests" / "echem_cycling" / "data" / "layouts"
SPECTRA = ROOT / "tests" / "echem_spectra" / "data"
FUZZ = settings.get_profile("fuzz")


def _head(path: Path, lines: int) -> bytes:
    return b"\n".join(path.read_bytes().split(b"\n")[:lines]) + b"\n"


# (kind, file name, its content, options): small valid inputs each kind accepts
CYCLING = _head(ROOT / "examples" / "cycling_half_cell.csv", 500)
CASES = [
    ("cycling", "cycling.csv", CYCLING, ["--mass", "2.1mg"]),
    ("dqdv", "cycling.csv", CYCLING, ["--mass", "2.1mg"]),
    ("rate", "cycling.csv", CYCLING, ["--mass", "2.1mg"]),
    *(
        ("cycling", p.name, p.read_bytes() if p.suffix == ".xlsx" else _head(p, 400), ["--mass", "2mg"])
        for p in sorted(LAYOUTS.iterdir())
        if p.suffix in (".csv", ".tsv", ".txt", ".mpt", ".xlsx")
    ),
    ("gitt", "gitt.csv", (SPECTRA / "gitt_plateau_d1e-14.csv").read_bytes(),
     ["--mass", "2mg", "--particle-radius", "5.86um"]),
    ("eis", "eis.csv", (SPECTRA / "eis_one_arc.csv").read_bytes(), ["--area", "1.13cm2"]),
    ("cv", "cv.csv", _head(SPECTRA / "cv_reversible.csv", 400),
     ["--area", "0.0707cm2", "--concentration", "1e-6mol/cm3"]),
]  # fmt: skip
HOSTILE_OPTIONS = [
    ["--mass", "nan"], ["--mass", "-2mg"], ["--mass", "1e400 g"], ["--mass", "2 kelvin"],
    ["--area", "0cm2"], ["--area", "inf"], ["--temperature", "-5K"], ["--temperature", "25degC"],
    ["--reference-cycle", "0"], ["--reference-cycle", "-3"], ["--reference-cycle", "99999"],
    ["--electrons", "0"], ["--scan-rate", "-1mV/s"], ["--cell", "anode-half"], ["--cell", "nope"],
    ["--preset", "arbin"], ["--preset", "biologic"], ["--preset", "neware-export"],
    ["--preset", "'; DROP TABLE x;--"], ["--circuit", "R0-p(R1,CPE1)"], ["--circuit", "R0-p("],
    ["--keep-inductive"],
]  # fmt: skip


@st.composite
def run_case(draw: st.DrawFn, mutate) -> tuple[str, str, bytes, list[str]]:
    kind, name, content, options = draw(st.sampled_from(CASES), label="case")
    if draw(st.integers(0, 3), label="mutate?") > 0:
        content = draw(mutate(content), label="content")
    if draw(st.booleans(), label="hostile option?"):
        options = options + draw(st.sampled_from(HOSTILE_OPTIONS), label="option")
    return kind, name, content, options


@FUZZ
@given(data=st.data())
def test_analyze(tmp_path: Path, entry_point, mutate, data) -> None:
    kind, name, content, options = data.draw(run_case(mutate))
    path = tmp_path / name
    path.write_bytes(content)
    entry_point("analyze", path, "--kind", kind, *options, names=(name, "--"))


@FUZZ
@given(data=st.data())
def test_import_run(kb: Path, tmp_path: Path, entry_point, mutate, data) -> None:
    kind, name, content, options = data.draw(run_case(mutate))
    path = tmp_path / name
    path.write_bytes(content)
    sample = data.draw(st.sampled_from(["S1", "S2", "'; DROP TABLE samples;--", "Si@C 700 °C"]))
    entry_point(
        "import-run", path, "--kind", kind, *options, "--sample", sample, "--db", kb,
        db=kb, names=(name, "--"),
    )  # fmt: skip
