"""``quizgen quiz``: quiz files, per-student variants, worksheets and answer-sheet templates."""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.classroom.commands import companion_paths, write_quiz_files
from quizgen.classroom.quiz import build_quiz, checksum, make_quiz, quiz_text, read_quiz, student_seed, write_quiz
from quizgen.classroom.roster import read_roster
from quizgen.classroom.worksheet import (
    answer_sheet,
    worksheet_html,
    worksheet_markdown,
)
from quizgen.cli import cli
from quizgen.core.concepts import select
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable, read_text_file
from quizgen.core.problems import plan as quiz_plan


@pytest.fixture(scope="module")
def small_quiz(concepts):
    return make_quiz(concepts, ["attention", "squeeze-unsqueeze"], 6, seed=3)


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
    pairs = quiz_plan(select(concepts, ["attention", "squeeze-unsqueeze"]))
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


def test_an_authored_problem_gives_away_no_expression_in_the_quiz_file(concepts, tmp_path):
    """An authored problem's inputs carry its template's answer expression, steps and mistakes:
    the quiz file (given to each student) records only the values drawn, and grades as before.
    A file written with the whole inputs (as before) still grades without a note."""
    quiz, built = build_quiz(concepts, ["adam-step"], 6, seed=3)
    assert any(p.family == "authored" for p in built)
    path = tmp_path / "q.yaml"
    write_quiz(path, quiz)
    text = path.read_text("utf-8")
    authored = [p for p in built if p.family == "authored"]
    for p in authored:
        assert p.inputs["answer"] not in text and '"steps"' not in text and '"mistakes"' not in text
    records = {r["id"]: r["inputs"] for r in json.loads(text)["problems"]}
    assert all(records[p.id] == p.inputs["values"] for p in authored)
    sheet = tmp_path / "q.answers.yaml"
    sheet.write_text("answers:\n" + "".join(f"  {p.id}: '{p.answer.value}'\n" for p in built), "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet)])
    assert result.exit_code == 0 and "6/6" in result.output and "differ" not in result.output, result.output
    # The same quiz written the old way, each authored problem's whole inputs in the file.
    old = json.loads(text)
    for record in old["problems"]:
        record["inputs"] = next(p.inputs for p in built if p.id == record["id"])
    old["checksum"] = checksum({k: v for k, v in old.items() if k not in ("problems", "checksum")}, old["problems"])
    path.write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet)])
    assert result.exit_code == 0 and "6/6" in result.output and "differ" not in result.output, result.output


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
        # No problem id: with quizgen an id draws its problem again, the answer with it.
        assert p.id not in md and p.id not in page and str(p.seed) not in md + page
        assert f"## {p.number}. " in md and f"<h2>{p.number}. " in page
        assert html.escape(quiz.templates[p.key].prompt.split("`")[0]) in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    # Attention inputs are typeset in MathML, drawn by the browser itself: no script, no network.
    assert "<math" in page and "<mtable>" in page and "<script" not in page and "http" not in page
    assert "\\*quiz\\*" in md
    assert md.count("**Answer**") == len(quiz.problems)
    for text in (md, page):  # paper says nothing about files: that is the answer sheet's and the key's to say
        assert "answers.yaml" not in text and "single quotes" not in text and "answer sheet" not in text


def test_a_labelled_matrix_is_typeset_under_its_label():
    from quizgen.core.render import Typeset, label_parts, mathml_typeset

    shown = Typeset("confusion matrix C", [[1, 2], [3, 4]], "")
    assert mathml_typeset(shown) == (
        '<mrow data-part="label"><mtext>confusion matrix</mtext><mspace width="0.3em"></mspace><mi>C</mi></mrow>'
        '<mo data-part="eq">=</mo><mrow data-part="value"><mrow><mo>[</mo><mtable><mtr><mtd><mn>1</mn></mtd>'
        "<mtd><mn>2</mn></mtd></mtr><mtr><mtd><mn>3</mn></mtd><mtd><mn>4</mn></mtd></mtr></mtable><mo>]</mo></mrow></mrow>"
    )
    assert label_parts("confusion matrix C") == ("confusion matrix", "C") and label_parts("x") == ("", "x")
    assert label_parts("student's parameters after step k (row k)") == ("student's parameters after step k (row k)", "")


def test_answer_sheet_template_lists_every_problem_number_blank_and_no_id(small_quiz, tmp_path):
    from quizgen.classroom.grade import read_answer_sheet

    path = tmp_path / "a.yaml"
    path.write_text(answer_sheet(small_quiz))
    text = path.read_text()
    assert "in single quotes" in text and "1 2; 3 4" in text and "error" in text  # how to write answers, where they are written
    sheet = read_answer_sheet(path)
    assert [a.key for a in sheet.answers] == [str(p.number) for p in small_quiz.problems]
    assert not any(p.id in text or str(p.seed) in text for p in small_quiz.problems)
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
        assert f"<b>Answer to {p.number}:</b>" in section and "<b>Answer to" not in sheet
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
    good.write_text("\n\n" + good.read_text().lstrip("\ufeff"))  # blank lines above the header: skipped
    assert [s.id for s in read_roster(good)] == ["s001", "s002"]
    for text, message in [
        ("name\nStudent One\n", "needs a header row with an id column (id, student_id, student, sid; found name)"),
        ("id\ns001\ns001\n", "line 3: student id 's001' already appears on line 2"),
        ("id\n../x\n", "line 2: student id '../x' must be"),
        ("id\n", "lists no students"),
        ("id,id\ns001,s002\n", "line 1: 2 id columns (id, id); keep one"),  # s002 was dropped in silence
        ("sid,Name,id\na,B,c\n", "line 1: 2 id columns (sid, id)"),  # id was taken over sid in silence
        ("id,name,Full Name\ns1,A,B\n", "2 name columns (name, Full Name)"),
        ("\n\nid\ns001\ns001\n", "line 5: student id 's001' already appears on line 4"),  # blank lines above the header
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
    filled = re.sub(r"(  1:) ''", r"\1 '0.5'", sheet.read_text(), count=1)
    assert filled != sheet.read_text()
    sheet.write_text(filled)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for extra in ([], ["--force"]):
        result = runner.invoke(cli, [*args, *extra])
        assert result.exit_code == 2 and "answers are filled in" in result.output
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_quiz_o_replaces_only_a_quiz_file_even_with_force(tmp_path):
    """-o naming a student's answer sheet, a concept file or notes, or '-', is refused before
    anything is written, with or without --force; a quiz file of quizgen's, YAML or JSON, is replaced."""
    runner = CliRunner()
    (tmp_path / "s001.yaml").write_text("student: s001\nanswers:\n  1: '0.17'\n")
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "bleu.yaml").write_text((CONCEPTS / "bleu.yaml").read_text())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for target, words in [("s001.yaml", "is not a quiz file"), ("bleu.yaml", "is not a quiz file"),
                          ("notes.txt", "ends in .yaml, .yml or .json"), ("-", "ends in .yaml"), ("x.answers.yaml", "not .answers.yaml")]:
        for force in ([], ["--force"]):
            result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / target), *force])
            assert result.exit_code == 2 and words in result.output, (target, result.output)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    blank = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "--title", " ", "-o", str(tmp_path / "t.yaml")])
    assert blank.exit_code == 2 and "--title is blank" in blank.output  # an empty <h1> and <title> otherwise
    for name in ("week3.yaml", "week4.json"):
        args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "-o", str(tmp_path / name)]
        assert runner.invoke(cli, args).exit_code == 0 and runner.invoke(cli, [*args, "--seed", "4", "--force"]).exit_code == 0
        assert read_quiz(tmp_path / name).seed == 4


@pytest.mark.parametrize("roster", [False, True])
def test_a_quiz_replaced_without_key_never_leaves_the_old_key_beside_it(tmp_path, roster):
    """`--force` without `--key` over a quiz written with one is refused while the old keys are
    there (they would not match the new problems), every file as it was; with `--key` the keys
    are replaced with the rest."""
    runner = CliRunner()
    if roster:
        (tmp_path / "r.csv").write_text("id,name\ns001,A\ns002,B\n")
        target, keys = tmp_path / "w", ["w/s001.key.html", "w/s002.key.html", "w/class.key.html"]
        args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--for", str(tmp_path / "r.csv"), "-o", str(target)]
    else:
        target, keys = tmp_path / "week3.yaml", ["week3.key.html"]
        args = ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "-o", str(target)]
    assert runner.invoke(cli, [*args, "--seed", "1", "--key"]).exit_code == 0
    files = lambda: {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}  # noqa: E731
    before = files()
    again = runner.invoke(cli, [*args, "--seed", "2", "--force"])
    assert again.exit_code == 2 and "would no longer match" in again.output and keys[0] in again.output, again.output
    assert files() == before
    assert runner.invoke(cli, [*args, "--seed", "2", "--force", "--key"]).exit_code == 0
    assert all(before[tmp_path / k] != (tmp_path / k).read_bytes() for k in keys)


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


def test_markdown_answer_space_has_a_cell_per_entry(concepts):
    """The Markdown worksheet's answer space: a table of rows × columns blank cells for a
    matrix (one row for a vector), read back with a CommonMark+tables parser; a line otherwise."""
    from markdown_it import MarkdownIt

    from quizgen.core.problems import rebuild

    quiz = make_quiz(concepts, ["attention", "vae", "shapes"], 9, seed=4)
    md = worksheet_markdown(quiz)
    sections = md.split("\n## ")[1:]
    assert len(sections) == len(quiz.problems)
    kinds = set()
    for p, section in zip(quiz.problems, sections):
        answer = rebuild(p.id, concepts).answer
        kinds.add(answer.kind)
        tokens = MarkdownIt("commonmark").enable("table").parse(section.split("**Answer**", 1)[1])
        body_rows = [t for t in tokens if t.type == "tr_open"][1:]  # the header row numbers the columns
        cells = sum(t.type == "td_open" for t in tokens) - len(body_rows)  # less the row numbers
        if answer.kind in ("vector", "matrix"):
            rows, cols = (1, len(answer.value)) if answer.kind == "vector" else (len(answer.value), len(answer.value[0]))
            assert (len(body_rows), cells) == (rows, rows * cols), p.id
        else:
            assert not body_rows and "____" in section, p.id
    assert {"matrix", "vector", "shape"} <= kinds


def test_the_advice_on_numbers_never_asks_for_three_figures_of_a_count(concepts, tmp_path):
    """A count (fine-tuning's parameter counts: 657,925) is graded exactly, so "three significant
    figures" would earn 0 (658000 is too rough). The worksheet and the sheet say a count is
    exact; a quiz of counts only says nothing about figures; one without counts nothing about counts."""
    from quizgen.classroom.worksheet import paper_advice
    from quizgen.core.problems import expected

    counts = make_quiz(concepts, ["fine-tuning"], 4, seed=1)
    assert any(expected(counts.templates[p.key].family, p.inputs).whole for p in counts.problems)
    plain = make_quiz(concepts, ["attention"], 3, seed=1)
    mixed = make_quiz(concepts, ["all"], 20, seed=1)
    assert paper_advice(counts) == "A count is exact: give it as a whole number."
    assert "a count" not in paper_advice(plain).lower() and "three significant figures" in paper_advice(plain)
    assert paper_advice(mixed).endswith("and a count exactly, as a whole number.")
    write_quiz_files(counts, tmp_path / "ft.yaml")
    for name in ("ft.worksheet.md", "ft.worksheet.html", "ft.answers.yaml"):
        text = (tmp_path / name).read_text()
        assert "A count is exact: give it as a whole number." in text and "significant figures" not in text, name


def test_the_paper_shape_boxes_hold_every_rank_the_shape_templates_draw(concepts):
    """A worksheet gives every shape problem SHAPE_BOXES boxes: 5 left rank-6 and rank-7 answers
    of squeeze-unsqueeze chains without room. Thousands of draws of every shape template stay within."""
    from quizgen.classroom.worksheet import SHAPE_BOXES
    from quizgen.core.problems import build_many, generate_jobs

    shape_concepts = [c for c in concepts if any(t.generator in ("shapes", "transformer-shapes") for t in c.templates)]
    ranks = [len(p.answer.value) for chunk in build_many(generate_jobs(shape_concepts, 4000, 5)) for p in chunk
             if p.answer.kind == "shape" and isinstance(p.answer.value, list)]
    assert len(ranks) > 1000 and max(ranks) >= 6  # the draws reach the ranks that 5 boxes missed
    assert max(ranks) <= SHAPE_BOXES


def test_a_class_is_not_written_beside_quizzes_of_students_not_on_its_roster(tmp_path):
    """Rewriting a class with --force and a roster without s003 left s003's quiz (and key) behind,
    and grading the folder listed s003 as missing: refused, naming the file, nothing written."""
    runner = CliRunner()
    three, two = tmp_path / "three.csv", tmp_path / "two.csv"
    three.write_text("id,name\ns001,A\ns002,B\ns003,C\n")
    two.write_text("id,name\ns001,A\ns002,B\n")
    folder = tmp_path / "gen"
    made = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "-n", "2", "--for", str(three), "-o", str(folder), "--key"])
    assert made.exit_code == 0, made.output
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for force in ([], ["--force"]):
        result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--for", str(two), "-o", str(folder), "--key", *force])
        assert result.exit_code == 2 and "students not on" in result.output and "s003.quiz.yaml" in result.output, result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_refused_output_announces_no_seed_and_makes_no_folder(tmp_path: Path) -> None:
    """`quiz attention -o notes.txt` printed a random seed "in the quiz file" before refusing to
    write any; `--for roster.csv -o week3.yaml` made a folder named week3.yaml."""
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,Ann\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "-o", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2 and "seed:" not in result.output, result.output
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "--for", str(roster), "-o", str(tmp_path / "week3.yaml")])
    assert result.exit_code == 2 and "names the class's folder, not a quiz file" in result.output and "seed:" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "--n", "2", "-o", str(tmp_path / "ok.yaml")])
    assert result.exit_code == 0 and result.output.startswith("seed: "), result.output


def test_only_a_worksheet_asks_for_a_name(tmp_path: Path) -> None:
    """The answer key of a quiz for the whole class printed a blank "Name: ____" line."""
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "--n", "2", "--seed", "3", "--key",
                                      "-o", str(tmp_path / "q.yaml")])
    assert result.exit_code == 0, result.output
    assert "Name: ____" in (tmp_path / "q.worksheet.html").read_text("utf-8")
    assert "Name:" not in (tmp_path / "q.key.html").read_text("utf-8")
