"""`quizgen drill` and `quizgen stats`: in-process sessions for the logic, the real command in a
pseudo-terminal (pexpect) for what a learner sees, SIGKILL, Ctrl-C and concurrent drills.

Only the pseudo-terminal tests (those calling ``spawn``) need pexpect: without it they skip,
and under CI=true they fail naming it; every other test here runs regardless."""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import CONCEPTS, ROOT, need_pexpect
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen import generators
from quizgen.cli import cli  # noqa: F401  (import the CLI first: it registers the drill)
from quizgen.core.concepts import load_concepts, select
from quizgen.core.problems import build_problem, first_draw, rebuild, template_version, variant_seed
from quizgen.drill.cards import (
    EASY_SECONDS,
    HARD_SECONDS,
    plan_items,
    rating_for,
    solve_inputs,
)
from quizgen.drill.display import Out
from quizgen.drill.session import Session
from quizgen.drill.store import Clock, Store, db_path
from quizgen.judge import describe_expected, format_value

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")


def reviews(home: Path) -> list[dict]:
    db = sqlite3.connect(home / "quizgen.sqlite3")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT * FROM reviews ORDER BY id")]


# ---------------------------------------------------------------------------------------------
# In-process sessions (fast: torch is loaded once for the whole test process)


class Screen:
    """Feeds answers to ``input()``; an answer may be a function of the screen so far."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.stream = io.StringIO()

    def input(self, prompt: str = "") -> str:
        self.stream.write(prompt)
        if not self.answers:
            raise EOFError
        a = self.answers.pop(0)
        return a(self.stream.getvalue()) if callable(a) else a

    @property
    def text(self) -> str:
        return self.stream.getvalue()


class FixedDraws:
    """A session's seed source that always gives ``seed`` (to show one chosen unseeded variant)."""

    def __init__(self, seed: int):
        self.seed = seed

    def getrandbits(self, bits: int) -> int:
        return self.seed


def run_session(monkeypatch, home, answers, topics=("attention",), concepts_dir=CONCEPTS, now=None, draws=None, **kw):
    monkeypatch.setenv("QUIZGEN_HOME", str(home))
    if now:
        monkeypatch.setenv("QUIZGEN_NOW", now)
    else:
        monkeypatch.delenv("QUIZGEN_NOW", raising=False)
    screen = Screen(answers)
    monkeypatch.setattr("builtins.input", screen.input)
    concepts = select(load_concepts(concepts_dir), topics)
    save = kw.pop("save", True)
    width = kw.pop("width", None)  # a terminal of this many columns (rich output), else plain text
    out = Out(screen.stream, rich=width is not None)
    if width is not None:
        out._console.width = width
    with Store(db_path(), save=save) as store:
        session = Session(concepts, store, out, Clock.from_env(), **kw)
        if draws is not None:
            session._rng = draws
        code = session.run()
    return code, screen.text


def last_dk(screen: str) -> int:
    return int(re.findall(r"^  d_k = (\d+)$", screen, re.M)[-1])


def right_scale(screen: str) -> str:
    return f"{1 / math.sqrt(last_dk(screen)):.8f}"


def test_plan_interleaves_problems_and_flashcards(concepts):
    attention = select(concepts, ["attention"])
    items = plan_items(attention)
    assert [it.kind for it in items[:4]] == ["problem", "flashcard", "problem", "flashcard"]
    assert items[0].id == "problem:attention.scale-factor"
    c = attention[0]
    assert len(items) == len(c.templates) + len(c.flashcards)
    assert len({it.id for it in items}) == len(items)
    both = select(concepts, ["attention", "transformers", "shapes"])
    tagged = {c.id for c in concepts if c.id == "attention" or {"transformers", "shapes"} & set(c.tags)}
    assert [c.id for c in both] == sorted(tagged) and {"attention", "squeeze-unsqueeze"} <= tagged


def test_rating_thresholds():
    assert rating_for("wrong", 1.0, 1) == 1
    assert rating_for("right", EASY_SECONDS, 1) == 4
    assert rating_for("right", EASY_SECONDS + 0.1, 1) == 3
    assert rating_for("right", 2 * EASY_SECONDS, 2) == 4  # thresholds scale with difficulty
    assert rating_for("right", HARD_SECONDS, 1) == 3
    assert rating_for("right", HARD_SECONDS + 0.1, 1) == 2
    assert rating_for("right", HARD_SECONDS * 3 + 1, 3) == 2


def test_expected_answer_matches_the_checkers(concepts):
    """The answer kind and dimensions shown before torch loads are the ones the checker returns."""
    rng = random.Random(5)
    for c in concepts:
        for t in c.templates:
            for _ in range(15):
                inputs = first_draw(t, rng.getrandbits(48))
                expected = generators.expected(t.generator, inputs)
                solved, _ = solve_inputs(t, inputs)
                assert expected is not None
                assert describe_expected(expected) == describe_expected(solved.answer), (c.id, t.name, inputs)
                value = solved.answer.value
                assert (expected.kind == "number") == (isinstance(value, float) and not isinstance(value, bool)), (c.id, t.name)


def test_first_draw_is_the_builders_first_draw(concepts):
    """What the drill shows before torch is the variant ``build_problem`` builds for the same
    seed whenever the builder keeps its first draw (it draws again only on a hidden mistake)."""
    rng = random.Random(11)
    kept = 0
    for c in concepts:
        for t in c.templates:
            for _ in range(3):
                seed = rng.getrandbits(48)
                inputs, problem = first_draw(t, seed), build_problem(c, t, seed)
                if solve_inputs(t, inputs)[1] == ():  # no mistake hides the key: the builder kept it
                    assert problem.inputs == inputs, (c.id, t.name, seed)
                    kept += 1
    assert kept > 0


def test_right_answer_then_summary(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=1)
    assert code == 0
    assert "scale-factor" in screen and "Answer with a number" in screen
    assert "✓ Right: the answer is" in screen
    assert "Answer: " not in screen  # the verdict has just said it: once is enough
    assert "Worked solution:" in screen and "scale = 1/√d_k" in screen
    assert "1 problem: 1 right, 0 wrong" in screen
    (r,) = reviews(tmp_path)
    assert (r["status"], r["rating"], r["card"]) == ("right", 4, "problem:attention.scale-factor")
    assert json.loads(r["inputs"])["d_k"] == last_dk(screen)


def test_misconception_is_named_and_explained(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, [lambda s: f"{math.sqrt(last_dk(s)):.6f}"], n=1)
    assert "✗ Wrong" in screen
    # The named mistake and why it is one come first, then the answer.
    lines = screen.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("✗ Wrong"))
    assert lines[at] == "✗ Wrong — a known mistake: sqrt-not-inverted"
    assert lines[at + 1].startswith("  Gave √d_k itself; the scores are divided by √d_k")
    assert lines[at + 2].startswith("Answer: ") and "Worked solution:" in screen
    (r,) = reviews(tmp_path)
    assert (r["status"], r["misconception"], r["rating"]) == ("wrong", "sqrt-not-inverted", 1)
    assert "sqrt-not-inverted" in json.loads(r["possible"])


def test_garbage_gets_the_judges_message_and_the_same_question(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, ["abc", "", "1 +", right_scale], n=1)
    assert "could not read 'abc' as a number" in screen
    assert screen.count("Same question again (no penalty).") == 2
    assert "Type an answer" in screen
    assert screen.count("=== 1/1") == 1 and "=== 2/" not in screen
    (r,) = reviews(tmp_path)  # no penalty: one graded review, and it is right
    assert (r["status"], r["rating"]) == ("right", 4)


def test_too_few_figures_is_not_wrong(monkeypatch, tmp_path, concepts):
    def rough(s: str) -> str:
        return f"{1 / math.sqrt(last_dk(s)):.1g}"

    concept = select(concepts, ["attention"])[0]
    for seed in range(100):  # a variant whose one-figure rounding is outside the tolerance
        d_k = build_problem(concept, concept.templates[0], variant_seed(seed, 0)).inputs["d_k"]
        if abs(float(f"{d_k ** -0.5:.1g}") - d_k ** -0.5) > 0.01 * d_k ** -0.5:
            break
    code, screen = run_session(monkeypatch, tmp_path, [rough, right_scale], n=1, seed=seed)
    assert "too coarse to check" in screen and "give more figures" in screen
    assert "✓ Right" in screen and "✗" not in screen
    rows = reviews(tmp_path)
    # Right at the second try: fast, yet rated Good (3), not Easy.
    assert [(r["status"], r["rating"]) for r in rows] == [("too-few-figures", None), ("right", 3)]


def _scores_session(monkeypatch, home, answer_of_key, seed=11, width=None):
    """A session on a one-template concept asking for a 2×3 or 2×2 score matrix (on a terminal
    ``width`` columns wide, else as plain text)."""
    cdir = home / "concepts"
    cdir.mkdir(parents=True)
    data = yaml.safe_load((CONCEPTS / "attention.yaml").read_text())
    data["problems"] = [p for p in data["problems"] if p["name"] == "scaled-scores"]
    (cdir / "attention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    concept = load_concepts(cdir)[0]
    key = build_problem(concept, concept.templates[0], variant_seed(seed, 0)).answer.value
    return run_session(monkeypatch, home, answer_of_key(key), concepts_dir=cdir, n=1, seed=seed, width=width), key


def test_matrix_feedback_names_the_wrong_entries(monkeypatch, tmp_path):
    def answers(key):
        rows = [list(r) for r in key]
        rows[1][0] += 1.0
        return ["; ".join(" ".join(repr(v) for v in r) for r in rows)]

    (code, screen), key = _scores_session(monkeypatch, tmp_path, answers)
    n = len(key) * len(key[0])
    assert f"✗ Wrong: {n - 1} of {n} entries right." in screen
    assert "wrong: row 2" not in screen  # a marked grid, not a sentence per cell
    lines = screen.splitlines()
    at = next(i for i, line in enumerate(lines) if "You typed" in line)
    assert "Answer" in lines[at] and "(* marks your wrong entries)" in lines[at]
    typed = lines[at + 1: at + 1 + len(key)]
    # Side by side: the typed rows, the one wrong entry starred, beside the key (never starred).
    assert [line.count("*") for line in typed] == [0, 1] + [0] * (len(key) - 2)
    assert screen.count("*") == 2  # the legend's and the entry's
    assert "shape 2×" in screen and "torch.Size" not in screen  # step shapes as on cards and keys


@pytest.mark.parametrize("width", [44, 50, 66, 80])
def test_a_narrow_terminal_never_splits_an_example_answer_or_the_legend(monkeypatch, tmp_path, width):
    """Wrapped to the terminal, a message keeps each example answer it suggests on one line (a
    learner read "1 2;" and "3 4" as two examples), and the legend of the marked entries is one
    piece, on the heading's line when it fits, else on its own line; no line is wider than the
    terminal."""
    from quizgen.judge.messages import EXAMPLE_LISTS

    def answers(key):
        rows = [list(r) for r in key]
        rows[0][0] += 1.0
        return ["hello there", "; ".join(" ".join(repr(v) for v in r) for r in rows)]

    (code, screen), key = _scores_session(monkeypatch, tmp_path, answers, width=width)
    lines = screen.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "could not read 'hello there' as a matrix" in " ".join(lines)
    for example in EXAMPLE_LISTS["matrix"]:
        assert any(example in line for line in lines), (example, screen)
    assert sum("(* marks your wrong entries)" in line for line in lines) == 1, screen
    for heading in (line for line in lines if "You typed" in line and "Answer" in line):
        # "Answer" stands apart from "You typed", over the answer's own column
        assert heading.index("Answer") >= heading.index("You typed") + len("You typed") + 2, heading


@pytest.mark.parametrize("width", [24, 31, 40])
def test_a_heading_and_a_shape_note_keep_their_words_together(width):
    from quizgen.core.answer import Step
    from quizgen.drill.display import Out, step_lines, unbroken

    stream = io.StringIO()
    out = Out(stream, rich=True)
    out._console.width = width
    out.rule(f"1/2 · Perplexity of a language model · from-logits · {unbroken('difficulty 2')}")
    out.pre(step_lines(Step("cosine similarities s_ij", [[1.0, 0.5], [0.5, 1.0]], shape=[2, 2]), width=width), wrap=True)
    text = plain(stream.getvalue())
    assert "difficulty 2" in text and "shape 2×2" in text, text
    assert "\u00a0" not in text and all(len(line) <= width for line in text.splitlines()), text


def test_matrix_pasted_over_several_lines_is_one_answer(monkeypatch, tmp_path):
    def answers(key):
        first, second = (", ".join(repr(v) for v in r) for r in key)
        return [f"[[{first}],", f" [{second}]]"]

    (code, screen), key = _scores_session(monkeypatch, tmp_path, answers)
    assert "✓ Right: all" in screen
    (r,) = reviews(tmp_path)
    assert r["status"] == "right" and "\n" in r["given"]


@pytest.mark.parametrize("style", ["rows", "bracketed rows", "numpy"])
def test_matrix_pasted_as_bare_rows_or_as_numpy_prints_it_is_one_answer(monkeypatch, tmp_path, style):
    """Rows pasted one a line, bare or each in its own brackets (the drill asks for the next row
    while the answer has more), or as numpy prints an array (a bracket still open): one answer,
    graded right."""
    def answers(key):
        rows = [" ".join(repr(v) for v in r) for r in key]
        if style == "bracketed rows":
            rows = ["[" + ", ".join(repr(v) for v in r) + "]" for r in key]
        if style == "numpy":
            rows = [("[[" if i == 0 else " [") + r + ("]]" if i == len(rows) - 1 else "]") for i, r in enumerate(rows)]
        return rows

    (code, screen), key = _scores_session(monkeypatch, tmp_path, answers)
    assert len(key) >= 2 and "✓ Right: all" in screen
    (r,) = reviews(tmp_path)
    assert r["status"] == "right" and r["given"].count("\n") == len(key) - 1


def test_first_draw_collision_is_graded_exactly_and_noted(monkeypatch, tmp_path):
    """A cold first draw (no --seed, torch not loaded) that build_problem would redraw: graded as
    shown, the mistake left out, and the note says the id draws other inputs."""
    cdir = tmp_path / "concepts"
    cdir.mkdir()
    data = yaml.safe_load((CONCEPTS / "squeeze-unsqueeze.yaml").read_text())
    data["problems"] = [p for p in data["problems"] if p["name"] == "mixed-chains"]
    (cdir / "squeeze-unsqueeze.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    concept = load_concepts(cdir)[0]
    template = concept.templates[0]
    for seed in range(500):
        inputs = first_draw(template, variant_seed(seed, 0))
        solved, dropped = solve_inputs(template, inputs)
        if dropped:
            break
    else:  # pragma: no cover - about a quarter of these draws collide
        pytest.fail("no colliding first draw found")
    assert build_problem(concept, template, variant_seed(seed, 0)).inputs != inputs
    key = format_value("shape", solved.answer.value)
    draws = FixedDraws(variant_seed(seed, 0))
    code, screen = run_session(monkeypatch, tmp_path / "home", [key], concepts_dir=cdir, n=1, draws=draws, topics=("all",))
    assert "✓ Right" in screen
    pid = f"squeeze-unsqueeze.mixed-chains.v{template_version(template)}.{variant_seed(seed, 0)}"
    assert f"the mistake {dropped[0].name} gives the answer too" in screen
    assert f"the id {pid} draws other inputs" in " ".join(screen.split())
    (r,) = reviews(tmp_path / "home")
    assert r["id_exact"] == 0 and json.loads(r["inputs"]) == inputs
    assert dropped[0].name not in json.loads(r["possible"] or "[]")


def test_a_seeded_session_shows_the_problems_its_ids_name(monkeypatch, tmp_path):
    """With --seed every question is the problem its id rebuilds, even where the generator's
    first draw would have been drawn again (a named mistake equal to the key)."""
    cdir = tmp_path / "concepts"
    cdir.mkdir()
    data = yaml.safe_load((CONCEPTS / "squeeze-unsqueeze.yaml").read_text())
    data["problems"] = [p for p in data["problems"] if p["name"] == "mixed-chains"]
    (cdir / "squeeze-unsqueeze.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    concepts = load_concepts(cdir)
    template = concepts[0].templates[0]
    seed = next(s for s in range(500) if solve_inputs(template, first_draw(template, variant_seed(s, 0)))[1])
    code, screen = run_session(monkeypatch, tmp_path / "home", ["?", "?", "?"], concepts_dir=cdir, n=3, seed=seed, topics=("all",))
    rows = [r for r in reviews(tmp_path / "home") if r["kind"] == "problem"]
    assert rows and all(r["id_exact"] == 1 and r["source"] == "built" for r in rows)
    for r in rows:
        assert rebuild(r["problem"], concepts).inputs == json.loads(r["inputs"]), r["problem"]
        assert r["problem"] in screen
    assert "gives the answer too" not in screen


def test_flashcard_reveal_and_rating(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, [right_scale, "", "maybe", "2"], n=2)
    assert "In attention, what are the roles of the query" in screen
    assert "The query is what the current position is looking for" in screen
    assert "Type 1, 2, 3 or 4" in screen
    rows = reviews(tmp_path)
    assert [(r["kind"], r["status"], r["rating"]) for r in rows] == [("problem", "right", 4), ("flashcard", "hard", 2)]


def test_quit_ends_the_drill_and_help_says_how(monkeypatch, tmp_path):
    """quit and exit end the drill as Ctrl-D does (with its summary), at an answer, a flashcard
    or a rating; help lists what can be typed. Neither is read as maths."""
    code, screen = run_session(monkeypatch, tmp_path, ["help", "quit"], n=3)
    assert code == 0 and "? shows the answer" in screen and "quit, Ctrl-D or Ctrl-C ends the drill" in screen
    assert "not a known name" not in screen and "=== summary" in screen and "0 problems" in screen
    assert not (tmp_path / "quizgen.sqlite3").exists() or reviews(tmp_path) == []
    code, screen = run_session(monkeypatch, tmp_path, [right_scale, "", "EXIT"], n=3)
    assert code == 0 and "1 problem: 1 right" in screen and "0 flashcards rated" in screen
    assert [r["status"] for r in reviews(tmp_path)] == ["right"]


def test_no_save_writes_nothing(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=1, save=False)
    assert "✓ Right" in screen and "Not saved (--no-save)" in screen
    assert not (tmp_path / "quizgen.sqlite3").exists()


def test_due_cards_follow_the_injected_clock(monkeypatch, tmp_path):
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=1, now="2030-01-01T09:00:00Z")
    assert "next review of this template: in " in screen
    # When the card is due depends on the rating, and a right answer's rating on how long it took
    # (a loaded machine turns Easy into Good): the times below follow the stored due time.
    stored = datetime_of(reviews(tmp_path)[0]["due_after"])
    before, due = stored - timedelta(minutes=1), stored + timedelta(minutes=1)  # stored to the second
    code, screen = run_session(monkeypatch, tmp_path, [], n=5, due_only=True, now=before.isoformat())
    assert "Nothing is due. Next review: attention.scale-factor in " in screen, screen
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=5, due_only=True, now=(due.isoformat()))
    # Counted out of the cards due (one), not out of --n.
    assert "=== 1/1 · Scaled dot-product attention · scale-factor" in screen and "=== 1/5" not in screen, screen
    rows = reviews(tmp_path)
    assert len(rows) == 2 and rows[1]["time"].startswith(due.date().isoformat())


def test_the_rating_counts_the_learners_time_not_the_build(monkeypatch, tmp_path):
    """A right answer typed at once is rated Easy, even when torch and the problem take a minute
    to be ready after it is typed (a loaded machine): the wait is not the learner's."""
    import types

    import quizgen.drill.session as session

    clock = [1000.0]
    monkeypatch.setattr(session, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    solve = session.Session.solve

    def slow(self, prep):
        clock[0] += 60.0
        return solve(self, prep)

    monkeypatch.setattr(session.Session, "solve", slow)
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=1, now="2030-01-01T09:00:00Z")
    assert "✓ Right" in screen, screen
    assert [(r["rating"], r["duration"]) for r in reviews(tmp_path)] == [(4, 0.0)]
    # Right at once after "too few figures": Good (never Easy after a retry), not Hard for the
    # minute each answer waited.
    concept = select(load_concepts(CONCEPTS), ["attention"])[0]
    seed = next(s for s in range(100) if _one_figure_is_too_rough(build_problem(concept, concept.templates[0], variant_seed(s, 0)).inputs["d_k"]))
    code, screen = run_session(monkeypatch, tmp_path / "retry", [_rough_scale, right_scale], n=1, seed=seed)
    assert [(r["status"], r["rating"], r["duration"]) for r in reviews(tmp_path / "retry")] == [("too-few-figures", None, 0.0), ("right", 3, 0.0)]


def _rough_scale(screen: str) -> str:
    return f"{1 / math.sqrt(last_dk(screen)):.1g}"


def _one_figure_is_too_rough(d_k: int) -> bool:
    return abs(float(f"{d_k ** -0.5:.1g}") - d_k ** -0.5) > 0.01 * d_k ** -0.5


def test_a_damaged_card_row_is_named_and_asked_as_new(monkeypatch, tmp_path):
    """One card's row broken by hand stops no drill: the drill names the card, asks it as new and
    its answer saves a fresh schedule beside the old answers."""
    run_session(monkeypatch, tmp_path, [right_scale], n=1, now="2030-01-01T09:00:00Z")
    db = sqlite3.connect(tmp_path / "quizgen.sqlite3")
    db.execute("UPDATE cards SET fsrs = '{garbage'")
    db.commit()
    db.close()
    code, screen = run_session(monkeypatch, tmp_path, [right_scale], n=1, now="2030-01-01T09:05:00Z")
    assert code == 0 and "The saved schedule of attention.scale-factor could not be read" in screen
    assert "=== 1/1 · Scaled dot-product attention · scale-factor" in screen and "✓ Right" in screen
    assert [r["status"] for r in reviews(tmp_path)] == ["right", "right"]
    code, screen = run_session(monkeypatch, tmp_path, [""], n=1, now="2030-01-01T09:10:00Z")
    assert "could not be read" not in screen and "saved schedule" not in screen


def datetime_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# Subprocesses: nothing imports torch before the first question; piped use; concurrency

def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "QUIZGEN_NOW", "NO_COLOR")}
    env.update({"QUIZGEN_HOME": str(home), "TERM": "xterm", **extra})
    return env


_PROBE = textwrap.dedent(
    """
    import sys
    import quizgen.cli
    import quizgen.drill.session as d
    seen = []
    def start(self):
        seen.append("torch" in sys.modules or "sympy" in sys.modules)
    d.Background.start = start  # record, and never load torch
    try:
        quizgen.cli.cli(["--concepts", sys.argv[1], "drill", "attention", "--n", "1"], prog_name="quizgen")
    except SystemExit:
        pass
    print("TORCH-AT-FIRST-QUESTION", seen[0], "TORCH-AT-END", "torch" in sys.modules or "sympy" in sys.modules)
    """
)


def test_nothing_imports_torch_or_sympy_before_the_first_question(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(CONCEPTS)], input="", capture_output=True, text=True,
        env=_env(tmp_path), cwd=ROOT, timeout=60,
    )
    assert "scale-factor" in result.stdout, result.stderr
    assert "TORCH-AT-FIRST-QUESTION False TORCH-AT-END False" in result.stdout


def test_the_background_loads_the_checkers_and_torch_not_sympy():
    """What the learner waits for after the first question is torch and the session's checkers;
    sympy (0.2 s more) is not needed by families without meta-tensor arithmetic."""
    program = (
        "import sys\n"
        "from quizgen.drill.cards import Background\n"
        "b = Background(['attention', 'bleu', 'vae'])\n"
        "b.wait()\n"
        "print(b.ready, 'torch' in sys.modules, 'checkers.attention' in sys.modules, 'sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True", "False"]


def _drill(home: Path, *args: str, input: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "drill", *args],
        input=input, capture_output=True, text=True, env=_env(home, **env), cwd=ROOT, timeout=120,
    )


def test_a_damaged_database_stops_the_drill_before_a_question(tmp_path):
    """A damaged page (outside the cards the drill reads first) is found when the file is opened,
    not when the first answer is saved: the learner types nothing for nothing."""
    assert _drill(tmp_path, "attention", "--n", "2", input="1\n1\n").returncode == 0
    path = tmp_path / "quizgen.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    assert len(data) >= 3 * 4096
    data[2 * 4096:3 * 4096] = b"\xab" * 4096
    path.write_bytes(bytes(data))
    out = _drill(tmp_path, "attention", "--n", "1", input="1\n")
    assert out.returncode == 2 and "malformed" in out.stderr and ".dump" in out.stderr, out.stderr
    assert "===" not in out.stdout and "Traceback" not in out.stderr, out.stdout
    # What only reads the file says so too: a report from a damaged file would look whole.
    for args in (("attention", "--n", "1", "--no-save"), ("--stats",)):
        out = _drill(tmp_path, *args, input="1\n") if args[0] != "--stats" else subprocess.run(
            [sys.executable, "-m", "quizgen", "stats"], capture_output=True, text=True, env=_env(tmp_path), timeout=120)
        assert out.returncode == 2 and "malformed" in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_piped_answers_give_plain_text(tmp_path):
    result = _drill(tmp_path, "attention", "--n", "2", "--seed", "3", input="\x1b]0;T\x07\x1b[2Jabc\n0.5\n\n3\n")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout  # typed escapes are echoed as text
    assert "> \\x1b]0;T\\x07\\x1b[2Jabc\n" in result.stdout
    assert "? could not read '\\x1b]0;T\\x07\\x1b[2Jabc'" in result.stdout  # answers are echoed: a readable transcript
    assert "=== 2/2 · Scaled dot-product attention · flashcard" in result.stdout
    assert "1 problem: 0 right, 1 wrong; 1 flashcard rated." in result.stdout
    assert [r["status"] for r in reviews(tmp_path)] == ["wrong", "good"]


@pytest.mark.parametrize("concept_id", sorted(p.stem for p in CONCEPTS.glob("*.yaml")))
def test_every_concept_drills_and_its_key_is_right(tmp_path, concepts, concept_id):
    """The drill works for every family: the first question's key, typed as the judge writes
    it, is graded right and saved."""
    concept = next(c for c in concepts if c.id == concept_id)
    template = concept.templates[0]  # a new concept starts with its first template
    key = build_problem(concept, template, variant_seed(1, 0)).answer
    result = _drill(tmp_path, concept_id, "--n", "1", "--seed", "1", input=format_value(key.kind, key.value) + "\n\n")
    assert result.returncode == 0, result.stderr
    assert [r["status"] for r in reviews(tmp_path)] == ["right"]


def test_unknown_topic_suggests_and_exits_2(tmp_path):
    result = _drill(tmp_path, "atention")
    assert result.returncode == 2
    assert "did you mean 'attention'" in result.stderr and "topics are: all, " in result.stderr and ", attention, " in result.stderr
    assert not (tmp_path / "quizgen.sqlite3").exists()


def test_two_drills_at_once(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "drill", "attention", "--n", "6", "--seed", str(s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=ROOT,
        )
        for s in (1, 2)
    ]
    outs = [p.communicate("?\n1\n" * 30, timeout=120) for p in procs]  # ? shows a problem's answer, 1 rates a card
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    rows = reviews(tmp_path)
    assert len(rows) == 12
    db = sqlite3.connect(tmp_path / "quizgen.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_stats_reports_accuracy_mistakes_and_due(monkeypatch, tmp_path):
    run_session(monkeypatch, tmp_path, [right_scale], n=1, now="2030-01-01T09:00:00Z")
    run_session(monkeypatch, tmp_path, [lambda s: f"{math.sqrt(last_dk(s)):.6f}"], n=1, now="2030-02-01T09:00:00Z",
                due_only=True)
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "stats", "attention"],
                                env={"QUIZGEN_HOME": str(tmp_path), "QUIZGEN_NOW": "2030-02-01T09:30:00Z"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"attention\s+1\s+1\s+50%", out)  # right, wrong, accuracy
    assert re.search(r"attention\s+sqrt-not-inverted\s+1\s+2\s+50%", out)
    (attention,) = select(load_concepts(CONCEPTS), ["attention"])
    new = len(attention.templates) + len(attention.flashcards) - 1
    assert re.search(rf"attention\s+1\s+0\s+0\s+0\s+{new}\s+now\n", out)  # due again (Again: 1 min), the rest new; next: now
    assert re.search(r"now\s+attention.scale-factor", out)
    # Accuracy over time: the January answer is outside the 28 days; February 1 is a wrong one.
    assert "accuracy by day, last 28 days" in out and "0 of 1 right (0%) on 1 day\n" in out
    chart = out.split("accuracy by day")[1].splitlines()
    assert chart[5].endswith("▁▁") and chart[5].count("·") == 54 and chart[7].split() == ["2030-01-05", "2030-02-01"]
    # Every line fits 80 columns (ids and times are never broken), with the latest answers too.
    lines = [line for line in out.splitlines() if not line.startswith(str(tmp_path))]  # that one names the (temporary) file
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert re.search(r"2030-02-01 09:00  wrong\s+\S+\s+\(sqrt-not-inverted\)\n\s+attention\.scale-factor\.v1\.\d+", out)
    bad = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "stats", "atention"], env={"QUIZGEN_HOME": str(tmp_path)})
    assert bad.exit_code == 2 and "did you mean" in bad.output


# ---------------------------------------------------------------------------------------------
# The real command in a pseudo-terminal

# Only these tests need pexpect: without it they skip (fail under CI=true), the others run.

PROMPT = "> "


def spawn(home: Path, *args: str, dims=(40, 100), concepts: Path = CONCEPTS, **env: str):
    if sys.platform.startswith("win"):  # pragma: no cover
        pytest.skip("pseudo-terminal tests need a POSIX pty")
    pexpect = need_pexpect()
    env.setdefault("NO_COLOR", "1")
    if env["NO_COLOR"] == "":
        del env["NO_COLOR"]
    child = pexpect.spawn(
        sys.executable, ["-m", "quizgen", "--concepts", str(concepts), "drill", *args],
        env=_env(home, **env), cwd=str(ROOT), encoding="utf-8", dimensions=dims, timeout=60,
        # A terminal's drill has Ctrl-C's default meaning. A suite started in the background of a
        # non-interactive shell ignores SIGINT, and a child inherits that: restore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    child.delaybeforesend = None
    child.logfile_read = io.StringIO()
    return child


def turn_over_and_rate(child, rating: str = "3") -> None:
    """At a flashcard's front: Enter shows its back, then ``rating`` rates it."""
    child.sendline("")
    child.expect("4 easy > ")
    child.sendline(rating)


def ended(child) -> None:
    """Wait for the drill in the pseudo-terminal to end."""
    child.expect(need_pexpect().EOF)


def transcript(child) -> str:
    return plain(child.logfile_read.getvalue())


def test_pty_right_wrong_garbage(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "3")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    child.sendline("abc")
    child.expect("could not read 'abc' as a number")
    child.expect("no penalty")
    child.expect(PROMPT)
    child.sendline(f"{math.sqrt(d_k):.6f}")  # √d_k: the reciprocal was forgotten
    child.expect("sqrt-not-inverted")
    child.expect("Worked solution")
    child.expect("Enter shows the answer > ")
    child.sendline("")
    child.expect("4 easy > ")
    child.sendline("3")
    child.expect(r"scaled-scores")
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    child.close()
    assert child.exitstatus == 0
    text = " ".join(transcript(child).split())  # rich wraps paragraphs to the terminal
    assert "known mistake: sqrt-not-inverted" in text and "Gave √d_k itself" in text
    assert "1 problem: 0 right, 1 wrong; 1 flashcard rated." in text
    assert [r["status"] for r in reviews(tmp_path)] == ["wrong", "good"]


def test_pty_an_extra_enter_never_turns_the_next_flashcard_over(tmp_path):
    """Enter pressed twice after an answer (the second while it is checked) is dropped when the
    next card is shown: the flashcard waits for its own Enter before showing its back."""
    pexpect = need_pexpect()
    child = spawn(tmp_path, "attention", "--n", "2", "--no-save")
    child.expect(PROMPT)
    child.send("1\r\r")
    child.expect("Enter shows the answer > ")
    with pytest.raises(pexpect.TIMEOUT):
        child.expect("4 easy > ", timeout=2)
    turn_over_and_rate(child)
    ended(child)
    child.close()
    assert child.exitstatus == 0


def test_pty_an_answer_waits_for_a_lock_held_elsewhere_and_is_saved(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "1")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    other = sqlite3.connect(tmp_path / "quizgen.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a database browser with changes not yet written
    try:
        child.sendline(f"1/sqrt({d_k})")
        child.expect("Waiting to save this answer")
        child.expect("without it")
        assert "Right: the answer" not in transcript(child)  # no feedback before the answer is on disk
    finally:
        other.execute("ROLLBACK")
        other.close()
    child.expect("Right: the answer is")
    ended(child)
    child.close()
    assert child.exitstatus == 0
    said = " ".join(transcript(child).split())
    assert said.count("Waiting to save this answer") == 1 and "locked by another program" in said
    assert [r["status"] for r in reviews(tmp_path)] == ["right"]


def test_pty_a_worked_solution_table_on_40_columns_is_a_list_of_whole_pairs(tmp_path):
    """BLEU's clipping table is 62 columns wide: on a phone's 40 each candidate word is a line,
    and each of its counts a whole "column value" line under it, not a table cut by wrapping."""
    child = spawn(tmp_path, "bleu", "--n", "1", "--seed", "3", "--no-save", dims=(200, 40))
    child.expect(PROMPT)
    child.sendline("?")
    child.expect("Rated again")
    ended(child)
    child.close()
    text = transcript(child)
    assert all(len(line) <= 40 for line in text.splitlines()), max(text.splitlines(), key=len)
    rows = re.findall(r"^    (\S+)\n      count (\d+)\n      max count in one reference (\d+)\n      clipped count (\d+)$",
                      text, re.M)
    assert len(rows) >= 2 and all(int(clipped) == min(int(c), int(m)) for _, c, m, clipped in rows), text


def _one_template(folder: Path, concept: str, template: str) -> Path:
    """A concept folder holding only ``concept`` with one of its templates (and one flashcard)."""
    doc = yaml.safe_load((CONCEPTS / f"{concept}.yaml").read_text("utf-8"))
    doc["problems"] = [t for t in doc["problems"] if t["name"] == template]
    doc["flashcards"] = doc["flashcards"][:1]
    folder.mkdir()
    (folder / f"{concept}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


@pytest.mark.parametrize("columns", [80, 40])
def test_pty_matrices_keep_their_rows_and_numbers_are_never_split(tmp_path, columns):
    """A matrix input wider than the terminal goes under its label, its rows whole (wrapping it
    at spaces scattered one row's numbers into the next); a worked step's matrix too wide for its
    columns is a bracketed list per row, wrapped after commas, so no number is split."""
    concepts = _one_template(tmp_path / "concepts", "perplexity", "from-logits")
    child = spawn(tmp_path, "perplexity", "--n", "1", "--seed", "2", "--no-save", dims=(200, columns), concepts=concepts)
    child.expect(PROMPT)
    child.sendline("?")
    child.expect("Rated again")
    ended(child)
    child.close()
    lines = transcript(child).splitlines()
    assert all(len(line) <= columns for line in lines), max(lines, key=len)
    label = next(i for i, line in enumerate(lines) if line.rstrip().endswith("token id 0–3 ="))
    rows = lines[label + 1:label + 4]
    assert all(re.fullmatch(r"\s+\[?\[(\s*-?\d+\.\d,){3}\s*-?\d+\.\d\]\]?,?", row) for row in rows), rows
    for before, after in itertools.pairwise(lines):  # a number cut at the end of a line
        assert not (re.search(r"[\d.]$", before) and re.match(r"\s*\d", after)), (before, after)


def test_pty_right_answer(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "1")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    child.sendline(f"1/sqrt({d_k})")
    child.expect("Right: the answer is")
    ended(child)
    child.close()
    assert child.exitstatus == 0
    assert "1 problem: 1 right" in transcript(child)


def test_pty_ctrl_c_ends_with_a_summary(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "5")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    child.sendline(f"1/sqrt({d_k})")
    child.expect("Right")
    child.expect("Enter shows the answer > ")
    child.sendintr()
    child.expect("summary")
    ended(child)
    child.close()
    assert child.exitstatus == 130
    text = transcript(child)
    assert "1 problem: 1 right, 0 wrong; 0 flashcards rated." in text and "Traceback" not in text
    assert [r["status"] for r in reviews(tmp_path)] == ["right"]


def test_pty_sigkill_then_stats_and_resume(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "10")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    child.sendline(f"{1 / math.sqrt(d_k):.6f}")
    child.expect("next review of this template")
    child.expect("Enter shows the answer > ")
    child.sendline("")
    child.expect("4 easy > ")
    child.sendline("4")
    child.expect("Next review of this card")
    child.expect(PROMPT)  # the third question is on screen, unanswered
    child.sendline("0.3")  # typed, maybe graded, when the kill comes
    os.kill(child.pid, signal.SIGKILL)
    ended(child)
    child.close()
    assert child.signalstatus == signal.SIGKILL

    from click.testing import CliRunner

    stats = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "stats", "attention", "--recent", "10"],
                               env={"QUIZGEN_HOME": str(tmp_path)})
    assert stats.exit_code == 0, stats.output
    # right, wrong, accuracy: the third answer was typed as the kill came, so it may have been graded
    assert re.search(r"attention\s+1\s+0\s+100%", stats.output) or re.search(r"attention\s+1\s+1\s+50%", stats.output), stats.output
    assert "easy" in stats.output and f"{1 / math.sqrt(d_k):.6f}" in stats.output
    rows = reviews(tmp_path)
    assert [r["status"] for r in rows[:2]] == ["right", "easy"]

    # Resume: the reviewed cards are not new any more, so the drill moves on.
    child = spawn(tmp_path, "attention", "--n", "1")
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    child.close()
    text = transcript(child)
    assert "scale-factor" not in text.split("summary")[0]
    assert len(reviews(tmp_path)) == len(rows)



@pytest.mark.parametrize("edit", [
    "UPDATE reviews SET given = char(27) || ']0;PWNED' || char(7) || char(27) || '[2J', problem = char(27) || '[31mRED'",
    "UPDATE reviews SET time = 'x'",
    "UPDATE reviews SET given = x'00ff'",
    "UPDATE reviews SET possible = '5'",
    "UPDATE cards SET due = 1e300",
])
def test_stats_on_a_database_edited_by_hand_never_drives_the_terminal_nor_shows_a_traceback(monkeypatch, tmp_path, edit):
    run_session(monkeypatch, tmp_path, [right_scale], n=1)
    db = sqlite3.connect(tmp_path / "quizgen.sqlite3")
    db.execute(edit)
    db.commit()
    db.close()
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "stats", "attention", "--recent", "3"], env={"QUIZGEN_HOME": str(tmp_path)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "\x1b" not in result.output and "\x07" not in result.output, result.output
    assert result.exit_code == 0 or (result.exit_code == 2 and "cannot be read" in result.output), result.output
    if result.exit_code == 2:  # refused at once, not half-way through a report that looked whole
        assert result.output.startswith(str(tmp_path)) and "===" not in result.output and "answers" not in result.output, result.output


def test_pty_due_later_with_injected_clock(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "1", "--save", QUIZGEN_NOW="2030-01-01T09:00:00Z")
    child.expect(r"d_k = (\d+)")
    d_k = int(child.match.group(1))
    child.expect(PROMPT)
    child.sendline(f"1/sqrt({d_k})")
    ended(child)
    child.close()
    child = spawn(tmp_path, "attention", "--due", QUIZGEN_NOW="2030-01-01T12:00:00Z")
    child.expect("Nothing is due. Next review: attention.scale-factor in ")
    ended(child)
    child.close()
    assert child.exitstatus == 0
    child = spawn(tmp_path, "attention", "--due", QUIZGEN_NOW="2030-06-01T09:00:00Z")
    child.expect("scale-factor")
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    child.close()



def test_a_set_clock_only_looks_unless_told_to_save(tmp_path):
    """`QUIZGEN_NOW=2030-… quizgen drill attention --due` on a learner's own data saved reviews
    dated 2030, hiding every card it touched until then: a set clock saves nothing without --save."""
    child = spawn(tmp_path, "attention", "--n", "1", QUIZGEN_NOW="2030-01-01T09:00:00Z")
    child.expect(PROMPT)
    child.sendline("?")
    child.expect("Not saved \\(QUIZGEN_NOW sets the clock; add --save to keep these answers\\)")
    ended(child)
    child.close()
    assert not (tmp_path / "quizgen.sqlite3").exists()  # nothing written, not even an empty database


def test_pty_colour_and_no_color(tmp_path):
    colour = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m")
    child = spawn(tmp_path / "a", "attention", "--n", "1", NO_COLOR="")
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    assert colour.search(child.logfile_read.getvalue())
    child = spawn(tmp_path / "b", "attention", "--n", "1", NO_COLOR="1")
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    assert not colour.search(child.logfile_read.getvalue())


def test_pty_narrow_terminal_wraps_text(tmp_path):
    child = spawn(tmp_path, "attention", "--n", "1", dims=(24, 40))
    child.expect(PROMPT)
    child.sendeof()
    ended(child)
    text = transcript(child)
    question = text.split("> ")[0]
    assert "By what" in question
    assert max(len(line) for line in question.splitlines()) <= 40


def test_undecodable_input_is_an_unreadable_answer_not_a_crash(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "drill", "bleu", "--n", "1"],
        input=b"\xff\xfe\n0\n", capture_output=True, env=_env(tmp_path), cwd=ROOT, timeout=120,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert "could not read" in out and "1 problem" in out


def test_pty_three_topics_interleave_and_question_mark_reveals(tmp_path):
    """`drill bleu simclr attention -n 9` meets all three topics among its first cards; ? shows
    the answer and the worked solution and rates the card Again."""
    child = spawn(tmp_path, "BLEU", "simclr", "attention", "-n", "9", dims=(60, 160))
    titles = []
    for _ in range(9):
        child.expect(r"\d+/9 · ([^·\r\n]+) · ")
        titles.append(child.match.group(1).strip())
        which = child.expect([r"\(\? shows the answer\)", "Enter shows the answer > "])
        if which == 0:
            child.expect(PROMPT)
            child.sendline("?")
            child.expect("Shown without an answer")
            child.expect("Worked solution")
            child.expect("Rated again")
        else:
            turn_over_and_rate(child)
    ended(child)
    child.close()
    assert child.exitstatus == 0
    firsts = titles[:3]
    assert len(set(firsts)) == 3, titles
    assert any("BLEU" in t for t in firsts) and any("SimCLR" in t for t in firsts) and any("attention" in t for t in firsts)
    skipped = [r for r in reviews(tmp_path) if r["status"] == "skipped"]
    assert skipped and all(r["rating"] == 1 for r in skipped)


def test_feedback_draws_the_schedule_with_the_asked_step_marked(tmp_path):
    """A picture in the terminal (the grid of attention weights is checked in test_pictures)."""
    result = _drill(tmp_path, "lr-schedules", "--n", "1", "--seed", "3", input="?\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    t = int(re.search(r"t = (\d+) optimizer steps", out).group(1))
    assert re.search(rf"LR\(t\) over the \d+ steps, t = {t} marked:", out)
    assert re.search(rf"\^ t = {t}: LR = ", out) and "└" in out and "█" in out


@settings(max_examples=300, deadline=None)
@given(
    indent=st.integers(0, 80), words=st.lists(st.integers(1, 20), min_size=1, max_size=10),
    width=st.integers(1, 80), hang=st.integers(0, 8), fold=st.booleans(),
)
def test_wrapping_ends_and_keeps_every_word_whatever_the_indent(indent, words, width, hang, fold):
    """A line indented nearly as wide as the terminal (a picture's caret line on 50 columns) used
    to send wrapping into an endless loop that filled the memory: every line now takes at least
    one character, and the words come out in order (cut at the width only with ``fold``)."""
    from quizgen.drill.display import wrap_line

    text = " " * indent + " ".join("w" * n for n in words)
    parts = ["".join(chunk for chunk, _ in part) for part in wrap_line([(text, "")], width, hang=hang, fold=fold)]
    if fold:
        assert "".join(parts).replace(" ", "") == text.replace(" ", "")
        assert all(len(part) <= max(width, indent + 1) for part in parts) or indent >= width
    else:
        assert " ".join(parts).split() == text.split()


@pytest.mark.parametrize("width", [80, 60, 40])
def test_a_code_comment_too_wide_to_sit_beside_its_line_goes_above_it_as_comment_lines(width):
    """attention-shapes shows the code of multi-head attention with comments beside it. Wrapped
    at 80 columns beside the code, a comment's second line ("likewise from memory, shape …")
    stood in the code's column and read as code. A comment that does not fit goes above its line,
    every one of its lines starting with #; nothing is lost, and at 80 columns every statement
    stays on one line."""
    from quizgen.drill.display import input_lines

    concept = next(c for c in load_concepts(CONCEPTS) if c.id == "transformer-shapes")
    template = concept.template("attention-shapes")
    text = build_problem(concept, template, 3).describe_inputs()
    lines = ["".join(chunk for chunk, _ in line) for line in input_lines(text, width)]
    comments = " ".join(line.strip().removeprefix("# ") for line in lines if line.strip().startswith("#"))
    code_lines = [line for line in lines if not line.strip().startswith("#")]
    moved = [row.split("  # ", 1) for row in text.splitlines() if "  # " in row and len("  " + row) > width]
    assert moved, text
    for code, comment in moved:
        assert " ".join(comment.split()) in comments, (comment, lines)
        assert not any("likewise" in line for line in code_lines), lines
        if width == 80:
            assert "  " + code.rstrip() in lines, (code, lines)


def test_text_wider_than_the_terminal_breaks_at_spaces_under_its_indent():
    """Worked solutions, inputs and pictures are text: a line wider than the terminal breaks at a
    space and goes on under its own indent (never a number cut in two, never back at column 0);
    the styles stay with their characters; a word wider than a line stays whole."""
    from quizgen.drill.display import wrap_line

    line = [("  ", ""), ("mean loss", "bold"), (" (the cross-entropy, in nats) = ", ""), ("0.61086", "")]
    parts = wrap_line(line, 40)
    texts = ["".join(chunk for chunk, _ in p) for p in parts]
    assert texts == ["  mean loss (the cross-entropy, in nats)", "      = 0.61086"]
    assert ("mean loss", "bold") in parts[0]
    assert "".join(t.strip() + " " for t in texts).split() == "".join(c for c, _ in line).split()
    assert wrap_line([("short", "")], 40) == [[("short", "")]]
    long = wrap_line([("  " + "a" * 50 + " b c", "")], 20)
    assert ["".join(c for c, _ in p) for p in long] == ["  " + "a" * 50, "      b c"]


def test_a_short_bracketed_group_is_not_broken_where_the_line_can_break_outside_it():
    """simclr's "positive pairs: (0, 3), (1, 4)" at 60 columns ended a line in "(0," and began
    the next with "3)"; a short group in brackets now moves down whole, and a long one (a
    parenthetical remark) still wraps inside."""
    from quizgen.drill.display import wrap_line

    def texts(text: str, width: int) -> list[str]:
        return ["".join(chunk for chunk, _ in part) for part in wrap_line([(text, "")], width)]

    line = "  2N = 6 views (rows counted from 0); positive pairs: (0, 3), (1, 4), (2, 5)"
    assert texts(line, 60) == ["  2N = 6 views (rows counted from 0); positive pairs:", "      (0, 3), (1, 4), (2, 5)"]
    assert texts("the mean of ℓ(i, pos(i)) over all six anchors", 22) == ["the mean of", "    ℓ(i, pos(i)) over", "    all six anchors"]
    remark = "To leading order (the first term that does not vanish as T grows) it is"
    assert texts(remark, 40)[0] == "To leading order (the first term that"
    assert texts("(0, 3)", 4) == ["(0,", "  3)"]  # no space outside the group: it breaks inside


@pytest.mark.parametrize("width", [80, 40, 30])
def test_rows_whose_columns_line_up_are_cut_between_columns_under_their_labels(width):
    """masked-modelling's position/token/original/input rows and a classifier's true and predicted
    labels are tables: wrapped row by row on a narrow terminal, a token stood under another
    position. Too wide, they are cut into slices of whole columns, each under the rows' labels,
    every cell of a slice under the same cell of the row above; a one-row matrix
    ([[1, 0]]) too wide for its label goes under it, whole."""
    from quizgen.drill.display import input_lines

    concepts = {c.id: c for c in load_concepts(CONCEPTS)}
    masked = build_problem(concepts["masked-modelling"], concepts["masked-modelling"].template("loss-labels"), 5)
    labels = build_problem(concepts["precision-recall-f1"], concepts["precision-recall-f1"].template("binary-precision-recall"), 5)
    for problem, names in ((masked, ("position", "token", "original", "input")), (labels, ("true class:", "predicted class:"))):
        text = problem.describe_inputs()
        table = [row for row in text.splitlines() if row.strip().startswith(names)]
        lines = ["".join(chunk for chunk, _ in line) for line in input_lines(text, width)]
        assert all(len(line) <= width for line in lines if line.strip().startswith(names)), lines
        sliced = [line for line in lines if line.strip().startswith(names)]
        assert len(sliced) % len(table) == 0 and len(sliced) >= len(table)
        if len("  " + max(table, key=len)) <= width:
            assert sliced == ["  " + row for row in table]
            continue
        assert len(sliced) > len(table), lines
        # Slice by slice, the rows' cells stand at the same places and, joined, are the rows' own.
        for at in range(0, len(sliced), len(table)):
            group = sliced[at:at + len(table)]
            spans = [[m.span() for m in re.finditer(r"\S+", row)][len(name.split()):] for row, name in zip(group, names)]
            assert len({tuple(b for _, b in cells) for cells in spans}) == 1 or len({tuple(a for a, _ in cells) for cells in spans}) == 1, group
        for row, name in zip(table, names):
            mine = [line for line in sliced if line.strip().startswith(name)]
            assert " ".join(part.split(name, 1)[1].strip() for part in mine).split() == row.split(name, 1)[1].split()
    lines = ["".join(chunk for chunk, _ in line) for line in input_lines("mini-batches (row k: batch k) = [[1, 0]]", 30)]
    assert lines == ["  mini-batches (row k: batch k) =", "    [[1, 0]]"]
    # Too wide even under its label, a matrix is a list per row that keeps the matrix's brackets: a 1×n is no vector.
    lines = ["".join(chunk for chunk, _ in line) for line in input_lines("w = [[1.25, -2.5, 3.75, 10.0, -20.5, 7.25]]", 24)]
    assert lines == ["  w =", "    [[1.25, -2.5, 3.75, 10.0, -20.5, 7.25]]"]
    # Text whose words happen to end where the next line's do is not a table: it wraps line by
    # line (sliced, "reference 1:" lost its number and "sentence" stood alone before "mat").
    text = ("candidate:   this garden found a big mat while every  (8 tokens)\n"
            "reference 1: this garden reads a big mat while every  (8 tokens)\n"
            "sentence 1: big big big sat mat\nsentence 2: ran big big and sat")
    for width in (30, 40, 60):
        lines = ["".join(chunk for chunk, _ in line) for line in input_lines(text, width)]
        starts = [line.strip().split(":")[0] for line in lines if not line.startswith("   ")]
        assert starts == ["candidate", "reference 1", "sentence 1", "sentence 2"], lines


def test_a_square_matrix_typed_transposed_is_called_transposed(monkeypatch, tmp_path):
    """A 2×2 answer typed with its rows and columns swapped: the drill's own short sentence
    ("2 of 4 entries right") dropped the judge's "it is the answer transposed"."""
    def answers(key):
        return ["; ".join(" ".join(repr(v) for v in col) for col in zip(*key))]

    for seed in range(11, 40):
        home = tmp_path / str(seed)
        (code, screen), key = _scores_session(monkeypatch, home, answers, seed=seed)
        square = len(key) == len(key[0]) and any(key[i][j] != key[j][i] for i in range(len(key)) for j in range(len(key)))
        if square:
            break
    assert square, "no seed drew a square, non-symmetric score matrix"
    assert "it is the answer transposed (its rows and columns swapped)" in screen, screen


def test_a_word_on_a_continuation_line_is_that_word_not_a_row(monkeypatch, tmp_path):
    """A matrix's first row, then ? on the "… " line: the answer is shown (the rows typed so far
    are dropped), not refused as the matrix "1 2\n?"; "hint" says there are none, and how to see the answer."""
    def first_row(key):
        return [" ".join(repr(v) for v in key[0]), "hint", " ".join(repr(v) for v in key[0]), "?"]

    (code, screen), key = _scores_session(monkeypatch, tmp_path, first_row)
    assert "could not read" not in screen and "No hints: the prompt and its inputs hold all there is." in screen
    assert "Worked solution:" in screen and "1 problem: 0 right, 0 wrong, 1 shown without an answer" in screen


def test_wide_characters_take_two_cells_when_a_line_is_wrapped():
    """Fullwidth digits typed by an IME are echoed in the judge's message: measured as one
    column each, a wrapped line ran past the terminal's edge and the terminal folded it again."""
    import unicodedata

    from quizgen.drill.display import wrap_line

    def cells(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)

    message = "? could not read '０.１３５' as a number: unexpected character '０' at position 1; try 0.25, 1/4, 2.5e-3 or sqrt(2)/2"
    for width in (80, 60, 40):
        parts = ["".join(chunk for chunk, _ in p) for p in wrap_line([(message, "")], width, hang=0, fold=True)]
        assert all(cells(p) <= width for p in parts), (width, parts)
        assert " ".join(parts).split() == message.split()


def test_stats_shows_the_learners_own_time_zone(tmp_path):
    """An answer at 23:30 UTC on January 1 is 08:30 on January 2 in Tokyo: stats showed UTC
    times and UTC calendar days whatever the learner's zone (a POSIX TZ, no tz database needed)."""
    out = _drill(tmp_path, "attention", "--n", "1", "--save", input="0.5\n", QUIZGEN_NOW="2030-01-01T23:30:00Z", TZ="UTC")
    assert out.returncode == 0, out.stderr
    stats = subprocess.run([sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "stats"], capture_output=True, text=True,
                           env=_env(tmp_path, QUIZGEN_NOW="2030-01-01T23:40:00Z", TZ="JST-9"), cwd=ROOT, timeout=120)
    assert stats.returncode == 0, stats.stderr
    assert "now: 2030-01-02T08:40+09:00" in stats.stdout, stats.stdout
    assert "2030-01-02 08:30" in stats.stdout and "2030-01-01 23:30" not in stats.stdout, stats.stdout
    chart = stats.stdout.split("accuracy by day")[1].splitlines()
    days = next(line for line in chart if re.match(r"\s*\d{4}-\d\d-\d\d", line))
    assert days.split()[-1] == "2030-01-02", chart  # the last day, with the answer, is Tokyo's
