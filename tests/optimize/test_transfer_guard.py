"""The transfer guard keeps a related prior source and drops an inverted one (budget ≈ 5 s)."""

import numpy as np
import pandas as pd
import pytest

from anodelab.optimize.fitting import fit_outcome_models
from anodelab.optimize.objectives import Assembled
from anodelab.optimize.space import space_from_dict

SPACE = space_from_dict(
    {
        "parameters": {
            "pitch_wt_pct": {"type": "continuous", "bounds": [0, 50]},
            "carbonization_temperature_C": {"type": "continuous", "bounds": [600, 1000]},
        }
    }
)


def _truth(table: pd.DataFrame) -> np.ndarray:
    a = table["pitch_wt_pct"].to_numpy() / 50
    b = (table["carbonization_temperature_C"].to_numpy() - 600) / 400
    return np.sin(6 * a) + b**2


def _training(sign: float, seed: int) -> Assembled:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "pitch_wt_pct": rng.uniform(0, 50, 28),
            "carbonization_temperature_C": rng.uniform(600, 1000, 28),
            "source": ["paper"] * 20 + ["lab"] * 8,
        }
    )
    prior = (rows["source"] == "paper").to_numpy()
    y = np.where(prior, sign * _truth(rows) + 0.3, _truth(rows))
    rows["y"] = y + 0.05 * rng.standard_normal(len(rows))
    rows["sample"] = [f"s{i}" for i in range(len(rows))]
    return Assembled(tables={"ICE": rows})


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("sign", "expected"), [(1.0, True), (-1.0, False)])
def test_guard_keeps_a_related_source_and_drops_an_inverted_one(sign, expected, seed):
    models = fit_outcome_models(
        SPACE, _training(sign, seed), transfer=True, target_source="lab", seed=0
    )
    decision = models["ICE"].transfer_decision_
    assert decision["used"] is expected, decision["why"]
    assert decision["n_target"] == 8
    # the dropped source leaves a single-task model trained on the lab's 8 rows only
    assert (models["ICE"].n_train_ == 28) is expected
    assert models["ICE"].multi_task_ is expected


def test_guard_does_not_judge_with_too_few_target_rows():
    training = _training(-1.0, 0)
    table = training.tables["ICE"]
    training.tables["ICE"] = table.iloc[:22]  # 20 paper rows + 2 lab rows
    models = fit_outcome_models(SPACE, training, transfer=True, target_source="lab", seed=0)
    decision = models["ICE"].transfer_decision_
    assert decision["used"] is True and decision["n_target"] == 2
    assert "pooled" in decision["why"] and "unchecked" in decision["why"]
    # one or two target points cannot teach a task covariance: every source in one task
    assert not models["ICE"].multi_task_ and models["ICE"].n_train_ == 22


def test_proposal_reasons_record_the_transfer_decision():
    from anodelab.optimize.batch import propose
    from anodelab.optimize.objectives import objectives_from_dict

    objectives = objectives_from_dict({"objectives": [{"property": "ICE", "goal": "maximize"}]})
    key = objectives.objectives[0].key
    training = Assembled(tables={key: _training(-1.0, 0).tables["ICE"]})
    result = propose(
        SPACE, objectives, training, q=1, transfer=True, target_source="lab", budget="fast"
    )
    transfer = result.proposals[0].reasons["transfer"]
    assert transfer["used"] is False
    assert (
        transfer["outcomes"][key]["loo_lpd_target_only"]
        > transfer["outcomes"][key]["loo_lpd_with_prior"] - 0.1
    )
    assert "without" in transfer["why"]
    cold = propose(SPACE, objectives, training, q=1, budget="fast")
    assert "transfer" not in cold.proposals[0].reasons
