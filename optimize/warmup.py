"""Compile BoTorch's fused qLogNEHVI C++ kernel once (``make setup``), not on a user's first command.

BoTorch 0.18 builds it with ``torch.utils.cpp_extension.load`` (``-O3 -march=native``, ~35 s,
needs g++ and ninja) into ``$TORCH_EXTENSIONS_DIR`` (default ``~/.cache/torch_extensions``);
later processes load the cached ``.so``.  Never copy that cache between machines (``-march=native``).

That default directory is shared by *every* Python environment with the same torch and Python
version, and a build from another environment (other include paths) invalidates ours: measured
here, alternating anodelab's venv with a BayBE/Ax venv rebuilt the kernel on every switch (49 s
inside one ``recommend``).  :func:`isolate_extension_cache` therefore gives this environment its
own directory (:mod:`anodelab.optimize.kernel_cache`) unless ``TORCH_EXTENSIONS_DIR`` is set.

    python -m anodelab.optimize.warmup
"""

from __future__ import annotations

import os
import sys

from anodelab.optimize.kernel_cache import isolate_extension_cache

__all__ = ["warm"]


def warm() -> bool:
    """Build/load the kernel; ``True`` when the fused kernel is available."""
    isolate_extension_cache()
    from botorch.acquisition.multi_objective import logei

    logei._try_load_fused_kernel()
    return logei._C is not None


if __name__ == "__main__":
    ok = warm()
    sys.stdout.write(
        "BoTorch fused qLogNEHVI kernel: "
        + ("ready" if ok else "unavailable (pure-Python fallback)")
        + f" [{os.environ['TORCH_EXTENSIONS_DIR']}]\n"
    )
    sys.exit(0)
