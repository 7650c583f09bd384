"""Value objects that travel between importers, analyzers and the KB.

Importers (``anodelab.ingest``) and analyzers (``anodelab.echem``) produce these records with
values already in the vocabulary's canonical units; the KB (``anodelab.kb``) writes a
:class:`Bundle` of them in one transaction.  Everything here is plain data: no I/O, no SQL.

Structure of the domain (see docs/data-model.md)::

    Source ──< Sample ──< Step ──< StepParameter        (recipe: ordered process steps)
                 │  └── parents / group members
                 ├──< Cell (half/full, 1C definition, loading, N/P ...)
                 └──< Measurement (property, value, unit, uncertainty, conditions, provenance)
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Provenance",
    "SourceRecord",
    "SampleRecord",
    "StepParameterRecord",
    "step_parameter_key",
    "step_value_difference",
    "CellRecord",
    "ConditionValue",
    "MeasurementRecord",
    "Problem",
    "Bundle",
    "bundle_to_json",
    "bundle_from_json",
    "QUALIFIERS",
    "UNCERTAINTY_KINDS",
    "SAMPLE_KINDS",
]

QUALIFIERS = ("=", "≈", "<", ">", "≤", "≥")
UNCERTAINTY_KINDS = ("sd", "se", "range", "unspecified")
SAMPLE_KINDS = ("material", "electrode", "blend", "group")
SOURCE_KINDS = ("paper", "lab_notebook", "lab_run", "dataset")


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: a place in a source, or a raw file and the analyzer that read it.

    ``file``/``row``/``column`` locate the cell of the imported table; ``row`` is the row as a
    spreadsheet shows it (the header is row 1).
    """

    locator: str | None = None  # "Section 2.3", "Figure 4c caption", "Table S3"
    file: str | None = None
    row: int | None = None
    column: str | None = None
    raw_file_sha256: str | None = None
    analyzer: str | None = None
    analyzer_version: str | None = None
    options: dict[str, Any] | None = None


@dataclass(frozen=True)
class SourceRecord:
    key: str
    kind: str = "paper"
    doi: str | None = None
    title: str | None = None
    year: int | None = None
    authors: str | None = None
    journal: str | None = None
    license: str | None = None


@dataclass(frozen=True)
class SampleRecord:
    source: str
    label: str
    kind: str = "material"
    family: str | None = None
    parents: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    description: str | None = None
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class StepParameterRecord:
    """One typed parameter or ingredient amount of one process step, in canonical units."""

    source: str
    sample: str
    step: int
    step_type: str
    quantity: str
    value: float | None = None
    unit: str | None = None  # canonical unit of the quantity
    text_value: str | None = None
    value_min: float | None = None
    value_max: float | None = None
    qualifier: str = "="
    substance: str | None = None
    basis: str | None = None
    raw_value: str | None = None
    raw_unit: str | None = None
    raw: str | None = None
    provenance: Provenance = field(default_factory=Provenance)


def step_parameter_key(sp: StepParameterRecord) -> tuple[Any, ...]:
    """Which parameter of which step a record is: source, sample, step number, quantity,
    substance (by name, as the recipe vector matches it: ``Pitch`` is ``pitch``) and basis.

    A step is a sample's step number (its step type is one per step); one step has one value
    per parameter.  Two carbonizations are two step numbers, two ingredient masses of one step
    two substances, one fraction on two bases two parameters."""
    from anodelab.schema.vocabulary import name_key  # records import nothing at module level

    substance = name_key(sp.substance) if sp.substance else None
    return (sp.source, sp.sample, sp.step, sp.quantity, substance, sp.basis)


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def step_value_difference(a: StepParameterRecord, b: StepParameterRecord) -> str | None:
    """The first column in which two records of one step parameter state different things
    (``value``, ``value_min``, ``value_max`` in canonical units, a text value by name, or the
    ``qualifier``), or None when they state the same (``700 °C`` and ``973.15 K`` do)."""
    from anodelab.schema.vocabulary import name_key

    for column in ("value", "value_min", "value_max"):
        if not _same_number(getattr(a, column), getattr(b, column)):
            return column
    if (a.text_value is None) != (b.text_value is None) or (
        a.text_value is not None and name_key(a.text_value) != name_key(str(b.text_value))
    ):
        return "value"
    if a.qualifier != b.qualifier:
        return "qualifier"
    return None


@dataclass(frozen=True)
class CellRecord:
    source: str
    label: str
    sample: str
    cell_type: Literal["half", "full"] = "half"
    format: str | None = None
    counter_electrode: str | None = None
    cathode: str | None = None
    cathode_formula: str | None = None
    electrolyte: str | None = None
    separator: str | None = None
    binder: str | None = None
    electrode_composition: str | None = None
    active_mass_loading_mg_per_cm2: float | None = None
    cathode_loading_mg_per_cm2: float | None = None
    np_ratio: float | None = None
    voltage_min_V: float | None = None
    voltage_max_V: float | None = None
    one_c_mA_per_g: float | None = None
    one_c_mA_per_cm2: float | None = None
    one_c_raw: str | None = None
    blend_ratio: str | None = None
    temperature_C: float | None = None
    note: str | None = None
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class ConditionValue:
    """A condition in its canonical unit (numeric) or as text (``state=lithiated``)."""

    value: float | None = None
    unit: str | None = None
    text: str | None = None
    raw: str | None = None

    def display(self) -> str:
        if self.text is not None:
            return self.text
        return f"{self.value:g}" + (f" {self.unit}" if self.unit else "")


@dataclass(frozen=True)
class MeasurementRecord:
    """One stated or derived value of one property of one sample (or group), with its conditions."""

    source: str
    sample: str
    property: str
    value: float | None
    unit: str | None  # canonical unit of the property
    value_min: float | None = None
    value_max: float | None = None
    uncertainty: float | None = None
    uncertainty_kind: str | None = None
    qualifier: str = "="
    conditions: dict[str, ConditionValue] = field(default_factory=dict)
    cell: str | None = None
    basis: str | None = None
    origin: Literal["stated", "computed", "analyzer", "recorded"] = "stated"
    raw_value: str | None = None
    raw_unit: str | None = None
    raw: str | None = None
    note: str | None = None
    flags: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class Problem:
    """Something an importer could not use or found suspicious; errors stop an import."""

    message: str
    severity: Literal["error", "warning"] = "error"
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                f"file {self.file}" if self.file else "",
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column!r}" if self.column else "",
            )
            if p
        )
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return (
            f"{self.severity}: {where}: {self.message}{shown}"
            if where
            else f"{self.severity}: {self.message}{shown}"
        )


@dataclass
class Bundle:
    """Everything one import adds to the KB; written whole or not at all."""

    sources: list[SourceRecord] = field(default_factory=list)
    samples: list[SampleRecord] = field(default_factory=list)
    steps: list[StepParameterRecord] = field(default_factory=list)
    cells: list[CellRecord] = field(default_factory=list)
    measurements: list[MeasurementRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def extend(self, other: Bundle) -> None:
        self.sources += other.sources
        self.samples += other.samples
        self.steps += other.steps
        self.cells += other.cells
        self.measurements += other.measurements
        self.problems += other.problems

    def __len__(self) -> int:
        return (
            len(self.sources)
            + len(self.samples)
            + len(self.steps)
            + len(self.cells)
            + len(self.measurements)
        )


def bundle_to_json(bundle: Bundle) -> str:
    """The records of ``bundle`` as JSON (problems left out), read back by :func:`bundle_from_json`."""
    return json.dumps(
        {
            name: [asdict(r) for r in getattr(bundle, name)]
            for name in ("sources", "samples", "steps", "cells", "measurements")
        },
        ensure_ascii=False,
    )


def _with_provenance(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "provenance": Provenance(**record.get("provenance") or {})}


def bundle_from_json(text: str) -> Bundle:
    """A :class:`Bundle` from :func:`bundle_to_json`'s text."""
    data = json.loads(text)
    return Bundle(
        sources=[SourceRecord(**r) for r in data.get("sources", [])],
        samples=[
            SampleRecord(
                **{
                    **_with_provenance(r),
                    "parents": tuple(r["parents"]),
                    "members": tuple(r["members"]),
                }
            )
            for r in data.get("samples", [])
        ],
        steps=[StepParameterRecord(**_with_provenance(r)) for r in data.get("steps", [])],
        cells=[CellRecord(**_with_provenance(r)) for r in data.get("cells", [])],
        measurements=[
            MeasurementRecord(
                **{
                    **_with_provenance(r),
                    "conditions": {k: ConditionValue(**v) for k, v in r["conditions"].items()},
                    "flags": tuple(r["flags"]),
                }
            )
            for r in data.get("measurements", [])
        ],
    )
