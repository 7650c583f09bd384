"""Streaming per-cycle summary of a large cycler text file, without building the full frame.

:func:`summarize_cycler_file` gives the same :class:`~anodelab.echem.results.AnalysisResult` as
``analyze_cycling(read_cycler(path))`` but reads the file once in record batches
(``pyarrow.csv.open_csv`` with ``include_columns`` and float64 column types), hashing the bytes in
a background thread meanwhile, and keeps only per-*run* sums: a run is a stretch of rows with one vendor step
id and one current class.  Memory is bounded by one batch plus the runs, not by the rows.

Rows are classed against a bracket ``[lo, hi]`` around the rest threshold before the threshold is
known (it is 0.2 % of the 99th percentile of ``|I|`` over the whole file,
:func:`anodelab.echem.steps.default_rest_current`): ``|I| > hi`` is surely active, ``|I| <= lo``
surely rest, a row in between is a run of its own.  The exact percentile comes from a bounded
store of the largest ``|I|`` values; if it falls outside the bracket the file is read again with
the now known threshold.  At the end the runs get their state and the file's current sign
(voltage-trend vote, as :func:`anodelab.echem.steps.detect_current_sign`), are merged into
steps and cycles (:func:`anodelab.echem.steps.cycle_index_from_steps`), and summed per cycle into
:class:`anodelab.echem.cycling.CycleSums`.  Per row the quantities are those of
:func:`anodelab.echem.cycling.cycle_summary`; a trapezoid interval that straddles two batches
uses the previous batch's last row.

Files this path does not handle (Excel, binaries, hh:mm:ss or timestamp times, a vendor mode
column, an unsigned current with vendor steps, missing step ids) go through the full reader
instead, with the same result.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anodelab.echem.cycling import (
    CycleSums,
    _quantum,
    analyze_cycling,
    check_cycling_options,
    cycle_table_from_sums,
    cycling_result,
)
from anodelab.echem.results import AnalysisResult
from anodelab.echem.steps import cycle_index_from_steps, leading_sign
from anodelab.ingest.readers.generic import NULL_TEXTS, csv_options, sniff_text
from anodelab.ingest.readers.neware_levels import sniff_levels
from anodelab.schema.errors import InputError

Progress = Callable[[int, int], None]  # (bytes read, total bytes)

__all__ = ["summarize_cycler_file", "FALLBACK_REASONS"]

_CAPACITY_KEYS = (
    "charge_capacity_ampere_hour",
    "discharge_capacity_ampere_hour",
    "net_capacity_ampere_hour",
    "capacity_ampere_hour",
)
_BLOCK_BYTES = 8 << 20
_BRACKET = 16.0  # lo = tol0 / 16, hi = tol0 * 16 around the first batch's threshold
_QUANTUM_SAMPLE = 20000
FALLBACK_REASONS: tuple[str, ...] = (
    "not a delimited text file",
    "preset other than generic/arbin",
    "time column is not numeric seconds",
    "vendor mode column",
    "unsigned current with vendor steps",
    "missing vendor step id",
    "parse error",
    "time decreases",
    "multi-level export",
)


class _Fallback(Exception):
    """The streaming path does not handle this file; read it in full instead."""


class _FileHasher(threading.Thread):
    """SHA-256 of a file computed in a background thread while pyarrow parses it.

    hashlib releases the GIL on large buffers, so the hash overlaps the parse; the bytes come
    from the page cache that the parse fills anyway.
    """

    def __init__(self, path: Path, chunk_bytes: int = 1 << 22) -> None:
        super().__init__(daemon=True)
        self.path, self.chunk_bytes = path, chunk_bytes
        self.digest = hashlib.sha256()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                while block := handle.read(self.chunk_bytes):
                    self.digest.update(block)
        except BaseException as exc:  # reported by hexdigest()
            self.error = exc

    def hexdigest(self) -> str:
        self.join()
        if self.error is not None:
            raise InputError(f"cannot read the file to hash it: {self.error}") from self.error
        return self.digest.hexdigest()


class _TopValues:
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


def _rest_threshold(top: _TopValues, rows: int) -> float:
    """:func:`anodelab.echem.steps.default_rest_current` from the stored largest ``|I|`` values."""
    if rows == 0:
        return 1e-12
    tail = top.sorted_top()
    if rows <= 100:
        return max(2e-3 * float(tail[-1]), 1e-12)
    # numpy's "linear" percentile: virtual index (n - 1) q, lerp of the two neighbours
    q = np.true_divide(99, 100)
    virtual = np.asanyarray((rows - 1) * q)
    below = int(np.floor(virtual))
    gamma = virtual - np.floor(virtual)
    offset = rows - tail.size  # ascending rank of tail[0]
    if below < offset:
        raise _Fallback("percentile store too small")  # cannot happen when keep is a bound
    a = tail[below - offset]
    b = tail[min(below + 1, rows - 1) - offset]
    diff = b - a
    value = a + diff * gamma
    if gamma >= 0.5:
        value = b - diff * (1 - gamma)
    return max(2e-3 * float(value), 1e-12)


@dataclass
class _Runs:
    """Per-run sums, appended batch by batch (lists of arrays, concatenated at the end)."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def append(self, **arrays: np.ndarray) -> None:
        for key, value in arrays.items():
            self.parts.setdefault(key, []).append(value)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def _increments(c: np.ndarray, previous: float | None) -> np.ndarray:
    """:func:`anodelab.echem.cycling._column_increments` continued from the previous batch."""
    c = np.nan_to_num(np.abs(c))
    d = np.diff(c, prepend=c[0] if previous is None else previous)
    inc = np.where(d >= 0, d, c)
    if previous is None:
        inc[0] = 0.0  # charge counted before the file's first record is not in the file
    return inc


def _stream(
    path: Path, layout: Any, lo: float, hi: float, keep: int, progress: Progress | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One pass over the file: per-run sums and per-file facts (``progress(bytes_read, total)``)."""
    needed = {"test_time_second", "voltage_volt", "current_ampere", "step_id", *_CAPACITY_KEYS}
    wanted = {m.header: key for key, m in layout.columns.items() if key in needed}
    keys = set(wanted.values())
    read_options, parse_options, skipped = csv_options(layout, block_size=_BLOCK_BYTES)
    convert = pacsv.ConvertOptions(
        include_columns=list(wanted),
        column_types={h: pa.float64() for h in wanted},
        decimal_point=layout.decimal,
        null_values=NULL_TEXTS,
        strings_can_be_null=True,
    )
    factor = {key: layout.columns[key].factor for key in keys}
    caps = [k for k in _CAPACITY_KEYS if k in keys]
    hasher = _FileHasher(path)
    hasher.start()
    runs = _Runs()
    top = _TopValues(keep)
    facts: dict[str, Any] = {
        "rows": 0,
        "dropped": 0,
        "time_decreases": False,
        "min_current": math.inf,
        "quantum_samples": {k: [] for k in caps},
        "first_counter_Ah": 0.0,
        "capacity_columns": caps,
        "has_step_id": "step_id" in keys,
    }
    prev: dict[str, float] | None = None
    try:
        source = pa.OSFile(str(path))  # tell() = bytes the parser has taken so far
        total_bytes = path.stat().st_size
        reader = pacsv.open_csv(source, read_options, parse_options, convert)
        for batch in reader:
            if progress is not None:
                progress(source.tell(), total_bytes)
            if batch.num_rows == 0:
                continue
            col = {
                wanted[name]: batch.column(i).to_numpy(zero_copy_only=False)
                for i, name in enumerate(batch.schema.names)
            }
            t = col["test_time_second"] * factor["test_time_second"]
            v = col["voltage_volt"] * factor["voltage_volt"]
            i = col["current_ampere"] * factor["current_ampere"]
            usable = np.isfinite(t) & np.isfinite(v) & np.isfinite(i)
            if not usable.all():
                facts["dropped"] += int((~usable).sum())
                t, v, i = t[usable], v[usable], i[usable]
                col = {k: a[usable] for k, a in col.items()}
                if t.size == 0:
                    continue
            sid = col.get("step_id")
            if sid is not None and not np.isfinite(sid).all():
                raise _Fallback("missing vendor step id")
            n = t.size
            facts["rows"] += n
            facts["min_current"] = min(facts["min_current"], float(i.min()))
            a = np.abs(i)
            top.add(a)
            p = v * i
            t_prev = np.empty(n)
            t_prev[1:] = t[:-1]
            dt = np.empty(n)
            dt[1:] = np.diff(t)
            i_prev = np.empty(n)
            i_prev[1:] = i[:-1]
            p_prev = np.empty(n)
            p_prev[1:] = p[:-1]
            if prev is None:
                dt[0] = 0.0
                i_prev[0] = p_prev[0] = 0.0
            else:
                dt[0] = t[0] - prev["t"]
                i_prev[0], p_prev[0] = prev["i"], prev["p"]
            if np.any(dt[0 if prev is not None else 1 :] < 0):
                facts["time_decreases"] = True
            ok = dt >= 0
            if prev is None:
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
            for key in caps:
                c = col[key] * factor[key]
                finite = c[np.isfinite(c)]
                sample = facts["quantum_samples"][key]
                have = sum(s.size for s in sample)
                if have < _QUANTUM_SAMPLE:
                    sample.append(finite[: _QUANTUM_SAMPLE - have])
                if prev is None and key != "net_capacity_ampere_hour" and c.size:
                    facts["first_counter_Ah"] = max(
                        facts["first_counter_Ah"], float(np.nan_to_num(abs(c[0])))
                    )
                if key == "net_capacity_ampere_hour":
                    q = np.nan_to_num(c)
                    inc = np.abs(np.diff(q, prepend=q[0] if prev is None else prev[key]))
                else:
                    inc = _increments(c, None if prev is None else prev[key])
                out[key] = np.add.reduceat(inc, first)
            runs.append(**out)
            prev = {"t": float(t[-1]), "i": float(i[-1]), "p": float(p[-1])}
            for key in caps:
                last_value = float(np.nan_to_num(col[key][-1] * factor[key]))
                prev[key] = last_value if key == "net_capacity_ampere_hour" else abs(last_value)
    except pa.ArrowInvalid as exc:
        raise _Fallback(f"parse error: {exc}") from exc
    finally:
        sha256 = hasher.hexdigest()
    facts["sha256"] = sha256
    facts["skipped_invalid_rows"] = skipped["rows"]
    facts["top"] = top
    return (runs.arrays() if runs.parts else {}), facts


def _sums_from_runs(
    runs: dict[str, np.ndarray],
    facts: dict[str, Any],
    tol: float,
    cell: str,
    current_sign: str | int | None,
    warnings: list[str],
) -> tuple[CycleSums, str]:
    """Give each run its state, decide the current sign, merge runs into steps and cycles."""
    cls = runs["cls"].astype(np.int64)
    state = np.where(np.abs(cls) == 2, np.sign(cls), 0)
    band = np.abs(cls) == 1
    state[band] = np.where(runs["abs_i"][band] > tol, np.sign(cls[band]), 0)
    if current_sign in (1, "positive-charge"):
        flip, rule = 1, "given: positive current = charge (kept)"
    elif current_sign in (-1, "negative-charge"):
        flip, rule = -1, "given: positive current = discharge (negated)"
    elif current_sign not in (None, "auto"):
        raise InputError(
            f"current_sign must be 'auto', 'positive-charge', 'negative-charge' or ±1; got {current_sign!r}",
            value=current_sign,
        )
    else:
        unsigned = not facts["min_current"] < -tol
        if unsigned and facts["has_step_id"] and np.any(state != 0):
            raise _Fallback("unsigned current with vendor steps")
        flip, rule = _vote(state, runs["v_first"], runs["v_last"], warnings)
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
        capacity_columns=list(facts["capacity_columns"]),
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
    keys = set(facts["capacity_columns"])
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
        sums.first_counter_Ah = float(facts["first_counter_Ah"])
        sums.column_name = name
        sums.ch_col = per_cycle(ch)
        sums.dis_col = per_cycle(dis)
        sums.column_total_Ah = float(ch.sum() + dis.sum())
        sums.quantum_Ah = max(
            _quantum(
                np.concatenate(facts["quantum_samples"][k])
                if facts["quantum_samples"][k]
                else np.zeros(0)
            )
            for k in facts["capacity_columns"]
        )
    return sums, rule


def _vote(
    state: np.ndarray, v_first: np.ndarray, v_last: np.ndarray, warnings: list[str]
) -> tuple[int, str]:
    """:func:`anodelab.echem.steps.detect_current_sign` on runs (steps = runs of one state)."""
    start = np.ones(state.size, dtype=bool)
    start[1:] = state[1:] != state[:-1]
    first = np.flatnonzero(start)
    last = np.append(first[1:] - 1, state.size - 1)
    dv = v_last[last] - v_first[first]
    s = state[first]
    voting = (s != 0) & (np.abs(dv) > 1e-3) & np.isfinite(dv)
    agree = int(np.sum(np.sign(dv[voting]) == s[voting]))
    disagree = int(np.sum(np.sign(dv[voting]) != s[voting]))
    if agree == 0 and disagree == 0:
        warnings.append(
            "the current sign convention could not be checked (no step changes the voltage); kept as in the file"
        )
        return 1, "assumed: positive current = charge (no evidence)"
    win, lose = max(agree, disagree), min(agree, disagree)
    if not win >= 3 * lose:
        warnings.append(
            f"current sign convention ambiguous ({win} steps for, {lose} against); "
            "pass current_sign to be explicit"
        )
    if disagree > agree:
        return (
            -1,
            f"detected from voltage trend ({disagree}/{agree + disagree} steps): file used positive = discharge, negated",
        )
    return 1, f"detected from voltage trend ({agree}/{agree + disagree} steps): positive = charge"


class _CyclingOptions(TypedDict):
    """The keyword arguments shared by ``analyze_cycling`` and ``cycling_result``."""

    mass_g: float | None
    area_cm2: float | None
    cell: str
    reference_cycle: int
    retention_threshold_percent: float
    retention_basis: str
    capacity_source: str
    rest_current: float | None


def summarize_cycler_file(
    path: str | Path,
    *,
    mass_g: float | None = None,
    area_cm2: float | None = None,
    cell: str = "anode-half",
    preset: str | None = None,
    current_sign: str | int | None = None,
    rest_current: float | None = None,
    reference_cycle: int = 1,
    retention_threshold_percent: float = 80.0,
    retention_basis: str = "reversible",
    capacity_source: str = "auto",
    progress: Progress | None = None,
) -> AnalysisResult:
    """Cycling analysis of a cycler file, streamed: ``analyze_cycling(read_cycler(path))`` in one pass.

    ``progress(bytes_read, total_bytes)`` is called after every block read (for a progress bar).

    Same arguments, result JSON and metrics as
    :func:`anodelab.echem.cycling.analyze_cycling` (formulas there) with the reader options of
    :func:`anodelab.ingest.readers.read_cycler`.  ``result.options["file"]`` adds the file's
    ``sha256``, ``rows`` and ``reader_path`` (``"streaming"`` or ``"full"`` when the file needed
    the full reader, see the module docstring); read-time warnings (skipped/dropped rows,
    decreasing time, ambiguous sign) are added to ``result.warnings``.
    """
    path = Path(path)
    check_cycling_options(mass_g=mass_g, area_cm2=area_cm2, retention_basis=retention_basis)
    leading_sign(cell)
    options = _CyclingOptions(
        mass_g=mass_g,
        area_cm2=area_cm2,
        cell=cell,
        reference_cycle=reference_cycle,
        retention_threshold_percent=retention_threshold_percent,
        retention_basis=retention_basis,
        capacity_source=capacity_source,
        rest_current=rest_current,
    )
    try:
        result, info = _summarize_streaming(path, preset, current_sign, options, progress)
    except _Fallback as why:
        from anodelab.ingest.readers import read_cycler

        frame = read_cycler(
            path, preset=preset, current_sign=current_sign, cell=cell, rest_current=rest_current
        )
        result = analyze_cycling(frame, **options)
        result.warnings[:0] = list(frame.attrs["warnings"])
        info = {
            "reader_path": "full",
            "why": str(why),
            "sha256": frame.attrs["sha256"],
            "rows": frame.attrs["rows"],
        }
    result.options["file"] = {"path": str(path), **info}
    return result


def _summarize_streaming(
    path: Path,
    preset: str | None,
    current_sign: str | int | None,
    options: _CyclingOptions,
    progress: Progress | None = None,
) -> tuple[AnalysisResult, dict[str, Any]]:
    from anodelab.ingest.readers.registry import reader_for_path
    from anodelab.ingest.readers.vendors import _ARBIN

    if not path.is_file():
        raise InputError("file not found", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path))
    name = preset or reader_for_path(path).name
    if name not in ("generic", "arbin"):
        raise _Fallback(f"preset {name!r} is read by the full reader")
    if sniff_levels(path) is not None:
        raise _Fallback("multi-level export")
    layout = sniff_text(path, _ARBIN if name == "arbin" else None)
    keys = set(layout.columns)
    if "mode" in keys:
        raise _Fallback("vendor mode column")
    if not {"test_time_second", "voltage_volt", "current_ampere"} <= keys:
        raise _Fallback("no numeric time, voltage or current column")
    ncols = max(len(layout.headers), 1)
    keep = path.stat().st_size // ncols // 100 + 3  # rows <= bytes / ncols: top 1 % + 2 suffice
    rest = options["rest_current"]
    if rest is not None:
        lo = hi = float(rest)
    else:
        lo, hi = _first_bracket(path, layout)
    runs, facts = _stream(path, layout, lo, hi, keep, progress)
    if facts["rows"] < 2:
        raise InputError("fewer than two data rows", file=str(path))
    tol = float(rest) if rest is not None else _rest_threshold(facts["top"], facts["rows"])
    if not lo <= tol <= hi:  # the bracket missed: the threshold is now known exactly
        runs, facts = _stream(path, layout, tol, tol, keep, progress)
    read_warnings: list[str] = []
    if facts["skipped_invalid_rows"]:
        read_warnings.append(
            f"{facts['skipped_invalid_rows']} malformed row(s) were skipped (e.g. a truncated last line)"
        )
    if facts["dropped"]:
        read_warnings.append(
            f"{facts['dropped']} row(s) without time, voltage or current were dropped"
        )
    if facts["time_decreases"]:
        raise _Fallback("time decreases")
    sums, rule = _sums_from_runs(runs, facts, tol, options["cell"], current_sign, read_warnings)
    warnings: list[str] = []
    table = cycle_table_from_sums(
        sums,
        cell=options["cell"],
        capacity_source=options["capacity_source"],
        warnings=warnings,
        source=str(path),
    )
    result = cycling_result(table, warnings, source=str(path), **options)
    result.warnings[:0] = read_warnings
    info = {
        "reader_path": "streaming",
        "sha256": facts["sha256"],
        "rows": facts["rows"],
        "current_sign": "positive current = cell voltage rises (charge); " + rule,
        "rest_current_ampere": tol,
    }
    return result, info


def _first_bracket(path: Path, layout: Any) -> tuple[float, float]:
    """A bracket around the rest threshold from the first ~1 MB of rows."""
    from anodelab.echem.steps import default_rest_current

    wanted = layout.columns["current_ampere"]
    read_options, parse, _ = csv_options(layout, block_size=1 << 20)
    convert = pacsv.ConvertOptions(
        include_columns=[wanted.header],
        column_types={wanted.header: pa.float64()},
        decimal_point=layout.decimal,
        null_values=NULL_TEXTS,
    )
    try:
        with pacsv.open_csv(path, read_options, parse, convert) as reader:
            batch = reader.read_next_batch()
    except (pa.ArrowInvalid, StopIteration) as exc:
        raise _Fallback(f"parse error: {exc}") from exc
    current = batch.column(0).to_numpy(zero_copy_only=False) * wanted.factor
    tol = default_rest_current(current)
    return tol / _BRACKET, tol * _BRACKET
