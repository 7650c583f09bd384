"""A BoTorch kernel-cache directory of this Python environment's own (see ``warmup``)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

__all__ = ["isolate_extension_cache"]


def isolate_extension_cache() -> str:
    """Set ``TORCH_EXTENSIONS_DIR`` to this environment's own directory if unset; return it."""
    if "TORCH_EXTENSIONS_DIR" not in os.environ:
        tag = hashlib.sha256(sys.prefix.encode()).hexdigest()[:10]
        path = Path.home() / ".cache" / "torch_extensions" / f"anodelab-{tag}"
        os.environ["TORCH_EXTENSIONS_DIR"] = str(path)
    return os.environ["TORCH_EXTENSIONS_DIR"]
