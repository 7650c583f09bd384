"""Tables and convergence figures from the benchmark CSVs (``run.py`` output).

    .venv/bin/python bench/optimization/summarize.py bench/optimization/results/*.csv

Prints a Markdown table per problem × strategy: seeds, median experiments to the 95 % level
(runs that did not reach it within the budget count as > budget) and its quartiles (observed
values, never interpolated), seeds reaching it within 90
experiments, median seconds per run.  Writes ``docs/figures/optimization-<problem>.png``: median
and inter-quartile band of the best-so-far fraction of the optimum vs experiments (from the
``*.traces.jsonl`` files written next to the CSVs).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FIGURES = Path(__file__).resolve().parents[2] / "docs" / "figures"


def run_budget(strategy: str, default: int = 90) -> int:
    """The experiment budget of a strategy's runs: ``default`` unless its name says
    ``(budget N)`` (``multi.py`` names runs of a smaller budget so)."""
    found = re.search(r"\(budget (\d+)\)", strategy)
    return int(found.group(1)) if found else default


def table(frames: list[pd.DataFrame], default: int = 90) -> str:
    df = pd.concat(frames, ignore_index=True).drop_duplicates(["problem", "strategy", "seed"])
    lines = ["| problem | strategy | seeds | median experiments to 95 % | quartiles | reached within the budget (90) | median s/run |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for (problem, strategy), g in df.groupby(["problem", "strategy"], sort=False):
        budget = run_budget(strategy, default)
        n = pd.to_numeric(g["experiments_to_95"], errors="coerce").fillna(np.inf).to_numpy()
        med = np.median(n)
        text = f"> {budget}" if not np.isfinite(med) else f"{med:g}"
        reached = int(np.sum(n <= budget))
        q1, q3 = (np.quantile(n, q, method="lower" if q < 0.5 else "higher") for q in (0.25, 0.75))
        quartiles = "–".join(f"> {budget}" if not np.isfinite(v) else f"{v:g}" for v in (q1, q3))
        lines.append(f"| {problem} | {strategy} | {len(g)} | {text} | {quartiles} | {reached}/{len(g)} | "
                     f"{np.median(g['seconds']):.1f} |")  # fmt: skip
    return "\n".join(lines)


def versus_peers(frames: list[pd.DataFrame], ours: str = "anodelab", budget: int = 90) -> str:
    """anodelab against each peer on the seeds both ran: medians, a two-sided Mann–Whitney U test
    of the experiment counts (runs that missed the level rank last), and — because both start a
    seed from the same 5 initial experiments — the paired view: the median of the per-seed
    differences (anodelab − peer; negative = anodelab needed fewer), how many seeds each side
    won, and a two-sided Wilcoxon signed-rank test of those differences (ties dropped), so that a
    difference of a few experiments can be told from seed-to-seed scatter."""
    from scipy.stats import mannwhitneyu, wilcoxon

    df = pd.concat(frames, ignore_index=True).drop_duplicates(["problem", "strategy", "seed"])
    lines = ["| problem | peer | seeds | anodelab median | peer median | p (Mann–Whitney) "
             "| median paired difference | seeds won / lost | p (Wilcoxon, paired) |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for problem, g in df.groupby("problem", sort=False):
        mine = g[g["strategy"] == ours].set_index("seed")["experiments_to_95"]
        for peer in ("baybe", "ax"):
            theirs = g[g["strategy"] == peer].set_index("seed")["experiments_to_95"]
            seeds = mine.index.intersection(theirs.index)
            if len(seeds) < 5:
                continue
            a, b = (pd.to_numeric(x[seeds], errors="coerce").fillna(budget + 1).to_numpy() for x in (mine, theirs))  # fmt: skip
            med = [f"> {budget}" if m > budget else f"{m:g}" for m in (np.median(a), np.median(b))]
            p = mannwhitneyu(a, b, alternative="two-sided").pvalue
            diff = a - b
            paired = wilcoxon(diff).pvalue if np.any(diff != 0) else 1.0
            lines.append(f"| {problem} | {peer} | {len(seeds)} | {med[0]} | {med[1]} | {p:.2f} "
                         f"| {np.median(diff):+g} | {int(np.sum(diff < 0))} / {int(np.sum(diff > 0))} "
                         f"| {paired:.2f} |")  # fmt: skip
    return "\n".join(lines)


def load_traces(trace_files: list[Path]) -> pd.DataFrame:
    """One row per problem × strategy × seed (the last line written wins)."""
    rows = [json.loads(line) for f in trace_files for line in f.read_text().splitlines() if line]
    if not rows:
        return pd.DataFrame(columns=["problem", "strategy", "seed", "trace"])
    return pd.DataFrame(rows).drop_duplicates(["problem", "strategy", "seed"], keep="last")


def best_after(trace: list[float], n: int) -> float | None:
    """Best-so-far fraction after ``n`` experiments; a run that stopped earlier at the level keeps
    its last value, a run stopped by a smaller budget before ``n`` has none (``None``)."""
    if len(trace) >= n:
        return float(trace[n - 1])
    return float(trace[-1]) if trace and trace[-1] >= 0.95 else None


def fraction_after(traces: pd.DataFrame, n: int) -> str:
    """Per problem × strategy: the best-so-far fraction of the optimum (of the true hypervolume for
    two objectives) after ``n`` experiments — median, range, seeds at the 95 % level — for runs
    whose budget was smaller than the usual 90 (the two-objective peers) to be compared at equal
    experiment counts with the others.  Runs that ended before ``n`` below the level are left out."""
    lines = [f"| problem | strategy | seeds | median best fraction after {n} | range | at 95 % by {n} |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for (problem, strategy), g in traces.groupby(["problem", "strategy"], sort=False):
        values = np.array([v for v in (best_after(t, n) for t in g["trace"]) if v is not None])
        if not len(values):
            continue
        lines.append(f"| {problem} | {strategy} | {len(values)} | {np.median(values):.3f} | "
                     f"{values.min():.3f}–{values.max():.3f} | {int(np.sum(values >= 0.95))}/{len(values)} |")  # fmt: skip
    return "\n".join(lines)


def figures(trace_files: list[Path], budget: int = 90) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = load_traces(trace_files)
    if df.empty:
        return []
    FIGURES.mkdir(parents=True, exist_ok=True)
    out = []
    for problem, g in df.groupby("problem"):
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        for strategy, h in g.groupby("strategy"):
            curves = np.full((len(h), budget), np.nan)
            own_budget = run_budget(strategy, budget)
            for i, trace in enumerate(h["trace"]):
                t = np.asarray(trace[:budget], dtype=float)
                curves[i, : len(t)] = t
                if len(t) < own_budget:  # stopped after reaching the level: stays there
                    curves[i, len(t) : own_budget] = t[-1]
            x = np.arange(1, budget + 1)
            med = np.median(curves, axis=0)
            ax.plot(x, med, label=f"{strategy} (n={len(h)})")
            lo, hi = np.percentile(curves, [25, 75], axis=0)
            ax.fill_between(x, lo, hi, alpha=0.15)
        ax.axhline(0.95, color="k", lw=0.8, ls="--")
        ax.set_xlabel("experiments (5 random initial + batches of 4)")
        ax.set_ylabel(
            "best so far: fraction of optimum range\n(of true hypervolume for 2 objectives)",
            fontsize=8,
        )
        ax.set_ylim(max(0.0, float(np.nanmin(ax.get_ylim()[0]))), 1.01)
        ax.set_title(problem)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        path = (
            FIGURES / f"optimization-{re.sub(r'[^a-z0-9]+', '-', problem.lower()).strip('-')}.png"
        )
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out.append(path)
    return out


if __name__ == "__main__":
    csvs = [Path(p) for p in sys.argv[1:]]
    frames = [pd.read_csv(p) for p in csvs if p.exists()]
    sys.stdout.write(table(frames) + "\n\n" + versus_peers(frames) + "\n")
    traces = [
        p.with_suffix(".traces.jsonl") for p in csvs if p.with_suffix(".traces.jsonl").exists()
    ]
    # 5 initial + 6 batches of 4: the budget of the peers' two-objective runs
    after = int(os.environ.get("AFTER", "29"))
    sys.stdout.write("\n" + fraction_after(load_traces(traces), after) + "\n")
    for path in figures(traces):
        sys.stdout.write(f"figure: {path}\n")
