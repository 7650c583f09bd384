"""anodelab: a materials-design knowledge base and optimizer for Si/C Li-ion battery anodes.

>>> import anodelab
>>> kb = anodelab.init("anodelab.db")           # doctest: +SKIP
>>> kb.relation("pitch", "ICE").to_frame()      # doctest: +SKIP

The public names are loaded lazily, so ``import anodelab.schema`` stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["open", "init", "KnowledgeBase", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("open", "init", "KnowledgeBase"):
        from anodelab import api

        return getattr(api, name)
    raise AttributeError(f"module 'anodelab' has no attribute {name!r}")
