"""Sample-efficiency benchmark: experiments until a result within 5 % of the optimum.

    .venv/bin/python bench/optimization/run.py --problems olymp_suzuki branin \\
        --strategies anodelab random sobol baybe ax --seeds 10 --out results.csv

Protocol: every strategy from its own first experiment — its own cold start (anodelab's maximin
design, BayBE's and Ax's initial recommenders), counted — in batches of ``--batch`` (4) until a
result reaches
``worst + 0.95 (optimum − worst)`` or the budget (90 experiments) is spent.  With a noisy
problem (the virtual lab) the optimiser sees noisy values, drawn from the run's seed, and the
level is checked on the noise-free truth.  Lookup tables: proposals come from the not-yet-tested rows.

Strategies: ``anodelab`` (this package), ``random``, ``sobol`` (scrambled Sobol; on a lookup
table the same as random), ``baybe`` / ``ax`` (``peers.py`` in ``/work/venv-bench`` over a
JSON-lines pipe; Ax only on continuous problems and full-factorial tables).  ``--transfer
related|unrelated`` gives anodelab 30 measurements of a second source as a multi-task prior
(virtual lab only).  ``--model kernel=rbf,categorical_encoding=hamming`` and ``--acquisition
qLogEI`` run anodelab with other surrogate / acquisition choices (the strategy is then named
e.g. ``anodelab[kernel=rbf]``); ``--no-level-exploration`` turns off the exploration of other
categorical levels once the campaign has converged (``anodelab[no-level-exploration]``).
``--shared-start`` restores the former protocol (as BayBE's convergence benchmarks: 5 random
initial experiments, the same for every strategy of a seed, counted, then the batches).
One line per run, appended to ``--out``.  Random search's exact
expectation on a table with N rows of which k reach the level is (N+1)/(k+1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from problems import PROBLEMS, Problem  # noqa: E402

from anodelab.optimize.batch import propose  # noqa: E402
from anodelab.optimize.design import batch_seed  # noqa: E402
from anodelab.optimize.objectives import Assembled  # noqa: E402
from anodelab.optimize.space import Space  # noqa: E402

warnings.filterwarnings("ignore")
PEER_PYTHON = os.environ.get("PEER_PYTHON", "/work/venv-bench/bin/python")
PEER_ENV = {
    **os.environ,
    "TORCH_EXTENSIONS_DIR": str(Path.home() / ".cache/torch_extensions/venv-bench"),
    "OMP_NUM_THREADS": os.environ.get("PEER_THREADS", "1"),
}


def level(p: Problem) -> float:
    return p.worst + 0.95 * (p.optimum - p.worst)


class Peer:
    """A BayBE/Ax session in the benchmark venv (see ``peers.py``)."""

    def __init__(
        self, tool: str, space: Space, seed: int, targets: tuple[str, ...] = ("y",)
    ) -> None:
        params = []
        for q in space.free:
            params.append({"name": q.name, "kind": q.kind, "lower": q.lower, "upper": q.upper,
                           "values": list(q.values) if q.values else None})  # fmt: skip
        cand = None if space.candidates is None else space.candidates.to_dict("records")
        constraints = [{"coefficients": c.coefficients, "rhs": c.rhs} for c in space.constraints]
        problem = {"parameters": params, "candidates": cand, "constraints": constraints,
                   "targets": list(targets)}  # fmt: skip
        self.file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(problem, self.file)
        self.file.close()
        script = str(Path(__file__).parent / "peers.py")
        self.proc = subprocess.Popen(
            [PEER_PYTHON, script, tool, self.file.name, str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(os.environ.get("PEER_LOG", os.devnull), "a"),
            text=True,
            env=PEER_ENV,
        )

    def ask(self, rows: pd.DataFrame, y: np.ndarray, q: int) -> pd.DataFrame:
        """The next ``q`` rows, given the new measurements ``y`` (one value, or one row of values
        per target, for each of ``rows``)."""
        msg = {"rows": rows.to_dict("records"), "y": np.asarray(y, float).tolist(), "q": q}
        self.proc.stdin.write(json.dumps(msg, default=float) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("peer process ended without an answer")
        return pd.DataFrame(json.loads(line)["rows"])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        os.unlink(self.file.name)


def _related(p: Problem, kind: str, seed: int) -> pd.DataFrame:
    """30 measurements from another source: the same lab shifted a little, or an unrelated one."""
    X = p.space.sample(30, seed=10_000 + seed)
    y = p.related(X, kind)
    return X.assign(y=y, sample=[f"r{i}" for i in range(len(X))], source="literature")


def run_one(p: Problem, strategy: str, seed: int, budget: int = 90, batch: int = 4,
            opt_budget: str = "default", transfer: str | None = None,
            model_options: dict | None = None, acquisition: str | None = None,
            explore_levels: bool = True, shared_start: bool = False) -> dict:  # fmt: skip
    rng = np.random.default_rng(seed)
    p.start(seed)
    names = p.space.names
    if shared_start:  # the former protocol: 5 random recipes, the same for every strategy
        tried = p.space.sample(5, seed=seed)
    else:  # every strategy from its own first experiment (its cold start counted)
        tried = p.space.sample(1, seed=seed).iloc[:0]
    y = p.evaluate(tried) if len(tried) else np.zeros(0)
    score = p.score(tried) if len(tried) else np.zeros(0)
    start = len(tried)
    sobol = p.space.sample(budget + 5, seed=seed + 1) if strategy == "sobol" else None
    peer = Peer(strategy, p.space, seed) if strategy in ("baybe", "ax") else None
    fresh = tried
    prior = _related(p, transfer, seed) if transfer else None
    t0 = time.time()
    try:
        while len(tried) < budget and (not len(score) or score.max() < level(p)):
            if strategy == "random" or (strategy == "sobol" and p.space.candidates is not None):
                if p.space.candidates is not None:
                    pool = p.space.candidates
                    key = pool[names].astype(str).agg("|".join, axis=1)
                    done = set(tried[names].astype(str).agg("|".join, axis=1))
                    pool = pool[~key.isin(done)]
                    new = pool.iloc[rng.choice(len(pool), batch, replace=False)]
                else:
                    new = p.space.from_unit(rng.random((batch, len(p.space.free))))
            elif strategy == "sobol":
                new = sobol.iloc[len(tried) - start : len(tried) - start + batch]
            elif peer is not None:
                new = peer.ask(fresh[names], y[len(y) - len(fresh) :], batch)
            else:
                own = tried.assign(y=y, sample=[f"s{i}" for i in range(len(tried))], source="lab")
                table = own if prior is None else pd.concat([own, prior], ignore_index=True)
                res = propose(p.space, p.objectives, Assembled({"y": table}), q=batch,
                              seed=batch_seed(seed, len(tried) // batch), budget=opt_budget,
                              transfer=prior is not None, target_source="lab",
                              model_options=model_options, acquisition=acquisition,
                              explore_levels=explore_levels)  # fmt: skip
                new = res.table()
            new = new[names].reset_index(drop=True)
            fresh = new
            tried = pd.concat([tried, new], ignore_index=True)
            y = np.concatenate([y, p.evaluate(new)])
            score = np.concatenate([score, p.score(new)])
    finally:
        if peer is not None:
            peer.close()
    hits = np.flatnonzero(score >= level(p))
    n = int(hits[0]) + 1 if len(hits) else None
    frac = float((score.max() - p.worst) / (p.optimum - p.worst))
    name = strategy + (f"+{transfer}" if transfer else "")
    if strategy == "anodelab" and (model_options or acquisition or not explore_levels):
        chosen = [f"{k}={v}" for k, v in (model_options or {}).items()]
        chosen += [f"acquisition={acquisition}"] if acquisition else []
        chosen += [] if explore_levels else ["no-level-exploration"]
        name += "[" + ",".join(chosen) + "]"
    trace = np.maximum.accumulate((score - p.worst) / (p.optimum - p.worst))
    return {"problem": p.name, "strategy": name, "seed": seed, "batch": batch, "experiments_to_95": n,
            "best_fraction": round(frac, 4), "seconds": round(time.time() - t0, 1),
            "trace": [round(float(v), 4) for v in trace]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    ap.add_argument("--strategies", nargs="+", default=["anodelab", "random", "sobol"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--budget", type=int, default=90)
    ap.add_argument("--opt-budget", default="default")
    ap.add_argument("--transfer", choices=["related", "unrelated"], default=None)
    ap.add_argument(
        "--model",
        default="",
        help="GPSurrogate options, e.g. kernel=rbf,categorical_encoding=hamming",
    )
    ap.add_argument("--acquisition", default=None, help="e.g. qLogEI (default: qLogNEI)")
    ap.add_argument(
        "--no-level-exploration",
        action="store_true",
        help="pure expected improvement: no exploration of other categorical levels at convergence",
    )
    ap.add_argument(
        "--shared-start",
        action="store_true",
        help="the former protocol: 5 random recipes for every strategy before its own batches",
    )
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("bench/optimization/results.csv"))
    args = ap.parse_args()
    for name in args.problems:
        p = PROBLEMS[name]()
        for strategy in args.strategies:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                options = dict(kv.split("=", 1) for kv in args.model.split(",") if kv)
                r = run_one(p, strategy, seed, args.budget, opt_budget=args.opt_budget,
                            transfer=args.transfer, model_options=options or None,
                            acquisition=args.acquisition,
                            explore_levels=not args.no_level_exploration,
                            shared_start=args.shared_start, batch=args.batch)  # fmt: skip
                trace = r.pop("trace")
                print(r, flush=True)
                with open(args.out.with_suffix(".traces.jsonl"), "a") as fh:
                    fh.write(json.dumps({**r, "trace": trace}) + "\n")
                pd.DataFrame([r]).to_csv(
                    args.out, mode="a", header=not args.out.exists(), index=False
                )


if __name__ == "__main__":
    main()
