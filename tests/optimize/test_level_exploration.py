"""Converged campaigns explore the other levels of a categorical parameter (optimize/levels.py)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from botorch.models import SingleTaskGP

from anodelab.models.features import Feature
from anodelab.optimize.batch import propose
from anodelab.optimize.levels import (
    STAGNATION_NOISE_FRACTION,
    box_probe,
    hypervolume_improvement,
    improvement_floor,
    noise_std,
    optimistic_prediction,
    rank_levels,
    stale_slots,
)
from anodelab.optimize.objectives import Assembled, Objective, ObjectiveSet, Outcome
from anodelab.optimize.space import Parameter, Space

FEATURES = [
    Feature("x", "numeric", 0.0, 10.0),
    Feature("coat", "categorical", categories=("a", "b", "c")),
]


def test_stale_slots_compare_expected_improvement_with_a_tenth_of_the_noise():
    floor = improvement_floor([20.0])  # one objective, σ = 20: EI < 2.0 is stale
    logs = np.array([math.log(50.0), math.log(2.5), math.log(1.9), -60.0, float("nan")])
    assert STAGNATION_NOISE_FRACTION == 0.1
    assert floor == 2.0
    assert stale_slots(logs, floor) == [2, 3, 4]


def test_hypervolume_improvement_by_hand():
    """Front (1, 3), (2, 2), (3, 1) above (0, 0) covers 6; the union with a new point's box."""
    front = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    points = np.array([[2.5, 2.5], [0.5, 0.5], [4.0, 4.0], [3.0, 1.0]])
    # (2.5, 2.5): +0.5 over x ∈ [1, 2], +0.75 over [2, 2.5]; dominated: 0; (4, 4): 16 − 6;
    # a front point itself adds nothing
    assert hypervolume_improvement(points, front, [0.0, 0.0]) == pytest.approx([1.25, 0, 10, 0])


def test_improvement_floor_with_two_objectives_is_the_best_front_recipe_nudged_by_a_tenth_sigma():
    front = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    # (1, 3) + (0.1, 0.1): 0.1 × 1 (above y = 3 over x ∈ [0, 1]) + 0.1 × 1.1 (x ∈ [1, 1.1]
    # above y = 2) = 0.21, as for (3, 1) by symmetry; (2, 2) + 0.1: 0.1 + 0.11 = 0.21
    assert improvement_floor([1.0, 1.0], front, [0.0, 0.0]) == pytest.approx(0.21)
    # wider noise in the second objective: (1, 3) + (0.1, 1) adds 1 + 0.1·(4 − 2) = 1.2
    assert improvement_floor([1.0, 10.0], front, [0.0, 0.0]) == pytest.approx(1.2)
    with pytest.raises(ValueError, match="reference point"):
        improvement_floor([1.0, 1.0], front)


def test_rank_levels_orders_other_levels_by_optimistic_prediction_and_skips_the_incumbent():
    def mean_std(rows):
        # level b: low mean, very uncertain; level c: higher mean, certain
        mean = np.where(rows[:, 1] == 1, 1.0, 3.0)
        std = np.where(rows[:, 1] == 1, 2.0, 0.1)
        return mean, std

    probe = box_probe(FEATURES, 16, seed=0)
    ranked = rank_levels(
        lambda rows: optimistic_prediction(*mean_std(rows)), FEATURES, np.array([5.0, 0.0]), probe
    )
    assert [(c.column, c.code) for c in ranked] == [(1, 1), (1, 2)]  # 1 + 2·2 = 5 > 3 + 2·0.1
    assert ranked[0].optimistic_value == 5.0 and math.isclose(ranked[1].optimistic_value, 3.2)


def test_box_probe_stays_in_the_box_with_valid_level_codes():
    probe = box_probe(FEATURES, 64, seed=3)
    assert probe.shape == (64, 2)
    assert probe[:, 0].min() >= 0 and probe[:, 0].max() <= 10
    assert set(np.unique(probe[:, 1])) <= {0.0, 1.0, 2.0}


def test_noise_std_recovers_the_measurement_noise_in_outcome_units():
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.random((120, 1)), dtype=torch.float64)
    y = 500 + 100 * torch.sin(6 * X) + 7.0 * torch.tensor(rng.standard_normal((120, 1)))
    from botorch.fit import fit_gpytorch_mll
    from gpytorch.mlls import ExactMarginalLogLikelihood

    model = SingleTaskGP(X, y)  # standardizes the outcome: the noise is fitted in σ_y units
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    assert 5.0 < noise_std(model) < 9.5


SPACE = Space(
    (
        Parameter("x", "continuous", 0.0, 1.0),
        Parameter("coat", "categorical", values=("a", "b")),
    )
)
OBJECTIVES = ObjectiveSet((Objective(Outcome("y")),))


def _truth(x: np.ndarray, coat: np.ndarray) -> np.ndarray:
    """Level a: a broad hill of height 1 at x = 0.5; level b: a narrow peak of 2 at x = 0.8."""
    a = 1.0 - (x - 0.5) ** 2
    b = 0.4 + 1.6 * np.exp(-(((x - 0.8) / 0.08) ** 2))
    return np.where(coat == "a", a, b)


def _table(x, coat, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x, coat = np.asarray(x, float), np.asarray(coat)
    y = _truth(x, coat) + 0.02 * rng.standard_normal(len(x))
    n = len(x)
    return pd.DataFrame({"x": x, "coat": coat, "y": y, "sample": [f"s{i}" for i in range(n)],
                         "source": "lab"})  # fmt: skip


def _converged() -> tuple[np.ndarray, list[str]]:
    """Level a measured densely (nothing left to gain), level b twice, far from its peak."""
    return np.r_[np.linspace(0, 1, 41), [0.1, 0.3]], ["a"] * 41 + ["b"] * 2


def _notes_exploring_level_b(result) -> list[dict]:
    """The exploration reasons of a batch that must explore coat = b (at least one slot)."""
    explored = [p for p in result.proposals if "exploration" in p.reasons]
    assert explored, result.message
    assert "converged under the model: exploring coat=b" in result.message
    for p in explored:
        assert p.parameters["coat"] == "b"
        assert p.reasons["exploration"]["parameter"] == "coat"
        assert p.reasons["exploration"]["level"] == "b"
    return [p.reasons["exploration"] for p in explored]


def test_a_converged_campaign_spends_its_slots_on_the_other_level():
    x, coat = _converged()
    result = propose(SPACE, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    for note in _notes_exploring_level_b(result):
        assert math.isclose(note["best_measured_at_level"], max(_table(x, coat)["y"][-2:]))
        assert "measurement noise" in note["why"]
    assert SPACE.violations(result.table()) == []
    # reproducible with the seed
    again = propose(SPACE, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    pd.testing.assert_frame_equal(result.table(), again.table())
    # and it can be switched off: pure expected improvement
    pure = propose(
        SPACE, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0, explore_levels=False
    )
    assert not any("exploration" in p.reasons for p in pure.proposals)
    assert "converged" not in pure.message


def test_a_campaign_with_improvement_left_does_not_explore():
    x = [0.05, 0.2, 0.9, 0.95, 0.1, 0.3]
    coat = ["a", "a", "a", "a", "b", "b"]
    result = propose(SPACE, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    assert not any("exploration" in p.reasons for p in result.proposals)
    assert "converged" not in result.message


def test_a_candidate_table_explores_among_the_untested_rows_of_the_other_level(monkeypatch):
    grid = np.round(np.linspace(0, 1, 81), 4)
    candidates = pd.DataFrame({"x": np.r_[grid, grid], "coat": ["a"] * 81 + ["b"] * 81})
    space = Space(SPACE.parameters, (), candidates)
    x = np.r_[grid[::2], [0.1, 0.3]]  # every other level-a row tested, two level-b rows
    coat = ["a"] * len(grid[::2]) + ["b"] * 2
    result = propose(space, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    explored = [p for p in result.proposals if "exploration" in p.reasons]
    assert explored, result.message
    tested = set(zip(x.round(4), coat, strict=True))
    for p in explored:
        assert p.parameters["coat"] == "b"
        assert (round(p.parameters["x"], 4), "b") not in tested
        assert p.parameters["x"] in set(grid)
    # the lazy search of large tables (forced on) explores the same way
    import importlib

    monkeypatch.setattr(importlib.import_module("anodelab.optimize.candidates"), "LAZY_ABOVE", 0)
    lazy = propose(space, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    assert [p.parameters for p in lazy.proposals] == [p.parameters for p in result.proposals]
    assert [p.reasons.get("exploration") for p in lazy.proposals] == [
        p.reasons.get("exploration") for p in result.proposals
    ]


def test_recommend_prints_why_a_proposal_explores(tmp_path, monkeypatch):
    """The human-readable ``recommend`` output names the explored level and what EI is over."""
    from typer.testing import CliRunner

    import anodelab.api as api_module
    from anodelab.cli import app
    from anodelab.optimize.records import ProposalSet

    x, coat = _converged()
    result = propose(SPACE, OBJECTIVES, Assembled({"y": _table(x, coat)}), q=2, seed=0)
    records = [
        {"id": i + 1, "sample": f"p{i + 1}", "parameters": p.parameters,
         "predictions": p.predictions, "reasons": p.reasons}
        for i, p in enumerate(result.proposals)
    ]  # fmt: skip
    from anodelab.kb.db import open_db

    open_db(tmp_path / "kb.db")  # an empty KB: the CLI opens it before recommending

    class _Stub:  # the CLI asks the KB for the campaign, then for its recommendation
        def recommend_with_result(self, *a, **k):
            return records, result

    monkeypatch.setattr(api_module.KnowledgeBase, "campaign", lambda self, name: _Stub())
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "kb.db"))
    out = CliRunner().invoke(app, ["recommend", "any", "--batch", "2"])
    assert out.exit_code == 0, out.output
    assert isinstance(result, ProposalSet)
    text = " ".join(out.output.split())  # rich wraps long lines
    assert "converged under the model: exploring coat=b" in text
    assert "exploration: expected improvement of this slot fell below 0.1" in text
    assert "expected improvement (over the best measurement at this level)" in text


def test_with_transfer_the_level_best_comes_from_the_campaigns_own_rows():
    x, coat = _converged()
    own = _table(x, coat)
    prior = _table([0.02, 0.05, 0.5], ["b", "b", "a"], seed=1).assign(
        y=[0.6, 0.62, 0.9], source="literature", sample=["l0", "l1", "l2"]
    )
    table = pd.concat([own, prior], ignore_index=True)
    result = propose(SPACE, OBJECTIVES, Assembled({"y": table}), q=2, seed=0, transfer=True,
                     target_source="lab")  # fmt: skip
    explored = [p for p in result.proposals if "exploration" in p.reasons]
    assert explored, result.message
    for p in explored:
        assert math.isclose(p.reasons["exploration"]["best_measured_at_level"], own["y"][-2:].max())


def test_a_single_level_categorical_has_nothing_to_explore():
    space = Space(
        (Parameter("x", "continuous", 0.0, 1.0), Parameter("coat", "categorical", values=("a",)))
    )
    x = np.linspace(0, 1, 41)
    result = propose(space, OBJECTIVES, Assembled({"y": _table(x, ["a"] * 41)}), q=2, seed=0)
    assert len(result.proposals) == 2
    assert not any("exploration" in p.reasons for p in result.proposals)


TWO_OBJECTIVES = ObjectiveSet((Objective(Outcome("y")), Objective(Outcome("z"))))


def _two_tables(x, coat, seed=0) -> dict[str, pd.DataFrame]:
    """y as in ``_truth``; z = y / 2 + x / 10 (level a's best z sits right of its best y, a small
    front) — level b's narrow peak at x = 0.8 dominates all of level a in both objectives."""
    y = _table(x, coat, seed)
    z = _table(x, coat, seed + 1)
    z["y"] = 0.5 * z["y"] + 0.1 * np.asarray(x, float)  # level a's best z sits right of its best y
    return {"y": y, "z": z}


def test_two_objectives_a_converged_campaign_explores_the_level_off_the_pareto_front():
    x, coat = _converged()
    tables = _two_tables(x, coat)
    result = propose(SPACE, TWO_OBJECTIVES, Assembled(tables), q=2, seed=0)
    assert result.strategy == "qLogNEHVI"
    for note in _notes_exploring_level_b(result):
        assert "expected hypervolume improvement" in note["why"]
        assert "Pareto-front recipe" in note["why"]
        best = note["best_measured_at_level"]  # one best per objective
        assert math.isclose(best["y"], tables["y"]["y"].iloc[-2:].max())
        assert math.isclose(best["z"], tables["z"]["y"].iloc[-2:].max())
    again = propose(SPACE, TWO_OBJECTIVES, Assembled(tables), q=2, seed=0)
    pd.testing.assert_frame_equal(result.table(), again.table())
    pure = propose(SPACE, TWO_OBJECTIVES, Assembled(tables), q=2, seed=0, explore_levels=False)
    assert not any("exploration" in p.reasons for p in pure.proposals)


def test_two_objectives_with_improvement_left_do_not_explore():
    x = [0.05, 0.2, 0.9, 0.95, 0.1, 0.3]
    coat = ["a", "a", "a", "a", "b", "b"]
    result = propose(SPACE, TWO_OBJECTIVES, Assembled(_two_tables(x, coat)), q=2, seed=0)
    assert not any("exploration" in p.reasons for p in result.proposals)
    assert "converged" not in result.message


def test_two_objectives_every_level_on_the_front_leaves_nothing_to_explore():
    """Level a best in y, level b best in z: both are on the front, neither is "other"."""
    x = np.r_[np.linspace(0, 1, 21), np.linspace(0, 1, 21)]
    coat = ["a"] * 21 + ["b"] * 21
    y, z = _table(x, coat), _table(x, coat, 1)
    y["y"] = np.where(np.asarray(coat) == "a", 1.0, 0.5) - 0.3 * (x - 0.5) ** 2
    z["y"] = np.where(np.asarray(coat) == "a", 0.5, 1.0) - 0.3 * (x - 0.5) ** 2
    result = propose(SPACE, TWO_OBJECTIVES, Assembled({"y": y, "z": z}), q=2, seed=0)
    assert not any("exploration" in p.reasons for p in result.proposals)


def test_two_objective_slots_are_scored_against_the_front_without_the_batch():
    """Each slot's expected hypervolume improvement is that of a fresh qLogNEHVI with only the
    earlier slots pending (BoTorch caches pending points inside the acquisition, so reusing the
    optimiser's one scored the first slot against a front that already held it: ~1e-7)."""
    from botorch.models import ModelListGP

    from anodelab.models.features import encode
    from anodelab.optimize.acquisition import build_acquisition
    from anodelab.optimize.batch import reference_point as _reference_point
    from anodelab.optimize.fitting import fit_outcome_models

    x = [0.05, 0.2, 0.9, 0.95, 0.1, 0.3]
    coat = ["a", "a", "a", "a", "b", "b"]
    data = Assembled(_two_tables(x, coat))
    result = propose(SPACE, TWO_OBJECTIVES, data, q=2, seed=0, explore_levels=False)
    models = fit_outcome_models(SPACE, data, seed=0)
    model = ModelListGP(models["y"].model_, models["z"].model_)
    features = SPACE.features()
    X = torch.tensor(encode(result.table(), features), dtype=torch.float64)
    base = torch.unique(
        torch.tensor(encode(data.tables["y"], features), dtype=torch.float64), dim=0
    )
    for i, p in enumerate(result.proposals):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            acqf = build_acquisition(
                "qLogNEHVI", model=model, objectives=TWO_OBJECTIVES, keys=["y", "z"],
                X_baseline=base, X_pending=X[:i] if i else None,
                ref_point=_reference_point(TWO_OBJECTIVES, data), seed=0,
            )  # fmt: skip
            with torch.no_grad():
                expected = float(acqf(X[i : i + 1].unsqueeze(0)))
        # equal up to the Monte-Carlo pruning of the baseline (it draws from torch's global RNG)
        assert p.reasons["log_acquisition"] == pytest.approx(expected, abs=0.05)
    # the first slot, a recipe the model expects to beat the front, is worth a real improvement
    assert result.proposals[0].reasons["expected_hypervolume_improvement"] > 1e-3
