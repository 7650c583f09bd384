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


def test_best_after_reads_the_trace_at_n_and_keeps_a_reached_level():
    assert summarize.best_after([0.1, 0.5, 0.7, 0.8], 3) == 0.7
    # stopped at the level before n: stays there
    assert summarize.best_after([0.5, 0.96], 29) == 0.96
    # stopped below the level before n (a smaller budget): no value at n
    assert summarize.best_after([0.5, 0.9], 29) is None


def test_fraction_after_compares_strategies_at_equal_experiment_counts():
    traces = pd.DataFrame(
        {
            "problem": "p",
            "strategy": ["a", "a", "a", "b", "b"],
            "seed": [0, 1, 2, 0, 1],
            "trace": [[0.2, 0.6, 0.9], [0.3, 0.97], [0.1, 0.4, 0.5], [0.2, 0.5, 0.8], [0.4]],
        }
    )
    rows = {
        line.split("|")[2].strip(): [c.strip() for c in line.strip("|").split("|")]
        for line in summarize.fraction_after(traces, 3).splitlines()[2:]
    }
    assert rows["a"][2:] == ["3", "0.900", "0.500–0.970", "1/3"]
    # strategy b's seed 1 stopped at 1 experiment below the level: left out
    assert rows["b"][2:] == ["1", "0.800", "0.800–0.800", "0/1"]


def test_a_smaller_budget_in_the_strategy_name_sets_what_a_miss_means():
    assert summarize.run_budget("baybe (budget 29)") == 29
    assert summarize.run_budget("anodelab[no-level-exploration]") == 90
    runs = _runs("baybe (budget 29)", [None, 20, None])
    line = [x for x in summarize.table([runs]).splitlines() if "budget 29" in x][0]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[3] == "> 29" and cells[5] == "1/3"
