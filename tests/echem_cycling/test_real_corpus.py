"""The corpus of real public cycler files (issue 16 item 1): each analyzes with no option but the
cell convention and matches the vendor's own capacity columns cycle by cycle.

``data/real/corpus.json`` lists every file with its origin, licence and how its truth is read;
``data/real/corpus_truth.json`` holds the vendor's half-cycles, written by
``data/real/make_corpus_truth.py`` with plain pandas / NewareNDA / galvani / mdb-export (nothing of
anodelab; the .mpr truth comes from galvani, the file is read here by anodelab's own parser).  Every cycle anodelab reports must hold the truth half-cycles that end inside it:
capacities within 0.5 %, Coulombic efficiency within 0.2 points.  Files the analyzer cannot use
must give a one-sentence refusal naming the file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from anodelab.echem.cycling import analyze_cycling, cycle_summary
from anodelab.ingest.readers import read_cycler
from anodelab.ingest.readers.streaming import summarize_cycler_file
from anodelab.schema.errors import InputError

REAL = Path(__file__).parent / "data" / "real"
MANIFEST = json.loads((REAL / "corpus.json").read_text())["files"]
TRUTH: dict[str, list[dict[str, float]]] = json.loads((REAL / "corpus_truth.json").read_text())
CAPACITY_RTOL = 0.005
CE_POINTS = 0.2
#: vendor counters tick at step changes with no current (Arbin adds ~2e-5 Ah to both columns):
#: half-cycles below 0.1 % of the file's largest are below the resolution claimed
BLIP_FRACTION = 1e-3


def _available(entry: dict[str, Any]) -> str | None:
    """Why the file cannot be read on this machine (an optional reader is missing), or None."""
    if entry["file"].endswith(".res") and shutil.which("mdb-export") is None:
        return "mdbtools is not installed"
    return None


def test_corpus_covers_twenty_files_from_six_families() -> None:
    assert len(MANIFEST) >= 20
    assert len({entry["family"] for entry in MANIFEST}) >= 6
    for entry in MANIFEST:
        assert (REAL / entry["file"]).is_file(), entry["file"]
        assert entry["licence"] and entry["source"], entry["file"]
        assert "GPL" not in entry["licence"], entry["file"]


def _truth_per_cycle(
    truth: list[dict[str, float]], starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Truth charge / discharge (mAh) summed into the reported cycles by the half-cycles' middles.

    Half-cycles ending before the first reported cycle are the pre-cycle (cycle 0) and counted.
    """
    ch = np.zeros(starts.size)
    dis = np.zeros(starts.size)
    before = 0
    for half in truth:
        middle = 0.5 * (half["start_time_s"] + half["end_time_s"])
        where = int(np.searchsorted(starts, middle, side="right")) - 1
        if where < 0:
            before += 1
            continue
        (ch if half["sign"] > 0 else dis)[where] += half["capacity_mAh"]
    return ch, dis, before


CASES = [e for e in MANIFEST if e["file"] in TRUTH or e.get("expect") == "refusal"]


@pytest.mark.parametrize("entry", CASES, ids=[e["file"] for e in CASES])
def test_real_file_matches_the_vendor_capacities_cycle_by_cycle(entry: dict[str, Any]) -> None:
    missing = _available(entry)
    if missing:
        pytest.skip(missing)
    path = REAL / entry["file"]
    cell = entry["cell"]
    if entry.get("expect") == "refusal":
        with pytest.raises(InputError) as err:
            analyze_cycling(read_cycler(path, cell=cell), cell=cell)
        assert entry["file"] in str(err.value) and "\n" not in str(err.value)
        return
    frame = read_cycler(path, cell=cell)
    result = analyze_cycling(frame, cell=cell)
    table = cycle_summary(frame, cell=cell)
    truth = TRUTH[entry["file"]]
    ch, dis, before = _truth_per_cycle(truth, table["start_time_second"].to_numpy())
    if before:
        assert any("cycle 0" in w for w in result.warnings), result.warnings
    cycles = result.results["cycles"]
    assert [c["cycle"] for c in cycles] == table["cycle"].tolist()
    ours_ch = np.array([c["charge_capacity_mAh"] for c in cycles])
    ours_dis = np.array([c["discharge_capacity_mAh"] for c in cycles])
    scale = max(ch.max(initial=0.0), dis.max(initial=0.0))
    np.testing.assert_allclose(ours_ch, ch, rtol=CAPACITY_RTOL, atol=BLIP_FRACTION * scale)
    np.testing.assert_allclose(ours_dis, dis, rtol=CAPACITY_RTOL, atol=BLIP_FRACTION * scale)
    lead_is_charge = cell != "anode-half"
    first, second = (ch, dis) if lead_is_charge else (dis, ch)
    for item, q1, q2 in zip(cycles, first, second, strict=True):
        if item["coulombic_efficiency_percent"] is not None:
            assert item["coulombic_efficiency_percent"] == pytest.approx(
                100.0 * q2 / q1, abs=CE_POINTS
            ), item["cycle"]


@pytest.mark.parametrize("entry", CASES, ids=[e["file"] for e in CASES])
def test_the_cli_route_gives_the_same_cycles(entry: dict[str, Any]) -> None:
    """``anodelab analyze`` goes through the streaming summary (or its full-reader fallback)."""
    missing = _available(entry)
    if missing or entry.get("expect") == "refusal":
        pytest.skip(missing or "refused file")
    path = REAL / entry["file"]
    cell = entry["cell"]
    full = analyze_cycling(read_cycler(path, cell=cell), cell=cell).results["cycles"]
    streamed = summarize_cycler_file(path, cell=cell).results["cycles"]
    assert [c["cycle"] for c in streamed] == [c["cycle"] for c in full]
    for key in ("charge_capacity_mAh", "discharge_capacity_mAh"):
        np.testing.assert_allclose(
            [c[key] for c in streamed], [c[key] for c in full], rtol=1e-9, atol=1e-12
        )
    assert [c["complete"] for c in streamed] == [c["complete"] for c in full]
