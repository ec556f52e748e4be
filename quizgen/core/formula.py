"""Formula answers: reading a typed expression safely, and deciding whether two are equivalent.

A formula answer's value is ``{"formula": TEXT, "symbols": {NAME: DOMAIN, ...}}``: the key (or a
named mistake) written in the grammar below, and the symbols the problem declares with the
domain each ranges over (``DOMAINS``). The same reader reads the key and what a learner types.

The grammar: numbers (``2``, ``0.5``, ``1e-3``), the declared symbols, the constants ``pi`` (π)
and ``e``, ``+ - * / ^`` (also ``**``, ``−``, ``·``, ``×``, ``÷``, and superscript digits as in ``d²``
or ``σ⁴``), parentheses, ``√x`` and the functions in ``FUNCTIONS``. Greek letters may be typed by
name or as characters (``sigma`` or ``σ``). Multiplication may be left out where nothing else is
meant: ``4d^2``, ``2(d + 1)``, ``d h``, ``(a)(b)``, and two declared names run together (``dh``)
when they split into declared names one way only. A division followed by such a product
(``1/2d``) is refused as ambiguous. Precedence is Python's: unary minus binds looser than ``^``
(``-d^2`` is ``-(d^2)``), powers group from the right.

Nothing is ever passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the reader builds a
small tree of tuples, and sympy objects are made from that tree with sympy's constructors.
Length, nesting, size and constant exponents are capped, so any input costs little time.

Equivalence (``quizgen.core.equivalence.equivalent``) is decided there: exactly, in rational
arithmetic on a degree grid, wherever the formulas are rational; with many-digit evaluation at
seeded points and sympy's algebra (built from these trees, with a time cap) where functions make
exact arithmetic impossible. ``sample_points`` (the readable ``POINTS`` and ``DRAWN`` more seeded by
the two formulas) are where a message shows a difference, and all the card script decides on.
"""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction
from typing import Any

from quizgen.core.errors import AnswerParseError, show_char, show_typed

ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
"""The four operations of a formula tree, for floats and Fractions alike."""

MAX_FORMULA_LENGTH = 400
"""Longest accepted formula, in characters."""

MAX_FORMULA_DEPTH = 16
"""Deepest accepted nesting of parentheses and function calls."""

MAX_FORMULA_NODES = 200
"""Most numbers, names and operations in one formula."""

MAX_EXPONENT = 64
"""Largest constant exponent, in absolute value (``d^64`` is read, ``d^65`` and ``9^9^9`` not)."""

FUNCTIONS = ("sqrt", "exp", "log", "ln", "sin", "cos", "abs")
"""Functions a formula may call; ``log`` and ``ln`` are both the natural logarithm."""

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω",
}  # fmt: skip
"""Greek letter names a symbol may be declared with; the character is read as the name."""

DOMAINS = {
    # Sizes and counts: positive whole numbers.
    "size": (3, 7, 2, 11, 5, 13, 4, 9),
    # Positive reals (a standard deviation, a learning rate, a temperature).
    "positive": (0.7, 1.9, 3.1, 0.35, 2.6, 5.3, 1.15, 4.4),
    # Any real (a mean, a logit).
    "real": (0.7, -1.3, 2.2, -0.45, 1.6, -2.7, 3.4, -0.9),
    # Strictly between 0 and 1 (a probability, a decay).
    "unit": (0.15, 0.35, 0.55, 0.75, 0.9, 0.25, 0.65, 0.45),
}
"""Each domain's sample values; symbol ``i`` (in declaration order) takes value
``(j + 3i) mod 8`` at point ``j``."""

POINTS = 8
RTOL = 1e-9

_NUM_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "·": "*", "×": "*", "/": "/", "÷": "/", "^": "^"}
_SPACES = frozenset(" \t\u00a0\u2009\u202f")
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_CHARACTER_NAMES = {v: k for k, v in GREEK.items()} | {"π": "pi"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}

Node = tuple[Any, ...]
"""A parsed formula: ``("num", text)``, ``("sym", name)``, ``("const", "pi" | "e")``,
``("neg", a)``, ``("add" | "sub" | "mul" | "div" | "pow", a, b)`` or ``("call", name, a)``."""


class _Fail(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Reading


def _tokens(text: str, names: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(kind, text, space before) tokens; kinds num, name, op, sqrt, (, ), end."""
    out: list[tuple[str, str, bool]] = []
    i, space = 0, False
    while i < len(text):
        c = text[i]
        if c in _SPACES:
            space, i = True, i + 1
            continue
        if (m := _NUM_RE.match(text, i)) is not None:
            out.append(("num", m.group(), space))
            i = m.end()
        elif (m := _NAME_RE.match(text, i)) is not None:
            out.append(("name", m.group(), space))
            i = m.end()
        elif c in _CHARACTER_NAMES:
            out.append(("name", _CHARACTER_NAMES[c], space))
            i += 1
        elif c == "√":
            out.append(("sqrt", c, space))
            i += 1
        elif text.startswith("**", i):
            out.append(("op", "^", space))
            i += 2
        elif c in _OPS:
            out.append(("op", _OPS[c], space))
            i += 1
        elif c in _SUPERSCRIPT_DIGITS:
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPT_DIGITS:
                j += 1
            out += [("op", "^", space), ("num", "".join(str(_SUPERSCRIPT_DIGITS.index(d)) for d in text[i:j]), False)]
            i = j
        elif c in "()":
            out.append((c, c, space))
            i += 1
        elif c == "=":
            raise _Fail("type only the expression, not an equation")
        else:
            raise _Fail(f"unexpected character '{show_char(c)}' at position {i + 1}")
        space = False
    out.append(("end", "", space))
    return out


def _split(name: str, names: dict[str, str]) -> list[str] | None:
    """The one way ``name`` splits into declared names, or None (none or several)."""
    known = set(names)
    ways: list[list[list[str]]] = [[[]], *([] for _ in name)]
    for end in range(1, len(name) + 1):
        for start in range(end):
            if name[start:end] in known:
                ways[end] += [w + [name[start:end]] for w in ways[start]][:2]
    return ways[-1][0] if len(ways[-1]) == 1 else None


class _Parser:
    """Recursive descent over the tokens; each ``_x`` method reads one precedence level."""

    def __init__(self, text: str, names: dict[str, str]) -> None:
        self.toks = _tokens(text, names)
        self.names = names
        self.i = 0
        self.depth = 0
        self.nodes = 0

    def peek(self) -> tuple[str, str, bool]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, bool]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def node(self, *parts: Any) -> Node:
        self.nodes += 1
        if self.nodes > MAX_FORMULA_NODES:
            raise _Fail(f"the formula has more than {MAX_FORMULA_NODES} parts")
        return tuple(parts)

    def parse(self) -> Node:
        if self.peek()[0] == "end":
            raise _Fail("the answer is empty")
        tree = self.sum()
        kind, text, _ = self.peek()
        if kind != "end":
            raise _Fail(f"unexpected '{text}' after a complete expression")
        return tree

    def sum(self) -> Node:
        left = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            left = self.node("add" if op == "+" else "sub", left, self.product())
        return left

    def starts_factor(self) -> bool:
        return self.peek()[0] in ("num", "name", "sqrt", "(")

    def product(self) -> Node:
        left = self.unary()
        after_division = False
        while True:
            kind, text, _ = self.peek()
            if kind == "op" and text in "*/":
                self.take()
                after_division = text == "/"
                left = self.node("mul" if text == "*" else "div", left, self.unary())
            elif self.starts_factor():
                if after_division:
                    raise _Fail("a division followed by a product without '*' is ambiguous: write 1/(2*d) or d/2")
                left = self.node("mul", left, self.power())
            else:
                return left

    def unary(self) -> Node:
        kind, text, _ = self.peek()
        if kind == "op" and text in "+-":
            self.take()
            inner = self.unary()
            return inner if text == "+" else self.node("neg", inner)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek()[0] == "op" and self.peek()[1] == "^":
            self.take()
            exponent = self.unary()  # right-associative; -d^-2 reads as -(d^(-2))
            value = _constant(exponent)
            if value is not None and not abs(value) <= MAX_EXPONENT:
                raise _Fail(f"an exponent is larger than {MAX_EXPONENT}")
            return self.node("pow", base, exponent)
        return base

    def nested(self) -> Node:
        self.depth += 1
        if self.depth > MAX_FORMULA_DEPTH:
            raise _Fail(f"brackets and functions are nested more than {MAX_FORMULA_DEPTH} deep")
        inner = self.sum()
        if self.take()[0] != ")":
            raise _Fail("a '(' is not closed")
        self.depth -= 1
        return inner

    def atom(self) -> Node:
        kind, text, _ = self.take()
        if kind == "num":
            if not math.isfinite(float(text)):
                raise _Fail(f"the number {text} is too large")
            return self.node("num", text)
        if kind == "(":
            return self.nested()
        if kind == "sqrt":
            if self.peek()[0] == "(":
                self.take()
                return self.node("call", "sqrt", self.nested())
            return self.node("call", "sqrt", self.atom())
        if kind == "name":
            return self.name(text)
        if kind == "end":
            raise _Fail("the expression ends too early")
        raise _Fail(f"unexpected '{text}'")

    def name(self, text: str) -> Node:
        if text in FUNCTIONS:
            if self.peek()[0] != "(":
                raise _Fail(f"write {text}(…) with brackets")
            self.take()
            return self.node("call", "log" if text == "ln" else text, self.nested())
        if text in self.names:
            return self.node("sym", text)
        if text in ("pi", "e"):
            return self.node("const", text)
        parts = _split(text, self.names)
        if parts is None:
            allowed = ", ".join([*self.names, "pi", "e"])
            raise _Fail(f"unknown name '{text}': use {allowed} and the functions {', '.join(FUNCTIONS)}, with * between names")
        # The other names are read next, as factors of an implicit product: 4hd^2 is 4*h*d^2.
        self.toks[self.i : self.i] = [("name", part, False) for part in parts[1:]]
        return self.node("sym", parts[0])


def _constant(node: Node) -> float | None:
    """The value of a subtree without symbols, or None."""
    try:
        return evaluate(node, {})
    except (KeyError, _Fail):
        return None


def read(text: str, symbols: dict[str, str]) -> Node:
    """Read ``text`` as a formula in the declared ``symbols`` (name → domain).

    Raises:
        AnswerParseError: The text is not a formula in those symbols; the message says why and
            what would work.

    >>> read("4d^2 + 4*d", {"d": "size"})
    ('add', ('mul', ('num', '4'), ('pow', ('sym', 'd'), ('num', '2'))), ('mul', ('num', '4'), ('sym', 'd')))
    """
    if not isinstance(text, str):
        raise TypeError(f"formula text must be a str, but got {type(text).__name__}")
    try:
        if len(text) > MAX_FORMULA_LENGTH:
            raise _Fail(f"it is {len(text)} characters long and at most {MAX_FORMULA_LENGTH} are read")
        return _Parser(text, symbols).parse()
    except _Fail as exc:
        raise AnswerParseError(f"could not read {show_typed(text)} as a formula: {exc}; try {_example(symbols)}") from None


def _example(symbols: dict[str, str]) -> str:
    names = list(symbols) or ["x"]
    a, b = names[0], names[-1]
    return f"an expression such as 2*{a}^2 + {b}/4, sqrt({a}) or exp(-{b})"


# --------------------------------------------------------------------------------------------
# Evaluating and comparing


def _call(name: str, x: float) -> float:
    if name == "sqrt":
        return math.sqrt(x)
    if name == "exp":
        return math.exp(x)
    if name == "log":
        return math.log(x)
    if name == "sin":
        return math.sin(x)
    if name == "cos":
        return math.cos(x)
    return abs(x)


def evaluate(node: Node, values: dict[str, float]) -> float:
    """The formula's value with ``values`` for its symbols (nan where it is undefined)."""
    op = node[0]
    try:
        if op == "num":
            return float(node[1])
        if op == "sym":
            return values[node[1]]
        if op == "const":
            return math.pi if node[1] == "pi" else math.e
        if op == "neg":
            return -evaluate(node[1], values)
        if op == "call":
            return _call(node[1], evaluate(node[2], values))
        a, b = evaluate(node[1], values), evaluate(node[2], values)
        return math.pow(a, b) if op == "pow" else ARITHMETIC[op](a, b)
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf


def points(symbols: dict[str, str]) -> list[dict[str, float]]:
    """The ``POINTS`` readable points: symbol ``i`` takes ``DOMAINS[domain][(j + 3i) % 8]``."""
    return [{name: float(DOMAINS[domain][(j + 3 * i) % POINTS]) for i, (name, domain) in enumerate(symbols.items())} for j in range(POINTS)]


DRAWN = 16
"""Points drawn per key and answer, after the readable ones (``sample_points``)."""


def _fnv(s: str) -> int:
    h = 2166136261  # FNV-1a, 32 bits, over UTF-16 code units (as the card script hashes)
    data = s.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = ((h ^ (data[i] | data[i + 1] << 8)) * 16777619) & 0xFFFFFFFF
    return h


def _mulberry32(seed: int) -> Any:
    a = seed
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (a | 1)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        yield (t ^ (t >> 14)) & 0xFFFFFFFF


def _drawn_value(domain: str, r: int) -> float:
    # Sizes 1 to 100, positive values 0.01 to 10, reals -10 to 10, so that doubles neither
    # overflow nor underflow on the way (e^-t for t = 1000 is 0 in a double).
    if domain == "size":
        return float(1 + r % 100)
    if domain == "positive":
        return (1 + r % 1000) / 100
    if domain == "unit":
        return (1 + r % 999) / 1000
    return (r % 2001 - 1000) / 100


def sample_points(key: Node, other: Node, symbols: dict[str, str]) -> list[dict[str, float]]:
    """The readable ``points``, then ``DRAWN`` points from a generator seeded by the two written
    formulas (the card script draws the same): where a wrong formula's message shows it differs,
    and what the card script decides on."""
    draws = _mulberry32(_fnv(text(key) + "\n" + text(other)))
    drawn = [{name: _drawn_value(domain, next(draws)) for name, domain in symbols.items()} for _ in range(DRAWN)]
    return points(symbols) + drawn


def _agree(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + 1e-12


def differs_at(key: Node, other: Node, values: dict[str, float]) -> bool:
    """Whether, at a point where the key has a value, ``other`` has none or another one."""
    k, x = evaluate(key, values), evaluate(other, values)
    return math.isfinite(k) and not (math.isfinite(x) and _agree(k, x))


def value(text: str, symbols: dict[str, str]) -> dict[str, Any]:
    """A formula answer's JSON value: the formula, written in the reader's grammar, and its symbols."""
    return {"formula": text, "symbols": symbols}


# --------------------------------------------------------------------------------------------
# Writing


def text(node: Node, parent: int = 0, right: bool = False) -> str:
    """The formula in the reader's grammar, with the brackets it needs.

    >>> text(read("(d+1)(d-1)/2", {"d": "size"}))
    '(d + 1)*(d - 1)/2'
    """
    op = node[0]
    if op in ("num", "sym", "const"):
        return str(node[1])
    if op == "call":
        return f"{node[1]}({text(node[2])})"
    mine = _PRECEDENCE[op]
    if op == "neg":
        out = "-" + text(node[1], mine)
    elif op == "pow":
        out = f"{text(node[1], mine + 1)}^{text(node[2], mine, True)}"
    else:
        sign = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[op]
        out = text(node[1], mine) + sign + text(node[2], mine, True)
    # The right operand of - and / needs brackets at equal precedence; a power's base always.
    needs = mine < parent or (mine == parent and right and op not in ("pow",))
    return f"({out})" if needs else out


def to_sympy(node: Node, symbols: dict[str, str]) -> Any:
    """The formula as a sympy expression, built with sympy's constructors (sympy loads here)."""
    import sympy

    assumptions = {"size": {"positive": True, "integer": True}, "positive": {"positive": True}, "real": {"real": True}, "unit": {"positive": True}}
    syms = {name: sympy.Symbol(name, **assumptions[domain]) for name, domain in symbols.items()}
    funcs = {"sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "abs": sympy.Abs}

    def build(n: Node) -> Any:
        op = n[0]
        if op == "num":
            exact = Fraction(n[1])
            return sympy.Rational(exact.numerator, exact.denominator)
        if op == "sym":
            return syms[n[1]]
        if op == "const":
            return sympy.pi if n[1] == "pi" else sympy.E
        if op == "neg":
            return -build(n[1])
        if op == "call":
            return funcs[n[1]](build(n[2]))
        a, b = build(n[1]), build(n[2])
        return a**b if op == "pow" else ARITHMETIC[op](a, b)

    return build(node)


def symbolic_zero(key: Node, other: Node, symbols: dict[str, str]) -> bool:
    """Whether sympy reduces ``key − other`` to 0 (expanding powers and logs of the positive
    symbols, then cancelling); False when it cannot show it."""
    import sympy

    diff = to_sympy(key, symbols) - to_sympy(other, symbols)
    for step in (sympy.expand, lambda e: sympy.expand_log(e, force=True), sympy.cancel, sympy.simplify):
        diff = step(diff)
        if diff == 0:
            return True
    return False


def tex(value: Any) -> str:
    """A formula value in TeX (sympy's printer; sympy loads here)."""
    import sympy

    symbols = dict(value["symbols"])
    return str(sympy.latex(to_sympy(read(value["formula"], symbols), symbols)))


def mathml(value: Any) -> str:
    """A formula value in presentation MathML, for printed pages (sympy's printer; sympy loads
    here). Only keys reach it, never typed text."""
    from sympy.printing.mathml import mathml as printer

    symbols = dict(value["symbols"])
    return str(printer(to_sympy(read(value["formula"], symbols), symbols), printer="presentation"))


_DOMAIN_WORDS = {"size": "a whole number", "positive": "positive", "real": "any real number", "unit": "between 0 and 1"}


def describe_symbols(symbols: dict[str, str], meanings: dict[str, str]) -> str:
    """The line that tells a learner which symbols a formula may use.

    >>> describe_symbols({"d": "size", "sigma": "positive"}, {"d": "the width", "sigma": "the spread"})
    'Write a formula in d (the width, a whole number) and sigma (the spread, positive).'
    """
    parts = [f"{name} ({meanings[name]}, {_DOMAIN_WORDS[domain]})" for name, domain in symbols.items()]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Write a formula in {listed}."


def over_root(numerator: int, n: int) -> str:
    """``numerator / √n`` exactly, written as sympy prints it: the largest square a² of n = a²·b
    comes out of the root and the fraction is reduced, so 1/√50 is √2/10 and 3/√16 is 3/4.
    Whole-number arithmetic only (a worked solution should not wait on a computer-algebra system).

    >>> over_root(1, 55), over_root(3, 50), over_root(-2, 8), over_root(3, 16), over_root(0, 7)
    ('√55/55', '3*√2/10', '-√2/2', '3/4', '0')
    """
    if n <= 0:
        raise ValueError(f"expected a positive n, got {n}")
    a = next(k for k in range(math.isqrt(n), 0, -1) if n % (k * k) == 0)
    b = n // (a * a)
    top, bottom = numerator, a * b if b > 1 else a
    g = math.gcd(top, bottom)
    top, bottom = top // g, bottom // g
    if top == 0:
        return "0"
    sign, top = ("-" if top < 0 else ""), abs(top)
    if b == 1:
        return f"{sign}{top}" + (f"/{bottom}" if bottom != 1 else "")
    head = f"{sign}√{b}" if top == 1 else f"{sign}{top}*√{b}"
    return head + (f"/{bottom}" if bottom != 1 else "")


def exact_cosine(u: list[float], v: list[float]) -> str:
    """The cosine similarity of two whole-number vectors exactly: ``u·v / √(‖u‖² ‖v‖²)``.

    >>> exact_cosine([1, 2], [3, -1])
    '√2/10'
    """
    a, b = [int(x) for x in u], [int(x) for x in v]
    dot, uu, vv = (sum(x * y for x, y in zip(p, q)) for p, q in ((a, b), (a, a), (b, b)))
    return over_root(dot, uu * vv)


