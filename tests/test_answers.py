"""Tests for the answer reader and judge (quizgen/judge/).

The shared table tests/data/judge_vectors.json is the contract with the card script; the rest
checks each syntax, the messages, the limits on hostile input, and round-trip properties.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quizgen.judge.messages as messages
from quizgen.core.answer import ANSWER_KINDS, Answer, Misconception
from quizgen.core.errors import AnswerParseError, QuizgenError
from quizgen.judge import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_LENGTH,
    Tolerance,
    Verdict,
    close,
    describe_expected,
    examples,
    format_value,
    judge,
    parse,
    unreadable,
)
from quizgen.judge.reader import literal_figures

ROOT = Path(__file__).resolve().parent.parent
VECTORS_PATH = ROOT / "tests" / "data" / "judge_vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
STATUSES = ("right", "wrong", "too-few-figures", "unreadable")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _vector_id(i: int, v: dict[str, Any]) -> str:
    typed = v["typed"]
    shown = typed if len(typed) <= 24 else typed[:21] + "..."
    return f"{i}-{v['kind']}-{v['status']}-{shown!r}"


# ----------------------------------------------------------------------------------------------
# The shared table


def test_vector_table_shape() -> None:
    assert len(VECTORS) >= 60
    fields = {"kind", "key", "tolerance", "misconceptions", "typed", "status", "misconception"}
    for v in VECTORS:
        assert set(v) - {"whole"} == fields  # "whole": true marks a count (Answer.whole)
        assert v.get("whole", True) is True and (not v.get("whole") or v["kind"] == "number")
        assert v["kind"] in ANSWER_KINDS
        assert v["status"] in STATUSES
        assert set(v["tolerance"]) == {"rel", "abs"}
        names = [m["name"] for m in v["misconceptions"]]
        assert v["misconception"] is None or v["misconception"] in names
        assert all(set(m) == {"name", "value"} for m in v["misconceptions"])


def test_vector_table_covers_every_case() -> None:
    seen = {(v["kind"], v["status"]) for v in VECTORS}
    for kind in ("number", "vector", "matrix"):
        for status in STATUSES:
            assert (kind, status) in seen
    for status in ("right", "wrong", "unreadable"):
        assert ("shape", status) in seen
        assert ("formula", status) in seen
    with_misconception = {v["kind"] for v in VECTORS if v["misconception"]}
    assert with_misconception == set(ANSWER_KINDS)
    typed = {v["typed"] for v in VECTORS}
    for hostile in ("__import__('os').system('x')", "9^9^9^9", "1e400", "nan", "inf", "", "   "):
        assert hostile in typed
    assert any(len(t) >= 5000 for t in typed)
    assert any(t.startswith("(" * 100) for t in typed)
    assert any("\u0000" in t for t in typed)


@pytest.mark.parametrize(
    "vector", VECTORS, ids=[_vector_id(i, v) for i, v in enumerate(VECTORS)]
)
def test_judge_vectors(vector: dict[str, Any]) -> None:
    misconceptions = [
        Misconception(m["name"], f"The mistake called {m['name']}.", m["value"])
        for m in vector["misconceptions"]
    ]
    verdict = judge(
        Answer(vector["kind"], vector["key"], vector.get("whole", False)),
        vector["typed"],
        Tolerance(**vector["tolerance"]),
        misconceptions,
    )
    assert verdict.status == vector["status"], verdict.message
    got = verdict.misconception.name if verdict.misconception else None
    assert got == vector["misconception"], verdict.message
    assert verdict.message
    assert verdict.correct == (vector["status"] == "right")
    if vector["status"] == "unreadable":
        assert verdict.given is None
        assert "; try " in verdict.message
        assert verdict.message.startswith(("could not read ", "expected "))
    else:
        assert verdict.given is not None
    if got is not None:
        assert got in verdict.message
        assert f"The mistake called {got}." in verdict.message


# ----------------------------------------------------------------------------------------------
# Reading each syntax

NUMBERS = [
    ("3", 3.0),
    ("-0.25", -0.25),
    (".5", 0.5),
    ("+2", 2.0),
    ("1e-3", 1e-3),
    ("2.5E4", 2.5e4),
    ("2.5e+4", 2.5e4),
    ("1.", 1.0),
    ("2/3", 2 / 3),
    ("-1/4", -0.25),
    ("1 + 2*3", 7.0),
    ("(1 + 2)*3", 9.0),
    ("2^10", 1024.0),
    ("2**10", 1024.0),
    ("2^-1", 0.5),
    ("2^3^2", 512.0),
    ("-2^2", -4.0),
    ("(-2)^2", 4.0),
    ("2*-3", -6.0),
    ("2--3", 5.0),
    ("1 - 2", -1.0),
    ("1-2", -1.0),
    ("1- 2", -1.0),
    ("6/2/3", 1.0),
    ("2×3", 6.0),
    ("2·3", 6.0),
    ("sqrt(2)/2", math.sqrt(2) / 2),
    ("SQRT(4)", 2.0),
    ("exp(1)", math.e),
    ("log(10)", math.log(10)),
    ("ln(10)", math.log(10)),
    ("pi", math.pi),
    ("π", math.pi),
    ("Pi/2", math.pi / 2),
    ("e", math.e),
    ("e^2", math.e**2),
    ("√2", math.sqrt(2)),
    ("1/√3", 1 / math.sqrt(3)),
    ("√(1/2)", math.sqrt(0.5)),
    ("√√16", 2.0),
    ("√2^2", 2.0000000000000004),
    ("−0.25", -0.25),
    ("−1/4", -0.25),
    ("  0.5\n", 0.5),
    ("(0.5)", 0.5),
    ("sqrt( 2 )", math.sqrt(2)),
    ("1e-400", 0.0),
    ("-0", -0.0),
]


@pytest.mark.parametrize("text,expected", NUMBERS)
def test_parse_number(text: str, expected: float) -> None:
    value = parse(text, "number")
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-15, abs=0.0)


VECTORS_SYNTAX = [
    ("[1, 2, 3]", [1.0, 2.0, 3.0]),
    ("(1, 2, 3)", [1.0, 2.0, 3.0]),
    ("1 2 3", [1.0, 2.0, 3.0]),
    ("1, 2, 3", [1.0, 2.0, 3.0]),
    ("[1 2 3]", [1.0, 2.0, 3.0]),
    ("[1/2, sqrt(4)]", [0.5, 2.0]),
    ("1 -2 3", [1.0, -2.0, 3.0]),
    ("1 +2", [1.0, 2.0]),
    ("[1 - 2 3]", [-1.0, 3.0]),
    ("[1-2 3]", [-1.0, 3.0]),
    ("(1 -2, 3)", [-1.0, 3.0]),
    ("[1, 2,]", [1.0, 2.0]),
    ("(3,)", [3.0]),
    ("5", [5.0]),
    ("1; 2; 3", [1.0, 2.0, 3.0]),
    ("1\n2\n3", [1.0, 2.0, 3.0]),
    ("[[1, 2, 3]]", [1.0, 2.0, 3.0]),
    ("[[1], [2], [3]]", [1.0, 2.0, 3.0]),
    ("[ ]", []),
    ("[−1, −2]", [-1.0, -2.0]),
]


@pytest.mark.parametrize("text,expected", VECTORS_SYNTAX)
def test_parse_vector(text: str, expected: list[float]) -> None:
    value = parse(text, "vector")
    assert value == expected
    assert all(isinstance(v, float) for v in value)


MATRICES = [
    ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("((1, 2), (3, 4))", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 2; 3 4", [[1.0, 2.0], [3.0, 4.0]]),
    ("1, 2; 3, 4", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 2\n3 4", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 2\r\n3 4\n", [[1.0, 2.0], [3.0, 4.0]]),
    ("[1 2; 3 4]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[[1 2] [3 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[[1, 2],\n [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[\n[1, 2],\n[3, 4]\n]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[[1,2];[3,4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 2;\n3 4;", [[1.0, 2.0], [3.0, 4.0]]),
    ("1 -2; -3 4", [[1.0, -2.0], [-3.0, 4.0]]),
    ("[[1/2, 0], [0, sqrt(4)]]", [[0.5, 0.0], [0.0, 2.0]]),
    ("1 2 3", [[1.0, 2.0, 3.0]]),
    ("7", [[7.0]]),
    ("[[1, 2]]", [[1.0, 2.0]]),
    ("[1; 2]", [[1.0], [2.0]]),
]


@pytest.mark.parametrize("text,expected", MATRICES)
def test_parse_matrix(text: str, expected: list[list[float]]) -> None:
    assert parse(text, "matrix") == expected


SHAPES = [
    ("(3, 1, 4)", [3, 1, 4]),
    ("[3,1,4]", [3, 1, 4]),
    ("(3, 1, 4,)", [3, 1, 4]),
    ("torch.Size([3, 1, 4])", [3, 1, 4]),
    ("torch.Size((3, 1, 4))", [3, 1, 4]),
    ("torch . Size ([3, 1, 4])", [3, 1, 4]),
    ("Size([3, 1, 4])", [3, 1, 4]),
    ("3x1x4", [3, 1, 4]),
    ("3 x 1 x 4", [3, 1, 4]),
    ("3X1X4", [3, 1, 4]),
    ("3×1×4", [3, 1, 4]),
    ("3, 1, 4", [3, 1, 4]),
    ("3 1 4", [3, 1, 4]),
    ("(3,)", [3]),
    ("[3]", [3]),
    ("3,", [3]),
    ("3", [3]),
    ("(3)", [3]),
    ("(0, 5)", [0, 5]),
    ("()", []),
    ("( )", []),
    ("[]", []),
    ("torch.Size([])", []),
    ("torch.Size()", []),
    ("error", "error"),
    ("Error", "error"),
    ("ERROR!", "error"),
    ("raises", "error"),
    ("it raises", "error"),
    ("an error", "error"),
    ("exception", "error"),
    ("RuntimeError", "error"),
    ("IndexError", "error"),
    ("ValueError", "error"),
    ("TypeError.", "error"),
]


@pytest.mark.parametrize("text,expected", SHAPES)
def test_parse_shape(text: str, expected: Any) -> None:
    value = parse(text, "shape")
    assert value == expected
    if isinstance(value, list):
        assert all(type(v) is int for v in value)


UNREADABLE = [
    ("number", "1/2pi", "ambiguous"),
    ("number", "(2)3", "with *"),
    ("number", "√-2", "write √(2)"),
    ("number", "sqrt(2, 3)", "one argument"),
    ("number", "50%", "0.5"),
    ("number", "2^", "nothing after it"),
    ("number", "1 = 1", "equation"),
    ("number", "abc", "'abc' is not a known name"),
    ("number", "1/sqrt(d_k)", "'d_k' is not a known name: type the number it stands for"),
    ("number", "nan", "finite"),
    ("number", "1e400", "too large"),
    ("number", "1/0", "divides by zero"),
    ("number", "sqrt(-1)", "square root of a negative"),
    ("number", "log(0)", "log of zero"),
    ("number", "(-8)^(1/3)", "fractional power"),
    ("number", "0^-1", "0 to a negative power"),
    ("number", "(1", "never closed"),
    ("number", "1)", "no matching"),
    ("number", "[1)", "closes a '['"),
    ("number", "1.2.3", "runs straight into"),
    ("number", "", "empty"),
    ("vector", "[1,,2]", "empty entry"),
    ("vector", ",1", "no entry before it"),
    ("vector", "(1 2)", "commas"),
    ("vector", "[1, [2]]", "mixes numbers and lists"),
    ("matrix", "[[1, 2], [3]]", "row 1 has 2 entries but row 2 has 1"),
    ("matrix", "1 2; 3", "different lengths"),
    ("matrix", "1 2;; 3 4", "empty row"),
    ("matrix", "[[[1]]]", "deeper than a matrix"),
    ("matrix", "[[1, 2]] * 2", "cannot be applied to a list"),
    ("shape", "-1", "negative"),
    ("shape", "(3, -1)", "negative"),
    ("shape", "3.0", "whole number"),
    ("shape", "(3, 1, 4", "never closed"),
    ("shape", "(3, 1]", "closed by"),
    ("shape", "[[3]]", "one list"),
    ("shape", "3x", "ends with"),
    ("shape", "3,,4", "no number before it"),
    ("shape", "torch.Size(3, 4)", "torch.Size([3, 1, 4])"),
    ("shape", "", "empty"),
    ("shape", "9" * 16, "too large"),
    ("shape", ", ".join(["1"] * 65), "64 dimensions"),
    # The character typed, not what the expression tokenizer reads it as.
    ("shape", "3²", "unexpected character '²' at position 2"),
    ("shape", "3·4", "unexpected character '·' at position 2"),
    ("shape", "α", "unexpected character 'α' at position 1"),
    ("shape", "1e3", "unexpected character 'e' at position 2"),
    ("shape", "(3, 4)%", "unexpected character '%' at position 7"),
    ("shape", "a%", "unexpected character 'a' at position 1"),
]


# One language: a number answer is a formula without symbols. Each text reads the same in both,
# to the value written beside it by another route (math on the intended expression).
ONE_LANGUAGE = [
    ("2pi", 2 * math.pi),
    ("2√3", 2 * math.sqrt(3)),
    ("3(1+1)", 6.0),
    ("2²", 4.0),
    ("10⁻³", 1e-3),
    ("1÷4", 0.25),
    ("-2^2", -4.0),
    ("2^-1", 0.5),
    ("2^3^2", 512.0),
    ("√√16", 2.0),
    ("PI/2", math.pi / 2),
    ("Sqrt(2)/2", math.sqrt(2) / 2),
    ("e^2", math.e**2),
    ("2(3)(4)", 24.0),
    ("−1·2×3", -6.0),
    ("2**-2", 0.25),
    ("ln(e) + abs(-1) + cos(0) + sin(0)", 3.0),
]


@pytest.mark.parametrize("text,value", ONE_LANGUAGE)
def test_a_number_reads_as_a_formula_without_symbols(text: str, value: float) -> None:
    from quizgen.core import formula

    assert parse(text, "number") == pytest.approx(value, rel=1e-12)
    assert formula.evaluate(formula.read(text, {}), {}) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["1/2pi", "(2)3", "2^", "1.2.3", "√-2", "sqrt(2, 3)", "50%", "1 = 1", "1e400", "[1, 2]"])
def test_refused_as_a_number_and_as_a_formula(text: str) -> None:
    from quizgen.core import formula

    with pytest.raises(AnswerParseError):
        parse(text, "number")
    with pytest.raises(AnswerParseError):
        formula.read(text, {})


@pytest.mark.parametrize("kind,text,fragment", UNREADABLE)
def test_unreadable_messages(kind: str, text: str, fragment: str) -> None:
    with pytest.raises(AnswerParseError) as info:
        parse(text, kind)
    message = str(info.value)
    assert fragment in message
    assert message.startswith(f"could not read '{text.strip()[:37]}")
    assert message.endswith(f"; try {examples(kind)}")


def test_message_format_from_the_brief() -> None:
    with pytest.raises(AnswerParseError) as info:
        parse("abc", "number")
    message = str(info.value)
    assert message.startswith("could not read 'abc' as a number")
    assert message.endswith("try 0.25, 1/4, 2.5e-3 or sqrt(2)/2")
    assert issubclass(AnswerParseError, QuizgenError)


@pytest.mark.parametrize(
    "kind,text,read",
    [
        ("number", "[[1, 2], [3, 4]]", "a 2×2 matrix"),
        ("number", "[1, 2, 3]", "a vector of 3 numbers"),
        ("number", "[0.5]", "a vector of 1 number"),
        ("number", "1 2", "a vector of 2 numbers (a space separates entries"),
        ("number", "0,5", "a vector of 2 numbers (a comma separates entries"),
        ("vector", "1 2; 3 4", "a 2×2 matrix"),
    ],
)
def test_wrong_kind_messages(kind: str, text: str, read: str) -> None:
    with pytest.raises(AnswerParseError) as info:
        parse(text, kind)
    message = str(info.value)
    what = "a number" if kind == "number" else "a vector"
    assert message.startswith(f"expected {what}, but read {read}")
    assert message.endswith(f"; try {examples(kind)}")


@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_every_example_in_messages_reads(kind: str) -> None:
    text = examples(kind)
    assert text
    symbols = {"d": "size", "sigma": "positive", "t": "size", "T": "size"} if kind == "formula" else None
    for example in messages.EXAMPLE_LISTS[kind]:
        parse(example, kind, symbols)
        assert example in text


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse("1", "scalar")
    with pytest.raises(ValueError):
        examples("scalar")
    with pytest.raises(TypeError):
        parse(b"1", "number")  # type: ignore[arg-type]


def test_literal_figures() -> None:
    def f(literal: str) -> tuple[int, int] | None:
        return literal_figures(("num", literal))

    assert f("0.4") == (1, -1)
    assert f("0.40") == (2, -2)
    assert f("0.044") == (2, -3)
    assert f("120") == (2, 1)
    assert f("120.") == (3, 0)
    assert f("100") == (1, 2)
    assert f("1205") == (4, 0)
    assert f("2.5E4") == (2, 3)
    assert f("10e3") == (1, 4)
    assert f("0") is None
    assert f("0.00") is None


# ----------------------------------------------------------------------------------------------
# Comparing, describing, formatting


def test_tolerance_rule() -> None:
    t = Tolerance()
    assert (t.rel, t.abs) == (0.005, 0.0005)
    assert close("number", 100.0, 100.5, t)
    assert not close("number", 100.0, 100.6, t)
    assert close("number", 0.0, 0.0005, t)
    assert not close("number", 0.0, 0.0006, t)
    assert close("number", 0.2, 0.201, t)  # exactly on the boundary
    assert close("number", -2, -2.009, t)
    assert not close("number", 2.0, -2.0, t)
    assert close("number", 1.0, 1.0, Tolerance(0.0, 0.0))
    for bad in (-0.1, float("nan"), float("inf"), True, "0.1"):
        with pytest.raises(ValueError):
            Tolerance(rel=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            Tolerance(abs=bad)  # type: ignore[arg-type]


def test_close_arrays_and_shapes() -> None:
    t = Tolerance()
    assert close("vector", [1, 2], [1.001, 2.0], t)
    assert not close("vector", [1, 2], [1.0, 2.0, 3.0], t)
    assert not close("vector", [1, 2], [1.0, 2.1], t)
    assert close("matrix", [[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.004]], t)
    assert not close("matrix", [[1, 2], [3, 4]], [[1.0, 2.0, 3.0, 4.0]], t)
    assert not close("matrix", [[1, 2], [3, 4]], [[1.0, 3.0], [2.0, 4.0]], t)
    assert close("shape", [3, 1, 4], [3, 1, 4], t)
    assert not close("shape", [3, 1, 4], [3, 1, 4, 1], t)
    assert not close("shape", [3, 1, 4], "error", t)
    assert close("shape", "error", "error", t)
    assert close("shape", [], [], t)
    # malformed values never match and never raise
    for kind in ANSWER_KINDS:
        for bad in (None, "x", [None], [[1], [1, 2]], float("nan"), {"a": 1}):
            assert not close(kind, bad, bad, t)


def test_describe_expected() -> None:
    assert describe_expected(Answer("number", 0.5)) == "a number"
    assert describe_expected(Answer("number", 12.0, whole=True)) == "a whole number"  # a count says so up front
    assert describe_expected(Answer("vector", [1.0, 2.0, 3.0, 4.0])) == "a vector of 4 numbers"
    assert describe_expected(Answer("vector", [1.0])) == "a vector of 1 number"
    assert describe_expected(Answer("matrix", [[1.0] * 3] * 3)) == "a 3×3 matrix"
    assert describe_expected(Answer("matrix", [[1.0] * 3] * 2)) == "a 2×3 matrix"
    assert describe_expected(Answer("shape", [3, 1, 4])) == "a shape such as (3, 1, 4), or error"
    assert describe_expected(Answer("shape", "error")) == "a shape such as (3, 1, 4), or error"


def test_format_value() -> None:
    assert format_value("number", 0.43721234) == "0.437212"
    assert format_value("number", 3) == "3"
    assert format_value("number", 1e-7) == "1e-07"
    assert format_value("vector", [0.1, 0.2]) == "[0.1, 0.2]"
    assert format_value("matrix", [[1, 2], [3, 4]]) == "[[1, 2], [3, 4]]"
    assert format_value("shape", [3, 1, 4]) == "torch.Size([3, 1, 4])"
    assert format_value("shape", []) == "torch.Size([])"
    assert format_value("shape", "error") == "error"


# ----------------------------------------------------------------------------------------------
# Verdict details


def test_verdict_for_matrix_entries() -> None:
    answer = Answer("matrix", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    verdict = judge(answer, "1 2 3; 4 0 6; 7 8 0")
    assert verdict.status == "wrong"
    assert (verdict.entries_right, verdict.entries_total) == (7, 9)
    assert verdict.wrong_entries == ((1, 1), (2, 2))
    assert "7 of 9 entries right" in verdict.message
    assert "row 2, column 2 and row 3, column 3" in verdict.message

    wrong_dims = judge(answer, "[[1, 2, 3], [4, 5, 6]]")
    assert wrong_dims.status == "wrong"
    assert "expected a 3×3 matrix, got 2×3" in wrong_dims.message
    assert (wrong_dims.entries_right, wrong_dims.entries_total) == (0, 9)

    # As many numbers as the key has entries, but no row breaks: asked again with the layout
    # (the typed numbers, in rows), never judged wrong for it, even when the numbers are wrong.
    for typed in ("1 2 3 4 5 6 7 8 9", "[1, 2, 3, 4, 5, 6, 7, 8, 0]", "[[1, 2, 3, 4, 5, 6, 7, 8, 9]]"):
        flat = judge(answer, typed)
        assert flat.status == "unreadable" and flat.given is None, typed
        assert "as a 3×3 matrix: it is one row of 9 numbers" in flat.message
        assert "; try 1 2 3; 4 5 6; 7 8" in flat.message
    assert judge(answer, "1 2 3 4 5 6 7 8").status == "wrong"  # not the number of entries
    assert judge(Answer("matrix", [[1.0, 2.0, 3.0]]), "1 2 3").correct  # one row is a row

    right = judge(answer, "[[1, 2, 3], [4, 5, 6], [7, 8, 9]]")
    assert right.correct and right.entries_right == 9 and right.wrong_entries == ()


def test_verdict_for_vector_entries() -> None:
    answer = Answer("vector", [0.5, -1.0, 2.0, 4.0])
    verdict = judge(answer, "0.5 1 2 5")
    assert verdict.status == "wrong"
    assert verdict.wrong_entries == ((1,), (3,))
    assert "2 of 4 entries right" in verdict.message
    assert "entries 2 and 4" in verdict.message
    coarse = judge(Answer("vector", [0.43721, 1.23456]), "[0.44, 1.2]")
    assert coarse.status == "too-few-figures"
    assert coarse.wrong_entries == ((0,), (1,))
    assert "at least 3" in coarse.message


def test_verdict_numbers() -> None:
    key = Answer("number", 0.43721)
    right = judge(key, "0.437")
    assert right.correct and right.given == 0.437 and right.entries_right is None
    assert "0.43721" in right.message
    coarse = judge(key, "0.44")
    assert coarse.status == "too-few-figures"
    assert "2 significant figures" in coarse.message and "at least 3" in coarse.message
    wrong = judge(key, "0.5")
    assert wrong.status == "wrong" and wrong.misconception is None
    assert "0.5%" in wrong.message
    unreadable = judge(key, "abc")
    assert unreadable.status == "unreadable" and unreadable.given is None
    assert not unreadable.correct


def test_misconception_named_with_description() -> None:
    m = Misconception("no-scaling", "Forgot to divide the scores by √d_k.", 0.6)
    other = Misconception("other", "Something else.", 0.9)
    verdict = judge(Answer("number", 0.43721), "3/5", misconceptions=[other, m])
    assert verdict.status == "wrong"
    assert verdict.misconception is m
    assert "no-scaling" in verdict.message and "Forgot to divide" in verdict.message


def test_shape_verdicts() -> None:
    m = Misconception("kept-dim", "Reduced without dropping the dimension.", [3, 1])
    verdict = judge(Answer("shape", [3]), "3x1", misconceptions=[m])
    assert verdict.status == "wrong" and verdict.misconception is m
    assert judge(Answer("shape", [3]), "torch.Size([3])").correct
    raises = judge(Answer("shape", "error"), "(3,)")
    assert raises.status == "wrong" and raises.given == [3]
    assert judge(Answer("shape", "error"), "RuntimeError").given == "error"


def test_misconception_comes_before_too_few_figures() -> None:
    m = Misconception("close-mistake", "A mistake near the key.", 0.44)
    verdict = judge(Answer("number", 0.43721), "0.44", misconceptions=[m])
    assert verdict.status == "wrong"
    assert verdict.misconception is m
    # Without a mistake at that value, the same text is a coarse rounding of the key.
    other = Misconception("far-mistake", "A mistake far from the key.", 0.9)
    verdict = judge(Answer("number", 0.43721), "0.44", misconceptions=[other])
    assert verdict.status == "too-few-figures"
    assert verdict.misconception is None


# ----------------------------------------------------------------------------------------------
# Hostile input

HOSTILE = [
    "__import__('os').system('x')",
    "__import__",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "exec('1')",
    "eval('1')",
    "compile('1', '', 'eval')",
    "lambda: 0",
    "a" * 5000,
    "1" * 5000,
    " " * 5000,
    "(" * 100 + "1" + ")" * 100,
    "(" * 2000,
    "[" * 2000,
    "[" * 1000 + "]" * 1000,
    "sqrt(" * 300,
    "-" * 1999 + "1",
    "√" * 1999 + "2",
    "2" + "^2" * 999,
    "9^9^9^9",
    "9**9**9**9",
    "1e400",
    "1e" + "9" * 1990,
    "0e" + "9" * 1990,
    "1e-" + "9" * 1990,
    "0." + "0" * 1990 + "1",
    "nan",
    "inf",
    "-inf",
    "",
    " \t\n ",
    "\u0000\u0001\u0002\u00ff\ufffd",
    "\ud800",
    "1\x00",
    ", ".join(["1"] * 999),
    "1;" * 999,
    "\n" * 1999,
    "torch.Size(" * 100,
    "((((((((((((((((((((1))))))))))))))))))))",
]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the answer reader must never run code")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_hostile_input_is_refused_cheaply(
    kind: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quizgen.core.formula  # noqa: F401  (imported first: importing a module whose .pyc is stale calls compile())

    start = time.perf_counter()
    # Patched only around the reader: pytest itself needs compile() to report.
    with monkeypatch.context() as patch:
        for name in ("eval", "exec", "compile"):
            patch.setattr(builtins, name, _refuse)
        try:
            parse(text, kind, FORMULA_SYMBOLS if kind == "formula" else None)
        except AnswerParseError as exc:
            message = str(exc)
        else:
            message = ""
        verdict = judge(Answer(kind, "error" if kind == "shape" else _key_for(kind)), text)
    elapsed = time.perf_counter() - start
    if message:
        assert "; try " in message
        assert len(message) < 600
    assert verdict.status in STATUSES
    slip = not message and ", but read a number; try " in verdict.message  # a plain number for a key of several entries
    assert (verdict.status == "unreadable") == (bool(message) or slip), (verdict.status, message)  # the judge reads as the reader does
    assert elapsed < (0.1 if kind == "formula" else 0.5)


FORMULA_SYMBOLS = {"d": "size", "sigma": "positive"}


def _key_for(kind: str) -> Any:
    return {"number": 1.0, "vector": [1.0, 2.0], "matrix": [[1.0]], "formula": {"formula": "d*sigma^4", "symbols": FORMULA_SYMBOLS}}[kind]


def test_caps_are_enforced() -> None:
    assert parse("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH, "number") == 1.0
    with pytest.raises(AnswerParseError, match="nested more than 16 deep"):
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), "number")
    assert len(parse(" ".join(["1"] * MAX_ENTRIES), "vector")) == MAX_ENTRIES
    with pytest.raises(AnswerParseError, match="at most 400 are read"):
        parse(" ".join(["1"] * (MAX_ENTRIES + 1)), "vector")
    with pytest.raises(AnswerParseError, match="at most 400 are read"):
        parse("; ".join([" ".join(["1"] * 21)] * 20), "matrix")
    assert parse(" " * (MAX_LENGTH - 1) + "1", "number") == 1.0
    with pytest.raises(AnswerParseError, match="at most 2000 are read"):
        parse(" " * MAX_LENGTH + "1", "number")
    with pytest.raises(AnswerParseError, match="too large"):
        parse("9^9^9^9", "number")


def test_messages_show_control_characters_escaped() -> None:
    with pytest.raises(AnswerParseError) as info:
        parse("\x1b[2J", "number")
    assert "\x1b" not in str(info.value)
    assert "\\x1b" in str(info.value)


@pytest.mark.parametrize("module", sorted((ROOT / "quizgen" / "judge").glob("*.py")), ids=lambda p: p.name)
def test_source_has_no_dynamic_code_paths(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    banned_calls = {
        "eval", "exec", "compile", "__import__", "literal_eval", "sympify", "parse_expr"
    }
    banned_modules = {"torch", "numpy", "sympy", "ast", "pickle", "importlib", "subprocess", "os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            assert name not in banned_calls, name
            if isinstance(func, ast.Attribute) and func.attr in banned_calls:
                # re.compile is the only attribute call of that name allowed
                assert func.attr == "compile" and isinstance(func.value, ast.Name)
                assert func.value.id == "re"
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & banned_modules
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in banned_modules


def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, quizgen.judge\n"
        "print(sorted(m for m in ('torch', 'numpy', 'sympy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_doctests() -> None:
    import quizgen.core.answer
    import quizgen.core.expression
    import quizgen.judge.reader
    import quizgen.judge.verdict

    modules = (quizgen.core.answer, quizgen.judge.verdict, quizgen.judge.reader, messages, quizgen.core.expression)
    results = [doctest.testmod(m) for m in modules]
    assert sum(r.attempted for r in results) >= 10
    assert sum(r.failed for r in results) == 0


# ----------------------------------------------------------------------------------------------
# Properties

finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@FAST
@given(finite)
def test_repr_of_any_float_reads_back_exactly(x: float) -> None:
    assert parse(repr(x), "number") == x
    assert parse(repr(x), "vector") == [x]


@FAST
@given(finite)
def test_formatted_number_reads_back_within_tolerance(x: float) -> None:
    assert close("number", x, parse(format_value("number", x), "number"), Tolerance())


@FAST
@given(st.lists(finite, min_size=0, max_size=20))
def test_formatted_vector_reads_back(v: list[float]) -> None:
    read = parse(format_value("vector", v), "vector")
    assert close("vector", v, read, Tolerance())


@FAST
@given(
    st.integers(1, 6).flatmap(
        lambda cols: st.lists(
            st.lists(moderate, min_size=cols, max_size=cols), min_size=1, max_size=6
        )
    )
)
def test_formatted_matrix_reads_back(m: list[list[float]]) -> None:
    read = parse(format_value("matrix", m), "matrix")
    assert close("matrix", m, read, Tolerance())


shapes = st.one_of(st.just("error"), st.lists(st.integers(0, 10**12), min_size=0, max_size=8))


@FAST
@given(shapes)
def test_formatted_shape_reads_back(shape: Any) -> None:
    assert parse(format_value("shape", shape), "shape") == shape


answer_values = st.one_of(
    st.tuples(st.just("number"), finite),
    st.tuples(st.just("vector"), st.lists(finite, min_size=1, max_size=12)),
    st.tuples(
        st.just("matrix"),
        st.integers(1, 5).flatmap(
            lambda c: st.lists(st.lists(finite, min_size=c, max_size=c), min_size=1, max_size=5)
        ),
    ),
    st.tuples(st.just("shape"), shapes),
)


@FAST
@given(answer_values)
def test_judge_of_the_key_itself_is_right(kind_value: tuple[str, Any]) -> None:
    kind, value = kind_value
    answer = Answer(kind, value)
    verdict = judge(answer, format_value(kind, value))
    assert verdict.status == "right", verdict.message
    if kind == "number":
        assert judge(answer, repr(value)).status == "right"


@FAST
@given(
    st.floats(min_value=1e-6, max_value=1e6).flatmap(lambda x: st.sampled_from([x, -x])),
    st.integers(1, 8),
)
def test_correct_rounding_is_never_wrong(key: float, figures: int) -> None:
    typed = f"{key:.{figures - 1}e}"
    verdict = judge(Answer("number", key), typed)
    assert verdict.status in ("right", "too-few-figures"), (typed, verdict.message)
    if verdict.status == "too-few-figures":
        needed = int(verdict.message.split("give at least ")[1].split()[0])
        assert needed > figures


garbage_alphabet = st.sampled_from(
    list("0123456789.,;:[]()+-−*/^xX× eEpisqrtlognπ√\n\t'\"_%=!")
    + ["torch.Size(", "sqrt(", "**", "error", "1e308", "\u0000"]
)


PLAIN_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
plain_decimals = st.from_regex(rf"\A{PLAIN_DECIMAL}\Z", fullmatch=True)
plain_vectors = st.lists(plain_decimals, min_size=1, max_size=6).flatmap(
    lambda xs: st.sampled_from([", ".join(xs), " ".join(xs), "[" + ", ".join(xs) + "]"])
)


def _reference_reading(text: str, kind: str) -> Any:
    """What Python's float() makes of a plain decimal (a number) or of plain decimals separated by
    commas or spaces, perhaps in brackets (a vector); None when the text is not that plain, and
    "refused" when a number in it is beyond a double."""
    import re

    if kind not in ("number", "vector"):
        return None
    t = text.strip()
    if kind == "vector" and t.startswith("[") and t.endswith("]"):
        t = t[1:-1].strip()
    parts = [t] if kind == "number" else re.split(r"\s*,\s*|\s+", t)
    if not t or not all(re.fullmatch(PLAIN_DECIMAL, x) for x in parts):
        return None
    values = [float(x) for x in parts]
    if not all(math.isfinite(v) for v in values):
        return "refused"
    return values[0] if kind == "number" else values


@FAST
@given(st.one_of(st.text(max_size=120), st.lists(garbage_alphabet, max_size=60).map("".join), plain_decimals, plain_vectors))
def test_garbage_raises_only_answer_parse_error(text: str) -> None:
    """Any text: a value of the kind asked for or the reader's own error, which quotes the text
    and says what to try; and plain decimals read exactly as Python's float() reads them."""
    for kind in ANSWER_KINDS:
        expected = _reference_reading(text, kind)
        try:
            value = parse(text, kind, FORMULA_SYMBOLS if kind == "formula" else None)
        except AnswerParseError as exc:
            assert "; try " in str(exc) and len(str(exc)) < 600, str(exc)
            assert expected in (None, "refused"), (text, kind, expected, str(exc))
            continue
        assert expected != "refused", (text, kind, value)
        if expected is not None:
            assert value == expected, (text, kind, value, expected)
        if kind == "formula":
            assert parse(value["formula"], kind, FORMULA_SYMBOLS) == value  # the written form reads back the same
        elif kind == "number":
            assert isinstance(value, float) and math.isfinite(value)
        elif kind == "shape":
            assert value == "error" or all(type(v) is int and v >= 0 for v in value)
        else:
            flat = value if kind == "vector" else [x for row in value for x in row]
            assert all(isinstance(x, float) and math.isfinite(x) for x in flat)


@FAST
@given(st.text(max_size=80), answer_values)
def test_judge_never_raises(text: str, kind_value: tuple[str, Any]) -> None:
    kind, value = kind_value
    verdict = judge(Answer(kind, value), text)
    assert isinstance(verdict, Verdict)
    assert verdict.status in STATUSES and verdict.message
    # The verdict agrees with reading the text and comparing it with the key separately; saying
    # there is no error is read (unreadable() is None) and judged against the key alone.
    why = unreadable(text, kind)
    if why is None and (verdict.given == "no error" or "it says there is no error" in verdict.message):
        assert kind == "shape" and verdict.status == ("wrong" if value == "error" else "unreadable"), verdict
        return
    if why is None and verdict.status == "unreadable" and ", but read a number; try " in verdict.message:
        # The one slip only the key shows: a plain number where the key has several entries.
        assert kind in ("vector", "matrix") and isinstance(parse(text, "number"), float), verdict
        return
    assert (why is None) == (verdict.status != "unreadable"), (verdict, why)
    try:
        given = parse(text, kind)
    except AnswerParseError as exc:
        assert verdict.status == "unreadable" and verdict.message == str(exc), (verdict, str(exc))
    else:
        assert verdict.status != "unreadable" and verdict.given == given, (verdict, given)
        assert (verdict.status == "right") == close(kind, value, given, Tolerance()), (verdict, value, given)


def test_every_matching_mistake_is_named() -> None:
    """Two named mistakes that give the same value here: the answer could come from either, so
    the verdict names both (the first stays the verdict's misconception)."""
    ms = [Misconception("a-mistake", "First reason.", 0.8), Misconception("b-mistake", "Second reason.", 0.8001), Misconception("c-mistake", "Other.", 0.1)]
    v = judge(Answer("number", 0.5), "0.8", Tolerance(), ms)
    assert v.misconception is not None and v.misconception.name == "a-mistake" and [m.name for m in v.also] == ["b-mistake"]
    assert "any of 2 known mistakes (a-mistake, b-mistake). First reason. Second reason." in v.message
    one = judge(Answer("number", 0.5), "0.1", Tolerance(), ms)
    assert one.also == () and "a known mistake (c-mistake). Other." in one.message


# ---------------------------------------------------------------------------------------------
# "error" is affirmed only by a closed list; a denial is judged as one


_DENIALS = (
    "ItDoesNotRaiseAnError", "NotAnError", "NoError", "NoException", "doesn't raise", "does not raise",
    "no error", "not error", "It doesn’t raise.", "NO ERROR!", "never raises", "no exception is raised",
    "raises no error", "without error", "works", "it works", "fine", "no", "NotAnError: x", "Doesnt throw",
)


@pytest.mark.parametrize("typed", _DENIALS)
def test_a_denial_of_an_error_is_never_right(typed: str) -> None:
    verdict = judge(Answer("shape", "error"), typed)
    assert verdict.status == "wrong" and verdict.message == "Wrong: this does raise an error.", typed
    # Where the operation does not raise, a denial is not a shape: the shape is asked for.
    asked = judge(Answer("shape", [3, 1]), typed)
    assert asked.status == "unreadable" and "give the shape of the result" in asked.message
    with pytest.raises(AnswerParseError):
        parse(typed, "shape")  # parse never turns a denial into a value


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"(?:[a-z]+\.)?[A-Z][a-z]{0,7}(?:[A-Z][a-z]{0,7}){0,3}(?:Error|Exception)(?::[ a-z]{0,12})?", fullmatch=True))
def test_only_a_closed_list_of_exception_names_reads_as_error(typed: str) -> None:
    name = typed.split(":")[0].split(".")[-1]
    closed = {"RuntimeError", "IndexError", "ValueError", "TypeError", "OutOfMemoryError", "AssertionError", "NotImplementedError"}
    verdict = judge(Answer("shape", "error"), typed)
    assert verdict.correct == (name in closed), (typed, verdict.message)


# ---------------------------------------------------------------------------------------------
# Whole-number answers


def test_a_whole_number_answer_is_judged_as_one() -> None:
    count = Answer("number", 741.0, whole=True)
    for typed in ("741.4", "740.6", "1483/2", "741.0001", "7.414e2"):
        verdict = judge(count, typed)
        assert verdict.status == "wrong" and f"'{typed}' is not a whole number" in verdict.message, typed
    for typed in ("741", "741.0", "7.41e2", "1482/2"):
        assert judge(count, typed).correct, typed
    assert judge(Answer("number", 741.0), "741.4").correct  # the same text, for a measurement
    assert count.to_json() == {"kind": "number", "value": 741.0, "whole": True}
    assert Answer("number", 0.5).to_json() == {"kind": "number", "value": 0.5}


def test_every_count_template_declares_a_whole_number() -> None:
    """Every template whose answer is always a whole number of things says so, and every key it
    declares whole is one."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    whole: set[tuple[str, str]] = set()
    for concept in load_concepts():
        for template in concept.templates:
            keys = []
            for seed in range(12):
                problem = build_problem(concept, template, seed)
                if problem.answer.whole:
                    assert problem.answer.kind == "number" and float(problem.answer.value).is_integer()
                    whole.add((problem.family, str(problem.inputs.get("ask", ""))))
                keys.append((problem.answer.kind, problem.answer.value, problem.answer.whole))
            # A number that is whole in every variant (a count, an index) is declared whole.
            if all(kind == "number" and float(value).is_integer() for kind, value, _ in keys):
                assert all(w for _, _, w in keys), f"{concept.id}.{template.name}: whole numbers not declared whole"
    for expected in [("transformer-shapes", "mha-params"), ("transformer-shapes", "causal-entries"), ("embeddings", "table-params"),
                     ("embeddings", "bert-params"), ("normalization", "parameters"), ("fine-tuning", "total"), ("masked-modelling", "selected")]:
        assert expected in whole, (expected, whole)


def test_a_named_mistake_explains_a_matrix_without_a_list_of_cells() -> None:
    """A wrong matrix that a known mistake gives: the count of right entries and the mistake,
    no sentence per cell; without a known mistake the wrong entries are named."""
    key = Answer("matrix", [[1.0, -3.0, 0.0], [-2.0, -5.0, -1.0]])
    mistake = Misconception("no-scaling", "Left Q Kᵀ undivided by √d_k.", [[2.0, -6.0, 0.0], [-4.0, -10.0, -2.0]])
    named = judge(key, "2 -6 0; -4 -10 -2", None, [mistake])
    assert named.message == (
        "Wrong: 1 of 6 entries right; that is the value you get from a known mistake (no-scaling). Left Q Kᵀ undivided by √d_k."
    )
    plain = judge(key, "1 -3 0; -2 -5 7", None, [mistake])
    assert plain.message == "Wrong: 5 of 6 entries right; wrong: row 2, column 3 (counting from 1)."


def test_saying_there_is_no_error_is_read_before_the_key_is_known() -> None:
    """What a face answers at once (the drill, before torch): a denial is not unreadable text,
    it is judged against the key (wrong where torch raises); other text is unreadable as parse says."""
    for text in ("no error", "NONE", "it works", "doesn't raise"):
        assert unreadable(text, "shape") is None, text
        assert judge(Answer("shape", "error"), text).status == "wrong", text
    assert unreadable("zz", "shape") is not None and unreadable("(2, 3)", "shape") is None
    assert unreadable("0.5", "number") is None and "could not read" in (unreadable("0.5.5", "number") or "")
