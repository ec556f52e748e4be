"""The bleu family: generator properties and the checker against NLTK (and, where its conventions
are the same, sacrebleu).

What is compared with sacrebleu (``BLEU(tokenize='none', smooth_method='none',
effective_order=False, max_ngram_order=N)``, ``sentence_score`` on the tokens joined by spaces):
its score / 100 for BLEU questions, ``precisions[n-1] / 100`` for precision questions and ``bp``
for brevity-penalty questions. Its conventions agree with ours on every drawn variant: the closest
reference length with ties to the shorter, BP = exp(1 − r/c) only when c < r (at c = r both give
1), clipping at the largest count in one reference, and a geometric mean over exactly N orders.
They differ only where no drawn variant goes: with no match at all, or an order without candidate
n-grams, sacrebleu stops early, and it scores on 0..100.
"""

from __future__ import annotations

import json
import logging
import math
import random
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest
from conftest import solver
from nltk.translate.bleu_score import (
    brevity_penalty,
    closest_ref_length,
    modified_precision,
    sentence_bleu,
)
from sacrebleu.metrics import BLEU

from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.generators import bleu

solve = solver("bleu")


ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(1000)
# Builder tolerance (quizgen.core.problems redraws a variant when a mistake lands this close).
BUILDER_REL, BUILDER_ABS = 0.005, 0.0005
MIXED = {"max_n": [1, 4], "references": [1, 4], "length": [4, 12]}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _nltk_bleu(references: list[list[str]], candidate: list[str], n_max: int) -> float:
    with warnings.catch_warnings():
        # NLTK warns (and returns ~0) when an order has no match; that is the expected 0 here.
        warnings.simplefilter("ignore")
        return float(sentence_bleu(references, candidate, weights=(1 / n_max,) * n_max))


def _nltk_bp(references: list[list[str]], candidate: list[str]) -> float:
    c = len(candidate)
    return float(brevity_penalty(closest_ref_length(references, c), c))


def reference(inputs: dict) -> float:
    cand, refs = inputs["candidate"], inputs["references"]
    if inputs["ask"] == "bleu":
        return _nltk_bleu(refs, cand, inputs["max_n"])
    if inputs["ask"] == "precision":
        return float(modified_precision(refs, cand, inputs["n"]))
    return _nltk_bp(refs, cand)


@pytest.fixture(scope="module")
def variants() -> list[tuple[dict, object]]:
    params = resolve(bleu.PARAMS, MIXED)
    out = []
    for seed in SEEDS:
        inputs = bleu.draw(params, random.Random(seed))
        out.append((inputs, solve(inputs)))
    return out


# --- agreement with the references -----------------------------------------------------------


def test_every_ask_is_drawn_often(variants):
    asks = Counter(inputs["ask"] for inputs, _ in variants)
    assert set(asks) == set(bleu.ASKS)
    assert min(asks.values()) >= 250
    assert {inputs["max_n"] for inputs, _ in variants} == {1, 2, 3, 4}
    assert {len(inputs["references"]) for inputs, _ in variants} == {1, 2, 3, 4}


def test_answers_match_nltk(variants):
    bad = [
        (inputs, sol.answer.value, reference(inputs))
        for inputs, sol in variants
        if not _close(sol.answer.value, reference(inputs))
    ]
    assert not bad, bad[:3]
    assert len(variants) >= 1000


def test_answers_match_sacrebleu(variants):
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    scorers = {
        n: BLEU(tokenize="none", smooth_method="none", effective_order=False, max_ngram_order=n)
        for n in range(1, 5)
    }
    compared = 0
    for inputs, sol in variants:
        score = scorers[inputs["max_n"]].sentence_score(
            " ".join(inputs["candidate"]), [" ".join(r) for r in inputs["references"]]
        )
        if inputs["ask"] == "bleu":
            theirs = score.score / 100.0
        elif inputs["ask"] == "precision":
            theirs = score.precisions[inputs["n"] - 1] / 100.0
        else:
            theirs = score.bp
        assert _close(sol.answer.value, theirs), (inputs, sol.answer.value, theirs)
        compared += 1
    assert compared >= 1000


def mistakes(inputs: dict) -> dict[str, float]:
    """Every named mistake the checker can list for these inputs, recomputed with NLTK and plain
    Python (the registry test checks each listed one against this)."""
    cand, refs = inputs["candidate"], inputs["references"]
    c = len(cand)
    if inputs["ask"] == "precision":
        return {"no-clipping": _unclipped(inputs), "summed-over-references": _summed(inputs)}
    if inputs["ask"] == "bleu":
        n_max = inputs["max_n"]
        ps = [float(modified_precision(refs, cand, k)) for k in range(1, n_max + 1)]
        return {
            "no-clipping": _unclipped(inputs),
            "no-brevity-penalty": _nltk_bleu(refs, cand, n_max) / _nltk_bp(refs, cand),
            "arithmetic-mean": _nltk_bp(refs, cand) * sum(ps) / n_max,
            "percent-scale": 100 * _nltk_bleu(refs, cand, n_max),  # sacrebleu's scale
        }
    r = closest_ref_length(refs, c)
    found = {"longest-reference": float(brevity_penalty(max(len(ref) for ref in refs), c))}
    # The ratio turned over is a slip in computing a penalty; the penalty applied to a longer
    # candidate is a slip in deciding whether there is one.
    if c < r:
        found["inverted-ratio"] = math.exp(1 - c / r)
    else:
        found["penalty-for-longer"] = math.exp(1 - r / c)
    if r < c and 2 * c - r in [len(ref) for ref in refs] and 2 * c - r != max(len(ref) for ref in refs):
        # A tie taken to the longer reference (the longest one is longest-reference).
        found["tie-to-longer"] = float(brevity_penalty(2 * c - r, c))
    return found


def test_misconception_values_match_independent_formulas(variants):
    for inputs, sol in variants:
        expected = mistakes(inputs)
        for m in sol.misconceptions:
            assert _close(m.value, expected[m.name]), (inputs, m.name, m.value, expected[m.name])


def test_brevity_penalty_mistakes_are_listed_exactly_where_they_differ(variants):
    for inputs, sol in variants:
        if inputs["ask"] != "brevity_penalty":
            continue
        differ = {name for name, value in mistakes(inputs).items() if not _close(value, sol.answer.value)}
        assert {m.name for m in sol.misconceptions} == differ, inputs


def _summed(inputs: dict) -> float:
    """p_n with each n-gram clipped at its count summed over the references (plain Counters)."""
    from collections import Counter

    k, cand = inputs["n"], inputs["candidate"]
    grams = Counter(tuple(cand[i : i + k]) for i in range(len(cand) - k + 1))
    refs = [Counter(tuple(r[i : i + k]) for i in range(len(r) - k + 1)) for r in inputs["references"]]
    return sum(min(c, sum(rc[g] for rc in refs)) for g, c in grams.items()) / max(1, sum(grams.values()))


def _unclipped(inputs: dict) -> float:
    """BLEU (or p_n) with every candidate n-gram found in some reference counted in full."""
    cand, refs = inputs["candidate"], inputs["references"]

    def precision(k: int) -> float:
        grams = [tuple(cand[i : i + k]) for i in range(len(cand) - k + 1)]
        found = {tuple(r[i : i + k]) for r in refs for i in range(len(r) - k + 1)}
        return sum(g in found for g in grams) / max(1, len(grams))

    if inputs["ask"] == "precision":
        return precision(inputs["n"])
    n_max = inputs["max_n"]
    logs = [math.log(precision(k)) for k in range(1, n_max + 1)]
    return _nltk_bp(refs, cand) * math.exp(sum(logs) / n_max)


# --- known values ----------------------------------------------------------------------------

PAPER_HYP = (
    "It is a guide to action which ensures that the military always obeys the commands of the party"
).split()
PAPER_REFS = [
    "It is a guide to action that ensures that the military will forever heed Party commands".split(),
    "It is the guiding principle which guarantees the military forces always being under the "
    "command of the Party".split(),
    "It is the practical guide for the army always to heed the directions of the party".split(),
]
CAT_REFS = ["the cat is on the mat".split(), "there is a cat on the mat".split()]


def _ask(ask: str, candidate: list[str], references: list[list[str]], **extra: int) -> dict:
    return {"ask": ask, "candidate": candidate, "references": references, "max_n": 4, **extra}


def test_identical_sentences_score_one():
    ref = "the cat sat on the mat by the river".split()
    for n_max in range(1, 5):
        sol = solve({"ask": "bleu", "candidate": ref, "references": [ref], "max_n": n_max})
        assert sol.answer.value == 1.0
        assert [(m.name, m.value) for m in sol.misconceptions] == [("percent-scale", 100.0)]  # the only slip left
    assert solve(_ask("brevity_penalty", ref, [ref])).answer.value == 1.0
    assert solve(_ask("precision", ref, [ref], n=3)).answer.value == 1.0


def test_no_four_gram_match_scores_exactly_zero():
    # Every word and bigram is shared, but the order breaks every 4-gram.
    cand = "the cat on the mat is".split()
    refs = ["the cat is on the mat".split()]
    sol = solve(_ask("bleu", cand, refs))
    assert sol.answer.value == 0.0
    assert _close(sol.answer.value, _nltk_bleu(refs, cand, 4))
    p = [s for s in sol.steps if s.label.startswith("p_n")][0].value
    assert p[3] == 0.0 and p[0] == 1.0


def test_repeated_the_is_clipped():
    cand = ["the"] * 7
    sol = solve(_ask("precision", cand, CAT_REFS, n=1))
    assert _close(sol.answer.value, 2 / 7)
    assert _close(sol.answer.value, float(modified_precision(CAT_REFS, cand, 1)))
    # Papineni et al.'s example: 'the' is twice in the first reference and once in the second, so
    # clipping at their sum would count 3 of 7.
    assert [(m.name, round(m.value, 12)) for m in sol.misconceptions] == [("no-clipping", 1.0), ("summed-over-references", round(3 / 7, 12))]
    # BLEU-1: c = 7 equals the second reference's length, so BP = 1 and the score is p_1.
    sol1 = solve({"ask": "bleu", "candidate": cand, "references": CAT_REFS, "max_n": 1})
    assert _close(sol1.answer.value, 2 / 7)
    assert _close(sol1.answer.value, _nltk_bleu(CAT_REFS, cand, 1))


def test_empty_overlap_scores_zero():
    cand = "green boats read quiet rivers".split()
    sol = solve(_ask("bleu", cand, CAT_REFS))
    assert sol.answer.value == 0.0
    assert _close(sol.answer.value, _nltk_bleu(CAT_REFS, cand, 4))
    assert solve(_ask("precision", cand, CAT_REFS, n=1)).answer.value == 0.0


def test_candidate_longer_than_every_reference_has_no_penalty():
    cand = "the cat is on the mat and the dog is on the rug".split()
    sol = solve(_ask("brevity_penalty", cand, CAT_REFS))
    assert sol.answer.value == 1.0
    # Only the slip of penalising a longer candidate, exp(1 − r/c) with r = 7 and c = 13, is left.
    assert [(m.name, m.value) for m in sol.misconceptions] == [("penalty-for-longer", math.exp(1 - 7 / 13))]
    assert _nltk_bp(CAT_REFS, cand) == 1


@pytest.mark.parametrize(
    ("candidate_length", "reference_lengths"),
    [
        (12, [13, 11]),  # tie: the shorter (11) is used, so BP = 1
        (12, [11, 13]),
        (10, [9, 11]),
        (12, [28, 28]),  # NLTK doc: 0.2635971381157267
        (12, [13, 2]),  # NLTK doc: 0.9200…
        (7, [11, 8]),  # mteval-v13a example: 0.8668…
        (7, [11, 8, 6, 7]),  # exact match of one length: BP = 1
        (3, [5]),
        (1, [4, 4]),
    ],
)
def test_brevity_penalty_table(candidate_length, reference_lengths):
    cand = ["a"] * candidate_length
    refs = [["a"] * n for n in reference_lengths]
    sol = solve(_ask("brevity_penalty", cand, refs))
    assert _close(sol.answer.value, _nltk_bp(refs, cand))
    r = closest_ref_length(refs, candidate_length)
    expected = 1.0 if candidate_length > r else math.exp(1 - r / candidate_length)
    assert _close(sol.answer.value, expected)


def test_tie_goes_to_the_shorter_reference():
    cand = ["a"] * 10
    sol = solve(_ask("brevity_penalty", cand, [["a"] * 11, ["a"] * 9]))
    assert sol.answer.value == 1.0
    # Someone who takes the longest (11) gets exp(1 − 11/10); someone who penalises the longer
    # candidate anyway, exp(1 − 9/10).
    assert [(m.name, round(m.value, 12)) for m in sol.misconceptions] == [
        ("longest-reference", round(math.exp(1 - 11 / 10), 12)),
        ("penalty-for-longer", round(math.exp(1 - 9 / 10), 12)),
    ]


def test_paper_example_matches_nltk():
    for n_max in range(1, 5):
        sol = solve(
            {"ask": "bleu", "candidate": PAPER_HYP, "references": PAPER_REFS, "max_n": n_max}
        )
        assert _close(sol.answer.value, _nltk_bleu(PAPER_REFS, PAPER_HYP, n_max))
    sol = solve(_ask("precision", PAPER_HYP, PAPER_REFS, n=2))
    assert _close(sol.answer.value, 10 / 17)  # the paper's count: 10 of 17 bigrams match
    assert _close(sol.answer.value, float(modified_precision(PAPER_REFS, PAPER_HYP, 2)))


def test_candidate_shorter_than_n_and_empty_candidate():
    refs = [["the", "cat", "sat"]]
    sol = solve({"ask": "bleu", "candidate": ["the", "cat"], "references": refs, "max_n": 4})
    assert sol.answer.value == 0.0
    assert solve(_ask("precision", ["the"], refs, n=2)).answer.value == 0.0
    assert solve(_ask("brevity_penalty", [], refs)).answer.value == 0.0
    assert solve({"ask": "bleu", "candidate": [], "references": refs, "max_n": 2}).answer.value == 0.0


def test_steps_show_counts_precisions_and_penalty():
    sol = solve(_ask("bleu", PAPER_HYP, PAPER_REFS))
    labels = [s.label for s in sol.steps]
    assert len(labels) == 7
    assert sol.steps[0].value == [18, 17, 16, 15]
    assert sol.steps[3].value == [18, 18]
    json.dumps(sol.to_json())


# --- misconceptions --------------------------------------------------------------------------


def test_misconceptions_differ_from_the_key(variants):
    names = Counter()
    near = Counter()
    expected_names = {
        "bleu": {"no-clipping", "no-brevity-penalty", "arithmetic-mean", "percent-scale"},
        "precision": {"no-clipping", "summed-over-references"},
        "brevity_penalty": {"longest-reference", "inverted-ratio", "penalty-for-longer", "tie-to-longer"},
    }
    for inputs, sol in variants:
        key = sol.answer.value
        listed = [m.name for m in sol.misconceptions]
        assert len(listed) == len(set(listed))
        assert set(listed) <= expected_names[inputs["ask"]]
        for m in sol.misconceptions:
            names[m.name] += 1
            # Every listed mistake gives a different number ...
            assert m.value != key, (inputs, m.name)
            assert m.description and m.name == m.name.lower()
            # ... though a few land within the builder's tolerance, which then redraws them.
            if math.isclose(m.value, key, rel_tol=BUILDER_REL, abs_tol=BUILDER_ABS):
                near[m.name] += 1
    assert set(names) == set().union(*expected_names.values())
    # A longer candidate: 1 in 7 BP draws; a tie with a third, longest reference: fewer.
    assert all(count >= (10 if name == "tie-to-longer" else 30) for name, count in names.items()), names
    # Only the arithmetic mean ever comes this close (precisions that nearly agree).
    assert set(near) <= {"arithmetic-mean"}
    assert near["arithmetic-mean"] <= 0.25 * names["arithmetic-mean"]


# --- the generator ---------------------------------------------------------------------------


def test_draws_respect_params_and_are_not_degenerate(variants):
    short = long = 0
    for inputs, sol in variants:
        cand, refs = inputs["candidate"], inputs["references"]
        assert 4 <= len(cand) <= 12 and 1 <= len(refs) <= 4 and 1 <= inputs["max_n"] <= 4
        assert all(t in bleu.VOCABULARY for t in cand + [w for r in refs for w in r])
        assert all(cand != r for r in refs)
        if inputs["ask"] == "bleu":
            assert "n" not in inputs
            clipped = sol.steps[1].value
            assert min(clipped) >= 1
            assert 0.0 < sol.answer.value < 1.0
        elif inputs["ask"] == "precision":
            assert inputs["n"] == inputs["max_n"]
            assert 0.0 < sol.answer.value < 1.0
        else:
            if len(cand) < closest_ref_length(refs, len(cand)):
                short += 1
            else:
                long += 1
    assert short > 3 * long > 0


@pytest.mark.parametrize("max_n, references", [(1, 1), (2, 2), (4, [1, 4])])
def test_clipping_matters_in_every_precision_problem(max_n, references):
    """Some shared n-gram is repeated beyond its count in every single reference, so counting
    without clipping always gives another number; with several references, beyond its count in
    all of them together, so clipping at the sum over the references (a slip) gives a third."""
    params = resolve(bleu.PARAMS, {"ask": "precision", "max_n": max_n, "references": references, "length": [6, 9]})
    for s in range(300):
        inputs = bleu.draw(params, random.Random(s))
        assert bleu._clipped_gram(inputs["candidate"], inputs["references"], inputs["n"]), inputs
        several = len(inputs["references"]) > 1
        assert [m.name for m in solve(inputs).misconceptions] == ["no-clipping", *(["summed-over-references"] * several)]


def test_brevity_penalty_never_asks_a_candidate_as_long_as_its_closest_reference(variants):
    for inputs, _ in variants:
        if inputs["ask"] == "brevity_penalty":
            c = len(inputs["candidate"])
            assert c != closest_ref_length(inputs["references"], c)


def test_same_seed_same_inputs():
    params = resolve(bleu.PARAMS, MIXED)
    for seed in range(50):
        assert bleu.draw(params, random.Random(seed)) == bleu.draw(params, random.Random(seed))
    draws = {json.dumps(bleu.draw(params, random.Random(s))) for s in range(50)}
    assert len(draws) == 50


def test_inputs_and_solutions_round_trip_through_json(variants):
    for inputs, sol in variants[:200]:
        again = json.loads(json.dumps(inputs))
        assert again == inputs
        assert solve(again)== sol
        assert json.loads(json.dumps(sol.to_json())) == sol.to_json()


def test_describe_shows_question_and_tokens(variants):
    for inputs, _ in variants[:50]:
        text = bleu.describe(inputs)
        assert text.startswith("Find: ")
        assert " ".join(inputs["candidate"]) in text
        assert all(" ".join(r) in text for r in inputs["references"])


def test_generator_never_imports_torch():
    code = (
        "import importlib.util, random, sys\n"
        f"spec = importlib.util.spec_from_file_location('g', {str(ROOT / 'quizgen/generators/bleu.py')!r})\n"
        "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
        "from quizgen.core.params import resolve\n"
        "g.describe(g.draw(resolve(g.PARAMS, {}), random.Random(0)))\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_params_specs():
    assert bleu.VERSION == 1 and bleu.VERSIONS == {"precision": 4, "brevity_penalty": 2}
    specs = bleu.PARAMS
    assert set(specs) == {"ask", "max_n", "references", "length"}
    assert specs["ask"].options == ("bleu", "precision", "brevity_penalty")
    assert (specs["max_n"].minimum, specs["max_n"].maximum, specs["max_n"].default) == (1, 4, (4, 4))
    assert (specs["references"].minimum, specs["references"].maximum) == (1, 4)
    assert specs["references"].default == (1, 2)
    assert (specs["length"].minimum, specs["length"].default) == (1, (6, 10))
    assert bleu.check_params(resolve(specs, {})) == []


def test_check_params_flags_a_candidate_too_short_for_max_n():
    params = resolve(bleu.PARAMS, {"ask": "bleu", "max_n": 4, "length": [2, 3]})
    problems = bleu.check_params(params)
    assert [p[0] for p in problems] == ["length"]
    assert "[2, 3]" in problems[0][2]
    assert bleu.check_params(resolve(bleu.PARAMS, {"ask": "brevity_penalty", "length": 1})) == []
    with pytest.raises(GenerationError, match="max_n"):
        bleu.draw(params, random.Random(0))


def test_tiny_params_still_draw():
    for ask in bleu.ASKS:
        params = resolve(bleu.PARAMS, {"ask": ask, "max_n": 1, "references": 1, "length": [2, 3]})
        for seed in range(20):
            inputs = bleu.draw(params, random.Random(seed))
            assert 2 <= len(inputs["candidate"]) <= 3
