"""Peer reference values for the real spectra in this folder, computed with impedance.py.

Run with impedance.py installed (NOT in the project venv; the output JSON is committed so the tests
never need it)::

    python -m venv /work/venv-peers && /work/venv-peers/bin/pip install impedance==1.7.1
    /work/venv-peers/bin/python tests/echem_spectra/data/real/make_real_references.py

Writes ``real_references.json`` with, per file:

* ``reader``: frequencies and Z′/Z″ as impedance.py's own vendor readers
  (``impedance.preprocessing.readFile``) return them, for an element-wise reader comparison;
* ``lin_kk``: impedance.py's lin-KK (``impedance.validation.linKK``, complex fit, series
  capacitance, c = 0.85) on the capacitive points: number of RC elements and max |residual| in %;
* ``fits`` (selected files): the best of a grid of impedance.py fits (``CustomCircuit.fit``,
  ``weight_by_modulus=True`` = the objective anodelab minimises) started from a fixed grid of
  initial guesses scaled to the spectrum, i.e. impedance.py's global optimum for that circuit;
  and for ``exampleData.csv`` also impedance.py's documented example fit (its getting-started
  circuit ``R0-p(R1,C1)-p(R2-Wo1,C2)`` from its documented initial guess, unweighted).

Only points with Z″ < 0 are fitted (impedance.py's ``ignoreBelowX``), as in the tests.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import signal
import sys
import warnings
from pathlib import Path

import impedance
import numpy as np
from impedance import preprocessing, validation
from impedance.models.circuits import CustomCircuit
from impedance.validation import linKK

HERE = Path(__file__).parent
READERS = {
    "exampleData.csv": None,
    "exampleDataAutolab.txt": "autolab",
    "exampleDataBioLogic.mpt": "biologic",
    "exampleDataCHInstruments.txt": "chinstruments",
    "exampleDataGamry.DTA": "gamry",
    "exampleDataParstat.txt": "parstat",
    "exampleDataPowersuite.txt": "powersuite",
    "exampleDataZPlot.z": "zplot",
}
TWO_ARC = "R0-p(R1,CPE1)-p(R2-W1,CPE2)"
DOC_CIRCUIT = "R0-p(R1,C1)-p(R2-Wo1,C2)"
DOC_GUESS = [0.01, 0.01, 100, 0.01, 0.05, 100, 1]


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "autoeis_test_data.txt":  # BioLogic text export: freq, Re(Z), -Im(Z)
        f, zr, mzi = np.loadtxt(HERE / name, skiprows=1, unpack=True, usecols=(0, 1, 2))
        return f, zr - 1j * mzi
    return preprocessing.readFile(str(HERE / name), instrument=READERS[name])


def rss(circuit: CustomCircuit, f: np.ndarray, z: np.ndarray, weighted: bool) -> float:
    r = circuit.predict(f) - z
    w = np.abs(z) if weighted else 1.0
    return float(np.sum(np.abs(r / w) ** 2))


def _timeout(signum, frame):  # noqa: ARG001
    raise TimeoutError


signal.signal(signal.SIGALRM, _timeout)


def scales(f: np.ndarray, z: np.ndarray) -> tuple[float, float, float, float]:
    """High-frequency intercept, real-axis span, apex angular frequency and Warburg-tail scale
    of a spectrum: what the grids of initial guesses are scaled by."""
    r0 = float(z.real.min())
    span = float(z.real.max() - z.real.min())
    omega_apex = 2 * np.pi * float(f[np.argmin(z.imag)])
    tail = float(np.abs(z[np.argmin(f)]) * np.sqrt(2 * np.pi * f.min()))
    return r0, span, omega_apex, tail


def grid_fit(f: np.ndarray, z: np.ndarray, text: str) -> dict:
    """Best modulus-weighted impedance.py fit over a fixed grid of spectrum-scaled guesses."""
    r0, span, omega_apex, tail = scales(f, z)
    guesses = []
    if text == DOC_CIRCUIT:
        for a, c1, b, wo0, wo1, c2 in itertools.product(
            [0.2, 0.5], [0.1, 10], [0.2, 0.5], [1, 4], [100, 1000], [0.1, 10]
        ):
            guesses.append([r0, a * span, c1, b * span, wo0 * span, wo1, c2])
    else:  # TWO_ARC
        for a, b, q1, q2, s in itertools.product(
            [0.1, 0.4], [0.1, 0.4], [1, 30], [1, 30], [0.3, 3]
        ):
            q_1 = 1 / (a * span * omega_apex * q1)
            q_2 = 1 / (b * span * omega_apex / q2)
            guesses.append([r0, a * span, q_1, 0.85, b * span, s * tail, q_2, 0.85])
    return best_of(guesses, f, z, text)


def best_of(guesses: list[list[float]], f: np.ndarray, z: np.ndarray, text: str) -> dict:
    """impedance.py's modulus-weighted fit from every guess; the lowest-cost one."""
    best = None
    for guess in guesses:
        c = CustomCircuit(text, initial_guess=guess)
        signal.alarm(5)  # a start that stalls (overflowing coth/tanh) is skipped
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c.fit(f, z, weight_by_modulus=True, maxfev=3000)
        except (RuntimeError, ValueError, TimeoutError):
            continue
        finally:
            signal.alarm(0)
        cost = rss(c, f, z, weighted=True)
        print(f"  cost {cost:.4g}", file=sys.stderr)
        if best is None or cost < best[0]:
            best = (cost, c)
    cost, c = best
    return {
        "circuit": text,
        "weighting": "modulus",
        "starts": len(guesses),
        "rss_modulus_weighted": cost,
        "rss_unweighted": rss(c, f, z, weighted=False),
        "parameters": dict(zip(c.get_param_names()[0], map(float, c.parameters_), strict=True)),
    }


def main() -> None:
    out: dict = {"generator": f"impedance.py {impedance.__version__}", "files": {}}
    for name in [*READERS, "autoeis_test_data.txt"]:
        print("lin-KK", name, file=sys.stderr)
        f, z = load(name)
        entry: dict = {
            "reader": {
                "frequency_hertz": f.tolist(),
                "z_real_ohm": z.real.tolist(),
                "z_imag_ohm": z.imag.tolist(),
            }
        }
        fc, zc = preprocessing.ignoreBelowX(f, z)
        # impedance.py 1.7.1's linKK prints progress every 10 RC elements through an eval whose
        # namespace lacks numpy (NameError): give it numpy and swallow the print.
        validation.circuit_elements.setdefault("np", np)
        with contextlib.redirect_stdout(io.StringIO()):
            m, mu, _, res_real, res_imag = linKK(
                fc, zc, c=0.85, max_M=50, fit_type="complex", add_cap=True
            )
        entry["lin_kk"] = {
            "n_rc": int(m),
            "mu": float(mu),
            "max_residual_percent": float(
                100 * max(np.abs(res_real).max(), np.abs(res_imag).max())
            ),
        }
        out["files"][name] = entry
    fits = {
        "exampleData.csv": [DOC_CIRCUIT, TWO_ARC],
        "exampleDataAutolab.txt": [TWO_ARC],
        "exampleDataParstat.txt": [TWO_ARC],
        "autoeis_test_data.txt": [TWO_ARC],
    }
    for name, circuits in fits.items():
        print("fits", name, file=sys.stderr)
        f, z = preprocessing.ignoreBelowX(*load(name))
        out["files"][name]["fits"] = {text: grid_fit(f, z, text) for text in circuits}
    f, z = preprocessing.ignoreBelowX(*load("exampleData.csv"))
    doc = CustomCircuit(DOC_CIRCUIT, initial_guess=DOC_GUESS)
    doc.fit(f, z)
    out["files"]["exampleData.csv"]["documented_fit"] = {
        "circuit": DOC_CIRCUIT,
        "initial_guess": DOC_GUESS,
        "weighting": "none (impedance.py default)",
        "rss_unweighted": rss(doc, f, z, weighted=False),
        "rss_modulus_weighted": rss(doc, f, z, weighted=True),
        "parameters": dict(zip(doc.get_param_names()[0], map(float, doc.parameters_), strict=True)),
    }
    (HERE / "real_references.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
