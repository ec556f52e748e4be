"""``quizgen grade``: round trips for every family, a hostile corpus, tampered quizzes, a class.

Every hostile file is generated into ``tmp_path`` by the test that uses it (the 50 MB one is
sparse), so nothing large is committed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.classroom.commands import write_quiz_files
from quizgen.classroom.grade import MAX_LISTED_EXTRAS, grade_class, grade_one
from quizgen.classroom.quiz import checksum, make_quiz, read_quiz, write_quiz
from quizgen.classroom.report import Report, gradebook_csv, report_csv, report_text
from quizgen.classroom.sheets import read_answer_sheet
from quizgen.cli import cli
from quizgen.core.files import FileUnusable
from quizgen.core.problems import plan, rebuild
from quizgen.generators import GENERATORS
from quizgen.judge import close, format_value, judge

# ---------------------------------------------------------------------------------------------
# Helpers


def _key_text(problem) -> str:
    return format_value(problem.answer.kind, problem.answer.value)


def _sheet(path: Path, answers: dict, **header) -> Path:
    """An answer sheet in YAML: header fields, then ``answers:`` (values written as given)."""
    data = {**header, "answers": answers}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _grade(quiz_path: Path, sheet_path: Path, concepts, **kw) -> Report:
    return grade_one(quiz_path, sheet_path, concepts, jobs=1, **kw)


@pytest.fixture(scope="module")
def family_quiz(concepts, tmp_path_factory):
    """Every template of every concept, twice, with the key of each."""
    n = 2 * len(plan(concepts))
    quiz = make_quiz(concepts, ["all"], n, seed=21)
    path = tmp_path_factory.mktemp("families") / "all.yaml"
    write_quiz(path, quiz)
    problems = {p.id: rebuild(p.id, concepts) for p in quiz.problems}
    return path, quiz, problems


@pytest.fixture(scope="module")
def six(concepts, tmp_path_factory):
    """A six-problem quiz (attention and shapes, alternating) and its keys."""
    quiz = make_quiz(concepts, ["attention", "squeeze-unsqueeze"], 6, seed=3)
    path = tmp_path_factory.mktemp("six") / "quiz.yaml"
    write_quiz(path, quiz)
    keys = [_key_text(rebuild(p.id, concepts)) for p in quiz.problems]
    return path, quiz, keys


# ---------------------------------------------------------------------------------------------
# Round trips


def test_every_family_key_gets_full_marks(family_quiz, concepts, tmp_path, monkeypatch):
    path, quiz, problems = family_quiz
    families = {p.family for p in problems.values()}
    assert families == set(GENERATORS)
    sheet = _sheet(tmp_path / "key.yaml", {pid: _key_text(p) for pid, p in problems.items()})
    monkeypatch.setenv("QUIZGEN_HOME", str(tmp_path / "elsewhere"))  # nothing of this home is needed
    report = _grade(path, sheet, concepts)
    assert [i.status for i in report.items] == ["right"] * len(quiz.problems), [
        (i.id, i.message) for i in report.items if i.status != "right"
    ]
    assert (report.score, report.total) == (len(quiz.problems), len(quiz.problems))
    assert report.notes == [] and report.flags == [] and report.extras_total == 0


def test_each_misconception_scores_zero_and_is_named(family_quiz, concepts, tmp_path):
    path, quiz, problems = family_quiz
    depth = max(len(p.misconceptions) for p in problems.values())
    checked = 0
    named_by_family: dict[str, set[str]] = {}
    for k in range(depth):
        typed = {}
        for pid, p in problems.items():
            if k < len(p.misconceptions):
                typed[pid] = format_value(p.answer.kind, p.misconceptions[k].value)
        report = _grade(path, _sheet(tmp_path / f"m{k}.yaml", typed), concepts)
        for item in report.items:
            if item.id not in typed:
                assert item.status == "missing"
                continue
            p = problems[item.id]
            value = p.misconceptions[k].value
            # The judge names the first listed mistake with this value (two may coincide).
            names = [m.name for m in p.misconceptions if close(p.answer.kind, m.value, value, p.tolerance)]
            assert item.status == "wrong" and item.points == 0, (item.id, item.message)
            assert item.misconception == names[0], (item.id, item.message)
            assert item.misconception_description == p.misconceptions[[m.name for m in p.misconceptions].index(names[0])].description
            named_by_family.setdefault(p.family, set()).add(item.misconception)
            checked += 1
        assert report.score == 0
    assert checked >= len(problems)
    assert set(named_by_family) == set(GENERATORS)


def test_answers_by_number_and_literal_text_kept(six, concepts, tmp_path):
    path, quiz, keys = six
    text = "answers:\n  1: " + keys[0] + "\n  2: '" + keys[1] + "'\n  3: 0.40\n"
    sheet = tmp_path / "n.yaml"
    sheet.write_text(text)
    report = _grade(path, sheet, concepts)
    assert [i.status for i in report.items[:2]] == ["right", "right"]
    # Unquoted YAML numbers are read as typed: 0.40 keeps its trailing zero.
    assert report.items[2].given == "0.40"


def test_flat_sheet_and_json_sheet(six, concepts, tmp_path):
    path, quiz, keys = six
    flat = tmp_path / "flat.yaml"
    flat.write_text("".join(f"{p.id}: '{k}'\n" for p, k in zip(quiz.problems, keys)))
    assert _grade(path, flat, concepts).score == 6
    js = tmp_path / "sheet.json"
    js.write_text(json.dumps({"student": "x", "answers": {p.id: k for p, k in zip(quiz.problems, keys)}}))
    report = _grade(path, js, concepts)
    assert report.score == 6 and report.student == "x"


def test_steps_only_under_questions_not_right(six, concepts, tmp_path):
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "s.yaml", {quiz.problems[0].id: keys[0], quiz.problems[2].id: "1 2; 3 4"})
    report = _grade(path, sheet, concepts, steps=True)
    assert report.items[0].status == "right" and report.items[0].steps == ()
    assert report.items[2].status == "wrong" and any("scores" in s for s in report.items[2].steps)
    text = report_text(report)
    assert "worked solution:" in text
    assert re.search(r"score\s+1/6", text)


# ---------------------------------------------------------------------------------------------
# The hostile corpus: every file gets a clear message, nothing runs, the rest is graded


MARKER = "quizgen-hostile-marker"


def _bomb(first_key: str, first_answer: str) -> str:
    rows = ['  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "answers:\n" + f"  {first_key}: '{first_answer}'\n" + "\n".join(rows) + "\n  " + "x: *i\n"


def _hostile_cases(ids: list[str], keys: list[str], marker: Path) -> dict[str, tuple[bytes, dict]]:
    """name -> (file bytes, expectation). Expectation: {"unusable": regex} or
    {"items": {number: (status, regex)}, "right": [numbers], ...}."""
    first = f"answers:\n  {ids[0]}: '{keys[0]}'\n"
    shell = f"__import__('os').system('touch {marker}')"
    cases: dict[str, tuple[bytes, dict]] = {
        "missing answers": (first.encode(), {"items": {k: ("missing", "no answer") for k in range(2, 7)}, "right": [1]}),
        "unknown ids and numbers": (
            (first + "  attention.scale-factor.v1.12345: '1'\n  99: '2'\n  hello: '3'\n").encode(),
            {"right": [1], "extras": ["another variant", "there is no problem 99", "neither a problem id"]},
        ),
        "duplicate ids": (
            (first + f"  {ids[1]}: '{keys[1]}'\n  2: '(9, 9)'\n  {ids[3]}: '{keys[3]}'\n  4: '{keys[3]}'\n").encode(),
            {"items": {2: ("duplicate", r"answered 2 times with different answers \(lines 3, 4\)")}, "right": [1, 4]},
        ),
        "matrix where a number is due": (
            (f"answers:\n  {ids[0]}: [[1, 2], [3, 4]]\n  {ids[1]}: '{keys[1]}'\n").encode(),
            {"items": {1: ("unreadable", r"expected a number, but read a 2×2 matrix")}, "right": [2]},
        ),
        "nan and inf": (
            (f"answers:\n  1: .nan\n  2: '{keys[1]}'\n  3: .inf\n  4: -.inf\n  5: nan\n  6: 'inf'\n").encode(),
            {
                "items": {
                    1: ("unreadable", "'nan' is not accepted: every answer here is a finite number"),
                    3: ("unreadable", "could not read 'inf'"),
                    4: ("unreadable", "could not read '-inf'"),
                    5: ("unreadable", "could not read 'nan'"),
                    6: ("unreadable", "could not read 'inf'"),
                },
                "right": [2],
            },
        ),
        "empty file": (b"", {"unusable": "the answer sheet is empty"}),
        "only whitespace": (b"  \n\n\t\n", {"unusable": "the answer sheet is empty"}),
        "only comments": (b"# nothing here\n", {"unusable": "holds no YAML document"}),
        "binary junk": (bytes(range(256)) * 20, {"unusable": r"not a text file \(binary data: a NUL byte at byte 0\)"}),
        "not utf-8": (first.encode() + b"  2: 'caf\xe9'\n", {"unusable": r"not UTF-8 text \(byte 0xe9"}),
        "top-level list": (b"- 0.5\n- 1\n", {"unusable": "an answer sheet is a mapping .* this file holds a list"}),
        "syntax error first": (b"answers: [\n  : :\n", {"unusable": "no answers could be read: not valid YAML at line"}),
        "yaml alias bomb": (
            _bomb(ids[0], keys[0]).encode(),
            {"right": [1], "extras_total": 10, "notes": []},
        ),
        "aliases on answers": (
            (first + f"  {ids[1]}: &k '{keys[1]}'\n  {ids[2]}: *k\n").encode(),
            {"items": {3: ("unreadable", r"a YAML alias \(\*k\) is not read")}, "right": [1, 2]},
        ),
        "deep nesting": (
            (first + f"  {ids[1]}: " + "[" * 200_000 + "]" * 200_000 + "\n").encode(),
            {"right": [1], "flags": ["line 3", "answers after that point were not read"]},
        ),
        "python object tag": (
            (first + f"  {ids[1]}: !!python/object/apply:os.system ['touch {marker}']\n").encode(),
            {"items": {2: ("unreadable", "the YAML tag tag:yaml.org,2002:python/object/apply:os.system is not read")}, "right": [1]},
        ),
        "code as an answer and as a key": (
            (first + f"  {ids[1]}: \"{shell}\"\n  \"{shell}\": '1'\n").encode(),
            {"items": {2: ("unreadable", "could not read")}, "right": [1], "extras": ["neither a problem id"]},
        ),
        "a mapping as an answer": (
            (first + f"  {ids[1]}: {{a: 1}}\n").encode(),
            {"items": {2: ("unreadable", r"a mapping \(key: value pairs\) where an answer is due")}, "right": [1]},
        ),
        "control character": (
            (first + f"  {ids[1]}: '0.5\x07'\n  {ids[3]}: '{keys[3]}'\n").encode(),
            {"items": {2: ("unreadable", "could not read")}, "right": [1, 4], "notes": ["1 control character (the first on line 3)"]},
        ),
        "truncated yaml": (
            (first + f"  {ids[1]}: [1, 2\n").encode(),
            {"right": [1], "flags": ["not valid YAML at line"]},
        ),
        "a huge answer": (
            (first + f"  {ids[1]}: '" + "1" * 3_000_000 + "'\n").encode(),
            {"items": {2: ("unreadable", "3000000 characters long and at most 2000 are read")}, "right": [1]},
        ),
        "too many numbers": (
            (first + f"  {ids[1]}: [" + ", ".join(["1"] * 2000) + "]\n").encode(),
            {"items": {2: ("unreadable", "more than 1000 numbers in one answer")}, "right": [1]},
        ),
        "lists nested in an answer": (
            (first + f"  {ids[1]}: [[[[[[1]]]]]]\n").encode(),
            {"items": {2: ("unreadable", "lists nested more than 4 deep")}, "right": [1]},
        ),
        "ten thousand unknown keys": (
            (first + "".join(f"  junk{k}: '1'\n" for k in range(10_000))).encode(),
            {"right": [1], "extras_total": 10_000},
        ),
        "utf-16": ("\ufeff".encode("utf-16-le") + first.encode("utf-16-le"), {"right": [1]}),
        "windows line ends": (first.replace("\n", "\r\n").encode(), {"right": [1]}),
        "two documents": ((first + "---\nanswers:\n  2: '1'\n").encode(), {"right": [1], "flags": ["more than one YAML document"]}),
    }
    return cases


@pytest.fixture(scope="module")
def corpus(six, tmp_path_factory):
    path, quiz, keys = six
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / MARKER
    cases = _hostile_cases([p.id for p in quiz.problems], keys, marker)
    files = {}
    for k, (name, (data, expect)) in enumerate(cases.items()):
        f = folder / f"{k:02d}-{re.sub(r'[^a-z0-9]+', '-', name)}.yaml"
        f.write_bytes(data)
        files[name] = (f, expect)
    big = folder / "fifty-megabytes.yaml"
    with open(big, "wb") as fh:
        fh.truncate(50 * 2**20)
    files["a 50 MB file"] = (big, {"unusable": r"is 50\.0 MB; files over 20\.0 MB are not read"})
    return path, files, marker


HOSTILE_NAMES = [
    "missing answers", "unknown ids and numbers", "duplicate ids", "matrix where a number is due", "nan and inf",
    "empty file", "only whitespace", "only comments", "binary junk", "not utf-8", "top-level list",
    "syntax error first", "yaml alias bomb", "aliases on answers", "deep nesting", "python object tag",
    "code as an answer and as a key", "a mapping as an answer", "control character", "truncated yaml",
    "a huge answer", "too many numbers", "lists nested in an answer", "ten thousand unknown keys", "utf-16",
    "windows line ends", "two documents", "a 50 MB file",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_sheet(corpus, concepts, name):
    quiz_path, files, marker = corpus
    path, expect = files[name]
    if "unusable" in expect:
        with pytest.raises(FileUnusable, match=expect["unusable"]) as info:
            _grade(quiz_path, path, concepts)
        assert str(info.value).startswith(str(path))
    else:
        report = _grade(quiz_path, path, concepts)
        assert len(report.items) == 6 and report.total == 6
        for number, (status, pattern) in expect.get("items", {}).items():
            item = report.items[number - 1]
            assert item.status == status, (number, item.status, item.message)
            assert re.search(pattern, item.message), item.message
            assert item.points == 0
        for number in expect.get("right", []):
            assert report.items[number - 1].status == "right", report.items[number - 1].message
        for pattern in expect.get("extras", []):
            assert any(pattern in e.note for e in report.extras), report.extras
        if "extras_total" in expect:
            assert report.extras_total == expect["extras_total"]
            assert len(report.extras) <= MAX_LISTED_EXTRAS
        for note in expect.get("notes", []):
            assert any(note in n for n in report.notes), report.notes
        for flag in expect.get("flags", []):  # answers were lost: the gradebook shows it
            assert any(flag in f for f in report.flags), report.flags
        if expect.get("notes") == []:
            assert report.notes == []
        report_text(report)  # renders without error
        json.dumps(report.to_json())
    assert not marker.exists(), "a hostile answer sheet ran a command"


def test_hostile_sheets_through_the_cli(corpus):
    """No traceback for any file; exit 2 exactly for the unusable ones; nothing executed."""
    quiz_path, files, marker = corpus
    runner = CliRunner()
    for name in HOSTILE_NAMES:
        path, expect = files[name]
        result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(quiz_path), str(path), "--jobs", "1"])
        assert "Traceback" not in result.output, (name, result.output[-2000:])
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, repr(result.exception))
        if "unusable" in expect:
            assert result.exit_code == 2, (name, result.output[-500:])
            assert re.search(expect["unusable"], result.output), (name, result.output[-500:])
        else:
            assert result.exit_code == 0, (name, result.output[-500:])
            assert re.search(r"score\s+\d+/6", result.output), name
    assert not marker.exists()


def test_an_id_one_character_off_a_problems_is_named_as_a_slip_not_graded(six, concepts, tmp_path):
    """An id with one digit dropped, changed or two swapped is not another student's variant:
    the report names the problem it is one slip from, and does not grade it as that problem."""
    path, quiz, keys = six
    pid = quiz.problems[0].id
    for slip in (pid[:-1], pid[:-2] + pid[-1] + pid[-2], pid[:-1] + str((int(pid[-1]) + 1) % 10)):
        sheet = _sheet(tmp_path / "slip.yaml", {slip: keys[0]})
        report = _grade(path, sheet, concepts)
        assert report.items[0].status == "missing"
        (extra,) = report.extras
        assert "one character off problem 1's" in extra.note and pid in extra.note, extra


def test_a_list_in_brackets_without_quotes_is_read_as_typed(six, concepts, tmp_path):
    """YAML reads [0.5 -1 2] as a list of one entry "0.5 -1 2"; the sheet gives the judge the
    brackets as typed (a vector of three), so it is not added up into one number. A list with
    one entry per line whose entry holds several numbers is reported, never summed."""
    import json

    path, quiz, keys = six
    k = next(i for i, key in enumerate(keys) if key.startswith("[["))
    rows = json.loads(keys[k])
    spaced = "; ".join(" ".join(str(v) for v in row) for row in rows)
    broken = " ".join(str(v) for v in rows[0])  # one entry of a list written one entry a line
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(
        f"answers:\n  {k + 1}: [{spaced}]\n  1:\n    - {broken}\n    - 1\n", "utf-8"
    )
    report = _grade(path, sheet, concepts)
    assert report.items[k].status == "right", report.items[k]
    assert report.items[k].given == f"[{spaced}]"
    first = report.items[0]
    assert first.status == "unreadable" and "an entry of the list holds several numbers" in first.message
    # Over several lines, the line breaks are spaces (as YAML folds them), not new rows.
    folded = spaced.replace("; ", ";\n      ")
    sheet.write_text(f"answers:\n  {k + 1}: [{folded}]\n", "utf-8")
    assert _grade(path, sheet, concepts).items[k].status == "right"


def test_bracketed_lists_yaml_reads_otherwise_go_by_yaml(tmp_path):
    """The raw text of a bracketed list is taken only when YAML would read it as typed: quotes,
    comments, aliases and tags inside it leave YAML's reading (or its refusal) in charge."""
    from quizgen.classroom.sheets import read_answer_sheet

    sheet = tmp_path / "s.yaml"
    sheet.write_text(
        "answers:\n"
        "  1: ['0.5', '-1', 2]\n"
        "  2: [0.5,  # the first\n      -1]\n"
        "  3: &x [1, 2]\n"
        "  4: [1, *x]\n"
        "  5: [1, !!python/name:os.system 2]\n"
        "  6: [0.5 -1 2]   # after the list\n"
        "  7: [a: 1]\n",
        "utf-8",
    )
    got = {a.key: (a.text, a.issue) for a in read_answer_sheet(sheet).answers}
    assert got["1"] == ("[0.5, -1, 2]", None)
    assert got["2"] == ("[0.5, -1]", None)
    assert got["3"] == ("[1, 2]", None)
    assert got["4"][0] is None and "alias" in got["4"][1]
    assert got["5"][0] is None and "tag" in got["5"][1]
    assert got["6"] == ("[0.5 -1 2]", None)
    assert got["7"][0] is None and "mapping" in got["7"][1]


def test_read_answer_sheet_limits_before_reading(tmp_path):
    sheet = tmp_path / "s.yaml"
    sheet.write_text("answers:\n  1: '0.5'\n" + "# padding\n" * 200_000)
    with pytest.raises(FileUnusable, match=r"over 1\.0 MB|files over 1\.0 MB.*--max-size"):
        read_answer_sheet(sheet, max_bytes=2**20)
    assert read_answer_sheet(sheet, max_bytes=4 * 2**20).answers[0].text == "0.5"


# ---------------------------------------------------------------------------------------------
# Quiz files edited by hand


def _rewrite(path: Path, mutate, fix_checksum: bool) -> None:
    data = json.loads(path.read_text())
    mutate(data)
    if fix_checksum:
        data["checksum"] = checksum({k: v for k, v in data.items() if k != "problems"}, data["problems"])
    path.write_text(json.dumps(data, ensure_ascii=False))


@pytest.mark.parametrize("fix_checksum", [False, True])
def test_edited_inputs_are_caught_and_graded_against_the_id(six, concepts, tmp_path, fix_checksum):
    path, quiz, keys = six
    edited = tmp_path / "edited.yaml"
    edited.write_text(path.read_text())

    def bump(data):
        data["problems"][0]["inputs"]["d_k"] += 1  # problem 1 is a scale-factor problem

    _rewrite(edited, bump, fix_checksum)
    sheet = _sheet(tmp_path / "k.yaml", {p.id: k for p, k in zip(quiz.problems, keys)})
    report = _grade(edited, sheet, concepts)
    assert report.score == 6  # graded against the problems the ids name
    assert any("differ from those its problem id draws" in n for n in report.items[0].notes)
    assert all(not i.notes for i in report.items[1:])
    assert any("edited after it was written" in n for n in report.flags) is (not fix_checksum)  # in the gradebook


def test_changed_template_is_not_graded_from_the_file(six, concepts, tmp_path):
    """A template whose fingerprint no longer matches draws other problems from the same ids: its
    problems are not graded, and nothing recorded in the file (inputs, tolerance) is used instead,
    so a forged file cannot make a wrong answer right."""
    path, quiz, keys = six
    edited = tmp_path / "changed.yaml"
    edited.write_text(path.read_text())
    key = quiz.problems[0].key

    def forge(data):
        data["templates"][key]["fingerprint"] = "0" * 16
        data["templates"][key]["tolerance"] = {"rel": 1e9, "abs": 1e9}
        data["problems"][0]["inputs"]["d_k"] = 4

    _rewrite(edited, forge, fix_checksum=True)
    sheet = _sheet(tmp_path / "k.yaml", {"1": "0.5", "2": keys[1], "3": "123"})
    report = _grade(edited, sheet, concepts)
    assert any(f"template {key}: its template {key} changed since the quiz was written" in n for n in report.notes)
    forged = [i for i, p in zip(report.items, quiz.problems) if p.key == key]
    assert forged and all(i.status == "not-graded" and i.points is None for i in forged)
    assert report.items[1].status == "right"  # the other template is graded as usual
    assert report.total == len(quiz.problems) - len(forged)


def test_a_template_drawn_by_another_version_names_both(six, concepts, tmp_path, monkeypatch):
    """A quizgen whose drawing of a template moved on (a version bump) says so, with both versions,
    and leaves those problems ungraded; the quiz's other templates are graded as usual."""
    path, quiz, keys = six
    key = quiz.problems[0].key
    cid, _, tname = key.partition(".")
    template = next(t for c in concepts if c.id == cid for t in c.templates if t.name == tname)
    old = int(quiz.problems[0].id.split(".")[2][1:])
    monkeypatch.setattr(GENERATORS[template.generator], "VERSION", old + 5)
    report = _grade(path, _sheet(tmp_path / "k.yaml", {p.id: k for p, k in zip(quiz.problems, keys)}), concepts)
    assert any(f"its template {key} draws version {old + 5} in this quizgen and the quiz holds version {old}" in n
               for n in report.notes), report.notes
    family = {f"{c.id}.{t.name}": t.generator for c in concepts for t in c.templates}
    moved = [i.status for i, p in zip(report.items, quiz.problems) if family[p.key] == template.generator]
    others = [i.status for i, p in zip(report.items, quiz.problems) if family[p.key] != template.generator]
    assert moved and set(moved) == {"not-graded"}
    assert others and set(others) == {"right"}


def test_missing_template_is_not_graded(six, concepts, tmp_path):
    path, quiz, keys = six
    without = [c for c in concepts if c.id != "attention"]
    sheet = _sheet(tmp_path / "k.yaml", {p.id: k for p, k in zip(quiz.problems, keys)})
    report = _grade(path, sheet, without)
    assert any("is not in the concept files any more" in n for n in report.notes)
    for item, p in zip(report.items, quiz.problems):
        if p.concept == "attention":
            assert item.status == "not-graded" and "is not in the concept files any more" in item.message
        else:
            assert item.status == "right"
    assert report.score == report.total == sum(p.concept != "attention" for p in quiz.problems)


def test_broken_inputs_are_graded_against_the_id(six, concepts, tmp_path):
    """Inputs that could not even be solved are replaced by what the id draws, with a note."""
    path, quiz, keys = six
    broken = tmp_path / "broken.yaml"
    broken.write_text(path.read_text())
    _rewrite(broken, lambda d: d["problems"][1].update(inputs={"shape": "abc", "ops": 7}), fix_checksum=False)
    report = _grade(broken, _sheet(tmp_path / "k.yaml", {"1": keys[0], "2": keys[1]}), concepts)
    assert [i.status for i in report.items[:2]] == ["right", "right"]
    assert any("differ from those its problem id draws" in n for n in report.items[1].notes)


def test_a_problem_that_cannot_be_drawn_is_not_graded_and_the_rest_is(six, concepts, tmp_path, monkeypatch):
    import quizgen.core.problems as problems_module
    from quizgen.core.errors import GenerationError

    path, quiz, keys = six
    real = problems_module.build_problem
    broken_seed = quiz.problems[2].seed

    def build(concept, template, seed):
        if seed == broken_seed:
            raise GenerationError("no usable variant")
        return real(concept, template, seed)

    monkeypatch.setattr(problems_module, "build_problem", build)
    report = grade_one(path, _sheet(tmp_path / "k.yaml", {p.id: k for p, k in zip(quiz.problems, keys)}), concepts, jobs=1)
    assert report.items[2].status == "not-graded" and "could not be drawn (GenerationError" in report.items[2].message
    assert [i.status for i in report.items if i.number != 3] == ["right"] * 5
    assert (report.score, report.total) == (5, 5)


def test_id_with_a_foreign_seed_is_noted(six, concepts, tmp_path):
    path, quiz, keys = six
    other = make_quiz(concepts, ["attention", "shapes"], 1, seed=99).problems[0]
    edited = tmp_path / "seed.yaml"
    edited.write_text(path.read_text())
    _rewrite(edited, lambda d: d["problems"][0].update(id=other.id, inputs=other.inputs), fix_checksum=True)
    sheet = _sheet(tmp_path / "k.yaml", {other.id: _key_text(rebuild(other.id, concepts))})
    report = _grade(edited, sheet, concepts)
    assert report.items[0].status == "right"
    assert any("its id's seed is not the one" in n for n in report.items[0].notes)


def test_unusable_quiz_file(six, concepts, tmp_path):
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "k.yaml", {"1": keys[0]})
    with pytest.raises(FileUnusable, match="is an answer sheet .*, not a quiz file"):
        _grade(sheet, sheet, concepts)
    runner = CliRunner()
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(sheet), str(sheet)])
    assert result.exit_code == 2 and "is an answer sheet (it has answers:), not a quiz file" in result.output
    result = runner.invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(tmp_path / "nope.yaml"), str(sheet)])
    assert result.exit_code == 2 and "no such file" in result.output


def test_quiz_file_numbers_out_of_range_are_refused_without_a_traceback(six, tmp_path):
    """A format below 1 is not one of the formats read (1..FORMAT); an id's generator version too
    long to be a number (int() refuses over 4,300 digits) makes the file unusable, not a crash."""
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "k.yaml", {"1": keys[0]})
    huge_version = re.sub(r"\.v\d+\.", ".v" + "1" * 5000 + ".", quiz.problems[0].id)
    cases = [
        (lambda d: d.update(format=0), "quiz file format 0 is not one this quizgen"),
        (lambda d: d.update(format=-1), "quiz file format -1 is not one this quizgen"),
        (lambda d: d["problems"][0].update(id=huge_version), "problem 1: its id names a generator version of more than 9 digits"),
    ]
    for k, (mutate, message) in enumerate(cases):
        bad = tmp_path / f"bad{k}.yaml"
        bad.write_text(path.read_text())
        _rewrite(bad, mutate, fix_checksum=True)
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(bad), str(sheet)])
        assert result.exit_code == 2, result.output
        assert message in result.output and str(bad) in result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_number_key_too_long_to_read_is_an_unknown_key(six, tmp_path):
    """int() refuses text of over 4,300 digits: such a key answers no problem, is listed (clipped)
    with the reason, and the rest of the sheet, and of the class, is graded."""
    path, quiz, keys = six
    subs = tmp_path / "subs"
    subs.mkdir()
    huge = subs / "a.yaml"
    # A key over 1,024 characters is written as YAML's explicit "? key" then ": value".
    huge.write_text(f"answers:\n  1: '{keys[0]}'\n  ? {'9' * 5000}\n  : '1'\n  ? {'0' * 5000}2\n  : '{keys[1]}'\n")
    _sheet(subs / "b.yaml", {"1": keys[0]})
    runner = CliRunner()
    base = ["--concepts", str(CONCEPTS), "grade", str(path)]
    result = runner.invoke(cli, [*base, str(huge), "--jobs", "1"])
    assert result.exit_code == 0 and result.exception is None, result.output[-2000:]
    assert "Traceback" not in result.output
    assert re.search(r"score\s+2/6", result.output)  # leading zeros still name problem 2
    assert "answers not graded (1)" in result.output and "there is no problem 9999" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 400
    result = runner.invoke(cli, [*base, str(subs), "--jobs", "1", "--csv", "-"])
    assert result.exit_code == 0 and result.exception is None, result.output[-2000:]
    book = {r["student"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert (book["a"]["score"], book["a"]["extra_answers"], book["b"]["score"]) == ("2", "1", "1")


def test_a_folder_with_one_quiz_grades_only_its_student(concepts, tmp_path):
    """One quiz in a folder is one student's quiz: another student's sheet gets "no quiz for
    student", not a grade against it. A quiz given as a file is everyone's quiz."""
    folder = tmp_path / "quizzes"
    folder.mkdir()
    quiz = make_quiz(concepts, ["attention"], 2, seed=4, student="s001")
    write_quiz(folder / "s001.quiz.yaml", quiz)
    answers = {str(p.number): _key_text(rebuild(p.id, concepts)) for p in quiz.problems}
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / "s001.yaml", answers)
    _sheet(subs / "s002.yaml", answers)
    reports, _ = grade_class(folder, subs, concepts, jobs=1)
    assert [(r.student, r.score, r.error) for r in reports] == [
        ("s001", 2, None),
        ("s002", 0, f"no quiz for student 's002' in {folder}"),
    ]
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(folder), str(subs), "--jobs", "1"])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "not graded: no quiz for student 's002'" in result.output and "Traceback" not in result.output
    reports, _ = grade_class(folder / "s001.quiz.yaml", subs, concepts, jobs=1)
    assert [(r.student, r.score, r.error) for r in reports] == [("s001", 2, None), ("s002", 2, None)]


def test_unusable_large_quiz_files_are_refused(six, concepts, tmp_path):
    """Large unusable quiz files are refused with the file named: binary junk, a YAML alias bomb,
    a broken problem."""
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "k.yaml", {"1": keys[0]})
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 12_000)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"b{k}: &b{k} [*a, *a, *a]\n" for k in range(60_000)))
    broken = tmp_path / "broken.yaml"
    data = json.loads(path.read_text())
    data["problems"] = data["problems"] * 20_000  # ids repeat: problem 7 is problem 1 again
    broken.write_text(json.dumps(data))
    for bad in (junk, bomb, broken):
        assert bad.stat().st_size >= 2**20
        with pytest.raises(FileUnusable) as info:
            grade_one(bad, sheet, concepts, jobs=2)
        assert str(info.value).startswith(str(bad)), info.value


# ---------------------------------------------------------------------------------------------
# Output


def test_cli_outputs_and_exit_codes(six, tmp_path):
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "s.yaml", {"1": keys[0], "2": "=HYPERLINK(\"http://x\")", "3": "-0.5"}, student="ada")
    runner = CliRunner()
    base = ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet)]
    result = runner.invoke(cli, base)
    assert result.exit_code == 0
    assert re.search(r"score\s+1/6", result.output)

    result = runner.invoke(cli, [*base, "--json", "-"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["score"], data["total"], data["student"]) == (1, 6, "ada")
    assert data["items"][0]["status"] == "right" and data["items"][0]["correct"] == keys[0]

    out = tmp_path / "g.csv"
    result = runner.invoke(cli, [*base, "--csv", str(out)])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0][:4] == ["number", "id", "status", "points"]
    assert len(rows) == 7
    assert rows[2][4].startswith("'=HYPERLINK")  # never a live formula in a spreadsheet
    assert rows[3][4] == "-0.5"  # a plain negative number stays a number

    zero = _sheet(tmp_path / "z.yaml", {"1": "123"})
    assert runner.invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(zero)]).exit_code == 0


def test_report_csv_and_text_with_flags(six, concepts, tmp_path):
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "s.yaml", {"1": keys[0]}, student="s102")
    student_quiz = make_quiz(concepts, ["attention"], 2, seed=1, student="s103")
    qpath = tmp_path / "s103.quiz.yaml"
    write_quiz(qpath, student_quiz)
    report = _grade(qpath, sheet, concepts)
    assert report.flags == ["the sheet names student s102, but this is s103's quiz"]
    assert "FLAG" in report_text(report)
    assert report_csv(report).count("\n") == 3


# ---------------------------------------------------------------------------------------------
# A class of 30


def test_class_of_thirty(concepts, tmp_path):
    roster = [f"s{k:02d}" for k in range(30)]
    quizzes_dir = tmp_path / "quizzes"
    quizzes_dir.mkdir()
    quizzes = {}
    for sid in roster:
        quiz = make_quiz(concepts, ["all"], 5, seed=2024, student=sid, student_name=f"Student {sid}")
        write_quiz_files(quiz, quizzes_dir / f"{sid}.quiz.yaml")
        quizzes[sid] = quiz
    keys = {p.id: _key_text(rebuild(p.id, concepts)) for q in quizzes.values() for p in q.problems}
    subs = tmp_path / "submissions"
    subs.mkdir()
    expected = {}
    for k, sid in enumerate(roster):
        ids = [p.id for p in quizzes[sid].problems]
        if sid == "s04":
            expected[sid] = 0  # no submission
            continue
        if sid == "s06":
            (subs / f"{sid}.yaml").write_bytes(os.urandom(64) + b"\x00")
            expected[sid] = 0
            continue
        if sid == "s02":  # hands in answers to s03's variant
            _sheet(subs / f"{sid}.answers.yaml", {p.id: keys[p.id] for p in quizzes["s03"].problems}, student=sid)
            expected[sid] = 0
            continue
        right = k % 6  # 0..5 right answers, the rest wrong or blank
        answers = {pid: (keys[pid] if j < right else ("-987.25" if j % 2 else "")) for j, pid in enumerate(ids)}
        _sheet(subs / f"{sid}.answers.yaml", answers, student=sid)
        expected[sid] = right
    (subs / "README.txt").write_text("not a submission")

    reports, notes = grade_class(quizzes_dir, subs, concepts, jobs=1)
    assert len(reports) == 30
    by_student = {r.student: r for r in reports}
    assert set(by_student) == set(roster)
    for sid, score in expected.items():
        assert by_student[sid].score == score, sid
    assert any("s03's variant" in f for f in by_student["s02"].flags)
    assert by_student["s04"].flags == ["no submission"]
    assert "not a text file" in by_student["s06"].error
    assert any("README.txt: ignored" in n for n in notes)

    book = list(csv.DictReader(io.StringIO(gradebook_csv(reports))))
    assert len(book) == 30
    row = {r["student"]: r for r in book}
    assert row["s05"]["score"] == "5" and row["s05"]["percent"] == "100.0" and row["s05"]["name"] == "Student s05"
    assert [row["s05"][f"q{j}"] for j in range(1, 6)] == ["1"] * 5
    assert row["s02"]["extra_answers"] == "5"

    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "grade", str(quizzes_dir), str(subs), "--csv", str(tmp_path / "gb.csv")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gb.csv").read_text().count("\n") == 31
    assert "FLAG" in result.output


def test_parallel_grading_matches_serial(six, concepts, tmp_path):
    """Forked workers give exactly the serial result (chunks are joined in order)."""
    path, quiz, keys = six
    big = make_quiz(concepts, ["shapes"], 2100, seed=5, jobs=1)
    qpath = tmp_path / "big.yaml"
    write_quiz(qpath, big)
    sheet = _sheet(tmp_path / "s.yaml", {p.id: "(2, 3)" for p in big.problems[::3]})
    serial = grade_one(qpath, sheet, concepts, jobs=1)
    parallel = grade_one(qpath, sheet, concepts, jobs=2)
    assert serial.items == parallel.items
    assert len(parallel.items) == 2100


def test_inputs_retyped_in_the_file_are_solved_as_drawn(six, concepts, tmp_path):
    """2 -> 2.0 compares equal, but a shape of 2.0 would make torch raise: the drawn values are solved."""
    path, quiz, keys = six
    edited = tmp_path / "floats.yaml"
    edited.write_text(path.read_text())
    _rewrite(edited, lambda d: d["problems"][1]["inputs"].update(shape=[float(x) for x in d["problems"][1]["inputs"]["shape"]]), True)
    report = _grade(edited, _sheet(tmp_path / "k.yaml", {"2": keys[1]}), concepts)
    assert report.items[1].status == "right", report.items[1].message


def test_max_size_option(six, tmp_path):
    path, quiz, keys = six
    sheet = tmp_path / "s.yaml"
    sheet.write_text(f"answers:\n  1: '{keys[0]}'\n" + "# padding\n" * 150_000)  # 1.5 MB
    base = ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet)]
    result = CliRunner().invoke(cli, [*base, "--max-size", "1"])
    assert result.exit_code == 2 and "raise the limit with --max-size" in result.output
    assert CliRunner().invoke(cli, [*base, "--max-size", "2"]).exit_code == 0


def test_large_quiz_through_a_real_process(concepts, tmp_path):
    """A large quiz graded by the command in its own process: the report and the JSON on stdout
    arrive whole, and the same bytes on one process as on every core (``--jobs 1``)."""
    import subprocess
    import sys

    quiz_path = tmp_path / "big.yaml"
    n = 1_200  # several chunks on several processes, and far more report than a pipe holds
    command = [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS)]
    subprocess.run([*command, "quiz", "all", "--n", str(n), "--seed", "5", "-o", str(quiz_path)], check=True,
                   capture_output=True)
    sheet = tmp_path / "big.answers.yaml"  # the blank sheet quizgen wrote: every answer missing
    outputs = {}
    for jobs in ("0", "1"):
        run = subprocess.run([*command, "grade", str(quiz_path), str(sheet), "--jobs", jobs], capture_output=True, text=True)
        assert run.returncode == 0 and run.stderr == "", run.stderr[-2000:]
        assert re.search(rf"\nscore\s+0/{n}  \(0\.0%\)\s+right 0, wrong 0, missing {n}\n$", run.stdout), run.stdout[-300:]
        assert run.stdout.count("left blank") == n
        outputs[jobs] = run.stdout
    assert outputs["0"] == outputs["1"]
    run = subprocess.run([*command, "grade", str(quiz_path), str(sheet), "--json", "-"], capture_output=True, text=True)
    data = json.loads(run.stdout)
    assert len(data["items"]) == n and data["counts"]["missing"] == n


def test_control_characters_from_files_never_reach_the_terminal_or_the_csv(concepts, tmp_path):
    """A quiz title, a student id and a submission's file name carrying terminal escapes (clear
    the screen, set the window title) are printed and written escaped."""
    evil = "\x1b[2J\x1b]0;pwned\x07\r"
    folder = tmp_path / "quizzes"
    folder.mkdir()
    quiz = make_quiz(concepts, ["attention"], 2, seed=4, student="ann", title="Week 3" + evil)
    write_quiz(folder / "ann.quiz.yaml", quiz)
    subs = tmp_path / "subs"
    subs.mkdir()
    _sheet(subs / ("ann" + evil.replace("/", "") + ".yaml"), {quiz.problems[0].id: "1"}, student="ann" + evil)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(folder), str(subs), "--csv", str(tmp_path / "book.csv")])
    assert result.exit_code in (0, 2), result.output
    for text in (result.output, (tmp_path / "book.csv").read_text(encoding="utf-8")):
        assert not any(c in text for c in "\x1b\x07\r"), text
        assert "\\x1b[2J" in text


def test_a_link_out_of_the_submissions_folder_is_not_followed(concepts, tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    quiz = make_quiz(concepts, ["attention"], 1, seed=4, student="ann")
    write_quiz(folder / "ann.quiz.yaml", quiz)
    outside = _sheet(tmp_path / "secret.yaml", {quiz.problems[0].id: "1"}, student="ann")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.yaml").symlink_to(outside)
    reports, notes = grade_class(folder, subs, concepts, jobs=1)
    assert any("link to a file outside the folder" in n for n in notes), notes
    assert all(r.sheet is None or "secret" not in str(r.sheet) for r in reports)


def test_a_student_with_two_submissions_gets_one_row_the_newest(concepts, tmp_path):
    import os

    folder = tmp_path / "quizzes"
    folder.mkdir()
    quiz = make_quiz(concepts, ["attention"], 2, seed=4, student="ann")
    write_quiz(folder / "ann.quiz.yaml", quiz)
    keys = {p.id: _key_text(rebuild(p.id, concepts)) for p in quiz.problems}
    subs = tmp_path / "subs"
    subs.mkdir()
    old = _sheet(subs / "ann-draft.yaml", {pid: "0" for pid in keys}, student="ann")
    new = _sheet(subs / "ann-final.yaml", keys, student="ann")
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    reports, _ = grade_class(folder, subs, concepts, jobs=1)
    (row,) = [r for r in reports if r.student == "ann"]
    assert row.sheet == str(new) and (row.score, row.total) == (2, 2)
    # Only the sheets' student fields say whose they are: the gradebook shows which was left out.
    assert any("not graded: " + str(old) in f for f in row.flags)
    book = list(csv.reader(io.StringIO(gradebook_csv(reports))))
    assert [r[0] for r in book[1:]] == ["ann"]


def test_answers_typed_in_from_paper_as_one_csv(concepts, tmp_path):
    """student, problem number, answer: one CSV for a class, or for one quiz."""
    folder = tmp_path / "quizzes"
    folder.mkdir()
    quizzes = {sid: make_quiz(concepts, ["attention"], 2, seed=4, student=sid) for sid in ("ann", "bob")}
    for sid, q in quizzes.items():
        write_quiz(folder / f"{sid}.quiz.yaml", q)
    rows = ["student,problem,answer"]
    for sid, q in quizzes.items():
        for p in q.problems:
            key = _key_text(rebuild(p.id, concepts))
            rows.append(f'{sid},{p.number},"{key if sid == "ann" else "0"}"')
    sheet = tmp_path / "paper.csv"
    sheet.write_text("\n".join(rows) + "\n")
    reports, _ = grade_class(folder, sheet, concepts, jobs=1)
    scores = {r.student: (r.score, r.total) for r in reports}
    assert scores == {"ann": (2, 2), "bob": (0, 2)}
    one = grade_one(folder / "ann.quiz.yaml", _write(tmp_path / "ann.csv", "\n".join(rows[:3]) + "\n"), concepts, jobs=1)
    assert (one.score, one.total) == (2, 2)
    with pytest.raises(FileUnusable, match="answer column"):
        grade_one(folder / "ann.quiz.yaml", _write(tmp_path / "bad.csv", "student,problem\nann,1\n"), concepts, jobs=1)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_steps_and_reports_per_student_in_class_mode(concepts, tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    for sid in ("ann", "bob"):
        write_quiz(folder / f"{sid}.quiz.yaml", make_quiz(concepts, ["attention"], 1, seed=4, student=sid))
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("ann", "bob"):
        quiz = read_quiz(folder / f"{sid}.quiz.yaml")
        _sheet(subs / f"{sid}.yaml", {quiz.problems[0].id: "0"}, student=sid)
    base = ["--concepts", str(CONCEPTS), "grade", str(folder), str(subs), "--steps"]
    shown = CliRunner().invoke(cli, base)
    assert shown.exit_code == 0 and shown.output.count("worked solution:") == 2
    written = CliRunner().invoke(cli, [*base, "--reports", str(tmp_path / "reports")])
    assert written.exit_code == 0
    files = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert files == ["ann.report.txt", "bob.report.txt"]
    assert "worked solution:" in (tmp_path / "reports" / "ann.report.txt").read_text()


# ---------------------------------------------------------------------------------------------
# Partial credit and what to re-teach


def _one_off(problem):
    """An answer with exactly one entry (or dimension) wrong, and the credit it earns: the share
    of entries within tolerance, counted here entry by entry with the judge's closeness test."""
    kind, key = problem.answer.kind, problem.answer.value
    if kind in ("vector", "matrix"):
        rows = [list(r) for r in key] if kind == "matrix" else [list(key)]
        rows[0][0] = rows[0][0] * 3 + 7.25
        flat_key = [v for r in (key if kind == "matrix" else [key]) for v in r]
        flat = [v for r in rows for v in r]
        right = sum(close("number", k, v, problem.tolerance) for k, v in zip(flat_key, flat))
        given = rows if kind == "matrix" else rows[0]
        return format_value(kind, given), round(right / len(flat_key), 4)
    if kind == "shape" and isinstance(key, list) and len(key) > 1:  # one wrong of several dimensions
        given = [*key[:-1], key[-1] + 1]
        return format_value(kind, given), round((len(key) - 1) / len(key), 4)
    return None


def test_partial_credit_is_a_policy_the_teacher_chooses(concepts, tmp_path):
    quiz = make_quiz(concepts, ["attention", "shapes", "classification", "embeddings"], 16, seed=8)
    path = tmp_path / "q.yaml"
    write_quiz(path, quiz)
    answers, expected, rough = {}, {}, 0
    for p in quiz.problems:
        problem = rebuild(p.id, concepts)
        off = _one_off(problem)
        if off is not None:
            answers[p.id], expected[p.id] = off
        elif problem.answer.kind == "number" and rough < 2:
            key = problem.answer.value
            typed = f"{key:.2g}"
            if judge(problem.answer, typed, problem.tolerance).status == "too-few-figures":
                answers[p.id], expected[p.id] = typed, 0.5
                rough += 1
    kinds = {rebuild(pid, concepts).answer.kind for pid in answers}
    assert {"matrix", "shape"} <= kinds and rough >= 1
    sheet = _sheet(tmp_path / "a.yaml", answers)
    plain = _grade(path, sheet, concepts)
    assert plain.score == 0  # the default: right or nothing
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet),
                                      "--partial-credit", "--rough-credit", "0.5", "--json", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    graded = json.loads((tmp_path / "g.json").read_text())
    points = {i["id"]: i["points"] for i in graded["items"]}
    for pid, credit in expected.items():
        assert points[pid] == credit, pid
        assert 0 < credit < 1
    assert graded["score"] == pytest.approx(sum(expected.values()), abs=1e-3)
    for pid, credit in expected.items():
        assert re.search(rf"{re.escape(pid)}  \({credit:g} pt\)", result.output), pid
    assert "score    " + f"{graded['score']:g}" in result.output


def test_the_class_summary_says_what_to_reteach(concepts, tmp_path):
    """Per template, the share right and each named mistake with how many students made it,
    against counts kept here from what each student was given to type."""
    from quizgen.classroom.report import class_summary, class_text

    quizzes_dir, subs = tmp_path / "quizzes", tmp_path / "subs"
    quizzes_dir.mkdir()
    subs.mkdir()
    right: dict[str, list[int]] = {}
    made: dict[str, dict[str, set]] = {}
    for k in range(6):
        sid = f"s{k}"
        quiz = make_quiz(concepts, ["attention"], 4, seed=5, student=sid)
        write_quiz_files(quiz, quizzes_dir / f"{sid}.quiz.yaml")
        answers = {}
        for j, p in enumerate(quiz.problems):
            problem = rebuild(p.id, concepts)
            template = p.id.rsplit(".", 2)[0]
            stats = right.setdefault(template, [0, 0])
            stats[1] += 1
            if (j + k) % 3 == 0 and problem.misconceptions:
                m = problem.misconceptions[k % len(problem.misconceptions)]
                answers[p.id] = format_value(problem.answer.kind, m.value)
                v = judge(problem.answer, answers[p.id], problem.tolerance, problem.misconceptions)
                for name in (v.misconception.name, *(o.name for o in v.also)):  # each mistake it matches
                    made.setdefault(template, {}).setdefault(name, set()).add(sid)
            elif (j + k) % 3 == 1:
                answers[p.id] = _key_text(problem)
                stats[0] += 1
        _sheet(subs / f"{sid}.answers.yaml", answers, student=sid)
    reports, notes = grade_class(quizzes_dir, subs, concepts, jobs=1)
    summary = class_summary(reports)
    assert {row["template"] for row in summary} == set(right)
    for row in summary:
        assert [row["right"], row["questions"]] == right[row["template"]]
        want = sorted(((n, len(w)) for n, w in made.get(row["template"], {}).items()), key=lambda m: (-m[1], m[0]))
        assert [(m["name"], m["students"]) for m in row["mistakes"]] == want
    assert [r["share_right"] for r in summary] == sorted(r["share_right"] for r in summary)
    assert sum(len(r["mistakes"]) for r in summary) >= 3
    text = class_text(reports, notes)
    assert "what to re-teach" in text
    first = summary[0]
    assert f"% right ({first['right']}/{first['questions']})  {first['template']}" in text
    if first["mistakes"]:
        m = first["mistakes"][0]
        assert f"{m['name']}: {m['students']} student" in text


def test_an_answer_matching_two_mistakes_counts_for_both() -> None:
    from quizgen.classroom.report import QuestionGrade, class_summary

    def report(student: str, right: bool) -> Report:
        item = QuestionGrade(1, "masked-modelling.selected-count.v1.7", "right" if right else "wrong", 1 if right else 0,
                             "10", "10", "11", "…", None if right else "rounded-down", None, (), (),
                             () if right else ("specials-left-out",))
        return Report(quiz=None, sheet=f"{student}.yaml", student=student, items=[item])

    (row,) = class_summary([report("a", False), report("b", False), report("c", True)])
    assert (row["right"], row["questions"]) == (1, 3)
    assert row["mistakes"] == [{"name": "rounded-down", "students": 2}, {"name": "specials-left-out", "students": 2}]
    text = report_text(report("a", False))
    assert "misconception: rounded-down (the same value: specials-left-out)" in text


def test_reports_for_one_sheet_is_refused_before_grading(six, tmp_path):
    """--reports writes a class's reports; given one sheet it would be ignored, so it is refused."""
    path, quiz, keys = six
    sheet = _sheet(tmp_path / "k.yaml", {"1": keys[0]})
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(path), str(sheet), "--reports", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--reports writes a class's reports" in result.output, result.output
    assert not (tmp_path / "r").exists()


def test_polishing_an_authored_templates_texts_and_steps_leaves_its_quizzes_gradeable(tmp_path):
    """A step's label, a mistake's reason, an input's label: none decides a problem, so a quiz
    written before the edit is graded as before; a changed answer expression is not."""
    import shutil

    folder = tmp_path / "concepts"
    shutil.copytree(CONCEPTS, folder)
    runner = CliRunner()
    result = runner.invoke(cli, ["--concepts", str(folder), "quiz", "knowledge-distillation", "-n", "4", "--seed", "1",
                                 "-o", str(tmp_path / "q.yaml")])
    assert result.exit_code == 0, result.output
    sheet = tmp_path / "q.answers.yaml"
    path = folder / "knowledge-distillation.yaml"
    text = path.read_text("utf-8")
    edited = (text.replace("teacher's soft targets p = softmax(t / T)", "the teacher's softened targets p", 1)
              .replace("Left out the factor T²;", "Forgot the factor T²;", 1)
              .replace("label: temperature T,", "label: the temperature T,", 1))
    assert edited.count("the teacher's softened targets p") == 1 and "Forgot the factor T²;" in edited
    path.write_text(edited, "utf-8")
    result = runner.invoke(cli, ["--concepts", str(folder), "grade", str(tmp_path / "q.yaml"), str(sheet)])
    assert result.exit_code == 0 and "not graded" not in result.output and "edited by hand" not in result.output, result.output
    path.write_text(edited.replace('answer: "T^2 * kl_div(', 'answer: "T * kl_div(', 1), "utf-8")
    result = runner.invoke(cli, ["--concepts", str(folder), "grade", str(tmp_path / "q.yaml"), str(sheet)])
    assert "changed since the quiz was written" in result.output, result.output


def test_a_quiz_written_with_the_fingerprint_that_held_texts_is_still_graded(tmp_path):
    from quizgen.classroom.quiz import template_fingerprint
    from quizgen.core.concepts import load_concepts

    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "adam-step", "-n", "2", "-o", str(tmp_path / "q.yaml")])
    assert result.exit_code == 0, result.output
    concepts = load_concepts(CONCEPTS)
    text = (tmp_path / "q.yaml").read_text("utf-8")
    changed = 0
    for c in concepts:
        for t in c.templates:
            new, old = template_fingerprint(t), template_fingerprint(t, texts=True)
            if new in text and new != old:
                text, changed = text.replace(new, old), changed + 1
    assert changed  # the authored templates' fingerprints leave their texts out now
    (tmp_path / "q.yaml").write_text(text, "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "grade", str(tmp_path / "q.yaml"), str(tmp_path / "q.answers.yaml")])
    assert result.exit_code == 0 and "not graded" not in result.output, result.output
