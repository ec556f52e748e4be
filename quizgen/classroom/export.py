"""``quizgen export``: problems for the course's learning-management system (see docs/lms.md).

Every problem becomes one question worth one point, as in ``quizgen grade``; each format is
imported by the LMS's own question-bank importer:

- **Moodle XML**: a number is a *numerical* question whose first answer is the key (100%, with the
  judge's tolerance as Moodle's absolute ±), then each named mistake as a 0% answer with its
  explanation as feedback, then a catch-all. A shape is a *cloze* question with one SHORTANSWER
  blank accepting its usual spellings. A vector or matrix is a *cloze* question with one
  NUMERICAL blank per entry, which Moodle scores entry by entry: that is ``--partial-credit``
  scoring, so such problems are exported only with ``--partial-credit`` (core Moodle has no
  question that gives a set of numbers all or nothing).
- **QTI 1.2** (a zip, for Canvas and other QTI importers): a number is a *numerical_question*
  whose answer is a range, the numbers the judge calls right; a shape a *short_answer_question*.
  Canvas has no question that reads several numbers within a tolerance (its fill-in-the-blanks
  compare text), so vectors and matrices are left out, and so is a number whose range holds no
  number of four decimal places: Canvas keeps only four of what a student types.

The worked solution and the named mistakes are the general feedback. A formula answer has no
place in either format's core question types, so formula problems are left out and counted.
Every key comes from the checker: the problems are drawn again from their ids (a quiz file) or
drawn fresh (topics, K variants per template, as in a deck). Text reaches the XML through one
function that drops what XML 1.0 cannot hold (control characters), so any concept text gives a
well-formed file.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizgen.classroom.submissions import name_stem
from quizgen.core.answer import SLACK
from quizgen.core.command import concept_dir, friendly
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable
from quizgen.core.render import fmt_inline, mistake_items, step_text, text_html
from quizgen.judge.reader import EXCEPTION_NAMES

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quizgen.core.problems import Problem

FORMATS = ("moodle", "qti")
EXPORTABLE = ("number", "vector", "matrix", "shape")


# ---------------------------------------------------------------------------------------------
# What both formats share


def margin(problem: Problem, value: float) -> float:
    """The judge's tolerance around one number of ``problem`` as an absolute ± (what LMS numerical
    questions take): ``max(abs, rel · |value|)`` with the judge's slack, rounded up to 6
    significant figures, so that an answer the judge calls right on the edge of the tolerance
    (0.67 for 2/3) is right in the LMS too. For an answer that counts things, which the judge
    takes only as a whole number (57.7 is not 58 people), the whole part of that width: 0 for
    every shipped count, whose width is under 1."""
    width = problem.tolerance.width(value) * (1 + SLACK)
    if problem.answer.whole:
        return float(math.floor(width))
    if width <= 0:
        return 0.0
    scale = 10.0 ** (5 - math.floor(math.log10(width)))
    return math.ceil(width * scale) / scale


def number(x: float) -> str:
    """A key as both importers read it: a whole number exactly, else plain decimal or
    e-notation to 12 significant figures (never ``-0.0``)."""
    if float(x).is_integer() and abs(x) < 2**53:
        return str(int(x))
    return repr(float(f"{x:.12g}") + 0.0)


CANVAS_PLACES = 4
"""Decimal places Canvas keeps of a number typed into a numerical question (its quiz page
rounds what a student types with ``toFixed(4)`` before it is saved)."""


def canvas_answerable(problem: Problem) -> bool:
    """Whether a number's accepted range holds a number of ``CANVAS_PLACES`` decimals: without
    one, no answer typed into Canvas could be right. The range holds the key, so it holds such a
    number if it holds one of the two nearest the key."""
    key = float(problem.answer.value)
    lo, hi = accepted_range(problem)
    scale = 10**CANVAS_PLACES
    return any(lo <= round(n) / scale <= hi for n in (math.floor(key * scale), math.ceil(key * scale)))


def shape_spellings(value: Any) -> list[str]:
    """The ways of writing a shape (or ``error``) that a text blank accepts."""
    if value == "error":  # any exception named is "it raises" to the judge too
        return ["error", "raises", "it raises an error", *EXCEPTION_NAMES]
    dims = [str(int(d)) for d in value]
    if not dims:
        return ["()", "torch.Size([])", "[]", "scalar"]
    tuple_ = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    listed = "[" + ", ".join(dims) + "]"
    forms = [tuple_, tuple_.replace(" ", ""), listed, listed.replace(" ", ""), "x".join(dims), " x ".join(dims),
             "×".join(dims), "torch.Size(" + listed + ")", "torch.Size(" + listed.replace(" ", "") + ")"]
    if len(dims) == 1:
        forms.append(f"({dims[0]})")
    return list(dict.fromkeys(forms))


def _entries(problem: Problem) -> list[tuple[str, float]]:
    """A number, or a vector's or matrix's entries with their place in words, row by row."""
    value = problem.answer.value
    if problem.answer.kind == "number":
        return [("", value)]
    if problem.answer.kind == "vector":
        return [(f"entry {i + 1}", v) for i, v in enumerate(value)]
    return [(f"row {i + 1}, column {j + 1}", v) for i, row in enumerate(value) for j, v in enumerate(row)]


def _finite(problem: Problem) -> bool:
    if problem.answer.kind in ("number", "vector", "matrix"):
        return all(isinstance(v, (int, float)) and math.isfinite(v) for _, v in _entries(problem))
    return True


def _question_html(problem: Problem, number_: int, fmt: str) -> str:
    """The question as the worksheet shows it: the prompt (code spans as <code>, never raw
    backticks), then the inputs as plain text."""
    from quizgen.core.problems import describe_inputs

    inputs = html.escape(describe_inputs(problem.family, problem.inputs))
    return f"<p>{number_}. {text_html(problem.prompt)}</p><pre>{inputs}</pre>{_number_form(problem, fmt)}"


def _exact(problem: Problem) -> bool:
    """Whether only the key itself is right (a count, whose ± is 0)."""
    return problem.answer.whole and all(margin(problem, v) == 0 for _, v in _entries(problem))


def _number_form(problem: Problem, fmt: str) -> str:
    """How to type a number here: an LMS numeric field reads decimals only (the worksheet's
    1/4 or sqrt(2)/2 would be refused), and how close counts."""
    if problem.answer.kind not in ("number", "vector", "matrix"):
        return ""
    if _exact(problem):
        return "<p>Type the whole number, exactly.</p>"
    what = "a whole number" if problem.answer.whole else "decimal numbers, such as 0.25 or 2.5e-3 (not 1/4 or sqrt(2)/2)"
    if fmt == "qti" and not problem.answer.whole:
        what = f"a decimal number, such as 0.25 (not 1/4 or sqrt(2)/2; Canvas keeps {CANVAS_PLACES} decimal places)"
    return f"<p>Type {what}; an answer counts when it is {html.escape(problem.tolerance.phrase())} of the exact value.</p>"


def feedback_html(problem: Problem) -> str:
    """The general feedback: the key, the worked solution and every named mistake."""
    from quizgen.judge import format_value

    key = html.escape(format_value(problem.answer.kind, problem.answer.value))
    exact = " (a whole number, exactly)" if _exact(problem) else " (a whole number)" if problem.answer.whole else ""
    out = [f"<p><b>Answer:</b> <code>{key}</code>{exact}</p>"]
    if problem.steps:
        out.append("<p><b>Worked solution</b></p><ul>")
        out += [f"<li>{html.escape(step_text(s, problem.answer.kind))}</li>" for s in problem.steps]
        out.append("</ul>")
    if problem.misconceptions:
        shown = mistake_items(problem.misconceptions, lambda v: f"<code>{html.escape(fmt_inline(v))}</code>")
        out.append(f"<p><b>Known mistakes</b></p><ul>{shown}</ul>")
    out.append(f"<p>Problem <code>{html.escape(problem.id)}</code> (quizgen generate draws it again).</p>")
    return "".join(out)


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, even escaped: C0 controls but tab and newlines, lone
surrogates, U+FFFE and U+FFFF."""


def xml_text(text: str) -> str:
    """Text as an XML document can hold it: each character XML 1.0 forbids becomes U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element; every text and attribute value goes through ``xml_text``."""
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


# ---------------------------------------------------------------------------------------------
# Moodle XML


def _cloze_escape(text: str) -> str:
    """Text inside a cloze blank: Moodle ends an answer at } # ~ unless escaped."""
    return text.replace("\\", "\\\\").replace("}", "\\}").replace("#", "\\#").replace("~", "&#126;")


def cloze_safe(html_text: str) -> str:
    """HTML around the blanks of a cloze question: Moodle reads ``{1:MULTICHOICE:…}`` or ``{#1}``
    anywhere in it as a blank, so braces are written as character references, which it does not."""
    return html_text.replace("{", "&#123;").replace("}", "&#125;")


def _moodle_text(parent: ET.Element, tag: str, content: str, fmt: str = "html") -> None:
    _sub(_sub(parent, tag, format=fmt), "text", content)


PAD_NUMBER = "-" + "9" * 19
"""A number longer than any key as written (``number``: at most 18 characters)."""
PAD_TEXT = "-" * 60
"""Text as long as Moodle makes any blank (60 characters)."""


def _moodle_question(quiz: ET.Element, problem: Problem, number_: int) -> None:
    kind = problem.answer.kind
    qtype = "numerical" if kind == "number" else "cloze"
    q = _sub(quiz, "question", type=qtype)
    _sub(_sub(q, "name"), "text", f"{number_}. {problem.id}")
    body = _question_html(problem, number_, "moodle")
    # Moodle sizes a blank by its longest answer, which would show a shape's rank and which
    # entries are round numbers: each blank ends in a 0% answer of one length (no one types it).
    if kind in ("vector", "matrix"):
        blanks = [
            f"<tr><td>{html.escape(where)}</td><td>{{1:NUMERICAL:={number(v)}:{number(margin(problem, v))}~%0%{PAD_NUMBER}:0}}</td></tr>"
            for where, v in _entries(problem)
        ]
        body = cloze_safe(body) + f"<table>{''.join(blanks)}</table>"
    elif kind == "shape":
        accepted = "~".join([*(f"={_cloze_escape(s)}" for s in shape_spellings(problem.answer.value)), f"%0%{PAD_TEXT}"])
        body = cloze_safe(body) + f"<p>Shape, as (3, 1, 4), or error if it raises: {{1:SHORTANSWER:{accepted}}}</p>"
    _moodle_text(q, "questiontext", body)
    _moodle_text(q, "generalfeedback", feedback_html(problem))
    _sub(q, "defaultgrade", "1")  # one point per problem, as quizgen grade gives
    _sub(q, "penalty", "0")
    _sub(q, "hidden", "0")
    if kind != "number":
        return
    key = float(problem.answer.value)
    width = margin(problem, key)
    # Moodle takes the first answer whose ± holds the response. The judge calls an answer within
    # the key's ± but nearer a named mistake's value too few figures to tell (0 points), so a
    # mistake nearer the key than twice its ± comes first, holding the responses nearer it than
    # the key (half their distance); every mistake then follows the key with its own ± (a near
    # one again: the responses beyond it, away from the key, still get its explanation).
    mistakes = [(float(m.value), f"{m.name}: {m.description}") for m in problem.misconceptions if isinstance(m.value, (int, float))]
    near = [(0, v, abs(v - key) / 2 * (1 - 1e-9), note) for v, note in mistakes if abs(v - key) < 2 * width]
    far = [(0, v, margin(problem, v), note) for v, note in mistakes]
    for fraction, value, plus_minus, note in [*near, (100, key, width, "Right."), *far]:
        a = _sub(q, "answer", fraction=str(fraction), format="moodle_auto_format")
        _sub(a, "text", number(value))
        _sub(a, "tolerance", number(plus_minus))
        _moodle_text(a, "feedback", html.escape(note, quote=False))
    a = _sub(q, "answer", fraction="0", format="moodle_auto_format")
    _sub(a, "text", "*")
    _sub(a, "tolerance", "0")
    _moodle_text(a, "feedback", "Not the answer: see the worked solution.")
    for tag, setting in (("unitgradingtype", "0"), ("unitpenalty", "0"), ("showunits", "3"), ("unitsleft", "0")):
        _sub(q, tag, setting)


CATEGORY_LENGTH = 255
"""The longest name of a Moodle question category (a database column of 255 characters)."""


def _category_name(title: str) -> str:
    """A title as one level of a Moodle category path, where ``/`` separates levels (``//`` is a
    slash, and a slash at either end is kept apart by a space, as Moodle writes it). A name too
    long for Moodle keeps its start and its end (a student's id)."""
    limit = CATEGORY_LENGTH - 2  # room for the two spaces
    if len(title) > limit:
        title = title[: limit // 2 - 1] + "…" + title[-(limit - limit // 2):]
    name = title.replace("/", "//")
    return (" " if name.startswith("/") else "") + name + (" " if name.endswith("/") else "")


def moodle_xml(problems: Sequence[tuple[int, Problem]], titles: dict[str, str], bank: str | None = None) -> bytes:
    """A Moodle question bank: a category per concept (``quizgen/<bank>/<title>``, or
    ``quizgen/<title>`` without a bank), its questions in it, each named by its number ``k`` in the quiz."""
    quiz = ET.Element("quiz")
    category = None
    top = "$course$/top/quizgen/" + (f"{_category_name(bank)}/" if bank else "")
    for k, problem in problems:
        if problem.concept != category:
            category = problem.concept
            c = _sub(quiz, "question", type="category")
            _sub(_sub(c, "category"), "text", top + _category_name(titles.get(category, category)))
        _moodle_question(quiz, problem, k)
    return _xml(quiz)


# ---------------------------------------------------------------------------------------------
# Canvas QTI 1.2


def _meta(item: ET.Element, fields: dict[str, str]) -> None:
    meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        f = _sub(meta, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", entry)


def _material(parent: ET.Element, content: str) -> None:
    _sub(_sub(parent, "material"), "mattext", content, texttype="text/html")


def _qti_item(section: ET.Element, ident: str, title: str, qtype: str, text: str, feedback: str, answer_id: int) -> ET.Element:
    """An item up to its scoring: metadata (one point), the question and its one field
    (``response1``); returns the element its conditions go in."""
    item = _sub(section, "item", ident=ident, title=title)
    _meta(item, {"question_type": qtype, "points_possible": "1.0", "original_answer_ids": str(answer_id)})
    presentation = _sub(item, "presentation")
    _material(presentation, text)
    response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
    fib = _sub(response, "render_fib", **({"fibtype": "Decimal"} if qtype == "numerical_question" else {}))
    _sub(fib, "response_label", ident="answer1", rshuffle="No")
    processing = _sub(item, "resprocessing")
    _sub(_sub(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    general = _sub(processing, "respcondition", **{"continue": "Yes"})
    _sub(_sub(general, "conditionvar"), "other")
    _sub(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    fb = _sub(_sub(item, "itemfeedback", ident="general_fb"), "flow_mat")
    _material(fb, feedback)
    # itemfeedback follows resprocessing in QTI 1.2's order; conditions go into resprocessing.
    return processing


def accepted_range(problem: Problem) -> tuple[float, float]:
    """The numbers the judge calls right for a number answer: within its ± and nearer the key
    than any named mistake's value (nearer a mistake, the judge says too few figures to tell,
    0 points), so the range stops short of the midpoint between them."""
    key = float(problem.answer.value)
    width = margin(problem, key)
    lo, hi = key - width, key + width
    for m in problem.misconceptions:
        if isinstance(m.value, (int, float)) and not isinstance(m.value, bool) and m.value != key:
            half = (float(m.value) - key) / 2 * (1 - 1e-9)  # the midpoint, a hair towards the key
            lo, hi = (lo, min(hi, key + half)) if half > 0 else (max(lo, key + half), hi)
    return lo, hi


def qti_assessment(problems: Sequence[tuple[int, Problem]], title: str, ident: str) -> bytes:
    """The assessment XML: one item per problem (a number or a shape), in order, each worth one
    point, numbered ``k`` as in the quiz."""
    root = ET.Element("questestinterop", xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2")
    section = _sub(_sub(root, "assessment", ident=ident, title=title), "section", ident="root_section")
    for k, problem in problems:
        text, feedback, answer_id = _question_html(problem, k, "qti"), feedback_html(problem), 1000 + k
        if problem.answer.kind == "shape":
            processing = _qti_item(section, f"q{k}", problem.id, "short_answer_question",
                                   text + "<p>Type the shape, as (3, 1, 4), or error if it raises.</p>", feedback, answer_id)
            cond = _sub(processing, "respcondition", **{"continue": "No"})
            either = _sub(_sub(cond, "conditionvar"), "or")  # sibling conditions all hold; the spellings are alternatives
            for spelling in shape_spellings(problem.answer.value):
                _sub(either, "varequal", spelling, respident="response1")
        else:
            # A range alone: Canvas reads <or><varequal/><and>…</and></or> as the key with the
            # upper bound's distance on both sides, which a range cut short by a named mistake is not.
            processing = _qti_item(section, f"q{k}", problem.id, "numerical_question", text, feedback, answer_id)
            cond = _sub(processing, "respcondition", **{"continue": "No"})
            lo, hi = accepted_range(problem)
            both = _sub(_sub(cond, "conditionvar"), "and")
            _sub(both, "vargte", number(lo), respident="response1")
            _sub(both, "varlte", number(hi), respident="response1")
        _sub(cond, "setvar", "100", action="Set", varname="SCORE")
    return _xml(root)


def qti_zip(problems: Sequence[tuple[int, Problem]], title: str, timestamp: int = 315_532_800) -> bytes:
    """A Canvas-importable QTI 1.2 package: ``imsmanifest.xml`` and one assessment."""
    from quizgen.core.files import zip_bytes

    # Named after what it holds: importing another quiz (or another student's variant) never
    # matches, and so never overwrites, this one in an LMS that replaces content by identifier.
    ident = "quizgen_" + hashlib.sha256("\n".join([title, *(p.id for _, p in problems)]).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    manifest = ET.Element("manifest", identifier=f"{ident}_manifest", xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1")
    meta = _sub(manifest, "metadata")
    _sub(meta, "schema", "IMS Content")
    _sub(meta, "schemaversion", "1.1.3")
    _sub(manifest, "organizations")
    resource = _sub(_sub(manifest, "resources"), "resource", identifier=ident, type="imsqti_xmlv1p2")
    _sub(resource, "file", href=f"{ident}/{ident}.xml")
    return zip_bytes([("imsmanifest.xml", _xml(manifest)), (f"{ident}/{ident}.xml", qti_assessment(problems, title, ident))], timestamp)


# ---------------------------------------------------------------------------------------------
# The command


def _problems(ctx: click.Context, sources: tuple[str, ...], variants: int, seed: int) -> tuple[list[Problem], str, dict[str, str], str | None]:
    """The problems to export, a title, the concepts' titles and the quiz's name for its question
    bank (None for topics): a quiz file's, or topics'."""
    from quizgen.classroom.grade import input_notes, quiz_templates
    from quizgen.classroom.quiz import read_quiz
    from quizgen.core.concepts import select
    from quizgen.core.library import load_library, load_topics
    from quizgen.core.problems import build_many, rebuild, template_variant_seed

    quizzes = [s for s in sources if s.lower().endswith((".yaml", ".yml", ".json"))]
    # Topics read only the files they name (a broken file elsewhere in the library is no
    # matter), as generate and deck do; a quiz, like grading, the whole library.
    concepts = load_library(concept_dir(ctx)) if quizzes else load_topics(sources, concept_dir(ctx))
    titles = {c.id: c.title for c in concepts}
    if quizzes:
        if len(sources) > 1:
            raise QuizgenError("give either one quiz file or topics, not both")
        if not Path(quizzes[0]).is_file():
            raise FileUnusable(f"{quizzes[0]}: no such file")
        quiz = read_quiz(quizzes[0])
        for issue in quiz.issues:  # as grading flags it: the teacher knows what is exported
            click.echo(f"note: {quizzes[0]}: {issue}", err=True)
        # As grading does: a template changed since the quiz was written draws other problems
        # than its students saw, so the quiz is not exported with other keys.
        changed = [why for why in quiz_templates(quiz, concepts)[0].values() if isinstance(why, str)]
        if changed:
            raise QuizgenError(f"{quizzes[0]}: cannot be exported as its students saw it: {changed[0]}"
                               + (f" (and {len(changed) - 1} more)" if len(changed) > 1 else "")
                               + "; restore the template, or make a new quiz")
        # Each student's variant is told apart, in its title and its question bank.
        # The id too: two students may share a name, and their banks must not merge.
        who = f"{quiz.student_name} ({quiz.student})" if quiz.student_name and quiz.student else quiz.student_name or quiz.student
        title = f"{quiz.title} — {who}" if who else quiz.title
        try:
            problems = [rebuild(p.id, concepts) for p in quiz.problems]
        except QuizgenError as exc:  # an id edited by hand: the file is named with it
            raise QuizgenError(f"{quizzes[0]}: {exc}") from None
        for p, built in zip(quiz.problems, problems):
            for note in input_notes(quiz, p, built, "exported as its id draws it"):
                click.echo(f"note: problem {p.number}: {note}", err=True)
        return problems, title, titles, title
    try:
        chosen = select(concepts, sources)
    except QuizgenError:  # not a topic: a class's folder of quizzes, perhaps
        folders = [s for s in sources if Path(s).is_dir()]
        if folders:
            raise QuizgenError(f"{folders[0]} is a folder; export one quiz file from it (such as "
                               f"{Path(folders[0]) / '<id>.quiz.yaml'})") from None
        raise
    jobs = [(c, t, template_variant_seed(seed, c.id, t.name, v)) for c in sorted(chosen, key=lambda c: c.id) for t in c.templates for v in range(variants)]
    if not jobs:
        raise QuizgenError(f"the topics {', '.join(sources)} have no problem templates")
    return [p for chunk in build_many(jobs) for p in chunk], " + ".join(c.title for c in chosen[:3]), titles, None


def _refuse_output(out: Path, fmt: str, force: bool) -> None:
    """An output that would lose something is refused before any work: a name of the other format
    or of no export (``-o notes.txt``, or the quiz file itself, even with --force), a link (it
    would write wherever it points), an existing file without --force. ``-`` is standard output."""
    if str(out) == "-":
        if fmt == "qti" and sys.stdout.isatty():  # a zip file's bytes would fill the terminal with garbage
            raise QuizgenError("-o - writes the QTI zip to standard output, which is a terminal here; redirect it "
                               "(quizgen export … -o - > week3.qti.zip) or give a file name")
        return
    ending = ".xml" if fmt == "moodle" else ".zip"
    if out.suffix.lower() != ending:
        raise QuizgenError(f"{out}: a {fmt} export is written to a file ending in {ending}; try -o {out.parent / (out.stem or 'export')}"
                           f"{'.moodle.xml' if fmt == 'moodle' else '.qti.zip'} (or -o - for standard output)")
    if out.is_symlink():
        raise QuizgenError(f"{out} is a link; write the export to a file, not through a link")
    if out.exists() and not out.is_file():  # a pipe would block the write for ever
        raise QuizgenError(f"{out} is not a regular file (a pipe or a device); write the export to a file, or -o - for standard output")
    if out.exists() and not force:
        raise QuizgenError(f"{out} already exists; add --force to replace it, or write elsewhere with -o")


@click.command("export")
@click.argument("sources", nargs=-1, required=True, metavar="QUIZ.yaml | TOPIC...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="moodle: Moodle XML; qti: a QTI 1.2 zip (Canvas).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The file to write (default: <quiz or topics>.moodle.xml or .qti.zip).")
@click.option("--variants", type=click.IntRange(1, 100), default=5, show_default=True, help="With topics: problems per template.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="With topics: which problems.")
@click.option("--partial-credit", is_flag=True,
              help="Moodle: a vector or matrix scores the share of its entries within tolerance (as quizgen grade --partial-credit).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.pass_context
@friendly
def export_command(ctx: click.Context, sources: tuple[str, ...], fmt: str, output: str | None, variants: int, seed: int,
                   partial_credit: bool, force: bool) -> None:
    """Export a quiz's problems (or VARIANTS per template of TOPICs) for Moodle or a QTI importer (Canvas).

    One question per problem, worth one point, scored as `quizgen grade` scores it: numbers with
    the judge's tolerance (the named mistakes as feedback), shapes in any usual spelling. Moodle
    takes a vector or matrix with --partial-credit only (it scores entries one by one); QTI
    (Canvas) leaves them out, and numbers it cannot hold (Canvas keeps four decimal places).
    The worked solution is the general feedback. Formula problems are left out.

    Example: quizgen export week3.yaml --format qti   (or: quizgen export attention --format moodle --partial-credit)
    """
    from quizgen.core.files import write_bytes_atomic

    suffix = "moodle.xml" if fmt == "moodle" else "qti.zip"
    if output == "":
        raise QuizgenError("-o is empty; give the file to write, such as -o week3." + suffix)
    if output:
        out = Path(output)
    elif sources[0].endswith((".yaml", ".yml", ".json")):  # beside the quiz: week3.quiz.yaml -> week3.qti.zip
        out = Path(sources[0]).parent / f"{name_stem(Path(sources[0]), ('.quiz',))}.{suffix}"
    else:
        out = Path(f"{'-'.join(sources)}.{suffix}")
    given = [f"--{name}" for name in ("variants", "seed") if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE]
    if given and sources[0].endswith((".yaml", ".yml", ".json")):  # they would change nothing: say so
        raise QuizgenError(f"{' and '.join(given)} choose{'s' if len(given) == 1 else ''} the problems of topics; a quiz file's problems are the ones its ids "
                           f"name, so leave {' and '.join(given)} out (or export topics: quizgen export attention --variants 10)")
    if partial_credit and fmt == "qti":
        raise QuizgenError("--partial-credit changes Moodle exports only: a QTI export leaves vector and matrix problems "
                           "out (Canvas has no question that reads several numbers within a tolerance); leave it out")
    _refuse_output(out, fmt, force)
    problems, title, titles, bank = _problems(ctx, sources, variants, seed)
    numbered = list(enumerate(problems, start=1))
    formulas = [k for k, p in numbered if p.answer.kind == "formula"]
    several = [k for k, p in numbered if not partial_credit and p.answer.kind in ("vector", "matrix")]
    infinite = [k for k, p in numbered if p.answer.kind in EXPORTABLE and not _finite(p) and k not in several]
    # Canvas keeps four decimal places of what is typed: a range holding no such number cannot be met.
    unanswerable = [k for k, p in numbered if fmt == "qti" and p.answer.kind == "number" and k not in infinite
                    and not canvas_answerable(p)]
    out_of = set(formulas) | set(several) | set(infinite) | set(unanswerable)
    kept = [(k, p) for k, p in numbered if k not in out_of]
    # A quiz's problems keep their numbers (the worksheet's and the key's) when others are left out,
    # and the teacher is told which numbers to grade elsewhere; topics' problems are numbered anew.
    where = (lambda ks: f" (questions {', '.join(map(str, ks))})") if bank is not None else (lambda ks: "")
    left = [f"{len(ks)} with {why}{where(ks)}" for ks, why in (
        (formulas, "formula answers"),
        (several, "vector or matrix answers (Moodle scores each entry on its own: add --partial-credit to export "
                  "them scored by share of entries, as quizgen grade --partial-credit does)" if fmt == "moodle" else
                  "vector or matrix answers (Canvas has no question that reads several numbers within a tolerance)"),
        (infinite, "infinite values"),
        (unanswerable, f"keys Canvas cannot hold (it keeps {CANVAS_PLACES} decimal places of a typed number, and no "
                       "such number is within tolerance)"),
    ) if ks]
    if not kept:
        raise QuizgenError("nothing to export: " + "; ".join(left or ["no problems"]))
    if bank is None:
        kept = [(k, p) for k, (_, p) in enumerate(kept, start=1)]
    data = moodle_xml(kept, titles, bank) if fmt == "moodle" else qti_zip(kept, title)
    write_bytes_atomic(out, data)
    to_stdout = str(out) == "-"  # the summary then goes to standard error, out of the export's way
    cloze = sum(fmt == "moodle" and p.answer.kind in ("vector", "matrix") for _, p in kept)
    points = "1 point each" if not cloze else f"1 point each as quizgen grades them ({cloze} import worth a mark per entry: see the note)"
    click.echo(f"wrote {'standard output' if to_stdout else out}: {len(kept)} problem{'s' if len(kept) != 1 else ''}, "
               + points + (f"; left out {', '.join(left)}" if left else ""), err=to_stdout)
    if cloze:
        click.echo(f"note: Moodle makes a cloze question worth one mark per blank, so {cloze} vector or matrix "
                   f"problem{'s' if cloze != 1 else ''} import worth as many marks as entries; set each one's mark "
                   "to 1 in the quiz (Edit quiz, maximum mark) to weigh them as quizgen grade does", err=to_stdout)
