"""Scan rate of a cyclic voltammogram from its own time and potential columns.

A potentiostat sweeps the potential linearly, E(t) = E₀ ± v·t, between two vertex potentials, so
the scan rate of each sweep is |dE/dt| of that sweep.  :func:`find_sweeps` cuts the record at the
vertices (where E turns by more than a hysteresis of ``turn_fraction`` × the potential span, so
step noise of the DAC does not count as a turn); :func:`sweep_scan_rates` fits E against t by
least squares on the middle 80 % of each sweep (holds at a vertex and the first samples after a
turn do not bias it).  Sweeps whose rates agree within ``tolerance`` are one scan rate; a file
holding several scan rates one after the other (a "long" file without a rate column) is split
into them, and each sweep pair within one scan rate is one cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anodelab.schema.errors import InputError

__all__ = ["SweepRates", "find_sweeps", "sweep_scan_rates", "compare_stated_rate"]


def find_sweeps(potential_V: np.ndarray, *, turn_fraction: float = 0.02) -> np.ndarray:
    """Sweep index (0, 1, 2, …) per sample; a new sweep starts at each vertex.

    A vertex is the running extreme of the current sweep once the potential has moved back from
    it by more than ``turn_fraction`` of the whole potential span; the vertex sample ends its
    sweep.  A jump back to the start potential between two scan rates is also a turn.
    """
    e = np.asarray(potential_V, dtype=float)
    sweep = np.zeros(e.size, dtype=np.int64)
    if e.size < 3:
        return sweep
    span = float(np.nanmax(e) - np.nanmin(e))
    hysteresis = turn_fraction * span
    direction = 0  # +1 rising, -1 falling, 0 not yet known
    extreme_at = 0
    start = 0
    index = 0
    for k in range(1, e.size):
        if direction == 0:
            if abs(e[k] - e[start]) > hysteresis:
                direction = 1 if e[k] > e[start] else -1
                extreme_at = (
                    int(
                        np.argmax(e[start : k + 1])
                        if direction > 0
                        else np.argmin(e[start : k + 1])
                    )
                    + start
                )
            continue
        if (e[k] - e[extreme_at]) * direction >= 0:
            extreme_at = k
        elif abs(e[k] - e[extreme_at]) > hysteresis:
            sweep[start : extreme_at + 1] = index
            index += 1
            start = extreme_at + 1
            direction = -direction
            lo, hi = start, k + 1
            extreme_at = int(np.argmax(e[lo:hi]) if direction > 0 else np.argmin(e[lo:hi])) + lo
    sweep[start:] = index
    return sweep


@dataclass(frozen=True)
class SweepRates:
    """Per-sample sweep index, scan-rate group and cycle, and the fitted rate of each sweep."""

    sweep: np.ndarray  # per sample
    rate_mV_per_s: np.ndarray  # per sample: the mean rate of its scan-rate group
    cycle: np.ndarray  # per sample: 1, 2, … within its scan-rate group
    sweep_rates_mV_per_s: np.ndarray  # per sweep, as fitted
    group_rates_mV_per_s: list[float]  # one per scan-rate group, in file order


def _fit_rate(t: np.ndarray, e: np.ndarray) -> float:
    n = t.size
    cut = n // 10
    tt, ee = (t[cut : n - cut], e[cut : n - cut]) if n - 2 * cut >= 3 else (t, e)
    if tt.size < 2 or np.ptp(tt) <= 0:
        return float("nan")
    slope = np.polyfit(tt - tt[0], ee, 1)[0]
    return abs(float(slope)) * 1000.0


def sweep_scan_rates(
    time_s: np.ndarray,
    potential_V: np.ndarray,
    *,
    segment: np.ndarray | None = None,
    tolerance: float = 0.05,
    file: str | None = None,
) -> SweepRates:
    """Scan rate (mV/s) of every sweep from |dE/dt|; sweeps within ``tolerance`` form one group.

    A sweep never spans a pause in the record (a time step over 10× the median step) nor a change
    of ``segment`` (e.g. the table number of a Gamry file, one ``CURVE`` table per cycle).
    Sweeps of fewer than 5 samples (the stub after the last vertex) take the rate of the sweep
    before them.  Raises :class:`InputError` when time does not increase or no sweep has a rate.
    """
    t = np.asarray(time_s, dtype=float)
    e = np.asarray(potential_V, dtype=float)
    if t.size < 10 or not np.all(np.isfinite(t)):
        raise InputError(
            "the time column has missing values; cannot derive the scan rate", file=file
        )
    if np.any(np.diff(t) < 0):
        row = int(np.argmax(np.diff(t) < 0)) + 1
        raise InputError(
            "time goes backwards, so the scan rate cannot be taken from dE/dt; pass the scan "
            "rate (--scan-rate, e.g. 0.1mV/s) or add a scan-rate column",
            file=file,
            row=row,
        )
    dt = np.diff(t)
    cut = dt > 10 * float(np.median(dt[dt > 0])) if np.any(dt > 0) else np.zeros(dt.size, bool)
    if segment is not None:
        cut |= np.asarray(segment)[1:] != np.asarray(segment)[:-1]
    starts = np.concatenate([[0], np.flatnonzero(cut) + 1, [t.size]])
    sweep = np.zeros(t.size, dtype=np.int64)
    offset = 0
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        part = find_sweeps(e[a:b]) + offset
        sweep[a:b] = part
        offset = int(part.max()) + 1
    n_sweeps = int(sweep.max()) + 1
    rates = np.full(n_sweeps, np.nan)
    for s in range(n_sweeps):
        mask = sweep == s
        if mask.sum() >= 5:
            rates[s] = _fit_rate(t[mask], e[mask])
    for s in range(n_sweeps):  # short stubs inherit their neighbour's rate
        if not np.isfinite(rates[s]) or rates[s] <= 0:
            before = rates[:s][np.isfinite(rates[:s]) & (rates[:s] > 0)]
            rates[s] = before[-1] if before.size else np.nan
    if not np.isfinite(rates).any():
        raise InputError(
            "the potential does not change with time, so there is no scan rate to take from dE/dt",
            file=file,
        )
    rates = np.where(np.isfinite(rates), rates, np.nanmax(rates))
    group = np.zeros(n_sweeps, dtype=np.int64)
    for s in range(1, n_sweeps):
        same = abs(rates[s] - rates[s - 1]) <= tolerance * max(rates[s], rates[s - 1])
        group[s] = group[s - 1] if same else group[s - 1] + 1
    group_rates = [float(np.mean(rates[group == g])) for g in range(int(group.max()) + 1)]
    cycle_of_sweep = np.zeros(n_sweeps, dtype=np.int64)
    for g in range(len(group_rates)):
        members = np.flatnonzero(group == g)
        cycle_of_sweep[members] = np.arange(members.size) // 2 + 1
    return SweepRates(
        sweep=sweep,
        rate_mV_per_s=np.asarray(group_rates)[group[sweep]],
        cycle=cycle_of_sweep[sweep],
        sweep_rates_mV_per_s=rates,
        group_rates_mV_per_s=group_rates,
    )


def compare_stated_rate(
    stated_mV_per_s: float, measured_mV_per_s: float, *, source: str, tolerance: float = 0.05
) -> str | None:
    """A warning when a stated scan rate differs from |dE/dt| by more than ``tolerance``."""
    if measured_mV_per_s <= 0 or not np.isfinite(measured_mV_per_s):
        return None
    diff = abs(stated_mV_per_s - measured_mV_per_s) / measured_mV_per_s
    if diff <= tolerance:
        return None
    return (
        f"the scan rate of {stated_mV_per_s:.4g} mV/s from {source} differs by {100 * diff:.0f} % "
        f"from |dE/dt| of the data, {measured_mV_per_s:.4g} mV/s"
    )
