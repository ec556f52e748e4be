"""Property-based fuzzing of every reader of outside input: concept files, answer sheets (YAML and
CSV), quiz files and typed formulas. Whatever the bytes, a reader gives its result or quizgen's own
error naming the file, never another exception; a CSV reads back every row as written with any
line ending; a hand-edited quiz file is refused naming its file and field, and the command exits 2.
A concept file's refusal names the file, line and field, ``quizgen check`` exits 0 or 2 as the
reader decided, and a concept file accepted is one that a slower reference reading (PyYAML, then
the JSON Schema with jsonschema) accepts too, with the same content.

CI runs a short budget. A long run, locally: ``QUIZGEN_FUZZ_EXAMPLES=20000 python -m pytest
tests/test_fuzz_readers.py``, or ``python benchmarks/fuzz_readers.py`` (60 s per reader, without
Hypothesis's memory of every input).
"""

from __future__ import annotations

import copy
import csv
import datetime
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONCEPTS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quizgen.classroom.quiz import read_quiz
from quizgen.classroom.sheets import read_answer_sheet, read_csv_sheets
from quizgen.cli import cli
from quizgen.core import formula
from quizgen.core.concepts import check_files
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable

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
@example(data=b"[")  # libyaml puts the end of a text with no final line break on a line after it
@example(data=b"id: x\r[")  # a lone carriage return is a YAML line break
def test_concept_file_reader(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("c")
    path = folder / "simclr.yaml"
    path.write_bytes(data)
    concepts, issues = check_files([path])
    assert len(concepts) + (1 if issues else 0) == 1  # the concept, or what is wrong with it
    lines = len(re.findall("\r\n|[\n\r\x85\u2028\u2029]", data.decode("utf-8", "replace"))) + 1  # YAML's line breaks
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


@pytest.mark.parametrize("read", [read_answer_sheet, read_quiz, read_csv_sheets], ids=["answer sheet", "quiz file", "csv sheet"])
@FUZZ
@given(data=_bytes_or_text())
def test_answer_sheet_and_quiz_file_readers(tmp_path_factory: pytest.TempPathFactory, read: Any, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("f") / "file.yaml"
    path.write_bytes(data)
    try:
        read(path)
    except FileUnusable as exc:  # names the file, then says what is wrong with it
        assert str(exc).startswith(f"{path}: ") and len(str(exc)) > len(f"{path}: "), str(exc)
    else:
        assert read is not read_quiz, "random bytes accepted as a quiz file"  # no quiz marker in them


# ---------------------------------------------------------------------------------------------
# CSV answer sheets: whatever the cells and line endings, every row is read back as written

HUGE = "<a cell over the csv module's default 128 KB limit>"
CELL = st.one_of(
    st.text(max_size=30).filter(lambda s: "\x00" not in s),
    st.sampled_from(["", " ", "0.5", "[[1, 2], [3, 4]]", '"quoted"', "a,b", "line\rbreak", "two\nlines", "=cmd()", "../x"]),
    st.just(HUGE),
)


@FUZZ
@given(
    rows=st.lists(st.tuples(CELL, CELL, CELL), max_size=8),
    ending=st.sampled_from(["\r", "\n", "\r\n"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_csv_sheets_read_every_row_back(tmp_path_factory: pytest.TempPathFactory, rows: list, ending: str, quoting: int) -> None:
    rows = [tuple("9" * 140_000 if cell == HUGE else cell for cell in row) for row in rows]
    if any("\r" in cell or "\n" in cell for row in rows for cell in row):
        quoting = csv.QUOTE_ALL  # the writer leaves a CR unquoted when lines end in LF: no reader could tell
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=ending, quoting=quoting)
    writer.writerow(["student", "problem", "answer"])
    writer.writerows(rows)
    path: Path = tmp_path_factory.mktemp("c") / "paper.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    expected: dict[Any, list[tuple[str, str | None]]] = {}
    for student, problem, answer in rows:
        if any(cell.strip() for cell in (student, problem, answer)):
            expected.setdefault(student.strip() or None, []).append((problem.strip(), answer.strip() or None))
    sheets = read_csv_sheets(path)
    assert {s.student: [(a.key, a.text) for a in s.answers] for s in sheets} == expected
    assert all(not s.notes for s in sheets)


@FUZZ
@given(header=st.lists(st.text(max_size=12).filter(lambda s: "\x00" not in s), max_size=5), ending=st.sampled_from(["\r", "\n"]))
def test_a_csv_without_its_columns_names_file_line_and_column(tmp_path_factory: pytest.TempPathFactory, header: list, ending: str) -> None:
    names = {h.strip().lower() for h in header}
    path: Path = tmp_path_factory.mktemp("c") / "paper.csv"
    buf = io.StringIO()
    csv.writer(buf, lineterminator=ending).writerows([header, ["s1", "1", "0.5"]])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    try:
        read_csv_sheets(path)
    except FileUnusable as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ")
        assert re.search(r"needs a header with a (student|problem|answer) column|is empty|is a gradebook", message), message
    else:
        assert {"student", "id", "student_id", "sid"} & names and {"answer", "value", "given"} & names


# ---------------------------------------------------------------------------------------------
# Quiz files edited by hand: a clear refusal naming file and field, or a quiz; through the
# command, exit 0 or 2 and never a traceback

BAD_VALUES = {
    "a date": (datetime.date(2024, 1, 5), "yaml"),
    "a time": (datetime.datetime(2024, 1, 5, 10, 30), "yaml"),
    "a lone surrogate": ("week \ud800 3", "json"),
}
BAD_KEYS = {"7": (7, "yaml"), "~": (None, "yaml"), "true": (True, "yaml"), "1.5": (1.5, "yaml"), "surrogate": ("\udc80", "json")}
HARMLESS = st.one_of(st.integers(-5, 10**20), st.floats(allow_nan=False), st.text(max_size=10).filter(lambda s: not re.search("[\ud800-\udfff]", s)), st.none())


def _places(data: Any, where: str = "") -> list[tuple[Any, str]]:
    """Every mapping and list of a quiz's data with its field path as the reader names it."""
    out = [(data, where)]
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if isinstance(value, (dict, list)):
            sub = f"{where}[{key}]" if isinstance(data, list) else (f"{where}.{key}" if where else key)
            out += _places(value, sub)
    return out


@pytest.fixture(scope="module")
def quiz_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    from quizgen.classroom.quiz import make_quiz, write_quiz
    from quizgen.core.concepts import load_concepts

    folder = tmp_path_factory.mktemp("quiz")
    quiz = make_quiz(load_concepts(CONCEPTS), ["attention"], 2, seed=3)
    write_quiz(folder / "q.quiz.yaml", quiz)
    (folder / "q.answers.yaml").write_text("answers:\n  1: '0.5'\n")
    return json.loads((folder / "q.quiz.yaml").read_text()), folder


@FUZZ
@given(data=st.data())
def test_hand_edited_quiz_files_are_refused_naming_file_and_field(tmp_path_factory: pytest.TempPathFactory, quiz_data: Any, data: Any) -> None:
    original, _ = quiz_data
    quiz = copy.deepcopy(original)
    places = _places(quiz)
    target, where = data.draw(st.sampled_from(places))
    bad = data.draw(st.sampled_from(["value", "key", "harmless"]))
    if bad == "key":
        key, fmt = BAD_KEYS[data.draw(st.sampled_from(sorted(BAD_KEYS)))]
        value: Any = data.draw(HARMLESS)
    else:
        key, fmt = data.draw(st.text(min_size=1, max_size=6).filter(lambda s: s.isprintable() and s != "<<")), "json"
        value, fmt = BAD_VALUES[data.draw(st.sampled_from(sorted(BAD_VALUES)))] if bad == "value" else (data.draw(HARMLESS), "json")
    if isinstance(target, list):
        index = data.draw(st.integers(0, len(target)))
        target.insert(index, {key: value} if bad == "key" else value)
        place = f"{where}[{index}]"
    else:
        target[key] = value
        place = where if bad == "key" else f"{where}.{key}" if where else key
    text = json.dumps(quiz, ensure_ascii=True) if fmt == "json" else yaml.safe_dump(quiz, allow_unicode=True)
    path: Path = tmp_path_factory.mktemp("q") / "edited.quiz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        read_quiz(path)
    except FileUnusable as exc:
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        if bad != "harmless" and fmt == "yaml":  # the field is named, and what is wrong with it
            what = "the key" if bad == "key" else "is a"
            assert message.startswith(f"{path}: {place or 'the top level'}: {what}"), (place, message)
    else:
        assert bad == "harmless", text[:300]


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 25))
@given(data=st.data())
def test_hand_edited_quiz_files_through_the_command_exit_0_or_2(quiz_data: Any, data: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from click.testing import CliRunner

    from quizgen.cli import cli

    original, folder = quiz_data
    quiz = copy.deepcopy(original)
    target, _ = data.draw(st.sampled_from(_places(quiz)))
    value, fmt = BAD_VALUES[data.draw(st.sampled_from(sorted(BAD_VALUES)))]
    if isinstance(target, list):
        target.append(value)
    else:
        target[data.draw(st.sampled_from([*target, "title", "x"]))] = value
    text = json.dumps(quiz, ensure_ascii=True) if fmt == "json" else yaml.safe_dump(quiz)
    path: Path = tmp_path_factory.mktemp("q") / "edited.quiz.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(folder / "q.answers.yaml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and f"{path}: " in result.output, result.output


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


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 25))
@given(rows=st.lists(st.tuples(st.sampled_from(["s1", "s2", "", "../x"]), CELL, CELL), max_size=5),
       header=st.sampled_from(["student,problem,answer", "id,number,value", "student,answer", "x"]),
       ending=st.sampled_from(["\r", "\n", "\r\n"]))
def test_csv_sheets_through_the_command_exit_0_or_2(quiz_data: Any, tmp_path_factory: pytest.TempPathFactory, rows: list, header: str,
                                                   ending: str) -> None:
    """One student's rows: graded, exit 0. Several students, or no such column: exit 2 with a
    message naming the file. Never a traceback."""
    from click.testing import CliRunner

    from quizgen.cli import cli

    _, folder = quiz_data
    rows = [tuple("9" * 140_000 if cell == HUGE else cell for cell in row) for row in rows]
    buf = io.StringIO()
    csv.writer(buf, lineterminator=ending, quoting=csv.QUOTE_ALL).writerows(rows)
    path: Path = tmp_path_factory.mktemp("c") / "paper.csv"
    path.write_text(header + ending + buf.getvalue(), encoding="utf-8", newline="")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(folder / "q.quiz.yaml"), str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    students = {r[0] for r in rows if any(c.strip() for c in r)}
    if header.count(",") == 2 and len(students) == 1:
        assert result.exit_code == 0, result.output
        assert "\nscore    " in result.output
    else:
        assert result.exit_code == 2 and result.output.startswith(f"{path}: "), result.output
        assert ("column" in result.output) if header.count(",") < 2 else ("students" in result.output)
