"""Reading typed numbers, vectors and matrices: a small tokenizer and recursive-descent parser.

The grammar is the textbook one of sums of products of signed powers, with the operator
precedence of the Python Language Reference, section 6.17 "Operator precedence" (unary minus
binds looser than a power, so -2^2 is -4; powers group from the right). It evaluates eagerly in
IEEE-754 double precision with the ``math`` module. Powers are float powers: a tower such as
``9^9^9^9`` overflows at once (and is reported) instead of building a huge integer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quizgen.core.errors import AnswerParseError
from quizgen.core.errors import show_typed as _show
from quizgen.judge.messages import (
    _WHAT,
    MAX_DEPTH,
    MAX_ENTRIES,
    Fail,
    _clip,
    _dims_phrase,
    _show_char,
    examples,
)

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
            raise Fail("percentages are not read: write 50% as 0.5")
        elif c in _SUPERSCRIPTS:
            raise Fail("write powers with ^, as in 2^3")
        elif c == "=":
            raise Fail("type only the value, not an equation")
        elif c == ".":
            raise Fail(f"a '.' at position {i + 1} is not part of a number")
        else:
            raise Fail(f"unexpected character '{_show_char(c)}' at position {i + 1}")
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
        raise Fail("the result is not a number")
    if math.isinf(v):
        raise Fail("the result is too large")
    return v


def _apply(fn: Callable[..., float], *args: float, domain: str) -> float:
    try:
        return _finite(fn(*args))
    except OverflowError:
        raise Fail("the result is too large") from None
    except ZeroDivisionError:
        raise Fail("it divides by zero") from None
    except ValueError:
        raise Fail(domain) from None


def _pow(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        domain = "it raises 0 to a negative power"
    else:
        domain = "it raises a negative number to a fractional power"
    return _apply(math.pow, base, exponent, domain=domain)


def _div(a: float, b: float) -> float:
    # Division by zero (or by -0.0) raises ZeroDivisionError, which _apply reports.
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
            raise Fail(f"brackets are nested more than {MAX_DEPTH} deep")

    def skip_newlines(self) -> None:
        while self.peek().kind == "nl":
            self.take()

    # -- lists ---------------------------------------------------------------------------------

    def at_close(self, closer: str | None) -> bool:
        t = self.peek()
        if closer is None:
            if t.kind in (")", "]"):
                raise Fail(
                    f"a '{t.kind}' at position {t.pos + 1} has no matching opening bracket"
                )
            return t.kind == "end"
        if t.kind == "end":
            raise Fail(f"a '{'[' if closer == ']' else '('}' is never closed: add '{closer}'")
        if t.kind in (")", "]") and t.kind != closer:
            opener = "(" if t.kind == "]" else "["
            raise Fail(f"a '{t.kind}' at position {t.pos + 1} closes a '{opener}' bracket")
        return t.kind == closer

    def rows(self, closer: str | None) -> _List:
        """Entries up to ``closer`` (or the end); returns the built list node."""
        rows: list[list[Any]] = [[]]
        comma = space = False
        self.skip_newlines()
        while not self.at_close(closer):
            t = self.peek()
            if t.kind in (",", ";"):
                raise Fail(f"the '{t.kind}' at position {t.pos + 1} has no entry before it")
            rows[-1].append(self.entry())
            t = self.peek()
            if t.kind == ",":
                self.take()
                comma = True
                self.skip_newlines()
                if self.peek().kind in (",", ";"):
                    raise Fail(f"an empty entry at position {self.peek().pos + 1}")
                continue
            if t.kind in (";", "nl"):
                semicolons = 0
                while self.peek().kind in (";", "nl"):
                    semicolons += self.take().kind == ";"
                if semicolons > 1:
                    raise Fail("an empty row between two ';'")
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
                raise Fail(self.adjacent_reason(t))
            raise Fail(f"unexpected '{_clip(t.text)}' at position {t.pos + 1}")
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
            hint = "write products with *, as in 2*pi"
        else:
            hint = "inside ( ) separate entries with commas and write products with *"
        return (
            f"'{_clip(t.text)}' follows '{_clip(prev.text)}' with no operator "
            f"at position {t.pos + 1}; {hint}"
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
            raise Fail(f"'{op}' cannot be applied to a list")
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
            raise Fail("√ must be followed by a number, a name or a bracket: write √(2)")
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
                raise Fail(f"{_clip(t.text)} is too large (doubles stop near 1.8e308)")
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
                raise Fail(f"'{_clip(prev.text)}' at the end has nothing after it")
            raise Fail("the answer ends too early")
        if t.kind == "nl":
            raise Fail("a line ends in the middle of an expression")
        raise Fail(f"unexpected '{_clip(t.text)}' at position {t.pos + 1}")

    def name(self, t: _Tok) -> Any:
        word = t.text.lower()
        if word in _CONSTANTS:
            return _Scalar(_CONSTANTS[word])
        if word in _FUNCTION_IMPL:
            fn, domain = _FUNCTION_IMPL[word]
            if self.peek().kind != "(":
                raise Fail(f"write {word} with brackets, as in {word}(2)")
            self.take()
            self.enter()
            self.space_separates.append(False)
            self.skip_newlines()
            arg = self.expr()
            self.skip_newlines()
            close_tok = self.peek()
            if close_tok.kind == ",":
                raise Fail(f"{word} takes one argument")
            if close_tok.kind != ")":
                if close_tok.kind == "end":
                    raise Fail(f"the '(' after {word} is never closed: add ')'")
                if close_tok.starts_operand():
                    raise Fail(self.adjacent_reason(close_tok))
                raise Fail(f"unexpected '{_clip(close_tok.text)}' at position {close_tok.pos + 1}")
            self.take()
            self.space_separates.pop()
            self.depth -= 1
            return _Scalar(_apply(fn, self.scalar(arg, word), domain=domain))
        if word in ("nan", "inf", "infinity"):
            raise Fail(f"'{_clip(t.text)}' is not accepted: every answer here is a finite number")
        raise Fail(
            f"'{_clip(t.text)}' is not a known name (known: pi, π, e, sqrt, exp, log, ln, √)"
        )


def _classify(node: Any) -> tuple[str, Any, Any]:
    """The kind read (number, vector or matrix), its value, and the per-entry figures."""
    if isinstance(node, _Scalar):
        return "number", node.value, node.figures
    items = node.items
    if all(isinstance(x, _Scalar) for x in items):
        if len(items) > MAX_ENTRIES:
            raise Fail(f"it has {len(items)} numbers; at most {MAX_ENTRIES} are read")
        return "vector", [x.value for x in items], [x.figures for x in items]
    if all(isinstance(x, _List) for x in items):
        for row in items:
            if not all(isinstance(x, _Scalar) for x in row.items):
                raise Fail("it nests lists deeper than a matrix")
        lengths = [len(r.items) for r in items]
        for j, n in enumerate(lengths[1:], start=2):
            if n != lengths[0]:
                raise Fail(
                    f"its rows have different lengths: row 1 has {lengths[0]} "
                    f"entr{'y' if lengths[0] == 1 else 'ies'} but row {j} has {n}"
                )
        if sum(lengths) > MAX_ENTRIES:
            raise Fail(f"it has {sum(lengths)} numbers; at most {MAX_ENTRIES} are read")
        return (
            "matrix",
            [[x.value for x in r.items] for r in items],
            [[x.figures for x in r.items] for r in items],
        )
    raise Fail("it mixes numbers and lists in one list")


def _read_numeric(text: str, kind: str) -> tuple[Any, Any]:
    """Read a number, vector or matrix; returns (value, per-entry literal figures)."""
    try:
        stripped = text.strip()
        if not stripped:
            raise Fail("the answer is empty")
        parser = _Parser(_tokenize(stripped))
        node = parser.rows(None)
        if len(node.items) == 1 and not node.comma:
            node = node.items[0]
        read_kind, value, figures = _classify(node)
    except Fail as exc:
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
