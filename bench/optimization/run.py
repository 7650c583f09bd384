"""Sample-efficiency benchmark: experiments until a result within 5 % of the optimum.

``python bench/optimization/run.py --problems direct_arylation olymp_suzuki --seeds 10 --out results.csv``

Protocol (as BayBE's convergence benchmarks): 5 random initial experiments (counted), then
batches of 4 until a result reaches ``worst + 0.95 (optimum − worst)`` or the budget (90
experiments) is spent.  Lookup tables: proposals are drawn from the not-yet-tested rows.
Strategies: ``anodelab`` (this package, default budget), ``random``.  Prints one line per run
and appends them to ``--out``.  Random search's exact expectation on a table with N rows of which
k reach the level is (N+1)/(k+1).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from problems import PROBLEMS, Problem  # noqa: E402

from anodelab.optimize.objectives import Assembled  # noqa: E402
from anodelab.optimize.propose import propose  # noqa: E402

warnings.filterwarnings("ignore")


def level(p: Problem) -> float:
    return p.worst + 0.95 * (p.optimum - p.worst)


def run_one(
    p: Problem,
    strategy: str,
    seed: int,
    budget: int = 90,
    batch: int = 4,
    opt_budget: str = "default",
) -> dict:
    rng = np.random.default_rng(seed)
    names = p.space.names
    tried = p.space.sample(5, seed=seed)
    y = p.evaluate(tried)
    t0 = time.time()
    while len(tried) < budget and y.max() < level(p):
        if strategy == "random":
            if p.space.candidates is not None:
                pool = p.space.candidates
                key = pool[names].astype(str).agg("|".join, axis=1)
                done = set(tried[names].astype(str).agg("|".join, axis=1))
                pool = pool[~key.isin(done)]
                new = pool.iloc[rng.choice(len(pool), batch, replace=False)]
            else:
                new = p.space.from_unit(rng.random((batch, len(p.space.free))))
        else:
            table = tried.assign(y=y, sample=[f"s{i}" for i in range(len(tried))], source="bench")
            res = propose(
                p.space,
                p.objectives,
                Assembled({"y": table}),
                q=batch,
                seed=seed + len(tried),
                budget=opt_budget,
            )
            new = res.table()
        tried = pd.concat([tried, new[names]], ignore_index=True)
        y = np.concatenate([y, p.evaluate(new)])
    hits = np.flatnonzero(y >= level(p))
    n = int(hits[0]) + 1 if len(hits) else None
    return {"problem": p.name, "strategy": strategy, "seed": seed, "experiments_to_95": n,
            "best_fraction": float((y.max() - p.worst) / (p.optimum - p.worst)), "seconds": round(time.time() - t0, 1)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    ap.add_argument("--strategies", nargs="+", default=["anodelab", "random"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=90)
    ap.add_argument("--opt-budget", default="default")
    ap.add_argument("--out", type=Path, default=Path("bench/optimization/results.csv"))
    args = ap.parse_args()
    for name in args.problems:
        p = PROBLEMS[name]()
        for strategy in args.strategies:
            for seed in range(args.seeds):
                r = run_one(p, strategy, seed, args.budget, opt_budget=args.opt_budget)
                print(r, flush=True)
                pd.DataFrame([r]).to_csv(
                    args.out, mode="a", header=not args.out.exists(), index=False
                )


if __name__ == "__main__":
    main()
