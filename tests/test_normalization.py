"""Tests of the normalization family: generator, and checker against plain numpy formulas."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from conftest import CONCEPTS, agree, solver

from quizgen import generators
from quizgen.core.answer import Tolerance
from quizgen.core.concepts import load_concepts
from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.generators import normalization

EPS = 1e-5


solve = solver("normalization")


# ---------------------------------------------------------------- independent reference


def _stats(ask: str, inputs: dict[str, Any], ddof: int = 0, axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(inputs["x"], dtype=float)
    if ask == "batchnorm-eval" and axis is None:
        return np.array(inputs["running_mean"], dtype=float), np.array(inputs["running_var"], dtype=float)
    axis = (1 if ask == "layernorm" else 0) if axis is None else axis
    return x.mean(axis=axis, keepdims=True), x.var(axis=axis, ddof=ddof, keepdims=True)


def _output(inputs: dict[str, Any], mean: np.ndarray, var: np.ndarray, affine: bool = True, root: bool = True) -> np.ndarray:
    x = np.array(inputs["x"], dtype=float)
    scale = np.sqrt(var + EPS) if root else var + EPS
    xhat = (x - mean) / scale
    return np.array(inputs["gamma"], dtype=float) * xhat + np.array(inputs["beta"], dtype=float) if affine else xhat


def _running(inputs: dict[str, Any], reversed_momentum: bool = False, ddof: int = 1) -> float:
    m = inputs["momentum"]
    value = 0.0 if inputs["ask"] == "running-mean" else 1.0
    for batch in inputs["batches"]:
        a = np.array(batch, dtype=float)
        stat = a.mean() if inputs["ask"] == "running-mean" else a.var(ddof=ddof)
        value = m * value + (1 - m) * stat if reversed_momentum else (1 - m) * value + m * stat
    return float(value)


def reference(inputs: dict[str, Any]) -> Any:
    """The answer from the textbook formulas in numpy (no torch); for the formula, real modules'
    parameter counts at a few sizes."""
    ask = inputs["ask"]
    if ask == "parameters-formula":
        return _formula_cases(inputs["layer"])
    if ask == "parameters":
        return 2 * math.prod(inputs["shape"])  # γ and β, each of the normalised shape
    if ask.startswith("running"):
        return _running(inputs)
    return _output(inputs, *_stats(ask, inputs))


def _learnable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _formula_cases(layer: str) -> list[tuple[dict[str, int], int]]:
    if layer == "batchnorm":
        return [({"C": c}, _learnable(torch.nn.BatchNorm1d(c, device="meta"))) for c in (1, 3, 64)]
    return [({"L": n, "D": d}, _learnable(torch.nn.LayerNorm([n, d], device="meta"))) for n, d in ((2, 3), (5, 7), (1, 4))]


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake of these inputs, recomputed independently (whether or not it applies)."""
    ask = inputs["ask"]
    if ask == "parameters-formula":  # real modules' counts at a few sizes, changed as the mistake does
        if inputs["layer"] == "batchnorm":
            bns = {c: torch.nn.BatchNorm1d(c, device="meta") for c in (1, 3, 64)}
            return {
                "gamma-only": [({"C": c}, bn.weight.numel()) for c, bn in bns.items()],
                "buffers-counted": [({"C": c}, _learnable(bn) + bn.running_mean.numel() + bn.running_var.numel()) for c, bn in bns.items()],
            }
        sizes = ((2, 3), (5, 7), (1, 4))
        return {
            "gamma-only": [({"L": n, "D": d}, torch.nn.LayerNorm([n, d], device="meta").weight.numel()) for n, d in sizes],
            "last-dim-only": [({"L": n, "D": d}, _learnable(torch.nn.LayerNorm(d, device="meta"))) for n, d in sizes],
        }
    if ask == "parameters":
        shape = inputs["shape"]
        return {"gamma-only": math.prod(shape), "buffers-counted": 4 * shape[0], "last-dim-only": 2 * shape[-1]}
    if ask.startswith("running"):
        m = inputs["batches"]
        return {
            "momentum-reversed": _running(inputs, reversed_momentum=True),
            "cumulative-average": float(np.mean([np.mean(b) for b in m])),
            "biased-running-var": _running(inputs, ddof=0),
        }
    batch_axis = 1 if ask == "layernorm" else 0
    return {
        "unbiased-variance": _output(inputs, *_stats(ask, inputs, ddof=1)),
        "normalised-per-sample": _output(inputs, *_stats(ask, inputs, axis=1)),
        "normalised-over-batch": _output(inputs, *_stats(ask, inputs, axis=0)),
        "batch-stats-at-eval": _output(inputs, *_stats(ask, inputs, axis=0)),
        "variance-not-rooted": _output(inputs, *_stats(ask, inputs), root=False),
        "affine-skipped": _output(inputs, *_stats(ask, inputs, axis=None if ask == "batchnorm-eval" else batch_axis), affine=False),
    }


# ---------------------------------------------------------------- variants

NUMERIC_ASKS = tuple(a for a in normalization.ASKS if a != "parameters-formula")  # the formula: tested at the end
# Each ask's variants cycle through its configs: the defaults, wide ranges and the smallest cases.
CONFIGS: dict[str, list[dict[str, Any]]] = {
    "batchnorm-train": [{}, {"batch": [2, 8], "features": [1, 6], "values": [-20, 20], "gamma": [-5, 5], "beta": [-5, 5]}, {"batch": 2, "features": 1, "values": [0, 1]}],
    "batchnorm-eval": [{}, {"batch": [2, 8], "features": [1, 6], "values": [-20, 20], "running_var": [1, 100]}, {"batch": 2, "features": 1, "values": [0, 1], "running_var": 1}],
    "running-mean": [{}, {"batch": [2, 8], "steps": [1, 6], "momentum": [0.01, 1.0], "values": [-20, 20]}, {"batch": 2, "steps": 1, "values": [0, 1]}],
    "running-var": [{}, {"batch": [2, 8], "steps": [1, 6], "momentum": [0.01, 1.0], "values": [-20, 20]}, {"batch": 2, "steps": 1, "values": [0, 1]}],
    "layernorm": [{}, {"batch": [2, 8], "features": [2, 6], "values": [-20, 20], "gamma": [-5, 5], "beta": [-5, 5]}, {"batch": 2, "features": 2, "values": [0, 1]}],
    "parameters": [{}, {"width": [1, 100_000], "length": [2, 100_000]}, {"width": 1, "length": 2}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    params = resolve(normalization.PARAMS, {"ask": ask, **configs[seed % len(configs)]})
    return normalization.draw(params, random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in NUMERIC_ASKS for seed in range(N_PER_ASK)]


def test_each_listed_mistake_is_the_mistake_it_names() -> None:
    seen: set[str] = set()
    for inputs in VARIANTS:
        expected = mistakes(inputs)
        for m in solve(inputs).misconceptions:
            seen.add(m.name)
            assert agree(m.value, expected[m.name]), (inputs, m.name, m.value, expected[m.name])
    assert seen == set(mistakes(VARIANTS[0])) | set(mistakes(_inputs("parameters", 0))) | {
        "momentum-reversed", "cumulative-average", "biased-running-var"
    }


def test_mistakes_are_listed_only_where_they_apply() -> None:
    for inputs in VARIANTS:
        names = {m.name for m in solve(inputs).misconceptions}
        ask = inputs["ask"]
        if ask == "parameters":
            assert ("buffers-counted" in names) == (inputs["layer"] == "batchnorm")
            assert ("last-dim-only" in names) == (len(inputs["shape"]) == 2)
        elif ask.startswith("running"):
            assert ("momentum-reversed" in names) == (inputs["momentum"] != 0.5)
        else:
            affine = any(g != 1 for g in inputs["gamma"]) or any(b != 0 for b in inputs["beta"])
            assert ("affine-skipped" in names) == affine
            if ask == "batchnorm-eval":
                assert ("variance-not-rooted" in names) == any(v != 1 for v in inputs["running_var"])
            if ask == "batchnorm-train":
                assert ("normalised-per-sample" in names) == (len(inputs["x"][0]) > 1)


# ---------------------------------------------------------------- known values


KNOWN = [
    # LayerNorm of one row [1, 3]: mean 2, biased variance 1.
    ({"ask": "layernorm", "x": [[1, 3]], "gamma": [1, 1], "beta": [0, 0]}, [[-1 / math.sqrt(1 + EPS), 1 / math.sqrt(1 + EPS)]]),
    # BatchNorm in training: one column [0, 2], mean 1, biased variance 1; γ = 2, β = 1.
    ({"ask": "batchnorm-train", "x": [[0], [2]], "gamma": [2], "beta": [1]}, [[1 - 2 / math.sqrt(1 + EPS)], [1 + 2 / math.sqrt(1 + EPS)]]),
    # Eval mode with the default running statistics (0, 1) is nearly the identity.
    ({"ask": "batchnorm-eval", "x": [[3], [4]], "gamma": [1], "beta": [0], "running_mean": [0], "running_var": [1]},
     [[3 / math.sqrt(1 + EPS)], [4 / math.sqrt(1 + EPS)]]),
    # A constant column in eval mode is just shifted and scaled by the running statistics.
    ({"ask": "batchnorm-eval", "x": [[5], [5]], "gamma": [1], "beta": [0], "running_mean": [1], "running_var": [4]},
     [[4 / math.sqrt(4 + EPS)], [4 / math.sqrt(4 + EPS)]]),
    ({"ask": "running-mean", "batches": [[2, 4]], "momentum": 0.1}, 0.3),
    ({"ask": "running-mean", "batches": [[2, 4], [0, 0]], "momentum": 0.5}, 0.75),
    # Unbiased variance of [1, 3] is 2: 0.9 · 1 + 0.1 · 2.
    ({"ask": "running-var", "batches": [[1, 3]], "momentum": 0.1}, 1.1),
    # A constant batch has variance 0: the running variance only decays.
    ({"ask": "running-var", "batches": [[7, 7, 7]], "momentum": 0.25}, 0.75),
    ({"ask": "parameters", "layer": "batchnorm", "shape": [64]}, 128),
    ({"ask": "parameters", "layer": "layernorm", "shape": [768]}, 1536),
    ({"ask": "parameters", "layer": "layernorm", "shape": [4, 8]}, 64),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(solve(inputs).answer.value, answer)


def test_solutions_count_in_the_prompts_letters() -> None:
    """The variance step and the unbiased-variance mistake divide by the letter the prompt uses:
    D (features) for LayerNorm, B (samples) for BatchNorm in training."""
    concept = next(c for c in load_concepts(CONCEPTS) if c.id == "normalization")
    prompts = {t.params["ask"]: t.prompt for t in concept.templates}
    checked = set()
    for inputs in VARIANTS:
        ask = inputs["ask"]
        if ask not in ("layernorm", "batchnorm-train"):
            continue
        letter = "D" if ask == "layernorm" else "B"
        assert f"divide by {letter})" in prompts[ask]
        sol = solve(inputs)
        assert sol.steps[1].label == f"variance σ² (biased: divide by {letter})"
        unbiased = next(m for m in sol.misconceptions if m.name == "unbiased-variance")
        assert f"divide by {letter} − 1" in unbiased.description and " n " not in unbiased.description
        checked.add(ask)
    assert checked == {"layernorm", "batchnorm-train"}


def test_torch_conventions_the_prompts_state() -> None:
    """What the prompts tell the learner is what torch does."""
    bn = torch.nn.BatchNorm1d(1)
    assert bn.eps == EPS and bn.momentum == 0.1
    assert bn.running_mean.item() == 0.0 and bn.running_var.item() == 1.0
    with pytest.raises(ValueError):
        bn(torch.zeros(1, 1))  # a batch of one sample in training mode
    assert torch.nn.LayerNorm(4).eps == EPS


# ---------------------------------------------------------------- the generator


@pytest.mark.parametrize("ask", NUMERIC_ASKS)
def test_same_seed_same_inputs(ask: str) -> None:
    assert [_inputs(ask, s) for s in range(20)] == [_inputs(ask, s) for s in range(20)]
    assert len({json.dumps(_inputs(ask, s)) for s in range(20)}) > 10


def test_draws_respect_params_and_avoid_degenerate_batches() -> None:
    for inputs in VARIANTS:
        ask = inputs["ask"]
        if ask == "parameters":
            assert inputs["layer"] == "batchnorm" or len(inputs["shape"]) in (1, 2)
            continue
        if ask.startswith("running"):
            assert 1 <= len(inputs["batches"]) <= 6 and all(2 <= len(b) <= 8 for b in inputs["batches"])
            assert inputs["momentum"] in normalization.MOMENTUM_GRID
            if ask == "running-var":
                assert any(len(set(b)) > 1 for b in inputs["batches"])
            continue
        x = inputs["x"]
        assert 2 <= len(x) <= 8 and all(len(row) == len(x[0]) for row in x)
        assert len(inputs["gamma"]) == len(inputs["beta"]) == len(x[0])
        assert any(g != 1 for g in inputs["gamma"]) or any(inputs["beta"]), inputs  # the affine step shows
        if ask == "layernorm":
            assert len(x[0]) >= 2 and all(len(set(row)) > 1 for row in x)
        if ask == "batchnorm-train":
            assert all(len({row[j] for row in x}) > 1 for j in range(len(x[0])))
        if ask == "batchnorm-eval":
            assert all(v >= 1 for v in inputs["running_var"])


def test_two_values_and_momentum_one_half_only_when_nothing_else_fits() -> None:
    """Normalising two values gives ±1 whatever they are, and m = 0.5 makes the reversed update
    the key: drawn only when the range leaves nothing else."""
    for seed in range(200):
        def draw(given: dict[str, Any], seed: int = seed) -> dict[str, Any]:
            return normalization.draw(resolve(normalization.PARAMS, given), random.Random(seed))

        assert len(draw({"ask": "layernorm", "features": [2, 6]})["x"][0]) >= 3
        assert len(draw({"ask": "batchnorm-train", "batch": [2, 8]})["x"]) >= 3
        assert draw({"ask": "running-mean", "momentum": [0.1, 0.9]})["momentum"] != 0.5
        assert len(draw({"ask": "layernorm", "features": 2})["x"][0]) == 2
        assert draw({"ask": "running-var", "momentum": 0.5})["momentum"] == 0.5


def test_inputs_survive_json_and_describe_shows_them() -> None:
    for inputs in VARIANTS[::50]:
        text = normalization.describe(inputs)
        if "x" in inputs:
            assert "ε = 1e-05" in text and "γ = " in text
        elif "batches" in inputs:
            assert f"momentum m = {inputs['momentum']}" in text and "running_var at 1" in text
        else:
            assert text.startswith("nn.BatchNorm1d(" if inputs["layer"] == "batchnorm" else "nn.LayerNorm(")


def test_expected_answer_kinds() -> None:
    for inputs in VARIANTS[::37]:
        answer = solve(inputs).answer
        declared = generators.expected("normalization", inputs)
        assert answer.kind == declared.kind
        if answer.kind == "matrix":
            assert (len(answer.value), len(answer.value[0])) == (len(inputs["x"]), len(inputs["x"][0]))


def test_check_params() -> None:
    ok = resolve(normalization.PARAMS, {"ask": "layernorm"})
    assert normalization.check_params(ok) == []
    bad = normalization.check_params(resolve(normalization.PARAMS, {"ask": "layernorm", "features": 1, "values": 2}))
    assert sorted(p[0] for p in bad) == ["features", "values"]
    with pytest.raises(GenerationError, match="values"):
        normalization.draw(resolve(normalization.PARAMS, {"ask": "batchnorm-train", "values": 0}), random.Random(0))


def test_parameter_counts_need_no_memory() -> None:
    """A LayerNorm of 100,000 × 100,000 is counted, not allocated."""
    sol = solve({"ask": "parameters", "layer": "layernorm", "shape": [100_000, 100_000]})
    assert sol.answer.value == 2e10


def test_generator_never_imports_torch() -> None:
    code = "import sys, random; from quizgen.generators import normalization as g; from quizgen.core.params import resolve; " \
        "g.draw(resolve(g.PARAMS, {'ask': 'layernorm'}), random.Random(0)); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_tolerance_of_counts_is_exact() -> None:
    concept = next(c for c in load_concepts(CONCEPTS) if c.id == "normalization")
    assert concept.template("parameter-count").tolerance == Tolerance(0.0, 0.5)


@pytest.mark.parametrize("layer", ["batchnorm", "layernorm"])
def test_parameter_formula_and_its_mistakes_against_real_modules(layer: str) -> None:
    from conftest import formula_agrees

    inputs = {"ask": "parameters-formula", "layer": layer, "symbols": normalization.FORMULA_SYMBOLS[layer]}
    sol = solve(inputs)
    assert sol.answer.kind == "formula" and formula_agrees(sol.answer.value, reference(inputs))
    names = {m.name: m.value for m in sol.misconceptions}
    assert set(names) == set(mistakes(inputs))
    assert all(formula_agrees(names[n], cases) for n, cases in mistakes(inputs).items())
    if layer == "batchnorm":
        bn = torch.nn.BatchNorm1d(5, device="meta")
        assert formula_agrees(names["gamma-only"], [({"C": 5}, bn.weight.numel())])
        assert formula_agrees(names["buffers-counted"], [({"C": 5}, _learnable(bn) + bn.running_mean.numel() + bn.running_var.numel())])
    else:
        ln = torch.nn.LayerNorm([3, 4], device="meta")
        assert formula_agrees(names["gamma-only"], [({"L": 3, "D": 4}, ln.weight.numel())])
        assert formula_agrees(names["last-dim-only"], [({"L": 3, "D": 4}, _learnable(torch.nn.LayerNorm(4, device="meta")))])


def test_rounding_noise_is_shown_as_zero() -> None:
    """batchnorm of this variant gives 2.22e-16 in doubles where the exact value is 0: every face
    showed 2.22045e-16. Entries that small beside the largest are zeros; real small ones stay."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import rebuild, unnoised

    problem = rebuild("normalization.batchnorm-eval-output.v2.167737201379824", load_concepts())
    assert 0.0 in [v for row in problem.answer.value for v in row]
    assert all(abs(v) == 0 or abs(v) > 1e-10 for row in problem.answer.value for v in row), problem.answer.value
    assert unnoised([1.0, 2.2e-16, -3.0]) == [1.0, 0.0, -3.0]
    assert unnoised([[4.0, -2.6e-12], [1.0, -1.1e-16]]) == [[4.0, -2.6e-12], [1.0, 0.0]]  # a softmax weight times a value is real
    assert unnoised([1e-20, 2e-20]) == [1e-20, 2e-20] and unnoised([0.0, -0.0]) == [0.0, 0.0]
    assert unnoised(2.2e-16) == 2.2e-16 and unnoised([1, 2]) == [1, 2] and unnoised(["a"]) == ["a"]
