"""Write ``corpus_truth.json``: each corpus file's half-cycle capacities from the *vendor's own* columns.

Nothing of anodelab is imported.  Each file is read with plain pandas (text), NewareNDA (Neware
binaries, BSD-3), galvani (BioLogic .mpr, GPL-3, optional) or ``mdb-export`` (Arbin .res, mdbtools),
with the column names written out below per file, and its vendor capacity columns are turned into
half-cycles:

* separate cumulative charge / discharge columns (Arbin, LANDT, BDF, Neware, EC-Lab ``Q charge`` /
  ``Q discharge``, BaSyTec ``Ah-Cyc-*``): per row the increase of each column (a drop is a reset:
  the new value is the increase since the reset);
* one unsigned capacity column and the vendor's mode (Maccor ``Amp-hr`` + ``State``/``Md`` C/D,
  Novonix ``Capacity`` + ``Step Type``): increases credited to the mode's direction;
* a signed counter (EC-Lab ``(Q-Qo)`` / ``Q charge/discharge``): its increments, by their sign.

A half-cycle is a maximal run of rows whose increments all go one way (rows without an increment do
not break it); it records its direction (+1 charge, −1 discharge), capacity (mAh) and the test times
(s) of its first and last increments.  The corpus test sums, for every cycle anodelab reports, the
truth half-cycles of each direction whose middle lies inside that cycle's time span.

Run from the repository root: ``python tests/echem_cycling/data/real/make_corpus_truth.py``
(needs NewareNDA, galvani and mdbtools for the binary files; the others are skipped with a note).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
MANIFEST = json.loads((HERE / "corpus.json").read_text())


def increases(values: np.ndarray) -> np.ndarray:
    """Per-row increase of a cumulative column that may reset to zero.

    The first row adds nothing: a counter that starts above zero holds charge passed before the
    file's first record, which the file does not contain.
    """
    c = np.nan_to_num(np.abs(np.asarray(values, dtype=float)))
    out = np.zeros_like(c)
    d = np.diff(c)
    out[1:] = np.where(d >= 0, d, c[1:])
    return out


def half_cycles(time_s: np.ndarray, ch: np.ndarray, dis: np.ndarray) -> list[dict[str, float]]:
    """Runs of one direction from per-row charge/discharge increments (mAh).

    A row where both counters rise (Arbin ticks both at a step change) adds to both directions,
    the one of the run in progress first.
    """
    runs: list[dict[str, float]] = []
    for i in np.flatnonzero((ch > 0) | (dis > 0)):
        events = [(1, float(ch[i])), (-1, float(dis[i]))]
        if runs and runs[-1]["sign"] < 0:
            events.reverse()
        for sign, q in events:
            if q <= 0:
                continue
            if runs and runs[-1]["sign"] == sign:
                runs[-1]["capacity_mAh"] += q
                runs[-1]["end_time_s"] = float(time_s[i])
            else:
                t = float(time_s[i])
                runs.append({"sign": sign, "capacity_mAh": q, "start_time_s": t, "end_time_s": t})
    return runs


def _text(entry: dict[str, Any]) -> pd.DataFrame:
    t = entry["truth"]
    return pd.read_csv(
        HERE / entry["file"],
        skiprows=t.get("skiprows", 0),
        sep=t.get("sep", ","),
        decimal=t.get("decimal", "."),
        encoding=t.get("encoding", "utf-8"),
        index_col=False,
        low_memory=False,
    )


def _excel(entry: dict[str, Any]) -> pd.DataFrame:
    return pd.read_excel(HERE / entry["file"], sheet_name=entry["truth"]["sheet"])


def _newarenda(entry: dict[str, Any]) -> pd.DataFrame:
    import NewareNDA

    data = NewareNDA.read(str(HERE / entry["file"]), software_cycle_number=False)
    stamps = pd.to_datetime(data["Timestamp"])
    data["seconds"] = (stamps - stamps.iloc[0]).dt.total_seconds()
    return data


def _galvani(entry: dict[str, Any]) -> pd.DataFrame:
    from galvani import BioLogic

    return pd.DataFrame(BioLogic.MPRfile(str(HERE / entry["file"])).data)


def _mdb(entry: dict[str, Any]) -> pd.DataFrame:
    out = subprocess.run(
        ["mdb-export", str(HERE / entry["file"]), "Channel_Normal_Table"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pd.read_csv(io.StringIO(out)).sort_values("Data_Point", kind="stable")


def truth_for(entry: dict[str, Any]) -> list[dict[str, float]]:
    t = entry["truth"]
    reader = t["reader"]
    readers = {
        "text": _text,
        "excel": _excel,
        "newarenda": _newarenda,
        "galvani": _galvani,
        "mdb": _mdb,
    }
    data = readers[reader](entry)
    data.columns = [str(c).strip() for c in data.columns]
    time_col = t["time"]
    time = data[time_col]
    if t.get("time_is_duration"):  # "hh:mm:ss" or Maccor "0d 00:00:00.00"
        text = time.astype(str).str.strip().str.replace(r"^(\d+)d ", r"\1 days ", regex=True)
        seconds = pd.to_timedelta(text).dt.total_seconds().to_numpy()
    elif t.get("time_is_datetime"):
        stamps = pd.to_datetime(time, format=t.get("time_format"))
        seconds = (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy()
    else:
        seconds = pd.to_numeric(time, errors="coerce").to_numpy(dtype=float) * t.get(
            "time_factor", 1.0
        )
    factor = t["to_mAh"]
    if "charge" in t:
        ch = increases(pd.to_numeric(data[t["charge"]], errors="coerce").to_numpy() * factor)
        dis = increases(pd.to_numeric(data[t["discharge"]], errors="coerce").to_numpy() * factor)
    elif "capacity" in t:
        inc = increases(pd.to_numeric(data[t["capacity"]], errors="coerce").to_numpy() * factor)
        mode = data[t["mode"]].astype(str).str.strip()
        ch = np.where(mode.isin(t["charge_modes"]), inc, 0.0)
        dis = np.where(mode.isin(t["discharge_modes"]), inc, 0.0)
    elif "per_half_cycle" in t:  # EC-Lab "Q charge/discharge": signed, restarts every half-cycle
        q = (
            pd.to_numeric(data[t["per_half_cycle"]], errors="coerce").fillna(0.0).to_numpy()
            * factor
        )
        label = data[t["half_cycle"]].to_numpy()
        start = np.concatenate(([True], label[1:] != label[:-1]))
        previous = np.where(start, 0.0, np.concatenate(([0.0], q[:-1])))
        d = q - previous
        ch, dis = np.where(d > 0, d, 0.0), np.where(d < 0, -d, 0.0)
    else:  # signed counter
        q = pd.to_numeric(data[t["net"]], errors="coerce").fillna(0.0).to_numpy() * factor
        d = np.concatenate(([0.0], np.diff(q)))
        ch, dis = np.where(d > 0, d, 0.0), np.where(d < 0, -d, 0.0)
    keep = np.isfinite(seconds)
    return half_cycles(seconds[keep], ch[keep], dis[keep])


def main() -> None:
    out: dict[str, Any] = {}
    for entry in MANIFEST["files"]:
        if "truth" not in entry:
            continue
        needs = {"newarenda": "NewareNDA", "galvani": "galvani", "mdb": "mdb-export"}
        reader = entry["truth"]["reader"]
        if reader == "mdb" and shutil.which("mdb-export") is None:
            print(f"skip {entry['file']}: mdbtools not installed")
            continue
        try:
            out[entry["file"]] = truth_for(entry)
        except ImportError:
            print(f"skip {entry['file']}: {needs[reader]} not installed")
            continue
        print(f"{entry['file']}: {len(out[entry['file']])} half-cycles")
    (HERE / "corpus_truth.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
