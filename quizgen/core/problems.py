"""From a template and a seed to a problem: inputs drawn, answer checked, mistakes named.

A problem's identity is ``<concept>.<template>.v<template version>.<seed>``: enough to draw the
same inputs again and regrade any answer later. Building a problem draws inputs from
``random.Random(seed)`` (never global state), asks the checker for the answer, and draws again from
the same generator while any named misconception lands within tolerance of the answer — so every
problem tells the right answer from each listed mistake.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeVar, overload

from checkers import get_checker, load_checkers
from quizgen.core.answer import Answer, Figure, Misconception, Step, Tolerance, close
from quizgen.core.concepts import Concept, Template
from quizgen.core.errors import GenerationError, QuizgenError
from quizgen.generators import GENERATORS, expected, refuse_unknown_ask

MAX_REDRAWS = 200
# A problem id; the seed is capped at 20 digits so a hostile id can't smuggle in a huge number.
PROBLEM_ID = re.compile(
    r"^(?P<concept>[a-z0-9-]+)\.(?P<template>[a-z0-9-]+)\.v(?P<version>0|[1-9][0-9]*)\.(?P<seed>0|[1-9][0-9]{0,19})\Z"
)
"""An id as quizgen writes it: ASCII digits, none leading with 0 (``１２３`` or ``0123`` would name
another problem's seed under another spelling)."""
ID_LIKE = re.compile(r"^[^.\s]+\.[^.\s]+\.v[^.\s]*\.[^.\s]+\Z", re.IGNORECASE)
"""What is meant as a problem id, valid or not (said so, rather than read as an unknown topic)."""


def problem_id(concept: str, template: str, version: int, seed: int) -> str:
    return f"{concept}.{template}.v{version}.{seed}"


def parse_problem_id(pid: str) -> tuple[str, str, int, int]:
    """``attention.weights.v1.42`` -> ``("attention", "weights", 1, 42)``."""
    m = PROBLEM_ID.match(pid)
    if m is None:
        raise QuizgenError(
            f"could not read {pid!r} as a problem id; expected concept.template.vN.seed in lower case, N and the "
            "seed in digits 0-9 without a leading 0 (the seed at most 20 of them), e.g. attention.weights.v1.42"
        )
    return m["concept"], m["template"], int(m["version"]), int(m["seed"])


def variant_seed(seed: int, index: int) -> int:
    """The seed of the index-th problem of a run started with ``seed`` (stable on every machine)."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def template_variant_seed(seed: int, concept_id: str, template: str, variant: int) -> int:
    """The seed of variant ``variant`` of one template (48 bits, independent of every other
    template): what decks and exports draw, so a deck's note and an export hold the same problem."""
    digest = hashlib.blake2b(f"{seed}:{concept_id}.{template}:{variant}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def rounded(value: Any) -> Any:
    """A value as written for programs and cards: floats to 12 significant digits (so bytes never
    depend on the last ulp), non-finite floats as the strings the checkers use ("-inf"), so the
    JSON stays valid."""
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            return "nan" if value != value else ("inf" if value > 0 else "-inf")
        return float(f"{value:.12g}")
    if kind is list or kind is tuple:
        return [rounded(v) for v in value]
    return value


@dataclass(frozen=True)
class Problem:
    """One concrete problem, with everything needed to show, judge and explain it."""

    id: str
    concept: str
    template: str
    family: str
    version: int
    seed: int
    prompt: str
    inputs: dict[str, Any]
    answer: Answer
    steps: tuple[Step, ...]
    misconceptions: tuple[Misconception, ...]
    tolerance: Tolerance
    difficulty: int = 1
    figure: Figure | None = None

    def describe_inputs(self) -> str:
        return describe_inputs(self.family, self.inputs)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "concept": self.concept,
            "template": self.template,
            "family": self.family,
            "version": self.version,
            "seed": self.seed,
            "difficulty": self.difficulty,
            "prompt": self.prompt,
            "inputs": self.inputs,
            "answer": {**self.answer.to_json(), "value": rounded(self.answer.value)},
            # Shapes are compared exactly: a tolerance would mean nothing there.
            "tolerance": None
            if self.answer.kind in ("shape", "formula")
            else {"rel": self.tolerance.rel, "abs": self.tolerance.abs},
            "steps": [
                {**s.to_json(), "value": rounded(s.value)} for s in self.steps
            ],
            "misconceptions": [
                {**m.to_json(), "value": rounded(m.value)} for m in self.misconceptions
            ],
        }

    def to_jsonl(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def jsonl_line(index: int, problem: Problem) -> str:
    """What ``generate --format jsonl`` writes of a built problem (a ``render`` for ``build_many``)."""
    return problem.to_jsonl()


def describer(family: str) -> Callable[[dict[str, Any]], Any]:
    """The family's ``describe``: its inputs laid out as a learner reads them (faces that typeset
    run it through ``quizgen.core.render.input_parts``). Faces ask here, not the generator."""
    return GENERATORS[family].describe


def describe_inputs(family: str, inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner, as the family lays them out."""
    return str(GENERATORS[family].describe(inputs))


class Solved(NamedTuple):
    """A checker's solution with its answer typed: what a learner's answer is judged against."""

    answer: Answer
    steps: tuple[Step, ...]
    misconceptions: tuple[Misconception, ...]
    figure: Figure | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer.to_json(),
            "steps": [s.to_json() for s in self.steps],
            "misconceptions": [m.to_json() for m in self.misconceptions],
        }


def solve_problem(family: str, inputs: dict[str, Any]) -> Solved:
    """Solve ``inputs`` with the family's checker and type the answer by the generator's declaration.

    The generator says once what kind of answer its inputs ask for (``expected``); the checker
    computes only the value. That the two agree for every template is tested, not re-checked here.
    An ask the generator does not declare is refused (``ValueError``) before the checker runs.
    """
    refuse_unknown_ask(family, inputs)
    solution = get_checker(family)(inputs)
    declared = expected(family, inputs)
    steps = tuple(step._replace(value=unnoised(step.value)) for step in solution.steps)
    mistakes = tuple(m._replace(value=unnoised(m.value)) for m in solution.misconceptions)
    return Solved(Answer(declared.kind, unnoised(solution.value), declared.whole), steps, mistakes, solution.figure)


NOISE = 1e-14
"""An entry of a vector or matrix this small beside its largest entry (some 45 units in the last
place) is rounding noise; a real small entry, a softmax weight of 1e-13 times a value, is kept."""


def unnoised(value: Any) -> Any:
    """A vector or matrix with its entries of rounding noise as exact zeros: batch norm of a
    constant column is 2.22e-16 in doubles, and a learner is shown 0 (every face, and the key the
    judge compares with, whose tolerance is far wider). Anything else as it is."""
    if type(value) is not list or not value:
        return value
    rows = value if type(value[0]) is list else [value]
    try:
        floor = NOISE * max(abs(v) for row in rows for v in row)
        if not math.isfinite(floor) or not any(0 < abs(v) <= floor for row in rows for v in row):
            return value  # the common case: nothing to change (text, ints, no noise)
    except TypeError:  # text, or rows mixed with numbers
        return value
    clean = [[0.0 if abs(v) <= floor else v for v in row] for row in rows]
    return clean if rows is value else clean[0]


def first_draw(template: Template, seed: int) -> dict[str, Any]:
    """The inputs ``build_problem`` draws first for this seed: the generator alone, no checker and
    no torch (the drill shows them while torch loads; ``build_problem`` may draw again)."""
    return dict(GENERATORS[template.generator].draw(template.resolved_params(), random.Random(seed)))


def warm_checkers(families: Iterable[str]) -> None:
    """Import these families' checkers, and torch with them, without building a problem: the
    drill does this in a background thread while the learner reads its first question."""
    for family in sorted(set(families)):
        get_checker(family)


def usable_draws(template: Template) -> tuple[int, int, dict[str, int]]:
    """For a template of the ``authored`` family: of a fixed seeded sample of draws, how many
    are usable, out of how many, and why the others are not (reason -> count). ``quizgen check``
    reports it; faces ask here, not the generator."""
    from quizgen.generators.authored_check import SAMPLE_DRAWS, usable

    passed, reasons, _ = usable(template.params)
    return passed, SAMPLE_DRAWS, {why: count for (_, why), count in reasons.items()}


def hidden_mistake(solved: Solved, tolerance: Tolerance) -> str | None:
    """The first named misconception that lands within tolerance of the key (the builder then
    draws the variant again), or None."""
    kind, value = solved.answer.kind, solved.answer.value
    return next((m.name for m in solved.misconceptions if close(kind, value, m.value, tolerance)), None)


def drawn(family: str, inputs: Any) -> Any:
    """What a problem drew: its inputs, or the part a family names (``drawn``: an authored
    problem's inputs also carry its template's texts and expressions)."""
    own = getattr(GENERATORS[family], "drawn", None)
    return inputs if own is None else own(inputs)


def deciding_params(template: Template) -> dict[str, Any]:
    """What of a template's parameters decides its problems, as its family says (``deciding``:
    an authored template's texts and worked steps do not); by default all of them."""
    own = getattr(GENERATORS[template.generator], "deciding", None)
    return template.resolved_params() if own is None else own(template.resolved_params())


def template_version(template: Template) -> int:
    """The version of a template's drawing, the ``vN`` of its problem ids: the highest of the
    generator's ``VERSION``, ``VERSIONS[ask]`` over the asks the template draws from (a
    generator bumps one ask there when only that ask's drawing changes) and what the
    generator's own ``version(params)`` says (an authored template states its version; some
    families bump templates by another parameter, such as classification's average)."""
    module = GENERATORS[template.generator]
    params = template.resolved_params()
    per_ask = getattr(module, "VERSIONS", {})
    own = getattr(module, "version", None)
    return max([int(module.VERSION), *(int(per_ask.get(a, module.VERSION)) for a in params.get("ask", ())),
                *([int(own(params))] if own is not None else [])])


class Teaching(NamedTuple):
    """What a built problem can tell a learner about a wrong answer (the teaching-value rule)."""

    diagnosable: bool
    """At least one named mistake gives a value other than the key."""
    ambiguous: bool
    """Two named mistakes give the same value (typing one, the judge names both)."""


TARGET_DIAGNOSABLE = 0.90
"""The least share of a template's variants that must be diagnosable."""
TARGET_AMBIGUOUS = 0.05
"""The largest share of a template's variants that may be ambiguous."""
TARGET_COMMONEST = 1 / 3
"""The largest share of a template's variants that may have one key: a key that answers more can
be given without the computation ("error" for shape chains, one count). A formula template, one
formula in its symbols, is excepted."""


def commonest_key(problems: Sequence[Problem]) -> tuple[str, float]:
    """The key most of ``problems`` have, as written (JSON), and the share of them that have it."""
    counts = Counter(json.dumps(rounded(p.answer.value)) for p in problems)
    key, n = counts.most_common(1)[0]
    return key, n / len(problems)


def teaching(problem: Problem) -> Teaching:
    """How ``problem`` fares under the teaching-value rule, with the judge's notion of "the same
    value": ``close`` under the template's tolerance, the test the judge uses to name a mistake."""
    kind, key, tol, ms = problem.answer.kind, problem.answer.value, problem.tolerance, problem.misconceptions
    diagnosable = any(not close(kind, key, m.value, tol) for m in ms)
    ambiguous = any(i != j and close(kind, a.value, b.value, tol) for i, a in enumerate(ms) for j, b in enumerate(ms))
    return Teaching(diagnosable, ambiguous)


def _problem(concept: Concept, template: Template, version: int, seed: int, inputs: dict[str, Any], solution: Any) -> Problem:
    return Problem(
        id=problem_id(concept.id, template.name, version, seed),
        concept=concept.id,
        template=template.name,
        family=template.generator,
        version=version,
        seed=seed,
        prompt=template.prompt,
        inputs=inputs,
        answer=solution.answer,
        steps=solution.steps,
        misconceptions=solution.misconceptions,
        tolerance=template.tolerance,
        difficulty=template.difficulty,
        figure=solution.figure,
    )


def build_problem(concept: Concept, template: Template, seed: int) -> Problem:
    """Draw, check and return the problem ``concept.template`` with this seed.

    The one redraw loop, the teaching-value rule: draw inputs from ``random.Random(seed)``, solve
    them, and draw again from the same generator state while a named misconception lands within
    tolerance of the key (the generator itself draws again when the answer could be read off the
    inputs). Templates are designed so that this is rare (``tests/test_references.py`` measures
    it); the bound only turns a template that cannot be drawn into a clear error.
    """
    import torch

    from quizgen.core.expression import Undefined

    module = GENERATORS[template.generator]
    params = template.resolved_params()
    rng = random.Random(seed)
    hidden = None
    # No checker needs gradients; inference mode skips autograd's bookkeeping on every tiny op.
    with torch.inference_mode():
        for _ in range(MAX_REDRAWS):
            try:
                inputs = module.draw(params, rng)
            except GenerationError as exc:
                raise GenerationError(f"{concept.path}: template {template.name!r}: {exc}") from None
            try:
                solution = solve_problem(template.generator, inputs)
            except Undefined as exc:  # drawn as usable, yet torch finds no answer: say so, no traceback
                raise GenerationError(
                    f"{concept.path}: template {template.name!r}: torch computes no answer for a variant its "
                    f"generator drew ({exc}); run quizgen check on this file"
                ) from None
            hidden = hidden_mistake(solution, template.tolerance)
            if hidden is None:
                return _problem(concept, template, template_version(template), seed, inputs, solution)
    fix = ("change that mistake's value, or the inputs' ranges (quizgen check names such a mistake)"
           if template.generator == "authored" else f"widen its params ({template.params})")
    raise GenerationError(
        f"{concept.path}: template {template.name!r} drew {MAX_REDRAWS} variants in a row where a named "
        f"misconception ({hidden}) equals the answer; {fix}"
    )


def rebuild(pid: str, concepts: Sequence[Concept]) -> Problem:
    """The problem a problem id names, drawn again. An id of another version of its template's
    drawing is refused, naming both versions: the same seed would now draw another problem."""
    cid, tname, version, seed = parse_problem_id(pid)
    matches = [c for c in concepts if c.id == cid]
    if not matches:
        raise QuizgenError(f"problem {pid!r}: no concept {cid!r}")
    template = matches[0].template(tname)
    current = template_version(template)
    if current != version:
        raise QuizgenError(
            f"problem {pid!r} was drawn by version {version} of the template {cid}.{tname}, but this quizgen "
            f"draws version {current}, where the same seed gives another problem; it cannot be drawn again"
        )
    return build_problem(matches[0], template, seed)


def plan(concepts: Sequence[Concept]) -> list[tuple[Concept, Template]]:
    """Every (concept, template) pair, taken in turn: the first template of each concept, then
    the second of each, and so on (concepts by id, templates in file order), so that a few
    problems on several topics touch all of them."""
    ordered = sorted(concepts, key=lambda c: c.id)
    longest = max((len(c.templates) for c in ordered), default=0)
    return [(c, c.templates[k]) for k in range(longest) for c in ordered if k < len(c.templates)]


def generate_jobs(concepts: Sequence[Concept], n: int, seed: int) -> list[Job]:
    """The ``n`` problems ``quizgen generate`` makes: every template in turn, from ``seed``."""
    pairs = plan(concepts)
    if not pairs:
        raise QuizgenError("these concepts have no problem templates")
    return [(*pairs[index % len(pairs)], variant_seed(seed, index)) for index in range(n)]


# ---------------------------------------------------------------------------------------------
# Many problems at once, on every core

Job = tuple[Concept, Template, int]
"""What one problem is built from: its concept, its template and its seed."""

_CHUNK = 250
_jobs: Sequence[Job] = ()
_keep_going = False
_render: Callable[[int, Any], Any] | None = None


def _build_one(index: int) -> Any:
    job = _jobs[index]
    if not _keep_going:
        built: Problem | str = build_problem(*job)
    else:
        try:
            built = build_problem(*job)
        except Exception as exc:  # one problem that cannot be drawn must not stop the others
            built = f"the problem its id names could not be drawn ({type(exc).__name__}: {exc})"
    return built if _render is None else _render(index, built)


def _ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _build_chunk(bounds: tuple[int, int]) -> list[Any]:
    return [_build_one(index) for index in range(*bounds)]


T = TypeVar("T")


@overload
def build_many(jobs: Sequence[Job], processes: int = 0, keep_going: Literal[False] = False) -> Iterator[list[Problem]]: ...
@overload
def build_many(jobs: Sequence[Job], processes: int = 0, *, keep_going: Literal[True]) -> Iterator[list[Problem | str]]: ...
@overload
def build_many(
    jobs: Sequence[Job], processes: int = 0, keep_going: bool = False, *, render: Callable[[int, Any], T]
) -> Iterator[list[T]]: ...


def build_many(
    jobs: Sequence[Job], processes: int = 0, keep_going: bool = False, render: Callable[[int, Any], Any] | None = None
) -> Iterator[list[Any]]:
    """Build every job's problem, in order, in chunks: the one way many problems are made.

    Each problem depends only on its job, so the work splits across processes without changing
    a byte. ``processes=0`` uses every core (at most 8) for runs of 1,000 problems or more; the
    workers are forked after the checkers and torch are imported, so they start in milliseconds.
    Where fork is unavailable the work runs in this process. With ``keep_going`` a job whose
    problem cannot be built gives the reason, as text, in its place (grading marks that one
    question and goes on); otherwise the error is raised. With ``render`` the chunks hold what
    ``render(index, problem)`` makes of each job's problem (or of its reason, with ``keep_going``),
    made where the problem was built: a worker then sends back a line of JSON or a grade rather
    than a pickled problem, and the work on it is shared across the cores too.
    """
    import multiprocessing  # here: the drill imports this module for one problem at a time

    global _jobs, _keep_going, _render
    load_checkers({template.generator for _, template, _ in jobs})  # once, before any fork
    n = len(jobs)
    chunks = [(start, min(start + _CHUNK, n)) for start in range(0, n, _CHUNK)]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    processes = processes or (min(cores, 8) if n >= 4 * _CHUNK else 1)
    _jobs, _keep_going, _render = jobs, keep_going, render
    try:
        if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for bounds in chunks:
                yield _build_chunk(bounds)
            return
        # Each template's first problem built here, before the fork: what a checker imports or
        # a decision remembers on first use (meta-tensor arithmetic imports torch's symbolic
        # shapes and sympy, 0.2-0.4 s) is then paid once, not once in every worker. A problem
        # that cannot be built fails later, in its place.
        for job in {(job[0].id, job[1].name): job for job in reversed(jobs)}.values():
            try:
                build_problem(*job)
            except Exception:
                pass
        # Ctrl-C reaches every process of the terminal's group: the workers ignore it, and this
        # process stops them (leaving the pool terminates it), so one "interrupted" is printed.
        # They are forked ignoring it: one that took it before its initializer ran printed a
        # traceback and died, the pool forked another, and a worker could be left behind,
        # blocked for ever on a lock the dead one held.
        default = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
        if default is not None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            pool = multiprocessing.get_context("fork").Pool(processes, initializer=_ignore_interrupt)
        finally:
            if default is not None:
                signal.signal(signal.SIGINT, default)
        with pool:
            yield from pool.imap(_build_chunk, chunks)
    finally:
        _jobs, _keep_going, _render = (), False, None
