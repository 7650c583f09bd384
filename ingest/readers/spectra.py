"""Readers for impedance spectra (text exports, Gamry .DTA, ZPlot/ZView .z, BioLogic .mpr) and CV.

``read_eis(path)`` returns columns ``frequency_hertz``, ``z_real_ohm``, ``z_imag_ohm`` with the
electrochemical sign convention Z = Z′ + jZ″ (Z″ < 0 on a capacitive arc), sorted from high to
low frequency.  Headers such as BioLogic's ``freq/Hz  Re(Z)/Ohm  -Im(Z)/Ohm``, ``Z' (Ω)``,
``-Z'' (Ω)``, ``Zreal``/``Zimag``, ``|Z|``/``Phase`` are recognised; a ``-`` in front of the
imaginary column name means the file stores −Z″.  Without a sign in the name the sign is
decided from the data (a capacitive spectrum has Z″ < 0 at most points) and a warning says so.

``read_cv`` (:mod:`anodelab.ingest.readers.spectra_cv`) is re-exported here.

Columns are recognised, with their units, by the one table of quantity words × unit grammar
(:mod:`anodelab.ingest.quantity_words`), after a few vendor spellings are rewritten
(:func:`anodelab.ingest.readers.spectra_text.spectra_columns`).  BioLogic ``.mpr`` binaries are
recognised by their magic bytes, whatever their extension.  Files that lack a needed column
raise :class:`InputError`: one sentence naming the file, what was looked for, what was found
and what would let the file be read.
``frame.attrs`` holds ``source_file``, ``columns`` (header used per key) and ``warnings``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.ingest.readers.biologic_mpr import read_mpr
from anodelab.ingest.readers.spectra_cv import read_cv
from anodelab.ingest.readers.spectra_text import (
    column_values,
    is_binary,
    read_table,
    spectra_columns,
    tables,
)
from anodelab.schema.errors import InputError

__all__ = ["read_eis", "read_cv", "read_table"]

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
        keys = spectra_columns([str(c) for c in cols])
        has_z = "z_real_ohm" in keys and "z_imag_ohm" in keys
        has_polar = "z_modulus_ohm" in keys and "z_phase_degree" in keys
        if "frequency_hertz" in keys and (has_z or has_polar):
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
    keys = spectra_columns([str(c) for c in frame.columns])
    freq = column_values(frame, keys["frequency_hertz"])
    used = {"frequency_hertz": keys["frequency_hertz"].header}
    if "z_real_ohm" in keys and "z_imag_ohm" in keys:
        z_re = column_values(frame, keys["z_real_ohm"])
        z_im = column_values(frame, keys["z_imag_ohm"])  # '-Im(Z)' headers are negated here
        im_col = keys["z_imag_ohm"].header
        if keys["z_imag_ohm"].factor > 0 and np.nanmedian(z_im) > 0:
            z_im = -z_im
            warnings.append(
                f"column {im_col!r} holds mostly positive values: read as −Z″ (sign flipped)"
            )
        used.update(z_real_ohm=keys["z_real_ohm"].header, z_imag_ohm=im_col)
    else:
        modulus = column_values(frame, keys["z_modulus_ohm"])
        ph_col = keys["z_phase_degree"].header
        phase = np.radians(column_values(frame, keys["z_phase_degree"]))
        if keys["z_phase_degree"].factor > 0 and np.nanmedian(phase) > 0:
            phase = -phase
            warnings.append(f"column {ph_col!r} is mostly positive: read as −phase (sign flipped)")
        z_re, z_im = modulus * np.cos(phase), modulus * np.sin(phase)
        used.update(z_real_ohm=keys["z_modulus_ohm"].header, z_imag_ohm=ph_col)
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
