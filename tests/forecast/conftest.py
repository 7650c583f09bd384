"""A KB holding virtual cells' per-cycle capacities and CE, as the cycling analyzer stores them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from anodelab.optimize.space import space_from_dict
from anodelab.optimize.virtual_cells import VirtualCells
from anodelab.optimize.virtual_lab import SPACE_YAML

TARGET = 200


def write_virtual_folder(folder: Path, n_completed: int = 14, partial_cycles: int = 60) -> Path:
    """Literature-layout CSVs: ``n_completed`` cells to cycle TARGET and one at ``partial_cycles``."""
    folder.mkdir(parents=True, exist_ok=True)
    space = space_from_dict(yaml.safe_load(SPACE_YAML))
    names = [f"done-{i}" for i in range(n_completed)] + ["cell-A"]
    curves = VirtualCells(7).curves(space.sample(len(names), seed=70), cycles=TARGET, samples=names)
    curves = curves[(curves["sample"] != "cell-A") | (curves["cycle"] <= partial_cycles)]
    pd.DataFrame(
        [{"source": "vlab", "doi": "", "title": "virtual cells (synthetic)", "year": 2026,
          "authors": "anodelab", "journal": "", "kind": "dataset", "license": "CC0"}]
    ).to_csv(folder / "sources.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {"source": "vlab", "sample": names, "family": "", "kind": "electrode", "parents": "",
         "members": "", "description": "virtual cell", "locator": ""}
    ).to_csv(folder / "samples.csv", index=False)  # fmt: skip
    cond = "current_density=1 A/g; cycle=" + curves["cycle"].astype(str)
    cap = pd.DataFrame(
        {"source": "vlab", "sample": curves["sample"], "property": "discharge_capacity",
         "value": curves["discharge_capacity"].round(2), "unit": "mA h/g", "conditions": cond}
    )  # fmt: skip
    ce = cap.assign(
        property="coulombic_efficiency",
        value=curves["coulombic_efficiency"].round(4),
        unit="%",
        conditions="cycle=" + curves["cycle"].astype(str),
    )
    pd.concat([cap, ce]).to_csv(folder / "measurements.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def virtual_kb(tmp_path_factory: pytest.TempPathFactory):
    import anodelab

    root = Path(tmp_path_factory.mktemp("forecast"))
    folder = write_virtual_folder(root / "vlab")
    path = root / "kb.db"
    with anodelab.open(path, create=True) as kb:
        kb.import_folder(folder)
    return path
