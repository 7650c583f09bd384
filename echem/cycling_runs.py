"""Per-cycle sums of a cycling test from record batches: the one implementation of the cycling arithmetic.

Both the in-memory analysis (:func:`anodelab.echem.cycling.cycle_summary`, one batch: the whole
frame) and the streaming file summary (:func:`anodelab.ingest.readers.summarize_cycler_file`,
many batches) go through these functions, so the rest threshold, the sign vote and the sums are
computed one way.

A *run* is a stretch of rows with one vendor step id and one current class: ``|I| > hi`` is
surely active (class ±2), ``|I| <= lo`` surely rest (0), a row in between is a run of its own
(class ±1) whose state is decided once the rest threshold is known (:func:`run_states`).  With
the threshold known (``lo = hi = tol``) every run is surely active or surely rest.

Per row (trapezoid rule within a step; the first interval of a step is not counted)

.. math::

   \\Delta q_i = \\tfrac12 (I_i + I_{i-1})(t_i - t_{i-1}), \\quad
   \\Delta E_i = \\tfrac12 (V_i I_i + V_{i-1} I_{i-1})(t_i - t_{i-1})

and the increments of the vendor's capacity counters (:func:`column_increments`) are summed per
run (:func:`batch_runs`); :func:`sums_from_runs` merges runs into steps (a state or vendor step
change) and cycles (:func:`anodelab.echem.steps.cycle_index_from_steps`) and sums them per cycle
into :class:`CycleSums`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from anodelab.echem.steps import (
    REST_FLOOR_A,
    REST_FRACTION,
    SignEvidence,
    cycle_index_from_steps,
    vote_on_steps,
)

__all__ = [
    "CAPACITY_KEYS",
    "BatchCarry",
    "CycleSums",
    "RunAccumulator",
    "TopValues",
    "batch_runs",
    "column_increments",
    "quantum",
    "rest_threshold_from_top",
    "run_states",
    "sign_evidence_from_runs",
    "sums_from_runs",
]


#: the capacity counters a canonical cycler frame may hold, in the order they are preferred
CAPACITY_KEYS = (
    "charge_capacity_ampere_hour",
    "discharge_capacity_ampere_hour",
    "net_capacity_ampere_hour",
    "capacity_ampere_hour",
)


def column_increments(values: np.ndarray, previous: float | None = None) -> np.ndarray:
    """Increments of a cumulative capacity counter that may reset (per step, per cycle, or never).

    ``inc_i = c_i - c_{i-1}`` when the counter did not decrease, else ``c_i`` (a reset to zero
    followed by the capacity accumulated since the reset), with ``c`` = |value|.  ``previous`` is
    the last value of the previous batch; without one ``inc_0 = 0``: a counter that starts above
    zero holds charge passed before the file begins (see ``CycleSums.first_counter_Ah``).
    """
    c = np.nan_to_num(np.abs(np.asarray(values, dtype=float)))
    d = np.diff(c, prepend=c[0] if previous is None else previous)
    inc = np.where(d >= 0, d, c)
    if previous is None and inc.size:
        inc[0] = 0.0
    return inc


def quantum(values: np.ndarray) -> float:
    """Largest power-of-ten step that all values are multiples of (the column's rounding)."""
    sample = np.abs(values[np.isfinite(values)])[:20000]
    sample = sample[sample > 0]
    if sample.size == 0:
        return 0.0
    for exponent in range(0, -13, -1):
        step = 10.0**exponent
        ratio = sample / step
        rounded = np.round(ratio)
        if np.all(rounded >= 1) and np.all(np.abs(ratio - rounded) < 1e-6 * ratio):
            return step
    return 0.0


class TopValues:
    """All values >= ``cut`` (as an array plus a count of values equal to ``cut``).

    ``keep`` is an upper bound of how many of the largest values the final percentile can need,
    so values below the ``keep``-th largest are dropped safely.
    """

    def __init__(self, keep: int) -> None:
        self.keep = max(int(keep), 1)
        self.cut = -math.inf
        self.equal = 0
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, values: np.ndarray) -> None:
        above = values[values > self.cut]
        if math.isfinite(self.cut):
            self.equal += int(np.count_nonzero(values == self.cut))
        self.parts.append(above)
        self.size += above.size
        if self.size > 2 * self.keep:
            data = np.concatenate(self.parts)
            cut = float(np.partition(data, data.size - self.keep)[data.size - self.keep])
            self.equal = int(np.count_nonzero(data == cut))
            self.cut = cut
            data = data[data > cut]
            self.parts, self.size = [data], data.size

    def sorted_top(self) -> np.ndarray:
        """The stored values, ascending (``cut`` repeated ``equal`` times first)."""
        data = np.sort(np.concatenate(self.parts)) if self.parts else np.zeros(0)
        if self.equal:
            data = np.concatenate((np.full(self.equal, self.cut), data))
        return data


def rest_threshold_from_top(top: TopValues, rows: int) -> float:
    """:func:`anodelab.echem.steps.default_rest_current` from the stored largest ``|I|`` values."""
    if rows == 0:
        return REST_FLOOR_A
    tail = top.sorted_top()
    if rows <= 100:
        return max(REST_FRACTION * float(tail[-1]), REST_FLOOR_A)
    # numpy's "linear" percentile: virtual index (n - 1) q, lerp of the two neighbours
    q = np.true_divide(99, 100)
    virtual = np.asanyarray((rows - 1) * q)
    below = int(np.floor(virtual))
    gamma = virtual - np.floor(virtual)
    offset = rows - tail.size  # ascending rank of tail[0]
    if below < offset:
        raise ValueError("percentile store too small")  # cannot happen when keep is a bound
    a = tail[below - offset]
    b = tail[min(below + 1, rows - 1) - offset]
    diff = b - a
    value = a + diff * gamma
    if gamma >= 0.5:
        value = b - diff * (1 - gamma)
    return max(REST_FRACTION * float(value), REST_FLOOR_A)


@dataclass
class RunAccumulator:
    """Per-run sums, appended batch by batch (lists of arrays, concatenated at the end)."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def append(self, **arrays: np.ndarray) -> None:
        for key, value in arrays.items():
            self.parts.setdefault(key, []).append(value)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


@dataclass(frozen=True)
class BatchCarry:
    """The previous batch's last row: time (s), current (A), power (W) and counter values (Ah)."""

    t: float
    i: float
    p: float
    counters: dict[str, float]


def batch_runs(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    sid: np.ndarray | None,
    counters: dict[str, np.ndarray],
    carry: BatchCarry | None,
    lo: float,
    hi: float,
) -> tuple[dict[str, np.ndarray], BatchCarry, bool]:
    """Per-run sums of one batch of rows (canonical units; see the module docstring).

    ``counters`` maps capacity keys (``charge_capacity_ampere_hour``…) to their values in Ah;
    ``carry`` continues the trapezoid and the counters across batches.  Returns the runs, the
    carry for the next batch and whether time decreases somewhere in the batch.
    """
    n = t.size
    a = np.abs(i)
    p = v * i
    dt = np.empty(n)
    dt[1:] = np.diff(t)
    i_prev = np.empty(n)
    i_prev[1:] = i[:-1]
    p_prev = np.empty(n)
    p_prev[1:] = p[:-1]
    if carry is None:
        dt[0] = 0.0
        i_prev[0] = p_prev[0] = 0.0
    else:
        dt[0] = t[0] - carry.t
        i_prev[0], p_prev[0] = carry.i, carry.p
    decreasing = bool(np.any(dt[0 if carry is not None else 1 :] < 0))
    ok = dt >= 0
    if carry is None:
        ok[0] = False  # the file's first row has no interval
    dq = np.where(ok, 0.5 * (i + i_prev) * dt / 3600.0, 0.0)
    de = np.where(ok, 0.5 * (p + p_prev) * dt / 3600.0, 0.0)
    de_abs = np.where(ok, 0.5 * (np.abs(p) + np.abs(p_prev)) * dt / 3600.0, 0.0)
    sign = np.sign(i).astype(np.int8)
    cls = np.where(a > hi, 2 * sign, np.where(a <= lo, 0, sign)).astype(np.int8)
    band = np.abs(cls) == 1
    start = np.empty(n, dtype=bool)
    start[0] = True
    start[1:] = (cls[1:] != cls[:-1]) | band[1:]
    if sid is not None:
        start[1:] |= sid[1:] != sid[:-1]
    first = np.flatnonzero(start)
    dq_inner = dq.copy()
    dq_inner[first] = 0.0
    de_inner = de.copy()
    de_inner[first] = 0.0
    de_abs_inner = de_abs.copy()
    de_abs_inner[first] = 0.0
    last = np.empty(first.size, dtype=np.int64)
    last[:-1] = first[1:] - 1
    last[-1] = n - 1
    out: dict[str, np.ndarray] = {
        "cls": cls[first],
        "abs_i": np.maximum.reduceat(a, first),
        "sid": sid[first] if sid is not None else np.zeros(first.size),
        "rows": (last - first + 1).astype(np.int64),
        "dq_first": dq[first],
        "de_first": de[first],
        "dq_inner": np.add.reduceat(dq_inner, first),
        "de_abs_first": de_abs[first],
        "de_inner": np.add.reduceat(de_inner, first),
        "de_abs_inner": np.add.reduceat(de_abs_inner, first),
        "t_min": np.minimum.reduceat(t, first),
        "t_max": np.maximum.reduceat(t, first),
        "v_first": v[first],
        "v_last": v[last],
        "v_max": np.maximum.reduceat(v, first),
        "v_min": np.minimum.reduceat(v, first),
    }
    for key, values in counters.items():
        c = np.nan_to_num(values)
        previous = None if carry is None else carry.counters[key]
        if key == "net_capacity_ampere_hour":  # signed running total: every change counts
            inc = np.abs(np.diff(c, prepend=c[0] if previous is None else previous))
        else:
            inc = column_increments(c, previous)
        out[key] = np.add.reduceat(inc, first)
    last_counters = {
        k: float(np.nan_to_num(c[-1]))
        if k == "net_capacity_ampere_hour"
        else abs(float(np.nan_to_num(c[-1])))
        for k, c in counters.items()
    }
    return out, BatchCarry(float(t[-1]), float(i[-1]), float(p[-1]), last_counters), decreasing


def sign_evidence_from_runs(
    state: np.ndarray, v_first: np.ndarray, v_last: np.ndarray
) -> SignEvidence:
    """:func:`anodelab.echem.steps.detect_current_sign` on runs (a step = consecutive runs of one state)."""
    start = np.ones(state.size, dtype=bool)
    start[1:] = state[1:] != state[:-1]
    first = np.flatnonzero(start)
    last = np.append(first[1:] - 1, state.size - 1)
    return vote_on_steps(state[first], v_last[last] - v_first[first])


def run_states(runs: dict[str, np.ndarray], tol: float) -> np.ndarray:
    """State (+1 / -1 / 0) of each run once the rest threshold ``tol`` is known."""
    cls = runs["cls"].astype(np.int64)
    state = np.where(np.abs(cls) == 2, np.sign(cls), 0)
    band = np.abs(cls) == 1
    state[band] = np.where(runs["abs_i"][band] > tol, np.sign(cls[band]), 0)
    return state


@dataclass
class CycleSums:
    """Per-cycle sums from which :func:`cycle_table_from_sums` builds the cycle table.

    All arrays are indexed like ``cycle`` (the cycle numbers present, ascending, cycle 0 included
    when present).  Charges are in Ah, energies in Wh, currents in A, times in s.  ``ch_col`` /
    ``dis_col`` are the capacity-column increments credited to positive/negative current (``None``
    without a capacity column); ``column_total_Ah`` is their sum over the file, ``quantum_Ah`` the
    coarsest rounding of the capacity columns (:func:`quantum`).  ``v_charge_max`` /
    ``v_discharge_min`` are the highest voltage under positive and the lowest under negative
    current per cycle (NaN without such rows), ``last_active_sign`` / ``last_active_cycle`` the
    current sign and cycle of the file's last active row (for :func:`_cut_off_last_half_cycle`).
    ``ech`` / ``edis`` are ∫|V I| dt (Wh) under positive / negative current; ``vq_ch`` / ``vq_dis``
    are ∫V |I| dt (Wh, signed; the numerators of the average voltages; ``None`` → ``ech`` / ``edis``).
    ``first_counter_Ah`` is the largest charge/discharge/capacity counter value in the file's first
    row: above zero, the file starts in the middle of a cycle (:func:`anodelab.echem.cycling.cycle_table_from_sums`).
    Both the in-memory path
    (:func:`cycle_summary`) and the streaming file path
    (:func:`anodelab.ingest.readers.summarize_cycler_file`) fill one, so both give the same table.
    """

    cycle: np.ndarray
    ch_int: np.ndarray
    dis_int: np.ndarray
    ech: np.ndarray
    edis: np.ndarray
    ich_max: np.ndarray
    idis_max: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    max_cycle: int
    capacity_columns: list[str] = field(default_factory=list)
    column_name: str | None = None
    ch_col: np.ndarray | None = None
    dis_col: np.ndarray | None = None
    column_total_Ah: float = 0.0
    quantum_Ah: float = 0.0
    v_charge_max: np.ndarray | None = None
    v_discharge_min: np.ndarray | None = None
    last_active_sign: int = 0
    last_active_cycle: int = 0
    vq_ch: np.ndarray | None = None
    vq_dis: np.ndarray | None = None
    first_counter_Ah: float = 0.0


def sums_from_runs(
    runs: dict[str, np.ndarray],
    state: np.ndarray,
    flip: int,
    cell: str,
    capacity_columns: list[str],
) -> CycleSums:
    """Merge runs into steps and cycles and sum them per cycle.

    ``state`` is each run's state in the file's sign; ``flip`` (±1) makes positive current raise the
    voltage (it multiplies states, charges and energies).
    """
    state = state * flip
    n = state.size
    new_step = np.ones(n, dtype=bool)
    new_step[1:] = (state[1:] != state[:-1]) | (runs["sid"][1:] != runs["sid"][:-1])
    active = state != 0
    dq = np.where(active, runs["dq_inner"] + np.where(new_step, 0.0, runs["dq_first"]), 0.0)
    inner = ~new_step & active
    de = np.where(active, runs["de_inner"] + np.where(inner, runs["de_first"], 0.0), 0.0) * flip
    de_abs = np.where(
        active, runs["de_abs_inner"] + np.where(inner, runs["de_abs_first"], 0.0), 0.0
    )
    dq = dq * flip
    # by the run's current sign after the sign decision (as cycle_summary): ∫|V I| dt, ∫V |I| dt
    e_charge, e_discharge = np.where(state > 0, de_abs, 0.0), np.where(state < 0, de_abs, 0.0)
    vq_charge, vq_discharge = np.where(state > 0, de, 0.0), np.where(state < 0, -de, 0.0)
    cycle = cycle_index_from_steps(state, np.cumsum(new_step), cell).astype(np.int64)
    present, where = np.unique(cycle, return_inverse=True)
    m = present.size

    def per_cycle(values: np.ndarray) -> np.ndarray:
        return np.bincount(where, values, m)

    def per_cycle_max(values: np.ndarray) -> np.ndarray:
        out = np.full(m, -np.inf)
        np.maximum.at(out, where, values)
        return out

    t0 = np.full(m, np.inf)
    np.minimum.at(t0, where, runs["t_min"])
    sums = CycleSums(
        cycle=present,
        ch_int=per_cycle(np.where(dq > 0, dq, 0.0)),
        dis_int=per_cycle(np.where(dq < 0, -dq, 0.0)),
        ech=per_cycle(e_charge),
        edis=per_cycle(e_discharge),
        vq_ch=per_cycle(vq_charge),
        vq_dis=per_cycle(vq_discharge),
        ich_max=per_cycle_max(np.where(state > 0, runs["abs_i"], 0.0)),
        idis_max=per_cycle_max(np.where(state < 0, runs["abs_i"], 0.0)),
        t0=t0,
        t1=per_cycle_max(runs["t_max"]),
        max_cycle=int(cycle.max()),
        capacity_columns=list(capacity_columns),
    )
    v_max = np.full(m, np.nan)
    np.fmax.at(v_max, where[state > 0], runs["v_max"][state > 0])
    v_min = np.full(m, np.nan)
    np.fmin.at(v_min, where[state < 0], runs["v_min"][state < 0])
    sums.v_charge_max, sums.v_discharge_min = v_max, v_min
    active = np.flatnonzero(state != 0)
    if active.size:
        sums.last_active_sign = int(state[active[-1]])
        sums.last_active_cycle = int(cycle[active[-1]])
    keys = set(capacity_columns)
    name = None
    if {"charge_capacity_ampere_hour", "discharge_capacity_ampere_hour"} <= keys:
        ch = np.where(state > 0, runs["charge_capacity_ampere_hour"], 0.0)
        dis = np.where(state < 0, runs["discharge_capacity_ampere_hour"], 0.0)
        name = "charge_capacity_ampere_hour/discharge_capacity_ampere_hour"
    elif "net_capacity_ampere_hour" in keys or "capacity_ampere_hour" in keys:
        name = (
            "net_capacity_ampere_hour"
            if "net_capacity_ampere_hour" in keys
            else "capacity_ampere_hour"
        )
        ch = np.where(state > 0, runs[name], 0.0)
        dis = np.where(state < 0, runs[name], 0.0)
    if name is not None:
        sums.column_name = name
        sums.ch_col = per_cycle(ch)
        sums.dis_col = per_cycle(dis)
        sums.column_total_Ah = float(ch.sum() + dis.sum())
    return sums
