"""anodelab: a materials-design knowledge base and optimizer for Si/C Li-ion battery anodes.

>>> import anodelab
>>> kb = anodelab.init("anodelab.db")           # doctest: +SKIP
>>> kb.relation("pitch", "ICE").to_frame()      # doctest: +SKIP

The public names are loaded lazily, so ``import anodelab.schema`` stays light.
"""

from __future__ import annotations

from typing import Any

from anodelab.schema.version import __version__

__all__ = ["open", "init", "KnowledgeBase", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("open", "init", "KnowledgeBase"):
        import importlib

        # importlib, not an import statement: the package must not depend on its own API module
        # for static layer checks (echem, schema and kb sit below anodelab.api).
        return getattr(importlib.import_module("anodelab.api"), name)
    raise AttributeError(f"module 'anodelab' has no attribute {name!r}")
