"""solve_many of the attention and simclr checkers gives what solve gives, problem by problem.

Floats may differ in the last ulp (a batched kernel may sum in another order), so every float must
agree with solve's to 1e-12 relative (1e-15 absolute); everything else (answer kinds, step labels,
shapes, notes, misconception names and descriptions, their order, the "-inf" texts) must be equal.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from types import ModuleType
from typing import Any, Callable

import pytest

import checkers.attention
import checkers.simclr
from checkers.solution import Solution
from quizgen.concepts import load_concepts
from quizgen.generators import attention, simclr
from quizgen.params import resolve

REL, ABS = 1e-12, 1e-15
N_SEEDS = 2400  # per family: half from the configs below, half from the concept templates

ATTENTION_CONFIGS: list[dict[str, Any]] = [
    {"ask": list(attention.ASKS)},
    {"ask": ["scores", "weights", "output"]},
    {"ask": ["weights", "output"], "causal": True},
    {
        "ask": ["scores", "weights", "output"],
        "queries": [1, 5],
        "keys": [1, 5],
        "d_k": [1, 16],
        "d_v": [1, 6],
        "values": [-3, 3],
    },
    {"ask": ["weights", "output"], "causal": True, "queries": [1, 5], "d_k": [1, 8], "values": [-9, 9]},
    {"ask": ["weights", "output"], "queries": 1, "keys": [1, 2], "d_k": [1, 2], "d_v": 1},
    {"ask": ["scale", "variance"], "d_k": [1, 512], "sigma2": [0.1, 100]},
]
SIMCLR_CONFIGS: list[dict[str, Any]] = [
    {"ask": list(simclr.ASKS)},
    {"ask": ["loss", "anchor"], "pairs": [1, 4], "dim": [1, 6], "values": [-3, 3], "temperature": [0.05, 10]},
    {"ask": ["loss"], "pairs": 3, "dim": 2, "temperature": 0.1},
    {"ask": ["anchor"], "pairs": [2, 4], "dim": [2, 4], "temperature": [0.5, 2]},
    {"ask": ["loss", "anchor"], "pairs": [2, 4], "dim": [3, 6], "values": [-9, 9], "temperature": [0.05, 1]},
    {"ask": ["loss", "anchor"], "pairs": 1, "dim": [1, 3], "temperature": [0.5, 2]},
    {"ask": ["loss", "anchor", "similarity"], "temperature": 1.0},
    {"ask": ["similarity"], "pairs": [1, 4], "dim": [1, 6], "values": [-5, 5]},
]
FAMILIES: dict[str, tuple[ModuleType, ModuleType, list[dict[str, Any]]]] = {
    "attention": (checkers.attention, attention, ATTENTION_CONFIGS),
    "simclr": (checkers.simclr, simclr, SIMCLR_CONFIGS),
}
TEMPLATES = {
    family: [t for c in load_concepts("concepts") for t in c.problems if t.generator == family]
    for family in FAMILIES
}


def _draw_all(family: str) -> list[dict[str, Any]]:
    _, gen, configs = FAMILIES[family]
    templates = TEMPLATES[family]
    assert templates, family
    out = []
    for seed in range(N_SEEDS):
        if seed % 2:
            params = templates[(seed // 2) % len(templates)].resolved_params()
        else:
            params = resolve(gen.PARAMS, configs[(seed // 2) % len(configs)])
        out.append(gen.draw(params, random.Random(seed)))
    return out


INPUTS = {family: _draw_all(family) for family in FAMILIES}
EXPECTED = {family: [FAMILIES[family][0].solve(x) for x in INPUTS[family]] for family in FAMILIES}

# Non-integer entries, where the order of a sum can change the last bit, and small edge shapes.
HAND_INPUTS: dict[str, list[dict[str, Any]]] = {
    "attention": [
        {"ask": ask, "Q": q, "K": k, "V": v, "causal": causal}
        for ask in ("scores", "weights", "output")
        for causal in (False, True)
        for q, k, v in [
            ([[0.1, -0.7, 1.3], [2.9, 0.3, -1.1]], [[0.3, 0.6, -0.2], [1.7, -0.9, 0.4]], [[0.5], [-1.5]]),
            ([[0.1, -0.7, 1.3], [2.9, 0.3, -1.1]], [[1.1, 0.2, 0.3], [-0.4, 0.5, 2.6]], [[0.7], [0.2]]),
            ([[0.3]], [[0.7]], [[1.9, -0.1]]),
            ([[1.5, 0.25]], [[0.1, 0.2]], [[1.0]]),
        ]
        if not causal or len(q) == len(k)
    ],
    "simclr": [
        {"ask": "loss", "z": [[0.1, 0.7], [1.3, -0.4], [0.6, 0.8], [-2.1, 0.9]], "temperature": 0.3},
        {"ask": "loss", "z": [[0.3, 0.1], [0.2, 1.9], [0.6, 0.8], [-0.1, 0.9]], "temperature": 0.7},
        {"ask": "loss", "z": [[0.6, 0.8], [0.8, -0.6]], "temperature": 1},
        {"ask": "anchor", "z": [[0.1, 0.7], [1.3, -0.4], [0.6, 0.8], [-2.1, 0.9]], "temperature": 0.3, "anchor": 2},
        {"ask": "anchor", "z": [[0.3, 0.1], [0.2, 1.9], [0.6, 0.8], [-0.1, 0.9]], "temperature": 2, "anchor": 1},
        {"ask": "similarity", "z": [[0.1, 0.7], [1.3, -0.4], [0.6, 0.8], [-2.1, 0.9]], "pair": [3, 0]},
        {"ask": "similarity", "z": [[0.3, 0.1], [0.2, 1.9], [0.6, 0.8], [-0.1, 0.9]], "pair": [2, 1]},
    ],
}


# ---------------------------------------------------------------- comparison


def _same_value(a: Any, b: Any, where: str) -> None:
    if isinstance(a, float) and isinstance(b, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return
        assert abs(a - b) <= max(ABS, REL * max(abs(a), abs(b))), (where, a, b)
        return
    assert type(a) is type(b), (where, a, b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            _same_value(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def assert_same(got: Solution, want: Solution, where: Any = "") -> None:
    assert type(got) is Solution, where
    assert got.answer.kind == want.answer.kind, where
    _same_value(got.answer.value, want.answer.value, f"{where} answer")
    assert len(got.steps) == len(want.steps), (where, got.steps, want.steps)
    for i, (g, w) in enumerate(zip(got.steps, want.steps)):
        assert (g.label, g.shape, g.note) == (w.label, w.shape, w.note), (where, i, g, w)
        _same_value(g.value, w.value, f"{where} step {i} {w.label}")
    assert [(m.name, m.description) for m in got.misconceptions] == [
        (m.name, m.description) for m in want.misconceptions
    ], where
    for g, w in zip(got.misconceptions, want.misconceptions):
        _same_value(g.value, w.value, f"{where} misconception {w.name}")


def _check_all(family: str, inputs: list[dict[str, Any]], expected: list[Solution]) -> None:
    got = FAMILIES[family][0].solve_many(inputs)
    assert type(got) is list and len(got) == len(inputs)
    for i, (g, w) in enumerate(zip(got, expected)):
        assert_same(g, w, (family, i, inputs[i]))


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("family", FAMILIES)
def test_inputs_mix_every_ask_and_template(family: str) -> None:
    module, gen, _ = FAMILIES[family]
    asks = Counter(x["ask"] for x in INPUTS[family])
    assert set(asks) == set(gen.ASKS) and min(asks.values()) >= 100, asks
    assert len(INPUTS[family]) >= 2000
    if family == "attention":
        assert sum(1 for x in INPUTS[family] if x.get("causal")) >= 300
        assert any(len(x["K"]) == 1 for x in INPUTS[family] if "K" in x)
        assert any(len(x["Q"][0]) == 1 for x in INPUTS[family] if "Q" in x)
    else:
        assert any(len(x["z"]) == 2 for x in INPUTS[family])
        assert any(x.get("temperature") == 1.0 for x in INPUTS[family])


@pytest.mark.parametrize("family", FAMILIES)
def test_solve_many_matches_solve_in_input_order(family: str) -> None:
    _check_all(family, INPUTS[family], EXPECTED[family])


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("seed", range(3))
def test_interleaved_groups_come_back_in_input_order(family: str, seed: int) -> None:
    order = list(range(len(INPUTS[family])))
    random.Random(seed).shuffle(order)
    order = order[: 300 + 700 * seed]
    _check_all(family, [INPUTS[family][i] for i in order], [EXPECTED[family][i] for i in order])


@pytest.mark.parametrize("family", FAMILIES)
def test_repeated_inputs_and_large_groups(family: str) -> None:
    # Every problem three times over, in a pattern that interleaves every group with the others;
    # the groups are then larger than one stacked batch.
    inputs = INPUTS[family][:900] * 3
    expected = EXPECTED[family][:900] * 3
    _check_all(family, inputs, expected)


@pytest.mark.parametrize("family", FAMILIES)
def test_hand_inputs_with_decimals_and_edge_shapes(family: str) -> None:
    solve = FAMILIES[family][0].solve
    inputs = HAND_INPUTS[family] * 2 + INPUTS[family][:50]
    _check_all(family, inputs, [solve(x) for x in inputs])


@pytest.mark.parametrize("family", FAMILIES)
def test_empty_and_single(family: str) -> None:
    module = FAMILIES[family][0]
    assert module.solve_many([]) == []
    assert module.solve_many(()) == []
    for i in range(0, 60, 7):
        got = module.solve_many([INPUTS[family][i]])
        assert len(got) == 1
        assert_same(got[0], EXPECTED[family][i], i)
    # A tuple is a sequence too.
    got = module.solve_many(tuple(INPUTS[family][:20]))
    for i, g in enumerate(got):
        assert_same(g, EXPECTED[family][i], i)


@pytest.mark.parametrize("family", FAMILIES)
def test_inputs_are_not_modified(family: str) -> None:
    import copy

    inputs = INPUTS[family][:200]
    before = copy.deepcopy(inputs)
    FAMILIES[family][0].solve_many(inputs)
    assert inputs == before


@pytest.mark.parametrize("family", FAMILIES)
def test_matrix_problems_are_batched(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only scalar asks and groups of one go through solve; everything else is stacked."""
    module = FAMILIES[family][0]
    calls: list[dict[str, Any]] = []
    real = module.solve

    def counting(inputs: dict[str, Any]) -> Solution:
        calls.append(inputs)
        return real(inputs)

    monkeypatch.setattr(module, "solve", counting)
    inputs = INPUTS[family]
    module.solve_many(inputs)
    sizes = Counter(module._group_key(x) for x in inputs)
    expected_calls = sizes.pop(None, 0) + sum(1 for size in sizes.values() if size == 1)
    assert len(calls) == expected_calls
    if family == "attention":
        assert all(x["ask"] in ("scale", "variance") or sizes[module._group_key(x)] == 1 for x in calls)
    assert len(calls) < len(inputs) / 2


INVALID: dict[str, list[dict[str, Any]]] = {
    "attention": [
        {"ask": "attention", "Q": [[1]], "K": [[1]], "V": [[1]]},
        {"ask": "weights", "Q": [[1, 0]], "K": [[1, 0, 0]], "V": [[1]], "causal": False},
        {"ask": "weights", "Q": [[1, 0], [0, 1]], "K": [[1, 0], [1]], "V": [[1], [2]], "causal": False},
        {"ask": "output", "Q": [[1, 0], [0, 1]], "K": [[1, 0], [0, 1]], "V": [[1], [2, 3]], "causal": False},
        {"ask": "weights", "Q": [[1, 0]], "K": [[1, 0], [0, 1]], "V": [[1], [2]], "causal": True},
        {"ask": "scores", "Q": [[1, "x"]], "K": [[1, 0]], "V": [[1]], "causal": False},
        {"ask": "scale", "d_k": 0},
    ],
    "simclr": [
        {"ask": "nt-xent", "z": [[1, 0], [0, 1]], "temperature": 1.0},
        {"ask": "loss", "z": [[1, 0], [0, 1], [1, 1]], "temperature": 1.0},
        {"ask": "loss", "z": [[1, 0], [0, 0]], "temperature": 1.0},
        {"ask": "loss", "z": [[1, 0], [0, 1]], "temperature": 0},
        {"ask": "loss", "z": [[1, 0], [0, 1, 2]], "temperature": 1.0},
        {"ask": "anchor", "z": [[1, 0], [0, 1]], "temperature": 1.0, "anchor": 2},
        {"ask": "similarity", "z": [[1, 0], [0, 1]], "pair": [1, 1]},
    ],
}


def _error_of(call: Callable[[], Any]) -> str:
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("family", FAMILIES)
def test_invalid_inputs_raise_what_solve_raises_first(family: str) -> None:
    module = FAMILIES[family][0]
    valid = INPUTS[family][:40]
    for bad in INVALID[family]:
        expected = _error_of(lambda: module.solve(bad))
        # Alone, at the end of a batch, and before another bad input of another group.
        assert _error_of(lambda: module.solve_many([bad])) == expected
        assert _error_of(lambda: module.solve_many(valid + [bad])) == expected
        other = INVALID[family][0] if bad is not INVALID[family][0] else INVALID[family][1]
        assert _error_of(lambda: module.solve_many(valid[:10] + [bad] + valid + [other, bad])) == expected
