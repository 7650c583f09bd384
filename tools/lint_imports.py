"""Run import-linter on the real files through the `.typecheck/anodelab` shim (see `make lint`).

The editable install maps the root folders under `anodelab.*` with a meta-path finder that
import-linter cannot follow, and import-linter puts the working directory first on `sys.path`
(where `anodelab/` lacks the mapped folders).  So: drop the finder, work from `.typecheck/`.
"""

import os
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
os.chdir(root / ".typecheck")
sys.path.insert(0, str(root / ".typecheck"))
sys.meta_path[:] = [
    f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "").lower()
]

from importlinter.cli import lint_imports  # noqa: E402

sys.exit(lint_imports(config_filename=str(root / "pyproject.toml")))
