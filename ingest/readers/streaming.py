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
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anodelab.echem.cycling import (
    CyclingOptions,
    analyze_cycling,
    cycle_table_from_sums,
    cycling_result,
    options_from_file,
)
from anodelab.echem.cycling_runs import (
    CAPACITY_KEYS,
    BatchCarry,
    CycleSums,
    RunAccumulator,
    TopValues,
    batch_runs,
    quantum,
    rest_threshold_from_top,
    run_states,
    sign_evidence_from_runs,
    sums_from_runs,
)
from anodelab.echem.results import AnalysisResult
from anodelab.echem.steps import describe_sign, given_sign
from anodelab.ingest.readers.generic import NULL_TEXTS, csv_options, sniff_text
from anodelab.ingest.readers.metadata import facts_from_preamble
from anodelab.ingest.readers.neware_levels import sniff_levels
from anodelab.schema.errors import InputError

Progress = Callable[[int, int], None]  # (bytes read, total bytes)

__all__ = ["summarize_cycler_file", "FALLBACK_REASONS"]

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


def _stream(
    path: Path, layout: Any, lo: float, hi: float, keep: int, progress: Progress | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One pass over the file: per-run sums and per-file facts (``progress(bytes_read, total)``)."""
    needed = {"test_time_second", "voltage_volt", "current_ampere", "step_id", *CAPACITY_KEYS}
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
    caps = [k for k in CAPACITY_KEYS if k in keys]
    hasher = _FileHasher(path)
    hasher.start()
    runs = RunAccumulator()
    top = TopValues(keep)
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
    carry: BatchCarry | None = None
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
            counters = {key: col[key] * factor[key] for key in caps}
            for key, c in counters.items():
                finite = c[np.isfinite(c)]
                sample = facts["quantum_samples"][key]
                have = sum(x.size for x in sample)
                if have < _QUANTUM_SAMPLE:
                    sample.append(finite[: _QUANTUM_SAMPLE - have])
                if carry is None and key != "net_capacity_ampere_hour" and c.size:
                    facts["first_counter_Ah"] = max(
                        facts["first_counter_Ah"], float(np.nan_to_num(abs(c[0])))
                    )
            out, carry, decreasing = batch_runs(t, v, i, sid, counters, carry, lo, hi)
            facts["time_decreases"] |= decreasing
            runs.append(**out)
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
    """Give each run its state, decide the current sign, then sum per cycle (echem arithmetic)."""
    state = run_states(runs, tol)
    given = given_sign(current_sign)
    if given is not None:
        flip, rule = given
    else:
        unsigned = not facts["min_current"] < -tol
        if unsigned and facts["has_step_id"] and np.any(state != 0):
            raise _Fallback("unsigned current with vendor steps")
        evidence = sign_evidence_from_runs(state, runs["v_first"], runs["v_last"])
        flip, rule = evidence.sign, describe_sign(evidence, warnings)
    sums = sums_from_runs(runs, state, flip, cell, list(facts["capacity_columns"]))
    if sums.ch_col is not None:
        sums.first_counter_Ah = float(facts["first_counter_Ah"])
        sums.quantum_Ah = max(
            quantum(np.concatenate(samples) if samples else np.zeros(0))
            for samples in facts["quantum_samples"].values()
        )
    return sums, rule


def summarize_cycler_file(
    path: str | Path,
    options: CyclingOptions | None = None,
    *,
    preset: str | None = None,
    current_sign: str | int | None = None,
    progress: Progress | None = None,
    **fields: Any,
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
    opts = CyclingOptions.of(options, fields)
    try:
        result, info = _summarize_streaming(path, preset, current_sign, opts, progress)
    except _Fallback as why:
        from anodelab.ingest.readers import read_cycler

        frame = read_cycler(
            path,
            preset=preset,
            current_sign=current_sign,
            cell=opts.cell,
            rest_current=opts.rest_current,
        )
        result = analyze_cycling(frame, opts)
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
    options: CyclingOptions,
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
    metadata, notes = facts_from_preamble(layout.preamble)
    meta_warnings = list(notes)
    options = options_from_file(options, metadata, meta_warnings)
    keys = set(layout.columns)
    if "mode" in keys:
        raise _Fallback("vendor mode column")
    if not {"test_time_second", "voltage_volt", "current_ampere"} <= keys:
        raise _Fallback("no numeric time, voltage or current column")
    ncols = max(len(layout.headers), 1)
    keep = path.stat().st_size // ncols // 100 + 3  # rows <= bytes / ncols: top 1 % + 2 suffice
    rest = options.rest_current
    if rest is not None:
        lo = hi = float(rest)
    else:
        lo, hi = _first_bracket(path, layout)
    runs, facts = _stream(path, layout, lo, hi, keep, progress)
    if facts["rows"] < 2:
        raise InputError("fewer than two data rows", file=str(path))
    tol = float(rest) if rest is not None else rest_threshold_from_top(facts["top"], facts["rows"])
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
    sums, rule = _sums_from_runs(runs, facts, tol, options.cell, current_sign, read_warnings)
    warnings: list[str] = []
    table = cycle_table_from_sums(
        sums,
        cell=options.cell,
        capacity_source=options.capacity_source,
        warnings=warnings,
        source=str(path),
    )
    result = cycling_result(table, warnings, options, source=str(path))
    result.warnings[:0] = read_warnings + meta_warnings
    if metadata:
        result.options["file_metadata"] = metadata
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
