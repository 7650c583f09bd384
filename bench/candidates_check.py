"""Does the lazy search of large candidate tables propose what the exhaustive search proposes?

    .venv/bin/python bench/candidates_check.py 10000 --seeds 0 1 2 3 4 --train 10 40 100
    .venv/bin/python bench/candidates_check.py 100000 --seeds 0 --train 40 --variants plain

Runs ``propose(..., q=4)`` twice on a table of ``bench/candidates_bench.py`` — once with every
untested row scored (``LAZY_ABOVE`` = 10⁹), once with the lazy search forced on (``LAZY_ABOVE``
= 0) — for one objective (qLogNEI: capacity at 500 cycles) and two (qLogNEHVI: + ICE), and
prints one JSON line per case: whether the recipes are the same, both times, the acquisition
values and whether the batch explored another coating level.  Variants: ``plain``; ``pending``
(3 random rows pending); ``constraint`` (``ICE >= 80 %``).  The training recipes are drawn from
the table with the seed, measured by the virtual lab with the same seed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import candidates_bench as cb  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--train", type=int, nargs="+", default=[10, 40, 100])
    parser.add_argument("--objectives", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--variants", nargs="+", default=["plain", "pending", "constraint"])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from anodelab.optimize.objectives import assemble, objectives_from_dict
    from anodelab.optimize.space import load_space
    from anodelab.optimize.virtual_lab import VirtualSiCLab

    module = importlib.import_module("anodelab.optimize.batch")
    candidates = importlib.import_module("anodelab.optimize.candidates")
    _, space_file, _ = cb.files(args.rows)
    space = load_space(space_file)
    for variant in args.variants:
        for n_train in args.train:
            for n_obj in args.objectives:
                spec: dict = {"objectives": [cb.OBJ_CAPACITY, cb.OBJ_ICE][:n_obj]}
                if variant == "constraint":
                    spec["outcome_constraints"] = ["ICE >= 80 %"]
                objectives = objectives_from_dict(spec)
                for seed in args.seeds:
                    rng = np.random.default_rng(seed)
                    rows = np.sort(rng.choice(args.rows, n_train, replace=False))
                    recipes = space.candidates.iloc[rows].copy()
                    recipes["sample"] = [f"vl-{i}" for i in range(n_train)]
                    recipes["source"] = "virtual-lab"
                    lab = VirtualSiCLab(noise=True, random_state=seed)
                    measured = lab.measure(recipes, list(recipes["sample"]))
                    training = assemble(recipes, measured.drop(columns=["source"]),
                                        objectives.outcomes(), space.features())  # fmt: skip
                    pending = None
                    if variant == "pending":
                        pending = space.candidates.sample(3, random_state=seed + 100)
                    out = {}
                    for label, above in (("exhaustive", 10**9), ("lazy", 0)):
                        candidates.LAZY_ABOVE = above
                        t0 = time.perf_counter()
                        result = module.propose(
                            space, objectives, training, q=4, seed=seed, pending=pending
                        )
                        out[label] = (
                            [p.parameters for p in result.proposals],
                            [p.acquisition_value for p in result.proposals],
                            time.perf_counter() - t0,
                            result.message,
                        )
                    print(json.dumps({
                        "rows": args.rows, "objectives": n_obj, "seed": seed, "train": n_train,
                        "variant": variant, "same": out["exhaustive"][0] == out["lazy"][0],
                        "s_exhaustive": round(out["exhaustive"][2], 2),
                        "s_lazy": round(out["lazy"][2], 2),
                        "acquisition": out["exhaustive"][1], "acquisition_lazy": out["lazy"][1],
                        "explored": "exploring" in out["exhaustive"][3],
                    }), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
