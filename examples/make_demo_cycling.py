"""Generate ``cycling_half_cell.csv``: an Arbin-style export of a Si/C anode half cell (demo input).

Not a validation fixture (those are under tests/ with independent ground truth): a plausible lab
file for ``make demo``.  Active mass 1.20 mg; two formation cycles at 0.1 A g⁻¹ (first lithiation
2100 mA h g⁻¹, ICE 75 %), then 1.0 A g⁻¹ with a slow fade.  Lithiation = negative current.
Run: ``python examples/make_demo_cycling.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MASS_G = 1.20e-3
OUT = Path(__file__).with_name("cycling_half_cell.csv")


def lithiation_voltage(x: np.ndarray) -> np.ndarray:
    """Sloping Si lithiation profile, 0.8 V → 0.01 V as the depth of lithiation x goes 0 → 1."""
    return 0.01 + 0.19 * (1 - x) ** 1.5 + 0.6 * np.exp(-25 * x)


def delithiation_voltage(x: np.ndarray) -> np.ndarray:
    """Delithiation plateau around 0.45 V rising to 1.0 V at the end (x = fraction delithiated)."""
    return 0.08 + 0.37 * x + 0.55 * x**12


def main(n_cycles: int = 40, dt_s: float = 60.0) -> None:
    rng = np.random.default_rng(7)
    rows: list[tuple[float, int, int, float, float, float, float]] = []
    t, step = 0.0, 0
    reversible = 1575.0  # mA h g⁻¹ after the first cycle
    for cycle in range(1, n_cycles + 1):
        rate = 100.0 if cycle <= 2 else 1000.0  # mA g⁻¹
        current_a = rate * MASS_G / 1000.0
        q_lith = 2100.0 if cycle == 1 else reversible / 0.995
        q_delith = reversible
        for sign, q_total, vfun in (
            (-1, q_lith, lithiation_voltage),
            (1, q_delith, delithiation_voltage),
        ):
            step += 1
            duration_s = q_total / rate * 3600.0
            times = np.arange(0.0, duration_s, dt_s)
            if times[-1] < duration_s:
                times = np.append(times, duration_s)
            x = times / duration_s
            overpotential = 0.02 * (rate / 100.0) ** 0.5
            voltage = vfun(x) + sign * overpotential + rng.normal(0, 0.0008, x.size)
            q_ah = current_a * times / 3600.0
            for ti, vi, qi in zip(times, voltage, q_ah, strict=True):
                rows.append(
                    (
                        t + ti,
                        step,
                        cycle,
                        sign * current_a,
                        vi,
                        qi if sign > 0 else 0.0,
                        qi if sign < 0 else 0.0,
                    )
                )
            t += duration_s + dt_s
        reversible *= 0.9975 if cycle > 2 else 1.0
    frame = pd.DataFrame(
        rows,
        columns=[
            "Test_Time(s)",
            "Step_Index",
            "Cycle_Index",
            "Current(A)",
            "Voltage(V)",
            "Charge_Capacity(Ah)",
            "Discharge_Capacity(Ah)",
        ],  # fmt: skip
    )
    frame.insert(0, "Data_Point", np.arange(1, len(frame) + 1))
    frame.to_csv(OUT, index=False, float_format="%.6g")


if __name__ == "__main__":
    main()
