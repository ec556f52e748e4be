"""``quizgen grade``: grade answer sheets against a quiz, one learner or a whole class.

Nothing written in a file is trusted as an answer. Every key is recomputed: each problem id's
seed draws the problem again (``quizgen.core.problems.build_many``, the same path as ``quizgen
generate``), so a quiz file edited by hand, even one whose checksum was recomputed, is caught
problem by problem and graded against the problem its id names. A template that is gone or
changed since the quiz was written leaves its problems not graded (and says so).
Each typed answer goes through the one judge, ``quizgen.judge.judge``.

Answer sheets are read by ``quizgen.classroom.sheets``; reports are ``quizgen.classroom.report``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizgen.classroom.quiz import Quiz, QuizProblem, read_quiz
from quizgen.classroom.report import Extra, QuestionGrade, Report, Scoring
from quizgen.classroom.sheets import SHEET_MAX_BYTES, AnswerSheet, RawAnswer, clip, read_answer_sheet, read_csv_sheets
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable
from quizgen.core.render import step_text
from quizgen.judge import format_value, judge

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept, Template
    from quizgen.core.problems import Problem

EXACT = Scoring()
"""The default policy: 1 point for a right answer, 0 otherwise."""

MAX_LISTED_EXTRAS = 200
"""Most answers with unknown ids listed one by one in a report (all are counted)."""

_SHEET_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


# ---------------------------------------------------------------------------------------------
# Matching a sheet to a quiz


def _match(
    sheet: AnswerSheet, quiz: Quiz, id_owner: Mapping[str, str] | None = None
) -> tuple[dict[int, list[RawAnswer]], list[Extra], int, dict[str, int]]:
    """Assign each answer to a problem by id or number; list the rest with the reason.

    Returns the answers by problem position, the answers to no problem of the quiz (at most
    ``MAX_LISTED_EXTRAS``) and how many there are, and per student how many answer their variant.
    """
    from quizgen.core.problems import PROBLEM_ID

    index = {p.id: i for i, p in enumerate(quiz.problems)}  # problem id -> position (0-based)
    n = len(quiz.problems)
    by_problem: dict[int, list[RawAnswer]] = {}
    extras: list[Extra] = []
    total = 0
    owners: dict[str, int] = {}
    for raw in sheet.answers:
        i = index.get(raw.key)
        if i is None and raw.key.isascii() and raw.key.isdigit():
            # Leading zeros dropped; a number with more digits than n is past the end, and is never
            # converted (int() refuses text of over 4,300 digits).
            digits = raw.key.lstrip("0")
            if digits and len(digits) <= len(str(n)) and int(digits) <= n:
                i = int(digits) - 1
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
            note = f"there is no problem {clip(raw.key, 80)} (the quiz has {n})"
        else:
            note = "neither a problem id nor a problem number of this quiz"
        if len(extras) < MAX_LISTED_EXTRAS:
            extras.append(Extra(clip(raw.key, 80), raw.line, note))
    return by_problem, extras, total + sheet.dropped, owners


# ---------------------------------------------------------------------------------------------
# Grading


def _templates(
    quiz: Quiz, concepts: Sequence[Concept], fingerprints: dict[str, str] | None = None
) -> tuple[dict[str, tuple[Concept, Template] | str], list[str]]:
    """Each template of the quiz as today's concept files have it, or why its problems cannot be graded.

    The id is the truth: a problem is graded only as its id draws it with the concept files' own
    template and tolerance. A template that is gone, or changed since the quiz was written
    (generator, version, parameters or tolerance), no longer draws what the learner saw, so its
    problems are not graded; nothing recorded in the quiz file is used in their place.
    """
    by_id = {c.id: c for c in concepts}
    found: dict[str, tuple[Concept, Template] | str] = {}
    notes: list[str] = []
    for key, info in quiz.templates.items():
        cid, _, tname = key.partition(".")
        concept = by_id.get(cid)
        template = next((t for t in concept.templates if t.name == tname), None) if concept else None
        if concept is None or template is None:
            why = f"its template {key} is not in the concept files any more"
        elif _fingerprint(key, template, fingerprints) != info.fingerprint:  # it hashes the generator and its version too
            why = f"its template {key} changed since the quiz was written (generator, parameters or tolerance)"
        else:
            found[key] = (concept, template)
            continue
        found[key] = why
        notes.append(f"template {key}: {why}; its problems are not graded (restore the template, or make a new quiz)")
    return found, notes


def _fingerprint(key: str, template: Template, cache: dict[str, str] | None) -> str:
    """A template's fingerprint, computed once per grading run (a class's quizzes share templates)."""
    from quizgen.classroom.quiz import template_fingerprint

    if cache is None:
        return template_fingerprint(template)
    if key not in cache:
        cache[key] = template_fingerprint(template)
    return cache[key]


def _plain(value: Any) -> Any:
    """Tuples as lists, as JSON has them, for comparing drawn inputs with the file's."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _input_notes(quiz: Quiz, p: QuizProblem, built: Problem) -> list[str]:
    """What does not match between a quiz problem as written and the problem its id draws."""
    from quizgen.core.problems import variant_seed

    notes: list[str] = []
    if variant_seed(quiz.effective_seed, p.number - 1) != p.seed:
        notes.append("its id's seed is not the one this quiz's seed and student give to this problem number")
    if built.inputs != p.inputs and _plain(built.inputs) != p.inputs:
        notes.append(
            "the inputs in the quiz file differ from those its problem id draws (edited by hand?); "
            "graded against the problem the id names"
        )
    return notes


def _grade_task(
    quiz: Quiz, p: QuizProblem, built: Problem | str, answers: Sequence[RawAnswer], steps: bool, scoring: Scoring
) -> QuestionGrade:
    """One question's grade: ``built`` is the problem its id draws, or why there is none."""
    if isinstance(built, str):
        return QuestionGrade(p.number, p.id, "not-graded", None, None, None, None, f"not graded: {built}")
    notes = _input_notes(quiz, p, built)
    answer = built.answer
    correct = format_value(answer.kind, answer.value)
    given: str | None = None
    given_value: str | None = None
    mis = None
    verdict = None
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
            given = " | ".join(clip(a.text or "", 60) for a in answers[:3])
        elif first.issue is not None:
            status, message = "unreadable", first.issue
        elif first.text is None:
            status, message = "missing", "left blank"
        else:
            given = clip(first.text, 120)
            try:
                v = judge(answer, first.text, built.tolerance, built.misconceptions)
            except Exception as exc:  # the judge promises a verdict for any text; if not, grade on
                status, message = "unreadable", f"the judge could not read this answer ({type(exc).__name__})"
            else:
                verdict = v
                status, message, mis = v.status, v.message, v.misconception
                if v.given is not None:
                    given_value = format_value(answer.kind, v.given)
            if len(answers) > 1:
                notes.append(f"answered {len(answers)} times, the same each time")
    step_lines: tuple[str, ...] = ()
    if steps and status != "right":
        step_lines = tuple(step_text(s) for s in built.steps)
    return QuestionGrade(  # positional: this runs once per question
        p.number,
        p.id,
        status,
        scoring.points(answer.kind, status, answer.value, verdict),
        given,
        given_value,
        correct,
        message,
        mis.name if mis is not None else None,
        mis.description if mis is not None else None,
        step_lines,
        tuple(notes),
        tuple(m.name for m in verdict.also) if verdict is not None else (),
    )


# ---------------------------------------------------------------------------------------------
# Putting it together


def name_stem(path: Path, kinds: tuple[str, ...]) -> str:
    """A file's name without its extensions (``.yaml``, ``.yml``, ``.json``), then without ``kinds``
    (``.quiz``): ``week3.quiz.yaml`` -> ``week3``."""
    stem = path.name
    for suffix in (*_SHEET_SUFFIXES, *kinds):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem


def _sheet_student(path: Path, sheet: AnswerSheet | None) -> tuple[str | None, str | None]:
    """The student a submission is for (the sheet's own field first), and a flag if the file name disagrees."""
    stem = name_stem(path, (".answers", ".quiz"))
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
    scoring: Scoring = EXACT,
) -> None:
    """Grade each (quiz, sheet) pair into its report, all problems of all pairs in one parallel run.

    ``id_owner`` maps every problem id of a class to its student, to flag answers to another
    student's variant.
    """
    from quizgen.core.problems import build_many

    templates: dict[int, tuple[dict[str, tuple[Concept, Template] | str], list[str]]] = {}
    fingerprints: dict[str, str] = {}
    # One task a question: (quiz, problem, its answers, its build job or why it has none).
    tasks: list[tuple[Quiz, QuizProblem, tuple[RawAnswer, ...], int | str]] = []
    jobs_: list[tuple[Concept, Template, int]] = []
    spans: list[tuple[int, int]] = []
    for quiz, sheet, report in pairs:
        if id(quiz) not in templates:
            templates[id(quiz)] = _templates(quiz, concepts, fingerprints)
        found, notes = templates[id(quiz)]
        by_problem, report.extras, report.extras_total, owners = _match(sheet, quiz, id_owner)
        report.notes.extend(quiz.issues)
        report.notes.extend(notes)
        report.notes.extend(sheet.notes)
        if sheet.quiz and sheet.quiz != quiz.checksum:
            report.notes.append(
                f"the answer sheet was made for the quiz {sheet.quiz[:19]}, not this one ({quiz.checksum[:19]})"
            )
        for owner, count in sorted(owners.items()):
            report.flags.append(f"{count} answer{'s' if count != 1 else ''} to problems of {owner}'s variant")
        start = len(tasks)
        for i, p in enumerate(quiz.problems):
            template = found[p.key]
            job: int | str
            if isinstance(template, str):
                job = template
            elif p.version != quiz.templates[p.key].version:
                job = f"its id names generator version {p.version}, but the quiz records {quiz.templates[p.key].version}"
            else:
                job = len(jobs_)
                jobs_.append((*template, p.seed))
            tasks.append((quiz, p, tuple(by_problem.get(i, ())), job))
        spans.append((start, len(tasks)))
    built = [problem for chunk in build_many(jobs_, jobs, keep_going=True) for problem in chunk]
    items = [
        _grade_task(quiz, p, job if isinstance(job, str) else built[job], answers, steps, scoring)
        for quiz, p, answers, job in tasks
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
    scoring: Scoring = EXACT,
) -> Report:
    """Grade one answer sheet against one quiz file (both unusable files raise ``FileUnusable``)."""
    quiz = read_quiz(quiz_path)
    if str(sheet_path).lower().endswith(".csv"):
        sheets = read_csv_sheets(sheet_path, max_bytes)
        if len(sheets) != 1:
            raise FileUnusable(f"{sheet_path}: holds the answers of {len(sheets)} students; grade it against a folder of their quizzes")
        sheet = sheets[0]
    else:
        sheet = read_answer_sheet(sheet_path, max_bytes)
    report = Report(quiz=quiz, sheet=str(sheet_path), student=sheet.student or quiz.student)
    if quiz.student and sheet.student and sheet.student != quiz.student:
        report.flags.append(f"the sheet names student {sheet.student}, but this is {quiz.student}'s quiz")
    grade_sheets([(quiz, sheet, report)], concepts, steps, jobs, scoring=scoring)
    return report


def _quiz_files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_file() and re.search(r"\.quiz\.(ya?ml|json)$", p.name))
    if not found:
        raise QuizgenError(f"{folder}: no quiz files (*.quiz.yaml); make them with `quizgen quiz TOPIC --for roster.csv -o {folder}`")
    return found


def _submission_files(target: Path) -> tuple[list[Path], list[str]]:
    if not target.is_dir():
        return [target], []  # one sheet: reading it refuses a pipe or a device
    files, notes = [], []
    inside = target.resolve()
    for p in sorted(target.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.is_symlink() and not p.resolve().is_relative_to(inside):
            notes.append(f"{p}: ignored (a link to a file outside the folder)")
            continue
        if p.name.endswith(_SHEET_SUFFIXES):
            files.append(p)
        else:
            notes.append(f"{p}: ignored (answer sheets end in .yaml, .yml, .json or .csv)")
    return files, notes


def _read_submissions(files: Sequence[Path], max_bytes: int) -> Iterator[tuple[Path, AnswerSheet | None, str | None]]:
    """Each submission's sheet, or why it cannot be used; a CSV typed in from paper gives one
    sheet per student it holds."""
    for path in files:
        try:
            sheets = read_csv_sheets(path, max_bytes) if path.name.lower().endswith(".csv") else [read_answer_sheet(path, max_bytes)]
        except FileUnusable as exc:
            yield path, None, str(exc)
            continue
        for sheet in sheets:
            yield path, sheet, None


def _mtime(path: str | None) -> float:
    try:
        return Path(path).stat().st_mtime if path else 0.0
    except OSError:
        return 0.0


def grade_class(
    quiz_target: str | Path,
    submissions: str | Path,
    concepts: Sequence[Concept],
    steps: bool = False,
    jobs: int = 0,
    max_bytes: int = SHEET_MAX_BYTES,
    scoring: Scoring = EXACT,
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
    single = None if quiz_target.is_dir() else quizzes[0]
    id_owner = {p.id: (q.student or "?") for q in quizzes for p in q.problems} if len(quizzes) > 1 else {}
    files, skipped = _submission_files(submissions)
    notes.extend(skipped)
    pairs: list[tuple[Quiz, AnswerSheet, Report]] = []
    reports: list[Report] = []
    submitted: dict[str, list[Report]] = {}
    for path, sheet, problem in _read_submissions(files, max_bytes):
        if sheet is None:
            student, _ = _sheet_student(path, None)
            report = Report(quiz=by_student.get(student or ""), sheet=str(path), student=student, error=problem)
            reports.append(report)
            submitted.setdefault(student or "", []).append(report)
            continue
        student, flag = _sheet_student(path, sheet) if not path.name.lower().endswith(".csv") else (sheet.student, None)
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
    # One row per student: the newest submission (by file time, then name) is graded; the
    # others are named in a note on it, never graded into a second row.
    for student, rs in submitted.items():
        if len(rs) > 1 and student:
            rs.sort(key=lambda r: (_mtime(r.sheet), r.sheet or ""))
            kept, older = rs[-1], rs[:-1]
            dropped = {id(r) for r in older}
            reports[:] = [r for r in reports if id(r) not in dropped]
            pairs[:] = [p for p in pairs if id(p[2]) not in dropped]
            kept.notes.append(f"{len(rs)} submissions for student {student}: graded the newest; not graded: " + ", ".join(str(r.sheet) for r in older))
    if quiz_target.is_dir() and submissions.is_dir():
        for student, quiz in sorted(by_student.items()):
            if student not in submitted:
                report = Report(quiz=quiz, sheet=None, student=student)
                report.flags.append("no submission")
                reports.append(report)
                pairs.append((quiz, AnswerSheet(path=""), report))
    grade_sheets(pairs, concepts, steps, jobs, id_owner, scoring)
    reports.sort(key=lambda r: (r.student or "", r.sheet or ""))
    return reports, notes
