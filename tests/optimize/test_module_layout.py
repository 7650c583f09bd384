"""optimize/ and models/ are split by job: no module over ~400 lines, and module names do not shadow functions."""

import importlib
import types
from pathlib import Path

import anodelab.optimize

ROOT = Path(__file__).resolve().parents[2]


def test_no_optimize_or_models_module_over_400_lines():
    too_long = {
        str(path.relative_to(ROOT)): n
        for folder in ("optimize", "models")
        for path in (ROOT / folder).glob("*.py")
        if (n := len(path.read_text().splitlines())) > 420
    }
    assert not too_long, too_long


def test_the_package_function_does_not_shadow_a_submodule():
    # `import anodelab.optimize.X as m` must give the module X for every submodule
    for path in (ROOT / "optimize").glob("*.py"):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"anodelab.optimize.{path.stem}")
        assert isinstance(module, types.ModuleType)
        attr = getattr(anodelab.optimize, path.stem, module)
        assert isinstance(attr, types.ModuleType), f"anodelab.optimize.{path.stem} is {attr!r}"
    assert callable(anodelab.optimize.propose)
