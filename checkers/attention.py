"""Checker for scaled dot-product attention problems.

Source: "Attention Is All You Need" (2017), section 3.2.1:
``Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V``. Footnote 4 gives the reason for the scale: when
the components of q and k are independent with mean 0 and variance σ², each product ``q_i k_i``
has variance σ⁴ and their sum ``q·k`` over ``d_k`` components has variance ``d_k σ⁴``;
dividing by ``√d_k`` brings it back to σ⁴ so the softmax does not saturate as ``d_k`` grows.

The output is torch's own ``F.scaled_dot_product_attention``; its ``is_causal`` mask is the lower
triangle aligned at the top left, which for self-attention (``n_q == n_k``) lets query ``i`` see
keys ``0..i``. Scores and weights are ``Q @ K.T * scale``, ``masked_fill(-inf)`` and
``torch.softmax(dim=-1)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Grid, Misconception, Solution, Step
from quizgen.core.formula import over_root
from quizgen.core.formula import value as formula_value

_F64 = torch.float64

_NO_SCALING = (
    "no-scaling",
    "Left Q Kᵀ undivided by √d_k; the scores then grow with d_k and the softmax becomes sharper "
    "than intended.",
)
_DIVIDED_BY_D_K = (
    "divided-by-d_k",
    "Divided the scores by d_k instead of √d_k; √d_k is what undoes the growth of the standard "
    "deviation of q·k, which is proportional to √d_k.",
)
_WRONG_AXIS = (
    "softmax-wrong-axis",
    "Normalised each column (over the queries) instead of each row; every query needs its own "
    "distribution over the keys, so each row of weights must sum to 1.",
)
_FORGOT_MASK = (
    "forgot-causal-mask",
    "Let every query see every key; with a causal mask, query i may only attend to keys 0..i, so "
    "the later keys get weight 0.",
)
_MASK_AFTER_SOFTMAX = (
    "masked-after-softmax",
    "Took the softmax over every key, then zeroed the later ones; the mask sets their scores to −∞ "
    "before the softmax, so each row's weights over keys 0..i still sum to 1.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one attention problem.

    Args:
        inputs: A generator's inputs: ``ask`` plus ``d_k`` (scale), ``Q``, ``K``, ``V`` and
            ``causal`` (scores, weights, output), or ``d_k``, ``sigma2`` and ``scaled`` (variance).

    Returns:
        The solution; a number for scale and variance, a matrix otherwise.

    Example:
        >>> sol = solve({"ask": "weights", "Q": [[1, 0]], "K": [[1, 0], [0, 1]],
        ...              "V": [[1], [0]], "causal": False})
        >>> [round(w, 4) for w in sol.value[0]]
        [0.6698, 0.3302]
        >>> solve({"ask": "scale", "d_k": 4}).value
        0.5
    """
    ask = inputs.get("ask")
    if ask == "scale":
        return _solve_scale(inputs["d_k"])
    if ask == "variance":
        return _solve_variance(inputs)
    if ask == "variance-formula":
        return _solve_variance_formula(bool(inputs["scaled"]), dict(inputs["symbols"]))
    return _solve_matrices(str(ask), inputs)  # ask in ("scores", "weights", "output") (the registry refused any other)


def _solve_scale(d_k: int) -> Solution:
    root = math.sqrt(d_k)
    steps = (
        Step("√d_k", root, note=f"d_k = {d_k}"),
        Step("scale = 1/√d_k", 1.0 / root, note=f"exactly {over_root(1, d_k)}"),
    )
    misconceptions: tuple[Misconception, ...] = ()
    if d_k > 1:
        misconceptions = (
            Misconception(_DIVIDED_BY_D_K[0], _DIVIDED_BY_D_K[1], 1.0 / d_k),
            Misconception(
                "sqrt-not-inverted",
                "Gave √d_k itself; the scores are divided by √d_k, so the factor is its "
                "reciprocal.",
                root,
            ),
            Misconception(
                "no-scaling",
                "Gave 1, as if Q Kᵀ went into the softmax unscaled; the scores are divided by "
                "√d_k.",
                1.0,
            ),
        )
    return Solution(1.0 / root, steps, misconceptions)


_SQRT_D = (
    "variance-is-sqrt-d",
    "Took Var(q·k) as √d_k σ⁴; the variances of d_k independent terms add up to d_k σ⁴ (it is the "
    "standard deviation that grows like √d_k).",
)
_SIGMA_NOT_SQUARED = (
    "sigma-not-squared",
    "Used σ² once per term instead of σ²·σ²; the variance of a product of two independent mean-0 "
    "variables is the product of their variances.",
)
_SCALE_NOT_SQUARED = (
    "scale-not-squared",
    "Divided the variance by √d_k; multiplying a variable by 1/√d_k multiplies its variance by "
    "1/d_k.",
)


def _solve_variance(inputs: Mapping[str, Any]) -> Solution:
    d_k = inputs["d_k"]
    s = float(inputs["sigma2"])
    scaled = bool(inputs.get("scaled", False))
    # Multiplying q·k by 1/√d_k divides its variance by d_k.
    divisor = d_k if scaled else 1
    dot_var = d_k * s * s
    steps = [
        Step("Var(q_i k_i) = σ² · σ²", s * s, note="independent, mean 0: the variances multiply"),
        Step("Var(q·k) = d_k σ⁴", dot_var, note=f"a sum of d_k = {d_k} independent terms"),
    ]
    if scaled:
        steps.append(
            Step(
                "Var(q·k/√d_k) = d_k σ⁴ / d_k = σ⁴",
                dot_var / d_k,
                note="scaling by c scales the variance by c²",
            )
        )
    wrong: list[Misconception] = []
    if d_k > 1:
        wrong.append(Misconception(*_SQRT_D, math.sqrt(d_k) * s * s / divisor))
        if scaled:
            wrong.append(Misconception(*_SCALE_NOT_SQUARED, dot_var / math.sqrt(d_k)))
    if s != 1.0:
        wrong.append(Misconception(*_SIGMA_NOT_SQUARED, d_k * s / divisor))
    return Solution(dot_var / divisor, tuple(steps), tuple(wrong))


def _solve_variance_formula(scaled: bool, symbols: dict[str, str]) -> Solution:
    """The variance as a formula in d and sigma: the same steps as ``_solve_variance``."""

    f = functools.partial(formula_value, symbols=symbols)

    steps = [Step("Var(q_i k_i) = σ² · σ²", "sigma^4"), Step("Var(q·k): d independent terms", "d*sigma^4")]
    if scaled:
        steps.append(Step("Var(q·k/√d) = d σ⁴ / d", "sigma^4", note="scaling by c scales the variance by c²"))
        scaled_wrong = (
            Misconception(*_SQRT_D, f("sigma^4/sqrt(d)")),
            Misconception(*_SCALE_NOT_SQUARED, f("sqrt(d)*sigma^4")),
            Misconception(*_SIGMA_NOT_SQUARED, f("sigma^2")),
        )
        return Solution(f("sigma^4"), tuple(steps), scaled_wrong)
    wrong = (Misconception(*_SQRT_D, f("sqrt(d)*sigma^4")), Misconception(*_SIGMA_NOT_SQUARED, f("d*sigma^2")))
    return Solution(f("d*sigma^4"), tuple(steps), wrong)


def _solve_matrices(ask: str, inputs: Mapping[str, Any]) -> Solution:
    q, k, v = (torch.tensor(inputs[name], dtype=_F64) for name in "QKV")
    (n_q, d_k), (n_k, _), (_, d_v) = q.shape, k.shape, v.shape
    causal = bool(inputs.get("causal", False)) and ask != "scores"

    scale = 1.0 / math.sqrt(d_k)
    raw = q @ k.T
    scores = raw * scale
    shape_s = [n_q, n_k]
    raw_rows = raw.tolist()
    scores_rows = scores.tolist()
    steps = [
        Step("Q Kᵀ", raw_rows, shape=shape_s),
        Step("scale = 1/√d_k", scale, note=f"d_k = {d_k}"),
        Step("scores = Q Kᵀ / √d_k", scores_rows, shape=shape_s),
    ]
    scalable = d_k > 1
    if ask == "scores":
        wrong: list[Misconception] = []
        if scalable:
            wrong = [
                Misconception(*_NO_SCALING, raw_rows),
                Misconception(*_DIVIDED_BY_D_K, (raw / d_k).tolist()),
            ]
        return Solution(scores_rows, tuple(steps), tuple(wrong))

    # Query i may look at keys 0..i: the entries above the diagonal are hidden.
    hidden = torch.ones(n_q, n_k, dtype=torch.bool).triu_(1) if causal else None

    def softmax(s: torch.Tensor, dim: int = -1, mask: bool = True) -> torch.Tensor:
        return torch.softmax(s.masked_fill(hidden, -math.inf) if hidden is not None and mask else s, dim=dim)

    if hidden is not None:
        # JSON has no −∞, so masked entries are shown as the text "-inf".
        shown = [["-inf" if h else x for x, h in zip(srow, hrow)] for srow, hrow in zip(scores_rows, hidden.tolist())]
        steps.append(Step("masked scores (−∞ where key j > query i)", shown, shape=shape_s))
    weights = softmax(scores)
    steps.append(Step("weights = softmax of each row", weights.tolist(), shape=shape_s))

    several_keys = n_k > 1
    mistaken: list[tuple[str, str, torch.Tensor]] = []  # each mistake's weights
    if scalable and several_keys:
        mistaken += [(*_NO_SCALING, softmax(raw)), (*_DIVIDED_BY_D_K, softmax(raw / d_k))]
    if n_q > 1 or several_keys:
        mistaken.append((*_WRONG_AXIS, softmax(scores, dim=0)))
    if hidden is not None and several_keys:  # causal
        mistaken.append((*_FORGOT_MASK, softmax(scores, mask=False)))
        # Listed only where it differs from the key (later keys far below the others, or values
        # that cancel, give the same), so that it never makes the builder draw again.
        after = softmax(scores, mask=False).masked_fill(hidden, 0.0)
        if not torch.allclose(after, weights, rtol=0.01, atol=0.001) and (
            ask == "weights" or not torch.allclose(after @ v, weights @ v, rtol=0.01, atol=0.001)
        ):
            mistaken.append((*_MASK_AFTER_SOFTMAX, after))
    grid = Grid(
        "the weights: row i is how query i spreads its attention over the keys (darker is more)",
        tuple(map(tuple, weights.tolist())), tuple(f"q{i}" for i in range(n_q)), tuple(f"k{j}" for j in range(n_k)),
    )
    if ask == "weights":
        return Solution(weights.tolist(), tuple(steps), tuple(Misconception(n, d, w.tolist()) for n, d, w in mistaken), grid)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=causal).tolist()
    steps.append(Step("output = weights V", out, shape=[n_q, d_v]))
    return Solution(out, tuple(steps), tuple(Misconception(n, d, (w @ v).tolist()) for n, d, w in mistaken), grid)
