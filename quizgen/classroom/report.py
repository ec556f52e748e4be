"""Grades and their reports: one question, one sheet, a class; as text, JSON and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import click

from quizgen.classroom.quiz import Quiz
from quizgen.classroom.roster import WINDOWS_DEVICES as _WINDOWS_DEVICES
from quizgen.core.errors import show_char

STATUSES = ("right", "too-few-figures", "wrong", "unreadable", "duplicate", "missing", "not-graded")


class Extra(NamedTuple):
    """An answer whose key is not a problem of the quiz it was graded against."""

    key: str
    line: int
    note: str


Entries = tuple[int, int, int]
"""``(exact, coarse, total)``: how many entries of a number, vector or matrix answer of the key's
size are within tolerance, how many are the key's entry rounded to too few figures, and how many
there are (a number is one entry)."""


@dataclass(frozen=True)
class Scoring:
    """How a question's points follow from its verdict: the teacher's policy (docs/grading.md).

    Points are monotone: an answer each of whose entries is at least as good (exact, then
    rounded to too few figures, then wrong) never scores less. So they follow the entries, not
    the verdict's wording (a rounding that also equals a named mistake is still a rounding).

    By default a question scores 1 when right, ``rough`` when every entry is exact or rounded
    to too few figures, and 0 otherwise. ``partial`` gives a number, vector or matrix of the
    key's size ``(exact + rough × coarse) / total``, and a wrong shape the share of dimensions
    that match position by position (over the longer of the two).
    """

    partial: bool = False
    rough: float = 0.0

    def points(self, kind: str, status: str, key: Any, verdict: Any, entries: Entries | None = None) -> float:
        points = self._points(kind, status, key, verdict, entries)
        return int(points) if points == int(points) else points  # 0, not 0.0, in the CSV and JSON

    def _points(self, kind: str, status: str, key: Any, verdict: Any, entries: Entries | None) -> float:
        if status == "right":
            return 1
        if status not in ("wrong", "too-few-figures"):
            return 0
        if entries is not None:
            exact, coarse, total = entries
            if self.partial:
                return round((exact + self.rough * coarse) / total, 4)
            return self.rough if exact + coarse == total else 0
        if status == "too-few-figures":
            return self.rough
        if self.partial and kind in ("vector", "matrix") and verdict is not None and verdict.entries_total:
            return round(verdict.entries_right / verdict.entries_total, 4)  # without the entries: the exact ones
        given = verdict.given if verdict is not None else None
        if self.partial and kind == "shape" and isinstance(key, list) and isinstance(given, list) and (key or given):
            same = sum(1 for a, b in zip(key, given) if a == b)
            return round(same / max(len(key), len(given)), 4)
        return 0


def points_text(x: float) -> str:
    """Points for people: ``1``, ``0.75``, ``13.5``."""
    return f"{x:.4f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


class QuestionGrade(NamedTuple):
    """The grade of one question.

    ``status`` is one of ``STATUSES``; ``points`` is between 0 and 1 by the ``Scoring`` used (1 or
    0 by default), or None when the problem itself could not be graded (then it does not count in
    the total). ``given`` is the text as typed (clipped),
    ``given_value`` the value the judge read from it, ``correct`` the key as the reader accepts it.
    A named tuple, not a frozen dataclass: grading workers send back one per question, and a
    tuple crosses the process boundary about four times faster.
    """

    number: int
    id: str
    status: str
    points: float | None
    given: str | None
    given_value: str | None
    correct: str | None
    message: str
    misconception: str | None = None
    misconception_description: str | None = None
    steps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    """Other named mistakes that give the same value as ``misconception`` (the message names all)."""

    def to_json(self) -> dict[str, Any]:
        return {**self._asdict(), "steps": list(self.steps), "notes": list(self.notes), "also": list(self.also)}


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass
class Report:
    """The grade of one answer sheet against one quiz."""

    quiz: Quiz | None
    sheet: str | None
    student: str | None
    items: list[QuestionGrade] = field(default_factory=list)
    extras: list[Extra] = field(default_factory=list)
    extras_total: int = 0
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    error: str | None = None
    stranger: bool = False
    """A submission for no student of the class (no quiz has its student): not counted as handed in."""
    handed_in: bool = True
    """False for a student without a submission, or whose sheet has nothing typed in (the blank
    sheet ``quiz --for`` wrote): then the row does not count in what to re-teach."""

    @property
    def score(self) -> float:
        total = sum(i.points or 0 for i in self.items)
        return round(total, 4) if isinstance(total, float) else total

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
            "handed_in": self.handed_in,
            "score": self.score,
            "total": self.total,
            "counts": self.counts(),
            "flags": self.flags,
            "notes": self.notes,
            "items": [i.to_json() for i in self.items],
            "extra_answers": [e._asdict() for e in self.extras],
            "extra_answers_total": self.extras_total,
        }


def _percent(score: float, total: int) -> str:
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
        out.append(f"quiz     {_c(quiz.path)}  {_c(quiz.title)}  ({len(quiz.problems)} problems, {quiz.checksum[:19]})")
    out.append(f"answers  {_c(report.sheet or '(none)')}" + (f"  student {_c(report.student)}" if report.student else ""))
    for flag in report.flags:
        out.append(style(f"FLAG     {_c(flag)}", "not-graded"))
    for note in report.notes:
        out.append(f"note     {_c(note)}")
    if report.error:
        out.append(style(f"not graded: {_c(report.error)}", "wrong"))
        return "\n".join(out) + "\n"
    out.append("")
    for item in report.items:
        worth = "" if item.points is None else f"  ({points_text(item.points)} pt)"
        out.append(f"{item.number:>3}. {style(item.status.upper(), item.status)}  {_c(item.id)}{worth}")
        if item.status == "right":
            out.append(f"     given {_c(item.given)}  ·  correct {_c(item.correct)}")
        else:
            if item.given is not None:
                read = f" (read as {_c(item.given_value)})" if item.given_value and item.given_value != item.given else ""
                out.append(f"     given    {_c(item.given)}{read}")
            if item.correct is not None:
                out.append(f"     correct  {_c(item.correct)}")
            out.append(f"     {_c(item.message)}")
            if item.misconception:
                same = f" (the same value: {', '.join(map(_c, item.also))})" if item.also else ""
                out.append(f"     misconception: {_c(item.misconception)}{same}")
        for note in item.notes:
            out.append(f"     note: {_c(note)}")
        if item.steps:
            out.append("     worked solution:")
            out.extend(f"       {_c(s)}" for s in item.steps)
    out.append("")
    if report.extras_total:
        out.append(f"answers not graded ({report.extras_total}): their keys are not problems of this quiz")
        for e in report.extras:
            out.append(f"  line {e.line}: {_c(e.key)} — {_c(e.note)}")
        if report.extras_total > len(report.extras):
            out.append(f"  … and {report.extras_total - len(report.extras)} more")
        out.append("")
    counts = report.counts()
    parts = [f"{k} {v}" for k, v in counts.items() if v or k in ("right", "wrong")]
    pct = _percent(report.score, report.total)
    out.append(f"score    {points_text(report.score)}/{report.total}" + (f"  ({pct}%)" if pct else "") + "   " + ", ".join(parts))
    return "\n".join(out) + "\n"


def _c(value: Any) -> str:
    """Text from a file, safe to print: control characters (a terminal's escape sequences, a
    carriage return, a newline inside a value) are shown escaped, never sent as they are."""
    text = str(value)
    if text.isprintable():  # nearly always: nothing to escape
        return text
    return "".join(c if c.isprintable() or c == " " else show_char(c) for c in text)


def _csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ would start a formula;
    control characters are escaped as in the text report."""
    text = "" if value is None else _c(value)
    if text[:1] in ("=", "+", "-", "@") and not _NUMBER.match(text):
        return "'" + text
    return text


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")


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


def class_summary(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """What to re-teach: per template, how many of its graded questions were right, and each named
    mistake with how many students made it (an answer that matches several mistakes counts for
    each); the least often right first. Only sheets handed in count: a student without a
    submission is not a wrong answer."""
    per: dict[str, dict[str, Any]] = {}
    for r in reports:
        if not r.handed_in:  # says nothing about what the class understood
            continue
        for item in r.items:
            if item.points is None:
                continue
            key = item.id.rsplit(".", 2)[0]
            row = per.setdefault(key, {"template": key, "questions": 0, "right": 0, "points": 0.0, "mistakes": {}})
            row["questions"] += 1
            row["right"] += item.status == "right"
            row["points"] += item.points
            for name in (item.misconception, *item.also) if item.misconception else ():
                row["mistakes"].setdefault(name, set()).add(r.student or r.sheet or "?")
    out = []
    for row in per.values():
        mistakes = sorted(((name, len(who)) for name, who in row["mistakes"].items()), key=lambda m: (-m[1], m[0]))
        out.append({**row, "points": round(row["points"], 4), "share_right": row["right"] / row["questions"],
                    "mistakes": [{"name": n, "students": k} for n, k in mistakes]})
    return sorted(out, key=lambda row: (row["share_right"], row["template"]))


def handed_in(reports: Sequence[Report]) -> tuple[int, int, list[str]]:
    """How many students of the class handed in, how many students there are, and who did not
    (a submission for no student of the class is in neither count)."""
    students = [r for r in reports if not r.stranger]
    missing = [r.student or "?" for r in students if not r.handed_in]
    return len(students) - len(missing), len(students), missing


def class_text(reports: Sequence[Report], notes: Sequence[str], color: bool = False) -> str:
    """The class summary for people: how many handed in and who did not, one line per
    submission, flags underneath, then what to re-teach (per template, over the sheets handed
    in: the share right and the named mistakes made)."""
    done, total, missing = handed_in(reports)
    strangers = sum(r.stranger for r in reports)
    out = [f"{done} of {total} handed in" + (f"; missing: {', '.join(_c(m) for m in missing)}" if missing else "")
           + (f"; {strangers} submission(s) for no student of the class" if strangers else ""), ""]
    out.append(f"{'student':<16} {'score':>9} {'%':>6}  submission")
    for r in reports:
        score = f"{points_text(r.score)}/{r.total}" if r.error is None else "-"
        line = f"{_c(r.student or '?'):<16} {score:>9} {_percent(r.score, r.total):>6}  {_c(r.sheet or '(no submission)')}"
        out.append(line)
        for flag in r.flags:
            out.append("    " + (click.style(f"FLAG {_c(flag)}", fg="magenta", bold=True) if color else f"FLAG {_c(flag)}"))
        if r.error:
            out.append(f"    not graded: {_c(r.error)}")
        for note in r.notes:
            out.append(f"    note: {_c(note)}")
    for note in notes:
        out.append(f"note: {_c(note)}")
    summary = class_summary(reports)
    if summary:
        # The sheets the shares are over: handed in and graded (an unusable sheet or quiz file is neither).
        graded = sum(r.handed_in and any(i.points is not None for i in r.items) for r in reports)
        out += ["", f"what to re-teach (over the {graded} sheet{'s' if graded != 1 else ''} handed in and graded, per "
                "template, least often right first; named mistakes by how many students made them)"]
        for row in summary:
            out.append(f"  {100 * row['share_right']:>3.0f}% right ({row['right']}/{row['questions']})  {_c(row['template'])}")
            if row["mistakes"]:
                made = " · ".join(f"{_c(m['name'])}: {m['students']} student{'s' if m['students'] != 1 else ''}" for m in row["mistakes"])
                out.append(f"        {made}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# One report file per student

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


def report_file_names(reports: Sequence[Report]) -> list[str]:
    """A file name for each report, ``<student>.report.txt``, safe whatever the student id says.

    An id from a sheet or a CSV is never a path: one that is not a plain student id (letters,
    digits, ``.``, ``_``, ``-``; no ``..``, no final ``.``; not a Windows device name) is written as its safe
    characters, ``~`` and a hash of the id. Names are unique even on a file system that ignores
    case: a repeat gets ``~2``, ``~3`` (``~`` is never in a student id, so no such name is one).
    """
    import hashlib

    names: list[str] = [""] * len(reports)
    used: set[str] = set()
    # The class's students choose first, so a stranger whose id differs from a student's only in
    # case (S001 beside s001) never takes that student's plain file name.
    for i in sorted(range(len(reports)), key=lambda i: reports[i].stranger):
        r = reports[i]
        sid = r.student or ""
        if _SAFE_NAME.match(sid) and not sid.endswith(".") and ".." not in sid and sid.split(".")[0].lower() not in _WINDOWS_DEVICES:
            base = sid
        else:
            digest = hashlib.blake2b(sid.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
            base = (re.sub(r"[^A-Za-z0-9_-]+", "_", sid).strip("_-")[:40] or "unnamed") + "~" + digest
        name, k = base, 1
        while name.casefold() in used:
            k += 1
            name = f"{base}~{k}"
        used.add(name.casefold())
        names[i] = name + ".report.txt"
    return names


def write_reports(reports: Sequence[Report], folder: Path) -> tuple[int, list[str]]:
    """Write each report to ``folder`` (made if missing), only inside it: how many were written,
    and why any could not be (each failure stops no other report).

    Raises:
        QuizgenError: The folder cannot be made or is not a folder (before anything is written).
    """
    from quizgen.core.errors import QuizgenError
    from quizgen.core.files import write_text_atomic

    prepare_folder(folder)
    written, failed = 0, []
    for r, name in zip(reports, report_file_names(reports)):
        if (folder / name).is_symlink():  # it would write wherever the link leads
            failed.append(f"{folder / name}: is a link; a report is written only as a file in {folder}")
            continue
        try:
            write_text_atomic(folder / name, report_text(r))
        except QuizgenError as exc:
            failed.append(str(exc))
            continue
        written += 1
    return written, failed


def prepare_folder(folder: Path) -> None:
    """Make ``folder`` if missing; a clear error if it cannot be a folder (``afile/r``)."""
    from quizgen.core.errors import QuizgenError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise QuizgenError(f"{folder}: exists and is not a folder; --reports names a folder") from None
    except OSError as exc:
        raise QuizgenError(f"{folder}: cannot make the reports folder: {exc.strerror or exc}") from None
