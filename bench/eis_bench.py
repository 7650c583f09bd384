"""EIS fit benchmark: anodelab (no initial guess) vs impedance.py (hand-made good guesses).

    .venv/bin/python bench/eis_bench.py [--n 50] [--peer-python /work/venv-peers/bin/python]

Generates N spectra of the papers' two-arc circuit R0-p(R1,CPE1)-p(R2-W1,CPE2) (parameters drawn in
ranges typical of Si/C anodes, arcs 1.5–2.5 decades apart, 71 points 100 kHz–10 mHz, 1 % complex
Gaussian noise, fixed seed), fits each with anodelab's ``fit_circuit`` and — in the peer venv,
where ``impedance==1.7.1`` is installed — with impedance.py's ``CustomCircuit.fit`` started from the
true parameters scaled by random factors in [0.7, 1.3] (a good hand-made guess).  Prints median
fit time per spectrum, the time ratio, and the median / 90th-percentile / worst relative error of
R0, R1, R2 and σ for both.  Timings exclude imports; both run in one process each, sequentially.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from anodelab.echem.circuits import parse_circuit
from anodelab.echem.eis import fit_circuit

CIRCUIT = "R0-p(R1,CPE1)-p(R2-W1,CPE2)"
FREQ = np.logspace(5, -2, 71)
PEER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
from impedance.models.circuits import CustomCircuit
warnings.filterwarnings("ignore")
d = np.load(sys.argv[1])
f, Z, truth, guesses = d["f"], d["z"], d["truth"], d["guesses"]
out = []
for z, g in zip(Z, guesses):
    c = CustomCircuit(sys.argv[2], initial_guess=list(g))
    t0 = time.perf_counter()
    c.fit(f, z, weight_by_modulus=True)
    out.append({"time": time.perf_counter() - t0, "params": list(map(float, c.parameters_))})
print(json.dumps(out))
"""


def make_spectra(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    c = parse_circuit(CIRCUIT)
    truth, spectra = [], []
    for _ in range(n):
        r0 = 10 ** rng.uniform(0.3, 1.2)
        r1 = 10 ** rng.uniform(0.8, 1.8)
        a1 = rng.uniform(0.78, 0.92)
        w1 = 10 ** rng.uniform(3.5, 4.5)
        r2 = 10 ** rng.uniform(1.3, 2.5)
        a2 = rng.uniform(0.78, 0.92)
        w2 = w1 / 10 ** rng.uniform(1.5, 2.5)
        sigma = 10 ** rng.uniform(0.8, 1.6)
        p = np.array([r0, r1, 1 / (r1 * w1**a1), a1, r2, sigma, 1 / (r2 * w2**a2), a2])
        z = c.impedance(p, FREQ)
        z = z + 0.01 * np.abs(z) * (
            rng.normal(size=z.size) + 1j * rng.normal(size=z.size)
        ) / np.sqrt(2)
        truth.append(p)
        spectra.append(z)
    guesses = np.array(truth) * rng.uniform(0.7, 1.3, size=(n, 8))
    guesses[:, [3, 7]] = np.clip(guesses[:, [3, 7]], 0.5, 1.0)
    return np.array(truth), np.array(spectra), guesses


def errors(truth: np.ndarray, fitted: np.ndarray) -> dict[str, list[float]]:
    rel = np.abs(fitted / truth - 1.0)
    return {name: rel[:, i].tolist() for i, name in ((0, "R0"), (1, "R1"), (4, "R2"), (5, "W1"))}


def summary(errs: dict[str, list[float]]) -> str:
    parts = []
    for name, e in errs.items():
        e = np.array(e) * 100
        parts.append(f"{name} {np.median(e):.2f}/{np.percentile(e, 90):.2f}/{e.max():.1f} %")
    return "  ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--peer-python", default="/work/venv-peers/bin/python")
    args = ap.parse_args()
    truth, spectra, guesses = make_spectra(args.n)
    fit_circuit(FREQ, spectra[0], CIRCUIT)  # warm-up (imports, caches)
    ours_t, ours_p = [], []
    for z in spectra:
        t0 = time.perf_counter()
        fit = fit_circuit(FREQ, z, CIRCUIT)
        ours_t.append(time.perf_counter() - t0)
        ours_p.append(fit.values)
    ours_err = errors(truth, np.array(ours_p))
    print(f"{args.n} spectra of {CIRCUIT}, 71 points, 1 % noise")
    print(
        f"anodelab (auto guess, multistart): median {np.median(ours_t) * 1e3:.1f} ms/fit, total {sum(ours_t):.2f} s"
    )
    print(f"  rel. error median/p90/max: {summary(ours_err)}")
    peer = Path(args.peer_python)
    if not peer.exists():
        print(f"impedance.py peer not run: {peer} not found")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spectra.npz"
        np.savez(path, f=FREQ, z=spectra, truth=truth, guesses=guesses)
        proc = subprocess.run(
            [str(peer), "-c", PEER_SCRIPT, str(path), CIRCUIT], capture_output=True, text=True
        )
    if proc.returncode != 0:
        print("impedance.py run failed:\n" + proc.stderr[-2000:])
        return
    peer_out = json.loads(proc.stdout)
    peer_t = [r["time"] for r in peer_out]
    peer_err = errors(truth, np.array([r["params"] for r in peer_out]))
    print(
        f"impedance.py 1.7.1 (guess = truth x U[0.7,1.3]): median {np.median(peer_t) * 1e3:.1f} ms/fit, total {sum(peer_t):.2f} s"
    )
    print(f"  rel. error median/p90/max: {summary(peer_err)}")
    print(
        f"speed-up (median time ratio): {np.median(peer_t) / np.median(ours_t):.1f}x; total time ratio {sum(peer_t) / sum(ours_t):.1f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
