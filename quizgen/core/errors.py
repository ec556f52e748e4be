"""quizgen's one exception family (the CLI turns each into a clean message and exit status 2), and
how typed text is quoted in those messages."""

from __future__ import annotations


class QuizgenError(Exception):
    """A user-facing error: its message says what went wrong, where, and what would work."""


class GenerationError(QuizgenError):
    """A generator could not draw a usable variant within its attempt budget."""


class AnswerParseError(QuizgenError):
    """Typed text could not be read as the expected kind of answer."""


def show_char(c: str) -> str:
    """One character for a message: printable as is, others as an escape (\\n, \\x00, \\u200b)."""
    if c.isprintable():
        return c
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show_typed(text: str, limit: int = 40) -> str:
    """The typed text, quoted for a message: trimmed, shortened, control characters escaped."""
    t = text.strip()
    if len(t) > limit:
        t = t[: limit - 3] + "…"
    return "'" + "".join(show_char(c) for c in t) + "'"
