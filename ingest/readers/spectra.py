"""Readers for impedance spectra (text exports, Gamry .DTA, ZPlot/ZView .z, BioLogic .mpr) and CV.

``read_eis(path)`` returns columns ``frequency_hertz``, ``z_real_ohm``, ``z_imag_ohm`` with the
electrochemical sign convention Z = Z′ + jZ″ (Z″ < 0 on a capacitive arc), sorted from high to
low frequency.  Headers such as BioLogic's ``freq/Hz  Re(Z)/Ohm  -Im(Z)/Ohm``, ``Z' (Ω)``,
``-Z'' (Ω)``, ``Zreal``/``Zimag``, ``|Z|``/``Phase`` are recognised; a ``-`` in front of the
imaginary column name means the file stores −Z″.  Without a sign in the name the sign is
decided from the data (a capacitive spectrum has Z″ < 0 at most points) and a warning says so.

``read_cv(path, scan_rate_mV_per_s=None)`` returns ``potential_volt``, ``current_ampere``,
``scan_rate_mV_per_s`` (and ``cycle`` when present).  The scan rate comes from a column, from the
argument, or from current columns whose names carry it (``I @ 0.2 mV/s (mA)`` — one potential
column shared by several currents, the layout Origin users export).

Units are read from the header (``/mA``, ``(µA)``, ``[V]``) with :func:`parse_unit`.  Files
that lack a needed column raise :class:`InputError` naming the file and the missing quantity.
``frame.attrs`` holds ``source_file``, ``columns`` (header used per key) and ``warnings``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.ingest.readers.biologic_mpr import read_mpr
from anodelab.ingest.readers.spectra_cv import read_cv
from anodelab.ingest.readers.spectra_text import (
    find_column,
    is_binary,
    read_table,
    scaled,
    split_unit,
    tables,
)
from anodelab.schema.errors import InputError

__all__ = ["read_eis", "read_cv", "read_table"]

_FREQ = [r"freq(uency)?([ _](hz|hertz))?", r"f", r"frequency\s*\(hz\)", r"freq/hz"]
_REAL = [
    r"z_?real(_ohm)?",
    r"z'\s*\(a\)",
    r"re\s*\(z\)",
    r"z'?\s*re(al)?",
    r"z_?re(al)?",
    r"z'",
    r"zre",
    r"real(\s*part)?",
    r"zreal",
    r"z\s*real",
]
_IMAG = [
    r"-?\s*z_?imag(_ohm)?",
    r"-?\s*im\s*\(z\)",
    r"-?\s*z''",
    r"-?\s*z''\s*\(b\)",
    r"-?\s*z_?img",
    r"-?\s*z\"",
    r"-?\s*z_?im(ag)?",
    r"-?\s*zimag",
    r"-?\s*imag(inary)?(\s*part)?",
    r"-?\s*z\s*imag",
    r"-?\s*z'?\s*im(ag)?",
]
_MOD = [r"\|z\|", r"zmod", r"z_?mod(ulus)?", r"\|z\|\s*\(ohm\)", r"modulus"]
_PHASE = [r"-?\s*phase(\s*\(z\))?", r"-?\s*theta", r"-?\s*phz"]


_LOOKED_FOR = (
    "a frequency column (freq/Hz, Frequency (Hz), Freq) and either Z′ and Z″ columns "
    "(Re(Z)/Ohm and -Im(Z)/Ohm, Z' and Z'', Zreal and Zimag) or |Z| and phase columns"
)


def _eis_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The first table of the file that holds a frequency column and Z′/Z″ or |Z|/phase columns
    (Gamry ``.DTA`` files hold an OCV table before the impedance table); BioLogic ``.mpr``
    binaries are read by :func:`anodelab.ingest.readers.biologic_mpr.read_mpr`."""
    if not path.exists():
        raise InputError("file not found", file=str(path))
    candidates: list[pd.DataFrame]
    if is_binary(path) == "a BioLogic EC-Lab binary .mpr":
        candidates = [read_mpr(path)]
    else:
        candidates = tables(path)  # type: ignore[assignment]
    seen: list[list[str]] = []
    for frame in candidates:
        cols = list(frame.columns)
        if frame.attrs.get("headerless") and len(cols) >= 3:
            names = {cols[0]: "frequency (Hz)", cols[1]: "Z' (ohm)", cols[2]: "Z'' (ohm)"}
            note = (
                "file has no header: columns 1-3 read as frequency/Hz, Z′/Ω, Z″/Ω "
                "(impedance.py's CSV layout)"
            )
            return frame.rename(columns=names), [note]
        has_z = find_column(cols, _REAL) and find_column(cols, _IMAG)
        has_polar = find_column(cols, _MOD) and find_column(cols, _PHASE)
        if find_column(cols, _FREQ) and (has_z or has_polar):
            return frame, []
        seen.append(cols)
    if not seen:
        raise InputError(
            f"no table found: looked for a header line followed by rows of numbers with {_LOOKED_FOR} "
            "and found no numeric rows; export the spectrum as delimited text with one header row",
            file=str(path),
        )
    tables_text = "; ".join(str(cols) for cols in seen[:3])
    raise InputError(
        f"no impedance table: looked for {_LOOKED_FOR}, found the columns {tables_text}; "
        "export frequency with Re(Z) and -Im(Z) (EC-Lab), or rename the columns",
        file=str(path),
    )


def read_eis(path: str | Path) -> pd.DataFrame:
    """Read an impedance spectrum; see the module docstring for columns and sign rules."""
    file = str(path)
    frame, warnings = _eis_table(Path(path))
    skipped = frame.attrs.get("skipped_rows") or []
    if skipped:
        warnings.append(
            f"{len(skipped)} row(s) were skipped because their fields do not line up with the "
            f"header (text where numbers belong), e.g. {skipped[0]!r}"
        )
    cols = list(frame.columns)
    f_col = find_column(cols, _FREQ)
    if f_col is None:
        raise InputError(f"no frequency column among {cols}", file=file)
    freq = scaled(frame, f_col, "Hz", "Hz", file)
    re_col, im_col = find_column(cols, _REAL), find_column(cols, _IMAG)
    used = {"frequency_hertz": f_col}
    if re_col and im_col:
        z_re = scaled(frame, re_col, "ohm", "ohm", file)
        z_im = scaled(frame, im_col, "ohm", "ohm", file)
        if im_col.strip().startswith("-"):
            z_im = -z_im
        elif np.nanmedian(z_im) > 0:
            z_im = -z_im
            warnings.append(
                f"column {im_col!r} holds mostly positive values: read as −Z″ (sign flipped)"
            )
        used.update(z_real_ohm=re_col, z_imag_ohm=im_col)
    else:
        mod_col, ph_col = find_column(cols, _MOD), find_column(cols, _PHASE)
        if not (mod_col and ph_col):
            raise InputError(
                f"need Z′ and Z″ columns or |Z| and phase columns; found {cols}", file=file
            )
        modulus = scaled(frame, mod_col, "ohm", "ohm", file)
        _, ph_unit = split_unit(ph_col)
        phase = frame[ph_col].to_numpy(dtype=float)
        phase = np.radians(phase) if (ph_unit or "deg").lower().startswith("deg") else phase
        if ph_col.strip().startswith("-"):
            phase = -phase
        elif np.nanmedian(phase) > 0:
            phase = -phase
            warnings.append(f"column {ph_col!r} is mostly positive: read as −phase (sign flipped)")
        z_re, z_im = modulus * np.cos(phase), modulus * np.sin(phase)
        used.update(z_real_ohm=mod_col, z_imag_ohm=ph_col)
    out = pd.DataFrame({"frequency_hertz": freq, "z_real_ohm": z_re, "z_imag_ohm": z_im})
    bad = ~np.isfinite(out.to_numpy()).all(axis=1) | (out["frequency_hertz"] <= 0).to_numpy()
    if bad.any():
        warnings.append(f"{int(bad.sum())} rows without valid numbers were dropped")
        out = out[~bad]
    if len(out) < 5:
        raise InputError(
            f"only {len(out)} impedance points with a positive frequency and finite Z in the "
            f"columns {list(used.values())} (a spectrum needs at least 5); check that the "
            "measurement finished",
            file=file,
        )
    out = out.sort_values("frequency_hertz", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(
        source_file=file,
        columns=used,
        warnings=warnings,
        reader="anodelab.ingest.readers.spectra.read_eis",
    )
    return out
