"""A class's submissions: which files are answer sheets, whose each one is, and which one of a
student's several is graded (the rules are in docs/grading.md, "A class")."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from quizgen.classroom.quiz import Quiz
from quizgen.classroom.report import Report
from quizgen.classroom.sheets import AnswerSheet, NotASheet, read_answer_sheet, read_csv_sheets
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable

_SHEET_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


def name_stem(path: Path, kinds: tuple[str, ...]) -> str:
    """A file's name without its extensions (``.yaml``, ``.yml``, ``.json``), then without ``kinds``
    (``.quiz``): ``week3.quiz.yaml`` -> ``week3``."""
    stem = path.name
    for suffix in (*_SHEET_SUFFIXES, *kinds):
        if stem.lower().endswith(suffix):  # S002.YAML is s002's sheet too
            stem = stem[: -len(suffix)]
    return stem


def quiz_files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_file() and QUIZ_FILE.search(p.name))
    if not found:
        raise QuizgenError(f"{folder}: no quiz files (*.quiz.yaml); make them with `quizgen quiz TOPIC --for roster.csv -o {folder}`")
    return found


QUIZ_FILE = re.compile(r"\.quiz\.(ya?ml|json)$")
_OWN_FILES = re.compile(r"(\.worksheet\.(md|html)|\.key\.html|\.report\.txt|^class\.(worksheets|key)\.html)$")
"""Files quizgen writes beside answer sheets: never submissions, skipped without a note."""


def submission_files(target: Path, quiz_folder: Path | None = None) -> tuple[list[Path], list[str]]:
    """The answer-sheet files of a submissions folder (or the one file), and notes on what was skipped.

    The quiz files of ``quiz_folder`` are skipped when it is the same folder; elsewhere a file
    named ``*.quiz.yaml`` is read, and skipped only if it holds a quiz (a student may misname a
    sheet; ``read_submissions`` tells a quiz from a sheet by its contents).
    """
    if not target.is_dir():
        return [target], []  # one sheet: reading it refuses a pipe or a device
    files, notes = [], []
    inside = target.resolve()
    same = quiz_folder is not None and quiz_folder.resolve() == inside
    for p in sorted(target.iterdir()):
        if p.is_dir() and not p.name.startswith("."):
            notes.append(f"{p}: ignored (a folder; sheets are read from {target} itself, not from folders inside it: move them up)")
            continue
        if not p.is_file() and p.name.lower().endswith(_SHEET_SUFFIXES) and not p.name.startswith("."):
            notes.append(f"{p}: ignored (not a regular file: a pipe, a device or a broken link)")
            continue
        if not p.is_file() or _OWN_FILES.search(p.name) or (same and QUIZ_FILE.search(p.name)):
            continue
        if p.name.startswith("."):  # hidden: a system's file (.DS_Store), or a sheet hidden by mistake
            if p.name.lower().endswith(_SHEET_SUFFIXES):
                notes.append(f"{p}: ignored (a hidden file: its name starts with '.'; rename it to grade it)")
            continue
        if p.is_symlink() and not p.resolve().is_relative_to(inside):
            notes.append(f"{p}: ignored (a link to a file outside the folder)")
            continue
        if p.name.lower().endswith(_SHEET_SUFFIXES):
            files.append(p)
        else:
            notes.append(f"{p}: ignored (answer sheets end in .yaml, .yml, .json or .csv)")
    return files, notes


def read_submissions(files: Sequence[Path], max_bytes: int) -> Iterator[tuple[Path, AnswerSheet | None, str | None]]:
    """Each submission's sheet, or why it cannot be used; a CSV typed in from paper gives one
    sheet per student it holds. A file that is another of quizgen's files (a quiz file under
    another name, a gradebook) gives ``(path, None, None)``: it is not a submission."""
    for path in files:
        try:
            sheets = read_csv_sheets(path, max_bytes) if path.name.lower().endswith(".csv") else [read_answer_sheet(path, max_bytes)]
        except NotASheet:
            yield path, None, None
            continue
        except FileUnusable as exc:
            yield path, None, str(exc)
            continue
        except Exception as exc:  # a reader promises FileUnusable; if not, this file is one error row
            yield path, None, f"{path}: could not be read ({type(exc).__name__})"
            continue
        for sheet in sheets:
            yield path, sheet, None


def _mtime(path: str | None) -> float:
    try:
        return Path(path).stat().st_mtime if path else 0.0
    except OSError:
        return 0.0


SAME_TIME = 2.0
"""Seconds within which two submissions' file times count as equal (FAT keeps 2-second times;
a copy or a clone writes many files within a second): then which is newer is not guessed."""

BY_NAME, BY_QUIZ, BY_FIELD = 2, 1, 0
"""How a sheet's student was found, strongest first (see ``identify``)."""


def identify(
    path: Path, sheet: AnswerSheet, known: Mapping[str, Any], by_checksum: Mapping[str, Quiz], quiz_name: str | None = None
) -> tuple[str | None, int, str | None]:
    """The student a submission is graded as, how that was found, and a flag if the sheet disagrees.

    The rule (docs/grading.md): a sheet named for a student of the class (``s001.yaml``,
    ``s001.answers.yaml``, or an LMS download that keeps that name inside its own,
    ``Ann_11_s001.answers.yaml``) is that student's; else a sheet made for a student's quiz (its
    ``quiz`` checksum) is that student's; else its ``student`` field, else its file name, says.
    A ``student`` field that disagrees is flagged and never followed; so is, in a class of
    per-student quizzes, a file name that does not name the student found, and with one quiz for
    the class (``quiz_name``, its file's stem) one that names neither that student nor the quiz
    (``bob.yaml`` saying ``student: alice``). A CSV typed in from
    paper names each row's student in its own column; a CSV named for one student of the class
    (``s004.csv``) is that student's upload, and its rows for anyone else are only claims.
    """
    stem = as_known(name_stem(path, (".answers", ".quiz")) or None, known)
    if path.name.lower().endswith(".csv"):
        student = as_known(sheet.student, known)
        owner = stem if stem in known else _owner(path, known)
        if owner is not None and student != owner:
            return student, BY_FIELD, f"{path.name} is named for {owner}, but holds rows for {student}; graded as {student}'s, flagged"
        # A class's CSV typed in from paper names no one: its rows are claims, like a student field.
        return student, BY_NAME if owner is not None else BY_FIELD, None
    quiz = by_checksum.get(sheet.quiz or "")
    owner = stem if stem in known else _owner(path, known)
    if owner is not None:  # s001.answers.yaml, or an LMS download of it: Ann_11_s001.answers.yaml
        student, how, why = owner, BY_NAME, "its file name"
    elif quiz is not None and quiz.student:
        student, how, why = quiz.student, BY_QUIZ, "the quiz it was made for"
    else:
        student, how, why = as_known(sheet.student, known) or stem, BY_FIELD, "its student field"
    flag = None
    if sheet.student and as_known(sheet.student, known) != student:
        flag = f"the sheet says 'student: {sheet.student}'; graded as {student}'s, as {why} says"
    elif how != BY_NAME and student and student not in named_in(path.name, {**known, student: None}):
        # Per-student quizzes: quiz --for names each sheet for its student, and an LMS download
        # keeps that name inside its own; a sheet that names someone else is worth a look. With
        # one quiz, the blank sheet is named for the quiz (week3.answers.yaml), and so are copies.
        if known:
            flag = f"its file name ({path.name}) does not name {student}; graded as {student}'s, as {why} says"
        elif quiz_name and not mentions(path.name, quiz_name):
            flag = f"its file name ({path.name}) names neither {student} nor the quiz {quiz_name}; graded as {student}'s, as {why} says"
    return student, how, flag


def mentions(file_name: str, name: str) -> bool:
    """Whether ``file_name`` holds ``name`` as a word of its own, in any case: ``Jo Doe_88_s10.yaml``
    names s10 but not s1."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", file_name, re.IGNORECASE) is not None


def named_in(file_name: str, known: Mapping[str, Any]) -> list[str]:
    """The ids of ``known`` that a file name holds as words of their own, leaving out one that is
    part of a longer id it also holds (``Dash_5_s1-a.csv`` names s1-a, not s1) and an id of fewer
    than four digits (a number in ``week 3 paper.csv`` is no student's)."""
    lowered = file_name.casefold()
    found = [k for k in known if k.casefold() in lowered and not (k.isdigit() and len(k) < 4) and mentions(file_name, k)]
    return [k for k in found if not any(other != k and mentions(other, k) for other in found)]


def _owner(path: Path, known: Mapping[str, Any]) -> str | None:
    """The one student of the class whose id a file's name holds (an LMS download keeps the name
    ``s004.csv`` inside its own: ``Jo Doe_12_s004.csv``), or None for none or several."""
    named = named_in(path.name, known)
    return named[0] if len(named) == 1 else None


def as_known(student: str | None, known: Mapping[str, Any]) -> str | None:
    """``student`` as the class spells it when it differs only in case (a roster never holds two
    such ids: ``S002`` typed on paper is s002), else as it is."""
    if student is None or student in known:
        return student
    same = [k for k in known if k.casefold() == student.casefold()]
    return same[0] if len(same) == 1 else student


def _fill_key(sheet: AnswerSheet) -> tuple[tuple[str, str | None, str | None], ...]:
    """What a sheet answers, to tell two submissions with the same answers from two that differ."""
    return tuple(sorted((a.key, a.text, a.issue) for a in sheet.answers))


def _filled(sheet: AnswerSheet | None) -> bool:
    """Whether a sheet has something typed in (a blank ``quiz --for`` wrote has not)."""
    return sheet is not None and any(a.text is not None or a.issue for a in sheet.answers)


def one_per_student(student: str, found: list[tuple[Report, AnswerSheet | None, int]]) -> tuple[Report, list[Report]]:
    """Which of several submissions for one student is graded: ``(kept, the others)``.

    A sheet with answers beats a blank one, whatever names it; then sheets whose student comes
    from a stronger source win (file name over quiz checksum over student field); then the newest
    by file time, but only when it is newer by more than ``SAME_TIME``: with equal times and
    different answers the row is an error that names the files, never a guess. A sheet not graded
    that holds other answers is flagged on the row: the teacher must see what was passed over.
    """
    pool = [f for f in found if _filled(f[1])] or found
    best = max(how for _, _, how in pool)
    top = [f for f in pool if f[2] == best]
    top.sort(key=lambda f: (_mtime(f[0].sheet), f[0].sheet or ""))
    kept, kept_sheet = top[-1][0], top[-1][1]
    others = [r for r, _, _ in found if r is not kept]
    listed = ", ".join(str(r.sheet) for r in others)

    def same(rival: tuple[Report, AnswerSheet | None, int]) -> bool:
        return kept.error is None and rival[0].error is None and kept_sheet is not None and rival[1] is not None \
            and _fill_key(kept_sheet) == _fill_key(rival[1])

    if len(top) > 1:
        # Every sheet within SAME_TIME of the newest is a rival, not only the next newest.
        tied = [f for f in top[:-1] if _mtime(kept.sheet) - _mtime(f[0].sheet) <= SAME_TIME]
        if any(not same(rival) for rival in tied):
            kept.error = (
                f"{len(found)} submissions for student {student} ({kept.sheet}, {listed}), the newest of them "
                f"within {SAME_TIME:g} s of each other: which one is final cannot be told from the files; "
                "keep one and grade again"
            )
            return kept, others
    weaker = [r for r, sheet, how in pool if how < best]
    passed_over = [r for r, sheet, how in top[:-1] if _filled(sheet) and not same((r, sheet, how))]
    chosen = f"{len(found)} submissions for student {student}: graded {kept.sheet}; not graded: {listed}"
    if best == BY_FIELD and len({name_stem(Path(str(r.sheet)), (".answers",)).casefold() for r, _, _ in top}) > 1:
        # Only the sheets' student fields say whose they are, and their file names differ: one
        # of them may be another student's sheet; the gradebook must show it.
        kept.flags.append(chosen + " (only their student fields say whose they are)")
    elif passed_over:
        kept.flags.append(chosen + " (the newest is graded; " + ", ".join(str(r.sheet) for r in passed_over) + " holds other answers)")
    else:
        kept.notes.append(chosen)
    if weaker:
        kept.flags.append("another file claims to be this student's: " + ", ".join(str(r.sheet) for r in weaker) + "; not graded")
    unreadable = [r for r, sheet, _ in found if sheet is None and r is not kept]
    for r in unreadable:  # perhaps the final version: the teacher should know
        kept.flags.append(f"another submission of this student's cannot be read: {r.error}")
    return kept, others
