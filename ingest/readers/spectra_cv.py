"""Read cyclic voltammograms: text exports (CSV/TSV/.mpt/.txt, Gamry ``.DTA``) and BioLogic ``.mpr``.

``read_cv(path, scan_rate_mV_per_s=None)`` returns ``potential_volt``, ``current_ampere``,
``scan_rate_mV_per_s`` and, when known, ``time_second`` and ``cycle``.  Layouts:

* long: one potential and one current column, with or without a scan-rate or cycle column;
  several tables of the same columns (Gamry ``CURVE1``, ``CURVE2`` …) are one table per cycle;
* wide: one potential column and one current column per scan rate whose names carry the rate
  (``I @ 0.2 mV/s (mA)``, the layout Origin users export).

The scan rate of each row comes from, in this order: a scan-rate column; the
``scan_rate_mV_per_s`` argument; |dE/dt| of each sweep when the file has a time column
(:func:`anodelab.echem.cv_rate.sweep_scan_rates` — a file holding several scan rates one after
the other is split into them); the rate stated in the file header (Gamry ``SCANRATE``, EC-Lab
``dE/dt``).  Any stated rate that differs from |dE/dt| by more than 5 % gives a warning.
``frame.attrs``: ``source_file``, ``columns`` (header used per key), ``warnings``,
``scan_rate_source``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.echem.cv_rate import compare_stated_rate, sweep_scan_rates
from anodelab.ingest.readers.biologic_mpr import read_mpr
from anodelab.ingest.readers.spectra_text import (
    column_values,
    is_binary,
    read_text,
    spectra_columns,
    tables,
)
from anodelab.schema.errors import InputError
from anodelab.schema.units import to_canonical

__all__ = ["read_cv"]

_RATE_IN_NAME = re.compile(r"([0-9]*\.?[0-9]+)\s*(mV|V|µV|uV)\s*/?\s*s(?:-1|⁻¹)?", re.IGNORECASE)
_LOOKED_FOR = {
    "potential": "Ewe, E, Potential, Voltage or Vf with a unit such as /V, (V) or [mV]",
    "current": "I, <I>, Current or Im with a unit such as /mA, (A) or [µA]",
}


def _stated_rate(path: Path) -> float | None:
    """The scan rate (mV/s) written in a text file's header: Gamry ``SCANRATE QUANT 1.0E+001
    &Scan Rate (mV/s)`` or EC-Lab ``dE/dt  10.000`` + ``dE/dt unit  mV/s``."""
    if is_binary(path):
        return None
    head = "\n".join(read_text(path).splitlines()[:200])
    m = re.search(r"^SCANRATE\s+QUANT\s+([-+0-9.eE]+)", head, re.M)
    if m:
        return abs(float(m.group(1)))
    m = re.search(r"^dE/dt\s+([-+0-9.,]+)\s*$", head, re.M)
    if m:
        unit = re.search(r"^dE/dt unit\s+(\S+)", head, re.M)
        value = float(m.group(1).replace(",", "."))
        return abs(to_canonical(value, unit.group(1) if unit else "mV/s", "mV/s"))
    return None


def _cv_table(path: Path) -> pd.DataFrame:
    """The data table: an .mpr data module, or the text tables that share the first table's
    columns, stacked (``_table`` numbers them from 1)."""
    file = str(path)
    if is_binary(path) == "a BioLogic EC-Lab binary .mpr":
        frame = read_mpr(path)
        frame["_table"] = 1
        return frame
    parts: list[pd.DataFrame] = []
    for frame in tables(path):
        if parts and list(frame.columns) != list(parts[0].columns[:-1]):
            continue
        parts.append(frame.assign(_table=len(parts) + 1))
    if not parts:
        lines = [x for x in read_text(path).splitlines() if x.strip()]
        first = lines[0][:80] if lines else "(empty file)"
        raise InputError(
            "no table found: looked for a header line followed by rows of numbers (comma, "
            f"semicolon or tab separated) and found none, the file starts with {first!r}; "
            "export the voltammogram as delimited text with one header row",
            file=file,
        )
    return pd.concat(parts, ignore_index=True)


def _wide(
    frame: pd.DataFrame, pot_col: str, potential: np.ndarray, rate_cols: dict
) -> pd.DataFrame:
    parts = []
    for col, m in rate_cols.items():
        rate = to_canonical(float(m.group(1)), f"{m.group(2)}/s", "mV/s")
        unit_text = col[m.end() :]
        um = re.search(r"[\(\[]\s*([^()\[\]]+)\s*[\)\]]|/\s*(\S+)\s*$", unit_text)
        unit = (um.group(1) or um.group(2)) if um else "A"
        factor = to_canonical(1.0, unit, "A", what=f"column {col!r}")
        parts.append(
            pd.DataFrame(
                {
                    "potential_volt": potential,
                    "current_ampere": frame[col].to_numpy(dtype=float) * factor,
                    "scan_rate_mV_per_s": rate,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _round(rate: float) -> float:
    return float(f"{rate:.4g}")


def read_cv(path: str | Path, scan_rate_mV_per_s: float | None = None) -> pd.DataFrame:
    """Read a cyclic voltammogram; see the module docstring for layouts and scan-rate rules."""
    file = str(path)
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=file)
    frame = _cv_table(path)
    cols = [c for c in frame.columns if c != "_table"]
    warnings: list[str] = []
    freq = [c for c in cols if re.match(r"\s*freq", str(c), re.IGNORECASE)]
    if freq:
        raise InputError(
            f"is an impedance record, not a voltammogram: looked for potential against time or "
            f"scan rate and found the frequency column {freq[0]!r} among {cols[:6]}; analyse it "
            "with --kind eis",
            file=file,
        )
    keys = spectra_columns([str(c) for c in cols])
    if "voltage_volt" not in keys:
        raise InputError(
            f"no potential column: looked for {_LOOKED_FOR['potential']}, found the columns "
            f"{cols}; rename the potential column (e.g. 'Ewe/V')",
            file=file,
        )
    pot_col = keys["voltage_volt"].header
    potential = column_values(frame, keys["voltage_volt"])
    found = {c: _RATE_IN_NAME.search(str(c)) for c in cols if c != pot_col}
    rate_cols = {
        c: m
        for c, m in found.items()
        if m is not None and spectra_columns([str(c)]).get("scan_rate_volt_per_second") is None
    }
    if len(rate_cols) >= 2:  # wide layout: one current column per scan rate
        out = _wide(frame, pot_col, potential, rate_cols)
        used: dict = {"potential_volt": pot_col, "current_ampere": list(rate_cols)}
        source = "column names"
    else:
        time_col = keys["test_time_second"].header if "test_time_second" in keys else None
        if "current_ampere" not in keys:
            raise InputError(
                f"no current column: looked for {_LOOKED_FOR['current']}, found the columns "
                f"{cols}; rename the current column (e.g. 'I/mA')",
                file=file,
            )
        cur_col = keys["current_ampere"].header
        out = pd.DataFrame(
            {
                "potential_volt": potential,
                "current_ampere": column_values(frame, keys["current_ampere"]),
            }
        )
        used = {"potential_volt": pot_col, "current_ampere": cur_col}
        measured = None
        if time_col is not None:
            out["time_second"] = column_values(frame, keys["test_time_second"])
            used["time_second"] = time_col
            ok = out[["time_second", "potential_volt"]].notna().all(axis=1).to_numpy()
            t, e = out["time_second"].to_numpy()[ok], out["potential_volt"].to_numpy()[ok]
            out = out[ok].reset_index(drop=True)
            frame = frame[ok].reset_index(drop=True)
            measured = sweep_scan_rates(t, e, segment=frame["_table"].to_numpy(), file=file)
        rate_key = keys.get("scan_rate_volt_per_second")
        rate_col = rate_key.header if rate_key is not None else None
        stated = _stated_rate(path)
        if rate_key is not None:
            out["scan_rate_mV_per_s"] = 1000.0 * column_values(frame, rate_key)
            used["scan_rate_mV_per_s"] = rate_col
            source = f"column {rate_col!r}"
            if measured is not None:
                for rate in measured.group_rates_mV_per_s:
                    in_group = measured.rate_mV_per_s == rate
                    given = float(np.nanmedian(out["scan_rate_mV_per_s"].to_numpy()[in_group]))
                    note = compare_stated_rate(given, rate, source=f"column {rate_col!r}")
                    if note:
                        warnings.append(note)
        elif scan_rate_mV_per_s is not None:
            out["scan_rate_mV_per_s"] = float(scan_rate_mV_per_s)
            source = "the scan_rate_mV_per_s option (--scan-rate)"
            if measured is not None:
                for rate in measured.group_rates_mV_per_s:
                    note = compare_stated_rate(float(scan_rate_mV_per_s), rate, source=source)
                    if note:
                        warnings.append(note)
        elif measured is not None:
            groups = measured.group_rates_mV_per_s
            out["scan_rate_mV_per_s"] = [_round(r) for r in measured.rate_mV_per_s]
            source = (
                f"|dE/dt| of the {len(measured.sweep_rates_mV_per_s)} sweeps in column {time_col!r}"
            )
            if len(groups) > 1:
                warnings.append(
                    f"the file holds {len(groups)} scan rates one after the other "
                    f"({', '.join(f'{_round(r):g}' for r in groups)} mV/s, from |dE/dt|); each is "
                    "analysed as its own voltammogram"
                )
            if stated is not None:
                note = compare_stated_rate(stated, groups[-1], source="the file header")
                if note:
                    warnings.append(note + "; the measured rate is used")
        elif stated is not None:
            out["scan_rate_mV_per_s"] = stated
            source = "the file header"
        else:
            raise InputError(
                "no scan rate: looked for a scan-rate column, a time column to take |dE/dt| from "
                f"and a rate in the file header, found the columns {cols}; pass the rate "
                "(scan_rate_mV_per_s, CLI --scan-rate 0.1mV/s) or export the time column",
                file=file,
            )
        if "cycle_count" in keys:
            cyc_col = keys["cycle_count"].header
            out["cycle"] = frame[cyc_col].to_numpy()
            used["cycle"] = cyc_col
        elif frame["_table"].nunique() > 1:
            out["cycle"] = frame["_table"].to_numpy()
            used["cycle"] = "table number (one table per cycle)"
        elif measured is not None:
            out["cycle"] = measured.cycle
            used["cycle"] = "sweep pairs from |dE/dt|"
    out = out.dropna(subset=["potential_volt", "current_ampere"]).reset_index(drop=True)
    if len(out) < 10:
        raise InputError(
            f"only {len(out)} rows with both potential and current (columns {pot_col!r}, "
            f"{used.get('current_ampere')!r}); a voltammogram needs at least 10",
            file=file,
        )
    out.attrs.update(
        source_file=file,
        columns=used,
        warnings=warnings,
        scan_rate_source=source,
        reader="anodelab.ingest.readers.spectra_cv.read_cv",
    )
    return out
