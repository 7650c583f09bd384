"""Generate the CV ground-truth fixture with cvsim (peer code, MIT, not ours).

    /work/venv-peers/bin/pip install cvsim==1.0.0
    /work/venv-peers/bin/python tests/echem_spectra/data/make_cv_fixtures.py

cvsim's ``E_rev`` (reversible one-electron transfer at a disk, semi-integration method) at five
scan rates; D = 1e-5 cm²/s for reactant and product, c = 1 mM, disk radius 1.5 mm, 298 K, 2 mV
steps, sweep +0.25 V → −0.25 V → +0.25 V around E° = 0.  Its forward peak currents follow
Randles–Sevcik.  ``cv_reversible.csv`` has BioLogic-style headers (``Ewe/V``, ``<I>/mA``) and a
scan-rate column.  Tests add an analytic capacitive current C_dl·v·sign(dE/dt) for the Dunn split.

The same simulations are also written the way a potentiostat exports them, with time and no
scan-rate column (the rate must come from |dE/dt|): ``cv_timed/cv_<rate>mVs.txt`` one file per
scan rate (header ``Time (s),Potential (V),Current (A)``; time of sample k is k·Δt, cvsim's own
step Δt = step/v), and ``cv_timed_long.csv``, all scan rates one after the other in one file
with the clock running on (a 60 s pause between rates).
"""

import json
from pathlib import Path

import numpy as np
from cvsim.mechanisms import E_rev

OUT = Path(__file__).parent
SCAN_RATES_MV_PER_S = [10, 20, 50, 100, 200]
D_CM2_PER_S = 1e-5
C_MOL_PER_M3 = 1.0  # 1 mM
RADIUS_MM = 1.5


def main() -> None:
    rows = []
    timed_dir = OUT / "cv_timed"
    timed_dir.mkdir(exist_ok=True)
    long_rows: list[tuple[float, float, float]] = []
    clock_s = 0.0
    for rate in SCAN_RATES_MV_PER_S:
        sim = E_rev(
            start_potential=0.25,
            switch_potential=-0.25,
            reduction_potential=0.0,
            scan_rate=rate / 1000.0,
            c_bulk=C_MOL_PER_M3,
            diffusion_reactant=D_CM2_PER_S,
            diffusion_product=D_CM2_PER_S,
            step_size=2.0,
            disk_radius=RADIUS_MM,
            temperature=298.0,
        )
        potential, current = sim.simulate()
        rows += [(e, i * 1000.0, rate) for e, i in zip(potential, current, strict=True)]
        time_s = np.arange(len(potential)) * sim.delta_t
        with open(timed_dir / f"cv_{rate}mVs.txt", "w") as fh:
            fh.write("Time (s),Potential (V),Current (A)\n")
            for t, e, i in zip(time_s, potential, current, strict=True):
                fh.write(f"{t:.6g},{e:.4f},{i:.6g}\n")
        long_rows += [
            (clock_s + t, e, i) for t, e, i in zip(time_s, potential, current, strict=True)
        ]
        clock_s += float(time_s[-1]) + 60.0
    with open(OUT / "cv_reversible.csv", "w") as fh:
        fh.write("Ewe/V,<I>/mA,scan rate (mV/s)\n")
        for e, i, rate in rows:
            fh.write(f"{e:.4f},{i:.6g},{rate}\n")
    with open(OUT / "cv_timed_long.csv", "w") as fh:
        fh.write("Time (s),Potential (V),Current (A)\n")
        for t, e, i in long_rows:
            fh.write(f"{t:.6g},{e:.4f},{i:.6g}\n")
    truth = {
        "mechanism": "cvsim E_rev, reversible, n = 1",
        "diffusion_coefficient_cm2_per_s": D_CM2_PER_S,
        "concentration_mol_per_cm3": C_MOL_PER_M3 * 1e-6,
        "area_cm2": float(np.pi * (RADIUS_MM / 10) ** 2),
        "temperature_K": 298.0,
        "electrons": 1,
        "scan_rates_mV_per_s": SCAN_RATES_MV_PER_S,
    }
    (OUT / "cv_truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
