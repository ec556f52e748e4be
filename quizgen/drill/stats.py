"""What ``quizgen stats`` counts, from the review log and the card states of a ``Store``.

Counted as the drill's summary counts them: a problem answered right or wrong; a ``?`` reveal
(status ``skipped``) apart, as shown, never as wrong; an answer too rough to grade apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quizgen.drill.store import CardState, Store


@dataclass
class ConceptStats:
    concept: str
    answered: int = 0
    right: int = 0
    shown: int = 0
    coarse: int = 0
    flashcards: int = 0
    flash_again: int = 0
    due_now: int = 0
    due_day: int = 0
    due_week: int = 0
    due_later: int = 0
    new: int = 0
    next_due: float | None = None

    @property
    def accuracy(self) -> float | None:
        return self.right / self.answered if self.answered else None

    @property
    def wrong(self) -> int:
        return self.answered - self.right

    @property
    def practised(self) -> bool:
        """Whether anything of this concept was ever answered, shown or rated."""
        return bool(self.answered or self.shown or self.coarse or self.flashcards)


@dataclass
class MistakeStats:
    concept: str
    name: str
    made: int = 0
    possible: int = 0


def accuracy_by_day(rows: Iterable[dict[str, Any]], now: datetime, days: int = 28) -> list[tuple[str, int, int]]:
    """(day, right, answered) of the problem answers in ``rows`` on each of the last ``days``
    days up to ``now``'s, oldest first; days are calendar days in ``now``'s time zone."""
    zone = now.tzinfo
    today = now.date()
    first = today - timedelta(days=days - 1)
    counts = {first + timedelta(days=i): [0, 0] for i in range(days)}
    for r in rows:
        # As summarise counts: a reveal (?) and a too-rough try (asked again, no rating) are no answer.
        if r["kind"] != "problem" or r["status"] == "skipped" or r["rating"] is None:
            continue
        day = datetime.fromisoformat(r["time"]).astimezone(zone).date()
        if day in counts:
            counts[day][0] += r["status"] == "right"
            counts[day][1] += 1
    return [(d.isoformat(), right, answered) for d, (right, answered) in counts.items()]


def summarise(
    store: Store, cards_by_concept: dict[str, list[str]], now: datetime
) -> tuple[list[ConceptStats], list[MistakeStats], list[CardState]]:
    """Per-concept accuracy, per-misconception counts, and the reviewed cards (for the due list).

    ``cards_by_concept`` lists each concept's current card ids (to count the new ones).
    """
    now_ts = now.timestamp()
    concepts = sorted(set(cards_by_concept))
    per = {c: ConceptStats(c) for c in concepts}
    mistakes: dict[tuple[str, str], MistakeStats] = {}
    for r in store.reviews(concepts):
        s = per[r["concept"]]
        if r["kind"] == "flashcard":
            s.flashcards += 1
            s.flash_again += int(r["rating"] == 1)
            continue
        if r["rating"] is None:
            s.coarse += 1
            continue
        if r["status"] == "skipped":
            # A reveal (?) is not an answer: the drill's summary counts it apart, and so do we.
            s.shown += 1
            continue
        s.answered += 1
        s.right += int(r["status"] == "right")
        for name in r["possible"]:
            m = mistakes.setdefault((r["concept"], name), MistakeStats(r["concept"], name))
            m.possible += 1
        if r["misconception"]:
            m = mistakes.setdefault((r["concept"], r["misconception"]), MistakeStats(r["concept"], r["misconception"]))
            m.made += 1
    states = [state for state in store.states().values() if state.concept in per]
    reviewed = {state.id for state in states}
    for state in states:
        c = per[state.concept]
        ahead = state.due - now_ts
        if c.next_due is None or state.due < c.next_due:
            c.next_due = state.due  # "now" when a card is due already
        if ahead <= 0:
            c.due_now += 1
        elif ahead <= 86400:
            c.due_day += 1
        elif ahead <= 7 * 86400:
            c.due_week += 1
        else:
            c.due_later += 1
    for concept, ids in cards_by_concept.items():
        per[concept].new = sum(1 for i in ids if i not in reviewed)
    ordered = sorted(mistakes.values(), key=lambda m: (m.concept, -m.made, m.name))
    return [per[c] for c in concepts], ordered, sorted(states, key=lambda s: s.due)
