"""`anodelab export`: the JSON a researcher reads and greps, and the four formats agreeing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.cli import main
from anodelab.cli.common import print_json
from anodelab.export import write_export


def _same(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    return missing_a == missing_b and (missing_a or a == b)


def _check_json_export(text: str, stored: pd.DataFrame) -> None:
    assert "\\/" not in text and "NaN" not in text and "Infinity" not in text
    assert "\\u" not in text  # non-ASCII (units such as mA h g⁻¹) as written
    for doi in stored["doi"].dropna().unique():
        assert f'"doi": "{doi}"' in text  # grep-able: 10.1002/batt…, not 10.1002\/batt…
    assert '"unit": "mA h g⁻¹"' in text
    records = json.loads(text)
    assert len(records) == len(stored)
    for column in ("sample", "doi", "value", "value_min", "value_max", "uncertainty", "raw"):
        for record, value in zip(records, stored[column], strict=True):
            assert _same(record[column], value), (column, record[column], value)


def test_json_export_to_stdout_and_file_is_standard_json_with_every_digit(
    shipped_kb, tmp_path: Path, capsys
) -> None:
    stored = shipped_kb.measurements()
    # the values a to_json(double_precision=10) export rounded to 0.0: diffusion coefficients
    assert (stored["value"].abs() < 1e-10).any()
    assert main(["export", "--db", str(shipped_kb.path), "--format", "json"]) == 0
    _check_json_export(capsys.readouterr().out, stored)
    target = tmp_path / "values.json"
    assert main(["export", "--db", str(shipped_kb.path), "-o", str(target)]) == 0
    _check_json_export(target.read_text(encoding="utf-8"), stored)
    assert shipped_kb.export(format="json") + "\n" == target.read_text(encoding="utf-8")


def test_json_export_and_print_json_share_one_serialiser(tmp_path: Path, capsys) -> None:
    frame = pd.DataFrame(
        {
            "doi": ["10.1002/batt.202500037", None],
            "unit": ["mA h g⁻¹", "m² g⁻¹"],
            "value": [np.float64(4e-12), np.nan],
            "n": np.array([3, 4], dtype=np.int64),
            "ratio": [np.inf, -np.inf],
            "at": pd.to_datetime(["2026-11-25T12:58:18+00:00", None], utc=True),
            "flag": pd.array([True, None], dtype="boolean"),
        }
    )
    expected = [
        {"doi": "10.1002/batt.202500037", "unit": "mA h g⁻¹", "value": 4e-12, "n": 3,
         "ratio": None, "at": "2026-11-25T12:58:18+00:00", "flag": True},
        {"doi": None, "unit": "m² g⁻¹", "value": None, "n": 4, "ratio": None, "at": None,
         "flag": None},
    ]  # fmt: skip
    text = write_export(frame, None, "json")
    assert text is not None and json.loads(text) == expected
    assert type(json.loads(text)[0]["n"]) is int
    assert "10.1002/batt" in text and "mA h g⁻¹" in text
    write_export(frame, tmp_path / "f.json")
    assert json.loads((tmp_path / "f.json").read_text(encoding="utf-8")) == expected
    print_json(expected)
    assert capsys.readouterr().out == text + "\n"


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, orient="records", precise_float=True)


def test_init_then_the_four_export_formats_agree_on_columns_and_values(
    tmp_path: Path, capsys
) -> None:
    db = str(tmp_path / "fresh.db")
    assert main(["init", "--db", db]) == 0
    frames = {}
    for suffix in ("json", "csv", "xlsx", "parquet"):
        target = tmp_path / f"x.{suffix}"
        assert main(["export", "--db", db, "-o", str(target)]) == 0
        frames[suffix] = _read(target)
    capsys.readouterr()
    reference = frames["parquet"]
    assert len(reference) > 100 and "doi" in reference.columns
    for suffix, frame in frames.items():
        assert list(frame.columns) == list(reference.columns), suffix
        assert len(frame) == len(reference), suffix
        for column in reference.columns:
            ref, got = reference[column], frame[column]
            if pd.api.types.is_numeric_dtype(ref) and ref.notna().any():
                assert pd.api.types.is_numeric_dtype(got), (suffix, column, got.dtype)
                assert np.array_equal(ref.to_numpy(float), got.to_numpy(float), equal_nan=True), (
                    suffix,
                    column,
                )
            else:
                left = [None if pd.isna(v) else str(v) for v in ref]
                right = [None if pd.isna(v) else str(v) for v in got]
                diff = [
                    (i, a, b) for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b
                ]
                assert not diff, (suffix, column, diff[:3])


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_export_to_stdout_is_the_file_content(shipped_kb, tmp_path: Path, capsys, suffix) -> None:
    target = tmp_path / f"values.{suffix}"
    main(["export", "--db", str(shipped_kb.path), "-o", str(target), "--property", "ICE"])
    capsys.readouterr()
    main(["export", "--db", str(shipped_kb.path), "--format", suffix, "--property", "ICE"])
    assert capsys.readouterr().out == target.read_text(encoding="utf-8")
