"""``quizgen quiz``: quiz files, per-student variants, worksheets and answer-sheet templates."""

from __future__ import annotations

import hashlib
import os
import html
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.classroom.commands import companion_paths, write_quiz_files
from quizgen.classroom.quiz import checksum, make_quiz, quiz_text, read_quiz, student_seed, write_quiz
from quizgen.core.problems import plan as quiz_plan
from quizgen.classroom.roster import read_roster
from quizgen.classroom.worksheet import (
    answer_sheet,
    tex_matrices,
    worksheet_html,
    worksheet_markdown,
)
from quizgen.cli import cli
from quizgen.core.concepts import select
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable, read_text_file


@pytest.fixture(scope="module")
def small_quiz(concepts):
    return make_quiz(concepts, ["attention", "shapes"], 6, seed=3)


def test_quiz_is_reproducible_and_seeded(concepts):
    a = quiz_text(make_quiz(concepts, ["bleu"], 4, seed=5))
    b = quiz_text(make_quiz(concepts, ["bleu"], 4, seed=5))
    c = quiz_text(make_quiz(concepts, ["bleu"], 4, seed=6))
    assert a == b
    assert a != c


def test_quiz_takes_each_topic_in_turn(concepts, small_quiz):
    keys = [p.key for p in small_quiz.problems]
    # Two concepts: the quiz alternates between them instead of exhausting the first.
    assert [k.split(".")[0] for k in keys] == ["attention", "squeeze-unsqueeze"] * 3
    pairs = quiz_plan(select(concepts, ["attention", "shapes"]))
    assert [f"{c.id}.{t.name}" for c, t in pairs[:6]] == keys


def test_quiz_file_has_no_answers_and_is_json_and_yaml(small_quiz, tmp_path):
    path = tmp_path / "q.yaml"
    write_quiz(path, small_quiz)
    text = path.read_text()
    as_json = json.loads(text)
    assert yaml.safe_load(text) == as_json
    for record in as_json["problems"]:
        assert set(record) == {"number", "id", "expected", "inputs"}
    for word in ('"answer"', '"steps"', '"misconceptions"'):
        assert word not in text
    assert as_json["checksum"] == checksum({k: v for k, v in as_json.items() if k != "problems"}, as_json["problems"])


def test_read_quiz_round_trip_and_block_yaml(small_quiz, tmp_path):
    path = tmp_path / "q.yaml"
    write_quiz(path, small_quiz)
    back = read_quiz(path)
    assert back.issues == ()
    assert back.problems == small_quiz.problems
    assert back.checksum == small_quiz.checksum
    # The same data re-written as block YAML (as a YAML tool would) reads the same, checksum intact.
    block = tmp_path / "block.yaml"
    block.write_text(yaml.safe_dump(json.loads(path.read_text()), sort_keys=False, allow_unicode=True))
    again = read_quiz(block)
    assert again.issues == ()
    assert again.problems == small_quiz.problems


def test_edited_quiz_is_detected_by_checksum(small_quiz, tmp_path):
    path = tmp_path / "q.yaml"
    write_quiz(path, small_quiz)
    data = json.loads(path.read_text())
    data["problems"][0]["inputs"]["d_k"] = data["problems"][0]["inputs"]["d_k"] + 1
    path.write_text(json.dumps(data))
    edited = read_quiz(path)
    assert len(edited.issues) == 1
    assert "edited after it was written" in edited.issues[0]
    assert not edited.checksum_ok


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("quizgen"), "is not a quiz file"),
        (lambda d: d.update(problems=[]), "has no problems"),
        (lambda d: d["problems"][1].update(id="not an id"), "problem 2: 'id' must be a problem id"),
        (lambda d: d["problems"][2].update(number=7), "problem 3: 'number' must be 3"),
        (lambda d: d["problems"][1].update(id=d["problems"][0]["id"]), "is also problem 1"),
        (lambda d: d["problems"][0].pop("inputs"), "problem 1: has no 'inputs'"),
        (lambda d: d.update(format=99), "quiz file format 99"),
        (lambda d: d.update(format=0), "quiz file format 0 is not one this quizgen"),
        (lambda d: d.update(seed=-1), "'seed' must be a whole number"),
        (lambda d: d.update(student="../etc"), "'student' must be a student id"),
    ],
)
def test_broken_quiz_files_are_refused_with_the_place(small_quiz, tmp_path, mutate, message):
    path = tmp_path / "q.yaml"
    write_quiz(path, small_quiz)
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(FileUnusable, match=re.escape(message)):
        read_quiz(path)


def test_quiz_yaml_with_aliases_or_deep_nesting_is_refused(tmp_path):
    alias = tmp_path / "alias.yaml"
    alias.write_text("quizgen: quiz\na: &x [1, 2]\nb: *x\n")
    with pytest.raises(FileUnusable, match=r"line 3: YAML aliases \(\*x\) are not read"):
        read_quiz(alias)
    deep = tmp_path / "deep.yaml"
    deep.write_text("quizgen: quiz\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(FileUnusable, match=r"deep\.yaml.*line 2"):
        read_quiz(deep)
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(FileUnusable, match="nested"):
        read_quiz(deep_json)
    tagged = tmp_path / "tag.yaml"
    tagged.write_text("quizgen: quiz\nx: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(FileUnusable, match="YAML tag"):
        read_quiz(tagged)


def test_student_seed_is_a_stable_hash(concepts):
    expected = int.from_bytes(
        hashlib.blake2b(b"7:s001", digest_size=6, person=b"quizgen-student").digest(), "big"
    )
    assert student_seed(7, "s001") == expected
    first = make_quiz(concepts, ["attention"], 3, seed=7, student="s101")
    second = make_quiz(concepts, ["attention"], 3, seed=7, student="s102")
    assert [p.id for p in first.problems] != [p.id for p in second.problems]
    assert first.effective_seed == student_seed(7, "s101")
    assert make_quiz(concepts, ["attention"], 3, seed=7, student="s101").problems == first.problems


def test_worksheets_show_every_problem_and_escape_text(small_quiz):
    from dataclasses import replace

    quiz = replace(small_quiz, title="<script>alert(1)</script> *quiz*")
    md = worksheet_markdown(quiz)
    page = worksheet_html(quiz)
    for p in quiz.problems:
        assert p.id in md and p.id in page
        assert html.escape(quiz.templates[p.key].prompt.split("`")[0]) in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    # Attention inputs are typeset in MathML, drawn by the browser itself: no script, no network.
    assert "<math" in page and "<mtable>" in page and "<script" not in page and "http" not in page
    assert "\\*quiz\\*" in md
    assert md.count("**Answer**") == len(quiz.problems)
    for text in (md, page):  # paper says nothing about files: that is the answer sheet's and the key's to say
        assert "answers.yaml" not in text and "single quotes" not in text and "answer sheet" not in text


def test_mathml_only_for_numeric_matrices():
    from quizgen.core.render import mathml_matrices

    shown = mathml_matrices({"Q": [[1, -2], [0.5, 3]], "tokens": [["a", "b"]], "d_k": 4, "confusion_matrix": [[1, 2], [3, 4]]})
    assert shown == [
        "<mi>Q</mi><mo>=</mo><mrow><mo>[</mo><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>-2</mn></mtd></mtr>"
        "<mtr><mtd><mn>0.5</mn></mtd><mtd><mn>3</mn></mtd></mtr></mtable><mo>]</mo></mrow>",
        "<mtext>confusion_matrix</mtext><mo>=</mo><mrow><mo>[</mo><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>2</mn></mtd></mtr>"
        "<mtr><mtd><mn>3</mn></mtd><mtd><mn>4</mn></mtd></mtr></mtable><mo>]</mo></mrow>",
    ]


def test_tex_matrices_only_for_numeric_matrices():
    tex = tex_matrices({"Q": [[1, -2], [0.5, 3]], "tokens": [["a", "b"]], "d_k": 4, "confusion_matrix": [[1, 2], [3, 4]]})
    assert tex == [
        "Q = \\begin{bmatrix} 1 & -2 \\\\ 0.5 & 3 \\end{bmatrix}",
        "\\text{confusion\\_matrix} = \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
    ]


def test_answer_sheet_template_lists_every_id_blank(small_quiz, tmp_path):
    from quizgen.classroom.grade import read_answer_sheet

    path = tmp_path / "a.yaml"
    path.write_text(answer_sheet(small_quiz))
    text = path.read_text()
    assert "in single quotes" in text and "1 2; 3 4" in text and "error" in text  # how to write answers, where they are written
    sheet = read_answer_sheet(path)
    assert [a.key for a in sheet.answers] == [p.id for p in small_quiz.problems]
    assert all(a.text is None and a.issue is None for a in sheet.answers)
    assert sheet.quiz == small_quiz.checksum


def test_companion_paths():
    names = {k: p.name for k, p in companion_paths(Path("x/week3.quiz.yaml")).items()}
    assert names == {"markdown": "week3.worksheet.md", "html": "week3.worksheet.html", "answers": "week3.answers.yaml",
                     "key": "week3.key.html"}
    assert companion_paths(Path("q.json"))["answers"].name == "q.answers.yaml"


def test_key_holds_answers_steps_pictures_and_mistakes(tmp_path):
    """The answer key of a quiz (and of each student, with a class file) shows every problem's
    answer, worked steps, picture and named mistakes, computed again from the ids; the worksheet
    shows none of them; an existing key is not replaced without --force."""
    from quizgen.classroom.quiz import read_quiz
    from quizgen.core.concepts import load_concepts
    from quizgen.core.pictures import svg
    from quizgen.core.problems import rebuild

    runner = CliRunner()
    args = ["--concepts", str(CONCEPTS), "quiz", "attention", "lr-schedules", "-n", "12", "-o", str(tmp_path / "q.yaml")]
    assert runner.invoke(cli, [*args, "--key"]).exit_code == 0
    key = (tmp_path / "q.key.html").read_text("utf-8")
    sheet = (tmp_path / "q.worksheet.html").read_text("utf-8")
    concepts = load_concepts(CONCEPTS)
    pictures = 0
    for p in read_quiz(tmp_path / "q.yaml").problems:
        problem = rebuild(p.id, concepts)
        (section,) = [s for s in key.split('<section class="problem solution">')[1:] if f'<span class="pid">{p.id}</span>' in s]
        assert "<b>Answer:</b>" in section and "<b>Answer:</b>" not in sheet
        assert all(html.escape(s.label) in section for s in problem.steps)
        assert all(f"<b>{m.name}</b>" in section for m in problem.misconceptions)
        if problem.figure is not None:
            assert svg(problem.figure) in section
            pictures += 1
    assert pictures >= 3 and "answer key" in key
    again = runner.invoke(cli, [*args, "--key"])
    assert again.exit_code == 2 and "q.key.html" in again.output


def test_write_quiz_files(small_quiz, tmp_path):
    written = write_quiz_files(small_quiz, tmp_path / "q.yaml")
    # The answer sheet first (a filled one stops the replacement early), the quiz file last.
    assert [p.name for p in written] == ["q.answers.yaml", "q.worksheet.md", "q.worksheet.html", "q.yaml"]
    assert all(p.stat().st_size > 0 for p in written)


def test_roster(tmp_path):
    good = tmp_path / "r.csv"
    good.write_text("\ufeffName,ID\nStudent One,s001\n\nStudent Two,s002\n")
    assert [(s.id, s.name) for s in read_roster(good)] == [("s001", "Student One"), ("s002", "Student Two")]
    for text, message in [
        ("name\nStudent One\n", "needs a header row with an 'id' column"),
        ("id\ns001\ns001\n", "line 3: student id 's001' already appears on line 2"),
        ("id\n../x\n", "line 2: student id '../x' must be"),
        ("id\n", "lists no students"),
    ]:
        good.write_text(text)
        with pytest.raises(QuizgenError, match=re.escape(message)):
            read_roster(good)


def test_read_text_file_refusals(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(50 * 2**20)  # sparse: the size alone must refuse it
    with pytest.raises(FileUnusable, match=r"is 50\.0 MB; files over 1\.0 MB are not read"):
        read_text_file(big, 2**20, "answer sheet")
    (tmp_path / "d").mkdir()
    with pytest.raises(FileUnusable, match="is a directory"):
        read_text_file(tmp_path / "d", 100, "quiz file")
    with pytest.raises(FileUnusable, match="no such file"):
        read_text_file(tmp_path / "nope", 100, "quiz file")


def test_cli_quiz_single_and_class(tmp_path):
    runner = CliRunner()
    out = tmp_path / "week.yaml"
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "--n", "3", "--seed", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert read_quiz(out).problems[0].number == 1
    assert (tmp_path / "week.worksheet.html").exists()

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ann\nb2,Ben\n")
    folder = tmp_path / "class"
    result = runner.invoke(
        cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "--n", "2", "--seed", "2", "--for", str(roster), "-o", str(folder)]
    )
    assert result.exit_code == 0, result.output
    ann = read_quiz(folder / "a1.quiz.yaml")
    assert ann.student == "a1" and ann.student_name == "Ann"
    assert (folder / "b2.answers.yaml").exists()
    assert ann.problems != read_quiz(folder / "b2.quiz.yaml").problems

    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "atention", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "did you mean 'attention'" in result.output
    assert "Traceback" not in result.output


def test_a_quiz_file_of_an_earlier_version_with_a_seal_still_reads_intact(small_quiz, tmp_path):
    path = tmp_path / "old.yaml"
    write_quiz(path, small_quiz)
    data = json.loads(path.read_text())
    data["seal"] = "hmac-sha256:" + "0" * 64  # what earlier versions wrote beside the checksum
    path.write_text(json.dumps(data))
    back = read_quiz(path)
    assert back.issues == () and back.problems == small_quiz.problems


def test_quiz_never_overwrites_without_force_and_never_a_filled_in_sheet(tmp_path):
    runner = CliRunner()
    quiz = tmp_path / "week3.yaml"
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--seed", "1", "-o", str(quiz)]
    assert runner.invoke(cli, args).exit_code == 0
    sheet = tmp_path / "week3.answers.yaml"
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert runner.invoke(cli, [*args, "--force"]).exit_code == 0  # a blank sheet may be replaced
    # A student has answered: the sheet stays byte-identical, even with --force, and nothing is written.
    filled = re.sub(r"(bleu\.[^:]+:) ''", r"\1 '0.5'", sheet.read_text(), count=1)
    assert filled != sheet.read_text()
    sheet.write_text(filled)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for extra in ([], ["--force"]):
        result = runner.invoke(cli, [*args, *extra])
        assert result.exit_code == 2 and "answers are filled in" in result.output
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# ---------------------------------------------------------------------------------------------
# Replacing a quiz's files: together or not at all, never a filled-in answer sheet


def _snapshot(folder: Path, hidden: bool = True) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and (hidden or not p.name.startswith("."))}


def _old_set(folder: Path) -> list[tuple[Path, bytes]]:
    folder.mkdir()
    for name, text in (("q.answers.yaml", "answers:\n  a.b.v1.1: ''\n"), ("q.worksheet.md", "old sheet\n"), ("q.yaml", "old quiz\n")):
        (folder / name).write_text(text)
    names = ["q.answers.yaml", "q.worksheet.md", "q.key.html", "q.yaml"]  # the key is new: it did not exist
    return [(folder / n, f"new {n}\n".encode()) for n in names]


class _Stop(BaseException):
    """An interruption (as Ctrl-C or a kill would be) at a chosen step."""


def _interrupt_at(monkeypatch, k: int, error: type[BaseException]) -> list[int]:
    """Make the k-th file operation of the replacement (staging write, rename, link) raise."""
    from quizgen.classroom import filesets

    calls = [0]

    def wrap(real):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                raise error("interrupted") if error is not OSError else OSError(28, "No space left on device")
            return real(*args, **kwargs)

        return step

    monkeypatch.setattr(filesets, "write_bytes_atomic", wrap(filesets.write_bytes_atomic))
    monkeypatch.setattr(os, "rename", wrap(os.rename))
    monkeypatch.setattr(os, "link", wrap(os.link))
    return calls


def test_replace_together_counts_its_steps(tmp_path, monkeypatch):
    from quizgen.classroom.filesets import replace_together

    files = _old_set(tmp_path / "d")
    calls = _interrupt_at(monkeypatch, 0, _Stop)
    replace_together(files, lambda old, target: None)
    assert calls[0] == 5 + 4 + 4  # 4 staged files and a journal; 4 moves aside (one finds no file); 4 links
    assert _snapshot(tmp_path / "d") == {p.name: data for p, data in files}  # nothing else left behind


@pytest.mark.parametrize("error", [_Stop, KeyboardInterrupt, OSError])
def test_an_interrupted_replacement_leaves_the_old_set_at_every_step(tmp_path, monkeypatch, error):
    from quizgen.classroom.filesets import replace_together

    for k in range(1, 14):
        folder = tmp_path / f"{error.__name__}{k}"
        files = _old_set(folder)
        before = _snapshot(folder)
        with monkeypatch.context() as m:
            _interrupt_at(m, k, error)
            try:
                replace_together(files, lambda old, target: None)
            except (error, QuizgenError):
                assert _snapshot(folder) == before, k  # byte for byte, and no staged or journal file left
            else:  # a link refused for another reason than an existing file: the file is created instead
                assert error is OSError and k in (7, 9, 11, 13), k  # the links
                assert _snapshot(folder) == {p.name: data for p, data in files}, k


def test_a_replacement_cut_short_by_a_dead_process_is_undone_by_the_next_run(tmp_path, monkeypatch):
    from quizgen.classroom import filesets

    for k in range(6, 14):  # after the journal is written: every rename and link
        folder = tmp_path / f"k{k}"
        files = _old_set(folder)
        before = _snapshot(folder)
        with monkeypatch.context() as m:
            _interrupt_at(m, k, _Stop)
            m.setattr(filesets, "_roll_back", lambda *a, **kw: False)  # the process dies: nothing undone
            with pytest.raises(_Stop):
                filesets.replace_together(files, lambda old, target: None)
        assert _snapshot(folder, hidden=False) != before or k == 6, k
        assert len(filesets.recover(folder)) == 1
        assert _snapshot(folder) == before, k
        assert filesets.recover(folder) == []


def _filled(text: str, how: str) -> str:
    """An answer sheet with its first answer filled in, in one of the ways a student might."""
    line = re.search(r"^  (\S+): ''$", text, re.MULTILINE)
    assert line
    value = {"quoted": "'0.5'", "plain": "0.5", "double": '"1/4"', "block": "|\n    1 2; 3 4", "error": "error"}[how]
    return text.replace(line.group(0), f"  {line.group(1)}: {value}", 1)


@pytest.mark.parametrize("how", ["quoted", "plain", "double", "block", "error", "binary"])
def test_a_sheet_filled_after_the_check_is_never_blanked(tmp_path, monkeypatch, how):
    """--force checks for filled sheets before building, and again on the very bytes it would
    replace: a sheet filled while the quiz is built stays, and nothing of its quiz changes."""
    from quizgen.classroom import commands

    runner = CliRunner()
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "-o", str(tmp_path / "w.yaml"), "--key"]
    assert runner.invoke(cli, [*args, "--seed", "1"]).exit_code == 0
    sheet = tmp_path / "w.answers.yaml"
    filled = b"\x00\x01 not text" if how == "binary" else _filled(sheet.read_text(), how).encode()
    real = commands.build_quiz

    def build_then_fill(*a, **kw):  # the student saves while the quiz is being built
        result = real(*a, **kw)
        sheet.write_bytes(filled)
        return result

    monkeypatch.setattr(commands, "build_quiz", build_then_fill)
    before = {**_snapshot(tmp_path), sheet.name: filled}
    result = runner.invoke(cli, [*args, "--seed", "2", "--force"])
    assert result.exit_code == 2 and "answers are filled in" in result.output, result.output
    assert _snapshot(tmp_path) == before


def test_a_sheet_filled_at_the_last_instant_is_kept_and_the_class_is_untouched(tmp_path, monkeypatch):
    """The check is made on the bytes moved aside by the replacement itself: a save just before
    that rename is seen. With --for, one student's filled sheet keeps every file of the class."""
    runner = CliRunner()
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ann\nb2,Ben\nc3,Cy\n")
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--for", str(roster), "-o", str(tmp_path / "c"), "--key"]
    assert runner.invoke(cli, args).exit_code == 0
    sheet = tmp_path / "c" / "b2.answers.yaml"
    filled = _filled(sheet.read_text(), "quoted")
    real_rename = os.rename

    def save_then_rename(src, dst):
        if Path(src) == sheet:
            sheet.write_text(filled)  # the student's save lands just before quizgen moves the sheet
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", save_then_rename)
    before = {**_snapshot(tmp_path / "c"), sheet.name: filled.encode()}
    result = runner.invoke(cli, [*args, "--seed", "9", "--force"])
    assert result.exit_code == 2 and "b2.answers.yaml: answers are filled in" in result.output, result.output
    assert _snapshot(tmp_path / "c") == before


def test_an_interrupted_quiz_key_force_keeps_the_old_set_at_every_step(tmp_path, monkeypatch):
    runner = CliRunner()
    args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "-o", str(tmp_path / "w.yaml"), "--key"]
    assert runner.invoke(cli, [*args, "--seed", "1"]).exit_code == 0
    before = _snapshot(tmp_path)
    for k in range(1, 6 + 5 + 5 + 1):  # 5 files and a journal staged, 5 moved aside, 5 linked
        with monkeypatch.context() as m:
            _interrupt_at(m, k, KeyboardInterrupt)
            result = runner.invoke(cli, [*args, "--seed", "2", "--force"])
        assert result.exit_code != 0, k
        assert _snapshot(tmp_path) == before, k
    assert runner.invoke(cli, [*args, "--seed", "2", "--force"]).exit_code == 0
    quiz = read_quiz(tmp_path / "w.yaml")
    for name in ("w.worksheet.html", "w.key.html", "w.answers.yaml"):
        assert quiz.checksum[:19] in (tmp_path / name).read_text(), name  # one set, all new


# ---------------------------------------------------------------------------------------------
# Markdown worksheets: no raw HTML from a title or a name

HOSTILE_TEXT = [
    "Week 3\n\n<script>alert(1)</script>",
    "`x\n\n<img src=x onerror=alert(1)>\n`",
    "Quiz <b onmouseover=alert(1)>bold</b>",
    "A\n# heading\n- item\n> quote",
    "&lt;script&gt; and &#60;img&#62;",
    "1. [link](javascript:alert(1)) ![i](x)",
    "``<div>``\n\n<div>\n",
    "x\r\n<iframe>\u2028<svg onload=alert(1)>",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_markdown_worksheet_holds_no_raw_html_from_titles_or_names(small_quiz, text):
    from dataclasses import replace

    from markdown_it import MarkdownIt

    templates = {k: replace(t, title=text, prompt=text) for k, t in small_quiz.templates.items()}
    quiz = replace(small_quiz, title=text, student="s1", student_name=text, templates=templates)
    md = worksheet_markdown(quiz)
    parser = MarkdownIt("commonmark")
    tokens = parser.parse(md)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_block", "html_inline"}, kinds
    rendered = parser.render(md)
    assert not re.search(r"<(script|img|b |iframe|svg|div)", rendered)
    assert 'href="javascript' not in rendered
    # The text is all there, one line: headings are only the title's and the problems'.
    assert sum(t.type == "heading_open" for t in tokens) == 1 + len(quiz.problems)


_KILL_AT = """
import os, signal, sys
from pathlib import Path
from quizgen.classroom import filesets
k, calls, real_link, real_rename = int(sys.argv[2]), [0], os.link, os.rename
def step(real):
    def run(*a, **kw):
        calls[0] += 1
        if calls[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback: the process is gone
        return real(*a, **kw)
    return run
os.link, os.rename = step(real_link), step(real_rename)
folder = Path(sys.argv[1])
names = ["q.answers.yaml", "q.worksheet.md", "q.key.html", "q.yaml"]
filesets.replace_together([(folder / n, ("new " + n).encode()) for n in names], lambda old, target: None)
"""


def test_a_killed_quiz_run_is_undone_by_recover(tmp_path):
    """A real SIGKILL at each rename or link of a replacement: the next run puts the old set back."""
    import signal
    import subprocess
    import sys

    from quizgen.classroom.filesets import recover

    for k in range(1, 9):  # 4 moves aside and 4 links
        folder = tmp_path / f"k{k}"
        _old_set(folder)
        before = _snapshot(folder)
        proc = subprocess.run([sys.executable, "-c", _KILL_AT, str(folder), str(k)], capture_output=True, timeout=60)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        assert any(p.name.endswith(".quizgen-replacing") for p in folder.iterdir())
        assert recover(folder) and _snapshot(folder) == before, k  # byte for byte, no hidden copy left
        assert not any(p.name.endswith((".quizgen-replacing", ".quizgen-old")) for p in folder.iterdir())


@pytest.mark.parametrize("kind", ["link", "dangling-link", "fifo", "dir"])
def test_a_quiz_is_never_written_over_a_link_a_pipe_or_a_directory(tmp_path, kind):
    """As ``-o /dev/stdout`` would be: the link (or pipe, or directory) stays, nothing is written."""
    from quizgen.classroom.filesets import replace_together

    (tmp_path / "real.txt").write_text("keep me")
    path = tmp_path / "target"
    if kind == "link":
        path.symlink_to(tmp_path / "real.txt")
    elif kind == "dangling-link":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(QuizgenError, match="not a regular file|is a directory"):
        replace_together([(tmp_path / "other.md", b"x"), (path, b"x")], lambda old, t: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == before and os.path.lexists(path)
    assert (tmp_path / "real.txt").read_text() == "keep me"


def test_the_next_quiz_run_undoes_a_killed_one_and_says_so(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "d"
    _old_set(folder)
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, str(folder), "7"], capture_output=True, timeout=60)
    assert proc.returncode != 0 and (folder / "q.key.html").exists()  # killed half-way: a mixed set
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(folder / "elsewhere.yaml")])
    assert result.exit_code == 0 and "interrupted replacement of 4 files was undone" in result.output, result.output
    assert (folder / "q.yaml").read_text() == "old quiz\n" and not (folder / "q.key.html").exists()


def test_leftovers_of_a_finished_replacement_do_not_stop_the_next(tmp_path, monkeypatch):
    from quizgen.classroom.filesets import aside, replace_together, staged

    files = _old_set(tmp_path / "d")
    before = _snapshot(tmp_path / "d")
    for p, _ in files:  # a run killed after its commit point left its hidden copies behind
        if p.exists():
            aside(p).write_text("stale old")
        staged(p).write_text("stale new")
    with monkeypatch.context() as m:  # an interrupted run among those leftovers still undoes itself
        _interrupt_at(m, 8, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            replace_together(files, lambda old, target: None)
    assert _snapshot(tmp_path / "d") == before
    replace_together(files, lambda old, target: None)
    assert _snapshot(tmp_path / "d") == {p.name: data for p, data in files}


def test_without_force_a_file_that_appears_while_the_quiz_is_built_is_kept(tmp_path, monkeypatch):
    from quizgen.classroom import commands

    real = commands.build_quiz
    stranger = tmp_path / "w.worksheet.html"

    def build_then_write(*a, **kw):  # another program writes one of the outputs meanwhile
        result = real(*a, **kw)
        stranger.write_text("someone else's page")
        return result

    monkeypatch.setattr(commands, "build_quiz", build_then_write)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2 and "w.worksheet.html: already exists; add --force" in result.output, result.output
    assert _snapshot(tmp_path) == {stranger.name: b"someone else's page"}
