"""Generator for BatchNorm and LayerNorm problems: outputs, running statistics, parameter counts.

Conventions (PyTorch's, which the prompts state): ``ε = 1e-5`` is added to the variance before
the square root; BatchNorm in train mode normalises each feature (column) with the batch's mean
and *biased* variance (divide by B), but tracks the *unbiased* variance (divide by B − 1) in
``running_var``; ``running = (1 − m) · running + m · batch`` with momentum ``m``, starting from
``running_mean = 0`` and ``running_var = 1``; in eval mode it uses the running statistics. LayerNorm
normalises each sample (row) over its features with the biased variance. ``γ`` (weight) and
``β`` (bias) are per feature: ``y = γ · x̂ + β``.

Questions (``ask``):

- ``batchnorm-train``: the train-mode output of ``nn.BatchNorm1d(D)`` for a batch ``x`` (B×D);
  inputs ``{"ask", "x", "gamma", "beta"}``.
- ``batchnorm-eval``: the eval-mode output; inputs ``{"ask", "x", "gamma", "beta",
  "running_mean", "running_var"}``.
- ``running-mean`` / ``running-var``: one feature's running statistic after the batches in
  ``batches`` (k lists of B numbers) went through in train mode with ``momentum``; inputs
  ``{"ask", "batches", "momentum"}``.
- ``layernorm``: the output of ``nn.LayerNorm(D)`` for ``x`` (B×D); inputs
  ``{"ask", "x", "gamma", "beta"}``.
- ``parameters``: the learnable parameters of ``nn.BatchNorm1d(C)`` or ``nn.LayerNorm(shape)``;
  inputs ``{"ask", "layer", "shape"}`` with ``shape`` ``[C]`` or ``[L, D]`` (LayerNorm only).
- ``parameters-formula``: the same count as a formula, for ``nn.BatchNorm1d(C)`` (in C) or
  ``nn.LayerNorm([L, D])`` (in L and D); inputs ``{"ask", "layer", "symbols"}``.

Entries are small integers so a learner can work on paper. Draws where normalising does nothing to
think about (a constant column for BatchNorm, a constant row for LayerNorm) are not made.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.formula import describe_symbols
from quizgen.core.params import (
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_int,
    draw_int_matrix,
    draw_on_grid,
    redraw,
)
from quizgen.core.render import format_matrix

VERSION = 1
# Asks whose drawing changed since version 1 (ids of their older versions are refused); the
# running mean 3: its template's tolerance near zero went from 5e-4 to 1e-6, which can redraw.
VERSIONS = {"layernorm": 3, "batchnorm-train": 3, "batchnorm-eval": 2, "running-mean": 3, "running-var": 2}

INPUT_LABELS = {"x": "batch x", "batches": "mini-batches (row k: batch k)"}
"""What learners read for each vector or matrix input, in every face."""

ASKS = ("batchnorm-train", "batchnorm-eval", "running-mean", "running-var", "layernorm", "parameters", "parameters-formula")
FORMULA_SYMBOLS = {"batchnorm": {"C": "size"}, "layernorm": {"L": "size", "D": "size"}}
MEANINGS = {"C": "the number of channels", "L": "the first normalised size", "D": "the last normalised size"}
MATRIX_ASKS = ("batchnorm-train", "batchnorm-eval", "layernorm")
EPS = 1e-5
MOMENTUM_GRID = (0.1, 0.2, 0.25, 0.5, 0.9)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("batchnorm-train",),
        doc="What to ask for: a BatchNorm output in train or eval mode, a running mean or variance "
        "after some batches, a LayerNorm output, or a layer's learnable parameter count.",
    ),
    "batch": IntRange(
        default=(2, 4),
        doc="Batch size B (rows of x; samples per batch); train-mode outputs draw 3 or more when the range allows.",
        minimum=2,
        maximum=8,
    ),
    "features": IntRange(
        default=(2, 3), doc="Features D (columns of x); LayerNorm needs at least 2 and draws 3 or more when the range allows.", minimum=1, maximum=6
    ),
    "values": IntRange(default=(-3, 3), doc="Inclusive range of the integer entries of x.", minimum=-20, maximum=20),
    "gamma": IntRange(default=(1, 2), doc="Inclusive range of the integer entries of γ (weight).", minimum=-5, maximum=5),
    "beta": IntRange(default=(-1, 1), doc="Inclusive range of the integer entries of β (bias).", minimum=-5, maximum=5),
    "running_var": IntRange(
        default=(1, 4), doc="Inclusive range of the integer running variances for eval mode.", minimum=1, maximum=100
    ),
    "momentum": FloatRange(
        default=(0.1, 0.5),
        doc=f"BatchNorm momentum m, drawn from {list(MOMENTUM_GRID)} within the range (0.5 only when nothing else fits).",
        exclusive_minimum=0.0,
        maximum=1.0,
    ),
    "steps": IntRange(default=(1, 3), doc="Batches seen before the running statistic is asked.", minimum=1, maximum=6),
    "layer": Choice(
        options=("batchnorm", "layernorm"),
        default=("batchnorm", "layernorm"),
        doc="For parameter counts: nn.BatchNorm1d or nn.LayerNorm.",
    ),
    "width": IntRange(
        default=(16, 1024), doc="For parameter counts: the feature count C (or D).", minimum=1, maximum=100_000
    ),
    "length": IntRange(
        default=(2, 512),
        doc="For LayerNorm parameter counts: L when the normalised shape is [L, D] (half the draws).",
        minimum=2,
        maximum=100_000,
    ),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems: list[tuple[str, str, str]] = []
    if params["values"][0] == params["values"][1] and any(a in MATRIX_ASKS or a.startswith("running") for a in params["ask"]):
        problems.append(("values", "a range of at least two integers (a constant batch normalises to nothing)", str(list(params["values"]))))
    if "layernorm" in params["ask"] and params["features"][1] < 2:
        problems.append(("features", "a maximum of at least 2 when ask includes layernorm", str(list(params["features"]))))
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask == "parameters-formula":
        layer = draw_choice(rng, params["layer"])
        return {"ask": ask, "layer": layer, "symbols": FORMULA_SYMBOLS[layer]}
    if ask == "parameters":
        layer = draw_choice(rng, params["layer"])
        width = draw_int(rng, params["width"])
        shape = [draw_int(rng, params["length"]), width] if layer == "layernorm" and rng.random() < 0.5 else [width]
        return {"ask": ask, "layer": layer, "shape": shape}
    if ask.startswith("running"):
        # m = 0.5 weighs old and new alike: the reversed update gives the key. Drawn only when
        # the range holds no other grid value.
        lo, hi = params["momentum"]
        grid = [m for m in MOMENTUM_GRID if m != 0.5 and lo - 1e-9 <= m <= hi + 1e-9] or MOMENTUM_GRID
        momentum = draw_on_grid(rng, grid, params["momentum"], 2)
        steps = draw_int(rng, params["steps"])
        return redraw(
            lambda: _running(ask, params, rng, momentum, steps),
            f"batch={list(params['batch'])}, values={list(params['values'])}; widen 'values' (e.g. [-3, 3]).",
        )
    return redraw(
        lambda: _matrices(ask, params, rng),
        f"ask={ask!r}, batch={list(params['batch'])}, features={list(params['features'])}, "
        f"values={list(params['values'])}; widen 'values' (e.g. [-3, 3]).",
    )


def _running(ask: str, params: dict[str, Any], rng: random.Random, momentum: float, steps: int) -> dict[str, Any] | None:
    size = draw_int(rng, params["batch"])
    batches = [[draw_int(rng, params["values"]) for _ in range(size)] for _ in range(steps)]
    # A constant batch has variance 0 either way: no difference between biased and unbiased.
    if ask == "running-var" and all(len(set(b)) == 1 for b in batches):
        return None
    return {"ask": ask, "batches": batches, "momentum": momentum}


def _at_least(bounds: tuple[int, int], lo: int) -> tuple[int, int]:
    """``bounds`` raised to start at ``lo`` where the range reaches it (else its top alone)."""
    return (max(lo, bounds[0]), bounds[1]) if bounds[1] >= lo else (bounds[1], bounds[1])


def _matrices(ask: str, params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    # Normalising two values gives ±1 whatever they are (the answer is read off the signs): a
    # LayerNorm row of 2 features, or a train-mode BatchNorm column of 2 samples, is drawn only
    # when the range allows nothing wider.
    b = draw_int(rng, _at_least(params["batch"], 3) if ask == "batchnorm-train" else params["batch"])
    d = draw_int(rng, _at_least(params["features"], 3) if ask == "layernorm" else params["features"])
    x = draw_int_matrix(rng, b, d, params["values"])
    gamma = [draw_int(rng, params["gamma"]) for _ in range(d)]
    beta = [draw_int(rng, params["beta"]) for _ in range(d)]
    if ask == "layernorm":
        if any(len(set(row)) == 1 for row in x):
            return None
    elif any(len({row[j] for row in x}) == 1 for j in range(d)) and ask == "batchnorm-train":
        return None
    if all(g == 1 for g in gamma) and not any(beta) and (params["gamma"] != (1, 1) or params["beta"] != (0, 0)):
        return None  # γ = 1 and β = 0: the affine step, and the slips about it, would not show
    inputs: dict[str, Any] = {"ask": ask, "x": x, "gamma": gamma, "beta": beta}
    if ask == "batchnorm-eval":
        inputs["running_mean"] = [draw_int(rng, params["values"]) for _ in range(d)]
        inputs["running_var"] = [draw_int(rng, params["running_var"]) for _ in range(d)]
    return inputs


def _row(values: list[Any]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "layernorm", "x": [[1, 3], [0, -2]], "gamma": [1, 2], "beta": [0, 1]}))
    batch x = [[1,  3],
               [0, -2]]
    (B = 2 samples as rows, D = 2 features as columns)
    γ = [1, 2]   β = [0, 1]   ε = 1e-05
    """
    ask = inputs["ask"]
    if ask.startswith("parameters"):
        batchnorm = inputs["layer"] == "batchnorm"
        default = f"   (default arguments: {'affine' if batchnorm else 'elementwise_affine'}=True)"
    if ask == "parameters-formula":
        call = "nn.BatchNorm1d(C)" if batchnorm else "nn.LayerNorm([L, D])"
        return call + default + "\n" + describe_symbols(inputs["symbols"], MEANINGS)
    if ask == "parameters":
        shape = inputs["shape"]
        call = f"nn.BatchNorm1d({shape[0]})" if batchnorm else f"nn.LayerNorm({shape[0] if len(shape) == 1 else shape})"
        return call + default
    if ask.startswith("running"):
        lines = [format_matrix(INPUT_LABELS["batches"], inputs["batches"])]
        lines.append(f"momentum m = {inputs['momentum']}; one feature; running_mean starts at 0, running_var at 1")
        return "\n".join(lines)
    x = inputs["x"]
    lines = [
        format_matrix(INPUT_LABELS["x"], x),
        f"(B = {len(x)} samples as rows, D = {len(x[0])} feature{'s' if len(x[0]) != 1 else ''} as columns)",
        f"γ = {_row(inputs['gamma'])}   β = {_row(inputs['beta'])}   ε = {EPS:g}",
    ]
    if ask == "batchnorm-eval":
        lines.append(f"running_mean = {_row(inputs['running_mean'])}   running_var = {_row(inputs['running_var'])}")
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """A B×D matrix for an output, else a number; the values are placeholders."""
    if inputs["ask"] in MATRIX_ASKS:
        return Answer("matrix", [[0.0] * len(inputs["x"][0]) for _ in inputs["x"]])
    return Answer("number", 0.0, whole=inputs["ask"] == "parameters")
