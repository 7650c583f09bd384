"""Browser tests of the web UI (``make test-browser``); ``make test`` stays free of browsers.

They run only when ``ANODELAB_BROWSER_TESTS=1`` (the Makefile target sets it) and need Playwright
(the ``browser`` extra) and Debian's ``chromium-headless-shell`` (``.ci/run`` installs it).
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

collect_ignore_glob = [] if os.environ.get("ANODELAB_BROWSER_TESTS") == "1" else ["test_*.py"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium (``$ANODELAB_CHROMIUM`` overrides)."""
    path = (
        os.environ.get("ANODELAB_CHROMIUM")
        or shutil.which("chromium-headless-shell")
        or "/usr/bin/chromium-headless-shell"
    )
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: apt-get install -y chromium-headless-shell")
    return path


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(__file__).parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder
