"""Tests of the fine-tuning family: generator, and checker against counts by formula and against a
real optimizer."""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch
from conftest import solver

from quizgen.core.params import resolve
from quizgen.generators import fine_tuning
from quizgen.judge import format_value

solve = solver("fine-tuning")


# ---------------------------------------------------------------- independent reference


def _trainable_layers(inputs: dict[str, Any]) -> list[int]:
    """Layer numbers that train (1..n hidden, n + 1 the head), from the problem's words."""
    n = len(inputs["widths"]) - 1
    ask = inputs["ask"]
    if ask == "total":
        return list(range(1, n + 2))
    if ask == "linear-probe":
        return [n + 1]
    if ask == "frozen":
        return [i for i in range(1, n + 2) if i not in inputs["frozen"]]
    return list(range(n + 1 - inputs["stage"], n + 2))


def _sizes(inputs: dict[str, Any]) -> list[tuple[int, int]]:
    s = [*inputs["widths"], inputs["classes"]]
    return [(s[i], s[i + 1]) for i in range(len(s) - 1)]


def reference(inputs: dict[str, Any]) -> int:
    """i·o weights plus o biases for every layer that trains."""
    sizes = _sizes(inputs)
    return sum(sizes[k - 1][0] * sizes[k - 1][1] + sizes[k - 1][1] for k in _trainable_layers(inputs))


def mistakes(inputs: dict[str, Any]) -> dict[str, int]:
    sizes = _sizes(inputs)
    trains = _trainable_layers(inputs)
    head = len(sizes)
    return {
        "biases-forgotten": sum(sizes[k - 1][0] * sizes[k - 1][1] for k in trains),
        "frozen-counted": sum(i * o + o for i, o in sizes),
        "head-left-out": reference(inputs) - (sizes[-1][0] * sizes[-1][1] + sizes[-1][1] if head in trains else 0),
    }


def _optimizer_updates(inputs: dict[str, Any]) -> int:
    """Entries a real SGD step changes, on a small real model (a different torch path)."""
    sizes = _sizes(inputs)
    layers = [torch.nn.Linear(i, o) for i, o in sizes]
    trains = set(_trainable_layers(inputs))
    for k, layer in enumerate(layers, start=1):
        layer.requires_grad_(k in trains)
    params = [p for layer in layers for p in layer.parameters()]
    before = [p.detach().clone() for p in params]
    x = torch.randn(3, sizes[0][0], generator=torch.Generator().manual_seed(0))
    out = x
    for layer in layers[:-1]:
        out = torch.tanh(layer(out))  # tanh: no dead units, every trainable entry gets a gradient
    layers[-1](out).square().sum().backward()
    torch.optim.SGD([p for p in params if p.requires_grad], lr=1.0).step()
    return sum(int((p.detach() != b).sum()) for p, b in zip(params, before))


# ---------------------------------------------------------------- variants

CONFIGS: dict[str, list[dict[str, Any]]] = {
    "total": [{}, {"depth": [1, 12], "width": [1, 5000], "classes": [1, 1000]}, {"depth": 1, "width": 1, "classes": 1}],
    "linear-probe": [{}, {"depth": [1, 12], "width": [1, 5000], "classes": [1, 1000]}, {"depth": 1, "width": 1, "classes": 1}],
    "frozen": [{}, {"depth": [2, 12], "width": [1, 5000], "classes": [1, 1000]}, {"depth": 2, "width": 1, "classes": 1}],
    "progressive": [{}, {"depth": [2, 12], "width": [1, 5000], "classes": [1, 1000]}, {"depth": 2, "width": 1, "classes": 1}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    return fine_tuning.draw(resolve(fine_tuning.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in fine_tuning.ASKS for seed in range(N_PER_ASK)]


@pytest.mark.parametrize("ask", fine_tuning.ASKS)
def test_answer_matches_the_formula(ask: str) -> None:
    wrong = [(i, v) for i in VARIANTS if i["ask"] == ask and (v := solve(i).answer.value) != reference(i)]
    assert wrong == [], wrong[:3]


@pytest.mark.parametrize("ask", fine_tuning.ASKS)
def test_answer_is_what_a_real_optimizer_updates(ask: str) -> None:
    """Every ask (total, linear probe, frozen layers, progressive unfreezing) through a real SGD
    step, on variants taken across its seeds and configs, not the first ones listed."""
    small = [i for i in VARIANTS if i["ask"] == ask and max(*i["widths"], i["classes"]) <= 128]
    assert len(small) >= 100, ask
    for inputs in small[:: len(small) // 75]:
        assert solve(inputs).answer.value == _optimizer_updates(inputs), inputs


def test_each_listed_mistake_is_the_mistake_it_names_and_only_where_it_applies() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        expected = mistakes(inputs)
        for m in sol.misconceptions:
            assert m.value == expected[m.name], (inputs, m.name)
        names = {m.name for m in sol.misconceptions}
        assert "biases-forgotten" in names
        assert ("frozen-counted" in names) == (inputs["ask"] != "total")
        assert ("head-left-out" in names) == (inputs["ask"] != "linear-probe")


KNOWN = [
    ({"ask": "total", "widths": [4, 3], "classes": 2}, 4 * 3 + 3 + 3 * 2 + 2),
    ({"ask": "linear-probe", "widths": [784, 128], "classes": 10}, 1290),
    ({"ask": "frozen", "widths": [10, 10, 10], "classes": 1, "frozen": [1]}, 110 + 11),
    ({"ask": "progressive", "widths": [8, 4, 2], "classes": 1, "stage": 1}, 4 * 2 + 2 + 3),
    # One-unit layers: every count is tiny and the biases are half of everything.
    ({"ask": "total", "widths": [1, 1], "classes": 1}, 4),
    ({"ask": "progressive", "widths": [1, 1, 1], "classes": 1, "stage": 1}, 4),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: int) -> None:
    assert solve(inputs).answer.value == answer


def test_counts_are_shown_exactly() -> None:
    assert format_value("number", 2169860.0) == "2169860"
    assert format_value("number", 0.4372123) == "0.437212"


def test_draws_respect_params() -> None:
    for inputs in VARIANTS:
        n = len(inputs["widths"]) - 1
        assert 1 <= n <= 12 and all(1 <= w <= 5000 for w in inputs["widths"])
        if inputs["ask"] == "frozen":
            assert 1 <= len(inputs["frozen"]) < n and all(1 <= i <= n for i in inputs["frozen"])
            assert inputs["frozen"] == sorted(set(inputs["frozen"]))
        if inputs["ask"] == "progressive":
            assert 1 <= inputs["stage"] < n
    # With the default width range every width is one of the sizes people use.
    defaults = [_inputs(ask, seed) for ask in fine_tuning.ASKS for seed in range(0, 300, 3)]
    assert all(w in fine_tuning.WIDTH_GRID for i in defaults for w in i["widths"])


def test_describe_is_the_code_that_builds_the_model() -> None:
    text = fine_tuning.describe({"ask": "frozen", "widths": [8, 4, 2], "classes": 3, "frozen": [1, 2]})
    assert "nn.Linear(8, 4), nn.ReLU(),   # layer 1" in text and "nn.Linear(2, 3),   # head" in text
    assert "layers 1, 2" in text
    assert "stage 2" in fine_tuning.describe({"ask": "progressive", "widths": [8, 4, 2], "classes": 3, "stage": 2})


def test_check_params() -> None:
    assert fine_tuning.check_params(resolve(fine_tuning.PARAMS, {"ask": "frozen"})) == []
    assert [p[0] for p in fine_tuning.check_params(resolve(fine_tuning.PARAMS, {"ask": "frozen", "depth": 1}))] == ["depth"]
