"""Checker for normalization problems: BatchNorm and LayerNorm outputs, running statistics, sizes.

Sources: Ioffe & Szegedy (2015), "Batch Normalization", Algorithm 1 (normalise each feature with
the mini-batch mean and variance, then scale by γ and shift by β) and section 3.1 (at inference
use population statistics, with the unbiased variance); Ba, Kiros & Hinton (2016), "Layer
Normalization" (the statistics of each sample over its features, independent of the batch).
The values are PyTorch's own: ``nn.BatchNorm1d`` (normalises with the biased variance, stores the
unbiased one in ``running_var``, ``running = (1 − m)·running + m·batch``) and ``nn.LayerNorm``,
in float64, ``ε = 1e-5``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from quizgen.core.answer import Misconception, Solution, Step
from quizgen.core.formula import value as formula_value

EPS = 1e-5
_F64 = torch.float64

def _unbiased(count: str) -> tuple[str, str]:
    """The unbiased-variance mistake, in the prompt's letter for the count averaged over (D or B)."""
    return (
        "unbiased-variance",
        f"Normalised with the unbiased variance (divide by {count} − 1); the layer normalises with the "
        f"biased one (divide by {count}), the plain mean of the squared deviations.",
    )
_AFFINE_SKIPPED = (
    "affine-skipped",
    "Stopped at the normalised x̂; the layer then scales by γ and shifts by β, y = γ · x̂ + β.",
)
_PER_SAMPLE = (
    "normalised-per-sample",
    "Normalised each sample over its features, as LayerNorm does; BatchNorm normalises each "
    "feature over the samples of the batch (the columns).",
)
_OVER_BATCH = (
    "normalised-over-batch",
    "Normalised each feature over the batch, as BatchNorm does; LayerNorm normalises each sample "
    "over its own features (the rows), so it does not depend on the other samples.",
)
_BATCH_STATS_AT_EVAL = (
    "batch-stats-at-eval",
    "Used this batch's mean and variance; in eval mode BatchNorm uses the running statistics it "
    "gathered in training, so a sample's output does not depend on the rest of the batch.",
)
_NOT_ROOTED = (
    "variance-not-rooted",
    "Divided by the variance itself; x̂ divides by the standard deviation √(var + ε).",
)
_REVERSED = (
    "momentum-reversed",
    "Weighted the old running value by m and the new batch by 1 − m; PyTorch's momentum is the "
    "weight of the new batch: running = (1 − m) · running + m · batch.",
)
_CUMULATIVE = (
    "cumulative-average",
    "Averaged the batch means, ignoring the momentum and the starting value; that is what "
    "momentum=None does, not a momentum of m.",
)
_BIASED_RUNNING = (
    "biased-running-var",
    "Tracked the biased batch variance (divide by B); running_var is updated with the unbiased "
    "one (divide by B − 1), although the batch is normalised with the biased one.",
)
_BUFFERS = (
    "buffers-counted",
    "Counted running_mean and running_var as parameters; they are buffers, updated by the "
    "forward pass and saved in the state dict, but not learned.",
)
_GAMMA_ONLY = ("gamma-only", "Counted γ but not β; the layer learns a scale and a shift for each normalised value.")
_LAST_DIM_ONLY = (
    "last-dim-only",
    "Counted γ and β for the last dimension only; with a normalised shape [L, D] they have that "
    "whole shape, L · D entries each.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one normalization problem.

    Args:
        inputs: A generator's inputs (see ``quizgen.generators.normalization``).

    Returns:
        The solution: a B×D matrix for an output, a number for a running statistic or a count.

    Example:
        >>> [round(v, 4) for v in solve({"ask": "layernorm", "x": [[1, 3]], "gamma": [1, 1], "beta": [0, 0]}).value[0]]
        [-1.0, 1.0]
        >>> solve({"ask": "running-mean", "batches": [[2, 4]], "momentum": 0.1}).value
        0.30000000000000004
        >>> solve({"ask": "parameters", "layer": "batchnorm", "shape": [64]}).value
        128.0
    """
    ask = str(inputs["ask"])
    if ask == "parameters-formula":
        return _solve_parameters_formula(str(inputs["layer"]), dict(inputs["symbols"]))
    if ask == "parameters":
        return _solve_parameters(str(inputs["layer"]), list(inputs["shape"]))
    if ask in ("running-mean", "running-var"):
        return _solve_running(ask, inputs["batches"], float(inputs["momentum"]))
    return _solve_output(ask, inputs)  # ask in ("batchnorm-train", "batchnorm-eval", "layernorm") (the registry refused any other)


def _paren(v: float) -> str:
    return f"({v:.6g})" if v < 0 else f"{v:.6g}"


def _normalised(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    return (x - mean) / torch.sqrt(var + EPS)


def _solve_output(ask: str, inputs: Mapping[str, Any]) -> Solution:
    x = torch.tensor(inputs["x"], dtype=_F64)
    b, d = x.shape
    gamma, beta = torch.tensor(inputs["gamma"], dtype=_F64), torch.tensor(inputs["beta"], dtype=_F64)
    layer: nn.Module = nn.LayerNorm(d, eps=EPS, dtype=_F64) if ask == "layernorm" else nn.BatchNorm1d(d, eps=EPS, dtype=_F64)
    state = {"weight": gamma, "bias": beta}
    if ask == "batchnorm-eval":
        state.update(running_mean=torch.tensor(inputs["running_mean"], dtype=_F64), running_var=torch.tensor(inputs["running_var"], dtype=_F64))
        layer.eval()
    layer.load_state_dict(state, strict=False)
    with torch.no_grad():
        y = layer(x)

    # The statistics the layer used: per sample (rows) for LayerNorm, per feature (columns) else.
    dim = 1 if ask == "layernorm" else 0
    if ask == "batchnorm-eval":
        mean, var = layer.get_buffer("running_mean"), layer.get_buffer("running_var")
        where = "running statistics of each feature"
    else:
        mean, var = x.mean(dim=dim, keepdim=True), x.var(dim=dim, unbiased=False, keepdim=True)
        where = "each sample over its features" if dim else "each feature over the batch"
    n = len(mean.flatten())
    count = "D" if dim else "B"  # what the statistics average over, in the prompt's letters
    steps = [
        Step("mean μ", mean.flatten().tolist(), shape=[n], note=where),
        Step(f"variance σ² (biased: divide by {count})" if ask != "batchnorm-eval" else "variance σ²", var.flatten().tolist(), shape=[n]),
        Step("x̂ = (x − μ) / √(σ² + ε)", _normalised(x, mean, var).tolist(), shape=[b, d]),
        Step("y = γ · x̂ + β", y.tolist(), shape=[b, d]),
    ]
    mistaken: list[tuple[str, str, torch.Tensor]] = []
    if ask == "batchnorm-eval":
        if b > 1:
            mistaken.append((*_BATCH_STATS_AT_EVAL, F.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)))
        if any(v != 1 for v in inputs["running_var"]):
            mistaken.append((*_NOT_ROOTED, (x - mean) / (var + EPS) * gamma + beta))
    else:
        unbiased = x.var(dim=dim, unbiased=True, keepdim=True)
        mistaken.append((*_unbiased(count), _normalised(x, mean, unbiased) * gamma + beta))
        if ask == "layernorm" and b > 1:
            mistaken.append((*_OVER_BATCH, F.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)))
        if ask == "batchnorm-train" and d > 1:
            mistaken.append((*_PER_SAMPLE, F.layer_norm(x, (d,), gamma, beta, eps=EPS)))
    if any(g != 1 for g in inputs["gamma"]) or any(v != 0 for v in inputs["beta"]):
        mistaken.append((*_AFFINE_SKIPPED, _normalised(x, mean, var)))
    return Solution(y.tolist(), tuple(steps), tuple(Misconception(name, desc, v.tolist()) for name, desc, v in mistaken))


def _solve_running(ask: str, batches: list[list[int]], momentum: float) -> Solution:
    layer = nn.BatchNorm1d(1, momentum=momentum, dtype=_F64)  # train mode: running_mean 0, running_var 1
    mean_ask = ask == "running-mean"
    name = "running_mean" if mean_ask else "running_var"
    steps: list[Step] = []
    reversed_value = 0.0 if mean_ask else 1.0
    biased_value = 1.0
    for i, batch in enumerate(batches, start=1):
        x = torch.tensor(batch, dtype=_F64)
        before = layer.get_buffer(name).item()
        with torch.no_grad():
            layer(x[:, None])
        after = layer.get_buffer(name).item()
        stat = (x.mean() if mean_ask else x.var(unbiased=True)).item()
        label = f"batch {i} mean" if mean_ask else f"batch {i} unbiased variance (divide by B − 1 = {len(batch) - 1})"
        steps += [Step(label, stat), Step(f"{name} = (1 − m) · {_paren(before)} + m · {_paren(stat)}", after)]
        reversed_value = momentum * reversed_value + (1 - momentum) * stat
        biased_value = (1 - momentum) * biased_value + momentum * x.var(unbiased=False).item()
    key = float(layer.get_buffer(name).item())
    wrong = [Misconception(*_REVERSED, reversed_value)] if not math.isclose(momentum, 0.5) else []
    if mean_ask:
        wrong.append(Misconception(*_CUMULATIVE, torch.tensor(batches, dtype=_F64).mean(dim=1).mean().item()))
    else:
        wrong.append(Misconception(*_BIASED_RUNNING, biased_value))
    return Solution(key, tuple(steps), tuple(wrong))


def _solve_parameters(kind: str, shape: list[int]) -> Solution:
    # Meta tensors: the sizes without allocating a [L, D] that may be large.
    layer = nn.BatchNorm1d(shape[0], device="meta") if kind == "batchnorm" else nn.LayerNorm(shape, device="meta")
    count = sum(p.numel() for p in layer.parameters())
    gamma, beta = layer.get_parameter("weight"), layer.get_parameter("bias")
    weight = gamma.numel()
    steps = [
        Step("γ (weight) entries", weight, shape=list(gamma.shape)),
        Step("β (bias) entries", beta.numel(), shape=list(beta.shape)),
        Step("learnable parameters γ + β", count),
    ]
    wrong = [Misconception(*_GAMMA_ONLY, float(weight))]
    if kind == "batchnorm":
        buffers = layer.get_buffer("running_mean").numel() + layer.get_buffer("running_var").numel()
        steps.insert(2, Step("buffers running_mean, running_var (not learned)", buffers))
        wrong.append(Misconception(*_BUFFERS, float(count + buffers)))
    elif len(shape) > 1:
        wrong.append(Misconception(*_LAST_DIM_ONLY, float(2 * shape[-1])))
    return Solution(float(count), tuple(steps), tuple(wrong))


def _solve_parameters_formula(kind: str, symbols: dict[str, str]) -> Solution:
    """The learnable parameters as a formula: γ and β, each of the normalised shape."""

    f = functools.partial(formula_value, symbols=symbols)

    size = "C" if kind == "batchnorm" else "L*D"
    steps = (Step("γ (weight): one entry per normalised value", size), Step("β (bias): as many", size), Step("learnable parameters", f"2*{size}"))
    wrong = [Misconception(*_GAMMA_ONLY, f(size))]
    if kind == "batchnorm":
        wrong.append(Misconception(*_BUFFERS, f("4*C")))
    else:
        wrong.append(Misconception(*_LAST_DIM_ONLY, f("2*D")))
    return Solution(f(f"2*{size}"), steps, tuple(wrong))
