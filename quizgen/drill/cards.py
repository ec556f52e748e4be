"""The cards of a drill and their problems: planning, preparing without torch, loading torch behind.

See ``quizgen.drill.session`` for where each problem comes from (built, first draw).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quizgen.core.answer import Answer, Misconception
from quizgen.drill.store import flashcard_id, problem_card_id
from quizgen.judge import (
    close,
)

DEFAULT_N = 10
EASY_SECONDS = 15.0
"""A right answer within ``EASY_SECONDS × difficulty`` seconds is rated Easy."""
HARD_SECONDS = 90.0
"""A right answer after more than ``HARD_SECONDS × difficulty`` seconds is rated Hard."""
MAX_CONTINUATION_LINES = 20

if TYPE_CHECKING:
    from quizgen.core.concepts import Concept, Flashcard, Template
    from quizgen.core.problems import Solved


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

    Within a concept templates and flashcards alternate (template first), each in file order, so
    theory and practice interleave; the concepts take turns, in the order given (round-robin), so
    a drill over several topics mixes them from its first cards on.
    """
    queues: list[list[tuple[Concept, str, Any]]] = []
    for c in concepts:
        problems = [(c, "t", t) for t in c.templates]
        cards = [(c, "f", f) for f in c.flashcards]
        order: list[tuple[Concept, str, Any]] = []
        for i in range(max(len(problems), len(cards))):
            order.extend(problems[i : i + 1] + cards[i : i + 1])
        queues.append(order)
    items: list[Item] = []
    for turn in range(max((len(q) for q in queues), default=0)):
        for queue in queues:
            if turn < len(queue):
                c, tag, obj = queue[turn]
                if tag == "t":
                    items.append(Item(problem_card_id(c.id, obj.name), c, len(items), template=obj))
                else:
                    items.append(Item(flashcard_id(c.id, obj.id), c, len(items), flashcard=obj))
    return items


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


def solve_inputs(template: Template, inputs: dict[str, Any]) -> tuple[Solved, tuple[Misconception, ...]]:
    """Solve shown inputs exactly, leaving out (and returning apart) the mistakes that give the
    key for these inputs."""
    from quizgen.core.problems import solve_problem

    solution = solve_problem(template.generator, inputs)
    key = solution.answer
    kept: list[Misconception] = []
    dropped: list[Misconception] = []
    for m in solution.misconceptions:
        (dropped if close(key.kind, key.value, m.value, template.tolerance) else kept).append(m)
    return solution._replace(misconceptions=tuple(kept)), tuple(dropped)


@dataclass
class Prepared:
    """A problem about to be shown."""

    item: Item
    template: Template
    seed: int
    problem_id: str
    inputs: dict[str, Any]
    source: str
    expected: Answer | None
    solved: Solved | None = None
    dropped: tuple[Misconception, ...] = ()
    """Named mistakes that give the key for a first draw's inputs: left out of its feedback."""

    @property
    def id_exact(self) -> bool | None:
        return None if self.solved is None else not self.dropped


# ---------------------------------------------------------------------------------------------
# Torch in the background


class Background:
    """Imports torch and the checkers while the learner reads (sympy only if a checker does:
    worked solutions write exact forms without it, and the judge loads it itself for the rare
    formula that needs algebra).

    ``start`` is called once the first question is on screen; ``wait`` joins the thread
    (re-raising its error, if any).
    """

    def __init__(self, families: Sequence[str]):
        self._families = sorted(set(families))
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

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

    def _run(self) -> None:
        try:
            from quizgen.core.problems import warm_checkers

            warm_checkers(self._families)
        except BaseException as exc:  # re-raised in the main thread by wait()
            self._error = exc
        finally:
            self._ready.set()
