"""``quizgen export``: Moodle XML and Canvas QTI 1.2, read back and checked against the keys.

A quiz over every concept family is exported through the command line; each file is parsed, its
structure checked against the format's documented one (Moodle's XML format page; QTI 1.2's content
model for the elements used, written out below: no package ships the QTI 1.2 schema), and every
exported answer and tolerance is compared with the key the checker computes for the problem its
id names, with every named mistake's feedback present.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS

from quizgen.cli import cli
from quizgen.core.concepts import load_concepts
from quizgen.core.problems import rebuild
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
    "response_str": ["render_fib"],
    "render_fib": ["response_label"],
    "resprocessing": ["outcomes", "respcondition"],
    "outcomes": ["decvar"],
    "respcondition": ["conditionvar", "setvar", "displayfeedback"],
    "conditionvar": ["or", "and", "other", "varequal", "vargte", "varlte"],
    "or": ["varequal", "and"],
    "and": ["vargte", "varlte"],
    "itemfeedback": ["flow_mat"],
    "flow_mat": ["material"],
}
QTI_REQUIRED = {"item": ["ident"], "response_str": ["ident", "rcardinality"], "response_label": ["ident"],
                "decvar": ["varname"], "itemfeedback": ["ident"], "assessment": ["ident"], "section": ["ident"]}


def _export(tmp: Path, fmt: str, *sources: str) -> Path:
    out = tmp / f"out.{fmt}"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "export", *sources, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


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
    """The judge's tolerance around a number (max of the absolute and the relative part)."""
    return max(problem.tolerance.abs, problem.tolerance.rel * abs(value))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_moodle_xml_round_trip(quiz, tmp_path) -> None:
    path, problems = quiz
    root = ET.parse(_export(tmp_path, "moodle", str(path))).getroot()
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
        for m in problem.misconceptions:  # every named mistake is explained in the general feedback
            assert f"<b>{m.name}</b>" in general
        for s in problem.steps:
            assert s.label.split()[0].rstrip(",") in general  # a pair is shown by its names: "a = 1, b = 2"
        text = q.find("questiontext/text").text
        if qtype == "numerical":
            assert problem.answer.kind == "number"
            answers = q.findall("answer")
            assert all(a.get("fraction") in MOODLE_FRACTIONS for a in answers)
            key = answers[0]
            assert key.get("fraction") == "100" and MOODLE_NUMBER.match(key.find("text").text)
            assert _close(float(key.find("text").text), problem.answer.value)
            assert math.isclose(float(key.find("tolerance").text), _margin(problem, problem.answer.value), rel_tol=1e-5)
            by_name = {a.find("feedback/text").text.split(":")[0]: a for a in answers[1:-1]}
            assert set(by_name) == {m.name for m in problem.misconceptions}
            for m in problem.misconceptions:
                a = by_name[m.name]
                assert a.get("fraction") == "0" and _close(float(a.find("text").text), m.value)
                assert html.unescape(m.description) == m.description and m.description in html.unescape(a.find("feedback/text").text)
            assert answers[-1].find("text").text == "*" and answers[-1].get("fraction") == "0"
        elif problem.answer.kind in ("vector", "matrix"):
            blanks = re.findall(r"\{1:NUMERICAL:=([^:}]+):([^}#~]+)\}", text)
            flat = problem.answer.value if problem.answer.kind == "vector" else [v for r in problem.answer.value for v in r]
            assert len(blanks) == len(flat) and text.count("{1:") == len(flat)
            for (value, tolerance), key in zip(blanks, flat):
                assert MOODLE_NUMBER.match(value) and MOODLE_NUMBER.match(tolerance)
                assert _close(float(value), key) and math.isclose(float(tolerance), _margin(problem, key), rel_tol=1e-5)
        else:
            assert problem.answer.kind == "shape"
            (blank,) = re.findall(r"\{1:SHORTANSWER:(.*?)(?<!\\)\}", text)
            accepted = [a[1:] for a in blank.split("~")]
            assert all(a.startswith("=") for a in blank.split("~"))
            for spelling in accepted:  # each accepted spelling is one the judge reads as the key
                assert judge(problem.answer, spelling).status == "right", spelling
    exportable = {pid for pid, p in problems.items() if p.answer.kind != "formula"}
    assert set(seen) == exportable


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


def test_qti_zip_round_trip(quiz, tmp_path) -> None:
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
    covered: dict[str, list] = {}
    for item in items:
        fields = {f.find(QTI + "fieldlabel").text: f.find(QTI + "fieldentry").text for f in item.iter(QTI + "qtimetadatafield")}
        pid = item.get("title").split()[0]
        problem = problems[pid]
        feedback = item.find(f"{QTI}itemfeedback/{QTI}flow_mat/{QTI}material/{QTI}mattext").text
        for m in problem.misconceptions:
            assert f"<b>{m.name}</b>" in feedback and html.escape(m.description.split(";")[0], quote=False) in feedback
        if fields["question_type"] == "short_answer_question":
            spellings = [v.text for v in item.iter(QTI + "varequal")]
            assert spellings and all(judge(problem.answer, s).status == "right" for s in spellings)
            covered.setdefault(pid, []).append("shape")
            continue
        assert fields["question_type"] == "numerical_question"
        assert item.find(f".//{QTI}render_fib").get("fibtype") == "Decimal"
        exact = float(item.find(f".//{QTI}varequal").text)
        low, high = float(item.find(f".//{QTI}vargte").text), float(item.find(f".//{QTI}varlte").text)
        assert math.isclose(high - exact, exact - low, rel_tol=1e-6, abs_tol=1e-12)  # Canvas reads a symmetric margin
        covered.setdefault(pid, []).append((exact, high - exact))
    for pid, problem in problems.items():
        kind = problem.answer.kind
        if kind == "formula":
            assert pid not in covered
        elif kind == "shape":
            assert covered[pid] == ["shape"]
        else:
            keys = [problem.answer.value] if kind == "number" else (
                problem.answer.value if kind == "vector" else [v for r in problem.answer.value for v in r])
            assert len(covered[pid]) == len(keys)  # one question per entry
            for (exact, plus_minus), key in zip(covered[pid], keys):
                assert _close(exact, key) and math.isclose(plus_minus, _margin(problem, key), rel_tol=1e-5, abs_tol=1e-11)


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
