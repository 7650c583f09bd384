"""Library warnings from GP fits, caught and turned into one line of ours where they matter.

gpytorch / linear_operator warn ``NumericalWarning: A not p.d., added jitter of 1.0e-08 to the
diagonal`` when a covariance matrix needs a nudge to be factorised, torch warns ``Sparse invariant
checks are implicitly disabled…`` from inside BoTorch, and BoTorch warns when an optimiser stops
early.  None of that is a message for a battery researcher, yet some of it matters: a large
jitter means near-duplicate recipes with different results, a stopped fit means the
hyperparameters may be poor.  :func:`quiet_numerics` swallows them all and keeps one sentence per
kind that matters in ``notes``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["quiet_numerics", "CaughtNumerics", "JITTER_WORTH_SAYING"]

#: jitter (added to a standardised covariance diagonal) from which the note is worth showing
JITTER_WORTH_SAYING = 1e-6
_JITTER = re.compile(r"added jitter of ([0-9.eE+-]+)")


@dataclass
class CaughtNumerics:
    """What :func:`quiet_numerics` caught: ``notes`` (sentences of ours) and ``count``."""

    notes: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, message: str, category: type[Warning]) -> None:
        self.count += 1
        note = _note(message, category)
        if note and note not in self.notes:
            self.notes.append(note)


def _note(message: str, category: type[Warning]) -> str | None:
    jitter = _JITTER.search(message)
    if jitter:
        size = float(jitter.group(1))
        if size < JITTER_WORTH_SAYING:
            return None
        return (
            f"the GP covariance needed a jitter of {size:.0e} to be factorised "
            "(near-identical recipes with different results?)"
        )
    name = category.__name__
    if name == "OptimizationWarning" or "failed to converge" in message.lower():
        return "the hyperparameter fit stopped before converging; predictions may be rough"
    return None  # sparse-invariant notices, deprecations and the like say nothing to a user


@contextmanager
def quiet_numerics() -> Iterator[CaughtNumerics]:
    """Catch every warning raised inside; yield a :class:`CaughtNumerics` filled on exit."""
    caught = CaughtNumerics()
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        yield caught
    for record in records:
        caught.add(str(record.message), record.category)
