"""Checker for learning-rate schedule problems: warmup, linear and cosine decay, layer-wise decay.

Sources:

- Cosine decay: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"
  (ICLR 2017), equation (5): ``η_t = η_min + ½(η_max − η_min)(1 + cos(π T_cur / T_i))``. Without
  restarts ``T_cur = t`` and ``T_i = T``; ``η_min`` is the floor.
- Linear warmup, then linear decay to 0: the schedule of BERT pre-training and fine-tuning,
  Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
  Understanding" (NAACL 2019), appendix A.2; gradual warmup: Goyal et al., "Accurate, Large
  Minibatch SGD: Training ImageNet in 1 Hour" (2017).
- Layer-wise LR decay: Howard & Ruder, "Universal Language Model Fine-tuning for Text
  Classification" (ACL 2018), section 3.2 (discriminative fine-tuning, ``η^(l−1) = η^l / 2.6``);
  as a decay factor ``ξ`` per layer for BERT fine-tuning, Sun et al., "How to Fine-Tune BERT for
  Text Classification?" (CCL 2019), section 5.3 (``η^(k−1) = ξ · η^k``).

Conventions: ``LR(t)`` is the learning rate after ``t`` optimizer steps, i.e. the one the next
update uses, for ``0 <= t <= T``. Warmup is ``lr0 · t / W`` for ``t <= W`` (the first update uses
0). After a warmup of ``W`` steps the decay's own clock is ``t − W`` over ``T − W`` steps:
linear ``lr0 · (T − t) / (T − W)``, cosine with ``p = (t − W) / (T − W)`` in place of ``t / T``.
For LLRD, layers run from 0 (embeddings, bottom) to ``top = depth − 1`` and layer ``i`` trains
with ``base_lr · factor^(top − i)``.

Every value is computed in float64 torch (``torch.cos``, ``torch.pow``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch

from quizgen.core.answer import Curve, Misconception, Solution, Step
from quizgen.core.formula import value as formula_value

FORMULA_ASKS = ("warmup-formula", "cosine-formula", "warmup-cosine-formula")
_F64 = torch.float64

_DECAY_NOT_SHIFTED = (
    "decay-not-shifted",
    "Ran the decay on the clock t / T as if it started at step 0; after a warmup of W steps the "
    "decay starts at lr0 at t = W and spans only the T − W steps left, so its progress is "
    "(t − W) / (T − W).",
)
_TWO_PI = (
    "two-pi",
    "Used cos(2π·progress) instead of cos(π·progress); that is a full period, which comes back up "
    "to lr0 at the end, while the decay needs half a period to go from lr0 down to the floor.",
)
_OFF_BY_ONE = (
    "off-by-one-step",
    "Gave the LR after t + 1 steps, one step ahead, by counting the first update as step 1; "
    "LR(t) is the value after t optimizer steps, the one update t + 1 uses, so the first update "
    "uses LR(0).",
)
_FLOOR_IGNORED = (
    "floor-ignored",
    "Left the floor out, decaying to 0; with a floor the cosine only spans lr0 − floor and is "
    "shifted up by the floor: floor + (lr0 − floor)·½(1 + cos(π·progress)).",
)
_LLRD_REVERSED = (
    "llrd-exponent-reversed",
    "Raised the factor to the power i instead of top − i, giving the bottom layers the largest LR; "
    "LLRD keeps the base LR for the top layer and shrinks it going down.",
)
_LLRD_OFF_BY_ONE = (
    "llrd-off-by-one",
    "Used depth − i as the exponent, as if one more layer (the head) sat above the top; here the "
    "top layer, depth − 1, is the one that gets the base LR, so the exponent is depth − 1 − i.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one learning-rate schedule problem.

    Args:
        inputs: ``ask`` and, for a schedule, ``lr0`` and ``t`` with ``warmup`` (asks with a
            warmup), ``steps`` (asks with a decay) and ``floor`` (cosine asks); for ``llrd``,
            ``base_lr``, ``factor``, ``depth`` and ``layer``.

    Returns:
        The solution; the answer is always a number.

    Example:
        >>> solve({"ask": "warmup", "lr0": 0.1, "warmup": 4, "t": 1}).value
        0.025
        >>> solve({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 60}).value
        0.05
        >>> sol = solve({"ask": "cosine", "lr0": 0.1, "steps": 3, "t": 1, "floor": 0.01})
        >>> round(sol.value, 12), [m.name for m in sol.misconceptions]
        (0.0775, ['two-pi', 'floor-ignored', 'off-by-one-step'])
        >>> solve({"ask": "llrd", "base_lr": 0.001, "factor": 0.5, "depth": 4, "layer": 0}).value
        0.000125
    """
    ask = str(inputs["ask"])
    if ask in FORMULA_ASKS:
        return _solve_formula(str(ask), dict(inputs["symbols"]))
    if ask == "llrd":
        return _solve_llrd(inputs)
    lr0, t = float(inputs["lr0"]), inputs["t"]
    warmup = inputs["warmup"] if ask.startswith("warmup") else 0
    floor = float(inputs["floor"]) if ask.endswith("cosine") else 0.0
    # A warmup alone is a schedule whose last step is the end of the warmup.
    return _solve_schedule(ask, lr0, warmup, warmup if ask == "warmup" else inputs["steps"], t, floor)


# ---------------------------------------------------------------- schedules


def _tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=_F64)


def _lrs(ask: str, lr0: float, warmup: int, total: int, ts: torch.Tensor, floor: float, turns: float = 1.0) -> torch.Tensor:
    """LR(t) of a schedule ask at every step in ``ts`` (float64): the key, the curve drawn in the
    worked solution and the mistakes' values all come from here. ``turns=2`` puts 2π in the cosine."""
    warm = _tensor(lr0) * ts / max(warmup, 1)
    if ask == "warmup":
        return warm
    progress = (ts - warmup) / (total - warmup)
    if ask.endswith("linear"):
        decay = _tensor(lr0) * (1 - progress)
    else:
        low = _tensor(floor)
        decay = low + (lr0 - low) * (0.5 * (1 + torch.cos(turns * math.pi * progress)))
    return torch.where(ts <= warmup, warm, decay) if warmup else decay


def _schedule_lr(ask: str, lr0: float, warmup: int, total: int, t: int, floor: float, turns: float = 1.0) -> float:
    """LR(t) of any schedule ask at one step."""
    return _lrs(ask, lr0, warmup, total, torch.tensor([t], dtype=_F64), floor, turns)[0].item()


def _curve(ask: str, lr0: float, warmup: int, total: int, t: int, floor: float, key: float) -> Curve:
    """The schedule over its whole run (at most 121 steps drawn, always W and t), t marked."""
    xs = sorted({round(i * total / 120) for i in range(121)} | {warmup, t})
    ys = _lrs(ask, lr0, warmup, total, torch.tensor(xs, dtype=_F64), floor).tolist()
    return Curve(f"LR(t) over the {total} steps, t = {t} marked", tuple(zip(map(float, xs), ys)), (float(t), key), "step t", "LR")


def _solve_schedule(ask: str, lr0: float, warmup: int, total: int, t: int, floor: float) -> Solution:
    kind = "linear" if ask.endswith("linear") else "cosine"
    key = _schedule_lr(ask, lr0, warmup, total, t, floor)
    steps: list[Step] = []
    wrong: list[Misconception] = []
    if warmup and t <= warmup:
        steps += [
            Step(
                "t / W",
                (_tensor(t) / warmup).item(),
                note="t <= W: still in the warmup, which rises linearly from 0 to lr0",
            ),
            Step("LR(t) = lr0 · t / W", key),
        ]
    else:
        done, span = t - warmup, total - warmup
        progress = (_tensor(done) / span).item()
        if warmup:
            steps.append(
                Step(
                    "t − W, the steps taken since the warmup ended",
                    done,
                    note=f"t > W: the decay runs over the T − W = {span} steps after the warmup",
                )
            )
            p_label = "progress p = (t − W) / (T − W)"
        else:
            p_label = "progress p = t / T"
        steps.append(Step(p_label, progress))
        if kind == "linear":
            steps.append(Step("1 − p", (1 - _tensor(progress)).item()))
            steps.append(Step("LR(t) = lr0 · (1 − p)", key))
        else:
            cos = torch.cos(math.pi * _tensor(progress))
            steps += [
                Step("cos(π p)", cos.item()),
                Step("½(1 + cos(π p))", (0.5 * (1 + cos)).item(), note="falls from 1 to 0"),
                # With no floor the step is written as the prompt writes it.
                Step("LR(t) = floor + (lr0 − floor) · ½(1 + cos(π p))" if floor else "LR(t) = lr0 · ½(1 + cos(π p))", key),
            ]
        if warmup and t < total:
            # At t = T both clocks have run out and agree.
            wrong.append(Misconception(*_DECAY_NOT_SHIFTED, _schedule_lr(kind, lr0, 0, total, t, floor)))
        if kind == "cosine" and done > 0:
            wrong.append(Misconception(*_TWO_PI, _schedule_lr(ask, lr0, warmup, total, t, floor, turns=2.0)))
            if floor > 0:
                wrong.append(Misconception(*_FLOOR_IGNORED, _schedule_lr(ask, lr0, warmup, total, t, 0.0)))
    if t < total:
        wrong.append(
            Misconception(*_OFF_BY_ONE, _schedule_lr(ask, lr0, warmup, total, t + 1, floor))
        )
    return Solution(key, tuple(steps), tuple(wrong), _curve(ask, lr0, warmup, total, t, floor, key))


# ---------------------------------------------------------------- layer-wise LR decay


def _solve_llrd(inputs: Mapping[str, Any]) -> Solution:
    base, factor = float(inputs["base_lr"]), float(inputs["factor"])
    layer, top = inputs["layer"], inputs["depth"] - 1

    def lr_at(exponent: int) -> float:
        return (_tensor(base) * torch.pow(_tensor(factor), exponent)).item()

    scale = torch.pow(_tensor(factor), top - layer).item()
    key = lr_at(top - layer)
    steps = (
        Step("top − i", top - layer, note=f"layers 0..{top}; the top layer {top} gets the base LR"),
        Step("factor^(top − i)", scale),
        Step("LR_i = base_lr · factor^(top − i)", key),
    )
    wrong: list[Misconception] = []
    if factor != 1:
        if layer != top - layer:
            wrong.append(Misconception(*_LLRD_REVERSED, lr_at(layer)))
        wrong.append(Misconception(*_LLRD_OFF_BY_ONE, lr_at(top - layer + 1)))
    return Solution(key, steps, tuple(wrong))


# ---------------------------------------------------------------- formulas


def _solve_formula(ask: str, symbols: dict[str, str]) -> Solution:
    """LR(t) as a formula: the same schedules, written in the symbols the problem names."""

    f = functools.partial(formula_value, symbols=symbols)

    if ask == "warmup-formula":
        return Solution(
            f("lr0*t/W"),
            (Step("the fraction of the warmup done", "t/W"), Step("LR(t) = lr0 · t / W", "lr0*t/W")),
            (Misconception(*_OFF_BY_ONE, f("lr0*(t + 1)/W")), Misconception(*_RATIO_INVERTED, f("lr0*W/t"))),
        )
    progress = "t/T" if ask == "cosine-formula" else "(t - W)/(T - W)"
    key = f"lr0*(1 + cos(pi*{progress}))/2"
    steps = (
        Step("progress through the decay", progress),
        Step("½(1 + cos(π · progress)) falls from 1 to 0", f"(1 + cos(pi*{progress}))/2"),
        Step("LR(t)", key),
    )
    wrong = [
        Misconception(*_TWO_PI, f(f"lr0*(1 + cos(2*pi*{progress}))/2")),
        Misconception(*_HALF_LEFT_OUT, f(f"lr0*(1 + cos(pi*{progress}))")),
    ]
    if ask == "warmup-cosine-formula":
        wrong.append(Misconception(*_DECAY_NOT_SHIFTED, f("lr0*(1 + cos(pi*t/T))/2")))
    return Solution(f(key), steps, tuple(wrong))


_RATIO_INVERTED = ("ratio-inverted", "Divided the other way round; the warmup grows with t, so LR(t) is lr0 times t / W.")
_HALF_LEFT_OUT = ("half-left-out", "Left out the ½; 1 + cos runs from 2 to 0, so without the ½ the schedule would start at 2·lr0.")
