"""``quizgen grade``: grade answer sheets against a quiz, one learner or a whole class.

Nothing written in a file is trusted as an answer. Every key is recomputed: each problem id's
seed draws the problem again (``quizgen.core.problems.build_many``, the same path as ``quizgen
generate``), so a quiz file edited by hand, even one whose checksum was recomputed, is caught
problem by problem and graded against the problem its id names. Only a template that changed
since the quiz was written has its problems solved from the inputs in the file (and says so).
Each typed answer goes through the one judge, ``quizgen.judge.judge``.

Answer sheets are read as hostile input. Before any parser sees a file its size is checked (it is
not even read past the limit), then binary data and the encoding; the YAML is read from libyaml's
event stream by a loop that never expands an alias, never constructs a tagged object, stops at a
nesting depth where libyaml would slow down, and caps how much any one answer may hold. A problem
in one answer (an alias, a mapping where text is due, a duplicate id) is reported on that answer
and the rest is graded; a syntax error part-way stops the reading there, and the answers before
it are still graded.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from quizgen.classroom.quiz import MAX_PROBLEMS, Quiz, QuizProblem, read_quiz
from quizgen.core.command import concept_dir, friendly
from quizgen.core.errors import QuizgenError
from quizgen.core.files import (
    MAX_YAML_DEPTH,
    FileUnusable,
    read_text_file,
    yaml_problem,
)
from quizgen.core.render import step_text
from quizgen.judge import Tolerance, format_value, judge

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept, Template
    from quizgen.core.problems import Problem

SHEET_MAX_BYTES = 20 * 2**20
"""Default size limit of an answer sheet (100,000 answers take about 6 MB)."""

MAX_VALUE_SCALARS = 1000
"""Most numbers one answer written as a YAML list may hold (the judge reads at most 400)."""

MAX_ANSWER_DEPTH = 4
"""Deepest YAML list nesting accepted inside one answer (a matrix needs 2)."""

MAX_SHEET_ENTRIES = MAX_PROBLEMS + 100_000
"""Most answers kept from one sheet; beyond that they are only counted."""

MAX_LISTED_EXTRAS = 200
"""Most answers with unknown ids listed one by one in a report."""

STATUSES = ("right", "too-few-figures", "wrong", "unreadable", "duplicate", "missing", "not-graded")

HEADER_FIELDS = ("quizgen", "format", "quiz", "student", "name")


# ---------------------------------------------------------------------------------------------
# Reading answer sheets


class RawAnswer(NamedTuple):
    """One ``key: value`` of an answer sheet before it is matched to a quiz.

    ``text`` is the answer as the judge will read it (None: left blank); ``issue`` says why the
    value cannot be read as an answer at all (then ``text`` is None).
    """

    key: str
    line: int
    text: str | None
    issue: str | None


@dataclass
class AnswerSheet:
    """What an answer sheet holds.

    Attributes:
        path: The file.
        student: The ``student`` field (None if absent or blank).
        quiz: The ``quiz`` field: the checksum of the quiz the sheet was made for.
        answers: Every answer in file order (at most ``MAX_SHEET_ENTRIES``).
        dropped: How many answers were beyond that cap.
        notes: Problems with the file as a whole (a syntax error part-way, a second document).
    """

    path: str
    student: str | None = None
    quiz: str | None = None
    answers: list[RawAnswer] = field(default_factory=list)
    dropped: int = 0
    notes: list[str] = field(default_factory=list)


class _Stop(Exception):
    """Reading stops here; ``note`` says why (the answers read so far are kept)."""

    def __init__(self, note: str):
        self.note = note


_PLAIN_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_YAML_SPECIALS = {
    ".nan": "nan", ".NaN": "nan", ".NAN": "nan",
    ".inf": "inf", ".Inf": "inf", ".INF": "inf",
    "+.inf": "inf", "+.Inf": "inf", "+.INF": "inf",
    "-.inf": "-inf", "-.Inf": "-inf", "-.INF": "-inf",
}
_CORE_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "null", "bool", "seq", "map")
) | {None, "!"}
_SEPARATORS = re.compile(r"[\s,;]")
_NOT_YAML_TEXT = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
"""Characters YAML does not allow anywhere in a file (the same set as PyYAML's reader)."""


class _SheetReader:
    """Walks libyaml's events of an answer sheet; see the module docstring for the rules."""

    def __init__(self, text: str, source: str):
        import yaml

        self._yaml = yaml
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self._events = iter(yaml.parse(text, Loader=loader))
        self.source = source
        self.depth = 0
        self.sheet = AnswerSheet(path=source)

    # -- events --------------------------------------------------------------------------

    def next(self) -> Any:
        try:
            event = next(self._events)
        except StopIteration:
            raise _Stop("the file ends in the middle of its YAML") from None
        except self._yaml.YAMLError as exc:
            raise _Stop(f"not valid YAML at {yaml_problem(exc)}") from None
        name = type(event).__name__
        if name in ("SequenceStartEvent", "MappingStartEvent"):
            self.depth += 1
            if self.depth > MAX_YAML_DEPTH:
                raise _Stop(f"line {_line(event)}: nested more than {MAX_YAML_DEPTH} levels deep")
        elif name in ("SequenceEndEvent", "MappingEndEvent"):
            self.depth -= 1
        return event

    def skip(self, event: Any) -> None:
        """Consume the rest of the node that ``event`` starts."""
        name = type(event).__name__
        if name not in ("SequenceStartEvent", "MappingStartEvent"):
            return
        target = self.depth - 1
        while self.depth > target:
            self.next()

    # -- values --------------------------------------------------------------------------

    def answer(self, event: Any) -> tuple[str | None, str | None]:
        """The answer text of the node ``event`` starts, or the reason it has none."""
        name = type(event).__name__
        if name == "AliasEvent":
            return None, f"a YAML alias (*{event.anchor}) is not read; write the answer itself"
        if getattr(event, "tag", None) not in _CORE_TAGS:
            self.skip(event)
            return None, f"the YAML tag {event.tag} is not read; write the answer as plain text"
        if name == "ScalarEvent":
            return _scalar_text(event), None
        if name == "MappingStartEvent":
            self.skip(event)
            return None, (
                "a mapping (key: value pairs) where an answer is due; "
                "write the answer in quotes, e.g. '[[1, 2], [3, 4]]'"
            )
        budget = [MAX_VALUE_SCALARS]
        text, issue = self._sequence(budget, 1)
        return (None, issue) if issue else (text, None)

    def _sequence(self, budget: list[int], level: int) -> tuple[str, str | None]:
        """A YAML list as the judge's bracket notation (the start event is already consumed)."""
        parts: list[str] = []
        issue: str | None = None
        while True:
            event = self.next()
            name = type(event).__name__
            if name == "SequenceEndEvent":
                return "[" + ", ".join(parts) + "]", issue
            if issue is not None:
                self.skip(event)
                continue
            if name == "ScalarEvent" and event.tag in _CORE_TAGS:
                budget[0] -= 1
                if budget[0] < 0:
                    issue = f"more than {MAX_VALUE_SCALARS} numbers in one answer"
                    continue
                text = _scalar_text(event) or ""
                # An entry with its own separators ("1 2") is kept as one entry: the judge then
                # reports it instead of silently reading two numbers.
                parts.append(f"({text})" if _SEPARATORS.search(text) else text)
            elif name == "SequenceStartEvent" and event.tag in _CORE_TAGS:
                if level >= MAX_ANSWER_DEPTH:
                    self.skip(event)
                    issue = f"lists nested more than {MAX_ANSWER_DEPTH} deep in one answer"
                    continue
                inner, inner_issue = self._sequence(budget, level + 1)
                issue = inner_issue
                parts.append(inner)
            elif name == "AliasEvent":
                issue = f"a YAML alias (*{event.anchor}) is not read; write the answer itself"
            elif name == "MappingStartEvent":
                self.skip(event)
                issue = "a mapping inside a list where a number is due"
            else:
                self.skip(event)
                issue = f"the YAML tag {event.tag} is not read; write the answer as plain text"

    def key(self, event: Any) -> str | None:
        """A mapping key as text, or None (and the node skipped) if it is not a plain value."""
        if type(event).__name__ == "ScalarEvent":
            return event.value.strip()
        self.skip(event)
        return None

    # -- the document --------------------------------------------------------------------

    def read(self) -> AnswerSheet:
        sheet = self.sheet
        try:
            event = self.next()  # stream start
            event = self.next()
            if type(event).__name__ == "StreamEndEvent":
                raise FileUnusable(f"{self.source}: the answer sheet holds no YAML document (only comments?)")
            event = self.next()  # the root node
            name = type(event).__name__
            if name != "MappingStartEvent":
                what = {"SequenceStartEvent": "a list", "ScalarEvent": "a single value", "AliasEvent": "an alias"}
                raise FileUnusable(
                    f"{self.source}: an answer sheet is a mapping of problem id to answer "
                    f"(e.g. 'attention.scale-factor.v1.42: 0.25'), but this file holds {what.get(name, name)}"
                )
            self._mapping(top=True)
            event = self.next()  # document end
            event = self.next()
            if type(event).__name__ == "DocumentStartEvent":
                sheet.notes.append("the file holds more than one YAML document; only the first was read")
        except _Stop as stop:
            sheet.notes.append(f"{stop.note}; answers after that point were not read")
        return sheet

    def _mapping(self, top: bool) -> None:
        sheet = self.sheet
        while True:
            event = self.next()
            if type(event).__name__ == "MappingEndEvent":
                return
            line = _line(event)
            key = self.key(event)
            value = self.next()
            if key is None:
                self.skip(value)
                sheet.notes.append(f"line {line}: a key that is not plain text was ignored")
                continue
            if top and key == "answers":
                if type(value).__name__ == "MappingStartEvent":
                    self._mapping(top=False)
                elif type(value).__name__ == "ScalarEvent" and _scalar_text(value) is None:
                    pass  # "answers:" with nothing under it
                else:
                    self.skip(value)
                    sheet.notes.append(
                        f"line {line}: 'answers' must be a mapping of problem id to answer; it was not read"
                    )
                continue
            if top and key in HEADER_FIELDS:
                text = _scalar_text(value) if type(value).__name__ == "ScalarEvent" else None
                self.skip(value)
                # Shown in reports and matched against file names: control characters escaped.
                if key == "student" and text and text.strip():
                    sheet.student = _clip(text.strip(), 64)
                elif key == "quiz" and text and text.strip():
                    sheet.quiz = _clip(text.strip(), 80)
                continue
            text, issue = self.answer(value)
            if len(sheet.answers) < MAX_SHEET_ENTRIES:
                sheet.answers.append(RawAnswer(key, line, text, issue))
            else:
                sheet.dropped += 1


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _scalar_text(event: Any) -> str | None:
    """A scalar as typed: YAML's own spellings of null, NaN and infinity turned into plain words.

    Quoted scalars are always text. The raw text is kept (not YAML's number), so ``0.10`` stays
    ``0.10`` and the judge can count its significant figures.
    """
    value: str = event.value
    if not event.style:
        if value in _PLAIN_NULLS:
            return None
        special = _YAML_SPECIALS.get(value)
        if special is not None:
            return special
    elif not value.strip():
        return None
    return value


def read_answer_sheet(path: str | Path, max_bytes: int = SHEET_MAX_BYTES) -> AnswerSheet:
    """Read an answer sheet (YAML or JSON) without trusting anything in it.

    Raises:
        FileUnusable: Nothing could be read as answers (missing, too large, binary, not UTF-8,
            empty, not a mapping, or broken YAML before the first answer).
    """
    source = str(path)
    hint = " (raise the limit with --max-size MB)"
    text = read_text_file(path, max_bytes, "answer sheet", hint)
    # YAML refuses the whole file at the first control character; replacing each with U+FFFD
    # instead lets the judge report it on the one answer that holds it, and grade the rest.
    bad = _NOT_YAML_TEXT.search(text)
    replaced = 0
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        text, replaced = _NOT_YAML_TEXT.subn("\ufffd", text)
    sheet = _SheetReader(text, source).read()
    if replaced:
        sheet.notes.insert(
            0,
            f"{replaced} control character{'s' if replaced != 1 else ''} (the first on line {line}) "
            "replaced by U+FFFD; YAML does not allow them",
        )
    if not sheet.answers and sheet.notes:
        raise FileUnusable(f"{source}: no answers could be read: {sheet.notes[0]}")
    return sheet


# ---------------------------------------------------------------------------------------------
# Matching a sheet to a quiz


class Extra(NamedTuple):
    """An answer whose key is not a problem of the quiz it was graded against."""

    key: str
    line: int
    note: str


@dataclass
class _Matched:
    """A sheet's answers by problem position, and those that answer no problem of the quiz."""

    by_problem: dict[int, list[RawAnswer]]
    extras: list[Extra]
    extras_total: int
    owners: dict[str, int]


def _match(sheet: AnswerSheet, quiz: Quiz, id_owner: Mapping[str, str] | None = None) -> _Matched:
    """Assign each answer to a problem by id or number; list the rest with the reason."""
    from quizgen.core.problems import PROBLEM_ID

    index = quiz.index()
    n = len(quiz.problems)
    by_problem: dict[int, list[RawAnswer]] = {}
    extras: list[Extra] = []
    total = 0
    owners: dict[str, int] = {}
    for raw in sheet.answers:
        i = index.get(raw.key)
        if i is None and raw.key.isascii() and raw.key.isdigit() and 1 <= int(raw.key) <= n:
            i = int(raw.key) - 1
        if i is not None:
            by_problem.setdefault(i, []).append(raw)
            continue
        total += 1
        owner = id_owner.get(raw.key) if id_owner else None
        if owner is not None:
            owners[owner] = owners.get(owner, 0) + 1
            note = f"a problem of {owner}'s quiz, not of this one"
        elif PROBLEM_ID.match(raw.key):
            parts = raw.key.rsplit(".", 2)
            if parts[0] in quiz.templates:
                note = "a problem of another variant of this quiz (same template, another seed)"
            else:
                note = "a problem id that is not in this quiz"
        elif raw.key.isascii() and raw.key.isdigit():
            note = f"there is no problem {raw.key} (the quiz has {n})"
        else:
            note = "neither a problem id nor a problem number of this quiz"
        if len(extras) < MAX_LISTED_EXTRAS:
            extras.append(Extra(_clip(raw.key, 80), raw.line, note))
    return _Matched(by_problem, extras, total + sheet.dropped, owners)


def _clip(text: str, limit: int) -> str:
    """Text for a report line: control characters escaped, at most ``limit`` characters."""
    if len(text) <= limit and text.isprintable():
        return text
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Grading (possibly in forked workers)


class Item(NamedTuple):
    """The grade of one question.

    ``status`` is one of ``STATUSES``; ``points`` is 1 or 0, or None when the problem itself could
    not be graded (then it does not count in the total). ``given`` is the text as typed (clipped),
    ``given_value`` the value the judge read from it, ``correct`` the key as the reader accepts it.
    A named tuple, not a frozen dataclass: grading workers send back one per question, and a
    tuple crosses the process boundary about four times faster.
    """

    number: int
    id: str
    status: str
    points: int | None
    given: str | None
    given_value: str | None
    correct: str | None
    message: str
    misconception: str | None = None
    misconception_description: str | None = None
    steps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "id": self.id,
            "status": self.status,
            "points": self.points,
            "given": self.given,
            "given_value": self.given_value,
            "correct": self.correct,
            "message": self.message,
            "misconception": self.misconception,
            "misconception_description": self.misconception_description,
            "steps": list(self.steps),
            "notes": list(self.notes),
        }


@dataclass
class _Resolved:
    """How problems of one template are solved and checked (worked out once, before forking)."""

    family: str | None
    concept: Concept | None
    template: Template | None
    tolerance: Tolerance
    verify: bool
    problem: str | None = None


def _resolve_templates(quiz: Quiz, concepts: Sequence[Concept]) -> tuple[dict[str, _Resolved], list[str]]:
    from checkers import CHECKERS
    from quizgen.classroom.quiz import template_fingerprint
    from quizgen.generators import GENERATORS

    by_id = {c.id: c for c in concepts}
    resolved: dict[str, _Resolved] = {}
    notes: list[str] = []
    for key, info in quiz.templates.items():
        cid, _, tname = key.partition(".")
        concept = by_id.get(cid)
        template = next((t for t in concept.problems if t.name == tname), None) if concept else None
        recorded_tol = Tolerance(*info.tolerance) if info.tolerance and all(
            math.isfinite(v) and v >= 0 for v in info.tolerance
        ) else Tolerance()
        if template is not None and template.generator == info.family:
            same = (
                GENERATORS[template.generator].VERSION == info.version
                and template_fingerprint(template) == info.fingerprint
            )
            if not same:
                notes.append(
                    f"template {key} changed since the quiz was written (parameters, tolerance or generator "
                    "version); its problems are graded from the inputs in the quiz file, which cannot be "
                    "checked against their ids"
                )
            resolved[key] = _Resolved(
                family=template.generator,
                concept=concept,
                template=template,
                tolerance=template.tolerance,
                verify=same,
            )
            continue
        if info.family in CHECKERS:
            what = (
                f"now uses the {template.generator} generator, not {info.family}"
                if template is not None
                else "is not in the concept files any more"
            )
            notes.append(
                f"template {key} {what}; its problems are graded from the inputs in the quiz file, "
                "which cannot be checked against their ids"
            )
            resolved[key] = _Resolved(info.family, None, None, recorded_tol, False)
        else:
            resolved[key] = _Resolved(
                None, None, None, recorded_tol, False,
                problem=f"no checker for the family {info.family!r} of template {key}",
            )
    return resolved, notes


def _plain(value: Any) -> Any:
    """Tuples as lists, as JSON has them, for comparing drawn inputs with the file's."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _same_inputs(drawn: Any, written: Any) -> bool:
    return bool(drawn == written or _plain(drawn) == written)


def _solution(quiz: Quiz, p: QuizProblem, r: _Resolved, built: Problem | None) -> tuple[Any, list[str]]:
    """The key of a quiz problem, and notes about its inputs.

    ``built`` is the problem the id draws (``build_many``), when its template still matches the
    quiz file: the id is the truth, and inputs in the file that differ from it are noted. Else
    the problem is solved from the inputs written in the file.
    """
    from quizgen.core.problems import solve_problem, variant_seed

    notes: list[str] = []
    if variant_seed(quiz.effective_seed, p.number - 1) != p.seed:
        notes.append("its id's seed is not the one this quiz's seed and student give to this problem number")
    if built is not None:
        if not _same_inputs(built.inputs, p.inputs):
            notes.append(
                "the inputs in the quiz file differ from those its problem id draws (edited by hand?); "
                "graded against the problem the id names"
            )
        return built, notes
    if r.verify:
        notes.append("its id names another generator version than the quiz records; graded from the file's inputs")
    if not isinstance(p.inputs, dict):
        raise ValueError("the inputs in the quiz file are not a mapping")
    return solve_problem(r.family, p.inputs), notes  # type: ignore[arg-type]


def _grade_task(
    quiz: Quiz, p: QuizProblem, r: _Resolved, built: Problem | None, answers: Sequence[RawAnswer], steps: bool
) -> Item:
    if r.problem is not None:
        return Item(p.number, p.id, "not-graded", None, None, None, None, f"not graded: {r.problem}")
    try:
        solution, notes = _solution(quiz, p, r, built)
    except Exception as exc:  # inputs from a damaged quiz file can make a checker fail in any way
        return Item(
            p.number, p.id, "not-graded", None, None, None, None,
            f"not graded: the problem's inputs cannot be solved ({type(exc).__name__}: {_clip(str(exc), 120)})",
        )
    answer = solution.answer
    misconceptions = solution.misconceptions
    correct = format_value(answer.kind, answer.value)
    given: str | None = None
    given_value: str | None = None
    mis = None
    if not answers:
        status, message = "missing", "no answer"
    else:
        first = answers[0]
        if len(answers) > 1 and (len({a.text for a in answers}) > 1 or any(a.issue for a in answers)):
            lines = ", ".join(str(a.line) for a in answers[:5])
            status = "duplicate"
            message = (
                f"answered {len(answers)} times with different answers (lines {lines}); "
                "a problem answered more than once counts as wrong"
            )
            given = " | ".join(_clip(a.text or "", 60) for a in answers[:3])
        elif first.issue is not None:
            status, message = "unreadable", first.issue
        elif first.text is None:
            status, message = "missing", "left blank"
        else:
            given = _clip(first.text, 120)
            try:
                v = judge(answer, first.text, r.tolerance, misconceptions)
            except Exception as exc:  # the judge promises a verdict for any text; if not, grade on
                status, message = "unreadable", f"the judge could not read this answer ({type(exc).__name__})"
            else:
                status, message, mis = v.status, v.message, v.misconception
                if v.given is not None:
                    given_value = format_value(answer.kind, v.given)
            if len(answers) > 1:
                notes.append(f"answered {len(answers)} times, the same each time")
    step_lines: tuple[str, ...] = ()
    if steps and status != "right":
        step_lines = tuple(step_text(s) for s in solution.steps)
    return Item(  # positional: this runs once per question
        p.number,
        p.id,
        status,
        1 if status == "right" else 0,
        given,
        given_value,
        correct,
        message,
        mis.name if mis is not None else None,
        mis.description if mis is not None else None,
        step_lines,
        tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass
class Report:
    """The grade of one answer sheet against one quiz."""

    quiz: Quiz | None
    sheet: str | None
    student: str | None
    items: list[Item] = field(default_factory=list)
    extras: list[Extra] = field(default_factory=list)
    extras_total: int = 0
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def score(self) -> int:
        return sum(i.points or 0 for i in self.items)

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if i.points is not None)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for i in self.items:
            out[i.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        quiz = self.quiz
        return {
            "quiz": None
            if quiz is None
            else {
                "path": quiz.path,
                "title": quiz.title,
                "checksum": quiz.checksum,
                "checksum_ok": quiz.checksum_ok,
                "student": quiz.student,
                "problems": len(quiz.problems),
            },
            "sheet": self.sheet,
            "student": self.student,
            "error": self.error,
            "score": self.score,
            "total": self.total,
            "counts": self.counts(),
            "flags": self.flags,
            "notes": self.notes,
            "items": [i.to_json() for i in self.items],
            "extra_answers": [e._asdict() for e in self.extras],
            "extra_answers_total": self.extras_total,
        }


def _percent(score: int, total: int) -> str:
    return f"{100 * score / total:.1f}" if total else ""


_STATUS_STYLE = {
    "right": "green",
    "too-few-figures": "yellow",
    "wrong": "red",
    "unreadable": "red",
    "duplicate": "red",
    "missing": "red",
    "not-graded": "magenta",
}


def report_text(report: Report, color: bool = False) -> str:
    """The report for people: one block per question, then the totals and anything odd."""

    def style(text: str, status: str) -> str:
        return click.style(text, fg=_STATUS_STYLE.get(status), bold=True) if color else text

    quiz = report.quiz
    out: list[str] = []
    if quiz is not None:
        out.append(f"quiz     {quiz.path}  {quiz.title}  ({len(quiz.problems)} problems, {quiz.checksum[:19]})")
    out.append(f"answers  {report.sheet or '(none)'}" + (f"  student {report.student}" if report.student else ""))
    for flag in report.flags:
        out.append(style(f"FLAG     {flag}", "not-graded"))
    for note in report.notes:
        out.append(f"note     {note}")
    if report.error:
        out.append(style(f"not graded: {report.error}", "wrong"))
        return "\n".join(out) + "\n"
    out.append("")
    for item in report.items:
        out.append(f"{item.number:>3}. {style(item.status.upper(), item.status)}  {item.id}")
        if item.status == "right":
            out.append(f"     given {item.given}  ·  correct {item.correct}")
        else:
            if item.given is not None:
                read = f" (read as {item.given_value})" if item.given_value and item.given_value != item.given else ""
                out.append(f"     given    {item.given}{read}")
            if item.correct is not None:
                out.append(f"     correct  {item.correct}")
            out.append(f"     {item.message}")
            if item.misconception:
                out.append(f"     misconception: {item.misconception}")
        for note in item.notes:
            out.append(f"     note: {note}")
        if item.steps:
            out.append("     worked solution:")
            out.extend(f"       {s}" for s in item.steps)
    out.append("")
    if report.extras_total:
        out.append(f"answers not graded ({report.extras_total}): their keys are not problems of this quiz")
        for e in report.extras:
            out.append(f"  line {e.line}: {e.key} — {e.note}")
        if report.extras_total > len(report.extras):
            out.append(f"  … and {report.extras_total - len(report.extras)} more")
        out.append("")
    counts = report.counts()
    parts = [f"{k} {v}" for k, v in counts.items() if v or k in ("right", "wrong")]
    pct = _percent(report.score, report.total)
    out.append(f"score    {report.score}/{report.total}" + (f"  ({pct}%)" if pct else "") + "   " + ", ".join(parts))
    return "\n".join(out) + "\n"


def _csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _write_csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


def report_csv(report: Report) -> str:
    """One row per question."""
    rows: list[list[Any]] = [
        ["number", "id", "status", "points", "given", "given_value", "correct", "misconception", "message", "notes"]
    ]
    for i in report.items:
        rows.append(
            [i.number, i.id, i.status, i.points, i.given, i.given_value, i.correct, i.misconception, i.message, " | ".join(i.notes)]
        )
    return _write_csv(rows)


def gradebook_csv(reports: Sequence[Report]) -> str:
    """One row per submission (and per student without one): totals, flags and a column per question."""
    width = max((len(r.items) for r in reports), default=0)
    head = ["student", "name", "submission", "score", "total", "percent", *STATUSES, "extra_answers", "flags"]
    rows: list[list[Any]] = [head + [f"q{k}" for k in range(1, width + 1)]]
    for r in reports:
        counts = r.counts()
        name = r.quiz.student_name if r.quiz is not None else None
        flags = list(r.flags) + ([f"not graded: {r.error}"] if r.error else [])
        row = [
            r.student, name, r.sheet, r.score, r.total, _percent(r.score, r.total),
            *(counts[s] for s in STATUSES), r.extras_total, " | ".join(flags),
        ]
        row += [("" if i.points is None else i.points) for i in r.items] + [""] * (width - len(r.items))
        rows.append(row)
    return _write_csv(rows)


def class_text(reports: Sequence[Report], notes: Sequence[str], color: bool = False) -> str:
    """The class summary for people: one line per submission, flags underneath."""
    out = [f"{'student':<16} {'score':>9} {'%':>6}  submission"]
    for r in reports:
        score = f"{r.score}/{r.total}" if r.error is None else "-"
        line = f"{(r.student or '?'):<16} {score:>9} {_percent(r.score, r.total):>6}  {r.sheet or '(no submission)'}"
        out.append(line)
        for flag in r.flags:
            out.append("    " + (click.style(f"FLAG {flag}", fg="magenta", bold=True) if color else f"FLAG {flag}"))
        if r.error:
            out.append(f"    not graded: {r.error}")
        for note in r.notes:
            out.append(f"    note: {note}")
    for note in notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Putting it together


def _sheet_student(path: Path, sheet: AnswerSheet | None) -> tuple[str | None, str | None]:
    """The student a submission is for (the sheet's own field first), and a flag if the file name disagrees."""
    stem = path.name
    for suffix in (".yaml", ".yml", ".json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    for suffix in (".answers", ".quiz"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    named = sheet.student if sheet is not None else None
    if named and named != stem and stem:
        return named, f"the sheet names student {named}, its file name says {stem}; graded as {named}"
    return named or stem or None, None


def grade_sheets(
    pairs: Sequence[tuple[Quiz, AnswerSheet, Report]],
    concepts: Sequence[Concept],
    steps: bool = False,
    jobs: int = 0,
    id_owner: Mapping[str, str] | None = None,
    matched: Sequence[_Matched] | None = None,
) -> None:
    """Grade each (quiz, sheet) pair into its report, all problems of all pairs in one parallel run.

    ``matched``, if given, is each pair's sheet already matched to its quiz (``_match``).
    """
    from quizgen.core.problems import build_many

    resolved: dict[int, dict[str, _Resolved]] = {}
    resolved_notes: dict[int, list[str]] = {}
    # One task a question: (quiz, problem, its template's resolution, its answers, its build job).
    tasks: list[tuple[Quiz, QuizProblem, _Resolved, tuple[RawAnswer, ...], int | None]] = []
    jobs_: list[tuple[Concept, Template, int]] = []
    spans: list[tuple[int, int]] = []
    for quiz, sheet, report in pairs:
        if id(quiz) not in resolved:
            resolved[id(quiz)], resolved_notes[id(quiz)] = _resolve_templates(quiz, concepts)
        res = resolved[id(quiz)]
        match = _match(sheet, quiz, id_owner)
        report.extras, report.extras_total = match.extras, match.extras_total
        report.notes.extend(quiz.issues)
        report.notes.extend(resolved_notes[id(quiz)])
        report.notes.extend(sheet.notes)
        if sheet.quiz and sheet.quiz != quiz.checksum:
            report.notes.append(
                f"the answer sheet was made for the quiz {sheet.quiz[:19]}, not this one ({quiz.checksum[:19]})"
            )
        for owner, count in sorted(match.owners.items()):
            if owner != (quiz.student or ""):
                report.flags.append(f"{count} answer{'s' if count != 1 else ''} to problems of {owner}'s variant")
        start = len(tasks)
        for i, p in enumerate(quiz.problems):
            r = res[p.key]
            job = None
            if r.problem is None and r.verify and p.version == quiz.templates[p.key].version:
                job = len(jobs_)
                jobs_.append((r.concept, r.template, p.seed))  # type: ignore[arg-type]
            tasks.append((quiz, p, r, tuple(match.by_problem.get(i, ())), job))
        spans.append((start, len(tasks)))
    built = [problem for chunk in build_many(jobs_, jobs) for problem in chunk]
    items = [
        _grade_task(quiz, p, r, None if job is None else built[job], answers, steps)
        for quiz, p, r, answers, job in tasks
    ]
    for (_, _, report), (start, end) in zip(pairs, spans):
        report.items = items[start:end]


def grade_one(
    quiz_path: str | Path,
    sheet_path: str | Path,
    concepts: Sequence[Concept],
    steps: bool = False,
    jobs: int = 0,
    max_bytes: int = SHEET_MAX_BYTES,
) -> Report:
    """Grade one answer sheet against one quiz file (both unusable files raise ``FileUnusable``)."""
    quiz = read_quiz(quiz_path)
    sheet = read_answer_sheet(sheet_path, max_bytes)
    report = Report(quiz=quiz, sheet=str(sheet_path), student=sheet.student or quiz.student)
    if quiz.student and sheet.student and sheet.student != quiz.student:
        report.flags.append(f"the sheet names student {sheet.student}, but this is {quiz.student}'s quiz")
    grade_sheets([(quiz, sheet, report)], concepts, steps, jobs)
    return report


_SHEET_SUFFIXES = (".yaml", ".yml", ".json")


def _quiz_files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_file() and re.search(r"\.quiz\.(ya?ml|json)$", p.name))
    if not found:
        raise QuizgenError(f"{folder}: no quiz files (*.quiz.yaml); make them with `quizgen quiz TOPIC --for roster.csv -o {folder}`")
    return found


def _submission_files(target: Path) -> tuple[list[Path], list[str]]:
    if target.is_file():
        return [target], []
    files, notes = [], []
    for p in sorted(target.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.name.endswith(_SHEET_SUFFIXES):
            files.append(p)
        else:
            notes.append(f"{p}: ignored (answer sheets end in .yaml, .yml or .json)")
    return files, notes


def grade_class(
    quiz_target: str | Path,
    submissions: str | Path,
    concepts: Sequence[Concept],
    steps: bool = False,
    jobs: int = 0,
    max_bytes: int = SHEET_MAX_BYTES,
) -> tuple[list[Report], list[str]]:
    """Grade a folder of submissions (or one) against a folder of per-student quizzes (or one quiz).

    Each submission is graded against the quiz of the student it names (its ``student`` field,
    else its file name); a submission that answers problems of another student's quiz is flagged.
    Every student with a quiz but no submission gets a row with everything missing. An unusable
    submission gets a row with the reason; it does not stop the others.
    """
    quiz_target, submissions = Path(quiz_target), Path(submissions)
    notes: list[str] = []
    if quiz_target.is_dir():
        quizzes = [read_quiz(p) for p in _quiz_files(quiz_target)]
    else:
        quizzes = [read_quiz(quiz_target)]
    by_student: dict[str, Quiz] = {}
    by_checksum: dict[str, Quiz] = {q.checksum: q for q in quizzes}
    for q in quizzes:
        key = q.student or _sheet_student(Path(str(q.path)), None)[0] or str(q.path)
        if key in by_student:
            raise QuizgenError(f"{q.path}: a second quiz for student {key} (the other is {by_student[key].path})")
        by_student[key] = q
    single = quizzes[0] if len(quizzes) == 1 else None
    id_owner = {pid: (q.student or "?") for q in quizzes for pid in q.ids()} if len(quizzes) > 1 else {}
    files, skipped = _submission_files(submissions)
    notes.extend(skipped)
    pairs: list[tuple[Quiz, AnswerSheet, Report]] = []
    reports: list[Report] = []
    submitted: dict[str, list[Report]] = {}
    for path in files:
        try:
            sheet = read_answer_sheet(path, max_bytes)
        except FileUnusable as exc:
            student, _ = _sheet_student(path, None)
            report = Report(quiz=by_student.get(student or ""), sheet=str(path), student=student, error=str(exc))
            reports.append(report)
            submitted.setdefault(student or "", []).append(report)
            continue
        student, flag = _sheet_student(path, sheet)
        quiz = by_student.get(student or "") if single is None else single
        if quiz is None and sheet.quiz in by_checksum:
            quiz = by_checksum[sheet.quiz]
        report = Report(quiz=quiz, sheet=str(path), student=student)
        if flag:
            report.flags.append(flag)
        reports.append(report)
        submitted.setdefault(student or "", []).append(report)
        if quiz is None:
            report.error = f"no quiz for student {student!r} in {quiz_target}"
            continue
        if quiz.student and student and quiz.student != student:
            report.flags.append(f"graded against {quiz.student}'s quiz (the sheet names its checksum)")
        pairs.append((quiz, sheet, report))
    for student, rs in submitted.items():
        if len(rs) > 1:
            for r in rs:
                r.flags.append(f"{len(rs)} submissions for student {student}: " + ", ".join(str(x.sheet) for x in rs))
    if quiz_target.is_dir() and submissions.is_dir():
        for student, quiz in sorted(by_student.items()):
            if student not in submitted:
                report = Report(quiz=quiz, sheet=None, student=student)
                report.flags.append("no submission")
                reports.append(report)
                pairs.append((quiz, AnswerSheet(path=""), report))
    grade_sheets(pairs, concepts, steps, jobs, id_owner)
    reports.sort(key=lambda r: (r.student or "", r.sheet or ""))
    return reports, notes


# ---------------------------------------------------------------------------------------------
# The command


def _emit(target: str, text: str) -> None:
    from quizgen.core.files import write_text_atomic

    if target == "-":
        sys.stdout.write(text)
    else:
        write_text_atomic(Path(target), text)


@click.command("grade")
@click.argument("quiz", type=click.Path())
@click.argument("answers", type=click.Path())
@click.option("--steps", is_flag=True, help="Show the worked solution under every question not answered right.")
@click.option("--json", "json_out", default=None, metavar="PATH", help="Also write the grades as JSON to PATH ('-': stdout only).")
@click.option("--csv", "csv_out", default=None, metavar="PATH", help="Also write CSV to PATH ('-': stdout only): per question, or a gradebook for a class.")
@click.option(
    "--max-size",
    default=SHEET_MAX_BYTES // 2**20,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Largest answer sheet read, in MB.",
)
@click.option("--jobs", default=0, type=click.IntRange(0, 64), help="Processes to use (0: the cores, for large runs).")
@click.pass_context
@friendly
def grade_command(
    ctx: click.Context,
    quiz: str,
    answers: str,
    steps: bool,
    json_out: str | None,
    csv_out: str | None,
    max_size: int,
    jobs: int,
) -> None:
    """Grade ANSWERS (an answer sheet, or a folder of them) against QUIZ (a quiz file, or a folder
    of per-student quizzes).

    Every answer is recomputed from the quiz's inputs by the checker; answers written in any file
    are never trusted. Exit status 0 when grading happened, whatever the score; 2 when a file
    cannot be used.
    """
    from quizgen.core.concepts import load_concepts

    quiz_path, answers_path = Path(quiz), Path(answers)
    for p in (quiz_path, answers_path):
        if not p.exists():
            raise FileUnusable(f"{p}: no such file or directory")
    concepts = load_concepts(concept_dir(ctx))
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    to_stdout = "-" in (json_out, csv_out)
    if quiz_path.is_dir() or answers_path.is_dir():
        reports, notes = grade_class(quiz_path, answers_path, concepts, steps, jobs, max_size * 2**20)
        if json_out:
            payload = {"submissions": [r.to_json() for r in reports], "notes": notes}
            _emit(json_out, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        if csv_out:
            _emit(csv_out, gradebook_csv(reports))
        if not to_stdout:
            click.echo(class_text(reports, notes, color), nl=False)
            if csv_out:
                click.echo(f"gradebook: {csv_out}")
        return
    report = grade_one(quiz_path, answers_path, concepts, steps, jobs, max_size * 2**20)
    if json_out:
        _emit(json_out, json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n")
    if csv_out:
        _emit(csv_out, report_csv(report))
    if not to_stdout:
        sys.stdout.write(report_text(report, color))


__all__ = [
    "AnswerSheet",
    "Extra",
    "Item",
    "RawAnswer",
    "Report",
    "class_text",
    "grade_class",
    "grade_command",
    "grade_one",
    "grade_sheets",
    "gradebook_csv",
    "read_answer_sheet",
    "report_csv",
    "report_text",
]
