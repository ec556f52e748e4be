"""Tests of the transformer-shapes family: generator, and checker against the paper's formulas and
against real modules run forward."""

from __future__ import annotations

import functools
import random
from typing import Any

import pytest
import torch
from conftest import formula_agrees, solved_variants, solver

from quizgen import generators
from quizgen.core.params import resolve
from quizgen.generators import transformer_shapes

solve = solver("transformer-shapes")


# ---------------------------------------------------------------- independent reference


def _shape(inputs: dict[str, Any]) -> list[int]:
    b, length, s, d, h = (inputs[k] for k in ("batch", "length", "kv_length", "d_model", "heads"))
    k = d // h
    return {
        "q-projected": [b, length, d],
        "q-heads": [b, h, length, k],
        "scores": [b, h, length, s],
        "weights": [b, h, length, s],
        "head-outputs": [b, h, length, k],
        "concatenated": [b, length, d],
        "output": [b, length, d],
    }[inputs["step"]]


@functools.cache
def _formula_cases(ask: str, bias: bool) -> list[tuple[dict[str, int], int]]:
    """Parameter counts of real modules at a few sizes, for the formula questions."""
    if ask == "mha-formula":
        return [({"d": d, "h": h}, _count(torch.nn.MultiheadAttention(d, h, bias=bias, device="meta"))) for d, h in ((8, 2), (12, 3), (6, 6), (20, 4), (1, 1))]
    return [
        ({"d": d, "f": f}, _count(torch.nn.Sequential(torch.nn.Linear(d, f, bias=bias, device="meta"), torch.nn.ReLU(), torch.nn.Linear(f, d, bias=bias, device="meta"))))
        for d, f in ((3, 5), (8, 32), (1, 7), (16, 16))
    ]


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def reference(inputs: dict[str, Any]) -> Any:
    """The answer from the formulas of "Attention Is All You Need" (no torch); for the formula
    questions, real modules' counts at a few sizes."""
    ask = inputs["ask"]
    if ask.endswith("-formula"):
        return _formula_cases(ask, inputs["bias"])
    d = inputs.get("d_model", 0)
    if ask == "d-k":
        return d // inputs["heads"]
    if ask == "shape":
        return _shape(inputs)
    if ask == "mha-params":
        return 4 * d * d + (4 * d if inputs["bias"] else 0)
    if ask == "ffn-params":
        return 2 * d * inputs["d_ff"] + inputs["d_ff"] + d
    if ask == "layer-params":
        return 4 * d * d + 4 * d + 2 * d * inputs["d_ff"] + inputs["d_ff"] + d + 4 * d
    if ask == "layer-params-no-bias":  # weights only, the LayerNorms' included
        return 4 * d * d + 2 * d * inputs["d_ff"] + 2 * d
    if ask == "causal-entries":
        return inputs["length"] * (inputs["length"] + 1) // 2
    return [[1.0 if j >= n else 0.0 for j in range(inputs["length"])] for n in inputs["lengths"]]


def _mha_count(d: int, bias: bool) -> int:
    """Q, K, V and output projections of d × d, each with a bias of d when ``bias``."""
    return 4 * d * d + (4 * d if bias else 0)


def _shape_mistakes(inputs: dict[str, Any]) -> dict[str, list[int]]:
    """Each shape step's named mistakes, as the learner makes them."""
    b, length, s, d, h = (inputs[k] for k in ("batch", "length", "kv_length", "d_model", "heads"))
    k = d // h
    scores = {"heads-not-split": [b, length, s], "keys-first": [b, h, s, length], "width-not-contracted": [b, h, length, k]}
    return {
        "q-projected": {"heads-too-early": [b, h, length, k]},
        "q-heads": {"not-transposed": [b, length, h, k], "d_model-per-head": [b, h, length, d]},
        "scores": scores,
        "weights": scores,
        "head-outputs": {"d_model-per-head": [b, h, length, d], "keys-not-contracted": [b, h, length, s]},
        "concatenated": {"heads-not-merged": [b, h, length, k]},
        "output": {"heads-not-merged": [b, h, length, k], "memory-length": [b, s, d]},
    }[inputs["step"]]


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake recomputed from its description (formulas: real modules' counts at a
    few sizes, each changed the way the mistake changes it)."""
    ask = inputs["ask"]
    if ask.endswith("-formula"):
        return _formula_mistakes(ask, inputs["bias"])
    return _count_mistakes(inputs)


@functools.cache
def _formula_mistakes(ask: str, bias: bool) -> dict[str, Any]:
    if ask == "mha-formula":
        sizes = ((8, 2), (12, 3), (6, 6), (20, 4))
        full = {(d, h): _count(torch.nn.MultiheadAttention(d, h, bias=bias, device="meta")) for d, h in sizes}
        other = {(d, h): _count(torch.nn.MultiheadAttention(d, h, bias=not bias, device="meta")) for d, h in sizes}
        return {
            "per-head-projections": [({"d": d, "h": h}, h * full[d, h]) for d, h in sizes],
            "output-projection-left-out": [({"d": d, "h": h}, full[d, h] - _count(torch.nn.Linear(d, d, bias=bias))) for d, h in sizes],
            "biases-forgotten" if bias else "biases-counted": [({"d": d, "h": h}, other[d, h]) for d, h in sizes],
        }
    if ask == "ffn-formula":
        sizes = ((3, 5), (8, 32), (16, 16))
        return {
            "one-linear-only": [({"d": d, "f": f}, _count(torch.nn.Linear(d, f, bias=bias))) for d, f in sizes],
            "biases-forgotten" if bias else "biases-counted": [
                ({"d": d, "f": f}, _count(torch.nn.Sequential(torch.nn.Linear(d, f, bias=not bias), torch.nn.Linear(f, d, bias=not bias))))
                for d, f in sizes
            ],
        }
    raise ValueError(ask)


def _count_mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    ask = inputs["ask"]
    if ask == "shape":
        return _shape_mistakes(inputs)
    if ask == "causal-entries":
        n = inputs["length"]
        return {"diagonal-excluded": n * (n - 1) // 2, "full-matrix": n * n}
    if ask == "padding-mask":
        return {"mask-inverted": [[1.0 if j < n else 0.0 for j in range(inputs["length"])] for n in inputs["lengths"]]}
    d, h = inputs["d_model"], inputs.get("heads", 1)
    if ask == "d-k":
        return {"d_model-per-head": d}
    if ask == "mha-params":
        bias = inputs["bias"]
        return {"output-projection-left-out": _mha_count(d, bias) * 3 // 4, "per-head-projections": h * _mha_count(d, bias), "biases-forgotten": 4 * d * d}
    f = inputs["d_ff"]
    if ask == "ffn-params":
        return {"biases-forgotten": 2 * d * f, "one-linear-only": d * f + f}
    total = reference(inputs)
    if ask == "layer-params-no-bias":
        with_bias = reference({**inputs, "ask": "layer-params"})
        return {
            "layernorm-biases-kept": total + 2 * d,
            "biases-counted": with_bias,
            "layernorms-left-out": total - 2 * d,
            "per-head-projections": total - _mha_count(d, False) + h * _mha_count(d, False),
        }
    return {
        "layernorms-left-out": total - 4 * d,
        "biases-forgotten": 4 * d * d + 2 * d * f + 2 * d,
        "per-head-projections": total - _mha_count(d, True) + h * _mha_count(d, True),
    }


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "d-k": [{}, {"d_model": [1, 100_000], "heads": [1, 1024]}],
    "shape": [{}, {"batch": [1, 1024], "length": [2, 4096], "d_model": [1, 4096], "heads": [1, 64]}, {"cross": "cross", "length": 2}],
    "mha-params": [{}, {"d_model": [1, 100_000], "heads": [1, 1024]}, {"bias": "without"}],
    "ffn-params": [{}, {"d_model": [1, 100_000], "ffn_ratio": [1, 16]}],
    "layer-params": [{}, {"d_model": [1, 4096], "heads": [1, 64], "ffn_ratio": [1, 16]}],
    "layer-params-no-bias": [{}, {"d_model": [1, 4096], "heads": [1, 64], "ffn_ratio": [1, 16]}],
    "causal-entries": [{}, {"length": [2, 4096]}],
    "padding-mask": [{}, {"batch": [2, 1024], "length": [2, 4096]}, {"batch": 2, "length": 2}],
    "mha-formula": [{}],
    "ffn-formula": [{}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    params = resolve(transformer_shapes.PARAMS, {"ask": ask, **configs[seed % len(configs)]})
    return transformer_shapes.draw(params, random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in transformer_shapes.ASKS for seed in range(N_PER_ASK)]


@pytest.mark.parametrize("ask", transformer_shapes.ASKS)
def test_answer_matches_the_formulas(ask: str) -> None:
    wrong = [(i, v) for i, sol in solved_variants("transformer-shapes") if i["ask"] == ask and not _matches(v := sol.answer.value, reference(i))]
    assert wrong == [], wrong[:3]


def _matches(value: Any, ref: Any) -> bool:
    return formula_agrees(value, ref) if isinstance(value, dict) else value == ref


def _sample(asks: tuple[str, ...], keep: Any, n: int) -> list[dict[str, Any]]:
    """``n`` variants of each of ``asks`` that ``keep`` accepts, taken across all their seeds
    (every ask, every config), not the first ones listed."""
    out = []
    for ask in asks:
        found = [i for i in VARIANTS if i["ask"] == ask and keep(i)]
        assert len(found) >= n, (ask, len(found))
        out += found[:: len(found) // n][:n]
    return out


def test_shapes_agree_with_a_real_module_run_forward() -> None:
    """nn.MultiheadAttention's output and per-head weights have the shapes the hand-written code gives."""
    for inputs in _sample(("shape",), lambda i: i["d_model"] <= 256 and i["length"] <= 16, 100):
        b, length, s, d, h = (inputs[k] for k in ("batch", "length", "kv_length", "d_model", "heads"))
        mha = torch.nn.MultiheadAttention(d, h, batch_first=True)
        out, weights = mha(torch.zeros(b, length, d), torch.zeros(b, s, d), torch.zeros(b, s, d), average_attn_weights=False)
        assert list(out.shape) == reference({**inputs, "step": "output"})
        assert list(weights.shape) == reference({**inputs, "step": "weights"})


def test_parameter_counts_agree_with_real_modules() -> None:
    sample = _sample(("mha-params", "ffn-params", "layer-params", "layer-params-no-bias"), lambda i: i["d_model"] <= 512, 60)
    assert {i["bias"] for i in sample if i["ask"] == "mha-params"} == {True, False}
    for inputs in sample:
        d = inputs["d_model"]
        if inputs["ask"] == "mha-params":
            module: torch.nn.Module = torch.nn.MultiheadAttention(d, inputs["heads"], bias=inputs["bias"])
        elif inputs["ask"] == "ffn-params":
            module = torch.nn.Sequential(torch.nn.Linear(d, inputs["d_ff"]), torch.nn.ReLU(), torch.nn.Linear(inputs["d_ff"], d))
        else:
            bias = inputs["ask"] == "layer-params"
            module = torch.nn.TransformerEncoderLayer(d, inputs["heads"], dim_feedforward=inputs["d_ff"], bias=bias)
        assert solve(inputs).answer.value == sum(p.numel() for p in module.parameters())


def test_padding_mask_is_what_multihead_attention_ignores() -> None:
    """Keys marked 1 get attention weight 0 from nn.MultiheadAttention; the others do not."""
    gen = torch.Generator().manual_seed(0)
    for inputs in _sample(("padding-mask",), lambda i: i["length"] <= 8, 50):
        mask = torch.tensor(solve(inputs).answer.value, dtype=torch.bool)
        b, length = mask.shape
        mha = torch.nn.MultiheadAttention(4, 1, batch_first=True)
        x = torch.randn(b, length, 4, generator=gen)
        _, weights = mha(x, x, x, key_padding_mask=mask)
        assert torch.all(weights.masked_select(mask[:, None, :].expand_as(weights)) == 0)
        assert torch.all(weights.masked_select(~mask[:, None, :].expand_as(weights)) > 0)


def test_causal_entries_are_what_scaled_dot_product_attention_allows() -> None:
    for length in (2, 3, 7, 16):
        q = torch.zeros(1, 1, length, 2)
        v = torch.eye(length)[None, None]  # the output row i is query i's weights over the keys
        allowed = int((torch.nn.functional.scaled_dot_product_attention(q, q, v, is_causal=True) > 0).sum())
        assert solve({"ask": "causal-entries", "length": length}).answer.value == allowed


def test_each_listed_mistake_differs_from_the_key_and_is_recomputed() -> None:
    """Over every variant of every ask (the extreme configs included), each listed mistake is
    what ``mistakes`` gives; the shape steps list every mistake that differs from the key."""
    for inputs, sol in solved_variants("transformer-shapes"):
        others = mistakes(inputs)
        for m in sol.misconceptions:
            assert m.value != sol.answer.value, (inputs, m.name)
            assert m.name in others and _matches(m.value, others[m.name]), (inputs, m.name, m.value)
        if inputs["ask"] == "shape":
            assert {m.name for m in sol.misconceptions} == {n for n, v in others.items() if v != sol.answer.value}


def test_a_module_without_biases_has_no_mistake_that_speaks_of_its_biases() -> None:
    """With bias=False the per-head mistake counted "projections and their biases", biases the
    module does not have; every description there speaks only of what the module holds."""
    seen = 0
    for inputs, sol in solved_variants("transformer-shapes"):
        if inputs.get("bias") is False or inputs["ask"] == "layer-params-no-bias":
            for m in sol.misconceptions:
                if m.name == "per-head-projections":
                    seen += 1
                    assert "bias" not in m.description, (inputs, m.description)
    assert seen > 50


def test_one_head_is_drawn_only_when_nothing_else_fits() -> None:
    assert all(i["heads"] > 1 for i in VARIANTS if "heads" in i and i["d_model"] % 2 == 0 and i["ask"] != "padding-mask")
    params = resolve(transformer_shapes.PARAMS, {"ask": "d-k", "heads": [1, 1]})
    assert transformer_shapes.draw(params, random.Random(0))["heads"] == 1


def test_draws_respect_params() -> None:
    for inputs in VARIANTS:
        if "heads" in inputs:
            assert inputs["d_model"] % inputs["heads"] == 0
        if inputs["ask"] == "padding-mask":
            lengths = inputs["lengths"]
            assert max(lengths) == inputs["length"] and min(lengths) < inputs["length"] and min(lengths) >= 1
        if inputs["ask"] == "shape":
            assert inputs["step"] in transformer_shapes.STEPS
        kind = generators.expected("transformer-shapes", inputs).kind
        assert kind == {"shape": "shape", "padding-mask": "matrix", "mha-formula": "formula", "ffn-formula": "formula"}.get(inputs["ask"], "number")


def test_describe_states_the_code_and_the_question() -> None:
    inputs = {"ask": "shape", "batch": 2, "length": 5, "kv_length": 7, "d_model": 64, "heads": 8, "step": "scores"}
    text = transformer_shapes.describe(inputs)
    assert "memory, shape (B, S, d_model) with S = 7" in text and text.endswith("What is the shape of scores?")
    assert "nn.MultiheadAttention(embed_dim=64, num_heads=8, bias=False)" == transformer_shapes.describe(
        {"ask": "mha-params", "d_model": 64, "heads": 8, "bias": False}
    )
