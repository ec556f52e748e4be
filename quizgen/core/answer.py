"""Answer types: the exact answer, worked steps, named misconceptions, and the tolerance of a match.

Every value here is plain JSON (numbers, lists, strings) so that a solution can be written to a
JSONL record, shown in a terminal or put on a card without any conversion.

Answer kinds:

- ``number``: a float.
- ``vector``: a list of floats.
- ``matrix``: a list of rows, each a list of floats (all rows the same length).
- ``shape``: a list of non-negative ints (``[]`` is a 0-d tensor), or the string ``"error"``
  when torch raises.
- ``formula``: ``{"formula": TEXT, "symbols": {NAME: DOMAIN}}``, an expression in the declared
  symbols (``quizgen.core.formula``); two formulas match when they are equal
  (``quizgen.core.equivalence``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

ANSWER_KINDS = ("number", "vector", "matrix", "shape", "formula")


class Answer(NamedTuple):
    """An exact answer: its kind (one of ``ANSWER_KINDS``, which the judge checks) and its JSON value.

    ``whole`` marks a number that can only be a whole number (a count, a parameter count): the
    judge calls any other typed value wrong and says why, even within the tolerance. The
    generator declares it (``expected``), with the kind.
    """

    kind: str
    value: Any
    whole: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "value": self.value}
        if self.whole:
            out["whole"] = True
        return out


class Step(NamedTuple):
    """One line of a worked solution: what is computed, its value, and an optional remark.

    ``shape`` is the tensor shape of ``value`` when that helps the learner (``[3, 3]``), else None.
    ``rows`` and ``cols`` name the rows and columns of a table (``("tp", "fp", "fn")`` by
    ``("class 0", "class 1")``); ``cols`` alone names the entries of a vector, which is then shown
    as ``clipped matches = 3, candidate 1-grams = 5``.
    """

    label: str
    value: Any
    shape: list[int] | None = None
    note: str = ""
    rows: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.shape is not None:
            out["shape"] = self.shape
        if self.note:
            out["note"] = self.note
        if self.rows:
            out["rows"] = list(self.rows)
        if self.cols:
            out["cols"] = list(self.cols)
        return out

    def named_entries(self) -> list[tuple[str, Any]] | None:
        """A vector whose entries have names, as (name, value) pairs; else None."""
        value = self.value
        if self.rows or not self.cols or not isinstance(value, list) or len(value) != len(self.cols):
            return None
        if any(isinstance(v, (list, dict)) for v in value):
            return None
        return list(zip(self.cols, value))

    def named_table(self) -> list[list[Any]] | None:
        """A matrix with named rows and columns as a table: a header row of the column names
        (the corner empty), then each row's name and entries; else None."""
        value = self.value
        if not (self.rows and self.cols and isinstance(value, list) and len(value) == len(self.rows)):
            return None
        if not all(isinstance(r, list) and len(r) == len(self.cols) for r in value):
            return None
        return [["", *self.cols], *([name, *row] for name, row in zip(self.rows, value))]


class Misconception(NamedTuple):
    """The answer a learner gets from one known mistake.

    ``name`` is a stable slug (``no-scaling``); ``description`` says what the mistake is and why it
    is wrong, in one or two sentences; ``value`` has the same kind as the true answer.
    """

    name: str
    description: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "value": self.value}


class Curve(NamedTuple):
    """A picture of a worked solution: a function drawn over ``points`` ((x, y) pairs, x rising),
    with the asked point ``mark`` highlighted; ``x_label`` and ``y_label`` name the axes."""

    title: str
    points: tuple[tuple[float, float], ...]
    mark: tuple[float, float]
    x_label: str
    y_label: str


class Grid(NamedTuple):
    """A picture of a worked solution: a matrix of values in [0, 1] as shaded cells (darker is
    larger), with labels for its rows and columns."""

    title: str
    values: tuple[tuple[float, ...], ...]
    rows: tuple[str, ...]
    cols: tuple[str, ...]


Figure = Curve | Grid
"""What a checker may draw; ``quizgen.core.pictures`` turns it into SVG and terminal text."""


class Solution(NamedTuple):
    """A checker's full result for one problem's inputs.

    ``value`` is the exact answer as plain JSON. Its kind and dimensions are not restated here:
    the generator declares them once (``expected(inputs)``), ``quizgen.core.problems.solve_problem``
    types the value by that declaration, and the tests check that every template's values fit it.
    """

    value: Any
    steps: tuple[Step, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    figure: Figure | None = None


# A relative slack on every tolerance test, so that a value exactly on the boundary (0.201 against
# 0.2 at 0.5%) counts as inside despite binary rounding of the decimal inputs.
SLACK = 1e-9


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
        return abs(x - key) <= self.width(key) * (1 + SLACK)

    def phrase(self) -> str:
        """The tolerance in words, for messages: ``0.5% (or 0.0005 near zero)``."""
        if self.rel == 0 and self.abs == 0:
            return "exactly"
        if self.rel == 0:
            return f"to within {self.abs:g}"
        if self.abs == 0:
            return f"to within {self.rel * 100:g}%"
        return f"to within {self.rel * 100:g}% (or {self.abs:g} near zero)"


# The one rule for "this value matches that one", used by the judge and by the problem builder
# (which draws again while a named mistake matches the key).


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
    if kind not in ANSWER_KINDS:
        raise ValueError(f"Expected an answer kind in {ANSWER_KINDS}, but got {kind!r}")
    if kind == "shape":
        a, b = _as_shape(key), _as_shape(other)
        return a is not None and a == b
    if kind == "formula":
        from quizgen.core.equivalence import equivalent

        return equivalent(key, other)
    if kind == "number":
        k, x = _number(key), _number(other)
        return k is not None and x is not None and tolerance.accepts(k, x)
    if kind == "vector":  # as a one-row matrix
        key, other = [key], [other]
    km, xm = _as_matrix(key), _as_matrix(other)
    if km is None or xm is None or _matrix_dims(km) != _matrix_dims(xm):
        return False
    return all(tolerance.accepts(k, x) for kr, xr in zip(km, xm) for k, x in zip(kr, xr))


def _matrix_dims(m: Sequence[Sequence[Any]]) -> tuple[int, int]:
    return len(m), (len(m[0]) if m else 0)
