"""Ground truth for the cycling analyzer: PyBaMM full-cell cycling with SEI growth.

Model: PyBaMM SPM with ``{"SEI": "solvent-diffusion limited"}``, parameter set ``Chen2020``
(LG M50 NMC811 / graphite-SiOx), 25 cycles of CC charge at 1C to 4.1 V, rest, CC discharge at
1C to 3.0 V, rest, sampled every 60 s.  The SEI rate is raised ×20 so that the fade over 25
cycles is clearly measurable.  PyBaMM's own per-step capacities (from its variable
``Discharge capacity [A.h]``, its internal fine time grid) go to ``pybamm_cycling_truth.json``;
the sampled voltage/current/time go to ``pybamm_cycling.csv`` with PyBaMM's sign (positive
current = discharge), so that the reader's sign detection is exercised as well.

Run in a separate venv: ``/work/venv-pybamm/bin/python tests/echem_cycling/data/make_pybamm_cycling.py``
(pybamm 26.10.1.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pybamm

HERE = Path(__file__).parent
CYCLES = 25


def main() -> None:
    model = pybamm.lithium_ion.SPM({"SEI": "solvent-diffusion limited"})
    params = pybamm.ParameterValues("Chen2020")
    params["SEI solvent diffusivity [m2.s-1]"] = params["SEI solvent diffusivity [m2.s-1]"] * 20
    experiment = pybamm.Experiment(
        [
            (
                "Charge at 1C until 4.1 V",
                "Rest for 10 minutes",
                "Discharge at 1C until 3.0 V",
                "Rest for 10 minutes",
            )
        ]
        * CYCLES,
        period="60 seconds",
    )
    sim = pybamm.Simulation(model, parameter_values=params, experiment=experiment)
    solution = sim.solve(initial_soc=0.0)
    frames = []
    truth = []
    for n, cycle in enumerate(solution.cycles, start=1):
        q_steps = []
        for step in cycle.steps:
            q = step["Discharge capacity [A.h]"].entries
            q_steps.append(float(q[-1] - q[0]))
            frames.append(
                pd.DataFrame(
                    {
                        "Time [s]": step["Time [s]"].entries,
                        "Current [A]": step["Current [A]"].entries,
                        "Voltage [V]": step["Voltage [V]"].entries,
                    }
                )
            )
        charge_ah = -q_steps[0]  # PyBaMM: discharge capacity decreases while charging
        discharge_ah = q_steps[2]
        truth.append(
            {
                "cycle": n,
                "charge_capacity_mAh": charge_ah * 1000,
                "discharge_capacity_mAh": discharge_ah * 1000,
                "coulombic_efficiency_percent": 100 * discharge_ah / charge_ah,
            }
        )
    data = pd.concat(frames, ignore_index=True)
    # PyBaMM repeats the boundary time at step joins; keep both rows (zero-length interval)
    data.to_csv(HERE / "pybamm_cycling.csv", index=False, float_format="%.8g")
    ref = truth[0]["discharge_capacity_mAh"]
    (HERE / "pybamm_cycling_truth.json").write_text(
        json.dumps(
            {
                "source": f"PyBaMM {pybamm.__version__} SPM + SEI solvent-diffusion limited, Chen2020, 1C CC",
                "cell": "full",
                "cycles": truth,
                "retention_discharge_percent_last_vs_1": 100
                * truth[-1]["discharge_capacity_mAh"]
                / ref,
            },
            indent=1,
        )
    )
    print(len(data), "rows;", truth[0], truth[-1])
    print(
        "retention",
        100 * truth[-1]["discharge_capacity_mAh"] / ref,
        "CE range",
        np.ptp([t["coulombic_efficiency_percent"] for t in truth]),
    )


if __name__ == "__main__":
    main()
