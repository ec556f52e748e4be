"""Tests of the masked-modelling family: BERT's selection rule written out in plain Python, the
80/10/10 split by enumerating every outcome, labels built position by position."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from conftest import agree, solver

import checkers.masked_modelling
from quizgen.core.params import resolve
from quizgen.generators import masked_modelling

solve = solver("masked-modelling")


def _exact(length: int, rate: float) -> Fraction:
    return Fraction(length) * Fraction(rate).limit_denominator(100)


def _selected(length: int, rate: float) -> int:
    """create_pretraining_data.py: max(1, int(round(len(tokens) * masked_lm_prob))), the product
    taken exactly (Fraction's round sends halves to even, like Python's)."""
    return max(1, round(_exact(length, rate)))


def _expected_split(k: int) -> list[float]:
    """Expected counts by enumerating all 3^k treatments of k tokens with their probabilities."""
    if k > 8:  # 3^k outcomes; beyond that, linearity of expectation (k times each share)
        return [0.8 * k, 0.1 * k, 0.1 * k]
    totals = [0.0, 0.0, 0.0]
    for outcome in itertools.product(range(3), repeat=k):
        p = math.prod((0.8, 0.1, 0.1)[o] for o in outcome)
        for kind in range(3):
            totals[kind] += p * outcome.count(kind)
    return totals


def _labels(inputs: dict[str, Any]) -> list[float]:
    return [float(o) if i in inputs["selected"] else -100.0 for i, o in enumerate(inputs["original"])]


def reference(inputs: dict[str, Any]) -> Any:
    """Plain Python: the selection rule, enumeration of the split, labels position by position."""
    if inputs["ask"] == "selected":
        return float(_selected(inputs["length"], inputs["rate"]))
    if inputs["ask"] == "split":
        return _expected_split(_selected(inputs["length"], inputs["rate"]))
    return _labels(inputs)


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    n, rate = inputs.get("length", 0), inputs.get("rate", 0.0)
    if inputs["ask"] == "selected":
        x = _exact(n, rate)
        found = {
            "specials-left-out": float(max(1, round(_exact(n - 2, rate)))),
            "rounded-down": float(max(1, math.floor(x))),
            "half-rounded-up": float(max(1, math.floor(x + 0.5))),
            "no-minimum": float(round(x)),
        }
        if x - math.floor(x) != Fraction(1, 2):  # at a half, rounding up is the half rounded up
            found["rounded-up"] = float(max(1, math.ceil(x)))
        return found
    if inputs["ask"] == "split":
        k = _selected(n, rate)
        return {"shares-of-all-tokens": [0.8 * n, 0.1 * n, 0.1 * n], "no-unchanged": [0.8 * k, 0.2 * k, 0.0]}
    selected, orig, corr = inputs["selected"], inputs["original"], inputs["corrupted"]
    return {
        "labels-only-at-mask": [float(o) if c == inputs["mask_id"] else -100.0 for o, c in zip(orig, corr)],
        "label-is-the-input": [float(c) if i in selected else -100.0 for i, c in enumerate(corr)],
        "labels-everywhere": [float(o) for o in orig],
    }


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "selected": [{}, {"length": [3, 512]}, {"length": [3, 20], "rate": [0.05, 0.5]}],
    "split": [{}, {"length": [3, 512], "rate": [0.1, 0.3]}],
    "labels": [{}, {"words": [3, 12]}],
}
VARIANTS = [
    masked_modelling.draw(resolve(masked_modelling.PARAMS, {"ask": ask, **cs[seed % len(cs)]}), random.Random(seed))
    for ask, cs in CONFIGS.items()
    for seed in range(1000)
]


def test_mistakes_are_listed_when_they_differ() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        expected = mistakes(inputs)
        if inputs["ask"] == "selected":
            differ = {k for k, v in expected.items() if v != sol.answer.value}
            assert {m.name for m in sol.misconceptions} == differ


def test_every_selected_count_exposes_one_slip_by_its_own_value() -> None:
    """The length is drawn so that some rounding slip changes the count, and no two slips give
    the same wrong count; each kind of slip is drawn."""
    seen = set()
    for inputs in (i for i in VARIANTS if i["ask"] == "selected"):
        key, wrong = reference(inputs), [v for v in mistakes(inputs).values() if v != reference(inputs)]
        assert wrong and len(set(wrong)) == len(wrong), (inputs, key, mistakes(inputs))
        seen |= {name for name, v in mistakes(inputs).items() if v != key}
    assert seen == {"specials-left-out", "rounded-down", "rounded-up", "half-rounded-up", "no-minimum"}


def test_a_range_without_a_telling_length_still_draws() -> None:
    params = resolve(masked_modelling.PARAMS, {"ask": "selected", "length": 20, "rate": 0.1})  # 2.0 exactly
    assert [masked_modelling.draw(params, random.Random(s))["length"] for s in range(5)] == [20] * 5


def test_labels_are_what_cross_entropy_trains_on() -> None:
    """F.cross_entropy with the labels counts exactly the selected positions (−100 is ignored)."""
    for inputs in [i for i in VARIANTS if i["ask"] == "labels"][:200]:
        labels = torch.tensor(solve(inputs).answer.value).long()
        logits = torch.randn(len(labels), 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        picked = torch.tensor(inputs["selected"])
        expected = F.cross_entropy(logits[picked], torch.tensor(inputs["original"])[picked], reduction="sum")
        assert torch.isclose(F.cross_entropy(logits, labels, reduction="sum"), expected)


KNOWN = [
    ({"ask": "selected", "length": 10, "rate": 0.15}, 2.0),  # 1.5 rounds to the even 2
    ({"ask": "selected", "length": 30, "rate": 0.15}, 4.0),  # 4.5 rounds to the even 4
    ({"ask": "selected", "length": 50, "rate": 0.15}, 8.0),  # 7.5 rounds to the even 8
    ({"ask": "selected", "length": 3, "rate": 0.15}, 1.0),  # 0.45 rounds to 0: the minimum of 1
    ({"ask": "selected", "length": 512, "rate": 0.15}, 77.0),  # BERT's maximum length: 76.8
    ({"ask": "selected", "length": 150, "rate": 0.07}, 10.0),  # exactly 10.5 (10.500000000000002 in floats)
    ({"ask": "selected", "length": 90, "rate": 0.35}, 32.0),  # exactly 31.5 (31.499999999999996 in floats)
    ({"ask": "split", "length": 20, "rate": 0.15}, [2.4, 0.3, 0.3]),
    ({"ask": "split", "length": 4, "rate": 0.15}, [0.8, 0.1, 0.1]),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(checkers.masked_modelling.solve(inputs).value, answer)


def test_draws_are_fair() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] == "labels":
            tokens, sel = inputs["tokens"], inputs["selected"]
            assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and all(0 < p < len(tokens) - 1 for p in sel)
            changed = [p for p in sel if inputs["corrupted"][p] != inputs["original"][p]]
            assert inputs["mask_id"] in inputs["corrupted"] and len(changed) < len(sel)  # a [MASK] and an unchanged one
            assert all(p in sel for p, (o, c) in enumerate(zip(inputs["original"], inputs["corrupted"])) if o != c)
        else:
            assert 0.05 <= inputs["rate"] <= 0.5 and 3 <= inputs["length"] <= 512


def test_comparisons_check_the_shape_before_the_values() -> None:
    """np.allclose broadcasts: a one-entry vector would match every entry of a longer key."""
    assert not agree([0.5], [0.5, 0.5]) and not agree([[1.0, 2.0]], [1.0, 2.0]) and agree([0.5, 0.5], [0.5, 0.5])
