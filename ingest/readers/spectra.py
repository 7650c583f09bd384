"""Readers for impedance spectra and cyclic voltammograms exported as text (CSV/TSV/.mpt/.txt).

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

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.schema.errors import InputError, UnitError
from anodelab.schema.units import to_canonical

__all__ = ["read_eis", "read_cv", "read_table"]

_UNIT_IN_NAME = re.compile(r"^(.*?)(?:\s*/\s*([^/()\[\]]+)|\s*[\(\[]([^()\[\]]+)[\)\]])\s*$")


def _split_unit(header: str) -> tuple[str, str | None]:
    """``'Re(Z)/Ohm'`` → ``('re(z)', 'Ohm')``; ``'Current (mA)'`` → ``('current', 'mA')``."""
    text = str(header).strip()
    m = _UNIT_IN_NAME.match(text)
    if m and (m.group(2) or m.group(3)):
        name, unit = m.group(1), (m.group(2) or m.group(3)).strip()
        if unit.lower() in ("z", "a", "b"):
            # 'Re(Z)', 'Phase(Z)' are names, not units; so are ZPlot's "Z'(a)" and "Z''(b)"
            return text.lower(), None
        return name.strip().lower(), unit
    return text.lower(), None


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode file as text", file=str(path))


_NUMBER = re.compile(r"^\s*[-+]?(\d+[.,]?\d*|[.,]\d+)([eE][-+]?\d+)?\s*$|^\s*nan\s*$", re.I)


def _fields(line: str, sep: str) -> list[str]:
    """Fields of ``line`` with trailing separators dropped and spaces/quotes stripped."""
    text = line.rstrip().rstrip(sep).rstrip()
    return [x.strip().strip('"').strip() for x in text.split(sep)]


def _numeric_row(fields: list[str]) -> bool:
    """At least two numbers and numbers in most filled fields (a text status column such as
    Gamry's ``Over`` = ``..........a`` does not hide the row)."""
    filled = [x for x in fields if x]
    numbers = sum(bool(_NUMBER.match(x)) for x in filled)
    return numbers >= 2 and 2 * numbers > len(filled)


def _header_for(lines: list[str], start: int, sep: str, width: int) -> list[str] | None:
    """Column names for the numeric block starting at ``lines[start]``, looking back up to
    three lines: a name row, optionally followed by a unit row (Gamry ``.DTA``: ``Freq`` over
    ``Hz``) and/or a one-field marker line (ZPlot ``End Comments``); a one-field name row split
    on runs of spaces (Scribner/Autolab ``"  Freq (Hz)    Ampl ..."`` over comma data)."""
    units: list[str] | None = None
    for k in range(start - 1, max(start - 4, -1), -1):
        fields = _fields(lines[k], sep)
        if len(fields) == 1:
            spaced = re.split(r"\s{2,}", fields[0].strip())
            if abs(len(spaced) - width) <= 1 and not any(_NUMBER.match(x) for x in spaced):
                fields = spaced
            elif units is None:
                continue  # a marker or count line between header and data
            else:
                break
        if abs(len(fields) - width) > 1 or any(_NUMBER.match(x) for x in fields if x):
            break
        prev = _fields(lines[k - 1], sep) if k > 0 else []
        looks_like_units = all(len(x) <= 10 for x in fields)
        if (
            units is None
            and looks_like_units
            and len(prev) == len(fields)
            and not any(_NUMBER.match(x) for x in prev if x)
            and sum(bool(x) for x in prev) >= 2
        ):
            units = fields  # this row holds units; the row above holds the names
            continue
        if units is not None:
            return [
                f"{n} ({u})" if n and u and u != "#" else n
                for n, u in zip(fields, units, strict=True)
            ]
        return fields
    return None


def _tables(path: Path):
    """Yield every table of a text export as a numeric DataFrame, in file order.

    A table is a run of numeric rows (``;``/tab/``,``/whitespace separated, decimal commas
    handled) under a header found by :func:`_header_for`.  A file that is numbers only (no
    header at all, e.g. impedance.py's ``exampleData.csv``) gives one table with columns
    ``column_1``, ``column_2``, ... and ``frame.attrs["headerless"] = True``.
    """
    lines = [line for line in _read_text(path).splitlines() if line.strip()]
    for sep in ("\t", ";", ","):
        found = False
        i = 0
        while i < len(lines):
            first = _fields(lines[i], sep)
            if not _numeric_row(first):
                i += 1
                continue
            names = _header_for(lines, i, sep, len(first))
            width = max(len(first), len(names or []))
            j = i + 1
            while j < len(lines):
                row = _fields(lines[j], sep)
                if not (2 <= len(row) <= width and _numeric_row(row)):
                    break
                j += 1
            headerless = names is None and i == 0 and j == len(lines)
            if names is None and not headerless:
                i = j
                continue
            if names is None:
                names = [f"column_{n + 1}" for n in range(width)]
            names = [n or f"unnamed_{c}" for c, n in enumerate(names)]
            names += [f"unnamed_{c}" for c in range(len(names), width)]
            body = "\n".join(sep.join(_fields(line, sep)) for line in lines[i:j])
            decimal = "," if sep != "," and re.search(r"\d,\d", lines[i]) else "."
            frame = pd.read_csv(
                io.StringIO(body),
                sep=sep,
                header=None,
                names=names[:width],
                decimal=decimal,
                skipinitialspace=True,
                engine="c",
            )
            frame = frame.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
            frame = frame.dropna(how="all").reset_index(drop=True)
            frame.attrs["headerless"] = headerless
            frame.attrs["first_line"] = i
            found = True
            yield frame
            i = j
        if found:
            return


def read_table(path: str | Path) -> pd.DataFrame:
    """The first table of a text export (see :func:`_tables`): header line found above the first
    run of numeric rows, unit rows merged into the names, decimal commas and ``;``/tab/``,``
    separators handled."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    for frame in _tables(path):
        return frame
    raise InputError("no header line followed by numeric rows found", file=str(path))


def _find(columns: list[str], patterns: list[str]) -> str | None:
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for col in columns:
            name, _ = _split_unit(col)
            if rx.fullmatch(name.strip()) or rx.fullmatch(col.strip()):
                return col
    return None


def _scaled(
    frame: pd.DataFrame, col: str, canonical: str, default_unit: str, file: str
) -> np.ndarray:
    _, unit = _split_unit(col)
    unit = unit or default_unit
    try:
        factor = to_canonical(1.0, unit, canonical, what=f"column {col!r}")
    except UnitError as exc:
        raise InputError(
            f"unit {unit!r} does not fit {canonical}: {exc}", file=file, column=col
        ) from exc
    return frame[col].to_numpy(dtype=float) * factor


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


def _eis_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The first table of the file that holds a frequency column and Z′/Z″ or |Z|/phase columns
    (Gamry ``.DTA`` files hold an OCV table before the impedance table)."""
    if not path.exists():
        raise InputError("file not found", file=str(path))
    seen: list[list[str]] = []
    for frame in _tables(path):
        cols = list(frame.columns)
        if frame.attrs.get("headerless") and len(cols) >= 3:
            names = {cols[0]: "frequency (Hz)", cols[1]: "Z' (ohm)", cols[2]: "Z'' (ohm)"}
            note = (
                "file has no header: columns 1-3 read as frequency/Hz, Z′/Ω, Z″/Ω "
                "(impedance.py's CSV layout)"
            )
            return frame.rename(columns=names), [note]
        has_z = _find(cols, _REAL) and _find(cols, _IMAG)
        has_polar = _find(cols, _MOD) and _find(cols, _PHASE)
        if _find(cols, _FREQ) and (has_z or has_polar):
            return frame, []
        seen.append(cols)
    if not seen:
        raise InputError("no header line followed by numeric rows found", file=str(path))
    if not any(_find(cols, _FREQ) for cols in seen):
        raise InputError(f"no frequency column among {seen[0]}", file=str(path))
    raise InputError(
        f"need Z′ and Z″ columns or |Z| and phase columns; found {seen[0]}", file=str(path)
    )


def read_eis(path: str | Path) -> pd.DataFrame:
    """Read an impedance spectrum; see the module docstring for columns and sign rules."""
    file = str(path)
    frame, warnings = _eis_table(Path(path))
    cols = list(frame.columns)
    f_col = _find(cols, _FREQ)
    if f_col is None:
        raise InputError(f"no frequency column among {cols}", file=file)
    freq = _scaled(frame, f_col, "Hz", "Hz", file)
    re_col, im_col = _find(cols, _REAL), _find(cols, _IMAG)
    used = {"frequency_hertz": f_col}
    if re_col and im_col:
        z_re = _scaled(frame, re_col, "ohm", "ohm", file)
        z_im = _scaled(frame, im_col, "ohm", "ohm", file)
        if im_col.strip().startswith("-"):
            z_im = -z_im
        elif np.nanmedian(z_im) > 0:
            z_im = -z_im
            warnings.append(
                f"column {im_col!r} holds mostly positive values: read as −Z″ (sign flipped)"
            )
        used.update(z_real_ohm=re_col, z_imag_ohm=im_col)
    else:
        mod_col, ph_col = _find(cols, _MOD), _find(cols, _PHASE)
        if not (mod_col and ph_col):
            raise InputError(
                f"need Z′ and Z″ columns or |Z| and phase columns; found {cols}", file=file
            )
        modulus = _scaled(frame, mod_col, "ohm", "ohm", file)
        _, ph_unit = _split_unit(ph_col)
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
        raise InputError(f"only {len(out)} valid impedance points (need at least 5)", file=file)
    out = out.sort_values("frequency_hertz", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(
        source_file=file,
        columns=used,
        warnings=warnings,
        reader="anodelab.ingest.readers.spectra.read_eis",
    )
    return out


_POT = [
    r"ewe",
    r"e",
    r"potential",
    r"voltage",
    r"v",
    r"e\s*vs.*",
    r"potential\s*vs.*",
    r"ewe-ece",
    r"working\s*electrode",
]
_CUR = [r"<i>", r"i", r"current", r"im", r"control/ma"]
_RATE = [r"scan\s*rate", r"sweep\s*rate", r"scan_rate", r"rate", r"v\s*\(scan\)"]
_CYCLE = [r"cycle\s*number", r"cycle", r"cycle_index", r"scan"]
_RATE_IN_NAME = re.compile(r"([0-9]*\.?[0-9]+)\s*(mV|V|µV|uV)\s*/?\s*s(?:-1|⁻¹)?", re.IGNORECASE)


def read_cv(path: str | Path, scan_rate_mV_per_s: float | None = None) -> pd.DataFrame:
    """Read a cyclic voltammogram (long layout with an optional scan-rate column, or one potential
    column with one current column per scan rate)."""
    file = str(path)
    frame = read_table(path)
    cols = list(frame.columns)
    pot_col = _find(cols, _POT)
    if pot_col is None:
        raise InputError(f"no potential column among {cols}", file=file)
    potential = _scaled(frame, pot_col, "V", "V", file)
    found = {c: _RATE_IN_NAME.search(c) for c in cols if c != pot_col}
    rate_cols = {c: m for c, m in found.items() if m is not None and not _find([c], _RATE)}
    if len(rate_cols) >= 2:  # wide layout: one current column per scan rate
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
        out = pd.concat(parts, ignore_index=True)
        used = {"potential_volt": pot_col, "current_ampere": list(rate_cols)}
    else:
        cur_col = _find([c for c in cols if c != pot_col], _CUR)
        if cur_col is None:
            raise InputError(f"no current column among {cols}", file=file)
        current = _scaled(frame, cur_col, "A", "A", file)
        out = pd.DataFrame({"potential_volt": potential, "current_ampere": current})
        used = {"potential_volt": pot_col, "current_ampere": cur_col}
        rate_col = _find(cols, _RATE)
        if rate_col is not None:
            out["scan_rate_mV_per_s"] = _scaled(frame, rate_col, "mV/s", "mV/s", file)
            used["scan_rate_mV_per_s"] = rate_col
        elif scan_rate_mV_per_s is not None:
            out["scan_rate_mV_per_s"] = float(scan_rate_mV_per_s)
        else:
            raise InputError(
                "no scan-rate column and no scan rate given (pass scan_rate_mV_per_s, e.g. --scan-rate 0.1mV/s)",
                file=file,
            )
        cyc_col = _find(cols, _CYCLE)
        if cyc_col is not None:
            out["cycle"] = frame[cyc_col].to_numpy()
            used["cycle"] = cyc_col
    out = out.dropna(subset=["potential_volt", "current_ampere"]).reset_index(drop=True)
    if len(out) < 10:
        raise InputError(f"only {len(out)} valid CV points", file=file)
    out.attrs.update(
        source_file=file,
        columns=used,
        warnings=[],
        reader="anodelab.ingest.readers.spectra.read_cv",
    )
    return out
