"""Generator for scaled dot-product attention problems.

Source: "Attention Is All You Need" (2017), section 3.2.1,
``Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V``, and its footnote 4: if the components of q and
k are independent with mean 0 and variance σ², then ``q·k`` has mean 0 and variance ``d_k σ⁴``,
which is why the scores are divided by ``√d_k`` before the softmax.

Questions (``ask``):

- ``scale``: the factor ``1/√d_k``; inputs ``{"ask", "d_k"}``.
- ``scores``: ``Q Kᵀ / √d_k`` before any mask; inputs
  ``{"ask", "Q", "K", "V", "causal": False}``.
- ``weights``: the row-softmax of the (masked) scores; inputs ``{"ask", "Q", "K", "V", "causal"}``.
- ``output``: ``weights V``; same inputs as ``weights``.
- ``variance``: ``Var(q·k)`` (or of ``q·k/√d_k`` when ``scaled``); inputs
  ``{"ask", "d_k", "sigma2", "scaled"}``.
- ``variance-formula``: the same variance as a formula in d (= d_k) and sigma (σ, so the
  components' variance is σ²); inputs ``{"ask", "scaled", "symbols"}``.

A causal mask is self-attention, so a causal draw has as many keys as queries; query ``i`` may look
at keys ``0..i`` (the lower triangle, aligned at the top left).
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.errors import GenerationError
from quizgen.core.formula import describe_symbols
from quizgen.core.params import (
    Choice,
    Flag,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_float,
    draw_int,
    draw_int_matrix,
    redraw,
)
from quizgen.core.render import format_matrix

VERSION = 1
VERSIONS = {"output": 2}
"""Asks whose drawing changed since version 1: output draws no V column of one value (v2)."""

INPUT_LABELS = {"Q": "queries Q", "K": "keys K", "V": "values V"}
"""What learners read for each vector or matrix input, in every face."""

ASKS = ("scale", "scores", "weights", "output", "variance", "variance-formula")
FORMULA_SYMBOLS = {"d": "size", "sigma": "positive"}
MEANINGS = {"d": "the width d_k of q and k", "sigma": "the standard deviation of each component"}
MATRIX_ASKS = ("scores", "weights", "output")
# Beyond this a learner cannot reasonably multiply the matrices by hand.
HAND_MAX_D_K = 16

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("weights",),
        doc="What to ask for: the scale factor, the scaled scores, the attention weights, the "
        "output, or the variance of q·k.",
    ),
    "queries": IntRange(
        default=(2, 3), doc="Number of queries n_q (rows of Q).", minimum=1, maximum=5
    ),
    "keys": IntRange(
        default=(2, 3),
        doc="Number of keys n_k (rows of K and V); ignored when causal, where n_k = n_q.",
        minimum=1,
        maximum=5,
    ),
    "d_k": IntRange(
        default=(2, 4),
        doc=f"Width of queries and keys; at most {HAND_MAX_D_K} for scores, weights and output.",
        minimum=1,
        maximum=512,
    ),
    "d_v": IntRange(
        default=(2, 3), doc="Width of the values (columns of V).", minimum=1, maximum=6
    ),
    "values": IntRange(
        default=(-2, 2),
        doc="Inclusive range of the integer entries of Q, K and V.",
        minimum=-9,
        maximum=9,
    ),
    "causal": Flag(
        default=False,
        doc="Apply a causal mask (query i sees keys 0..i) to weights and output questions.",
    ),
    "sigma2": FloatRange(
        default=(0.5, 3.0),
        doc="Variance σ² of each component of q and k, for variance questions.",
        exclusive_minimum=0.0,
        maximum=100.0,
    ),
    "variance_of": Choice(
        options=("dot", "scaled-dot"),
        default=("dot", "scaled-dot"),
        doc="For variance questions: the variance of q·k, or of q·k/√d_k.",
    ),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems: list[tuple[str, str, str]] = []
    asks = params["ask"]
    if any(a in MATRIX_ASKS for a in asks) and params["d_k"][1] > HAND_MAX_D_K:
        problems.append(
            (
                "d_k",
                f"at most {HAND_MAX_D_K} when ask includes scores, weights or output",
                str(list(params["d_k"])),
            )
        )
    if any(a in MATRIX_ASKS for a in asks) and params["values"] == (0, 0):
        problems.append(
            ("values", "a range with a nonzero integer (Q may not have a zero row)", "[0, 0]")
        )
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask == "variance-formula":
        return {"ask": ask, "scaled": draw_choice(rng, params["variance_of"]) == "scaled-dot", "symbols": FORMULA_SYMBOLS}
    attempt = {"scale": _draw_scale, "variance": _draw_variance}.get(ask)
    return redraw(
        lambda: attempt(params, rng) if attempt is not None else _draw_matrices(ask, params, rng),
        f"ask={ask!r}, queries={params['queries']}, keys={params['keys']}, d_k={params['d_k']}, "
        f"values={params['values']}; widen 'values' (e.g. [-2, 2]).",
    )


def _draw_scale(params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    d_k = draw_int(rng, params["d_k"])
    # With d_k = 1 every way of scaling gives 1: the question teaches nothing if a wider d_k exists.
    if d_k == 1 and params["d_k"][1] > 1:
        return None
    return {"ask": "scale", "d_k": d_k}


def _draw_variance(params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    d_k = draw_int(rng, params["d_k"])
    sigma2 = draw_float(rng, params["sigma2"], 1)
    lo, hi = params["sigma2"]
    if not lo <= sigma2 <= hi:
        # A range narrower than one decimal step: use a two-decimal grid instead.
        sigma2 = draw_float(rng, params["sigma2"], 2)
    if sigma2 <= 0:
        raise GenerationError(
            f"Expected sigma2 bounds reaching 0.01 or more, but got sigma2={list(params['sigma2'])}"
        )
    scaled = draw_choice(rng, params["variance_of"]) == "scaled-dot"
    # d_k = 1 hides the √d_k mistakes and σ² = 1 hides sigma-not-squared; avoid both if possible.
    if d_k == 1 and params["d_k"][1] > 1:
        return None
    if sigma2 == 1.0 and (lo < 0.95 or hi > 1.05):
        return None
    return {"ask": "variance", "d_k": d_k, "sigma2": sigma2, "scaled": scaled}


def _draw_matrices(ask: str, params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    # Scores are asked before masking (a masked entry is −∞, not a number to type), so a scores
    # question is never causal.
    causal = bool(params["causal"]) and ask != "scores"
    n_q = draw_int(rng, params["queries"])
    n_k = n_q if causal else draw_int(rng, params["keys"])
    d_k = draw_int(rng, params["d_k"])
    d_v = draw_int(rng, params["d_v"])
    q = draw_int_matrix(rng, n_q, d_k, params["values"])
    k = draw_int_matrix(rng, n_k, d_k, params["values"])
    v = draw_int_matrix(rng, n_k, d_v, params["values"])
    # A zero query scores every key 0: its weights are uniform however the scores are scaled.
    if any(not any(row) for row in q):
        return None
    # If every query scores all the keys it sees alike, every row of weights is uniform however
    # the scores are scaled; if all values are equal, the output ignores the weights. Either way
    # the scaling mistakes would give the key.
    if n_k > 1 and (not _scores_vary(q, k, causal) or all(row == v[0] for row in v)):
        return None
    # A column of V holding one value gives that value in every output row, whatever the weights:
    # a column to copy, not to compute.
    if ask == "output" and n_k > 1 and any(len({row[j] for row in v}) == 1 for j in range(d_v)):
        return None
    return {"ask": ask, "Q": q, "K": k, "V": v, "causal": causal}


def _scores_vary(q: list[list[int]], k: list[list[int]], causal: bool) -> bool:
    """Whether some query gives two of its visible keys different (integer) dot products."""
    for i, row in enumerate(q):
        visible = k[: i + 1] if causal else k
        if len({sum(a * b for a, b in zip(row, key)) for key in visible}) > 1:
            return True
    return False


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner."""
    ask = inputs["ask"]
    if ask == "scale":
        return f"d_k = {inputs['d_k']}"
    if ask == "variance-formula":
        what = "q·k / √d" if inputs["scaled"] else "q·k"
        return (
            f"q and k have d components, independent, each with mean 0 and variance sigma².\nQuantity: {what}\n"
            + describe_symbols(inputs["symbols"], MEANINGS)
        )
    if ask == "variance":
        what = "q·k / √d_k" if inputs["scaled"] else "q·k"
        return (
            f"d_k = {inputs['d_k']}; the components of q and k are independent, each with mean 0 "
            f"and variance σ² = {inputs['sigma2']}.\nQuantity: {what}"
        )
    n_q, n_k = len(inputs["Q"]), len(inputs["K"])
    parts = [
        format_matrix(INPUT_LABELS["Q"], inputs["Q"]),
        format_matrix(INPUT_LABELS["K"], inputs["K"]),
        format_matrix(INPUT_LABELS["V"], inputs["V"]),
        f"Shapes: Q {n_q}×{len(inputs['Q'][0])}, K {n_k}×{len(inputs['K'][0])}, "
        f"V {n_k}×{len(inputs['V'][0])}",
    ]
    if inputs.get("causal"):
        parts.append("Causal mask: query i may attend only to keys 0..i.")
    return "\n".join(parts)


def expected(inputs: dict[str, Any]) -> Answer:
    """The kind and dimensions of the answer these inputs ask for; the values are placeholders.

    >>> expected({"ask": "output", "Q": [[1, 0]], "K": [[0, 1], [1, 1]], "V": [[1], [2]]}).value
    [[0.0]]
    """
    ask = inputs["ask"]
    if ask in ("scale", "variance"):
        return Answer("number", 0.0)
    cols = len(inputs["V"][0]) if ask == "output" else len(inputs["K"])
    return Answer("matrix", [[0.0] * cols for _ in inputs["Q"]])
