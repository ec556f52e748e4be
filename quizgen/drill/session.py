"""``quizgen drill`` and ``quizgen stats``: a terminal quiz with exact grading and FSRS scheduling.

A drill asks one thing at a time: a problem variant of a template, or a flashcard. Every problem
template and every flashcard is an FSRS card (``quizgen.drill.store``); a problem card shows a
fresh variant at each review. Answers go through the one judge (``quizgen.judge.judge``).

Getting the first question on screen fast: nothing on the way to it imports torch. A problem
comes from one of three sources, tried in this order:

``queued``
    A variant built ahead of time by an earlier drill (with torch, in the background) and stored
    with its exact answer, steps and misconceptions. It is shown and graded without torch.
``built``
    Once torch is loaded: ``build_problem`` with a fresh seed, exactly as ``quizgen generate``.
``first-draw``
    Torch not loaded yet and nothing queued: the generator's first draw for a fresh seed (no
    torch) is shown at once, and solved when the answer arrives. ``build_problem`` would draw
    again if a named misconception landed within tolerance of the key; a shown problem cannot be
    swapped, so it is graded exactly as drawn and such a mistake (which gives the right answer
    for these inputs) is left out of the feedback, with a note. The review log marks the problem
    id as not reproducing the inputs (``id_exact = 0``) and keeps the inputs themselves.

Torch and the checkers are imported by a background thread started once the first question is on
screen, while the learner reads; it then fills the queue (one variant per problem card).
``--seed`` makes the session reproducible: the i-th question uses ``variant_seed(seed, i)`` and
always its first draw, whatever has been loaded or queued.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from quizgen.core.answer import Answer, Misconception, Step
from quizgen.core.command import concept_dir, friendly
from quizgen.core.concepts import select
from quizgen.core.errors import AnswerParseError
from quizgen.drill.display import (
    Out,
    fmt_inline,
    step_lines,
    table_lines,
    value_lines,
    vector_marks,
)
from quizgen.drill.store import (
    RATING_NAMES,
    Clock,
    Store,
    db_path,
    fingerprint,
    flashcard_id,
    problem_card_id,
    summarise,
    when,
)
from quizgen.judge import (
    Tolerance,
    Verdict,
    close,
    describe_expected,
    format_value,
    judge,
    parse,
)

DEFAULT_N = 10
EASY_SECONDS = 15.0
"""A right answer within ``EASY_SECONDS × difficulty`` seconds is rated Easy."""
HARD_SECONDS = 90.0
"""A right answer after more than ``HARD_SECONDS × difficulty`` seconds is rated Hard."""
MAX_CONTINUATION_LINES = 20

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept, Flashcard, Template


# ---------------------------------------------------------------------------------------------
# Cards of a session


@dataclass(frozen=True)
class Item:
    """One card of the session: a problem template or a flashcard of a concept."""

    id: str
    concept: Concept
    rank: int
    template: Template | None = None
    flashcard: Flashcard | None = None

    @property
    def kind(self) -> str:
        return "problem" if self.template is not None else "flashcard"


def plan_items(concepts: Sequence[Concept]) -> list[Item]:
    """Every card of the concepts, in the order new cards are introduced.

    Concepts by id; within a concept templates and flashcards alternate (template first), each in
    file order, so a new topic starts with a problem and theory and practice interleave.
    """
    items: list[Item] = []
    for c in sorted(concepts, key=lambda c: c.id):
        problems = [("t", t) for t in c.problems]
        cards = [("f", f) for f in c.flashcards]
        order: list[tuple[str, Any]] = []
        for i in range(max(len(problems), len(cards))):
            order.extend(problems[i : i + 1] + cards[i : i + 1])
        for tag, obj in order:
            if tag == "t":
                items.append(Item(problem_card_id(c.id, obj.name), c, len(items), template=obj))
            else:
                items.append(Item(flashcard_id(c.id, obj.front), c, len(items), flashcard=obj))
    return items


def template_fingerprint(concept: Concept, template: Template) -> str:
    """What a stored variant depends on: the template, its generator's version, quizgen's version."""
    from quizgen import __version__
    from quizgen.generators import GENERATORS

    return fingerprint(
        concept.id,
        template.name,
        template.generator,
        template.prompt,
        template.params,
        template.difficulty,
        [template.tolerance.rel, template.tolerance.abs],
        GENERATORS[template.generator].VERSION,
        __version__,
    )


def rating_for(status: str, seconds: float, difficulty: int) -> int:
    """FSRS rating of a graded problem: wrong -> Again (1); right -> Easy (4) when fast, Hard (2)
    when slow, else Good (3). Fast and slow scale with the template's difficulty (1–5)."""
    if status != "right":
        return 1
    level = max(1, int(difficulty))
    if seconds <= EASY_SECONDS * level:
        return 4
    if seconds > HARD_SECONDS * level:
        return 2
    return 3


# ---------------------------------------------------------------------------------------------
# Problems without torch


def expected_answer(family: str, inputs: dict[str, Any]) -> Answer:
    """An answer of the right kind and dimensions for a problem's inputs, without solving it.

    Only the kind and dimensions matter (for "a 2×3 matrix" and for reading the typed text
    before torch is loaded); each generator module says it with ``expected(inputs)``.
    """
    from quizgen.generators import GENERATORS

    return GENERATORS[family].expected(inputs)


@dataclass(frozen=True)
class Solved:
    """The exact answer of a shown problem, its worked steps and the mistakes it tells apart."""

    answer: Answer
    steps: tuple[Step, ...]
    misconceptions: tuple[Misconception, ...]
    tolerance: Tolerance
    dropped: tuple[Misconception, ...] = ()


def problem_record(problem: Any) -> dict[str, Any]:
    """A built problem as JSON with exact floats (Python's float repr round-trips)."""
    return {
        "id": problem.id,
        "seed": problem.seed,
        "inputs": problem.inputs,
        "answer": problem.answer.to_json(),
        "steps": [s.to_json() for s in problem.steps],
        "misconceptions": [m.to_json() for m in problem.misconceptions],
    }


def solved_from_record(record: dict[str, Any], tolerance: Tolerance) -> Solved:
    return Solved(
        answer=Answer(record["answer"]["kind"], record["answer"]["value"]),
        steps=tuple(Step(s["label"], s["value"], s.get("shape"), s.get("note", "")) for s in record["steps"]),
        misconceptions=tuple(Misconception(m["name"], m["description"], m["value"]) for m in record["misconceptions"]),
        tolerance=tolerance,
    )


def first_draw(template: Template, seed: int) -> dict[str, Any]:
    """The inputs ``build_problem`` draws first for this seed (generator only, no torch)."""
    from quizgen.generators import GENERATORS

    return dict(GENERATORS[template.generator].draw(template.resolved_params(), random.Random(seed)))


def solve_inputs(template: Template, inputs: dict[str, Any]) -> Solved:
    """Solve shown inputs exactly; leave out the mistakes that give the key for these inputs."""
    from quizgen.core.problems import solve_problem

    solution = solve_problem(template.generator, inputs)
    key = solution.answer
    kept: list[Misconception] = []
    dropped: list[Misconception] = []
    for m in solution.misconceptions:
        (dropped if close(key.kind, key.value, m.value, template.tolerance) else kept).append(m)
    return Solved(key, tuple(solution.steps), tuple(kept), template.tolerance, tuple(dropped))


@dataclass
class Prepared:
    """A problem about to be shown."""

    item: Item
    seed: int
    problem_id: str
    inputs: dict[str, Any]
    source: str
    expected: Answer | None
    solved: Solved | None = None
    variant_id: int | None = None

    @property
    def id_exact(self) -> bool | None:
        if self.solved is None:
            return None
        return not self.solved.dropped


# ---------------------------------------------------------------------------------------------
# Torch in the background


class Background:
    """Imports torch and the checkers while the learner reads, then builds variants ahead.

    ``start`` is called once the first question is on screen. The thread imports every checker
    the session can need; ``wait`` joins that part (re-raising its error, if any). With a store
    path it then keeps one ready variant per problem card in the database, refilling a card when
    the drill has used its variant. Filling is an optimisation: its failures are not fatal.
    """

    def __init__(self, families: Sequence[str], fill: list[Item] | None, path: Any):
        self._families = sorted(set(families))
        self._fill = fill
        self._path = path
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._refills: queue.Queue[Item | None] = queue.Queue()
        self.fill_error: BaseException | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="quizgen-torch", daemon=True)
            self._thread.start()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    def wait(self) -> None:
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def refill(self, item: Item) -> None:
        if self._fill is not None:
            self._refills.put(item)

    def stop(self) -> None:
        self._refills.put(None)
        if self._thread is not None and self._ready.is_set():
            # Let a variant being written finish; never wait for torch itself.
            self._thread.join(timeout=0.5)

    def _run(self) -> None:
        try:
            from checkers import get_checker

            for family in self._families:
                get_checker(family)
        except BaseException as exc:  # re-raised in the main thread by wait()
            self._error = exc
            return
        finally:
            self._ready.set()
        if self._fill is None:
            return
        try:
            self._filler()
        except Exception as exc:
            self.fill_error = exc

    def _filler(self) -> None:
        from quizgen.core.problems import build_problem

        rng = random.Random(int.from_bytes(os.urandom(8), "big"))
        with Store(self._path) as store:

            def ensure(item: Item) -> None:
                template = item.template
                if template is None:
                    return
                fp = template_fingerprint(item.concept, template)
                if store.has_variant(item.id, fp):
                    return
                seed = rng.getrandbits(48)
                problem = build_problem(item.concept, template, seed)
                store.put_variant(item.id, fp, seed, problem_record(problem))

            for item in self._fill or ():
                ensure(item)
            while (refill := self._refills.get()) is not None:
                ensure(refill)


# ---------------------------------------------------------------------------------------------
# The session


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    coarse: int = 0
    cards: int = 0
    mistakes: list[str] = field(default_factory=list)


class Session:
    """One drill: pick a card, ask, grade, save, explain; until ``n`` cards, Ctrl-C or end of input."""

    def __init__(
        self,
        concepts: Sequence[Concept],
        store: Store,
        out: Out,
        clock: Clock,
        *,
        n: int = DEFAULT_N,
        seed: int | None = None,
        due_only: bool = False,
    ):
        self.items = plan_items(concepts)
        self.by_id = {it.id: it for it in self.items}
        self.store = store
        self.out = out
        self.clock = clock
        self.n = n
        self.seed = seed
        self.due_only = due_only
        self.tally = Tally()
        self.asked: set[str] = set()
        self.last: str | None = None
        self.index = 0
        self._rng = random.Random(int.from_bytes(os.urandom(8), "big"))
        families = {it.template.generator for it in self.items if it.template is not None}
        fill = [it for it in self.items if it.template is not None] if store.save else None
        self.background = Background(sorted(families), fill, store.path if store.save else None)

    # -- choosing -------------------------------------------------------------------------------

    def pick(self) -> Item | None:
        """Due cards first (most overdue first), then new ones, then practice ahead (earliest due).

        With ``--due`` only due cards that have been reviewed before. The card just asked is
        never asked again right away.
        """
        states = self.store.states(self.by_id)
        now = self.clock.now().timestamp()
        due = sorted(
            (s.due, self.by_id[i].rank, i) for i, s in states.items() if s.due <= now and i != self.last
        )
        if due:
            return self.by_id[due[0][2]]
        if self.due_only:
            return None
        for it in self.items:
            if it.id not in states and it.id not in self.asked:
                return it
        ahead = sorted(
            (i in self.asked, s.due, self.by_id[i].rank, i) for i, s in states.items() if i != self.last
        )
        if ahead:
            return self.by_id[ahead[0][3]]
        fresh = [it for it in self.items if it.id != self.last]
        return fresh[0] if fresh else None

    def run(self) -> int:
        """Ask until done; returns the exit status (0, or 130 after Ctrl-C)."""
        code = 0
        try:
            first = self.pick()
            if first is None:
                self._nothing_due()
                return 0
            item: Item | None = first
            while item is not None and self.index < self.n:
                if item.template is not None:
                    self.ask_problem(item)
                else:
                    self.ask_flashcard(item)
                self.asked.add(item.id)
                self.last = item.id
                self.index += 1
                item = self.pick() if self.index < self.n else None
            if self.index < self.n and self.due_only:
                self.out.para(("Nothing else is due.", "dim"))
        except EOFError:
            self.out.blank()
        except KeyboardInterrupt:
            self.out.blank()
            code = 130
        finally:
            self.background.stop()
        self._summary()
        return code

    # -- problems -------------------------------------------------------------------------------

    def prepare(self, item: Item) -> Prepared:
        from quizgen.core.problems import build_problem, problem_id, variant_seed
        from quizgen.generators import GENERATORS

        template = item.template
        if template is None:  # pragma: no cover - callers pass problem items only
            raise ValueError("prepare() needs a problem card")
        concept = item.concept
        version = GENERATORS[template.generator].VERSION
        if self.seed is None:
            variant = self.store.variant(item.id, template_fingerprint(concept, template))
            if variant is not None:
                solved = solved_from_record(variant.record, template.tolerance)
                return Prepared(
                    item, variant.seed, str(variant.record["id"]), variant.record["inputs"], "queued",
                    solved.answer, solved, variant.id,
                )
            seed = self._rng.getrandbits(48)
            if self.background.ready:
                problem = build_problem(concept, template, seed)
                solved = Solved(problem.answer, problem.steps, problem.misconceptions, problem.tolerance)
                return Prepared(item, seed, problem.id, problem.inputs, "built", solved.answer, solved)
        else:
            seed = variant_seed(self.seed, self.index)
        inputs = first_draw(template, seed)
        pid = problem_id(concept.id, template.name, version, seed)
        return Prepared(item, seed, pid, inputs, "first-draw", expected_answer(template.generator, inputs))

    def solve(self, prep: Prepared) -> Solved:
        if prep.solved is None:
            if not self.background.ready:
                self.out.para(("checking… (torch is still loading)", "dim"))
            self.background.wait()
            template = prep.item.template
            if template is None:  # pragma: no cover
                raise ValueError("solve() needs a problem card")
            prep.solved = solve_inputs(template, prep.inputs)
            prep.expected = prep.solved.answer
        return prep.solved

    def read_answer(self, kind: str | None) -> str:
        """One answer line; a vector or matrix pasted over several lines continues while a line
        ends inside open brackets after a comma or an opening bracket (as docs/answers.md reads it)."""
        text = self.out.ask("> ")
        if kind in ("vector", "matrix"):
            for _ in range(MAX_CONTINUATION_LINES):
                if not _open_ended(text):
                    break
                text += "\n" + self.out.ask("… ")
        return text

    def ask_problem(self, item: Item) -> None:
        prep = self.prepare(item)
        self._show_question(prep)
        self.background.start()
        started = time.monotonic()
        template = item.template
        if template is None:  # pragma: no cover
            raise ValueError("ask_problem() needs a problem card")
        while True:
            kind = prep.expected.kind if prep.expected is not None else None
            text = self.read_answer(kind)
            if not text.strip():
                self.out.para(("Type an answer (Ctrl-D or Ctrl-C ends the drill).", "dim"))
                continue
            if kind is not None:
                # The judge's own reader: unreadable text is answered at once, even before torch.
                try:
                    parse(text, kind)
                except AnswerParseError as exc:
                    self._unreadable(str(exc))
                    continue
            solved = self.solve(prep)
            verdict = judge(solved.answer, text, solved.tolerance, solved.misconceptions)
            if verdict.status == "unreadable":
                self._unreadable(verdict.message)
                continue
            if verdict.status == "too-few-figures":
                self._save(prep, text, verdict, None, time.monotonic() - started)
                self.tally.coarse += 1
                self.out.para(("~ ", "coarse"), (verdict.message, "coarse"))
                self.out.para(("Same question again: give more figures (or an exact expression such as 1/sqrt(3)).", "dim"))
                continue
            break
        seconds = time.monotonic() - started
        rating = rating_for(verdict.status, seconds, template.difficulty)
        state = self._save(prep, text, verdict, rating, seconds)
        if verdict.status == "right":
            self.tally.right += 1
        else:
            self.tally.wrong += 1
            if verdict.misconception is not None:
                self.tally.mistakes.append(verdict.misconception.name)
        if prep.source == "queued":
            self.background.refill(item)
        self._show_feedback(prep, solved, verdict, rating, state)

    def _save(self, prep: Prepared, text: str, verdict: Verdict, rating: int | None, seconds: float) -> Any:
        solved = prep.solved
        return self.store.record_review(
            card_id=prep.item.id,
            concept=prep.item.concept.id,
            kind="problem",
            now=self.clock.now(),
            rating=rating,
            status=verdict.status,
            problem=prep.problem_id,
            inputs=prep.inputs,
            given=text,
            misconception=verdict.misconception.name if verdict.misconception else None,
            possible=[m.name for m in solved.misconceptions] if solved else (),
            duration=seconds,
            source=prep.source,
            id_exact=prep.id_exact,
            variant_id=prep.variant_id,
        )

    # -- flashcards -----------------------------------------------------------------------------

    def ask_flashcard(self, item: Item) -> None:
        card = item.flashcard
        if card is None:  # pragma: no cover
            raise ValueError("ask_flashcard() needs a flashcard")
        out = self.out
        out.rule(self._header(item, "flashcard"))
        out.para((card.front, "bold"))
        out.blank()
        self.background.start()
        started = time.monotonic()
        out.ask("Enter shows the answer > ")
        seconds = time.monotonic() - started
        out.para((card.back, ""))
        if card.extra:
            out.para((card.extra, "dim"))
        out.blank()
        while True:
            rating = _read_rating(out.ask("How well did you know it? 1 again · 2 hard · 3 good · 4 easy > "))
            if rating is not None:
                break
            out.para(("Type 1, 2, 3 or 4 (or again, hard, good, easy).", "coarse"))
        state = self.store.record_review(
            card_id=item.id,
            concept=item.concept.id,
            kind="flashcard",
            now=self.clock.now(),
            rating=rating,
            status=RATING_NAMES[rating],
            duration=seconds,
        )
        self.tally.cards += 1
        if state is not None:
            out.para((f"Next review of this card: {when(state.due, self.clock.now())}.", "dim"))
        out.blank()

    # -- showing --------------------------------------------------------------------------------

    def _header(self, item: Item, what: str) -> str:
        return f"{self.index + 1}/{self.n} · {item.concept.title} · {what}"

    def _show_question(self, prep: Prepared) -> None:
        from quizgen.generators import GENERATORS

        out = self.out
        template = prep.item.template
        if template is None:  # pragma: no cover
            return
        out.rule(self._header(prep.item, f"{template.name} · difficulty {template.difficulty}"))
        out.para((prep.problem_id, "dim"))
        out.para((template.prompt, ""))
        out.blank()
        out.text_block(str(GENERATORS[template.generator].describe(prep.inputs)), style="code")
        out.blank()
        if prep.expected is not None:
            expected = describe_expected(prep.expected)
            hint = "; one line, rows separated by ;" if prep.expected.kind == "matrix" else ""
            out.para(("Answer with ", "dim"), (expected, "bold"), (hint, "dim"))
        else:
            out.para(("Answer as the prompt asks.", "dim"))

    def _unreadable(self, message: str) -> None:
        self.out.para(("? ", "coarse"), (message, "coarse"))
        self.out.para(("Same question again (no penalty).", "dim"))

    def _show_feedback(self, prep: Prepared, solved: Solved, verdict: Verdict, rating: int, state: Any) -> None:
        out = self.out
        kind = solved.answer.kind
        if verdict.status == "right":
            out.para(("✓ ", "right"), (verdict.message, "right"))
        elif verdict.misconception is not None and verdict.misconception.name in verdict.message:
            # The judge's message names the mistake and says why it is one; the name stands out.
            before, _, after = verdict.message.partition(verdict.misconception.name)
            out.para(("✗ ", "wrong"), (before, "wrong"), (verdict.misconception.name, "mistake"), (after, ""))
        else:
            out.para(("✗ ", "wrong"), (verdict.message, "wrong"))
        marks = list(verdict.wrong_entries)
        block = value_lines(solved.answer.value if kind == "matrix" else None, marks)
        if kind == "vector" and marks:
            block = table_lines([solved.answer.value], vector_marks(marks))
        if block is not None:
            note = "  (* your wrong entries)" if marks else ""
            out.para(("Answer:", "bold"), (note, "dim"))
            out.pre(block)
            if verdict.given is not None and verdict.status != "right":
                given = value_lines(verdict.given if kind == "matrix" else [verdict.given], marks if kind == "matrix" else vector_marks(marks))
                if given is not None:
                    out.para(("You typed:", "dim"))
                    out.pre(given)
        else:
            out.para(("Answer: ", "bold"), (format_value(kind, solved.answer.value), "bold"))
        if solved.steps:
            out.para(("Worked solution:", "bold"))
            lines = []
            for step in solved.steps:
                lines.extend(step_lines(step.label, step.value, step.shape, step.note))
            out.pre(lines)
        for m in solved.dropped:
            out.para(
                ("Note: ", "dim"),
                (f"for these inputs the mistake {m.name} gives the answer too ({fmt_inline(m.value)}), so it "
                 "cannot be told apart here.", "dim"),
            )
        if state is not None:
            out.para((f"Rated {RATING_NAMES[rating]}; next review of this template: {when(state.due, self.clock.now())}.", "dim"))
        out.blank()

    def _nothing_due(self) -> None:
        states = self.store.states(self.by_id)
        if not states:
            self.out.para(("Nothing is due: these cards have never been reviewed (drop --due to start).", ""))
            return
        nxt = min(states.values(), key=lambda s: s.due)
        self.out.para(
            (f"Nothing is due. Next review: {_card_name(nxt.id, self.by_id)} {when(nxt.due, self.clock.now())}.", "")
        )

    def _summary(self) -> None:
        t = self.tally
        out = self.out
        out.rule("summary")
        graded = t.right + t.wrong
        parts = [f"{graded} problem{'s' if graded != 1 else ''}: {t.right} right, {t.wrong} wrong"]
        if t.coarse:
            parts.append(f"{t.coarse} too rough (not graded)")
        parts.append(f"{t.cards} flashcard{'s' if t.cards != 1 else ''} rated")
        out.para(("; ".join(parts) + ".", ""))
        if t.mistakes:
            names = sorted(set(t.mistakes), key=t.mistakes.index)
            out.para(("Named mistakes: ", "mistake"), (", ".join(f"{n} ×{t.mistakes.count(n)}" for n in names), ""))
        if self.store.save:
            out.para((f"Saved in {self.store.path}.", "dim"))
        else:
            out.para(("Not saved (--no-save).", "dim"))
        states = self.store.states(self.by_id)
        if states:
            nxt = min(states.values(), key=lambda s: s.due)
            out.para((f"Next due: {_card_name(nxt.id, self.by_id)} {when(nxt.due, self.clock.now())}.", "dim"))


def _open_ended(text: str) -> bool:
    s = text.rstrip()
    opened = s.count("[") + s.count("(")
    closed = s.count("]") + s.count(")")
    return bool(s) and s[-1] in ",[(" and opened > closed


_RATING_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "again": 1, "hard": 2, "good": 3, "easy": 4}


def _read_rating(text: str) -> int | None:
    return _RATING_WORDS.get(text.strip().lower())


def _card_name(card_id: str, items: dict[str, Item] | None = None) -> str:
    """A card for people: ``attention.scale-factor``, or a flashcard's concept and front."""
    if card_id.startswith("problem:"):
        return card_id.split(":", 1)[1]
    item = (items or {}).get(card_id)
    if item is not None and item.flashcard is not None:
        front = item.flashcard.front
        return f"{item.concept.id} card: {front if len(front) <= 48 else front[:47] + '…'}"
    return card_id


def _readline() -> None:
    """Line editing and history for typed answers, when a person is at a terminal."""
    if sys.stdin.isatty():
        try:
            import readline  # noqa: F401  (imported for its side effect on input())
        except ImportError:  # pragma: no cover - e.g. Python built without readline
            pass


# ---------------------------------------------------------------------------------------------
# Commands


@click.command("drill")
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "n", default=DEFAULT_N, show_default=True, type=click.IntRange(min=1, max=100_000), help="How many cards (problems and flashcards).")
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Reproducible variants: the i-th question uses variant seed i of SEED.")
@click.option("--due", "due_only", is_flag=True, help="Only scheduled reviews that are due (no new cards).")
@click.option("--no-save", is_flag=True, help="Do not write answers or schedules (the saved state is still read).")
@click.pass_context
@friendly
def drill_command(ctx: click.Context, topics: tuple[str, ...], n: int, seed: int | None, due_only: bool, no_save: bool) -> None:
    """Drill TOPIC... (concept ids or tags): problems graded exactly, flashcards, spaced repetition.

    One card at a time. A wrong answer shows the exact answer, the worked solution and the named
    mistake it matches. Every answer is saved as soon as it is graded (in $QUIZGEN_HOME, else
    $XDG_DATA_HOME/quizgen, else ~/.local/share/quizgen). Ctrl-C or Ctrl-D ends the drill with a
    summary. Without a terminal, answers are read from standard input, one per line.
    """
    from quizgen.core.concepts import load_concepts

    concepts = select(load_concepts(concept_dir(ctx)), topics)
    clock = Clock.from_env()
    out = Out()
    _readline()
    with Store(db_path(), save=not no_save) as store:
        session = Session(concepts, store, out, clock, n=n, seed=seed, due_only=due_only)
        code = session.run()
    sys.stdout.flush()
    if code:
        sys.exit(code)


@click.command("stats")
@click.argument("topics", nargs=-1)
@click.option("--recent", default=5, show_default=True, type=click.IntRange(min=0, max=10_000), help="How many of the latest answers to list.")
@click.pass_context
@friendly
def stats_command(ctx: click.Context, topics: tuple[str, ...], recent: int) -> None:
    """Show accuracy per concept and per named mistake, and what is due when (TOPIC: id or tag)."""
    from quizgen.core.concepts import load_concepts

    concepts = load_concepts(concept_dir(ctx))
    chosen = select(concepts, topics) if topics else list(concepts)
    clock = Clock.from_env()
    now = clock.now()
    out = Out()
    path = db_path()
    items = {it.id: it for it in plan_items(chosen)}
    cards = {c.id: [i for i, it in items.items() if it.concept.id == c.id] for c in chosen}
    with Store(path, save=False) as store:
        per, mistakes, states = summarise(store, cards, now)
        log = store.reviews(cards, limit=recent) if recent else []
    out.rule(f"answers ({path})")
    out.table(
        ["concept", "problems", "right", "accuracy", "too rough", "flashcards", "forgot"],
        [
            [
                s.concept,
                str(s.answered),
                str(s.right),
                f"{100 * s.accuracy:.0f}%" if s.accuracy is not None else "–",
                str(s.coarse),
                str(s.flashcards),
                str(s.flash_again),
            ]
            for s in per
        ],
        right=[False, True, True, True, True, True, True],
    )
    out.blank()
    out.rule("named mistakes (times made / times the problem could show it)")
    if mistakes:
        out.table(
            ["concept", "mistake", "made", "of", "rate"],
            [
                [m.concept, m.name, str(m.made), str(m.possible), f"{100 * m.made / m.possible:.0f}%" if m.possible else "–"]
                for m in mistakes
            ],
            right=[False, False, True, True, True],
        )
    else:
        out.para(("none yet", "dim"))
    out.blank()
    out.rule(f"due (now: {now.isoformat(timespec='minutes')})")
    out.table(
        ["concept", "due now", "in 24 h", "in 7 days", "later", "new", "next"],
        [
            [
                s.concept, str(s.due_now), str(s.due_day), str(s.due_week), str(s.due_later), str(s.new),
                when(s.next_due, now) if s.next_due is not None else "–",
            ]
            for s in per
        ],
        right=[False, True, True, True, True, True, False],
    )
    upcoming = states[:10]
    if upcoming:
        out.blank()
        out.table(["when", "card"], [[when(s.due, now), _card_name(s.id, items)] for s in upcoming])
    if log:
        out.blank()
        out.rule("latest answers")
        out.table(
            ["time", "card", "answer", "verdict", "mistake"],
            [
                [
                    r["time"],
                    r["problem"] or _card_name(r["card"], items),
                    _one_line(r["given"]) if r["given"] is not None else "–",
                    r["status"],
                    r["misconception"] or "",
                ]
                for r in log
            ],
        )


def _one_line(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
