"""``anodelab serve``: browse a KB in Datasette — read-only, live, and stopped cleanly.

* The KB is checked read-only first (SQLite ``mode=ro``: no migration, no rewrite of the
  vocabulary or views); an old schema is refused with the command that migrates it.
* Datasette serves the file *live* (not ``-i``/immutable, which let counts alternate between
  stale and fresh after an import): its read connections are ``mode=ro`` and see every commit.
* Every request other than GET/HEAD/OPTIONS answers 403 (:mod:`anodelab.web.plugin`).
* SIGTERM and SIGINT stop Datasette and remove the temporary folder; on Linux the child also
  dies with its parent (``PR_SET_PDEATHSIG``), so even ``kill -9`` of ``anodelab serve`` leaves
  nothing on the port.
* Only localhost by default; ``host`` opens it to a network, ``password`` adds HTTP basic auth.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["WEB", "serve", "datasette_command", "datasette_app"]

WEB = Path(__file__).parent / "web"
"""The web UI: ``plugins/`` (loaded by Datasette), ``templates/``, ``static/`` (vendored Vega-Lite)."""
STATIC_MOUNT = "anodelab-static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_kb(path: Path) -> None:
    """Open the KB read-only once, to fail with one clear line before Datasette starts."""
    import anodelab

    anodelab.open(path, readonly=True).close()


def datasette_command(path: Path, metadata: Path, *, host: str, port: int) -> list[str]:
    """The Datasette command line that serves ``path`` live and read-only with anodelab's UI."""
    return [
        sys.executable, "-m", "datasette", "serve", str(path),
        "--host", host, "--port", str(port),
        "--metadata", str(metadata),
        "--plugins-dir", str(WEB / "plugins"),
        "--template-dir", str(WEB / "templates"),
        "--static", f"{STATIC_MOUNT}:{WEB / 'static'}",
        "--setting", "default_page_size", "50",
        "--setting", "allow_download", "off",
    ]  # fmt: skip


def datasette_app(path: Path) -> Any:
    """The same Datasette, in this process (for tests and notebooks): live, with the UI."""
    from datasette.app import Datasette

    from anodelab.datasette_config import metadata

    check_kb(path)
    return Datasette(
        [str(path)],
        metadata=metadata(path.stem),
        plugins_dir=str(WEB / "plugins"),
        template_dir=str(WEB / "templates"),
        static_mounts=[(STATIC_MOUNT, str(WEB / "static"))],
        settings={"default_page_size": 50, "allow_download": False},
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def _stop_on(signals: tuple[int, ...], stop: Callable[[], None]) -> Iterator[None]:
    previous = {s: signal.getsignal(s) for s in signals}
    for s in signals:
        signal.signal(s, lambda *_: stop())
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def serve(
    path: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    password: str | None = None,
    on_start: Callable[[str], None] | None = None,
) -> int:
    """Serve the KB at ``path`` until Datasette ends or SIGTERM/SIGINT arrives; return the exit
    status (0 after a signal).  ``on_start`` receives the URL once Datasette is launched."""
    from anodelab.datasette_config import write_metadata

    kb = Path(path)
    check_kb(kb)
    workdir = Path(tempfile.mkdtemp(prefix="anodelab-serve-"))
    env = dict(os.environ)
    env.pop("ANODELAB_SERVE_PASSWORD", None)
    if password:
        env["ANODELAB_SERVE_PASSWORD"] = password  # the environment, not argv: `ps` shows argv
    stopped = False
    child: subprocess.Popen[bytes] | None = None
    try:
        command = datasette_command(kb, write_metadata(kb, workdir), host=host, port=port)
        child = subprocess.Popen(command, env=env, cwd=workdir, preexec_fn=_die_with_parent)  # noqa: PLW1509

        def stop() -> None:
            nonlocal stopped
            stopped = True
            if child is not None and child.poll() is None:
                child.terminate()

        with _stop_on((signal.SIGTERM, signal.SIGINT), stop):
            if on_start is not None:
                shown = f"[{host}]" if ":" in host else host
                on_start(f"http://{shown}:{port}/")
            while True:
                try:
                    status = child.wait()
                    break
                except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C
                    stop()
        return 0 if stopped else status
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        shutil.rmtree(workdir, ignore_errors=True)
