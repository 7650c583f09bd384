"""The EIS/GITT/CV figures render from real analyzer results and show what they claim."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.echem.cv import analyze_cv
from anodelab.echem.eis import analyze_eis
from anodelab.echem.gitt import analyze_gitt
from anodelab.ingest.readers.spectra import read_cv, read_eis
from anodelab.plots.echem import plot_cv, plot_gitt_diffusion, plot_nyquist

DATA = Path(__file__).parent / "data"


def test_nyquist_draws_data_and_fit(tmp_path):
    frame = read_eis(DATA / "eis_one_arc.csv")
    f, z = (
        frame.frequency_hertz.to_numpy(),
        frame.z_real_ohm.to_numpy() + 1j * frame.z_imag_ohm.to_numpy(),
    )
    fig = plot_nyquist(analyze_eis(f, z, circuit="R0-p(R1,CPE1)-W1"), f, z)
    data_line, fit_line = fig.axes[0].get_lines()[:2]
    np.testing.assert_allclose(data_line.get_ydata(), -z.imag)
    assert fit_line.get_xdata().size == 400
    fig.savefig(tmp_path / "n.png")
    assert (tmp_path / "n.png").stat().st_size > 1000


def test_gitt_and_cv_figures(tmp_path):
    gitt = analyze_gitt(pd.read_csv(DATA / "gitt_short_d1e-14.csv"), particle_radius_cm=5.86e-4)
    fig = plot_gitt_diffusion(gitt)
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == len(gitt.results["pulses"])
    fig.savefig(tmp_path / "g.png")
    cv_data = read_cv(DATA / "cv_reversible.csv")
    fig = plot_cv(cv_data, analyze_cv(cv_data))
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    json.dumps(gitt.to_json_dict(), allow_nan=False)
