"""Properties every family's problems must have, over many seeds (hypothesis)."""

from __future__ import annotations

import json

import pytest
from conftest import CONCEPTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.core.concepts import load_concepts
from quizgen.core.problems import build_problem, parse_problem_id, plan, rebuild
from quizgen.core.problems import solve_problem as solve
from quizgen.judge import close, format_value, judge

PAIRS = plan(load_concepts(CONCEPTS))
PAIR_IDS = [f"{c.id}.{t.name}" for c, t in PAIRS]
seeds = st.integers(min_value=0, max_value=2**48 - 1)
fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_every_family_has_templates():
    from quizgen.generators import GENERATORS

    used = {t.generator for _, t in PAIRS}
    assert used == set(GENERATORS), f"families without a template: {set(GENERATORS) - used}"


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@fast
@given(seed=seeds)
def test_same_seed_same_problem(pair, seed):
    concept, template = pair
    a = build_problem(concept, template, seed)
    b = build_problem(concept, template, seed)
    assert a.to_jsonl() == b.to_jsonl()


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@fast
@given(seed=seeds)
def test_json_round_trip_and_regrade(pair, seed):
    concept, template = pair
    problem = build_problem(concept, template, seed)
    record = json.loads(problem.to_jsonl())
    assert record["inputs"] == problem.inputs
    # The id alone is enough to draw the same problem again.
    cid, tname, version, s = parse_problem_id(record["id"])
    assert (cid, tname, s) == (concept.id, template.name, seed)
    assert rebuild(record["id"], [concept]).to_jsonl() == problem.to_jsonl()
    # The inputs alone are enough to recompute the answer.
    again = solve(problem.family, record["inputs"])
    assert close(again.answer.kind, again.answer.value, problem.answer.value, problem.tolerance)


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@fast
@given(seed=seeds)
def test_judge_accepts_key_and_names_each_misconception(pair, seed):
    concept, template = pair
    problem = build_problem(concept, template, seed)
    kind = problem.answer.kind
    key_text = format_value(kind, problem.answer.value)
    verdict = judge(problem.answer, key_text, problem.tolerance, problem.misconceptions)
    assert verdict.correct, (key_text, verdict.message)
    for m in problem.misconceptions:
        assert not close(kind, problem.answer.value, m.value, problem.tolerance)
        typed = format_value(kind, m.value)
        verdict = judge(problem.answer, typed, problem.tolerance, problem.misconceptions)
        assert not verdict.correct, (m.name, typed)
        assert verdict.misconception is not None, (m.name, typed, verdict.message)
        # Two mistakes can give the same value; the judge names one whose value matches.
        assert close(kind, verdict.misconception.value, m.value, problem.tolerance)
        assert verdict.misconception.name in verdict.message


def test_other_seed_other_problems():
    concept, template = PAIRS[0]
    a = {build_problem(concept, template, s).to_jsonl() for s in range(20)}
    assert len(a) > 10


def test_building_on_several_processes_gives_the_same_problems_in_order():
    from quizgen.core.problems import build_many, jsonl_line

    # Several chunks (of 250) of every template, each job built more than once in a run.
    jobs = [(concept, template, seed) for seed in (0, 1, 2**47 + 5) for concept, template in PAIRS] * 3
    assert len(jobs) > 1000
    serial = [p.to_jsonl() for chunk in build_many(jobs, processes=1) for p in chunk]
    parallel = [p.to_jsonl() for chunk in build_many(jobs, processes=2) for p in chunk]
    assert parallel == serial == [build_problem(*job).to_jsonl() for job in jobs]
    # Rendered where they are built (what `generate --format jsonl` writes): the same lines.
    rendered = [line for chunk in build_many(jobs, processes=2, render=jsonl_line) for line in chunk]
    assert rendered == serial
    assert list(build_many([])) == []


def test_formula_values_that_are_not_text_never_match_and_never_raise():
    """Formula decisions are remembered by their texts; a value whose parts cannot be keys (a
    list, a dict, a number where text belongs) is simply not equal, as before."""
    from quizgen.core.answer import Tolerance, close

    s = {"d": "size"}
    key = {"formula": "d", "symbols": s}
    for other in ({"formula": ["d"], "symbols": s}, {"formula": {"d": 1}, "symbols": s}, {"formula": 1, "symbols": s}, {"symbols": s}, "d", None):
        assert not close("formula", key, other, Tolerance())
    assert not close("formula", {"formula": "d", "symbols": [["d", ["size"]]]}, key, Tolerance())
    for _ in range(2):  # decided, then remembered: the same verdicts
        assert close("formula", key, {"formula": "sqrt(d^2)", "symbols": s}, Tolerance())
        assert not close("formula", key, {"formula": "d^2", "symbols": s}, Tolerance())


def test_a_redraw_failure_names_the_file_and_the_template(monkeypatch):
    """The generator gives up on a template's parameters: the message says where they are."""
    import pytest

    from quizgen.core.errors import GenerationError
    from quizgen.generators import GENERATORS

    concept, template = PAIRS[0]

    def refuse(params, rng):
        raise GenerationError("Expected a usable variant within 200 draws, but every draw was degenerate")

    monkeypatch.setattr(GENERATORS[template.generator], "draw", refuse)
    with pytest.raises(GenerationError) as info:
        build_problem(concept, template, 1)
    assert str(concept.path) in str(info.value) and repr(template.name) in str(info.value)
