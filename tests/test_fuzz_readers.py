"""Property-based fuzzing of every reader of outside input: concept files, answer sheets, quiz
files and typed formulas. Whatever the bytes, a reader gives its result or quizgen's own error,
never another exception.

CI runs a short budget. A long run, locally: ``QUIZGEN_FUZZ_EXAMPLES=20000 python -m pytest
tests/test_fuzz_readers.py``, or ``python benchmarks/fuzz_readers.py`` (60 s per reader, without
Hypothesis's memory of every input).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import CONCEPTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.classroom.quiz import read_quiz
from quizgen.classroom.sheets import read_answer_sheet
from quizgen.core import formula
from quizgen.core.concepts import check_files
from quizgen.core.errors import QuizgenError

FUZZ = settings(
    max_examples=int(os.environ.get("QUIZGEN_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SHIPPED = (CONCEPTS / "simclr.yaml").read_text(encoding="utf-8")
YAMLISH = st.sampled_from(list("{}[]:,-&*!|>'\"#%@`\n\t ") + ["\x00", "\xff", "é", "1e999", ".nan", "~", "yes", "0x1F", "9" * 50])


def _mutations() -> st.SearchStrategy[str]:
    """Text near a real file: a slice replaced by YAML punctuation, numbers or nothing."""
    return st.tuples(st.integers(0, len(SHIPPED)), st.integers(0, 200), st.lists(YAMLISH, max_size=12).map("".join)).map(
        lambda t: SHIPPED[: t[0]] + t[2] + SHIPPED[t[0] + t[1] :]
    )


def _bytes_or_text() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")), _mutations().map(str.encode))


@FUZZ
@given(data=_bytes_or_text())
def test_concept_file_reader(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("c") / "simclr.yaml"
    path.write_bytes(data)
    concepts, issues = check_files([path])
    assert len(concepts) + (1 if issues else 0) == 1  # the concept, or what is wrong with it
    for issue in issues:
        assert issue.line >= 1 and str(issue)


@pytest.mark.parametrize("read", [read_answer_sheet, read_quiz], ids=["answer sheet", "quiz file"])
@FUZZ
@given(data=_bytes_or_text())
def test_answer_sheet_and_quiz_file_readers(tmp_path_factory: pytest.TempPathFactory, read: Any, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("f") / "file.yaml"
    path.write_bytes(data)
    try:
        read(path)
    except QuizgenError as exc:
        assert str(exc)


@FUZZ
@given(text=st.one_of(st.text(max_size=120), st.lists(st.sampled_from(list("dhσ()^*/+-√²0123456789.e ") + ["sqrt", "log", "pi", "sigma", "**"]), max_size=40).map("".join)))
def test_formula_reader(text: str) -> None:
    symbols = {"d": "size", "h": "size", "sigma": "positive"}
    try:
        tree = formula.read(text, symbols)
    except QuizgenError as exc:
        assert str(exc).startswith("could not read ") and "; try " in str(exc)
    else:
        assert formula.read(formula.text(tree), symbols) == tree
