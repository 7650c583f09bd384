"""BioLogic EC-Lab binary ``.mpr`` files → a DataFrame with the column names of the ``.mpt`` export.

Layout (documented from the files themselves and from the public readers galvani and yadg, whose
code is not used here): a 48-byte magic ``BIO-LOGIC MODULAR FILE\\x1a`` padded with spaces, four
zero bytes, then modules.  Each module is ``MODULE``, a 10-byte short name, a 25-byte long name
and then either ``length, version: uint32`` + an 8-byte date, or (EC-Lab ≥ 11.50, marked by
``0xFFFFFFFF`` where the length would be) ``max length, length, version, unknown: uint32`` + date.
The ``VMP data`` module holds ``n_points: uint32``, ``n_columns: uint8`` and the column IDs
(version 0: one byte each, or two bytes each from EC-Lab 11.50 on; versions 2 and 3: uint16),
then the records from a fixed offset (version 0: 100 or 1007; 2: 405; 3: 406).  Each column ID
has a fixed name and dtype; IDs 1, 2, 3, 21, 31, 65 are bit flags packed into one byte.

Only the columns battery spectra and voltammograms need are known here; a file with another
column ID cannot be laid out (the record size is unknown) and is refused with a sentence that
names the ID and asks for the ``.mpt`` text export of the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.schema.errors import InputError

__all__ = ["MPR_COLUMNS", "read_mpr"]

_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a"
_FLAG_IDS = {1: ("mode", 0x03), 2: ("ox/red", 0x04), 3: ("error", 0x08), 21: ("control changes", 0x10),
             31: ("Ns changes", 0x20), 65: ("counter inc.", 0x80)}  # fmt: skip

#: column ID → (name as in the .mpt header, numpy dtype)
MPR_COLUMNS: dict[int, tuple[str, str]] = {
    4: ("time/s", "<f8"),
    5: ("control/V/mA", "<f4"),
    6: ("Ewe/V", "<f4"),
    7: ("dq/mA.h", "<f8"),
    8: ("I/mA", "<f4"),
    9: ("Ece/V", "<f4"),
    11: ("<I>/mA", "<f8"),
    13: ("(Q-Qo)/mA.h", "<f8"),
    16: ("Analog IN 1/V", "<f4"),
    19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"),
    23: ("dQ/mA.h", "<f8"),
    24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"),
    27: ("Ewe-Ece/V", "<f4"),
    32: ("freq/Hz", "<f4"),
    33: ("|Ewe|/V", "<f4"),
    34: ("|I|/A", "<f4"),
    35: ("Phase(Z)/deg", "<f4"),
    36: ("|Z|/Ohm", "<f4"),
    37: ("Re(Z)/Ohm", "<f4"),
    38: ("-Im(Z)/Ohm", "<f4"),
    39: ("I Range", "<u2"),
    69: ("R/Ohm", "<f4"),
    70: ("P/W", "<f4"),
    74: ("|Energy|/W.h", "<f8"),
    76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"),
    96: ("|Ece|/V", "<f4"),
    98: ("Phase(Zce)/deg", "<f4"),
    99: ("|Zce|/Ohm", "<f4"),
    100: ("Re(Zce)/Ohm", "<f4"),
    101: ("-Im(Zce)/Ohm", "<f4"),
    123: ("Energy charge/W.h", "<f8"),
    124: ("Energy discharge/W.h", "<f8"),
    125: ("Capacitance charge/µF", "<f8"),
    126: ("Capacitance discharge/µF", "<f8"),
    131: ("Ns", "<u2"),
    169: ("Cs/µF", "<f4"),
    172: ("Cp/µF", "<f4"),
    174: ("<Ewe>/V", "<f4"),
    211: ("Q charge/discharge/mA.h", "<f8"),
    212: ("half cycle", "<u4"),
    213: ("z cycle", "<u4"),
    434: ("(Q-Qo)/C", "<f4"),
    435: ("dQ/C", "<f4"),
    438: ("step time/s", "<f8"),
    462: ("Temperature/°C", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"),
    468: ("half cycle", "<u4"),
    469: ("z cycle", "<u4"),
    498: ("Q charge/mA.h", "<f8"),
    499: ("Q discharge/mA.h", "<f8"),
    500: ("step time/s", "<f8"),
    501: ("Efficiency/%", "<f8"),
    502: ("Capacity/mA.h", "<f8"),
}


def _modules(raw: bytes, file: str) -> list[dict]:
    if not raw.startswith(_MAGIC):
        raise InputError(
            "is not a BioLogic .mpr file (no 'BIO-LOGIC MODULAR FILE' magic)", file=file
        )
    pos = 52
    out = []
    while pos < len(raw):
        if raw[pos : pos + 6] != b"MODULE":
            raise InputError(
                f"damaged .mpr: expected a module at byte {pos}; export the file as .mpt text",
                file=file,
            )
        pos += 6
        short = raw[pos : pos + 10].decode("latin-1").strip()
        long = raw[pos + 10 : pos + 35].decode("latin-1").strip()
        if raw[pos + 35 : pos + 39] == b"\xff\xff\xff\xff":  # EC-Lab >= 11.50 header
            length, version = np.frombuffer(raw, "<u4", 2, pos + 39)
            pos += 35 + 16 + 8
        else:
            length, version = np.frombuffer(raw, "<u4", 2, pos + 35)
            pos += 35 + 8 + 8
        data = raw[pos : pos + int(length)]
        if len(data) != int(length):
            raise InputError(f"truncated .mpr: module {long!r} ends early", file=file)
        out.append({"short": short, "long": long, "version": int(version), "data": data})
        pos += int(length)
    return out


def read_mpr(path: str | Path) -> pd.DataFrame:
    """Read the data module of a BioLogic ``.mpr`` into a DataFrame named as the ``.mpt`` export
    names its columns (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``, ``Ewe/V``, ``<I>/mA`` …).

    ``frame.attrs``: ``source_file``, ``column_ids``, ``data_module_version``.
    """
    file = str(path)
    mods = _modules(Path(path).read_bytes(), file)
    data_mod = next((m for m in mods if m["short"] == "VMP data"), None)
    if data_mod is None:
        found = [m["short"] for m in mods]
        raise InputError(
            f"no 'VMP data' module among the modules {found} of this .mpr (a settings-only file?); "
            "open it in EC-Lab and export the data as .mpt text",
            file=file,
        )
    data, version = data_mod["data"], data_mod["version"]
    n_points = int(np.frombuffer(data, "<u4", 1, 0)[0])
    n_cols = int(data[4])
    if version == 0:
        if data[5] != 0:
            ids = list(np.frombuffer(data, "u1", n_cols, 5))
            start = 100
        else:  # EC-Lab >= 11.50 stores the one-byte IDs as two-byte little-endian pairs (0, id)
            ids = list(np.frombuffer(data, "u1", 2 * n_cols, 5)[1::2])
            start = 1007
    elif version in (2, 3):
        ids = list(np.frombuffer(data, "<u2", n_cols, 5))
        start = 405 if version == 2 else 406
    else:
        raise InputError(
            f"data module version {version} of this .mpr is not known (known: 0, 2, 3); "
            "export the file from EC-Lab as .mpt text",
            file=file,
        )
    fields: list[tuple[str, str]] = []
    flags: dict[str, int] = {}
    seen: dict[str, int] = {}
    for cid in (int(c) for c in ids):
        if cid in _FLAG_IDS:
            if "flags" not in seen:
                fields.append(("flags", "u1"))
                seen["flags"] = 1
            name, mask = _FLAG_IDS[cid]
            flags[name] = mask
            continue
        if cid not in MPR_COLUMNS:
            known = ", ".join(name for name, _ in fields) or "none"
            raise InputError(
                f"column ID {cid} of this .mpr is not known to anodelab (the columns before it: "
                f"{known}), so its records cannot be laid out; export the same file from EC-Lab "
                "as .mpt text (Export as Text) and read that",
                file=file,
            )
        name, dtype = MPR_COLUMNS[cid]
        seen[name] = seen.get(name, 0) + 1
        fields.append((name if seen[name] == 1 else f"{name} {seen[name]}", dtype))
    record = np.dtype(fields)
    body = data[start:]
    if len(body) < n_points * record.itemsize:
        raise InputError(
            f"the .mpr says {n_points} points of {record.itemsize} bytes but holds "
            f"{len(body)} bytes; export the file from EC-Lab as .mpt text",
            file=file,
        )
    table = np.frombuffer(body, record, n_points)
    frame = pd.DataFrame({name: table[name].astype(float) for name, _ in fields if name != "flags"})
    for name, mask in flags.items():
        bits = table["flags"] & mask
        frame[name] = bits if name == "mode" else (bits != 0).astype(int)
    frame.attrs.update(
        source_file=file, column_ids=[int(c) for c in ids], data_module_version=version
    )
    return frame
