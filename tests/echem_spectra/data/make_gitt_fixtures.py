"""Generate GITT ground-truth fixtures with PyBaMM (peer code, not ours).

    /work/venv-peers/bin/pip install pybamm==26.10.1.1
    /work/venv-peers/bin/python tests/echem_spectra/data/make_gitt_fixtures.py

Single-particle model of a half cell (``{"working electrode": "positive"}``) with the
``OKane2022_graphite_SiOx_halfcell`` parameter set, a *constant* particle diffusivity D_true, particle
radius r = 5.86 µm and a smooth, sloped OCP U(x) = 1.2 − 0.9x − 0.05·tanh(4(x − 0.5)) V, so the
Weppner–Huggins assumptions can hold.  Pulses of τ = 0.009·r²/D (τD/r² ≈ 0.009) with long rests
for two diffusivities a decade apart; negative controls with τD/r² = 0.175 and with a flat
(plateau) OCP.  Each file holds
time (s), voltage (V), current (A) sampled densely in the pulses and sparsely in the rests.
``gitt_truth.json`` records D_true, r, τ and the pulse protocol.
"""

import json
from pathlib import Path

import numpy as np
import pybamm

OUT = Path(__file__).parent
RADIUS_M = 5.86e-6


def ocp(sto):
    return 1.2 - 0.9 * sto - 0.05 * pybamm.tanh(4 * (sto - 0.5))


def plateau_ocp(sto):  # a two-phase plateau: 0.2 mV over the whole stoichiometry range
    return 0.45 - 0.0002 * sto


def run(
    name: str,
    d_m2_per_s: float,
    tau_s: float,
    rest_s: float,
    n_pulses: int,
    c_rate: float,
    pulse_period_s: float,
    ocp_function=ocp,
) -> dict:
    model = pybamm.lithium_ion.SPM({"working electrode": "positive"})
    params = pybamm.ParameterValues("OKane2022_graphite_SiOx_halfcell")
    params.update(
        {
            "Positive particle diffusivity [m2.s-1]": d_m2_per_s,
            "Positive particle radius [m]": RADIUS_M,
            "Positive electrode OCP [V]": ocp_function,
            "Upper voltage cut-off [V]": 5.0,
            "Lower voltage cut-off [V]": -1.0,
        },
        check_already_exists=False,
    )
    steps = ["Rest for 600 seconds (60 second period)"]
    for _ in range(n_pulses):
        steps.append(f"Discharge at {c_rate}C for {tau_s} seconds ({pulse_period_s} second period)")
        steps.append(f"Rest for {rest_s} seconds ({rest_s / 60} second period)")
    experiment = pybamm.Experiment([tuple(steps)])
    sim = pybamm.Simulation(model, parameter_values=params, experiment=experiment)
    sol = sim.solve(initial_soc=0.8)
    t = sol["Time [s]"].entries
    v = sol["Voltage [V]"].entries
    i = sol["Current [A]"].entries  # PyBaMM: positive = discharge
    # keep dense pulse sampling, thin the rests to ~60 points each, keep each step's ends
    keep = np.zeros(t.size, dtype=bool)
    pulse = np.abs(i) > 1e-12
    keep[pulse] = True
    edges = np.flatnonzero(np.diff(pulse.astype(int)) != 0)
    keep[edges] = keep[np.clip(edges + 1, 0, t.size - 1)] = True
    keep[0] = keep[-1] = True
    rest_idx = np.flatnonzero(~pulse)
    keep[rest_idx[::20]] = True
    with open(OUT / f"{name}.csv", "w") as fh:
        fh.write("test_time_second,voltage_volt,current_ampere\n")
        for ti, vi, ii in zip(t[keep], v[keep], i[keep], strict=True):
            fh.write(
                f"{ti:.3f},{vi:.7f},{-ii:.6e}\n"
            )  # cycler sign: PyBaMM discharge written negative
    return {
        "diffusion_coefficient_cm2_per_s": d_m2_per_s * 1e4,
        "particle_radius_cm": RADIUS_M * 100,
        "pulse_seconds": tau_s,
        "rest_seconds": rest_s,
        "tau_D_over_r2": tau_s * d_m2_per_s / RADIUS_M**2,
        "n_pulses": n_pulses,
        "c_rate": c_rate,
        "current_sign": "positive = charge (PyBaMM's discharge current written negative)",
    }


def main() -> None:
    truth = {}
    r2 = RADIUS_M**2
    truth["gitt_short_d1e-14"] = run(
        "gitt_short_d1e-14", 1e-14, round(0.009 * r2 / 1e-14), 7200, 12, 1.0, 1
    )
    truth["gitt_short_d1e-15"] = run(
        "gitt_short_d1e-15", 1e-15, round(0.009 * r2 / 1e-15), 36000, 12, 0.1, 5
    )
    truth["gitt_long_d1e-14"] = run(
        "gitt_long_d1e-14", 1e-14, round(0.175 * r2 / 1e-14), 7200, 6, 0.2, 10
    )
    truth["gitt_plateau_d1e-14"] = run(
        "gitt_plateau_d1e-14", 1e-14, round(0.009 * r2 / 1e-14), 7200, 4, 1.0, 1, plateau_ocp
    )
    (OUT / "gitt_truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
