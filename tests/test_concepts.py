"""Concept files: the shipped ones are valid; each broken one is refused with file, line and field."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import BROKEN, CONCEPTS

from quizgen.cli import cli
from quizgen.core.concepts import check_files, concept_files, load_concepts, select
from quizgen.core.errors import QuizgenError

# file -> [(line, field, words in the message)]; every listed problem must be reported.
EXPECTED = {
    "yaml-syntax.yaml": [(4, "", "not valid YAML")],
    "yaml-indent.yaml": [(4, "", "not valid YAML")],
    "yaml-tab.yaml": [(7, "", "tab")],
    "yaml-colon.yaml": [(14, "", "a ': ' inside a text: put the text in quotes")],
    "empty.yaml": [(1, "", "empty file")],
    "top-level-list.yaml": [(1, "", "found a list of 2")],
    "not-utf8.yaml": [(2, "", "expected UTF-8")],
    "missing-fields.yaml": [(1, "summary", "missing field"), (9, "problems[0].prompt", "missing field")],
    "unknown-field.yaml": [(9, "titel", "did you mean 'title'")],
    "unknown-generator.yaml": [(11, "problems[0].generator", "did you mean 'attention'")],
    "unknown-param.yaml": [(12, "problems[0].params.temprature", "did you mean 'temperature'")],
    "unknown-option.yaml": [(12, "problems[0].params.ask", "did you mean 'scale'")],
    "zero-temperature.yaml": [(14, "problems[0].params.temperature", "> 0")],
    "negative-temperature.yaml": [(13, "problems[0].params.temperature", "> 0 and <= 10, or a [min, max] pair of them, found [-0.5, 1.0]")],
    "min-over-max.yaml": [(14, "problems[0].params.d_k", "min <= max, found [5, 2]")],
    "negative-size.yaml": [(14, "problems[0].params.queries", "found -2")],
    "wrong-type-tags.yaml": [(3, "tags", "expected a list, found 'testing'")],
    "wrong-type-difficulty.yaml": [(12, "problems[0].difficulty", "expected a whole number, found 'hard'")],
    "id-mismatch.yaml": [(1, "id", "expected the file stem 'id-mismatch', found 'something-else'")],
    "duplicate-template.yaml": [(14, "problems[1].name", "not used before")],
    "duplicate-key.yaml": [(14, "problems[0].prompt", "appears twice")],
    "empty-lists.yaml": [(6, "flashcards", "at least 1"), (11, "problems[0].prompt", "non-empty")],
    "bad-slug.yaml": [(1, "id", "lower-case"), (10, "problems[0].name", "lower-case")],
    "negative-tolerance.yaml": [
        (14, "problems[0].tolerance.rel", ">= 0, found -0.1"),
        (14, "problems[0].tolerance.absolute", "unknown field"),
    ],
    "bad-range.yaml": [
        (14, "problems[0].params.d_k", "[min, max] pair"),
        (15, "problems[0].params.queries", "found 2.5"),
    ],
    "flashcard-ids.yaml": [
        (7, "flashcards[0].id", "missing field: expected a short id naming the card"),
        (9, "flashcards[1].id", "lower-case"),
        (16, "flashcards[3].id", "no other flashcard of this file has, found 'same' again (first at flashcards[2])"),
        (19, "flashcards[4].id", "at most 40 characters"),
        (23, "flashcards[5].legacy-position", "found 0 again (first at flashcards[2])"),
        (27, "flashcards[6].legacy-position", ">= 0, found -1"),
        (30, "flashcards[7].id", "expected text, found 42"),
    ],
    "blank-texts.yaml": [
        (2, "title", "only spaces"),
        (3, "tags[1]", "other than 'all'"),
        (4, "deck", "deck names joined by ::"),
    ],
    "two-documents.yaml": [(10, "", "a second YAML document")],
    "authored-inputs.yaml": [
        (14, "problems[0].inputs.2x", "a name of ASCII letters, digits and _"),  # the key's own line
        (19, "problems[1].inputs.x.range", "at most a million whole numbers (or a step"),
        (24, "problems[2].inputs.x.step", "a step that leaves at most a million values in the range, found 1e-09"),
        (28, "problems[3].version", "a value <= 999999999"),  # what a quiz file's id can hold
        (38, "problems[4].tolerance.abs", "a finite number, found inf"),  # said once, not also "stops the check"
        # Advice a condition can follow (a product of comparisons is not a condition).
        (42, "problems[5].conditions[0]", "as conditions, list two ('1 < x', 'x < 4')"),
        (48, "problems[6].conditions[0]", "'and' at position 7 is not an operator here: as conditions, list each one"),
        # A variant worth computing: not always the same question, nor always the same answer.
        (52, "problems[7].inputs", "inputs that vary from one variant to the next, found the same inputs in all 100"),
        (59, "problems[8].answer", "an answer that depends on the inputs drawn, found the same answer, 7.0, in all 100"),
        (65, "problems[9].answer", "shapes that fit on every draw (draw one size input and use it in each shape: [n]), found dot takes"),
    ],
    "yes-key.yaml": [(13, "problems[0].inputs.on", "read by YAML as true, not as a name; write it in quotes ('on')")],
    "many-problems.yaml": [
        (2, "title", "expected text, found 42"),
        (3, "tags[0]", "lower-case"),
        (5, "sources", "at least 1"),
        (7, "flashcards[0].back", "missing field"),
        (12, "problems[0].params.temperature", "> 0"),
        (15, "problems[1].generator", "expected a generator"),
    ],
}


def test_every_broken_file_has_expectations():
    on_disk = {p.name for p in BROKEN.glob("*.yaml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 20


@pytest.mark.parametrize("deck", ["Metrics:::BLEU", "Metrics::BLEU:", ":Metrics::BLEU"])
def test_a_deck_name_with_a_stray_colon_is_refused(tmp_path, deck):
    """Anki reads "A:::B" as A then ":B": a deck name's parts hold no colon at their ends."""
    text = (CONCEPTS / "bleu.yaml").read_text("utf-8")
    path = tmp_path / "bleu.yaml"
    path.write_text(re.sub(r"(?m)^deck: .*$", f'deck: "{deck}"', text), "utf-8")
    concepts, issues = check_files([path])
    assert concepts == [] and [(i.field, "deck names joined by ::" in i.message) for i in issues] == [("deck", True)], issues


def test_deck_names_differing_only_in_case_are_refused(tmp_path):
    """Anki takes Metrics::BLEU and metrics::bleu as one deck: the second file is told the first's name."""
    for stem, deck in (("bleu", "Metrics::BLEU"), ("perplexity", "metrics :: bleu")):
        text = (CONCEPTS / f"{stem}.yaml").read_text("utf-8")
        (tmp_path / f"{stem}.yaml").write_text(re.sub(r"(?m)^deck: .*$", f'deck: "{deck}"', text), "utf-8")
    concepts, issues = check_files([tmp_path / "bleu.yaml", tmp_path / "perplexity.yaml"])
    assert [c.id for c in concepts] == ["bleu"]
    assert [(i.file.endswith("perplexity.yaml"), i.field) for i in issues] == [(True, "deck")], issues
    assert "expected the deck name 'Metrics::BLEU'" in issues[0].message and "found 'metrics::bleu'" in issues[0].message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_reported_with_line_and_field(name):
    path = BROKEN / name
    concepts, issues = check_files([path])
    assert concepts == []
    got = [(i.line, i.field, i.message) for i in issues]
    for line, field, words in EXPECTED[name]:
        assert any(ln == line and f == field and words in m for ln, f, m in got), (
            f"expected {line}:{field}: …{words}… in\n" + "\n".join(map(str, issues))
        )
    for issue in issues:
        assert issue.file.endswith(name)
    if name == "authored-inputs.yaml":  # every issue listed, each once (an infinite tolerance once)
        assert len(got) == len(EXPECTED[name]), "\n".join(map(str, issues))
        assert "expected" in issue.message or "YAML" in issue.message or "appears twice" in issue.message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_command_exits_2_without_traceback(name):
    result = CliRunner().invoke(cli, ["check", str(BROKEN / name)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{name}:" in result.output
    assert result.output.rstrip().endswith(("concept file", "concept files"))


def test_check_reports_all_files_in_one_run():
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "check", str(BROKEN)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    reported = {line.split(":")[0].rsplit("/", 1)[-1] for line in proc.stderr.splitlines() if ".yaml:" in line}
    assert reported == set(EXPECTED)
    total = sum(len(v) for v in EXPECTED.values())
    assert f"in {len(EXPECTED)} concept files" in proc.stderr.splitlines()[-1]
    assert int(proc.stderr.splitlines()[-1].split()[0]) >= total


def _alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases would expand to 9**levels scalars."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    # Refused by quizgen's depth check or by libyaml's own (newer PyYAML); either way file and line.
    "deep": ("id: " + "[" * 1000 + "]" * 1000 + "\n", 1, ""),
    "bomb": ("id: bomb\n" + _alias_bomb(), 3, "alias"),
    "alias": ("id: alias\ntitle: &t Hello\nsummary: *t\n", 3, "alias"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_refused_without_traceback_or_expansion(name, tmp_path):
    text, line, words = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "check", str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert f"{name}.yaml:{line}: " in proc.stderr and words in proc.stderr, proc.stderr


# Mutations of a shipped concept file that once passed `check` or crashed it (a NaN temperature,
# an integer of 5,000 digits, a list where a name belongs, a number where the templates belong):
# each is refused with exit 2, file, line and field, and no traceback.
MUTATIONS = {
    "nan": ("temperature: [0.2, 0.5]}", "temperature: .nan}", "problems[1].params.temperature", "finite"),
    "inf": ("temperature: [0.2, 0.5]}", "temperature: -.inf}", "problems[1].params.temperature", "finite"),
    "huge-int": ("pairs: 2, dim: 2,", "pairs: 2, dim: " + "9" * 5000 + ",", "", "too long to read"),
    "generator-list": ("generator: simclr", "generator: [simclr]", "problems[0].generator", "expected a generator"),
    "problems-number": ("problems:\n", "problems: 3\nmore:\n", "", "more"),
    "temperature-huge": ("temperature: [0.2, 0.5]}", "temperature: 1.0e+300}", "problems[1].params.temperature", "<= 10"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutated_concept_file_is_refused_with_its_place(name, tmp_path):
    old, new, field, words = MUTATIONS[name]
    text = (CONCEPTS / "simclr.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "simclr.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "quizgen", "check", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    first = proc.stderr.splitlines()[0]
    assert re.match(r".*simclr\.yaml:\d+: ", first) and field in first and words in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "text, words",
    [
        ("name: deep\ntopics: " + "[" * 1000 + "]" * 1000 + "\n", "line 2"),
        ("name: bomb\n" + _alias_bomb() + "topics: *a8\n", "aliases"),
    ],
)
def test_hostile_deck_recipe_is_refused(text, words, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "deck", str(recipe), "-o", str(tmp_path / "x.apkg")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and words in proc.stderr, proc.stderr
    assert not (tmp_path / "x.apkg").exists()


def test_duplicate_ids_across_directories(tmp_path):
    src = CONCEPTS / "attention.yaml"
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "attention.yaml").write_bytes(src.read_bytes())
    concepts, issues = check_files(concept_files([tmp_path / "a", tmp_path / "b"]))
    assert len(concepts) == 1
    assert len(issues) == 1 and "also in" in issues[0].message and issues[0].field == "id"


def test_shipped_concepts_are_valid():
    concepts, issues = check_files(concept_files([CONCEPTS]))
    assert issues == []
    assert {c.id for c in concepts} >= {"attention", "bleu", "precision-recall-f1", "simclr", "squeeze-unsqueeze"}
    for c in concepts:
        assert len(c.flashcards) >= 3, c.id
        assert len(c.templates) >= 4, c.id
        difficulties = [t.difficulty for t in c.templates]
        assert max(difficulties) > min(difficulties), f"{c.id}: templates should rise in difficulty"


def test_shipped_concepts_point_editors_at_the_schema():
    for path in CONCEPTS.glob("*.yaml"):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../quizgen/schema/concept.schema.json", path.name


def test_shipped_concepts_validate_against_published_schema():
    import json

    import jsonschema
    import yaml

    schema = json.loads((CONCEPTS.parent / "quizgen" / "schema" / "concept.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in CONCEPTS.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_topic_selection(concepts):
    assert [c.id for c in select(concepts, "attention")] == ["attention"]
    assert {c.id for c in select(concepts, "metrics")} >= {"bleu", "precision-recall-f1"}
    assert len(select(concepts, "all")) == len(concepts)
    with pytest.raises(QuizgenError, match="did you mean"):
        select(concepts, "atention")


def test_oversized_concept_files_and_pipes_are_refused_early(tmp_path):
    """A 5 MB file of unknown keys once took seconds and hundreds of MB before exit 2."""
    import os
    import time

    big = tmp_path / "big.yaml"
    big.write_text("id: big\n" + "".join(f"k{i}: v\n" for i in range(500_000)))
    os.mkfifo(tmp_path / "pipe.yaml")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "quizgen", "check", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 20
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "big.yaml:1: expected a concept file of at most 256 KB" in proc.stderr
    assert "pipe.yaml:1: expected a regular file" in proc.stderr


# A tolerance (or any other number) that is infinite or undefined: YAML spells them in many ways.
NON_FINITE = [
    ("tolerance: {rel: .inf}", "problems[0].tolerance.rel"),
    ("tolerance: {abs: .nan}", "problems[0].tolerance.abs"),
    ("tolerance: {rel: .NaN, abs: 0.1}", "problems[0].tolerance.rel"),
    ("tolerance: {rel: 0.01, abs: +.Inf}", "problems[0].tolerance.abs"),
    ("tolerance: {rel: !!float .INF}", "problems[0].tolerance.rel"),
    ("tolerance: {abs: -.inf}", "problems[0].tolerance.abs"),
    ("tolerance: {rel: -0.5}", "problems[0].tolerance.rel"),
    ("tolerance: {rel: 16}", "problems[0].tolerance.rel"),  # within 1600%: no mistake could be told apart
    ("tolerance: {rel: 0.11}", "problems[0].tolerance.rel"),
]


@pytest.mark.parametrize("line, field", NON_FINITE)
def test_a_non_finite_or_negative_tolerance_is_refused_by_every_command(line, field, tmp_path):
    text = (CONCEPTS / "attention.yaml").read_text(encoding="utf-8")
    anchor = "  - name: scale-factor\n    generator: attention\n"
    assert anchor in text
    folder = tmp_path / "concepts"
    folder.mkdir()
    (folder / "attention.yaml").write_text(text.replace(anchor, anchor + f"    {line}\n", 1), encoding="utf-8")
    expected_line = text[: text.index(anchor)].count("\n") + 3
    runner = CliRunner()
    for args in (
        ["check", str(folder)],
        ["--concepts", str(folder), "generate", "attention", "-n", "1"],
        ["--concepts", str(folder), "deck", "attention", "-o", str(tmp_path / "d.apkg")],
        ["--concepts", str(folder), "quiz", "attention", "-n", "1", "-o", str(tmp_path / "q.yaml")],
        ["--concepts", str(folder), "export", "attention", "--format", "moodle", "-o", str(tmp_path / "m.xml")],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (args, result.output)
        assert f"attention.yaml:{expected_line}: {field}: expected" in result.output, (args, result.output)
    assert not any(p.name != "concepts" for p in tmp_path.iterdir())  # nothing written


def test_a_relative_tolerance_of_a_tenth_is_the_largest_accepted(tmp_path):
    text = (CONCEPTS / "attention.yaml").read_text(encoding="utf-8")
    anchor = "  - name: scale-factor\n    generator: attention\n"
    (tmp_path / "attention.yaml").write_text(text.replace(anchor, anchor + "    tolerance: {rel: 0.1}\n", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "attention.yaml")])
    assert result.exit_code == 0, result.output


def _cited_notes() -> dict[str, str]:
    """docs/sources.md: the title of each note the shipped concepts may cite -> its file."""
    text = (CONCEPTS.parent / "docs" / "sources.md").read_text("utf-8")
    return {title: note for note, title in re.findall(r"^\| `([^`]+)` \| ([^|]+?) \| ", text, re.M)}


def _published() -> set[str]:
    """docs/sources.md's published sources, which authored concepts cite."""
    text = (CONCEPTS.parent / "docs" / "sources.md").read_text("utf-8").split("## Published sources", 1)[1]
    return {title for title in re.findall(r"^\| ([^`|][^|]+?) \| ", text, re.M) if title not in ("title", "---")}


def test_every_card_cites_notes_that_exist_and_every_note_is_cited():
    notes, published = _cited_notes(), _published()
    assert len(notes) == 5 and all(t.startswith("Study notes: ") for t in notes)
    concepts = load_concepts(CONCEPTS)
    cited: set[str] = set()
    for c in concepts:
        assert c.templates and c.sources, c.id  # a problem card cites its concept's sources
        for card in c.flashcards:
            sources = c.sources_of(card)
            assert sources, f"{c.id}: {card.id}"
            assert len(set(sources)) == len(sources), f"{c.id}: {card.id}"
            cited.update(sources)
        for title in c.sources:
            assert title in notes or title in published, f"{c.id} cites {title!r}, which docs/sources.md does not list"
        cited.update(c.sources)
    assert published <= cited, f"listed but cited by no concept: {sorted(published - cited)}"
    unknown = cited - set(notes) - published
    assert not unknown, f"cited but not in docs/sources.md: {sorted(unknown)}"
    assert cited - published == set(notes), f"never cited: {sorted(set(notes) - cited)}"
    # Titles hold commas; the cards separate them with semicolons, so no title may hold one.
    assert not any(";" in t for t in [*notes, *published])


def test_a_flashcard_cites_its_own_notes_else_its_concepts():
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    by_id = {card.id: card for card in attention.flashcards}
    sink, roles = by_id["attention-sink"], by_id["qkv-roles"]
    assert attention.sources_of(roles) == attention.sources and roles.sources == ()
    # Attention sinks are in the note on embeddings and RoPE, which the concept does not cite.
    assert attention.sources_of(sink) == sink.sources and "attention sinks" in sink.sources[0]
    assert not set(sink.sources) & set(attention.sources)


@pytest.mark.parametrize(
    ("spelling", "field", "words"),
    [
        ("id: ../../etc/passwd", "id", "lower-case"),
        ("id: 'why scale'", "id", "lower-case"),
        ("id: ''", "id", "lower-case"),
        ("id: null", "id", "expected text, found nothing"),
        ("id: [a, b]", "id", "expected text"),
        ("id: WHY-SCALE", "id", "lower-case"),
        ("id: why-scale\n    legacy-position: true", "legacy-position", "expected a whole number, found true"),
        ("id: why-scale\n    legacy-position: 0.5", "legacy-position", "expected a whole number"),
        ("id: why-scale\n    legacy-position: 1.0", "legacy-position", "found 1.0 again (first at flashcards[1])"),
        ("id: rotation-speed", "id", "found 'rotation-speed' again"),
    ],
)
def test_hostile_flashcard_ids_are_refused(spelling, field, words, tmp_path):
    """The third card of rope.yaml (id pair-frequencies, legacy-position 2) respelled; the second is
    renamed rotation-speed."""
    text = (CONCEPTS / "rope.yaml").read_text("utf-8")
    card = "id: pair-frequencies\n    legacy-position: 2"
    assert text.count(card) == 1
    path = tmp_path / "rope.yaml"
    path.write_text(text.replace(card, spelling).replace("id: relative-offset", "id: rotation-speed"), "utf-8")
    concepts, issues = check_files([path])
    assert concepts == []
    assert any(i.field == f"flashcards[2].{field}" and words in i.message for i in issues), "\n".join(map(str, issues))
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_no_prompt_says_how_to_type(concepts):
    """A prompt asks for the mathematics; how to type an answer is each face's business (the
    drill's answer line, the card's hint, the paper's boxes), so paper never says "rows as 1 2; 3 4"."""
    import re

    typing = re.compile(r"rows as `|\[\[|separate rows", re.IGNORECASE)
    told = [f"{c.id}.{t.name}" for c in concepts for t in c.templates if typing.search(t.prompt)]
    assert told == []


@pytest.mark.parametrize("typed,written", [("1e-5", "1.0e-5"), ("2.5e3", "2.5e+3"), ("-3E2", "-3.0e+2")])
def test_a_number_yaml_reads_as_text_is_named_with_a_spelling_it_reads(tmp_path, typed, written):
    import yaml

    text = (CONCEPTS / "normalization.yaml").read_text("utf-8").replace("tolerance: {rel: 0, abs: 0.5}", f"tolerance: {{rel: 0, abs: {typed}}}")
    path = tmp_path / "normalization.yaml"
    path.write_text(text, "utf-8")
    _, issues = check_files([path])
    assert any(f"write {written}" in i.message and i.field == "problems[0].tolerance.abs" for i in issues), issues
    assert isinstance(yaml.safe_load(f"x: {written}")["x"], float)  # the advice is a number to YAML


def test_the_documented_excerpt_is_the_shipped_file():
    """docs/concepts.md shows an excerpt of concepts/attention.yaml "as shipped": each of its
    fields, flashcards and templates is the shipped one, word for word."""
    import yaml
    from conftest import ROOT

    text = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    excerpt = yaml.safe_load(text.split("## An example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0])
    shipped = yaml.safe_load((CONCEPTS / "attention.yaml").read_text(encoding="utf-8"))
    for field in ("id", "title", "tags", "deck", "summary", "sources"):
        assert excerpt[field] == shipped[field], field
    cards = {c["id"]: c for c in shipped["flashcards"]}
    templates = {t["name"]: t for t in shipped["problems"]}
    assert len(excerpt["flashcards"]) == 3 and len(excerpt["problems"]) == 2
    for card in excerpt["flashcards"]:
        assert card == cards[card["id"]], card["id"]
    for template in excerpt["problems"]:
        assert template == templates[template["name"]], template["name"]


def test_a_folder_of_skipped_names_says_which_it_skipped(tmp_path):
    """A folder holding only .x.yaml (hidden) and y.YAML (capitals) said "no concept files" and no more."""
    (tmp_path / ".x.yaml").write_text("id: x\n")
    (tmp_path / "y.YAML").write_text("id: y\n")
    result = CliRunner().invoke(cli, ["--concepts", str(tmp_path), "check"])
    assert result.exit_code == 2 and "not read: .x.yaml, y.YAML" in result.output, result.output
