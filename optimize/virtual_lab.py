"""A virtual Si/C anode lab with a known optimum, for tests, demos and the benchmark.

Not a physical model: a smooth response surface whose *trends* follow the two papers in the shipped
KB, with measurement noise.  Assumptions (all documented in ``docs/optimization.md``):

* **Pitch coating** (Lee et al. 2025, Si/HNC/AC@Pitch 0–50 wt%): more pitch dilutes silicon, so the
  initial capacity falls linearly, :math:`Q_0 = Q_{\\max}(1 - 0.012\\,p)`, while the pitch-derived
  shell protects the particles, so capacity retention rises and saturates,
  :math:`R = R_0 + 0.5\\,(1 - e^{-p/12})`; the product :math:`Q_{500} = Q_0 R` rises then falls
  (optimum near 25–30 wt%, the paper's best sample is 30 wt%).
* **Polydopamine coating** (Ji et al. 2025, mSi@PDA/NHC): retention gain peaks at an intermediate
  dopamine fraction (≈ 10 wt% of Si); a thick N-doped carbon layer costs capacity.
* **Carbonization temperature**: higher temperature densifies the coating (smaller surface area,
  higher ICE), too low leaves a poorly conducting carbon, too high (≥ 1000 °C) starts forming SiC;
  the retention factor is quadratic around 880 °C.
* **ICE rises as the surface area falls**: :math:`\\mathrm{ICE} = 90 - 0.09\\,S_{BET}` (%), with
  :math:`S_{BET}` increased by ZIF-8 (hollow nanocages) and decreased by coating and temperature.
* **ZIF-8 and dextrin**: hollow carbon buffers volume change (retention up) but raises surface area
  (ICE down) — a genuine trade-off for two objectives; dextrin has an optimum near 2 g.

Noise: Gaussian, 15 mA h g⁻¹ on capacity, 0.4 % on ICE, 3 m² g⁻¹ on surface area.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["VirtualSiCLab", "SPACE_YAML"]

#: A design space matching the lab (used by tests, the demo and the benchmark).
SPACE_YAML = """
name: virtual Si/C lab
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
  carbonization_temperature_C: {type: discrete, bounds: [600, 1000], step: 50, unit: degC}
  dopamine_wt_pct: {type: continuous, bounds: [2, 25], unit: wt%}
  dextrin_g: {type: continuous, bounds: [1, 4], unit: g}
  zif8_g: {type: continuous, bounds: [0, 2], unit: g}
  coating_precursor: {type: categorical, values: [pitch, polydopamine, none]}
constraints:
  - dextrin_g + zif8_g <= 4.5
objectives:
  - property: discharge_capacity
    at: {cycle: 500, current_density: 1 A/g}
    goal: maximize
  - property: initial_coulombic_efficiency
    goal: maximize
"""


class VirtualSiCLab:
    """``measure(recipes)`` → tidy measurements (KB layout) with noise from ``random_state``."""

    def __init__(self, noise: bool = True, random_state: int = 0, shift: float = 0.0) -> None:
        self.noise = noise
        self.random_state = random_state
        self.shift = shift
        self._rng = np.random.default_rng(random_state)

    def truth(self, recipes: pd.DataFrame) -> pd.DataFrame:
        """Noise-free capacity at cycle 500 (mA h g⁻¹), ICE (%) and BET area (m² g⁻¹)."""
        return self.components(recipes).drop(columns=["initial_capacity", "retention_500"])

    def components(self, recipes: pd.DataFrame) -> pd.DataFrame:
        """:meth:`truth` plus its two factors: initial capacity Q₀ (mA h g⁻¹) and retention at
        cycle 500 (fraction), so that ``discharge_capacity = initial_capacity · retention_500``
        (used by :mod:`anodelab.optimize.virtual_cells` to draw whole fade curves)."""
        r = recipes
        get = lambda name, default: (  # noqa: E731
            r[name].to_numpy(dtype=float) if name in r else np.full(len(r), default)
        )
        p = get("pitch_wt_pct", 0.0)
        T = get("carbonization_temperature_C", 900.0)
        d = get("dopamine_wt_pct", 10.0)
        dex = get("dextrin_g", 2.0)
        zif = get("zif8_g", 1.0)
        coat = (
            r["coating_precursor"].astype(str).to_numpy()
            if "coating_precursor" in r
            else np.full(len(r), "pitch")
        )
        is_pitch, is_pda = coat == "pitch", coat == "polydopamine"
        p_eff = np.where(is_pitch, p, 0.0)
        d_eff = np.where(is_pda, d, 0.0)
        q0 = 1700.0 * (1 - 0.012 * p_eff) * (1 - 0.008 * d_eff) * (1 - 0.04 * (dex - 2.0) ** 2)
        retention = 0.30 + 0.50 * (1 - np.exp(-p_eff / 12.0))
        retention += np.where(
            is_pda, 0.42 * np.exp(-(((d_eff - 10.0 - self.shift) / 6.0) ** 2)), 0.0
        )
        retention += 0.08 * zif / 2.0
        retention *= 1 - 0.30 * ((T - 880.0 - 10 * self.shift) / 300.0) ** 2
        retention = np.clip(retention, 0.05, 0.98)
        capacity = q0 * retention
        area = 60.0 + 45.0 * zif - 1.0 * p_eff - 0.8 * d_eff - 0.06 * (T - 600.0) + 4.0 * dex
        area = np.maximum(area, 3.0)
        ice = 90.0 - 0.09 * area - np.where(coat == "none", 3.0, 0.0)
        return pd.DataFrame(
            {
                "discharge_capacity": capacity,
                "initial_coulombic_efficiency": ice,
                "bet_surface_area": area,
                "initial_capacity": q0,
                "retention_500": retention,
            }
        )

    def measure(
        self, recipes: pd.DataFrame, samples: list[str] | None = None, source: str = "virtual-lab"
    ) -> pd.DataFrame:
        """Tidy measurement rows as ``anodelab.kb.query.measurements`` returns them."""
        truth = self.truth(recipes)
        if self.noise:
            truth = truth + self._rng.normal(0, 1, truth.shape) * np.array([15.0, 0.4, 3.0])
        samples = samples or [f"vl-{i}" for i in range(len(recipes))]
        rows = []
        for i, sample in enumerate(samples):
            rows.append(
                {
                    "sample": sample,
                    "source": source,
                    "property": "discharge_capacity",
                    "value": float(truth.iloc[i, 0]),
                    "unit": "mA*h/g",
                    "cycle": 500,
                    "current_density": 1000.0,
                }
            )
            rows.append(
                {
                    "sample": sample,
                    "source": source,
                    "property": "initial_coulombic_efficiency",
                    "value": float(truth.iloc[i, 1]),
                    "unit": "percent",
                    "cycle": 1,
                    "current_density": 100.0,
                }
            )
            rows.append(
                {
                    "sample": sample,
                    "source": source,
                    "property": "bet_surface_area",
                    "value": float(truth.iloc[i, 2]),
                    "unit": "m**2/g",
                    "cycle": np.nan,
                    "current_density": np.nan,
                }
            )
        return pd.DataFrame(rows)
