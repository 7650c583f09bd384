"""Cycling figures render with labelled axes and the expected data."""

from __future__ import annotations

from pathlib import Path

from anodelab.echem.cycling import analyze_cycling
from anodelab.ingest.readers import read_cycler
from anodelab.plots.cycling import plot_capacity_ce, plot_dqdv, plot_voltage_profiles

DATA = Path(__file__).parent / "data"


def test_figures_render(tmp_path: Path) -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    result = analyze_cycling(frame, mass_g=1e-3)
    fig = plot_capacity_ce(result)
    assert fig.axes[0].get_ylabel() == "capacity (mA h g⁻¹)"
    assert len(fig.axes[0].lines[0].get_xdata()) == 6
    fig.savefig(tmp_path / "cap.png")
    fig = plot_voltage_profiles(frame, [1, 2], mass_g=1e-3)
    assert len(fig.axes[0].lines) == 4 and fig.axes[0].get_ylabel() == "voltage (V)"
    fig = plot_dqdv(frame, [2])
    assert len(fig.axes[0].lines) == 3  # two curves + zero line
    fig.savefig(tmp_path / "dqdv.png")
    assert (tmp_path / "dqdv.png").stat().st_size > 1000


def test_capacity_legend_names_ce_cycles_are_whole_and_dqdv_is_per_gram() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    fig = plot_capacity_ce(analyze_cycling(frame, mass_g=1e-3))
    fig.canvas.draw()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["discharge", "charge", "CE"]
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())
    per_cell = plot_dqdv(frame, [2]).axes[0]
    per_gram = plot_dqdv(frame, [2], mass_g=1e-3).axes[0]
    assert per_gram.get_ylabel() == "dQ/dV (mA h g⁻¹ V⁻¹)"
    peak_cell = max(abs(per_cell.lines[0].get_ydata()))
    assert max(abs(per_gram.lines[0].get_ydata())) == 1e3 * peak_cell
