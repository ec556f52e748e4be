"""Tests of the attention family: generator, and checker against a plain numpy reference."""

from __future__ import annotations

import ast
import doctest
import inspect
import itertools
import json
import math
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from conftest import solved_variants, solver

import checkers.attention
from quizgen.core.errors import GenerationError
from quizgen.core.params import FloatRange, resolve
from quizgen.generators import attention
from quizgen.judge import Tolerance, close

solve = solver("attention")


# Each seed uses CONFIGS[seed % len(CONFIGS)], so the variants mix every ask, the causal mask and
# the edges of each range.
NUMERIC_ASKS = tuple(a for a in attention.ASKS if a != "variance-formula")  # the formula: tested at the end
CONFIGS: list[dict[str, Any]] = [
    {"ask": list(NUMERIC_ASKS)},
    {"ask": ["scores", "weights", "output"]},
    {"ask": ["weights", "output"], "causal": True},
    {
        "ask": ["weights", "output"],
        "queries": [1, 5],
        "keys": [1, 5],
        "d_k": [1, 16],
        "d_v": [1, 6],
        "values": [-3, 3],
    },
    {"ask": ["weights", "output"], "causal": True, "queries": [1, 5], "d_k": [1, 8], "values": [-9, 9]},
    {"ask": ["scale", "variance"], "d_k": [1, 512], "sigma2": [0.1, 100]},
    {"ask": ["variance"], "variance_of": "scaled-dot"},
]
N_VARIANTS = 1000
BUILDER_TOLERANCE = Tolerance()  # what the problem builder compares mistakes with


def _inputs(seed: int) -> dict[str, Any]:
    params = resolve(attention.PARAMS, CONFIGS[seed % len(CONFIGS)])
    return attention.draw(params, random.Random(seed))


VARIANTS = [_inputs(seed) for seed in range(N_VARIANTS)]


# ---------------------------------------------------------------- the independent reference


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_attention(
    q: Any, k: Any, v: Any, causal: bool, divisor: str = "sqrt", axis: int = 1, use_mask: bool = True
) -> dict[str, np.ndarray]:
    """Scores, weights and output in numpy; ``divisor``/``axis``/``use_mask`` model the mistakes."""
    q, k, v = (np.asarray(m, dtype=np.float64) for m in (q, k, v))
    d = q.shape[1]
    raw = q @ k.T
    by = {"sqrt": math.sqrt(d), "none": 1.0, "d": float(d)}[divisor]
    scores = raw / by
    masked = scores
    if causal and use_mask:
        masked = np.where(np.tril(np.ones(raw.shape, dtype=bool)), scores, -np.inf)
    weights = _softmax(masked, axis)
    return {"scores": scores, "weights": weights, "output": weights @ v}


def sdpa_scale(d_k: int) -> float:
    """The factor torch's own ``F.scaled_dot_product_attention`` applies to q·k, measured.

    One query e_1 against the keys 0 and e_1 gives the scores [0, s]; the weight of the first key
    is 1 / (1 + e^s), so s = log((1 − w) / w). Nothing here assumes s = 1/√d_k.
    """
    import torch
    import torch.nn.functional as F

    q = torch.zeros(1, 1, d_k, dtype=torch.float64)
    q[0, 0, 0] = 1.0
    k = torch.zeros(1, 2, d_k, dtype=torch.float64)
    k[0, 1, 0] = 1.0
    v = torch.tensor([[[1.0], [0.0]]], dtype=torch.float64)  # the output is the first key's weight
    w = F.scaled_dot_product_attention(q, k, v).item()
    return math.log((1.0 - w) / w)


def enumerated_variance(d: int, sigma: float, scaled: bool) -> float:
    """Var(q·k) by enumerating every outcome when each component is ±sigma with equal odds (mean
    0, variance sigma²): E[X²] − E[X]² over the 4^d equally likely sign patterns."""
    values = []
    for signs in itertools.product((-1.0, 1.0), repeat=2 * d):
        x = sum(signs[i] * sigma * signs[d + i] * sigma for i in range(d))
        values.append(x / math.sqrt(d) if scaled else x)
    mean = sum(values) / len(values)
    return sum(v * v for v in values) / len(values) - mean * mean


def reference(inputs: dict[str, Any]) -> Any:
    ask = inputs["ask"]
    if ask == "variance-formula":
        return [({"d": d, "sigma": s}, enumerated_variance(d, s, inputs["scaled"])) for d in (1, 2, 3) for s in (0.5, 1.5)]
    if ask == "scale":
        return sdpa_scale(inputs["d_k"])
    if ask == "variance":
        d, s = inputs["d_k"], inputs["sigma2"]
        return s**2 if inputs["scaled"] else d * s**2
    causal = inputs["causal"] and ask != "scores"
    return ref_attention(inputs["Q"], inputs["K"], inputs["V"], causal)[ask]


def ref_misconceptions(inputs: dict[str, Any]) -> dict[str, Any]:
    """What each mistake gives, from the reference (whether or not the checker lists it)."""
    ask = inputs["ask"]
    if ask == "scale":
        d = inputs["d_k"]
        return {"divided-by-d_k": 1 / d, "sqrt-not-inverted": math.sqrt(d), "no-scaling": 1.0}
    if ask == "variance":
        d, s = inputs["d_k"], inputs["sigma2"]
        if inputs["scaled"]:
            return {
                "variance-is-sqrt-d": s**2 / math.sqrt(d),
                "scale-not-squared": math.sqrt(d) * s**2,
                "sigma-not-squared": s,
            }
        return {"variance-is-sqrt-d": math.sqrt(d) * s**2, "sigma-not-squared": d * s}
    q, k, v = inputs["Q"], inputs["K"], inputs["V"]
    causal = inputs["causal"] and ask != "scores"
    out = {
        "no-scaling": ref_attention(q, k, v, causal, divisor="none")[ask],
        "divided-by-d_k": ref_attention(q, k, v, causal, divisor="d")[ask],
    }
    if ask != "scores":
        out["softmax-wrong-axis"] = ref_attention(q, k, v, causal, axis=0)[ask]
        out["forgot-causal-mask"] = ref_attention(q, k, v, causal, use_mask=False)[ask]
        # The softmax over every key, then the later keys zeroed: the rows no longer sum to 1.
        full = ref_attention(q, k, v, False)["weights"]
        after = np.where(np.tril(np.ones(full.shape, dtype=bool)), full, 0.0)
        out["masked-after-softmax"] = after if ask == "weights" else after @ np.asarray(v, dtype=np.float64)
    return out


def _formula_mistakes(scaled: bool) -> dict[str, list[tuple[dict[str, float], float]]]:
    """The variance formula's mistakes at a few (d, σ), from the enumerated variance."""
    out: dict[str, list[tuple[dict[str, float], float]]] = {"variance-is-sqrt-d": [], "sigma-not-squared": []}
    if scaled:
        out["scale-not-squared"] = []
    for d, s in ((2, 0.5), (3, 1.5)):
        unscaled = enumerated_variance(d, s, False)
        out["variance-is-sqrt-d"].append(({"d": d, "sigma": s}, unscaled / math.sqrt(d) / (d if scaled else 1)))
        out["sigma-not-squared"].append(({"d": d, "sigma": s}, d * s * s / (d if scaled else 1)))
        if scaled:
            out["scale-not-squared"].append(({"d": d, "sigma": s}, unscaled / math.sqrt(d)))
    return out


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake recomputed (the registry's check in test_references.py)."""
    if inputs["ask"] == "variance-formula":
        return _formula_mistakes(inputs["scaled"])
    return ref_misconceptions(inputs)


def _close(a: Any, b: Any, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    """Same shape (no broadcasting: one row for n rows is wrong) and close entry by entry."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rel, atol=abs_))


# ---------------------------------------------------------------- agreement over many variants


def test_variants_cover_every_ask_and_the_mask() -> None:
    asks = Counter(inputs["ask"] for inputs in VARIANTS)
    assert set(asks) == set(NUMERIC_ASKS)
    assert min(asks.values()) >= 50
    assert sum(1 for i in VARIANTS if i.get("causal")) >= 200


@pytest.mark.parametrize("chunk", range(4))
def test_answer_matches_numpy_reference(chunk: int) -> None:
    for inputs, sol in solved_variants("attention")[chunk::4]:
        ref = reference(inputs)
        expected_kind = "number" if inputs["ask"] in ("scale", "variance") else "matrix"
        assert sol.answer.kind == expected_kind
        assert np.shape(sol.answer.value) == np.shape(ref), inputs
        assert _close(sol.answer.value, ref), (inputs, sol.answer.value, ref)


def test_misconceptions_listed_only_when_they_apply() -> None:
    for inputs, sol in solved_variants("attention"):
        names = {m.name for m in sol.misconceptions}
        ask = inputs["ask"]
        if ask in ("scale", "variance"):
            if inputs["d_k"] == 1:
                assert not names & {"divided-by-d_k", "sqrt-not-inverted", "no-scaling", "variance-is-sqrt-d"}
            continue
        n_q, n_k, d_k = len(inputs["Q"]), len(inputs["K"]), len(inputs["Q"][0])
        assert ("forgot-causal-mask" in names) == (bool(inputs["causal"]) and ask != "scores" and n_k > 1)
        # Only where it differs from the key by more than the builder's tolerance: it never makes the builder draw again.
        if "masked-after-softmax" in names:
            assert inputs["causal"] and ask != "scores" and n_k > 1
            after = next(m.value for m in sol.misconceptions if m.name == "masked-after-softmax")
            assert not close(sol.answer.kind, sol.answer.value, after, BUILDER_TOLERANCE)
        assert ("no-scaling" in names) == (d_k > 1 and (ask == "scores" or n_k > 1))
        assert ("softmax-wrong-axis" in names) == (ask != "scores" and (n_q > 1 or n_k > 1))


def test_misconceptions_mostly_differ_from_the_key() -> None:
    """The builder redraws a variant when a mistake lands within tolerance; keep that rare.

    The config with entries up to ±9 is left out: its softmax saturates (one-hot rows), so the
    scaling mistakes often give the same weights and the builder redraws about half its variants.
    """
    collide: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    typical = [
        (i, s) for seed, (i, s) in enumerate(solved_variants("attention")) if CONFIGS[seed % len(CONFIGS)].get("values") != [-9, 9]
    ]
    for _, sol in typical:
        for m in sol.misconceptions:
            listed[m.name] += 1
            if close(sol.answer.kind, sol.answer.value, m.value, BUILDER_TOLERANCE):
                collide[m.name] += 1
    assert set(listed) == {
        "no-scaling",
        "divided-by-d_k",
        "softmax-wrong-axis",
        "forgot-causal-mask",
        "masked-after-softmax",
        "sqrt-not-inverted",
        "variance-is-sqrt-d",
        "sigma-not-squared",
        "scale-not-squared",
    }
    variants_with_collision = sum(
        any(close(s.answer.kind, s.answer.value, m.value, BUILDER_TOLERANCE) for m in s.misconceptions)
        for _, s in typical
    )
    assert variants_with_collision <= 0.03 * len(typical), (variants_with_collision, collide)
    for name, count in listed.items():
        assert collide[name] <= 0.05 * count, (name, collide[name], count)


# ---------------------------------------------------------------- known values


def test_known_scale_factors() -> None:
    for d_k, expected in [(1, 1.0), (4, 0.5), (16, 0.25), (64, 0.125), (512, 1 / math.sqrt(512))]:
        assert math.isclose(solve({"ask": "scale", "d_k": d_k}).answer.value, expected, rel_tol=1e-12)
        assert math.isclose(sdpa_scale(d_k), expected, rel_tol=1e-9)  # the reference measures torch


@pytest.mark.parametrize(
    ("d_k", "sigma2", "scaled", "expected"),
    [
        (64, 1.0, False, 64.0),
        (64, 1.0, True, 1.0),
        (3, 2.0, False, 12.0),
        (3, 2.0, True, 4.0),
        (1, 0.5, False, 0.25),
    ],
)
def test_known_variances(d_k: int, sigma2: float, scaled: bool, expected: float) -> None:
    sol = solve({"ask": "variance", "d_k": d_k, "sigma2": sigma2, "scaled": scaled})
    assert math.isclose(sol.answer.value, expected, rel_tol=1e-12)


def test_variance_formula_agrees_with_sampling() -> None:
    sample = np.random.default_rng(7)
    d, s = 8, 0.5
    q = sample.normal(0.0, math.sqrt(s), size=(200_000, d))
    k = sample.normal(0.0, math.sqrt(s), size=(200_000, d))
    dots = (q * k).sum(axis=1)
    unscaled = solve({"ask": "variance", "d_k": d, "sigma2": s, "scaled": False}).answer.value
    assert math.isclose(dots.var(), unscaled, rel_tol=0.03)
    scaled = solve({"ask": "variance", "d_k": d, "sigma2": s, "scaled": True}).answer.value
    assert math.isclose((dots / math.sqrt(d)).var(), scaled, rel_tol=0.03)


def test_zero_queries_and_keys_give_uniform_weights() -> None:
    v = [[1, 2], [3, 4], [5, 9]]
    sol = solve({"ask": "weights", "Q": [[0, 0], [0, 0]], "K": [[0, 0]] * 3, "V": v, "causal": False})
    assert _close(sol.answer.value, [[1 / 3] * 3] * 2)
    out = solve({"ask": "output", "Q": [[0, 0], [0, 0]], "K": [[0, 0]] * 3, "V": v, "causal": False})
    assert _close(out.answer.value, [[3.0, 5.0]] * 2)  # the column means of V


def test_one_key_gets_all_the_weight() -> None:
    inputs = {"ask": "weights", "Q": [[1, 2], [-3, 1]], "K": [[2, -1]], "V": [[4, -2]], "causal": False}
    assert solve(inputs).answer.value == [[1.0], [1.0]]
    out = solve({**inputs, "ask": "output"})
    assert _close(out.answer.value, [[4, -2], [4, -2]])
    # With one key no scaling mistake can change the weights, so none is listed.
    assert {m.name for m in out.misconceptions} == {"softmax-wrong-axis"}


def test_hand_computed_weights() -> None:
    # Scores [1/√2, 0]: the weights are the logistic function of 1/√2 and its complement.
    sol = solve({"ask": "weights", "Q": [[1, 0]], "K": [[1, 0], [0, 1]], "V": [[1], [0]], "causal": False})
    p = 1 / (1 + math.exp(-1 / math.sqrt(2)))
    assert _close(sol.answer.value, [[p, 1 - p]], rel=1e-12)
    wrong = {m.name: m.value for m in sol.misconceptions}
    assert _close(wrong["no-scaling"], [[1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))]], rel=1e-12)
    assert _close(wrong["divided-by-d_k"], [[1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(0.5))]], rel=1e-12)
    assert wrong["softmax-wrong-axis"] == [[1.0, 1.0]]


def test_causal_first_row_sees_only_the_first_key() -> None:
    q = [[1, 2, 0], [0, 1, -1], [2, 2, 1]]
    k = [[-1, 0, 1], [1, 1, 1], [0, -2, 1]]
    v = [[1, 0], [0, 1], [2, 2]]
    sol = solve({"ask": "weights", "Q": q, "K": k, "V": v, "causal": True})
    assert sol.answer.value[0] == [1.0, 0.0, 0.0]
    assert sol.answer.value[1][2] == 0.0
    assert _close(np.sum(sol.answer.value, axis=1), [1, 1, 1], rel=1e-15)
    out = solve({"ask": "output", "Q": q, "K": k, "V": v, "causal": True})
    assert _close(out.answer.value[0], v[0])
    masked = next(s for s in sol.steps if s.label.startswith("masked"))
    assert masked.value[0][1:] == ["-inf", "-inf"] and masked.value[2][2] != "-inf"


def test_scores_are_unmasked_and_scaled() -> None:
    q, k = [[2, 0, 0, 0]], [[1, 1, 1, 1], [0, 3, 0, 0]]
    sol = solve({"ask": "scores", "Q": q, "K": k, "V": [[1], [2]], "causal": False})
    assert sol.answer.value == [[1.0, 0.0]]
    wrong = {m.name: m.value for m in sol.misconceptions}
    assert wrong == {"no-scaling": [[2.0, 0.0]], "divided-by-d_k": [[0.5, 0.0]]}


def test_rows_of_weights_sum_to_one() -> None:
    for inputs, sol in solved_variants("attention"):
        if inputs["ask"] == "weights":
            assert _close(np.sum(sol.answer.value, axis=1), np.ones(len(sol.answer.value)), rel=1e-12)


def test_steps_carry_shapes_and_end_at_the_answer() -> None:
    for inputs, sol in solved_variants("attention"):
        if inputs["ask"] in ("scores", "weights", "output"):
            last = sol.steps[-1]
            assert last.shape == list(np.shape(sol.answer.value))
            assert _close(last.value, sol.answer.value, rel=1e-12)


# ---------------------------------------------------------------- generator behaviour


@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_same_seed_same_inputs(config: int) -> None:
    params = resolve(attention.PARAMS, CONFIGS[config])
    for seed in range(20):
        assert attention.draw(params, random.Random(seed)) == attention.draw(params, random.Random(seed))
    assert len({json.dumps(attention.draw(params, random.Random(s))) for s in range(30)}) > 15


def test_inputs_and_solutions_survive_json() -> None:
    for inputs, sol in solved_variants("attention"):
        text = json.dumps(inputs, allow_nan=False)
        again = json.loads(text)
        assert again == inputs
        assert solve(again).answer == sol.answer
        json.dumps(sol.to_json(), allow_nan=False)


def test_draws_respect_params() -> None:
    given = {"ask": ["weights"], "queries": [1, 4], "keys": 3, "d_k": [2, 3], "d_v": 4, "values": [-1, 2]}
    params = resolve(attention.PARAMS, given)
    for seed in range(200):
        inputs = attention.draw(params, random.Random(seed))
        q, k, v = inputs["Q"], inputs["K"], inputs["V"]
        assert 1 <= len(q) <= 4 and len(k) == 3 and len(v) == 3
        assert len(q[0]) == len(k[0]) in (2, 3) and len(v[0]) == 4
        assert all(-1 <= x <= 2 for m in (q, k, v) for row in m for x in row)
        assert all(any(row) for row in q)
        assert inputs["causal"] is False


def test_output_draws_no_value_column_to_copy() -> None:
    # A column of V holding one value would be every output row's entry, whatever the weights.
    for given in ({"ask": "output", "queries": 2, "keys": [2, 3], "d_k": [2, 4], "d_v": 2, "values": [-2, 2]},
                  {"ask": "output", "causal": True, "queries": [2, 4], "d_v": 3, "values": [-1, 1]}):
        params = resolve(attention.PARAMS, given)
        for seed in range(300):
            v = attention.draw(params, random.Random(seed))["V"]
            assert all(len({row[j] for row in v}) > 1 for j in range(len(v[0]))), (given, seed, v)


def test_causal_draws_are_square_and_scores_never_causal() -> None:
    params = resolve(attention.PARAMS, {"ask": list(attention.MATRIX_ASKS), "causal": True, "keys": 5})
    for seed in range(100):
        inputs = attention.draw(params, random.Random(seed))
        if inputs["ask"] == "scores":
            assert inputs["causal"] is False
        else:
            assert inputs["causal"] is True and len(inputs["Q"]) == len(inputs["K"]) == len(inputs["V"])


def test_variance_and_scale_draws() -> None:
    params = resolve(attention.PARAMS, {"ask": ["variance"], "d_k": [1, 4], "sigma2": [0.5, 1.5]})
    seen = set()
    for seed in range(200):
        inputs = attention.draw(params, random.Random(seed))
        assert set(inputs) == {"ask", "d_k", "sigma2", "scaled"}
        assert 2 <= inputs["d_k"] <= 4 and inputs["sigma2"] != 1.0
        assert 0.5 <= inputs["sigma2"] <= 1.5 and round(inputs["sigma2"], 1) == inputs["sigma2"]
        seen.add(inputs["scaled"])
    assert seen == {True, False}
    # A template pinned to d_k = 1 and σ² = 1 still draws (with fewer mistakes to name).
    pinned = resolve(attention.PARAMS, {"ask": ["variance", "scale"], "d_k": 1, "sigma2": 1.0})
    for seed in range(10):
        inputs = attention.draw(pinned, random.Random(seed))
        assert inputs["d_k"] == 1 and solve(inputs).misconceptions == ()
    tiny = resolve(attention.PARAMS, {"ask": "variance", "sigma2": [0.03, 0.04]})
    assert attention.draw(tiny, random.Random(0))["sigma2"] in (0.03, 0.04)


def test_params_of_the_family() -> None:
    """Beyond what every family's specs must satisfy (tests/test_references.py): this family's own."""
    assert attention.PARAMS["values"].minimum < 0
    assert attention.PARAMS["d_k"].maximum == 512
    assert all(s.exclusive_minimum is not None for s in attention.PARAMS.values() if isinstance(s, FloatRange))
    assert attention.check_params(resolve(attention.PARAMS, {})) == []


def test_check_params_flags_cross_parameter_problems() -> None:
    wide = resolve(attention.PARAMS, {"ask": ["scale", "weights"], "d_k": [2, 64]})
    assert [p[0] for p in attention.check_params(wide)] == ["d_k"]
    assert attention.check_params(resolve(attention.PARAMS, {"ask": "scale", "d_k": [2, 512]})) == []
    zeros = resolve(attention.PARAMS, {"ask": "output", "values": [0, 0]})
    assert [p[0] for p in attention.check_params(zeros)] == ["values"]


def test_impossible_params_raise_generation_error() -> None:
    with pytest.raises(GenerationError, match="values"):
        attention.draw(resolve(attention.PARAMS, {"ask": "weights", "values": [0, 0]}), random.Random(0))
    # Every key equal: no query can tell the keys apart.
    with pytest.raises(GenerationError):
        same = resolve(attention.PARAMS, {"ask": "weights", "values": [1, 1], "keys": 3})
        attention.draw(same, random.Random(0))
    with pytest.raises(GenerationError, match="sigma2"):
        tiny = resolve(attention.PARAMS, {"ask": "variance", "sigma2": [0.001, 0.002]})
        attention.draw(tiny, random.Random(0))


def test_describe_shows_aligned_matrices_and_the_mask() -> None:
    inputs = {"ask": "weights", "Q": [[1, -2], [10, 0]], "K": [[1, 0]], "V": [[3, 4]], "causal": True}
    text = attention.describe(inputs)
    assert "queries Q = [[ 1, -2],\n             [10,  0]]" in text
    assert "Causal mask" in text and "Shapes: Q 2×2, K 1×2, V 1×2" in text
    assert attention.describe({"ask": "scale", "d_k": 64}) == "d_k = 64"
    assert "q·k / √d_k" in attention.describe({"ask": "variance", "d_k": 4, "sigma2": 0.5, "scaled": True})
    for inputs in VARIANTS[:50]:
        assert attention.describe(inputs)


def test_generator_never_imports_torch() -> None:
    tree = ast.parse(inspect.getsource(attention))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in imported)


def test_doctests() -> None:
    import quizgen.core.render

    for module in (checkers.attention, attention, quizgen.core.render):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@pytest.mark.parametrize("scaled", [False, True])
def test_variance_formula_and_its_mistakes_against_enumeration(scaled: bool) -> None:
    from conftest import formula_agrees

    inputs = {"ask": "variance-formula", "scaled": scaled, "symbols": attention.FORMULA_SYMBOLS}
    sol = solve(inputs)
    assert sol.answer.kind == "formula" and formula_agrees(sol.answer.value, reference(inputs))
    names = {m.name: m.value for m in sol.misconceptions}
    wrong = mistakes(inputs)
    assert set(names) == set(wrong)
    for name, cases in wrong.items():
        assert formula_agrees(names[name], cases), name


def test_weights_are_drawn_as_a_shaded_grid() -> None:
    """Weight and output problems draw the weights (numpy's, row by row) as a labelled grid;
    score problems, whose answer comes before the softmax, draw none."""
    from quizgen.core.answer import Grid

    drawn = 0
    for inputs, solution in solved_variants("attention")[:300]:
        figure = solution.figure
        if inputs["ask"] not in ("weights", "output"):
            assert figure is None, inputs["ask"]
            continue
        drawn += 1
        assert isinstance(figure, Grid)
        weights = ref_attention(inputs["Q"], inputs["K"], inputs["V"], inputs["causal"])["weights"]
        np.testing.assert_allclose(np.array(figure.values), weights, rtol=1e-12, atol=1e-15, strict=True)
        assert figure.rows == tuple(f"q{i}" for i in range(weights.shape[0]))
        assert figure.cols == tuple(f"k{j}" for j in range(weights.shape[1]))
    assert drawn > 50
