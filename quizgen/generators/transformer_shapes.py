"""Generator for Transformer shape and size problems: multi-head attention step by step, parameter
counts of attention, feed-forward and encoder layers, padding and causal masks.

Questions (``ask``):

- ``d-k``: the width of one head, ``d_k = d_model / h``; inputs ``{"ask", "d_model", "heads"}``.
- ``shape``: the shape of one named tensor of multi-head attention written out by hand (the code is
  in ``describe``); inputs ``{"ask", "batch", "length", "kv_length", "d_model", "heads", "step"}``,
  where ``kv_length`` differs from ``length`` for cross-attention (keys and values from a memory).
- ``mha-params``: learnable parameters of ``nn.MultiheadAttention(d_model, heads, bias=bias)``;
  inputs ``{"ask", "d_model", "heads", "bias"}``.
- ``ffn-params``: the position-wise feed-forward block ``Linear(d_model, d_ff)``, activation,
  ``Linear(d_ff, d_model)``; inputs ``{"ask", "d_model", "d_ff"}``.
- ``layer-params``: ``nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=d_ff)``
  (attention, feed-forward block and two LayerNorms, all with biases); inputs
  ``{"ask", "d_model", "heads", "d_ff"}``.
- ``layer-params-no-bias``: the same layer built with ``bias=False``, which drops the LayerNorms'
  biases as well as the projections'; the same inputs.
- ``causal-entries``: how many (query, key) pairs an L×L causal mask lets through; inputs
  ``{"ask", "length"}``.
- ``padding-mask``: the ``key_padding_mask`` of a padded batch (1 where a position is padding and
  must be ignored, 0 where it holds a token); inputs ``{"ask", "lengths", "length"}``.
- ``mha-formula`` and ``ffn-formula``: the parameter count of ``nn.MultiheadAttention`` (in d and
  h) or of the feed-forward block (in d and f = d_ff) as a formula; inputs ``{"ask", "bias",
  "symbols"}``.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.formula import describe_symbols
from quizgen.core.params import Choice, IntRange, ParamSpec, draw_choice, draw_int

VERSION = 1
# Asks whose drawing changed since version 1 (ids of their older versions are refused).
VERSIONS = {"d-k": 2, "shape": 2, "mha-params": 2, "ffn-params": 2, "layer-params": 2}

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("d-k", "shape", "mha-params", "ffn-params", "layer-params", "layer-params-no-bias", "causal-entries", "padding-mask",
        "mha-formula", "ffn-formula")
FORMULA_SYMBOLS = {"mha-formula": {"d": "size", "h": "size"}, "ffn-formula": {"d": "size", "f": "size"}}
MEANINGS = {"d": "the model width d_model", "h": "the number of heads", "f": "the hidden width d_ff"}
STEPS = ("q-projected", "q-heads", "scores", "weights", "head-outputs", "concatenated", "output")
# Model widths and head counts as real models use them (every width divisible by every count
# drawn with it).
D_MODELS = (32, 64, 128, 256, 384, 512, 768, 1024)
HEADS = (1, 2, 4, 8, 12, 16)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("shape",),
        doc="What to ask for: the head width, an attention tensor's shape, a parameter count "
        "(attention, feed-forward block, encoder layer), a causal mask's allowed entries or a "
        "padding mask.",
    ),
    "step": Choice(options=STEPS, default=STEPS, doc="For shape questions: which tensor of the attention code."),
    "cross": Choice(
        options=("self", "cross"),
        default=("self", "cross"),
        doc="For shape questions: self-attention (keys from x) or cross-attention (keys from a memory of another length).",
    ),
    "batch": IntRange(default=(2, 8), doc="Batch size B.", minimum=1, maximum=1024),
    "length": IntRange(default=(3, 12), doc="Sequence length L (the padded length for masks).", minimum=2, maximum=4096),
    "d_model": IntRange(default=(32, 1024), doc=f"Model width, drawn from {list(D_MODELS)} within the range.", minimum=1, maximum=100_000),
    "heads": IntRange(default=(1, 16), doc=f"Head count, drawn from {list(HEADS)} (dividing d_model) within the range; 1 only when nothing else fits.",
        minimum=1, maximum=1024),
    "ffn_ratio": IntRange(default=(2, 4), doc="d_ff as a multiple of d_model.", minimum=1, maximum=16),
    "bias": Choice(options=("with", "without"), default=("with", "without"), doc="For mha-params and the formulas: bias=True or bias=False."),
}


def _width_and_heads(params: dict[str, Any], rng: random.Random) -> tuple[int, int]:
    lo, hi = params["d_model"]
    widths = [d for d in D_MODELS if lo <= d <= hi] or [draw_int(rng, (lo, hi))]
    d = widths[rng.randrange(len(widths))]
    heads = [h for h in HEADS if params["heads"][0] <= h <= params["heads"][1] and d % h == 0] or [1]
    # One head is degenerate (d_k = d_model, nothing is split): drawn only when nothing else fits.
    heads = [h for h in heads if h > 1] or heads
    return d, heads[rng.randrange(len(heads))]


def _clamp(bounds: tuple[int, int], lo: int, hi: int) -> tuple[int, int]:
    a = min(max(bounds[0], lo), hi)
    return a, max(a, min(bounds[1], hi))


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``)."""
    ask = draw_choice(rng, params["ask"])
    if ask in FORMULA_SYMBOLS:
        return {"ask": ask, "bias": draw_choice(rng, params["bias"]) == "with", "symbols": FORMULA_SYMBOLS[ask]}
    if ask == "causal-entries":
        return {"ask": ask, "length": draw_int(rng, params["length"])}
    if ask == "padding-mask":
        # A mask is written out by hand: at most 6 sequences of at most 8 positions, whatever the
        # ranges ask for (each range is clamped into those bounds).
        b = draw_int(rng, _clamp(params["batch"], 2, 6))
        length = draw_int(rng, _clamp(params["length"], 2, 8))
        lengths = [rng.randint(1, length) for _ in range(b)]
        lengths[rng.randrange(b)] = length  # the batch is padded to its longest sequence
        if all(n == length for n in lengths):
            lengths[(lengths.index(length) + 1) % b] = rng.randint(1, length - 1)
        return {"ask": ask, "lengths": lengths, "length": length}
    d, h = _width_and_heads(params, rng)
    if ask == "d-k":
        return {"ask": ask, "d_model": d, "heads": h}
    if ask == "mha-params":
        return {"ask": ask, "d_model": d, "heads": h, "bias": draw_choice(rng, params["bias"]) == "with"}
    d_ff = d * draw_int(rng, params["ffn_ratio"])
    if ask == "ffn-params":
        return {"ask": ask, "d_model": d, "d_ff": d_ff}
    if ask in ("layer-params", "layer-params-no-bias"):
        return {"ask": ask, "d_model": d, "heads": h, "d_ff": d_ff}
    step = draw_choice(rng, params["step"])
    length = draw_int(rng, params["length"])
    kv_length = length
    if draw_choice(rng, params["cross"]) == "cross":
        # A memory of another length, so that L and S cannot be mixed up unnoticed.
        others = [n for n in range(params["length"][0], params["length"][1] + 2) if n != length]
        kv_length = others[rng.randrange(len(others))]
    return {"ask": ask, "batch": draw_int(rng, params["batch"]), "length": length, "kv_length": kv_length,
            "d_model": d, "heads": h, "step": step}


_CODE = """\
q = x @ W_q                                   # W_q: (d_model, d_model); k, v likewise from {source}
q = q.view(B, L, h, d_k).transpose(1, 2)      # k, v: .view(B, {s}, h, d_k).transpose(1, 2)
scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)
weights = scores.softmax(dim=-1)
heads = weights @ v
concat = heads.transpose(1, 2).reshape(B, L, d_model)
out = concat @ W_o                            # W_o: (d_model, d_model)"""
_NAMES = {
    "q-projected": "q after the projection (q = x @ W_q)",
    "q-heads": "q after splitting the heads (q = q.view(…).transpose(1, 2))",
    "scores": "scores",
    "weights": "weights",
    "head-outputs": "heads",
    "concatenated": "concat",
    "output": "out",
}


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "causal-entries", "length": 5}))
    L = 5 (a causal mask over L queries and L keys)
    """
    ask = inputs["ask"]
    if ask in FORMULA_SYMBOLS:
        module = (
            "nn.MultiheadAttention(embed_dim=d, num_heads=h, bias={bias})"
            if ask == "mha-formula"
            else "nn.Linear(d, f, bias={bias}) → ReLU → nn.Linear(f, d, bias={bias})"
        )
        return module.format(bias=inputs["bias"]) + "\n" + describe_symbols(inputs["symbols"], MEANINGS)
    if ask == "causal-entries":
        return f"L = {inputs['length']} (a causal mask over L queries and L keys)"
    if ask == "padding-mask":
        lines = [f"sequence {i}: {n} token{'s' if n != 1 else ''}" for i, n in enumerate(inputs["lengths"])]
        return "\n".join(lines + [f"padded length L = {inputs['length']} (padding at the end of each sequence)"])
    d, h = inputs["d_model"], inputs.get("heads")
    if ask == "d-k":
        return f"d_model = {d}, h = {h} heads"
    if ask == "mha-params":
        return f"nn.MultiheadAttention(embed_dim={d}, num_heads={h}, bias={inputs['bias']})"
    if ask == "ffn-params":
        return f"nn.Linear({d}, {inputs['d_ff']}) → ReLU → nn.Linear({inputs['d_ff']}, {d})   (d_model = {d}, d_ff = {inputs['d_ff']}, with biases)"
    if ask == "layer-params":
        return f"nn.TransformerEncoderLayer(d_model={d}, nhead={h}, dim_feedforward={inputs['d_ff']})   (defaults: biases on)"
    if ask == "layer-params-no-bias":
        return f"nn.TransformerEncoderLayer(d_model={d}, nhead={h}, dim_feedforward={inputs['d_ff']}, bias=False)"
    b, L, s = inputs["batch"], inputs["length"], inputs["kv_length"]
    source = "x" if s == L else f"memory, shape (B, S, d_model) with S = {s}"
    head = [f"B = {b}, L = {L}, d_model = {d}, h = {h}, d_k = d_model / h; x has shape (B, L, d_model)"]
    code = _CODE.format(source=source, s="L" if s == L else "S")
    return "\n".join(head + [code, f"What is the shape of {_NAMES[inputs['step']]}?"])


def expected(inputs: dict[str, Any]) -> Answer:
    """A shape for ``shape``, a B×L 0/1 matrix for ``padding-mask``, else a whole number."""
    if inputs["ask"] == "shape":
        return Answer("shape", [])
    if inputs["ask"] == "padding-mask":
        return Answer("matrix", [[0.0] * inputs["length"] for _ in inputs["lengths"]])
    return Answer("number", 0.0, whole=True)
