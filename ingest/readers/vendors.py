"""The registered cycler readers: generic text/Excel, vendor presets, Neware binary, BioLogic .mpr.

Presets (``read_cycler(path, preset=...)``):

==================  ==========================================================================
preset              what
==================  ==========================================================================
``generic``         any delimited text (default for .csv .txt .tsv .dat and unknown suffixes)
``excel``           .xlsx / .xls (first sheet with a recognisable header)
``arbin``           Arbin MITS CSV/Excel export (``Test_Time(s)``, ``Current(A)`` ...)
``maccor``          Maccor text export (unsigned ``Amps`` + ``Md`` mode column C/D/R)
``biologic``        BioLogic EC-Lab ``.mpt`` text (``Nb header lines``, decimal commas)
``neware-export``   Neware BTSDA CSV/Excel export (``Step Type``, ``Cumulative Time``); the
                    three-level text export (cycle, step and record rows interleaved, each
                    level its own indented header) is recognised by this preset and by
                    ``generic`` (:mod:`anodelab.ingest.readers.neware_levels`)
``neware``          Neware ``.nda`` / ``.ndax`` binary via NewareNDA (BSD-3)
``biologic-mpr``    BioLogic ``.mpr`` binary (our parser; galvani, GPL-3, optional, for unknown column IDs)
``arbin-res``       Arbin ``.res`` Access database (``anodelab.ingest.readers.arbin_res``)
==================  ==========================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anodelab.ingest.readers.generic import (
    frame_from_columns,
    read_delimited,
    read_excel_table,
    sniff_text,
)
from anodelab.ingest.readers.metadata import facts_from_preamble
from anodelab.ingest.readers.neware_levels import read_neware_levels, sniff_levels
from anodelab.ingest.readers.registry import register_reader
from anodelab.schema.errors import InputError

__all__: list[str] = []

_EXCEL = (".xlsx", ".xlsm", ".xls")


def _text_or_excel(
    path: Path, overrides: dict[str, str] | None, vendor: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    if path.suffix.lower() in _EXCEL:
        raw, excel = read_excel_table(path, overrides)
        columns = excel["columns"]
        frame = frame_from_columns(raw, columns, str(path))
        meta: dict[str, Any] = {
            "vendor": vendor,
            "format": "excel",
            "sheet": excel["sheet"],
            "header_line": excel["header_line"],
        }
        meta["file_metadata"], notes = facts_from_preamble(excel["info_lines"], "workbook")
        meta["reader_warnings"] = notes
    elif vendor in ("generic", "neware") and (levels := sniff_levels(path)) is not None:
        return read_neware_levels(path, levels)  # Neware cycle/step/record rows in one CSV
    else:
        layout = sniff_text(path, overrides)
        raw, counts = read_delimited(path, layout)
        columns = layout.columns
        frame = frame_from_columns(raw, columns, str(path), layout.headers)
        meta = {
            "vendor": vendor,
            "format": "text",
            "header_line": layout.header_line,
            "delimiter": layout.delimiter,
            "decimal": layout.decimal,
            "encoding": layout.encoding,
            **counts,
        }
        if vendor == "generic":
            meta["vendor"] = _guess_vendor("\n".join(layout.preamble[:40]), layout.headers)
        meta["file_metadata"], notes = facts_from_preamble(layout.preamble)
        meta.setdefault("reader_warnings", []).extend(notes)
    meta["columns"] = {
        key: {"header": m.header, "unit": m.unit, "factor": m.factor} for key, m in columns.items()
    }
    meta["dropped_rows"] = frame.attrs.pop("dropped_rows", 0)
    if meta["vendor"] == "biologic":
        _eclab_modes(frame, meta)
    return frame, meta


#: EC-Lab's ``mode`` flag (two bits of the record's flag byte; the same in .mpt and .mpr):
#: 1 = galvanostatic, 2 = potentiostatic, 3 = rest (open circuit: OCV, relaxation, and impedance
#: sweeps run around the open-circuit potential).
ECLAB_MODES = {1: "galvanostatic", 2: "potentiostatic", 3: "rest"}


def _eclab_modes(frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Replace EC-Lab's numeric ``mode`` codes by words (in place); ``rest`` rows are rest downstream.

    :func:`anodelab.ingest.readers.read_cycler` treats rows whose mode says rest as rest whatever
    current they log: EC-Lab logs the DC current of an impedance sweep at open circuit (mode 3)
    in ``I/mA``, and it changes sign within the sweep; it must not start half-cycles.  Other codes
    are kept as ``"mode N"`` (not rest).
    """
    if "mode" not in frame.columns:
        return
    codes = pd.to_numeric(frame["mode"].astype("string").str.strip(), errors="coerce")
    words = codes.map(ECLAB_MODES)
    other = words.isna() & codes.notna()
    words[other] = "mode " + codes[other].astype("Int64").astype("string")
    frame["mode"] = words.astype("string")
    meta["mode_codes"] = "EC-Lab mode 1/2/3 = galvanostatic/potentiostatic/rest"


def _guess_vendor(preamble: str, headers: list[str]) -> str:
    text = preamble.lower()
    if "ec-lab" in text or "nb header lines" in text:
        return "biologic"
    if "maccor" in text or "today's date" in text:
        return "maccor"
    if any(h.startswith("Data_Point") for h in headers):
        return "arbin"
    if any(h in ("Step Type", "Cumulative Time", "Chg. Cap.(Ah)") for h in headers):
        return "neware"
    return "generic"


@register_reader("generic", extensions=(".csv", ".txt", ".tsv", ".dat"), vendor="generic")
def read_generic(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Any delimited text export with a recognisable header (auto-detected layout)."""
    return _text_or_excel(path, None, "generic")


@register_reader("excel", extensions=_EXCEL, vendor="generic")
def read_excel(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Excel workbook export (first sheet whose header has voltage and current or time)."""
    return _text_or_excel(path, None, "generic")


_ARBIN = {
    "Test_Time(s)": "test_time_second",
    "Current(A)": "current_ampere",
    "Voltage(V)": "voltage_volt",
    "Cycle_Index": "cycle_count",
    "Step_Index": "step_id",
    "Charge_Capacity(Ah)": "charge_capacity_ampere_hour",
    "Discharge_Capacity(Ah)": "discharge_capacity_ampere_hour",
}


@register_reader("arbin", vendor="arbin")
def read_arbin(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Arbin MITS Pro CSV or Excel export."""
    return _text_or_excel(path, _ARBIN, "arbin")


_MACCOR = {
    "Test Time (sec)": "test_time_second",
    "TestTime": "test_time_second",
    "Amps": "current_ampere",
    "Current": "current_ampere",
    "Volts": "voltage_volt",
    "Voltage": "voltage_volt",
    "Amp-hr": "capacity_ampere_hour",
    "Capacity": "capacity_ampere_hour",
    "Cyc#": "cycle_count",
    "Cycle C": "cycle_count",
    "Step": "step_id",
    "Md": "mode",
    "State": "mode",
}


@register_reader("maccor", vendor="maccor")
def read_maccor(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Maccor text export: unsigned current, direction in the ``Md`` column (C/D/R)."""
    return _text_or_excel(path, _MACCOR, "maccor")


@register_reader("biologic", extensions=(".mpt",), vendor="biologic")
def read_biologic_mpt(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """BioLogic EC-Lab ``.mpt`` text export (``Nb header lines``; decimal commas by locale)."""
    overrides = {
        "time/s": "test_time_second",
        "Ewe/V": "voltage_volt",
        "cycle number": "cycle_count",
        "Ns": "step_id",
        "Q charge/mA.h": "charge_capacity_ampere_hour",
        "Q discharge/mA.h": "discharge_capacity_ampere_hour",
    }
    return _text_or_excel(path, overrides, "biologic")


@register_reader("neware-export", vendor="neware")
def read_neware_export(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Neware BTSDA CSV/Excel record export (``Cumulative Time``/``Total Time``, ``Step Type``)."""
    overrides = {
        "Cycle Index": "cycle_count",
        "Cycle ID": "cycle_count",
        "Step Index": "step_id",
        "Step ID": "step_id",
        "Step Type": "mode",
        "Status": "mode",
    }
    return _text_or_excel(path, overrides, "neware")


@register_reader("neware", extensions=(".nda", ".ndax"), vendor="neware")
def read_neware_binary(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Neware ``.nda``/``.ndax`` binary files through NewareNDA (BSD-3)."""
    import NewareNDA  # noqa: N813 - third-party module name

    try:
        data = NewareNDA.read(str(path), software_cycle_number=False, log_level="ERROR")
    except Exception as exc:  # NewareNDA raises bare exceptions on bad files
        raise InputError(f"NewareNDA cannot read this file: {exc!r}", file=str(path)) from exc
    needed = {"Time", "Voltage", "Current(mA)"}
    if data is None or not needed <= set(data.columns) or data.empty:
        raise InputError(f"NewareNDA returned no records with {sorted(needed)}", file=str(path))
    step = data["Step"].to_numpy() if "Step" in data.columns else data["Step_Index"].to_numpy()
    step_time = data["Time"].to_numpy(dtype=float)
    # "Time" restarts in every step: test time = step time + durations of the earlier steps
    new_step = np.ones(step.size, dtype=bool)
    new_step[1:] = step[1:] != step[:-1]
    previous_end = np.zeros(step.size)
    previous_end[1:] = np.where(new_step[1:], step_time[:-1], 0.0)
    test_time = step_time + np.cumsum(previous_end)
    frame = pd.DataFrame(
        {
            "test_time_second": test_time,
            "voltage_volt": data["Voltage"].to_numpy(dtype=float),
            "current_ampere": data["Current(mA)"].to_numpy(dtype=float) / 1000.0,
            "cycle_count": data["Cycle"].to_numpy(dtype=np.int64),
            "step_id": data["Step_Index"].to_numpy(dtype=np.int64),
        }
    )
    for source, key in (
        ("Charge_Capacity(mAh)", "charge_capacity_ampere_hour"),
        ("Discharge_Capacity(mAh)", "discharge_capacity_ampere_hour"),
    ):
        if source in data.columns:
            frame[key] = data[source].to_numpy(dtype=float) / 1000.0
    if "Status" in data.columns:
        frame["mode"] = data["Status"].astype("string").to_numpy()
    meta = {
        "vendor": "neware",
        "format": path.suffix.lower().lstrip("."),
        "library": f"NewareNDA {getattr(NewareNDA, '__version__', '')}".strip(),
        "columns": {
            "test_time_second": {
                "header": "Time (per step, accumulated)",
                "unit": "s",
                "factor": 1.0,
            },
            "current_ampere": {"header": "Current(mA)", "unit": "mA", "factor": 1e-3},
            "voltage_volt": {"header": "Voltage", "unit": "V", "factor": 1.0},
        },
    }
    return frame, meta
