"""Judging what a learner types: the one answer judge of quizgen.

The terminal drill, the Anki cards and the grader all decide "right or wrong" here, so the rules
live in one place (and are written out for people in ``docs/answers.md``; the shared test table
``tests/data/judge_vectors.json`` pins them for the card script's port, ``card_judge.js``).

Numbers are compared with a mixed tolerance, ``|x - k| <= max(abs, rel * |k|)`` (the same test
as ``math.isclose`` with ``rel_tol``/``abs_tol``, but relative to the key only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quizgen.core.answer import (
    SLACK,
    Answer,
    Misconception,
    Tolerance,
    _matrix_dims,
    close,
)
from quizgen.core.errors import AnswerParseError, show_typed
from quizgen.judge.messages import _check_kind, _dims_phrase, examples
from quizgen.judge.reader import _denies_error, _read, parse


@dataclass(frozen=True)
class Verdict:
    """The judge's decision on one typed answer.

    Attributes:
        status: ``"right"``, ``"wrong"``, ``"too-few-figures"`` or ``"unreadable"``.
        message: One or two specific sentences for the learner.
        given: The value read from the text (same JSON form as the key), or None if unreadable.
        misconception: The (first) known mistake whose value the answer matches, or None.
        entries_right: For vectors and matrices, how many entries are within tolerance (0 when
            the dimensions differ from the key's); None for numbers, shapes and unreadable text.
        entries_total: For vectors and matrices, the key's count of entries; else None.
        wrong_entries: Zero-based indices of the wrong entries: ``(i,)`` for vectors,
            ``(row, col)`` for matrices; empty when not applicable.
        also: The other known mistakes that give the same value (the message names them all).
        transposed: The matrix typed is the key transposed (the message says so).
    """

    status: str
    message: str
    given: Any = None
    misconception: Misconception | None = None
    entries_right: int | None = None
    entries_total: int | None = None
    wrong_entries: tuple[tuple[int, ...], ...] = ()
    also: tuple[Misconception, ...] = ()
    transposed: bool = False

    @property
    def correct(self) -> bool:
        """Whether the answer counts as right."""
        return self.status == "right"


# --------------------------------------------------------------------------------------------
# Describing and formatting

def describe_expected(answer: Answer) -> str:
    """What kind of answer is due, for a prompt: ``a 3×3 matrix``.

    A shape is described without its value, so the prompt does not give the answer away.

    >>> describe_expected(Answer("vector", [1.0, 2.0, 3.0, 4.0]))
    'a vector of 4 numbers'
    """
    if answer.kind == "shape":
        return "a shape such as (3, 1, 4), or error"
    if answer.kind == "number" and answer.whole:
        return "a whole number"
    if answer.kind == "formula":
        names = list(answer.value["symbols"])
        return "a formula in " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])
    return _dims_phrase(answer.kind, answer.value)


def typing_hint(kind: str) -> str:
    """How to type an answer of ``kind`` on one line, where that is not plain (a matrix), else ''."""
    return "one line, rows separated by ; as in 1 2; 3 4" if kind == "matrix" else ""


def _format_number(x: Any) -> str:
    """Six significant figures; a whole number (a count) exactly, whatever its size."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.6g}"


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
    if kind == "formula":
        from quizgen.core.formula import read, text

        return text(read(value["formula"], dict(value["symbols"])))
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
    if abs(typed - key) > 0.5 * unit * (1 + SLACK):
        return False
    return abs(key) >= (lead - 0.05 * unit) * (1 - SLACK)


def _figures_needed(key: float, tolerance: Tolerance) -> int:
    """The fewest significant figures whose rounding of ``key`` is within tolerance."""
    for m in range(1, 18):
        if tolerance.accepts(key, float(f"{key:.{m - 1}e}")):
            return m
    return 17


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _apart(key: float, rounded: float, mistakes: Sequence[float], tolerance: Tolerance) -> bool:
    """Whether ``rounded`` (the key rounded) is within tolerance and nearer the key than every mistake."""
    return tolerance.accepts(key, rounded) and all(abs(rounded - key) < abs(rounded - m) for m in mistakes)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _entries(n: int) -> str:
    return f"{n} entr" + ("y" if n == 1 else "ies")


def _misconception_note(ms: Sequence[Misconception]) -> str:
    """Names every known mistake the answer matches: when two give the same value here, the
    answer could come from either, and naming only one would be a guess."""
    if len(ms) == 1:
        return f"that is the value you get from a known mistake ({ms[0].name}). {ms[0].description}".rstrip()
    names = ", ".join(m.name for m in ms)
    return f"that is the value you get from any of {len(ms)} known mistakes ({names}). " + " ".join(m.description for m in ms).rstrip()


def _naming(message: str, ms: Sequence[Misconception]) -> str:
    """A "Wrong: …." sentence, with the known mistakes ``ms`` (if any) named in place of its stop."""
    return message if not ms else message[:-1] + "; " + _misconception_note(ms)


def _find_misconception(
    kind: str, given: Any, misconceptions: Sequence[Misconception], tolerance: Tolerance
) -> tuple[Misconception, ...]:
    """Every known mistake whose value the answer matches, in the checker's order."""
    return tuple(m for m in misconceptions if close(kind, m.value, given, tolerance))


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
    tolerance: Tolerance | None = None,
    misconceptions: Sequence[Misconception] = (),
) -> Verdict:
    """Decide whether typed ``text`` answers ``answer``, and say why in a sentence.

    Order of the rules: for a shape, a denial of an error (wrong where it raises, else asked
    again); unreadable text; a count (``answer.whole``) typed as a non-integer (wrong); a matrix
    typed as one row of all its entries (asked again, unreadable); within tolerance (right); a
    plain decimal literal that is the key rounded to the figures typed but outside tolerance
    (too-few-figures, for vectors and matrices when every wrong entry is such a rounding);
    otherwise wrong, naming the first misconception whose value the answer matches. Formulas are
    decided by ``quizgen.core.equivalence`` (docs/answers.md).

    Args:
        answer: The exact answer (kind, key, and whether it is a whole number).
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
    tolerance = tolerance if tolerance is not None else Tolerance()
    kind = answer.kind
    if kind == "formula":
        return _judge_formula(answer.value, text, misconceptions)
    if kind == "shape" and isinstance(text, str) and len(text) <= 200 and _denies_error(text):
        return _judge_denial(answer.value, text)
    try:
        given, figures = _read(text, kind)
    except AnswerParseError as exc:
        return Verdict("unreadable", str(exc))

    if kind == "shape":
        return _judge_shape(answer.value, given, misconceptions, tolerance)
    if kind == "number":
        # A named mistake that is not whole ((1 − p) times a count) is named; a typed value near a
        # whole mistake (59.5 between a key of 60 and an off-by-one 59) is still not a count.
        fractional = [m for m in misconceptions if not (isinstance(m.value, (int, float)) and float(m.value).is_integer())]
        if answer.whole and not float(given).is_integer() and not _find_misconception("number", given, fractional, tolerance):
            return Verdict(
                "wrong",
                f"Wrong: {show_typed(text)} is not a whole number, and the answer is one.",
                given,
            )
        return _judge_number(float(answer.value), given, figures, tolerance, misconceptions)
    if kind == "matrix" and (hint := _one_row_hint(answer.value, given)):
        return Verdict("unreadable", f"could not read {show_typed(text)} as {describe_expected(answer)}: {hint}")
    if _a_number_for_several(kind, answer.value, given, text):  # a slip of the format, not of the maths
        return Verdict("unreadable", f"expected {describe_expected(answer)}, but read a number; try {examples(kind)}")
    return _judge_array(answer, given, figures, tolerance, misconceptions)


def _a_number_for_several(kind: str, key: Any, given: Any, text: str) -> bool:
    """Whether ``text``, read as one entry, is a plain number where the key has several entries."""
    sizes = [len(v) if kind == "vector" else sum(len(row) for row in v) for v in (given, key)]
    if sizes[0] != 1 or sizes[1] < 2:
        return False
    try:
        _read(text, "number")
    except AnswerParseError:
        return False  # [3] or [[3]]: a one-entry vector or matrix, judged (wrong dimensions)
    return True


def unreadable(text: str, kind: str, symbols: dict[str, str] | None = None) -> str | None:
    """Why the judge finds ``text`` unreadable whatever the key, or None: what a face may answer
    before the key is known. Saying there is no error is read, and judged against the key."""
    if kind == "shape" and len(text) <= 200 and _denies_error(text):
        return None
    try:
        parse(text, kind, symbols)
    except AnswerParseError as exc:
        return str(exc)
    return None


def _one_row_hint(key: Any, given: Any) -> str:
    """For a matrix typed as one row with as many numbers as the key has entries, how to type
    the rows (the answer is asked again, never judged wrong for its layout); else ''."""
    rows, cols = _matrix_dims(key)
    if rows < 2 or len(given) != 1 or len(given[0]) != rows * cols:
        return ""
    flat = given[0]
    example = "; ".join(" ".join(_format_number(v) for v in flat[r * cols : (r + 1) * cols]) for r in range(rows))
    return f"it is one row of {rows * cols} numbers, and rows are separated by ; or a new line; try {example}"


def _judge_shape(
    key: Any, given: Any, misconceptions: Sequence[Misconception], tolerance: Tolerance
) -> Verdict:
    shown = format_value("shape", given)
    if close("shape", key, given, tolerance):
        message = "Right: it raises an error." if given == "error" else f"Right: {shown}."
        return Verdict("right", message, given)
    ms = _find_misconception("shape", given, misconceptions, tolerance)
    if given == "error":
        message = "Wrong: this does not raise an error."
    elif key == "error":  # "the result is not …" would say there is a result
        message = "Wrong: this raises an error, so there is no result and no shape."
    else:
        message = f"Wrong: the result is not {shown}."
    return Verdict("wrong", _naming(message, ms), given, _first(ms), also=ms[1:])


def _judge_denial(key: Any, text: str) -> Verdict:
    """An answer saying there is no error: wrong when the operation raises; for a key that is a
    shape, it is not a shape, so it is asked again."""
    if key == "error":
        return Verdict("wrong", "Wrong: this does raise an error.", "no error")
    return Verdict(
        "unreadable",
        f"could not read {show_typed(text)} as a shape: it says there is no error, so give the shape "
        f"of the result; try {examples('shape')}",
    )


def _first(ms: Sequence[Misconception]) -> Misconception | None:
    return ms[0] if ms else None


def _judge_number(
    key: float,
    given: float,
    figures: tuple[int, int] | None,
    tolerance: Tolerance,
    misconceptions: Sequence[Misconception],
) -> Verdict:
    shown = format_value("number", given)
    if tolerance.accepts(key, given):
        # Within tolerance, but nearer the value of a named mistake than the key (key 1.60472, a
        # mistake gives 1.61306, typed 1.61): these figures cannot tell which was computed.
        nearer = [float(m.value) for m in misconceptions if _is_number(m.value) and abs(given - float(m.value)) < abs(given - key)]
        if not nearer:
            return Verdict("right", f"Right: the answer is {format_value('number', key)}.", given)
        need = next((n for n in range(1, 18) if _apart(key, float(f"{key:.{n - 1}e}"), nearer, tolerance)), 17)
        need = max(need, figures[0] + 1) if figures else need
        return Verdict(
            "too-few-figures",
            f"{shown} is within tolerance of the answer, but nearer the value a known mistake gives: "
            f"give at least {need} significant figures.",
            given,
        )
    # A value that equals a named mistake is stronger evidence than a coarse rounding of the key
    # (key 0.78, the mistake gives exactly 0.8, the learner typed 0.8): name the mistake.
    ms = _find_misconception("number", given, misconceptions, tolerance)
    if ms:
        return Verdict("wrong", f"Wrong: {shown} — {_misconception_note(ms)}", given, ms[0], also=ms[1:])
    if _is_rounding(given, figures, key):
        n = figures[0]  # type: ignore[index]
        need = _figures_needed(key, tolerance)
        return Verdict(
            "too-few-figures",
            f"{shown} is the answer rounded to {_plural(n, 'significant figure')}, which is "
            f"too coarse to check: give at least {need} significant figures.",
            given,
        )
    # A coarse rounding of a mistake's value names the mistake (0.71 where a mistake gives 0.714286).
    ms = tuple(m for m in misconceptions if _is_number(m.value) and _rounds_mistake(given, figures, float(m.value)))
    if ms:
        return Verdict("wrong", f"Wrong: {shown} — {_misconception_note(ms)}", given, ms[0], also=ms[1:])
    return Verdict(
        "wrong", f"Wrong: {shown} does not match the answer {tolerance.phrase()}.", given
    )


def _rounds_mistake(typed: float, figures: tuple[int, int] | None, value: float) -> bool:
    """Whether ``typed`` is a mistake's ``value`` rounded to two figures or more (one figure says
    too little to name a mistake)."""
    return figures is not None and figures[0] >= 2 and _is_rounding(typed, figures, value)


def _rounds_to(rows: Any, figure_rows: Any, value: Any, vector: bool, tolerance: Tolerance) -> bool:
    """Whether every typed entry is within tolerance of ``value``'s (a mistake's vector or
    matrix, of the same size) or a rounding of it."""
    try:
        value_rows = [[float(v) for v in row] for row in ([value] if vector else value)]
    except (TypeError, ValueError):
        return False
    if _matrix_dims(value_rows) != _matrix_dims(rows):
        return False
    return all(math.isfinite(m) and (tolerance.accepts(m, x) or _rounds_mistake(x, f, m))
               for vrow, grow, frow in zip(value_rows, rows, figure_rows) for m, x, f in zip(vrow, grow, frow))


def _judge_array(
    answer: Answer,
    given: Any,
    figures: Any,
    tolerance: Tolerance,
    misconceptions: Sequence[Misconception],
) -> Verdict:
    kind = answer.kind
    # A vector is judged as a matrix of one row; only the messages and the indices differ.
    vector = kind == "vector"
    key_rows = [[float(v) for v in row] for row in ([answer.value] if vector else answer.value)]
    given_rows = [given] if vector else given
    figure_rows = [figures] if vector else figures
    dims_key = _matrix_dims(key_rows)
    dims_given = _matrix_dims(given_rows)
    total = sum(len(r) for r in key_rows)

    if dims_key != dims_given:
        ms = _find_misconception(kind, given, misconceptions, tolerance)
        if vector:
            got = f"got {dims_given[1]}"
        else:
            got = f"got {dims_given[0]}×{dims_given[1]}"
        message = f"Wrong: expected {describe_expected(answer)}, {got}."
        transposed = not vector and not ms and close("matrix", [list(col) for col in zip(*key_rows)], given, tolerance)
        if transposed:
            message = message[:-1] + ": the answer transposed (its rows and columns swapped)."
        return Verdict("wrong", _naming(message, ms), given, _first(ms), 0, total, (), also=ms[1:], transposed=transposed)

    wrong: list[tuple[int, ...]] = []
    coarse: list[tuple[int, ...]] = []
    need = 0
    for r, (krow, grow, frow) in enumerate(zip(key_rows, given_rows, figure_rows)):
        for c, (k, x, f) in enumerate(zip(krow, grow, frow)):
            if tolerance.accepts(k, x):
                continue
            index = (c,) if vector else (r, c)
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
    ms = _find_misconception(kind, given, misconceptions, tolerance)
    if not ms and len(coarse) < len(wrong):  # a mistake's values, coarsely rounded, name it too
        ms = tuple(m for m in misconceptions if _rounds_to(given_rows, figure_rows, m.value, vector, tolerance))
    if len(coarse) == len(wrong) and not ms:
        verb = "is" if len(wrong) == 1 else "are"
        which = (f"{right} of {_entries(total)} are right, and {_where(kind, wrong)} {verb}" if right
                 else f"{'The entry' if total == 1 else 'Both entries' if total == 2 else f'All {total} entries'} {verb}")
        return Verdict(
            "too-few-figures",
            f"{which} the answer rounded to too few significant figures"
            f"{' (counting from 1)' if right else ''}: give at least {need}.",
            given, None, right, total, entries,
        )
    # A known mistake explains every wrong entry at once, so the entries are listed only when
    # none does (the faces mark them in a grid).
    message = (
        f"Wrong: {right} of {_entries(total)} right." if ms
        else f"Wrong: {right} of {_entries(total)} right; wrong: {_where(kind, wrong)} (counting from 1)."
    )
    transposed = not ms and not vector and close("matrix", [list(col) for col in zip(*key_rows)], given, tolerance)
    if transposed:
        message = f"Wrong: {right} of {_entries(total)} right: it is the answer transposed (its rows and columns swapped)."
    return Verdict("wrong", _naming(message, ms), given, _first(ms), right, total, entries, also=ms[1:], transposed=transposed)


def _judge_formula(key: Any, text: str, misconceptions: Sequence[Misconception]) -> Verdict:
    """Exact equivalence decides (``quizgen.core.equivalence``); the message shows a point where
    the two differ, the first of ``formula.sample_points`` the card script would also show."""
    from quizgen.core import equivalence, formula

    symbols = dict(key["symbols"])
    try:
        typed = formula.read(text, symbols)
    except AnswerParseError as exc:
        return Verdict("unreadable", str(exc))
    given = {"formula": formula.text(typed), "symbols": symbols}
    shown = given["formula"]
    key_node = formula.read(key["formula"], symbols)
    decision, witness = equivalence.decide(key_node, typed, symbols)
    if decision == equivalence.EQUAL:
        return Verdict("right", f"Right: {shown} equals the answer {formula.text(key_node)}.", given)
    if decision == equivalence.UNDECIDED:
        return Verdict(
            "unreadable",
            f"could not decide whether {shown} equals the answer: it agrees with it at every point tried, "
            "but algebra did not confirm it in time (or its powers are too large to check); "
            "try a more direct form, such as a sum of terms",
        )
    ms = _find_misconception("formula", given, misconceptions, Tolerance())
    point = next((p for p in formula.sample_points(key_node, typed, symbols) if formula.differs_at(key_node, typed, p)), None)
    if point is not None:
        at = _at(point)
        gives = _format_value_or_undefined(formula.evaluate(typed, point))
        message = f"Wrong: {shown} is not the answer; at {at} it gives {gives}, the answer {_format_value_or_undefined(formula.evaluate(key_node, point))}."
    else:  # the difference is too small for a double, or vanishes at every sample point
        message = f"Wrong: {shown} is not the answer; {_tiny_difference(key_node, typed, symbols, witness)}."
    if _rounded_constant(key_node, typed, symbols):
        message = message[:-1] + "; a formula's numbers are exact, so write fractions, not rounded decimals (4/3, not 1.33)."
    return Verdict("wrong", _naming(message, ms), given, _first(ms), also=ms[1:])


def _rounded_constant(key: Any, typed: Any, symbols: dict[str, str]) -> bool:
    """Whether ``typed`` holds a decimal and is within 1% of the key wherever both have a value:
    most likely the key with a constant rounded (1.33/T^2 for 4/(3*T^2))."""
    from quizgen.core import formula

    def decimal(node: Any) -> bool:
        return isinstance(node, tuple) and ((node[0] == "num" and any(c in node[1] for c in ".eE")) or any(decimal(p) for p in node[1:]))

    if not decimal(typed):
        return False
    pairs = [(formula.evaluate(key, p), formula.evaluate(typed, p)) for p in formula.sample_points(key, typed, symbols)]
    both = [(k, x) for k, x in pairs if math.isfinite(k) and math.isfinite(x)]
    return bool(both) and all(abs(k - x) <= 0.01 * abs(k) for k, x in both)


def _at(point: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {_format_number(v)}" for name, v in point.items())


def _tiny_difference(key: Any, typed: Any, symbols: dict[str, str], witness: Any) -> str:
    from fractions import Fraction

    from quizgen.core import equivalence, formula

    candidates = [{n: Fraction(v) for n, v in p.items()} for p in formula.points(symbols)]
    for values in [*candidates, *([witness] if witness else [])]:
        diff = equivalence.exact_difference(key, typed, values)
        if diff:
            size = f"{float(diff):.3g}" if float(diff) != 0 else "an amount too small for a double"
            return f"at {_at({n: float(v) for n, v in values.items()})} it differs from the answer by {size}"
    if witness:
        return f"at {_at({n: float(v) for n, v in witness.items()})} it differs from the answer"
    return "it differs from the answer"


def _format_value_or_undefined(x: float) -> str:
    return _format_number(x) if math.isfinite(x) else "no finite value"
