"""Galvanostatic cycling: per-cycle capacities, Coulombic efficiency, ICE, retention, fade, cycle life.

Input is the canonical cycler frame of :func:`anodelab.ingest.readers.read_cycler`
(``test_time_second``, ``voltage_volt``, ``current_ampere`` with positive current = voltage rises,
optional ``charge_capacity_ampere_hour`` / ``discharge_capacity_ampere_hour`` /
``capacity_ampere_hour`` / ``net_capacity_ampere_hour``, and ``step_index`` / ``cycle_index``
from :mod:`anodelab.echem.steps`).

Conventions (stated in every result under ``summary.convention``):

* *charge* = positive current (cell voltage rises), *discharge* = negative current, as cyclers
  label them.  For an anode half-cell vs Li, discharge = lithiation and charge = delithiation.
* A cycle is the leading half-cycle followed by the other one (anode half-cell: lithiation then
  delithiation; cathode half-cell and full cell: charge then discharge).
* Coulombic efficiency of cycle *n* is the second half-cycle's capacity over the first one's of
  the same cycle:

  .. math::

     \\mathrm{CE}_n = 100\\,\\% \\cdot Q_{\\text{2nd},n} / Q_{\\text{1st},n}

  i.e. delithiation/lithiation for anode half-cells and discharge/charge for cathode half-cells and
  full cells (the half-cell convention of e.g. Obrovac & Chevrier, Chem. Rev. 2014, 114, 11444).
  ICE is CE₁.
* Retention and fade use the *reversible* capacity (the second half-cycle) unless
  ``retention_basis`` says otherwise:

  .. math::

     R_n = 100\\,\\% \\cdot C_n / C_{\\text{ref}}, \\qquad
     \\text{fade} = 100\\,\\% \\cdot (1 - C_n/C_{\\text{ref}}) / (n - n_{\\text{ref}})

* Capacity of a half-cycle, when integrated from current (trapezoid rule within each step):

  .. math::

     Q = \\sum_i \\tfrac12 (|I_i| + |I_{i-1}|)(t_i - t_{i-1}), \\qquad
     E = \\sum_i \\tfrac12 (|V_i I_i| + |V_{i-1} I_{i-1}|)(t_i - t_{i-1})

  summed into the half-cycle of the current's sign (as EC-Lab's ``Energy charge/discharge``), and
  the average voltage is the capacity-weighted mean voltage
  :math:`\\bar V = \\sum_i \\tfrac12 (V_i |I_i| + V_{i-1} |I_{i-1}|)(t_i - t_{i-1}) / Q`
  (= E/Q for a cell above 0 V; negative where the cell is, e.g. a Li | Li symmetric cell).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from anodelab.echem.cycling_runs import (
    CAPACITY_KEYS,
    CycleSums,
    batch_runs,
    quantum,
    run_states,
    sums_from_runs,
)
from anodelab.echem.results import AnalysisResult, Metric
from anodelab.echem.steps import current_state, default_rest_current, leading_sign
from anodelab.schema.errors import InputError
from anodelab.schema.version import __version__

__all__ = [
    "cycle_summary",
    "CycleSums",
    "cycle_table_from_sums",
    "cycling_result",
    "CyclingOptions",
    "options_from_file",
    "analyze_cycling",
    "CAPACITY_SOURCES",
    "RETENTION_BASES",
]

CAPACITY_SOURCES = ("auto", "current", "columns")
RETENTION_BASES = ("reversible", "charge", "discharge")
_AH_TO_MAH = 1000.0


def _capacity_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in CAPACITY_KEYS if c in frame.columns]


def cycle_summary(
    frame: pd.DataFrame,
    *,
    cell: str = "anode-half",
    capacity_source: str = "auto",
    rest_current: float | None = None,
    warnings: list[str] | None = None,
) -> pd.DataFrame:
    """One row per cycle (cycle ``0`` = partial pre-cycle is dropped).

    Columns: ``cycle``, ``charge_capacity_mAh`` (positive current), ``discharge_capacity_mAh``
    (negative current), ``coulombic_efficiency_percent`` (2nd/1st half-cycle, see module
    docstring), ``charge_energy_mWh``, ``discharge_energy_mWh``, ``average_charge_voltage_V``,
    ``average_discharge_voltage_V``, ``max_charge_current_mA``, ``max_discharge_current_mA``,
    ``start_time_second``, ``end_time_second``, ``complete``.  ``frame.attrs["capacity_source"]``
    says whether capacities come from the file's columns or from integrating the current.

    The frame is summed as one record batch by :mod:`anodelab.echem.cycling_runs` (the arithmetic
    the streaming file summary uses batch by batch).
    """
    _check_capacity_source(capacity_source)
    warnings = [] if warnings is None else warnings
    source = frame.attrs.get("source_file")
    for column in ("test_time_second", "voltage_volt", "current_ampere"):
        if column not in frame.columns:
            raise InputError(f"no {column} column; columns are {list(frame.columns)}", file=source)
    if len(frame) < 2:
        raise InputError("fewer than two data rows", file=source)
    current = frame["current_ampere"].to_numpy(dtype=float)
    tol = default_rest_current(current) if rest_current is None else float(rest_current)
    columns = _capacity_columns(frame)
    counters = {c: frame[c].to_numpy(dtype=float) for c in columns}
    vendor_step = frame["step_id"].to_numpy(dtype=float) if "step_id" in frame.columns else None
    runs, _, _ = batch_runs(
        frame["test_time_second"].to_numpy(dtype=float),
        frame["voltage_volt"].to_numpy(dtype=float),
        np.nan_to_num(current),
        None if vendor_step is None else np.nan_to_num(vendor_step, nan=-1.0),
        counters,
        None,
        tol,
        tol,
    )
    sums = sums_from_runs(runs, run_states(runs, tol), 1, cell, columns)
    if capacity_source != "current" and sums.ch_col is not None:
        sums.quantum_Ah = max(quantum(values) for values in counters.values())
        sums.first_counter_Ah = max(
            (
                float(np.nan_to_num(abs(values[0])))
                for key, values in counters.items()
                if key != "net_capacity_ampere_hour"
            ),
            default=0.0,
        )
    return cycle_table_from_sums(
        sums, cell=cell, capacity_source=capacity_source, warnings=warnings, source=source
    )


#: A last half-cycle counts as cut off when its voltage extreme falls short of every earlier
#: complete cycle's extreme of the same current sign by more than this (V), or by more than
#: ``_CUT_OFF_STEPS`` typical cycle-to-cycle changes of that extreme (capacity-limited cycling).
_CUT_OFF_TOLERANCE_V = 0.02
_CUT_OFF_STEPS = 3.0


def _cut_off_last_half_cycle(
    sums: CycleSums, complete: np.ndarray, cell: str
) -> tuple[int, str] | None:
    """The row of ``sums.cycle`` whose last half-cycle stopped mid-step, and why; else ``None``.

    A test that ends (or was exported) in the middle of a half-cycle leaves a last half-cycle that
    never reached its cut-off voltage; its capacity is a fraction of a real one and would corrupt
    CE, retention, fade and cycle life.  Only the file's *last* active half-cycle can be cut off.
    Its extreme voltage (the highest under positive current, the lowest under negative current)
    is compared with those of the same sign in the earlier complete cycles: with the depth
    d = +V for charge and −V for discharge, the half-cycle is cut off when

    .. math::  d_\\text{last} < \\min_{\\text{earlier}} d - \\max(20\\,\\text{mV}, 3\\,\\widetilde{|\\Delta d|})

    (:math:`\\widetilde{|\\Delta d|}` = median cycle-to-cycle change, which is ≈ 0 for
    voltage-limited cycling and lets capacity-limited cycling drift).  Without an earlier complete
    cycle nothing can be said and ``None`` is returned.
    """
    sign = sums.last_active_sign
    extremes = sums.v_charge_max if sign > 0 else sums.v_discharge_min
    if sign == 0 or extremes is None:
        return None
    where = np.flatnonzero(np.asarray(sums.cycle) == sums.last_active_cycle)
    if where.size == 0 or not complete[where[0]]:
        return None
    row = int(where[0])
    depth = np.asarray(extremes, dtype=float) * sign
    earlier = (np.asarray(sums.cycle) > 0) & complete & np.isfinite(depth)
    earlier[row:] = False
    refs = depth[earlier]
    if refs.size == 0 or not np.isfinite(depth[row]):
        return None
    step = float(np.median(np.abs(np.diff(refs)))) if refs.size > 1 else 0.0
    tol = max(_CUT_OFF_TOLERANCE_V, _CUT_OFF_STEPS * step)
    if depth[row] >= refs.min() - tol:
        return None
    half = "charge" if sign > 0 else "discharge"
    if cell == "anode-half":
        half += " (delithiation)" if sign > 0 else " (lithiation)"
    reached = "at least" if sign > 0 else "at most"
    cut = float(refs.min() * sign)
    return row, (
        f"the last {half} of cycle {int(sums.cycle[row])} stops at {depth[row] * sign:.3f} V, short of "
        f"the cut-off the earlier {half.split()[0]}s reached ({reached} {cut:.3f} V): the file ends "
        "mid-step; the cycle is listed as incomplete and not used for CE, retention, fade, cycle life "
        "or rate steps"
    )


def _started_mid_cycle(sums: CycleSums, total_mAh: np.ndarray) -> tuple[int, str] | None:
    """The row of the first reported cycle when the file starts in the middle of a cycle.

    Vendor capacity counters run per cycle or per step; one that is above zero in the file's
    first row (by more than 0.1 % of the largest half-cycle) holds charge passed before the
    first record, so the first cycle of the file is partial: reported, but not complete.
    """
    largest = float(np.max(total_mAh, initial=0.0)) / _AH_TO_MAH
    if sums.first_counter_Ah <= _NEGLIGIBLE_FRACTION * max(largest, 1e-300):
        return None
    rows = np.flatnonzero(np.asarray(sums.cycle) > 0)
    if rows.size == 0:
        return None
    row = int(rows[0])
    return row, (
        f"the file starts in the middle of a cycle (its capacity counter is already at "
        f"{sums.first_counter_Ah * 1e3:.4g} mAh in the first row): cycle {int(sums.cycle[row])} is "
        "partial, its capacities count only what the file recorded, and it is not used for CE, "
        "retention, fade or cycle life"
    )


#: A half-cycle holding less than this fraction of the file's largest half-cycle is a current
#: blip (e.g. 1e-11 Ah around a rest), not a half-cycle: it gives no CE and no complete cycle.
_NEGLIGIBLE_FRACTION = 1e-3


def _without_negligible(
    first: np.ndarray, second: np.ndarray, cycle: np.ndarray, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``first``/``second`` half-cycle capacities with negligible ones (< 0.1 % of the largest) set to 0.

    CE = Q₂/Q₁ divides by the first half-cycle; a blip of 1e-11 Ah there gives CE ≈ 10¹⁰ %.
    """
    scale = float(max(np.max(first, initial=0.0), np.max(second, initial=0.0)))
    tiny_first = (first > 0) & (first < _NEGLIGIBLE_FRACTION * scale)
    tiny_second = (second > 0) & (second < _NEGLIGIBLE_FRACTION * scale)
    tiny = (tiny_first | tiny_second) & (np.asarray(cycle) > 0)
    if tiny.any():
        warnings.append(
            f"cycle(s) {np.asarray(cycle)[tiny][:10].tolist()} have a half-cycle with less than "
            f"{_NEGLIGIBLE_FRACTION:.1%} of the largest half-cycle's charge (a current blip, not a "
            "half-cycle); no CE for them and they count as incomplete"
        )
    return np.where(tiny_first, 0.0, first), np.where(tiny_second, 0.0, second)


def _check_capacity_source(capacity_source: str) -> None:
    if capacity_source not in CAPACITY_SOURCES:
        raise InputError(
            f"capacity_source must be one of {CAPACITY_SOURCES}; got {capacity_source!r}"
        )


def cycle_table_from_sums(
    sums: CycleSums,
    *,
    cell: str = "anode-half",
    capacity_source: str = "auto",
    warnings: list[str] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """The :func:`cycle_summary` table from per-cycle sums (column choice, CE, energies, flags)."""
    _check_capacity_source(capacity_source)
    warnings = [] if warnings is None else warnings
    columns = sums.capacity_columns
    if capacity_source == "columns" and not columns:
        raise InputError(
            "capacity_source='columns' but the file has no capacity column", file=source
        )
    used = "integrated current (trapezoid within steps)"
    ch_sum, dis_sum = sums.ch_int, sums.dis_int
    if capacity_source != "current" and sums.ch_col is not None and sums.dis_col is not None:
        total = max(sums.column_total_Ah, 1e-300)
        cycles_n = max(sums.max_cycle, 1)
        quantum = sums.quantum_Ah
        coarse = quantum > 0 and quantum > COARSE_FRACTION * total / (2 * cycles_n)
        # a coarse column that the integrated current contradicts beyond its rounding is still
        # the better record: then the current column is the rounded one (LANDT: 0.1 mA steps)
        gap = max(
            float(np.max(np.abs(sums.ch_col - sums.ch_int), initial=0.0)),
            float(np.max(np.abs(sums.dis_col - sums.dis_int), initial=0.0)),
        )
        contradicted = gap > 2.0 * quantum
        if capacity_source == "columns" or not coarse or contradicted:
            ch_sum, dis_sum = sums.ch_col, sums.dis_col
            used = f"file column {sums.column_name}"
            if coarse and contradicted and capacity_source != "columns":
                warnings.append(
                    f"capacity column(s) {columns} are rounded to {quantum:g} Ah, but integrating "
                    f"the current differs from them by up to {gap * 1e3:.3g} mAh in a half-cycle, more "
                    "than that rounding explains (the current column is rounded too); the capacity "
                    "columns are used"
                )
        else:
            warnings.append(
                f"capacity column(s) {columns} are rounded to {quantum:g} Ah, coarser than "
                f"{COARSE_FRACTION:.1%} of a half-cycle capacity, and the integrated current agrees "
                "with them within that rounding; capacities were integrated from the current"
            )
    present = np.asarray(sums.cycle)
    table = pd.DataFrame({"cycle": present})
    qch = ch_sum * _AH_TO_MAH
    qdis = dis_sum * _AH_TO_MAH
    table["charge_capacity_mAh"] = qch
    table["discharge_capacity_mAh"] = qdis
    lead = leading_sign(cell)
    first, second = (qdis, qch) if lead < 0 else (qch, qdis)
    first, second = _without_negligible(first, second, present, warnings)
    with np.errstate(divide="ignore", invalid="ignore"):
        # no CE without both half-cycles (a lone first half-cycle is not 0 % efficient)
        table["coulombic_efficiency_percent"] = np.where(
            (first > 0) & (second > 0), 100.0 * second / first, np.nan
        )
        table["charge_energy_mWh"] = sums.ech * _AH_TO_MAH
        table["discharge_energy_mWh"] = sums.edis * _AH_TO_MAH
        vq_ch = sums.ech if sums.vq_ch is None else sums.vq_ch
        vq_dis = sums.edis if sums.vq_dis is None else sums.vq_dis
        table["average_charge_voltage_V"] = np.where(sums.ch_int > 0, vq_ch / sums.ch_int, np.nan)
        table["average_discharge_voltage_V"] = np.where(
            sums.dis_int > 0, vq_dis / sums.dis_int, np.nan
        )
    table["max_charge_current_mA"] = sums.ich_max * _AH_TO_MAH
    table["max_discharge_current_mA"] = sums.idis_max * _AH_TO_MAH
    table["start_time_second"] = sums.t0
    table["end_time_second"] = sums.t1
    complete = (first > 0) & (second > 0)
    cut_off = _cut_off_last_half_cycle(sums, complete, cell)
    if cut_off is not None:
        complete[cut_off[0]] = False
        warnings.append(cut_off[1])
    started = _started_mid_cycle(sums, qch + qdis)
    if started is not None:
        complete[started[0]] = False
        warnings.append(started[1])
    table["complete"] = complete
    if (table["cycle"] == 0).any() and (
        table.loc[table["cycle"] == 0, ["charge_capacity_mAh", "discharge_capacity_mAh"]]
        .to_numpy()
        .sum()
        > 0
    ):
        warnings.append(
            "the file starts with a half-cycle of the non-leading sign before the first "
            f"{'lithiation' if lead < 0 else 'charge'}; it is reported as cycle 0 and not analysed"
        )
    table = table[table["cycle"] > 0].reset_index(drop=True)
    table.attrs["capacity_source"] = used
    if columns and used.startswith("file"):
        positive = present > 0
        qi = (sums.ch_int + sums.dis_int)[positive] * _AH_TO_MAH
        qc = (qch + qdis)[positive]
        gap = np.abs(qi - qc) / np.maximum(qc, 1e-300)
        if qi.size and np.nanmax(gap) > CROSS_CHECK_FRACTION:
            worst = int(np.nanargmax(gap))
            warnings.append(
                f"capacities from the file's capacity column(s) {columns} and from integrating the "
                f"current differ by more than {CROSS_CHECK_FRACTION:.0%} in "
                f"{int(np.count_nonzero(gap > CROSS_CHECK_FRACTION))} cycle(s) (worst: cycle "
                f"{int(present[positive][worst])}, {qc[worst]:.4g} vs {qi[worst]:.4g} mAh); the file "
                "columns are used (capacity_source='current' to override)"
            )
    return table


COARSE_FRACTION = 1e-3
"""Capacity columns rounded coarser than this fraction of an average half-cycle are 'coarse'."""

CROSS_CHECK_FRACTION = 0.01
"""Capacity columns and integrated current disagreeing by more than this in a cycle are reported."""

PARTIAL_FIRST_FRACTION = 0.5
"""Cycle 1's first half-cycle below this fraction of the later cycles' median is a partial step."""


def _first_ce_hint(ice: float, complete: pd.DataFrame, cell: str) -> str:
    """Why CE₁ may exceed 100 %: a short first half-cycle (a top-up charge or a formation step cut
    short, as cycler protocols often start) or the wrong sign convention for this cell."""
    first = "charge_capacity_mAh" if leading_sign(cell) > 0 else "discharge_capacity_mAh"
    q1 = complete.loc[complete["cycle"] == 1, first]
    later = complete.loc[complete["cycle"] > 1, first]
    if len(q1) and len(later) and float(q1.iloc[0]) < PARTIAL_FIRST_FRACTION * later.median():
        half = first.split("_")[0]
        return (
            f"CE₁ = {ice:.1f} % > 100 %: cycle 1's {half} ({float(q1.iloc[0]):.3g} mAh) is "
            f"{100 * float(q1.iloc[0]) / later.median():.0f} % of the later cycles' median "
            f"({later.median():.3g} mAh) — a partial first step (a top-up or cut-short formation)? "
            "Then CE₁ is not an initial Coulombic efficiency; start retention and fade at a later "
            "cycle (--reference-cycle 2)"
        )
    if cell == "anode-half":
        return (
            f"CE₁ = {ice:.1f} % > 100 %: the cell convention ({cell}) may be the wrong one "
            "(a full or cathode half cell?); try --cell full / --cell cathode-half"
        )
    return f"CE₁ = {ice:.1f} % > 100 %: an anode half cell? try --cell anode-half"


def _first(values: pd.Series) -> float | None:
    return None if values.empty else float(values.iloc[0])


def _maybe(value: float | None) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def analyze_cycling(
    frame: pd.DataFrame, options: CyclingOptions | None = None, **fields: Any
) -> AnalysisResult:
    """Analyse a cycling test; see the module docstring for formulas and conventions.

    ``options`` (a :class:`CyclingOptions`) and/or its fields as keywords (``mass_g=…``,
    ``cell=…``; keywords override ``options``).  Returns an
    :class:`~anodelab.echem.results.AnalysisResult` with ``results["cycles"]`` (one dict per
    complete or partial cycle) and ``results["summary"]``.
    """
    opts = CyclingOptions.of(options, fields)
    warnings: list[str] = []
    metadata = frame.attrs.get("file_metadata") or {}
    opts = options_from_file(opts, metadata, warnings)
    table = cycle_summary(
        frame,
        cell=opts.cell,
        capacity_source=opts.capacity_source,
        rest_current=opts.rest_current,
        warnings=warnings,
    )
    if table.empty or not np.any(
        current_state(frame["current_ampere"].to_numpy(float), opts.rest_current)
    ):
        raise InputError(
            _no_cycle_reason(frame, opts.cell, opts.rest_current),
            file=frame.attrs.get("source_file"),
        )
    result = cycling_result(table, warnings, opts, source=frame.attrs.get("source_file"))
    if metadata:
        result.options["file_metadata"] = metadata
    return result


#: file facts (see anodelab.ingest.readers.metadata) that stand in for options the user left out
_FILE_OPTIONS = {"mass_g": ("active_mass_g", 1e3, "mg", "--mass"), "area_cm2": ("area_cm2", 1.0, "cm²", "--area")}  # fmt: skip


def options_from_file(
    options: CyclingOptions, metadata: dict[str, Any], warnings: list[str]
) -> CyclingOptions:
    """``options`` with the active mass / electrode area the file records, where none was given.

    ``metadata`` maps fact keys to ``{"value", "unit", "from"}``; each value used is announced in
    ``warnings`` with where it was read, and an option given by the user always wins.
    """
    used: dict[str, Any] = {}
    for option, (key, scale, unit, flag) in _FILE_OPTIONS.items():
        item = metadata.get(key)
        if item is None or getattr(options, option) is not None:
            continue
        used[option] = float(item["value"])
        warnings.append(
            f"{option.split('_')[0]} {float(item['value']) * scale:.4g} {unit} taken from the file "
            f"({item['from']}); give {flag} to override"
        )
    return dataclasses.replace(options, **used) if used else options


def _no_cycle_reason(frame: pd.DataFrame, cell: str, rest_current: float | None) -> str:
    """Why :func:`cycle_summary` found no cycle: no current at all, or current of one sign only
    that the ``cell`` convention does not start a cycle with (a lone charge of a cathode file
    read as an anode half-cell)."""
    current = frame["current_ampere"].to_numpy(dtype=float)
    state = current_state(current, rest_current)
    if not np.any(state != 0):
        return "no cycle: the current is zero (rest) in every row"
    lead = leading_sign(cell)
    signs = {int(s) for s in np.unique(state[state != 0])}
    if signs == {-lead}:
        words = (
            "positive (charge, voltage rising)"
            if -lead > 0
            else "negative (discharge, voltage falling)"
        )
        other = (
            "--cell cathode-half or --cell full" if cell == "anode-half" else "--cell anode-half"
        )
        return (
            f"no cycle: the current is {words} in every non-rest row, and with --cell {cell} a "
            f"cycle starts with the opposite sign; for the other convention give {other}"
        )
    return "no cycle with current was found"


@dataclass(frozen=True)
class CyclingOptions:
    """Every option of a cycling analysis, validated once (the in-memory and streaming paths share it).

    ``mass_g`` is the active mass (mA h g⁻¹, current densities in mA g⁻¹), ``area_cm2`` the
    electrode area (mA h cm⁻²), ``cell`` the half-cell convention (:data:`anodelab.echem.steps.CELL_TYPES`),
    ``reference_cycle`` the cycle retention and fade refer to, ``retention_basis`` one of
    :data:`RETENTION_BASES`, ``capacity_source`` one of :data:`CAPACITY_SOURCES`, ``rest_current``
    the rest threshold in A (``None``: :func:`anodelab.echem.steps.default_rest_current`).
    """

    mass_g: float | None = None
    area_cm2: float | None = None
    cell: str = "anode-half"
    reference_cycle: int = 1
    retention_threshold_percent: float = 80.0
    retention_basis: str = "reversible"
    capacity_source: str = "auto"
    rest_current: float | None = None

    def __post_init__(self) -> None:
        if self.retention_basis not in RETENTION_BASES:
            raise InputError(
                f"retention_basis must be one of {RETENTION_BASES}; got {self.retention_basis!r}"
            )
        for name, value in (("mass_g", self.mass_g), ("area_cm2", self.area_cm2)):
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise InputError(f"{name} must be a positive number; got {value!r}", value=value)
        leading_sign(self.cell)
        _check_capacity_source(self.capacity_source)

    @classmethod
    def of(cls, options: CyclingOptions | None, fields: dict[str, Any]) -> CyclingOptions:
        """``options`` with ``fields`` (keyword arguments of a caller) replacing its values."""
        unknown = set(fields) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise InputError(f"unknown cycling option(s) {sorted(unknown)}")
        return dataclasses.replace(options or cls(), **fields)

    def as_dict(self) -> dict[str, Any]:
        """The options as stored with a result (``rest_current_A`` named with its unit)."""
        out = dataclasses.asdict(self)
        out["rest_current_A"] = out.pop("rest_current")
        return out


def cycling_result(
    table: pd.DataFrame,
    warnings: list[str],
    options: CyclingOptions,
    *,
    source: str | None = None,
) -> AnalysisResult:
    """The :func:`analyze_cycling` result from a :func:`cycle_summary` table (ICE, retention, metrics).

    ``warnings`` are those collected while the table was built; more are appended.
    """
    mass_g, area_cm2, cell = options.mass_g, options.area_cm2, options.cell
    reference_cycle, retention_basis = options.reference_cycle, options.retention_basis
    retention_threshold_percent = options.retention_threshold_percent
    lead = leading_sign(cell)
    if table.empty:
        raise InputError("no cycle with current was found", file=source)
    basis_column = {
        "reversible": "charge_capacity_mAh" if lead < 0 else "discharge_capacity_mAh",
        "charge": "charge_capacity_mAh",
        "discharge": "discharge_capacity_mAh",
    }[retention_basis]
    complete = table[table["complete"]]
    if len(complete) < len(table):
        skipped = table.loc[~table["complete"], "cycle"].tolist()
        warnings.append(
            f"incomplete cycle(s) {skipped[:10]} are listed but not used for retention/fade"
        )
    cycles: list[dict[str, Any]] = []
    for row in table.itertuples(index=False):
        item: dict[str, Any] = {
            "cycle": int(row.cycle),
            "charge_capacity_mAh": float(row.charge_capacity_mAh),
            "discharge_capacity_mAh": float(row.discharge_capacity_mAh),
            "coulombic_efficiency_percent": _maybe(float(row.coulombic_efficiency_percent)),
            "charge_energy_mWh": float(row.charge_energy_mWh),
            "discharge_energy_mWh": float(row.discharge_energy_mWh),
            "average_charge_voltage_V": _maybe(float(row.average_charge_voltage_V)),
            "average_discharge_voltage_V": _maybe(float(row.average_discharge_voltage_V)),
            "max_charge_current_mA": float(row.max_charge_current_mA),
            "max_discharge_current_mA": float(row.max_discharge_current_mA),
            "complete": bool(row.complete),
        }
        if mass_g is not None:
            item["charge_capacity_mAh_per_g"] = item["charge_capacity_mAh"] / mass_g
            item["discharge_capacity_mAh_per_g"] = item["discharge_capacity_mAh"] / mass_g
            item["charge_current_density_mA_per_g"] = item["max_charge_current_mA"] / mass_g
            item["discharge_current_density_mA_per_g"] = item["max_discharge_current_mA"] / mass_g
        if area_cm2 is not None:
            item["charge_capacity_mAh_per_cm2"] = item["charge_capacity_mAh"] / area_cm2
            item["discharge_capacity_mAh_per_cm2"] = item["discharge_capacity_mAh"] / area_cm2
        cycles.append(item)
    first_ce = complete.loc[complete["cycle"] == 1, "coulombic_efficiency_percent"]
    ice = _first(first_ce)
    if ice is None:
        warnings.append("cycle 1 is incomplete or missing; no initial Coulombic efficiency")
    elif ice > 100.0:
        warnings.append(_first_ce_hint(ice, complete, cell))
    ref_rows = complete[complete["cycle"] == reference_cycle]
    retention = fade = cycle_life = None
    last_cycle = int(complete["cycle"].iloc[-1]) if not complete.empty else None
    retention_series: list[float] = []
    if ref_rows.empty:
        warnings.append(
            f"reference cycle {reference_cycle} is not a complete cycle; no retention or fade"
        )
    else:
        c_ref = float(ref_rows[basis_column].iloc[0])
        after = complete[complete["cycle"] >= reference_cycle]
        ratio = 100.0 * after[basis_column].to_numpy() / c_ref
        retention_series = ratio.tolist()
        retention = float(ratio[-1])
        if last_cycle is not None and last_cycle > reference_cycle:
            fade = (100.0 - retention) / (last_cycle - reference_cycle)
        below = np.flatnonzero(ratio < retention_threshold_percent)
        if below.size:
            cycle_life = int(after["cycle"].iloc[below[0]])
    convention = {
        "cell": cell,
        "charge": "positive current (cell voltage rises)"
        + ("; = delithiation of the anode" if cell == "anode-half" else ""),
        "discharge": "negative current (cell voltage falls)"
        + ("; = lithiation of the anode" if cell == "anode-half" else ""),
        "cycle": "lithiation then delithiation" if lead < 0 else "charge then discharge",
        "coulombic_efficiency": "delithiation / lithiation of the same cycle"
        if lead < 0
        else "discharge / charge of the same cycle",
        "retention_basis": f"{retention_basis} ({basis_column})",
        "capacity_source": table.attrs.get("capacity_source"),
        "cycle_numbering": "anodelab cycle_index (from current sign), not the vendor's cycle_count",
    }
    summary: dict[str, Any] = {
        "cycles": int(len(table)),
        "complete_cycles": int(len(complete)),
        "initial_coulombic_efficiency_percent": ice,
        "reference_cycle": int(reference_cycle),
        "last_cycle": last_cycle,
        "capacity_retention_percent": retention,
        "fade_rate_percent_per_cycle": fade,
        "retention_threshold_percent": float(retention_threshold_percent),
        "cycle_life_cycles": cycle_life,
        "convention": convention,
    }
    if mass_g is not None and not ref_rows.empty:
        summary["reference_capacity_mAh_per_g"] = float(ref_rows[basis_column].iloc[0]) / mass_g
    metrics = _metrics(cycles, summary, mass_g, area_cm2, basis_column)
    return AnalysisResult(
        kind="cycling",
        analyzer="anodelab.echem.cycling.analyze_cycling",
        version=__version__,
        options=options.as_dict(),
        warnings=warnings,
        results={"cycles": cycles, "summary": summary, "retention_percent": retention_series},
        metrics=metrics,
    )


def _metrics(
    cycles: list[dict[str, Any]],
    summary: dict[str, Any],
    mass_g: float | None,
    area_cm2: float | None,
    basis_column: str,
) -> list[Metric]:
    """Vocabulary metrics: per-cycle capacities and CE, ICE, retention, fade, cycle life."""
    out: list[Metric] = []
    ref = (summary["reference_cycle"], "cycle_count")
    for item in cycles:
        if not item["complete"]:
            continue
        cond: dict[str, Any] = {"cycle": (item["cycle"], "cycle_count")}
        if mass_g is not None:
            cond_dis = {
                **cond,
                "current_density": (item["discharge_current_density_mA_per_g"], "mA/g"),
            }
            cond_ch = {**cond, "current_density": (item["charge_current_density_mA_per_g"], "mA/g")}
            out.append(
                Metric(
                    "discharge_capacity", item["discharge_capacity_mAh_per_g"], "mA*h/g", cond_dis
                )
            )
            out.append(
                Metric("charge_capacity", item["charge_capacity_mAh_per_g"], "mA*h/g", cond_ch)
            )
        else:
            out.append(
                Metric("discharge_capacity_absolute", item["discharge_capacity_mAh"], "mA*h", cond)
            )
            out.append(
                Metric("charge_capacity_absolute", item["charge_capacity_mAh"], "mA*h", cond)
            )
        if area_cm2 is not None:
            out.append(
                Metric(
                    "areal_discharge_capacity",
                    item["discharge_capacity_mAh_per_cm2"],
                    "mA*h/cm**2",
                    cond,
                )
            )
            out.append(
                Metric(
                    "areal_charge_capacity", item["charge_capacity_mAh_per_cm2"], "mA*h/cm**2", cond
                )
            )
        if item["coulombic_efficiency_percent"] is not None:
            out.append(
                Metric(
                    "coulombic_efficiency", item["coulombic_efficiency_percent"], "percent", cond
                )
            )
        for half in ("charge", "discharge"):
            voltage = item[f"average_{half}_voltage_V"]
            if voltage is not None:
                out.append(Metric("average_voltage", voltage, "V", {**cond, "half_cycle": half}))
    if summary["initial_coulombic_efficiency_percent"] is not None:
        out.append(
            Metric(
                "initial_coulombic_efficiency",
                summary["initial_coulombic_efficiency_percent"],
                "percent",
                {"cycle": (1, "cycle_count")},
            )
        )
    last = summary["last_cycle"]
    note = f"basis {basis_column}; {summary['convention']['coulombic_efficiency']}"
    if summary["capacity_retention_percent"] is not None and last is not None:
        cond = {"cycle": (last, "cycle_count"), "reference_cycle": ref}
        out.append(
            Metric(
                "capacity_retention",
                summary["capacity_retention_percent"],
                "percent",
                cond,
                note=note,
            )
        )
        if summary["fade_rate_percent_per_cycle"] is not None:
            out.append(
                Metric(
                    "fade_rate", summary["fade_rate_percent_per_cycle"], "percent", cond, note=note
                )
            )
    if summary["cycle_life_cycles"] is not None:
        cond = {"reference_cycle": ref}
        out.append(
            Metric(
                "cycle_life",
                float(summary["cycle_life_cycles"]),
                "cycle_count",
                cond,
                note=f"retention < {summary['retention_threshold_percent']:g} %; {note}",
            )
        )
    return out
