"""Anki decks (quizgen/anki/), checked with the real anki package, not a mock.

Every shipped recipe is built and imported into a fresh collection (counts, note types, fields,
deck names, tags, rendered HTML, 0 conflicts); the same inputs give the same bytes whatever the
files' times and wherever they are (a copy, the installed layout); a later deck updates the
existing notes on import, adds none and keeps their reviews, each on its own flashcard through
insertions, reordering and rewording; a failed build never touches an existing deck.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import shutil
import sqlite3
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from click.testing import CliRunner

from quizgen.anki import cards
from quizgen.anki import deck as anki
from quizgen.anki.cards import (
    FLASHCARD_FIELDS,
    FLASHCARD_MODEL_ID,
    PROBLEM_FIELDS,
    PROBLEM_MODEL_ID,
    ROTATING_FIELDS,
    ROTATING_MODEL_ID,
    judge_media_name,
)
from quizgen.anki.deck import (
    Recipe,
    build_deck,
    build_timestamp,
    deck_name,
    flashcard_guid,
    load_recipe,
    note_seed,
    problem_guid,
    rotating_guid,
)
from quizgen.cli import cli
from quizgen.core import render
from quizgen.core.concepts import Concept, load_concepts, select, topic_names
from quizgen.core.errors import GenerationError, QuizgenError
from quizgen.core.files import zip_bytes
from quizgen.core.pictures import svg
from quizgen.core.problems import rebuild, rounded, template_version
from quizgen.core.render import lines_html
from quizgen.judge import Tolerance, close, judge
from quizgen.judge.card import card_script

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ROOT / "concepts"
RECIPES = sorted((ROOT / "decks").glob("*.yaml"))


# ---------------------------------------------------------------------------------------------
# Helpers


def _import(col: Collection, package: Path) -> Any:
    """Import an .apkg with Anki's default options (update notes and note types if newer)."""
    request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def _counts(log: Any) -> dict[str, int]:
    """How many notes the import log puts in each of its categories: Anki's own, read by name
    (a renamed one fails here); pyproject.toml bounds anki to the versions checked."""
    return {
        name: len(getattr(log, name))
        for name in ("new", "updated", "duplicate", "conflicting", "first_field_match",
                     "missing_notetype", "missing_deck", "empty_first_field")
    }


@pytest.fixture()
def col(tmp_path: Path) -> Iterator[Collection]:
    (tmp_path / "collection").mkdir()
    collection = Collection(str(tmp_path / "collection" / "collection.anki2"))
    yield collection
    collection.close()


@pytest.fixture()
def concept_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped concept files, safe to edit."""
    target = tmp_path / "concepts"
    shutil.copytree(CONCEPTS, target)
    return target


def _expected_decks(concepts: list[Concept]) -> set[str]:
    names = {deck_name(c) for c in concepts}
    parents = {"::".join(n.split("::")[:i]) for n in names for i in range(1, n.count("::") + 1)}
    return names | parents


def _math_spans(text: str) -> list[str]:
    return re.findall(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", text, re.DOTALL)


# ---------------------------------------------------------------------------------------------
# Every shipped recipe, imported into real Anki


def test_every_shipped_recipe_curates_and_shares_the_topic_decks_seed() -> None:
    """A recipe ships only when it curates: a mix of concepts no single topic (concept id, tag or
    all) selects; one topic needs no recipe (``quizgen deck TOPIC``). Every recipe uses seed 0,
    the seed ``quizgen deck TOPIC`` uses, so a note (concept, template, variant) holds the same
    problem in every deck and importing two decks never fights over a note; and the default
    number of variants, since a rotating note (concept, template) holds all of its variants."""
    assert RECIPES, "no curated recipe ships (docs/anki.md and .ci/run build one)"
    concepts = load_concepts(CONCEPTS)
    single = {frozenset(c.id for c in select(concepts, t)) for t in ["all", *topic_names(concepts)]}
    for path in RECIPES:
        recipe = load_recipe(path)
        assert recipe.name == path.stem, path
        assert frozenset(c.id for c in select(concepts, recipe.topics)) not in single, (
            f"{path.name} selects what one topic does: `quizgen deck TOPIC` makes that deck, delete the recipe"
        )
        assert recipe.seed == 0, path
        assert recipe.variants == anki.DEFAULT_VARIANTS, path


def _package_notes(path: Path) -> dict[str, str]:
    """Each note's fields in a package, by GUID."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    try:
        return dict(db.execute("SELECT guid, flds FROM notes").fetchall())
    finally:
        db.close()


def test_importing_a_recipe_deck_then_everything_adds_each_note_once(tmp_path: Path, col: Collection) -> None:
    """The shipped recipe's deck, then `quizgen deck all`: every note of the first is the same
    note, field for field, in the second (a recipe with 10 variants gave rotating notes another
    content under the same GUID, and which one a collection kept depended on the import order)."""
    concepts = load_concepts(CONCEPTS)
    curated = load_recipe(RECIPES[0])
    small = build_deck(select(concepts, curated.topics), tmp_path / "a.apkg", variants=curated.variants, seed=curated.seed)
    large = build_deck(concepts, tmp_path / "all.apkg")  # as `quizgen deck all` builds it
    mine, everything = _package_notes(tmp_path / "a.apkg"), _package_notes(tmp_path / "all.apkg")
    assert mine and all(everything[guid] == fields for guid, fields in mine.items())
    _import(col, tmp_path / "a.apkg")
    counts = _counts(_import(col, tmp_path / "all.apkg"))
    assert (counts["new"], counts["duplicate"], counts["updated"], counts["conflicting"]) == (
        large.notes - small.notes, small.notes, 0, 0
    )
    assert col.note_count() == large.notes


# Every shipped recipe, and every concept (`quizgen deck all`, as a recipe would say it).
DECKS = [*RECIPES, Recipe(name="all", topics=("all",))]


@pytest.mark.parametrize("deck", DECKS, ids=[d.stem if isinstance(d, Path) else d.name for d in DECKS])
def test_recipe_builds_and_imports(deck: Path | Recipe, tmp_path: Path, col: Collection) -> None:
    recipe = load_recipe(deck) if isinstance(deck, Path) else deck
    concepts = select(load_concepts(CONCEPTS), recipe.topics)
    out = tmp_path / f"{recipe.name}.apkg"
    summary = build_deck(concepts, out, variants=recipe.variants, seed=recipe.seed)

    flashcards = sum(len(c.flashcards) for c in concepts)
    templates = sum(len(c.templates) for c in concepts)
    # A rotating note per template, holding the recipe's variants.
    assert recipe.notes == "rotating"
    assert (summary.flashcards, summary.problems, summary.rotating, summary.notes) == (
        flashcards, recipe.variants * templates, templates, flashcards + templates)
    assert summary.size == out.stat().st_size

    log = _import(col, out)
    assert _counts(log) == {
        "new": summary.notes, "updated": 0, "duplicate": 0, "conflicting": 0, "first_field_match": 0,
        "missing_notetype": 0, "missing_deck": 0, "empty_first_field": 0,
    }
    assert col.note_count() == summary.notes
    assert col.card_count() == summary.cards == summary.notes

    models = {m["id"]: m for m in col.models.all()}
    assert [f["name"] for f in models[ROTATING_MODEL_ID]["flds"]] == list(ROTATING_FIELDS)
    assert PROBLEM_MODEL_ID not in models
    assert [f["name"] for f in models[FLASHCARD_MODEL_ID]["flds"]] == list(FLASHCARD_FIELDS)
    assert {d.name for d in col.decks.all_names_and_ids()} == _expected_decks(concepts) | {"Default"}
    assert all(name.startswith("quizgen::") for name in summary.decks)

    for c in concepts:
        did = col.decks.id_for_name(deck_name(c))
        cids = col.find_cards(f"did:{did}")
        assert len(cids) == len(c.flashcards) + len(c.templates), c.id
        for cid in cids[:: max(1, len(cids) // 10)]:
            note = col.get_card(cid).note()
            assert sorted(note.tags) == sorted(c.tags)
            if note.mid == ROTATING_MODEL_ID:
                assert note["Id"].startswith(f"{c.id}.") and note["Concept"] == html.escape(c.title, quote=False)
                count = int(re.search(r'data-qz-count="(\d+)"', note["Variants"]).group(1))
                assert 1 <= count <= recipe.variants  # repeated questions are kept once
    assert os.listdir(col.media.dir()) == [judge_media_name()]
    assert (Path(col.media.dir()) / judge_media_name()).read_bytes() == card_script()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, list[Concept]]]:
    """One deck of every concept (two variants), imported into a fresh collection."""
    tmp = tmp_path_factory.mktemp("imported")
    concepts = load_concepts(CONCEPTS)
    build_deck(concepts, tmp / "all.apkg", variants=2, seed=11, notes="per-variant")
    collection = Collection(str(tmp / "collection.anki2"))
    _import(collection, tmp / "all.apkg")
    yield collection, concepts
    collection.close()


def test_problem_cards_render_in_anki(imported: tuple[Collection, list[Concept]]) -> None:
    col, concepts = imported
    script = judge_media_name()
    problem_nids = col.find_notes(f"mid:{PROBLEM_MODEL_ID}")
    assert len(problem_nids) == 2 * sum(len(c.templates) for c in concepts)
    pictures = 0
    for nid in problem_nids:
        note = col.get_note(nid)
        card = note.cards()[0]
        question, answer = card.question(), card.answer()
        problem = rebuild(note["Id"], concepts)
        # The front: the prompt (escaped), the inputs and Anki's own type-in box.
        first_line = html.escape(problem.prompt.split("`")[0], quote=False)
        assert first_line in question
        assert question.count("[[type:Answer]]") == 1
        assert "qz-check" not in question and "<script" not in question
        # The back: the script from the media folder, the judge's data, the worked solution.
        assert f'<script src="{script}"></script>' in answer
        assert "http" not in answer.split("<style>")[-1].split("</style>")[-1]
        check = json.loads(html.unescape(note["Check"]))
        assert check["kind"] == problem.answer.kind
        assert {m["name"] for m in check["misconceptions"]} == {m.name for m in problem.misconceptions}
        tolerance = Tolerance(**check["tolerance"]) if check["tolerance"] else Tolerance()
        # The key stored on the card is right by the Python judge, and so is the typed form.
        assert judge(problem.answer, html.unescape(note["Answer"]), problem.tolerance).status == "right"
        assert close(problem.answer.kind, problem.answer.value, check["key"], tolerance)
        # Nothing inside math may be a raw "<" (it would end the formula as an HTML tag).
        for spans in _math_spans(answer):
            assert "<" not in "".join(spans)
        if problem.answer.kind == "matrix":
            assert r"\begin{bmatrix}" in answer
        # The picture of the worked solution (a schedule, a grid of weights) as inline SVG.
        if problem.figure is not None:
            assert f'<div class="qz-picture">{svg(problem.figure)}</div>' in answer
            pictures += 1
    assert pictures >= 10


def test_a_rotating_note_holds_every_variant(tmp_path: Path, col: Collection) -> None:
    """Variant v of a rotating note is the problem a per-variant deck puts in note v: the same
    id, key, tolerance and mistakes, with its prompt and inputs in Variants and its solution,
    id and judge data in VariantAnswers."""
    concepts = select(load_concepts(CONCEPTS), ["attention", "squeeze-unsqueeze", "lr-schedules"])
    build_deck(concepts, tmp_path / "r.apkg", variants=3, seed=11)
    _import(col, tmp_path / "r.apkg")
    by_id = {c.id: c for c in concepts}
    nids = col.find_notes(f"mid:{ROTATING_MODEL_ID}")
    assert len(nids) == sum(len(c.templates) for c in concepts)
    for nid in nids:
        note = col.get_note(nid)
        concept_id, template = note["Id"].split(".")[:2]
        assert note.guid == rotating_guid(concept_id, template)
        question = note.cards()[0].question()
        assert f'<script src="{judge_media_name()}"></script>' in question and "qz-check" not in question
        variants: dict[tuple[str, str, str], list[str]] = {}
        version = template_version(next(t for t in by_id[concept_id].templates if t.name == template))
        for v in range(3):
            problem = rebuild(f"{concept_id}.{template}.v{version}.{note_seed(11, concept_id, template, v)}", [by_id[concept_id]])
            fields = cards.problem_fields(problem, by_id[concept_id])
            variants.setdefault((fields[0], fields[1], fields[9]), fields)  # the same question is kept once
        assert f'data-qz-count="{len(variants)}"' in note["Variants"]
        assert len(variants) == (1 if problem.answer.kind == "formula" else 3)
        for v, fields in enumerate(variants.values()):
            if v == 0:
                assert [note[f] for f in PROBLEM_FIELDS] == fields
                continue
            front = note["Variants"].split(f'<div data-qz-variant="{v}">', 1)[1]
            back = note["VariantAnswers"].split(f'<div data-qz-variant="{v}">', 1)[1]
            assert front.startswith(f'<div data-qz-part="prompt">{fields[0]}</div><div data-qz-part="inputs">{fields[1]}</div>')
            assert f'<div data-qz-part="id">{fields[8]}</div>' in back
            assert f'<div data-qz-part="check" class="mathjax_ignore tex2jax_ignore">{fields[9]}</div>' in back


def test_flashcards_render_in_anki(imported: tuple[Collection, list[Concept]]) -> None:
    col, concepts = imported
    by_deck = {deck_name(c): c for c in concepts}
    nids = col.find_notes(f"mid:{FLASHCARD_MODEL_ID}")
    assert len(nids) == sum(len(c.flashcards) for c in concepts)
    for nid in nids:
        note = col.get_note(nid)
        card = note.cards()[0]
        concept = by_deck[col.decks.name(card.did)]
        fronts = [html.escape(f.front, quote=False) for f in concept.flashcards]
        assert note["Front"] in fronts
        card_data = concept.flashcards[fronts.index(note["Front"])]
        assert note.guid == flashcard_guid(concept.id, card_data)
        assert html.escape(card_data.back, quote=False).replace("\n", "<br>") in card.answer()
        assert "<script" not in card.answer()
        # The footer: the concept and the notes this card's facts come from, by title.
        foot = f'<div class="qz-foot">{html.escape(concept.title, quote=False)} · {cards.sources_html(concept.sources_of(card_data))}</div>'
        assert card.answer().count(foot) == 1 and foot not in card.question()
        assert "; ".join(concept.sources_of(card_data)).replace("&", "&amp;") in card.answer()


def test_text_is_escaped_and_math_is_safe() -> None:
    assert render.text_html("a < b & c > d, type `1 2; 3 4`\nnext") == (
        "a &lt; b &amp; c &gt; d, type <code>1 2; 3 4</code><br>next"
    )
    class Shown:  # what _inputs_html reads of a problem: its family and its inputs
        family = "attention"

        def __init__(self, inputs: dict[str, Any]) -> None:
            self.inputs = inputs

    q, k, v = [[1, -2], [3, 4]], [[1, 0], [0, 1]], [[5, 6], [7, 8]]
    inputs = cards._inputs_html(Shown({"ask": "scores", "Q": q, "K": k, "V": v, "causal": False}))
    # Each matrix typeset once, under its family's label, and not again as text.
    assert ('<span class="qz-matrix-label">queries \\( Q \\) =</span> <span class="qz-matrix-value">'
            r"\( \displaystyle \begin{bmatrix} 1 &amp; -2 \\ 3 &amp; 4 \end{bmatrix} \)</span>") in inputs
    assert inputs.count("bmatrix}") == 6 and "[[1, -2]" not in inputs and "[[5" not in inputs
    assert "Shapes: Q 2×2, K 2×2, V 2×2" in inputs
    assert lines_html("x < y", "qz-") == '<div class="qz-lines"><div class="qz-line">x &lt; y</div></div>'
    # Not a numeric matrix, or too large: left as text.
    assert not render.fits_tex(render.Typeset("E", [["a", "b"]], "E = [[a, b]]"))
    assert not render.fits_tex(render.Typeset("E", [[1] * 13], ""))
    assert cards._value_html([[2.5, "-inf"], [1e-7, 3]]) == (
        r"\( \begin{bmatrix} 2.5 &amp; -\infty \\ 1 \times 10^{-7} &amp; 3 \end{bmatrix} \)"
    )
    assert cards._value_html([3, 1, 4], "shape") == "<code>torch.Size([3, 1, 4])</code>"
    assert cards._value_html([["a <b>", 1]]) == '<table class="qz-table"><tr><td>a &lt;b&gt;</td><td>\\( 1 \\)</td></tr></table>'
    assert rounded([1.0, float("-inf"), 0.1 + 0.2]) == [1.0, "-inf", 0.3]


def test_numbers_on_a_card_round_as_its_check_data_and_counts_stay_whole() -> None:
    # A count is shown whole, as the judge writes it (1.18042 × 10⁶ read as "give 7 figures").
    assert cards._value_html(1180416.0) == r"\( 1180416 \)" and cards._value_html([[-0.0, 2.5]]) == (
        r"\( \begin{bmatrix} 0 &amp; 2.5 \end{bmatrix} \)"
    )
    # An exact tie at the 6th figure: the card holds the key to 12 figures (0.0492095500000),
    # and the answer line, a worked step of the same value and the script's "the answer is"
    # must all say one number.
    tie = 0.049209550000000005
    assert f"{tie:.6g}" != f"{rounded(tie):.6g}"  # the two roundings disagree here
    assert cards._value_html(tie) == cards._value_html(rounded(tie)) == r"\( 0.0492095 \)"


def test_text_tables_in_the_inputs_keep_their_columns() -> None:
    """Rows padded into columns (a masking table, true and predicted classes) never wrap on a
    phone, which would break the columns apart; they scroll in their own box. Text around them,
    and lines of prose, still wrap."""
    text = "Find: F1\ntrue class:      1 0 1\npredicted class: 1 1 0\nlabels: 0, 1"
    assert lines_html(text, "qz-") == (
        '<div class="qz-lines"><div class="qz-line">Find: F1</div></div>'
        '<div class="qz-lines qz-rows"><div class="qz-line">true class:      1 0 1</div>'
        '<div class="qz-line">predicted class: 1 1 0</div></div>'
        '<div class="qz-lines"><div class="qz-line">labels: 0, 1</div></div>'
    )
    # Two lines of one length but no columns (a candidate and its reference) are prose.
    assert "qz-rows" not in lines_html("candidate: a b c\nreference: a b d", "qz-")
    assert ".qz-rows { white-space: pre;" in cards._CSS


# ---------------------------------------------------------------------------------------------
# Identity, bytes and updates


def _db(package: Path, tmp: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(package) as archive:
        (tmp / "db.anki2").write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(tmp / "db.anki2")


def test_guids_come_from_identity_not_text(tmp_path: Path) -> None:
    concepts = select(load_concepts(CONCEPTS), ["attention", "squeeze-unsqueeze"])
    build_deck(concepts, tmp_path / "a.apkg", variants=3, seed=0, notes="per-variant")
    with _db(tmp_path / "a.apkg", tmp_path) as db:
        guids = {g for (g,) in db.execute("SELECT guid FROM notes")}
    expected = {problem_guid(c.id, t.name, v) for c in concepts for t in c.templates for v in range(3)}
    expected |= {flashcard_guid(c.id, card) for c in concepts for card in c.flashcards}
    assert guids == expected
    # Another seed draws other problems into the same notes.
    build_deck(concepts, tmp_path / "b.apkg", variants=3, seed=1, notes="per-variant")
    with _db(tmp_path / "b.apkg", tmp_path) as db:
        rows = dict(db.execute("SELECT guid, flds FROM notes"))
    assert set(rows) == guids
    with _db(tmp_path / "a.apkg", tmp_path) as db:
        before = dict(db.execute("SELECT guid, flds FROM notes"))
    changed = [g for g in guids if rows[g] != before[g]]
    assert len(changed) == 3 * sum(len(c.templates) for c in concepts)
    # A rotating note is the template's, whatever its variants or seed.
    build_deck(concepts, tmp_path / "c.apkg", variants=4, seed=0)
    build_deck(concepts, tmp_path / "d.apkg", variants=2, seed=7)
    for name in ("c.apkg", "d.apkg"):
        with _db(tmp_path / name, tmp_path) as db:
            rotating = {g for (g,) in db.execute("SELECT guid FROM notes")}
        assert rotating == {rotating_guid(c.id, t.name) for c in concepts for t in c.templates} | {
            flashcard_guid(c.id, card) for c in concepts for card in c.flashcards}


def test_a_variant_does_not_depend_on_the_other_concepts(tmp_path: Path) -> None:
    everything = load_concepts(CONCEPTS)
    build_deck(everything, tmp_path / "all.apkg", variants=2, seed=5)
    build_deck(select(everything, ["simclr"]), tmp_path / "one.apkg", variants=2, seed=5)
    with _db(tmp_path / "all.apkg", tmp_path) as db:
        all_rows = dict(db.execute("SELECT guid, flds FROM notes"))
    with _db(tmp_path / "one.apkg", tmp_path) as db:
        one_rows = dict(db.execute("SELECT guid, flds FROM notes"))
    assert one_rows and all(all_rows[g] == f for g, f in one_rows.items())


def test_rebuilding_unchanged_inputs_gives_identical_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    concepts = load_concepts(CONCEPTS)
    first = build_deck(concepts, tmp_path / "one.apkg", variants=2, seed=0)
    second = build_deck(concepts, tmp_path / "two.apkg", variants=2, seed=0, jobs=2)
    assert (tmp_path / "one.apkg").read_bytes() == (tmp_path / "two.apkg").read_bytes()
    assert first.timestamp == second.timestamp == build_timestamp() == anki.CONTENT_EPOCH
    with zipfile.ZipFile(tmp_path / "one.apkg") as archive:
        assert archive.namelist() == ["collection.anki2", "media", "0"]
        assert json.loads(archive.read("media")) == {"0": judge_media_name()}
        stamp = time.gmtime(first.timestamp)
        for info in archive.infolist():  # zip dates count seconds in twos
            assert info.date_time == (*stamp[:5], stamp[5] - stamp[5] % 2)


def test_zip_is_valid_with_fixed_dates() -> None:
    data = b"".join(b"row %d of a collection that compresses well\n" % i for i in range(60_000))
    archives = [zip_bytes([("collection.anki2", data), ("media", b"{}")], 1_700_000_000) for _ in range(2)]
    assert archives[0] == archives[1]
    with zipfile.ZipFile(io.BytesIO(archives[0])) as archive:
        assert archive.testzip() is None
        assert archive.read("collection.anki2") == data and archive.read("media") == b"{}"
        info = archive.getinfo("collection.anki2")
        assert info.compress_size < len(data) // 5
        assert info.date_time == (2023, 11, 14, 22, 13, 20)
        assert info.external_attr >> 16 == 0o100644


def _copy_with_times(source: Path, target: Path, when: int) -> Path:
    shutil.copytree(source, target)
    for i, path in enumerate(sorted(p for p in target.rglob("*") if p.is_file())):
        os.utime(path, (when + i, when + i))
    return target


def test_file_times_never_reach_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies of the concept files with other modification times (a fresh checkout, a copy, an
    unpacked wheel) give the same bytes, with or without SOURCE_DATE_EPOCH."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    early = _copy_with_times(CONCEPTS, tmp_path / "early", 400_000_000)
    late = _copy_with_times(CONCEPTS, tmp_path / "late", 2_100_000_000)
    chosen = ["attention", "bleu", "vae"]
    for env, name in (({}, "plain"), ({"SOURCE_DATE_EPOCH": "1700000000"}, "epoch")):
        a = build_deck(select(load_concepts(early), chosen), tmp_path / f"{name}-a.apkg", variants=1, environ=env)
        b = build_deck(select(load_concepts(late), chosen), tmp_path / f"{name}-b.apkg", variants=1, environ=env)
        assert a.timestamp == b.timestamp == (int(env["SOURCE_DATE_EPOCH"]) if env else anki.CONTENT_EPOCH)
        assert (tmp_path / f"{name}-a.apkg").read_bytes() == (tmp_path / f"{name}-b.apkg").read_bytes()


def test_an_installed_layout_builds_the_same_bytes_as_the_checkout(tmp_path: Path) -> None:
    """The wheel's layout (the concept files inside the package, every file freshly written) and
    the repository's give the same deck: ``quizgen deck`` run in both, in separate processes."""
    site = tmp_path / "site"
    site.mkdir()
    for package in ("quizgen", "checkers"):
        shutil.copytree(ROOT / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    _copy_with_times(CONCEPTS, site / "quizgen" / "concepts", 2_000_000_000)
    for path in (site / "quizgen").rglob("*.py"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "QUIZGEN_CONCEPTS", "PYTHONPATH")}
    args = ["-m", "quizgen", "deck", "attention", "rope", "--variants", "1", "-o"]
    import subprocess
    import sys

    installed = subprocess.run([sys.executable, *args, str(tmp_path / "installed.apkg")], cwd=work, capture_output=True,
                               text=True, env={**env, "PYTHONPATH": str(site)}, timeout=300)
    assert installed.returncode == 0, installed.stderr
    checkout = subprocess.run([sys.executable, *args, str(tmp_path / "checkout.apkg")], cwd=ROOT, capture_output=True,
                              text=True, env=env, timeout=300)
    assert checkout.returncode == 0, checkout.stderr
    assert (tmp_path / "installed.apkg").read_bytes() == (tmp_path / "checkout.apkg").read_bytes()


FINGERPRINT = ROOT / "tests" / "data" / "content_fingerprint.json"


def _deck_fingerprint(package: Path, tmp: Path) -> str:
    """What a collection receives from a deck, without its times: notes, note types, media."""
    with _db(package, tmp) as db:
        notes = db.execute("SELECT guid, flds, tags FROM notes ORDER BY guid").fetchall()
        (models,) = db.execute("SELECT models FROM col").fetchone()
    types = sorted((m["id"], m["name"], m["css"], [f["name"] for f in m["flds"]], [(t["name"], t["qfmt"], t["afmt"]) for t in m["tmpls"]])
                   for m in json.loads(models).values())
    with zipfile.ZipFile(package) as archive:
        media = sorted(json.loads(archive.read("media")).values())
    return hashlib.sha256(json.dumps([notes, types, media], ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def test_the_content_epoch_moves_whenever_the_cards_change(tmp_path: Path) -> None:
    """Anki takes a changed note only with a newer time, and times no longer come from files: so
    whatever changes what a collection receives must move CONTENT_EPOCH forward."""
    build_deck(load_concepts(CONCEPTS), tmp_path / "all.apkg", variants=1, seed=0, environ={})
    found = _deck_fingerprint(tmp_path / "all.apkg", tmp_path)
    recorded = json.loads(FINGERPRINT.read_text("utf-8"))
    advice = (f"the cards changed: run python tests/test_deck.py --update (it sets CONTENT_EPOCH in quizgen/anki/deck.py "
              f"to now, {int(time.time())}, and writes it with the fingerprint {found!r} to {FINGERPRINT.relative_to(ROOT)})")
    assert recorded["content_epoch"] == anki.CONTENT_EPOCH, advice
    assert recorded["fingerprint"] == found, advice


def test_timestamp_is_source_date_epoch_else_the_content_epoch(concept_dir: Path) -> None:
    for path in concept_dir.glob("*.yaml"):
        os.utime(path, (2_100_000_000, 2_100_000_000))  # file times play no part
    assert build_timestamp({}) == anki.CONTENT_EPOCH
    assert build_timestamp({"SOURCE_DATE_EPOCH": " 1700000000 "}) == 1_700_000_000
    assert build_timestamp({"SOURCE_DATE_EPOCH": "5"}) == 315_532_800  # zip dates start in 1980
    assert build_timestamp({"SOURCE_DATE_EPOCH": "4354819199"}) == 4_354_819_199
    for bad in ("yesterday", "-5", "1.5e9", "4354819200", "9" * 40, "١٢٣"):
        with pytest.raises(QuizgenError, match="SOURCE_DATE_EPOCH"):
            build_timestamp({"SOURCE_DATE_EPOCH": bad})


def _edit_concept(path: Path) -> tuple[str, str]:
    """Append to the first flashcard's back and prefix the first template's prompt; return both marks."""
    import yaml

    data = yaml.safe_load(path.read_text("utf-8"))
    data["flashcards"][0]["back"] = data["flashcards"][0]["back"].rstrip() + " Edited back."
    data["problems"][0]["prompt"] = "Edited prompt. " + data["problems"][0]["prompt"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return "Edited back.", "Edited prompt."


def note_variants(col: Collection, query: str) -> int:
    """How many variants the rotating note found by ``query`` holds."""
    (nid,) = col.find_notes(query)
    return int(re.search(r'data-qz-count="(\d+)"', col.get_note(nid)["Variants"]).group(1))


def test_changed_concept_updates_notes_and_keeps_reviews(
    tmp_path: Path, concept_dir: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    deck = tmp_path / "deck.apkg"
    concepts = select(load_concepts(concept_dir), ["attention", "bleu"])
    first = build_deck(concepts, deck, variants=2, seed=0)
    assert _counts(_import(col, deck))["new"] == first.notes

    # Study a few attention cards.
    did = col.decks.id_for_name("quizgen::Transformers::Attention")
    col.decks.select(did)
    for _ in range(4):
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
    studied = {cid: (c.type, c.queue, c.due, c.ivl, c.reps, c.lapses, c.factor)
               for cid in col.find_cards(f"did:{did}") if (c := col.get_card(cid)).reps}
    assert len(studied) == 4
    revlog = col.db.all("SELECT id, cid, ease, ivl FROM revlog ORDER BY id")

    # Re-importing the same file changes nothing: Anki skips every note as already up to date
    # (its log calls those "duplicate"; no note is added twice).
    again = _counts(_import(col, deck))
    assert (again["new"], again["updated"], again["duplicate"], again["conflicting"]) == (0, 0, first.notes, 0)

    # Edit the attention concept: a flashcard's back and a problem prompt. Built at the same
    # time, the edit waits: Anki takes only newer notes, and file times play no part.
    back_mark, prompt_mark = _edit_concept(concept_dir / "attention.yaml")
    concepts = select(load_concepts(concept_dir), ["attention", "bleu"])
    build_deck(concepts, deck, variants=2, seed=0)
    assert _counts(_import(col, deck))["updated"] == 0
    # Built with a later SOURCE_DATE_EPOCH, it updates the notes in place.
    later = {"SOURCE_DATE_EPOCH": str(first.timestamp + 120)}
    second = build_deck(concepts, deck, variants=2, seed=0, environ=later)
    assert second.timestamp == first.timestamp + 120

    counts = _counts(_import(col, deck))
    assert counts == {
        "new": 0, "updated": first.notes, "duplicate": 0, "conflicting": 0,
        "first_field_match": 0, "missing_notetype": 0, "missing_deck": 0, "empty_first_field": 0,
    }
    assert col.note_count() == first.notes
    assert len(col.find_notes(f'"Back:*{back_mark}*"')) == 1
    assert len(col.find_notes(f'"Prompt:{prompt_mark}*"')) == 1  # the template's rotating note
    assert note_variants(col, f'"Prompt:{prompt_mark}*"') == 2  # and both its variants
    # The studied cards keep their scheduling and review history.
    for cid, state in studied.items():
        c = col.get_card(cid)
        assert (c.type, c.queue, c.due, c.ivl, c.reps, c.lapses, c.factor) == state
    assert col.db.all("SELECT id, cid, ease, ivl FROM revlog ORDER BY id") == revlog


def _by_guid(col: Collection, guid: str) -> int:
    nids = col.db.list("SELECT id FROM notes WHERE guid = ?", guid)
    assert len(nids) == 1, guid
    return int(nids[0])


def _reviewed(col: Collection, nid: int) -> tuple[Any, ...]:
    (cid,) = col.card_ids_of_note(nid)
    c = col.get_card(cid)
    return cid, (c.type, c.queue, c.due, c.ivl, c.reps, c.lapses, c.factor), col.db.all(
        "SELECT id, ease, ivl FROM revlog WHERE cid = ? ORDER BY id", cid)


def test_every_review_stays_on_its_flashcard_through_insertion_reordering_and_rewording(
    tmp_path: Path, concept_dir: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a deck built the way quizgen did before flashcards had ids (GUIDs from positions):
    the first deck with ids keeps every note, and after a card is inserted in the middle, the
    cards are reordered and a front is reworded, each review is still on its own card."""
    import yaml
    from genanki import guid_for

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    path = concept_dir / "attention.yaml"
    (concept,) = select(load_concepts(concept_dir), ["attention"])
    with monkeypatch.context() as m:  # the builder before ids: the GUID of the card's position
        position = {card.id: i for i, card in enumerate(concept.flashcards)}
        m.setattr(anki, "flashcard_guid", lambda cid, card: str(guid_for("quizgen-flashcard", cid, position[card.id])))
        build_deck([concept], tmp_path / "old.apkg", variants=1)
    assert _counts(_import(col, tmp_path / "old.apkg"))["new"] == len(concept.flashcards) + len(concept.templates)
    for i in range(len(concept.flashcards)):  # every card reviewed, with different answers
        nid = _by_guid(col, str(guid_for("quizgen-flashcard", "attention", i)))
        for ease in (3, 1 + i % 4):
            review = col.get_card(col.card_ids_of_note(nid)[0])
            review.start_timer()
            col.sched.answerCard(review, ease)
    before = {card.id: (_by_guid(col, str(guid_for("quizgen-flashcard", "attention", i))),)
              for i, card in enumerate(concept.flashcards)}
    before = {k: (nid, *_reviewed(col, nid)) for k, (nid,) in before.items()}
    assert len({state for _, _, state, _ in before.values()}) > 3  # the cards' states differ

    def rebuild_and_check(stamp: int) -> dict[str, int]:
        (edited,) = select(load_concepts(concept_dir), ["attention"])
        build_deck([edited], tmp_path / "new.apkg", variants=1, environ={"SOURCE_DATE_EPOCH": str(stamp)})
        counts = _counts(_import(col, tmp_path / "new.apkg"))
        assert counts["conflicting"] == 0
        for card in edited.flashcards:
            nid = _by_guid(col, flashcard_guid("attention", card))
            assert col.get_note(nid)["Front"] == cards.flashcard_fields(card, edited)[0]
            if card.id in before:  # its own note, card, schedule and review log
                assert (nid, *_reviewed(col, nid)) == before[card.id], card.id
            else:
                assert _reviewed(col, nid)[1][4] == 0  # a new card, never reviewed
        assert col.note_count() == len(edited.flashcards) + len(edited.templates)
        return counts

    # The first deck with ids: every existing note is found by its old GUID; nothing is added.
    assert rebuild_and_check(anki.CONTENT_EPOCH)["new"] == 0
    # A card inserted in the middle.
    text = path.read_text("utf-8")
    inserted = ("  - id: scores-shape\n    front: What shape do the attention scores of n_q queries and n_k keys have?\n"
                "    back: n_q×n_k, one row per query and one column per key.\n")
    assert text.count("  - id: why-scale\n") == 1
    path.write_text(text.replace("  - id: why-scale\n", inserted + "  - id: why-scale\n"), "utf-8")
    assert rebuild_and_check(anki.CONTENT_EPOCH + 100)["new"] == 1
    # The cards in reverse order.
    data = yaml.safe_load(path.read_text("utf-8"))
    data["flashcards"].reverse()
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    assert rebuild_and_check(anki.CONTENT_EPOCH + 200)["new"] == 0
    # A front reworded: its note is updated in place.
    (reworded,) = [card for card in data["flashcards"] if card["id"] == "why-scale"]
    reworded["front"] = "Why divide Q Kᵀ by √d_k before the softmax?"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    counts = rebuild_and_check(anki.CONTENT_EPOCH + 300)
    assert counts["new"] == 0 and counts["updated"] > 0
    assert col.get_note(before["why-scale"][0])["Front"] == "Why divide Q Kᵀ by √d_k before the softmax?"


def test_layout_change_reaches_existing_collections(tmp_path: Path, col: Collection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new card script gets a new media name, and the note type that loads it is updated."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    concepts = select(load_concepts(CONCEPTS), ["simclr"])
    build_deck(concepts, tmp_path / "old.apkg", variants=1)
    _import(col, tmp_path / "old.apkg")
    script = tmp_path / "card_judge.js"
    script.write_bytes(cards.JUDGE_SCRIPT.read_bytes() + b"\n// a later version\n")
    monkeypatch.setattr(anki, "JUDGE_SCRIPT", script)
    # A release with a new layout moves the content epoch forward.
    monkeypatch.setattr(anki, "CONTENT_EPOCH", anki.CONTENT_EPOCH + 3600)
    build_deck(concepts, tmp_path / "new.apkg", variants=1)
    counts = _counts(_import(col, tmp_path / "new.apkg"))
    assert counts["new"] == 0 and counts["updated"] == col.note_count()
    new_name = judge_media_name(card_script(script))
    assert new_name in os.listdir(col.media.dir())
    template = col.models.get(ROTATING_MODEL_ID)["tmpls"][0]
    assert f'<script src="{new_name}">' in template["afmt"] and f'<script src="{new_name}">' in template["qfmt"]


# ---------------------------------------------------------------------------------------------
# Atomic writes


def test_failed_build_leaves_existing_deck_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    concepts = select(load_concepts(CONCEPTS), ["bleu"])
    out = tmp_path / "deck.apkg"
    build_deck(concepts, out, variants=1)
    before = out.read_bytes()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise GenerationError("no usable variant")

    monkeypatch.setattr("quizgen.core.problems.build_problem", broken)
    with pytest.raises(GenerationError):
        build_deck(concepts, out, variants=1, jobs=1)
    monkeypatch.undo()

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(QuizgenError, match="No space left on device"):
        build_deck(concepts, out, variants=2)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]


# ---------------------------------------------------------------------------------------------
# Recipes and the command line


def _recipe(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text, "utf-8")
    return path


def test_recipe_fields_are_checked(tmp_path: Path) -> None:
    assert load_recipe(_recipe(tmp_path, "name: x\ntopics: [attention]\n")) == Recipe(
        "x", ("attention",), anki.DEFAULT_VARIANTS, 0
    )
    with pytest.raises(QuizgenError) as info:
        load_recipe(_recipe(tmp_path, "name: x\ntopic: [a]\nvariants: 0\nseed: -1\n"))
    message = str(info.value)
    # Each with the file and the line of its field (topics, missing, at the top).
    for part in (":2: unknown field 'topic' (did you mean 'topics'?)", ":1: topics: expected a list",
                 ":3: variants: expected a whole number from 1 to", ":4: seed: expected a whole number >= 0"):
        assert part in message, message
    with pytest.raises(QuizgenError, match="no such deck recipe"):
        load_recipe(tmp_path / "missing.yaml")
    with pytest.raises(QuizgenError, match=r"not valid YAML: line 2"):
        load_recipe(_recipe(tmp_path, "name: [x\n"))
    # A recipe is read as files from strangers are: never a pipe or a device, never a large file.
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(QuizgenError, match="not a regular file"):
        load_recipe(fifo)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(QuizgenError, match="not a regular file"):
        load_recipe(tmp_path / "zero.yaml")
    with pytest.raises(QuizgenError, match="files over"):
        load_recipe(_recipe(tmp_path, "name: x\ntopics: [attention]\n" + "# padding\n" * 10_000))
    # A topic the recipe names that is no concept: the recipe's file and line, not the user's words.
    recipe = _recipe(tmp_path, "name: x\ntopics:\n  - attention\n  - atention\n")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", str(recipe), "-o", str(tmp_path / "x.apkg")])
    assert result.exit_code == 2 and f"{recipe}:2: topics: unknown topic 'atention'" in result.output, result.output


def test_a_rotating_note_holds_at_most_fifty_variants(tmp_path: Path) -> None:
    """Every card of a rotating note carries all its variants (100 of an attention template made
    a note of 0.9 MB): more than 50 are refused, from a recipe (its file and line) and from the
    command line, before anything is written; per-variant notes may have more."""
    recipe = _recipe(tmp_path, "name: x\ntopics: [attention]\nvariants: 51\n")
    with pytest.raises(QuizgenError, match=r":3: variants: a rotating note holds at most 50 variants"):
        load_recipe(recipe)
    assert load_recipe(_recipe(tmp_path, "name: x\ntopics: [attention]\nvariants: 51\nnotes: per-variant\n")).variants == 51
    assert load_recipe(_recipe(tmp_path, "name: x\ntopics: [attention]\nvariants: 50\n")).variants == 50
    out = tmp_path / "many.apkg"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "attention", "-o", str(out), "--variants", "51"])
    assert result.exit_code == 2 and "at most 50 variants" in result.output and "--notes per-variant" in result.output, result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_cli_builds_a_recipe(tmp_path: Path) -> None:
    out = tmp_path / "att.apkg"
    recipe = _recipe(tmp_path, "name: att\ntopics: [attention]\nvariants: 5\n")  # the command line's --variants wins
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "deck", str(recipe), "-o", str(out), "--variants", "1"]
    )
    assert result.exit_code == 0, result.output
    (concept,) = select(load_concepts(CONCEPTS), ["attention"])
    problems, cards = len(concept.templates), len(concept.flashcards)
    notes = problems + cards
    assert result.output.startswith(
        f"wrote {out}: {notes} notes ({problems} rotating problems of up to 1 variants (alike ones kept once), {cards} flashcards), {notes} cards, 1 deck, ")
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "deck", str(recipe), "-o", str(out), "--variants", "2",
              "--notes", "per-variant"]
    )
    assert result.exit_code == 0, result.output
    notes = 2 * problems + cards
    assert result.output.startswith(f"wrote {out}: {notes} notes ({2 * problems} problems, {cards} flashcards), {notes} cards, 1 deck, ")
    assert "  quizgen::Transformers::Attention" in result.output
    assert out.exists()


def test_a_bundled_recipe_is_found_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no decks/ here: the recipe bundled with quizgen is used
    out = tmp_path / "att.apkg"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "decks/transformer-unit.yaml", "-o", str(out), "--variants", "1"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "quizgen::Transformers::Attention" in result.output
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "decks/nothing-like-it.yaml"])
    assert result.exit_code == 2 and "no such deck recipe" in result.output
    # A path into another folder names that file: a typo there is not the bundled recipe.
    typo = tmp_path / "nowhere" / "transformer-unit.yaml"
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", str(typo), "-o", str(tmp_path / "t.apkg")])
    assert result.exit_code == 2 and f"no such deck recipe: {typo}" in result.output and not (tmp_path / "t.apkg").exists()


def test_a_deck_replaces_only_a_deck_quizgen_wrote(tmp_path: Path) -> None:
    """An existing .apkg is replaced only when quizgen wrote it (its note types are quizgen's): a
    shared deck of other notes, or any file named .apkg, is refused and left as it was."""
    import genanki

    other = genanki.Model(1_234_567_890, "Basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
    shared = genanki.Deck(1_234_567_891, "Shared")
    shared.add_note(genanki.Note(model=other, fields=["a", "b"], guid="g1"))
    genanki.Package(shared).write_to_file(str(tmp_path / "shared.apkg"))
    (tmp_path / "words.apkg").write_text("my own words")
    for name in ("shared.apkg", "words.apkg"):
        before = (tmp_path / name).read_bytes()
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(tmp_path / name), "--variants", "1"])
        assert result.exit_code == 2 and "it is not a deck quizgen wrote" in result.output, result.output
        assert (tmp_path / name).read_bytes() == before
    ours = tmp_path / "ours.apkg"
    for variants in ("1", "2"):  # built, then built again over itself
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(ours), "--variants", variants])
        assert result.exit_code == 0, result.output
    assert anki.is_quizgen_deck(ours) and not anki.is_quizgen_deck(tmp_path / "shared.apkg")


def test_a_deck_is_never_written_over_a_file_that_is_not_a_deck(tmp_path: Path) -> None:
    """-o notes.txt (or a concept file) would be replaced by the deck's bytes: only .apkg names are written."""
    for name in ("notes.txt", "attention.yaml", "deck"):
        target = tmp_path / name
        target.write_text("my own words")
        result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(target), "--variants", "1"])
        assert result.exit_code == 2 and "a deck is written to a file ending in .apkg" in result.output, result.output
        assert target.read_text() == "my own words"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attention.yaml", "deck", "notes.txt"]
    (tmp_path / "link.apkg").symlink_to(tmp_path / "notes.txt")  # an .apkg name leading to the notes
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(tmp_path / "link.apkg"), "--variants", "1"])
    assert result.exit_code == 2 and "it is a link" in result.output, result.output
    assert (tmp_path / "notes.txt").read_text() == "my own words"
    # A pipe named .apkg: refused at once (reading it to see whether quizgen wrote it blocked for ever).
    os.mkfifo(tmp_path / "pipe.apkg")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(tmp_path / "pipe.apkg"), "--variants", "1"])
    assert result.exit_code == 2 and "it is not a regular file" in result.output, result.output
    # A name that is only the extension gets a name in the hint; topics joined past a file name's length, a hint to -o.
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "-o", str(tmp_path / ".apkg")])
    assert result.exit_code == 2 and f"try -o {tmp_path / 'deck.apkg'}" in result.output, result.output
    topics = sorted(c.id for c in load_concepts(CONCEPTS))
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", *topics, *topics, *topics, *topics])
    assert result.exit_code == 2 and "too long for a file name; name the deck with -o" in result.output, result.output


def test_cli_builds_topics_with_progress(tmp_path: Path) -> None:
    out = tmp_path / "two.apkg"
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "deck", "bleu", "simclr", "-o", str(out), "--variants", "2",
              "--seed", "4", "--progress"]
    )
    assert result.exit_code == 0, result.output
    templates = sum(len(c.templates) for c in load_concepts(CONCEPTS) if c.id in ("bleu", "simclr"))
    assert f"{templates} rotating problems of up to 2 variants" in result.output and "2 decks" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["attentoin", "-o", "x.apkg"], "did you mean 'attention'"),
        (["decks/nope.yaml"], "no such deck recipe"),
        (["decks/transformer-unit.yaml", "bleu"], "either one recipe"),
        (["bleu", "-o", "missing-dir/x.apkg"], "no directory"),
    ],
)
def test_cli_reports_mistakes(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT if args[0].startswith("decks/") else tmp_path)
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "deck", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    concepts = select(load_concepts(CONCEPTS), ["squeeze-unsqueeze"])
    build_deck(concepts, tmp_path / "p.apkg", variants=80, notes="per-variant", jobs=2, progress=lambda d, t: seen.append((d, t)))
    total = 80 * len(concepts[0].templates)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 2


def test_note_type_ids_never_change() -> None:
    # Anki matches note types by id: a new id would orphan every note already imported.
    assert (PROBLEM_MODEL_ID, FLASHCARD_MODEL_ID, ROTATING_MODEL_ID) == (1_733_402_651_001, 1_733_402_651_002, 1_733_402_651_003)
    assert ROTATING_FIELDS[: len(PROBLEM_FIELDS)] == PROBLEM_FIELDS
    assert PROBLEM_FIELDS[2] == "Answer" and "Check" in PROBLEM_FIELDS
    assert judge_media_name().startswith("_quizgen_judge.")


if __name__ == "__main__":
    # python tests/test_deck.py --update: after a change to what cards show, move CONTENT_EPOCH to
    # now and record the new fingerprint (what the content-epoch test asks for, done for you).
    import datetime
    import re
    import sys
    import tempfile

    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_deck.py --update")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        build_deck(load_concepts(CONCEPTS), folder / "all.apkg", variants=1, seed=0, environ={})
        found = _deck_fingerprint(folder / "all.apkg", folder)
    recorded = json.loads(FINGERPRINT.read_text("utf-8"))
    if recorded["fingerprint"] == found and recorded["content_epoch"] == anki.CONTENT_EPOCH:
        sys.exit("the cards have not changed: nothing to write")
    now = int(time.time())
    source = ROOT / "quizgen" / "anki" / "deck.py"
    when = datetime.datetime.fromtimestamp(now, datetime.UTC).strftime("%Y-%m-%d %H:%M")
    text, count = re.subn(r"CONTENT_EPOCH = [0-9_]+\n\"\"\"The notes' modification time \([^)]*\)",
                          f"CONTENT_EPOCH = {now:_}\n\"\"\"The notes' modification time ({when} UTC)", source.read_text("utf-8"))
    if count != 1:
        sys.exit(f"could not find CONTENT_EPOCH and its comment in {source}")
    source.write_text(text, "utf-8")
    FINGERPRINT.write_text(json.dumps({"content_epoch": now, "fingerprint": found}) + "\n", "utf-8")
    print(f"CONTENT_EPOCH = {now} ({when} UTC), fingerprint {found}")
