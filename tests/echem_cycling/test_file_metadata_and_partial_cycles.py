"""Metadata the file carries (issue 16 item 4) and partial first/last cycles (item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import analyze_cycling
from anodelab.ingest.readers import read_cycler
from anodelab.ingest.readers.metadata import facts_from_preamble
from anodelab.ingest.readers.streaming import summarize_cycler_file
from anodelab.plots.cycling import plot_capacity_ce

DATA = Path(__file__).parent / "data"
REAL = DATA / "real"


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools not installed")
def test_arbin_res_active_mass_is_used_when_none_is_given_and_an_option_overrides_it() -> None:
    """The .res Global_Table records MASS = 0.000852838 g (0.853 mg) for this Si anode."""
    frame = read_cycler(REAL / "cellpy_20160805_test001_45_cc_01.res")
    result = analyze_cycling(frame)
    assert result.options["mass_g"] == pytest.approx(0.00085283798)
    assert any("0.8528 mg taken from the file (Global_Table MASS" in w for w in result.warnings)
    assert result.options["file_metadata"]["active_mass_g"]["from"].startswith("Global_Table")
    cycle = result.results["cycles"][1]
    assert cycle["discharge_capacity_mAh_per_g"] == pytest.approx(
        cycle["discharge_capacity_mAh"] / 0.00085283798
    )
    given = analyze_cycling(frame, mass_g=0.001)
    assert given.options["mass_g"] == 0.001
    assert not any("taken from the file" in w for w in given.warnings)


def test_preamble_facts_in_the_vendors_grammars() -> None:
    lines = [
        "Run on channel : A1 (SN 0335)",
        "Mass of active material : 0.853 mg",
        "Electrode surface area : 1.54 cm²",
        "Nominal capacity used to define the C rate:Ah,0.0015",
        "~Battery: SiC-07",
        "Mass (g): 1.000",
    ]
    facts, notes = facts_from_preamble(lines)
    assert facts["active_mass_g"]["value"] == pytest.approx(0.853e-3)
    assert facts["area_cm2"]["value"] == pytest.approx(1.54)
    assert facts["nominal_capacity_Ah"]["value"] == pytest.approx(0.0015)
    assert facts["cell_name"]["value"] == "SiC-07"
    assert facts["channel"]["value"] == "A1 (SN 0335)"
    assert notes == []  # the later default-looking mass is not read: the first one counts
    facts, notes = facts_from_preamble(["Mass of active material : 0.001 mg"])
    assert "active_mass_g" not in facts and "unset default" in notes[0]


def test_mass_in_a_text_preamble_reaches_both_the_full_and_the_streaming_path(
    tmp_path: Path,
) -> None:
    body = (DATA / "layouts" / "arbin.csv").read_text()
    path = tmp_path / "with_mass.csv"
    path.write_text("Cell: SiC-07\nMass of active material : 0.85 mg\n" + body)
    full = analyze_cycling(read_cycler(path))
    streamed = summarize_cycler_file(path)
    for result in (full, streamed):
        assert result.options["mass_g"] == pytest.approx(0.85e-3)
        assert result.options["file_metadata"]["cell_name"]["value"] == "SiC-07"
    np.testing.assert_allclose(
        [c["charge_capacity_mAh_per_g"] for c in full.results["cycles"]],
        [c["charge_capacity_mAh_per_g"] for c in streamed.results["cycles"]],
        rtol=1e-9,
    )


def test_file_starting_mid_cycle_reports_its_first_cycle_as_partial(tmp_path: Path) -> None:
    """Cut the synthetic Arbin-style test inside cycle 2's lithiation: counters start above 0."""
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    start = int(np.flatnonzero((source["Cycle_Index"] == 2) & (source["Current(A)"] < 0))[5])
    path = tmp_path / "starts_mid_cycle.csv"
    source.iloc[start:].to_csv(path, index=False)
    for result in (analyze_cycling(read_cycler(path)), summarize_cycler_file(path)):
        first = result.results["cycles"][0]
        assert first["complete"] is False
        assert any("starts in the middle of a cycle" in w for w in result.warnings)
        assert result.results["summary"]["reference_cycle"] == 1
        assert result.results["summary"]["capacity_retention_percent"] is None or all(
            c["complete"] for c in result.results["cycles"][1:]
        )


def test_partial_cycles_are_drawn_apart_from_complete_ones(tmp_path: Path) -> None:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    end = int(np.flatnonzero((source["Cycle_Index"] == 6) & (source["Current(A)"] > 0))[3])
    path = tmp_path / "cut_short.csv"
    source.iloc[:end].to_csv(path, index=False)
    result = analyze_cycling(read_cycler(path))
    assert result.results["cycles"][-1]["complete"] is False
    fig = plot_capacity_ce(result)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "partial cycle (not used)" in labels
    ce_line = fig.axes[1].lines[0]
    assert 6 not in set(np.asarray(ce_line.get_xdata()).tolist())


def test_workbook_info_sheets_give_the_facts() -> None:
    """navani's Arbin export: Global_Info holds a label row over a value row (Channel 11, start)."""
    frame = read_cycler(REAL / "arbin_navani_bs542_Channel_11.xlsx")
    facts = frame.attrs["file_metadata"]
    assert facts["channel"]["value"] == "11"
    assert facts["start_time"]["value"].startswith("2020-10-19 11:33:31")


def test_mass_in_an_item_value_info_sheet_is_used(tmp_path: Path) -> None:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    path = tmp_path / "with_info.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Item": ["Channel", "Mass (mg)"], "Value": ["1-6", 0.85]}).to_excel(
            writer, sheet_name="Info", index=False
        )
        source.to_excel(writer, sheet_name="Channel_1-006", index=False)
    result = analyze_cycling(read_cycler(path))
    assert result.options["mass_g"] == pytest.approx(0.85e-3)
    assert result.options["file_metadata"]["channel"]["value"] == "1-6"


def test_eclab_ox_red_flag_decides_the_current_sign(tmp_path: Path) -> None:
    """A file with the current negated but EC-Lab's ox/red flag true to the electrode: the flag wins
    over the file's sign, and the capacities are those of the unmodified file."""
    lines = (DATA / "layouts" / "biologic.mpt").read_text(encoding="latin-1").splitlines()
    header = lines[5].split("\t")
    i_col = header.index("<I>/mA")
    out = lines[:5] + ["\t".join([*header, "ox/red"])]
    for line in lines[6:]:
        fields = line.split("\t")
        current = float(fields[i_col].replace(",", "."))
        fields[i_col] = f"{-current:.6f}".replace(".", ",")
        out.append("\t".join([*fields, "1" if current > 0 else "0"]))
    path = tmp_path / "negated_with_ox_red.mpt"
    path.write_text("\n".join(out) + "\n", encoding="latin-1")
    frame = read_cycler(path)
    assert "ox/red flag" in frame.attrs["conventions"]["current_sign"]
    ours = analyze_cycling(frame).results["cycles"]
    plain = analyze_cycling(read_cycler(DATA / "layouts" / "biologic.mpt")).results["cycles"]
    np.testing.assert_allclose(
        [c["discharge_capacity_mAh"] for c in ours],
        [c["discharge_capacity_mAh"] for c in plain],
        rtol=1e-9,
    )
