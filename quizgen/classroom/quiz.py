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

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from quizgen import __version__
from quizgen.core.concepts import select
from quizgen.core.errors import QuizgenError
from quizgen.core.files import FileUnusable, load_yaml_data, read_text_file
from quizgen.core.problems import PROBLEM_ID, Problem, deciding_params, plan, template_version

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

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
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
    """What the quiz file records about a template, to show its problems and verify its ids.

    ``title``, ``prompt`` and ``tolerance`` are written for the worksheet and for people, and not
    read back: worksheets are written from the quiz just made, and grading uses today's template.
    """

    family: str
    version: int
    fingerprint: str
    title: str = ""
    prompt: str = ""
    tolerance: tuple[float, float] | None = None


@dataclass(frozen=True)
class Quiz:
    """A quiz as read from (or about to be written to) a quiz file.

    Attributes:
        title: Shown on the worksheet.
        seed: The ``--seed`` of the quiz (the class seed for per-student variants).
        student: The student id of a per-student variant, else None.
        student_name: The roster's name for the student, if any.
        templates: ``concept.template`` -> what is recorded about it.
        problems: The problems in order (numbers from 1).
        checksum: ``sha256:<hex>`` over everything else in the file.
        topics: The TOPIC arguments it was made from (written for people, not read back).
        concepts: Ids of the concepts the problems were drawn from (written, not read back).
        path: Where it was read from, if it was.
        issues: What reading found wrong but not fatal (a checksum mismatch).
        quizgen_version: The version that wrote the file.
    """

    title: str
    seed: int
    student: str | None
    student_name: str | None
    templates: Mapping[str, TemplateInfo]
    problems: tuple[QuizProblem, ...]
    checksum: str
    topics: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
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


def student_seed(seed: int, student: str) -> int:
    """The seed of a student's variant of a class quiz: stable on every machine, 48 bits."""
    digest = hashlib.blake2b(f"{seed}:{student}".encode(), digest_size=6, person=b"quizgen-student").digest()
    return int.from_bytes(digest, "big")


def template_fingerprint(template: Template, *, texts: bool = False) -> str:
    """A short hash of everything about a template that decides its inputs, answers and tolerance.

    If a concept file's template changes after a quiz was written (other params, another
    tolerance), the problem ids no longer draw the inputs the learner saw; the grader notices by
    comparing fingerprints and leaves those problems not graded. An authored template's texts and
    worked steps are left out (its generator's ``deciding``); ``texts=True`` gives the fingerprint
    quizgen wrote before, with them, which a quiz file may still hold.
    """
    data = {
        "generator": template.generator,
        "version": template_version(template),
        "params": template.resolved_params() if texts else deciding_params(template),
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


def _problem_record(p: QuizProblem, family: str) -> dict[str, Any]:
    """A problem as the quiz file writes it: its inputs are what was drawn (``problems.drawn``),
    never more; an authored template's expressions, steps and mistakes (its answer, in short)
    stay in its concept file, out of a file each student is given."""
    from quizgen.core.problems import drawn

    return {"number": p.number, "id": p.id, "expected": p.expected, "inputs": drawn(family, p.inputs)}


def _canonical(header: Mapping[str, Any], problems: Sequence[Mapping[str, Any]]) -> bytes:
    """The canonical JSON (sorted keys, no spaces, UTF-8) of a quiz file without its checksum.

    Files written by earlier versions may carry a ``seal`` beside the checksum; it was never
    part of the checksum and is ignored, so their checksums still hold.
    """
    body = {key: value for key, value in header.items() if key not in ("checksum", "seal")}
    body["problems"] = problems
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def checksum(header: Mapping[str, Any], problems: Sequence[Mapping[str, Any]]) -> str:
    """``sha256:<hex>`` of the canonical JSON (sorted keys, no spaces) of the header and problems.

    Canonical JSON, not the file's bytes: re-indenting the file or converting it to block YAML
    keeps the checksum; changing any value does not.
    """
    return "sha256:" + hashlib.sha256(_canonical(header, problems)).hexdigest()


def quiz_text(quiz: Quiz) -> str:
    """The quiz file: JSON (hence also YAML), header fields one per line, one problem per line."""
    header = _header(quiz)
    records = [_problem_record(p, quiz.templates[p.key].family) for p in quiz.problems]

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


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise FileUnusable(f"{where}: {message}")


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
            data = json.loads(stripped)
        except RecursionError:
            raise FileUnusable(f"{source}: nested too deeply to be a quiz file") from None
        except ValueError:
            pass  # not JSON: perhaps YAML in flow style, or a hand-edited file
        else:
            # Only a JSON escape can spell a lone surrogate (the text itself is UTF-8): when the
            # text has one, a pass in C over the data finds any that is not half of a pair.
            if _SURROGATE_ESCAPE.search(stripped):
                try:
                    json.dumps(data, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    _check_plain(data, source)  # names the field
            _not_a_sheet(data, source)
            return data
    data = load_yaml_data(text, source)
    _not_a_sheet(data, source)
    _check_plain(data, source)  # YAML, unlike JSON, also gives dates and keys that are not text
    return data


def _not_a_sheet(data: Any, source: str) -> None:
    """Refuse an answer sheet given as the quiz (grade's two arguments swapped), saying so rather
    than what its keys lack."""
    if isinstance(data, dict) and "answers" in data and data.get("quizgen") != MARKER:
        raise FileUnusable(f"{source}: is an answer sheet (it has answers:), not a quiz file; give the quiz file "
                           "here (week3.yaml), and to grade, the answer sheets after it: quizgen grade QUIZ ANSWERS")


def _check_plain(data: Any, source: str) -> None:
    """Refuse anything a quiz file written by quizgen cannot hold, naming the field: a key that is
    not text (``7:``, ``~:``, ``true:``), a date or other typed YAML value, text with a lone
    surrogate (valid JSON, but not text). JSON's own types are all that is read.

    Raises:
        FileUnusable: Naming the file and the field (``problems[2].inputs.Q``).
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, where = stack.pop()
        place = f"{source}: {where or 'the top level'}"
        if type(value) is dict:
            for key, item in value.items():
                _need(type(key) is str, place, f"the key {json.dumps(key, default=str)} is not text; a quiz file's keys are text (write it in quotes)")
                shown = key.encode("utf-8", "backslashreplace").decode()
                _need(not _SURROGATE.search(key), place, f"the key {shown!r} holds a lone surrogate, which is not text")
                stack.append((item, f"{where}.{key}" if where else key))
        elif type(value) is list:
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
        elif type(value) is str:
            _need(not _SURROGATE.search(value), place, "holds a lone surrogate (U+D800 to U+DFFF), which is not text")
        elif value is not None and type(value) not in (int, float, bool):
            _need(False, place, f"is a {type(value).__name__} ({value!s:.40}), not text or a number (write it in quotes)")


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _quiz_from_data(data: Any, source: str) -> Quiz:
    _need(isinstance(data, dict), source, "is not a quiz file (expected a mapping with 'quizgen: quiz' at the top)")
    _need(
        data.get("quizgen") == MARKER,
        source,
        "is not a quiz file (no 'quizgen: quiz' field); make one with `quizgen quiz TOPIC -o quiz.yaml`",
    )
    fmt = data.get("format")
    _need(
        _is_int(fmt) and 1 <= fmt <= FORMAT,
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
        templates[str(key)] = TemplateInfo(
            family=family,
            version=version,
            fingerprint=str(info.get("fingerprint", "")),
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
        if m is None or len(m["version"]) > 9 or pid in seen or rec.get("number") != number or "inputs" not in rec:
            _problem_error(source, number, rec, seen)
        pid = m.group(0)  # the id itself: the pattern matches it whole
        seen[pid] = i
        concept, template, version, seed_text = m.groups()
        if f"{concept}.{template}" not in templates:
            raise FileUnusable(
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
    try:
        actual = checksum({k: v for k, v in data.items() if k != "problems"}, records)
    except (TypeError, ValueError, UnicodeError):  # what JSON gives and text cannot be: say where
        _check_plain(data, source)
        raise FileUnusable(f"{source}: holds values that cannot be read as a quiz file") from None
    if recorded != actual:
        issues.append(
            f"checksum: the quiz file was edited after it was written (its checksum is {recorded!r}, "
            f"its contents give {actual}); every problem is checked against its id"
        )
    return Quiz(
        title=str(data.get("title", "")),
        seed=seed,
        student=student,
        student_name=data.get("student_name") if isinstance(data.get("student_name"), str) else None,
        templates=templates,
        problems=tuple(problems),
        checksum=str(recorded) if recorded is not None else actual,
        path=source,
        issues=tuple(issues),
        quizgen_version=str(data.get("quizgen_version", "")),
    )


def _problem_error(source: str, number: int, rec: Any, seen: Mapping[str, int]) -> NoReturn:
    """Raise the message for a problem record that failed the quick checks in ``_quiz_from_data``."""
    where = f"{source}: problem {number}"
    _need(isinstance(rec, dict), where, "must be a mapping with number, id and inputs")
    pid = rec.get("id")
    _need(
        isinstance(pid, str) and PROBLEM_ID.match(pid) is not None,
        where,
        f"'id' must be a problem id such as attention.weights.v1.42, but is {pid!r}",
    )
    _need(len(pid.rsplit(".", 2)[1]) <= 10, where, "its id names a generator version of more than 9 digits")
    _need(pid not in seen, where, f"the id {pid} is also problem {seen.get(pid, 0) + 1}")
    _need(rec.get("number") == number, where, f"'number' must be {number}, but is {rec.get('number')!r}")
    raise FileUnusable(f"{where}: has no 'inputs'")  # the one quick check left: the others passed above


# ---------------------------------------------------------------------------------------------
# Making quizzes


def make_quiz(*args: Any, **kwargs: Any) -> Quiz:
    """``build_quiz`` without the built problems: what a quiz file holds."""
    return build_quiz(*args, **kwargs)[0]


def build_quiz(
    concepts: Sequence[Concept],
    topics: Sequence[str],
    n: int,
    seed: int,
    student: str | None = None,
    student_name: str | None = None,
    title: str | None = None,
    jobs: int = 0,
) -> tuple[Quiz, list[Problem]]:
    """Build a quiz: ``n`` problems taking the topics' templates in turn (``problems.plan``), and
    the built problems (for an answer key; the quiz file never holds them).

    Problem ``i`` (from 0) is drawn with ``variant_seed(seed, i)``, or with a student,
    ``variant_seed(student_seed(seed, student), i)``. Problems are built with the checker (so no
    named mistake lands within tolerance of the answer) and only their ids and inputs are kept.
    """
    from quizgen.core.problems import build_many, template_version, variant_seed
    from quizgen.judge import describe_expected

    chosen = select(concepts, topics)
    pairs = plan(chosen)
    if not pairs:
        raise QuizgenError(f"the topics {', '.join(topics)} have no problem templates")
    effective = seed if student is None else student_seed(seed, student)
    jobs_ = [(*pairs[i % len(pairs)], variant_seed(effective, i)) for i in range(n)]
    problems: list[QuizProblem] = []
    built: list[Problem] = []
    for chunk in build_many(jobs_, jobs):
        built += chunk
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
                family=t.generator,
                version=template_version(t),
                fingerprint=template_fingerprint(t),
                title=c.title,
                prompt=" ".join(t.prompt.split()),
                tolerance=(t.tolerance.rel, t.tolerance.abs),
            )
    if title is None:  # a heading, not a list: the quiz file records every topic anyway
        named = ", ".join(topics[:4]) + (f" and {len(topics) - 4} more" if len(topics) > 4 else "")
        title = " + ".join(c.title for c in chosen) if len(chosen) <= 2 else f"Quiz: {named}"
    quiz = Quiz(
        title=title,
        seed=seed,
        student=student,
        student_name=student_name,
        templates=templates,
        problems=tuple(problems),
        checksum="",
        topics=tuple(topics),
        concepts=tuple(c.id for c in chosen),
    )
    header = _header(quiz)
    return replace(quiz, checksum=checksum(header, [_problem_record(p, templates[p.key].family) for p in problems])), built
