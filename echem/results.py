"""The common shape of every analyzer's result, and of ``anodelab analyze --json``.

Every analyzer in :mod:`anodelab.echem` returns an :class:`AnalysisResult`.  ``results`` is
JSON-ready (numbers, strings, lists, dicts; units in the key names such as
``discharge_capacity_mAh``); ``metrics`` lists the target metrics as
:class:`~anodelab.schema.records.MeasurementRecord`-ready dicts so that ``anodelab import-run`` can
store them in the KB with the same code for literature and lab data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnalysisResult", "Metric"]


@dataclass(frozen=True)
class Metric:
    """One target metric in the vocabulary's canonical unit, ready to be stored as a measurement.

    ``conditions`` maps condition names (``schema/data/conditions.yaml``) to ``(value, unit)``
    tuples or text, e.g. ``{"cycle": (500, "cycle_count"), "current_density": (1000, "mA/g")}``.
    """

    property: str
    value: float
    unit: str
    conditions: dict[str, Any] = field(default_factory=dict)
    uncertainty: float | None = None
    uncertainty_kind: str | None = None
    note: str | None = None


@dataclass
class AnalysisResult:
    """Result of one analysis: the documented JSON payload plus the metrics to store."""

    kind: str  # cycling | rate | dqdv | gitt | eis | cv | swelling
    analyzer: str  # dotted name of the analyzer function
    version: str  # anodelab version that computed it
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    def to_json_dict(self, file: str | list[str] | None = None) -> dict[str, Any]:
        """The stable ``--json`` document: ``{kind, file, analyzer, version, options, warnings, results}``."""
        return {
            "kind": self.kind,
            "file": file,
            "analyzer": self.analyzer,
            "version": self.version,
            "options": self.options,
            "warnings": list(self.warnings),
            "results": self.results,
        }
