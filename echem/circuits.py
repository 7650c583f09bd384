"""Equivalent-circuit strings parsed once into a vectorised numpy impedance model.

Circuits are written in impedance.py's notation (Murbach et al., *J. Open Source Softw.* 5, 2349,
2020): elements joined in series by ``-`` and in parallel by ``p(a, b, ...)``, e.g.
``R0-p(R1,CPE1)-p(R2-W1,CPE2)``.  Parameter names follow impedance.py: one-parameter elements are
named as written (``R0``, ``W1``); multi-parameter elements get ``_0``, ``_1`` suffixes
(``CPE1_0`` = Q, ``CPE1_1`` = α).

The string is parsed into a tree (no ``eval``) and compiled into one function that returns the
impedance *and* its analytic derivative with respect to every parameter, so that a least-squares
fit needs one model evaluation per iteration instead of one per parameter.

Element impedances (ω = 2πf, j² = −1):

.. math::

    Z_R = R,\\quad Z_C = \\frac{1}{j\\omega C},\\quad Z_L = j\\omega L,\\quad
    Z_{CPE} = \\frac{1}{Q (j\\omega)^{\\alpha}},\\quad Z_W = \\frac{\\sigma (1-j)}{\\sqrt{\\omega}},

    Z_{Wo} = \\frac{Z_0 \\coth\\sqrt{j\\omega\\tau}}{\\sqrt{j\\omega\\tau}},\\quad
    Z_{Ws} = \\frac{Z_0 \\tanh\\sqrt{j\\omega\\tau}}{\\sqrt{j\\omega\\tau}}

(semi-infinite Warburg with σ the Warburg coefficient; open and short finite-length Warburg,
Bard & Faulkner, *Electrochemical Methods*, 2nd ed., 2001, §10.3; Lasia, *Electrochemical
Impedance Spectroscopy and its Applications*, 2014, ch. 4).  Series: :math:`Z = \\sum Z_k`;
parallel: :math:`Z = (\\sum Z_k^{-1})^{-1}` with :math:`\\partial Z/\\partial Z_k = Z^2/Z_k^2`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from anodelab.schema.errors import InputError

__all__ = [
    "ELEMENTS",
    "Element",
    "Circuit",
    "parse_circuit",
]


@dataclass(frozen=True)
class ElementType:
    """One element kind: its parameter units, plausible bounds and whether a parameter is an exponent."""

    symbol: str
    units: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    is_exponent: tuple[bool, ...]
    description: str


ELEMENTS: dict[str, ElementType] = {
    "R": ElementType("R", ("ohm",), (1e-6,), (1e9,), (False,), "resistor"),
    "C": ElementType("C", ("F",), (1e-15,), (1e3,), (False,), "capacitor"),
    "L": ElementType("L", ("H",), (1e-15,), (1e3,), (False,), "inductor"),
    "CPE": ElementType(
        "CPE",
        ("ohm^-1 s^a", ""),
        (1e-15, 0.3),
        (1e3, 1.0),
        (False, True),
        "constant phase element (Q, alpha)",
    ),
    "W": ElementType(
        "W", ("ohm/s^0.5",), (1e-6,), (1e9,), (False,), "semi-infinite Warburg (sigma)"
    ),
    "Wo": ElementType(
        "Wo",
        ("ohm", "s"),
        (1e-6, 1e-6),
        (1e9, 1e9),
        (False, False),
        "open finite Warburg (Z0, tau)",
    ),
    "Ws": ElementType(
        "Ws",
        ("ohm", "s"),
        (1e-6, 1e-6),
        (1e9, 1e9),
        (False, False),
        "short finite Warburg (Z0, tau)",
    ),
}

_TOKEN = re.compile(r"\s*(?:(p\()|([A-Za-z]+)(\d*)|(\()|(\))|(,)|(-))")


@dataclass(frozen=True)
class Element:
    """A leaf of the circuit tree: ``kind`` is a key of :data:`ELEMENTS`, ``name`` as written."""

    kind: str
    name: str
    first_param: int  # index of its first parameter in the circuit's parameter vector

    @property
    def param_names(self) -> list[str]:
        n = len(ELEMENTS[self.kind].units)
        return [self.name] if n == 1 else [f"{self.name}_{i}" for i in range(n)]


@dataclass(frozen=True)
class Node:
    """An inner node: ``op`` is ``"s"`` (series) or ``"p"`` (parallel)."""

    op: str
    children: tuple[Node | Element, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        stripped = text.strip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if not m or m.end() == pos:
                raise InputError(
                    f"cannot read circuit {text!r} at position {pos}: {stripped[pos : pos + 10]!r}"
                )
            pos = m.end()
            if m.group(1):
                self.tokens.append(("P", "p("))
            elif m.group(2):
                self.tokens.append(("E", m.group(2) + m.group(3)))
            elif m.group(4):
                raise InputError(f"circuit {text!r}: '(' must follow 'p' (parallel block)")
            elif m.group(5):
                self.tokens.append((")", ")"))
            elif m.group(6):
                self.tokens.append((",", ","))
            else:
                self.tokens.append(("-", "-"))
        self.i = 0
        self.n_params = 0
        self.names: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            found = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of text"
            raise InputError(f"circuit {self.text!r}: expected {kind!r}, found {found!r}")
        value = self.tokens[self.i][1]
        self.i += 1
        return value

    def series(self) -> Node | Element:
        parts = [self.term()]
        while self.peek() == "-":
            self.take("-")
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Node("s", tuple(parts))

    def term(self) -> Node | Element:
        if self.peek() == "P":
            self.take("P")
            parts = [self.series()]
            while self.peek() == ",":
                self.take(",")
                parts.append(self.series())
            self.take(")")
            if len(parts) < 2:
                raise InputError(
                    f"circuit {self.text!r}: a parallel block p(...) needs at least two branches"
                )
            return Node("p", tuple(parts))
        name = self.take("E")
        kind = re.match(r"[A-Za-z]+", name).group(0)  # type: ignore[union-attr]
        if kind not in ELEMENTS:
            raise InputError(
                f"circuit {self.text!r}: unknown element {name!r}; known elements: {', '.join(ELEMENTS)}"
            )
        if name in self.names:
            raise InputError(f"circuit {self.text!r}: element name {name!r} is used twice")
        self.names.append(name)
        element = Element(kind, name, self.n_params)
        self.n_params += len(ELEMENTS[kind].units)
        return element


def _element_z(
    el: Element, p: np.ndarray, omega: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Impedance of one element and its derivatives with respect to its own parameters."""
    k = el.first_param
    if el.kind == "R":
        z = np.full(omega.shape, p[k], dtype=complex)
        return z, [np.ones_like(z)]
    if el.kind == "C":
        z = 1.0 / (1j * omega * p[k])
        return z, [-z / p[k]]
    if el.kind == "L":
        z = 1j * omega * p[k]
        return z, [1j * omega]
    if el.kind == "CPE":
        q, alpha = p[k], p[k + 1]
        log_jw = np.log(omega) + 0.5j * np.pi
        z = np.exp(-alpha * log_jw) / q
        return z, [-z / q, -z * log_jw]
    if el.kind == "W":
        unit = (1 - 1j) / np.sqrt(omega)
        return p[k] * unit, [unit]
    # finite-length Warburg elements
    z0, tau = p[k], p[k + 1]
    s = np.sqrt(1j * omega * tau)
    th = np.tanh(s)
    sech2 = 1.0 - th**2
    if el.kind == "Wo":  # coth(s)/s
        g = 1.0 / (s * th)
        dg_ds = (-(1.0 / th**2 - 1.0) * s - 1.0 / th) / s**2  # d/ds coth(s)/s, csch² = coth² − 1
    else:  # Ws: tanh(s)/s
        g = th / s
        dg_ds = (sech2 * s - th) / s**2
    ds_dtau = s / (2.0 * tau)
    return z0 * g, [g, z0 * dg_ds * ds_dtau]


def _evaluate(
    node: Node | Element, p: np.ndarray, omega: np.ndarray
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Impedance of a subtree and its derivatives ``{parameter index: dZ/dp}``."""
    if isinstance(node, Element):
        z, dz = _element_z(node, p, omega)
        return z, {node.first_param + i: d for i, d in enumerate(dz)}
    parts = [_evaluate(child, p, omega) for child in node.children]
    if node.op == "s":
        z = parts[0][0].copy()
        for zc, _ in parts[1:]:
            z += zc
        return z, {k: d for _, dd in parts for k, d in dd.items()}
    admittance = 1.0 / parts[0][0]
    for zc, _ in parts[1:]:
        admittance += 1.0 / zc
    z = 1.0 / admittance
    derivs: dict[int, np.ndarray] = {}
    for zc, dd in parts:
        factor = (z / zc) ** 2
        for k, d in dd.items():
            derivs[k] = factor * d
    return z, derivs


class Circuit:
    """A parsed circuit: parameter names/units/bounds and a vectorised model.

    >>> c = parse_circuit("R0-p(R1,C1)")
    >>> c.param_names
    ['R0', 'R1', 'C1']
    """

    def __init__(self, text: str) -> None:
        parser = _Parser(text)
        if not parser.tokens:
            raise InputError("empty circuit string")
        tree = parser.series()
        if parser.i != len(parser.tokens):
            raise InputError(f"circuit {text!r}: unexpected {parser.tokens[parser.i][1]!r}")
        self.text = text.replace(" ", "")
        self.tree = tree
        self.elements: list[Element] = []
        self._collect(tree)
        self.param_names: list[str] = [n for el in self.elements for n in el.param_names]
        self.param_units: list[str] = [u for el in self.elements for u in ELEMENTS[el.kind].units]
        self.lower = np.array([b for el in self.elements for b in ELEMENTS[el.kind].lower])
        self.upper = np.array([b for el in self.elements for b in ELEMENTS[el.kind].upper])
        self.is_exponent = np.array(
            [e for el in self.elements for e in ELEMENTS[el.kind].is_exponent]
        )

    def _collect(self, node: Node | Element) -> None:
        if isinstance(node, Element):
            self.elements.append(node)
        else:
            for child in node.children:
                self._collect(child)

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def impedance(self, params: np.ndarray, frequency_hz: np.ndarray) -> np.ndarray:
        """Complex impedance Z(f) in Ω for parameters in the order of :attr:`param_names`."""
        z, _ = self.impedance_and_jacobian(params, frequency_hz)
        return z

    def impedance_and_jacobian(
        self, params: np.ndarray, frequency_hz: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Z(f) and ∂Z/∂p (shape n_params × n_freq), both complex."""
        p = np.asarray(params, dtype=float)
        if p.size != self.n_params:
            raise InputError(f"circuit {self.text!r} has {self.n_params} parameters, got {p.size}")
        omega = 2.0 * np.pi * np.asarray(frequency_hz, dtype=float)
        z, derivs = _evaluate(self.tree, p, omega)
        jac = np.empty((self.n_params, omega.size), dtype=complex)
        for k, d in derivs.items():
            jac[k] = d
        return z, jac

    def model(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """A plain ``f(params, frequency_hz) -> Z`` callable."""
        return self.impedance

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"


def parse_circuit(text: str) -> Circuit:
    """Parse an impedance.py-style circuit string; :class:`InputError` names the problem."""
    if not isinstance(text, str):
        raise InputError(f"circuit must be a string, got {type(text).__name__}")
    return Circuit(text)
