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

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizgen.classroom.quiz import Quiz, QuizProblem, read_quiz
from quizgen.classroom.report import Entries, Extra, QuestionGrade, Report, Scoring
from quizgen.classroom.sheets import SHEET_MAX_BYTES, AnswerSheet, RawAnswer, clip, read_answer_sheet, read_csv_sheets
from quizgen.classroom.submissions import (
    BY_FIELD,
    BY_NAME,
    as_known,
    identify,
    mentions,
    name_stem,
    one_per_student,
    quiz_files,
    read_submissions,
    submission_files,
)
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

# ---------------------------------------------------------------------------------------------
# Matching a sheet to a quiz


def _one_slip(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one slip of typing: a character left out, added, changed, or
    two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]
            or (len(a) == len(b) and a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]))


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
            slips = [k for k, p in enumerate(quiz.problems) if _one_slip(p.id, raw.key)]
            if len(slips) == 1:
                k = slips[0]
                note = (f"not an id of this quiz, but one character off problem {k + 1}'s ({quiz.problems[k].id}): "
                        f"a typing slip? It is not graded as problem {k + 1}")
            elif parts[0] in quiz.templates:
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


def quiz_templates(
    quiz: Quiz, concepts: Sequence[Concept], fingerprints: dict[str, tuple[str, str]] | None = None
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
        elif info.fingerprint not in _fingerprint(key, template, fingerprints):  # it hashes the generator and its version too
            why = f"its template {key} changed since the quiz was written (generator, parameters or tolerance)"
            was, now = _versions(quiz, key, template)
            if was is not None and was != now:
                why = (f"its template {key} draws version {now} in this quizgen and the quiz holds version {was}, "
                       "where the same seeds drew other problems (the quizgen release that wrote the quiz grades them)")
        else:
            found[key] = (concept, template)
            continue
        found[key] = why
        notes.append(f"template {key}: {why}; its problems are not graded (restore the template, or make a new quiz)")
    return found, notes


def _versions(quiz: Quiz, key: str, template: Template) -> tuple[int | None, int]:
    """The drawing version of the quiz's problems of a template (None if it has none) and today's."""
    from quizgen.core.problems import PROBLEM_ID, parse_problem_id, template_version

    parsed = (parse_problem_id(p.id) for p in quiz.problems if PROBLEM_ID.match(p.id))
    was = next((version for cid, tname, version, _ in parsed if f"{cid}.{tname}" == key), None)
    return was, template_version(template)


def _fingerprint(key: str, template: Template, cache: dict[str, tuple[str, str]] | None) -> tuple[str, str]:
    """A template's fingerprints, today's and the one a quiz written before may hold (an authored
    template's texts included), computed once per grading run (a class's quizzes share templates)."""
    from quizgen.classroom.quiz import template_fingerprint

    if cache is None or key not in cache:
        both = (template_fingerprint(template), template_fingerprint(template, texts=True))
        if cache is None:
            return both
        cache[key] = both
    return cache[key]


def _plain(value: Any) -> Any:
    """Tuples as lists, as JSON has them, for comparing drawn inputs with the file's."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def input_notes(quiz: Quiz, p: QuizProblem, built: Problem, then: str = "graded against the problem the id names") -> list[str]:
    """What does not match between a quiz problem as written and the problem its id draws
    (``then``: what is done about it)."""
    from quizgen.core.problems import drawn, variant_seed

    notes: list[str] = []
    if variant_seed(quiz.effective_seed, p.number - 1) != p.seed:
        notes.append("its id's seed is not the one this quiz's seed and student give to this problem number")
    # What was drawn is compared: the quiz file holds only that (files written before it held an
    # authored problem's whole inputs, with its template's texts: what those drew is compared).
    now = drawn(built.family, built.inputs)
    files = (p.inputs, drawn(built.family, p.inputs)) if isinstance(p.inputs, dict) else (p.inputs,)
    if not any(now == written or _plain(now) == written for written in files):
        notes.append(
            f"the inputs in the quiz file differ from those its problem id draws (edited by hand?); {then}"
        )
    return notes


def _grade_task(
    quiz: Quiz, p: QuizProblem, built: Problem | str, answers: Sequence[RawAnswer], steps: bool, scoring: Scoring
) -> QuestionGrade:
    """One question's grade: ``built`` is the problem its id draws, or why there is none."""
    if isinstance(built, str):
        return QuestionGrade(p.number, p.id, "not-graded", None, None, None, None, f"not graded: {built}")
    notes = input_notes(quiz, p, built)
    answer = built.answer
    correct = format_value(answer.kind, answer.value)
    given: str | None = None
    given_text: str | None = None  # the whole text judged (``given`` is clipped for the report)
    given_value: str | None = None
    mis = None
    verdict = None
    # A line left blank beside an answer to the same problem adds nothing: it is not a second answer.
    answers = [a for a in answers if a.text is not None or a.issue] or list(answers[:1])
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
            given, given_text = clip(first.text, 120), first.text
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
        step_lines = tuple(step_text(s, built.answer.kind) for s in built.steps)
    return QuestionGrade(  # positional: this runs once per question
        p.number,
        p.id,
        status,
        question_points(scoring, answer, given_text, built.tolerance, status, verdict),
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


def question_points(scoring: Scoring, answer: Any, text: str | None, tolerance: Any, status: str, verdict: Any) -> float:
    """A question's points under ``scoring``, from its verdict and, for a number, vector or
    matrix, its entries (``Scoring`` says why: the points are monotone in the entries)."""
    entries = _entries(answer, text, tolerance, status) if scoring.partial or scoring.rough else None
    return scoring.points(answer.kind, status, answer.value, verdict, entries)


def _entries(answer: Any, text: str | None, tolerance: Any, status: str) -> Entries | None:
    """``(exact, coarse, total)`` of a wrong or coarse number, vector or matrix of the key's size,
    entry by entry with the judge's own reading, tolerance and rounding test; else None."""
    if text is None or status not in ("wrong", "too-few-figures") or answer.kind not in ("number", "vector", "matrix"):
        return None
    if answer.kind == "number" and status == "too-few-figures":
        # Within the ± but nearer a named mistake's value than the key is too few figures to
        # tell, not exact: a rounding, as the verdict says.
        return (0, 1, 1)
    from quizgen.judge.reader import _read
    from quizgen.judge.verdict import _is_rounding

    try:
        given, figures = _read(text, answer.kind)
    except Exception:  # unreadable as the kind due: the verdict already says so
        return None
    if answer.kind == "number":
        keys, givens, figs = [[answer.value]], [[given]], [[figures]]
    elif answer.kind == "vector":
        keys, givens, figs = [answer.value], [given], [figures]
    else:
        keys, givens, figs = answer.value, given, figures
    if len(keys) != len(givens) or any(len(k) != len(g) for k, g in zip(keys, givens)):
        return None  # another size: no entry answers its own
    exact = coarse = total = 0
    for krow, grow, frow in zip(keys, givens, figs):
        for k, x, f in zip(krow, grow, frow):
            total += 1
            if tolerance.accepts(float(k), x):
                exact += 1
            elif _is_rounding(x, f, float(k)):
                coarse += 1
    return (exact, coarse, total) if total else None


# ---------------------------------------------------------------------------------------------
# Putting it together


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
    fingerprints: dict[str, tuple[str, str]] = {}
    # One task a question: (quiz, problem, its answers, its build job or why it has none).
    tasks: list[tuple[Quiz, QuizProblem, tuple[RawAnswer, ...], int | str]] = []
    jobs_: list[tuple[Concept, Template, int]] = []
    spans: list[tuple[int, int]] = []
    for quiz, sheet, report in pairs:
        if id(quiz) not in templates:
            templates[id(quiz)] = quiz_templates(quiz, concepts, fingerprints)
        found, notes = templates[id(quiz)]
        by_problem, report.extras, report.extras_total, owners = _match(sheet, quiz, id_owner)
        # What the gradebook must show (flags): a quiz file edited since it was written, a
        # sheet made for another quiz; the rest are notes.
        report.flags.extend(quiz.issues)
        report.notes.extend(notes)
        report.flags.extend(sheet.flags)
        report.notes.extend(sheet.notes)
        if sheet.quiz and sheet.quiz != quiz.checksum:
            report.flags.append(
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
    # Each question is judged where its problem is built: the judging shares the cores, and a
    # worker sends back a grade rather than a pickled problem.
    task_of = [k for k, task in enumerate(tasks) if not isinstance(task[3], str)]  # job index -> its task

    def grade(index: int, built: Problem | str) -> QuestionGrade:
        quiz, p, answers, _ = tasks[task_of[index]]
        return _grade_task(quiz, p, built, answers, steps, scoring)

    graded = [item for chunk in build_many(jobs_, jobs, keep_going=True, render=grade) for item in chunk]
    items = [
        _grade_task(quiz, p, job, answers, steps, scoring) if isinstance(job, str) else graded[job]
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
            raise FileUnusable(f"{sheet_path}: holds the answers of {len(sheets)} students; grade it against a folder of their "
                               "quizzes, or put it in a folder and grade that folder against this quiz")
        sheet = sheets[0]
    else:
        sheet = read_answer_sheet(sheet_path, max_bytes)
    report = Report(quiz=quiz, sheet=str(sheet_path), student=sheet.student or quiz.student)
    if quiz.student and sheet.student and sheet.student != quiz.student:
        report.flags.append(f"the sheet names student {sheet.student}, but this is {quiz.student}'s quiz")
    grade_sheets([(quiz, sheet, report)], concepts, steps, jobs, scoring=scoring)
    return report


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

    Each submission is graded against the quiz of the student ``identify`` finds; a submission
    that answers problems of another student's quiz is flagged. Every student with a quiz but no
    submission gets a row with everything missing. An unusable submission, or an unusable quiz
    file in a folder of quizzes, gets a row with the reason; it does not stop the others.

    Raises:
        FileUnusable: QUIZ is one quiz file and cannot be used, or no quiz file of the folder can.
    """
    quiz_target, submissions = Path(quiz_target), Path(submissions)
    notes: list[str] = []
    quizzes: list[Quiz] = []
    broken: dict[str, str] = {}  # student -> why their quiz file cannot be used
    if quiz_target.is_dir():
        from quizgen.classroom.filesets import JOURNAL

        interrupted = sorted(quiz_target.glob(f".*{JOURNAL}"))
        if interrupted:  # its files may be half one quiz and half another
            raise FileUnusable(f"{quiz_target}: a replacement of its quiz files was interrupted and not undone "
                               f"({interrupted[0].name}); run the same quizgen quiz command again, which undoes it "
                               "and writes the set whole, then grade")
        for p in quiz_files(quiz_target):
            try:
                quizzes.append(read_quiz(p))
            except FileUnusable as exc:
                broken[name_stem(p, (".quiz",))] = str(exc)
        if not quizzes:
            raise FileUnusable(next(iter(broken.values())))
    else:
        quizzes = [read_quiz(quiz_target)]
    by_student: dict[str, Quiz] = {}
    by_checksum: dict[str, Quiz] = {q.checksum: q for q in quizzes}
    for q in quizzes:
        if not q.student and not quiz_target.is_dir():
            continue  # one quiz for the whole class: its file name names no student
        key = q.student or name_stem(Path(str(q.path)), (".quiz",)) or str(q.path)
        if key in by_student or key in broken:
            other = by_student.pop(key).path if key in by_student else "another quiz file"
            broken[key] = f"{q.path}: a second quiz for student {key} (the other is {other}); keep one and grade again"
            continue
        by_student[key] = q
    known = {**broken, **by_student}
    single = None if quiz_target.is_dir() else quizzes[0]
    id_owner = {p.id: (q.student or "?") for q in quizzes for p in q.problems} if len(quizzes) > 1 else {}
    single_name = name_stem(Path(str(single.path)), (".quiz",)) if single is not None else None
    files, skipped = submission_files(submissions, quiz_target if quiz_target.is_dir() else None)
    notes.extend(skipped)
    found: dict[str, list[tuple[Report, AnswerSheet | None, int]]] = {}
    unnamed: list[Report] = []
    for path, sheet, problem in read_submissions(files, max_bytes):
        if sheet is None:
            if problem is None:
                notes.append(f"{path}: ignored (a quiz file, a gradebook or a grade report, not an answer sheet)")
                continue
            stem = as_known(name_stem(path, (".answers", ".quiz")) or None, known)
            report = Report(quiz=by_student.get(stem or "") or single, sheet=str(path), student=stem, error=problem,
                            stranger=stem not in known and single is None)
            found.setdefault(stem or "", []).append((report, None, BY_NAME))
            continue
        student, how, flag = identify(path, sheet, known, by_checksum, single_name)
        quiz = single or by_student.get(student or "")
        report = Report(quiz=quiz, sheet=str(path), student=student)
        if flag:
            report.flags.append(flag)
        if single is not None and how == BY_FIELD and not sheet.student and single_name and mentions(path.name, single_name):
            report.flags.append(
                f"the sheet names no student (its student: field is blank, and {path.name} is a copy of the quiz's "
                f"own answer sheet): graded under the name {student}; fill in student: and grade again"
            )
        if student is None:  # rows of a CSV without a student id
            lines = ", ".join(str(a.line) for a in sheet.answers[:5])
            report.error = f"{len(sheet.answers)} row(s) without a student id (line {lines}…)"
            report.stranger = True
            unnamed.append(report)
            continue
        if student in broken:
            report.error = f"their quiz file cannot be used: {broken[student]}"
        elif quiz is None:
            report.error = f"no quiz for student {student!r} in {quiz_target}"
            report.stranger = True
        found.setdefault(student, []).append((report, sheet, how))
    if single is not None and not found and not unnamed:
        # One quiz for the class and not one sheet: "0 of 0 handed in" would read as graded.
        why = ": " + "; ".join(notes[:3]) if notes else " (it is empty; sheets end in .yaml, .yml, .json or .csv)"
        raise FileUnusable(f"{submissions}: no answer sheets in this folder{why}")
    # One row per student (docs/grading.md: which submission is graded).
    reports: list[Report] = list(unnamed)
    pairs: list[tuple[Quiz, AnswerSheet, Report]] = []
    for student, candidates in found.items():
        if len(candidates) == 1 or not student:
            kept = candidates[0][0]
            reports.extend(r for r, _, _ in candidates[1:])
        else:
            kept, _ = one_per_student(student, candidates)
        reports.append(kept)
        sheet = next(s for r, s, _ in candidates if r is kept)
        if sheet is not None and not any(a.text is not None or a.issue for a in sheet.answers):
            kept.handed_in = False
            kept.flags.append("nothing typed in: counted as not handed in")
        if kept.error is None and kept.quiz is not None and sheet is not None:
            if kept.quiz.student and kept.student and kept.quiz.student != kept.student:
                kept.flags.append(f"graded against {kept.quiz.student}'s quiz")
            pairs.append((kept.quiz, sheet, kept))
    for student, why in sorted(broken.items()):
        if student not in found:
            reports.append(Report(quiz=None, sheet=None, student=student, error=f"their quiz file cannot be used: {why}",
                                  handed_in=False))
    # A folder of submissions, or a CSV typed in for the class: every student without a sheet is
    # a row (one sheet file is one student's, and says nothing about the others).
    if quiz_target.is_dir() and (submissions.is_dir() or submissions.name.lower().endswith(".csv")):
        for student, quiz in sorted(by_student.items()):
            if student not in found:
                report = Report(quiz=quiz, sheet=None, student=student, handed_in=False)
                report.flags.append("no submission")
                reports.append(report)
                pairs.append((quiz, AnswerSheet(path=""), report))
    grade_sheets(pairs, concepts, steps, jobs, id_owner, scoring)
    reports.sort(key=lambda r: (r.student or "", r.sheet or ""))
    return reports, notes
