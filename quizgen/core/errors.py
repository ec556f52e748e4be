"""quizgen's one exception family. The CLI turns each into a clean message and exit status 2."""

from __future__ import annotations


class QuizgenError(Exception):
    """A user-facing error: its message says what went wrong, where, and what would work."""


class GenerationError(QuizgenError):
    """A generator could not draw a usable variant within its attempt budget."""


class AnswerParseError(QuizgenError):
    """Typed text could not be read as the expected kind of answer."""
