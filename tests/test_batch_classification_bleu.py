"""``solve_many`` of the classification and BLEU checkers against their own ``solve``.

For every inputs the batched result must be the one-at-a-time result: the same answer kind, the
same steps (labels, values, shapes, notes, order) and the same misconceptions (names,
descriptions, values, order). Floats may differ only in the last ulp or so (a batched reduction
or exponential may round differently), so they are compared to a relative 1e-12 (absolute
1e-15); everything else, including whether a number is an int or a float, must be identical.

Inputs come from the generators with every parameter mixed, and from every template of the
concept files, so the batches interleave groups (numbers of classes, metrics, sources, asks and
max_n) and the results must come back in input order.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import random
from pathlib import Path
from typing import Any

import pytest

from checkers import bleu as bleu_checker
from checkers import classification as cls_checker
from quizgen.concepts import load_concepts
from quizgen.generators import bleu as bleu_gen
from quizgen.generators import classification as cls_gen
from quizgen.params import resolve

ROOT = Path(__file__).resolve().parent.parent
REL, ABS = 1e-12, 1e-15
MIXED_SEEDS = range(2000)
TEMPLATE_SEEDS = range(300)

FAMILIES = {
    "classification": (
        cls_gen,
        cls_checker,
        [
            {"classes": [2, 6], "samples": [6, 16], "beta": [0.5, 3.0]},
            {},
            # β off the 0.5/2/3 grid, wide counts and many samples.
            {"classes": [2, 6], "samples": [6, 40], "counts": [0, 30], "beta": [0.6, 1.9]},
        ],
        "precision-recall-f1",
    ),
    "bleu": (
        bleu_gen,
        bleu_checker,
        [
            {"max_n": [1, 4], "references": [1, 4], "length": [4, 14]},
            {},
            {"max_n": [1, 3], "references": [1, 2], "length": [3, 8]},
        ],
        "bleu",
    ),
}


def _same(a: Any, b: Any, path: str = "") -> str | None:
    """None when ``a`` and ``b`` agree (floats to REL/ABS, all else exactly), else where not."""
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__} ({a!r} vs {b!r})"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            bad = _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if bad:
                return bad
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            bad = _same(x, y, f"{path}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return None if math.isnan(a) and math.isnan(b) else f"{path}: {a!r} != {b!r}"
        return None if math.isclose(a, b, rel_tol=REL, abs_tol=ABS) else f"{path}: {a!r} != {b!r}"
    return None if a == b else f"{path}: {a!r} != {b!r}"


def _draws(family: str) -> list[dict]:
    generator, _, param_sets, concept_id = FAMILIES[family]
    out = []
    for overrides in param_sets:
        params = resolve(generator.PARAMS, overrides)
        out += [generator.draw(params, random.Random(seed)) for seed in MIXED_SEEDS]
    (concept,) = [c for c in load_concepts(ROOT / "concepts") if c.id == concept_id]
    templates = concept.problems
    assert templates
    for template in templates:
        params = template.resolved_params()
        out += [generator.draw(params, random.Random(10_000 + seed)) for seed in TEMPLATE_SEEDS]
    # Interleave everything: groups alternate throughout the list.
    random.Random(family).shuffle(out)
    return out


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def case(request) -> tuple[str, Any, list[dict], list]:
    family = request.param
    checker = FAMILIES[family][1]
    inputs = _draws(family)
    return family, checker, inputs, [checker.solve(x) for x in inputs]


def _check(inputs: list[dict], got: list, expected: list) -> None:
    assert isinstance(got, list)
    assert len(got) == len(expected)
    bad = []
    for i, (x, g, e) in enumerate(zip(inputs, got, expected)):
        why = _same(g, e, "solution")
        if why:
            bad.append((i, x, why))
    assert not bad, (len(bad), bad[:3])


def test_inputs_cover_every_group(case):
    family, _, inputs, _ = case
    assert len(inputs) >= 2000
    if family == "classification":
        combos = {(x["metric"], x.get("average"), "confusion_matrix" in x) for x in inputs}
        assert len(combos) == 26
        assert {len(x["labels"]) for x in inputs} == {2, 3, 4, 5, 6}
        assert len({x["beta"] for x in inputs if "beta" in x}) > 3
    else:
        combos = {(x["ask"], x["max_n"] if x["ask"] != "brevity_penalty" else 0) for x in inputs}
        assert combos == {("brevity_penalty", 0)} | {
            (ask, n) for ask in ("bleu", "precision") for n in (1, 2, 3, 4)
        }


def test_one_batch_of_everything_matches_solve(case):
    _, checker, inputs, expected = case
    _check(inputs, checker.solve_many(inputs), expected)


def test_chunks_of_every_size_match_solve(case):
    _, checker, inputs, expected = case
    rng = random.Random(7)
    start = 0
    while start < len(inputs):
        size = rng.choice([1, 2, 3, 5, 17, 64, 250])
        chunk = inputs[start : start + size]
        _check(chunk, checker.solve_many(chunk), expected[start : start + size])
        start += size


def test_order_is_the_input_order(case):
    _, checker, inputs, expected = case
    order = list(range(0, len(inputs), 3))
    random.Random(11).shuffle(order)
    chunk = [inputs[i] for i in order]
    _check(chunk, checker.solve_many(chunk), [expected[i] for i in order])
    # Tuples and other sequences are accepted too.
    _check(chunk[:50], checker.solve_many(tuple(chunk[:50])), [expected[i] for i in order[:50]])


def test_homogeneous_batches_per_template(case):
    family, checker, _, _ = case
    generator, _, _, concept_id = FAMILIES[family]
    (concept,) = [c for c in load_concepts(ROOT / "concepts") if c.id == concept_id]
    for template in concept.problems:
        params = template.resolved_params()
        inputs = [generator.draw(params, random.Random(seed)) for seed in range(200)]
        _check(inputs, checker.solve_many(inputs), [checker.solve(x) for x in inputs])


def test_empty_and_single(case):
    _, checker, inputs, expected = case
    assert checker.solve_many([]) == []
    for i in range(0, len(inputs), 401):
        _check([inputs[i]], checker.solve_many([inputs[i]]), [expected[i]])


def test_duplicates_in_one_batch(case):
    _, checker, inputs, expected = case
    chunk = [inputs[0], inputs[1], inputs[0], inputs[0], inputs[1]]
    _check(chunk, checker.solve_many(chunk), [expected[j] for j in (0, 1, 0, 0, 1)])


def test_garbage_collector_state_is_restored(case):
    _, checker, inputs, _ = case
    assert gc.isenabled()
    checker.solve_many(inputs[:20])
    assert gc.isenabled()
    gc.disable()
    try:
        checker.solve_many(inputs[:20])
        assert not gc.isenabled()
    finally:
        gc.enable()
    bad = dict(inputs[0])
    bad.pop("labels" if "labels" in bad else "references")
    with pytest.raises(ValueError):
        checker.solve_many([inputs[1], bad])
    assert gc.isenabled()


# --- hand-made inputs ------------------------------------------------------------------------


CLASSIFICATION_EXTRA = [
    # Labels other than 0..K-1, and the positive label 1 in the first position.
    {"metric": "precision", "average": "binary", "labels": [1, 0], "y_true": [1, 1, 0, 0], "y_pred": [1, 0, 1, 1]},
    {"metric": "fbeta", "average": "binary", "beta": 0.5, "labels": [1, 0], "y_true": [1, 0, 0], "y_pred": [1, 1, 0]},
    {"metric": "recall", "average": "macro", "labels": [3, 7, 9], "y_true": [3, 7, 9, 9], "y_pred": [7, 7, 9, 3]},
    {"metric": "f1", "average": "micro", "labels": [3, 7, 9], "y_true": [3, 7, 9, 9], "y_pred": [7, 7, 9, 3]},
    {"metric": "accuracy", "labels": [3, 7, 9], "y_true": [3, 7, 9, 9], "y_pred": [7, 7, 9, 3]},
    # A class never predicted or never true: 0/0 counts as 0.
    {"metric": "precision", "average": "macro", "labels": [0, 1, 2], "y_true": [0, 1, 1], "y_pred": [0, 0, 1]},
    {"metric": "f1", "average": "macro", "labels": [0, 1, 2], "confusion_matrix": [[2, 0, 0], [1, 3, 0], [0, 0, 0]]},
    {"metric": "accuracy", "average": "binary", "labels": [0, 1, 2], "confusion_matrix": [[2, 0, 1], [1, 3, 0], [0, 0, 0]]},
    # Tuples, an integer β and a big count.
    {"metric": "fbeta", "average": "macro", "beta": 2, "labels": (0, 1), "confusion_matrix": ((5000, 1), (2, 0))},
    # Entries beyond float64's exact integers.
    {"metric": "recall", "average": "macro", "labels": [0, 1], "confusion_matrix": [[2**60 + 1, 3], [1, 2**53 + 1]]},
    {"metric": "fbeta", "average": "micro", "beta": 1.7, "labels": [0, 1], "y_true": (0, 1, 1), "y_pred": (0, 1, 0)},
]

BLEU_EXTRA = [
    # An order with no candidate n-gram (p_n = 0, log 0 = -inf), an empty candidate.
    {"ask": "bleu", "candidate": ["the", "cat"], "references": [["the", "cat", "sat"]], "max_n": 4},
    {"ask": "bleu", "candidate": ["a", "b", "c"], "references": [["a", "b", "c", "d"]], "max_n": 4},
    {"ask": "bleu", "candidate": [], "references": [["a"]], "max_n": 2},
    {"ask": "bleu", "candidate": ["x", "y"], "references": [["a", "b"]], "max_n": 2},
    {"ask": "precision", "candidate": ["the"] * 7, "references": [["the", "cat", "is", "on", "the", "mat"]], "max_n": 4, "n": 1},
    {"ask": "precision", "candidate": ["a"], "references": [["a", "b"]], "max_n": 3, "n": 3},
    {"ask": "brevity_penalty", "candidate": [], "references": [["a"], ["a", "b"]], "max_n": 4},
    {"ask": "brevity_penalty", "candidate": ["a"] * 30, "references": [("a",) * 31, ["a"] * 40], "max_n": 1},
]


@pytest.mark.parametrize(
    "checker, extra",
    [(cls_checker, CLASSIFICATION_EXTRA), (bleu_checker, BLEU_EXTRA)],
    ids=["classification", "bleu"],
)
def test_hand_made_inputs(checker, extra):
    expected = [checker.solve(x) for x in extra]
    _check(extra, checker.solve_many(extra), expected)
    doubled = extra + extra[::-1]
    _check(doubled, checker.solve_many(doubled), expected + expected[::-1])


@pytest.mark.parametrize(
    "checker, good, bad",
    [
        (
            cls_checker,
            CLASSIFICATION_EXTRA[:3],
            {"metric": "f1", "average": "binary", "labels": [0, 2], "y_true": [0], "y_pred": [2]},
        ),
        (cls_checker, CLASSIFICATION_EXTRA[:3], {"metric": "f1", "average": "macro", "labels": [0, 1], "confusion_matrix": [[0, 0], [0, 0]]}),
        (bleu_checker, BLEU_EXTRA[:3], {"ask": "bleu", "candidate": ["a"], "references": [["a"]], "max_n": 0}),
        (bleu_checker, BLEU_EXTRA[:3], "not a mapping"),
    ],
)
def test_malformed_inputs_raise_as_solve_does(checker, good, bad):
    with pytest.raises(ValueError) as one:
        checker.solve(bad)
    with pytest.raises(ValueError) as many:
        checker.solve_many([*good, bad, *good])
    assert str(many.value) == str(one.value)
