"""Virtual coin cells: whole per-cycle fade curves for the virtual Si/C lab's recipes (synthetic).

**Synthetic data**, for the early-prediction benchmark and tests.  Each recipe's *mean* cell ends
at the virtual lab's noise-free capacity at cycle 500 (:class:`~anodelab.optimize.virtual_lab.
VirtualSiCLab`, whose trends follow the two seed papers), so the optimum is the lab's.  The path
to cycle 500 is drawn from four loss terms (fractions of the capacity lost by cycle 500,
:math:`L = 1 - R_{500}`), with :math:`u = (n - 1)/499`:

.. math::

   1 - Q_n/Q_1 = L\\,[f_e \\tfrac{1 - e^{-(n-1)/\\tau}}{1 - e^{-499/\\tau}} + f_s \\sqrt u + f_l\\,u
   + f_k \\tfrac{\\max(0, n - n_k)^2}{(500 - n_k)^2}]

* ``f_e`` early SEI formation/activation loss (τ = 25 cycles), larger for a lower ICE;
* ``f_s`` diffusion-limited SEI growth (√t), larger for a larger BET area;
* ``f_l`` linear loss of active material;
* ``f_k`` a knee (particle cracking exposing fresh surface, accelerating LAM) in poorly protected
  cells: :math:`f_k = 0.8\\,(0.5 - R_{500})` up to 0.35 for retention at 500 below 0.5, the earlier
  the worse the retention (:math:`n_k = 200 + 400\\,R_{500}`).

Calibration to the seed papers' stated numbers (``/work/shared/seeds``; KB rows of ``ji2025`` and
``lee2025``): Ji et al. report full-cell retentions of 41.6–45.5 % after 150 and 27.3–27.9 % after
300 cycles for four recipes, i.e. a loss ratio loss(150)/loss(300) ≈ 0.76 and a recipe-to-recipe
spread of ~2 % — the default shares give a median of 0.757 (5–95 %: 0.68–0.84) over 82 knee-free
recipes of 200 (tested), and the cell-to-cell spread of the loss terms is 6 % (lognormal σ); Lee et al.'s half cells keep 293–651 mA h g⁻¹ after
500 cycles at 1 A g⁻¹, the range of the lab.

Measurement: Gaussian noise of 0.3 % per cycle plus slowly varying noise (AR(1), ρ = 0.9, 0.4 %:
temperature drift), and 1 % of cycles read 3 % low (a contact glitch).  Coulombic efficiency
follows the lithium-inventory loss: :math:`\\mathrm{CE}_n = 100\\,(1 - \\ell_n - 0.0015)` with
:math:`\\ell_n` the SEI (early + √t) part of the loss in cycle *n* plus 0.02 % noise; LAM and the
knee do not show in CE (lost active material does not consume lithium).

``hours_per_cycle`` (2.4 h: 1 A g⁻¹ both ways on ~1.2 A h g⁻¹ of Si/C) converts cycles into cycler
days for the benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from anodelab.optimize.virtual_lab import VirtualSiCLab

__all__ = ["VirtualCells", "HOURS_PER_CYCLE", "TARGET_CYCLE"]

HOURS_PER_CYCLE = 2.4
TARGET_CYCLE = 500
_TAU_EARLY = 25.0


class VirtualCells:
    """``curves(recipes, cycles)`` → per-cycle capacities and CE of one cell per recipe."""

    def __init__(
        self,
        random_state: int = 0,
        *,
        spread: float = 0.06,
        noise: bool = True,
        lab: VirtualSiCLab | None = None,
    ) -> None:
        self.random_state = random_state
        self.spread = spread
        self.noise = noise
        self.lab = lab or VirtualSiCLab(noise=False)
        self._rng = np.random.default_rng(random_state)

    def fade_parameters(self, recipes: pd.DataFrame, *, cell_spread: bool = True) -> pd.DataFrame:
        """Loss shares, knee cycle and Q₁ per recipe (one row each); ``cell_spread`` draws a cell."""
        c = self.lab.components(recipes)
        q1 = c["initial_capacity"].to_numpy(dtype=float)
        r500 = c["retention_500"].to_numpy(dtype=float)
        area = c["bet_surface_area"].to_numpy(dtype=float)
        ice = c["initial_coulombic_efficiency"].to_numpy(dtype=float)
        f_e = np.clip(0.22 + 0.03 * (85.0 - ice), 0.15, 0.55)
        f_s = np.clip(0.20 + 0.004 * area, 0.2, 0.5)
        f_k = np.clip(0.8 * (0.5 - r500), 0.0, 0.35)
        f_l = np.maximum(1.0 - f_e - f_s - f_k, 0.05)
        total = f_e + f_s + f_l + f_k
        loss = 1.0 - r500
        shares = np.stack([f_e, f_s, f_l, f_k], axis=1) / total[:, None] * loss[:, None]
        knee = 200.0 + 400.0 * r500
        n = len(recipes)
        if cell_spread:
            shares = shares * np.exp(self._rng.normal(0.0, self.spread, (n, 4)))
            knee = knee + self._rng.normal(0.0, 20.0, n)
            q1 = q1 * (1.0 + self._rng.normal(0.0, 0.02, n))
        return pd.DataFrame(
            {
                "initial_capacity": q1,
                "loss_early": shares[:, 0],
                "loss_sei": shares[:, 1],
                "loss_lam": shares[:, 2],
                "loss_knee": shares[:, 3],
                "knee_cycle": np.clip(knee, 60.0, 480.0),
                "capacity_500_recipe": c["discharge_capacity"].to_numpy(dtype=float),
            }
        )

    @staticmethod
    def _loss(p: pd.Series | dict, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Total fractional loss and its lithium-consuming (SEI) part at cycles ``n``."""
        u = (n - 1.0) / (TARGET_CYCLE - 1.0)
        early = (1 - np.exp(-(n - 1.0) / _TAU_EARLY)) / (
            1 - np.exp(-(TARGET_CYCLE - 1.0) / _TAU_EARLY)
        )
        sei = p["loss_early"] * early + p["loss_sei"] * np.sqrt(u)
        nk = p["knee_cycle"]
        knee = p["loss_knee"] * np.maximum(0.0, n - nk) ** 2 / (TARGET_CYCLE - nk) ** 2
        return sei + p["loss_lam"] * u + knee, sei

    def curves(
        self,
        recipes: pd.DataFrame,
        cycles: int = TARGET_CYCLE,
        samples: list[str] | None = None,
    ) -> pd.DataFrame:
        """Tidy per-cycle rows: ``sample, cycle, discharge_capacity`` (mA h g⁻¹, delithiation at
        1 A g⁻¹), ``coulombic_efficiency`` (%), ``true_capacity`` (noise-free, this cell)."""
        params = self.fade_parameters(recipes)
        samples = samples or [f"vc-{i}" for i in range(len(recipes))]
        n = np.arange(1, cycles + 1, dtype=float)
        frames = []
        for i, sample in enumerate(samples):
            p = params.iloc[i]
            loss, sei = self._loss(p, n)
            true = p["initial_capacity"] * np.clip(1.0 - loss, 0.0, None)
            measured = true.copy()
            ce = 100.0 * (1.0 - np.diff(np.concatenate([[0.0], sei])) - 0.0015)
            if self.noise:
                drift = np.zeros(len(n))
                e = self._rng.normal(0.0, 0.004 * np.sqrt(1 - 0.9**2), len(n))
                for j in range(1, len(n)):
                    drift[j] = 0.9 * drift[j - 1] + e[j]
                white = self._rng.normal(0.0, 0.003, len(n))
                glitch = np.where(self._rng.random(len(n)) < 0.01, -0.03, 0.0)
                measured = true * (1.0 + drift + white + glitch)
                ce = ce + self._rng.normal(0.0, 0.02, len(n))
            frames.append(
                pd.DataFrame(
                    {
                        "sample": sample,
                        "cycle": n.astype(int),
                        "discharge_capacity": measured,
                        "coulombic_efficiency": ce,
                        "true_capacity": true,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def truth(self, recipes: pd.DataFrame) -> np.ndarray:
        """The recipe's noise-free capacity at cycle 500 (its mean cell) — the campaign's target."""
        return self.lab.components(recipes)["discharge_capacity"].to_numpy(dtype=float)
