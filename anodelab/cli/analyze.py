"""``anodelab analyze`` and ``anodelab import-run``: raw lab files → metrics (→ KB)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

import anodelab
from anodelab.cli.common import (
    DbOption,
    JsonOption,
    byte_progress,
    console,
    db_path,
    print_frame,
    print_json,
    result_line,
)
from anodelab.echem.quantities import as_float
from anodelab.ingest.runs import (
    ANALYSES,
    CELL_TYPES,
    AnalyzedRun,
    RunOptions,
    analyze_files,
)

__all__ = ["register", "parse_option", "plot_run"]

Kind = Annotated[str, typer.Option("--kind", "-k", help=f"One of {', '.join(ANALYSES)}.")]
Mass = Annotated[str | None, typer.Option(help="Active mass with unit, e.g. 2.1mg.")]
Area = Annotated[str | None, typer.Option(help="Electrode area with unit, e.g. 1.13cm2.")]
Radius = Annotated[
    str | None, typer.Option("--particle-radius", help="GITT particle radius, e.g. 5um.")
]
Concentration = Annotated[
    str | None,
    typer.Option(help="Li concentration for Warburg/Randles–Sevcik D, e.g. 1e-3mol/cm3."),
]
Electrons = Annotated[int, typer.Option(help="Electrons transferred, n.")]
Temperature = Annotated[str, typer.Option(help="Temperature with unit, e.g. 298K or 25degC.")]
Circuit = Annotated[
    str | None,
    typer.Option(
        help="Equivalent circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)-W1' (default: the papers' circuits, best by AIC)."
    ),
]
Cell = Annotated[str, typer.Option(help=f"Convention: {', '.join(CELL_TYPES)}.")]
ReferenceCycle = Annotated[int, typer.Option(help="Reference cycle for retention and fade rate.")]
ScanRate = Annotated[
    str | None, typer.Option(help="CV scan rate of a single-rate file, e.g. 0.1mV/s.")
]
Preset = Annotated[
    str | None,
    typer.Option(
        help="Reader preset: generic, excel, arbin, maccor, biologic, neware, neware-export, biologic-mpr."
    ),
]
KeepInductive = Annotated[
    bool,
    typer.Option(
        "--keep-inductive",
        help="EIS: keep the inductive high-frequency points (Z'' > 0), which are dropped before "
        "fitting by default (with a warning); recorded in the stored options.",
    ),
]
Plot = Annotated[
    Path | None,
    typer.Option(help="Write the figure a researcher expects for this kind (PNG/PDF/SVG)."),
]


def parse_option(text: str | None, unit: str, what: str) -> float | None:
    """``"2.1mg"`` → 0.0021 for ``unit="g"``; a bare number is taken in ``unit``."""
    return as_float(text, unit, what=f"--{what}")


def _or_default(value: float | None, default: float) -> float:
    return default if value is None else value  # "0K" is an error for RunOptions, not 298.15 K


def _options(mass: str | None, area: str | None, particle_radius: str | None, concentration: str | None,
             electrons: int, temperature: str, circuit: str | None, cell: str, reference_cycle: int,
             scan_rate: str | None, preset: str | None, keep_inductive: bool = False) -> RunOptions:  # fmt: skip
    return RunOptions(
        mass_g=parse_option(mass, "g", "mass"),
        area_cm2=parse_option(area, "cm**2", "area"),
        particle_radius_cm=parse_option(particle_radius, "cm", "particle-radius"),
        concentration_mol_per_cm3=parse_option(concentration, "mol/cm**3", "concentration"),
        electrons=electrons,
        temperature_K=_or_default(parse_option(temperature, "K", "temperature"), 298.15),
        circuit=circuit,
        cell=cell,
        reference_cycle=reference_cycle,
        scan_rate_mV_per_s=parse_option(scan_rate, "mV/s", "scan-rate"),
        preset=preset,
        keep_inductive=keep_inductive,
    )


def plot_run(run: AnalyzedRun, path: Path) -> None:
    """Write the standard figure of an analysis: capacity/CE, dQ/dV, Nyquist, D vs voltage, CV."""
    import matplotlib

    matplotlib.use("Agg")
    from anodelab.plots import cycling, echem

    result = run.result
    if run.kind == "cycling":
        fig = cycling.plot_capacity_ce(result)
    elif run.kind == "rate":
        fig = cycling.plot_rate_capability(result)
    elif run.kind == "dqdv":
        seen = sorted({int(p["cycle"]) for p in result.results.get("peaks", [])})
        cycles = (
            sorted({seen[0], seen[len(seen) // 2], seen[-1]}) if seen else [1]
        )  # first, middle, last
        fig = cycling.plot_dqdv(run.data, cycles, mass_g=result.options.get("mass_g"))
    elif run.kind == "eis":
        frame = run.data
        z = frame["z_real_ohm"].to_numpy() + 1j * frame["z_imag_ohm"].to_numpy()
        fig = echem.plot_nyquist(result, frame["frequency_hertz"].to_numpy(), z)
    elif run.kind == "gitt":
        fig = echem.plot_gitt_diffusion(result)
    else:
        frames = run.data
        data: Any = (
            frames[0]
            if len(frames) == 1
            else {float(f["scan_rate_mV_per_s"].iloc[0]): f for f in frames}
        )
        fig = echem.plot_cv(data, result)
    fig.savefig(path, dpi=150, bbox_inches="tight")


def _print_result(run: AnalyzedRun) -> None:
    """The analysis for people (:func:`anodelab.report.analysis_blocks`): units, words, 4 figures."""
    from anodelab.report import analysis_blocks

    result = run.result
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(str(warning))}")
    name = ", ".join(f.name for f in run.files)
    for block in analysis_blocks(run.kind, result.results, result.metrics, name):
        if block.frame is not None:
            print_frame(block.frame, title=block.title, max_rows=60)
        else:
            console.print(escape(block.text))


def analyze(
    files: Annotated[
        list[Path], typer.Argument(help="Raw data file(s); CV takes one file per scan rate.")
    ],
    kind: Kind = "cycling",
    mass: Mass = None,
    area: Area = None,
    particle_radius: Radius = None,
    concentration: Concentration = None,
    electrons: Electrons = 1,
    temperature: Temperature = "298.15K",
    circuit: Circuit = None,
    cell: Cell = "anode-half",
    reference_cycle: ReferenceCycle = 1,
    scan_rate: ScanRate = None,
    preset: Preset = None,
    keep_inductive: KeepInductive = False,
    plot: Plot = None,
    as_json: JsonOption = False,
) -> None:
    """Analyze raw lab data and print the metrics (nothing is stored), e.g.
    `anodelab analyze cell.csv --kind cycling --mass 2.1mg --plot capacity.png`."""
    options = _options(mass, area, particle_radius, concentration, electrons, temperature, circuit, cell,
                       reference_cycle, scan_rate, preset, keep_inductive)  # fmt: skip
    with byte_progress(f"analyzing {', '.join(f.name for f in files)}") as update:
        run = analyze_files(files, kind, options, progress=update)
    if plot is not None:
        plot_run(run, plot)
    if as_json:
        print_json(run.to_json_dict())
        return
    _print_result(run)
    if plot is not None:
        console.print(f"figure written to {plot}")


def import_run_command(
    files: Annotated[list[Path], typer.Argument(help="Raw data file(s).")],
    sample: Annotated[
        str | None,
        typer.Option(
            help="Sample label the results belong to (created if new; default: the --proposal's sample)."
        ),
    ] = None,
    proposal: Annotated[
        str | None,
        typer.Option(
            help="Campaign proposal this run measures: its objectives are recorded as (partial) results."
        ),
    ] = None,
    kind: Kind = "cycling",
    source: Annotated[
        str, typer.Option(help="Source key (a lab notebook or run); created if new.")
    ] = "lab",
    cell_label: Annotated[
        str | None, typer.Option("--cell-label", help="Cell label (default: sample | file name).")
    ] = None,
    db: DbOption = None,
    mass: Mass = None,
    area: Area = None,
    particle_radius: Radius = None,
    concentration: Concentration = None,
    electrons: Electrons = 1,
    temperature: Temperature = "298.15K",
    circuit: Circuit = None,
    cell: Cell = "anode-half",
    reference_cycle: ReferenceCycle = 1,
    scan_rate: ScanRate = None,
    preset: Preset = None,
    keep_inductive: KeepInductive = False,
    as_json: JsonOption = False,
) -> None:
    """Analyze raw files and store the metrics as measurements with the file hash, analyzer and options.

    With `--proposal demo-p3` the run also closes the campaign loop: `anodelab import-run
    cell.csv --kind cycling --mass 1.2mg --proposal demo-p3`.
    """
    options = _options(mass, area, particle_radius, concentration, electrons, temperature, circuit, cell,
                       reference_cycle, scan_rate, preset, keep_inductive)  # fmt: skip
    with (
        anodelab.open(db_path(db), create=True) as kb,
        byte_progress("analyzing and storing") as update,
    ):
        run, report, recorded = kb.import_run(
            list(files), kind, sample=sample, proposal=proposal, source=source,
            cell_label=cell_label, options=options, progress=update,
        )  # fmt: skip
    if as_json:
        print_json({**run.to_json_dict(), "import": report.to_dict(), "campaign_results": recorded})
        return
    for warning in report.warnings:
        console.print(f"[yellow]{escape(str(warning))}[/]")
    where = (f"proposal {proposal!r}'s sample" if proposal is not None
             else f"sample {sample!r} (source {source!r})")  # fmt: skip
    console.print(f"{report.status}: {report.counts.get('measurements', 0)} values for {where}"
                  f" (import {report.import_id})")  # fmt: skip
    for item in recorded:
        console.print(f"  recorded for {escape(str(proposal))}: {result_line(item)}")
    if proposal is not None and not recorded:
        console.print(f"[yellow]no objective of {proposal}'s campaign was measured by this run[/]")


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command("import-run")(import_run_command)
