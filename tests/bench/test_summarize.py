"""The benchmark summary's peer comparison (bench/optimization/summarize.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "optimization"))
import summarize  # noqa: E402  (bench/ is scripts, not a package)


def _runs(strategy: str, counts: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "problem": "p",
            "strategy": strategy,
            "seed": range(len(counts)),
            "experiments_to_95": counts,
            "best_fraction": 1.0,
            "seconds": 1.0,
        }
    )


def _row(text: str) -> list[str]:
    line = [x for x in text.splitlines() if x.startswith("| p | baybe")][0]
    return [c.strip() for c in line.strip("|").split("|")]


def test_paired_view_counts_wins_and_failed_runs_rank_last():
    ours = _runs("anodelab", [10, 12, 30, 20, 8, 40])
    # seed 2: the peer never reached the level (None → ranked as budget + 1 = 91)
    theirs = _runs("baybe", [14, 12, None, 18, 9, 50])
    row = _row(summarize.versus_peers([ours, theirs]))
    # differences: −4, 0, −61, +2, −1, −10 → median −2.5; won 4, lost 1 (one tie)
    assert row[2] == "6"
    assert row[6] == "-2.5"
    assert row[7] == "4 / 1"
    from scipy.stats import wilcoxon

    expected = wilcoxon([-4, 0, -61, 2, -1, -10]).pvalue
    assert float(row[8]) == pytest.approx(expected, abs=0.006)


def test_identical_runs_give_no_difference():
    counts = [10, 12, 30, 20, 8]
    row = _row(summarize.versus_peers([_runs("anodelab", counts), _runs("baybe", counts)]))
    assert row[6] == "+0" and row[7] == "0 / 0" and row[8] == "1.00"
