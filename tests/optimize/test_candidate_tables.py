"""Large candidate tables: the lazy greedy search, and how a campaign keeps its table.  Small
tables only (the lazy search is forced on with a low threshold); the figures for 10³–10⁶ rows are
in docs/performance.md ("Large candidate tables")."""

from __future__ import annotations

import importlib
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch

from anodelab.optimize.batch import propose
from anodelab.optimize.objectives import assemble, objectives_from_dict
from anodelab.optimize.space import space_from_dict
from anodelab.optimize.virtual_lab import VirtualSiCLab

CANDIDATES = importlib.import_module("anodelab.optimize.candidates")
CAPACITY = {"property": "discharge_capacity", "at": {"cycle": 500, "current_density": "1 A/g"},
            "goal": "maximize"}  # fmt: skip
ICE = {"property": "initial_coulombic_efficiency", "goal": "maximize"}


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct recipes of a pitch × temperature × dopamine × coating grid."""
    rng = np.random.default_rng(seed)
    pitch, temp = np.arange(0, 51, 1.0), np.arange(600, 1001, 50.0)
    dopamine, coat = np.arange(2, 26, 1.0), np.array(["pitch", "polydopamine", "none"])
    flat = rng.choice(len(pitch) * len(temp) * len(dopamine) * len(coat), n, replace=False)
    flat, c = np.divmod(flat, len(coat))
    flat, d = np.divmod(flat, len(dopamine))
    p, t = np.divmod(flat, len(temp))
    return pd.DataFrame({"pitch_wt_pct": pitch[p], "carbonization_temperature_C": temp[t],
                         "dopamine_wt_pct": dopamine[d], "coating_precursor": coat[c]})  # fmt: skip


def _problem(objectives: list[dict], n_rows: int = 500, n_train: int = 16, seed: int = 0, **extra):
    space = space_from_dict({"candidates": _table(n_rows)})
    objs = objectives_from_dict({"objectives": objectives, **extra})
    rng = np.random.default_rng(seed)
    recipes = space.candidates.iloc[rng.choice(n_rows, n_train, replace=False)].copy()
    recipes["sample"] = [f"s{i}" for i in range(n_train)]
    recipes["source"] = "lab"
    measured = VirtualSiCLab(random_state=seed).measure(recipes, list(recipes["sample"]))
    training = assemble(recipes, measured.drop(columns=["source"]), objs.outcomes(),
                        space.features())  # fmt: skip
    return space, objs, training


def _propose(monkeypatch, above: int, space, objs, training, **kwargs):
    monkeypatch.setattr(CANDIDATES, "LAZY_ABOVE", above)
    result = propose(space, objs, training, q=4, **kwargs)
    params = [p.parameters for p in result.proposals]
    return params, [p.acquisition_value for p in result.proposals], result.message


@pytest.mark.parametrize(
    ("objectives", "extra", "seed"),
    [
        ([CAPACITY], {}, 0),
        ([CAPACITY], {"outcome_constraints": ["ICE >= 80 %"]}, 1),
        ([CAPACITY, ICE], {}, 2),
    ],
)
def test_lazy_search_proposes_what_the_exhaustive_search_proposes(
    monkeypatch, objectives, extra, seed
):
    """qLogNEI, qLogNEI with an outcome constraint and qLogNEHVI, with pending recipes: the lazy
    search (forced on) chooses the exhaustive search's recipes with the same values; and it is
    deterministic for a seed."""
    space, objs, training = _problem(objectives, seed=seed, **extra)
    pending = space.candidates.iloc[[5, 17]]
    args = (space, objs, training)
    exhaustive = _propose(monkeypatch, 10**9, *args, pending=pending, seed=seed)
    lazy = _propose(monkeypatch, 0, *args, pending=pending, seed=seed)
    assert lazy[0] == exhaustive[0]
    np.testing.assert_allclose(lazy[1], exhaustive[1], rtol=1e-9)
    assert "searched lazily" not in exhaustive[2]
    used, instead = re.search(r"lazily: ([\d,]+) acquisition evaluations instead of ([\d,]+)",
                              lazy[2]).groups()  # fmt: skip
    # each of the ~480 untested rows once per slot; with so few data the bounds prune little
    assert int(used.replace(",", "")) <= int(instead.replace(",", "")) > 4 * 470
    if seed == 0:
        assert _propose(monkeypatch, 0, *args, pending=pending, seed=seed) == lazy


def test_lazy_search_matches_botorch_when_every_row_has_the_same_bound():
    """With no usable bound (∞) every row is scored: BoTorch's choices and values, ties to the
    first row; with bounds that rank rows the same choice from a few chunks."""
    from botorch.acquisition.analytic import PosteriorMean
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf_discrete

    from anodelab.optimize.discrete import lazy_greedy_search

    torch.manual_seed(0)
    X = torch.rand(8, 2, dtype=torch.float64)
    model = SingleTaskGP(X, (X**2).sum(-1, keepdim=True)).eval()
    choices = torch.rand(300, 2, dtype=torch.float64)
    choices[7] = choices[3]  # a tie: the first one wins
    acqf = PosteriorMean(model)
    acqf.X_pending = None
    acqf.set_X_pending = lambda X=None: None
    theirs = optimize_acqf_discrete(acqf, q=1, choices=choices)
    ours = lazy_greedy_search(acqf, 1, choices, torch.full((300,), math.inf), chunk=16)
    assert torch.equal(ours[0], theirs[0]) and torch.allclose(ours[1], theirs[1])
    counted = CANDIDATES.CountingAcquisition(acqf)
    exact = acqf(choices.unsqueeze(-2)).detach()
    assert torch.equal(lazy_greedy_search(counted, 1, choices, exact, chunk=16)[0], theirs[0])
    assert counted.rows < 300


def test_bounds_hold_against_monte_carlo():
    """E[(Y-P)^+] of a correlated pair, and the hypervolume a point adds beyond another, are at
    most the closed-form bounds (checked on 400 000 samples)."""
    from anodelab.optimize.discrete import log_pending_bound

    rng = np.random.default_rng(0)
    n = 400_000
    mean, std = np.array([1.0, 2.0]), np.array([0.8, 0.5])  # the row, two objectives
    p_mean, p_std, rho = np.array([1.3, 1.5]), np.array([0.6, 0.7]), np.array([0.7, -0.2])
    z1, z2 = rng.standard_normal((2, n, 2))
    y = mean + std * z1
    p = p_mean + p_std * (rho * z1 + np.sqrt(1 - rho**2) * z2)
    d_mean = torch.tensor(np.array([mean - p_mean]))
    d_std = torch.tensor(np.array([np.sqrt(std**2 + p_std**2 - 2 * rho * std * p_std)]))
    args = (torch.tensor(mean[None]), torch.tensor(std[None]), d_mean, d_std)
    one = log_pending_bound(*(a[:, :1] for a in args)).exp().item()
    assert one == pytest.approx(np.maximum(y[:, 0] - p[:, 0], 0).mean(), rel=0.01)
    ref = np.array([-1.0, 0.0])
    box = np.prod(np.maximum(y - ref, 0), 1)
    shared = np.prod(np.maximum(np.minimum(y, p) - ref, 0), 1)
    added = (box - shared).mean()  # hypervolume y adds to a front of p alone
    bound = log_pending_bound(*args, ref_point=ref.tolist()).exp().item()
    assert added <= bound <= 3 * added


def test_closed_form_scores_match_botorch_analytic_ei_and_ehvi():
    """The bound's log expected (hypervolume) improvement is BoTorch's analytic LogEI / EHVI."""
    from botorch.acquisition.analytic import LogExpectedImprovement
    from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement
    from botorch.models import ModelListGP, SingleTaskGP
    from botorch.utils.multi_objective.box_decompositions.non_dominated import (
        FastNondominatedPartitioning,
    )

    from anodelab.optimize.discrete import log_expected_improvement, posterior_moments

    torch.manual_seed(0)
    X = torch.rand(12, 2, dtype=torch.float64)
    Y = torch.stack([torch.sin(6 * X[:, 0]), torch.cos(5 * X[:, 1]) * X[:, 0]], -1)
    models = [SingleTaskGP(X, Y[:, [k]]) for k in range(2)]
    for m in models:
        m.eval()
    test = torch.rand(50, 2, dtype=torch.float64)
    mean, std = posterior_moments(ModelListGP(*models), test, chunk=16)
    ours = log_expected_improvement(mean[:, :1], std[:, :1], np.array([[0.4]]))
    with torch.no_grad():
        theirs = LogExpectedImprovement(models[0], best_f=0.4)(test.unsqueeze(-2))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)
    ref, front = torch.tensor([-1.5, -1.5]), torch.tensor([[0.5, 0.2], [0.1, 0.6]])
    partitioning = FastNondominatedPartitioning(ref_point=ref, Y=front.double())
    ehvi = ExpectedHypervolumeImprovement(ModelListGP(*models), ref.tolist(), partitioning)
    with torch.no_grad():
        theirs = ehvi(test.unsqueeze(-2))
    ours = log_expected_improvement(mean, std, front.numpy(), ref.tolist()).exp()
    # BoTorch's linear-space form loses the far tail (1e-16) to cancellation; ours is in logs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-12)


# -- campaigns -----------------------------------------------------------------------------------
def _campaign_file(tmp_path, rows: int = 300) -> tuple:
    _table(rows).to_csv(tmp_path / "can.csv", index=False)
    path = tmp_path / "space.yaml"
    path.write_text("candidates: can.csv\nmin_observations: 3\n"
                    "objectives:\n  - {property: ICE, goal: maximize}\n")  # fmt: skip
    return path


def test_campaign_stores_its_candidate_table_once_and_only_recommend_reads_it(
    tmp_path, monkeypatch
):
    from anodelab.campaign import (
        campaign_summary,
        new_campaign,
        proposal_table,
        recommend,
        record,
        set_status,
    )
    from anodelab.kb import campaigns as store
    from anodelab.kb.db import open_db

    path = _campaign_file(tmp_path)
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, path, name="a")
    new_campaign(db, path, name="b")  # the same table again: stored once
    assert db.execute("SELECT COUNT(*), SUM(n_rows) FROM candidate_tables").fetchone() == (1, 300)
    space_json = db.execute("SELECT space_json FROM campaigns WHERE name = 'a'").fetchone()[0]
    assert len(space_json) < 2000 and json.loads(space_json)["candidates"]["rows"] == 300

    reads = []
    original = store.candidate_table
    monkeypatch.setattr(store, "candidate_table", lambda *a: reads.append(1) or original(*a))
    first, _ = recommend(db, "a", 3, budget="fast")
    assert len(reads) == 1
    for r, ice in zip(first, (84.0, 86.5, 85.0), strict=True):
        record(db, r["id"], [f"ICE={ice}%"])
    set_status(db, recommend(db, "a", 1, budget="fast")[0][0]["id"], "abandoned")
    campaign_summary(db, "a")
    proposal_table(db, "a")
    assert len(reads) == 2  # the two recommends; record, status, show and table read no rows
    second, result = recommend(db, "a", 2, budget="fast")
    assert result.strategy == "qLogNEI"
    table = original(db, json.loads(space_json)["candidates"])
    offered = {tuple(r["parameters"].values()) for r in second}
    assert offered <= set(table.itertuples(index=False, name=None))
    taken = {tuple(r["parameters"].values()) for r in first}
    assert not offered & taken


def test_campaign_made_with_the_table_inline_still_recommends(tmp_path):
    """KBs written before the candidate_tables table keep the rows inside space_json."""
    from anodelab.campaign import new_campaign, recommend
    from anodelab.kb.db import open_db
    from anodelab.optimize.space import load_space

    path = _campaign_file(tmp_path, rows=50)
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, path, name="old")
    inline = json.dumps(load_space(path).to_dict())
    db.execute("UPDATE campaigns SET space_json = ? WHERE name = 'old'", [inline])
    db.execute("DELETE FROM candidate_tables")
    records, _ = recommend(db, "old", 2, budget="fast")
    rows = set(_table(50).itertuples(index=False, name=None))
    assert all(tuple(r["parameters"].values()) in rows for r in records)


def test_cli_loop_on_a_candidate_table_through_the_lazy_search(tmp_path, monkeypatch):
    """campaign new → recommend --json → record → recommend --json from the shell, on a table
    searched lazily (threshold forced low): proposals are untested rows of the table, the message
    says the table was searched lazily, and recorded recipes are not proposed again."""
    from typer.testing import CliRunner

    from anodelab.cli import app

    table = _table(400, seed=3)
    table.to_csv(tmp_path / "can.csv", index=False)
    (tmp_path / "space.yaml").write_text(
        "name: lazy\ncandidates: can.csv\nobjectives:\n"
        "  - {property: discharge_capacity, at: {cycle: 500, current_density: 1 A/g}}\n"
    )
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "kb.db"))
    monkeypatch.setattr(CANDIDATES, "LAZY_ABOVE", 50)
    runner = CliRunner()
    assert runner.invoke(app, ["campaign", "new", str(tmp_path / "space.yaml")]).exit_code == 0
    rows = {tuple(r) for r in table.astype(str).itertuples(index=False)}
    lab, recorded = VirtualSiCLab(noise=False), set()
    for batch in range(3):
        out = runner.invoke(app, ["recommend", "lazy", "--batch", "4", "--fast", "--json"])
        assert out.exit_code == 0, out.output
        records = json.loads(out.stdout)
        for r in records:
            key = tuple(str(r["parameters"][c]) for c in table.columns)
            assert key in rows and key not in recorded  # a row of the table, not tested before
            recorded.add(key)
            value = lab.truth(pd.DataFrame([r["parameters"]]))["discharge_capacity"].iloc[0]
            done = runner.invoke(app, ["record", str(r["id"]), f"discharge_capacity={value}mAh/g"])
            assert done.exit_code == 0, done.output
        if batch == 2:  # model-based by now (8 results), and the table was searched lazily
            assert records[0]["strategy"] == "qLogNEI"
    shown = runner.invoke(app, ["recommend", "lazy", "--batch", "1", "--fast"])
    assert "searched lazily" in shown.stdout
