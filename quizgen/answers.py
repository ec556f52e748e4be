"""Reading and judging what a learner types: the one answer judge of quizgen.

The terminal drill, the Anki cards and the grader all decide "right or wrong" here, so the rules
live in one place (and are written out for people in ``docs/answers.md``; the shared test table
``tests/data/judge_vectors.json`` pins them for any other implementation).

The reader is a small hand-written tokenizer and recursive-descent parser for arithmetic
expressions: the textbook grammar of sums of products of signed powers, with the operator
precedence of the Python Language Reference, section 6.17 "Operator precedence" (unary minus binds
looser than a power, so -2^2 is -4; powers group from the right). It evaluates eagerly in
IEEE-754 double precision with the ``math`` module. It never hands
typed text to ``eval``/``exec``/``compile`` or to any symbolic-math library, and it caps the input
length, the bracket depth and the count of numbers, so that hostile input costs a bounded, small
amount of time. Powers are float powers: a tower such as ``9^9^9^9`` overflows at once (and is
reported) instead of building a huge integer.

Numbers are compared with a mixed tolerance, ``|x - k| <= max(abs, rel * |k|)`` (the same test as
``math.isclose`` with ``rel_tol``/``abs_tol``, but relative to the key only).

This module must stay importable without torch, numpy or sympy: the drill shows and judges a
question before any of those is loaded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from quizgen.core.answer import ANSWER_KINDS, Answer, Misconception
from quizgen.core.errors import AnswerParseError

__all__ = [
    "MAX_DEPTH",
    "MAX_DIMS",
    "MAX_ENTRIES",
    "MAX_LENGTH",
    "Tolerance",
    "Verdict",
    "close",
    "describe_expected",
    "examples",
    "format_value",
    "judge",
    "parse",
]

MAX_LENGTH = 2000
"""Longest accepted answer text, in characters (a 20×20 matrix typed by hand fits easily)."""

MAX_DEPTH = 16
"""Deepest accepted nesting of brackets and function calls."""

MAX_ENTRIES = 400
"""Most numbers accepted in one vector or matrix answer (a 20×20 matrix)."""

MAX_DIMS = 64
"""Most dimensions accepted in a shape (torch itself allows at most 64)."""

_MAX_SHAPE_DIGITS = 15
"""Longest accepted shape entry, in digits: keeps entries exact in a JavaScript number too."""

# A relative slack on every tolerance test, so that a value exactly on the boundary (0.201 against
# 0.2 at 0.5%) counts as inside despite binary rounding of the decimal inputs.
_SLACK = 1e-9


@dataclass(frozen=True)
class Tolerance:
    """How far a typed number may be from the key and still count as right.

    A number ``x`` matches a key ``k`` when ``|x - k| <= max(abs, rel * |k|)``. The defaults suit
    people computing by hand: half a percent of the key, or 5e-4 absolute near zero (where a
    relative test would demand impossible precision).

    Attributes:
        rel: Relative tolerance, a fraction of ``|k|``.
        abs: Absolute tolerance, used when it is larger than ``rel * |k|``.
    """

    rel: float = 0.005
    abs: float = 0.0005

    def __post_init__(self) -> None:
        for name in ("rel", "abs"):
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
            if not ok or not math.isfinite(v) or v < 0:
                raise ValueError(
                    f"Tolerance.{name} must be a finite number >= 0, but got {v!r}; "
                    "the defaults are rel=0.005, abs=0.0005"
                )

    def width(self, key: float) -> float:
        """The largest allowed ``|x - key|``."""
        return max(self.abs, self.rel * abs(key))

    def accepts(self, key: float, x: float) -> bool:
        """Whether ``x`` is within tolerance of ``key`` (both finite)."""
        return abs(x - key) <= self.width(key) * (1 + _SLACK)

    def phrase(self) -> str:
        """The tolerance in words, for messages: ``0.5% (or 0.0005 near zero)``."""
        if self.rel == 0 and self.abs == 0:
            return "exactly"
        if self.rel == 0:
            return f"to within {self.abs:g}"
        if self.abs == 0:
            return f"to within {self.rel * 100:g}%"
        return f"to within {self.rel * 100:g}% (or {self.abs:g} near zero)"


@dataclass(frozen=True)
class Verdict:
    """The judge's decision on one typed answer.

    Attributes:
        status: ``"right"``, ``"wrong"``, ``"too-few-figures"`` or ``"unreadable"``.
        message: One or two specific sentences for the learner.
        given: The value read from the text (same JSON form as the key), or None if unreadable.
        misconception: The known mistake whose value the answer matches, or None.
        entries_right: For vectors and matrices, how many entries are within tolerance (0 when
            the dimensions differ from the key's); None for numbers, shapes and unreadable text.
        entries_total: For vectors and matrices, the key's count of entries; else None.
        wrong_entries: Zero-based indices of the wrong entries: ``(i,)`` for vectors,
            ``(row, col)`` for matrices; empty when not applicable.
    """

    status: str
    message: str
    given: Any = None
    misconception: Misconception | None = None
    entries_right: int | None = None
    entries_total: int | None = None
    wrong_entries: tuple[tuple[int, ...], ...] = ()

    @property
    def correct(self) -> bool:
        """Whether the answer counts as right."""
        return self.status == "right"


# --------------------------------------------------------------------------------------------
# Messages

_EXAMPLE_LISTS: dict[str, tuple[str, ...]] = {
    "number": ("0.25", "1/4", "2.5e-3", "sqrt(2)/2"),
    "vector": ("[0.5, -1, 2]", "0.5 -1 2", "[1/2, sqrt(2)]"),
    "matrix": ("[[1, 2], [3, 4]]", "1 2; 3 4", "[[1/2, 0], [0, sqrt(2)]]"),
    "shape": ("(3, 1, 4)", "3x1x4", "torch.Size([3, 1, 4])", "()", "error"),
}

_WHAT = {"number": "a number", "vector": "a vector", "matrix": "a matrix", "shape": "a shape"}


def _check_kind(kind: str) -> None:
    if kind not in ANSWER_KINDS:
        raise ValueError(f"Expected an answer kind in {ANSWER_KINDS}, but got {kind!r}")


def examples(kind: str) -> str:
    """Answers of this kind that the reader accepts, for the "try …" part of a message.

    >>> examples("number")
    '0.25, 1/4, 2.5e-3 or sqrt(2)/2'
    """
    _check_kind(kind)
    items = _EXAMPLE_LISTS[kind]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _show_char(c: str) -> str:
    if c.isprintable():
        return c
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _show(text: str, limit: int = 40) -> str:
    """The typed text, quoted for a message: trimmed, shortened, control characters escaped."""
    t = text.strip()
    if len(t) > limit:
        t = t[: limit - 3] + "…"
    return "'" + "".join(_show_char(c) for c in t) + "'"


def _clip(text: str, limit: int = 24) -> str:
    """A piece of the typed text for a message: at most ``limit`` characters, escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(_show_char(c) for c in text)


def _dims_phrase(kind: str, value: Any) -> str:
    """``a vector of 3 numbers`` / ``a 2×3 matrix`` / ``a number``, for what was read."""
    if kind == "number":
        return "a number"
    if kind == "vector":
        n = len(value)
        return f"a vector of {n} number" + ("" if n == 1 else "s")
    rows = len(value)
    cols = len(value[0]) if rows else 0
    return f"a {rows}×{cols} matrix"


class _Fail(Exception):
    """Internal: a reason the text could not be read (the message is built by the caller)."""


# --------------------------------------------------------------------------------------------
# Tokenizer for numbers, vectors and matrices

_NUM_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACES = frozenset(" \t\u00a0\u2009\u202f")
_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_OPERATOR_CHARS = {
    "+": "+",
    "-": "-",
    "\u2212": "-",  # the typographic minus sign
    "*": "*",
    "·": "*",
    "×": "*",
    "/": "/",
    "^": "^",
}
_PUNCT = frozenset("()[],;")

_CONSTANTS = {"pi": math.pi, "e": math.e}


@dataclass
class _Tok:
    kind: str  # num, name, op, sqrt, nl, end, or one of ( ) [ ] , ;
    text: str
    pos: int
    space_before: bool

    def starts_operand(self) -> bool:
        return self.kind in ("num", "name", "sqrt", "(", "[")


def _tokenize(s: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(s)
    space = False
    while i < n:
        c = s[i]
        if c in _SPACES:
            space = True
            i += 1
            continue
        if c in "\r\n":
            j = i + 2 if s.startswith("\r\n", i) else i + 1
            toks.append(_Tok("nl", "\n", i, space))
            space = True
            i = j
            continue
        m = _NUM_RE.match(s, i)
        if m:
            toks.append(_Tok("num", m.group(), i, space))
            i = m.end()
        elif (m := _NAME_RE.match(s, i)) is not None:
            toks.append(_Tok("name", m.group(), i, space))
            i = m.end()
        elif c == "π":
            toks.append(_Tok("name", "pi", i, space))
            i += 1
        elif c == "√":
            toks.append(_Tok("sqrt", c, i, space))
            i += 1
        elif s.startswith("**", i):
            toks.append(_Tok("op", "^", i, space))
            i += 2
        elif c in _OPERATOR_CHARS:
            toks.append(_Tok("op", _OPERATOR_CHARS[c], i, space))
            i += 1
        elif c in _PUNCT:
            toks.append(_Tok(c, c, i, space))
            i += 1
        elif c == "%":
            raise _Fail("percentages are not read: write 50% as 0.5")
        elif c in _SUPERSCRIPTS:
            raise _Fail("write powers with ^, as in 2^3")
        elif c == "=":
            raise _Fail("type only the value, not an equation")
        elif c == ".":
            raise _Fail(f"a '.' at position {i + 1} is not part of a number")
        else:
            raise _Fail(f"unexpected character '{_show_char(c)}' at position {i + 1}")
        space = False
    toks.append(_Tok("end", "", n, space))
    return toks


def _literal_figures(text: str) -> tuple[int, int] | None:
    """Significant figures and the decimal place of the last one, for a number literal.

    Returns ``(n, p)``: ``n`` significant figures, the last in the ``10**p`` place; None when
    the literal has no significant figure (it is all zeros).

    >>> _literal_figures("0.40"), _literal_figures("120"), _literal_figures("2.5e4")
    ((2, -2), (2, 1), (2, 3))
    """
    mant, _, exp_text = text.lower().partition("e")
    exp = int(exp_text) if exp_text else 0
    if "." in mant:
        whole, frac = mant.split(".")
        n = len((whole + frac).lstrip("0"))
        place = exp - len(frac)
    else:
        # Trailing zeros of a whole number are read as placeholders (120 has two figures),
        # because that is what a learner who rounds 123.4 to "120" means.
        stripped = mant.lstrip("0")
        core = stripped.rstrip("0")
        n = len(core)
        place = exp + len(stripped) - len(core)
    if n == 0:
        return None
    return n, place


# --------------------------------------------------------------------------------------------
# Parser

@dataclass
class _Scalar:
    value: float
    figures: tuple[int, int] | None = None


@dataclass
class _List:
    items: list[Any]
    comma: bool = False
    space: bool = False


def _finite(v: float) -> float:
    if math.isnan(v):
        raise _Fail("the result is not a number")
    if math.isinf(v):
        raise _Fail("the result is too large")
    return v


def _apply(fn: Callable[..., float], *args: float, domain: str) -> float:
    try:
        return _finite(fn(*args))
    except OverflowError:
        raise _Fail("the result is too large") from None
    except ZeroDivisionError:
        raise _Fail("it divides by zero") from None
    except ValueError:
        raise _Fail(domain) from None


def _pow(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        domain = "it raises 0 to a negative power"
    else:
        domain = "it raises a negative number to a fractional power"
    return _apply(math.pow, base, exponent, domain=domain)


def _div(a: float, b: float) -> float:
    if b == 0:
        raise _Fail("it divides by zero")
    return _apply(lambda x, y: x / y, a, b, domain="it divides by zero")


_FUNCTION_IMPL: dict[str, tuple[Callable[[float], float], str]] = {
    "sqrt": (math.sqrt, "it takes the square root of a negative number"),
    "exp": (math.exp, "exp cannot take that value"),
    "log": (math.log, "it takes the log of zero or of a negative number"),
    "ln": (math.log, "it takes the log of zero or of a negative number"),
}


class _Parser:
    """Recursive descent over the token list, evaluating as it goes.

    Grammar (``[...]`` and the top level separate entries by commas or spaces, ``(...)`` by
    commas only; rows by ``;`` or new lines)::

        rows    := row ((';' | NEWLINE) row)*
        row     := entry ((',')? entry)*
        entry   := expr
        expr    := term (('+' | '-') term)*
        term    := unary (('*' | '/') unary)*
        unary   := ('+' | '-')* power
        power   := root ('^' ('+' | '-')* root)*          right-associative
        root    := '√'* primary
        primary := NUMBER | pi | π | e | FUNC '(' expr ')' | '(' rows ')' | '[' rows ']'
    """

    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        # Whether a space may separate entries in the innermost bracket: yes at the top level
        # and inside [...], no inside (...) and function calls (there "1 -2" is plain arithmetic).
        self.space_separates = [True]

    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        if t.kind != "end":
            self.i += 1
        return t

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Fail(f"brackets are nested more than {MAX_DEPTH} deep")

    def skip_newlines(self) -> None:
        while self.peek().kind == "nl":
            self.take()

    # -- lists ---------------------------------------------------------------------------------

    def at_close(self, closer: str | None) -> bool:
        t = self.peek()
        if closer is None:
            if t.kind in (")", "]"):
                raise _Fail(
                    f"a '{t.kind}' at position {t.pos + 1} has no matching opening bracket"
                )
            return t.kind == "end"
        if t.kind == "end":
            raise _Fail(f"a '{'[' if closer == ']' else '('}' is never closed: add '{closer}'")
        if t.kind in (")", "]") and t.kind != closer:
            opener = "(" if t.kind == "]" else "["
            raise _Fail(f"a '{t.kind}' at position {t.pos + 1} closes a '{opener}' bracket")
        return t.kind == closer

    def rows(self, closer: str | None) -> _List:
        """Entries up to ``closer`` (or the end); returns the built list node."""
        rows: list[list[Any]] = [[]]
        comma = space = False
        self.skip_newlines()
        while not self.at_close(closer):
            t = self.peek()
            if t.kind in (",", ";"):
                raise _Fail(f"the '{t.kind}' at position {t.pos + 1} has no entry before it")
            rows[-1].append(self.entry())
            t = self.peek()
            if t.kind == ",":
                self.take()
                comma = True
                self.skip_newlines()
                if self.peek().kind in (",", ";"):
                    raise _Fail(f"an empty entry at position {self.peek().pos + 1}")
                continue
            if t.kind in (";", "nl"):
                semicolons = 0
                while self.peek().kind in (";", "nl"):
                    semicolons += self.take().kind == ";"
                if semicolons > 1:
                    raise _Fail("an empty row between two ';'")
                if self.at_close(closer):
                    break
                rows.append([])
                continue
            if self.at_close(closer):
                break
            if self.starts_entry_after_space(t):
                space = True
                continue
            if t.starts_operand():
                raise _Fail(self.adjacent_reason(t))
            raise _Fail(f"unexpected '{_clip(t.text)}' at position {t.pos + 1}")
        if len(rows) == 1:
            return _List(rows[0], comma, space)
        built = []
        for row in rows:
            if len(row) == 1 and isinstance(row[0], _List):
                built.append(row[0])
            else:
                built.append(_List(row))
        return _List(built, comma, space)

    def starts_entry_after_space(self, t: _Tok) -> bool:
        """Whether ``t`` begins a new space-separated entry (``2`` or ``-2`` in ``[1 2 -2]``)."""
        if not (t.space_before and self.space_separates[-1]):
            return False
        if t.starts_operand():
            return True
        nxt = self.peek(1)
        return (
            t.kind == "op"
            and t.text in "+-"
            and not nxt.space_before
            and (nxt.starts_operand() or nxt.kind == "op")
        )

    def adjacent_reason(self, t: _Tok) -> str:
        prev = self.toks[self.i - 1]
        if prev.kind == "num" and t.kind == "num" and not t.space_before:
            return (
                f"'{_clip(prev.text)}' runs straight into '{_clip(t.text)}' "
                f"at position {t.pos + 1}"
            )
        if self.space_separates[-1] or not t.space_before:
            return (
                f"'{_clip(t.text)}' follows '{_clip(prev.text)}' with no operator "
                f"at position {t.pos + 1}; "
                "write products with *, as in 2*pi"
            )
        return (
            f"'{_clip(t.text)}' follows '{_clip(prev.text)}' with no operator "
            f"at position {t.pos + 1}; "
            "inside ( ) separate entries with commas and write products with *"
        )

    def entry(self) -> Any:
        start = self.i
        node = self.expr()
        if isinstance(node, _Scalar):
            span = self.toks[start : self.i]
            figures = None
            if len(span) == 1 and span[0].kind == "num":
                figures = _literal_figures(span[0].text)
            elif (
                len(span) == 2
                and span[0].kind == "op"
                and span[0].text in "+-"
                and span[1].kind == "num"
            ):
                figures = _literal_figures(span[1].text)
            node = _Scalar(node.value, figures)
        return node

    # -- arithmetic ----------------------------------------------------------------------------

    @staticmethod
    def scalar(node: Any, op: str) -> float:
        if not isinstance(node, _Scalar):
            raise _Fail(f"'{op}' cannot be applied to a list")
        return node.value

    def expr(self) -> Any:
        left = self.term()
        while True:
            t = self.peek()
            if t.kind != "op" or t.text not in "+-":
                return left
            if self.starts_entry_after_space(t):
                # "1 -2" inside [...] or at the top level: a new entry, -2 (as in MATLAB).
                return left
            self.take()
            a = self.scalar(left, t.text)
            b = self.scalar(self.term(), t.text)
            left = _Scalar(_finite(a + b if t.text == "+" else a - b))

    def term(self) -> Any:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            a = self.scalar(left, op)
            b = self.scalar(self.unary(), op)
            left = _Scalar(_finite(a * b) if op == "*" else _div(a, b))
        return left

    def signs(self) -> int:
        sign = 1
        while self.peek().kind == "op" and self.peek().text in "+-":
            if self.take().text == "-":
                sign = -sign
        return sign

    def unary(self) -> Any:
        t = self.peek()
        if not (t.kind == "op" and t.text in "+-"):
            return self.power()
        sign = self.signs()
        return _Scalar(sign * self.scalar(self.power(), t.text))

    def power(self) -> Any:
        first = self.root()
        if not (self.peek().kind == "op" and self.peek().text == "^"):
            return first
        # Collected and folded from the right without recursion, so a long tower of powers
        # cannot exhaust the call stack.
        operands: list[tuple[int, float]] = [(1, self.scalar(first, "^"))]
        while self.peek().kind == "op" and self.peek().text == "^":
            self.take()
            sign = self.signs()
            operands.append((sign, self.scalar(self.root(), "^")))
        sign, value = operands[-1]
        value = sign * value
        for sign, base in reversed(operands[:-1]):
            value = sign * _pow(base, value)
        return _Scalar(value)

    def root(self) -> Any:
        count = 0
        while self.peek().kind == "sqrt":
            self.take()
            count += 1
        if count and self.peek().kind == "op":
            raise _Fail("√ must be followed by a number, a name or a bracket: write √(2)")
        node = self.primary()
        for _ in range(count):
            node = _Scalar(
                _apply(math.sqrt, self.scalar(node, "√"), domain=_FUNCTION_IMPL["sqrt"][1])
            )
        return node

    def primary(self) -> Any:
        t = self.take()
        if t.kind == "num":
            value = float(t.text)
            if math.isinf(value):
                raise _Fail(f"{_clip(t.text)} is too large (doubles stop near 1.8e308)")
            return _Scalar(value)
        if t.kind == "name":
            return self.name(t)
        if t.kind in ("(", "["):
            self.enter()
            self.space_separates.append(t.kind == "[")
            closer = ")" if t.kind == "(" else "]"
            node = self.rows(closer)
            self.take()
            self.space_separates.pop()
            self.depth -= 1
            if t.kind == "(" and not node.comma and len(node.items) == 1:
                # (expression) groups; (a, b) and (a,) are lists, as in Python.
                return node.items[0]
            return node
        if t.kind == "end":
            prev = self.toks[self.i - 1] if self.i > 0 else None
            if prev is not None and prev.kind == "op":
                raise _Fail(f"'{_clip(prev.text)}' at the end has nothing after it")
            raise _Fail("the answer ends too early")
        if t.kind == "nl":
            raise _Fail("a line ends in the middle of an expression")
        raise _Fail(f"unexpected '{_clip(t.text)}' at position {t.pos + 1}")

    def name(self, t: _Tok) -> Any:
        word = t.text.lower()
        if word in _CONSTANTS:
            return _Scalar(_CONSTANTS[word])
        if word in _FUNCTION_IMPL:
            fn, domain = _FUNCTION_IMPL[word]
            if self.peek().kind != "(":
                raise _Fail(f"write {word} with brackets, as in {word}(2)")
            self.take()
            self.enter()
            self.space_separates.append(False)
            self.skip_newlines()
            arg = self.expr()
            self.skip_newlines()
            close_tok = self.peek()
            if close_tok.kind == ",":
                raise _Fail(f"{word} takes one argument")
            if close_tok.kind != ")":
                if close_tok.kind == "end":
                    raise _Fail(f"the '(' after {word} is never closed: add ')'")
                if close_tok.starts_operand():
                    raise _Fail(self.adjacent_reason(close_tok))
                raise _Fail(f"unexpected '{_clip(close_tok.text)}' at position {close_tok.pos + 1}")
            self.take()
            self.space_separates.pop()
            self.depth -= 1
            return _Scalar(_apply(fn, self.scalar(arg, word), domain=domain))
        if word in ("nan", "inf", "infinity"):
            raise _Fail(f"'{_clip(t.text)}' is not accepted: every answer here is a finite number")
        raise _Fail(
            f"'{_clip(t.text)}' is not a known name (known: pi, π, e, sqrt, exp, log, ln, √)"
        )


def _classify(node: Any) -> tuple[str, Any, Any]:
    """The kind read (number, vector or matrix), its value, and the per-entry figures."""
    if isinstance(node, _Scalar):
        return "number", node.value, node.figures
    items = node.items
    if all(isinstance(x, _Scalar) for x in items):
        if len(items) > MAX_ENTRIES:
            raise _Fail(f"it has {len(items)} numbers; at most {MAX_ENTRIES} are read")
        return "vector", [x.value for x in items], [x.figures for x in items]
    if all(isinstance(x, _List) for x in items):
        for row in items:
            if not all(isinstance(x, _Scalar) for x in row.items):
                raise _Fail("it nests lists deeper than a matrix")
        lengths = [len(r.items) for r in items]
        for j, n in enumerate(lengths[1:], start=2):
            if n != lengths[0]:
                raise _Fail(
                    f"its rows have different lengths: row 1 has {lengths[0]} "
                    f"entr{'y' if lengths[0] == 1 else 'ies'} but row {j} has {n}"
                )
        if sum(lengths) > MAX_ENTRIES:
            raise _Fail(f"it has {sum(lengths)} numbers; at most {MAX_ENTRIES} are read")
        return (
            "matrix",
            [[x.value for x in r.items] for r in items],
            [[x.figures for x in r.items] for r in items],
        )
    raise _Fail("it mixes numbers and lists in one list")


def _read_numeric(text: str, kind: str) -> tuple[Any, Any]:
    """Read a number, vector or matrix; returns (value, per-entry literal figures)."""
    try:
        stripped = text.strip()
        if not stripped:
            raise _Fail("the answer is empty")
        parser = _Parser(_tokenize(stripped))
        node = parser.rows(None)
        if len(node.items) == 1 and not node.comma:
            node = node.items[0]
        read_kind, value, figures = _classify(node)
    except _Fail as exc:
        raise AnswerParseError(
            f"could not read {_show(text)} as {_WHAT[kind]}: {exc}; try {examples(kind)}"
        ) from None

    if kind == read_kind:
        return value, figures
    if kind == "vector":
        if read_kind == "number":
            return [value], [figures]
        if len(value) == 1:
            return list(value[0]), list(figures[0])
        if value and len(value[0]) == 1:
            return [row[0] for row in value], [row[0] for row in figures]
    if kind == "matrix":
        if read_kind == "number":
            return [[value]], [[figures]]
        # A flat list typed for a matrix is read as a single row; the judge says so if the key
        # has several rows.
        return ([list(value)], [list(figures)]) if value else ([], [])

    hint = ""
    if kind == "number" and read_kind == "vector" and isinstance(node, _List):
        if node.comma:
            hint = " (a comma separates entries: write 0.5, not 0,5, and 1000, not 1,000)"
        elif node.space:
            hint = (
                " (a space separates entries: write products with *, as in 2*pi, "
                "and differences as 1 - 2 or 1-2)"
            )
    raise AnswerParseError(
        f"expected {_WHAT[kind]}, but read {_dims_phrase(read_kind, value)}{hint}; "
        f"try {examples(kind)}"
    )


# --------------------------------------------------------------------------------------------
# Shapes

_ERROR_WORDS = frozenset(
    {
        "error",
        "an error",
        "raises",
        "raise",
        "it raises",
        "raises an error",
        "exception",
        "runtimeerror",
        "indexerror",
        "valueerror",
        "typeerror",
    }
)
_SIZE_RE = re.compile(r"(?:torch\s*\.\s*)?size\s*\((.*)\)", re.IGNORECASE | re.DOTALL)
_SHAPE_TOKEN_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+|.", re.DOTALL)
_SHAPE_SEPARATORS = frozenset(",xX×")
_DIGITS_RE = re.compile(r"[0-9]+")


def _read_shape(text: str) -> list[int] | str:
    try:
        return _read_shape_inner(text)
    except _Fail as exc:
        raise AnswerParseError(
            f"could not read {_show(text)} as a shape: {exc}; try {examples('shape')}"
        ) from None


def _read_shape_inner(text: str) -> list[int] | str:
    s = text.strip()
    if not s:
        raise _Fail("the answer is empty")
    word = " ".join(s.lower().rstrip(".!").split())
    if word in _ERROR_WORDS:
        return "error"
    m = _SIZE_RE.fullmatch(s)
    if m:
        s = m.group(1).strip()
        if not s:
            return []
        if s[0] not in "([":
            raise _Fail("inside torch.Size(...) write a list, as in torch.Size([3, 1, 4])")

    # (kind, text, position, space before)
    toks: list[tuple[str, str, int, bool]] = []
    space = False
    for mt in _SHAPE_TOKEN_RE.finditer(s):
        t = mt.group()
        pos = mt.start() + 1
        if t in _SPACES or t in "\r\n":
            space = True
            continue
        if _DIGITS_RE.fullmatch(t):
            toks.append(("int", t, pos, space))
        elif t[0] in "0123456789.":
            if t == ".":
                raise _Fail(f"a '.' at position {pos} is not part of a number")
            raise _Fail(f"{_clip(t)} is not a whole number; shape entries are whole numbers")
        elif t in _SHAPE_SEPARATORS:
            toks.append(("sep", t, pos, space))
        elif t in "([":
            toks.append(("open", t, pos, space))
        elif t in ")]":
            toks.append(("close", t, pos, space))
        elif t in "-\u2212":
            raise _Fail("shape entries cannot be negative")
        else:
            raise _Fail(f"unexpected character '{_show_char(t)}' at position {pos}")
        space = False

    bracketed = bool(toks) and toks[0][0] == "open"
    if bracketed:
        closer = ")" if toks[0][1] == "(" else "]"
        if toks[-1][0] != "close" or len(toks) < 2:
            raise _Fail(f"the '{toks[0][1]}' is never closed: add '{closer}'")
        if toks[-1][1] != closer:
            raise _Fail(f"'{toks[0][1]}' is closed by '{toks[-1][1]}'")
        toks = toks[1:-1]
    for kind, t, pos, _ in toks:
        if kind in ("open", "close"):
            raise _Fail(
                f"unexpected '{_clip(t)}' at position {pos}: a shape is one list of whole numbers"
            )

    dims: list[int] = []
    expect_number = True
    last_sep = ""
    for kind, t, pos, space_before in toks:
        if kind == "int":
            if not expect_number and not space_before:
                raise _Fail(f"unexpected '{_clip(t)}' at position {pos}")
            if len(t.lstrip("0")) > _MAX_SHAPE_DIGITS:
                raise _Fail(f"{_clip(t)} is too large for a dimension")
            dims.append(int(t))
            if len(dims) > MAX_DIMS:
                raise _Fail(f"it has more than {MAX_DIMS} dimensions")
            expect_number = False
        else:
            if expect_number:
                raise _Fail(f"the '{_clip(t)}' at position {pos} has no number before it")
            expect_number = True
            last_sep = t
    if dims and expect_number and not (last_sep == "," and (bracketed or len(dims) == 1)):
        raise _Fail(f"it ends with '{last_sep}'")
    if not dims and not bracketed:
        raise _Fail("it has no dimensions; write () for a 0-d tensor")
    return dims


# --------------------------------------------------------------------------------------------
# Public reading and comparing

def _read(text: str, kind: str) -> tuple[Any, Any]:
    _check_kind(kind)
    if not isinstance(text, str):
        raise TypeError(f"answer text must be a str, but got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise AnswerParseError(
            f"could not read {_show(text)} as {_WHAT[kind]}: the answer is {len(text)} "
            f"characters long and at most {MAX_LENGTH} are read; try {examples(kind)}"
        )
    if kind == "shape":
        return _read_shape(text), None
    return _read_numeric(text, kind)


def parse(text: str, kind: str) -> Any:
    """Read typed text as an answer of ``kind`` (number, vector, matrix or shape).

    Args:
        text: What the learner typed.
        kind: One of ``quizgen.core.answer.ANSWER_KINDS``.

    Returns:
        A float (number), a list of floats (vector), a list of rows of floats (matrix), or for a
        shape a list of non-negative ints or the string ``"error"``.

    Raises:
        AnswerParseError: The text cannot be read as that kind; the message says why and gives
            examples that work.
        ValueError: ``kind`` is not an answer kind.

    >>> parse("1/√2", "number")
    0.7071067811865475
    >>> parse("1 2; 3 4", "matrix")
    [[1.0, 2.0], [3.0, 4.0]]
    >>> parse("torch.Size([3, 1, 4])", "shape")
    [3, 1, 4]
    """
    return _read(text, kind)[0]


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _as_vector(x: Any) -> list[float] | None:
    if not isinstance(x, (list, tuple)):
        return None
    out = [_number(v) for v in x]
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def _as_matrix(x: Any) -> list[list[float]] | None:
    if not isinstance(x, (list, tuple)):
        return None
    rows = [_as_vector(r) for r in x]
    if any(r is None for r in rows):
        return None
    if rows and any(len(r) != len(rows[0]) for r in rows):  # type: ignore[arg-type]
        return None
    return rows  # type: ignore[return-value]


def _as_shape(x: Any) -> list[int] | str | None:
    if x == "error":
        return "error"
    if not isinstance(x, (list, tuple)):
        return None
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in x):
        return None
    return list(x)


def close(kind: str, key: Any, other: Any, tolerance: Tolerance) -> bool:
    """Whether ``other`` matches ``key`` for an answer of ``kind``.

    Numbers match within ``tolerance``; vectors and matrices need the same dimensions and every
    entry within tolerance of the key's entry; shapes must be equal (``"error"`` equals only
    ``"error"``). Malformed values never match (and never raise).

    >>> close("number", 0.4372, 0.437, Tolerance())
    True
    >>> close("shape", [3, 1], [3, 1, 1], Tolerance())
    False
    """
    _check_kind(kind)
    if kind == "shape":
        a, b = _as_shape(key), _as_shape(other)
        return a is not None and a == b
    if kind == "number":
        k, x = _number(key), _number(other)
        return k is not None and x is not None and tolerance.accepts(k, x)
    if kind == "vector":
        kv, xv = _as_vector(key), _as_vector(other)
        if kv is None or xv is None or len(kv) != len(xv):
            return False
        return all(tolerance.accepts(k, x) for k, x in zip(kv, xv))
    km, xm = _as_matrix(key), _as_matrix(other)
    if km is None or xm is None or _matrix_dims(km) != _matrix_dims(xm):
        return False
    return all(tolerance.accepts(k, x) for kr, xr in zip(km, xm) for k, x in zip(kr, xr))


def _matrix_dims(m: Sequence[Sequence[Any]]) -> tuple[int, int]:
    return len(m), (len(m[0]) if m else 0)


# --------------------------------------------------------------------------------------------
# Describing and formatting

def describe_expected(answer: Answer) -> str:
    """What kind of answer is due, for a prompt: ``a 3×3 matrix``.

    A shape is described without its value, so the prompt does not give the answer away.

    >>> describe_expected(Answer("vector", [1.0, 2.0, 3.0, 4.0]))
    'a vector of 4 numbers'
    """
    if answer.kind == "number":
        return "a number"
    if answer.kind == "vector":
        return _dims_phrase("vector", list(answer.value))
    if answer.kind == "matrix":
        return _dims_phrase("matrix", list(answer.value))
    return "a shape such as (3, 1, 4), or error"


def _format_number(x: Any) -> str:
    return f"{float(x):.6g}"


def format_value(kind: str, value: Any) -> str:
    """A value written the way the reader accepts it back (numbers to 6 significant figures).

    >>> format_value("number", 0.43721234)
    '0.437212'
    >>> format_value("matrix", [[1.0, 0.5], [2.0, -1.0]])
    '[[1, 0.5], [2, -1]]'
    >>> format_value("shape", [3, 1, 4])
    'torch.Size([3, 1, 4])'
    """
    _check_kind(kind)
    if kind == "number":
        return _format_number(value)
    if kind == "vector":
        return "[" + ", ".join(_format_number(v) for v in value) + "]"
    if kind == "matrix":
        return "[" + ", ".join(format_value("vector", row) for row in value) + "]"
    if value == "error":
        return "error"
    return "torch.Size([" + ", ".join(str(int(v)) for v in value) + "])"


# --------------------------------------------------------------------------------------------
# Judging

def _is_rounding(typed: float, figures: tuple[int, int] | None, key: float) -> bool:
    """Whether ``typed`` (a literal with ``figures``) is ``key`` rounded to that many figures.

    With ``n`` figures, the last in the ``10**p`` place, the literal is a rounding of the key
    when the key is within half a unit of that place (either way on an exact tie), and the key
    is not in a lower decade (0.6 rounded to one figure is 0.6, not 1; but 0.96 rounds up to 1).
    """
    if figures is None or key == 0 or typed == 0 or (typed > 0) != (key > 0):
        return False
    n, place = figures
    try:
        unit = 10.0**place
        lead = 10.0 ** (place + n - 1)
    except OverflowError:
        return False
    if abs(typed - key) > 0.5 * unit * (1 + _SLACK):
        return False
    return abs(key) >= (lead - 0.05 * unit) * (1 - _SLACK)


def _figures_needed(key: float, tolerance: Tolerance) -> int:
    """The fewest significant figures whose rounding of ``key`` is within tolerance."""
    for m in range(1, 18):
        if tolerance.accepts(key, float(f"{key:.{m - 1}e}")):
            return m
    return 17


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _entries(n: int) -> str:
    return f"{n} entr" + ("y" if n == 1 else "ies")


def _misconception_note(m: Misconception) -> str:
    return f"that is the value you get from a known mistake ({m.name}). {m.description}".rstrip()


def _find_misconception(
    kind: str, given: Any, misconceptions: Sequence[Misconception], tolerance: Tolerance
) -> Misconception | None:
    for m in misconceptions:
        if close(kind, m.value, given, tolerance):
            return m
    return None


def _where(kind: str, wrong: Sequence[tuple[int, ...]], limit: int = 6) -> str:
    if kind == "vector":
        parts = [str(i + 1) for (i,) in wrong[:limit]]
        head = "entry " if len(wrong) == 1 else "entries "
    else:
        parts = [f"row {r + 1}, column {c + 1}" for (r, c) in wrong[:limit]]
        head = ""
    if len(wrong) > limit:
        listed = "; ".join(parts) if kind == "matrix" else ", ".join(parts)
        return f"{head}{listed} and {len(wrong) - limit} more"
    if len(parts) == 1:
        return head + parts[0]
    joiner = "; " if kind == "matrix" else ", "
    return head + joiner.join(parts[:-1]) + " and " + parts[-1]


def judge(
    answer: Answer,
    text: str,
    tolerance: Tolerance = Tolerance(),
    misconceptions: Sequence[Misconception] = (),
) -> Verdict:
    """Decide whether typed ``text`` answers ``answer``, and say why in a sentence.

    Order of the rules: unreadable text; within tolerance (right); a plain decimal literal that
    is the key rounded to the figures typed but outside tolerance (too-few-figures, for vectors
    and matrices when every wrong entry is such a rounding); otherwise wrong, naming the first
    misconception whose value the answer matches.

    Args:
        answer: The exact answer (kind and key).
        text: What the learner typed.
        tolerance: How close a number must be.
        misconceptions: Known mistakes for this problem, checked in order.

    Returns:
        The verdict.

    >>> judge(Answer("number", 0.43721), "0.437").status
    'right'
    >>> judge(Answer("number", 0.43721), "0.44").status
    'too-few-figures'
    """
    kind = answer.kind
    try:
        given, figures = _read(text, kind)
    except AnswerParseError as exc:
        return Verdict("unreadable", str(exc))

    if kind == "shape":
        return _judge_shape(answer.value, given, misconceptions, tolerance)
    if kind == "number":
        return _judge_number(float(answer.value), given, figures, tolerance, misconceptions)
    return _judge_array(answer, given, figures, tolerance, misconceptions)


def _judge_shape(
    key: Any, given: Any, misconceptions: Sequence[Misconception], tolerance: Tolerance
) -> Verdict:
    shown = format_value("shape", given)
    if close("shape", key, given, tolerance):
        message = "Right: it raises an error." if given == "error" else f"Right: {shown}."
        return Verdict("right", message, given)
    m = _find_misconception("shape", given, misconceptions, tolerance)
    if given == "error":
        message = "Wrong: this does not raise an error."
    else:
        message = f"Wrong: the result is not {shown}."
    if m is not None:
        message = message[:-1] + "; " + _misconception_note(m)
    return Verdict("wrong", message, given, m)


def _judge_number(
    key: float,
    given: float,
    figures: tuple[int, int] | None,
    tolerance: Tolerance,
    misconceptions: Sequence[Misconception],
) -> Verdict:
    if tolerance.accepts(key, given):
        return Verdict("right", f"Right: the answer is {format_value('number', key)}.", given)
    shown = format_value("number", given)
    # A value that equals a named mistake is stronger evidence than a coarse rounding of the key
    # (key 0.78, the mistake gives exactly 0.8, the learner typed 0.8): name the mistake.
    m = _find_misconception("number", given, misconceptions, tolerance)
    if m is not None:
        return Verdict("wrong", f"Wrong: {shown} — {_misconception_note(m)}", given, m)
    if _is_rounding(given, figures, key):
        n = figures[0]  # type: ignore[index]
        need = _figures_needed(key, tolerance)
        return Verdict(
            "too-few-figures",
            f"{shown} is the answer rounded to {_plural(n, 'significant figure')}, which is "
            f"too coarse to check: give at least {need} significant figures.",
            given,
        )
    return Verdict(
        "wrong", f"Wrong: {shown} does not match the answer {tolerance.phrase()}.", given
    )


def _judge_array(
    answer: Answer,
    given: Any,
    figures: Any,
    tolerance: Tolerance,
    misconceptions: Sequence[Misconception],
) -> Verdict:
    kind = answer.kind
    if kind == "vector":
        key_rows = [[float(v) for v in answer.value]]
        given_rows = [given]
        figure_rows = [figures]
        key_desc = describe_expected(answer)
        dims_key: tuple[int, ...] = (len(key_rows[0]),)
        dims_given: tuple[int, ...] = (len(given),)
    else:
        key_rows = [[float(v) for v in row] for row in answer.value]
        given_rows = given
        figure_rows = figures
        key_desc = describe_expected(answer)
        dims_key = _matrix_dims(key_rows)
        dims_given = _matrix_dims(given)
    total = sum(len(r) for r in key_rows)

    if dims_key != dims_given:
        m = _find_misconception(kind, given, misconceptions, tolerance)
        if kind == "vector":
            got = f"got {dims_given[0]}"
        else:
            got = f"got {dims_given[0]}×{dims_given[1]}"
            if (
                dims_given[0] == 1
                and dims_key[0] > 1
                and dims_given[1] == dims_key[0] * dims_key[1]
            ):
                got += (
                    f" (a single row of {dims_given[1]} numbers: separate rows with ';' or a "
                    "new line, or nest them as [[…], […]])"
                )
        message = f"Wrong: expected {key_desc}, {got}."
        if m is not None:
            message = message[:-1] + "; " + _misconception_note(m)
        return Verdict("wrong", message, given, m, 0, total, ())

    wrong: list[tuple[int, ...]] = []
    coarse: list[tuple[int, ...]] = []
    need = 0
    for r, (krow, grow, frow) in enumerate(zip(key_rows, given_rows, figure_rows)):
        for c, (k, x, f) in enumerate(zip(krow, grow, frow)):
            if tolerance.accepts(k, x):
                continue
            index = (c,) if kind == "vector" else (r, c)
            wrong.append(index)
            if _is_rounding(x, f, k):
                coarse.append(index)
                need = max(need, _figures_needed(k, tolerance))
    right = total - len(wrong)
    entries = tuple(wrong)
    if not wrong:
        return Verdict(
            "right", f"Right: all {_entries(total)} match.",
            given, None, right, total, (),
        )
    m = _find_misconception(kind, given, misconceptions, tolerance)
    if len(coarse) == len(wrong) and m is None:
        verb = "is" if len(wrong) == 1 else "are"
        return Verdict(
            "too-few-figures",
            f"{right} of {_entries(total)} are right, and {_where(kind, wrong)} {verb} the answer "
            f"rounded to too few significant figures (counting from 1): give at least {need}.",
            given, None, right, total, entries,
        )
    message = (
        f"Wrong: {right} of {_entries(total)} right; "
        f"wrong: {_where(kind, wrong)} (counting from 1)."
    )
    if m is not None:
        message = message[:-1] + "; " + _misconception_note(m)
    return Verdict("wrong", message, given, m, right, total, entries)
