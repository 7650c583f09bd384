"""Benchmark problems: lookup tables with a known optimum, standard functions, the virtual lab.

Each problem gives an anodelab :class:`Space` (built directly: benchmark parameter names such as
``Ligand`` are not recipe parameters of our vocabulary), an objective key, and ``evaluate(df)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.optimize.objectives import Objective, ObjectiveSet, Outcome
from anodelab.optimize.space import Parameter, Space

DATA = Path(__file__).parent / "data"


@dataclass
class Problem:
    name: str
    space: Space
    objectives: ObjectiveSet
    evaluate: Callable[[pd.DataFrame], np.ndarray]
    optimum: float
    worst: float
    truth: Callable[[pd.DataFrame], np.ndarray] | None = None  # noise-free, for the metric
    related: Callable[[pd.DataFrame, str], np.ndarray] | None = None  # a second source
    reseed: Callable[[int], None] | None = None  # a noisy problem: the noise stream of one run

    def start(self, seed: int) -> None:
        """Begin a run: a noisy problem draws its noise from ``seed``, so that a seed's result
        does not depend on which runs came before it in the same process."""
        if self.reseed is not None:
            self.reseed(seed)

    def score(self, df: pd.DataFrame) -> np.ndarray:
        return (self.truth or self.evaluate)(df)


def _single(key: str = "y") -> ObjectiveSet:
    return ObjectiveSet((Objective(Outcome(key)),))


def lookup(name: str, file: str, target: str, goal: str = "max") -> Problem:
    """A lookup table; ``goal="min"`` is benchmarked as the maximisation of −target."""
    table = pd.read_csv(DATA / file)
    if goal == "min":
        table[target] = -table[target]
    params = []
    for col in table.columns:
        if col == target:
            continue
        if pd.api.types.is_numeric_dtype(table[col]):
            vals = tuple(sorted(float(v) for v in table[col].unique()))
            params.append(Parameter(col, "discrete", vals[0], vals[-1], vals))
        else:
            params.append(
                Parameter(col, "categorical", values=tuple(sorted(table[col].astype(str).unique())))
            )
    names = [p.name for p in params]
    candidates = table[names].copy()

    numeric = [n for n in names if pd.api.types.is_numeric_dtype(table[n])]
    text = [n for n in names if n not in numeric]
    values = table[numeric].to_numpy(float)
    scale = np.abs(values).max(0) + 1e-300
    labels = table[text].astype(str).agg("|".join, axis=1).to_numpy() if text else None

    def evaluate(df: pd.DataFrame) -> np.ndarray:
        """The table's value at each recipe: the row equal to it (numbers to 1e-6 of the range)."""
        out = []
        for _, r in df.iterrows():
            gap = (np.abs(values - r[numeric].to_numpy(float)) / scale).max(1) if numeric else 0
            ok = np.ones(len(table), bool) if not numeric else gap < 1e-6
            if text:
                ok &= labels == "|".join(str(r[n]) for n in text)
            rows = np.flatnonzero(ok)
            if not len(rows):
                raise KeyError(f"recipe not in the table: {r.to_dict()}")
            out.append(float(table[target].iloc[rows[0]]))
        return np.array(out)

    space = Space(
        tuple(params),
        (),
        candidates.astype({n: str for n in names if not pd.api.types.is_numeric_dtype(table[n])}),
    )
    return Problem(
        name, space, _single(), evaluate, float(table[target].max()), float(table[target].min())
    )


def branin() -> Problem:
    space = Space(
        (Parameter("x1", "continuous", -5.0, 10.0), Parameter("x2", "continuous", 0.0, 15.0))
    )

    def evaluate(df):
        x1, x2 = df["x1"].to_numpy(float), df["x2"].to_numpy(float)
        b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
        return -((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10)

    # "worst" = the mean of −f over the domain (−54.3, 201² grid), not its minimum (−308): with the
    # minimum, 95 % of the range is −15.8, which random search meets in 2–3 draws
    return Problem(
        "branin (max −f)", space, _single(), evaluate, -0.397887, _mean_value(space, evaluate)
    )


_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                      [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6() -> Problem:
    space = Space(tuple(Parameter(f"x{i}", "continuous", 0.0, 1.0) for i in range(6)))

    def evaluate(df):
        x = df[[f"x{i}" for i in range(6)]].to_numpy(float)
        inner = ((x[:, None, :] - _P[None]) ** 2 * _A[None]).sum(-1)
        return (_ALPHA[None] * np.exp(-inner)).sum(-1)

    return Problem("hartmann6", space, _single(), evaluate, 3.32237, 0.0)


def mixed() -> Problem:
    """Two continuous + one 3-level categorical: a shifted Branin per category (known optimum)."""
    space = Space((Parameter("x1", "continuous", -5.0, 10.0), Parameter("x2", "continuous", 0.0, 15.0),
                   Parameter("c", "categorical", values=("a", "b", "c"))))  # fmt: skip
    base = branin().evaluate
    offset = {"a": -20.0, "b": 0.0, "c": -10.0}

    def evaluate(df):
        return base(df) + np.array([offset[str(v)] for v in df["c"]])

    return Problem(
        "mixed branin+cat", space, _single(), evaluate, -0.397887, _mean_value(space, evaluate)
    )


def _mean_value(space: Space, evaluate) -> float:
    """Mean objective over a 201-per-axis grid of the continuous parameters × every category."""
    g = np.linspace(0, 1, 201)
    u = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    cats = [p for p in space.free if p.kind == "categorical"]
    tables = []
    for level in cats[0].values if cats else [None]:
        u_full = np.column_stack([u, np.zeros(len(u))]) if cats else u
        t = space.from_unit(u_full)
        if cats:
            t[cats[0].name] = level
        tables.append(t)
    return float(np.mean(evaluate(pd.concat(tables, ignore_index=True))))


def virtual_lab_grid():
    """The feasible recipes of a 21⁴ grid of the virtual lab's continuous parameters, one table per
    carbonization temperature and coating — where the benchmark takes the optimum (a lower bound
    within grid resolution) and the worst value.  Bounds, levels and the linear constraint come
    from the lab's space (``SPACE_YAML``)."""
    import yaml

    from anodelab.optimize.space import space_from_dict
    from anodelab.optimize.virtual_lab import SPACE_YAML

    space = space_from_dict(yaml.safe_load(SPACE_YAML))
    continuous = [p for p in space.free if p.kind == "continuous"]
    (temperature,) = [p for p in space.free if p.kind == "discrete"]
    (coating,) = [p for p in space.free if p.kind == "categorical"]
    g = np.linspace(0, 1, 21)
    grid = np.stack(np.meshgrid(*[g] * len(continuous), indexing="ij"), -1).reshape(
        -1, len(continuous)
    )
    df = pd.DataFrame(
        {p.name: p.lower + (p.upper - p.lower) * grid[:, j] for j, p in enumerate(continuous)}
    )
    df = df[np.all([c.slack(df) >= 0 for c in space.constraints], axis=0)]
    for T in temperature.values:
        for coat in coating.values:
            yield df.assign(**{temperature.name: float(T), coating.name: coat})


def virtual_lab(conditional: bool = False) -> Problem:
    """The virtual Si/C lab (``anodelab.optimize.virtual_lab``): capacity after 500 cycles.

    Mixed space with a linear constraint (pitch, dopamine, dextrin, ZIF-8 continuous;
    carbonization temperature 600–1000 °C in 50 °C steps; coating pitch/polydopamine/none;
    dextrin + ZIF-8 ≤ 4.5 g).  Observations carry the lab's noise (15 mA h g⁻¹); the level is
    checked on the noise-free truth.  Optimum and worst: a 21⁴ grid of the continuous
    parameters × every temperature and coating (feasible points only), so the optimum is a
    lower bound within grid resolution.  ``related``: 30 recipes of the same lab with its
    optimum shifted (``shift=1``: PDA optimum +1 wt%, temperature +10 °C) — or, "unrelated",
    the negated capacity (an inverted source, as BayBE's ``hartmann_tl_inv``).  The noise of a
    run is drawn from its seed (``Problem.start``).

    ``conditional=True``: the same lab, but the space says that the pitch fraction applies only to
    pitch coatings and the dopamine fraction only to polydopamine ones (``when:``) — knowledge a
    chemist has and the peers' spaces cannot express, so it is reported as its own row.
    """
    import yaml

    from anodelab.optimize.space import space_from_dict
    from anodelab.optimize.virtual_lab import SPACE_YAML, VirtualSiCLab

    spec = yaml.safe_load(SPACE_YAML)
    if conditional:  # each coating fraction applies only to its own coating
        spec["parameters"]["pitch_wt_pct"]["when"] = {"coating_precursor": "pitch"}
        spec["parameters"]["dopamine_wt_pct"]["when"] = {"coating_precursor": "polydopamine"}
    space = space_from_dict(spec)
    lab = {"noisy": VirtualSiCLab(noise=True, random_state=0)}
    exact = VirtualSiCLab(noise=False)

    def reseed(seed: int) -> None:
        lab["noisy"] = VirtualSiCLab(noise=True, random_state=seed)

    def evaluate(df):
        measured = lab["noisy"].measure(df)
        return measured.query("property == 'discharge_capacity'")["value"].to_numpy()

    def truth(df):
        return exact.truth(df)["discharge_capacity"].to_numpy()

    def related(df, kind):
        source = VirtualSiCLab(noise=True, random_state=1, shift=1.0)
        y = source.measure(df).query("property == 'discharge_capacity'")["value"].to_numpy()
        return y if kind == "related" else -y

    best, worst = -np.inf, np.inf
    for df in virtual_lab_grid():
        y = truth(df)
        best, worst = max(best, y.max()), min(worst, y.min())
    name = "virtual Si/C lab" + (" (conditional space)" if conditional else "")
    return Problem(
        name, space, _single(), evaluate, float(best), float(worst), truth, related, reseed
    )


PROBLEMS = {
    "direct_arylation": lambda: lookup("direct_arylation", "direct_arylation.csv", "yield"),
    "olymp_suzuki": lambda: lookup("olymp_suzuki", "olymp_suzuki.csv", "yield"),
    "olymp_hplc": lambda: lookup("olymp_hplc", "olymp_hplc.csv", "peak_area"),
    # Liang et al. 2021 (npj Comput. Mater. 7, 188): five experimental materials domains
    "liang_crossed_barrel": lambda: lookup(
        "liang_crossed_barrel", "liang_crossed_barrel.csv", "toughness"
    ),
    "liang_p3ht": lambda: lookup("liang_p3ht", "liang_p3ht.csv", "conductivity_S_per_cm"),
    "liang_agnp": lambda: lookup("liang_agnp", "liang_agnp.csv", "loss", goal="min"),
    "liang_perovskite": lambda: lookup(
        "liang_perovskite", "liang_perovskite.csv", "instability_index", goal="min"
    ),
    "liang_autoam": lambda: lookup("liang_autoam", "liang_autoam.csv", "score"),
    "branin": branin,
    "hartmann6": hartmann6,
    "mixed": mixed,
    "virtual_lab": virtual_lab,
    "virtual_lab_conditional": lambda: virtual_lab(conditional=True),
}
