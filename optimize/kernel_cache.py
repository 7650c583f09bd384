"""A BoTorch kernel-cache directory of this Python environment's own, built with its own tools
(see ``warmup``)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

__all__ = ["isolate_extension_cache", "environment_tools_first"]


def environment_tools_first() -> str:
    """Put this environment's ``bin`` folder (``sys.prefix/bin``) first on ``PATH``; return it.

    torch builds the extension by running ``ninja`` from ``PATH`` and records each build command's
    hash in ``.ninja_log``.  ``make`` (which calls ``.venv/bin/python`` without activating the venv)
    found the system ninja, an activated shell found the venv's — two different command lines, so
    every switch between them recompiled the kernel (70–115 s).  With the venv's ``bin`` first,
    every command of this environment uses the same ninja (the ``ninja`` wheel, a dependency).
    """
    tools = str(Path(sys.prefix) / "bin")
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    if Path(tools).is_dir() and (not parts or parts[0] != tools):
        os.environ["PATH"] = os.pathsep.join([tools, *(p for p in parts if p != tools)])
    return tools


def isolate_extension_cache() -> str:
    """Set ``TORCH_EXTENSIONS_DIR`` to this environment's own directory if unset, put the
    environment's tools first on ``PATH`` (:func:`environment_tools_first`); return the directory."""
    environment_tools_first()
    if "TORCH_EXTENSIONS_DIR" not in os.environ:
        tag = hashlib.sha256(sys.prefix.encode()).hexdigest()[:10]
        path = Path.home() / ".cache" / "torch_extensions" / f"anodelab-{tag}"
        os.environ["TORCH_EXTENSIONS_DIR"] = str(path)
    return os.environ["TORCH_EXTENSIONS_DIR"]
