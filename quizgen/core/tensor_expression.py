"""The authoring language: quizgen's one expression language, extended for tensors.

An authored template (docs/authoring.md) writes its answer, worked steps, named mistakes,
conditions and derived inputs as expressions in the inputs' names. The parser is
``quizgen.core.expression.Parser`` with these additions, and nothing else:

- the template's **input names** (``x``, ``mask``, ``p``), which stand for numbers, vectors or
  matrices;
- ``@`` (matrix product, at the precedence of ``*``), ``xᵀ`` or ``x.T`` (transpose), indexing
  ``x[i]`` and ``x[i, j]`` (from 0; negative from the end, as in torch);
- **comparisons** ``< <= > >= == !=``, 1 where they hold and 0 elsewhere (a condition is a
  comparison that must hold for every entry; ``sum(x > 0)`` counts);
- the **functions** in ``FUNCTIONS``, each with torch's name and meaning, positional arguments
  and keyword arguments written ``name=value`` (``softmax(z, dim=0)``, ``var(x, correction=0)``);
  keyword values are numbers, and ``True``/``False`` for ``keepdim`` alone.

A product needs its ``*`` (``2*x``, never ``2x``): with tensors, ``*`` and ``@`` differ, and an
author should say which. Typed answers never reach this module; the card script has no use for it.

The tree adds ``("matmul", a, b)``, ``("T", a)``, ``("index", a, (i, ...))``, ``("cmp", op, a, b)``
and ``("fn", name, (arg, ...), ((keyword, value), ...))`` to ``quizgen.core.expression.Node``.
Two evaluators read it: ``checkers.authored`` with torch in float64 (every answer, step and
mistake) and ``quizgen.core.arrays`` in plain Python (conditions, derived inputs and the
answer's shape, so a question is drawn before torch loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quizgen.core.expression import Node, Parser, Token, Undefined, Unreadable, clip, evaluate, tokenize

REQUIRED = object()
"""A keyword argument without a default: the author must state it (``var``'s correction)."""


@dataclass(frozen=True)
class Signature:
    """A function's arguments: positional names, then keywords with their defaults."""

    args: tuple[str, ...]
    keywords: dict[str, Any] = field(default_factory=dict)
    doc: str = ""


_ELEMENTWISE = Signature(("x",), doc="elementwise")
_REDUCE = {"dim": None, "keepdim": False}

FUNCTIONS: dict[str, Signature] = {
    "exp": _ELEMENTWISE,
    "log": _ELEMENTWISE,
    "sqrt": _ELEMENTWISE,
    "abs": _ELEMENTWISE,
    "sin": _ELEMENTWISE,
    "cos": _ELEMENTWISE,
    "tanh": _ELEMENTWISE,
    "sigmoid": _ELEMENTWISE,
    "relu": _ELEMENTWISE,
    "floor": _ELEMENTWISE,
    "log2": _ELEMENTWISE,
    "softplus": Signature(("x",), doc="torch.nn.functional.softplus (beta 1, threshold 20)"),
    "gelu": Signature(("x",), doc="torch.nn.functional.gelu (exact, with erf)"),
    "silu": Signature(("x",), doc="torch.nn.functional.silu, x · sigmoid(x)"),
    "maximum": Signature(("a", "b"), doc="torch.maximum, entry by entry"),
    "minimum": Signature(("a", "b"), doc="torch.minimum, entry by entry"),
    "clamp": Signature(("x",), {"min": None, "max": None}, "torch.clamp"),
    "softmax": Signature(("x",), {"dim": -1}, "torch.softmax"),
    "log_softmax": Signature(("x",), {"dim": -1}, "torch.log_softmax"),
    "sum": Signature(("x",), _REDUCE, "torch.sum"),
    "mean": Signature(("x",), _REDUCE, "torch.mean"),
    "var": Signature(("x",), {**_REDUCE, "correction": REQUIRED}, "torch.var: correction=0 divides by n, 1 by n - 1"),
    "std": Signature(("x",), {**_REDUCE, "correction": REQUIRED}, "torch.std: correction=0 divides by n, 1 by n - 1"),
    "prod": Signature(("x",), _REDUCE, "torch.prod"),
    "logsumexp": Signature(("x",), _REDUCE, "torch.logsumexp (all entries when dim is left out)"),
    "max": Signature(("x",), _REDUCE, "torch.amax"),
    "min": Signature(("x",), _REDUCE, "torch.amin"),
    "argmax": Signature(("x",), _REDUCE, "torch.argmax (the first index of the largest entry)"),
    "argmin": Signature(("x",), _REDUCE, "torch.argmin (the first index of the smallest entry)"),
    "norm": Signature(("x",), {"p": 2, "dim": None, "keepdim": False}, "torch.linalg.vector_norm"),
    "dot": Signature(("a", "b"), doc="torch.dot, of two vectors"),
    "outer": Signature(("a", "b"), doc="torch.outer, of two vectors"),
    "cosine": Signature(("a", "b"), {"dim": -1, "eps": 1e-8}, "torch.nn.functional.cosine_similarity"),
    "one_hot": Signature(("index", "classes"), doc="torch.nn.functional.one_hot, as float64"),
    "cross_entropy": Signature(
        ("logits", "target"), {"label_smoothing": 0.0},
        "torch.nn.functional.cross_entropy (mean over a batch); the target is a class index or probabilities",
    ),
    "kl_div": Signature(("input", "target"), doc='torch.nn.functional.kl_div(input, target, reduction="sum"); input holds log-probabilities'),
    "mse_loss": Signature(("input", "target"), doc="torch.nn.functional.mse_loss (mean)"),
    "binary_cross_entropy": Signature(("p", "target"), doc="torch.nn.functional.binary_cross_entropy (mean)"),
    "all": Signature(("x",), doc="1 when every entry is nonzero"),
    "any": Signature(("x",), doc="1 when some entry is nonzero"),
}  # fmt: skip
"""The functions of the authoring language, by torch's names."""

INTEGER_KEYWORDS = frozenset({"dim", "keepdim", "correction"})
BOOLEAN_KEYWORDS = frozenset({"keepdim"})
"""The keywords that take True or False, and only those (``sum(x, dim=True)`` is refused, as torch refuses it)."""

_EXTRA = (
    ("==", "cmp", "=="), ("!=", "cmp", "!="), ("<=", "cmp", "<="), (">=", "cmp", ">="), ("<", "cmp", "<"),
    (">", "cmp", ">"), ("=", "kw", "="), ("@", "op", "@"), ("ᵀ", "post", "T"), (".T", "post", "T"),
)  # fmt: skip
_BOOLEANS = {"True": 1, "False": 0}


class TensorParser(Parser):
    """The expression parser with input names, ``@``, transposes, indexing, comparisons and the
    tensor functions (see the module's text)."""

    products = "*/@"
    implicit = False
    empty = "the expression is empty"

    def __init__(self, text: str, names: dict[str, str]) -> None:
        super().__init__(text, dict(names), entries=False)

    @staticmethod
    def tokens(text: str) -> list[Token]:
        return tokenize(text, _EXTRA)

    def expr(self) -> Node:
        """A sum, or two sums compared (the lowest precedence, as in Python; no chains)."""
        left = super().expr()
        if self.peek()[0] != "cmp":
            return left
        op = self.take()[1]
        return self.node("cmp", op, left, super().expr())

    def primary(self) -> Node:
        node = super().primary()
        while True:
            kind = self.peek()[0]
            if kind == "post":
                self.take()
                node = self.node("T", node)
            elif kind == "[":
                self.take()
                self.enter(False)
                indices = [self.expr()]
                while self.peek()[0] == ",":
                    self.take()
                    indices.append(self.expr())
                self.close("]")
                self.take()
                self.leave()
                if len(indices) > 2:
                    raise Unreadable("an index has at most two parts, as in x[i, j]")
                node = self.node("index", node, tuple(indices))
            else:
                return node

    def unexpected(self, t: Token) -> str:
        if t[0] == "kw":
            return f"'=' at position {t[2] + 1} is only for a keyword argument, as in softmax(x, dim=0); compare with =="
        if t[0] == "cmp":
            return (f"'{t[1]}' at position {t[2] + 1}: compare two values at a time: as conditions, list two "
                    "('1 < x', 'x < 4'); in an expression, multiply them, as in (a < b) * (b < c)")
        if t[0] == "name" and t[1] in ("and", "or", "not"):
            return (f"'{t[1]}' at position {t[2] + 1} is not an operator here: as conditions, list each one "
                    "(all must hold); in an expression, (a < b) * (b < c) means both")
        return super().unexpected(t)

    def name(self, text: str) -> Node:
        symbols = self.symbols or {}
        if text in _BOOLEANS:
            raise Unreadable(f"{text} is only a keyword argument's value, as in sum(x, dim=0, keepdim=True)")
        if text in symbols or text.lower() in ("pi", "e", "ln"):
            return super().name(text)
        if text not in FUNCTIONS:
            import difflib

            near = difflib.get_close_matches(text, [*symbols, *FUNCTIONS], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise Unreadable(
                f"'{clip(text)}' is neither an input ({', '.join(symbols) or 'none'}) nor a function{hint} (the functions: {', '.join(FUNCTIONS)})"
            )
        signature = FUNCTIONS[text]
        if self.peek()[0] != "(":
            raise Unreadable(f"write {text} with brackets, as in {text}({', '.join(signature.args)})")
        self.take()
        self.enter(False)
        args: list[Node] = []
        keywords: dict[str, Any] = {}
        while self.peek()[0] != ")":
            if args or keywords:
                if self.peek()[0] != ",":
                    raise Unreadable(self.unexpected(self.peek()))
                self.take()
            if self.peek()[0] == "name" and self.peek(1)[0] == "kw":
                key = self.take()[1]
                self.take()
                if key not in signature.keywords:
                    known = ", ".join(signature.keywords) or "none"
                    raise Unreadable(f"{text} has no keyword argument {key!r} (its keywords: {known})")
                if key in keywords:
                    raise Unreadable(f"{text} is given {key} twice")
                keywords[key] = self.keyword_value(text, key)
            elif keywords:
                raise Unreadable(f"in {text}(…) positional arguments come before keyword arguments")
            else:
                args.append(self.expr())
            if self.peek()[0] == "end":
                raise Unreadable(f"the '(' after {text} is never closed: add ')'")
        self.take()
        self.leave()
        if len(args) != len(signature.args):
            raise Unreadable(
                f"{text} takes {len(signature.args)} argument{'s' if len(signature.args) != 1 else ''} "
                f"({', '.join(signature.args)}) before its keywords, but is given {len(args)}"
            )
        missing = [k for k, v in signature.keywords.items() if v is REQUIRED and k not in keywords]
        if missing:
            raise Unreadable(f"{text} needs {missing[0]}= stated, as in {text}(x, {missing[0]}=0)")
        return self.node("fn", text, tuple(args), tuple(sorted(keywords.items())))

    def keyword_value(self, function: str, key: str) -> Any:
        t = self.peek()
        if t[0] == "name" and t[1] in _BOOLEANS:
            if key not in BOOLEAN_KEYWORDS:
                raise Unreadable(f"{function}'s {key}= takes a number, not {t[1]}")
            self.take()
            return _BOOLEANS[t[1]]
        if key in BOOLEAN_KEYWORDS:
            raise Unreadable(f"{function}'s {key}= takes True or False")
        node = self.unary()
        try:
            value = evaluate(node, {})
        except (KeyError, Undefined):
            raise Unreadable(f"{function}'s {key}= must be a number, not an expression of the inputs") from None
        if key in INTEGER_KEYWORDS:
            if value != int(value):
                raise Unreadable(f"{function}'s {key}= must be a whole number, found {value:g}")
            return int(value)
        return value


def read_tensor_expression(text: str, names: dict[str, str]) -> Node:
    """The tree of an authored expression in the input ``names``; raises Unreadable with the reason."""
    if not isinstance(text, str):
        raise Unreadable(f"expected an expression as text, found {type(text).__name__}")
    if len(text) > 400:
        raise Unreadable(f"it is {len(text)} characters long and at most 400 are read")
    return TensorParser(text, names).formula()


def names_in(node: Node) -> set[str]:
    """The input names an expression uses."""
    if node[0] == "sym":
        return {node[1]}
    found: set[str] = set()
    for part in node[1:]:
        if not isinstance(part, tuple) or not part:
            continue
        for child in [part] if part[0] in _KINDS else part:
            if isinstance(child, tuple) and child and child[0] in _KINDS:
                found |= names_in(child)
    return found


_KINDS = frozenset({"num", "sym", "const", "neg", "add", "sub", "mul", "div", "pow", "call", "matmul", "T", "index", "cmp", "fn"})
