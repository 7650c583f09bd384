"""Raw lab files → analyzers → KB: ``analyze_files`` and ``import_run``.

The same analyzers compute the target metrics for literature curves and a lab's own files, so
values stay comparable.  :func:`analyze_files` reads the files with the right reader and runs the
analyzer of ``kind``; :func:`import_run` stores its metrics as measurements linked to a sample
and a cell, with the raw files' SHA-256, the analyzer's name and version and the options used.
Re-importing the same files with the same options changes nothing; other options replace the
earlier values of that run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from anodelab.echem.results import AnalysisResult, Metric
from anodelab.ingest.readers import file_sha256, read_cycler
from anodelab.kb.db import Database, transaction
from anodelab.kb.query import existing_source_and_sample
from anodelab.kb.write import WriteReport, write_bundle
from anodelab.schema.errors import AnodelabError, InputError
from anodelab.schema.records import (
    Bundle,
    CellRecord,
    ConditionValue,
    MeasurementRecord,
    Problem,
    Provenance,
    SampleRecord,
    SourceRecord,
)
from anodelab.schema.validation import require_positive, whole_number
from anodelab.schema.version import __version__
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "ANALYSES",
    "RunOptions",
    "AnalyzedRun",
    "analyze_files",
    "run_bundle",
    "import_run",
    "store_run",
]

Progress = Callable[[int, int], None]  # (bytes read, total bytes) of the file being read
CELL_TYPES = {"anode-half": "half", "cathode-half": "half", "full": "full"}


@dataclass(frozen=True)
class RunOptions:
    """Physical options of an analysis, in the units of their names (parse text with :func:`parse_option`).

    ``keep_inductive`` (EIS only) keeps the inductive high-frequency points (Z″ > 0) that
    :func:`anodelab.echem.eis.analyze_eis` drops before fitting by default; it is an error with
    another kind.  It enters :meth:`to_dict` only when set (the EIS analyzer records its value,
    set or not, in the result's options), so other kinds' stored options are unchanged.
    """

    mass_g: float | None = None
    area_cm2: float | None = None
    particle_radius_cm: float | None = None
    concentration_mol_per_cm3: float | None = None
    electrons: int = 1
    temperature_K: float = 298.15
    circuit: str | None = None
    cell: str = "anode-half"
    reference_cycle: int = 1
    scan_rate_mV_per_s: float | None = None
    preset: str | None = None
    current_sign: str | None = None
    keep_inductive: bool = False

    def __post_init__(self) -> None:
        """Refuse options no cell can have: a mass, area, radius, concentration, scan rate or
        absolute temperature ≤ 0 (``--area -1cm2``, ``--temperature -5K``), ``nan``/``inf``, and
        counts below 1 (``--reference-cycle 0``: cycles count from 1)."""
        for name, option, unit in (
            ("mass_g", "--mass", "g"),
            ("area_cm2", "--area", "cm²"),
            ("particle_radius_cm", "--particle-radius", "cm"),
            ("concentration_mol_per_cm3", "--concentration", "mol cm⁻³"),
            ("temperature_K", "--temperature", "K"),
            ("scan_rate_mV_per_s", "--scan-rate", "mV s⁻¹"),
        ):
            require_positive(getattr(self, name), what=option, unit=unit)
        whole_number(self.reference_cycle, what="--reference-cycle")
        whole_number(self.electrons, what="--electrons")

    def to_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.__dict__.items()
            if v is not None and not (k == "keep_inductive" and v is False)
        }


@dataclass
class AnalyzedRun:
    """An analysis result with what it was computed from."""

    kind: str
    files: list[Path]
    sha256: list[str]
    result: AnalysisResult
    data: Any = field(default=None, repr=False)  # the frame(s) read, for plots

    def to_json_dict(self) -> dict[str, Any]:
        doc = self.result.to_json_dict(
            file=[str(f) for f in self.files] if len(self.files) > 1 else str(self.files[0])
        )
        doc["sha256"] = self.sha256
        return doc


def _one_file(kind: str, paths: list[Path]) -> Path:
    if len(paths) != 1:
        raise AnodelabError(f"--kind {kind} takes one file, got {len(paths)}")
    return paths[0]


def _cycling(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    """Streamed in one pass for large text exports (same result as read_cycler + analyze_cycling)."""
    from anodelab.ingest.readers import summarize_cycler_file

    result = summarize_cycler_file(
        _one_file("cycling", paths), mass_g=o.mass_g, area_cm2=o.area_cm2, cell=o.cell, preset=o.preset,
        current_sign=o.current_sign, reference_cycle=o.reference_cycle, progress=progress,
    )  # fmt: skip
    return result, None


def _rate(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    from anodelab.echem.rate import analyze_rate

    frame = read_cycler(
        _one_file("rate", paths), preset=o.preset, current_sign=o.current_sign, cell=o.cell
    )
    return analyze_rate(frame, mass_g=o.mass_g, cell=o.cell), frame


def _dqdv(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    from anodelab.echem.dqdv import analyze_dqdv

    frame = read_cycler(
        _one_file("dqdv", paths), preset=o.preset, current_sign=o.current_sign, cell=o.cell
    )
    return analyze_dqdv(frame, mass_g=o.mass_g), frame


def _gitt(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    from anodelab.echem.gitt import analyze_gitt

    frame = read_cycler(
        _one_file("gitt", paths), preset=o.preset, current_sign=o.current_sign, cell=o.cell
    )
    data = pd.DataFrame(
        {
            "time_s": frame["test_time_second"],
            "voltage_V": frame["voltage_volt"],
            "current_A": frame["current_ampere"],
        }
    )
    result = analyze_gitt(
        data, particle_radius_cm=o.particle_radius_cm, mass_g=o.mass_g, area_cm2=o.area_cm2
    )
    return result, frame


def _eis(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    from anodelab.echem.eis import analyze_eis
    from anodelab.ingest.readers.spectra import read_eis

    frame = read_eis(_one_file("eis", paths))
    z = frame["z_real_ohm"].to_numpy() + 1j * frame["z_imag_ohm"].to_numpy()
    result = analyze_eis(
        frame["frequency_hertz"].to_numpy(),
        z,
        circuit=o.circuit,
        area_cm2=o.area_cm2,
        concentration_mol_per_cm3=o.concentration_mol_per_cm3,
        temperature_K=o.temperature_K,
        electrons=o.electrons,
        keep_inductive=o.keep_inductive,
    )
    result.warnings[:0] = list(frame.attrs.get("warnings", []))
    return result, frame


def _cv(
    paths: list[Path], o: RunOptions, progress: Progress | None = None
) -> tuple[AnalysisResult, Any]:
    from anodelab.echem.cv import analyze_cv
    from anodelab.ingest.readers.spectra import read_cv

    frames = [
        read_cv(p, scan_rate_mV_per_s=o.scan_rate_mV_per_s if len(paths) == 1 else None)
        for p in paths
    ]
    data: Any = frames[0] if len(frames) == 1 else frames
    result = analyze_cv(
        data,
        electrons=o.electrons,
        area_cm2=o.area_cm2,
        concentration_mol_per_cm3=o.concentration_mol_per_cm3,
        temperature_K=o.temperature_K,
    )
    result.warnings[:0] = [w for frame in frames for w in frame.attrs.get("warnings", [])]
    return result, frames


ANALYSES: dict[
    str, Callable[[list[Path], RunOptions, Progress | None], tuple[AnalysisResult, Any]]
] = {
    "cycling": _cycling,
    "rate": _rate,
    "dqdv": _dqdv,
    "gitt": _gitt,
    "eis": _eis,
    "cv": _cv,
}


def analyze_files(
    paths: Sequence[str | Path] | str | Path,
    kind: str,
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
) -> AnalyzedRun:
    """Read ``paths`` and run the ``kind`` analyzer (cycling, rate, dqdv, gitt, eis, cv)."""
    if kind not in ANALYSES:
        raise AnodelabError(f"unknown analysis kind {kind!r}; choose one of {', '.join(ANALYSES)}")
    files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    for f in files:
        if not f.is_file():
            raise InputError("file not found", file=str(f))
    opts = options or RunOptions()
    if opts.keep_inductive and kind != "eis":
        raise AnodelabError(
            f"--keep-inductive (keep_inductive) applies to --kind eis only, not {kind!r}"
        )
    if opts.cell not in CELL_TYPES:
        raise AnodelabError(f"--cell must be one of {', '.join(CELL_TYPES)}, got {opts.cell!r}")
    try:
        result, data = ANALYSES[kind](files, opts, progress)
    except InputError as exc:
        if exc.file is not None or len(files) != 1:
            raise
        # the analyzers see arrays, not files: name the file the bad data came from
        raise InputError(exc.message, file=str(files[0]), row=exc.row, column=exc.column) from None
    result.options = {**opts.to_dict(), **result.options}
    return AnalyzedRun(
        kind=kind, files=files, sha256=_hashes(files, result, data), result=result, data=data
    )


def _hashes(files: list[Path], result: AnalysisResult, data: Any) -> list[str]:
    """Each file's SHA-256, reusing the one its reader already computed (a file is hashed once)."""
    known = (result.options.get("file") or {}).get("sha256")
    if known is None and hasattr(data, "attrs"):
        known = data.attrs.get("sha256")
    if len(files) == 1 and known:
        return [str(known)]
    return [file_sha256(f) for f in files]


def _condition(name: str, raw: Any, where: dict[str, Any]) -> ConditionValue:
    term = load_vocabulary().get("condition", name)
    if not term.is_numeric:
        return ConditionValue(text=str(raw))
    value, unit = raw if isinstance(raw, tuple) else (raw, term.unit)
    return ConditionValue(
        value=term.canonical_value(float(value), unit, where=where), unit=term.unit
    )


def _measurement(
    metric: Metric, *, source: str, sample: str, cell: str, prov: Provenance
) -> tuple[MeasurementRecord | None, Problem | None]:
    vocab = load_vocabulary()
    where = {"file": prov.file}
    try:
        term = vocab.get("property", metric.property)
        value = term.canonical_value(float(metric.value), metric.unit, where=where)
        conditions = {
            name: _condition(name, raw, where)
            for name, raw in metric.conditions.items()
            if raw is not None
        }
    except AnodelabError as exc:
        return None, Problem(f"analyzer metric {metric.property}: {exc}", file=prov.file)
    flags: tuple[str, ...] = ()
    problem = None
    reason = term.check_range(value)
    if reason:  # a measured value is kept, but flagged
        flags = ("outside_plausible_range",)
        problem = Problem(reason, severity="warning", file=prov.file)
    uncertainty = metric.uncertainty
    if uncertainty is not None:
        uncertainty = (
            abs(term.canonical_value(float(uncertainty), metric.unit, where=where))
            if term.unit != "degC"
            else float(uncertainty)
        )
    record = MeasurementRecord(
        source=source, sample=sample, property=term.name, value=value, unit=term.unit,
        uncertainty=uncertainty, uncertainty_kind=metric.uncertainty_kind if uncertainty is not None else None,
        conditions=conditions, cell=cell, origin="analyzer", raw_value=f"{metric.value!r}", raw_unit=metric.unit,
        note=metric.note, flags=flags, provenance=prov,
    )  # fmt: skip
    return record, problem


def run_bundle(
    run: AnalyzedRun, *, sample: str, source: str = "lab", cell_label: str | None = None
) -> Bundle:
    """The KB records of one analyzed run: source and sample (created if new), cell, measurements."""
    options = run.result.options
    cell_label = cell_label or f"{sample} | {run.files[0].name}"
    prov = Provenance(
        locator=f"{run.kind} analysis of {', '.join(f.name for f in run.files)}",
        file=str(run.files[0]),
        raw_file_sha256=",".join(run.sha256),
        analyzer=run.result.analyzer,
        analyzer_version=run.result.version,
        options=options,
    )
    loading = None
    if options.get("mass_g") and options.get("area_cm2"):
        loading = 1000.0 * float(options["mass_g"]) / float(options["area_cm2"])
    bundle = Bundle(
        sources=[SourceRecord(key=source, kind="lab_run")],
        samples=[SampleRecord(source=source, label=sample, kind="electrode", provenance=prov)],
        cells=[
            CellRecord(
                source=source,
                label=cell_label,
                sample=sample,
                cell_type=CELL_TYPES[options.get("cell", "anode-half")],  # type: ignore[arg-type]
                active_mass_loading_mg_per_cm2=loading,
                note=f"{options.get('cell', 'anode-half')} convention",
                provenance=prov,
            )
        ],  # fmt: skip
    )
    for metric in run.result.metrics:
        record, problem = _measurement(
            metric, source=source, sample=sample, cell=cell_label, prov=prov
        )
        if record is not None:
            bundle.measurements.append(record)
        if problem is not None:
            bundle.problems.append(problem)
    for warning in run.result.warnings:
        bundle.problems.append(
            Problem(f"analyzer: {warning}", severity="warning", file=str(run.files[0]))
        )
    return bundle


def import_run(
    db: Database,
    paths: Sequence[str | Path] | str | Path,
    kind: str,
    *,
    sample: str,
    source: str = "lab",
    options: RunOptions | None = None,
    cell_label: str | None = None,
    progress: Progress | None = None,
) -> tuple[AnalyzedRun, WriteReport]:
    """Analyze raw files and store the metrics in the KB (one transaction, idempotent)."""
    run = analyze_files(paths, kind, options, progress=progress)
    return run, store_run(db, run, sample=sample, source=source, cell_label=cell_label)


def store_run(
    db: Database,
    run: AnalyzedRun,
    *,
    sample: str,
    source: str = "lab",
    cell_label: str | None = None,
) -> WriteReport:
    """Store an analyzed run's metrics as measurements of ``sample`` (one transaction, or a
    savepoint of the caller's; idempotent by content: the same files, options and analyzer
    version change nothing).  An existing source or sample keeps its definition (a proposal's
    sample keeps its recipe)."""
    kind = run.kind
    bundle = run_bundle(run, sample=sample, source=source, cell_label=cell_label)
    if not bundle.measurements and not bundle.errors:
        # a file with zero current throughout (or no complete cycle) would leave a source, a
        # sample, a cell and a ledger entry holding 0 values
        raise AnodelabError(
            f"file {run.files[0]}: the {kind} analysis found no values to store; nothing was "
            "written" + (f" ({bundle.warnings[0].message})" if bundle.warnings else "")
        )
    content = hashlib.sha256(
        json.dumps(
            {
                "sha256": run.sha256,
                "kind": kind,
                "options": run.result.options,
                "version": run.result.version,
                "sample": sample,
                "cell": cell_label,
            },
            sort_keys=True,
            default=str,
        ).encode()  # fmt: skip
    ).hexdigest()
    dataset = f"{source}:{sample}:{kind}:{'+'.join(f.name for f in run.files)}"
    # read-decide-write inside the write lock: two runs of a new sample at once must not both
    # define it (the second would take the first one's sample over)
    with transaction(db):
        source_known, sample_known = existing_source_and_sample(db, source, sample)
        if source_known:
            bundle.sources = []  # keep an existing source (e.g. a paper) as it is
            if sample_known:
                bundle.samples = []  # an existing sample keeps its definition (and its recipe)
        report = write_bundle(
            db, bundle, dataset=dataset, content_sha256=content, file_path=str(run.files[0]),
            file_sha256=run.sha256[0], importer=f"anodelab.ingest.runs[{kind}]",
            importer_version=__version__,
        )  # fmt: skip
    return report
