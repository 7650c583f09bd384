"""EIS equivalent-circuit fitting with automatic initial guesses (no user guess needed).

Fit (complex non-linear least squares, modulus weighting; Orazem & Tribollet, *Electrochemical
Impedance Spectroscopy*, 2nd ed., 2017, ch. 19):

.. math::

    \\min_{\\theta} \\sum_i \\frac{|Z_i - \\hat Z(\\omega_i;\\theta)|^2}{|Z_i|^2}

solved with :func:`scipy.optimize.least_squares` (trust-region reflective, bounds) on
log-parameters (CPE exponents linear, bounded to [0.3, 1]) with the analytic Jacobian of
:mod:`anodelab.echem.circuits`.  Initial guesses come from the spectrum itself (see
:func:`initial_guess`), then a small deterministic multistart keeps the best fit.  Standard errors:
:math:`\\mathrm{cov} = s^2 (J^T J)^{-1}`, :math:`s^2 = \\mathrm{RSS}/(2N - k)`.

Multistart: the guesses of :func:`initial_guesses` (different arc layouts), stopping when two
starts agree.  Arcs are numbered from high to low frequency (R1 = SEI/film, R2 = charge transfer):
a swapped assignment fits almost equally well, so among optima within 10 % of the best cost the
best arc-ordered one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import find_peaks

from anodelab.echem.circuits import Circuit, Element, Node, parse_circuit
from anodelab.echem.warburg import check_spectrum, lowfreq_tail, warburg_coefficient
from anodelab.schema.errors import InputError

__all__ = [
    "PAPER_CIRCUITS",
    "EISFit",
    "initial_guess",
    "initial_guesses",
    "fit_circuit",
    "arc_blocks",
]

#: The papers' circuits: one arc (fresh cells) and two arcs (SEI + charge transfer) with Warburg.
PAPER_CIRCUITS = {
    "one_arc": "R0-p(R1,CPE1)-W1",
    "two_arc": "R0-p(R1,CPE1)-p(R2-W1,CPE2)",
}


@dataclass
class EISFit:
    """A fitted circuit: values and standard errors in the order of ``circuit.param_names``."""

    circuit: Circuit
    values: np.ndarray
    stderr: np.ndarray
    rss: float
    n_points: int
    z_fit: np.ndarray
    initial: np.ndarray
    starts: int
    warnings: list[str] = field(default_factory=list)
    at_bound: np.ndarray | None = None  # per parameter: ended within ~1e-5 of a bound

    @property
    def degenerate(self) -> bool:
        """A parameter sits at its bound, so the fit is effectively a simpler circuit.

        A CPE exponent α = 1 (its upper bound) is an ideal capacitor, a physical value, not this.
        """
        return self.n_stuck > 0

    @property
    def n_stuck(self) -> int:
        """Parameters at a bound other than a CPE exponent at α = 1."""
        if self.at_bound is None:
            return 0
        ideal = self.circuit.is_exponent & (self.values >= self.circuit.upper * (1 - 1e-6))
        return int(np.count_nonzero(self.at_bound & ~ideal))

    @property
    def aic(self) -> float:
        m, k = 2 * self.n_points, len(self.values)
        return float(m * np.log(max(self.rss, 1e-300) / m) + 2 * k)

    def parameters(self) -> dict[str, dict[str, float | str | None]]:
        """``{NAME: {"value", "stderr", "unit"}}`` as in the ``--json`` schema."""
        return {
            name: {
                "value": float(v),
                "stderr": float(s) if np.isfinite(s) else None,
                "unit": unit,
            }
            for name, v, s, unit in zip(
                self.circuit.param_names,
                self.values,
                self.stderr,
                self.circuit.param_units,
                strict=True,
            )
        }


# ----------------------------------------------------------------------------- initial guess
def _first_resistor(node: Node | Element) -> Element | None:
    if isinstance(node, Element):
        return node if node.kind == "R" else None
    if node.op == "s":
        for child in node.children:
            found = _first_resistor(child)
            if found:
                return found
    return None


def arc_blocks(circuit: Circuit) -> list[tuple[Element, Element]]:
    """(resistor, capacitor-like) pairs of the parallel blocks, in series (= frequency) order."""
    blocks: list[tuple[Element, Element]] = []

    def walk(node: Node | Element) -> None:
        if isinstance(node, Element):
            return
        if node.op == "p":
            res = next((r for r in map(_first_resistor, node.children) if r), None)
            cap = next(
                (c for c in node.children if isinstance(c, Element) and c.kind in ("C", "CPE")),
                None,
            )
            if res and cap:
                blocks.append((res, cap))
                return
        for child in node.children:
            walk(child)

    walk(circuit.tree)
    return blocks


@dataclass
class _Features:
    """What the spectrum says before any fit (sorted high → low frequency)."""

    omega: np.ndarray
    rs: float
    sigma: float
    r_total: float
    apex_omega: np.ndarray  # arcs found, high → low frequency
    apex_r: np.ndarray  # their resistances from the apex height, R ≈ 2.53·(−Z″_max) for α = 0.85
    z_low_imag: float


def _features(circuit: Circuit, f: np.ndarray, z: np.ndarray) -> _Features:
    omega = 2 * np.pi * f
    mz = -z.imag
    crossing = np.flatnonzero(mz[:-1] <= 0)
    rs = (
        float(z.real[crossing[-1] + 1])
        if crossing.size and crossing[-1] < f.size // 3
        else float(z.real[0])
    )
    rs = max(rs, 1e-3 * float(np.abs(z).max()))
    sigma = max(
        warburg_coefficient(f, z)["warburg_coefficient_ohm_per_sqrt_s"], 1e-3 * np.abs(z).max()
    )
    has_diffusion = any(el.kind in ("W", "Wo", "Ws") for el in circuit.elements)
    r_total = float(z.real[-1]) - rs - (sigma / np.sqrt(omega[-1]) if has_diffusion else 0.0)
    if r_total <= 0:
        r_total = float(np.ptp(z.real)) * 0.5 + 1e-3
    arc_mz = mz - (sigma / np.sqrt(omega) if has_diffusion else 0.0)
    tail_start = int(lowfreq_tail(f, z)[0]) if has_diffusion else f.size
    search = np.convolve(arc_mz[: max(tail_start, 3)], np.ones(3) / 3, mode="same")
    peaks, _ = find_peaks(search, prominence=0.03 * max(float(search.max()), 1e-12))
    if not peaks.size:
        peaks = np.array([int(np.argmax(search))])
    heights = np.clip(search[peaks], 1e-12, None)
    return _Features(omega, rs, float(sigma), r_total, omega[peaks], 2.53 * heights, float(mz[-1]))


def _arc_layouts(feat: _Features, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Candidate (resistances, apex ω) for k arcs, most plausible first.

    1. the k tallest apexes, resistances in proportion to their heights, scaled to R_total;
    2. each found apex assigned to each block in turn, with the rest of R_total in the other
       blocks placed two decades away (an arc hidden under a bigger one or under the tail);
    3. equal split with arcs a decade either side of the tallest apex.
    """
    if k == 0:
        return [(np.zeros(0), np.zeros(0))]
    layouts = []
    order = np.argsort(feat.apex_r)[::-1]
    if feat.apex_omega.size >= k:
        top = np.sort(order[:k])
        frac = feat.apex_r[top] / feat.apex_r[top].sum()
        layouts.append((frac * feat.r_total, feat.apex_omega[top]))
    tallest = int(order[0])
    r_peak = min(feat.apex_r[tallest], 0.95 * feat.r_total)
    for pos in range(k):
        r = np.full(k, max(feat.r_total - r_peak, 0.05 * feat.r_total) / max(k - 1, 1))
        r[pos] = r_peak
        w = feat.apex_omega[tallest] * 100.0 ** (pos - np.arange(k))
        layouts.append((r, w))
    spread = np.logspace(1, -1, k) if k > 1 else np.ones(1)
    layouts.append((np.full(k, feat.r_total / k), feat.apex_omega[tallest] * spread))
    return layouts


def _guess(circuit: Circuit, feat: _Features, r_arcs: np.ndarray, w_arcs: np.ndarray) -> np.ndarray:
    p = np.zeros(circuit.n_params)
    blocks = arc_blocks(circuit)
    for (res, cap), r, w in zip(blocks, r_arcs, w_arcs, strict=True):
        r = max(float(r), 1e-3)
        p[res.first_param] = r
        if cap.kind == "C":
            p[cap.first_param] = 1.0 / (r * w)
        else:
            p[cap.first_param] = 1.0 / (r * w**0.85)
            p[cap.first_param + 1] = 0.85
    assigned = {el.name for pair in blocks for el in pair}
    first_series_r = True
    omega = feat.omega
    for el in circuit.elements:
        if el.name in assigned:
            continue
        i = el.first_param
        if el.kind == "R":
            p[i] = feat.rs if first_series_r else 0.1 * feat.rs
            first_series_r = False
        elif el.kind == "W":
            p[i] = feat.sigma
        elif el.kind in ("Wo", "Ws"):
            tau = 1.0 / omega[-1]
            p[i + 1] = tau
            p[i] = feat.sigma * np.sqrt(2 * tau)
        elif el.kind == "L":
            p[i] = 1e-7
        elif el.kind == "C":
            p[i] = 1.0 / (omega[-1] * max(feat.z_low_imag, 1e-6))
        elif el.kind == "CPE":
            p[i] = 1.0 / (max(feat.r_total, 1e-3) * np.sqrt(omega[0] * omega[-1]) ** 0.85)
            p[i + 1] = 0.85
    return np.clip(p, circuit.lower * 1.0001, circuit.upper * 0.9999)


def initial_guesses(circuit: Circuit, frequency_hz: np.ndarray, z: np.ndarray) -> list[np.ndarray]:
    """Parameter guesses read off the spectrum, no user input, most plausible first.

    * series resistance R_s = Z′ at the high-frequency end (or where −Z″ crosses zero);
    * Warburg σ = slope of Z′ vs ω^−½ in the low-frequency tail;
    * arcs: −Z″ − σ ω^−½ above the tail, 3-point running mean, maxima with prominence ≥ 3 %;
      R_arc ≈ 2.53·(−Z″ at the apex) (a CPE arc with α = 0.85), scaled so that the arcs add up to
      Z′(ω_min) − σ ω_min^−½ − R_s; C = 1/(R ω_apex), Q = 1/(R ω_apex^α);
    * several arc layouts (see ``_arc_layouts``) because an arc can hide under a bigger one.
    """
    f, z = check_spectrum(frequency_hz, z)
    feat = _features(circuit, f, z)
    k = len(arc_blocks(circuit))
    return [_guess(circuit, feat, r, w) for r, w in _arc_layouts(feat, k)]


def initial_guess(circuit: Circuit, frequency_hz: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The most plausible of :func:`initial_guesses`."""
    return initial_guesses(circuit, frequency_hz, z)[0]


# ----------------------------------------------------------------------------- fitting
def _bounds_log(circuit: Circuit) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the working scale: log for positive parameters, linear for exponents."""
    lo = np.where(circuit.is_exponent, circuit.lower, np.log(circuit.lower))
    hi = np.where(circuit.is_exponent, circuit.upper, np.log(circuit.upper))
    return lo, hi


def _to_x(circuit: Circuit, p: np.ndarray) -> np.ndarray:
    """Unbounded fit variables: logit of the position of (log) p between its bounds."""
    lo, hi = _bounds_log(circuit)
    y = np.where(circuit.is_exponent, p, np.log(np.clip(p, 1e-300, None)))
    frac = np.clip((y - lo) / (hi - lo), 1e-9, 1 - 1e-9)
    return np.log(frac / (1 - frac))


def _to_p(circuit: Circuit, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters and dp/dx for fit variables ``x`` (bounded by construction)."""
    lo, hi = _bounds_log(circuit)
    s = 1.0 / (1.0 + np.exp(-np.clip(x, -700, 700)))
    y = lo + (hi - lo) * s
    dy_dx = (hi - lo) * s * (1 - s)
    p = np.where(circuit.is_exponent, y, np.exp(np.where(circuit.is_exponent, 0.0, y)))
    return p, np.where(circuit.is_exponent, dy_dx, p * dy_dx)


def _solve(circuit: Circuit, f: np.ndarray, z: np.ndarray, p0: np.ndarray):
    """Levenberg–Marquardt (MINPACK) on bounded-by-construction variables, analytic Jacobian."""
    w = 1.0 / np.abs(z)
    cache: dict[str, np.ndarray] = {}

    def evaluate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if "x" not in cache or not np.array_equal(
            cache["x"], x
        ):  # fun and jac share one model call
            p, dp_dx = _to_p(circuit, x)
            with np.errstate(all="ignore"):
                zm, jac = circuit.impedance_and_jacobian(p, f)
            d, j = (zm - z) * w, (jac * dp_dx[:, None] * w).T
            if not (
                np.all(np.isfinite(d)) and np.all(np.isfinite(j))
            ):  # overflow far from the data
                d = np.where(np.isfinite(d), d, 1e6)
                j = np.where(np.isfinite(j), j, 0.0)
            cache.update(x=x.copy(), d=d, j=j)
        return cache["d"], cache["j"]

    def residual(x: np.ndarray) -> np.ndarray:
        d, _ = evaluate(x)
        return np.concatenate([d.real, d.imag])

    def jacobian(x: np.ndarray) -> np.ndarray:
        _, jz = evaluate(x)
        return np.vstack([jz.real, jz.imag])

    x0 = _to_x(circuit, p0)
    return least_squares(
        residual,
        x0,
        jac=jacobian,
        method="lm",
        x_scale="jac",
        ftol=1e-8,
        xtol=1e-8,
        gtol=1e-8,
        max_nfev=300,
    )


def _solve_bounded(circuit: Circuit, f: np.ndarray, z: np.ndarray, p0: np.ndarray):
    """Fallback: trust-region reflective within the bounds on log-parameters, then an LM polish
    so that the result lives in the same variables as :func:`_solve`."""
    w = 1.0 / np.abs(z)
    lo, hi = _bounds_log(circuit)

    def params(y: np.ndarray) -> np.ndarray:
        return np.where(circuit.is_exponent, y, np.exp(np.where(circuit.is_exponent, 0.0, y)))

    def residual(y: np.ndarray) -> np.ndarray:
        d = (circuit.impedance(params(y), f) - z) * w
        return np.concatenate([d.real, d.imag])

    def jacobian(y: np.ndarray) -> np.ndarray:
        p = params(y)
        _, jac = circuit.impedance_and_jacobian(p, f)
        jz = (jac * np.where(circuit.is_exponent, 1.0, p)[:, None] * w).T
        return np.vstack([jz.real, jz.imag])

    y0 = np.clip(np.where(circuit.is_exponent, p0, np.log(p0)), lo + 1e-6, hi - 1e-6)
    sol = least_squares(
        residual,
        y0,
        jac=jacobian,
        bounds=(lo, hi),
        method="trf",
        x_scale="jac",
        ftol=1e-8,
        xtol=1e-8,
        gtol=1e-8,
        max_nfev=300,
    )
    return _solve(
        circuit, f, z, np.clip(params(sol.x), circuit.lower * 1.0001, circuit.upper * 0.9999)
    )


def _starts(
    circuit: Circuit, f: np.ndarray, z: np.ndarray, n_starts: int, seed: int
) -> list[np.ndarray]:
    """The read-off guesses, topped up with seeded log-normal jitter of the first one."""
    starts = initial_guesses(circuit, f, z)
    warburg = [el.first_param for el in circuit.elements if el.kind == "W"]
    if warburg:  # a tail that is not diffusion (a plain arc's end) gives a far too large σ guess
        small = starts[0].copy()
        small[warburg] *= 1e-3
        starts.insert(1, np.clip(small, circuit.lower * 1.0001, circuit.upper * 0.9999))
    rng = np.random.default_rng(seed)
    while len(starts) < n_starts:
        jitter = np.where(circuit.is_exponent, 0.0, rng.normal(0.0, 1.0, circuit.n_params))
        starts.append(
            np.clip(starts[0] * np.exp(jitter), circuit.lower * 1.0001, circuit.upper * 0.9999)
        )
    return starts


def _arcs_in_order(circuit: Circuit, p: np.ndarray) -> bool:
    """True when the apex frequencies of the RC/CPE blocks decrease along the series."""
    apex = []
    for res, cap in arc_blocks(circuit):
        r, q = p[res.first_param], p[cap.first_param]
        alpha = p[cap.first_param + 1] if cap.kind == "CPE" else 1.0
        apex.append((r * q) ** (-1.0 / alpha))
    return all(a >= b for a, b in zip(apex, apex[1:], strict=False))


def fit_circuit(
    frequency_hz: np.ndarray,
    z: np.ndarray,
    circuit: str | Circuit = PAPER_CIRCUITS["two_arc"],
    *,
    n_starts: int = 4,
    seed: int = 0,
) -> EISFit:
    """Fit ``circuit`` to the spectrum with automatic initial guesses and a small multistart."""
    c = parse_circuit(circuit) if isinstance(circuit, str) else circuit
    f, zz = check_spectrum(frequency_hz, z)
    if 2 * f.size <= c.n_params:
        raise InputError(
            f"{f.size} points cannot determine the {c.n_params} parameters of {c.text}"
        )
    starts = _starts(c, f, zz, n_starts, seed)
    solutions: list = []
    for p0 in starts:  # stop early once two starts agree on the best arc-ordered optimum
        solutions.append((_solve(c, f, zz, p0), p0))
        ordered_costs = sorted(s.cost for s, _ in solutions if _arcs_in_order(c, _to_p(c, s.x)[0]))
        if (
            len(ordered_costs) >= 2
            and ordered_costs[1] - ordered_costs[0] <= 1e-6 * ordered_costs[0]
        ):
            if ordered_costs[0] <= min(s.cost for s, _ in solutions) * 1.0000001:
                break
    best = min(solutions, key=lambda item: item[0].cost)
    if np.any(np.abs(best[0].x) > 12.0):  # LM ran to a bound: retry every start within bounds
        solutions += [(_solve_bounded(c, f, zz, p0), p0) for p0 in starts]
        best = min(solutions, key=lambda item: item[0].cost)
    used = len(solutions)
    # Arcs are numbered from high to low frequency (R1 = SEI, R2 = charge transfer).  Swapped
    # assignments fit almost as well, so among solutions within 10 % of the best cost keep the
    # best one whose arcs are in that order.
    ordered = [item for item in solutions if _arcs_in_order(c, _to_p(c, item[0].x)[0])]
    ordered_best = min(ordered, key=lambda item: item[0].cost) if ordered else None
    arc_warning = None
    if ordered_best is not None and ordered_best[0].cost <= 1.1 * best[0].cost:
        best = ordered_best
    elif len(arc_blocks(c)) > 1:
        arc_warning = "EIS fit: the arcs' time constants are not in series order (R1 at higher frequency than R2)"
    sol, p0 = best  # type: ignore[misc]
    values, dp_dx = _to_p(c, sol.x)
    m, k = 2 * f.size, c.n_params
    s2 = 2 * sol.cost / max(m - k, 1)
    cov = np.linalg.pinv(sol.jac.T @ sol.jac) * s2
    stderr = np.abs(dp_dx) * np.sqrt(np.clip(np.diag(cov), 0, None))
    warnings: list[str] = [arc_warning] if arc_warning else []
    at_bound = np.abs(sol.x) > 12.0  # within ~1e-5 of a bound on the (log) scale
    stderr[at_bound] = np.nan  # s²(JᵀJ)⁻¹ is meaningless where the bound, not the data, holds p
    for name in np.array(c.param_names)[at_bound]:
        warnings.append(
            f"EIS fit: parameter {name} ended at its bound; the circuit may not suit the spectrum"
        )

    return EISFit(
        c,
        values,
        stderr,
        float(2 * sol.cost),
        f.size,
        c.impedance(values, f),
        p0,
        used,
        warnings,
        at_bound,
    )
