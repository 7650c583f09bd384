"""BioLogic EC-Lab ``.mpr`` cycling files (GCPL, Modulo Bat, …) → the canonical cycler frame.

The binary is laid out by our own parser :func:`anodelab.ingest.readers.biologic_mpr.read_mpr`;
when it does not know a column ID of the file, galvani (GPL-3, optional extra ``anodelab[gpl]``)
is tried if installed.  Both give the record columns under their EC-Lab names (``time/s``,
``Ewe/V``, ``I/mA``, ``dq/mA.h``, ``(Q-Qo)/mA.h``, ``half cycle``…), recognised through
:mod:`anodelab.ingest.quantity_words`, and the ``mode`` (1 galvanostatic, 2 potentiostatic,
3 rest) and ``ox/red`` flags (galvani packs them in one ``flags`` byte: bits 0–1 and bit 2).

GCPL files often store no current at all, only the charge counter.  The current is then the
derivative of the charge the file does store (EC-Lab integrates the current it measures into
``dq`` per record and ``(Q-Qo)`` since the start):

.. math::  I_i = 3.6\\,\\frac{\\Delta q_i}{t_i - t_{i-1}} \\quad [\\mathrm{A};\\ q\\ \\text{in mA h}]

with :math:`\\Delta q_i` = ``dq`` of record *i* or the increment of ``(Q-Qo)``.  Capacities then
come from the counter itself (:func:`anodelab.echem.cycling.cycle_summary` credits its
increments to the half-cycle of their sign), so nothing is lost by the differentiation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anodelab.ingest.quantity_words import ColumnMatch, match_columns
from anodelab.ingest.readers.biologic_mpr import read_mpr
from anodelab.ingest.readers.generic import frame_from_columns
from anodelab.ingest.readers.registry import register_reader
from anodelab.ingest.readers.vendors import _eclab_modes
from anodelab.schema.errors import InputError

__all__ = ["current_from_charge"]

_MODE_BITS = 0x03
_OX_RED_BIT = 0x04


def current_from_charge(
    time_s: np.ndarray, charge_Ah: np.ndarray, *, increments: bool
) -> np.ndarray:
    """Current (A) in each record's interval from a charge counter (see module docstring).

    ``increments=True``: ``charge_Ah`` holds per-record increments (``dq``); else it is a running
    total (``(Q-Qo)``).  The first record and records with no time step get 0 A.
    """
    t = np.asarray(time_s, dtype=float)
    q = np.nan_to_num(np.asarray(charge_Ah, dtype=float))
    dq = q.copy() if increments else np.concatenate(([0.0], np.diff(q)))
    dq[0] = 0.0
    dt = np.concatenate(([0.0], np.diff(t)))
    with np.errstate(divide="ignore", invalid="ignore"):
        current = np.where(dt > 0, dq * 3600.0 / dt, 0.0)
    return current


@register_reader("biologic-mpr", extensions=(".mpr",), vendor="biologic")
def read_biologic_mpr(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """BioLogic ``.mpr`` binary: our parser, galvani (GPL-3, optional) for column IDs it lacks."""
    library = "anodelab.ingest.readers.biologic_mpr"
    try:
        records = read_mpr(path)
    except InputError as ours:
        records = _galvani_records(path, ours)
        library = "galvani"
    if "flags" in records.columns:
        flags = records["flags"].to_numpy().astype(np.int64)
        records["mode"] = flags & _MODE_BITS
        records["ox/red"] = (flags & _OX_RED_BIT) > 0
    headers = [str(c) for c in records.columns]
    columns = match_columns(headers)
    warnings: list[str] = []
    if "current_ampere" not in columns:
        derived = _derive_current(records, columns)
        if derived is None:
            raise InputError(
                f"no current column and no charge counter (dq or (Q-Qo)) to derive it from; "
                f"columns are {headers}; export the file with I/mA as .mpt text from EC-Lab",
                file=str(path),
            )
        records["I from charge/A"], source = derived
        columns["current_ampere"] = ColumnMatch("I from charge/A", "current_ampere", "A", 1.0)
        warnings.append(
            f"the file stores no current: it was derived from the charge counter {source} "
            "(I = Δq/Δt per record); capacities come from the counter"
        )
    raw = pd.DataFrame({key: records[m.header] for key, m in columns.items()})
    frame = frame_from_columns(raw, columns, str(path), headers)
    meta: dict[str, Any] = {
        "vendor": "biologic",
        "format": "mpr",
        "library": library,
        "reader_warnings": warnings,
        "columns": {
            k: {"header": m.header, "unit": m.unit, "factor": m.factor} for k, m in columns.items()
        },
    }
    _eclab_modes(frame, meta)
    return frame, meta


def _galvani_records(path: Path, ours: InputError) -> pd.DataFrame:
    """The records through galvani when our parser refused the file (``ours`` says why)."""
    try:
        from galvani import BioLogic  # type: ignore[import-not-found]
    except ImportError:
        raise InputError(
            f"{ours.message.rstrip('.')}; or install the optional GPL-3 reader galvani "
            "(pip install anodelab[gpl]), which knows more column IDs",
            file=str(path),
        ) from None
    try:
        return pd.DataFrame(BioLogic.MPRfile(str(path)).data)
    except Exception as exc:  # galvani: "Column ID N is unknown" etc.
        raise InputError(
            f"neither anodelab's .mpr parser ({ours.message}) nor galvani ({exc}) can lay out "
            "this file; export it as .mpt text from EC-Lab and read that",
            file=str(path),
        ) from exc


def _derive_current(
    records: pd.DataFrame, columns: dict[str, ColumnMatch]
) -> tuple[np.ndarray, str] | None:
    """Current from ``dq`` (preferred: per record) or ``(Q-Qo)``; ``None`` without either."""
    if "test_time_second" not in columns:
        return None
    time = records[columns["test_time_second"].header].to_numpy(dtype=float)
    for key, increments in (
        ("charge_increment_ampere_hour", True),
        ("net_capacity_ampere_hour", False),
    ):
        if key in columns:
            match = columns[key]
            charge = records[match.header].to_numpy(dtype=float) * match.factor
            return current_from_charge(time, charge, increments=increments), repr(match.header)
    return None
