"""Compile BoTorch's fused qLogNEHVI C++ kernel once (``make setup``), not on a user's first command.

BoTorch 0.18 builds it with ``torch.utils.cpp_extension.load`` (``-O3 -march=native``, ~35 s,
needs g++ and ninja) into ``$TORCH_EXTENSIONS_DIR`` (default ``~/.cache/torch_extensions``);
later processes load the cached ``.so``.  Never copy that cache between machines (``-march=native``).

    python -m anodelab.optimize.warmup
"""

from __future__ import annotations

import sys


def warm() -> bool:
    """Build/load the kernel; ``True`` when the fused kernel is available."""
    from botorch.acquisition.multi_objective import logei

    logei._try_load_fused_kernel()
    return logei._C is not None


if __name__ == "__main__":
    ok = warm()
    sys.stdout.write(
        "BoTorch fused qLogNEHVI kernel: "
        + ("ready\n" if ok else "unavailable (pure-Python fallback)\n")
    )
    sys.exit(0)
