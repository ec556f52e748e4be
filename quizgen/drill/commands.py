"""``quizgen drill`` and ``quizgen stats``: the drill's command line."""

from __future__ import annotations

import sys

import click

from quizgen.core.command import concept_dir, friendly
from quizgen.core.concepts import select
from quizgen.drill.cards import DEFAULT_N, plan_items
from quizgen.drill.display import (
    Out,
)
from quizgen.drill.session import Session, _card_name, _readline
from quizgen.drill.store import (
    Clock,
    Store,
    accuracy_by_day,
    db_path,
    summarise,
    when,
)

# ---------------------------------------------------------------------------------------------
# Commands


@click.command("drill")
@click.argument("topics", nargs=-1, required=True)
@click.option("--n", "-n", "n", default=DEFAULT_N, show_default=True, type=click.IntRange(min=1, max=100_000), help="How many cards (problems and flashcards).")
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
    summary. Without a terminal, answers are read from standard input, one per line. Type ? (or
    skip) to see the answer and its worked solution; the card is then rated Again.

    Example: quizgen drill bleu simclr -n 9
    """
    from quizgen.core.concepts import load_concepts

    everything = load_concepts(concept_dir(ctx))
    concepts = select(everything, topics, in_given_order=True)
    clock = Clock.from_env()
    out = Out()
    _readline()
    with Store(db_path(), save=not no_save, concepts=everything) as store:
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
    """Show accuracy per concept and per named mistake, and what is due when (TOPIC: id or tag).

    Example: quizgen stats attention --recent 10
    """
    from quizgen.core.concepts import load_concepts

    concepts = load_concepts(concept_dir(ctx))
    chosen = select(concepts, topics) if topics else list(concepts)
    clock = Clock.from_env()
    now = clock.now()
    out = Out()
    path = db_path()
    items = {it.id: it for it in plan_items(chosen)}
    cards = {c.id: [i for i, it in items.items() if it.concept.id == c.id] for c in chosen}
    with Store(path, save=False, concepts=concepts) as store:
        per, mistakes, states = summarise(store, cards, now)
        history = store.reviews(cards)
        log = history[-recent:] if recent else []
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
    daily = accuracy_by_day(history, now)
    if any(answered for _, _, answered in daily):
        out.blank()
        out.rule(f"accuracy by day, last {len(daily)} days (problems right / answered)")
        out.pre([[(line, "")] for line in accuracy_chart(daily)])
    upcoming = states[:10]
    if upcoming:
        out.blank()
        out.table(["when", "card"], [[when(s.due, now), _card_name(s.id, items)] for s in upcoming])
    if log:
        out.blank()
        out.rule("latest answers")
        # Two short lines per answer rather than one wide table row, so that 80 columns hold
        # it without breaking an id or a time in the middle.
        for r in log:
            when_typed = r["time"][:16].replace("T", " ")
            answer = _one_line(r["given"], 24) if r["given"] is not None else "–"
            mistake = f"  ({r['misconception']})" if r["misconception"] else ""
            out.para((f"{when_typed}  {r['status']:<9} ", ""), (answer, "bold"), (mistake, "mistake"))
            out.para((f"    {r['problem'] or _card_name(r['card'], items)}", "dim"))


def accuracy_chart(daily: list[tuple[str, int, int]], height: int = 5) -> list[str]:
    """Each day's share right as a two-column bar, with the dates below and the totals. A day
    with answers shows at least a sliver (so 0% differs from no answers, shown ``·``)."""
    from quizgen.core.pictures import bars

    sliver = 1 / (8 * height)
    shares = [max(right / answered, sliver) if answered else 0.0 for _, right, answered in daily]
    rows = bars([v for v in shares for _ in (0, 1)], 0.0, 1.0, height)
    empty = "".join("··" if not answered else "  " for _, _, answered in daily)
    lines = [f"{'100%' if i == 0 else '0%' if i == height - 1 else '':>4} │{row}" for i, row in enumerate(rows)]
    lines[-1] = lines[-1][:6] + "".join(e if c == " " else c for c, e in zip(lines[-1][6:], empty))
    width = 2 * len(daily)
    lines.append("     └" + "─" * width)
    first, last = daily[0][0], daily[-1][0]
    lines.append("      " + (first + last.rjust(width - len(first)) if width > len(first) + len(last) else f"{first} to {last}"))
    right = sum(r for _, r, _ in daily)
    answered = sum(a for _, _, a in daily)
    active = sum(1 for _, _, a in daily if a)
    lines.append(f"      {right} of {answered} right ({100 * right / answered:.0f}%) on {active} day{'s' if active != 1 else ''}")
    return lines


def _one_line(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
