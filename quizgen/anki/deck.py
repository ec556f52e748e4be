"""Anki decks: importable, self-grading, update-safe ``.apkg`` files (see docs/anki.md).

The note types and their fields are in ``quizgen.anki.cards``.

Identity and updates. A rotating problem note's GUID is a hash of (concept id, template name), a
per-variant note's of (concept id, template name, variant number), a flashcard's of (concept id,
flashcard id) — or, for a card older than flashcard ids, of the position it had then, the GUID its
note already has; never of the text, so an edited, inserted or reordered card updates its own
note. Variant i of a template is drawn from a seed derived from (recipe seed, concept, template,
i), so adding a concept never changes another's problems. Anki updates a note only when the
incoming modification time is newer than its own, and genanki stamps notes, cards and note types
with the time it is given: ``SOURCE_DATE_EPOCH`` when set, else ``CONTENT_EPOCH``, which moves
forward with each release that changes the content or the layout. Never a file's modification
time, so a checkout, a copy and an installed wheel give the same bytes.

Building. Problems come from the one build path (``quizgen.core.problems.build_many``); genanki
writes the notes into an in-memory SQLite collection, which is serialised and zipped with fixed
dates and permissions. The file is written atomically (``quizgen.core.files``).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from quizgen.anki.cards import (
    FLASHCARD_MODEL_ID,
    JUDGE_SCRIPT,
    PROBLEM_MODEL_ID,
    ROTATING_MODEL_ID,
    _models,
    flashcard_fields,
    judge_media_name,
    problem_fields,
    rotating_fields,
)
from quizgen.core.command import concept_dir, friendly
from quizgen.core.concepts import Concept, Flashcard
from quizgen.core.errors import QuizgenError
from quizgen.core.files import zip_bytes
from quizgen.core.problems import template_variant_seed as note_seed
from quizgen.core.render import text_html
from quizgen.judge.card import card_script

DECK_ROOT = "quizgen"
"""Every deck lives below this one: ``quizgen::Transformers::Attention``."""

DEFAULT_VARIANTS = 5
NOTE_STYLES = ("rotating", "per-variant")
"""A rotating note per template (each review shows one of its variants), or a note per variant."""
MAX_VARIANTS = 1000
MAX_ROTATING = 50
"""The most variants a rotating note holds. A review day shows one, and a card is reviewed a few
dozen times in its life, while every card carries all of them (100 variants of one attention
template made a note of 0.9 MB, each card slow to show on a phone): more go in per-variant notes."""
_PROGRESS_AT = 1000  # problems; smaller builds finish before a bar would be useful

# ---------------------------------------------------------------------------------------------
# Identity


def _hash_int(text: str, size: int = 6) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest(), "big")


def problem_guid(concept_id: str, template: str, variant: int) -> str:
    """The note GUID of a problem: from its identity, never from its text."""
    from genanki import guid_for

    return str(guid_for("quizgen-problem", concept_id, template, variant))


def rotating_guid(concept_id: str, template: str) -> str:
    """The note GUID of a template's rotating note (whatever its variants and seed)."""
    from genanki import guid_for

    return str(guid_for("quizgen-rotating", concept_id, template))


def flashcard_guid(concept_id: str, card: Flashcard) -> str:
    """The note GUID of a flashcard: from its id, or, for a card older than flashcard ids, from
    the position it had then (``legacy-position``), which is the GUID its note already has."""
    from genanki import guid_for

    if card.legacy_position is not None:
        return str(guid_for("quizgen-flashcard", concept_id, card.legacy_position))
    # Another namespace than the positions': an id such as "3" never lands on position 3's note.
    return str(guid_for("quizgen-flashcard-id", concept_id, card.id))


def deck_name(concept: Concept) -> str:
    """``quizgen::<deck>`` from the concept's ``deck`` field, else its title."""
    parts = [p.strip() for p in (concept.deck or concept.title).split("::")]
    return "::".join([DECK_ROOT, *(p for p in parts if p)])


def _deck_id(name: str) -> int:
    # A stable id per deck name, clear of Anki's default deck (id 1).
    return (1 << 40) + _hash_int("quizgen-deck:" + name, 5)


# ---------------------------------------------------------------------------------------------
# Recipes


@dataclass(frozen=True)
class Recipe:
    """A deck recipe, ``decks/<name>.yaml``: which topics, how many variants, which seed."""

    name: str
    topics: tuple[str, ...]
    variants: int = DEFAULT_VARIANTS
    seed: int = 0
    notes: str = NOTE_STYLES[0]
    source: str = dataclasses.field(default="", compare=False)
    """Where the recipe lists its topics (``decks/x.yaml:3``), for a message about one of them."""


MAX_RECIPE_BYTES = 64 * 1024
"""The largest recipe read (a recipe is a few lines)."""

_RECIPE_FIELDS = ("name", "topics", "variants", "seed", "notes")


def too_many_to_rotate(variants: int, notes: str) -> str | None:
    """Why ``variants`` cannot go in rotating notes, or None."""
    if notes != "rotating" or variants <= MAX_ROTATING:
        return None
    return (f"variants: a rotating note holds at most {MAX_ROTATING} variants (a review day shows one, and "
            f"every card carries them all), found {variants}; ask for fewer, or for per-variant notes "
            "(--notes per-variant, or notes: per-variant in a recipe)")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a deck recipe; every problem is reported with the file and field."""

    path = Path(path)
    if not path.exists() and str(path.parent) in (".", "decks"):
        from quizgen.core.concepts import bundled_dir

        # A recipe bundled with quizgen, named as in the repository (decks/transformer-unit.yaml);
        # a path into another folder names that file only (a typo there is no bundled recipe).
        bundled = bundled_dir("decks") / path.name
        path = bundled if bundled.is_file() else path
    from quizgen.core.files import load_yaml_data, read_text_file

    if not path.exists() and not path.is_symlink():
        raise QuizgenError(f"no such deck recipe: {path}")
    # Size, file type and encoding checked before a byte reaches YAML (a pipe, /dev/zero); the
    # event-based reader refuses aliases and deep nesting instead of expanding an alias bomb.
    lines: dict[tuple[Any, ...], int] = {}
    data = load_yaml_data(read_text_file(path, MAX_RECIPE_BYTES, "deck recipe"), str(path), lines=lines)
    if not isinstance(data, dict):
        raise QuizgenError(f"{path}: expected a mapping with fields {', '.join(_RECIPE_FIELDS)}")
    problems: list[tuple[str, str]] = []  # (field, what is wrong)
    for key in data:
        if key not in _RECIPE_FIELDS:
            close = difflib.get_close_matches(str(key), _RECIPE_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append((str(key), f"unknown field {key!r}{hint}; expected {', '.join(_RECIPE_FIELDS)}"))
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(("name", f"name: expected a file-name-like word such as 'attention', found {name!r}"))
    topics = data.get("topics")
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics):
        problems.append(("topics", f"topics: expected a list of concept ids or tags (or [all]), found {topics!r}"))
    variants = data.get("variants", DEFAULT_VARIANTS)
    if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
        problems.append(("variants", f"variants: expected a whole number from 1 to {MAX_VARIANTS}, found {variants!r}"))
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(("seed", f"seed: expected a whole number >= 0, found {seed!r}"))
    notes = data.get("notes", NOTE_STYLES[0])
    if notes not in NOTE_STYLES:
        problems.append(("notes", f"notes: expected {' or '.join(NOTE_STYLES)}, found {notes!r}"))
    if not problems and (why := too_many_to_rotate(variants, notes)) is not None:
        problems.append(("variants", why))
    if problems:
        raise QuizgenError("\n".join(f"{path}:{lines.get((field,), 1)}: {p}" for field, p in problems))
    return Recipe(name=name, topics=tuple(topics), variants=variants, seed=seed, notes=notes,  # type: ignore[arg-type]
                  source=f"{path}:{lines.get(('topics',), 1)}")


# ---------------------------------------------------------------------------------------------
# Timestamp

CONTENT_EPOCH = 1_796_707_211
"""The notes' modification time (2026-12-08 05:20 UTC) when SOURCE_DATE_EPOCH is not set.

Anki takes an incoming note only when its time is newer than the note it has, so this moves
forward (to the time of the change) in every release that changes the shipped concept files or
the card layout; it never comes from a file's modification time, which differs between a
checkout, a copy and an installed wheel of the same files.
"""


_LAST_ZIP_TIME = 4_354_819_199


def build_timestamp(environ: dict[str, str] | None = None) -> int:
    """The notes' modification time: ``SOURCE_DATE_EPOCH`` when set, else ``CONTENT_EPOCH``.

    The same inputs give the same time, and so the same bytes, wherever the files are and
    whatever their modification times. To bring an edit of a concept file into a collection
    that already has its notes, build with a later ``SOURCE_DATE_EPOCH`` (``$(date +%s)``).
    """
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return CONTENT_EPOCH
    # Zip dates run from 1980 to 2107: an earlier time is moved to 1980, a later one refused.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > _LAST_ZIP_TIME:
        raise QuizgenError(f"SOURCE_DATE_EPOCH must be a whole number of seconds up to {_LAST_ZIP_TIME} (2107), found {raw!r}")
    return max(int(raw), 315_532_800)


# ---------------------------------------------------------------------------------------------
# Writing the package


@dataclass(frozen=True)
class DeckSummary:
    """What a build wrote."""

    path: Path
    notes: int
    problems: int
    flashcards: int
    rotating: int
    cards: int
    decks: tuple[str, ...]
    size: int
    timestamp: int

    def _problems(self) -> str:
        if not self.rotating:
            return f"{self.problems} problems"
        return f"{self.rotating} rotating problems of up to {self.problems // self.rotating} variants (alike ones kept once)"

    def text(self) -> str:
        size = f"{self.size / 1e6:.1f} MB" if self.size >= 100_000 else f"{self.size / 1e3:.1f} kB"
        decks = "1 deck" if len(self.decks) == 1 else f"{len(self.decks)} decks"
        return (
            f"wrote {self.path}: {self.notes} notes ({self._problems()}, {self.flashcards} flashcards), "
            f"{self.cards} cards, {decks}, {size}"
        )


def _package(database: bytes, media: list[tuple[str, bytes]], timestamp: int) -> bytes:
    """The .apkg: the collection, the media index (position -> name) and the media files."""
    index = json.dumps({str(i): name for i, (name, _) in enumerate(media)}).encode("utf-8")
    entries = [("collection.anki2", database), ("media", index)]
    entries += [(str(i), data) for i, (_, data) in enumerate(media)]
    return zip_bytes(entries, timestamp)


def is_quizgen_deck(path: Path) -> bool:
    """Whether ``path`` is a package quizgen wrote (its collection holds quizgen's note types),
    which building a deck again may replace; never for any other file, Anki package or not."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("collection.anki2")
            if info.file_size > 2**30:
                return False
            data = archive.read(info)
        db = sqlite3.connect(":memory:")
        try:
            db.deserialize(data)
            models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        finally:
            db.close()
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, sqlite3.Error):
        return False
    return isinstance(models, dict) and bool({str(m) for m in (PROBLEM_MODEL_ID, ROTATING_MODEL_ID, FLASHCARD_MODEL_ID)} & set(models))


def build_deck(
    concepts: Sequence[Concept],
    out: str | Path,
    *,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    notes: str = NOTE_STYLES[0],
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
    environ: dict[str, str] | None = None,
) -> DeckSummary:
    """Build an .apkg with every flashcard and ``variants`` problems per template of ``concepts``.

    Args:
        concepts: The concepts to include (one deck each, ``quizgen::<deck>``).
        out: Where to write the package (atomically).
        variants: Problems per template.
        seed: Chooses which problem each variant is; the same seed gives the same deck.
        notes: ``"rotating"``: one note per template holding its variants, each review showing
            one; ``"per-variant"``: one note per variant.
        jobs: Processes for building problems; 0 picks the number of cores for large decks.
        progress: Called as ``progress(done, total)`` while problems are built.
        environ: Environment to read SOURCE_DATE_EPOCH from (default: ``os.environ``).

    Returns:
        A summary of what was written.
    """
    import genanki

    from quizgen.core.files import write_bytes_atomic
    from quizgen.core.problems import build_many

    out = Path(out)
    if not concepts:
        raise QuizgenError("no concepts selected: nothing to put in a deck")
    if out.is_dir():
        raise QuizgenError(f"cannot write {out}: it is a directory; give a file name such as deck.apkg")
    if out.is_symlink():  # it would write wherever the link leads, whatever that file's name
        raise QuizgenError(f"cannot write {out}: it is a link; write the deck to a file, not through a link")
    if out.exists() and not out.is_file():  # a pipe would block the check below for ever
        raise QuizgenError(f"cannot write {out}: it is not a regular file (a pipe or a device); give a file name such as deck.apkg")
    if not out.parent.is_dir():
        raise QuizgenError(f"cannot write {out}: no directory {out.parent}")
    if out.exists() and not is_quizgen_deck(out):  # a shared deck, or some file named .apkg
        raise QuizgenError(f"cannot write {out}: it is not a deck quizgen wrote, and would be lost; "
                           "give another name with -o, or move the file aside")
    concepts = sorted(concepts, key=lambda c: c.id)
    stamp = build_timestamp(environ)
    script = card_script(JUDGE_SCRIPT)
    script_name = judge_media_name(script)
    if notes not in NOTE_STYLES:
        raise QuizgenError(f"notes: expected {' or '.join(NOTE_STYLES)}, found {notes!r}")
    if (why := too_many_to_rotate(variants, notes)) is not None:
        raise QuizgenError(why)
    problem_model, rotating_model, flashcard_model = _models(script_name)

    class Note(genanki.Note):
        """genanki's note without its check for stray HTML tags, whose pattern takes time that
        grows with the square of a field's length (a rotating note of 400 variants took most of a
        25 s build); every text quizgen puts in a field is escaped, as tests check."""

        def _check_invalid_html_tags_in_fields(self) -> None:
            pass

    rotating = notes == "rotating"

    decks: dict[str, Any] = {}
    for c in concepts:
        name = deck_name(c)
        if name not in decks:
            decks[name] = genanki.Deck(_deck_id(name), name, description=text_html(c.summary))
    # Flashcards first, then the problems with the variants round-robin over the templates, so
    # a learner's new cards mix the templates.
    by_concept = {c.id: decks[deck_name(c)] for c in concepts}
    index = 0
    for c in concepts:
        for card in c.flashcards:
            by_concept[c.id].add_note(
                Note(
                    model=flashcard_model,
                    fields=flashcard_fields(card, c),
                    tags=c.tags,
                    guid=flashcard_guid(c.id, card),
                    due=index,
                )
            )
            index += 1
    flashcards = index
    # Per variant: variant 0 of every template, then variant 1, ...; rotating: a template's
    # variants next to each other, one note per template once all of them are built.
    if rotating:
        todo = [(c, t, v) for c in concepts for t in c.templates for v in range(variants)]
    else:
        todo = [(c, t, v) for v in range(variants) for c in concepts for t in c.templates]
    total = len(todo)
    done = 0
    built: list[Any] = []
    for chunk in build_many([(c, t, note_seed(seed, c.id, t.name, v)) for c, t, v in todo], jobs):
        for problem in chunk:
            concept, template, variant = todo[done]
            done += 1
            if rotating:
                built.append(problem)
                if variant < variants - 1:
                    continue
                fields, guid, model = rotating_fields(built, concept), rotating_guid(concept.id, template.name), rotating_model
                built = []
            else:
                fields, guid, model = problem_fields(problem, concept), problem_guid(concept.id, template.name, variant), problem_model
            by_concept[concept.id].add_note(
                Note(model=model, fields=fields, tags=concept.tags, guid=guid, due=index)
            )
            index += 1
        if progress is not None:
            progress(done, total)

    conn = sqlite3.connect(":memory:")
    try:
        cursor = conn.cursor()
        ids = itertools.count(stamp * 1000)
        # The schema and the collection row, then each deck with its note types and notes.
        genanki.Package([]).write_to_db(cursor, stamp, ids)
        for name in sorted(decks):
            deck = decks[name]
            deck.add_model(flashcard_model)
            if any(c.templates for c in concepts if deck_name(c) == name):
                deck.add_model(rotating_model if rotating else problem_model)
            deck.write_to_db(cursor, stamp, ids)
        # Each deck re-adds its note types under an int key next to the str keys already stored;
        # one round trip keeps one copy of each and drops the repeated keys.
        (models,) = cursor.execute("SELECT models FROM col").fetchone()
        cursor.execute("UPDATE col SET models = ?", (json.dumps(json.loads(models)),))
        conn.commit()
        database = conn.serialize()
    finally:
        conn.close()
    data = _package(database, [(script_name, script)], stamp)
    write_bytes_atomic(out, data)
    return DeckSummary(
        path=out,
        notes=index,
        problems=total,
        flashcards=flashcards,
        rotating=index - flashcards if rotating else 0,
        cards=index,  # one card per note in both note types
        decks=tuple(sorted(decks)),
        size=len(data),
        timestamp=stamp,
    )


# ---------------------------------------------------------------------------------------------
# Command line


@click.command("deck")
@click.argument("sources", nargs=-1, required=True, metavar="TOPIC... | RECIPE.yaml")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The .apkg to write, replacing a deck of that name (default: <recipe name>.apkg, or the topics joined by '-').")
@click.option("--variants", type=click.IntRange(1, MAX_VARIANTS), default=None,
              help=f"Problems per template (default: the recipe's, else {DEFAULT_VARIANTS}).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Chooses the problems; the same seed gives the same deck (default: the recipe's, else 0).")
@click.option("--notes", type=click.Choice(NOTE_STYLES), default=None,
              help="rotating: one note per template, showing another variant at each review day; "
                   "per-variant: one note per variant (default: the recipe's, else rotating).")
@click.option("--jobs", default=0, type=click.IntRange(min=0, max=64),
              help="Processes for building problems; 0 picks the number of cores for large decks.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for large builds on a terminal).")
@click.pass_context
@friendly
def deck_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    output: str | None,
    variants: int | None,
    seed: int | None,
    notes: str | None,
    jobs: int,
    progress: bool | None,
) -> None:
    """Build an Anki deck (.apkg) from TOPICs, or from a recipe such as decks/transformer-unit.yaml.

    Each concept gets its deck quizgen::<deck>, with its flashcards and, per template, a problem
    note holding VARIANTS variants: each review day shows another one, and the card grades the
    typed answer itself (--notes per-variant makes a note of each variant). The same inputs give
    the same bytes anywhere. Importing a newer deck updates the notes in place and keeps every
    review on its own card; to bring in your own edit of a concept file, build with
    SOURCE_DATE_EPOCH=$(date +%s).

    Example: quizgen deck attention   (or: quizgen deck bleu simclr -o nlp.apkg --variants 5)
    """
    from quizgen.core.library import select_topics

    recipes = [s for s in sources if s.lower().endswith((".yaml", ".yml"))]
    if recipes and len(sources) > 1:
        raise QuizgenError("give either one recipe (decks/<name>.yaml) or topics, not both")
    if recipes:
        recipe = load_recipe(recipes[0])
    else:
        recipe = Recipe(name="-".join(sources), topics=tuple(sources))
    recipe = dataclasses.replace(
        recipe,
        variants=variants if variants is not None else recipe.variants,
        seed=seed if seed is not None else recipe.seed,
        notes=notes if notes is not None else recipe.notes,
    )
    try:
        concepts = select_topics(recipe.topics, concept_dir(ctx))
    except QuizgenError as exc:
        if not recipe.source:
            raise
        raise QuizgenError(f"{recipe.source}: topics: {exc}") from None  # the recipe's word, not the user's
    if output is not None and not output.strip():
        raise QuizgenError("-o: expected a file name such as deck.apkg, found an empty one")
    out = Path(output) if output else Path(f"{recipe.name}.apkg")
    if not output and len(out.name.encode()) > 255:  # topics joined: more than a file name can hold
        made = "the recipe's name" if recipe.source else "the topics joined"
        raise QuizgenError(f"the deck's default name ({out.name[:40]}…, {made}) is too long for a file name; "
                           "name the deck with -o, such as -o course.apkg")
    if out.suffix.lower() != ".apkg" and not out.is_dir():
        # Anki imports a deck by its extension, and an -o naming some other file (notes.txt, a
        # concept file) would be replaced by the deck's bytes. A name that is only an extension
        # (.apkg) has none, and gets a name in the hint.
        named = out.name not in ("", ".", "..") and out.name.lower() != ".apkg"
        raise QuizgenError(f"{out}: a deck is written to a file ending in .apkg (Anki imports it by that name); "
                           f"try -o {out.with_suffix('.apkg') if named else out.parent / 'deck.apkg'}")
    total = recipe.variants * sum(len(c.templates) for c in concepts)
    show = progress if progress is not None else (total >= _PROGRESS_AT and sys.stderr.isatty())

    if show:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("building problems"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            # Refreshed by hand on each finished chunk: no refresh thread alive when workers fork.
            auto_refresh=False,
        ) as bar:
            task = bar.add_task("problems", total=total)
            summary = build_deck(
                concepts, out, variants=recipe.variants, seed=recipe.seed, notes=recipe.notes, jobs=jobs,
                progress=lambda done, _total: bar.update(task, completed=done, refresh=True),
            )
    else:
        summary = build_deck(concepts, out, variants=recipe.variants, seed=recipe.seed, notes=recipe.notes, jobs=jobs)
    click.echo(summary.text())
    for name in summary.decks:
        click.echo(f"  {name}")
