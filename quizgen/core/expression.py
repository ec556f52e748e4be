"""quizgen's one expression language: a tokenizer and a recursive-descent parser that build a tree.

Every piece of typed maths goes through here: a number, a vector or a matrix a learner types
(``read_entries``, the bracket and row layer on top of the expression), and a formula, typed or
written as a key in a concept file (``read_formula``). docs/answers.md describes the language for
people; the card script ports this module line for line.

Grammar (precedence as in the Python Language Reference, section 6.17: unary minus binds looser
than a power, so ``-2^2`` is -4; powers group from the right)::

    rows    := row ((';' | NEWLINE) row)*                       (vectors and matrices only)
    row     := entry ((',')? entry)*
    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary | factor)*               factor: a product without '*'
    unary   := ('+' | '-')* power
    power   := root ('^' unary)?                                 right-associative
    root    := '√' root | primary
    primary := NUMBER | NAME | FUNCTION '(' expr ')' | '(' expr ')' | '(' rows ')' | '[' rows ']'

Spellings: ``**`` for ``^``; ``−``, ``·``, ``×``, ``÷``; superscript digits (``d²``, ``10⁻³``); ``π``
and Greek letters by character or by name. A product may leave out ``*`` when the right factor is a
name, a bracket, ``√`` or a function (``2pi``, ``4d^2``, ``2(d + 1)``); after a ``/`` that is
ambiguous and refused (``1/2d``). A space separates entries at the top level and inside ``[ ]`` of
a vector or matrix answer (``1 -2`` is two entries, as in MATLAB); in a formula, which has no
entries, ``d h`` is a product. Two declared names run together (``dh``) are split when they split
one way only.

Nothing is passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the tree is tuples
(``Node``). Length, nesting and the parts of one entry are capped, so any input costs little.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from quizgen.core.errors import show_char

Node = tuple[Any, ...]
"""A parsed expression: ``("num", text)``, ``("sym", name)``, ``("const", "pi" | "e")``,
``("neg", a)``, ``("add" | "sub" | "mul" | "div" | "pow", a, b)``, ``("call", name, a)``; for the
entries of a vector or matrix ``("list", items, comma, space)`` (whether a comma, or a space,
separated them)."""

MAX_DEPTH = 16
"""Deepest accepted nesting of brackets and function calls."""

MAX_PARTS = 200
"""Most numbers, names and operations in one formula or in one entry of a vector or matrix."""

MAX_EXPONENT = 64
"""Largest constant exponent in a formula, in absolute value (``d^64`` is read, ``d^65`` not):
formulas are compared exactly, numbers are not, so a number may say ``2^100``."""

FUNCTIONS = ("sqrt", "exp", "log", "ln", "sin", "cos", "abs")
"""Functions of one argument; ``log`` and ``ln`` are both the natural logarithm."""

CONSTANTS = {"pi": math.pi, "e": math.e}

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω",
}  # fmt: skip
"""Greek letter names a symbol may be declared with; the character reads as the name."""

SPACES = frozenset(" \t\u00a0\u2009\u202f")
_NUM_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-\u2212]?[0-9]+)?")  # 6e−3: a minus sign too
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "·": "*", "×": "*", "/": "/", "÷": "/", "^": "^"}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_CHARACTERS = {v: k for k, v in GREEK.items()} | {"π": "pi"}
_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul"}
REFUSED = {"%": "percentages are not read: write 50% as 0.5", "=": "type only the value, not an equation"}
"""Characters refused with a reason of their own."""


class Unreadable(Exception):
    """The reason a text is not an expression (the caller builds the whole message)."""


def clip(text: str, limit: int = 24) -> str:
    """A piece of the typed text for a message: at most ``limit`` characters, escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(show_char(c) for c in text)


# --------------------------------------------------------------------------------------------
# Tokens: (kind, text, position, space before); kinds num, name, op, sqrt, nl, end, ( ) [ ] , ;

Token = tuple[str, str, int, bool]


def tokenize(s: str, extra: tuple[tuple[str, str, str], ...] = ()) -> list[Token]:
    """The tokens of ``s``; raises Unreadable at a character the language has no use for.

    ``extra`` adds ``(spelling, kind, text)`` tokens, tried first (the authoring language's ``@``,
    ``ᵀ`` and comparisons, ``quizgen.core.tensor_expression``); typed answers have none."""
    toks: list[Token] = []
    i, n, space = 0, len(s), False
    while i < n:
        c = s[i]
        if extra and (hit := next((x for x in extra if s.startswith(x[0], i)), None)) is not None:
            toks.append((hit[1], hit[2], i, space))
            i += len(hit[0])
            space = False
            continue
        if c in SPACES:
            space, i = True, i + 1
            continue
        if c in "\r\n":
            toks.append(("nl", "\n", i, space))
            space, i = True, i + (2 if s.startswith("\r\n", i) else 1)
            continue
        if (m := _NUM_RE.match(s, i)) is not None:
            toks.append(("num", m.group().replace("\u2212", "-"), i, space))
            i = m.end()
        elif (m := _NAME_RE.match(s, i)) is not None:
            toks.append(("name", m.group(), i, space))
            i = m.end()
        elif c in _CHARACTERS:
            toks.append(("name", _CHARACTERS[c], i, space))
            i += 1
        elif c == "√":
            toks.append(("sqrt", c, i, space))
            i += 1
        elif s.startswith("**", i):
            toks.append(("op", "^", i, space))
            i += 2
        elif c in _OPERATORS:
            toks.append(("op", _OPERATORS[c], i, space))
            i += 1
        elif c in "()[],;":
            toks.append((c, c, i, space))
            i += 1
        elif c in _SUPERSCRIPTS or (c in "⁻⁺" and i + 1 < n and s[i + 1] in _SUPERSCRIPTS):
            j = i + (c in "⁻⁺")
            while j < n and s[j] in _SUPERSCRIPTS:
                j += 1
            toks.append(("op", "^", i, space))
            if c in "⁻⁺":
                toks.append(("op", "-" if c == "⁻" else "+", i, False))
            toks.append(("num", "".join(str(_SUPERSCRIPTS.index(d)) for d in s[i + (c in "⁻⁺") : j]), i, False))
            i = j
        elif c in REFUSED:
            raise Unreadable(REFUSED[c])
        elif c == ".":
            raise Unreadable(f"a '.' at position {i + 1} is not part of a number")
        else:
            raise Unreadable(f"unexpected character '{show_char(c)}' at position {i + 1}")
        space = False
    toks.append(("end", "", n, space))
    return toks


def _split(name: str, names: dict[str, str]) -> list[str] | None:
    """The one way ``name`` splits into declared names, or None (none or several)."""
    ways: list[list[list[str]]] = [[[]], *([] for _ in name)]
    for end in range(1, len(name) + 1):
        for start in range(end):
            if name[start:end] in names:
                ways[end] += [w + [name[start:end]] for w in ways[start]][:2]
    return ways[-1][0] if len(ways[-1]) == 1 else None


# --------------------------------------------------------------------------------------------
# The parser


class Parser:
    """Recursive descent over the tokens of ``text``; each method reads one precedence level.

    ``symbols`` are a formula's declared names (``None`` for a number, vector or matrix, which
    know only the constants); ``entries`` says whether brackets, commas and rows build lists.
    """

    products = "*/"
    """The operators of a product (the authoring language adds ``@``)."""
    implicit = True
    """Whether a product may leave out ``*`` (not in the authoring language)."""
    empty = "the answer is empty"
    """Why an empty text is refused (the authoring language reads expressions, not answers)."""

    def __init__(self, text: str, symbols: dict[str, str] | None, entries: bool) -> None:
        self.toks = self.tokens(text)
        self.symbols = symbols
        self.entries = entries
        self.i = 0
        self.depth = 0
        self.parts = 0
        # Whether a space may separate entries in the innermost bracket: yes at the top level and
        # inside [...] of a vector or matrix, no inside (...), function calls and formulas.
        self.space_separates = [entries]

    @staticmethod
    def tokens(text: str) -> list[Token]:
        return tokenize(text)

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Token:
        t = self.toks[self.i]
        if t[0] != "end":
            self.i += 1
        return t

    @staticmethod
    def scalar(node: Node, op: str) -> Node:
        """``node``, which an operation ``op`` takes: refused when it is a list."""
        if node[0] == "list":
            raise Unreadable(f"'{op}' cannot be applied to a list")
        return node

    def node(self, *parts: Any) -> Node:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise Unreadable(f"it has more than {MAX_PARTS} numbers, names and operations in one expression")
        return parts

    def enter(self, space_separates: bool) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unreadable(f"brackets are nested more than {MAX_DEPTH} deep")
        self.space_separates.append(space_separates)

    def leave(self) -> None:
        self.depth -= 1
        self.space_separates.pop()

    # -- a whole text ---------------------------------------------------------------------------

    def formula(self) -> Node:
        if self.peek()[0] == "end":
            raise Unreadable(self.empty)
        tree = self.expr()
        if self.peek()[0] != "end":
            raise Unreadable(self.unexpected(self.peek()))
        return tree

    def rows(self, closer: str | None) -> Node:
        """Entries up to ``closer`` (or the end of the text), as a list node; rows of one list
        stand for that list."""
        rows: list[list[Node]] = [[]]
        comma = space = False
        self.skip_newlines()
        while not self.at_close(closer):
            t = self.peek()
            if t[0] in (",", ";"):
                raise Unreadable(f"the '{t[0]}' at position {t[2] + 1} has no entry before it")
            self.parts = 0
            rows[-1].append(self.expr())
            t = self.peek()
            if t[0] == ",":
                self.take()
                comma = True
                self.skip_newlines()
                if self.peek()[0] in (",", ";"):
                    raise Unreadable(f"an empty entry at position {self.peek()[2] + 1}")
                continue
            if t[0] in (";", "nl"):
                semicolons = 0
                while self.peek()[0] in (";", "nl"):
                    semicolons += self.take()[0] == ";"
                if semicolons > 1:
                    raise Unreadable("an empty row between two ';'")
                if self.at_close(closer):
                    break
                rows.append([])
                continue
            if self.at_close(closer):
                break
            if self.starts_entry_after_space(t):
                space = True
                continue
            raise Unreadable(self.unexpected(t))
        if len(rows) == 1:
            return ("list", tuple(rows[0]), comma, space)
        built = tuple(row[0] if len(row) == 1 and row[0][0] == "list" else ("list", tuple(row), False, False) for row in rows)
        return ("list", built, comma, space)

    def skip_newlines(self) -> None:
        while self.peek()[0] == "nl":
            self.take()

    def at_close(self, closer: str | None) -> bool:
        kind, _, pos, _ = self.peek()
        if closer is None:
            if kind in (")", "]"):
                raise Unreadable(f"a '{kind}' at position {pos + 1} has no matching opening bracket")
            return kind == "end"
        if kind == "end":
            raise Unreadable(f"a '{'[' if closer == ']' else '('}' is never closed: add '{closer}'")
        if kind in (")", "]") and kind != closer:
            raise Unreadable(f"a '{kind}' at position {pos + 1} closes a '{'(' if kind == ']' else '['}' bracket")
        return kind == closer

    def starts_entry_after_space(self, t: Token) -> bool:
        """Whether ``t`` begins a new space-separated entry (``2`` or ``-2`` in ``[1 2 -2]``)."""
        if not (t[3] and self.space_separates[-1]):
            return False
        if self.starts_operand(t):
            return True
        nxt = self.peek(1)
        return t[0] == "op" and t[1] in "+-" and not nxt[3] and (self.starts_operand(nxt) or nxt[0] == "op")

    @staticmethod
    def starts_operand(t: Token) -> bool:
        return t[0] in ("num", "name", "sqrt", "(", "[")

    def unexpected(self, t: Token) -> str:
        """Why token ``t`` cannot come where it stands."""
        kind, text, pos, space = t
        if kind == "nl":
            return f"unexpected line break at position {pos + 1}"
        if kind in (",", ";", "[", "]") and not self.entries:
            return f"unexpected '{text}' at position {pos + 1}: a formula is one expression"
        if not self.starts_operand(t):
            return f"unexpected '{clip(text)}' at position {pos + 1}"
        prev = self.toks[self.i - 1]
        if prev[0] == "num" and kind == "num" and not space:
            return f"'{clip(prev[1])}' runs straight into '{clip(text)}' at position {pos + 1}"
        hint = "inside ( ) separate entries with commas and write products with *" if space and self.entries else "write products with *, as in 2*pi"
        return f"'{clip(text)}' follows '{clip(prev[1])}' with no operator at position {pos + 1}; {hint}"

    # -- arithmetic ----------------------------------------------------------------------------

    def expr(self) -> Node:
        left = self.term()
        while (t := self.peek())[0] == "op" and t[1] in "+-" and not self.starts_entry_after_space(t):
            self.take()
            left = self.node(_BINARY[t[1]], self.scalar(left, t[1]), self.scalar(self.term(), t[1]))
        return left

    def implicit_factor(self) -> bool:
        """Whether the next token is the right factor of a product written without ``*``."""
        kind, _, _, space = self.peek()
        if kind not in ("name", "sqrt", "("):
            return False
        return self.implicit and (not space or not self.entries)

    def term(self) -> Node:
        left = self.unary()
        after_division = False
        while True:
            kind, text, _, _ = self.peek()
            if kind == "op" and text in self.products:
                self.take()
                after_division = text == "/"
                left = self.node(_BINARY[text], self.scalar(left, text), self.scalar(self.unary(), text))
            elif self.implicit_factor():
                if after_division:  # the example in the name typed next (4/3T: 1/(2*T) or T/2)
                    x = text if kind == "name" and len(text) <= 12 and text.lower() not in FUNCTIONS else "x"
                    raise Unreadable(f"a division followed by a product without '*' is ambiguous: write 1/(2*{x}) or {x}/2")
                left = self.node("mul", self.scalar(left, "*"), self.scalar(self.power(), "*"))
            else:
                return left

    def unary(self) -> Node:
        negative = False
        while (t := self.peek())[0] == "op" and t[1] in "+-":
            self.take()
            negative ^= t[1] == "-"
        inner = self.power()
        return self.node("neg", self.scalar(inner, "-")) if negative else inner

    def power(self) -> Node:
        base = self.root()
        if not (self.peek()[0] == "op" and self.peek()[1] == "^"):
            return base
        self.take()
        base, exponent = self.scalar(base, "^"), self.scalar(self.unary(), "^")
        if self.symbols is not None:
            try:
                size = abs(evaluate(exponent, {}))
            except KeyError:
                size = 0.0  # an exponent with symbols: its degree is capped where formulas are compared
            except Undefined:
                size = math.inf
            if not size <= MAX_EXPONENT:
                raise Unreadable(f"an exponent is larger than {MAX_EXPONENT}")
        return self.node("pow", base, exponent)

    def root(self) -> Node:
        roots = 0
        while self.peek()[0] == "sqrt":
            self.take()
            roots += 1
        if roots and self.peek()[0] == "op":
            raise Unreadable("√ must be followed by a number, a name or a bracket: write √(2)")
        node = self.primary()
        for _ in range(roots):
            node = self.node("call", "sqrt", self.scalar(node, "√"))
        return node

    def primary(self) -> Node:
        t = self.take()
        kind, text, pos, _ = t
        if kind == "num":
            if math.isinf(float(text)):
                raise Unreadable(f"{clip(text)} is too large (doubles stop near 1.8e308)")
            return self.node("num", text)
        if kind == "name":
            return self.name(text)
        if kind == "(" or (kind == "[" and self.entries):
            self.enter(kind == "[")
            closer = ")" if kind == "(" else "]"
            if self.entries:
                inner = self.rows(closer)
                if kind == "(" and not inner[2] and len(inner[1]) == 1:
                    inner = inner[1][0]  # (expression) groups; (a, b) and (a,) are lists, as in Python
            else:
                inner = self.expr()
                self.close(closer)
            self.take()
            self.leave()
            return inner
        if kind == "end":
            prev = self.toks[self.i - 1] if self.i > 0 else None
            if prev is not None and prev[0] == "op":
                raise Unreadable(f"'{clip(prev[1])}' at the end has nothing after it")
            raise Unreadable("the answer ends too early")
        if kind == "nl":
            raise Unreadable("a line ends in the middle of an expression")
        raise Unreadable(self.unexpected(t))

    def close(self, closer: str) -> None:
        if not self.at_close(closer):
            raise Unreadable(self.unexpected(self.peek()))

    def name(self, text: str) -> Node:
        symbols = self.symbols or {}
        if text in symbols:
            return self.node("sym", text)
        word = text.lower()
        if word in FUNCTIONS:
            if self.peek()[0] != "(":
                raise Unreadable(f"write {word} with brackets, as in {word}(2)")
            self.take()
            self.enter(False)
            self.skip_newlines()
            arg = self.expr()
            self.skip_newlines()
            if self.peek()[0] == ",":
                raise Unreadable(f"{word} takes one argument")
            self.close(")")
            self.take()
            self.leave()
            return self.node("call", "log" if word == "ln" else word, self.scalar(arg, word))
        if word in CONSTANTS:
            return self.node("const", word)
        if word in ("nan", "inf", "infinity"):
            raise Unreadable(f"'{clip(text)}' is not accepted: every answer here is a finite number")
        parts = _split(text, symbols)
        if parts is None:
            known = ", ".join([*symbols, "pi", "e"])
            # A number holds no names of the question's: 1/sqrt(d_k) wants d_k's value put in.
            put_in = ": type the number it stands for" if self.symbols is None else ""
            raise Unreadable(f"'{clip(text)}' is not a known name{put_in} (use {known}, √ and the functions {', '.join(FUNCTIONS)})")
        # The other names are read next, as factors of a product: 4hd^2 is 4*h*d^2.
        self.toks[self.i : self.i] = [("name", part, self.peek()[2], False) for part in parts[1:]]
        return self.node("sym", parts[0])


def read_formula(text: str, symbols: dict[str, str]) -> Node:
    """The tree of a formula in the declared ``symbols``; raises Unreadable."""
    return Parser(text, symbols, entries=False).formula()


def read_entries(text: str) -> Node:
    """The tree of a number, vector or matrix answer: a list node of the top-level entries."""
    return Parser(text, None, entries=True).rows(None)


# --------------------------------------------------------------------------------------------
# Values in doubles


class Undefined(Exception):
    """An expression has no finite value (the message says why, for a learner)."""


class TooLarge(Undefined):
    """An expression's value overflows a double."""


def _apply(fn: Callable[..., float], *args: float, domain: str) -> float:
    try:
        return finite(fn(*args))
    except OverflowError:
        raise TooLarge("the result is too large") from None
    except ZeroDivisionError:
        raise Undefined("it divides by zero") from None
    except ValueError:
        raise Undefined(domain) from None


def finite(v: float) -> float:
    if math.isnan(v):
        raise Undefined("the result is not a number")
    if math.isinf(v):
        raise TooLarge("the result is too large")
    return v


_CALLS: dict[str, tuple[Callable[[float], float], str]] = {
    "sqrt": (math.sqrt, "it takes the square root of a negative number"),
    "exp": (math.exp, "exp cannot take that value"),
    "log": (math.log, "it takes the log of zero or of a negative number"),
    "sin": (math.sin, "sin cannot take that value"),
    "cos": (math.cos, "cos cannot take that value"),
    "abs": (abs, "abs cannot take that value"),
}


def _power(a: float, b: float) -> float:
    domain = "it raises 0 to a negative power" if a == 0 and b < 0 else "it raises a negative number to a fractional power"
    return _apply(math.pow, a, b, domain=domain)


_OPERATIONS: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: finite(a + b),
    "sub": lambda a, b: finite(a - b),
    "mul": lambda a, b: finite(a * b),
    "div": lambda a, b: _apply(lambda x, y: x / y, a, b, domain="it divides by zero"),
    "pow": _power,
}


def evaluate(node: Node, values: dict[str, float]) -> float:
    """The value of an expression in doubles, ``values`` giving its symbols; raises Undefined
    (with the reason) where it has none, KeyError for a symbol without a value."""
    op = node[0]
    if op == "num":
        return float(node[1])
    if op == "sym":
        return values[node[1]]
    if op == "const":
        return CONSTANTS[node[1]]
    if op == "neg":
        return -evaluate(node[1], values)
    if op == "call":
        fn, domain = _CALLS[node[1]]
        return _apply(fn, evaluate(node[2], values), domain=domain)
    if op == "list":
        raise Undefined("a list is not a number")
    return _OPERATIONS[op](evaluate(node[1], values), evaluate(node[2], values))


# --------------------------------------------------------------------------------------------
# Writing a tree back

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def text(node: Node, parent: int = 0, right: bool = False) -> str:
    """The expression written in the language, with the brackets it needs.

    >>> text(read_formula("(d+1)(d-1)/2", {"d": "size"}))
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
    needs = mine < parent or (mine == parent and right and op != "pow")
    return f"({out})" if needs else out
