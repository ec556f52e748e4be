"""Checker for Transformer shapes and sizes: multi-head attention step by step, parameter counts,
causal and padding masks.

Source: Vaswani et al. (2017), "Attention Is All You Need", section 3.2.2 (multi-head attention:
h heads of width d_k = d_model / h, concatenated and projected by W^O) and 3.3 (the position-wise
feed-forward network). Shapes come from running the attention code on meta tensors (sizes without
data), parameter counts from PyTorch's own modules (``nn.MultiheadAttention``,
``nn.TransformerEncoderLayer``) built on the meta device, so every answer is what torch does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from checkers import meta
from checkers.meta import META as _META
from quizgen.core.answer import Misconception, Solution, Step
from quizgen.core.formula import value as formula_value

_PER_HEAD = (
    "per-head-projections",
    "Counted the whole module once per head, h × (its four d_model × d_model projections and their "
    "biases); the heads share one projection per role and only split its d_model outputs into h "
    "slices of d_k.",
)


def _per_head(bias: bool) -> tuple[str, str]:
    """The per-head mistake, its description without biases where the module has none."""
    return _PER_HEAD if bias else (_PER_HEAD[0], _PER_HEAD[1].replace(" and their biases", ""))


_NO_OUTPUT_PROJECTION = ("output-projection-left-out", "Left out W^O, the projection applied after the heads are concatenated.")
_BIASES = ("biases-forgotten", "Counted the weight matrices only; with bias=True every projection also has a bias vector.")
_BIASES_AND_NORMS = ("biases-forgotten", "Counted the weight matrices only; with bias=True every projection and LayerNorm also has a bias vector.")
_ONE_LINEAR = ("one-linear-only", "Counted one of the two linear layers; the block expands to d_ff and projects back to d_model.")
_NORM_BIASES_KEPT = (
    "layernorm-biases-kept",
    "Dropped the biases of the projections and the feed-forward block only; bias=False in "
    "nn.TransformerEncoderLayer reaches its two LayerNorms too, which keep only their weights.",
)
_DEFAULT_BIASES = ("biases-counted", "Counted the biases as if bias=True; bias=False leaves every projection, linear layer and LayerNorm without one.")
_NO_LAYERNORMS = ("layernorms-left-out", "Left out the two LayerNorms, each with a weight and a bias of d_model entries.")
_NO_DIAGONAL = ("diagonal-excluded", "Left out the diagonal; a position may attend to itself, so query i sees keys 0..i.")
_FULL = ("full-matrix", "Counted every entry; the causal mask hides the L(L − 1)/2 pairs above the diagonal (query i hides the L − 1 − i later keys).")
_INVERTED = (
    "mask-inverted",
    "Marked the tokens instead of the padding; key_padding_mask is True (1) where a key must be "
    "ignored. (A boolean attn_mask for scaled_dot_product_attention is the other way round.)",
)
_WHOLE_WIDTH = ("d_model-per-head", "Gave each head the full d_model; the heads split it, d_k = d_model / h each.")

# Wrong shapes for each step: (name, description, shape from (B, L, S, d, h, d_k)).
_SHAPE_MISTAKES: dict[str, list[tuple[str, str, Any]]] = {
    "q-projected": [("heads-too-early", "Split the heads already; the projection keeps (B, L, d_model).", lambda B, L, S, d, h, k: [B, h, L, k])],
    "q-heads": [
        ("not-transposed", "Stopped after the view; transpose(1, 2) moves the head axis before the length.", lambda B, L, S, d, h, k: [B, L, h, k]),
        (*_WHOLE_WIDTH, lambda B, L, S, d, h, k: [B, h, L, d]),
    ],
    "scores": [
        ("heads-not-split", "Left out the head axis; every head has its own L × S score matrix.", lambda B, L, S, d, h, k: [B, L, S]),
        ("keys-first", "Put the keys first; row i holds query i's scores over the S keys, so the shape ends (L, S).", lambda B, L, S, d, h, k: [B, h, S, L]),
        ("width-not-contracted", "Kept d_k; q @ kᵀ sums over d_k and leaves one score per query and key.", lambda B, L, S, d, h, k: [B, h, L, k]),
    ],
    "head-outputs": [
        (*_WHOLE_WIDTH, lambda B, L, S, d, h, k: [B, h, L, d]),
        ("keys-not-contracted", "Kept the key axis; weights @ v sums over the S keys, leaving d_k values per query.", lambda B, L, S, d, h, k: [B, h, L, S]),
    ],
    "concatenated": [("heads-not-merged", "Left the heads apart; the concatenation merges h × d_k back into d_model.", lambda B, L, S, d, h, k: [B, h, L, k])],
    "output": [
        ("heads-not-merged", "Left the heads apart; the concatenation merges h × d_k back into d_model.", lambda B, L, S, d, h, k: [B, h, L, k]),
        ("memory-length", "Took the length of the keys; the output has one row per query, L rows.", lambda B, L, S, d, h, k: [B, S, d]),
    ],
}
_SHAPE_MISTAKES["weights"] = _SHAPE_MISTAKES["scores"]


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one Transformer shape or size problem.

    Example:
        >>> solve({"ask": "mha-params", "d_model": 512, "heads": 8, "bias": True}).value
        1050624.0
        >>> solve({"ask": "shape", "batch": 2, "length": 5, "kv_length": 5, "d_model": 64, "heads": 8,
        ...        "step": "scores"}).value
        [2, 8, 5, 5]
    """
    ask = inputs.get("ask")
    if ask == "shape":
        return _solve_shape(inputs)
    if ask == "causal-entries":
        length = int(inputs["length"])
        allowed = int(torch.ones(length, length, dtype=torch.bool).tril().count_nonzero())
        steps = (Step("allowed entries of the lower triangle, diagonal included: L(L + 1)/2", allowed),)
        return Solution(float(allowed), steps, (Misconception(*_NO_DIAGONAL, float(allowed - length)), Misconception(*_FULL, float(length * length))))
    if ask == "padding-mask":
        lengths = torch.tensor(inputs["lengths"])
        mask = (torch.arange(int(inputs["length"]))[None, :] >= lengths[:, None]).to(torch.float64)
        steps = (Step("key_padding_mask[i, j] = 1 where j >= length of sequence i", mask.tolist(), shape=list(mask.shape)),)
        return Solution(mask.tolist(), steps, (Misconception(*_INVERTED, (1 - mask).tolist()),))
    if ask in ("d-k", "mha-params", "ffn-params", "layer-params", "layer-params-no-bias"):
        return _solve_size(str(ask), inputs)
    return _solve_formula(str(ask), bool(inputs["bias"]), dict(inputs["symbols"]))  # ask in ("mha-formula", "ffn-formula") (the registry refused any other)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _solve_size(ask: str, inputs: Mapping[str, Any]) -> Solution:
    d, h = int(inputs["d_model"]), int(inputs.get("heads", 1))
    if ask == "d-k":
        d_k = d // h
        whole = [Misconception(*_WHOLE_WIDTH, float(d))] if h > 1 else []
        return Solution(float(d_k), (Step("d_k = d_model / h", d_k),), tuple(whole))
    if ask == "layer-params-no-bias":
        return _solve_layer_without_bias(d, h, int(inputs["d_ff"]))
    bias = bool(inputs.get("bias", True))
    if ask == "mha-params":
        attention = nn.MultiheadAttention(d, h, bias=bias, device=_META)
        attention_count = _count(attention)
        in_proj = attention_count - _count(attention.out_proj)
        steps: tuple[Step, ...] = (
            Step("W_q, W_k, W_v (one d_model × d_model each, shared by the heads)" + (" + their biases" if bias else ""), in_proj),
            Step("W_o" + (" + its bias" if bias else ""), _count(attention.out_proj)),
            Step("nn.MultiheadAttention parameters", attention_count),
        )
        wrong = [Misconception(*_NO_OUTPUT_PROJECTION, float(in_proj))]
        if h > 1:
            wrong.append(Misconception(*_per_head(bias), float(h * attention_count)))
        if bias:
            wrong.append(Misconception(*_BIASES, float(4 * d * d)))
        return Solution(float(attention_count), steps, tuple(wrong))
    d_ff = int(inputs["d_ff"])
    if ask == "ffn-params":
        ffn_count = _count(nn.Sequential(nn.Linear(d, d_ff, device=_META), nn.ReLU(), nn.Linear(d_ff, d, device=_META)))
        steps = (
            Step("Linear(d_model, d_ff): d_model·d_ff + d_ff", d * d_ff + d_ff),
            Step("Linear(d_ff, d_model): d_ff·d_model + d_model", d_ff * d + d),
            Step("feed-forward parameters", ffn_count),
        )
        return Solution(float(ffn_count), steps, (Misconception(*_BIASES, float(2 * d * d_ff)), Misconception(*_ONE_LINEAR, float(d * d_ff + d_ff))))
    # layer-params: the attention and feed-forward counts are the layer's own submodules
    # (nn.MultiheadAttention(d, h) and nn.Linear(d, d_ff), nn.Linear(d_ff, d)), not built again.
    layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=d_ff, device=_META)
    total = _count(layer)
    attention_count = _count(layer.self_attn)
    ffn_count = _count(layer.linear1) + _count(layer.linear2)
    norms = _count(layer.norm1) + _count(layer.norm2)
    steps = (
        Step("self-attention: 4·d_model² + 4·d_model", attention_count),
        Step("feed-forward: 2·d_model·d_ff + d_ff + d_model", ffn_count),
        Step("two LayerNorms: 2 × (d_model + d_model)", norms),
        Step("encoder layer parameters", total),
    )
    wrong = [Misconception(*_NO_LAYERNORMS, float(total - norms)), Misconception(*_BIASES_AND_NORMS, float(4 * d * d + 2 * d * d_ff + 2 * d))]
    if h > 1:
        wrong.append(Misconception(*_PER_HEAD, float(total - attention_count + h * attention_count)))
    return Solution(float(total), steps, tuple(wrong))


def _solve_layer_without_bias(d: int, h: int, d_ff: int) -> Solution:
    """``nn.TransformerEncoderLayer(..., bias=False)``: no bias in the projections, the
    feed-forward block or the LayerNorms (which keep their weights)."""
    layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=d_ff, bias=False, device=_META)
    total = _count(layer)
    attention, ffn = _count(layer.self_attn), _count(layer.linear1) + _count(layer.linear2)
    norms = _count(layer.norm1) + _count(layer.norm2)
    with_bias = _count(nn.TransformerEncoderLayer(d, h, dim_feedforward=d_ff, device=_META))
    steps = (
        Step("self-attention: 4·d_model² (no biases)", attention),
        Step("feed-forward: 2·d_model·d_ff (no biases)", ffn),
        Step("two LayerNorms: 2 × d_model (weights only: bias=False drops their biases too)", norms),
        Step("encoder layer parameters", total),
    )
    wrong = [
        Misconception(*_NORM_BIASES_KEPT, float(total + 2 * d)),
        Misconception(*_DEFAULT_BIASES, float(with_bias)),
        Misconception("layernorms-left-out", "Left out the two LayerNorms; with bias=False each still has a weight of d_model entries.",
                      float(total - norms)),
    ]
    if h > 1:
        wrong.append(Misconception(*_per_head(False), float(total - attention + h * attention)))
    return Solution(float(total), steps, tuple(wrong))


def _solve_shape(inputs: Mapping[str, Any]) -> Solution:
    b, length, s, d, h = (int(inputs[k]) for k in ("batch", "length", "kv_length", "d_model", "heads"))
    d_k = d // h
    x, memory, w = (torch.empty(*size, device=_META) for size in ((b, length, d), (b, s, d), (d, d)))
    q, k, v = meta.matmul(x, w), meta.matmul(memory, w), meta.matmul(memory, w)
    shapes = {"q-projected": q}
    q = shapes["q-heads"] = q.view(b, length, h, d_k).transpose(1, 2)
    k, v = (t.view(b, s, h, d_k).transpose(1, 2) for t in (k, v))
    # Scaling by 1/√d_k keeps the shape; it is left out here because arithmetic on meta tensors
    # goes through torch's reference implementations, which import its compiler (half a second).
    scores = shapes["scores"] = meta.matmul(q, k.transpose(-2, -1))
    weights = shapes["weights"] = meta.softmax(scores, dim=-1)
    heads = shapes["head-outputs"] = meta.matmul(weights, v)
    concat = shapes["concatenated"] = heads.transpose(1, 2).reshape(b, length, d)
    shapes["output"] = meta.matmul(concat, w)
    step = str(inputs["step"])
    names = {"q-projected": "q = x @ W_q", "q-heads": "q split into heads", "scores": "scores", "weights": "weights",
             "head-outputs": "heads = weights @ v", "concatenated": "concat", "output": "out = concat @ W_o"}
    steps = []
    for name, tensor in shapes.items():
        steps.append(Step(names[name], list(tensor.shape)))
        if name == step:
            break
    key = list(shapes[step].shape)
    wrong = [
        Misconception(name, desc, shape)
        for name, desc, rule in _SHAPE_MISTAKES[step]
        if (shape := rule(b, length, s, d, h, d_k)) != key
    ]
    return Solution(key, tuple(steps), tuple(wrong))


def _solve_formula(ask: str, bias: bool, symbols: dict[str, str]) -> Solution:
    """The parameter count as a formula: the same parts as the counts above, written in d, h, f."""

    f = functools.partial(formula_value, symbols=symbols)

    if ask == "mha-formula":
        weights, biases = "4*d^2", "4*d"
        steps = [Step("W_q, W_k, W_v: 3 matrices of d × d, shared by the heads", "3*d^2"), Step("W_o: d × d", "d^2")]
        if bias:
            steps.append(Step("a bias of d for each of the four projections", "4*d"))
        key = f"{weights} + {biases}" if bias else weights
        wrong = [
            Misconception(*_per_head(bias), f(f"h*({weights} + {biases})" if bias else f"h*{weights}")),
            Misconception(*_NO_OUTPUT_PROJECTION, f("3*d^2 + 3*d" if bias else "3*d^2")),
            Misconception(*_BIASES, f(weights)) if bias else Misconception(*_BIASES_COUNTED, f(f"{weights} + {biases}")),
        ]
        return Solution(f(key), (*steps, Step("in all", key)), tuple(wrong))
    steps = [Step("Linear(d, f): a d × f weight" + (" + a bias of f" if bias else ""), "d*f + f" if bias else "d*f")]
    steps.append(Step("Linear(f, d): an f × d weight" + (" + a bias of d" if bias else ""), "f*d + d" if bias else "f*d"))
    key = "2*d*f + d + f" if bias else "2*d*f"
    wrong = [
        Misconception(*_ONE_LINEAR, f("d*f + f" if bias else "d*f")),
        Misconception(*_BIASES, f("2*d*f")) if bias else Misconception(*_BIASES_COUNTED, f("2*d*f + d + f")),
    ]
    return Solution(f(key), (*steps, Step("in all", key)), tuple(wrong))


_BIASES_COUNTED = ("biases-counted", "Counted bias vectors; with bias=False the projections are weight matrices only.")
