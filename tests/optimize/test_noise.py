"""Noise and honesty of predictions (issue 18 item 4): replicates and stated uncertainties set
the likelihood's noise floor, few data are flagged, library warnings become one line of ours."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from anodelab.models.gp import GPSurrogate
from anodelab.models.noise import noise_floor, pooled_replicate_variance
from anodelab.models.numerics import quiet_numerics
from anodelab.optimize.batch import propose
from anodelab.optimize.objectives import Assembled, Objective, ObjectiveSet, Outcome
from anodelab.optimize.space import space_from_dict

SPACE = space_from_dict(
    {
        "parameters": {
            "pitch_wt_pct": {"bounds": [0, 50]},
            "carbonization_temperature_C": {"bounds": [600, 1000]},
        }
    }
)
FEATURES = SPACE.features()
OBJ = ObjectiveSet((Objective(Outcome("initial_coulombic_efficiency", (), "percent"), "maximize"),))
KEY = OBJ.objectives[0].key


def _rows(n_other: int = 4) -> pd.DataFrame:
    """Two cells of one recipe (84 % and 75 %) beside ``n_other`` single results."""
    rng = np.random.default_rng(0)
    other = pd.DataFrame(
        {
            "pitch_wt_pct": rng.uniform(0, 50, n_other),
            "carbonization_temperature_C": rng.uniform(600, 1000, n_other),
            "y": rng.uniform(76, 82, n_other),
        }
    )
    pair = pd.DataFrame(
        {"pitch_wt_pct": [20.0, 20.0], "carbonization_temperature_C": [800.0, 800.0],
         "y": [84.0, 75.0]}
    )  # fmt: skip
    rows = pd.concat([pair, other], ignore_index=True)
    return rows.assign(sample=[f"s{i}" for i in range(len(rows))], source="lab")


def test_pooled_variance_of_replicates():
    rows = _rows()
    pooled, dof = pooled_replicate_variance(rows, rows["y"].to_numpy(), FEATURES)
    assert dof == 1 and pooled == pytest.approx(((84 - 79.5) ** 2 * 2) / 1)  # 40.5
    assert pooled_replicate_variance(rows.iloc[1:], rows["y"].iloc[1:], FEATURES) == (None, 0)


@pytest.mark.parametrize("n_other", [0, 4])
def test_replicates_84_and_75_give_a_predicted_std_of_at_least_3_points(n_other):
    rows = _rows(n_other)
    model = GPSurrogate(FEATURES).fit(rows, rows["y"].to_numpy())
    assert model.noise_floor_ == pytest.approx(40.5)
    _, std = model.predict(rows.iloc[:1], return_std=True, observation_noise=True)
    assert std[0] >= 3.0
    # the unfloored fit explains the pair with far less noise (the reported 79 ± 0.06)
    noise = float(model.model_.likelihood.noise.detach())
    noise *= float(model.model_.outcome_transform.stdvs) ** 2
    assert noise >= 40.5 * 0.99


def test_stated_uncertainties_set_the_floor():
    rows = _rows().iloc[1:].assign(y_std=5.0)  # no replicate left; every value stated ± 5
    assert noise_floor(rows, rows["y"].to_numpy(), FEATURES, rows["y_std"].to_numpy()) == 25.0
    model = GPSurrogate(FEATURES).fit(rows, rows["y"].to_numpy())  # reads X["y_std"]
    assert model.noise_floor_ == 25.0
    _, std = model.predict(rows.iloc[:1], return_std=True, observation_noise=True)
    assert std[0] >= 5.0


def test_proposals_report_the_std_of_a_new_measurement_and_flag_few_data():
    result = propose(SPACE, OBJ, Assembled({KEY: _rows(1)}), q=1, min_observations=2,
                     budget="fast")  # fmt: skip
    assert "predictions are weak: 3 observation(s) for 2 parameter(s)" in result.message
    prediction = result.proposals[0].predictions[KEY]
    assert prediction["std"] >= prediction["std_of_mean"] and prediction["std"] >= 6.3
    assert result.proposals[0].reasons["caveats"]
    enough = propose(SPACE, OBJ, Assembled({KEY: _rows(6)}), q=1, budget="fast")
    assert "weak" not in enough.message


def test_library_warnings_are_caught_and_summarised():
    from linear_operator.utils.warnings import NumericalWarning

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        with quiet_numerics() as caught:
            warnings.warn(
                "A not p.d., added jitter of 1.0e-08 to the diagonal",
                NumericalWarning,
                stacklevel=1,
            )
            warnings.warn(
                "Sparse invariant checks are implicitly disabled", UserWarning, stacklevel=1
            )
        with quiet_numerics() as big:
            warnings.warn(
                "A not p.d., added jitter of 1.0e-04 to the diagonal",
                NumericalWarning,
                stacklevel=1,
            )
    assert not leaked
    assert caught.count == 2 and caught.notes == []  # tiny jitter and torch notices: nothing
    assert big.notes == [
        "the GP covariance needed a jitter of 1e-04 to be factorised "
        "(near-identical recipes with different results?)"
    ]
