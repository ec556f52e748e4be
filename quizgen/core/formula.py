"""Formula answers: reading a typed expression safely, and deciding whether two are equivalent.

A formula answer's value is ``{"formula": TEXT, "symbols": {NAME: DOMAIN, ...}}``: the key (or a
named mistake) written in the grammar below, and the symbols the problem declares with the
domain each ranges over (``DOMAINS``). The same reader reads the key and what a learner types.

The language is quizgen's one expression language (``quizgen.core.expression``, described for
people in docs/answers.md): the declared symbols, the constants ``pi`` and ``e``, its functions,
products written without ``*`` where nothing else is meant (``4d^2``, ``2(d + 1)``, ``d h``,
``dh`` when it splits into declared names one way only).

Nothing is ever passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the parser builds a
small tree of tuples, and sympy objects are made from that tree with sympy's constructors.
Length, nesting, size and constant exponents are capped, so any input costs little time.

Equivalence (``quizgen.core.equivalence.equivalent``) is decided there: exactly, in rational
arithmetic on a degree grid, wherever the formulas are rational; with many-digit evaluation at
seeded points and sympy's algebra (built from these trees, with a time cap) where functions make
exact arithmetic impossible. ``sample_points`` (the readable ``POINTS`` and ``DRAWN`` more seeded by
the two formulas) are where a message shows a difference, and all the card script decides on.
"""

from __future__ import annotations

import functools
import math
import operator
from fractions import Fraction
from typing import Any

from quizgen.core.errors import AnswerParseError, show_typed
from quizgen.core.expression import Node, TooLarge, Undefined, Unreadable, read_formula, text
from quizgen.core.expression import evaluate as _evaluate

ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
"""The four operations of a formula tree, for floats and Fractions alike."""

MAX_FORMULA_LENGTH = 400
"""Longest accepted formula, in characters."""

__all__ = ["Node", "text"]  # the tree and its writer, from quizgen.core.expression

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

# --------------------------------------------------------------------------------------------
# Reading


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
            raise Unreadable(f"it is {len(text)} characters long and at most {MAX_FORMULA_LENGTH} are read")
        return read_formula(text, symbols)
    except Unreadable as exc:
        raise AnswerParseError(f"could not read {show_typed(text)} as a formula: {exc}; try {_example(symbols)}") from None


def _example(symbols: dict[str, str]) -> str:
    names = list(symbols) or ["x"]
    a, b = names[0], names[-1]
    return f"an expression such as 2*{a}^2 + {b}/4, sqrt({a}) or exp(-{b})"


# --------------------------------------------------------------------------------------------
# Evaluating and comparing


def evaluate(node: Node, values: dict[str, float]) -> float:
    """The formula's value with ``values`` for its symbols: nan where it is undefined, inf where it
    overflows."""
    try:
        return _evaluate(node, values)
    except TooLarge:
        return math.inf
    except Undefined:
        return math.nan


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


DRAWN_RANGES = {"size": (1, 100, 1), "positive": (1, 1000, 100), "unit": (1, 999, 1000), "real": (-1000, 2001, 100)}
"""How a drawn 32-bit number r becomes a value of each domain, ``(low + r % count) / divisor``:
sizes 1 to 100, positive values 0.01 to 10, unit values 0.001 to 0.999, reals -10 to 10, so that
doubles neither overflow nor underflow on the way (e^-t for t = 1000 is 0 in a double)."""


def _drawn_value(domain: str, r: int) -> float:
    low, count, divisor = DRAWN_RANGES[domain]
    return (low + r % count) / divisor


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


_OPERATIONS = ("add", "sub", "mul", "div", "pow")


def _works_on_numbers(node: Node) -> bool:
    """Whether some operation in ``node`` has only numbers under it (``4 - 2``, ``3*4``)."""
    def numbers(n: Node) -> bool:
        return n[0] == "num" or (n[0] in _OPERATIONS and numbers(n[1]) and numbers(n[2]))

    return (node[0] in _OPERATIONS and numbers(node)) or any(isinstance(part, tuple) and _works_on_numbers(part) for part in node[1:])


def _fold(n: Node) -> Node:
    """``n`` with every operation on numbers alone done exactly, and the numbers of each product
    or quotient gathered into one fraction; a worked-out number is ``("frac", Fraction)``."""
    op = n[0]
    if op == "num":  # a whole number; a decimal (0.9) stays as written, never 9/10
        return ("frac", Fraction(n[1])) if n[1].isdigit() and len(n[1]) <= _FOLD_DIGITS else n
    if op in ("sym", "const"):
        return n
    if op == "call":
        return ("call", n[1], _fold(n[2]))
    if op in ("mul", "div", "neg"):
        top: list[Node] = []
        bottom: list[Node] = []
        numbers: list[Fraction] = []
        coefficient = _factors(n, top, bottom, False, numbers)
        # Gathered where that removes a number (4/(4*T^2)) or leaves only one; 0.5*4*T keeps its order.
        if coefficient is not None and numbers and (len(numbers) >= 2 or not top + bottom or coefficient == -1):
            return _product(coefficient, top, bottom)
        return ("neg", _fold(n[1])) if op == "neg" else (op, _fold(n[1]), _fold(n[2]))
    a, b = _fold(n[1]), _fold(n[2])
    if a[0] == "frac" and b[0] == "frac":
        x, y = a[1], b[1]
        if op in ("add", "sub") and _small(v := x + y if op == "add" else x - y):
            return ("frac", v)
        # pow: an exact power, where that is no longer to write (2^3 is 8; 9^10 stays)
        if op == "pow" and y.denominator == 1 and (x != 0 or y >= 0) and abs(y) * max(x.numerator.bit_length(), x.denominator.bit_length()) <= 40:
            v = x ** int(y)
            if len(text(_unfrac(("frac", v)))) <= len(text(n)):
                return ("frac", v)
    return (op, a, b)


_FOLD_DIGITS = 12
"""Worked-out numbers keep to this many digits (numerator and denominator); a fold that would
need more is left as written."""


def _small(v: Fraction) -> bool:
    return abs(v.numerator) < 10**_FOLD_DIGITS and v.denominator < 10**_FOLD_DIGITS


def _factors(n: Node, top: list[Node], bottom: list[Node], under: bool, numbers: list[Fraction]) -> Fraction | None:
    """The numbers of the product or quotient ``n`` multiplied out (None for a division by 0 or
    a number too long), each appended to ``numbers``; its other factors appended to ``top`` or,
    divided by, to ``bottom``."""
    if n[0] == "neg":
        inner = _factors(n[1], top, bottom, under, numbers)
        return None if inner is None else -inner
    if n[0] in ("mul", "div"):
        left = _factors(n[1], top, bottom, under, numbers)
        right = _factors(n[2], top, bottom, under if n[0] == "mul" else not under, numbers)
        return None if left is None or right is None or not _small(left * right) else left * right
    f = _fold(n)
    if f[0] != "frac":
        (bottom if under else top).append(f)
        return Fraction(1)
    numbers.append(f[1])
    if under and f[1] == 0:
        return None
    return 1 / f[1] if under else f[1]


def _product(coefficient: Fraction, top: list[Node], bottom: list[Node]) -> Node:
    """coefficient · top / bottom as a tree: 1/(2*T^2), 12*d^2, -1/(5*T)."""
    if coefficient == 0:
        return ("frac", Fraction(0))
    p, q = abs(coefficient.numerator), coefficient.denominator

    def chain(parts: list[Node]) -> Node:
        node = parts[0]
        for part in parts[1:]:
            node = ("mul", node, part)
        return node

    over: list[Node] = [("frac", Fraction(p))] if p != 1 or not top else []
    over += top
    if coefficient < 0:  # the sign on the first factor: -1/(5*T), -2*T, -T/3
        over[0] = ("frac", -over[0][1]) if over[0][0] == "frac" else ("neg", over[0])
    under = [("frac", Fraction(q))] if q != 1 else []
    return ("div", chain(over), chain(under + bottom)) if under + bottom else chain(over)


def _unfrac(n: Node) -> Node:
    """The tree with each worked-out number written as the reader writes numbers."""
    if n[0] == "frac":
        v = n[1]
        node: Node = ("num", str(abs(v.numerator)))
        if v.denominator != 1:
            node = ("div", node, ("num", str(v.denominator)))
        return ("neg", node) if v < 0 else node
    return (n[0], *(_unfrac(part) if isinstance(part, tuple) else part for part in n[1:]))


def folded(text_: str, symbols: dict[str, str]) -> str:
    """A formula with its whole numbers worked out exactly: the numbers put into a written
    formula, ``(4 - 2)/(4*T^2)``, become ``1/(2*T^2)``, and ``3*4*d^2`` becomes ``12*d^2``.
    Only a formula with an operation on numbers alone changes (an author's
    ``lr0*(1 + cos(pi*t/T))/2`` keeps its form); decimals stay as written, numbers stay short
    (``_FOLD_DIGITS``), and the result must read back and agree at every readable point."""
    return _folded(text_, tuple(symbols.items()))


@functools.lru_cache(maxsize=4096)
def _folded(text_: str, declared: tuple[tuple[str, str], ...]) -> str:
    # Remembered: a template draws the same few numbers again and again.
    symbols = dict(declared)
    node = read(text_, symbols)
    if not _works_on_numbers(node):
        return text_
    try:
        written = text(_unfrac(_fold(node)))
        simpler = read(written, symbols)  # what every face will read
    except (AnswerParseError, ArithmeticError, ValueError):
        return text_
    for point in points(symbols):
        a, b = evaluate(node, point), evaluate(simpler, point)
        if not (a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= RTOL * max(abs(a), abs(b)))):
            return text_
    return written


def symbolic_zero(key: Node, other: Node, symbols: dict[str, str]) -> bool:
    """Whether sympy reduces ``key − other`` to 0 (expanding powers and logs of the positive
    symbols, then cancelling; then with the arguments of sin and cos split into partial fractions
    in each symbol in turn); False when it cannot show it."""
    import sympy

    diff = to_sympy(key, symbols) - to_sympy(other, symbols)
    for step in (sympy.expand, lambda e: sympy.expand_log(e, force=True), sympy.cancel, sympy.simplify):
        diff = step(diff)
        if diff == 0:
            return True
    # cos(π(T − t)/(T − W)) is −cos(π(t − W)/(T − W)): written as π + π(W − t)/(T − W), its
    # argument is one sympy's own rules turn (cos(π + x) = −cos x), which nothing above does.
    for symbol in sorted(diff.free_symbols, key=str) if diff.has(sympy.sin, sympy.cos) else ():
        try:
            split = diff.replace(lambda e: isinstance(e, (sympy.sin, sympy.cos)),
                                 lambda e, symbol=symbol: e.func(sympy.apart(sympy.together(e.args[0]), symbol)))
        except (sympy.PolynomialError, NotImplementedError):
            continue
        if sympy.expand(split) == 0:
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


