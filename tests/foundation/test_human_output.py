"""Every command's output for people: no Python repr, no snake_case label on any plot axis.

Runs each command the way a researcher would (no --json) and every figure they can ask for, and
fails on what a person should never have to read: ``{'valid': True, …}``, ``[{'cycle': …}]``,
``np.float64(…)``, ``CPE1_0`` or ``raman_id_ig`` on an axis.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import matplotlib.figure
import pytest

import anodelab
from anodelab.campaign import new_campaign
from anodelab.cli import main
from anodelab.kb import campaigns as store

ROOT = Path(__file__).resolve().parents[2]
SPECTRA = ROOT / "tests" / "echem_spectra" / "data"
CYCLING = str(ROOT / "examples" / "cycling_half_cell.csv")

REPR = re.compile(
    r"\{'|\[\{|\{\"|np\.float64\(|np\.int64\(|array\(\[|Timestamp\(|<[a-zA-Z_.]+ object at"
)
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[A-Z]+\d*_\d\b")  # snake_case, CPE1_0


@pytest.fixture(scope="module")
def kb_path(shipped_kb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("human")) / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    with anodelab.open(path) as kb:
        new_campaign(kb.db, ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="loop")
        cid = store.get_campaign(kb.db, "loop")["id"]
        store.add_proposals(kb.db, cid, [
            {"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0, "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"},
            {"parameters": {"pitch_wt_pct": 15.0, "carbonization_temperature_C": 800.0, "dextrin_g": 1.0, "zif8_g": 0.5}, "strategy": "manual"},
        ])  # fmt: skip
    return path


@pytest.fixture()
def axis_labels(monkeypatch) -> list[str]:
    """Every title and axis label of every figure saved during the test."""
    seen: list[str] = []
    original = matplotlib.figure.Figure.savefig

    def recording(fig, *args, **kwargs):
        for ax in fig.axes:
            seen.extend([ax.get_xlabel(), ax.get_ylabel(), ax.get_title()])
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", recording)
    return seen


def _commands(kb: str, out: Path) -> list[list[str]]:
    return [
        ["samples", "--db", kb],
        ["measurements", "ICE", "--db", kb],
        ["relate", "pitch", "ICE", "--db", kb, "--plot", str(out / "relation.png")],
        ["relate", "T_carb", "discharge_capacity", "--db", kb, "--at", "cycle=1"],
        ["vocabulary", "--kind", "parameter"],
        ["checks", "--db", kb],
        ["imports", "--db", kb],
        ["record", "loop-p1", "ICE=74.5%", "discharge_capacity=1050mAh/g", "--db", kb],
        ["record", "loop-p2", "ICE=71%", "discharge_capacity=1210mAh/g", "--db", kb],
        ["campaign", "show", "loop", "--db", kb, "--plot", str(out / "front.png")],
        ["campaign", "list", "--db", kb],
        ["analyze", CYCLING, "--kind", "cycling", "--mass", "1.2mg", "--plot", str(out / "cycling.png")],
        ["analyze", CYCLING, "--kind", "rate", "--mass", "1.2mg"],
        ["analyze", CYCLING, "--kind", "dqdv", "--mass", "1.2mg", "--plot", str(out / "dqdv.png")],
        ["analyze", str(ROOT / "examples" / "eis_spectrum.csv"), "--kind", "eis", "--plot", str(out / "eis.png")],
        ["analyze", str(SPECTRA / "gitt_short_d1e-14.csv"), "--kind", "gitt", "--particle-radius", "5.86um"],
        ["analyze", str(SPECTRA / "cv_reversible.csv"), "--kind", "cv"],
        ["import-run", CYCLING, "--kind", "cycling", "--mass", "1.2mg", "--sample", "run-1", "--db", kb],
    ]  # fmt: skip


def test_no_command_prints_a_python_repr_or_plots_a_snake_case_label(
    kb_path: Path, tmp_path: Path, capsys, axis_labels: list[str]
) -> None:
    problems = []
    for args in _commands(str(kb_path), tmp_path):
        code = main(args)
        captured = capsys.readouterr()
        text = captured.out + captured.err
        if code != 0:
            problems.append(f"`anodelab {' '.join(args)}` failed: {text[-500:]}")
        for match in REPR.finditer(text):
            problems.append(
                f"`anodelab {args[0]}` printed a repr: …{text[max(0, match.start() - 60) : match.end() + 60]}…"
            )
    for label in axis_labels:
        for match in SNAKE.finditer(label):
            problems.append(f"plot label {label!r} has {match.group(0)!r}")
    assert len(axis_labels) > 10  # the figures were really drawn
    assert not problems, "\n".join(problems)


def test_eis_prints_q_and_n_warburg_sigma_and_a_kk_sentence(capsys) -> None:
    assert main(["analyze", str(ROOT / "examples" / "eis_spectrum.csv"), "--kind", "eis"]) == 0
    out = capsys.readouterr().out
    assert "CPE1_0" not in out and "CPE Q" in out and "CPE n" in out and "F s^(n−1)" in out
    assert "Warburg coefficient σ" in out and "Ω s⁻¹ᐟ²" in out
    assert "Kramers–Kronig: the spectrum is consistent with" in out


def test_dqdv_prints_its_peaks(capsys) -> None:
    assert main(["analyze", CYCLING, "--kind", "dqdv", "--mass", "1.2mg"]) == 0
    out = capsys.readouterr().out
    assert "dQ/dV peaks" in out and "voltage (V)" in out and "Main charge peak" in out


def test_relate_is_sorted_by_x_without_a_repeated_cell_column(kb_path: Path, capsys) -> None:
    assert main(["relate", "pitch", "ICE", "--db", str(kb_path)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "lee2025" in line and "│" in line]
    xs = [float(line.split("│")[3]) for line in rows]
    assert len(xs) >= 6 and xs == sorted(xs)
    assert "half-Si" not in out  # the cell label only repeated the sample's name
    assert "pitch (wt%)" in out


def test_missing_files_are_worded_alike(kb_path: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nothing.csv"
    messages = []
    for args in (["import-table", str(missing), "--db", str(kb_path)],
                 ["analyze", str(missing)],
                 ["campaign", "new", str(tmp_path / "nothing.yaml"), "--db", str(kb_path)]):  # fmt: skip
        assert main(args) == 1
        err = capsys.readouterr().err.strip().splitlines()[-1]  # after any progress line
        messages.append(err.replace(str(tmp_path / "nothing.yaml"), str(missing)))
    assert len(set(messages)) == 1, messages
    assert messages[0] == f"error: file {missing}: file not found"
