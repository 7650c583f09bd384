"""Cold start (issue 20 items 2, 3, 5): a maximin first batch, one batch only, independent
seeds per batch, strict campaign files."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from anodelab.optimize.batch import propose
from anodelab.optimize.design import (
    batch_seed,
    maximin_subset,
    space_filling_design,
    unit_rows,
)
from anodelab.optimize.objectives import Assembled, Objective, ObjectiveSet, Outcome
from anodelab.optimize.settings import campaign_settings, check_campaign_file
from anodelab.optimize.space import space_from_dict
from anodelab.schema.errors import InputError

BOX = space_from_dict(
    {
        "parameters": {
            "pitch_wt_pct": {"bounds": [0, 50]},
            "carbonization_temperature_C": {"bounds": [600, 1000]},
            "dextrin_g": {"bounds": [1, 4]},
        }
    }
)
OBJ = ObjectiveSet((Objective(Outcome("initial_coulombic_efficiency", (), "percent"), "maximize"),))
KEY = OBJ.objectives[0].key


def _table_space(n_rows: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "pitch_wt_pct": rng.uniform(0, 50, n_rows).round(3),
            "carbonization_temperature_C": rng.uniform(600, 1000, n_rows).round(1),
            "dextrin_g": rng.uniform(1, 4, n_rows).round(3),
        }
    )
    spec = {"parameters": {n: {"bounds": b} for n, b in
                           [("pitch_wt_pct", [0, 50]), ("carbonization_temperature_C", [600, 1000]),
                            ("dextrin_g", [1, 4])]}, "candidates": rows}  # fmt: skip
    return space_from_dict(spec)


def _empty() -> Assembled:
    cols = ["pitch_wt_pct", "carbonization_temperature_C", "dextrin_g", "y", "sample", "source"]
    return Assembled({KEY: pd.DataFrame(columns=cols)})


def _min_pairwise(points: np.ndarray) -> float:
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    return float(d[np.triu_indices(len(points), 1)].min())


def test_batch_seeds_are_independent_streams():
    # the old rule seed + batch made seed s, batch b+1 equal seed s+1, batch b
    derived = {batch_seed(s, b) for s, b in itertools.product(range(50), range(30))}
    assert len(derived) == 50 * 30
    assert batch_seed(1, 1) != batch_seed(2, 0)
    assert batch_seed(3, 2) == batch_seed(3, 2)  # deterministic
    spawned = np.random.SeedSequence(3).spawn(3)[2].generate_state(1)[0]
    assert batch_seed(3, 2) == int(spawned) & 0x7FFFFFFF  # what SeedSequence.spawn gives


def test_cold_start_draws_of_different_seeds_do_not_overlap_more_than_chance():
    space = _table_space(200)
    draws = [set(space_filling_design(space, 5, batch_seed(s, 0))[0]["pitch_wt_pct"])
             for s in range(8)]  # fmt: skip
    shared = [len(a & b) for a, b in itertools.combinations(draws, 2)]
    # two independent draws of 5 of 200 rows share 0.125 rows on average; nearly identical
    # draws (the old seed + batch bug) shared 4 of 5
    assert max(shared) <= 2 and np.mean(shared) < 0.6, shared


def test_maximin_subset_spreads_further_than_random_rows():
    rng = np.random.default_rng(0)
    points = rng.random((300, 4))
    chosen = maximin_subset(points, 4, np.random.default_rng(1))
    random_minimum = np.median(
        [_min_pairwise(points[rng.choice(300, 4, replace=False)]) for _ in range(200)]
    )
    assert _min_pairwise(points[chosen]) > 1.5 * random_minimum


def test_design_keeps_away_from_measured_recipes():
    space = _table_space(200)
    measured = space.candidates.iloc[:40]
    table, how = space_filling_design(space, 4, 0, existing=measured)
    feats = space.features()
    old, new = unit_rows(measured, feats), unit_rows(table, feats)
    nearest_new = np.linalg.norm(new[:, None] - old[None], axis=-1).min(axis=1)
    others = unit_rows(space.candidates.iloc[40:], feats)
    nearest_any = np.linalg.norm(others[:, None] - old[None], axis=-1).min(axis=1)
    assert nearest_new.min() > np.median(nearest_any)
    assert "away from 40 measured or pending" in how
    assert not set(table["pitch_wt_pct"]) & set(measured["pitch_wt_pct"])


def test_continuous_cold_start_is_one_batch_then_the_model():
    first = propose(BOX, OBJ, _empty(), q=4, seed=batch_seed(0, 0), budget="fast")
    assert first.strategy == "design" and len(first.proposals) == 4
    assert "maximin design of 4 from 256 scrambled-Sobol points" in first.message
    rows = first.table().assign(y=[80.0, 82.0, 79.0, 85.0], sample=list("abcd"), source="lab")
    second = propose(BOX, OBJ, Assembled({KEY: rows}), q=4, seed=batch_seed(0, 1), budget="fast")
    assert second.strategy == "qLogNEI"  # four results are enough at batch 4 (not 5 by default)
    asked = propose(BOX, OBJ, Assembled({KEY: rows}), q=4, min_observations=8, budget="fast")
    assert asked.strategy == "design"  # a larger design when asked


def test_related_rows_in_the_kb_replace_the_design():
    rng = np.random.default_rng(0)
    prior = BOX.sample(12, seed=5).assign(
        y=rng.uniform(70, 90, 12), sample=[f"p{i}" for i in range(12)], source="paper"
    )
    result = propose(BOX, OBJ, Assembled({KEY: prior}), q=4, budget="fast")
    assert result.strategy == "qLogNEI"


@pytest.mark.parametrize(
    ("data", "wrong", "hint"),
    [
        ({"min_observation": 2}, "min_observation", "min_observations"),
        ({"acquisiton": "qLogEI"}, "acquisiton", "acquisition"),
        ({"parameters": {"x": {"bonds": [0, 1]}}}, "bonds", "bounds"),
        ({"objectives": [{"property": "ICE", "gaol": "max"}]}, "gaol", "goal"),
        ({"model": {"kernal": "rbf"}}, "kernal", "kernel"),
    ],
)
def test_unknown_keys_are_refused_with_the_closest_valid_key(data, wrong, hint):
    with pytest.raises(InputError) as err:
        check_campaign_file(data, file="c.yaml")
        campaign_settings(data, 1, file="c.yaml")
    text = str(err.value)
    assert f"unknown key {wrong!r}" in text and f"did you mean {hint!r}" in text
    assert "c.yaml" in text


@pytest.mark.parametrize("value", [0, -1, 2.5, "five", True])
def test_min_observations_must_be_a_positive_whole_number(value):
    with pytest.raises(InputError, match="min_observations"):
        campaign_settings({"min_observations": value}, 1)
