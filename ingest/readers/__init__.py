"""Cycler-file readers: one canonical DataFrame for every vendor export.

>>> frame = read_cycler("cell01.csv")                       # doctest: +SKIP
>>> frame.columns                                           # doctest: +SKIP
['test_time_second', 'voltage_volt', 'current_ampere', 'cycle_count', 'step_id',
 'charge_capacity_ampere_hour', 'discharge_capacity_ampere_hour', 'step_index', 'cycle_index']

Columns use Battery Data Format keys with the unit in the name (see
:mod:`anodelab.ingest.quantity_words`).  ``cycle_count``/``step_id`` are the vendor's numbers as
in the file; ``step_index``/``cycle_index`` are computed by :mod:`anodelab.echem.steps` from the
current sign (lithiation-first for anode half-cells), because vendors number cycles differently.
``frame.attrs`` holds the provenance: ``source_file``, ``sha256``, ``vendor``, ``reader``,
``columns`` (header, unit, factor per key), ``conventions`` (current sign and how it was
decided, cycle numbering) and ``warnings``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import anodelab.ingest.readers.arbin_res  # noqa: F401  (registers the .res reader)
import anodelab.ingest.readers.eclab_cycling  # noqa: F401  (registers the .mpr reader)
import anodelab.ingest.readers.vendors  # noqa: F401  (registers the readers)
from anodelab.echem.steps import (
    CURRENT_SIGNS,
    add_step_and_cycle_index,
    current_state,
    default_rest_current,
    describe_sign,
    detect_current_sign,
    given_sign,
)
from anodelab.ingest.readers.registry import READERS, get_reader, reader_for_path, register_reader
from anodelab.schema.errors import InputError

__all__ = [
    "read_cycler",
    "summarize_cycler_file",
    "file_sha256",
    "register_reader",
    "READERS",
    "CURRENT_SIGNS",
]


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 22) -> str:
    """SHA-256 of a file's bytes (streamed), the raw file's identity in the KB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def _mode_sign(mode: pd.Series) -> np.ndarray:
    """+1 charge / -1 discharge / 0 rest from a vendor mode column (C/D/R, CC_Chg/CC_DChg/Rest)."""
    text = mode.astype("string").str.strip().str.lower().fillna("")
    discharge = text.str.contains("dchg|dis|^d$", regex=True)
    charge = ~discharge & text.str.contains("chg|charge|^c$", regex=True)
    return np.where(discharge, -1, np.where(charge, 1, 0)).astype(np.int8)


#: Vendor mode words that mean the cell was at rest (no DC current under control): Neware/Arbin
#: ``Rest``, Maccor ``R``, EC-Lab mode 3 (see ``vendors.ECLAB_MODES``), ``OCV``.
_REST_MODES = ("rest", "r", "ocv", "relaxation", "pause")


def _vendor_rest(
    frame: pd.DataFrame, warnings: list[str], rest_current: float | None
) -> str | None:
    """Rows whose vendor mode column says rest get zero current (in place); returns the rule applied.

    A row the cycler logs as rest can still carry a current reading: EC-Lab logs the DC current
    of an impedance sweep at open circuit (mode 3), which reaches ~20 % of the cycling current and
    changes sign within one sweep.  Read as current it starts half-cycles of its own, splitting
    every cycle in two (cycles of 1–2 % of the capacity) and shifting the cycle numbers.  The
    vendor's mode is the better witness of what the cell was doing, so those rows are rest: they
    start no half-cycle and add no capacity.  A warning gives how many rows and the largest |I|.
    """
    if "mode" not in frame.columns:
        return None
    text = frame["mode"].astype("string").str.strip().str.lower()
    rest = text.isin(_REST_MODES).fillna(False).to_numpy(dtype=bool)
    if not rest.any():
        return None
    current = frame["current_ampere"].to_numpy(dtype=float)
    tol = default_rest_current(current) if rest_current is None else rest_current
    live = rest & (np.abs(current) > tol)
    if live.any():
        largest = float(np.nanmax(np.abs(current[live])))
        frame.loc[live, "current_ampere"] = 0.0
        warnings.append(
            f"{int(live.sum())} row(s) that the vendor's mode column marks as rest logged a current "
            f"(up to {largest * 1e3:.3g} mA, e.g. the DC current of an impedance sweep at open "
            "circuit); they are read as rest, starting no half-cycle and adding no capacity"
        )
    return "rows the vendor's mode column marks as rest are rest (current 0), whatever current they log"


#: A current against its vendor half-cycle's sign below this fraction of the half-cycle's median
#: |I| is noise (a real opposite step inside one EC-Lab half-cycle is as large as the others).
_HALF_CYCLE_NOISE = 0.1


def _vendor_half_cycles(frame: pd.DataFrame, warnings: list[str]) -> str | None:
    """Within each vendor half-cycle (EC-Lab ``half cycle``) the current has the half-cycle's sign.

    EC-Lab numbers half-cycles itself; a row whose current (or derived dq/dt) has the sign opposite
    to its half-cycle's net charge and is below 10 % of the half-cycle's median |I| is measurement
    noise around a rest or a step change, and read as current it would start a half-cycle of its
    own.  Such rows are read as rest (current 0), with a
    warning giving their number.  Returns the rule applied, or ``None`` without the marker.
    """
    if "half_cycle" not in frame.columns:
        return None
    label = pd.to_numeric(frame["half_cycle"], errors="coerce").fillna(-1).to_numpy()
    current = frame["current_ampere"].to_numpy(dtype=float)
    dt = np.diff(frame["test_time_second"].to_numpy(dtype=float), prepend=np.nan)
    groups = pd.DataFrame({"q": np.nan_to_num(current * dt), "i": np.abs(current)}).groupby(label)
    charge = groups["q"].transform("sum").to_numpy()
    typical = groups["i"].transform(lambda i: i[i > 0].median() if (i > 0).any() else 0.0)
    against = (
        (np.sign(current) * np.sign(charge) < 0)
        & (np.abs(current) < _HALF_CYCLE_NOISE * typical.to_numpy())
        & (label >= 0)
    )
    if against.any():
        frame.loc[against, "current_ampere"] = 0.0
        warnings.append(
            f"{int(against.sum())} row(s) carry current against the sign of the vendor's half-cycle "
            "(EC-Lab 'half cycle'); they are read as rest"
        )
    del frame["half_cycle"]
    return "half-cycles follow the vendor's 'half cycle' counter (rows against its sign are rest)"


def _sign_current(
    frame: pd.DataFrame,
    current_sign: str | int | None,
    warnings: list[str],
    rest_current: float | None,
) -> str:
    """Make positive current raise the voltage; returns how the sign was decided."""
    current = frame["current_ampere"].to_numpy(dtype=float)
    given = given_sign(current_sign)
    if given is not None:
        if given[0] < 0:
            frame["current_ampere"] = -current
        return given[1]
    tol = default_rest_current(current) if rest_current is None else rest_current
    unsigned = not np.any(current < -tol)
    if unsigned and "mode" in frame.columns:
        sign = _mode_sign(frame["mode"])
        if np.any(sign != 0):
            frame["current_ampere"] = np.abs(current) * np.where(sign == 0, 1, sign)
            return "detected: unsigned current, direction from the vendor's mode column"
    if unsigned and "step_id" in frame.columns and np.any(np.abs(current) > tol):
        step = frame["step_id"].to_numpy()
        change = np.flatnonzero(np.diff(step) != 0) + 1
        first = np.concatenate(([0], change))
        last = np.concatenate((change - 1, [step.size - 1]))
        v = frame["voltage_volt"].to_numpy(dtype=float)
        per_step = np.where(v[last] >= v[first], 1.0, -1.0)
        frame["current_ampere"] = np.abs(current) * np.repeat(per_step, last - first + 1)
        warnings.append(
            "current is never negative; its direction was taken from the voltage trend of each vendor step"
        )
        return "detected: unsigned current, direction from the voltage trend of each vendor step"
    flag_rule = _ox_red_sign(frame, current, tol)
    if flag_rule is not None:
        return flag_rule
    evidence = detect_current_sign(
        frame["test_time_second"].to_numpy(),
        frame["voltage_volt"].to_numpy(),
        current,
        rest_current,
    )
    rule = describe_sign(evidence, warnings)
    if evidence.sign < 0:
        frame["current_ampere"] = -current
    return rule


def _ox_red_sign(frame: pd.DataFrame, current: np.ndarray, tol: float) -> str | None:
    """The current sign from EC-Lab's ``ox/red`` flag (1 = the working electrode is oxidised).

    Oxidation of the working electrode raises its potential against the counter electrode
    (delithiation of an anode, charge of a cathode), so ``ox/red = 1`` rows carry positive current
    in the canonical sign.  Used when at least 95 % of the active rows agree one way; the current
    is negated when they agree the other way.  ``None`` without the flag or a clear verdict.
    """
    if "ox_red" not in frame.columns:
        return None
    flag = pd.to_numeric(frame["ox_red"], errors="coerce").to_numpy()
    active = (np.abs(current) > tol) & np.isfinite(flag)
    if active.sum() < 2:
        return None
    agree = float(np.mean(np.sign(current[active]) == np.where(flag[active] > 0, 1, -1)))
    if agree >= 0.95:
        return f"detected from EC-Lab's ox/red flag ({agree:.1%} of active rows): positive = charge"
    if agree <= 0.05:
        frame["current_ampere"] = -current
        return (
            f"detected from EC-Lab's ox/red flag ({1 - agree:.1%} of active rows): file used "
            "positive = discharge, negated"
        )
    return None


def _run_count(labels: np.ndarray) -> int:
    """Number of runs of equal consecutive values."""
    return int(np.count_nonzero(labels[1:] != labels[:-1])) + 1 if labels.size else 0


def _restore_row_order(frame: pd.DataFrame, warnings: list[str], file: str) -> pd.DataFrame:
    """Rows in the order they were recorded; refuse a file whose order cannot be recovered.

    1. A vendor record counter (``record_index``: Arbin ``Data_Point``, Maccor ``Rec#``, Neware
       ``DataPoint``) that is not ascending → rows sorted by it (stable), with a warning (an
       ``mdb-export`` of an Arbin ``.res`` writes rows out of order).
    2. Test time that drops back to (near) its minimum only where the vendor step changes → a
       clock that restarts per step; rows kept in file order (the integration skips the negative interval at a step change).
    3. Otherwise, if sorting by time does not split more vendor steps (or current states) into
       pieces than the file order does, the rows are sorted by time with a warning; else the file
       is refused with the first row where time goes backwards (an unsorted export mixes steps
       the other way round).
    """
    if "record_index" in frame.columns:
        record = frame["record_index"].to_numpy(dtype=float)
        if np.any(np.diff(record) < 0):
            order = np.argsort(record, kind="stable")
            frame = frame.iloc[order].reset_index(drop=True)
            warnings.append(
                "rows were not in the order of the vendor's record counter column "
                "(Data_Point / Rec# / DataPoint); sorted by it"
            )
        frame = frame.drop(columns="record_index")
    time = frame["test_time_second"].to_numpy(dtype=float)
    back = np.flatnonzero(np.diff(time) < 0)
    if back.size == 0:
        return frame
    if "step_id" in frame.columns:
        labels = frame["step_id"].to_numpy()
    else:
        labels = current_state(frame["current_ampere"].to_numpy(dtype=float))
    forward = np.diff(time)
    forward = forward[forward > 0]
    sampling = float(np.median(forward)) if forward.size else 0.0
    near_zero = time[back + 1] <= np.nanmin(time) + max(5.0 * sampling, 1.0)
    if "step_id" in frame.columns and np.all(labels[back + 1] != labels[back]) and near_zero.all():
        warnings.append(
            "test time restarts at vendor step changes (a step clock); rows kept in file order"
        )
        return frame
    order = np.argsort(time, kind="stable")
    if _run_count(labels[order]) <= _run_count(labels):
        warnings.append(
            f"test time decreases at {back.size} place(s) (first at data row {int(back[0]) + 2}); "
            "rows were sorted by test time"
        )
        return frame.iloc[order].reset_index(drop=True)
    row = int(back[0]) + 2
    raise InputError(
        f"test time goes backwards at data row {row} ({time[back[0]]:g} s → {time[back[0] + 1]:g} s) "
        "and neither a record counter nor sorting by time gives a consistent order; "
        "export the rows in recording order",
        file=file,
        row=row,
        column="test_time_second",
    )


def read_cycler(
    path: str | Path,
    *,
    preset: str | None = None,
    current_sign: str | int | None = None,
    cell: str = "anode-half",
    rest_current: float | None = None,
    hash_file: bool = True,
) -> pd.DataFrame:
    """Read a cycler file into the canonical frame (see module docstring).

    ``preset`` names a registered reader (``generic``, ``excel``, ``arbin``, ``maccor``,
    ``biologic``, ``neware-export``, ``neware``, ``biologic-mpr``); by default the reader is chosen
    from the file extension.  ``current_sign`` is ``"auto"`` (default: detected from the vendor's
    mode column or the voltage trend), ``"positive-charge"`` or ``"negative-charge"``.  ``cell``
    decides cycle numbering (``anode-half``: a cycle = lithiation then delithiation).
    Raises :class:`~anodelab.schema.errors.InputError` naming the file for unreadable files.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path))
    reader = get_reader(preset) if preset else reader_for_path(path)
    frame, meta = reader.func(path)
    for key in ("voltage_volt", "current_ampere", "test_time_second"):
        if key not in frame.columns:
            raise InputError(
                f"no {key} column after reading; columns are {list(frame.columns)}", file=str(path)
            )
    if len(frame) < 2:
        raise InputError("fewer than two data rows", file=str(path))
    warnings: list[str] = list(meta.pop("reader_warnings", []))
    if meta.get("skipped_invalid_rows"):
        warnings.append(
            f"{meta['skipped_invalid_rows']} malformed row(s) were skipped (e.g. a truncated last line)"
        )
    if meta.get("dropped_rows"):
        warnings.append(
            f"{meta['dropped_rows']} row(s) without time, voltage or current were dropped"
        )
    frame = _restore_row_order(frame, warnings, str(path))
    rest_rule = _vendor_rest(frame, warnings, rest_current)
    sign_rule = _sign_current(frame, current_sign, warnings, rest_current)
    half_rule = _vendor_half_cycles(frame, warnings)
    for marker in ("ox_red", "charge_increment_ampere_hour", "step_time_second"):
        if marker in frame.columns:
            del frame[marker]
    if "mode" in frame.columns:
        del frame["mode"]
    frame.attrs = {}
    add_step_and_cycle_index(frame, cell=cell, rest_current=rest_current)
    conventions: dict[str, Any] = dict(frame.attrs.get("conventions", {}))
    conventions["current_sign"] = (
        "positive current_ampere = cell voltage rises (charge); " + sign_rule
    )
    if rest_rule is not None:
        conventions["vendor_rest"] = rest_rule
    if half_rule is not None:
        conventions["vendor_half_cycles"] = half_rule
    conventions["cycle_count"] = (
        "vendor's cycle number, as in the file"
        if "cycle_count" in frame.columns
        else "absent in the file"
    )
    frame.attrs = {
        "source_file": str(path),
        "sha256": file_sha256(path) if hash_file else None,
        "size_bytes": path.stat().st_size,
        "reader": reader.name,
        "vendor": meta.pop("vendor", reader.vendor),
        "columns": meta.pop("columns", {}),
        "file_metadata": meta.pop("file_metadata", {}),
        "format": meta,
        "cell": cell,
        "conventions": conventions,
        "warnings": warnings,
        "rows": len(frame),
        "active_rows": int(
            np.count_nonzero(current_state(frame["current_ampere"].to_numpy(), rest_current))
        ),
    }
    return frame


def __getattr__(name: str) -> Any:
    """``summarize_cycler_file`` (streaming per-cycle summary), imported on first use."""
    if name == "summarize_cycler_file":
        from anodelab.ingest.readers.streaming import summarize_cycler_file

        return summarize_cycler_file
    raise AttributeError(name)
