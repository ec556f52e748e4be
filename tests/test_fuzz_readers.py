"""Property-based fuzzing of every reader of outside input: concept files, answer sheets, quiz
files and typed formulas. Whatever the bytes, a reader gives its result or quizgen's own error,
never another exception; and the outcome is the right one: a refusal names the file (and, for a
concept file, the line and field), ``quizgen check`` exits 0 or 2 as the reader decided, and a
concept file accepted is one that a slower reference reading (PyYAML, then the JSON Schema with
jsonschema) accepts too, with the same content.

CI runs a short budget. A long run, locally: ``QUIZGEN_FUZZ_EXAMPLES=20000 python -m pytest
tests/test_fuzz_readers.py``, or ``python benchmarks/fuzz_readers.py`` (60 s per reader, without
Hypothesis's memory of every input).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.classroom.quiz import read_quiz
from quizgen.classroom.sheets import read_answer_sheet
from quizgen.cli import cli
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
    folder = tmp_path_factory.mktemp("c")
    path = folder / "simclr.yaml"
    path.write_bytes(data)
    concepts, issues = check_files([path])
    assert len(concepts) + (1 if issues else 0) == 1  # the concept, or what is wrong with it
    lines = data.count(b"\n") + 1
    for issue in issues:  # each names the file, a line of it, and a field (none for the file as a whole)
        assert Path(issue.file).resolve() == path.resolve() and 1 <= issue.line <= lines, str(issue)
        assert issue.message.strip() and "Traceback" not in issue.message, str(issue)
        assert str(issue).startswith(f"{issue.file}:{issue.line}: {issue.field + ': ' if issue.field else ''}")
    # The command: exit 2 naming the file and line of the first issue, or 0; never a traceback.
    result = CliRunner().invoke(cli, ["--concepts", str(folder), "check"])
    assert result.exit_code == (2 if issues else 0), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if issues:
        assert f"simclr.yaml:{issues[0].line}: " in result.output, result.output
    # A slower reference reading: what PyYAML and jsonschema refuse, quizgen refuses too; what
    # quizgen accepts, they read with the same content.
    reference = _reference_reading(data)
    if reference is None:
        assert issues, "quizgen accepted a file that PyYAML and the JSON Schema refuse"
    if concepts:
        assert reference is not None and reference["id"] == concepts[0].id
        assert [t["name"] for t in reference["problems"]] == [t.name for t in concepts[0].templates]
        assert [c["front"].strip() for c in reference["flashcards"]] == [c.front for c in concepts[0].flashcards]


def _reference_reading(data: bytes) -> dict[str, Any] | None:
    """The concept data by PyYAML's own safe loader on libyaml (the scanner quizgen uses: the pure
    Python one differs on tabs), first document only as quizgen reads it, if it is valid by the
    JSON Schema, else None."""
    import jsonschema
    import yaml

    from quizgen.core.schema import concept_schema

    try:
        text = data.decode("utf-8")
        document = next(iter(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))), None)
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    valid = isinstance(document, dict) and jsonschema.Draft202012Validator(concept_schema()).is_valid(document)
    return document if valid else None


@pytest.mark.parametrize("read", [read_answer_sheet, read_quiz], ids=["answer sheet", "quiz file"])
@FUZZ
@given(data=_bytes_or_text())
def test_answer_sheet_and_quiz_file_readers(tmp_path_factory: pytest.TempPathFactory, read: Any, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("f") / "file.yaml"
    path.write_bytes(data)
    try:
        read(path)
    except QuizgenError as exc:  # names the file, then says what is wrong with it
        assert str(exc).startswith(f"{path}: ") and len(str(exc)) > len(f"{path}: "), str(exc)
    else:
        assert read is read_answer_sheet, "random bytes accepted as a quiz file"  # no quiz marker in them


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
