"""``quizgen drill`` and ``quizgen stats``: a terminal quiz with exact grading and FSRS scheduling.

A drill asks one thing at a time: a problem variant of a template, or a flashcard. Every problem
template and every flashcard is an FSRS card (``quizgen.drill.store``); a problem card shows a
fresh variant at each review. Answers go through the one judge (``quizgen.judge.judge``).

Getting the first question on screen fast: nothing on the way to it imports torch. A problem
comes from one of two sources:

``built``
    Once torch is loaded: ``build_problem`` with a fresh seed, exactly as ``quizgen generate``.
``first-draw``
    Torch not loaded yet, in a session without ``--seed``: the generator's first draw for a
    fresh seed (no torch) is shown at once, and solved when the answer arrives. ``build_problem``
    would draw again if a named misconception landed within tolerance of the key; a shown problem
    cannot be swapped, so it is graded exactly as drawn and such a mistake (which gives the right
    answer for these inputs) is left out of the feedback, with a note that the id draws other
    inputs. The review log marks the problem id as not reproducing the inputs (``id_exact = 0``)
    and keeps the inputs themselves.

Torch and the checkers are imported by a background thread started once the first question is on
screen, while the learner reads: a learner needs longer to work out an answer than torch needs
to load, so even the first answer is usually graded at once.
``--seed`` makes the session reproducible: the i-th question is the problem ``build_problem`` makes
from ``variant_seed(seed, i)``, the one its id names (the first question waits for torch).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quizgen.core.errors import AnswerParseError
from quizgen.drill.cards import (
    DEFAULT_N,
    MAX_CONTINUATION_LINES,
    Background,
    Item,
    Prepared,
    plan_items,
    rating_for,
    solve_inputs,
)
from quizgen.drill.display import (
    Line,
    Out,
    fmt_inline,
    line_width,
    rows_lines,
    side_by_side,
    step_lines,
    table_lines,
    tally_sentence,
    unbroken,
    value_lines,
    vector_marks,
)
from quizgen.drill.store import (
    RATING_NAMES,
    Clock,
    Store,
    StoreBusy,
    when,
)
from quizgen.judge import (
    Verdict,
    describe_expected,
    format_value,
    judge,
    parse,
    typing_hint,
    unreadable,
)

if TYPE_CHECKING:
    from quizgen.core.answer import Answer
    from quizgen.core.concepts import Concept, Flashcard, Template
    from quizgen.core.problems import Solved


# ---------------------------------------------------------------------------------------------
# The session


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    skipped: int = 0
    coarse: int = 0
    cards: int = 0
    mistakes: list[str] = field(default_factory=list)


SKIP_WORDS = frozenset({"?", "skip", "pass", "reveal", "show"})
"""Typed instead of an answer: show the answer and its worked solution, and rate the card Again."""
QUIT_WORDS = frozenset({"quit", "exit", ":q"})
"""Typed instead of an answer or a rating: the drill ends, as with Ctrl-D."""
HELP_WORDS = frozenset({"help", "hint"})
HELP = "? shows the answer and its worked solution (rated again); quit, Ctrl-D or Ctrl-C ends the drill."


def _ends(text: str) -> str:
    """``text``, unless it asks to end the drill (``QUIT_WORDS``): then ``EOFError``."""
    if text.strip().lower() in QUIT_WORDS:
        raise EOFError
    return text


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
        self.background = Background(sorted(families))

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
            if self.due_only:  # "1/4", not "1/10": the cards due now are the whole session
                now = self.clock.now().timestamp()
                self.n = min(self.n, sum(s.due <= now for s in self.store.states(self.by_id).values()))
            damaged = [_card_name(card, self.by_id) for card in self.store.damaged if card in self.by_id]
            if damaged:
                more = f" and {len(damaged) - 3} more" if len(damaged) > 3 else ""
                self.out.para((
                    f"The saved schedule of {', '.join(damaged[:3])}{more} could not be read (its row in {self.store.path} "
                    "is damaged): asked as new, and the next answer saves a fresh schedule. Past answers are kept.",
                    "coarse",
                ))
            if first is None:
                self._nothing_due()
                return 0
            item: Item | None = first
            while item is not None and self.index < self.n:
                if item.template is not None:
                    self.ask_problem(item, item.template)
                elif item.flashcard is not None:
                    self.ask_flashcard(item, item.flashcard)
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
        self._summary()
        return code

    # -- problems -------------------------------------------------------------------------------

    def prepare(self, item: Item, template: Template) -> Prepared:
        from quizgen.core.problems import (
            Solved,
            build_problem,
            expected,
            first_draw,
            problem_id,
            template_version,
            variant_seed,
        )

        concept = item.concept
        seed = self._rng.getrandbits(48) if self.seed is None else variant_seed(self.seed, self.index)
        if self.seed is not None or self.background.ready:
            if not self.background.ready:
                self.out.para(("drawing… (torch is loading)", "dim"))
            self.background.wait()
            problem = build_problem(concept, template, seed)
            solved = Solved(problem.answer, problem.steps, problem.misconceptions, problem.figure)
            return Prepared(item, template, seed, problem.id, problem.inputs, "built", solved.answer, solved)
        version = template_version(template)
        inputs = first_draw(template, seed)
        pid = problem_id(concept.id, template.name, version, seed)
        return Prepared(item, template, seed, pid, inputs, "first-draw", expected(template.generator, inputs))

    def solve(self, prep: Prepared) -> Solved:
        if prep.solved is None:
            if not self.background.ready:
                self.out.para(("checking… (torch is still loading)", "dim"))
            self.background.wait()
            prep.solved, prep.dropped = solve_inputs(prep.template, prep.inputs)
            prep.expected = prep.solved.answer
        return prep.solved

    def read_answer(self, expected: Answer | None) -> str:
        """One answer line; a vector or matrix pasted over several lines goes on ("… ") while a
        bracket is open, or while a matrix typed without brackets has fewer rows than the answer
        (one row a line); an empty line ends it."""
        text = self.out.ask("> ")
        if expected is not None and expected.kind in ("vector", "matrix"):
            for _ in range(MAX_CONTINUATION_LINES):
                if not (_open_ended(text) or _rows_to_come(text, expected)):
                    break
                more = self.out.ask("… ")
                if not more.strip():
                    break
                if more.strip().lower() in SKIP_WORDS | QUIT_WORDS | HELP_WORDS:
                    return more  # the rows typed so far are dropped: the word is what is meant
                text += "\n" + more
        return text

    def ask_problem(self, item: Item, template: Template) -> None:
        prep = self.prepare(item, template)
        self._show_question(prep)
        self.background.start()
        started = time.monotonic()
        waited = 0.0  # for torch and the build after an answer: not the learner's time
        retried = False
        while True:
            kind = prep.expected.kind if prep.expected is not None else None
            text = _ends(self.read_answer(prep.expected))
            # The learner's time ends as the answer is typed: waiting for torch or the build
            # (slow on a loaded machine) must not turn an Easy into a Good, nor a retry into a Hard.
            seconds = time.monotonic() - started - waited
            if not text.strip():
                self.out.para(("Type an answer, or ? to see it (quit, Ctrl-D or Ctrl-C ends the drill).", "dim"))
                continue
            if text.strip().lower() in HELP_WORDS:
                hint = "No hints: the prompt and its inputs hold all there is. " if text.strip().lower() == "hint" else ""
                self.out.para((hint + HELP, "dim"))
                continue
            if text.strip().lower() in SKIP_WORDS:
                self._reveal(prep, text, seconds)
                return
            if kind is not None:
                # The judge's own reader: unreadable text is answered at once, even before torch.
                why = unreadable(text, kind, prep.expected.value["symbols"] if prep.expected and kind == "formula" else None)
                if why is not None:
                    self._unreadable(why)
                    continue
            before = time.monotonic()
            solved = self.solve(prep)
            waited += time.monotonic() - before
            verdict = judge(solved.answer, text, template.tolerance, solved.misconceptions)
            if verdict.status == "unreadable":
                self._unreadable(verdict.message)
                continue
            if verdict.status == "too-few-figures":
                retried = True
                self._save(prep, text, verdict, None, seconds)
                self.tally.coarse += 1
                self.out.para(("~ ", "coarse"), (verdict.message, "coarse"))
                more = ("give the whole number, every digit" if solved.answer.kind == "number" and solved.answer.whole
                        else "give more figures (or an exact expression such as 1/sqrt(3))")
                self.out.para((f"Same question again: {more}.", "dim"))
                continue
            break
        rating = rating_for(verdict.status, seconds, template.difficulty)
        if retried:
            # Right only after being told the first value was too rough: at most Good, never Easy.
            # (Unreadable text is a typing slip, not an answer: it costs nothing.)
            rating = min(rating, 3)
        state = self._save(prep, text, verdict, rating, seconds)
        if verdict.status == "right":
            self.tally.right += 1
        else:
            self.tally.wrong += 1
            if verdict.misconception is not None:
                self.tally.mistakes.append(verdict.misconception.name)
        self._show_feedback(prep, solved, verdict, rating, state)

    def _reveal(self, prep: Prepared, text: str, seconds: float) -> None:
        """``?`` or ``skip``: the answer and its worked solution, rated Again."""
        solved = self.solve(prep)
        verdict = Verdict("skipped", "Shown without an answer: here is the answer and how to get it.")
        state = self._save(prep, text, verdict, 1, seconds)
        self.tally.skipped += 1
        self._show_feedback(prep, solved, verdict, 1, state)

    def _save(self, prep: Prepared, text: str, verdict: Verdict, rating: int | None, seconds: float) -> Any:
        solved = prep.solved
        return self._record(
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
        )

    def _record(self, **review: Any) -> Any:
        """Save one answer, waiting for as long as another program holds the database (saying
        so once): an answer is never dropped for a lock; Ctrl-C ends the drill without it."""
        told = False
        while True:
            try:
                return self.store.record_review(**review)
            except StoreBusy as exc:
                if not told:
                    self.out.para((f"Waiting to save this answer: {exc}. Ctrl-C ends the drill without it.", "coarse"))
                    told = True

    # -- flashcards -----------------------------------------------------------------------------

    def ask_flashcard(self, item: Item, card: Flashcard) -> None:
        out = self.out
        out.rule(self._header(item, "flashcard"))
        out.para((card.front, "bold"))
        out.blank()
        self.background.start()
        started = time.monotonic()
        out.discard_typeahead()
        _ends(out.ask("Enter shows the answer > "))
        seconds = time.monotonic() - started
        out.para((card.back, ""))
        if card.extra:
            out.para((card.extra, "dim"))
        out.blank()
        while True:
            rating = _read_rating(_ends(out.ask("How well did you know it? 1 again · 2 hard · 3 good · 4 easy > ")))
            if rating is not None:
                break
            out.para(("Type 1, 2, 3 or 4 (or again, hard, good, easy).", "coarse"))
        state = self._record(
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
        from quizgen.core.problems import describe_inputs

        out = self.out
        template = prep.template
        out.rule(self._header(prep.item, f"{template.name} · {unbroken(f'difficulty {template.difficulty}')}"))
        out.para((prep.problem_id, "dim"))
        out.para((template.prompt, ""))
        out.blank()
        out.text_block(describe_inputs(template.generator, prep.inputs), style="code")
        out.blank()
        if prep.expected is not None:
            expected = describe_expected(prep.expected)
            hint = typing_hint(prep.expected.kind)
            hint = f"; {hint}" if hint else ""
            out.para(("Answer with ", "dim"), (expected, "bold"), (hint + " (? shows the answer)", "dim"))
        else:
            out.para(("Answer as the prompt asks.", "dim"))
        out.discard_typeahead()

    def _unreadable(self, message: str) -> None:
        self.out.para(("? ", "coarse"), (message, "coarse"))
        self.out.para(("Same question again (no penalty).", "dim"))

    def _show_feedback(self, prep: Prepared, solved: Solved, verdict: Verdict, rating: int, state: Any) -> None:
        out = self.out
        kind = solved.answer.kind
        self._show_verdict(verdict, kind, solved.answer.value)
        if solved.steps:
            out.para(("Worked solution:", "bold"))
            lines = []
            for step in solved.steps:
                lines.extend(step_lines(step, kind, out.width))
            out.pre(lines, wrap=True)
        if solved.figure is not None:
            from quizgen.core.pictures import text_lines

            out.para((solved.figure.title[:1].upper() + solved.figure.title[1:] + ":", "dim"))
            out.pre([[("    " + row, "")] for row in text_lines(solved.figure, min(78, out.width - 6))], wrap=True)
        for m in prep.dropped:
            out.para(
                ("Note: ", "dim"),
                (f"for these inputs the mistake {m.name} gives the answer too ({fmt_inline(m.value)}), so it "
                 f"cannot be told apart here; the id {prep.problem_id} draws other inputs (your review log "
                 "keeps these).", "dim"),
            )
        if state is not None:
            out.para((f"Rated {RATING_NAMES[rating]}; next review of this template: {when(state.due, self.clock.now())}.", "dim"))
        out.blank()

    def _show_verdict(self, verdict: Verdict, kind: str, key: Any) -> None:
        """The verdict: a named mistake and why it is one first; then, for a vector or matrix,
        the typed entries beside the key with the wrong ones marked ``*`` (the key itself is
        never in the error colour); then the answer."""
        out = self.out
        named = [verdict.misconception, *verdict.also] if verdict.misconception is not None else []
        if verdict.status == "right":
            out.para(("✓ ", "right"), (verdict.message, "right"))
        elif verdict.status == "skipped":
            out.para(("→ ", "dim"), (verdict.message, ""))
        elif named:
            which = "a known mistake: " if len(named) == 1 else f"any of {len(named)} known mistakes: "
            out.para(("✗ Wrong — ", "wrong"), (which, ""), (", ".join(m.name for m in named), "mistake"))
            for m in named:
                out.para((m.description, ""), indent=2)
        elif verdict.wrong_entries and not verdict.transposed:  # the table below marks which
            out.para(("✗ Wrong: ", "wrong"), (f"{verdict.entries_right} of {verdict.entries_total} entries right.", ""))
        else:
            out.para(("✗ ", "wrong"), (verdict.message, ""))
        rows = [key] if kind == "vector" else key if kind == "matrix" else None
        if rows is None or value_lines(rows) is None:
            if verdict.status != "right":  # a right verdict has just said the answer
                out.para(("Answer: ", "bold"), (format_value(kind, key), "bold"))
            return
        given = verdict.given if verdict.status not in ("right", "skipped") else None
        given_rows: list[Any] = ([given] if kind == "vector" else given) if isinstance(given, list) and given else []
        if value_lines(given_rows) is None:
            out.para(("Answer:", "bold"))
            out.pre(rows_lines(rows, out.width), wrap=True)
            return
        marks: list[tuple[int, ...]] = list(verdict.wrong_entries)
        if kind == "vector":
            marks = list(vector_marks(marks))
        mine = table_lines(given_rows, marks, indent="    ")
        theirs = table_lines(rows, indent="")
        legend = "  (* marks your wrong entries)" if marks else ""
        # The left column is at least as wide as its heading, so "Answer" stands apart from it.
        width = max(13, max(line_width(line) for line in mine))
        if width + 6 + max(line_width(line) for line in theirs) <= min(76, out.width - 4):
            head: Line = [("    You typed", "dim"), (" " * (width - 13 + 6), ""), ("Answer", "bold")]
            # The legend goes on the heading's line where it fits, else on its own line.
            fits = line_width(head) + len(legend) <= out.width
            gap = 6 + width - max(line_width(line) for line in mine)
            out.pre([head + [(legend, "dim")] if fits else head, *side_by_side(mine, theirs, gap=gap)])
            if legend and not fits:
                out.para((legend.strip(), "dim"), indent=4)
        else:
            out.para(("You typed:", "dim"), (legend, "dim"))
            out.pre(rows_lines(given_rows, out.width, marks), wrap=True)
            out.para(("Answer:", "bold"))
            out.pre(rows_lines(rows, out.width), wrap=True)

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
        out.para((tally_sentence(t.right, t.wrong, t.skipped, t.coarse, t.cards), ""))
        if t.mistakes:
            names = sorted(set(t.mistakes), key=t.mistakes.index)
            out.para(("Named mistakes: ", "mistake"), (", ".join(f"{n} ×{t.mistakes.count(n)}" for n in names), ""))
        if self.store.save:
            out.para((f"Saved in {self.store.path}.", "dim"))
        else:
            why = "QUIZGEN_NOW sets the clock; add --save to keep these answers" if self.clock.fixed else "--no-save"
            out.para((f"Not saved ({why}).", "dim"))
        states = self.store.states(self.by_id)
        if states:
            nxt = min(states.values(), key=lambda s: s.due)
            out.para((f"Next due: {_card_name(nxt.id, self.by_id)} {when(nxt.due, self.clock.now())}.", "dim"))


def _open_ended(text: str) -> bool:
    """Whether a bracket is still open: a paste such as numpy's ``[[ 0.5 -1. ]`` goes on."""
    return text.count("[") + text.count("(") > text.count("]") + text.count(")")


def _rows_to_come(text: str, expected: Answer) -> bool:
    """Whether ``text`` is the first rows of the matrix asked for, one row a line, each bare or in
    its own brackets (``1 2 3`` or ``[1, 2, 3]``; a matrix in outer brackets is never continued):
    each row as long as the answer's, fewer rows than it has."""
    if expected.kind != "matrix" or "[[" in "".join(text.split()) or not expected.value:
        return False
    try:
        rows = parse(text, "matrix")
    except AnswerParseError:
        return False
    return 0 < len(rows) < len(expected.value) and all(len(r) == len(expected.value[0]) for r in rows)


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
