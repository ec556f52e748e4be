"""Limits and messages of the answer reader: what it accepts, and how it says what went wrong.

The reader (``quizgen.judge.reader``) never hands typed text to ``eval``/``exec``/``compile`` or
to any symbolic-math library, and caps the input length, the bracket depth and the count of
numbers, so that hostile input costs a bounded, small amount of time. Nothing here imports
torch, numpy or sympy: the drill reads an answer before any of those is loaded.
"""

from __future__ import annotations

from typing import Any

from quizgen.core.answer import ANSWER_KINDS

MAX_LENGTH = 2000
"""Longest accepted answer text, in characters (a 20×20 matrix typed by hand fits easily)."""

MAX_ENTRIES = 400
"""Most numbers accepted in one vector or matrix answer (a 20×20 matrix)."""

MAX_DIMS = 64
"""Most dimensions accepted in a shape (torch itself allows at most 64)."""

_MAX_SHAPE_DIGITS = 15
"""Longest accepted shape entry, in digits: keeps entries exact in a JavaScript number too."""


# --------------------------------------------------------------------------------------------
# Messages

EXAMPLE_LISTS: dict[str, tuple[str, ...]] = {
    "number": ("0.25", "1/4", "2.5e-3", "sqrt(2)/2"),
    "vector": ("[0.5, -1, 2]", "0.5 -1 2", "[1/2, sqrt(2)]"),
    "matrix": ("[[1, 2], [3, 4]]", "1 2; 3 4", "[[1/2, 0], [0, sqrt(2)]]"),
    "shape": ("(3, 1, 4)", "3x1x4", "torch.Size([3, 1, 4])", "()", "error"),
    "formula": ("4*d^2 + 4*d", "d*sigma^4", "sqrt(d)/2", "exp(-t/T)"),
}

_WHAT = {"number": "a number", "vector": "a vector", "matrix": "a matrix", "shape": "a shape", "formula": "a formula"}


def _check_kind(kind: str) -> None:
    if kind not in ANSWER_KINDS:
        raise ValueError(f"Expected an answer kind in {ANSWER_KINDS}, but got {kind!r}")


def examples(kind: str) -> str:
    """Answers of this kind that the reader accepts, for the "try …" part of a message.

    >>> examples("number")
    '0.25, 1/4, 2.5e-3 or sqrt(2)/2'
    """
    _check_kind(kind)
    items = EXAMPLE_LISTS[kind]
    return ", ".join(items[:-1]) + " or " + items[-1]


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
