"""Generate the EIS ground-truth fixtures with impedance.py (peer code, not ours).

Run in the peer venv, not in the project venv:

    /work/venv-peers/bin/pip install impedance==1.7.1
    /work/venv-peers/bin/python tests/echem_spectra/data/make_eis_fixtures.py

impedance.py's ``CustomCircuit.predict`` (its own element formulas and string-eval'ed model)
computes each spectrum from known parameters; 1 % complex Gaussian noise (σ = 1 % of |Z|,
split equally between real and imaginary parts, fixed seeds) is added.  ``eis_truth.json`` holds
the parameters.  The drift spectrum recomputes every frequency point with R2 growing linearly by
50 % over the measurement time (low frequencies take longest), which violates Kramers–Kronig.
``eis_noisy_lowf`` is the issue-16 case: a valid two-arc spectrum (R0 = 10.6 Ω) whose points below
0.5 Hz are noise (each multiplied by 1 + 0.4·complex Gaussian noise, the scatter of a cell that
had not settled); lin-KK must fail on the whole and pass above 0.5 Hz.
"""

import json
from pathlib import Path

import numpy as np
from impedance.models.circuits import CustomCircuit

OUT = Path(__file__).parent
FREQ = np.logspace(5, -2, 71)  # 100 kHz – 10 mHz, 10 points per decade, as in the papers

CASES = {
    # two arcs (SEI + charge transfer) + Warburg, numbers in the range of Lee et al. 2025, Table S5
    "eis_two_arc_a": (
        "R0-p(R1,CPE1)-p(R2-W1,CPE2)",
        [5.0, 8.0, 2e-5, 0.85, 20.0, 15.0, 1e-3, 0.9],
        1,
    ),
    "eis_two_arc_b": (
        "R0-p(R1,CPE1)-p(R2-W1,CPE2)",
        [3.2, 30.0, 5e-6, 0.8, 120.0, 40.0, 2e-4, 0.85],
        2,
    ),
    "eis_two_arc_c": (
        "R0-p(R1,CPE1)-p(R2-W1,CPE2)",
        [2.5, 45.0, 3e-6, 0.88, 95.0, 25.0, 5e-5, 0.8],
        3,
    ),
    # one arc (fresh cell): R_ct = 238 ohm as reported for Si/HNC/AC@Pitch30 before cycling
    "eis_one_arc": ("R0-p(R1,CPE1)-W1", [4.1, 238.0, 1.2e-5, 0.84, 55.0], 4),
}


def noisy(z: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=z.size) + 1j * rng.normal(size=z.size)
    return z + 0.01 * np.abs(z) * noise / np.sqrt(2)


def write(name: str, z: np.ndarray) -> None:
    with open(OUT / f"{name}.csv", "w") as fh:
        fh.write("frequency_Hz,z_real_ohm,z_imag_ohm\n")
        for f, zi in zip(FREQ, z, strict=True):
            fh.write(f"{f:.6g},{zi.real:.6g},{zi.imag:.6g}\n")


def main() -> None:
    truth = {}
    for name, (circuit, params, seed) in CASES.items():
        model = CustomCircuit(circuit, initial_guess=params)
        z = model.predict(FREQ, use_initial=True)
        write(name, noisy(z, seed))
        truth[name] = {
            "circuit": circuit,
            "parameters": dict(zip(model.get_param_names()[0], params, strict=True)),
        }
    # KK-violating spectrum: R2 drifts during the sweep (time per point ~ max(2 periods, 1 s))
    circuit, params, _ = CASES["eis_two_arc_a"]
    elapsed = np.cumsum(np.maximum(2.0 / FREQ, 1.0))
    elapsed /= elapsed[-1]
    points = []
    for f, t in zip(FREQ, elapsed, strict=True):
        p = list(params)
        p[4] *= 1.0 + 0.5 * t
        points.append(
            CustomCircuit(circuit, initial_guess=p).predict(np.array([f]), use_initial=True)[0]
        )
    write("eis_drift", noisy(np.array(points), 5))
    truth["eis_drift"] = {
        "circuit": circuit,
        "note": "R2 grows 50 % during the sweep; not KK-valid",
    }
    # issue 16: the low-frequency half is noise
    circuit, params, _ = CASES["eis_two_arc_a"]
    p = [10.6, 12.0, 2e-5, 0.85, 25.0, 15.0, 1e-3, 0.9]
    z = noisy(CustomCircuit(circuit, initial_guess=p).predict(FREQ, use_initial=True), 6)
    rng = np.random.default_rng(7)
    low = FREQ < 0.5
    scatter = rng.normal(size=low.sum()) + 1j * rng.normal(size=low.sum())
    z[low] = z[low] * (1.0 + 0.4 * scatter / np.sqrt(2))
    write("eis_noisy_lowf", z)
    truth["eis_noisy_lowf"] = {
        "circuit": circuit,
        "parameters": dict(
            zip(CustomCircuit(circuit, initial_guess=p).get_param_names()[0], p, strict=True)
        ),
        "valid_above_Hz": 0.5,
        "note": "points below 0.5 Hz are noise; fit must use the range above",
    }
    # BioLogic-style export of case a (tab separated, -Im(Z) column, header block) for the reader
    z = np.loadtxt(OUT / "eis_two_arc_a.csv", delimiter=",", skiprows=1)
    with open(OUT / "eis_biologic_style.mpt", "w", encoding="latin-1") as fh:
        fh.write(
            "EC-Lab ASCII FILE\nNb header lines : 4\n\nfreq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\t|Z|/Ohm\tPhase(Z)/deg\n"
        )
        for f, re, im in z:
            zc = re + 1j * im
            fh.write(
                f"{f:.6E}\t{re:.6E}\t{-im:.6E}\t{abs(zc):.6E}\t{np.degrees(np.angle(zc)):.6E}\n"
            )
    (OUT / "eis_truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
