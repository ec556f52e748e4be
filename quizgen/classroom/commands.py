"""``quizgen quiz`` and ``quizgen grade``: the classroom's command line and the files it writes."""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from quizgen.classroom.filesets import Keep, locked, recover, replace_together
from quizgen.classroom.grade import grade_class, grade_one, name_stem
from quizgen.classroom.quiz import MAX_PROBLEMS, Quiz, build_quiz
from quizgen.classroom.report import (
    Scoring,
    class_summary,
    class_text,
    gradebook_csv,
    handed_in,
    prepare_folder,
    report_csv,
    report_text,
    write_reports,
)
from quizgen.classroom.roster import CLASS_STEM, read_roster
from quizgen.classroom.sheets import SHEET_MAX_BYTES
from quizgen.classroom.submissions import QUIZ_FILE
from quizgen.core.command import concept_dir, friendly
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable
from quizgen.core.problems import Problem

CLASS_WORKSHEETS = f"{CLASS_STEM}.worksheets.html"
"""With --for: every student's worksheet in one printable file."""
CLASS_KEY = f"{CLASS_STEM}.key.html"
"""With --for --key: every student's answer key in one printable file."""

# ---------------------------------------------------------------------------------------------
# Output files


def companion_paths(quiz_path: Path) -> dict[str, Path]:
    """The worksheet and answer-sheet files written next to a quiz file.

    ``week3.yaml`` (or ``week3.quiz.yaml``) -> ``week3.worksheet.md``, ``week3.worksheet.html``,
    ``week3.answers.yaml``.
    """
    stem = name_stem(quiz_path, (".quiz",))
    parent = quiz_path.parent
    return {
        "markdown": parent / f"{stem}.worksheet.md",
        "html": parent / f"{stem}.worksheet.html",
        "answers": parent / f"{stem}.answers.yaml",
        "key": parent / f"{stem}.key.html",
    }


QUIZ_SUFFIXES = (".yaml", ".yml", ".json")
"""What a quiz file's name (-o) ends in."""
_QUIZ_MARK = re.compile(rb"""^[ \t{]*["']?quizgen["']?[ \t]*:[ \t]*["']?quiz["']?[ \t]*(?:[,}\r\n]|$)""", re.M)


def _is_quiz_file(path: Path) -> bool:
    """Whether ``path`` reads as one of quizgen's quiz files (a ``quizgen: quiz`` line near its
    top): only such a file is replaced by a new quiz, so ``-o`` naming an answer sheet, a concept
    file or notes never loses them."""
    try:
        with path.open("rb") as f:
            return bool(_QUIZ_MARK.search(f.read(4096)))
    except OSError:
        return False


def _has_answers(path: Path) -> bool:
    """Whether an answer sheet holds anything typed (a sheet that cannot be read might: yes)."""
    from quizgen.classroom.sheets import read_answer_sheet
    from quizgen.core.files import FileUnusable

    try:
        sheet = read_answer_sheet(path)
    except FileUnusable:
        return True
    return bool(sheet.answers and any(a.text is not None or a.issue is not None for a in sheet.answers))


def refuse_to_overwrite(quiz_paths: Sequence[Path], force: bool, with_key: bool = False, extra: Sequence[Path] = ()) -> None:
    """Stop before anything is written if an output exists: always when it is an answer sheet
    with answers in it (they are a student's work), otherwise unless ``force``. ``extra`` are
    further outputs (the class files); the key counts ``with_key``."""
    outputs = [
        p for q in quiz_paths for name, p in [("quiz", q), *companion_paths(q).items()] if name != "key" or with_key
    ]
    existing = [p for p in [*outputs, *extra] if p.exists()]
    strangers = [q for q in quiz_paths if q.exists() and not _is_quiz_file(q)]
    if strangers:
        raise QuizgenError(
            f"{strangers[0]} exists and is not a quiz file (no 'quizgen: quiz' at its top): quizgen replaces only its "
            "own quiz files, even with --force; write the quiz elsewhere with -o, or move the file away first"
        )
    filled = [p for p in existing if p.name.endswith(".answers.yaml") and _has_answers(p)]
    if filled:
        listed = ", ".join(str(p) for p in filled[:5]) + (f" and {len(filled) - 5} more" if len(filled) > 5 else "")
        raise QuizgenError(
            f"{listed}: answers are filled in, and quizgen never overwrites them, even with --force; "
            "move the file(s) away first, or write the quiz elsewhere with -o"
        )
    if existing and not force:
        listed = ", ".join(str(p) for p in existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise QuizgenError(f"{listed} already exist(s); add --force to replace them, or write elsewhere with -o")
    # Without --key a key left from the quiz being replaced would no longer match it.
    keys = [] if with_key else [companion_paths(q)["key"] for q in quiz_paths] + [p for p in extra if p.name == CLASS_KEY]
    stale = [p for p in keys if p.exists()]
    if stale:
        listed = ", ".join(str(p) for p in stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise QuizgenError(f"{listed}: answer keys of the quiz being replaced would no longer match it; "
                           "add --key to write new ones, or move them away first")


def quiz_file_set(quiz: Quiz, quiz_path: Path, key: Sequence[Problem] | None = None) -> list[tuple[Path, bytes]]:
    """The files of one quiz and their bytes, in the order they are replaced: the answer sheet
    first (a filled one stops the replacement before anything else changes), the quiz file last."""
    from quizgen.classroom.quiz import quiz_text
    from quizgen.classroom.worksheet import answer_sheet, key_html, worksheet_html, worksheet_markdown

    others = companion_paths(quiz_path)
    files = [
        (others["answers"], answer_sheet(quiz)),
        (others["markdown"], worksheet_markdown(quiz)),
        (others["html"], worksheet_html(quiz)),
    ]
    if key is not None:
        files.append((others["key"], key_html(quiz, key, others["answers"].name)))
    files.append((quiz_path, quiz_text(quiz)))
    return [(path, text.encode("utf-8")) for path, text in files]


def keep_rule(force: bool) -> Keep:
    """What must not be replaced, judged on the very bytes a replacement would take away: an
    answer sheet with answers in it, always; any existing file, unless ``force``."""

    def keep(old: Path, target: Path) -> str | None:
        if target.name.endswith(".answers.yaml") and _has_answers(old):
            return "answers are filled in, and quizgen never overwrites them, even with --force"
        if not force:
            return "already exists; add --force to replace it"
        return None

    return keep


def write_quiz_files(quiz: Quiz, quiz_path: Path, key: Sequence[Problem] | None = None, force: bool = True) -> list[Path]:
    """The quiz file, its worksheets, its blank answer sheet and, given the built problems, its
    answer key, replaced together or not at all (``filesets``); returns the paths."""
    files = quiz_file_set(quiz, quiz_path, key)
    replace_together(files, keep_rule(force))
    return [path for path, _ in files]


def _recover(folder: Path) -> None:
    for line in recover(folder):
        click.echo(line, err=True)


# ---------------------------------------------------------------------------------------------
# The command


@click.command("quiz")
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "-n", "n", default=10, show_default=True, type=click.IntRange(1, MAX_PROBLEMS), help="Problems per quiz.")
@click.option("--seed", default=None, type=click.IntRange(min=0),
              help="Same seed, same quiz and key, so keep it private (default: drawn at random, and recorded in the quiz file).")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="The quiz file (default quiz.yaml); with --for, a directory (default quizzes/).",
)
@click.option(
    "--for",
    "roster",
    type=click.Path(dir_okay=False),
    default=None,
    help="A roster CSV (columns id[,name]): one reproducible variant per student.",
)
@click.option("--title", default=None, help="Title printed on the worksheet.")
@click.option("--jobs", default=0, type=click.IntRange(0, 64), help="Processes to use (0: the cores, for large quizzes).")
@click.option("--key", is_flag=True, help="Also write the answer key (<stem>.key.html): answers, worked solutions, mistakes.")
@click.option("--force", is_flag=True, help="Replace existing outputs (never an answer sheet with answers in it).")
@click.pass_context
@friendly
def quiz_command(
    ctx: click.Context,
    topics: tuple[str, ...],
    n: int,
    seed: int | None,
    output: str | None,
    roster: str | None,
    title: str | None,
    jobs: int,
    key: bool,
    force: bool,
) -> None:
    """Write a quiz for TOPIC... (concept ids or tags): quiz file, worksheet and answer sheet.

    The quiz file holds problem ids and inputs, never answers; `quizgen grade` recomputes every
    answer. With --for ROSTER.csv each student gets their own variant, written as
    DIR/<id>.quiz.yaml with DIR/<id>.worksheet.md, .worksheet.html and DIR/<id>.answers.yaml,
    and DIR/class.worksheets.html holds every worksheet, a page break between students. --key adds
    the answer key beside each worksheet (<stem>.key.html; with --for also DIR/class.key.html).

    Example: quizgen quiz attention bleu -n 10 --seed 7 -o week3.yaml
    """
    from quizgen.classroom.worksheet import class_html
    from quizgen.core.library import load_topics

    if title is not None and not title.strip():
        raise QuizgenError("--title is blank; leave it out for the default title, or give one")
    concepts = load_topics(topics, concept_dir(ctx))
    drawn = seed is None
    if seed is None:
        # Anyone with the seed, the topics and quizgen can make the quiz and its key: a seed a
        # student could guess (0, a default) would be one.
        seed = secrets.randbits(48)

    def announce() -> None:  # once the output is known to be usable: a refused -o wrote no quiz
        if drawn:
            click.echo(f"seed: {seed} (drawn at random; it is in the quiz file: give it with --seed to make this quiz "
                       "again, and keep it from students)")

    if roster is None:
        path = Path(output or "quiz.yaml")
        if not path.name.lower().endswith(QUIZ_SUFFIXES) or path.name.lower().endswith(".answers" + path.suffix.lower()):
            raise QuizgenError(f"{path}: a quiz file's name ends in .yaml, .yml or .json (not .answers.yaml, an "
                               "answer sheet's), so that -o never replaces another kind of file; e.g. -o week3.yaml")
        if path.is_dir():
            raise QuizgenError(f"{path} is a directory; give the quiz file's name, e.g. -o {path / 'quiz.yaml'}")
        if not path.parent.is_dir():
            raise QuizgenError(f"{path.parent}: no such directory")
        with locked(path.parent):  # a second quizgen writing here waits for this one
            _recover(path.parent)
            refuse_to_overwrite([path], force, with_key=key)
            announce()
            quiz, problems = build_quiz(concepts, topics, n, seed, title=title, jobs=jobs)
            written = write_quiz_files(quiz, path, problems if key else None, force)
        click.echo(f"quiz: {len(quiz.problems)} problems, {quiz.checksum[:19]}")
        for p in written:
            click.echo(f"wrote {p}")
        return
    students = read_roster(roster)
    folder = Path(output or "quizzes")
    if folder.exists() and not folder.is_dir():
        raise QuizgenError(f"{folder} is a file; with --for, -o names a directory")
    if not folder.exists() and folder.name.lower().endswith(QUIZ_SUFFIXES):
        raise QuizgenError(f"{folder}: with --for, -o names the class's folder, not a quiz file (each student gets "
                           f"<id>.quiz.yaml in it); e.g. -o {folder.with_suffix('')}/")
    class_files = [folder / CLASS_WORKSHEETS] + ([folder / CLASS_KEY] if key else [])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QuizgenError(f"{folder}: cannot make this folder ({exc.strerror or exc})") from None
    with locked(folder):  # a second quizgen writing here waits for this one
        _recover(folder)
        # A folder holds one class: another student's quiz left beside it would be graded with
        # it (a student dropped from the roster listed as missing, or another class mixed in).
        ours = {f"{s.id}.quiz.yaml" for s in students}
        others = sorted(p.name for p in folder.iterdir() if QUIZ_FILE.search(p.name) and p.name not in ours)
        if others:
            listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            raise QuizgenError(f"{folder} holds quiz files of students not on {roster}: {listed}; a folder holds one class, "
                               "so move them (and their worksheets and sheets) away, or write to another folder with -o")
        refuse_to_overwrite([folder / f"{s.id}.quiz.yaml" for s in students], force, with_key=key, extra=[folder / CLASS_WORKSHEETS, folder / CLASS_KEY])
        announce()
        files: list[tuple[Path, bytes]] = []
        sheets, keys = [], []
        for s in students:
            quiz, problems = build_quiz(concepts, topics, n, seed, student=s.id, student_name=s.name or None, title=title, jobs=jobs)
            files += quiz_file_set(quiz, folder / f"{s.id}.quiz.yaml", problems if key else None)
            sheet_name = companion_paths(folder / f"{s.id}.quiz.yaml")["answers"].name
            sheets.append((quiz, sheet_name, None))
            keys.append((quiz, sheet_name, problems))
        class_title = sheets[0][0].title if sheets else "quiz"
        files.append((folder / CLASS_WORKSHEETS, class_html(class_title, sheets).encode("utf-8")))
        if key:
            files.append((folder / CLASS_KEY, class_html(f"{class_title} — answer keys", keys).encode("utf-8")))
        # The order of the swap: every answer sheet first (one filled in meanwhile stops the class
        # before any other file changes), then worksheets and keys, the class files, the quiz files last.
        names = {p.name for p in class_files}
        files.sort(key=lambda f: 0 if f[0].name.endswith(".answers.yaml") else 3 if f[0].name.endswith(".quiz.yaml")
                   else 2 if f[0].name in names else 1)
        replace_together(files, keep_rule(force))
    click.echo(
        f"wrote {len(students)} quiz{'zes' if len(students) != 1 else ''} of {n} problem{'s' if n != 1 else ''} to {folder}/ "
        f"(<id>.quiz.yaml, <id>.worksheet.md, <id>.worksheet.html, <id>.answers.yaml"
        f"{', <id>.key.html' if key else ''}), and {', '.join(p.name for p in class_files)}"
    )


# ---------------------------------------------------------------------------------------------
# The command


def _emit(target: str, text: str) -> None:
    from quizgen.core.files import write_text_atomic

    if target == "-":
        sys.stdout.write(text)
    else:
        write_text_atomic(Path(target), text)


def _refuse_outputs_onto_inputs(quiz: Path, answers: Path, outputs: dict[str, str | None]) -> None:
    """Before any grading: an output may not replace a file this grading reads (a quiz file or a
    submission), nor another output, and only one of them may go to standard output."""
    from quizgen.classroom.submissions import quiz_files, submission_files

    named = {option: target for option, target in outputs.items() if target}
    if [t for t in named.values() if t == "-"] == ["-", "-"]:
        raise QuizgenError("--json - and --csv - would both write to standard output; send one of them to a file")
    files = [t for t in named.values() if t != "-"]
    if len(files) == 2 and Path(files[0]).resolve() == Path(files[1]).resolve():
        raise QuizgenError(f"--json and --csv both name {files[0]}; give each its own file")
    read = quiz_files(quiz) if quiz.is_dir() else [quiz]
    read += submission_files(answers, quiz if quiz.is_dir() else None)[0] if answers.is_dir() else [answers]
    inputs = {p.resolve() for p in read}
    for option, target in named.items():
        if target == "-":
            continue
        if Path(target).is_symlink() and Path(os.path.realpath(target)).parts[1:2] not in (("proc",), ("dev",)):
            # It would write wherever the link leads (one planted among the sheets, say); a link
            # to a stream (/dev/stdout) is written to as a stream.
            raise QuizgenError(f"{option} {target}: is a link; write the {option[2:]} output to a file, not through a link "
                               "('-' for standard output)")
        if not Path(target).parent.is_dir():
            raise QuizgenError(f"{option} {target}: the folder {Path(target).parent} does not exist; make it, or write elsewhere")
        if Path(target).resolve() in inputs and _grades_file(Path(target)):
            continue  # the gradebook of an earlier grading, in the submissions folder: it is not graded
        if Path(target).resolve() in inputs or Path(target).is_dir():
            what = "a folder" if Path(target).is_dir() else "one of the files this grading reads"
            raise QuizgenError(f"{option} {target}: is {what}; write the {option[2:]} output to another file")
        if Path(target).is_file() and Path(target).stat().st_size and not _grades_file(Path(target)):
            # A roster, a student's sheet in another folder, a worksheet: grades would replace it.
            raise QuizgenError(f"{option} {target}: exists and is not a gradebook or grade report quizgen wrote, "
                               f"so it would be lost; write the {option[2:]} output to another file, or move this one aside")


_STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def _grades_file(path: Path) -> bool:
    """Whether ``path`` is what grading writes (a gradebook, one sheet's grades, a ``--json``
    report), told by its first line or its opening, whatever its name or its size."""
    from quizgen.classroom.sheets import GRADES_HEADERS
    from quizgen.core.files import column_name

    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace").removeprefix("\ufeff")
    except OSError:
        return False
    if re.match(r'\{\s*"quizgen"\s*:\s*"grades"', head):
        return True
    return tuple(column_name(cell) for cell in head.split("\n", 1)[0].split(",")[:4]) in GRADES_HEADERS


@click.command("grade")
@click.argument("quiz", type=click.Path())
@click.argument("answers", type=click.Path())
@click.option("--steps", is_flag=True, help="Show the worked solution under every question not answered right (a class: per student).")
@click.option("--reports", "reports_dir", default=None, type=click.Path(file_okay=False), help="A class: reports to DIR/<student>.report.txt, only in DIR.")
@click.option("--json", "json_out", default=None, metavar="PATH", help="Also write the grades as JSON to PATH ('-': stdout only).")
@click.option("--csv", "csv_out", default=None, metavar="PATH", help="Also write CSV to PATH ('-': stdout only): per question, or a gradebook for a class.")
@click.option(
    "--max-size",
    default=SHEET_MAX_BYTES // 2**20,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Largest answer sheet read, in MB.",
)
@click.option("--partial-credit", is_flag=True,
              help="A wrong vector or matrix scores its share of right entries, a wrong shape its share of right dimensions.")
@click.option("--rough-credit", default=0.0, show_default=True, type=click.FloatRange(0, 1), metavar="FRACTION",
              help="Points for a right answer given with too few significant figures.")
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
    reports_dir: str | None,
    partial_credit: bool,
    rough_credit: float,
) -> None:
    """Grade ANSWERS (an answer sheet, or a folder of them) against QUIZ (a quiz file, or a folder
    of per-student quizzes).

    Every problem is drawn again from its id and its key computed by the checker; answers written
    in any file are never trusted. Exit status 0 when grading happened, whatever the score; 2 when a file
    cannot be used.

    Example: quizgen grade week3.yaml week3.answers.yaml --steps
    """
    from quizgen.core.library import load_library

    quiz_path, answers_path = Path(quiz), Path(answers)
    for p in (quiz_path, answers_path):
        if not p.exists():
            raise FileUnusable(f"{p}: no such file or directory")
    # Standard output by any of its names is "-": as a path, redirected to a file, it resolved
    # to that file and was refused as a link, or rewritten under the report printed there.
    json_out, csv_out = ("-" if o in _STDOUT_NAMES else o for o in (json_out, csv_out))
    _refuse_outputs_onto_inputs(quiz_path, answers_path, {"--json": json_out, "--csv": csv_out})
    concepts = load_library(concept_dir(ctx))
    scoring = Scoring(partial=partial_credit, rough=rough_credit)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    to_stdout = "-" in (json_out, csv_out)
    if quiz_path.is_dir() or answers_path.is_dir():
        if reports_dir:
            prepare_folder(Path(reports_dir))  # an unusable folder is refused before any grading
        reports, notes = grade_class(quiz_path, answers_path, concepts, steps, jobs, max_size * 2**20, scoring)
        if json_out:
            done, total, missing = handed_in(reports)
            payload = {"quizgen": "grades", "submissions": [r.to_json() for r in reports], "notes": notes, "templates": class_summary(reports),
                       "handed_in": done, "students": total, "missing": missing}
            _emit(json_out, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        if csv_out:
            _emit(csv_out, gradebook_csv(reports))
        written, failed = write_reports(reports, Path(reports_dir)) if reports_dir else (0, [])
        if not to_stdout:
            click.echo(class_text(reports, notes, color), nl=False)
            if csv_out:
                click.echo(f"gradebook: {csv_out}")
            if reports_dir:
                click.echo(f"reports: {written} of {len(reports)} written to {reports_dir}/")
            elif steps:  # every student's report, worked solutions included, one after another
                for r in reports:
                    click.echo("\n" + report_text(r, color), nl=False)
        if failed:
            raise QuizgenError(f"{len(failed)} report(s) could not be written: " + "; ".join(failed[:5]))
        return
    if reports_dir:
        raise QuizgenError("--reports writes a class's reports (a folder of quizzes or of answer sheets); "
                           "one sheet's report is printed here: redirect it, or use --json or --csv")
    report = grade_one(quiz_path, answers_path, concepts, steps, jobs, max_size * 2**20, scoring)
    if json_out:
        _emit(json_out, json.dumps({"quizgen": "grades", **report.to_json()}, ensure_ascii=False, indent=1) + "\n")
    if csv_out:
        _emit(csv_out, report_csv(report))
    if not to_stdout:
        sys.stdout.write(report_text(report, color))
