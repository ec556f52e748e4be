"""Answer sheets: what a learner hands in, read as hostile input.

Before any parser sees a file its size is checked (it is not even read past the limit), then
binary data and the encoding; the YAML is read from libyaml's event stream by a loop that never
expands an alias, never constructs a tagged object, stops at a nesting depth where libyaml would
slow down, and caps how much any one answer may hold. A problem in one answer (an alias, a
mapping where text is due, a duplicate id) is reported on that answer and the rest is read; a
syntax error part-way stops the reading there, and the answers before it are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from quizgen.classroom.quiz import MAX_PROBLEMS
from quizgen.core.files import MAX_YAML_DEPTH, FileUnusable, column_name, csv_rows, read_text_file, yaml_problem

SHEET_MAX_BYTES = 20 * 2**20
"""Default size limit of an answer sheet (100,000 answers take about 6 MB)."""

MAX_VALUE_SCALARS = 1000
"""Most numbers one answer written as a YAML list may hold (the judge reads at most 400)."""

MAX_ANSWER_DEPTH = 4
"""Deepest YAML list nesting accepted inside one answer (a matrix needs 2)."""

MAX_SHEET_ENTRIES = MAX_PROBLEMS + 100_000
"""Most answers kept from one sheet; beyond that they are only counted."""


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
        flags: Problems that lose answers, which the gradebook must show (a syntax error
            part-way, a second document, an ``answers`` that is not a mapping).
        notes: Other problems with the file as a whole (a control character replaced).
    """

    path: str
    student: str | None = None
    quiz: str | None = None
    answers: list[RawAnswer] = field(default_factory=list)
    dropped: int = 0
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class NotASheet(FileUnusable):
    """The file is another of quizgen's files (a quiz file, a gradebook), not an answer sheet."""


GRADES_HEADERS: dict[tuple[str, ...], str] = {
    ("student", "name", "submission", "score"): "a gradebook", ("number", "id", "status", "points"): "one sheet's grades"}
"""The first columns of what ``grade --csv`` writes (a class's gradebook, one sheet's grades)."""


class GradesFile(NotASheet):
    """The file is what grading writes (a gradebook, a grade report): grading again may replace it."""


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
_NOT_PLAIN = re.compile(r"[\"'#&*!{}]")
"""What makes YAML read a bracketed list otherwise than as typed: quotes, comments, anchors,
aliases, tags and mappings."""
_NOT_YAML_TEXT = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
"""Characters YAML does not allow anywhere in a file (the same set as PyYAML's reader)."""


class _SheetReader:
    """Walks libyaml's events of an answer sheet; see the module docstring for the rules."""

    def __init__(self, text: str, source: str):
        import yaml

        self._yaml = yaml
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self._events = iter(yaml.parse(text, Loader=loader))
        self.text = text
        self.source = source
        self.depth = 0
        self._end = 0  # where the last list read ended, in characters of text
        self.sheet = AnswerSheet(path=source)
        self.answers_seen = False

    # -- events --------------------------------------------------------------------------

    def next(self) -> Any:
        try:
            event = next(self._events)
        except StopIteration:
            raise _Stop("the file ends in the middle of its YAML") from None
        except self._yaml.YAMLError as exc:
            raise _Stop(f"not valid YAML at {yaml_problem(exc, self.text)}") from None
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

    def refused(self, event: Any) -> str | None:
        """Why the node ``event`` starts is not read (an alias, a tag; the node is skipped), or None."""
        if type(event).__name__ == "AliasEvent":
            return f"a YAML alias (*{event.anchor}) is not read; write the answer itself"
        if getattr(event, "tag", None) not in _CORE_TAGS:
            self.skip(event)
            return f"the YAML tag {event.tag} is not read; write the answer as plain text"
        return None

    def answer(self, event: Any) -> tuple[str | None, str | None]:
        """The answer text of the node ``event`` starts, or the reason it has none."""
        name = type(event).__name__
        refused = self.refused(event)
        if refused is not None:
            return None, refused
        if name == "ScalarEvent":
            return _scalar_text(event), None
        if name == "MappingStartEvent":
            self.skip(event)
            return None, (
                "a mapping (key: value pairs) where an answer is due; "
                "write the answer in quotes, e.g. '[[1, 2], [3, 4]]'"
            )
        budget = [MAX_VALUE_SCALARS]
        several: list[str] = []
        text, issue = self._sequence(budget, 1, several)
        if issue:
            return None, issue
        # A list written in brackets on the sheet ([0.5 -1 2], [1 2; 3 4]) goes to the judge as
        # typed, its line breaks folded into spaces as YAML folds them, unless quotes, comments,
        # anchors or tags are inside it (then YAML's reading of it is the one to go by).
        raw = self.text[event.start_mark.index : self._end]
        if event.flow_style and raw.startswith("[") and raw.endswith("]") and not _NOT_PLAIN.search(raw):
            return " ".join(part.strip() for part in raw.splitlines()), None
        if several:
            return None, (
                f"an entry of the list holds several numbers ({clip(several[0], 40)!r}); "
                "write one number per entry, or the whole answer in quotes, e.g. '[0.5, -1, 2]'"
            )
        return text, None

    def _sequence(self, budget: list[int], level: int, several: list[str]) -> tuple[str, str | None]:
        """A YAML list as the judge's bracket notation (the start event is already consumed);
        an entry with its own separators ("1 2") is noted in ``several``."""
        parts: list[str] = []
        issue: str | None = None
        while True:
            event = self.next()
            name = type(event).__name__
            if name == "SequenceEndEvent":
                self._end = event.end_mark.index
                return "[" + ", ".join(parts) + "]", issue
            if issue is not None:
                self.skip(event)
                continue
            if name == "MappingStartEvent":
                self.skip(event)
                issue = "a mapping inside a list where a number is due"
                continue
            issue = self.refused(event)
            if issue is not None:
                continue
            if name == "ScalarEvent":
                budget[0] -= 1
                if budget[0] < 0:
                    issue = f"more than {MAX_VALUE_SCALARS} numbers in one answer"
                    continue
                text = _scalar_text(event) or ""
                if _SEPARATORS.search(text):
                    several.append(text)
                parts.append(text)
            else:  # a list
                if level >= MAX_ANSWER_DEPTH:
                    self.skip(event)
                    issue = f"lists nested more than {MAX_ANSWER_DEPTH} deep in one answer"
                    continue
                inner, inner_issue = self._sequence(budget, level + 1, several)
                issue = inner_issue
                parts.append(inner)

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
                sheet.flags.append("the file holds more than one YAML document; only the first was read")
        except _Stop as stop:
            sheet.flags.append(f"{stop.note}; answers after that point were not read")
        return sheet

    def _mapping(self, top: bool) -> None:
        sheet = self.sheet
        while True:
            event = self.next()
            if type(event).__name__ == "MappingEndEvent":
                return
            line = _line(event)
            if type(event).__name__ != "ScalarEvent":  # a key that is not a plain value
                self.skip(event)
                self.skip(self.next())
                sheet.notes.append(f"line {line}: a key that is not plain text was ignored")
                continue
            key = event.value.strip()
            value = self.next()
            if top and key == "answers":
                if self.answers_seen:
                    sheet.notes.append(f"line {line}: a second 'answers:'; the answers under both are read")
                self.answers_seen = True
                if type(value).__name__ == "MappingStartEvent":
                    self._mapping(top=False)
                elif type(value).__name__ == "ScalarEvent" and _scalar_text(value) is None:
                    pass  # "answers:" with nothing under it
                else:
                    self.skip(value)
                    sheet.flags.append(
                        f"line {line}: 'answers' must be a mapping of problem id to answer; it was not read"
                    )
                continue
            if top and key in HEADER_FIELDS:
                text = _scalar_text(value) if type(value).__name__ == "ScalarEvent" else None
                self.skip(value)
                # Shown in reports and matched against file names: control characters escaped.
                if key == "quizgen" and text == "quiz":
                    raise NotASheet(f"{self.source}: is a quiz file ('quizgen: quiz'), not an answer sheet")
                if key == "quizgen" and text == "grades":
                    raise GradesFile(f"{self.source}: is a grade report (quizgen grade --json), not an answer sheet")
                if key in ("student", "quiz") and text and text.strip():
                    value = clip(text.strip(), 64 if key == "student" else 80)
                    before = getattr(sheet, key)
                    if before is not None and before != value:  # whose it is, or for which quiz, cannot be told
                        raise FileUnusable(f"{self.source}: line {line}: a second '{key}:' ({value!r}; the first says "
                                           f"{before!r}); keep one and hand the sheet in again")
                    setattr(sheet, key, value)
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
    if not sheet.answers and (sheet.flags or sheet.notes):
        raise FileUnusable(f"{source}: no answers could be read: {(sheet.flags + sheet.notes)[0]}")
    return sheet


def clip(text: str, limit: int) -> str:
    """Text for a report line: control characters escaped, at most ``limit`` characters."""
    if len(text) <= limit and text.isprintable():
        return text
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Answers typed in from paper: one CSV for a whole class

_CSV_COLUMNS = {
    "student": ("student", "id", "student_id", "sid"),
    "problem": ("problem", "number", "question", "q", "id_or_number"),
    "answer": ("answer", "value", "given"),
}


def read_csv_sheets(path: str | Path, max_bytes: int = SHEET_MAX_BYTES) -> list[AnswerSheet]:
    """Answers typed in from paper: a CSV with a header row naming a ``student`` column, a
    ``problem`` column (the problem's number on the worksheet, or its id) and an ``answer``
    column; one sheet per student, in the order students first appear.

    Any line ending is read (``\\r\\n``, ``\\n``, and the old Mac ``\\r``), and a cell of any size
    (the file's own size is the limit; the judge reports an answer too long to read). A row
    without a student is kept under the student ``None`` (the grader reports it).

    Raises:
        FileUnusable: Not a CSV of answers (the message names the missing column), or not CSV.
    """
    import csv

    text = read_text_file(path, max_bytes, "answer sheet")
    rows = csv_rows(text)  # ',' or ';' or a tab; a CR-only file and breaks inside quoted cells read
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, max_bytes + 1))  # the default (128 KB) would refuse the whole file
    sheets: dict[str | None, AnswerSheet] = {}  # by the student id without case
    line = 1
    try:
        # Blank lines above the header are skipped, as in a roster.
        header = [column_name(h) for h in next((row for row in rows if any(cell.strip() for cell in row)), [])]
        if tuple(header[:4]) in GRADES_HEADERS:
            raise GradesFile(f"{path}: is {GRADES_HEADERS[tuple(header[:4])]} (quizgen grade --csv), not an answer sheet")
        where: dict[str, int] = {}
        for name, aliases in _CSV_COLUMNS.items():
            found = next((header.index(a) for a in aliases if a in header), None)
            if found is None:
                shown = clip(", ".join(header), 200) or "none"
                raise FileUnusable(
                    f"{path}: line {rows.line_num}: a CSV answer sheet needs a header with a {name} column "
                    f"({', '.join(aliases)}); found {shown}"
                )
            where[name] = found
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            while len(row) > len(header) and not row[-1].strip():
                row = row[:-1]  # empty cells a spreadsheet leaves after the last column
            cells = [row[where[k]].strip() if where[k] < len(row) else "" for k in ("student", "problem", "answer")]
            student, problem, answer = cells
            issue = None
            if len(row) > len(header) and where["answer"] == len(header) - 1:
                # An answer holding the separator, unquoted (2 -2; -1 1 in a ';' file): it is the
                # last column, so the cells after it are the rest of it.
                answer = rows.dialect.delimiter.join(row[where["answer"]:]).strip()
            elif len(row) > len(header):
                answer, issue = "", (f"line {line}: the row has {len(row)} cells and the header {len(header)}, so its answer "
                                     f"cannot be told; write an answer holding '{rows.dialect.delimiter}' in quotes")
            # S002 and s002 typed in from paper are one student (ids are told apart without case).
            key = student.casefold() or None
            sheet = sheets.get(key)
            if sheet is None:
                sheet = sheets[key] = AnswerSheet(path=str(path), student=student or None)
            if len(sheet.answers) >= MAX_SHEET_ENTRIES:
                sheet.dropped += 1
                continue
            sheet.answers.append(RawAnswer(problem, line, answer or None, issue))
    except csv.Error as exc:
        if not sheets:
            raise FileUnusable(f"{path}: line {rows.line_num}: not valid CSV: {exc}") from None
        for sheet in sheets.values():
            sheet.flags.append(f"line {rows.line_num}: not valid CSV ({exc}); rows after that point were not read")
    finally:
        csv.field_size_limit(limit)
    return list(sheets.values())
