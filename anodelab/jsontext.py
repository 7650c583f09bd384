"""Standard JSON for people and scripts: the one serialiser behind every ``--json`` document,
``anodelab export --format json`` and ``campaign show -o proposals.json``.

What it writes: standard JSON (NaN, ±inf, ``pd.NA`` and ``NaT`` → ``null``, never the ``NaN``
token), numpy scalars as plain numbers with every digit (``4e-12``, not ``0.0``), timestamps and
dates as ISO 8601 text, non-ASCII as written (``mA h g⁻¹``) and ``/`` unescaped (DOIs read
``10.1002/batt.202500037``, not ``10.1002\\/batt…`` as pandas' ``to_json`` writes them).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "json_text", "frame_records"]


def _scalar(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.generic):  # np.float64, np.int64, np.bool_, np.str_ …
        return _scalar(value.item())
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):  # also pd.Timestamp
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON: {value!r}")


def plain(data: Any) -> Any:
    """``data`` as plain JSON values (dicts, lists, str, int, float, bool, None), recursively."""
    if isinstance(data, dict):
        return {_key(k): plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple, set, frozenset)):
        return [plain(v) for v in data]
    return _scalar(data)


def _key(key: Any) -> Any:
    value = _scalar(key)
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One plain dict per row (column → value), missing values as ``None``."""
    return [plain(row) for row in frame.to_dict("records")]


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as standard JSON text (see the module docstring); no trailing newline."""
    return json.dumps(plain(data), ensure_ascii=False, indent=indent, allow_nan=False)
