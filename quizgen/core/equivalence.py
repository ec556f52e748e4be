"""Deciding whether a typed formula equals the key: exactly where algebra allows, by a written
rule where it does not (docs/answers.md, "Formulas", says the same for people).

1. **Exact, rational part.** Each formula is read as a rational function of its symbols and of
   its *atoms*: every part that is not rational (``sqrt(…)``, ``exp(…)``, ``log(…)``, ``cos(…)``,
   ``pi``, ``e``, a power whose exponent is not a whole number) is one atom, named by its written
   form, and treated as one more unknown. With ``a = P/Q`` and ``b = R/S`` (numerators and
   denominators kept apart, never divided out), ``a`` equals ``b`` as a rational function exactly
   when the polynomial ``P·S − R·Q`` is zero (and ``Q``, ``S`` are not). A bound on its degree in
   each unknown is read off the trees (``_degrees``); a polynomial of degree at most ``k`` in each
   unknown that vanishes on a grid of ``k + 1`` distinct values per unknown is identically zero,
   so when that grid has at most ``GRID_BUDGET`` points it is evaluated in exact rational
   arithmetic (``fractions.Fraction``) and the answer is certain. A larger grid is replaced by
   ``RANDOM_POINTS`` points drawn from about 2^40 values per unknown (Schwartz–Zippel: a nonzero
   polynomial of total degree D vanishes at such a point with probability at most D / 2^40).
   Values are drawn inside each symbol's domain, from a generator seeded by the key and the
   typed text, never from public constants.
2. When the two agree as functions of symbols and atoms, they are equal (sound: putting the atoms'
   values back in keeps an identity). When they differ and neither has atoms, they differ
   somewhere in the domain (a nonzero rational function cannot vanish on a product of infinite
   sets): wrong, for certain.
3. **Atoms that differ** (``e^x`` against ``exp(x)``, ``d^(1/2)`` against ``sqrt(d)`` are made the
   same atom; ``cos(pi*t/T)`` against ``cos(t*pi/T)`` are not): both are evaluated with mpmath
   to ``NUMERIC_DIGITS`` digits at ``NUMERIC_POINTS`` seeded points of the domain; a difference
   far above the working precision at any point is wrong. Where they agree, the answer is right
   only if sympy, built from the parsed trees and never from text, reduces the difference to 0
   within ``SYMPY_SECONDS``; otherwise the verdict is undecided and the learner is asked for a
   more direct form. So "right" always rests on an identity, never on sampling alone.

Degrees are capped (``MAX_DEGREE`` per unknown, and exact numbers at ``MAX_BITS`` bits), so any
accepted formula is decided in bounded time; a formula beyond the caps is undecided.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
import threading
from collections import Counter
from fractions import Fraction
from typing import Any

from quizgen.core.errors import AnswerParseError
from quizgen.core.formula import ARITHMETIC, Node, read, symbolic_zero, text

MAX_DEGREE = 256
"""Largest degree bound, in any one unknown, that is decided (``(d^64)^4`` is 256)."""

MAX_BITS = 200_000
"""Largest exact number built while evaluating (about 60,000 digits)."""

GRID_BUDGET = 4096
"""Most points of an exact degree grid; beyond it, ``RANDOM_POINTS`` random points."""

RANDOM_POINTS = 12
NUMERIC_POINTS = 16
NUMERIC_DIGITS = 60
MAX_DIGITS = 4000
"""Most digits a point is evaluated with, when a large part of a formula cancels."""
SYMPY_SECONDS = 3.0

EQUAL, DIFFERENT, UNDECIDED = "equal", "different", "undecided"

_ONE = Fraction(1)
_SPAN = 2**40


class TooLarge(Exception):
    """A degree or an exact number beyond the caps: the formula is not decided."""


def _rng(key: Node, typed: Node, salt: str) -> random.Random:
    digest = hashlib.sha256(f"{salt}\n{text(key)}\n{text(typed)}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


# --------------------------------------------------------------------------------------------
# The rational structure: atoms, exact constants, degree bounds


def _exact_constant(node: Node) -> Fraction | None:
    """The exact value of a subtree with no symbols and no atoms, or None."""
    op = node[0]
    if op == "num":
        return Fraction(node[1])
    if op == "neg":
        v = _exact_constant(node[1])
        return None if v is None else -v
    if op in ("add", "sub", "mul", "div"):
        a, b = _exact_constant(node[1]), _exact_constant(node[2])
        if a is None or b is None or (op == "div" and b == 0):
            return None
        return ARITHMETIC[op](a, b)
    if op == "pow":
        k = _whole_exponent(node)
        base = _exact_constant(node[1])
        if k is None or base is None or (base == 0 and k < 0):
            return None
        return _power(base, k)
    return None


def _whole_exponent(node: Node) -> int | None:
    """The exponent of a power node when it is a constant whole number (parsed as at most 64)."""
    v = _exact_constant(node[2])
    return int(v) if v is not None and v.denominator == 1 else None


def _power(base: Fraction, k: int) -> Fraction:
    bits = base.numerator.bit_length() + base.denominator.bit_length()
    if bits * abs(k) > MAX_BITS:
        raise TooLarge("a power is too large to check exactly")
    return base**k


def atom_name(node: Node) -> str | None:
    """The name of a subtree when it is an atom (not rational in the symbols), else None."""
    op = node[0]
    if op == "const":
        return "e" if node[1] == "e" else "pi"
    if op == "call":
        return f"{node[1]}({text(node[2])})"
    if op == "pow" and _whole_exponent(node) is None:
        if node[1] == ("const", "e"):
            return f"exp({text(node[2])})"
        if _exact_constant(node[2]) == Fraction(1, 2):
            return f"sqrt({text(node[1])})"
        return text(node)
    return None


def plan(node: Node) -> Node:
    """The tree with its rational structure made explicit, computed once per formula:
    ``("atom", name, subtree)``, ``("num", Fraction)``, ``("sym", name)``, ``("neg", a)``,
    ``("pow", a, k)`` with a whole ``k``, or ``("add" | "sub" | "mul" | "div", a, b)``."""
    name = atom_name(node)
    if name is not None:
        return ("atom", name, node)
    op = node[0]
    if op == "num":
        return ("num", Fraction(node[1]))
    if op == "sym":
        return node
    if op == "neg":
        return ("neg", plan(node[1]))
    if op == "pow":
        return ("pow", plan(node[1]), _whole_exponent(node))
    return (op, plan(node[1]), plan(node[2]))


Degrees = tuple[Counter[str], Counter[str]]


def _degrees(p: Node) -> Degrees:
    """Upper bounds on the degree, in each unknown, of the numerator and the denominator."""
    op = p[0]
    if op in ("atom", "sym"):
        return Counter({p[1]: 1}), Counter()
    if op == "num":
        return Counter(), Counter()
    if op == "neg":
        return _degrees(p[1])
    if op == "pow":
        k = p[2]
        n, d = _degrees(p[1])
        n, d = (n, d) if k >= 0 else (d, n)
        return Counter({v: abs(k) * c for v, c in n.items()}), Counter({v: abs(k) * c for v, c in d.items()})
    (n1, d1), (n2, d2) = _degrees(p[1]), _degrees(p[2])
    if op == "mul":
        return n1 + n2, d1 + d2
    if op == "div":
        return n1 + d2, d1 + n2
    return _max(n1 + d2, n2 + d1), d1 + d2  # add, sub


def _max(a: Counter[str], b: Counter[str]) -> Counter[str]:
    return Counter({v: max(a[v], b[v]) for v in set(a) | set(b)})


def _pair(p: Node, values: dict[str, Fraction]) -> tuple[Fraction, Fraction]:
    """The numerator and denominator polynomials' values at ``values`` (symbols and atoms)."""
    op = p[0]
    if op in ("atom", "sym"):
        return values[p[1]], _ONE
    if op == "num":
        return p[1], _ONE
    if op == "neg":
        a, b = _pair(p[1], values)
        return -a, b
    if op == "pow":
        k = p[2]
        a, b = _pair(p[1], values)
        a, b = (a, b) if k >= 0 else (b, a)
        return _power(a, abs(k)), _power(b, abs(k))
    (p1, q1), (p2, q2) = _pair(p[1], values), _pair(p[2], values)
    if op == "mul":
        return p1 * p2, q1 * q2
    if op == "div":
        return p1 * q2, q1 * p2
    return (p1 * q2 + p2 * q1 if op == "add" else p1 * q2 - p2 * q1), q1 * q2


def _atoms(p: Node) -> dict[str, Node]:
    if p[0] == "atom":
        return {p[1]: p[2]}
    out: dict[str, Node] = {}
    for c in p[1:]:
        if isinstance(c, tuple) and p[0] != "atom":
            out.update(_atoms(c))
    return out


def _head(node: Node) -> tuple[str, tuple[Node, ...]]:
    """An atom's function and arguments: ``e^x`` is ``exp(x)``, ``x^(1/2)`` is ``sqrt(x)``."""
    if node[0] == "const":
        return node[1], ()
    if node[0] == "call":
        return node[1], (node[2],)
    if node[1] == ("const", "e"):
        return "exp", (node[2],)
    if _exact_constant(node[2]) == Fraction(1, 2):
        return "sqrt", (node[1],)
    return "pow", (node[1], node[2])


def _unify(atoms: dict[str, Node], symbols: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Each atom's representative: the first atom of the same function whose arguments are the
    same rational function (decided as above), so ``cos(pi*t/T)`` and ``cos(t*pi/T)`` are one."""
    rep: dict[str, str] = {}
    for name in sorted(atoms):
        rep[name] = name
        head, args = _head(atoms[name])
        for other in sorted(set(rep.values()) - {name}):
            other_head, other_args = _head(atoms[other])
            if head == other_head and len(args) == len(other_args) and all(_same(a, b, symbols, rng) for a, b in zip(args, other_args)):
                rep[name] = other
                break
    return rep


def _same(a: Node, b: Node, symbols: dict[str, str], rng: random.Random) -> bool:
    try:
        return formally_equal(a, b, symbols, rng)[0]
    except TooLarge:
        return False


def _draw(domain: str, rng: random.Random) -> Fraction:
    """One value of a domain, from about 2^40 of them."""
    p = rng.randrange(1, _SPAN)
    if domain == "size":
        return Fraction(p)
    if domain == "unit":
        return Fraction(p, _SPAN)
    if domain == "positive":
        return Fraction(p, 2**20)
    return Fraction(p - _SPAN // 2, 2**20)  # real (and atoms)


def formally_equal(key: Node, typed: Node, symbols: dict[str, str], rng: random.Random) -> tuple[bool, dict[str, Fraction] | None]:
    """Whether the two are the same rational function of the symbols and atoms (exact on a
    degree grid, else Schwartz–Zippel at random points), and a point where they differ when one
    was met. Raises TooLarge beyond the caps."""
    key, typed = plan(key), plan(typed)
    rep = _unify(_atoms(key) | _atoms(typed), symbols, rng)
    (n1, d1), (n2, d2) = _degrees(key), _degrees(typed)
    bound: Counter[str] = Counter()
    for name, degree in _max(n1 + d2, n2 + d1).items():
        bound[rep.get(name, name)] += degree
    unknowns = [*symbols, *sorted(set(rep.values()))]
    if any(bound[v] > MAX_DEGREE for v in unknowns):
        raise TooLarge(f"its degree is above {MAX_DEGREE}")
    domains = {v: symbols.get(v, "real") for v in unknowns}
    grid = math.prod(bound[v] + 1 for v in unknowns)
    if grid <= GRID_BUDGET:
        axes = []
        for v in unknowns:
            seen: set[Fraction] = set()
            while len(seen) < bound[v] + 1:
                seen.add(_draw(domains[v], rng))
            axes.append(sorted(seen))
        points = (dict(zip(unknowns, combo)) for combo in itertools.product(*axes))
    else:
        points = ({v: _draw(domains[v], rng) for v in unknowns} for _ in range(RANDOM_POINTS))
    key_defined = typed_defined = False
    for values in points:
        values.update({name: values[r] for name, r in rep.items()})
        (p, q), (r, s) = _pair(key, values), _pair(typed, values)
        if p * s != r * q:
            return False, values
        key_defined, typed_defined = key_defined or q != 0, typed_defined or s != 0
    return key_defined and typed_defined, None


# --------------------------------------------------------------------------------------------
# High precision where atoms differ, and sympy's bounded cross-check


_MAX_MAG = 100_000
"""Largest magnitude, in bits, of a value evaluated with mpmath (about 10^30000); beyond it the
value counts as overflowing (no value), as a double's inf does."""


def _mp_call(name: str, x: Any, mp: Any) -> Any:
    if (name in ("sqrt", "log") and x < 0) or (name == "log" and x == 0):
        return None
    if (name == "exp" and abs(x) > _MAX_MAG // 2) or (name in ("sin", "cos") and mp.mag(x) > 3000):
        return None
    return {"sqrt": mp.sqrt, "exp": mp.exp, "log": mp.log, "sin": mp.sin, "cos": mp.cos, "abs": abs}[name](x)


def _mp_value(node: Node, values: dict[str, Any], mp: Any) -> tuple[Any, Any]:
    """(value, or None where it is undefined, not real or overflows; largest magnitude met),
    with mpmath."""
    op = node[0]
    if op == "num":
        exact = Fraction(node[1])
        v = mp.mpf(exact.numerator) / exact.denominator
        return v, abs(v)
    if op == "sym":
        return values[node[1]], abs(values[node[1]])
    if op == "const":
        v = +(mp.pi if node[1] == "pi" else mp.e)
        return v, v
    if op in ("neg", "call"):
        x, m = _mp_value(node[-1], values, mp)
        if x is None:
            return None, m
        v = -x if op == "neg" else _mp_call(node[1], x, mp)
    else:
        (a, ma), (b, mb) = _mp_value(node[1], values, mp), _mp_value(node[2], values, mp)
        m = max(ma, mb)
        if a is None or b is None:
            return None, m
        if op == "add":
            v = a + b
        elif op == "sub":
            v = a - b
        elif op == "mul":
            v = a * b
        elif op == "div":
            v = None if b == 0 else a / b
        elif (a == 0 and b <= 0) or (a < 0 and b != int(b)):
            v = None
        elif a != 0 and abs(b * mp.log(abs(a), 2)) > _MAX_MAG:
            v = None
        else:
            v = mp.power(a, b)
    if v is None or not isinstance(v, mp.mpf) or not mp.isfinite(v) or mp.mag(v) > _MAX_MAG:
        return None, m
    return v, max(m, abs(v))


def numeric_witness(key: Node, typed: Node, symbols: dict[str, str], rng: random.Random) -> dict[str, Fraction] | None:
    """A point of the domain where the two differ far beyond the working precision, or None.

    A point where a part of either formula is far larger than the result (``cos(exp(2d))``)
    loses that many digits to cancellation, so it is evaluated again with that many more digits
    (up to ``MAX_DIGITS``); a point still too coarse to tell counts neither way."""
    import mpmath  # type: ignore[import-untyped]

    agreed, missing = False, None
    for _ in range(NUMERIC_POINTS):
        point = {name: _moderate(domain, rng) for name, domain in symbols.items()}
        digits = NUMERIC_DIGITS
        while True:
            with mpmath.workdps(digits):
                values = {name: mpmath.mpf(v.numerator) / v.denominator for name, v in point.items()}
                (k, mk), (x, mx) = _mp_value(key, values, mpmath), _mp_value(typed, values, mpmath)
                if k is None or x is None:
                    break
                scale = max(mk, mx, 1)
                if abs(k - x) > mpmath.mpf(10) ** (20 - digits) * scale:
                    return point
                # Conclusive when the working precision is far finer than the values compared.
                lost = int(mpmath.log10(scale / max(abs(k), abs(x), mpmath.mpf(10) ** -20))) + 1
                if lost <= digits - 40:
                    agreed = True
                    break
            if digits >= MAX_DIGITS:
                break
            digits = min(MAX_DIGITS, NUMERIC_DIGITS + lost)
        if k is not None and x is None:
            missing = missing or point
    # No point where both have a value: nothing to agree on, so not the answer.
    return None if agreed else missing


def _moderate(domain: str, rng: random.Random) -> Fraction:
    """A value of a domain of moderate size, for evaluating functions."""
    if domain == "size":
        return Fraction(rng.randrange(1, 1000))
    if domain == "unit":
        return Fraction(rng.randrange(1, 1000), 1000)
    if domain == "positive":
        return Fraction(rng.randrange(1, 100_000), 1000)
    return Fraction(rng.randrange(-100_000, 100_000), 1000)


_worker: threading.Thread | None = None


def sympy_verdict(key: Node, typed: Node, symbols: dict[str, str], seconds: float = SYMPY_SECONDS) -> str:
    """``EQUAL`` when sympy reduces key − typed to 0 within ``seconds``; ``DIFFERENT`` when what
    is left is a nonzero rational function of the symbols (the functions cancelled); else
    ``UNDECIDED``. sympy has no time limit of its own: the work runs in a daemon thread, left
    behind when it does not finish in time."""
    import sympy

    from quizgen.core.formula import to_sympy

    result: list[str] = []

    def work() -> None:
        diff = sympy.expand(to_sympy(key, symbols) - to_sympy(typed, symbols))
        if diff == 0:
            result.append(EQUAL)
        elif not diff.has(sympy.pi, sympy.E) and diff.is_rational_function():
            # The functions cancelled: what is left is a rational function, decided exactly.
            result.append(EQUAL if sympy.cancel(diff) == 0 else DIFFERENT)
        else:
            result.append(EQUAL if symbolic_zero(key, typed, symbols) else UNDECIDED)

    global _worker
    if _worker is not None and _worker.is_alive():
        _worker.join(seconds)  # one piece of algebra at a time: a runaway one is never joined by more
        if _worker.is_alive():
            return UNDECIDED
    _worker = threading.Thread(target=work, daemon=True)
    _worker.start()
    _worker.join(seconds)
    return result[0] if result else UNDECIDED


def decide(key: Node, typed: Node, symbols: dict[str, str]) -> tuple[str, dict[str, Fraction] | None]:
    """``EQUAL``, ``DIFFERENT`` or ``UNDECIDED`` (module docstring), with a point of the domain
    where they differ when one is known."""
    try:
        equal, point = formally_equal(key, typed, symbols, _rng(key, typed, "exact"))
        if equal:
            return EQUAL, None
        if not _atoms(plan(key)) | _atoms(plan(typed)):
            return DIFFERENT, point
    except (TooLarge, ZeroDivisionError):
        return UNDECIDED, None
    try:
        point = numeric_witness(key, typed, symbols, _rng(key, typed, "numeric"))
    except (ArithmeticError, ValueError, MemoryError):
        return UNDECIDED, None
    if point is not None:
        return DIFFERENT, point
    return sympy_verdict(key, typed, symbols), None


def exact_difference(key: Node, typed: Node, values: dict[str, Fraction]) -> Fraction | None:
    """typed − key at a point, exactly, for formulas without atoms; None where either is undefined."""
    try:
        (p, q), (r, s) = _pair(plan(key), values), _pair(plan(typed), values)
    except (TooLarge, KeyError, ZeroDivisionError):
        return None
    if q == 0 or s == 0:
        return None
    return r / s - p / q


def equivalent(key: Any, other: Any) -> bool:
    """Whether two formula values (``{"formula", "symbols"}``) are equal (``decide``); malformed
    values never are (and never raise)."""
    try:
        return _equivalent(key["formula"], other["formula"], tuple(dict(key["symbols"]).items()))
    except (AnswerParseError, KeyError, TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=4096)
def _equivalent(key: str, other: str, symbols: tuple[tuple[str, str], ...]) -> bool:
    """``equivalent`` on the texts, remembered: the builder compares a template's key with each
    of its named mistakes in every variant, and a formula template's variants repeat a handful of
    formulas (10,000 problems of every family held 13 distinct sets), so each pair is decided
    once per process. The decision depends on the texts alone (its points are seeded by them)."""
    domains = dict(symbols)
    return decide(read(key, domains), read(other, domains), domains)[0] == EQUAL
