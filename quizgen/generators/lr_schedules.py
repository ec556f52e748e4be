"""Generator for learning-rate schedule problems: warmup, linear and cosine decay, layer-wise decay.

Every schedule question asks for ``LR(t)``, the learning rate after ``t`` optimizer steps (the
one the next update uses), with ``0 <= t <= T``. Warmup rises linearly from 0, so the very first
update uses ``LR(0) = 0`` and ``LR(W) = lr0``. After a warmup the decay runs over the remaining
``T - W`` steps: its clock is ``t - W``, not ``t``.

Questions (``ask``):

- ``warmup``: ``lr0 · t / W`` for ``0 <= t <= W``; inputs ``{"ask", "lr0", "warmup", "t"}``.
- ``linear``: ``lr0 · (1 - t / T)``; inputs ``{"ask", "lr0", "steps", "t"}``.
- ``warmup-linear``: warmup, then ``lr0 · (T - t) / (T - W)`` after ``W``; inputs
  ``{"ask", "lr0", "warmup", "steps", "t"}``.
- ``cosine``: ``floor + (lr0 - floor) · ½(1 + cos(π t / T))``; inputs
  ``{"ask", "lr0", "steps", "t", "floor"}``.
- ``warmup-cosine``: warmup, then the cosine over ``T - W`` steps, ``p = (t - W) / (T - W)`` in
  place of ``t / T``; inputs ``{"ask", "lr0", "warmup", "steps", "t", "floor"}``.
- ``llrd``: layer-wise LR decay. Layers are numbered 0 (the embedding layer, at the bottom) to
  ``top = depth - 1``; layer ``i`` trains with ``base_lr · factor^(top - i)``, so the top layer
  gets the base LR. Inputs ``{"ask", "base_lr", "factor", "depth", "layer"}``.
- ``warmup-formula``, ``cosine-formula`` and ``warmup-cosine-formula``: LR(t) as a formula in
  the symbols named (lr0, t, W, T; the cosine decays to 0); inputs ``{"ask", "symbols"}``.

Learning rates are drawn from ``LR_GRID`` (decimals that print exactly), the floor as a fraction
of ``lr0`` on a 0.05 grid (stored as the exact decimal product), the LLRD factor on a 0.05 grid.
Draws where the answer is read off the inputs (``t = 0``, ``t = W``, ``t = T``, the top layer, a
factor of 1) are not made, nor an LLRD layer with ``2i = depth``, where the reversed exponent
and the off-by-one exponent give the same LR.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from quizgen.core.errors import GenerationError
from quizgen.core.formula import describe_symbols
from quizgen.core.params import (
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_int,
    draw_on_grid,
    redraw,
)

VERSION = 1
# Asks whose drawing changed since (the template version is the highest over its asks): no LLRD
# layer with 2i = depth; the cosine templates' finer tolerance changes what the builder redraws;
# warmup then decay asks for a t after the warmup.
VERSIONS = {"llrd": 2, "cosine": 2, "warmup-linear": 2, "warmup-cosine": 3}

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("warmup", "linear", "warmup-linear", "cosine", "warmup-cosine", "llrd")
WARMUP_ASKS = ("warmup", "warmup-linear", "warmup-cosine")
DECAY_ASKS = ("linear", "warmup-linear", "cosine", "warmup-cosine")
FLOOR_ASKS = ("cosine", "warmup-cosine")
FORMULA_SYMBOLS = {
    "warmup-formula": {"lr0": "positive", "t": "size", "W": "size"},
    "cosine-formula": {"lr0": "positive", "t": "size", "T": "size"},
    "warmup-cosine-formula": {"lr0": "positive", "t": "size", "W": "size", "T": "size"},
}
MEANINGS = {"lr0": "the peak LR", "t": "the optimizer steps taken", "W": "the warmup steps", "T": "the total steps"}
# Learning rates as people write them; a range draws one of those inside it.
LR_GRID = (
    1e-5, 2e-5, 3e-5, 5e-5,
    1e-4, 2e-4, 3e-4, 5e-4,
    1e-3, 2e-3, 3e-3, 5e-3,
    0.01, 0.02, 0.03, 0.05,
    0.1, 0.2, 0.3, 0.5, 1.0,
)
# Floors (as fractions of lr0) and LLRD factors are drawn on this grid when the range holds a
# point of it, else on a two-decimal grid.
FRACTION_GRID = tuple(round(k * 0.05, 2) for k in range(21))

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS + tuple(FORMULA_SYMBOLS),
        default=("cosine",),
        doc="What to ask for: the LR after t steps of a warmup, linear, warmup-then-linear, cosine "
        "or warmup-then-cosine schedule, or the LR of one layer under layer-wise LR decay (llrd).",
    ),
    "lr0": FloatRange(
        default=(1e-4, 0.1),
        doc=f"Peak LR lr0 (the base LR of the top layer for llrd), drawn from {list(LR_GRID)} "
        "within the range.",
        exclusive_minimum=0.0,
        maximum=1.0,
    ),
    "steps": IntRange(
        default=(10, 100),
        doc="Total number of steps T; the decay reaches its end (0 or the floor) at t = T.",
        minimum=2,
        maximum=10000,
    ),
    "warmup": IntRange(
        default=(2, 10),
        doc="Warmup steps W; the LR rises linearly from 0 at t = 0 to lr0 at t = W.",
        minimum=1,
        maximum=10000,
    ),
    "floor": FloatRange(
        default=(0.0, 0.0),
        doc="Floor of the cosine decay as a fraction of lr0 (0: decay to 0), on a 0.05 grid; the "
        "inputs hold the floor itself, lr0 times the fraction.",
        minimum=0.0,
        maximum=0.9,
    ),
    "factor": FloatRange(
        default=(0.8, 0.95),
        doc="LLRD factor: each layer trains with factor times the LR of the layer above it; on a "
        "0.05 grid, never 1.",
        exclusive_minimum=0.0,
        maximum=1.0,
    ),
    "depth": IntRange(
        default=(4, 12),
        doc="LLRD: number of layers, numbered 0 (embeddings, bottom) to depth - 1 (top).",
        minimum=2,
        maximum=48,
    ),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems: list[tuple[str, str, str]] = []
    asks = params["ask"]
    if not _lr_grid(params["lr0"]):
        problems.append(
            ("lr0", f"a range holding one of {list(LR_GRID)}", str(list(params["lr0"])))
        )
    if "warmup" in asks and params["warmup"][1] < 2:
        problems.append(
            (
                "warmup",
                "at least 2 warmup steps for ask warmup (0 < t < W)",
                str(list(params["warmup"])),
            )
        )
    if any(a in ("warmup-linear", "warmup-cosine") for a in asks) and (
        params["warmup"][0] + 2 > params["steps"][1]
    ):
        problems.append(
            (
                "warmup",
                "W <= T - 2 for some W and T in their ranges (the decay needs a step inside it)",
                f"warmup {list(params['warmup'])} with steps {list(params['steps'])}",
            )
        )
    if "llrd" in asks and params["factor"][0] >= 1.0:
        problems.append(
            ("factor", "a factor below 1 (1 means no decay)", str(list(params["factor"])))
        )
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask in FORMULA_SYMBOLS:
        return {"ask": ask, "symbols": FORMULA_SYMBOLS[ask]}
    lr = _draw_lr(rng, params["lr0"])
    if ask == "llrd":
        factor = _draw_factor(rng, params["factor"])
        depth = draw_int(rng, params["depth"])
        # The top layer (depth - 1) would just be the base LR; at 2i = depth the reversed exponent
        # i and the one-too-many depth − i coincide, so the two slips could not be told apart.
        layers = [i for i in range(depth - 1) if 2 * i != depth]
        layer = layers[rng.randrange(len(layers))]
        return {"ask": ask, "base_lr": lr, "factor": factor, "depth": depth, "layer": layer}
    def attempt() -> dict[str, Any] | None:
        if ask == "warmup":
            w = draw_int(rng, params["warmup"])
            if w < 2:
                return None
            return {"ask": ask, "lr0": lr, "warmup": w, "t": rng.randint(1, w - 1)}
        if ask in ("linear", "cosine"):
            total = draw_int(rng, params["steps"])
            t = rng.randint(1, total - 1)
            inputs: dict[str, Any] = {"ask": ask, "lr0": lr, "steps": total, "t": t}
        else:
            w = draw_int(rng, params["warmup"])
            total = draw_int(rng, params["steps"])
            if w + 2 > total:
                return None
            # After the warmup (W < t < T): before it the problem is the warmup alone, where the
            # slips of the decay (not shifted by W, 2π for π, the floor left out) cannot show.
            inputs = {"ask": ask, "lr0": lr, "warmup": w, "steps": total, "t": rng.randint(w + 1, total - 1)}
        if ask in FLOOR_ASKS:
            inputs["floor"] = _draw_floor(rng, lr, params["floor"])
        return inputs

    return redraw(
        attempt,
        f"warmup={list(params['warmup'])}, steps={list(params['steps'])} for ask {ask!r}; ask warmup needs "
        "W >= 2 and a warmup-then-decay ask needs W <= T - 2 (e.g. warmup [2, 10], steps [20, 100]).",
    )


def _lr_grid(bounds: tuple[float, float]) -> list[float]:
    lo, hi = bounds
    return [x for x in LR_GRID if lo * (1 - 1e-9) <= x <= hi * (1 + 1e-9)]


def _draw_lr(rng: random.Random, bounds: tuple[float, float]) -> float:
    grid = _lr_grid(bounds)
    if not grid:
        raise GenerationError(
            f"Expected an lr0 range holding one of {list(LR_GRID)}, but got lr0={list(bounds)}"
        )
    return grid[rng.randrange(len(grid))]


def _draw_fraction(rng: random.Random, bounds: tuple[float, float], exclude_one: bool) -> float:
    # The grid's last point is 1.0.
    return draw_on_grid(rng, FRACTION_GRID[:-1] if exclude_one else FRACTION_GRID, bounds, 2)


def _draw_factor(rng: random.Random, bounds: tuple[float, float]) -> float:
    value = _draw_fraction(rng, bounds, exclude_one=True)
    if not 0 < value < 1:
        raise GenerationError(
            "Expected a factor range holding a two-decimal value in (0, 1), but got "
            f"factor={list(bounds)}"
        )
    return value


def _draw_floor(rng: random.Random, lr0: float, bounds: tuple[float, float]) -> float:
    fraction = _draw_fraction(rng, bounds, exclude_one=False)
    # The exact decimal product, so the inputs print as the learner reads them (3e-05, not
    # 2.9999999999999997e-05).
    return float(Decimal(repr(lr0)) * Decimal(repr(fraction)))


def fmt_lr(x: float) -> str:
    """A learning rate as written by hand: ``0.001``, ``3e-5``, ``1``.

    >>> [fmt_lr(v) for v in (0.001, 3e-05, 1.5e-05, 1.0, 0.0)]
    ['0.001', '3e-5', '1.5e-5', '1', '0']
    """
    if x == int(x):
        return str(int(x))
    text = repr(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner."""
    ask = inputs["ask"]
    if ask in FORMULA_SYMBOLS:
        schedule = {
            "warmup-formula": "a linear warmup from 0 at t = 0 to lr0 at t = W",
            "cosine-formula": "a cosine decay from lr0 at t = 0 to 0 at t = T",
            "warmup-cosine-formula": "a linear warmup to lr0 at t = W, then a cosine decay to 0 at t = T (the part after the warmup is asked: W ≤ t ≤ T)",
        }[ask]
        return f"Schedule: {schedule}.\n" + describe_symbols(inputs["symbols"], MEANINGS)
    if ask == "llrd":
        top = inputs["depth"] - 1
        return "\n".join(
            [
                f"Base LR = {fmt_lr(inputs['base_lr'])} (the LR of the top layer)",
                f"Decay factor = {inputs['factor']} per layer going down",
                f"Depth = {inputs['depth']} layers, numbered 0 (embeddings, bottom) to {top} (top)",
                f"Layer i = {inputs['layer']}",
            ]
        )
    parts = [f"lr0 = {fmt_lr(inputs['lr0'])} (peak LR)"]
    if ask in WARMUP_ASKS:
        parts.append(
            f"W = {inputs['warmup']} warmup steps (linear from 0 at t = 0 to lr0 at t = W)"
        )
    if ask in DECAY_ASKS:
        over = "over the T − W steps after the warmup" if ask in WARMUP_ASKS else "from t = 0"
        end = "0"
        if ask in FLOOR_ASKS:
            floor = inputs["floor"]
            end = f"the floor {fmt_lr(floor)}" if floor else "0 (floor = 0)"
        kind = "cosine" if ask in FLOOR_ASKS else "linear"
        parts.append(
            f"T = {inputs['steps']} steps in all; {kind} decay {over}, reaching {end} at t = T"
        )
    parts.append(f"t = {inputs['t']} optimizer steps taken (LR(t) is the LR the next update uses)")
    return "\n".join(parts)

