"""Arbin ``.res`` files: the Microsoft Access (Jet) database MITS Pro writes for each test.

The records are in ``Channel_Normal_Table`` (one row per data point: ``Test_Time`` s,
``Current`` A, ``Voltage`` V, cumulative ``Charge_Capacity``/``Discharge_Capacity`` Ah,
``Cycle_Index``, ``Step_Index``, ``Data_Point``); ``Global_Table`` holds the test's name,
channel and the mass entered in the schedule.  Two readers of the Access format are used:

* ``mdb-export`` from mdbtools (GPL, a separate program run as a subprocess) when it is on the
  ``PATH`` — fast (C), the reader cellpy uses on Linux;
* otherwise the pure-Python ``access-parser`` (Apache-2.0, a dependency), ≈ 4 000 rows s⁻¹.

Both give the same frame (tested).  Arbin's sign convention is already ours (charge > 0).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anodelab.ingest.readers.metadata import fact
from anodelab.ingest.readers.registry import register_reader
from anodelab.schema.errors import InputError

__all__ = ["read_arbin_res", "res_tables"]

DATA_TABLE = "Channel_Normal_Table"
GLOBAL_TABLE = "Global_Table"
_COLUMNS = {  # Arbin column -> (canonical key, factor to the canonical unit)
    "Test_Time": ("test_time_second", 1.0),
    "Voltage": ("voltage_volt", 1.0),
    "Current": ("current_ampere", 1.0),
    "Cycle_Index": ("cycle_count", 1.0),
    "Step_Index": ("step_id", 1.0),
    "Charge_Capacity": ("charge_capacity_ampere_hour", 1.0),
    "Discharge_Capacity": ("discharge_capacity_ampere_hour", 1.0),
    "Data_Point": ("record_index", 1.0),
}
_UNITS = {"Test_Time": "s", "Voltage": "V", "Current": "A", "Charge_Capacity": "A h",
          "Discharge_Capacity": "A h"}  # fmt: skip


def res_tables(path: Path, names: tuple[str, ...]) -> tuple[dict[str, pd.DataFrame], str]:
    """The Access tables ``names`` of an Arbin ``.res`` file, and which library read them."""
    if shutil.which("mdb-export"):
        return {n: _mdb_export(path, n) for n in names}, "mdbtools mdb-export"
    return _access_parser(path, names), "access-parser"


def _mdb_export(path: Path, table: str) -> pd.DataFrame:
    try:
        out = subprocess.run(
            ["mdb-export", str(path), table], capture_output=True, check=True, timeout=3600
        ).stdout
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip()
        raise InputError(
            f"mdb-export cannot read table {table!r}: {message}", file=str(path)
        ) from exc
    return pd.read_csv(io.BytesIO(out))


def _access_parser(path: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    from access_parser import AccessParser

    try:
        database = AccessParser(str(path))
    except Exception as exc:  # the parser raises construct/struct errors on a foreign file
        raise InputError(
            f"not an Arbin .res (Microsoft Access) file: {exc}", file=str(path)
        ) from exc
    missing = [n for n in names if n not in database.catalog]
    if missing:
        raise InputError(
            f"the .res database has no table {missing[0]!r}; it has {sorted(database.catalog)}",
            file=str(path),
        )
    return {n: pd.DataFrame(database.parse_table(n)) for n in names}


@register_reader("arbin-res", extensions=(".res",), vendor="arbin")
def read_arbin_res(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Arbin MITS Pro ``.res`` (Access database) file, through mdbtools or access-parser."""
    tables, library = res_tables(path, (DATA_TABLE, GLOBAL_TABLE))
    data, test = tables[DATA_TABLE], tables[GLOBAL_TABLE]
    absent = [c for c in ("Test_Time", "Voltage", "Current") if c not in data.columns]
    if absent:
        raise InputError(
            f"{DATA_TABLE} has no column {absent[0]!r}; columns are {list(data.columns)}",
            file=str(path),
            column=absent[0],
        )
    if data.empty:
        raise InputError(f"{DATA_TABLE} has no records", file=str(path))
    if "Test_ID" in data.columns and data["Test_ID"].nunique() > 1:
        raise InputError(
            f"the file holds {data['Test_ID'].nunique()} tests (Test_ID "
            f"{sorted(data['Test_ID'].unique().tolist())}); one test per file is supported",
            file=str(path),
        )
    if "Data_Point" in data.columns:  # table order is storage order, not always record order
        data = data.sort_values("Data_Point", kind="stable")
    frame = pd.DataFrame(
        {
            key: pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float) * factor
            for col, (key, factor) in _COLUMNS.items()
            if col in data.columns
        }  # fmt: skip
    )
    for key in ("cycle_count", "step_id", "record_index"):
        if key in frame:
            frame[key] = frame[key].to_numpy(dtype=np.int64)
    meta: dict[str, Any] = {
        "vendor": "arbin",
        "format": "res",
        "library": library,
        "columns": {
            key: {"header": col, "unit": _UNITS.get(col, ""), "factor": factor}
            for col, (key, factor) in _COLUMNS.items()
            if col in data.columns
        },
    }
    if len(test):
        first = test.iloc[0]
        for field, name in (("Test_Name", "test_name"), ("Channel_Index", "channel"),
                            ("Schedule_File_Name", "schedule"), ("MASS", "schedule_mass")):  # fmt: skip
            if field in test.columns and pd.notna(first[field]) and str(first[field]).strip():
                value = first[field]
                meta[name] = value.item() if hasattr(value, "item") else value
        meta["file_metadata"] = _global_facts(first)
    return frame, meta


def _global_facts(first: pd.Series) -> dict[str, Any]:
    """File facts from the ``Global_Table`` row: MASS (g), test name, channel, start time."""
    where = f"{GLOBAL_TABLE}"
    facts: dict[str, Any] = {}
    mass = pd.to_numeric(first.get("MASS"), errors="coerce")
    if pd.notna(mass) and float(mass) > 0:
        facts["active_mass_g"] = fact(float(mass), "g", f"{where} MASS = {float(mass):g} g")
    for field, key in (("Test_Name", "cell_name"), ("Channel_Index", "channel")):
        if field in first.index and pd.notna(first[field]) and str(first[field]).strip():
            facts[key] = fact(str(first[field]).strip(), "", f"{where} {field}")
    start = pd.to_numeric(first.get("Start_DateTime"), errors="coerce")
    if pd.notna(start):  # OLE automation date: days since 1899-12-30
        stamp = pd.Timestamp("1899-12-30") + pd.to_timedelta(float(start), unit="D")
        facts["start_time"] = fact(
            stamp.isoformat(timespec="seconds"), "", f"{where} Start_DateTime"
        )
    return facts
