"""``quizgen drill`` and ``quizgen stats``: the drill's command line."""

from __future__ import annotations

import sys
import textwrap
from datetime import datetime
from typing import Any

import click

from quizgen.core.command import concept_dir, friendly
from quizgen.core.concepts import select
from quizgen.core.errors import QuizgenError, show_char
from quizgen.drill.cards import DEFAULT_N, plan_items
from quizgen.drill.display import (
    Out,
    tally_sentence,
)
from quizgen.drill.session import Session, _card_name, _readline
from quizgen.drill.stats import accuracy_by_day, summarise
from quizgen.drill.store import (
    Clock,
    Store,
    db_path,
    when,
)

# ---------------------------------------------------------------------------------------------
# Commands


@click.command("drill")
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "-n", "n", default=DEFAULT_N, show_default=True, type=click.IntRange(min=1, max=100_000), help="How many cards (problems and flashcards).")
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Reproducible variants: the i-th question uses variant seed i of SEED.")
@click.option("--due", "due_only", is_flag=True, help="Only scheduled reviews that are due (no new cards).")
@click.option("--save/--no-save", default=None,
              help="Write answers and schedules (the default, except while QUIZGEN_NOW sets the clock); --no-save still reads the saved state.")
@click.pass_context
@friendly
def drill_command(ctx: click.Context, topics: tuple[str, ...], n: int, seed: int | None, due_only: bool, save: bool | None) -> None:
    """Drill TOPIC... (concept ids or tags): problems graded exactly, flashcards, spaced repetition.

    One card at a time. A wrong answer shows the exact answer, the worked solution and the named
    mistake it matches. Every answer is saved as soon as it is graded (in $QUIZGEN_HOME, else
    $XDG_DATA_HOME/quizgen, else ~/.local/share/quizgen). Ctrl-C or Ctrl-D ends the drill with a
    summary. Without a terminal, answers are read from standard input, one per line. Type ? (or
    skip) to see the answer and its worked solution; the card is then rated Again.

    Example: quizgen drill bleu simclr -n 9
    """
    from quizgen.core.library import load_library, select_topics

    folder = concept_dir(ctx)
    concepts = select_topics(topics, folder, in_given_order=True)
    clock = Clock.from_env()
    # Reviews dated by a clock set ahead would hide every card they touch until that day: a set
    # clock only looks, unless --save says otherwise.
    save = save if save is not None else not clock.fixed
    out = Out()
    _readline()
    # The whole library only if an old database must be migrated (its flashcards re-keyed).
    with Store(db_path(), save=save, concepts=lambda: load_library(folder)) as store:
        session = Session(concepts, store, out, clock, n=n, seed=seed, due_only=due_only)
        code = session.run()
    sys.stdout.flush()
    if code:
        sys.exit(code)


@click.command("stats")
@click.argument("topics", nargs=-1)
@click.option("--recent", default=5, show_default=True, type=click.IntRange(min=0, max=10_000), help="How many of the latest answers to list.")
@click.option("--all", "every", is_flag=True, help="List every concept, not only those practised.")
@click.pass_context
@friendly
def stats_command(ctx: click.Context, topics: tuple[str, ...], recent: int, every: bool) -> None:
    """Show accuracy per concept and per named mistake, and what is due when (TOPIC: id or tag).

    Lists the concepts practised (all of them with --all, or the TOPICs given), counted as the
    drill's summary counts: right, wrong, shown with ? (not an answer), too rough (not graded).

    Example: quizgen stats attention --recent 10
    """
    from quizgen.core.library import load_library

    concepts = load_library(concept_dir(ctx))
    chosen = select(concepts, topics) if topics else list(concepts)
    clock = Clock.from_env()
    now = clock.now().astimezone()  # shown in the learner's own time zone, as every date and time below
    out = Out()
    path = db_path()
    items = {it.id: it for it in plan_items(chosen)}
    cards = {c.id: [i for i, it in items.items() if it.concept.id == c.id] for c in chosen}
    try:
        with Store(path, save=False, concepts=concepts) as store:
            per, mistakes, states = summarise(store, cards, now)
            history = store.reviews(cards)
            log = history[-recent:] if recent else []
        # Everything read from the file is made into what is shown before a line is printed: a
        # row edited by hand stops the command at once, not half-way through its report.
        daily = accuracy_by_day(history, now)
        due_next = {s.concept: when(s.next_due, now) if s.next_due is not None else "–" for s in per}
        upcoming = [[when(s.due, now), _card_name(s.id, items)] for s in states[:10]]
        typed_at = [datetime.fromisoformat(r["time"]).astimezone(now.tzinfo).isoformat(" ", timespec="minutes")[:16] for r in log]
        listed = per if every or topics else [s for s in per if s.practised]
        out.rule("answers")
        out.para((f"{path}", "dim"))
        total = [sum(getattr(s, f) for s in per) for f in ("right", "wrong", "shown", "coarse", "flashcards")]
        # Wrapped here, its lines under the sentence's start, and not again by the terminal.
        out.pre([[(line, "")] for line in textwrap.wrap("All: " + tally_sentence(*total), min(WIDTH, out.width) - 1, subsequent_indent="     ")])
        if listed:
            out.table(
                ["concept", "right", "wrong", "acc.", "shown", "rough", "cards", "again"],
                [
                    [
                        s.concept,
                        str(s.right),
                        str(s.wrong),
                        f"{100 * s.accuracy:.0f}%" if s.accuracy is not None else "–",
                        str(s.shown),
                        str(s.coarse),
                        str(s.flashcards),
                        str(s.flash_again),
                    ]
                    for s in listed
                ],
                right=[False, True, True, True, True, True, True, True],
            )
            out.para(("shown: revealed with ? (not graded); rough: too few figures (asked again);", "dim"))
            out.para(("cards: flashcards rated; again: of those, rated again.", "dim"))
        hidden = len(per) - len(listed)
        if hidden:
            out.para((f"{hidden} concept{'s' if hidden != 1 else ''} not practised yet (--all lists every concept).", "dim"))
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
        if listed:
            out.table(
                ["concept", "now", "24 h", "7 days", "later", "new", "next"],
                [
                    [
                        s.concept, str(s.due_now), str(s.due_day), str(s.due_week), str(s.due_later), str(s.new),
                        due_next[s.concept],
                    ]
                    for s in listed
                ],
                right=[False, True, True, True, True, True, False],
            )
        else:
            out.para(("nothing practised yet", "dim"))
        if any(answered for _, _, answered in daily):
            out.blank()
            out.rule(f"accuracy by day, last {len(daily)} days (problems right / answered)")
            out.pre([[(line, "")] for line in accuracy_chart(daily, day_width=2 if out.width >= 7 + 2 * len(daily) else 1)])
        if upcoming:
            out.blank()
            room = WIDTH - 2 - max(len(r[0]) for r in upcoming)
            out.table(["when", "card"], [[w, _one_line(name, room)] for w, name in upcoming])
        if log:
            out.blank()
            out.rule("latest answers")
            # Two short lines per answer rather than one wide table row, so that 80 columns hold
            # it without breaking an id or a time in the middle.
            for r, when_typed in zip(log, typed_at):
                answer = _one_line(r["given"], 24) if r["given"] is not None else "–"
                mistake = f"  ({_one_line(r['misconception'])})" if r["misconception"] else ""
                status = {"skipped": "shown", "too-few-figures": "too rough"}.get(r["status"], r["status"])  # as the drill says it
                out.para((f"{_one_line(when_typed)}  {_one_line(status):<9} ", ""), (answer, "bold"), (mistake, "mistake"))
                out.para((f"    {_one_line(r['problem'] or _card_name(r['card'], items), WIDTH - 4)}", "dim"))

    except (ValueError, TypeError, KeyError, RecursionError, OverflowError) as exc:  # a row edited by hand
        raise QuizgenError(f"{path}: a saved answer or schedule cannot be read ({type(exc).__name__}: {_one_line(exc, 120)}); "
                           "it was changed outside quizgen") from None

WIDTH = 80
"""The width ``stats`` fits (a terminal's default)."""


def accuracy_chart(daily: list[tuple[str, int, int]], height: int = 5, day_width: int = 2) -> list[str]:
    """Each day's share right as a bar ``day_width`` columns wide (1 on a narrow terminal), with
    the dates below and the totals. A day with answers shows at least a sliver (so 0% differs
    from no answers, shown ``·``)."""
    from quizgen.core.pictures import bars

    sliver = 1 / (8 * height)
    shares = [max(right / answered, sliver) if answered else 0.0 for _, right, answered in daily]
    rows = bars([v for v in shares for _ in range(day_width)], 0.0, 1.0, height)
    empty = "".join(("·" if not answered else " ") * day_width for _, _, answered in daily)
    lines = [f"{'100%' if i == 0 else '0%' if i == height - 1 else '':>4} │{row}" for i, row in enumerate(rows)]
    lines[-1] = lines[-1][:6] + "".join(e if c == " " else c for c, e in zip(lines[-1][6:], empty))
    width = day_width * len(daily)
    lines.append("     └" + "─" * width)
    first, last = daily[0][0], daily[-1][0]
    lines.append("      " + (first + last.rjust(width - len(first)) if width > len(first) + len(last) else f"{first} to {last}"))
    right = sum(r for _, r, _ in daily)
    answered = sum(a for _, _, a in daily)
    active = sum(1 for _, _, a in daily if a)
    lines.append(f"      {right} of {answered} right ({100 * right / answered:.0f}%) on {active} day{'s' if active != 1 else ''}")
    return lines


def _one_line(text: Any, limit: int = 40) -> str:
    """Saved text on one line, at most ``limit`` characters, control characters written as
    escapes (the database is a file: what it holds never drives the terminal)."""
    flat = " ".join(str(text).split())
    flat = "".join(map(show_char, flat))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
