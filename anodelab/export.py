"""Tidy export of every value: one row per value, one column per condition (units in the names)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from anodelab.schema.errors import AnodelabError

if TYPE_CHECKING:
    import pandas as pd

# pandas and pint load inside the functions: the CLI imports EXPORT_FORMATS for its --help text.

__all__ = ["tidy_frame", "write_export", "export_format", "unit_slug", "EXPORT_FORMATS"]

EXPORT_FORMATS = ("csv", "json", "parquet", "xlsx")
_SLUG_SYMBOLS = {"wt_percent": "wt_pct", "at_percent": "at_pct", "percent": "percent", "degree_Celsius": "C",
                 "C_rate": "C", "cycle_count": "", "micrometer": "um"}  # fmt: skip


def unit_slug(unit: str | None) -> str:
    """A column-name-safe unit: ``mA/g`` → ``mA_per_g``, ``cm**2/s`` → ``cm2_per_s``, ``%`` → ``percent``."""
    if not unit:
        return ""
    from anodelab.schema.units import parse_unit, ureg

    parsed = parse_unit(unit)
    if parsed == ureg.dimensionless:
        return ""
    pos: list[str] = []
    neg: list[str] = []
    for name, raw_power in parsed._units.items():
        power = float(raw_power)  # type: ignore[arg-type]
        symbol = _SLUG_SYMBOLS.get(name, ureg.get_symbol(name))
        if not symbol:
            continue
        exp = abs(power)
        text = symbol + (
            ""
            if exp == 1
            else (str(int(exp)) if float(exp).is_integer() else str(exp).replace(".", "p"))
        )
        (pos if power > 0 else neg).append(text)
    if not pos and not neg:
        return ""
    slug = "".join(pos) or "1"
    if neg:
        slug += "_per_" + "_".join(neg)
    return slug


def tidy_frame(values: pd.DataFrame) -> pd.DataFrame:
    """From ``v_measurements`` rows: keep the useful columns, unit-suffixed condition columns, drop empty ones."""
    from anodelab.schema.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    base = ["sample", "source", "doi", "property", "value", "unit", "value_min", "value_max", "uncertainty",
            "uncertainty_kind", "qualifier", "cell", "cell_type", "basis", "origin", "locator", "raw"]  # fmt: skip
    out = values[[c for c in base if c in values.columns]].copy()
    # a dimensionless property (I_D/I_G) has no unit: None, not "" — CSV and Excel cannot tell
    # "" from empty, so "" would make the formats disagree
    out["unit"] = [
        (vocab.properties()[p].unit_label if p in vocab.properties() else u) or None
        for p, u in zip(values["property"], values["unit"], strict=True)
    ]
    for name, term in vocab.conditions().items():
        if name not in values.columns or values[name].isna().all():
            continue
        slug = unit_slug(term.unit) if term.is_numeric else ""
        out[f"{name}_{slug}" if slug else name] = values[name]
    return out


def export_format(path: str | Path | None, fmt: str | None) -> str:
    """The export format: ``fmt`` when given, else the output file's suffix, else csv.

    :raises AnodelabError: for an unknown format, a suffix that names no format when ``fmt`` is
        not given, or an explicit ``fmt`` that contradicts a suffix naming another format
        (``--format csv -o values.xlsx``).
    """
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise AnodelabError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
    from_suffix = suffix if suffix in EXPORT_FORMATS else None
    if fmt is None:
        if path is None:
            return "csv"
        if from_suffix is None:
            raise AnodelabError(
                f"cannot tell the export format of {str(path)!r} from its suffix; name the file "
                f".{', .'.join(EXPORT_FORMATS)} or pass --format"
            )
        return from_suffix
    if from_suffix is not None and from_suffix != fmt:
        raise AnodelabError(
            f"--format {fmt} contradicts the output file {str(path)!r} (a .{from_suffix} name); "
            f"drop --format or rename the file"
        )
    return fmt


def write_export(
    frame: pd.DataFrame, path: str | Path | None, fmt: str | None = None
) -> str | None:
    """Write ``frame`` as csv/json/parquet/xlsx to ``path`` (csv/json to a string when ``path`` is None).

    The format follows ``path``'s suffix when ``fmt`` is None (see :func:`export_format`).  JSON
    is a list of records in standard JSON (:func:`anodelab.jsontext.json_text`: missing values
    ``null``, every digit of a number, ISO timestamps, ``/`` and ``⁻¹`` as written), UTF-8."""
    fmt = export_format(path, fmt)
    if fmt in ("parquet", "xlsx") and path is None:
        raise AnodelabError(f"{fmt} export needs an output file (-o PATH)")
    if fmt == "csv":
        return frame.to_csv(path, index=False)
    if fmt == "json":
        from anodelab.jsontext import frame_records, json_text

        text = json_text(frame_records(frame))
        if path is None:
            return text
        Path(path).write_text(text + "\n", encoding="utf-8")
        return None
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, index=False)
    return None
