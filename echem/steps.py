"""Step and cycle segmentation of cycler data from the sign of the current.

Every reader returns a frame with ``test_time_second``, ``voltage_volt`` and ``current_ampere``
(positive current = the cell voltage rises, i.e. *charging the cell*; for an anode half-cell vs Li
that is delithiation).  This module adds two columns computed by us, independent of how the
vendor numbers things (vendors disagree; see ``docs/analyzers-cycling.md``):

``step_index``
    1-based counter that increments whenever the current *state* changes (rest ``0``, positive
    ``+1``, negative ``-1``; ``|I| <= rest_current`` is rest) or the vendor's ``step_id`` changes.

``cycle_index``
    1-based cycle counter.  A cycle starts at the first row of an active half-cycle of the
    *leading* sign that follows an active half-cycle of the opposite sign.  The leading half-cycle
    depends on the cell:

    ============== ======================================= =====================
    cell           a cycle is                              leading current sign
    ============== ======================================= =====================
    anode-half     lithiation, then delithiation           negative (discharge)
    cathode-half   delithiation (charge), then lithiation  positive (charge)
    full           charge, then discharge                  positive (charge)
    ============== ======================================= =====================

    Rows before the first leading half-cycle belong to cycle 1 if they hold no active current of
    the other sign (an initial rest), otherwise to cycle ``0`` (a partial pre-cycle, reported but
    not analysed as a cycle).

The functions work on numpy arrays and are vectorised (no Python loop over rows), so that a 10 M
row file is segmented in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from anodelab.schema.errors import InputError

__all__ = [
    "CELL_TYPES",
    "CellType",
    "SignEvidence",
    "leading_sign",
    "current_state",
    "default_rest_current",
    "step_index_from_current",
    "cycle_index_from_steps",
    "detect_current_sign",
    "vote_on_steps",
    "describe_sign",
    "given_sign",
    "CURRENT_SIGNS",
    "REST_FRACTION",
    "REST_FLOOR_A",
    "add_step_and_cycle_index",
    "step_table",
]

CellType = Literal["anode-half", "cathode-half", "full"]
CELL_TYPES: tuple[str, ...] = ("anode-half", "cathode-half", "full")


def leading_sign(cell: str) -> int:
    """Sign of the current in the first half-cycle of a cycle: ``-1`` for anode half-cells."""
    if cell not in CELL_TYPES:
        raise InputError(f"cell must be one of {', '.join(CELL_TYPES)}; got {cell!r}", value=cell)
    return -1 if cell == "anode-half" else 1


#: Rest threshold = REST_FRACTION × the 99th percentile of |I| (at least REST_FLOOR_A).
REST_FRACTION = 2e-3
REST_FLOOR_A = 1e-12


def default_rest_current(current_ampere: np.ndarray) -> float:
    """Rest threshold: 0.2 % of the 99th percentile of ``|I|`` (robust to spikes), at least 1e-12 A.

    (The streaming summary gets the same number from a bounded store of the largest values,
    :func:`anodelab.echem.cycling_runs.rest_threshold_from_top`.)
    """
    magnitude = np.abs(current_ampere[np.isfinite(current_ampere)])
    if magnitude.size == 0:
        return REST_FLOOR_A
    scale = float(np.percentile(magnitude, 99)) if magnitude.size > 100 else float(magnitude.max())
    return max(REST_FRACTION * scale, REST_FLOOR_A)


def current_state(current_ampere: np.ndarray, rest_current: float | None = None) -> np.ndarray:
    """Per-row state: ``+1`` positive current, ``-1`` negative, ``0`` rest (``|I| <= rest_current``)."""
    current = np.asarray(current_ampere, dtype=float)
    tol = default_rest_current(current) if rest_current is None else float(rest_current)
    state = np.sign(current).astype(np.int8)
    state[~(np.abs(current) > tol)] = 0  # also NaN -> rest
    return state


def step_index_from_current(
    current_ampere: np.ndarray,
    vendor_step: np.ndarray | None = None,
    rest_current: float | None = None,
) -> np.ndarray:
    """1-based step counter: increments when the current state or the vendor's step id changes."""
    state = current_state(current_ampere, rest_current)
    change = np.empty(state.size, dtype=bool)
    if state.size == 0:
        return np.zeros(0, dtype=np.int64)
    change[0] = True
    change[1:] = state[1:] != state[:-1]
    if vendor_step is not None:
        vendor = np.asarray(vendor_step)
        change[1:] |= vendor[1:] != vendor[:-1]
    return np.cumsum(change, dtype=np.int64)


def cycle_index_from_steps(
    state: np.ndarray, step_index: np.ndarray, cell: str = "anode-half"
) -> np.ndarray:
    """Our cycle number per row (see module docstring) from per-row current state and step index."""
    lead = leading_sign(cell)
    n = state.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Active half-cycles: consecutive active rows of the same sign (rests in between do not split them
    # and do not start new ones; a CC step followed by a CV step of the same sign is one half-cycle).
    active = np.flatnonzero(state != 0)
    if active.size == 0:
        return np.ones(n, dtype=np.int64)
    active_sign = state[active]
    starts = np.empty(active.size, dtype=bool)
    starts[0] = True
    starts[1:] = active_sign[1:] != active_sign[:-1]
    half_start_rows = active[starts]
    half_signs = active_sign[starts]
    leading_rows = half_start_rows[half_signs == lead]
    events = np.zeros(n, dtype=np.int64)
    events[leading_rows] = 1
    cycle = np.cumsum(events)
    if half_signs[0] == lead:
        # nothing active before the first leading half-cycle: the initial rest joins cycle 1
        cycle[cycle == 0] = 1
    # otherwise rows before the first leading half-cycle stay in the partial pre-cycle 0
    return cycle


@dataclass(frozen=True)
class SignEvidence:
    """Outcome of :func:`detect_current_sign`: ``sign`` multiplies the file's current."""

    sign: int
    agreeing_steps: int
    disagreeing_steps: int
    method: str

    @property
    def conclusive(self) -> bool:
        return self.agreeing_steps > 0 and self.agreeing_steps >= 3 * self.disagreeing_steps


def detect_current_sign(
    time_second: np.ndarray,
    voltage_volt: np.ndarray,
    current_ampere: np.ndarray,
    rest_current: float | None = None,
) -> SignEvidence:
    """Is positive current in this file the direction in which the voltage rises?

    For each active step (constant current sign) the voltage change from the step's first to its
    last row is taken; steps whose voltage moves in the direction of the current's sign vote
    ``+1``, the others ``-1`` (a step whose voltage changes by less than 1 mV, e.g. a CV step,
    does not vote).  ``sign = -1`` means the file uses the opposite convention and the current
    must be negated.
    """
    del time_second  # the order of rows is the time order; kept for a stable signature
    state = current_state(current_ampere, rest_current)
    step = step_index_from_current(current_ampere, rest_current=rest_current)
    if step.size == 0:
        return SignEvidence(1, 0, 0, "voltage-trend")
    boundaries = np.flatnonzero(np.diff(step)) + 1
    first = np.concatenate(([0], boundaries))
    last = np.concatenate((boundaries - 1, [step.size - 1]))
    v = np.asarray(voltage_volt, dtype=float)
    return vote_on_steps(state[first], v[last] - v[first])


def vote_on_steps(step_state: np.ndarray, dv: np.ndarray) -> SignEvidence:
    """The voltage-trend vote of :func:`detect_current_sign` from each step's state and ΔV (V)."""
    voting = (step_state != 0) & (np.abs(dv) > 1e-3) & np.isfinite(dv)
    agree = int(np.sum(np.sign(dv[voting]) == step_state[voting]))
    disagree = int(np.sum(np.sign(dv[voting]) != step_state[voting]))
    if disagree > agree:
        return SignEvidence(-1, disagree, agree, "voltage-trend")
    return SignEvidence(1, agree, disagree, "voltage-trend")


CURRENT_SIGNS = ("auto", "positive-charge", "negative-charge")


def given_sign(current_sign: str | int | None) -> tuple[int, str] | None:
    """The sign a caller states (``"positive-charge"``/``1`` or ``"negative-charge"``/``-1``) and
    how it is recorded, or ``None`` for ``"auto"``/``None`` (detect it); anything else is refused."""
    if current_sign in (1, "positive-charge"):
        return 1, "given: positive current = charge (kept)"
    if current_sign in (-1, "negative-charge"):
        return -1, "given: positive current = discharge (negated)"
    if current_sign not in (None, "auto"):
        raise InputError(
            f"current_sign must be one of {CURRENT_SIGNS} or ±1; got {current_sign!r}",
            value=current_sign,
        )
    return None


def describe_sign(evidence: SignEvidence, warnings: list[str]) -> str:
    """How the sign was decided, in words; an unconvincing vote adds a warning."""
    votes = evidence.agreeing_steps + evidence.disagreeing_steps
    if votes == 0:
        warnings.append(
            "the current sign convention could not be checked (no step changes the voltage); kept as in the file"
        )
        return "assumed: positive current = charge (no evidence)"
    if not evidence.conclusive:
        warnings.append(
            f"current sign convention ambiguous ({evidence.agreeing_steps} steps for, "
            f"{evidence.disagreeing_steps} against); pass current_sign to be explicit"
        )
    if evidence.sign < 0:
        return (
            f"detected from voltage trend ({evidence.agreeing_steps}/{votes} steps): "
            "file used positive = discharge, negated"
        )
    return (
        f"detected from voltage trend ({evidence.agreeing_steps}/{votes} steps): positive = charge"
    )


def add_step_and_cycle_index(
    frame: pd.DataFrame,
    *,
    cell: str = "anode-half",
    rest_current: float | None = None,
    use_vendor_steps: bool = True,
) -> pd.DataFrame:
    """Add (or overwrite) ``step_index`` and ``cycle_index`` in ``frame`` (in place) and return it.

    Uses ``current_ampere`` (canonical sign: positive raises the voltage) and, when present and
    ``use_vendor_steps``, the vendor's ``step_id`` so that two consecutive vendor steps with the
    same current sign stay separate steps.
    """
    if "current_ampere" not in frame.columns:
        raise InputError(
            "no current_ampere column; cannot segment steps", file=frame.attrs.get("source_file")
        )
    current = frame["current_ampere"].to_numpy(dtype=float)
    vendor = (
        frame["step_id"].to_numpy() if use_vendor_steps and "step_id" in frame.columns else None
    )
    state = current_state(current, rest_current)
    step = step_index_from_current(current, vendor, rest_current)
    frame["step_index"] = step
    frame["cycle_index"] = cycle_index_from_steps(state, step, cell)
    frame.attrs.setdefault("conventions", {})
    frame.attrs["conventions"] = {
        **frame.attrs["conventions"],
        "cycle_index": f"computed by anodelab from current sign; cell={cell}; "
        f"a cycle starts with the {'negative (lithiation)' if leading_sign(cell) < 0 else 'positive (charge)'} half-cycle",
        "rest_current_ampere": float(
            default_rest_current(current) if rest_current is None else rest_current
        ),
    }
    return frame


def step_table(frame: pd.DataFrame, rest_current: float | None = None) -> pd.DataFrame:
    """One row per step: ``step_index, cycle_index, step_type, start/end time, voltages, mean current``.

    ``step_type`` is ``rest``, ``charge`` (positive current) or ``discharge`` (negative current) in
    the cell's (cycler's) sense.  This is the public segmentation used by GITT and rate analyses.
    """
    if "step_index" not in frame.columns:
        raise InputError("frame has no step_index; call add_step_and_cycle_index first")
    current = frame["current_ampere"].to_numpy(dtype=float)
    state = current_state(current, rest_current)
    step = frame["step_index"].to_numpy()
    boundaries = np.flatnonzero(np.diff(step)) + 1
    first = np.concatenate(([0], boundaries))
    last = np.concatenate((boundaries - 1, [step.size - 1]))
    counts = last - first + 1
    time = frame["test_time_second"].to_numpy(dtype=float)
    volt = frame["voltage_volt"].to_numpy(dtype=float)
    sums = np.add.reduceat(np.nan_to_num(current), first)
    # the state of a step is its majority state; rows of a step share the state by construction
    step_state = state[first]
    kind = np.where(step_state > 0, "charge", np.where(step_state < 0, "discharge", "rest"))
    cycle = (
        frame["cycle_index"].to_numpy()[first]
        if "cycle_index" in frame.columns
        else np.zeros(first.size, int)
    )
    return pd.DataFrame(
        {
            "step_index": step[first],
            "cycle_index": cycle,
            "step_type": kind,
            "first_row": first,
            "last_row": last,
            "start_time_second": time[first],
            "end_time_second": time[last],
            "duration_second": time[last] - time[first],
            "start_voltage_volt": volt[first],
            "end_voltage_volt": volt[last],
            "mean_current_ampere": sums / counts,
            "rows": counts,
        }
    )
