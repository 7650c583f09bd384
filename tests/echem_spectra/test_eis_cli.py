"""`--keep-inductive` through the CLI (`analyze` and `import-run`), on impedance.py's real battery
spectrum (data/real/exampleData.csv, MIT): 9 points with Z″ > 0 above 1.5 kHz, counted here from
the file itself."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import anodelab
from anodelab.cli import app, main
from anodelab.schema.errors import AnodelabError

SPECTRUM = Path(__file__).parent / "data" / "real" / "exampleData.csv"


def _points() -> tuple[int, int]:
    """(all points, points with Z″ > 0 from the highest frequency down) of the file, read with pandas."""
    raw = pd.read_csv(SPECTRUM, header=None).sort_values(0, ascending=False)  # f, Z′, Z″
    imag = raw[2].to_numpy()
    return imag.size, int(np.argmin(imag > 0))


def _analyze(*extra: str) -> dict:
    result = CliRunner().invoke(app, ["analyze", str(SPECTRUM), "--kind", "eis", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_analyze_keep_inductive_fits_every_point_and_records_the_option() -> None:
    total, inductive = _points()
    assert inductive == 9
    default = _analyze()
    assert default["results"]["fit"]["n_points"] == total - inductive
    assert default["options"]["keep_inductive"] is False
    assert any(f"{inductive} inductive point(s)" in w for w in default["warnings"])
    kept = _analyze("--keep-inductive")
    assert kept["results"]["fit"]["n_points"] == total
    assert kept["options"]["keep_inductive"] is True
    assert not any("inductive point" in w for w in kept["warnings"])


def test_import_run_keep_inductive_is_stored_and_replaces_the_default_run(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    anodelab.init(db, literature=False).close()
    runner = CliRunner()
    base = ["import-run", str(SPECTRUM), "--kind", "eis", "--sample", "S1", "--db", str(db)]

    def stored_options() -> list[dict]:
        with sqlite3.connect(db) as con:
            rows = con.execute(
                "SELECT m.options_json FROM measurements m JOIN imports i ON i.id = m.import_id "
                "WHERE i.status = 'ok'"
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    first = runner.invoke(app, [*base, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["import"]["status"] == "imported"
    assert {o["keep_inductive"] for o in stored_options()} == {False}
    kept = runner.invoke(app, [*base, "--keep-inductive", "--json"])
    assert kept.exit_code == 0, kept.output
    doc = json.loads(kept.stdout)
    assert doc["import"]["status"] == "replaced"  # other options replace the run's values
    assert doc["options"]["keep_inductive"] is True
    options = stored_options()
    assert options and {o["keep_inductive"] for o in options} == {True}
    again = runner.invoke(app, [*base, "--keep-inductive", "--json"])
    assert json.loads(again.stdout)["import"]["status"] == "unchanged"


def test_keep_inductive_with_another_kind_is_refused(capsys) -> None:
    cycling = Path(__file__).resolve().parents[2] / "examples" / "cycling_half_cell.csv"
    argv = ["analyze", str(cycling), "--kind", "cycling", "--keep-inductive"]
    result = CliRunner().invoke(app, argv)
    assert isinstance(result.exception, AnodelabError)
    assert main(argv) == 1  # the console script: one red line, no traceback
    err = capsys.readouterr().err
    assert "--keep-inductive" in err and "--kind eis only" in err
