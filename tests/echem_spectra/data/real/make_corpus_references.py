"""Independent reference values for the spectra added to the corpus for issue 16.

Run in a separate venv with the peer readers (NOT the project venv; the JSON is committed)::

    python -m venv /tmp/spectra-peers
    /tmp/spectra-peers/bin/pip install impedance==1.7.1 galvani==0.5.0 pandas matplotlib altair
    /tmp/spectra-peers/bin/python tests/echem_spectra/data/real/make_corpus_references.py

galvani is GPL-3: it is only *run* here, as an independent reader of ``PEIS-0.mpr``; none of its
code is in anodelab.  Writes ``corpus_references.json`` with, per file:

* ``reader``: frequencies and Z′/Z″ as the independent reader returns them — impedance.py's
  ``preprocessing.readFile`` (ZPlot ``.z``, Gamry ``.DTA``, VersaStudio ``.par``) or galvani's
  ``BioLogic.MPRfile`` (``freq/Hz``, ``Re(Z)/Ohm``, −``-Im(Z)/Ohm``);
* ``fit``: impedance.py's best modulus-weighted fit (``CustomCircuit.fit``, fixed grid of
  spectrum-scaled starts) of the stated circuit on the stated range: the capacitive points
  (Z″ < 0) with frequency ≥ ``min_frequency_Hz``.  For ``exampleDataGamryABORT.DTA`` that lower
  bound is where anodelab's lin-KK range selection stops (its tests assert the same bound), so
  both fitters see the same points.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import impedance
import numpy as np
from galvani import BioLogic
from impedance import preprocessing

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from make_real_references import TWO_ARC, best_of, grid_fit, scales  # noqa: E402

RC = "R0-p(R1,C1)"
ONE_ARC = "R0-p(R1,CPE1)-W1"
FILES = {  # name: (reader, circuit, min_frequency_Hz)
    "Circuit1_EIS_1.z": ("zplot", RC, 0.0),
    "Circuit2_EIS_1.z": ("zplot", RC, 0.0),
    "Circuit3_EIS_1.z": ("zplot", RC, 0.0),
    "exampleDataZPlot_noComments.z": ("zplot", None, 0.0),
    "exampleDataVersaStudio.par": ("versastudio", TWO_ARC, 0.0),
    "exampleDataGamryABORT.DTA": ("gamry", ONE_ARC, 0.4),
    "PEIS-0.mpr": ("galvani", ONE_ARC, 0.0),
}


def load(name: str, reader: str) -> tuple[np.ndarray, np.ndarray]:
    if reader == "galvani":
        data = BioLogic.MPRfile(str(HERE / name)).data
        f = np.asarray(data["freq/Hz"], dtype=float)
        return f, np.asarray(data["Re(Z)/Ohm"], float) - 1j * np.asarray(data["-Im(Z)/Ohm"], float)
    return preprocessing.readFile(str(HERE / name), instrument=reader)


def small_grid_fit(f: np.ndarray, z: np.ndarray, text: str) -> dict:
    """Best modulus-weighted impedance.py fit of a one-arc circuit over spectrum-scaled starts."""
    r0, span, omega_apex, tail = scales(f, z)
    guesses = []
    for a, q in itertools.product([0.5, 1.0], [0.3, 1.0, 3.0]):
        q_1 = 1 / (a * span * omega_apex * q)
        if text == RC:
            guesses.append([r0, a * span, q_1])
        else:
            guesses += [
                [r0, a * span, q_1, alpha, s * tail] for alpha in (0.7, 0.9) for s in (0.3, 3)
            ]
    return best_of(guesses, f, z, text)


def main() -> None:
    out: dict = {
        "generator": f"impedance.py {impedance.__version__}, galvani (BioLogic.MPRfile)",
        "files": {},
    }
    for name, (reader, circuit, f_min) in FILES.items():
        print(name, file=sys.stderr)
        f, z = load(name, reader)
        entry: dict = {
            "independent_reader": "galvani"
            if reader == "galvani"
            else f"impedance.py readFile({reader!r})",
            "reader": {
                "frequency_hertz": f.tolist(),
                "z_real_ohm": z.real.tolist(),
                "z_imag_ohm": z.imag.tolist(),
            },
        }
        if circuit:
            keep = (z.imag < 0) & (f >= f_min)
            fitter = grid_fit if circuit == TWO_ARC else small_grid_fit
            entry["fit"] = {"min_frequency_Hz": f_min, **fitter(f[keep], z[keep], circuit)}
        out["files"][name] = entry
    (HERE / "corpus_references.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
