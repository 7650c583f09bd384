"""The peers' harness (bench/optimization/peers.py): what it hands BayBE and Ax.

BayBE and Ax themselves live only in the benchmark venv; these are the translations that do not
need them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "optimization"))
import peers  # noqa: E402  (bench/ is scripts, not a package)


def test_one_target_takes_a_list_of_numbers():
    assert peers._columns(["y"], [1, 2.5]) == {"y": [1.0, 2.5]}


def test_several_targets_take_one_row_of_values_per_measurement():
    columns = peers._columns(["capacity", "ice"], [[1000, 85], [900, 88.5]])
    assert columns == {"capacity": [1000.0, 900.0], "ice": [85.0, 88.5]}


def test_targets_default_to_y():
    assert peers._targets({"parameters": []}) == ["y"]
    assert peers._targets({"targets": ["a", "b"]}) == ["a", "b"]


def test_a_linear_constraint_reads_as_ax_writes_it():
    text = peers.ax_constraint({"coefficients": {"dextrin_g": 1.0, "zif8_g": 2.0}, "rhs": 4.5})
    assert text == "1.0 * dextrin_g + 2.0 * zif8_g <= 4.5"
