"""Early prediction: per-cycle curves → features → calibrated forecast of a long-cycling objective.

Wires :mod:`anodelab.echem.fade` / :mod:`anodelab.echem.fade_features` (per-cell fits) to
:class:`anodelab.models.forecast.ConformalFadeCorrector` (the learned, calibrated correction
across cells).  Curves are tidy frames: ``sample, cycle, <capacity column>`` and optionally a
Coulombic-efficiency column in %.  The method and its measured calibration are described in
``docs/early-prediction.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from anodelab.echem.fade import FadeForecast
from anodelab.echem.fade_features import early_features
from anodelab.models.forecast import MIN_TRAINING_CELLS, ConformalFadeCorrector
from anodelab.schema.errors import InputError

__all__ = [
    "stop_advice",
    "kb_curves",
    "forecast_target",
    "curve_features",
    "train_forecaster",
    "Forecaster",
    "forecast_table",
]


def _columns(curves: pd.DataFrame, capacity: str, ce: str | None) -> None:
    for col in ("sample", "cycle", capacity):
        if col not in curves.columns:
            raise InputError(
                f"curve table lacks column {col!r}; columns are {list(curves.columns)}"
            )
    if ce is not None and ce not in curves.columns:
        raise InputError(f"curve table lacks CE column {ce!r}")


def curve_features(
    curves: pd.DataFrame,
    cycles_seen: int,
    target_cycle: int,
    *,
    capacity: str = "discharge_capacity",
    ce: str | None = "coulombic_efficiency",
    reference_cycle: int | None = None,
) -> tuple[pd.DataFrame, dict[str, FadeForecast]]:
    """One feature row per sample from its cycles ``≤ cycles_seen`` (and the per-cell forecasts)."""
    ce = ce if ce is not None and ce in curves.columns else None
    _columns(curves, capacity, ce)
    rows, fits = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for sample, g in curves.groupby("sample", sort=False):
            g = g[g["cycle"] <= cycles_seen].sort_values("cycle")
            feats, fc = early_features(
                g["cycle"].to_numpy(dtype=float),
                g[capacity].to_numpy(dtype=float),
                target_cycle,
                ce_percent=None if ce is None else g[ce].to_numpy(dtype=float),
                reference_cycle=reference_cycle,
            )
            feats["sample"] = sample
            feats["reference_capacity"] = fc.reference_capacity
            rows.append(feats)
            fits[str(sample)] = fc
    return pd.DataFrame(rows), fits


def _truth(curves: pd.DataFrame, capacity: str, target_cycle: int, window: int = 2) -> pd.Series:
    """Measured capacity at the target cycle per sample (median of target ± ``window`` cycles)."""
    near = curves[(curves["cycle"] - target_cycle).abs() <= window]
    return near.groupby("sample")[capacity].median()


@dataclass
class Forecaster:
    """A trained forecaster for one (cycles seen, target cycle) pair."""

    cycles_seen: int
    target_cycle: int
    corrector: ConformalFadeCorrector
    capacity: str = "discharge_capacity"
    ce: str | None = "coulombic_efficiency"
    training_samples: list[str] = field(default_factory=list)

    @property
    def alpha(self) -> float:
        return self.corrector.alpha

    def predict(self, curves: pd.DataFrame) -> pd.DataFrame:
        """Per sample: forecast mean/std/interval of the capacity at the target cycle."""
        feats, fits = curve_features(
            curves, self.cycles_seen, self.target_cycle, capacity=self.capacity, ce=self.ce
        )
        return _assemble(feats, fits, self.corrector.predict(feats), self)


def _assemble(
    feats: pd.DataFrame, fits: dict[str, FadeForecast], pred: pd.DataFrame, fc: Forecaster | None
) -> pd.DataFrame:
    ref = feats["reference_capacity"].to_numpy()
    out = pd.DataFrame(
        {
            "sample": feats["sample"].astype(str).to_numpy(),
            "cycles_seen": [fits[str(s)].cycles_seen for s in feats["sample"]],
            "reference_capacity": ref,
            "retention_mean": pred["mean"].to_numpy(),
            "capacity_mean": pred["mean"].to_numpy() * ref,
            "capacity_std": pred["std"].to_numpy() * ref,
            "capacity_lower": pred["lower"].to_numpy() * ref,
            "capacity_upper": pred["upper"].to_numpy() * ref,
            "fit_only_mean": feats["retention_forecast"].to_numpy() * ref,
            "knee_cycle": [
                np.nan if fits[str(s)].knee is None else fits[str(s)].knee.cycle  # type: ignore[union-attr]
                for s in feats["sample"]
            ],
        }
    )
    out["calibrated"] = fc is not None
    return out


def train_forecaster(
    completed: pd.DataFrame,
    cycles_seen: int,
    target_cycle: int,
    *,
    capacity: str = "discharge_capacity",
    ce: str | None = "coulombic_efficiency",
    alpha: float = 0.1,
    random_state: int = 0,
) -> Forecaster:
    """Learn the correction and its conformal interval from cells that reached ``target_cycle``."""
    ce = ce if ce is not None and ce in completed.columns else None
    _columns(completed, capacity, ce)
    truth = _truth(completed, capacity, target_cycle)
    done = completed[completed["sample"].isin(truth.index)]
    if done["sample"].nunique() < MIN_TRAINING_CELLS:
        raise InputError(
            f"{done['sample'].nunique()} cell(s) reached cycle {target_cycle}; a calibrated forecast "
            f"needs at least {MIN_TRAINING_CELLS}"
        )
    feats, _ = curve_features(done, cycles_seen, target_cycle, capacity=capacity, ce=ce)
    y = truth.reindex(feats["sample"]).to_numpy() / feats["reference_capacity"].to_numpy()
    corrector = ConformalFadeCorrector(alpha=alpha, random_state=random_state).fit(feats, y)
    return Forecaster(
        cycles_seen, target_cycle, corrector, capacity, ce, [str(s) for s in feats["sample"]]
    )


def forecast_table(
    curves: pd.DataFrame,
    target_cycle: int,
    *,
    completed: pd.DataFrame | None = None,
    capacity: str = "discharge_capacity",
    ce: str | None = "coulombic_efficiency",
    alpha: float = 0.1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Forecast every sample of ``curves`` from all the cycles it has.

    With ``completed`` curves (cells that reached ``target_cycle``), one calibrated forecaster is
    trained per distinct number of cycles seen; without enough of them the per-cell fit's own
    interval is returned and marked ``calibrated = False`` (too narrow far beyond the data).
    """
    ce = ce if ce is not None and ce in curves.columns else None
    _columns(curves, capacity, ce)
    seen = curves.groupby("sample")["cycle"].max()
    info: dict[str, Any] = {"target_cycle": target_cycle, "alpha": alpha, "forecasters": {}}
    parts = []
    for n_seen, samples in seen.groupby(seen):
        part = curves[curves["sample"].isin(samples.index)]
        forecaster = None
        if completed is not None:
            try:
                forecaster = train_forecaster(
                    completed, int(n_seen), target_cycle, capacity=capacity, ce=ce, alpha=alpha
                )
            except InputError as exc:
                info["why_uncalibrated"] = str(exc)
        if forecaster is not None:
            parts.append(forecaster.predict(part))
            info["forecasters"][int(n_seen)] = {
                "training_cells": forecaster.corrector.n_train_,
                "conformal_quantile": round(forecaster.corrector.quantile_, 4),
            }
        else:
            feats, fits = curve_features(part, int(n_seen), target_cycle, capacity=capacity, ce=ce)
            from scipy import stats

            z = stats.norm.ppf(1 - alpha / 2)
            mean = feats["retention_forecast"].to_numpy()
            sd = feats["retention_forecast_std"].to_numpy()
            pred = pd.DataFrame(
                {"mean": mean, "std": sd, "lower": mean - z * sd, "upper": mean + z * sd}
            )
            parts.append(_assemble(feats, fits, pred, None))
            info.setdefault(
                "why_uncalibrated", f"no completed curves reaching cycle {target_cycle} given"
            )
    return pd.concat(parts, ignore_index=True), info


def _modal_rate(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the cycles at the sample's most common current density (formation cycles at a lower
    rate would read as a capacity drop)."""
    if "current_density" not in frame.columns or frame["current_density"].isna().all():
        return frame
    late = frame[frame["cycle"] > 3]["current_density"].dropna()
    if late.empty:
        return frame
    rate = late.round(6).mode().iloc[0]
    return frame[(frame["current_density"].round(6) == rate) | frame["current_density"].isna()]


def kb_curves(kb: Any, samples: list[str], *, capacity: str = "discharge_capacity") -> pd.DataFrame:
    """Per-cycle capacities (and CE when stored) of ``samples`` from the KB's measurements."""
    frames = []
    for sample in samples:
        cap = kb.measurements(capacity, sample=sample)
        if cap.empty or "cycle" not in cap.columns:
            continue
        cap = _modal_rate(cap[cap["cycle"].notna()])
        curve = (
            cap.groupby("cycle", as_index=False)["value"].mean().rename(columns={"value": capacity})
        )
        ce = kb.measurements("coulombic_efficiency", sample=sample)
        if not ce.empty and "cycle" in ce.columns:
            ce = ce[ce["cycle"].notna()].groupby("cycle")["value"].mean()
            curve["coulombic_efficiency"] = curve["cycle"].map(ce)
        frames.append(curve.assign(sample=sample))
    if not frames:
        return pd.DataFrame(columns=["sample", "cycle", capacity])
    return pd.concat(frames, ignore_index=True)


def _campaign_best(proposals: pd.DataFrame, capacity: str, target_cycle: int) -> float | None:
    """Best final result of the campaign's outcome for ``capacity`` at ``target_cycle``."""
    for key, meta in proposals.attrs.get("outcomes", {}).items():
        if meta.get("property") == capacity and f"cycle={target_cycle}" in key:
            cols = [c for c in proposals.columns if c.startswith(f"{key} measured")]
            values = pd.to_numeric(proposals[cols[0]], errors="coerce") if cols else None
            if values is not None and values.notna().any():
                return float(values.max())
    return None


def forecast_target(
    kb: Any,
    target: str,
    *,
    target_cycle: int = 500,
    capacity: str = "discharge_capacity",
    train_on: str = "kb",
    alpha: float = 0.1,
    min_cycles: int = 20,
) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Forecast the capacity at ``target_cycle`` of a KB sample, or of every cell of a campaign.

    ``train_on``: ``kb`` — the KB's completed curves (samples with ≥ ``min_cycles`` per-cycle values
    reaching ``target_cycle``) calibrate the forecast; ``virtual`` — 80 synthetic virtual cells
    (:mod:`anodelab.optimize.virtual_cells`), for a first look before the KB has completed curves;
    ``none`` — the per-cell fit only (uncalibrated).  Returns the forecast table, run information
    and the curves used.
    """
    if train_on not in ("kb", "virtual", "none"):
        raise InputError(f"--train-on must be kb, virtual or none, not {train_on!r}")
    known = set(kb.samples()["sample"].astype(str))
    best_measured = None
    if target in known:
        samples, kind = [target], "sample"
    else:
        from anodelab.campaign import proposal_table

        try:
            proposals = proposal_table(kb.db, target)
            samples = [str(s) for s in proposals["sample"]]
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - the campaign store raises its own lookup error
            raise InputError(f"no sample or campaign named {target!r}") from exc
        kind = "campaign"
        best_measured = _campaign_best(proposals, capacity, target_cycle)
    curves = kb_curves(kb, samples, capacity=capacity)
    counts = curves.groupby("sample")["cycle"].agg(["count", "max"]) if len(curves) else None
    running = [
        s
        for s in samples
        if counts is not None
        and s in counts.index
        and counts.loc[s, "count"] >= 8
        and counts.loc[s, "max"] < target_cycle
    ]
    info: dict[str, Any] = {"target": target, "kind": kind, "samples": samples}
    if not running:
        raise InputError(
            f"{target!r}: no cell with at least 8 per-cycle {capacity} values below cycle "
            f"{target_cycle} to forecast (store cycling runs with anodelab import-run)"
        )
    partial = curves[curves["sample"].isin(running)]
    completed = None
    if train_on == "kb":
        all_samples = [s for s in kb.samples()["sample"].astype(str) if s not in running]
        pool = kb_curves(kb, all_samples, capacity=capacity)
        if len(pool):
            stats_ = pool.groupby("sample")["cycle"].agg(["count", "max"])
            done = stats_[(stats_["count"] >= min_cycles) & (stats_["max"] >= target_cycle)].index
            completed = pool[pool["sample"].isin(done)]
    elif train_on == "virtual":
        import yaml

        from anodelab.optimize.space import space_from_dict
        from anodelab.optimize.virtual_cells import VirtualCells
        from anodelab.optimize.virtual_lab import SPACE_YAML

        space = space_from_dict(yaml.safe_load(SPACE_YAML))
        completed = VirtualCells(303).curves(
            space.sample(80, seed=3003),
            cycles=target_cycle,
            samples=[f"virtual-{i}" for i in range(80)],
        )
        info["trained_on"] = "80 synthetic virtual cells (anodelab.optimize.virtual_cells)"
    table, run = forecast_table(
        partial, target_cycle, completed=completed, capacity=capacity, alpha=alpha
    )
    info.update(run)
    table["advice"] = stop_advice(table, best_measured=best_measured)
    if best_measured is not None:
        info["best_measured"] = best_measured
    if train_on == "kb" and completed is not None:
        info["trained_on"] = f"{completed['sample'].nunique()} completed KB curve(s)"
    return table, info, partial


def stop_advice(
    table: pd.DataFrame, *, best_measured: float | None = None, tolerance: float = 0.05
) -> list[str]:
    """Per forecast row: ``stop: forecast decided (...)`` or ``keep cycling``.

    A cell is decided when its calibrated interval cannot reach the best alternative — the best
    lower bound of the other cells' intervals or the best measured value at the target cycle — or
    when the interval is already narrower than ± ``tolerance`` of its mean, so that more cycles
    would not change a ranking at that resolution.  Uncalibrated forecasts are never decided.
    """
    advice = []
    lows = table["capacity_lower"].to_numpy(dtype=float)
    for i, row in enumerate(table.itertuples()):
        if not bool(row.calibrated):
            advice.append("keep cycling (uncalibrated forecast)")
            continue
        others = np.delete(lows, i)
        rivals = [(float(others.max()), "another cell")] if len(others) else []
        if best_measured is not None and np.isfinite(best_measured):
            rivals.append((float(best_measured), "the best measured"))
        beaten = [name for value, name in rivals if row.capacity_upper < value]
        half = (row.capacity_upper - row.capacity_lower) / 2
        if beaten:
            advice.append(f"stop: forecast decided (cannot reach {beaten[0]})")
        elif half <= tolerance * abs(row.capacity_mean):
            advice.append(f"stop: forecast decided (±{100 * half / abs(row.capacity_mean):.0f} %)")
        else:
            advice.append("keep cycling")
    return advice


def campaign_forecasts(kb: Any, campaign: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Forecasts and stop advice for a campaign's cells still cycling, or ``None``.

    Uses the campaign's first objective measured at a ``cycle`` (e.g. capacity at cycle 500) and
    the per-cycle values of each proposal's sample; ``None`` when the campaign has no such
    objective or no running cell has at least 8 per-cycle values yet.
    """
    from anodelab.campaign import proposal_table

    table = proposal_table(kb.db, campaign)
    for key, meta in table.attrs.get("outcomes", {}).items():
        if "cycle=" not in key:
            continue
        target = int(float(key.split("cycle=")[1].split(",")[0]))
        try:
            forecasts, info, _ = forecast_target(
                kb, campaign, target_cycle=target, capacity=str(meta["property"])
            )
        except InputError:
            return None
        info["objective"] = key
        return forecasts, info
    return None
