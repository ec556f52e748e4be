"""The judge: reading what a learner types and deciding whether it is right, with a reason.

``card_judge.js`` beside it is the same judge for Anki cards, checked against the same table of
test vectors (``tests/data/judge_vectors.json``).
"""

from __future__ import annotations

from quizgen.core.answer import Tolerance, close
from quizgen.core.expression import MAX_DEPTH
from quizgen.judge.messages import (
    MAX_DIMS,
    MAX_ENTRIES,
    MAX_LENGTH,
    examples,
)
from quizgen.judge.reader import parse
from quizgen.judge.verdict import Verdict, describe_expected, format_value, judge, typing_hint, unreadable

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
    "typing_hint",
    "unreadable",
]
