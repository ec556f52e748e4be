"""What a checker returns: the exact answer, the worked steps and the named misconceptions.

Every value here is plain JSON (numbers, lists, strings) so that a solution can be written to a
JSONL record, shown in a terminal or put on a card without any conversion.

Answer kinds:

- ``number``: a float.
- ``vector``: a list of floats.
- ``matrix``: a list of rows, each a list of floats (all rows the same length).
- ``shape``: a list of non-negative ints (``[]`` is a 0-d tensor), or the string ``"error"``
  when torch raises.
"""

from __future__ import annotations

from typing import Any, NamedTuple

ANSWER_KINDS = ("number", "vector", "matrix", "shape")


class _AnswerFields(NamedTuple):
    kind: str
    value: Any


class Answer(_AnswerFields):
    """An exact answer: its kind (one of ``ANSWER_KINDS``) and its JSON value."""

    __slots__ = ()

    def __new__(cls, kind: str, value: Any) -> Answer:
        if kind not in ANSWER_KINDS:
            raise ValueError(f"Expected an answer kind in {ANSWER_KINDS}, but got {kind!r}")
        return super().__new__(cls, kind, value)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}


class Step(NamedTuple):
    """One line of a worked solution: what is computed, its value, and an optional remark.

    ``shape`` is the tensor shape of ``value`` when that helps the learner (``[3, 3]``), else None.
    """

    label: str
    value: Any
    shape: list[int] | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.shape is not None:
            out["shape"] = self.shape
        if self.note:
            out["note"] = self.note
        return out


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


class Solution(NamedTuple):
    """A checker's full result for one problem's inputs.

    ``value`` is the exact answer as plain JSON. Its kind and dimensions are not restated here:
    the generator declares them once (``expected(inputs)``), and ``quizgen.core.problems.solve_problem``
    types the value by that declaration and refuses a value that does not fit it.
    """

    value: Any
    steps: tuple[Step, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()


def to_plain(value: Any) -> Any:
    """Turn a torch tensor (or nested lists of them) into plain floats/lists for JSON."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        value = tolist()
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    return value
