"""Trust in a classroom: grading a class from files that may be wrong, hostile or misplaced.

Each test tries several spellings of one attack: ids that are paths, quiz files where sheets are
due, equal file times, a sheet that claims another student, unreadable files among good ones,
hand-edited quiz files, rosters with ids equal but for case, and whether partial credit can rank a
better answer lower. The rules tested are written in docs/grading.md.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONCEPTS
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.classroom.commands import write_quiz_files
from quizgen.classroom.grade import grade_class, question_points
from quizgen.classroom.quiz import make_quiz, read_quiz
from quizgen.classroom.report import Scoring, class_summary, report_file_names
from quizgen.classroom.roster import read_roster
from quizgen.classroom.submissions import mentions, named_in
from quizgen.cli import cli
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable
from quizgen.core.problems import rebuild
from quizgen.judge import format_value, judge

STUDENTS = ("s001", "s002", "s003")


@pytest.fixture(scope="module")
def klass(concepts, tmp_path_factory):
    """A class of three as `quiz --for` writes it (quiz, worksheets, blank answer sheet each),
    and each student's keys by problem id."""
    folder = tmp_path_factory.mktemp("klass") / "week3"
    folder.mkdir()
    keys = {}
    for sid in STUDENTS:
        quiz = make_quiz(concepts, ["attention"], 2, seed=4, student=sid)
        write_quiz_files(quiz, folder / f"{sid}.quiz.yaml")
        keys[sid] = {p.id: format_value(pr.answer.kind, pr.answer.value) for p in quiz.problems for pr in [rebuild(p.id, concepts)]}
    return folder, keys


def _class(klass, tmp_path: Path) -> tuple[Path, dict]:
    folder, keys = klass
    copy = tmp_path / "week3"
    shutil.copytree(folder, copy)
    return copy, keys


def _sheet(path: Path, answers: dict, **header) -> Path:
    path.write_text(yaml.safe_dump({**header, "answers": answers}, sort_keys=False, allow_unicode=True))
    return path


def _cli(*args: str):
    """The command as a teacher runs it; never a traceback, whatever the files say."""
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _one_quiz_for_the_class(concepts, path: Path) -> tuple[dict, Path]:
    """One quiz made without --for, written to ``path``: its keys by problem id, and an empty
    submissions folder beside it."""
    quiz = make_quiz(concepts, ["attention"], 2, seed=4)
    write_quiz_files(quiz, path)
    keys = {p.id: format_value(pr.answer.kind, pr.answer.value) for p in quiz.problems for pr in [rebuild(p.id, concepts)]}
    subs = path.parent / "subs"
    subs.mkdir()
    return keys, subs


def _scores(reports) -> dict:
    return {r.student: (r.score, r.total, r.error) for r in reports}


# ---------------------------------------------------------------------------------------------
# 1. Reports are written only inside their folder


HOSTILE_IDS = [
    "../x", "../../escape", "nodir/x", "a/b/c", "a\\b", "..", ".", "~", "-rf", "con", "NUL.txt", "s001/../../up",
    "ZED", "zed", "s001", "é", "x" * 300, " spaced id ", "a\x1b[2Jb", "tab\there",
]


def test_ids_that_are_paths_never_write_outside_the_reports_folder(klass, tmp_path):
    """A CSV typed in from paper names students by any text: `../x`, an absolute path, a folder
    that does not exist, ids equal but for case (one student). Each gets one report, inside DIR,
    under its own name; nothing outside DIR appears or changes; the summary and every other report
    are written."""
    week3, keys = _class(klass, tmp_path)
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    ids = [*HOSTILE_IDS, str(tmp_path / "victim"), str(tmp_path / "abs" / "x")]
    rows = ["student,problem,answer"] + [f'"{sid}",1,0.5' for sid in ids]
    (tmp_path / "paper.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = _files(tmp_path)
    reports_dir = tmp_path / "reports"
    result = _cli("grade", str(week3), str(tmp_path / "paper.csv"), "--reports", str(reports_dir))
    assert result.exit_code == 0, result.output
    written = _files(reports_dir)
    assert _files(tmp_path) - written == before  # nothing new outside the folder
    assert target.read_text() == "keep me"
    # One row per id, ids equal but for case (ZED, zed) being one student's rows; s001 is one of
    # them, and s002 and s003 have no submission.
    students = len({sid.casefold() for sid in ids})
    rows_graded = students + 2
    assert students == len(ids) - 1
    assert len(written) == rows_graded and all(p.parent == reports_dir for p in written)
    assert len({p.name.casefold() for p in written}) == len(written)  # no two differ only in case
    assert f"reports: {rows_graded} of {rows_graded} written" in result.output
    assert result.output.startswith(f"1 of 3 handed in; missing: s002, s003; {students - 1} submission(s) for no student")


def test_an_id_with_a_trailing_line_break_is_not_a_plain_id():
    """A pattern's $ also matches before a final line break: ids, problem ids and deck names are
    matched to their very end instead."""
    from quizgen.classroom.quiz import STUDENT_ID
    from quizgen.classroom.report import Report
    from quizgen.core.problems import PROBLEM_ID

    name = report_file_names([Report(quiz=None, sheet=None, student="0\n")])[0]
    assert "\n" not in name and "~" in name
    assert STUDENT_ID.match("s001\n") is None and PROBLEM_ID.match("attention.scale-factor.v1.42\n") is None


@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.text(max_size=80), max_size=12))
def test_report_file_names_are_safe_and_unique_for_any_ids(ids):
    from quizgen.classroom.report import Report

    names = report_file_names([Report(quiz=None, sheet=None, student=sid or None) for sid in ids])
    assert len(names) == len(ids)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert name.endswith(".report.txt") and len(name) <= 120
        assert "/" not in name and "\\" not in name and ".." not in name
        assert name[0].isascii() and name[0].isalnum()
        assert all(c.isascii() and (c.isalnum() or c in "._-~") for c in name)


@pytest.mark.parametrize("stranger", ["S001", "s001", "S001 ", "s\u0130001"])
def test_a_stranger_never_takes_a_students_report_name(stranger):
    """A submission for no student of the class, listed before the student it resembles, gets
    the suffixed name; the student keeps ``s001.report.txt``."""
    from quizgen.classroom.report import Report

    reports = [Report(quiz=None, sheet=None, student=stranger, stranger=True), Report(quiz=None, sheet=None, student="s001")]
    stranger_name, student_name = report_file_names(reports)
    assert student_name == "s001.report.txt"
    assert stranger_name.casefold() != "s001.report.txt" and "~" in stranger_name


@pytest.mark.parametrize("make", ["file", "file/sub", "file/a/b"])
def test_a_reports_folder_that_cannot_be_one_is_exit_2_before_grading(klass, tmp_path, make):
    week3, _ = _class(klass, tmp_path)
    (tmp_path / "file").write_text("a file, not a folder")
    result = _cli("grade", str(week3), str(week3), "--reports", str(tmp_path / make), "--csv", str(tmp_path / "book.csv"))
    assert result.exit_code == 2, result.output
    assert str(tmp_path / make) in result.output and "folder" in result.output
    assert not (tmp_path / "book.csv").exists()  # refused before grading, nothing half-done


def test_one_report_that_cannot_be_written_stops_no_other(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    reports_dir = tmp_path / "reports"
    (reports_dir / "s002.report.txt").mkdir(parents=True)  # a folder in the way of one report
    _sheet(week3 / "s001.answers.yaml", keys["s001"], student="s001")
    result = _cli("grade", str(week3), str(week3), "--reports", str(reports_dir))
    assert result.exit_code == 2 and "s002.report.txt" in result.output
    assert result.output.startswith("1 of 3 handed in") and "what to re-teach" in result.output  # the summary
    assert (reports_dir / "s001.report.txt").is_file() and (reports_dir / "s003.report.txt").is_file()
    assert "reports: 2 of 3 written" in result.output


def test_a_student_field_that_is_a_path_names_no_file(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for k, evil in enumerate(["../../evil", str(tmp_path / "evil"), "nodir/evil"]):
        _sheet(subs / f"upload{k}.yaml", {"1": "0.5"}, student=evil)
    before = _files(tmp_path)
    result = _cli("grade", str(week3), str(subs), "--reports", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert _files(tmp_path) - _files(tmp_path / "out") == before
    assert len(_files(tmp_path / "out")) == 3 + 3  # three strangers, three students without a submission


# ---------------------------------------------------------------------------------------------
# 2. Only answer sheets are graded as answer sheets


def _fill(week3: Path, sid: str, answers: dict) -> Path:
    """Fill the blank sheet `quiz --for` wrote, as a student would (header kept)."""
    return _sheet(week3 / f"{sid}.answers.yaml", answers, student=sid)


def _same_time(folder: Path, t: float = 1_700_000_000) -> None:
    for p in folder.iterdir():
        os.utime(p, (t, t))


def test_the_quiz_folder_as_the_submissions_folder(klass, tmp_path):
    """`grade week3 week3` after a copy or a clone (every file the same time): the quiz files,
    a quiz file under a sheet's name (YAML or JSON), worksheets, keys, a gradebook and grade
    reports (JSON, per-question CSV) are never submissions; each student's own sheet is graded."""
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    _fill(week3, "s002", {pid: "0" for pid in keys["s002"]})
    shutil.copy(week3 / "s002.quiz.yaml", week3 / "s002.yaml")
    shutil.copy(week3 / "s003.quiz.yaml", week3 / "s003.json")
    quiz3 = json.loads((week3 / "s003.quiz.yaml").read_text())
    (week3 / "s003.answers.yml").write_text(yaml.safe_dump(quiz3))  # a quiz in block YAML, as a sheet
    (week3 / "s003.key.html").write_text("<p>key</p>")
    first = _cli("grade", str(week3), str(week3), "--csv", str(week3 / "gradebook.csv"), "--json", str(week3 / "class.json"))
    assert first.exit_code == 0, first.output
    # One student's grades, as JSON and per-question CSV, kept under names a sheet could have.
    one = _cli("grade", str(week3 / "s001.quiz.yaml"), str(week3 / "s001.answers.yaml"),
               "--json", str(week3 / "s001.json"), "--csv", str(week3 / "s001.csv"))
    assert one.exit_code == 0, one.output
    _same_time(week3)
    reports, notes = grade_class(week3, week3, _concepts(), jobs=1)
    assert _scores(reports) == {"s001": (2, 2, None), "s002": (0, 2, None), "s003": (0, 2, None)}
    graded = {r.student: Path(r.sheet).name for r in reports}
    assert graded == {"s001": "s001.answers.yaml", "s002": "s002.answers.yaml", "s003": "s003.answers.yaml"}
    ignored = " ".join(notes)
    for name in ("s002.yaml", "s003.json", "s003.answers.yml", "gradebook.csv", "class.json", "s001.json", "s001.csv"):
        assert f"{name}: ignored (a quiz file, a gradebook or a grade report" in ignored, notes
    assert "quiz.yaml" not in ignored and "worksheet" not in ignored and "key.html" not in ignored


def test_an_output_never_replaces_a_file_being_graded(klass, tmp_path):
    """--csv or --json naming a student's sheet or a quiz file is refused before any grading
    (exit 2, every file as it was); so are both to standard output and both to one file."""
    week3, keys = _class(klass, tmp_path)
    sheet = _fill(week3, "s001", keys["s001"])
    before = {p: p.read_bytes() for p in week3.iterdir()}
    quiz = str(week3 / "s001.quiz.yaml")
    for args in (
        [str(week3), str(week3), "--csv", str(sheet)],
        [str(week3), str(week3), "--json", quiz],
        [quiz, str(sheet), "--csv", str(sheet)],
        [quiz, str(sheet), "--json", quiz],
        [str(week3), str(week3), "--csv", str(week3)],
        [str(week3), str(week3), "--json", "-", "--csv", "-"],
        [str(week3), str(week3), "--json", str(tmp_path / "out"), "--csv", str(tmp_path / "." / "out")],
    ):
        result = _cli("grade", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "--json" in result.output or "--csv" in result.output, result.output
    assert {p: p.read_bytes() for p in week3.iterdir()} == before
    assert not (tmp_path / "out").exists()


def test_an_output_replaces_only_a_gradebook_or_report_quizgen_wrote(klass, tmp_path):
    """--csv and --json may name any new file, an empty one, or grades written before; a file this
    grading does not read but a teacher keeps (the roster, a student's sheet in another folder, a
    worksheet) is refused with exit 2 and kept byte for byte."""
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    other = tmp_path / "other"
    other.mkdir()
    kept = {
        "roster": tmp_path / "roster copy.csv",
        "sheet": _sheet(other / "s004.yaml", keys["s001"], student="s004"),
        "worksheet": week3 / "s002.worksheet.html",
    }
    kept["roster"].write_text("id,name\ns001,One\n")
    before = {name: p.read_bytes() for name, p in kept.items()}
    for option in ("--csv", "--json"):
        for name, path in kept.items():
            result = _cli("grade", str(week3), str(week3), option, str(path))
            assert result.exit_code == 2 and "not a gradebook or grade report" in result.output, (option, name, result.output)
    assert {name: p.read_bytes() for name, p in kept.items()} == before
    # Grades written before are known by their opening, whatever the name or the size (a 28 MB
    # report, a gradebook named .txt were refused).
    big = tmp_path / "big report.txt"
    big.write_text('{\n "quizgen": "grades",\n "submissions": [' + " " * (21 * 2**20) + "]}\n")
    marks = tmp_path / "marks.txt"
    for option, out in (("--json", big), ("--csv", marks), ("--csv", marks)):
        assert _cli("grade", str(week3), str(week3), option, str(out)).exit_code == 0, out
    empty = tmp_path / "empty.csv"
    empty.touch()
    for option, out in (("--csv", empty), ("--csv", tmp_path / "gb.csv"), ("--json", tmp_path / "g.json")):
        for _ in range(2):  # the second time it replaces what the first wrote
            assert _cli("grade", str(week3), str(week3), option, str(out)).exit_code == 0
        assert out.stat().st_size > 0


def test_a_folder_whose_quiz_replacement_was_not_undone_is_not_graded(klass, tmp_path):
    """A journal left by a killed `quiz` run means the folder may be half one quiz and half
    another: grading it is exit 2, naming what to do, until the next quiz run undoes it."""
    from quizgen.classroom.filesets import JOURNAL, recover

    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    journal = week3 / f".s001.answers.yaml{JOURNAL}"
    journal.write_text('["s001.answers.yaml"]')
    result = _cli("grade", str(week3), str(week3))
    assert result.exit_code == 2 and "was interrupted and not undone" in result.output, result.output
    recover(week3)
    assert not journal.exists() and _cli("grade", str(week3), str(week3)).exit_code == 0


def test_standard_output_by_its_path_is_standard_output(klass, tmp_path):
    """`--csv /dev/stdout > out.csv`: the gradebook is what the file holds (it was refused as a
    link, the path resolving to the file the shell made)."""
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    out = tmp_path / "out.csv"
    with open(out, "wb") as fh:
        done = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "grade", str(week3), str(week3),
                               "--csv", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["student"]: r["score"] for r in rows}["s001"] == "2"


def _concepts():
    from quizgen.core.concepts import load_concepts

    return load_concepts(CONCEPTS)


def test_in_another_folder_contents_not_names_tell_a_quiz_from_a_sheet(klass, tmp_path):
    """A sheet misnamed `s001.quiz.yaml` is graded as s001's; a copy of a quiz named like a
    sheet is skipped with a note."""
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / "s001.quiz.yaml", keys["s001"])
    shutil.copy(week3 / "s002.quiz.yaml", subs / "s002.quiz.yaml")
    shutil.copy(week3 / "s003.quiz.yaml", subs / "s003.answers.yaml")
    (subs / "s002").mkdir()  # an LMS download's folder per student: named, not searched
    _sheet(subs / "s002" / "s002.answers.yaml", keys["s002"])
    reports, notes = grade_class(week3, subs, _concepts(), jobs=1)
    assert _scores(reports) == {"s001": (2, 2, None), "s002": (0, 2, None), "s003": (0, 2, None)}
    assert {r.student for r in reports if r.handed_in} == {"s001"}
    assert sum("ignored (a quiz file, a gradebook or a grade report" in n for n in notes) == 2
    assert any(n.startswith(f"{subs / 's002'}: ignored (a folder") for n in notes), notes


@pytest.mark.parametrize("name", ["s001.quiz.yaml", "copy.yaml", "copy.json"])
def test_a_quiz_file_given_as_the_answer_sheet_is_exit_2(klass, tmp_path, name):
    week3, _ = _class(klass, tmp_path)
    sheet = tmp_path / name
    shutil.copy(week3 / "s001.quiz.yaml", sheet)
    result = _cli("grade", str(week3 / "s001.quiz.yaml"), str(sheet))
    assert result.exit_code == 2 and f"{sheet}: is a quiz file" in result.output, result.output


@pytest.mark.parametrize("command", ["grade", "export"])
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_an_answer_sheet_given_as_the_quiz_says_so(klass, tmp_path, command, form):
    """grade's arguments swapped said "answers: the key 1 is not text; a quiz file's keys are
    text (write it in quotes)", an instruction that fits no one's mistake."""
    week3, keys = _class(klass, tmp_path)
    sheet = _fill(week3, "s001", keys["s001"])
    if form == "json":
        sheet = tmp_path / "s001.answers.json"
        sheet.write_text(json.dumps({"student": "s001", "answers": {"1": "0.5"}}))
    args = [str(sheet), str(week3 / "s001.quiz.yaml")] if command == "grade" else [str(sheet), "--format", "moodle", "-o", str(tmp_path / "x.xml")]
    result = _cli(command, *args)
    assert result.exit_code == 2 and f"{sheet}: is an answer sheet (it has answers:), not a quiz file" in result.output, result.output
    assert "quizgen grade QUIZ ANSWERS" in result.output and not (tmp_path / "x.xml").exists()


def test_equal_file_times_never_choose_between_two_sheets(klass, tmp_path):
    """Two filled sheets for one student: with equal (or nearly equal) times, which is final is
    not guessed: the row says so and names both; with clearly different times the newer counts;
    two with the same answers are one; a blank one never beats a filled one."""
    week3, keys = _class(klass, tmp_path)
    right = _fill(week3, "s001", keys["s001"])
    wrong = _sheet(week3 / "s001.yaml", {pid: "0" for pid in keys["s001"]}, student="s001")
    _fill(week3, "s002", keys["s002"])
    for dt in (0.0, 0.5, 1.9):
        _same_time(week3)
        os.utime(wrong, (1_700_000_000 + dt,) * 2)
        rows = _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])
        assert rows["s001"][2] is not None and "cannot be told" in rows["s001"][2], dt
        assert str(right) in rows["s001"][2] and str(wrong) in rows["s001"][2]
        assert rows["s002"] == (2, 2, None)
    os.utime(wrong, (1_700_000_000 - 3600,) * 2)
    assert _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])["s001"] == (2, 2, None)
    os.utime(wrong, (1_700_000_000 + 3600,) * 2)
    assert _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])["s001"] == (0, 2, None)
    _sheet(wrong, keys["s001"], student="s001")  # the same answers twice: nothing to choose
    _same_time(week3)
    assert _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])["s001"] == (2, 2, None)
    _sheet(wrong, {pid: "" for pid in keys["s001"]}, student="s001")  # blank, and newer
    os.utime(wrong, (1_700_000_000 + 3600,) * 2)
    assert _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])["s001"] == (2, 2, None)


def test_a_third_sheet_at_the_same_time_is_a_rival_too(klass, tmp_path):
    """Two sheets with the same answers and a third with other answers, all at one time: the
    row is the error naming the files, whichever two of them are the newest."""
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / "s003.answers.yaml", keys["s003"], student="s003")
    _sheet(subs / "s003.yaml", keys["s003"], student="s003")
    _sheet(subs / "S003.yml", {pid: "0.9" for pid in keys["s003"]}, student="s003")
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        for dt, name in zip(order, ("s003.answers.yaml", "s003.yaml", "S003.yml")):
            os.utime(subs / name, (1_700_000_000 + dt * 0.1,) * 2)
        rows = _scores(grade_class(week3, subs, _concepts(), jobs=1)[0])
        assert rows["s003"][2] is not None and "cannot be told" in rows["s003"][2], order
    os.utime(subs / "S003.yml", (1_700_000_000 - 3600,) * 2)  # the other answers clearly older
    assert _scores(grade_class(week3, subs, _concepts(), jobs=1)[0])["s003"] == (2, 2, None)


def test_rows_of_a_csv_named_for_no_one_or_for_another_student_are_only_claims(klass, tmp_path):
    """A CSV's rows name their student in a column: only a file named for that student (`s001.csv`,
    or an LMS download keeping that name, `Mallory_99_s004.csv` for s004) makes them that
    student's upload. Rows for s001 in s004's upload, or in a class CSV named for no one, never
    displace s001's own sheet, however new they are; the claim is flagged on s001's row."""
    week3, keys = _class(klass, tmp_path)
    for upload in ("Mallory Evil_99_s003.csv", "paper.csv"):
        subs = tmp_path / upload.split(".")[0].replace(" ", "_")
        subs.mkdir()
        own = _sheet(subs / "s001.yaml", keys["s001"])
        os.utime(own, (1_000_000, 1_000_000))
        rows_for = "".join(f"s001,{n},0.5\n" for n in (1, 2)) + f"s003,1,{next(iter(keys['s003'].values()))}\n"
        (subs / upload).write_text("student,problem,answer\n" + rows_for)
        rows = {r.student: r for r in grade_class(week3, subs, _concepts(), jobs=1)[0]}
        assert (rows["s001"].score, rows["s001"].error, rows["s001"].sheet) == (2, None, str(own)), upload
        assert any(upload in f and "claims to be this student" in f for f in rows["s001"].flags), rows["s001"].flags
        assert rows["s003"].sheet == str(subs / upload) and rows["s003"].score == 1
    # A file name holding a student id only inside a longer one (s1 in s10, s1 in s1-a) does not
    # name them, nor does a short number (3 in `week 3 paper.csv`, with ids 1, 2, 3).
    assert mentions("Bob Jones_22_s10.answers.yaml", "s10") and not mentions("Bob Jones_22_s10.answers.yaml", "s1")
    assert mentions("S001.YAML", "s001") and not mentions("s0011.yaml", "s001")
    roster = dict.fromkeys(["s1", "s10", "s1.a", "s1-a", "S1_a", "1", "2", "3", "20231234"])
    assert named_in("Dash_5_s1-a.csv", roster) == ["s1-a"]
    assert named_in("Dot_5_s1.a.answers.yaml", roster) == ["s1.a"]
    assert named_in("Ten_5_s10.csv", roster) == ["s10"] and named_in("One_5_s1.csv", roster) == ["s1"]
    assert named_in("week 3 paper.csv", roster) == [] and named_in("jones_12_20231234.yaml", roster) == ["20231234"]


def test_one_students_rows_in_a_paper_csv_are_one_sheet_whatever_the_case(klass, tmp_path):
    """s002 and S002 in one typed-in CSV are the same student's rows, graded together (they used
    to be two rival sheets from one file, and the student got no grade)."""
    week3, keys = _class(klass, tmp_path)
    answers = list(keys["s002"].values())
    (tmp_path / "paper.csv").write_text(f'student,problem,answer\ns002,1,"{answers[0]}"\nS002,2,"{answers[1]}"\n')
    reports, _ = grade_class(week3, tmp_path / "paper.csv", _concepts(), jobs=1)
    assert _scores(reports)["s002"] == (2, 2, None)


def test_sheets_whose_only_claim_is_their_student_field_are_flagged(concepts, tmp_path):
    """One quiz for the class: bob.yaml and alice.yaml both say student: alice. The newer is
    graded, and the gradebook flags that the other was not (one of them may be bob's); the blank
    sheet filled in with no name is graded under the quiz's name, flagged."""
    keys, subs = _one_quiz_for_the_class(concepts, tmp_path / "week4.yaml")
    _sheet(subs / "alice.yaml", keys, student="alice")
    _sheet(subs / "bob.yaml", {pid: "0" for pid in keys}, student="alice")
    os.utime(subs / "alice.yaml", (1_000_000, 1_000_000))
    _sheet(subs / "week4.answers.yaml", keys, student="")
    rows = {r.student: r for r in grade_class(tmp_path / "week4.yaml", subs, _concepts(), jobs=1)[0]}
    assert rows["alice"].sheet == str(subs / "bob.yaml")
    assert any("alice.yaml" in f and "student fields" in f for f in rows["alice"].flags), rows["alice"].flags
    assert any("names no student" in f for f in rows["week4"].flags), rows["week4"].flags


def test_hidden_and_upper_case_sheets_are_not_passed_over_in_silence(klass, tmp_path):
    """S002.YAML is s002's sheet (extensions are read without case); a sheet hidden by a leading
    dot is not graded but listed, so the teacher sees why the student has no submission."""
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / "S002.YAML", keys["s002"])
    _sheet(subs / ".s001.yaml", keys["s001"], student="s001")
    reports, notes = grade_class(week3, subs, _concepts(), jobs=1)
    assert _scores(reports)["s002"] == (2, 2, None)
    assert any(".s001.yaml" in n and "hidden" in n for n in notes), notes


def test_grading_again_replaces_its_own_gradebook_in_the_submissions_folder(klass, tmp_path):
    """`grade week3 week3 --csv week3/gradebook.csv` twice: the gradebook is not a submission,
    so the second run replaces it (it used to refuse it as a file being graded); a sheet or a
    quiz file is still never replaced."""
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    for _ in range(2):
        result = _cli("grade", str(week3), str(week3), "--csv", str(week3 / "gradebook.csv"))
        assert result.exit_code == 0, result.output
    assert "s001" in (week3 / "gradebook.csv").read_text()
    for target in (week3 / "s001.answers.yaml", week3 / "s001.quiz.yaml"):
        result = _cli("grade", str(week3), str(week3), "--csv", str(target))
        assert result.exit_code == 2 and "one of the files this grading reads" in result.output


@pytest.mark.parametrize("sep", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_a_spreadsheets_csv_is_read_whatever_its_separator_and_header_case(klass, tmp_path, sep):
    """A spreadsheet set to many languages saves CSV with ';' between cells; headers come as
    'Student ID' or 'Answer'. Rosters and answers typed in from paper are read either way."""
    week3, keys = _class(klass, tmp_path)
    roster = tmp_path / "roster.csv"
    # Blank lines above the header, and a header cell quoting the other separator: the header's
    # own separators, outside quotes, decide.
    roster.write_text("\n \n" + sep.join(["Student ID", "Full Name", '"Notes, extra; more"']) + "\n"
                      + "\n".join(f"{sid}{sep}Student {sid}" for sid in STUDENTS) + "\n")
    assert [s.id for s in read_roster(roster)] == list(STUDENTS)
    assert read_roster(roster)[0].name == "Student s001"
    rows = ["", sep.join(["Student", "Problem", "Answer"])]
    rows += [f'{sid}{sep}{n}{sep}"{key}"' for sid in STUDENTS for n, key in enumerate(keys[sid].values(), start=1)]
    (tmp_path / "paper.csv").write_text("\n".join(rows) + "\n")
    reports, _ = grade_class(week3, tmp_path / "paper.csv", _concepts(), jobs=1)
    assert _scores(reports) == {sid: (2, 2, None) for sid in STUDENTS}


def test_points_are_written_as_people_write_them(klass, tmp_path):
    """A too-rough answer scores 0, not 0.0, in the gradebook (every other zero is 0)."""
    week3, keys = _class(klass, tmp_path)
    answers = {pid: (format(float(key), ".1g") if n == 0 else key) for n, (pid, key) in enumerate(keys["s001"].items())}
    _fill(week3, "s001", answers)
    result = _cli("grade", str(week3), str(week3), "--csv", "-")
    book = {row["student"]: row for row in csv.DictReader(io.StringIO(result.output.split("\n\n")[0]))}
    assert book["s001"]["too-few-figures"] == "1" and (book["s001"]["q1"], book["s001"]["q2"]) == ("0", "1"), book["s001"]


# ---------------------------------------------------------------------------------------------
# 3. One unreadable sheet is one row


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"], ids=["old-mac-cr", "crlf", "lf"])
def test_csv_sheets_with_any_line_ending_are_read(klass, tmp_path, ending):
    week3, keys = _class(klass, tmp_path)
    rows = ["student,problem,answer"]
    for sid in STUDENTS:
        for n, key in enumerate(keys[sid].values(), start=1):
            rows.append(f'{sid},{n},"{key if sid != "s003" else "0"}"')
    (tmp_path / "paper.csv").write_bytes((ending.join(rows) + ending).encode())
    reports, _ = grade_class(week3, tmp_path / "paper.csv", _concepts(), jobs=1)
    assert _scores(reports) == {"s001": (2, 2, None), "s002": (2, 2, None), "s003": (0, 2, None)}


def test_an_id_typed_in_another_case_is_that_students(klass, tmp_path):
    """A roster never holds two ids equal but for case, so `S002` typed on paper, or a sheet
    named `S003.yaml`, is s002's or s003's, not a stranger's."""
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    rows = ["student,problem,answer"] + [f'S002,{n},"{key}"' for n, key in enumerate(keys["s002"].values(), start=1)]
    (subs / "paper.csv").write_text("\n".join(rows) + "\n")
    _sheet(subs / "S003.yaml", keys["s003"], student="S003")
    reports, _ = grade_class(week3, subs, _concepts(), jobs=1)
    assert _scores(reports) == {"s001": (0, 2, None), "s002": (2, 2, None), "s003": (2, 2, None)}
    assert not any(r.stranger or any(f.startswith("the sheet says") for f in r.flags) for r in reports)


def test_a_huge_csv_cell_is_one_unreadable_answer(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    rows = ["student,problem,answer"]
    for sid in STUDENTS:
        for n, key in enumerate(keys[sid].values(), start=1):
            rows.append(f'{sid},{n},"{key}"')
    rows.append("s003,1," + "9" * 200_000)  # over csv's 128 KB cell limit; answers problem 1 twice
    (tmp_path / "paper.csv").write_text("\r".join(rows) + "\r")
    result = _cli("grade", str(week3), str(tmp_path / "paper.csv"), "--json", str(tmp_path / "g.json"))
    assert result.exit_code == 0, result.output
    data = {s["student"]: s for s in json.loads((tmp_path / "g.json").read_text())["submissions"]}
    assert (data["s001"]["score"], data["s002"]["score"]) == (2, 2)
    assert data["s003"]["items"][0]["status"] == "duplicate" and data["s003"]["items"][1]["status"] == "right"


BAD_SHEETS = {
    "binary": b"\x00\x01\x02binary",
    "not-utf8": b"answers:\n  1: '\xff\xfe'\n",
    "not-yaml": b"answers: [unclosed\n",
    "a list": b"- 1\n- 2\n",
    "empty": b"   \n",
    "utf16-broken": b"\xff\xfe\x00\xd8",
}


@pytest.mark.parametrize("kind", list(BAD_SHEETS))
def test_one_unreadable_sheet_is_one_error_row(klass, tmp_path, kind):
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / "s001.yaml", keys["s001"])
    (subs / "s002.yaml").write_bytes(BAD_SHEETS[kind])
    rows = "".join(f's003,{n},"{k}"\r' for n, k in enumerate(keys["s003"].values(), start=1))
    (subs / "s003.csv").write_bytes(("student,problem,answer\r" + rows).encode())
    result = _cli("grade", str(week3), str(subs), "--csv", str(tmp_path / "book.csv"))
    assert result.exit_code == 0, result.output
    book = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "book.csv").read_text()))}
    assert book["s001"]["score"] == "2" and book["s003"]["score"] == "2"
    assert "not graded: " in book["s002"]["flags"] and "s002.yaml" in book["s002"]["flags"]


def test_an_unreadable_second_submission_is_flagged_on_the_row_graded(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    (week3 / "s001.json").write_bytes(b"\x00 corrupt upload")
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert (rows["s001"].score, rows["s001"].error) == (2, None)
    assert any("cannot be read" in f and "s001.json" in f for f in rows["s001"].flags)


# ---------------------------------------------------------------------------------------------
# 4. One student never displaces another


@pytest.mark.parametrize("claim", [
    {"student": "s002"},
    {"student": "s002", "quiz": "s002's checksum"},
    {"student": "S002"},
])
@pytest.mark.parametrize("name", ["s001.answers.yaml", "s001.yaml", "s001.json"])
def test_a_sheet_named_for_one_student_is_graded_only_as_theirs(klass, tmp_path, claim, name):
    """s001's file says `student: s002` (and even names s002's quiz) and is newer than s002's own
    sheet: s002 is graded from their own sheet; the claim is flagged on s001's row."""
    week3, keys = _class(klass, tmp_path)
    own = _fill(week3, "s002", keys["s002"])
    header = {k: (read_quiz(week3 / "s002.quiz.yaml").checksum if v == "s002's checksum" else v) for k, v in claim.items()}
    forged = week3 / name
    if name != "s001.answers.yaml":
        (week3 / "s001.answers.yaml").unlink()
    forged.write_text(json.dumps({**header, "answers": {pid: "0" for pid in keys["s002"]}}))
    os.utime(own, (1_000_000, 1_000_000))
    reports, _ = grade_class(week3, week3, _concepts(), jobs=1)
    rows = {r.student: r for r in reports}
    assert rows["s002"].sheet == str(own) and (rows["s002"].score, rows["s002"].total) == (2, 2)
    assert rows["s001"].sheet == str(forged) and rows["s001"].score == 0
    assert any(f"says 'student: {claim['student']}'" in f for f in rows["s001"].flags)
    assert any("s002's variant" in f for f in rows["s001"].flags)


def test_an_unnamed_file_claiming_a_student_never_displaces_their_own_sheet(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    own = _fill(week3, "s002", keys["s002"])
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(own, subs / "s002.answers.yaml")
    _sheet(subs / "upload-17.yaml", {pid: "0" for pid in keys["s002"]}, student="s002")
    os.utime(subs / "s002.answers.yaml", (1_000_000, 1_000_000))  # the claim is much newer
    rows = {r.student: r for r in grade_class(week3, subs, _concepts(), jobs=1)[0]}
    assert (rows["s002"].score, rows["s002"].sheet) == (2, str(subs / "s002.answers.yaml"))
    assert any("upload-17.yaml" in f and "claims" in f for f in rows["s002"].flags)


def test_one_quiz_for_the_class_names_no_student(concepts, tmp_path):
    """A quiz made without --for is everyone's: the sheet it wrote, filled in under its own name
    (`common.answers.yaml`), is the student's its field names, not a student called `common`."""
    keys, subs = _one_quiz_for_the_class(concepts, tmp_path / "common.yaml")
    _sheet(subs / "common.answers.yaml", keys, student="alice")
    _sheet(subs / "bob.yaml", {pid: "0" for pid in keys})
    reports, _ = grade_class(tmp_path / "common.yaml", subs, _concepts(), jobs=1)
    assert {r.student: (r.score, r.total) for r in reports} == {"alice": (2, 2), "bob": (0, 2)}
    assert not any(r.flags for r in reports if r.student == "alice")


def test_a_sheet_for_another_quiz_and_an_edited_quiz_reach_the_gradebook(klass, tmp_path):
    """What the teacher must see is a flag, so it is in the gradebook's flags column, not only
    a note on the screen: a sheet made for a quiz outside the class, a quiz file edited since it
    was written."""
    week3, keys = _class(klass, tmp_path)
    _sheet(week3 / "s001.answers.yaml", keys["s001"], student="s001", quiz="sha256:" + "0" * 64)
    _fill(week3, "s002", keys["s002"])
    quiz = week3 / "s002.quiz.yaml"
    data = json.loads(quiz.read_text())
    data["title"] = data["title"] + " (edited)"
    quiz.write_text(json.dumps(data))
    result = _cli("grade", str(week3), str(week3), "--csv", str(tmp_path / "gb.csv"))
    assert result.exit_code == 0, result.output
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "gb.csv").read_text()))}
    assert "made for the quiz sha256:000000000000" in rows["s001"]["flags"]
    assert "edited after it was written" in rows["s002"]["flags"]
    assert "made for" not in rows["s003"]["flags"] and "edited" not in rows["s003"]["flags"]



def test_a_csv_named_for_one_student_never_displaces_anothers_sheet(klass, tmp_path):
    """s001's upload `s001.csv` holds rows for s002, newer than s002's own sheet (or at the same
    time): s002 is graded from their own sheet, and the claim is on s002's row in the gradebook.
    With no sheet of s002's the rows are graded as s002's, flagged."""
    week3, keys = _class(klass, tmp_path)
    own = _fill(week3, "s002", keys["s002"])
    forged = week3 / "s001.csv"
    forged.write_text("student,problem,answer\n" + "".join(f"s002,{n},0.9\n" for n in (1, 2)))
    for t in (1_000_000, os.stat(forged).st_mtime):
        os.utime(own, (t, t))
        rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
        assert (rows["s002"].score, rows["s002"].error, rows["s002"].sheet) == (2, None, str(own))
        assert any("s001.csv" in f and "claims" in f for f in rows["s002"].flags), rows["s002"].flags
    own.unlink()
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert rows["s002"].sheet == str(forged)
    assert any("named for s001, but holds rows for s002" in f for f in rows["s002"].flags), rows["s002"].flags


def test_a_second_sheet_with_other_answers_is_flagged_not_only_noted(klass, tmp_path):
    """s001's sheet and a newer `S001.yml` with other answers: the newer is graded and the
    gradebook names the other (a teacher must see what was passed over); the same answers twice
    are only a note."""
    week3, keys = _class(klass, tmp_path)
    old = _fill(week3, "s001", keys["s001"])
    os.utime(old, (1_000_000, 1_000_000))
    newer = _sheet(week3 / "S001.yml", {pid: "0" for pid in keys["s001"]}, student="s001")
    result = _cli("grade", str(week3), str(week3), "--csv", str(tmp_path / "gb.csv"))
    assert result.exit_code == 0, result.output
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "gb.csv").read_text()))}
    assert (rows["s001"]["score"], rows["s001"]["submission"]) == ("0", str(newer))
    assert "holds other answers" in rows["s001"]["flags"] and str(old) in rows["s001"]["flags"]
    _sheet(newer, keys["s001"], student="s001")
    reports = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert reports["s001"].score == 2 and not reports["s001"].flags
    assert any("2 submissions for student s001" in n for n in reports["s001"].notes)


def test_a_filled_sheet_beats_the_blank_one_and_a_name_naming_no_one_is_flagged(klass, tmp_path):
    """Graded in the folder `quiz --for` wrote: s002's blank sheet is still there, and s002 handed
    in `mine.yaml` (made for s002's quiz). The filled sheet is graded, flagged because its name
    does not name s002; a stranger's `s999.yaml` claiming s003 is flagged the same way. An LMS
    download's name that keeps the sheet's own (`Jo Doe_88_s002.answers.yaml`) is not flagged."""
    week3, keys = _class(klass, tmp_path)
    checksum = {sid: read_quiz(week3 / f"{sid}.quiz.yaml").checksum for sid in STUDENTS}
    mine = _sheet(week3 / "mine.yaml", keys["s002"], student="s002", quiz=checksum["s002"])
    _sheet(week3 / "s999.yaml", keys["s003"], student="s003")
    os.utime(week3 / "s002.answers.yaml", (2_000_000_000, 2_000_000_000))  # the blank one is newer
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert (rows["s002"].score, rows["s002"].sheet, rows["s002"].handed_in) == (2, str(mine), True)
    assert any("(mine.yaml) does not name s002" in f for f in rows["s002"].flags), rows["s002"].flags
    assert rows["s003"].score == 2 and any("(s999.yaml) does not name s003" in f for f in rows["s003"].flags)
    mine.rename(week3 / "Jo Doe_88_s002.answers.yaml")
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert rows["s002"].score == 2 and not any("does not name" in f for f in rows["s002"].flags), rows["s002"].flags


def test_a_sheet_naming_two_students_is_an_error_row(klass, tmp_path):
    """`student: s001` and then `student: s003` in one file: whose it is cannot be told, so the
    file is an error row (it is never graded as the last one's, as YAML would read it); two
    `answers:` blocks are both read, with a note."""
    week3, keys = _class(klass, tmp_path)
    late = week3 / "late.yaml"
    late.write_text("student: s001\nstudent: s003\nanswers:\n" + "".join(f"  {k}: '{v}'\n" for k, v in keys["s001"].items()))
    reports = grade_class(week3, week3, _concepts(), jobs=1)[0]
    bad = [r for r in reports if r.sheet == str(late)]
    assert len(bad) == 1 and "a second 'student:'" in (bad[0].error or ""), [(r.student, r.error) for r in reports]
    assert not any(r.score for r in reports if r.student in ("s001", "s003"))
    first, second = list(keys["s002"].items())
    _sheet(week3 / "s002.answers.yaml", {first[0]: first[1]}, student="s002")
    with open(week3 / "s002.answers.yaml", "a") as fh:
        fh.write(f"answers:\n  {second[0]}: '{second[1]}'\n")
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert rows["s002"].score == 2 and any("a second 'answers:'" in n for n in rows["s002"].notes)


def test_an_unreadable_sheet_named_in_another_case_is_that_students(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "S002.yaml").write_bytes(b"\x00\x01 not a sheet")
    rows = {r.student: r for r in grade_class(week3, subs, _concepts(), jobs=1)[0]}
    assert "S002" not in rows and rows["s002"].error is not None and not rows["s002"].stranger
    assert "no submission" not in rows["s002"].flags
    os.mkfifo(subs / "s003.yaml")  # a pipe is never opened, and never passed over in silence
    reports, notes = grade_class(week3, subs, _concepts(), jobs=1)
    assert any(n.startswith(f"{subs / 's003.yaml'}: ignored (not a regular file") for n in notes), notes


def test_a_line_left_blank_beside_an_answer_is_not_a_second_answer(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    (pid, key), (other, _) = list(keys["s001"].items())
    sheet = week3 / "s001.answers.yaml"
    sheet.write_text(f"student: s001\nanswers:\n  {pid}: ''\n  {pid}: '{key}'\n  {other}: ''\n  {other}:\n")
    rows = {r.student: r for r in grade_class(week3, week3, _concepts(), jobs=1)[0]}
    assert [i.status for i in rows["s001"].items] == ["right", "missing"]


def test_outputs_never_write_through_a_link(klass, tmp_path):
    """A link where the gradebook, the grade report or a student's report goes is never written
    through (one may be planted among the sheets); a missing folder for --csv or --json is found
    before anything is graded or written."""
    week3, keys = _class(klass, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (week3 / "book.csv").symlink_to(victim)
    for option in ("--csv", "--json"):
        result = _cli("grade", str(week3), str(week3), option, str(week3 / "book.csv"))
        assert result.exit_code == 2 and "is a link" in result.output, result.output
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "s002.report.txt").symlink_to(victim)
    result = _cli("grade", str(week3), str(week3), "--reports", str(reports))
    assert result.exit_code == 2 and "s002.report.txt: is a link" in result.output, result.output
    assert (reports / "s001.report.txt").is_file() and victim.read_text() == "keep me"
    before = _files(tmp_path)
    result = _cli("grade", str(week3), str(week3), "--json", str(tmp_path / "j.json"), "--csv", str(tmp_path / "nodir" / "x.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output and _files(tmp_path) == before, result.output


# ---------------------------------------------------------------------------------------------
# 5. Credit is monotone


@pytest.fixture(scope="module")
def matrix_problem(concepts):
    quiz = make_quiz(concepts, ["attention"], 8, seed=11)
    for p in quiz.problems:
        problem = rebuild(p.id, concepts)
        if problem.answer.kind == "matrix" and sum(len(r) for r in problem.answer.value) >= 6:
            return problem
    raise AssertionError("no matrix problem")


def _coarse(key: float, tolerance) -> str | None:
    """The key rounded to too few figures, as a number answer alone is judged, or None."""
    from quizgen.core.answer import Answer

    for m in (1, 2, 3):
        text = f"{float(f'{key:.{m - 1}e}'):g}"
        if judge(Answer("number", float(key)), text, tolerance).status == "too-few-figures":
            return text
    return None


def _entry(key: float, how: str, tolerance) -> str:
    if how == "coarse":
        coarse = _coarse(key, tolerance)
        if coarse is not None:
            return coarse
    if how in ("exact", "coarse"):
        return repr(float(key))
    return repr(float(key) * 3 + 7.25)


def _points(problem, grid, scoring: Scoring) -> float:
    rows = [[_entry(k, how, problem.tolerance) for k, how in zip(krow, hrow)] for krow, hrow in zip(problem.answer.value, grid)]
    text = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    v = judge(problem.answer, text, problem.tolerance, problem.misconceptions)
    return question_points(scoring, problem.answer, text, problem.tolerance, v.status, v)


POLICIES = [Scoring(), Scoring(rough=0.5), Scoring(rough=1.0), Scoring(partial=True), Scoring(partial=True, rough=0.5)]
ORDER = ("wrong", "coarse", "exact")


def test_five_exact_and_one_rounded_never_score_below_five_exact_and_one_wrong(matrix_problem):
    shape = [len(r) for r in matrix_problem.answer.value]
    cells = [(i, j) for i, n in enumerate(shape) for j in range(n)]
    for policy in POLICIES:
        for cell in cells:
            grids = {}
            for how in ORDER:
                grid = [["exact"] * n for n in shape]
                grid[cell[0]][cell[1]] = how
                grids[how] = _points(matrix_problem, grid, policy)
            assert grids["wrong"] <= grids["coarse"] <= grids["exact"] == 1, (policy, cell, grids)
    total = len(cells)
    i, j = next((i, j) for i, j in cells if _coarse(matrix_problem.answer.value[i][j], matrix_problem.tolerance))
    one_coarse = [["exact"] * n for n in shape]
    one_coarse[i][j] = "coarse"
    one_wrong = [["exact"] * n for n in shape]
    one_wrong[i][j] = "wrong"
    assert _points(matrix_problem, one_coarse, Scoring(partial=True)) >= _points(matrix_problem, one_wrong, Scoring(partial=True)) > 0
    assert _points(matrix_problem, one_coarse, Scoring(partial=True)) == round((total - 1) / total, 4)
    assert _points(matrix_problem, one_coarse, Scoring(partial=True, rough=0.5)) == round((total - 0.5) / total, 4)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_credit_is_monotone_in_every_entry(matrix_problem, data):
    """Any answer, any one entry made better (wrong -> rounded -> exact): never fewer points,
    under every policy."""
    shape = [len(r) for r in matrix_problem.answer.value]
    grid = [[data.draw(st.sampled_from(ORDER)) for _ in range(n)] for n in shape]
    i = data.draw(st.integers(0, len(shape) - 1))
    j = data.draw(st.integers(0, shape[i] - 1))
    rank = ORDER.index(grid[i][j])
    if rank == 2:
        return
    better = [row[:] for row in grid]
    better[i][j] = ORDER[data.draw(st.integers(rank + 1, 2))]
    policy = data.draw(st.sampled_from(POLICIES))
    assert _points(matrix_problem, grid, policy) <= _points(matrix_problem, better, policy)


# ---------------------------------------------------------------------------------------------
# 7. Hand-edited quiz files


def _edit_yaml(text: str) -> dict:
    return json.loads(text)


QUIZ_EDITS = {
    "date title": (lambda d: d.update(title="__DATE__"), "title"),
    "date in a template": (lambda d: next(iter(d["templates"].values())).update(title="__DATE__"), "templates."),
    "int key": (lambda d: d.update({"__INT__": "x"}), "the key 7"),
    "null key": (lambda d: d.update({"__NULL__": "x"}), "the key null"),
    "bool key": (lambda d: d.update({"__TRUE__": "x"}), "the key true"),
    "int key in templates": (lambda d: d["templates"].update({"__INT__": {"family": "attention", "version": 1}}), "templates"),
    "int key in inputs": (lambda d: d["problems"][0]["inputs"].update({"__INT__": 1}), "problems[0].inputs"),
    "lone surrogate": (lambda d: d.update(title="\ud800 week 3"), "title"),
    "lone surrogate key": (lambda d: d["problems"][1]["inputs"].update({"\udfff": 1}), "problems[1].inputs"),
    "lone surrogate in the checksum": (lambda d: d.update(checksum="sha256:\ud800" + d["checksum"][8:]), "checksum"),
}


def _hand_edit(source: Path, target: Path, edit) -> Path:
    data = json.loads(source.read_text())
    edit(data)
    text = json.dumps(data, ensure_ascii=True)  # lone surrogates survive as \ud800 escapes
    if "__" in text:  # YAML-only values: block YAML by hand
        text = yaml.safe_dump(json.loads(text), sort_keys=False)
        text = (text.replace("__DATE__", "2024-01-05").replace("'2024-01-05'", "2024-01-05")
                .replace("__INT__", "7").replace("__NULL__", "~").replace("__TRUE__", "true"))
    target.write_text(text)
    return target


@pytest.mark.parametrize("edit", list(QUIZ_EDITS))
def test_a_hand_edited_quiz_file_is_exit_2_naming_file_and_field(klass, tmp_path, edit):
    week3, keys = _class(klass, tmp_path)
    change, field = QUIZ_EDITS[edit]
    quiz = _hand_edit(week3 / "s001.quiz.yaml", tmp_path / "edited.quiz.yaml", change)
    with pytest.raises(FileUnusable) as caught:
        read_quiz(quiz)
    assert str(caught.value).startswith(f"{quiz}: ") and field in str(caught.value), str(caught.value)
    for command in (["grade", str(quiz), str(week3 / "s001.answers.yaml")], ["export", str(quiz), "--format", "moodle", "-o", str(tmp_path / "m.xml")]):
        result = _cli(*command)
        assert result.exit_code == 2 and str(quiz) in result.output and field in result.output, (command, result.output)


@pytest.mark.parametrize("edit", ["date title", "int key", "lone surrogate"])
def test_in_a_class_an_unusable_quiz_file_is_one_row(klass, tmp_path, edit):
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    _fill(week3, "s003", keys["s003"])
    _hand_edit(week3 / "s002.quiz.yaml", week3 / "s002.quiz.yaml", QUIZ_EDITS[edit][0])
    result = _cli("grade", str(week3), str(week3), "--json", str(tmp_path / "g.json"))
    assert result.exit_code == 0, result.output
    rows = {s["student"]: s for s in json.loads((tmp_path / "g.json").read_text())["submissions"]}
    assert rows["s001"]["score"] == 2 and rows["s003"]["score"] == 2
    assert "their quiz file cannot be used" in rows["s002"]["error"] and "s002.quiz.yaml" in rows["s002"]["error"]


def test_two_quiz_files_for_one_student_are_that_students_error_row(klass, tmp_path):
    week3, keys = _class(klass, tmp_path)
    _fill(week3, "s001", keys["s001"])
    _fill(week3, "s002", keys["s002"])
    shutil.copy(week3 / "s002.quiz.yaml", week3 / "copy.quiz.yaml")
    rows = _scores(grade_class(week3, week3, _concepts(), jobs=1)[0])
    assert rows["s001"] == (2, 2, None) and rows["s003"] == (0, 2, None)
    assert "a second quiz for student s002" in rows["s002"][2]


# ---------------------------------------------------------------------------------------------
# 15. Roster ids equal but for case


@pytest.mark.parametrize("pair", [("s001", "S001"), ("Ann", "aNN"), ("x.Y_1", "X.y_1"), ("s001", "s001")])
def test_roster_ids_equal_but_for_case_are_refused(tmp_path, pair):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\n{pair[0]},One\nzed,Z\n{pair[1]},Two\n")
    with pytest.raises(QuizgenError) as caught:
        read_roster(roster)
    message = str(caught.value)
    assert message.startswith(f"{roster}: line 4: student id {pair[1]!r}") and "line 2" in message
    if pair[0] != pair[1]:
        assert "only in case" in message
    result = _cli("quiz", "attention", "-n", "1", "--for", str(roster), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "line 4" in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize("sid", ["con", "CON", "aux", "nul.txt", "com1", "Lpt9.csv", "s001."])
def test_roster_ids_windows_cannot_name_are_refused(tmp_path, sid):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\nzed,Z\n{sid},One\n")
    with pytest.raises(QuizgenError, match=rf"line 3: student id {re.escape(repr(sid))} cannot be a file name on Windows"):
        read_roster(roster)
    result = _cli("quiz", "attention", "-n", "1", "--for", str(roster), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "line 3" in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize("sid", ["class", "Class"])
def test_a_roster_id_that_would_take_the_class_files_is_refused(tmp_path, sid):
    """`class` would write class.key.html as a student's key and as the class's."""
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\nzed,Z\n{sid},One\n")
    result = _cli("quiz", "attention", "-n", "1", "--for", str(roster), "-o", str(tmp_path / "out"), "--key")
    assert result.exit_code == 2 and "line 3" in result.output and "class.key.html" in result.output, result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["Ann\x1b[31mRed", "Bo\x07", "Cy\u202eevil", "Di\x7fx", "Ed\x85x"])
def test_roster_names_with_control_characters_are_refused(tmp_path, name):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,name\ns001,{name}\n", "utf-8")
    with pytest.raises(QuizgenError, match=r"line 2: the name of 's001' holds a control character \(U\+"):
        read_roster(roster)


# ---------------------------------------------------------------------------------------------
# Who handed in


def test_the_summary_counts_only_sheets_handed_in(concepts, tmp_path):
    """5 students, 3 hand in, all of them right: "3 of 5 handed in", the two missing named, and
    every template 100% right (the two without a sheet are not wrong answers)."""
    week3 = tmp_path / "week3"
    week3.mkdir()
    roster = [f"s{k}" for k in range(5)]
    for sid in roster:
        quiz = make_quiz(concepts, ["attention"], 2, seed=9, student=sid)
        write_quiz_files(quiz, week3 / f"{sid}.quiz.yaml")
        if sid in ("s0", "s2", "s4"):
            _sheet(week3 / f"{sid}.answers.yaml",
                   {p.id: format_value(pr.answer.kind, pr.answer.value) for p in quiz.problems for pr in [rebuild(p.id, concepts)]},
                   student=sid)
    result = _cli("grade", str(week3), str(week3), "--json", str(tmp_path / "g.json"))
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first == "3 of 5 handed in; missing: s1, s3"
    assert "  100% right (3/3)" in result.output and "% right (3/5)" not in result.output
    data = json.loads((tmp_path / "g.json").read_text())
    assert (data["handed_in"], data["students"], data["missing"]) == (3, 5, ["s1", "s3"])
    assert all(row["share_right"] == 1 and row["questions"] == 3 for row in data["templates"])
    assert {s["student"]: s["handed_in"] for s in data["submissions"]} == {"s0": True, "s1": False, "s2": True, "s3": False, "s4": True}
    assert "over the 3 sheets handed in and graded" in result.output
    reports, _ = grade_class(week3, week3, concepts, jobs=1)
    assert all(row["questions"] == 3 for row in class_summary(reports))
    # A sheet that cannot be read is handed in but says nothing: the shares are over 2 sheets.
    (week3 / "s4.answers.yaml").write_bytes(b"\x00\xff binary")
    again = _cli("grade", str(week3), str(week3))
    assert "over the 2 sheets handed in and graded" in again.output and "  100% right (2/2)" in again.output, again.output


def test_a_folder_with_no_sheets_for_one_quiz_is_an_error_not_0_of_0(concepts, tmp_path):
    _, subs = _one_quiz_for_the_class(concepts, tmp_path / "week3.yaml")
    named_like_a_sheet = tmp_path / "ann.answers.yaml"
    named_like_a_sheet.mkdir()
    for folder, why in [(subs, "it is empty"), (named_like_a_sheet, "it is empty")]:
        result = _cli("grade", str(tmp_path / "week3.yaml"), str(folder))
        assert result.exit_code == 2 and f"{folder}: no answer sheets in this folder ({why}" in result.output
        assert "handed in" not in result.output
    (subs / "ann.txt").write_text("0.125\n")
    result = _cli("grade", str(tmp_path / "week3.yaml"), str(subs))
    assert result.exit_code == 2 and "ann.txt: ignored (answer sheets end in .yaml" in result.output


def test_with_one_quiz_a_sheet_named_for_someone_else_is_flagged(concepts, tmp_path):
    """`bob.yaml` saying `student: alice` is graded as alice's (what it says) and flagged; copies
    of the quiz's own sheet, under an LMS's name or not, and `alice.yaml` are not."""
    keys, subs = _one_quiz_for_the_class(concepts, tmp_path / "week3.yaml")
    for name, student in [("bob.yaml", "alice"), ("carol.yaml", "carol"), ("week3.answers (1).yaml", "dan"),
                          ("Jo Doe_88_week3.answers.yaml", "s002")]:
        _sheet(subs / name, keys, student=student)
    rows = {r.student: r for r in grade_class(tmp_path / "week3.yaml", subs, concepts, jobs=1)[0]}
    assert {s: (r.score, r.total) for s, r in rows.items()} == {s: (2, 2) for s in ("alice", "carol", "dan", "s002")}
    assert rows["alice"].flags == ["its file name (bob.yaml) names neither alice nor the quiz week3; "
                                   "graded as alice's, as its student field says"]
    assert not any(rows[s].flags for s in ("carol", "dan", "s002")), {s: rows[s].flags for s in rows}
    # Copies of the quiz's sheet with the student field left blank are graded under their file
    # names, and each is flagged: a row called "week3.answers (2)" is no student.
    blank = tmp_path / "blank"
    blank.mkdir()
    for name in ("week3.answers (2).yaml", "Jo Doe_12_week3.answers.yaml", "erin.yaml"):
        _sheet(blank / name, keys)
    rows = {r.student: r for r in grade_class(tmp_path / "week3.yaml", blank, concepts, jobs=1)[0]}
    assert sorted(rows) == ["Jo Doe_12_week3", "erin", "week3.answers (2)"]
    for student in ("Jo Doe_12_week3", "week3.answers (2)"):
        assert any("the sheet names no student" in f for f in rows[student].flags), rows[student].flags
    assert not rows["erin"].flags


def test_an_lms_download_is_its_students_whatever_quiz_line_a_sheet_pastes(klass, tmp_path):
    """An LMS keeps each upload's name inside its own (Ann_11_s001.answers.yaml). Mallory's sheet,
    named for s003 but with s001's quiz: line pasted in and newer, used to be graded as s001's
    (0 of 2) while Ann's own sheet was set aside and s003 had no submission."""
    week3, keys = _class(klass, tmp_path)
    lms = tmp_path / "lms"
    lms.mkdir()
    s001_quiz = read_quiz(week3 / "s001.quiz.yaml").checksum
    ann = _sheet(lms / "Ann_11_s001.answers.yaml", keys["s001"], student="s001", quiz=s001_quiz)
    mallory = _sheet(lms / "Mallory_13_s003.answers.yaml", keys["s003"], quiz=s001_quiz)
    os.utime(ann, (1_000_000, 1_000_000))  # Mallory's is much newer
    rows = {r.student: r for r in grade_class(week3, lms, _concepts(), jobs=1)[0]}
    assert (rows["s001"].sheet, rows["s001"].score, rows["s001"].total) == (str(ann), 2, 2)
    assert (rows["s003"].sheet, rows["s003"].score, rows["s003"].total) == (str(mallory), 2, 2)
    assert not rows["s001"].flags
    assert any("made for the quiz" in f for f in rows["s003"].flags), rows["s003"].flags


def test_answers_a_broken_file_loses_reach_the_gradebooks_flags(klass, tmp_path):
    """A quote left open on answer 1 dropped every later answer with only a note, and an empty
    flags column in the gradebook: a teacher marking from the CSV never saw it."""
    week3, keys = _class(klass, tmp_path)
    first, second = keys["s001"]
    (week3 / "s001.answers.yaml").write_text(f"student: s001\nanswers:\n  {first}: '[[2, -2\n  {second}: '{keys['s001'][second]}'\n")
    result = _cli("grade", str(week3), str(week3), "--csv", "-")
    book = {row["student"]: row for row in csv.DictReader(io.StringIO(result.output.split("\n\n")[0]))}
    assert "answers after that point were not read" in book["s001"]["flags"], book["s001"]


@pytest.mark.parametrize(("header", "row", "read"), [
    ("student;problem;answer", "s001;1;2 -2 -2; -2 -1 1", "2 -2 -2; -2 -1 1"),
    ("student,problem,answer", "s001,1,[[2, -2], [-1, 1]]", "[[2, -2], [-1, 1]]"),
    ("student,problem,answer", "s001,1,0.5,,", "0.5"),  # empty cells after the last column are nothing
])
def test_an_unquoted_answer_holding_the_separator_is_read_whole(header, row, read, tmp_path):
    """`s001;3;2 -2 -2; -2 -1 1` (the matrix form the sheets teach, in a ';' file) was graded
    as its first cell, `2 -2 -2`, with no word said; as the last column, the rest is its own."""
    from quizgen.classroom.sheets import read_csv_sheets

    (tmp_path / "paper.csv").write_text(header + "\n" + row + "\n")
    assert [a.text for a in read_csv_sheets(tmp_path / "paper.csv")[0].answers] == [read]
    # Not the last column: the answer cannot be told, and the grader says why.
    (tmp_path / "paper.csv").write_text("answer,student,problem\n1,2,s001,1\n")
    (answer,) = read_csv_sheets(tmp_path / "paper.csv")[0].answers
    assert answer.text is None and "the row has 4 cells and the header 3" in str(answer.issue)


def test_a_sheet_named_for_its_student_is_not_flagged_for_its_name_against_one_quiz(klass, tmp_path):
    """s002.answers.yaml graded against s001's quiz alone said "its file name (s002.answers.yaml)
    does not name s002": its name does; what is worth a flag is the other quiz."""
    week3, keys = _class(klass, tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(_fill(week3, "s002", keys["s002"]), subs / "s002.answers.yaml")
    (report,) = grade_class(week3 / "s001.quiz.yaml", subs, _concepts(), jobs=1)[0]
    assert report.student == "s002" and not any("does not name" in f for f in report.flags), report.flags
