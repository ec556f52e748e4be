"""``quizgen quiz``: a quiz file, a printable worksheet and an answer sheet, for one learner or a class.

A quiz file records what was asked and nothing that answers it: for each problem its number, its
id (``concept.template.vVERSION.SEED``, enough to draw it again), what kind of answer is due, and
its inputs. The header says where the problems came from (topics, seed, student, and for each
template its family, generator version, a fingerprint of its parameters and its prompt), and a
sha256 checksum over everything else shows whether the file was edited after it was written.

The file is written as JSON laid out one problem per line. JSON is a subset of YAML, so the file
is also a YAML file that any YAML tool reads, but it loads about a hundred times faster than
block YAML with nested inputs (measured: 0.2 s against 40 s for 100,000 problems with libyaml);
``read_quiz`` accepts either form.

Per-student variants: the seed of student ``s`` in a class quiz with ``--seed S`` is
``blake2b("S:s")`` (48 bits, keyed by a fixed personalisation string), so the same roster and seed
give the same quizzes on every machine, and each student's problem ``i`` uses
``variant_seed(student_seed, i)`` exactly as ``quizgen generate`` does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from quizgen import __version__
from quizgen.core.command import concept_dir, friendly
from quizgen.core.concepts import select
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable, load_yaml_data, read_text_file
from quizgen.core.problems import PROBLEM_ID

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept, Template

FORMAT = 1
"""Version of the quiz file layout; bumped when a reader of the old layout would misread a new file."""

MARKER = "quiz"
"""The value of the top-level ``quizgen`` field that marks a quiz file."""

QUIZ_MAX_BYTES = 512 * 2**20
"""Largest quiz file read (a million problems take about 200 MB)."""

ROSTER_MAX_BYTES = 10 * 2**20
MAX_PROBLEMS = 1_000_000

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""Student ids become file names, so they are kept to letters, digits, ``.``, ``_`` and ``-``."""



# ---------------------------------------------------------------------------------------------
# The quiz file


class QuizProblem(NamedTuple):
    """One problem of a quiz, as written in the quiz file (no answer)."""

    number: int
    id: str
    concept: str
    template: str
    version: int
    seed: int
    expected: str
    inputs: Any

    @property
    def key(self) -> str:
        """``concept.template``: the template this problem comes from."""
        return f"{self.concept}.{self.template}"


@dataclass(frozen=True)
class TemplateInfo:
    """What the quiz file records about a template, to show, verify and (if need be) solve its problems."""

    key: str
    family: str
    version: int
    fingerprint: str
    title: str
    prompt: str
    tolerance: tuple[float, float] | None = None


@dataclass(frozen=True)
class Quiz:
    """A quiz as read from (or about to be written to) a quiz file.

    Attributes:
        title: Shown on the worksheet.
        topics: The TOPIC arguments it was made from.
        seed: The ``--seed`` of the quiz (the class seed for per-student variants).
        student: The student id of a per-student variant, else None.
        student_name: The roster's name for the student, if any.
        concepts: Ids of the concepts the problems were drawn from.
        templates: ``concept.template`` -> what is recorded about it.
        problems: The problems in order (numbers from 1).
        checksum: ``sha256:<hex>`` over everything else in the file.
        path: Where it was read from, if it was.
        issues: What reading found wrong but not fatal (a checksum mismatch).
        quizgen_version: The version that wrote the file.
    """

    title: str
    topics: tuple[str, ...]
    seed: int
    student: str | None
    student_name: str | None
    concepts: tuple[str, ...]
    templates: Mapping[str, TemplateInfo]
    problems: tuple[QuizProblem, ...]
    checksum: str
    path: str | None = None
    issues: tuple[str, ...] = ()
    quizgen_version: str = __version__

    @property
    def effective_seed(self) -> int:
        """The seed problem ``i`` is drawn from with ``variant_seed``: the student's, or the quiz's."""
        return self.seed if self.student is None else student_seed(self.seed, self.student)

    @property
    def checksum_ok(self) -> bool:
        return not any(i.startswith("checksum") for i in self.issues)

    def ids(self) -> list[str]:
        """The problem ids in order."""
        return [p.id for p in self.problems]

    def index(self) -> dict[str, int]:
        """Problem id -> position (0-based)."""
        return {pid: i for i, pid in enumerate(self.ids())}


def student_seed(seed: int, student: str) -> int:
    """The seed of a student's variant of a class quiz: stable on every machine, 48 bits."""
    digest = hashlib.blake2b(f"{seed}:{student}".encode(), digest_size=6, person=b"quizgen-student").digest()
    return int.from_bytes(digest, "big")


def template_fingerprint(template: Template) -> str:
    """A short hash of everything about a template that decides its inputs, answers and tolerance.

    If a concept file's template changes after a quiz was written (other params, another
    tolerance), the problem ids no longer draw the inputs the learner saw; the grader notices by
    comparing fingerprints and then grades the inputs written in the quiz file instead.
    """
    from quizgen.generators import GENERATORS

    data = {
        "generator": template.generator,
        "version": GENERATORS[template.generator].VERSION,
        "params": template.resolved_params(),
        "tolerance": [template.tolerance.rel, template.tolerance.abs],
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _header(quiz: Quiz) -> dict[str, Any]:
    return {
        "quizgen": MARKER,
        "format": FORMAT,
        "quizgen_version": quiz.quizgen_version,
        "title": quiz.title,
        "topics": list(quiz.topics),
        "seed": quiz.seed,
        "student": quiz.student,
        "student_name": quiz.student_name,
        "n": len(quiz.problems),
        "concepts": list(quiz.concepts),
        "templates": {
            key: {
                "family": t.family,
                "version": t.version,
                "fingerprint": t.fingerprint,
                "title": t.title,
                "prompt": t.prompt,
                "tolerance": None if t.tolerance is None else {"rel": t.tolerance[0], "abs": t.tolerance[1]},
            }
            for key, t in quiz.templates.items()
        },
    }


def _problem_record(p: QuizProblem) -> dict[str, Any]:
    return {"number": p.number, "id": p.id, "expected": p.expected, "inputs": p.inputs}


def _canonical(header: Mapping[str, Any], problems: Sequence[Mapping[str, Any]]) -> bytes:
    """The canonical JSON (sorted keys, no spaces, UTF-8) of a quiz file without its checksum."""
    body = {key: value for key, value in header.items() if key != "checksum"}
    body["problems"] = problems
    return _dump_canonical(body).encode("utf-8")


def _dump_canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def checksum(header: Mapping[str, Any], problems: Sequence[Mapping[str, Any]]) -> str:
    """``sha256:<hex>`` of the canonical JSON (sorted keys, no spaces) of the header and problems.

    Canonical JSON, not the file's bytes: re-indenting the file or converting it to block YAML
    keeps the checksum; changing any value does not.
    """
    return "sha256:" + hashlib.sha256(_canonical(header, problems)).hexdigest()


def quiz_text(quiz: Quiz) -> str:
    """The quiz file: JSON (hence also YAML), header fields one per line, one problem per line."""
    header = _header(quiz)
    records = [_problem_record(p) for p in quiz.problems]

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    for key, value in header.items():
        if key == "templates":
            lines.append('  "templates": {')
            items = list(value.items())
            for i, (name, info) in enumerate(items):
                lines.append(f"    {dump(name)}: {dump(info)}{',' if i < len(items) - 1 else ''}")
            lines.append("  },")
        else:
            lines.append(f"  {dump(key)}: {dump(value)},")
    lines.append('  "problems": [')
    last = len(records) - 1
    lines.extend(f"    {dump(record)}{',' if i < last else ''}" for i, record in enumerate(records))
    lines.append("  ],")
    lines.append(f'  "checksum": {dump(checksum(header, records))}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_quiz(path: str | Path, quiz: Quiz) -> None:
    """Write a quiz file atomically."""
    from quizgen.core.files import write_text_atomic

    write_text_atomic(Path(path), quiz_text(quiz))


class QuizFileError(FileUnusable):
    """A quiz file that cannot be used: the message says where and why."""


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise QuizFileError(f"{where}: {message}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def read_quiz(path: str | Path, max_bytes: int = QUIZ_MAX_BYTES) -> Quiz:
    """Read and check a quiz file (JSON or YAML).

    A checksum that does not match is not fatal (the grader draws every problem again from its
    id in any case); it is recorded in ``Quiz.issues``. A file that is not a quiz, or whose
    problems lack an id or inputs, is.

    Raises:
        FileUnusable: The file cannot be used, with the reason.
    """
    source = str(path)
    return _quiz_from_data(_parse_quiz_text(read_text_file(path, max_bytes, "quiz file"), source), source)


def _parse_quiz_text(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(stripped)
        except RecursionError:
            raise QuizFileError(f"{source}: nested too deeply to be a quiz file") from None
        except ValueError:
            pass  # not JSON: perhaps YAML in flow style, or a hand-edited file
    return load_yaml_data(text, source)


def _quiz_from_data(data: Any, source: str) -> Quiz:
    _need(isinstance(data, dict), source, "is not a quiz file (expected a mapping with 'quizgen: quiz' at the top)")
    _need(
        data.get("quizgen") == MARKER,
        source,
        "is not a quiz file (no 'quizgen: quiz' field); make one with `quizgen quiz TOPIC -o quiz.yaml`",
    )
    fmt = data.get("format")
    _need(
        _is_int(fmt) and fmt <= FORMAT,
        source,
        f"quiz file format {fmt!r} is not one this quizgen ({__version__}) reads (it reads 1..{FORMAT})",
    )
    seed = data.get("seed")
    _need(_is_int(seed) and seed >= 0, source, f"'seed' must be a whole number >= 0, but is {seed!r}")
    student = data.get("student")
    _need(
        student is None or (isinstance(student, str) and STUDENT_ID.match(student) is not None),
        source,
        f"'student' must be a student id (letters, digits, . _ -) or null, but is {student!r}",
    )
    templates_data = data.get("templates")
    _need(isinstance(templates_data, dict), source, "'templates' must be a mapping")
    templates: dict[str, TemplateInfo] = {}
    for key, info in templates_data.items():
        where = f"{source}: templates: {key}"
        _need(isinstance(info, dict), where, "must be a mapping")
        family, version = info.get("family"), info.get("version")
        _need(isinstance(family, str), where, f"'family' must be text, but is {family!r}")
        _need(_is_int(version), where, f"'version' must be a whole number, but is {version!r}")
        tol = info.get("tolerance")
        tolerance = None
        if isinstance(tol, dict) and all(isinstance(tol.get(k), (int, float)) for k in ("rel", "abs")):
            tolerance = (float(tol["rel"]), float(tol["abs"]))
        templates[str(key)] = TemplateInfo(
            key=str(key),
            family=family,
            version=version,
            fingerprint=str(info.get("fingerprint", "")),
            title=str(info.get("title", "")),
            prompt=str(info.get("prompt", "")),
            tolerance=tolerance,
        )
    records = data.get("problems")
    _need(isinstance(records, list), source, "'problems' must be a list")
    _need(len(records) > 0, source, "has no problems")
    _need(len(records) <= MAX_PROBLEMS, source, f"has {len(records)} problems; at most {MAX_PROBLEMS} are read")
    problems = []
    seen: dict[str, int] = {}
    id_match = PROBLEM_ID.match
    for i, rec in enumerate(records):
        # Checked inline, with messages built only on failure: this loop runs once per problem.
        number = i + 1
        pid = rec.get("id") if type(rec) is dict else None
        m = id_match(pid) if type(pid) is str else None
        if m is None or pid in seen or rec.get("number") != number or "inputs" not in rec:
            _problem_error(source, number, rec, seen)
        assert isinstance(pid, str)  # _problem_error raised otherwise
        seen[pid] = i
        concept, template, version, seed_text = m.groups()  # type: ignore[union-attr]
        if f"{concept}.{template}" not in templates:
            raise QuizFileError(
                f"{source}: problem {number}: its template {concept}.{template} is not listed under 'templates'"
            )
        expected = rec.get("expected", "")
        problems.append(
            QuizProblem(
                number,
                pid,
                concept,
                template,
                int(version),
                int(seed_text),
                expected if type(expected) is str else str(expected),
                rec["inputs"],
            )
        )
    issues = []
    recorded = data.get("checksum")
    actual = checksum({k: v for k, v in data.items() if k != "problems"}, records)
    if recorded != actual:
        issues.append(
            f"checksum: the quiz file was edited after it was written (its checksum is {recorded!r}, "
            f"its contents give {actual}); every problem is checked against its id"
        )
    topics = data.get("topics")
    concepts = data.get("concepts")
    return Quiz(
        title=str(data.get("title", "")),
        topics=tuple(str(t) for t in topics) if isinstance(topics, list) else (),
        seed=seed,
        student=student,
        student_name=data.get("student_name") if isinstance(data.get("student_name"), str) else None,
        concepts=tuple(str(c) for c in concepts) if isinstance(concepts, list) else (),
        templates=templates,
        problems=tuple(problems),
        checksum=str(recorded) if recorded is not None else actual,
        path=source,
        issues=tuple(issues),
        quizgen_version=str(data.get("quizgen_version", "")),
    )


def _problem_error(source: str, number: int, rec: Any, seen: Mapping[str, int]) -> None:
    """Raise the message for a problem record that failed the quick checks in ``_quiz_from_data``."""
    where = f"{source}: problem {number}"
    _need(isinstance(rec, dict), where, "must be a mapping with number, id and inputs")
    pid = rec.get("id")
    _need(
        isinstance(pid, str) and PROBLEM_ID.match(pid) is not None,
        where,
        f"'id' must be a problem id such as attention.weights.v1.42, but is {pid!r}",
    )
    _need(pid not in seen, where, f"the id {pid} is also problem {seen.get(pid, 0) + 1}")
    _need(rec.get("number") == number, where, f"'number' must be {number}, but is {rec.get('number')!r}")
    _need("inputs" in rec, where, "has no 'inputs'")


# ---------------------------------------------------------------------------------------------
# Making quizzes


def quiz_plan(concepts: Sequence[Concept]) -> list[tuple[Concept, Template]]:
    """The (concept, template) pairs a quiz takes in turn: one template of each concept, then the
    next of each, so that a short quiz on several topics touches all of them (concepts by id,
    templates in file order)."""
    ordered = sorted(concepts, key=lambda c: c.id)
    longest = max((len(c.problems) for c in ordered), default=0)
    return [(c, c.problems[k]) for k in range(longest) for c in ordered if k < len(c.problems)]


def make_quiz(
    concepts: Sequence[Concept],
    topics: Sequence[str],
    n: int,
    seed: int,
    student: str | None = None,
    student_name: str | None = None,
    title: str | None = None,
    jobs: int = 0,
) -> Quiz:
    """Build a quiz: ``n`` problems taking the topics' templates in turn (``quiz_plan``).

    Problem ``i`` (from 0) is drawn with ``variant_seed(seed, i)``, or with a student,
    ``variant_seed(student_seed(seed, student), i)``. Problems are built with the checker (so no
    named mistake lands within tolerance of the answer) and only their ids and inputs are kept.
    """
    from quizgen.core.problems import build_many, variant_seed
    from quizgen.generators import GENERATORS
    from quizgen.judge import describe_expected

    if n < 1 or n > MAX_PROBLEMS:
        raise QuizgenError(f"--n must be between 1 and {MAX_PROBLEMS}, but is {n}")
    chosen = select(concepts, topics)
    pairs = quiz_plan(chosen)
    if not pairs:
        raise QuizgenError(f"the topics {', '.join(topics)} have no problem templates")
    effective = seed if student is None else student_seed(seed, student)
    jobs_ = [(*pairs[i % len(pairs)], variant_seed(effective, i)) for i in range(n)]
    problems: list[QuizProblem] = []
    for chunk in build_many(jobs_, jobs):
        for p in chunk:
            problems.append(
                QuizProblem(len(problems) + 1, p.id, p.concept, p.template, p.version, p.seed, describe_expected(p.answer), p.inputs)
            )
    used = {p.key for p in problems}
    templates = {}
    for c, t in pairs:
        key = f"{c.id}.{t.name}"
        if key in used:
            templates[key] = TemplateInfo(
                key=key,
                family=t.generator,
                version=GENERATORS[t.generator].VERSION,
                fingerprint=template_fingerprint(t),
                title=c.title,
                prompt=" ".join(t.prompt.split()),
                tolerance=(t.tolerance.rel, t.tolerance.abs),
            )
    if title is None:
        title = " + ".join(c.title for c in chosen) if len(chosen) <= 2 else f"Quiz: {', '.join(topics)}"
    quiz = Quiz(
        title=title,
        topics=tuple(topics),
        seed=seed,
        student=student,
        student_name=student_name,
        concepts=tuple(c.id for c in chosen),
        templates=templates,
        problems=tuple(problems),
        checksum="",
    )
    header = _header(quiz)
    return _with_checksum(quiz, checksum(header, [_problem_record(p) for p in problems]))


def _with_checksum(quiz: Quiz, value: str) -> Quiz:
    return _replace(quiz, checksum=value)


def _replace(quiz: Quiz, **changes: Any) -> Quiz:
    from dataclasses import replace

    return replace(quiz, **changes)


# ---------------------------------------------------------------------------------------------
# Rosters


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""


_ID_COLUMNS = ("id", "student_id", "student", "sid")
_NAME_COLUMNS = ("name", "student_name", "full_name")


def read_roster(path: str | Path) -> list[Student]:
    """Students from a CSV file with a header row: an id column (``id``, ``student_id``, ``student``
    or ``sid``) and optionally a name column (``name``).

    Raises:
        QuizgenError: Missing id column, an id that cannot be a file name, a duplicate id, or no
            students, with the line.
    """
    text = read_text_file(path, ROSTER_MAX_BYTES, "roster")
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
    except csv.Error as exc:
        raise QuizgenError(f"{path}: not a CSV file: {exc}") from None
    if header is None:
        raise QuizgenError(f"{path}: the roster is empty")
    columns = [h.strip().lower() for h in header]
    id_col = next((columns.index(c) for c in _ID_COLUMNS if c in columns), None)
    if id_col is None:
        raise QuizgenError(
            f"{path}: line 1: the roster needs a header row with an 'id' column (found {', '.join(header) or 'nothing'}); "
            "e.g. 'id,name' then 's001,Student One'"
        )
    name_col = next((columns.index(c) for c in _NAME_COLUMNS if c in columns), None)
    students: list[Student] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            sid = row[id_col].strip() if id_col < len(row) else ""
            if not STUDENT_ID.match(sid):
                raise QuizgenError(
                    f"{path}: line {line}: student id {sid!r} must be 1-64 letters, digits, '.', '_' or '-' "
                    "(it becomes a file name), starting with a letter or digit"
                )
            if sid in seen:
                raise QuizgenError(f"{path}: line {line}: student id {sid!r} already appears on line {seen[sid]}")
            seen[sid] = line
            name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
            students.append(Student(sid, name))
    except csv.Error as exc:
        raise QuizgenError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from None
    if not students:
        raise QuizgenError(f"{path}: the roster lists no students")
    return students


# ---------------------------------------------------------------------------------------------
# Output files


def companion_paths(quiz_path: Path) -> dict[str, Path]:
    """The worksheet and answer-sheet files written next to a quiz file.

    ``week3.yaml`` (or ``week3.quiz.yaml``) -> ``week3.worksheet.md``, ``week3.worksheet.html``,
    ``week3.answers.yaml``.
    """
    stem = quiz_path.name
    for suffix in (".yaml", ".yml", ".json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.endswith(".quiz"):
        stem = stem[: -len(".quiz")]
    parent = quiz_path.parent
    return {
        "markdown": parent / f"{stem}.worksheet.md",
        "html": parent / f"{stem}.worksheet.html",
        "answers": parent / f"{stem}.answers.yaml",
    }


def write_quiz_files(quiz: Quiz, quiz_path: Path) -> list[Path]:
    """The quiz file, its worksheet (Markdown and HTML) and its blank answer sheet; returns the paths."""
    from quizgen.classroom.worksheet import (
        answer_sheet,
        worksheet_html,
        worksheet_markdown,
    )
    from quizgen.core.files import write_text_atomic

    others = companion_paths(quiz_path)
    write_quiz(quiz_path, quiz)
    write_text_atomic(others["markdown"], worksheet_markdown(quiz, others["answers"].name))
    write_text_atomic(others["html"], worksheet_html(quiz, others["answers"].name))
    write_text_atomic(others["answers"], answer_sheet(quiz))
    return [quiz_path, others["markdown"], others["html"], others["answers"]]


# ---------------------------------------------------------------------------------------------
# The command




@click.command("quiz")
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "n", default=10, show_default=True, type=click.IntRange(1, MAX_PROBLEMS), help="Problems per quiz.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Same seed, same quiz.")
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
@click.pass_context
@friendly
def quiz_command(
    ctx: click.Context,
    topics: tuple[str, ...],
    n: int,
    seed: int,
    output: str | None,
    roster: str | None,
    title: str | None,
    jobs: int,
) -> None:
    """Write a quiz for TOPIC... (concept ids or tags): quiz file, worksheet and answer sheet.

    The quiz file holds problem ids and inputs, never answers; `quizgen grade` recomputes every
    answer. With --for ROSTER.csv each student gets their own variant, written as
    DIR/<id>.quiz.yaml with DIR/<id>.worksheet.md, .worksheet.html and DIR/<id>.answers.yaml.
    """
    from quizgen.core.concepts import load_concepts

    concepts = load_concepts(concept_dir(ctx))
    if roster is None:
        path = Path(output or "quiz.yaml")
        if path.is_dir():
            raise QuizgenError(f"{path} is a directory; give the quiz file's name, e.g. -o {path / 'quiz.yaml'}")
        if not path.parent.is_dir():
            raise QuizgenError(f"{path.parent}: no such directory")
        quiz = make_quiz(concepts, topics, n, seed, title=title, jobs=jobs)
        written = write_quiz_files(quiz, path)
        click.echo(f"quiz: {len(quiz.problems)} problems, {quiz.checksum[:19]}")
        for p in written:
            click.echo(f"wrote {p}")
        return
    students = read_roster(roster)
    folder = Path(output or "quizzes")
    if folder.exists() and not folder.is_dir():
        raise QuizgenError(f"{folder} is a file; with --for, -o names a directory")
    folder.mkdir(parents=True, exist_ok=True)
    select(concepts, topics)  # unknown topics fail before any file is written
    for s in students:
        quiz = make_quiz(concepts, topics, n, seed, student=s.id, student_name=s.name or None, title=title, jobs=jobs)
        write_quiz_files(quiz, folder / f"{s.id}.quiz.yaml")
    click.echo(
        f"wrote {len(students)} quizzes of {n} problems to {folder}/ "
        f"(<id>.quiz.yaml, <id>.worksheet.md, <id>.worksheet.html, <id>.answers.yaml)"
    )


__all__ = [
    "Quiz",
    "QuizFileError",
    "QuizProblem",
    "Student",
    "TemplateInfo",
    "checksum",
    "companion_paths",
    "make_quiz",
    "quiz_plan",
    "quiz_command",
    "quiz_text",
    "read_quiz",
    "read_roster",
    "student_seed",
    "template_fingerprint",
    "write_quiz",
    "write_quiz_files",
]
