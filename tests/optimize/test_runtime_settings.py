"""Thread count and kernel-cache settings used while fitting and proposing."""

import os

import torch

from anodelab.models.threads import default_threads, torch_threads
from anodelab.optimize.kernel_cache import isolate_extension_cache


def test_torch_threads_sets_one_thread_inside_and_restores_the_callers_setting(monkeypatch):
    monkeypatch.delenv("ANODELAB_TORCH_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch_threads():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        monkeypatch.setenv("ANODELAB_TORCH_THREADS", "3")
        assert default_threads() == 3
        monkeypatch.setenv("ANODELAB_TORCH_THREADS", "zero")
        assert default_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_kernel_cache_is_per_environment_unless_the_user_chose_one(monkeypatch, tmp_path):
    monkeypatch.delenv("TORCH_EXTENSIONS_DIR", raising=False)
    path = isolate_extension_cache()
    assert "anodelab-" in path and path == isolate_extension_cache()
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    assert isolate_extension_cache() == str(tmp_path)


def test_the_kernel_is_built_with_this_environments_ninja(monkeypatch):
    """`make` (venv not activated) and an activated shell must find the same ninja, else the two
    write different command hashes into .ninja_log and each switch recompiles the kernel."""
    import shutil
    import sys
    from pathlib import Path

    venv_bin = str(Path(sys.prefix) / "bin")
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", "/bin", venv_bin]))  # as under make
    isolate_extension_cache()
    parts = os.environ["PATH"].split(os.pathsep)
    assert parts[0] == venv_bin and parts.count(venv_bin) == 1 and "/usr/bin" in parts
    if (Path(venv_bin) / "ninja").exists():
        assert shutil.which("ninja") == str(Path(venv_bin) / "ninja")
    isolate_extension_cache()  # idempotent: PATH does not grow
    assert os.environ["PATH"].split(os.pathsep) == parts
