"""Torch intra-op thread count for the small dense linear algebra of GP fitting and acquisition.

Our matrices are tiny (tens to hundreds of rows).  For them a second OpenMP thread costs more in
synchronisation than it saves, and when the cores are shared (another process, a benchmark, a
notebook) OpenMP threads that spin-wait for a busy core multiply the wall time: measured on the
2-core benchmark machine under a load of ~4, one proposal (q = 4, 50 observations, 2
objectives) took 26 s with torch's default 2 threads and 1.1 s with 1 thread
(``docs/performance-optimization.md``).  Hence one thread by default while we fit or propose;
``ANODELAB_TORCH_THREADS=N`` overrides it, the caller's setting is restored afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["torch_threads", "default_threads"]


def default_threads() -> int:
    """``ANODELAB_TORCH_THREADS`` if set to a positive integer, else 1."""
    text = os.environ.get("ANODELAB_TORCH_THREADS", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else 1


@contextmanager
def torch_threads(n: int | None = None) -> Iterator[None]:
    """Run the block with ``n`` (default :func:`default_threads`) torch threads, then restore."""
    previous = torch.get_num_threads()
    wanted = default_threads() if n is None else n
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
