"""``quizgen export``: Moodle XML and QTI 1.2, read back and checked against the keys and grading.

A quiz over every concept family is exported through the command line; each file is parsed, its
structure checked against the format's documented one (Moodle's XML format page; QTI 1.2's content
model for the elements used, written out below: no package ships the QTI 1.2 schema), and every
exported answer and tolerance is compared with the key the checker computes for the problem its
id names, with every named mistake's feedback present. Each QTI item's response processing is
run on answers (the key, one entry off, each named mistake) and must give the points
``quizgen grade`` gives, with and without partial credit. Concept text of any characters
(control characters, lone surrogates, Moodle's cloze syntax) gives well-formed XML.
"""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.cli import cli
from quizgen.core.concepts import load_concepts
from quizgen.core.problems import rebuild
from quizgen.generators import GENERATORS
from quizgen.judge import judge

# Moodle's numerical answer syntax (question/type/multianswer and numerical import) and its grades.
MOODLE_NUMBER = re.compile(r"^-?(\d+[.,]?\d*|[.,]\d+)([eE][-+]?\d+)?$")
MOODLE_FRACTIONS = {"100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30",
                    "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0"}
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
# QTI 1.2 (ims_qtiasiv1p2) content model of the elements quizgen writes: the children allowed, in order.
QTI_ORDER = {
    "questestinterop": ["assessment"],
    "assessment": ["section"],
    "section": ["item"],
    "item": ["itemmetadata", "presentation", "resprocessing", "itemfeedback"],
    "itemmetadata": ["qtimetadata"],
    "qtimetadata": ["qtimetadatafield"],
    "qtimetadatafield": ["fieldlabel", "fieldentry"],
    "presentation": ["material", "response_str"],
    "material": ["mattext"],
    "response_str": ["material", "render_fib"],
    "render_fib": ["response_label"],
    "resprocessing": ["outcomes", "respcondition"],
    "outcomes": ["decvar"],
    "respcondition": ["conditionvar", "setvar", "displayfeedback"],
    "conditionvar": ["or", "and", "other", "varequal", "vargte", "varlte"],
    "or": ["varequal", "and"],
    "and": ["or", "vargte", "varlte"],
    "itemfeedback": ["flow_mat"],
    "flow_mat": ["material"],
}
QTI_REQUIRED = {"item": ["ident"], "response_str": ["ident", "rcardinality"], "response_label": ["ident"],
                "decvar": ["varname"], "itemfeedback": ["ident"], "assessment": ["ident"], "section": ["ident"]}


def _export(tmp: Path, fmt: str, *sources: str) -> Path:
    out = tmp / f"out{len(list(tmp.glob('out*')))}.{'moodle.xml' if fmt == 'moodle' else 'qti.zip'}"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", *sources, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _no_markdown(text: str) -> None:
    """Question text as a learner sees it: HTML, never Markdown's backticks or asterisks."""
    shown = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert "`" not in shown and "**" not in shown, shown[:300]


@pytest.fixture(scope="module")
def quiz(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A quiz with every template of every family once, and its problems drawn again from their ids."""
    from quizgen.classroom.quiz import read_quiz

    tmp = tmp_path_factory.mktemp("export")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "all", "-n", "99", "--seed", "2", "-o", str(tmp / "q.yaml")])
    assert result.exit_code == 0, result.output
    concepts = load_concepts(CONCEPTS)
    problems = {p.id: rebuild(p.id, concepts) for p in read_quiz(tmp / "q.yaml").problems}
    kinds = {p.answer.kind for p in problems.values()}
    assert {"number", "vector", "matrix", "shape", "formula"} <= kinds
    return tmp / "q.yaml", problems


def _margin(problem, value: float) -> float:
    """The judge's tolerance around a number (max of the absolute and the relative part); none
    for an answer that counts things, which the judge takes only as that whole number."""
    return 0.0 if problem.answer.whole else max(problem.tolerance.abs, problem.tolerance.rel * abs(value))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def _covers(written: float, width: float) -> bool:
    """An exported ± holds every answer the judge takes (it is never rounded below the judge's
    width: 0.67 for 2/3 is right in both), and exceeds it by at most its sixth figure."""
    return width <= written <= width * (1 + 2e-5) + 1e-300


def _moodle_points(answers: list[ET.Element], typed: float) -> float:
    """What Moodle's numerical question gives a response: the fraction of the first answer, in
    file order, whose ± holds it (``*`` holds anything)."""
    for a in answers:
        text = a.find("text").text
        if text == "*" or abs(typed - float(text)) <= float(a.find("tolerance").text):
            return float(a.get("fraction")) / 100
    return 0.0


def _moodle_scores_like_grading(problem, answers: list[ET.Element]) -> None:
    """Across the key's ± and beyond (a grid, both edges, every named mistake's value and the
    points between the key and each mistake), Moodle gives what ``quizgen grade`` gives: a
    response within the ± but nearer a named mistake scores 0 in both."""
    from quizgen.classroom.report import Scoring

    key, width = float(problem.answer.value), problem.tolerance.width(float(problem.answer.value))
    values = [m.value for m in problem.misconceptions if isinstance(m.value, (int, float))]
    points = [key + width * t / 20 for t in range(-60, 61)] + [key + width * (1 - 1e-12), key - width * (1 - 1e-12)]
    points += values + [key + (v - key) * t / 20 for v in values for t in range(1, 20)]
    scoring = Scoring(partial=False, rough=0.0)
    for x in points:
        expected = _graded(problem, x, scoring)
        if expected is not None:
            assert _moodle_points(answers, x) == expected, (problem.id, repr(x))


def _graded(problem, x: float, scoring) -> float | None:
    """The points ``quizgen grade`` gives ``x`` typed for a number problem; None for the key in
    coarse figures (0.7 for 0.714), which an LMS cannot tell: it reads a value, not its figures."""
    key = float(problem.answer.value)
    values = [float(m.value) for m in problem.misconceptions if isinstance(m.value, (int, float))]
    verdict = judge(problem.answer, repr(x), problem.tolerance, problem.misconceptions)
    if verdict.status == "too-few-figures" and not any(abs(x - v) < abs(x - key) for v in values):
        return None
    return scoring.points("number", verdict.status, problem.answer.value, verdict)


def test_moodle_xml_round_trip(quiz, tmp_path) -> None:
    path, problems = quiz
    moodle_checked = 0
    widths: set[int] = set()
    shape_widths: set[int] = set()
    root = ET.parse(_export(tmp_path, "moodle", str(path), "--partial-credit")).getroot()
    assert root.tag == "quiz"
    seen = {}
    for q in root.findall("question"):
        qtype = q.get("type")
        assert qtype in ("category", "numerical", "cloze")
        if qtype == "category":
            assert q.find("category/text").text.startswith("$course$/top/quizgen/")
            continue
        pid = q.find("name/text").text.split(". ", 1)[1]
        problem = seen[pid] = problems[pid]
        assert q.find("questiontext").get("format") == "html" and q.find("questiontext/text").text
        general = q.find("generalfeedback/text").text
        _no_markdown(general)
        assert ("(a whole number, exactly)" in general) == problem.answer.whole
        for m in problem.misconceptions:  # every named mistake is explained in the general feedback
            assert f"<b>{m.name}</b>" in general
        for s in problem.steps:
            assert s.label.split()[0].rstrip(",") in general  # a pair is shown by its names: "a = 1, b = 2"
        text = q.find("questiontext/text").text
        assert q.find("defaultgrade").text == "1"  # one point per problem, as quizgen grade gives
        _no_markdown(text)
        assert f"<pre>{html.escape(str(GENERATORS[problem.family].describe(problem.inputs)))}</pre>" in text  # its inputs
        if problem.answer.kind != "shape":  # a numeric field reads decimals only: the question says so, with the tolerance
            assert ("Type the whole number, exactly." if problem.answer.whole else f"not 1/4 or sqrt(2)/2); an answer counts when it is "
                    f"{problem.tolerance.phrase()}") in html.unescape(text), text
        if qtype == "numerical":
            assert problem.answer.kind == "number"
            answers = q.findall("answer")
            assert all(a.get("fraction") in MOODLE_FRACTIONS for a in answers)
            (key,) = [a for a in answers if a.get("fraction") == "100"]
            assert MOODLE_NUMBER.match(key.find("text").text)
            assert _close(float(key.find("text").text), problem.answer.value)
            assert _covers(float(key.find("tolerance").text), _margin(problem, problem.answer.value))
            by_name = {a.find("feedback/text").text.split(":")[0]: a for a in answers[:-1] if a is not key}
            if not problem.answer.whole:  # a count's ± is 0 in both (its test is below)
                _moodle_scores_like_grading(problem, answers)
                moodle_checked += 1
            assert set(by_name) == {m.name for m in problem.misconceptions}
            for m in problem.misconceptions:
                a = by_name[m.name]
                assert a.get("fraction") == "0" and _close(float(a.find("text").text), m.value)
                assert html.unescape(m.description) == m.description and m.description in html.unescape(a.find("feedback/text").text)
            assert answers[-1].find("text").text == "*" and answers[-1].get("fraction") == "0"
        elif problem.answer.kind in ("vector", "matrix"):
            blanks = re.findall(r"\{1:NUMERICAL:=([^:}]+):([^}#~]+)~%0%([^:}]+):0\}", text)
            flat = problem.answer.value if problem.answer.kind == "vector" else [v for r in problem.answer.value for v in r]
            assert len(blanks) == len(flat) and text.count("{1:") == len(flat)
            for (value, tolerance, pad), key in zip(blanks, flat):
                assert MOODLE_NUMBER.match(value) and MOODLE_NUMBER.match(tolerance) and MOODLE_NUMBER.match(pad)
                assert _close(float(value), key) and _covers(float(tolerance), _margin(problem, key))
                widths.add(_moodle_blank_size([value, pad]))
        else:
            assert problem.answer.kind == "shape"
            (blank,) = re.findall(r"\{1:SHORTANSWER:(.*?)(?<!\\)\}", text)
            *alternatives, pad = blank.split("~")
            assert all(a.startswith("=") for a in alternatives) and pad.startswith("%0%")
            accepted = [a[1:] for a in alternatives]
            for spelling in accepted:  # each accepted spelling is one the judge reads as the key
                assert judge(problem.answer, spelling).status == "right", spelling
            assert judge(problem.answer, pad[3:]).status != "right"
            shape_widths.add(_moodle_blank_size([*accepted, pad[3:]]))
    # Moodle sizes a blank by its longest answer: every blank of a kind is as wide as the others,
    # so its width tells neither a shape's rank nor which entries are round numbers.
    assert len(widths) == 1 and len(shape_widths) == 1, (widths, shape_widths)
    exportable = {pid for pid, p in problems.items() if p.answer.kind != "formula"}
    assert set(seen) == exportable
    assert moodle_checked >= 10
    # Without --partial-credit, Moodle (which scores a cloze question entry by entry) gets no
    # vector or matrix: the command says so instead of scoring them differently from grading.
    out = tmp_path / "aon.xml"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle", "-o", str(out)])
    several = sum(p.answer.kind in ("vector", "matrix") for p in problems.values())
    assert result.exit_code == 0 and f"{several} with vector or matrix answers" in result.output and "--partial-credit" in result.output
    names = {q.find("name/text").text.split(". ", 1)[1] for q in ET.parse(out).getroot().findall("question")
             if q.get("type") != "category"}
    assert names == {pid for pid in exportable if problems[pid].answer.kind not in ("vector", "matrix")}





def _moodle_blank_size(answers: list[str]) -> int:
    """The size Moodle gives a cloze blank before its random part (qtype_multianswer's renderer:
    the longest answer's length in bytes, at most 60)."""
    return min(60, max(len(a.strip().encode()) for a in answers))


def _check_order(el: ET.Element) -> None:
    tag = el.tag.removeprefix(QTI)
    for attr in QTI_REQUIRED.get(tag, []):
        assert el.get(attr), (tag, attr)
    allowed = QTI_ORDER.get(tag)
    children = [c.tag.removeprefix(QTI) for c in el]
    if allowed is None:
        assert not children, (tag, children)
        return
    positions = [allowed.index(c) if c in allowed else -1 for c in children]
    assert -1 not in positions, (tag, children)
    if tag not in ("conditionvar", "or"):
        assert positions == sorted(positions), (tag, children)
    for c in el:
        _check_order(c)


def _holds(el: ET.Element, responses: dict[str, str]) -> bool:
    """A QTI 1.2 condition on the responses (and / or / other / varequal / vargte / varlte)."""
    tag = el.tag.removeprefix(QTI)
    if tag in ("conditionvar", "and"):
        return all(_holds(c, responses) for c in el)
    if tag == "or":
        return any(_holds(c, responses) for c in el)
    if tag == "other":
        return True
    given = responses.get(el.get("respident"))
    if given is None:
        return False
    if tag == "varequal":
        return given == el.text if not _is_float(el.text) else _is_float(given) and float(given) == float(el.text)
    return float(given) >= float(el.text) if tag == "vargte" else float(given) <= float(el.text)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _qti_points(item: ET.Element, responses: dict[str, str]) -> float:
    """What a QTI 1.2 processor scores: conditions in order, SCORE set or added, stop at continue=No."""
    score = 0.0
    for cond in item.find(QTI + "resprocessing").findall(QTI + "respcondition"):
        if _holds(cond.find(QTI + "conditionvar"), responses):
            for setvar in cond.findall(QTI + "setvar"):
                score = float(setvar.text) if setvar.get("action") == "Set" else score + float(setvar.text)
            if cond.get("continue") == "No":
                break
    return score / 100


def _flat(kind: str, value) -> list[float]:
    return [value] if kind == "number" else list(value) if kind == "vector" else [v for r in value for v in r]


def _as_value(kind: str, flat: list[float], like) -> object:
    if kind == "number":
        return flat[0]
    if kind == "vector":
        return flat
    cols = len(like[0])
    return [flat[i:i + cols] for i in range(0, len(flat), cols)]


def _canvas_range(item: ET.Element) -> tuple[float, float]:
    """The answer Canvas's importer makes of a numerical item (qti_exporter's NumericInteraction):
    ``<or><varequal>k</varequal><and>…</and></or>`` is k ± (upper bound − k), whatever the lower
    bound says; ``<and><vargte/><varlte/></and>`` is the range itself."""
    var = item.find(f"{QTI}resprocessing/{QTI}respcondition[@continue='No']/{QTI}conditionvar")
    either = var.find(QTI + "or")
    if either is not None:
        key, upper = float(either.find(QTI + "varequal").text), float(either.find(f"{QTI}and/{QTI}varlte").text)
        return key - (upper - key), upper
    both = var.find(QTI + "and")
    return float(both.find(QTI + "vargte").text), float(both.find(QTI + "varlte").text)


def _canvas_points(item: ET.Element, typed: float) -> float:
    """What Canvas gives a number typed into a numerical question: its quiz page keeps four
    decimal places of what is typed (``toFixed(4)``), then the answer's range holds it or not."""
    lo, hi = _canvas_range(item)
    return float(lo <= round(typed, 4) <= hi)


def _four_places_right(problem) -> bool:
    """Whether the judge calls some number of four decimal places right: the numbers nearest the
    key, as a student typing into Canvas would give it."""
    key = float(problem.answer.value)
    near = [n / 10**4 for n in range(math.floor(key * 10**4) - 2, math.ceil(key * 10**4) + 3)]
    return any(judge(problem.answer, repr(x), problem.tolerance, problem.misconceptions).status == "right" for x in near)


def test_qti_zip_round_trip_scores_like_grading(quiz, tmp_path) -> None:
    """Every number and shape problem is an item, but a number no four-decimal answer gets right
    (Canvas keeps four places of what is typed); vectors, matrices and formulas are left out. A
    QTI 1.2 processor and Canvas (its importer's reading of the range, its page's rounding) give
    each answer the points ``quizgen grade`` gives: the key, both edges of the tolerance, each
    named mistake and the points between, off by one only within 0.0001 of an edge in Canvas."""
    from quizgen.classroom.report import Scoring

    path, problems = quiz
    package = zipfile.ZipFile(_export(tmp_path, "qti", str(path)))
    manifest = ET.fromstring(package.read("imsmanifest.xml"))
    hrefs = [f.get("href") for f in manifest.iter() if f.tag.endswith("file")]
    assert hrefs and all(h in package.namelist() for h in hrefs)
    assert [r.get("type") for r in manifest.iter() if r.tag.endswith("resource")] == ["imsqti_xmlv1p2"]
    root = ET.fromstring(package.read(hrefs[0]))
    assert root.tag == QTI + "questestinterop"
    _check_order(root)
    items = list(root.iter(QTI + "item"))
    assert len({i.get("ident") for i in items}) == len(items)
    exportable = [pid for pid, p in problems.items()
                  if p.answer.kind == "shape" or (p.answer.kind == "number" and _four_places_right(p))]
    assert [i.get("title") for i in items] == exportable  # one question per problem, in order
    assert len(exportable) < sum(p.answer.kind in ("number", "shape") for p in problems.values())  # some are left out
    scoring = Scoring(partial=False)
    checked = edges = 0
    for item in items:
        fields = {f.find(QTI + "fieldlabel").text: f.find(QTI + "fieldentry").text for f in item.iter(QTI + "qtimetadatafield")}
        problem = problems[item.get("title")]
        assert fields["points_possible"] == "1.0"
        text = item.find(f"{QTI}presentation/{QTI}material/{QTI}mattext").text
        _no_markdown(text)
        assert f"<pre>{html.escape(str(GENERATORS[problem.family].describe(problem.inputs)))}</pre>" in text  # its inputs
        feedback = item.find(f"{QTI}itemfeedback/{QTI}flow_mat/{QTI}material/{QTI}mattext").text
        _no_markdown(feedback)
        for m in problem.misconceptions:
            assert f"<b>{m.name}</b>" in feedback and html.escape(m.description.split(";")[0], quote=False) in feedback
        if problem.answer.kind == "shape":
            assert fields["question_type"] == "short_answer_question"
            spellings = [v.text for v in item.iter(QTI + "varequal")]
            assert spellings and all(judge(problem.answer, s).status == "right" for s in spellings)
            # As a QTI 1.2 processor reads the conditions: every spelling scores, another shape does not.
            assert all(_qti_points(item, {"response1": s}) == 1 for s in spellings), problem.id
            assert _qti_points(item, {"response1": "(7, 7, 7)"}) == 0
            continue
        assert fields["question_type"] == "numerical_question"
        assert [f.get("fibtype") for f in item.iter(QTI + "render_fib")] == ["Decimal"]
        assert ("Canvas keeps 4 decimal places" in text) != problem.answer.whole
        key, width = float(problem.answer.value), _margin(problem, float(problem.answer.value))
        values = [float(m.value) for m in problem.misconceptions if isinstance(m.value, (int, float)) and math.isfinite(m.value)]
        candidates = [key, key + 3 * width + 1e-3, key - 3 * width - 1e-3, *values]
        candidates += [key + (v - key) * t / 11 for v in values for t in range(1, 11)]  # never the midpoint, a tie
        if problem.answer.whole:  # within the tolerance, but not the whole number: wrong, here and in the LMS
            candidates.append(key + 0.3)
        else:  # on the edge of the judge's tolerance, each side
            candidates += [key + sign * problem.tolerance.width(key) * (1 - 1e-12) for sign in (1, -1)]
        lo, hi = _canvas_range(item)
        for x in candidates:
            expected = _graded(problem, x, scoring)
            if expected is None:
                continue
            assert _qti_points(item, {"response1": repr(x)}) == expected, (problem.id, repr(x))
            if min(abs(x - lo), abs(x - hi)) > 1e-4:
                assert _canvas_points(item, x) == expected, (problem.id, repr(x), lo, hi)
            else:
                edges += 1
            checked += 1
        # The key as a student gives it to Canvas, to four decimal places: right.
        assert any(_canvas_points(item, n / 10**4) == 1 for n in (math.floor(key * 10**4), math.ceil(key * 10**4))), problem.id
    assert checked > 5 * len(items)
    assert edges > 0


def test_topics_export_the_deck_variants_and_bytes_are_stable(tmp_path) -> None:
    first = _export(tmp_path, "qti", "attention")
    again = tmp_path / "again.zip"
    first.rename(again)
    assert _export(tmp_path, "qti", "attention").read_bytes() == again.read_bytes()
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", "attention", "--format", "qti", "-o", str(first)])
    assert result.exit_code == 2 and "--force" in result.output
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", "attention", "--format", "moodle",
                                      "--variants", "2", "-o", str(tmp_path / "m.xml")])
    assert result.exit_code == 0 and "left out 4 with formula answers" in result.output, result.output


def test_topics_read_only_their_files(tmp_path) -> None:
    """export bleu reads bleu.yaml, as generate and deck do: a broken file elsewhere in the
    library does not stop it (every file is read, and the broken one named, for all)."""
    library = tmp_path / "concepts"
    library.mkdir()
    shutil.copy(CONCEPTS / "bleu.yaml", library)
    (library / "broken.yaml").write_text("id: broken\n", "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(library), "export", "bleu", "--format", "moodle", "-o", str(tmp_path / "b.xml")])
    assert result.exit_code == 0 and (tmp_path / "b.xml").exists(), result.output
    result = CliRunner().invoke(cli, ["--concepts", str(library), "export", "all", "--format", "moodle", "-o", str(tmp_path / "a.xml")])
    assert result.exit_code == 2 and "broken.yaml:1:" in result.output, result.output


_PIECES = [chr(c) for c in range(0, 0x40)] + [
    "\ud800", "\udfff", "\ufffe", "\uffff", "\x7f", "\x85", "\u2028", "\U0001f600", "é", "]]>", "&amp;", "<b>", "`code`",
    "{1:MULTICHOICE:=right~wrong}", "{#1}", "{1:NUMERICAL:=1:0}", "}", "{", "#", "~", "=", "\\", "%50%",
]


def _fuzz(rng, n: int = 30) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randrange(n)))


def test_any_concept_text_gives_well_formed_xml_and_no_stray_cloze_blank(quiz) -> None:
    """Prompts, titles, mistakes and step labels of any characters (control characters, lone
    surrogates, Moodle's cloze syntax): Moodle XML and QTI parse with a strict XML parser, and a
    cloze question holds exactly the blanks quizgen wrote."""
    import random
    from dataclasses import replace

    from lxml import etree

    from quizgen.classroom.export import moodle_xml, qti_zip
    from quizgen.core.answer import Misconception, Step

    _, problems = quiz
    by_kind: dict[str, list] = {}
    for p in problems.values():
        by_kind.setdefault(p.answer.kind, []).append(p)
    chosen = [ps[0] for kind, ps in sorted(by_kind.items()) if kind != "formula"]
    assert {p.answer.kind for p in chosen} == {"number", "vector", "matrix", "shape"}
    rng = random.Random(11)
    for _ in range(60):
        hostile = [
            replace(
                p,
                prompt=_fuzz(rng),
                steps=tuple(Step(_fuzz(rng), s.value, s.shape, _fuzz(rng)) for s in p.steps),
                misconceptions=tuple(Misconception(_fuzz(rng, 8), _fuzz(rng), m.value) for m in p.misconceptions),
            )
            for p in chosen
        ]
        titles = {p.concept: _fuzz(rng) for p in hostile}
        moodle = moodle_xml(list(enumerate(hostile, start=1)), titles)
        root = etree.fromstring(moodle)  # strict: raises on anything not well-formed
        for q in root.iter("question"):
            if q.get("type") != "cloze":
                continue
            text = q.find("questiontext/text").text
            problem = next(p for p in hostile if q.find("name/text").text.endswith(p.id))
            blanks = 1 if problem.answer.kind == "shape" else len(_flat(problem.answer.kind, problem.answer.value))
            assert text.count("{") == blanks and text.count("{1:") == blanks, text
        in_qti = [p for p in hostile if p.answer.kind in ("number", "shape")]  # what a QTI export holds
        package = zipfile.ZipFile(__import__("io").BytesIO(qti_zip(list(enumerate(in_qti, start=1)), _fuzz(rng))))
        for name in package.namelist():
            etree.fromstring(package.read(name))


def test_qti_leaves_out_what_canvas_cannot_grade_and_says_why(tmp_path) -> None:
    """Canvas has no question that reads several numbers within a tolerance (its fill-in-the-blanks
    compare text), and keeps four decimal places of a typed number: vectors, matrices and keys
    no four-place number is right for are left out, counted with the reason; --partial-credit,
    which would change nothing in a QTI file, is refused rather than ignored."""
    args = ["--concepts", str(CONCEPTS), "export", "attention", "lr-schedules", "--variants", "2", "-o"]
    qti = CliRunner().invoke(cli, [*args, str(tmp_path / "a.zip"), "--format", "qti"])
    assert qti.exit_code == 0 and "1 point each" in qti.output, qti.output
    assert "with vector or matrix answers (Canvas has no question that reads several numbers" in qti.output, qti.output
    assert "keys Canvas cannot hold (it keeps 4 decimal places" in qti.output, qti.output
    refused = CliRunner().invoke(cli, [*args, str(tmp_path / "b.zip"), "--format", "qti", "--partial-credit"])
    assert refused.exit_code == 2 and "changes Moodle exports only" in refused.output and not (tmp_path / "b.zip").exists()
    moodle = CliRunner().invoke(cli, [*args, str(tmp_path / "a.xml"), "--format", "moodle", "--partial-credit"])
    assert moodle.exit_code == 0 and "Canvas" not in moodle.output, moodle.output
    # Its summary and its note agree: "1 point each" is how quizgen grades them, not what Moodle imports.
    cloze = int(re.search(r"note: Moodle makes a cloze question worth one mark per blank, so (\d+) vector", moodle.output)[1])
    assert f"1 point each as quizgen grades them ({cloze} import worth a mark per entry: see the note)" in moodle.output, moodle.output


@pytest.mark.parametrize("text", [
    "\\x01\\x08\\x0b\\x0c\\x1b[31m red \\x7f\\x85 end",
    "{1:MULTICHOICE:=right~wrong#because} and {#1} and } # ~ =",
    "\\uFFFE\\uFFFF \\U0001F600 ]]> &amp; <b>bold</b> `code`",
])
def test_a_concept_file_with_hostile_text_exports_well_formed(tmp_path, text) -> None:
    """The same, from a concept file through the command line: its title and every prompt hold
    the text (YAML escapes, so the file itself is valid YAML); a file whose text holds control
    characters is refused with exit 2 and nothing written."""
    from lxml import etree

    source = (CONCEPTS / "attention.yaml").read_text(encoding="utf-8")
    quoted = '"' + text.replace('"', '\\\\"') + '"'
    source = source.replace("title: Scaled dot-product attention", f"title: {quoted}", 1)
    source = re.sub(r"prompt: >\n(      .*\n)+", lambda m: f"prompt: {quoted}\n", source)
    folder = tmp_path / "concepts"
    folder.mkdir()
    (folder / "attention.yaml").write_text(source, encoding="utf-8")
    if "\\x1b" in text:  # control characters: the concept file is refused before anything is written
        result = CliRunner().invoke(cli, ["--concepts", str(folder), "export", "attention", "--format", "qti", "-o", str(tmp_path / "o.zip")])
        assert result.exit_code == 2 and "without control characters" in result.output and not (tmp_path / "o.zip").exists(), result.output
        return
    for fmt, partial in (("moodle", "--partial-credit"), ("qti", "--seed=1"), ("qti", "--variants=1")):
        out = tmp_path / f"out.{'xml' if fmt == 'moodle' else 'zip'}"
        result = CliRunner().invoke(cli, ["--concepts", str(folder), "export", "attention", "--format", fmt, partial,
                                          "-o", str(out), "--force"])
        assert result.exit_code == 0, result.output
        marker = {"red": "red", "{1:M": "1:MULTICHOICE:=right", "bol": "bold"}[next(w for w in ("red", "{1:M", "bol") if w in text)]
        if fmt == "moodle":
            root = etree.fromstring(out.read_bytes())
            bodies = [q.find("questiontext/text").text for q in root.iter("question") if q.get("type") != "category"]
            assert bodies and all(marker in b for b in bodies)  # the hostile prompt is in every question
            for q in root.iter("question"):
                if q.get("type") == "cloze":
                    body = q.find("questiontext/text").text
                    assert body.count("{") == body.count("{1:") == body.count("{1:NUMERICAL") + body.count("{1:SHORTANSWER")
        else:
            package = zipfile.ZipFile(out)
            for name in package.namelist():
                etree.fromstring(package.read(name))


def test_a_quiz_whose_template_changed_is_not_exported_with_other_keys(tmp_path) -> None:
    """As grading refuses to grade them: a template changed since the quiz was written draws
    other problems than its students saw, so the export is refused (exit 2), naming it; a quiz
    file that is not there is "no such file", not an unknown topic; the default output goes
    beside the quiz, named after all of its stem."""
    folder = tmp_path / "week3"
    folder.mkdir()
    quiz = folder / "my.week3.quiz.yaml"
    run = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "attention", "-n", "4", "--seed", "7", "-o", str(quiz)])
    assert run.exit_code == 0, run.output
    changed = tmp_path / "concepts"
    shutil.copytree(CONCEPTS, changed)
    text = (changed / "attention.yaml").read_text()
    assert "{ask: scale, d_k: [2, 64]}" in text
    (changed / "attention.yaml").write_text(text.replace("{ask: scale, d_k: [2, 64]}", "{ask: scale, d_k: [2, 9]}"))
    refused = CliRunner().invoke(cli, ["--concepts", str(changed), "export", str(quiz), "--format", "moodle", "-o", str(tmp_path / "x.xml")])
    assert refused.exit_code == 2 and "attention.scale-factor changed" in refused.output, refused.output
    assert not (tmp_path / "x.xml").exists()
    missing = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(folder / "nope.quiz.yaml"), "--format", "qti"])
    assert missing.exit_code == 2 and "no such file" in missing.output and "topic" not in missing.output, missing.output
    made = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(quiz), "--format", "qti"])
    assert made.exit_code == 0 and (folder / "my.week3.qti.zip").is_file(), made.output


def test_questions_keep_their_quiz_numbers_and_the_quiz_its_own_bank(quiz, tmp_path) -> None:
    """Moodle without --partial-credit leaves the vector and matrix problems out: the others keep
    the numbers the worksheet and the key give them, in a bank named after the quiz."""
    from quizgen.classroom.quiz import read_quiz

    path, problems = quiz
    numbers = {p.id: k for k, p in enumerate(read_quiz(path).problems, start=1)}
    root = ET.parse(_export(tmp_path, "moodle", str(path))).getroot()
    named = [q.find("name/text").text.split(". ", 1) for q in root.findall("question") if q.get("type") != "category"]
    assert len(named) < len(numbers)  # some were left out
    assert all(int(k) == numbers[pid] for k, pid in named)
    title = read_quiz(path).title.replace("/", "//")
    banks = {q.find("category/text").text for q in root.findall("question") if q.get("type") == "category"}
    assert banks and all(b.startswith(f"$course$/top/quizgen/{title}/") for b in banks), banks
    package = zipfile.ZipFile(_export(tmp_path, "qti", str(path)))
    (href,) = [f.get("href") for f in ET.fromstring(package.read("imsmanifest.xml")).iter() if f.tag.endswith("file")]
    texts = re.findall(r"&lt;p&gt;(\d+)\. ", package.read(href).decode())
    in_qti = [pid for pid, p in problems.items() if p.answer.kind == "shape" or (p.answer.kind == "number" and _four_places_right(p))]
    assert [int(k) for k in texts] == [numbers[pid] for pid in in_qti]
    # The summary names the questions left out, to be graded elsewhere.
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle", "-o", str(tmp_path / "n.xml")])
    several = [str(numbers[pid]) for pid, p in problems.items() if p.answer.kind in ("vector", "matrix")]
    assert result.exit_code == 0 and f"(questions {', '.join(several)})" in result.output, result.output
    assert "note: Moodle makes a cloze question worth one mark per blank" not in result.output
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle", "--partial-credit",
                                      "-o", str(tmp_path / "p.xml")])
    assert result.exit_code == 0 and f"note: Moodle makes a cloze question worth one mark per blank, so {len(several)} vector" in result.output


def test_two_students_of_one_name_get_banks_of_their_own(tmp_path) -> None:
    """Each student's variant is exported to a bank named for the student: with the id beside
    the name, two students called Ann Lee never share one."""
    (tmp_path / "roster.csv").write_text("id,name\ns1,Ann Lee\ns2,Ann Lee\n")
    made = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "2", "--seed", "3",
                                    "--for", str(tmp_path / "roster.csv"), "-o", str(tmp_path / "class")])
    assert made.exit_code == 0, made.output
    banks = []
    for sid in ("s1", "s2"):
        root = ET.parse(_export(tmp_path, "moodle", str(tmp_path / "class" / f"{sid}.quiz.yaml"))).getroot()
        banks.append({q.find("category/text").text.split("/")[3] for q in root.findall("question") if q.get("type") == "category"})
    assert banks[0] == {"BLEU score for machine translation — Ann Lee (s1)"} and banks[1] == {"BLEU score for machine translation — Ann Lee (s2)"}


def test_topics_are_numbered_from_one_and_each_package_has_its_own_identifier(tmp_path) -> None:
    """A topic export has no worksheet to keep numbers from: its questions are numbered 1, 2, …
    whatever was left out. Two QTI packages of other problems never share an identifier (an LMS
    that replaces content by identifier would overwrite last week's quiz)."""
    root = ET.parse(_export(tmp_path, "moodle", "lr-schedules")).getroot()
    named = [q.find("name/text").text.split(". ", 1)[0] for q in root.findall("question") if q.get("type") != "category"]
    assert named == [str(k) for k in range(1, len(named) + 1)]
    idents = set()
    for topic in ("attention", "bleu"):
        package = zipfile.ZipFile(_export(tmp_path, "qti", topic))
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        (resource,) = [r for r in manifest.iter() if r.tag.endswith("resource")]
        assessment = ET.fromstring(package.read(f"{resource.get('identifier')}/{resource.get('identifier')}.xml"))
        idents |= {resource.get("identifier"), next(assessment.iter(QTI + "assessment")).get("ident")}
    assert len(idents) == 2


def test_an_export_never_replaces_its_quiz_a_link_or_a_file_of_another_kind(quiz, tmp_path) -> None:
    path, _ = quiz
    copy = tmp_path / "week3.yaml"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link.xml").symlink_to(tmp_path / "elsewhere" / "planted.xml")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "cls").mkdir()
    cases = [
        (["--format", "moodle", "-o", str(copy), "--force"], "a moodle export is written to a file ending in .xml"),
        (["--format", "moodle", "-o", str(tmp_path / "link.xml"), "--force"], "is a link"),
        (["--format", "qti", "-o", str(tmp_path / "notes.txt"), "--force"], "ending in .zip"),
        (["--format", "moodle", "-o", str(tmp_path / "x.qti.zip")], "ending in .xml"),
        (["--format", "moodle", "-o", ""], "-o is empty"),
    ]
    before = {p.name: p.read_bytes() if p.is_file() else None for p in tmp_path.iterdir()}
    for args, said in cases:
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(copy), *args])
        assert result.exit_code == 2 and said in result.output, (args, result.output)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(tmp_path / "cls"), "--format", "qti"])
    assert result.exit_code == 2 and "is a folder; export one quiz file" in result.output, result.output
    assert {p.name: p.read_bytes() if p.is_file() else None for p in tmp_path.iterdir()} == before
    assert not (tmp_path / "elsewhere" / "planted.xml").exists()


def test_an_export_to_a_pipe_is_refused_not_blocked(tmp_path) -> None:
    """-o naming a FIFO (with --force) blocked for ever waiting for a reader."""
    import os

    os.mkfifo(tmp_path / "pipe.moodle.xml")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", "attention", "--format", "moodle", "--partial-credit",
                                      "--variants", "1", "-o", str(tmp_path / "pipe.moodle.xml"), "--force"])
    assert result.exit_code == 2 and "is not a regular file" in result.output, result.output


def test_an_export_to_standard_output_is_the_export_alone(quiz) -> None:
    path, _ = quiz
    proc = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle",
                           "-o", "-"], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    ET.fromstring(proc.stdout)  # nothing but the XML
    assert proc.stderr.decode().startswith("wrote standard output: ")


def test_a_quiz_file_whose_inputs_were_edited_is_exported_as_its_ids_draw_and_says_so(quiz, tmp_path) -> None:
    from quizgen.classroom.quiz import read_quiz

    path, problems = quiz
    first, key, value = next((p, k, v) for p in read_quiz(path).problems for k, v in p.inputs.items()
                             if isinstance(v, int) and not isinstance(v, bool))
    text = path.read_text("utf-8")
    needle = f'"id": "{first.id}"'
    line = next(line for line in text.splitlines() if needle in line)
    edited = line.replace(f'"{key}": {value}', f'"{key}": {value + 1}', 1)
    assert edited != line
    (tmp_path / "e.yaml").write_text(text.replace(line, edited), "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(tmp_path / "e.yaml"), "--format", "qti",
                                      "-o", str(tmp_path / "e.zip")])
    assert result.exit_code == 0 and f"note: problem {first.number}: the inputs in the quiz file differ" in result.output, result.output


def test_an_id_edited_to_another_version_names_the_quiz_file(quiz, tmp_path) -> None:
    from quizgen.classroom.quiz import read_quiz

    path, _ = quiz
    first = read_quiz(path).problems[0]
    other = re.sub(r"\.v\d+\.", ".v9.", first.id)
    (tmp_path / "h.yaml").write_text(path.read_text("utf-8").replace(first.id, other), "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(tmp_path / "h.yaml"), "--format", "qti",
                                      "-o", str(tmp_path / "h.zip")])
    # The edit is noted (the checksum no longer holds), then the id that cannot be drawn refused.
    assert result.exit_code == 2 and result.output.startswith(f"note: {tmp_path / 'h.yaml'}: checksum: the quiz file was edited")
    assert result.output.splitlines()[-1].startswith(f"{tmp_path / 'h.yaml'}: problem '{other}'"), result.output
    assert not (tmp_path / "h.zip").exists()


def test_a_topic_is_exported_even_beside_a_folder_of_its_name(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bleu").mkdir()
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", "bleu", "--format", "qti", "--variants", "1"])
    assert result.exit_code == 0 and (tmp_path / "bleu.qti.zip").exists(), result.output


def test_variants_and_seed_with_a_quiz_file_are_refused_not_ignored(quiz, tmp_path) -> None:
    """A quiz file's problems are fixed by their ids: --variants or --seed would silently change
    nothing, so the command says so, writes nothing and exits 2."""
    path, _ = quiz
    out = tmp_path / "q.xml"
    for extra in (["--variants", "10"], ["--seed", "5"], ["--variants", "3", "--seed", "1"]):
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle", "-o", str(out), *extra])
        assert result.exit_code == 2 and "a quiz file's problems are the ones its ids name" in result.output, result.output
        assert all(flag in result.output for flag in extra if flag.startswith("--")) and not out.exists()
    assert CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(path), "--format", "moodle", "-o", str(out)]).exit_code == 0


# knowledge-distillation.combined-loss: key 2.54911 (± 0.01275), the mistake kl-reversed 2.5738 inside twice its ±.
NEAR_MISTAKE = "knowledge-distillation.combined-loss.v1.255694999659129"


@pytest.mark.parametrize("partial", [False, True], ids=["all-or-nothing", "partial-credit"])
def test_a_number_nearer_a_named_mistake_scores_as_grade_does_in_both_exports(partial) -> None:
    """Within the key's ± but nearer a named mistake's value is too few figures to tell, 0
    points: in `quizgen grade` (with or without --partial-credit) and in both LMS files, along a
    grid from the key to each mistake and across the ±. QTI's range stops at the midpoint."""
    from quizgen.classroom.export import moodle_xml, qti_assessment
    from quizgen.classroom.grade import question_points
    from quizgen.classroom.report import Scoring

    problem = rebuild(NEAR_MISTAKE, load_concepts(CONCEPTS))
    key, width = float(problem.answer.value), problem.tolerance.width(float(problem.answer.value))
    near = [float(m.value) for m in problem.misconceptions if abs(float(m.value) - key) < 2 * width]
    assert near, "the problem no longer has a named mistake near its key"
    item = next(ET.fromstring(qti_assessment([(1, problem)], "t", "x")).iter(QTI + "item"))
    answers = next(q for q in ET.fromstring(moodle_xml([(1, problem)], {})) if q.get("type") == "numerical").findall("answer")
    grid = [key + (v - key) * t / 41 for v in near for t in range(1, 41)] + [key + width * t / 21 for t in range(-31, 32)]  # never the midpoint
    for v in near:  # within the ± and nearer the mistake: from the midpoint to the edge of the ±
        mid, edge = (key + v) / 2, key + math.copysign(width, v - key)
        grid += [mid + (edge - mid) * t / 10 for t in range(1, 10)]
    told = canvas = 0
    for x in grid:
        typed = repr(x)
        verdict = judge(problem.answer, typed, problem.tolerance, problem.misconceptions)
        expected = question_points(Scoring(partial=partial), problem.answer, typed, problem.tolerance, verdict.status, verdict)
        told += verdict.status == "too-few-figures"
        assert _qti_points(item, {"response1": typed}) == expected, (typed, verdict.status, expected)
        assert _moodle_points(answers, x) == expected, (typed, verdict.status, expected)
        if min(abs(x - edge) for edge in _canvas_range(item)) > 1e-4:  # Canvas: its reading of the range, four places
            canvas += 1
            assert _canvas_points(item, x) == expected, (typed, verdict.status, expected, _canvas_range(item))
    assert told >= 5  # the grid crossed the midpoint
    assert canvas >= 40
    # Beyond a near mistake, away from the key, the judge names it: Moodle gives its explanation too.
    for m in problem.misconceptions:
        v = float(m.value)
        if abs(v - key) < 2 * width:
            # Farther from the mistake than half its distance to the key, within its ±.
            half, own = abs(v - key) / 2, problem.tolerance.width(v)
            assert half < own, "the near mistake leaves no gap on its far side to test"
            beyond = v + math.copysign((half + own) / 2, v - key)
            assert judge(problem.answer, repr(beyond), problem.tolerance, problem.misconceptions).misconception.name == m.name
            matched = next(a for a in answers if a.find("text").text == "*" or abs(beyond - float(a.find("text").text)) <= float(a.find("tolerance").text))
            assert matched.find("feedback/text").text.startswith(f"{m.name}:"), matched.find("feedback/text").text


def test_an_error_key_takes_every_exception_name_the_judge_takes() -> None:
    """torch raises IndexError for x.squeeze(-5): the blank took only RuntimeError by name."""
    from quizgen.classroom.export import shape_spellings
    from quizgen.core.answer import Answer

    spellings = shape_spellings("error")
    assert {"IndexError", "RuntimeError", "ValueError", "TypeError"} <= set(spellings)
    assert all(judge(Answer("shape", "error"), s).status == "right" for s in spellings)


def test_a_qti_zip_is_not_written_to_a_terminal(monkeypatch) -> None:
    """-o - to a terminal would print a zip's bytes: refused, saying how to redirect; Moodle's XML is text."""
    import io

    from quizgen.classroom import export
    from quizgen.core.errors import QuizgenError

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(export.sys, "stdout", Terminal())
    with pytest.raises(QuizgenError, match="which is a terminal here; redirect it"):
        export._refuse_output(Path("-"), "qti", force=False)
    export._refuse_output(Path("-"), "moodle", force=False)


def test_numbers_as_written_whole_keys_exact_and_long_names_fit_moodle() -> None:
    """A whole key is written whole (12 significant figures would round 2852663729256), ± of a
    count is the whole part of the judge's width, no key is -0, and a category name fits Moodle's
    255 characters, keeping the student's id, with a slash at its end kept apart from the path's."""
    from dataclasses import replace

    from quizgen.classroom.export import CATEGORY_LENGTH, _category_name, margin, number
    from quizgen.core.answer import Answer, Tolerance

    assert number(2852663729256.0) == "2852663729256" and number(-0.0) == "0" and number(2.5) == "2.5"
    assert number(1e300) == "1e+300" and number(-0.000123456789012345) == "-0.000123456789012"
    shipped = next(p for p in _some_problems() if p.answer.whole)
    assert margin(shipped, float(shipped.answer.value)) == 0  # a shipped count: abs 0.5, exact
    authored = replace(shipped, answer=Answer("number", 2852663729256.0, True), tolerance=Tolerance(rel=0.005, abs=0.0))
    width = 0.005 * 2852663729256.0
    assert margin(authored, 2852663729256.0) == math.floor(width * (1 + 1e-9))
    name = _category_name("A" * 3000 + " (s002)")
    assert len(name) <= CATEGORY_LENGTH and name.endswith("A (s002)")
    assert _category_name("Week 3/") == "Week 3// " and _category_name("/x") == " //x"


def _some_problems():
    from quizgen.core.problems import build_problem

    for concept in load_concepts(CONCEPTS):
        for template in concept.templates:
            yield build_problem(concept, template, 1)


def test_an_edited_quiz_is_exported_with_a_note(quiz, tmp_path) -> None:
    """A quiz file whose checksum no longer holds (its title edited by hand) is exported as its
    ids draw, and the command says the file was edited, as grading flags it."""
    path, _ = quiz
    text = path.read_text("utf-8")
    (tmp_path / "cut.yaml").write_text(re.sub(r'"title": "[^"]*"', '"title": "Edited"', text, count=1), "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", str(tmp_path / "cut.yaml"), "--format", "moodle",
                                      "--partial-credit", "-o", str(tmp_path / "cut.xml")])
    assert result.exit_code == 0 and "checksum: the quiz file was edited" in result.output, result.output
