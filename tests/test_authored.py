"""Authored templates: the maths written in concept files, checked by another route.

- ``reference`` and ``mistakes``: each shipped authored template's answer and named mistakes
  written again here in numpy, from the template's meaning (not from its expression text), so
  the registry-driven tests compare them with what torch computes over 1,000 variants each.
- The two evaluators of the authoring language (torch in ``checkers.authored``, plain Python in
  ``quizgen.core.arrays``) against numpy over seeded random expression trees; the tree's text and
  its numpy value are built together here, without quizgen's parser.
- Known values with degenerate cases; two family templates re-expressed as authored ones agree
  with their families over 1,000 variants each; hostile authored files are refused quickly with
  file, line and field.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from quizgen.cli import cli

# ---------------------------------------------------------------------------------------------
# References: one numpy function per shipped authored answer, keyed by the answer's text


def _dropout_train(v: dict[str, Any]) -> Any:
    keep = np.asarray(v["m"], dtype=float)
    return np.asarray(v["x"], dtype=float) * keep / (1.0 - v["p"])


def _hidden(v: dict[str, Any]) -> np.ndarray:
    return np.maximum(np.asarray(v["W"], float) @ np.asarray(v["x"], float), 0.0)


def _network(v: dict[str, Any], h: np.ndarray) -> float:
    return float(np.asarray(v["v"], float) @ h)


# Knowledge distillation (Hinton, Vinyals and Dean, 2015). The KL divergence between two softmaxes
# in closed form, through log-sum-exp: KL(softmax(a) ‖ softmax(b)) = Σ softmax(a)·(a − b) − LSE(a) + LSE(b).


def _lse(a: Any) -> float:
    a = np.asarray(a, float)
    top = float(a.max())
    return top + math.log(sum(math.exp(x - top) for x in a))


def _probs(a: Any) -> np.ndarray:
    a = np.asarray(a, float)
    return np.array([math.exp(x - _lse(a)) for x in a])


def _kl_softmax(a: Any, b: Any) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(sum(pi * (ai - bi) for pi, ai, bi in zip(_probs(a), a, b))) - _lse(a) + _lse(b)


def _batch_kl(v: dict[str, Any], teacher: str = "t", student: str = "s") -> float:
    """Σ over the rows of KL(softmax(teacher row) ‖ softmax(student row))."""
    return sum(_kl_softmax(a, b) for a, b in zip(v[teacher], v[student]))


def _soft(v: dict[str, Any], name: str, temperature: float | None = None) -> np.ndarray:
    return np.asarray(v[name], float) / (v["T"] if temperature is None else temperature)


def _distill(v: dict[str, Any], teacher_t: float | None = None, student_t: float | None = None) -> float:
    return v["T"] ** 2 * _kl_softmax(_soft(v, "t", teacher_t), _soft(v, "s", student_t))


def _hard_ce(logits: Any, k: int) -> float:
    return _lse(logits) - float(np.asarray(logits, float)[int(k)])


def _softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """∂p_i/∂z_j = p_i (δ_ij − p_j), built entry by entry."""
    n = len(p)
    return np.array([[p[i] * ((1.0 if i == j else 0.0) - p[j]) for j in range(n)] for i in range(n)])


def _distill_gradient(v: dict[str, Any]) -> np.ndarray:
    """∂(T² KL(p ‖ q))/∂s by the chain rule through q: ∂L/∂q_i = −T² p_i / q_i, ∂q/∂s = J(q) / T."""
    p, q = _probs(_soft(v, "t")), _probs(_soft(v, "s"))
    dl_dq = -(v["T"] ** 2) * p / q
    return _softmax_jacobian(q).T @ dl_dq / v["T"]


def _first_order(v: dict[str, Any]) -> float:
    """The coefficient c of q_i − p_i ≈ c / T for large T (Hinton et al., 2015, equation 3):
    zero-mean logit vectors with z_i (and v_i) at class 0, the rest equal, times the softmax's
    Jacobian at the uniform distribution, where every logit vector x / T starts as T grows."""
    n = int(v["N"])
    student = np.array([v["z"]] + [-v["z"] / (n - 1)] * (n - 1), dtype=float)
    teacher = np.array([v["v"]] + [-v["v"] / (n - 1)] * (n - 1), dtype=float)
    return float((_softmax_jacobian(np.full(n, 1.0 / n)) @ (student - teacher))[0])


_TEMPERATURES = (1.5, 4.0, 20.0)


def _in_t(f: Callable[[float], float]) -> list[tuple[dict[str, float], float]]:
    """A formula in T as (symbol values, number) cases."""
    return [({"T": t}, f(t)) for t in _TEMPERATURES]


# The cross-entropy gradient (Szegedy et al., 2016, section 7) by the chain rule through the
# probabilities: ∂L/∂p_i = −q_i / p_i for L = −Σ q_i ln p_i, times the softmax's Jacobian.


def _ce_gradient(z: Any, target: np.ndarray) -> np.ndarray:
    p = _probs(z)
    return _softmax_jacobian(p).T @ (-target / p)


def _one_hot(k: int, n: int) -> np.ndarray:
    return np.array([1.0 if i == int(k) else 0.0 for i in range(n)])


def _smoothed(v: dict[str, Any]) -> np.ndarray:
    n, eps = int(v["C"]), v["eps"]
    return np.array([eps / n + (1 - eps if i == int(v["k"]) else 0.0) for i in range(n)])


def _column_probs(m: Any) -> np.ndarray:
    """Each column normalised over the rows (the examples): the softmax taken down the batch."""
    return np.array([_probs(column) for column in np.asarray(m, float).T]).T


def _batch_gradient(v: dict[str, Any], rows: Callable[[Any, int], np.ndarray]) -> np.ndarray:
    return np.array([rows(z, int(y)) for z, y in zip(v["Z"], v["y"])])


# Adam and AdamW (Kingma and Ba, 2015; Loshchilov and Hutter, 2019): the answers by PyTorch's own
# optimizers, one real step on a parameter (the state of earlier steps put in as the optimizer
# keeps it); the mistakes in numpy, from their descriptions.


def _optimizer_step(v: dict[str, Any], make: Callable[..., torch.optim.Optimizer], change: bool, **state: Any) -> np.ndarray:
    """The parameters after one ``step()`` of ``make([param])`` (their change, with ``change``)."""
    theta = torch.tensor(v.get("theta", [0.0] * len(v["g"])), dtype=torch.float64)
    param = torch.nn.Parameter(theta.clone())
    optimizer = make([param])
    if state:
        optimizer.state[param] = {k: torch.tensor(x, dtype=torch.float64) for k, x in state.items()}
    param.grad = torch.tensor(v["g"], dtype=torch.float64)
    optimizer.step()
    return (param.detach() - theta).numpy() if change else param.detach().numpy()


def _adam_first(v: dict[str, Any]) -> np.ndarray:
    return _optimizer_step(v, lambda ps: torch.optim.Adam(ps, lr=v["lr"]), change=False)


def _adam_later(v: dict[str, Any]) -> np.ndarray:
    return _optimizer_step(
        v, lambda ps: torch.optim.Adam(ps, lr=v["lr"]), True, step=float(v["t"] - 1), exp_avg=v["m"], exp_avg_sq=v["v"]
    )


def _adamw_first(v: dict[str, Any]) -> np.ndarray:
    return _optimizer_step(v, lambda ps: torch.optim.AdamW(ps, lr=v["lr"], weight_decay=v["wd"]), change=True)


def _adam_update(m_hat: Any, v_hat: Any, lr: float) -> np.ndarray:
    return -lr * np.asarray(m_hat, float) / (np.sqrt(np.asarray(v_hat, float)) + 1e-8)


def _moments(v: dict[str, Any], b1: float = 0.9, b2: float = 0.999) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(v["g"], float)
    return b1 * np.asarray(v["m"], float) + (1 - b1) * g, b2 * np.asarray(v["v"], float) + (1 - b2) * g**2


def _over_masks(v: dict[str, Any], f: Callable[[np.ndarray], float], scale: float | None = None) -> float:
    """E[f(y)] for y = x · b · scale, b a mask of independent Bernoulli(1 − p) keeps, summed over
    every mask with its probability; the scale is 1/(1 − p) unless given."""
    import itertools

    x, p = np.asarray(v["x"], float), float(v["p"])
    scale = 1 / (1 - p) if scale is None else scale
    total = 0.0
    for mask in itertools.product((0.0, 1.0), repeat=len(x)):
        b = np.array(mask)
        total += float(np.prod(np.where(b == 1, 1 - p, p))) * f(x * b * scale)
    return total


def _perplexity(p: Any) -> float:
    """(p1 · … · pN)^(−1/N): the inverse geometric mean (Jurafsky and Martin, chapter 3)."""
    p = np.asarray(p, float)
    return float(np.prod(p) ** (-1 / len(p)))


def _log_probs(z: Any, axis: int = 1) -> np.ndarray:
    z = np.asarray(z, float)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def _target_rows(m: np.ndarray, y: Any) -> np.ndarray:
    return np.array([m[i, int(k)] for i, k in enumerate(y)])


REFERENCES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "x * m / (1 - p)": _dropout_train,
    "dot(v, relu(W @ x))": lambda v: _network(v, _hidden(v)),
    "dot(v, relu(W @ x) * m / (1 - p))": lambda v: _network(v, _hidden(v) * np.asarray(v["m"], float) / (1 - v["p"])),
    # E[Σ y_i²] over every mask, each weighted by its probability (2^n masks of n ≤ 5 units).
    "sum(x^2) / (1 - p)": lambda v: _over_masks(v, lambda y: float(np.sum(y**2))),
    # knowledge-distillation.yaml
    "softmax(t / T)": lambda v: _probs(_soft(v, "t")),
    "T^2 * kl_div(log_softmax(s / T), softmax(t / T))": _distill,
    "alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T)) + (1 - alpha) * cross_entropy(s, k)": (
        lambda v: v["alpha"] * _distill(v) + (1 - v["alpha"]) * _hard_ce(v["s"], v["k"])
    ),
    "T * (softmax(s / T) - softmax(t / T))": _distill_gradient,
    # F.kl_div(log q, p, reduction='batchmean'): the rows' KL(p ‖ q), summed, over N.
    "kl_div(log_softmax(s, dim=1), softmax(t, dim=1)) / N": lambda v: _batch_kl(v) / v["N"],
    # ∂C/∂z_i = (q_i − p_i) / T ≈ c / T².
    "(z - v)/(N*T^2)": lambda v: _in_t(lambda t: _first_order(v) / t**2),
    # adam-step.yaml
    "theta - lr * ((1 - 0.9) * g / (1 - 0.9)) / (sqrt((1 - 0.999) * g^2 / (1 - 0.999)) + 1e-8)": _adam_first,
    "-lr * ((0.9 * m + (1 - 0.9) * g) / (1 - 0.9^t)) / (sqrt((0.999 * v + (1 - 0.999) * g^2) / (1 - 0.999^t)) + 1e-8)": _adam_later,
    "-lr * wd * theta - lr * ((1 - 0.9) * g / (1 - 0.9)) / (sqrt((1 - 0.999) * g^2 / (1 - 0.999)) + 1e-8)": _adamw_first,
    "-lr * ((1 - 0.9) * (g + wd * theta) / (1 - 0.9)) / (sqrt((1 - 0.999) * (g + wd * theta)^2 / (1 - 0.999)) + 1e-8)": (
        lambda v: _optimizer_step(v, lambda ps: torch.optim.Adam(ps, lr=v["lr"], weight_decay=v["wd"]), change=True)
    ),
    # perplexity.yaml
    "exp(-mean(log(p)))": lambda v: _perplexity(v["p"]),
    "exp(S / N)": lambda v: math.exp(v["S"] / v["N"]),
    "exp((n1 * L1 + n2 * L2) / (n1 + n2))": lambda v: _perplexity([math.exp(-v["L1"])] * v["n1"] + [math.exp(-v["L2"])] * v["n2"]),
    # The template calls torch's cross-entropy: the reference is written out in numpy.
    "exp(cross_entropy(z, y))": lambda v: math.exp(-float(np.mean(_target_rows(_log_probs(v["z"]), v["y"])))),
    # softmax-cross-entropy-gradient.yaml
    "softmax(z) - one_hot(k, C)": lambda v: _ce_gradient(v["z"], _one_hot(v["k"], v["C"])),
    "softmax(z)[j] - (j == k)": lambda v: _ce_gradient(v["z"], _one_hot(v["k"], v["C"]))[int(v["j"])],
    "(softmax(Z, dim=1) - one_hot(y, 3)) / N": lambda v: _batch_gradient(v, lambda z, y: _ce_gradient(z, _one_hot(y, 3))) / v["N"],
    "softmax(z) - ((1 - eps) * one_hot(k, C) + eps / C)": lambda v: _ce_gradient(v["z"], _smoothed(v)),
}

MISTAKES: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "kl_div(log_softmax(s, dim=1), softmax(t, dim=1)) / N": {
        "reduction-mean": lambda v: _batch_kl(v) / (3 * v["N"]),
        "reduction-sum": _batch_kl,
        "arguments-swapped": lambda v: _batch_kl(v, "s", "t") / v["N"],
        # kl_div's pointwise target · (log target − input), with probabilities given as the input.
        "probabilities-as-input": lambda v: sum(
            float(np.sum(_probs(tr) * (np.log(_probs(tr)) - _probs(sr)))) for sr, tr in zip(v["s"], v["t"])
        ) / v["N"],
    },
    "x * m / (1 - p)": {
        "no-rescale": lambda v: np.asarray(v["x"], float) * np.asarray(v["m"], float),
        "divided-by-p": lambda v: np.asarray(v["x"], float) * np.asarray(v["m"], float) / v["p"],
        "multiplied-by-keep": lambda v: np.asarray(v["x"], float) * np.asarray(v["m"], float) * (1 - v["p"]),
        "mask-reversed": lambda v: np.asarray(v["x"], float) * (1 - np.asarray(v["m"], float)) / (1 - v["p"]),
    },
    "dot(v, relu(W @ x))": {
        "scaled-by-keep-at-eval": lambda v: (1 - v["p"]) * _network(v, _hidden(v)),
        "rescaled-at-eval": lambda v: _network(v, _hidden(v)) / (1 - v["p"]),
        "relu-skipped": lambda v: _network(v, np.asarray(v["W"], float) @ np.asarray(v["x"], float)),
    },
    "dot(v, relu(W @ x) * m / (1 - p))": {
        "no-rescale": lambda v: _network(v, _hidden(v) * np.asarray(v["m"], float)),
        "divided-by-p": lambda v: _network(v, _hidden(v) * np.asarray(v["m"], float) / v["p"]),
        "mask-ignored": lambda v: _network(v, _hidden(v) / (1 - v["p"])),
        "eval-mode": lambda v: _network(v, _hidden(v)),
    },
    "sum(x^2) / (1 - p)": {
        "squares-kept-too": lambda v: float(np.sum(np.asarray(v["x"], float) ** 2)),
        "no-rescale": lambda v: _over_masks(v, lambda y: float(np.sum(y**2)), scale=1.0),
        "keep-probability-forgotten": lambda v: float(np.sum((np.asarray(v["x"], float) / (1 - v["p"])) ** 2)),
        "keep-is-p": lambda v: _over_masks({**v, "p": 1 - v["p"]}, lambda y: float(np.sum(y**2))),
    },
    "softmax(t / T)": {
        "no-temperature": lambda v: _probs(v["t"]),
        "multiplied-by-t": lambda v: _probs(np.asarray(v["t"], float) * v["T"]),
        "divided-probabilities": lambda v: _probs(v["t"]) / v["T"],
        "numerator-only": lambda v: np.array([math.exp(x / v["T"] - _lse(v["t"])) for x in v["t"]]),
    },
    "T^2 * kl_div(log_softmax(s / T), softmax(t / T))": {
        "no-t-squared": lambda v: _distill(v) / v["T"] ** 2,
        "kl-reversed": lambda v: v["T"] ** 2 * _kl_softmax(_soft(v, "s"), _soft(v, "t")),
        "teacher-not-softened": lambda v: _distill(v, teacher_t=1),
        "student-not-softened": lambda v: _distill(v, student_t=1),
        # Cross-entropy = KL + the teacher's entropy.
        "soft-cross-entropy": lambda v: _distill(v) - v["T"] ** 2 * float(sum(p * math.log(p) for p in _probs(_soft(v, "t")))),
    },
    "alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T)) + (1 - alpha) * cross_entropy(s, k)": {
        "no-t-squared": lambda v: v["alpha"] * _distill(v) / v["T"] ** 2 + (1 - v["alpha"]) * _hard_ce(v["s"], v["k"]),
        "weights-swapped": lambda v: (1 - v["alpha"]) * _distill(v) + v["alpha"] * _hard_ce(v["s"], v["k"]),
        "hard-term-softened": lambda v: v["alpha"] * _distill(v) + (1 - v["alpha"]) * _hard_ce(_soft(v, "s"), v["k"]),
        "kl-reversed": lambda v: v["alpha"] * v["T"] ** 2 * _kl_softmax(_soft(v, "s"), _soft(v, "t")) + (1 - v["alpha"]) * _hard_ce(v["s"], v["k"]),
    },
    "T * (softmax(s / T) - softmax(t / T))": {
        "no-t-squared": lambda v: _distill_gradient(v) / v["T"] ** 2,
        "chain-rule-forgotten": lambda v: _distill_gradient(v) * v["T"],
        "no-scale": lambda v: _distill_gradient(v) / v["T"],
        "sign-flipped": lambda v: -_distill_gradient(v),
        "no-temperature": lambda v: _ce_gradient(v["s"], _probs(v["t"])),
    },
    "(z - v)/(N*T^2)": {
        "one-power-of-t": lambda v: _in_t(lambda t: _first_order(v) / t),
        "forgot-n": lambda v: _in_t(lambda t: _first_order(v) * v["N"] / t**2),
        "sign-flipped": lambda v: _in_t(lambda t: -_first_order(v) / t**2),
        "loss-scaled-by-t-squared": lambda v: _in_t(lambda t: _first_order(v)),
    },
    "theta - lr * ((1 - 0.9) * g / (1 - 0.9)) / (sqrt((1 - 0.999) * g^2 / (1 - 0.999)) + 1e-8)": {
        "no-bias-correction": lambda v: np.asarray(v["theta"], float) + _adam_update(0.1 * np.asarray(v["g"], float), 0.001 * np.asarray(v["g"], float) ** 2, v["lr"]),
        "plain-gradient-step": lambda v: np.asarray(v["theta"], float) - v["lr"] * np.asarray(v["g"], float),
        "no-square-root": lambda v: np.asarray(v["theta"], float) - v["lr"] * np.asarray(v["g"], float) / (np.asarray(v["g"], float) ** 2 + 1e-8),
        "sign-flipped": lambda v: 2 * np.asarray(v["theta"], float) - _adam_first(v),
    },
    "-lr * ((0.9 * m + (1 - 0.9) * g) / (1 - 0.9^t)) / (sqrt((0.999 * v + (1 - 0.999) * g^2) / (1 - 0.999^t)) + 1e-8)": {
        "no-bias-correction": lambda v: _adam_update(*_moments(v), v["lr"]),
        "betas-swapped": lambda v: _adam_update(
            _moments(v, 0.1, 0.001)[0] / (1 - 0.9 ** v["t"]), _moments(v, 0.1, 0.001)[1] / (1 - 0.999 ** v["t"]), v["lr"]
        ),
        "previous-step-count": lambda v: _adam_update(
            _moments(v)[0] / (1 - 0.9 ** (v["t"] - 1)), _moments(v)[1] / (1 - 0.999 ** (v["t"] - 1)), v["lr"]
        ),
        "gradient-not-averaged-in": lambda v: _adam_update(
            np.asarray(v["m"], float) / (1 - 0.9 ** v["t"]), np.asarray(v["v"], float) / (1 - 0.999 ** v["t"]), v["lr"]
        ),
        "previous-update-repeated": lambda v: _adam_update(
            np.asarray(v["m"], float) / (1 - 0.9 ** (v["t"] - 1)), np.asarray(v["v"], float) / (1 - 0.999 ** (v["t"] - 1)), v["lr"]
        ),
    },
    "-lr * wd * theta - lr * ((1 - 0.9) * g / (1 - 0.9)) / (sqrt((1 - 0.999) * g^2 / (1 - 0.999)) + 1e-8)": {
        # Adam's own weight_decay is the L2 form: torch.optim.Adam with it is that mistake.
        "decay-as-l2-gradient": lambda v: _optimizer_step(v, lambda ps: torch.optim.Adam(ps, lr=v["lr"], weight_decay=v["wd"]), change=True),
        "decay-left-out": lambda v: _optimizer_step(v, lambda ps: torch.optim.AdamW(ps, lr=v["lr"], weight_decay=0.0), change=True),
        "decay-not-scaled-by-lr": lambda v: _adamw_first(v) + (v["lr"] - 1) * v["wd"] * np.asarray(v["theta"], float),
    },
    "-lr * ((1 - 0.9) * (g + wd * theta) / (1 - 0.9)) / (sqrt((1 - 0.999) * (g + wd * theta)^2 / (1 - 0.999)) + 1e-8)": {
        "decoupled-decay": _adamw_first,
        "decay-left-out": lambda v: _optimizer_step(v, lambda ps: torch.optim.Adam(ps, lr=v["lr"]), change=True),
        "plain-gradient-step": lambda v: _optimizer_step(v, lambda ps: torch.optim.SGD(ps, lr=v["lr"], weight_decay=v["wd"]), change=True),
    },
    "exp(-mean(log(p)))": {
        "summed-not-averaged": lambda v: 1 / float(np.prod(v["p"])),
        "no-exponential": lambda v: math.log(_perplexity(v["p"])),
        "sign-dropped": lambda v: 1 / _perplexity(v["p"]),
        "arithmetic-mean-probability": lambda v: 1 / float(np.mean(v["p"])),
        "mean-of-inverses": lambda v: float(np.mean(1 / np.asarray(v["p"], float))),
        "base-mismatch": lambda v: 2 ** math.log(_perplexity(v["p"])),
    },
    "exp(S / N)": {
        "not-divided-by-n": lambda v: math.exp(v["S"]),
        "no-exponential": lambda v: v["S"] / v["N"],
        "base-2": lambda v: 2 ** (v["S"] / v["N"]),
        "base-10": lambda v: 10 ** (v["S"] / v["N"]),
    },
    "exp((n1 * L1 + n2 * L2) / (n1 + n2))": {
        "mean-of-perplexities": lambda v: (math.exp(v["L1"]) + math.exp(v["L2"])) / 2,
        "texts-weighted-equally": lambda v: _perplexity([math.exp(-v["L1"]), math.exp(-v["L2"])]),
        "perplexities-weighted-by-tokens": lambda v: (v["n1"] * math.exp(v["L1"]) + v["n2"] * math.exp(v["L2"])) / (v["n1"] + v["n2"]),
    },
    "exp(cross_entropy(z, y))": {
        "logits-as-log-probabilities": lambda v: math.exp(-float(np.mean(_target_rows(np.asarray(v["z"], float), v["y"])))),
        "top-token-not-target": lambda v: math.exp(-float(np.mean(np.max(_log_probs(v["z"]), axis=1)))),
        "softmax-over-positions": lambda v: math.exp(-float(np.mean(_target_rows(_log_probs(v["z"], axis=0), v["y"])))),
        "summed-not-averaged": lambda v: math.exp(-float(np.sum(_target_rows(_log_probs(v["z"]), v["y"])))),
        "no-exponential": lambda v: -float(np.mean(_target_rows(_log_probs(v["z"]), v["y"]))),
    },
    "softmax(z) - one_hot(k, C)": {
        "sign-flipped": lambda v: -_ce_gradient(v["z"], _one_hot(v["k"], v["C"])),
        "forgot-softmax": lambda v: np.asarray(v["z"], float) - _one_hot(v["k"], v["C"]),
        "true-class-only": lambda v: _ce_gradient(v["z"], _one_hot(v["k"], v["C"])) * _one_hot(v["k"], v["C"]),
        "normaliser-dropped": lambda v: -_one_hot(v["k"], v["C"]),
        "target-dropped": lambda v: _ce_gradient(v["z"], _one_hot(v["k"], v["C"])) + _one_hot(v["k"], v["C"]),
    },
    "softmax(z)[j] - (j == k)": {
        "sign-flipped": lambda v: -_ce_gradient(v["z"], _one_hot(v["k"], v["C"]))[int(v["j"])],
        "forgot-softmax": lambda v: v["z"][int(v["j"])] - (1.0 if v["j"] == v["k"] else 0.0),
        "classes-confused": lambda v: _probs(v["z"])[int(v["j"])] - (0.0 if v["j"] == v["k"] else 1.0),
        "normaliser-dropped": lambda v: -1.0 if v["j"] == v["k"] else 0.0,
    },
    "(softmax(Z, dim=1) - one_hot(y, 3)) / N": {
        "forgot-mean": lambda v: _batch_gradient(v, lambda z, y: _ce_gradient(z, _one_hot(y, 3))),
        "mean-over-entries": lambda v: _batch_gradient(v, lambda z, y: _ce_gradient(z, _one_hot(y, 3))) / (3 * v["N"]),
        "sign-flipped": lambda v: -_batch_gradient(v, lambda z, y: _ce_gradient(z, _one_hot(y, 3))) / v["N"],
        "forgot-softmax": lambda v: _batch_gradient(v, lambda z, y: np.asarray(z, float) - _one_hot(y, 3)) / v["N"],
        "softmax-over-batch": lambda v: (_column_probs(v["Z"]) - _batch_gradient(v, lambda z, y: _one_hot(y, 3))) / v["N"],
        "target-dropped": lambda v: _batch_gradient(v, lambda z, y: _ce_gradient(z, _one_hot(y, 3)) + _one_hot(y, 3)) / v["N"],
    },
    "softmax(z) - ((1 - eps) * one_hot(k, C) + eps / C)": {
        "smoothing-ignored": lambda v: _ce_gradient(v["z"], _one_hot(v["k"], v["C"])),
        "others-share-eps": lambda v: _ce_gradient(
            v["z"], np.array([1 - v["eps"] if i == int(v["k"]) else v["eps"] / (int(v["C"]) - 1) for i in range(int(v["C"]))])
        ),
        "sign-flipped": lambda v: -_ce_gradient(v["z"], _smoothed(v)),
        "forgot-softmax": lambda v: np.asarray(v["z"], float) - _smoothed(v),
        "target-dropped": lambda v: _ce_gradient(v["z"], _smoothed(v)) + _smoothed(v),
    },
}


def _plain(value: Any) -> Any:
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array.tolist()


def reference(inputs: dict[str, Any]) -> Any:
    """The answer of an authored problem, by the numpy route written for its template (for a
    template with symbols, ``(symbol values, number)`` cases, as ``conftest.agree`` takes them)."""
    value = REFERENCES[inputs["answer"]](inputs["values"])
    return value if inputs.get("symbols") else _plain(value)


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake of an authored problem, by the numpy route written for its template."""
    return {name: f(inputs["values"]) if inputs.get("symbols") else _plain(f(inputs["values"])) for name, f in MISTAKES[inputs["answer"]].items()}


# ---------------------------------------------------------------------------------------------
# The evaluators against numpy over random trees


def _torch_value(text: str, env: dict[str, Any]) -> np.ndarray:
    from checkers.authored import evaluate
    from quizgen.generators.authored import parse

    tensors = {k: torch.tensor(v, dtype=torch.float64) for k, v in env.items()}
    return evaluate(parse(text, tuple(env)), tensors).numpy()


def _plain_value(text: str, env: dict[str, Any]) -> np.ndarray:
    from quizgen.core import arrays
    from quizgen.generators.authored import parse

    return np.asarray(arrays.nested(arrays.evaluate(parse(text, tuple(env)), {k: arrays.array(v) for k, v in env.items()})))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class _Trees:
    """Random expressions with their numpy values, built side by side from the same choices."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.env = {
            "a": rng.choice([0.5, 1.5, -2.0, 3.0]),
            "u": [rng.randint(-3, 3) + rng.choice([0, 0.5]) for _ in range(3)],
            "v": [rng.randint(-3, 3) + rng.choice([0, 0.25]) for _ in range(3)],
            "M": [[rng.randint(-2, 2) + rng.choice([0, 0.5]) for _ in range(3)] for _ in range(2)],
            "w": [rng.randint(-3, 3) for _ in range(2)],
        }
        self.values = {k: np.asarray(v, dtype=float) for k, v in self.env.items()}

    def leaf(self, shape: tuple[int, ...]) -> tuple[str, np.ndarray]:
        names = [k for k, v in self.values.items() if v.shape == shape]
        if shape == () and self.rng.random() < 0.4:
            n = self.rng.choice([2, 3, 0.5, 1.25])
            return str(n), np.asarray(float(n))
        name = self.rng.choice(names)
        return name, self.values[name]

    def tree(self, shape: tuple[int, ...], depth: int) -> tuple[str, np.ndarray]:
        r = self.rng
        if depth == 0:
            return self.leaf(shape)
        choice = r.randrange(10)
        if choice == 0:  # elementwise arithmetic with broadcasting against a number
            op = r.choice(["+", "-", "*"])
            a, b = self.tree(shape, depth - 1), self.tree((), depth - 1)
            x, y = (a, b) if r.random() < 0.5 else (b, a)
            value = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](x[1], y[1])
            return f"({x[0]} {op} {y[0]})", value
        if choice == 1:
            # (floor is left to the known values: it turns a rounding error of 1e-16 into 1)
            fn = r.choice(["exp", "tanh", "sigmoid", "relu", "abs", "sin", "softplus", "gelu", "silu"])
            a = self.tree(shape, depth - 1)
            if fn in ("exp", "softplus"):
                a = (f"tanh({a[0]})", np.tanh(a[1]))
            erf = np.vectorize(math.erf)
            f = {"exp": np.exp, "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0),
                 "abs": np.abs, "sin": np.sin, "softplus": lambda z: np.log1p(np.exp(z)),
                 "gelu": lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2))), "silu": lambda z: z / (1 + np.exp(-z))}[fn]  # fmt: skip
            return f"{fn}({a[0]})", np.asarray(f(a[1]), dtype=float)
        if choice == 9:  # entry by entry, broadcast against a number
            fn = r.choice(["maximum", "minimum"])
            a, b = self.tree(shape, depth - 1), self.tree((), depth - 1)
            return f"{fn}({a[0]}, {b[0]})", (np.maximum if fn == "maximum" else np.minimum)(a[1], b[1])
        if choice == 2 and shape == ():
            fn = r.choice(["sum", "mean", "max", "min", "norm", "var", "std", "prod", "logsumexp"])
            source = self.tree(r.choice([(3,), (2, 3)]), depth - 1)
            if fn in ("var", "std"):
                c = r.choice([0, 1])
                f = np.var if fn == "var" else np.std
                return f"{fn}({source[0]}, correction={c})", np.asarray(f(source[1], ddof=c))
            f2 = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "norm": lambda z: np.sqrt(np.sum(z * z)),
                  "prod": np.prod, "logsumexp": lambda z: np.log(np.sum(np.exp(z)))}[fn]  # fmt: skip
            return f"{fn}({source[0]})", np.asarray(f2(source[1]))
        if choice == 3 and shape == (3,):
            m = self.tree((2, 3), depth - 1)
            fn = r.choice(["sum", "mean", "max"])
            f3 = {"sum": np.sum, "mean": np.mean, "max": np.max}[fn]
            return f"{fn}({m[0]}, dim=0)", f3(m[1], axis=0)
        if choice == 4 and shape in ((3,), (2, 3)):
            a = self.tree(shape, depth - 1)
            fn = r.choice(["softmax", "log_softmax"])
            axis = -1 if len(shape) == 1 else r.choice([0, 1])
            s = _softmax(a[1], axis)
            return f"{fn}({a[0]}, dim={axis})", s if fn == "softmax" else np.log(s)
        if choice == 5 and shape == ():
            x, y = self.tree((3,), depth - 1), self.tree((3,), depth - 1)
            fn = r.choice(["dot", "cosine", "mse_loss"])
            if fn == "dot":
                return f"dot({x[0]}, {y[0]})", np.asarray(np.dot(x[1], y[1]))
            if fn == "mse_loss":
                return f"mse_loss({x[0]}, {y[0]})", np.asarray(np.mean((x[1] - y[1]) ** 2))
            nx, ny = max(np.linalg.norm(x[1]), 1e-8), max(np.linalg.norm(y[1]), 1e-8)
            return f"cosine({x[0]}, {y[0]})", np.asarray(np.dot(x[1] / nx, y[1] / ny))
        if choice == 6 and shape == (2,):
            m, x = self.tree((2, 3), depth - 1), self.tree((3,), depth - 1)
            return f"({m[0]} @ {x[0]})", m[1] @ x[1]
        if choice == 7 and shape == ():
            z = self.tree((3,), depth - 1)
            k = r.randrange(3)
            if r.random() < 0.5:
                return f"{z[0]}[{k - 3 if r.random() < 0.5 else k}]", np.asarray(z[1][k])
            eps = r.choice([0.0, 0.1])
            logp = np.log(_softmax(z[1], -1))
            q = (1 - eps) * np.eye(3)[k] + eps / 3
            return f"cross_entropy({z[0]}, {k}, label_smoothing={eps})", np.asarray(-(q * logp).sum())
        if choice == 8 and shape == (2, 3):
            m = self.tree((2, 3), depth - 1)
            return f"({m[0]}ᵀ)ᵀ", m[1]
        return self.tree(shape, depth - 1)


@pytest.mark.parametrize("seed", range(4))
def test_both_evaluators_agree_with_numpy_on_random_trees(seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    for _ in range(150):
        trees = _Trees(rng)
        shape = rng.choice([(), (3,), (2,), (2, 3)])
        text, expected = trees.tree(shape, rng.randint(1, 4))
        got_torch = _torch_value(text, trees.env)
        got_plain = _plain_value(text, trees.env)
        assert got_torch.shape == np.shape(expected), text
        assert np.allclose(got_torch, expected, rtol=1e-9, atol=1e-12, equal_nan=True), (text, got_torch, expected)
        assert np.allclose(got_plain, expected, rtol=1e-9, atol=1e-12, equal_nan=True), (text, got_plain, expected)
        checked += 1
    assert checked == 150


# Known values: each checked in both evaluators. The values are standard ones (softmax of
# [1, 2, 3] is the textbook [0.0900, 0.2447, 0.6652]) or follow from the definitions by hand.
KNOWN = [
    ("softmax(u)", {"u": [1, 2, 3]}, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]),
    ("softmax(u)", {"u": [5, 5, 5]}, [1 / 3, 1 / 3, 1 / 3]),
    ("argmax(u)", {"u": [2, 7, 7]}, 1.0),  # a tie: the first index, as torch
    ("argmin(M, dim=1)", {"M": [[3, 1, 1], [0, 4, 0]]}, [1.0, 0.0]),
    ("var(u, correction=0)", {"u": [1, 2, 3, 4]}, 1.25),
    ("var(u, correction=1)", {"u": [1, 2, 3, 4]}, 5 / 3),
    ("std(u, correction=1)", {"u": [2, 2]}, 0.0),
    ("mean(M, dim=1, keepdim=True)", {"M": [[1, 3], [2, 6]]}, [[2.0], [4.0]]),
    ("sum(M)", {"M": [[1, 3], [2, 6]]}, 12.0),
    ("M @ u", {"M": [[1, 0], [0, 2]], "u": [3, 4]}, [3.0, 8.0]),
    ("u @ u", {"u": [3, 4]}, 25.0),
    ("outer(u, u)", {"u": [1, 2]}, [[1.0, 2.0], [2.0, 4.0]]),
    ("Mᵀ", {"M": [[1, 2, 3]]}, [[1.0], [2.0], [3.0]]),
    ("M.T[2, 0]", {"M": [[1, 2, 3]]}, 3.0),
    ("u[-1]", {"u": [4, 5, 6]}, 6.0),
    ("norm(u)", {"u": [3, 4]}, 5.0),
    ("norm(u, p=1)", {"u": [3, -4]}, 7.0),
    ("cosine(u, v)", {"u": [1, 0], "v": [0, 2]}, 0.0),
    ("cosine(u, v)", {"u": [0, 0], "v": [0, 2]}, 0.0),  # a zero vector: eps keeps it defined
    ("one_hot(k, 3)", {"k": 2}, [0.0, 0.0, 1.0]),
    ("cross_entropy(u, 0)", {"u": [0, 0]}, math.log(2)),
    ("cross_entropy(u, v)", {"u": [0, 0], "v": [0.5, 0.5]}, math.log(2)),
    ("cross_entropy(u, 1, label_smoothing=1)", {"u": [0, 0]}, math.log(2)),
    ("kl_div(log(u), u)", {"u": [0.25, 0.75]}, 0.0),
    ("kl_div(log(u), v)", {"u": [0.5, 0.5], "v": [1, 0]}, math.log(2)),  # a zero target entry adds 0
    ("binary_cross_entropy(u, v)", {"u": [0.5, 0.5], "v": [1, 0]}, math.log(2)),
    ("clamp(u, min=0, max=1)", {"u": [-1, 0.5, 2]}, [0.0, 0.5, 1.0]),
    ("relu(u) + sigmoid(0*u)", {"u": [-1, 2]}, [0.5, 2.5]),
    ("u / 0", {"u": [1, -1, 0]}, [math.inf, -math.inf, math.nan]),
    ("log(u)", {"u": [0, 1]}, [-math.inf, 0.0]),
    ("sum(u > 1)", {"u": [0, 2, 3]}, 2.0),
    ("all(u != 0) + any(u == 0)", {"u": [0, 2]}, 1.0),
    ("2^-1 * a + pi - pi", {"a": 4}, 2.0),
    ("floor(u)", {"u": [-1.5, 0, 2.7]}, [-2.0, 0.0, 2.0]),
    ("log2(u)", {"u": [0, 1, 8, -1]}, [-math.inf, 0.0, 3.0, math.nan]),
    ("softplus(u)", {"u": [0, 30]}, [math.log(2), 30.0]),  # above torch's threshold 20: the input itself
    ("gelu(u)", {"u": [0, 1]}, [0.0, 0.5 * (1 + math.erf(1 / math.sqrt(2)))]),
    ("silu(u)", {"u": [0, 1]}, [0.0, 1 / (1 + math.exp(-1))]),
    ("maximum(u, 0) - relu(u)", {"u": [-2, 3]}, [0.0, 0.0]),
    ("minimum(u, v)", {"u": [1, 5], "v": [3, 2]}, [1.0, 2.0]),
    ("prod(M, dim=0)", {"M": [[1, 2], [3, 4]]}, [3.0, 8.0]),
    ("logsumexp(u)", {"u": [0, 0]}, math.log(2)),
    ("logsumexp(M, dim=1, keepdim=True)", {"M": [[1000, 1000], [0, 0]]}, [[1000 + math.log(2)], [math.log(2)]]),  # no overflow
    # NaN (a root of a negative) propagates as torch propagates it: relu keeps it, max and min
    # return it wherever it stands, argmax and argmin point at it.
    ("relu(sqrt(u))", {"u": [4, -1]}, [2.0, math.nan]),
    ("max(sqrt(u))", {"u": [4, -1]}, math.nan),
    ("min(sqrt(u))", {"u": [4, -1, 9]}, math.nan),
    ("max(sqrt(M), dim=1)", {"M": [[4, -1], [1, 9]]}, [math.nan, 3.0]),
    ("argmax(sqrt(u))", {"u": [4, -1, 9]}, 1.0),
    ("clamp(sqrt(u), min=0, max=1)", {"u": [0.25, -1]}, [0.5, math.nan]),
]


@pytest.mark.parametrize("text,env,expected", KNOWN, ids=[k[0] for k in KNOWN])
def test_known_values(text: str, env: dict[str, Any], expected: Any) -> None:
    assert np.allclose(_torch_value(text, env), expected, rtol=1e-12, atol=1e-15, equal_nan=True)
    assert np.allclose(_plain_value(text, env), expected, rtol=1e-12, atol=1e-15, equal_nan=True)


@pytest.mark.parametrize(
    "text,env,fragment",
    [
        ("u[3]", {"u": [1, 2, 3]}, "out of range"),
        ("u[0.5]", {"u": [1, 2, 3]}, "whole"),
        ("M @ u", {"M": [[1, 2]], "u": [1, 2, 3]}, "matmul"),
        ("u + v", {"u": [1, 2], "v": [1, 2, 3]}, "add"),
        ("sum(u, dim=1)", {"u": [1, 2]}, "dim=1"),
        ("cross_entropy(u, 2)", {"u": [1, 2]}, "out of range"),
        ("dot(u, M)", {"u": [1, 2], "M": [[1, 2]]}, "two vectors"),
    ],
)
def test_undefined_expressions_say_why(text: str, env: dict[str, Any], fragment: str) -> None:
    from quizgen.core.expression import Undefined

    with pytest.raises(Undefined, match=fragment):
        _torch_value(text, env)
    with pytest.raises(Undefined):
        _plain_value(text, env)


# ---------------------------------------------------------------------------------------------
# Family templates re-expressed as authored ones


REEXPRESSED = {
    ("normalization", "layernorm-output"): (
        "(x - mean(x, dim=1, keepdim=True)) / sqrt(var(x, dim=1, keepdim=True, correction=0) + 0.00001) * gamma + beta",
        lambda inputs: {"x": inputs["x"], "gamma": inputs["gamma"], "beta": inputs["beta"]},
    ),
    ("attention", "attention-output"): (
        "softmax(Q @ Kᵀ / sqrt(d_k), dim=-1) @ V",
        lambda inputs: {"Q": inputs["Q"], "K": inputs["K"], "V": inputs["V"], "d_k": len(inputs["Q"][0])},
    ),
}


@pytest.mark.parametrize("where", list(REEXPRESSED), ids=lambda w: ".".join(w))
def test_family_templates_re_expressed_as_authored_agree(where: tuple[str, str]) -> None:
    from checkers.authored import solve
    from quizgen.core.answer import Tolerance, close
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    concept = next(c for c in load_concepts() if c.id == where[0])
    template = concept.template(where[1])
    answer, values_of = REEXPRESSED[where]
    rng = random.Random(7)
    for _ in range(1000):
        problem = build_problem(concept, template, rng.getrandbits(40))
        authored = solve({"values": values_of(problem.inputs), "labels": {}, "answer": answer, "steps": [], "mistakes": []})
        assert close(problem.answer.kind, problem.answer.value, authored.value, Tolerance(rel=1e-12, abs=1e-12)), problem.id


# ---------------------------------------------------------------------------------------------
# Hostile authored files

_HEAD = """id: {stem}
title: T
tags: [t]
summary: s
sources: [s]
flashcards:
  - {{id: c, front: f, back: b}}
problems:
  - name: t
    prompt: p
"""

HOSTILE = {
    "huge-tensor": ("    inputs:\n      x: {label: x, shape: [1000, 1000], range: [0, 1]}\n    answer: sum(x)\n", "inputs.x.shape"),
    "huge-size-name": ("    inputs:\n      n: {label: n, range: [1, 100000]}\n      x: {label: x, shape: [n], range: [0, 1]}\n    answer: sum(x)\n", "inputs.x.shape[0]"),
    "deep": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: \"" + "(" * 40 + "x" + ")" * 40 + "\"\n", "answer"),
    "long": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: \"" + "+".join(["x"] * 300) + "\"\n", "answer"),
    "unknown-function": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: summ(x)\n", "answer"),
    "never-holds": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    conditions: [\"x > 5\"]\n    answer: x\n", "conditions[0]"),
    "nan": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: log(-x)\n", "answer"),
    "costly": ("    inputs:\n      x: {label: x, shape: [12, 12], range: [0, 1]}\n    answer: sum(x" + " @ x" * 70 + ")\n", "answer"),
    "bad-keyword": ("    inputs:\n      x: {label: x, shape: [3], range: [1, 2]}\n    answer: softmax(x, axis=0)\n", "answer"),
    "later-input": ("    inputs:\n      y: {label: y, value: x + 1}\n      x: {label: x, range: [1, 2]}\n    answer: y\n", "inputs.y.value"),
    "mistake-shape": ("    inputs:\n      x: {label: x, shape: [3], range: [1, 2]}\n    answer: x\n    mistakes:\n      - {name: m, value: sum(x), why: w}\n", "mistakes[0].value"),
    "eval-attempt": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: __import__('os').system('true')\n", "answer"),
    "generator-too": ("    generator: attention\n    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: x\n", "generator"),
    "derived-undefined": ("    inputs:\n      x: {label: x, range: [1, 2]}\n      y: {label: y, value: log(x - 5)}\n    answer: y\n", "inputs.y.value"),
    "path-name": ("    inputs:\n      ../etc/x: {label: x, range: [1, 2]}\n    answer: \"1\"\n", "inputs"),
    "huge-example": ("    inputs:\n      x: {label: x, shape: [3], range: [1, 2]}\n    answer: sum(x)\n    examples:\n"
                     "      - {inputs: {x: [" + ", ".join(["1"] * 5000) + "]}, answer: 5000, source: s}\n", "examples[0].inputs.x"),
    "wrong-example": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: 2*x\n    examples:\n      - {inputs: {x: 1}, answer: 3, source: s}\n", "examples[0].answer"),
}
# Fields of the wrong type: the file's format check names them, and nothing after it trips on them.
_ONE = "    inputs:\n      x: {label: x, %s}\n    answer: x\n"
HOSTILE.update({
    "range-text": (_ONE % 'range: "1-5"', "inputs.x.range"),
    "range-three": (_ONE % "range: [1, 2, 3]", "inputs.x.range"),
    "range-one": (_ONE % "range: [1]", "inputs.x.range"),
    "range-empty": (_ONE % "range: []", "inputs.x.range"),
    "range-number": (_ONE % "range: 5", "inputs.x.range"),
    "range-words": (_ONE % "range: [a, b]", "inputs.x.range"),
    "range-null": (_ONE % "range: [1, null]", "inputs.x.range"),
    "range-text-number": (_ONE % "range: [1, 1.0e300]", "inputs.x.range"),
    "step-zero": (_ONE % "range: [1, 5], step: 0", "inputs.x.step"),
    "step-negative": (_ONE % "range: [1, 5], step: -1", "inputs.x.step"),
    "step-text": (_ONE % "range: [1, 5], step: x", "inputs.x.step"),
    "values-empty": (_ONE % "values: []", "inputs.x.values"),
    "values-words": (_ONE % "values: [x, y]", "inputs.x.values"),
    "values-number": (_ONE % "values: 3", "inputs.x.values"),
    "shape-number": (_ONE % "range: [1, 2], shape: 3", "inputs.x.shape"),
    "shape-nested": (_ONE % "range: [1, 2], shape: [[1]]", "inputs.x.shape"),
    "value-list": ("    inputs:\n      y: {label: y, range: [1, 2]}\n      x: {label: x, value: [1, 2]}\n    answer: x\n", "inputs.x.value"),
    "symbol-unknown": ("    inputs:\n      x: {label: x, symbol: banana}\n    answer: x\n", "inputs.x.symbol"),
    "input-text": ("    inputs:\n      x: \"1..5\"\n    answer: x\n", "inputs.x"),
    "steps-text": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: x\n    steps: [\"x*2\"]\n", "steps[0]"),
    "mistakes-mapping": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: x\n    mistakes: {name: m}\n", "mistakes"),
    "examples-mapping": ("    inputs:\n      x: {label: x, range: [1, 2]}\n    answer: x\n    examples: {inputs: {x: 1}, answer: 1}\n", "examples"),
    # Expressions that only fail on some draws, or give what no variant can use.
    "step-some-draws": ("    inputs:\n      n: {label: n, range: [2, 4]}\n      v: {label: v, range: [1, 5], shape: [n]}\n"
                        "    answer: v*2\n    steps: [{label: third, value: \"v[2]\"}]\n", "steps[0].value"),
    "step-infinite": ("    inputs:\n      a: {label: a, range: [1, 5]}\n    answer: a*2\n    steps: [{label: s, value: log(a - 1)}]\n", "steps[0].value"),
    "mistake-shape-some-draws": ("    inputs:\n      n: {label: n, range: [2, 4]}\n      v: {label: v, range: [1, 5], shape: [n]}\n"
                                 "    answer: v*2\n    mistakes: [{name: m, value: \"one_hot(1, 3)*100\", why: w}]\n", "mistakes[0].value"),
    "mistake-is-answer": ("    inputs:\n      a: {label: a, range: [1, 5]}\n    answer: a*2\n    mistakes: [{name: m, value: a + a, why: w}]\n", "mistakes[0].value"),
    "mistake-mostly-answer": ("    inputs:\n      a: {label: a, range: [1, 100]}\n    answer: a*2\n    mistakes: [{name: m, value: a*2 + (a == 1), why: w}]\n", "mistakes[0].value"),
    "formula-mistake-is-answer": ("    inputs:\n      a: {label: a, range: [1, 5]}\n      T: {label: T, symbol: positive}\n    answer: a*T^2\n"
                                  "    mistakes: [{name: m, value: T*T*a, why: w}]\n", "mistakes[0].value"),
    "overflow-sum": ("    inputs:\n      v: {label: v, range: [1, 5], shape: [3]}\n    answer: sum(v*1e308)\n", "answer"),
    "overflow-var": ("    inputs:\n      v: {label: v, range: [1, 5], shape: [3]}\n    answer: var(v*1e160, correction=0)\n", "answer"),
    "overflow-condition": ("    inputs:\n      v: {label: v, range: [1, 5], shape: [3]}\n    conditions: [\"sum(v*1e308) < 1\"]\n    answer: sum(v)\n", "conditions[0]"),
    "many-inputs": ("    inputs:\n" + "".join(f"      a{i}: {{label: a, range: [1, 2]}}\n" for i in range(17)) + "    answer: a1\n", "inputs"),
    "symbol-in-condition": ("    inputs:\n      a: {label: a, range: [1, 2]}\n      T: {label: T, symbol: positive}\n"
                            "    conditions: [\"T > 1\"]\n    answer: a*T\n", "conditions[0]"),
    "control-prompt": ("    inputs:\n      x: {label: \"x\\e]0;pwned\\a\", range: [1, 2]}\n    answer: x\n", "inputs.x.label"),
    # What torch refuses, refused alike when the check draws (they used to pass check, then crash
    # every command that built a problem, or lose the step or mistake without a word).
    "label-smoothing-out-of-range": ("    inputs:\n      z: {label: z, range: [-2, 2], shape: [3]}\n      k: {label: k, range: [0, 2]}\n"
                                     "    answer: cross_entropy(z, k, label_smoothing=2)\n", "answer"),
    "bce-target-out-of-range": ("    inputs:\n      x: {label: x, range: [-2, 2], shape: [3]}\n    answer: binary_cross_entropy(sigmoid(x), x + 5)\n", "answer"),
    "cosine-negative-eps-step": ("    inputs:\n      x: {label: x, range: [1, 3], shape: [2]}\n      y: {label: y, range: [1, 3], shape: [2]}\n"
                                 "    answer: cosine(x, y)\n    steps: [{label: s, value: \"cosine(x, y, eps=-1)\"}]\n", "steps[0].value"),
    "example-size-disagrees": ("    inputs:\n      n: {label: n, range: [2, 4]}\n      x: {label: x, range: [1, 5], shape: [n]}\n    answer: sum(x)\n"
                               "    examples: [{inputs: {n: 4, x: [1, 2, 3]}, answer: 6, source: s}]\n", "examples[0].inputs.x"),
    "formula-mistakes-alike": ("    inputs:\n      a: {label: a, range: [1, 5]}\n      T: {label: T, symbol: positive}\n    answer: a*T^2\n"
                               "    mistakes: [{name: m, value: a*T, why: w}, {name: n, value: T*a, why: w}]\n", "mistakes[1].value"),
    "mistakes-alike": ("    inputs:\n      a: {label: a, range: [1, 5]}\n    answer: a*2\n"
                       "    mistakes: [{name: m, value: a + 100, why: w}, {name: n, value: 100 + a, why: w}]\n", "mistakes[1].value"),
    "shapes-fit-on-some-draws": ("    inputs:\n      x: {label: x, range: [1, 3], shape: [[2, 4]]}\n      y: {label: y, range: [1, 3], shape: [[2, 4]]}\n"
                                 "    answer: sum(x * y)\n", "answer"),
    "formula-undefined-on-its-domain": ("    inputs:\n      a: {label: a, range: [1, 5]}\n      T: {label: T, symbol: real}\n    answer: a*log(T)\n", "answer"),
    "mistake-nan": ("    inputs:\n      x: {label: x, range: [-3, 3], shape: [3]}\n    answer: sum(x)\n"
                    "    mistakes: [{name: m, value: sum(log(x)), why: w}]\n", "mistakes[0].value"),
    "step-beside-values": (_ONE % "values: [1, 2], step: 0.5", "inputs.x.step"),
    "decimals-beside-range": (_ONE % "range: [1, 2], decimals: 2", "inputs.x.decimals"),
    # Work that steps and mistakes do counts too (a small file used to keep check busy for minutes).
    "heavy-step": ("    inputs:\n      A: {label: A, range: [0, 1], shape: [12, 12]}\n    answer: sum(A)\n"
                   "    steps: [{label: s, value: \"sum(" + " @ ".join(["A"] * 80) + ")\"}]\n", "steps[0].value"),
    "heavy-sample": ("    inputs:\n      A: {label: A, range: [0, 1], shape: [12, 12]}\n    answer: sum(A)\n    steps:\n"
                     + "".join(f"      - {{label: s{i}, value: \"sum(A @ A @ A @ A @ A) + {i}\"}}\n" for i in range(12)), "answer"),
    "example-lists-a-computed-input": ("    inputs:\n      a: {label: a, range: [1, 5]}\n      b: {label: b, value: a*2}\n    answer: b\n"
                                       "    examples: [{inputs: {a: 1, b: 2}, answer: 2, source: s}]\n", "examples[0].inputs"),
    # A value too large is refused before it is built: outer() and broadcasting of two
    # 9,999-entry vectors made 100 million entries (4 GB, minutes) before the size was checked.
    "outer-bomb": ("    inputs:\n      a: {label: a, range: [1, 9]}\n    answer: \"sum(outer(one_hot(a, 9999), one_hot(a, 9999)))\"\n", "answer"),
    "broadcast-bomb": ("    inputs:\n      a: {label: a, range: [1, 9]}\n      v: {label: v, shape: [1], range: [1, 9]}\n"
                       "    answer: \"sum(one_hot(v, 9999).T + one_hot(a, 9999))\"\n", "answer"),
    # A formula answer is checked as a number's is: worth deriving, and in its symbols.
    "formula-same-inputs": ("    inputs:\n      a: {label: a, values: [3]}\n      T: {label: T, symbol: positive}\n    answer: a*T\n", "inputs"),
    "formula-same-answer": ("    inputs:\n      a: {label: a, range: [1, 9]}\n      T: {label: T, symbol: positive}\n    answer: a*T - a*T + T\n", "answer"),
    "formula-without-its-symbols": ("    inputs:\n      a: {label: a, range: [1, 9]}\n      T: {label: T, symbol: positive}\n    answer: a*2\n", "answer"),
    "one-hot-classes-vector": ("    inputs:\n      y: {label: y, range: [0, 2]}\n      c: {label: c, shape: [2], range: [3, 4]}\n"
                               "    answer: \"sum(one_hot(y, c))\"\n", "answer"),
    # one_hot of a matrix has 3 dimensions, which no face shows: refused, not a crash later.
    "one-hot-of-a-matrix": ("    inputs:\n      M: {label: M, shape: [3, 3], range: [0, 2]}\n      w: {label: w, shape: [3], range: [-3, 3]}\n"
                            "    answer: \"sum(one_hot(M, 3) @ w, dim=0)\"\n", "answer"),
})


# What the message says, where the field alone would not tell the author what to change.
HOSTILE_WORDS = {
    "many-inputs": "expected at most 16 fields, found 17",
    "symbol-in-condition": "T, a symbol: it is not drawn",
    "step-some-draws": "index 2 is out of range",
    "mistake-is-answer": "the answer's value on 100 of 100 usable draws",
    "overflow-sum": "not finite",
    "control-prompt": "without control characters, found U+001B",
    "label-smoothing-out-of-range": "label_smoothing must be between 0.0 and 1.0",
    "bce-target-out-of-range": "between 0 and 1",
    "cosine-negative-eps-step": "eps must be non-negative",
    "mistake-nan": "a finite value for every usable draw",
    "formula-undefined-on-its-domain": "no value at T = -1.3",
    "shapes-fit-on-some-draws": "shapes that fit on every draw",
    "mistakes-alike": "the value of mistakes[0] (m)",
    "formula-mistakes-alike": "the formula of mistakes[0] (m)",
    "example-size-disagrees": "a size of n = 4, as the shape [n] says, found 3 entries",
    "unknown-function": "did you mean",
    "heavy-step": "at most 100,000 entries for one variant, steps and mistakes included",
    "heavy-sample": "100 sample draws compute at most 2,000,000 entries in all",
    "example-lists-a-computed-input": "b, computed from the others (value:): leave it out",
    "formula-same-inputs": "the same inputs in all 100 usable draws (a = 3)",
    "formula-same-answer": "the same formula in all 100 usable draws",
    "formula-without-its-symbols": "a formula that depends on its symbols (T)",
    "outer-bomb": "a value has 99980001 entries; at most 10000 are allowed",
    "broadcast-bomb": "a value has 99980001 entries; at most 10000 are allowed",
    "one-hot-of-a-matrix": "of a matrix it would have 3 dimensions",
    "one-hot-classes-vector": "one_hot's number of classes is one whole number",
}


def test_a_condition_may_be_any_or_all_of_a_comparison(tmp_path: Path) -> None:
    """`any(w != 0)` is 1 or 0 (docs/authoring.md, section 4): it may stand as a condition."""
    path = tmp_path / "anyall.yaml"
    path.write_text(_HEAD.format(stem="anyall") + "    inputs:\n      w: {label: w, range: [-1, 1], shape: [3]}\n"
                    "    conditions: [\"any(w != 0)\", \"all(w > -2)\"]\n    answer: sum(w)\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    path.write_text(path.read_text("utf-8").replace("all(w > -2)", "sum(w)"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and "problems[0].conditions[1]" in result.output and "a comparison" in result.output


def test_a_variant_torch_cannot_compute_is_a_clear_error_not_a_traceback(monkeypatch, tmp_path: Path) -> None:
    """Were a drawn variant to have no answer in torch, generate says which template and what
    to run, and exits 2 (it used to end in a traceback)."""
    from quizgen.core import arrays

    # Lenient, and still a value that depends on the inputs (a constant answer is refused).
    monkeypatch.setattr(arrays, "_cross_entropy", lambda logits, target, smoothing: ((), [float(sum(logits[1]))]))
    (tmp_path / "lenient.yaml").write_text(
        _HEAD.format(stem="lenient") + "    inputs:\n      z: {label: z, range: [-2, 2], shape: [3]}\n"
        "      k: {label: k, range: [0, 2]}\n    answer: cross_entropy(z, k, label_smoothing=2)\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["--concepts", str(tmp_path), "generate", "lenient", "-n", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "template 't': torch computes no answer" in result.output and "label_smoothing" in result.output


def test_check_computes_sample_draws_with_torch_where_the_plain_evaluator_is_lenient(monkeypatch) -> None:
    """Were the plain-Python evaluator that decides a draw usable to accept what torch refuses,
    `quizgen check` still finds it, naming the field, by computing sample draws with torch."""
    from checkers.authored import check_with_torch
    from quizgen.core import arrays

    monkeypatch.setattr(arrays, "_cross_entropy", lambda logits, target, smoothing: ((), [1.0]))
    tpl = {"inputs": {"z": {"label": "z", "range": [-2, 2], "shape": [3]}, "k": {"label": "k", "range": [0, 2]}},
           "answer": "sum(z)", "steps": [{"label": "s", "value": "cross_entropy(z, k, label_smoothing=2)"}], "mistakes": []}
    found = check_with_torch(tpl)
    assert [path for path, _, _ in found] == [("steps", 0, "value")], found
    assert "label_smoothing" in found[0][2] and "on 20 of 20 usable draws" in found[0][2]



@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_authored_files_are_refused_quickly(name: str, tmp_path: Path) -> None:
    body, field = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(_HEAD.format(stem=name) + body, encoding="utf-8")
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["check", str(path)])
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{name}.yaml:" in result.output and f"problems[0].{field}" in result.output, result.output
    assert HOSTILE_WORDS.get(name, "") in " ".join(result.output.split()), result.output
    assert elapsed < 10, elapsed  # never a hang (speed is for benchmarks/)


# ---------------------------------------------------------------------------------------------
# docs/authoring.md, followed to the letter outside the repository


def test_the_walkthrough_of_docs_authoring_works_in_every_face(tmp_path: Path) -> None:
    """The concept file docs/authoring.md writes, in a course directory of its own, through check,
    generate, drill, deck, quiz (with keys), grade and export."""
    import re
    import zipfile

    import yaml

    from quizgen.classroom.quiz import read_quiz
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import rebuild
    from quizgen.judge import format_value

    doc = (Path(__file__).resolve().parent.parent / "docs" / "authoring.md").read_text("utf-8")
    match = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert match is not None
    course = tmp_path / "course"
    course.mkdir()
    (course / "perplexity.yaml").write_text(match.group(1), encoding="utf-8")

    def run(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(cli, ["--concepts", str(course), *args], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    checked = run("check")
    assert checked.startswith("ok: 1 concept file, 1 problem template, 5 flashcards")
    assert re.search(r"^  perplexity\.from-probabilities: (\d+)", checked, re.M), checked  # how many draws are usable
    generated = run("generate", "perplexity", "--n", "3")
    assert generated.count("Answer (a number)") == 3 and "sum-not-mean" in generated
    drilled = run("drill", "perplexity", "-n", "2", "--seed", "1", "--no-save", stdin="?\n?\n")
    assert "perplexity" in drilled.lower()
    run("deck", "perplexity", "-o", str(tmp_path / "perplexity.apkg"))
    assert zipfile.is_zipfile(tmp_path / "perplexity.apkg")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,Ann\ns2,Bo\n", encoding="utf-8")
    week = tmp_path / "week5"
    run("quiz", "perplexity", "-n", "3", "--for", str(roster), "-o", str(week), "--key")
    assert (week / "s1.key.html").is_file() and (week / "class.worksheets.html").is_file()
    concepts = load_concepts(course)
    quiz = read_quiz(week / "s1.quiz.yaml")
    keys = {p.id: format_value(r.answer.kind, r.answer.value) for p in quiz.problems for r in [rebuild(p.id, concepts)]}
    (week / "s1.answers.yaml").write_text(yaml.safe_dump({"student": "s1", "answers": keys}, sort_keys=False), encoding="utf-8")
    run("grade", str(week), str(week), "--csv", str(tmp_path / "book.csv"))
    import csv

    book = (tmp_path / "book.csv").read_text("utf-8").splitlines()
    rows = {row["student"]: row for row in csv.DictReader(book)}
    assert (rows["s1"]["score"], rows["s1"]["total"]) == ("3", "3"), rows  # the keys, typed as a student would
    assert rows["s2"]["score"] in ("", "0"), rows  # a blank sheet
    run("export", "perplexity", "--format", "qti", "-o", str(tmp_path / "perplexity.qti.zip"))
    assert zipfile.is_zipfile(tmp_path / "perplexity.qti.zip")


# ---------------------------------------------------------------------------------------------
# Symbols: a formula answer, the drawn numbers put in

_FORMULA_TEMPLATE = """id: kd-scale
title: T
tags: [t]
summary: s
sources: [s]
flashcards:
  - {id: c, front: f, back: b}
problems:
  - name: gradient-scale
    inputs:
      a: {label: the weight of the soft loss, values: [0.5, 0.7, 0.9]}
      T: {symbol: positive, label: the temperature}
    answer: "a*T^2"
    steps:
      - {label: the soft targets' gradients shrink by, value: "1/T^2"}
    mistakes:
      - {name: no-square, value: "a*T", why: "The gradients shrink like 1/T squared."}
      - {name: inverted, value: "a/T^2", why: "Divided instead of multiplied."}
    examples:
      - {inputs: {a: 0.5, T: 2}, answer: 2, source: "the rule, by hand"}
    prompt: What factor? Give a formula.
"""


def test_a_template_with_symbols_asks_for_a_formula(tmp_path: Path) -> None:
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem
    from quizgen.judge import judge

    (tmp_path / "kd-scale.yaml").write_text(_FORMULA_TEMPLATE, encoding="utf-8")
    assert CliRunner().invoke(cli, ["--concepts", str(tmp_path), "check"]).exit_code == 0
    concept = load_concepts(tmp_path)[0]
    for seed in range(20):
        problem = build_problem(concept, concept.templates[0], seed)
        a = problem.inputs["values"]["a"]
        assert problem.answer.kind == "formula" and problem.answer.value == {"formula": f"{a}*T^2", "symbols": {"T": "positive"}}
        assert "Write a formula in T (the temperature, positive)." in problem.describe_inputs()
        assert judge(problem.answer, f"T**2 * {a}", problem.tolerance, problem.misconceptions).status == "right"
        named = judge(problem.answer, f"{a} T", problem.tolerance, problem.misconceptions)
        assert named.status == "wrong" and named.misconception is not None and named.misconception.name == "no-square"


@pytest.mark.parametrize(
    "change,field",
    [
        (("answer: 2", "answer: 3"), "examples[0].answer"),
        (('answer: "a*T^2"', 'answer: "softmax(a*T^2)"'), "answer"),
        (('value: "a*T", why', 'value: "a*T > 1", why'), "mistakes[0].value"),
        (("{symbol: positive, label: the temperature}", "{symbol: positive, label: t, shape: [2]}"), "inputs.T.shape"),
    ],
)
def test_a_template_with_symbols_is_checked(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    (tmp_path / "kd-scale.yaml").write_text(_FORMULA_TEMPLATE.replace(*change), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(tmp_path), "check"])
    assert result.exit_code == 2 and f"problems[0].{field}" in result.output, result.output


def test_a_formula_answer_may_call_functions_and_folds_drawn_signs(tmp_path: Path) -> None:
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    text = _FORMULA_TEMPLATE.replace('{label: the weight of the soft loss, values: [0.5, 0.7, 0.9]}', "{label: a shift, values: [-2, -1]}")
    text = text.replace('answer: "a*T^2"', 'answer: "sqrt(T) - a*exp(-T)"').replace("answer: 2, source", "answer: 2.0, source")
    text = text.replace("{inputs: {a: 0.5, T: 2}", "{inputs: {a: -2, T: 0}")
    (tmp_path / "kd-scale.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(tmp_path), "check"])
    assert result.exit_code == 0, result.output
    concept = load_concepts(tmp_path)[0]
    keys = {build_problem(concept, concept.templates[0], seed).answer.value["formula"] for seed in range(12)}
    assert keys == {"sqrt(T) + 2*exp(-T)", "sqrt(T) + 1*exp(-T)"}, keys


def test_a_worked_solution_always_ends_at_the_answer() -> None:
    """A file whose steps stop short of the answer (the KL without its × T²) gets the answer's own
    expression as the last step; one whose last step is the answer gets nothing more."""
    from checkers.authored import solve

    base = {"values": {"T": 2.0, "x": [1.0, 3.0]}, "labels": {}, "answer": "T^2 * sum(x)", "mistakes": []}
    short = solve({**base, "steps": [{"label": "the sum", "value": "sum(x)"}]})
    assert [s.label for s in short.steps] == ["the sum", "answer = T^2 * sum(x)"] and short.steps[-1].value == 16.0
    whole = solve({**base, "steps": [{"label": "the sum", "value": "sum(x)"}, {"label": "times T²", "value": "sum(x) * T^2"}]})
    assert [s.label for s in whole.steps] == ["the sum", "times T²"]
    none = solve({**base, "steps": []})
    assert [s.label for s in none.steps] == ["answer = T^2 * sum(x)"]


def test_a_keyword_takes_only_its_own_kind_of_value() -> None:
    """dim=True was read as dim=1: a number's keyword refuses True/False, keepdim refuses numbers."""
    import re

    from quizgen.core.expression import Unreadable
    from quizgen.core.tensor_expression import read_tensor_expression

    for text, said in (("sum(v, dim=True)", "sum's dim= takes a number, not True"),
                       ("var(v, correction=False)", "var's correction= takes a number, not False"),
                       ("sum(v, dim=0, keepdim=1)", "sum's keepdim= takes True or False")):
        with pytest.raises(Unreadable, match=re.escape(said)):
            read_tensor_expression(text, {"v": "input"})
    assert read_tensor_expression("sum(v, dim=0, keepdim=True)", {"v": "input"})[3] == (("dim", 0), ("keepdim", 1))


def test_every_shipped_worked_solution_ends_in_the_prompts_notation() -> None:
    """Where a file's last step is not the answer, the checker ends the solution with the answer's
    expression as typed in the file (``answer = dot(v, relu(W @ x) * m / (1 - p))``): code, not
    the notation of the prompt. Every shipped template ends with a step of its own."""
    from conftest import CONCEPTS

    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    authored = [(c, t) for c in load_concepts(CONCEPTS) for t in c.templates if t.generator == "authored"]
    assert len(authored) >= 10
    for concept, template in authored:
        last = build_problem(concept, template, 1).steps[-1].label
        assert not last.startswith("answer = "), (concept.id, template.name, last)


def test_a_file_of_too_many_templates_is_refused_before_any_is_checked(tmp_path: Path) -> None:
    """A 251 KB file of 1,000 templates (each a little work) kept check, and every command that
    reads a new file, busy for four minutes. More than MAX_TEMPLATES is refused, naming the
    field, before a template is drawn."""
    from quizgen.core.schema import MAX_TEMPLATES

    template = ("  - name: p{i}\n    inputs:\n      v: {{label: v, shape: [12, 12], range: [-1, 1]}}\n"
                "    answer: \"sum(v @ v @ v @ v @ v @ v) + v[0,0]\"\n    prompt: \"Give a number.\"\n")
    head = _HEAD.format(stem="many").split("problems:\n")[0] + "problems:\n"
    (tmp_path / "many.yaml").write_text(head + "".join(template.format(i=i) for i in range(10 * MAX_TEMPLATES)), encoding="utf-8")
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "many.yaml")])
    assert result.exit_code == 2 and f"problems: expected at most {MAX_TEMPLATES} items" in result.output, result.output
    assert time.perf_counter() - start < 10  # never minutes (speed is for benchmarks/)


def test_an_unclosed_bracket_is_named_as_typed() -> None:
    """x[0 said "a '(' is never closed": every bracket's message names the bracket written."""
    import re

    from quizgen.core.expression import Unreadable
    from quizgen.core.tensor_expression import read_tensor_expression

    for text, said in (("v[0", "a '[' is never closed: add ']'"),
                       ("v[0)", "a ')' at position 4 closes a '[' bracket"),
                       ("(v + 1", "a '(' is never closed: add ')'"),
                       ("(v + 1]", "a ']' at position 7 closes a '(' bracket")):
        with pytest.raises(Unreadable, match=re.escape(said)):
            read_tensor_expression(text, {"v": "input"})


@pytest.mark.parametrize(("answer", "whole"), [
    ("sum(n)", True), ("prod(n)", True), ("maximum(n[0], n[1])", True), ("minimum(k, 3)", True),
    ("clamp(k, min=0, max=3)", True), ("clamp(k, min=0.5)", False), ("clamp(x, min=0, max=3)", False),
    ("floor(x / 2)", True), ("floor(k / 2) + x", False), ("argmax(x)", True), ("k / 2", False),
    ("mean(n)", False), ("n[0]^2 - k", True),
])
def test_a_whole_answer_is_known_from_its_expression(answer: str, whole: bool) -> None:
    """A count is judged as one (57.7 is not 58 people) when the expression can only give a whole
    number: prod, maximum, clamp between whole bounds and floor were missed."""
    from quizgen.generators.authored import inputs_of

    tpl = {"inputs": {"n": {"shape": [3], "range": [1, 4]}, "k": {"range": [1, 9]}, "x": {"range": [0, 1], "step": 0.1}},
           "answer": answer}
    assert inputs_of(tpl, {"n": [1, 2, 3], "k": 4, "x": 0.5})["whole"] is whole


def test_a_number_beyond_exact_whole_numbers_is_a_measurement(tmp_path: Path) -> None:
    """A compute budget of 5.76e+23 FLOPs was drawn as a 24-digit whole number, shown digit by
    digit and judged as a count; a 300-digit value was shown in full. Numbers of 1e15 and more
    are measurements: shown to 6 figures, their answers not whole."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    (tmp_path / "flops.yaml").write_text(
        _HEAD.format(stem="flops") + "    inputs:\n      C: {label: compute C, values: [1.0e+21, 5.76e+23]}\n"
        "      g: {label: g, values: [" + "1" + "0" * 300 + ", " + "2" + "0" * 300 + "]}\n      n: {label: n, range: [2, 9]}\n"
        "    answer: C / n + g / 1.0e+290\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "flops.yaml")])
    assert result.exit_code == 0, result.output
    concept = load_concepts(tmp_path)[0]
    shown = set()
    for seed in range(12):
        problem = build_problem(concept, concept.templates[0], seed)
        assert not problem.answer.whole
        shown.update(line.split(" = ")[1] for line in problem.describe_inputs().splitlines() if " = " in line)
    assert {"1e+21", "5.76e+23", "1e+300", "2e+300"} <= shown and max(map(len, shown)) <= 8, shown
