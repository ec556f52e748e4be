"""Generator for fine-tuning problems: how many parameters train when layers are frozen.

The model is a multilayer perceptron, ``nn.Sequential`` of ``nn.Linear`` layers (with biases,
as ``nn.Linear`` has by default) and ReLUs: hidden layers 1..n map ``widths[i-1] → widths[i]``,
and the head maps ``widths[n] → classes``. Freezing a layer is ``requires_grad_(False)`` on it; the
trainable parameters are those the optimizer still updates.

Questions (``ask``):

- ``total``: every parameter of the model; inputs ``{"ask", "widths", "classes"}``.
- ``linear-probe``: the backbone (every hidden layer) frozen, only the head trains; same inputs.
- ``frozen``: the hidden layers listed in ``frozen`` (numbered from 1) are frozen; inputs
  ``{"ask", "widths", "classes", "frozen"}``.
- ``progressive``: progressive unfreezing from the top: stage 0 trains the head only, stage s the
  head and the top s hidden layers; inputs ``{"ask", "widths", "classes", "stage"}``.

Widths are drawn from ``WIDTH_GRID`` (sizes people use) within the template's range.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, IntRange, ParamSpec, draw_choice, draw_int

VERSION = 1

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("total", "linear-probe", "frozen", "progressive")
WIDTH_GRID = (16, 32, 50, 64, 100, 128, 200, 256, 300, 384, 500, 512, 768, 784, 1000, 1024, 2048, 3072, 4096)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("frozen",),
        doc="What to ask for: all parameters, those a linear probe trains, those left trainable "
        "when given layers are frozen, or those trained at a stage of progressive unfreezing.",
    ),
    "depth": IntRange(default=(2, 4), doc="Hidden layers n (the head comes on top).", minimum=1, maximum=12),
    "width": IntRange(
        default=(16, 1024), doc=f"Range of the layer widths, drawn from {list(WIDTH_GRID)} within it.", minimum=1, maximum=100_000
    ),
    "classes": IntRange(default=(2, 10), doc="Outputs of the head.", minimum=1, maximum=100_000),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    if any(a in ("frozen", "progressive") for a in params["ask"]) and params["depth"][1] < 2:
        return [("depth", "at least 2 hidden layers when ask includes frozen or progressive", str(list(params["depth"])))]
    return []


def _width(rng: random.Random, bounds: tuple[int, int]) -> int:
    grid = [w for w in WIDTH_GRID if bounds[0] <= w <= bounds[1]]
    return grid[rng.randrange(len(grid))] if grid else draw_int(rng, bounds)


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``)."""
    ask = draw_choice(rng, params["ask"])
    lo = 2 if ask in ("frozen", "progressive") else 1
    depth = draw_int(rng, (max(lo, params["depth"][0]), max(lo, params["depth"][1])))
    inputs: dict[str, Any] = {
        "ask": ask,
        "widths": [_width(rng, params["width"]) for _ in range(depth + 1)],
        "classes": draw_int(rng, params["classes"]),
    }
    if ask == "frozen":
        # Some but not all hidden layers: all or none would be a linear probe or a full count.
        count = rng.randint(1, depth - 1)
        inputs["frozen"] = sorted(rng.sample(range(1, depth + 1), count))
    elif ask == "progressive":
        inputs["stage"] = rng.randint(1, depth - 1)
    return inputs


def describe(inputs: dict[str, Any]) -> str:
    """The model as the code that builds it, then what is frozen.

    >>> print(describe({"ask": "linear-probe", "widths": [784, 128], "classes": 10}))
    model = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(),   # layer 1
        nn.Linear(128, 10),   # head
    )
    The backbone (layer 1) is frozen; only the head trains.
    """
    widths, n = inputs["widths"], len(inputs["widths"]) - 1
    lines = ["model = nn.Sequential("]
    lines += [f"    nn.Linear({widths[i - 1]}, {widths[i]}), nn.ReLU(),   # layer {i}" for i in range(1, n + 1)]
    lines += [f"    nn.Linear({widths[n]}, {inputs['classes']}),   # head", ")"]
    ask = inputs["ask"]
    if ask == "total":
        lines.append("Nothing is frozen.")
    elif ask == "linear-probe":
        backbone = "layer 1" if n == 1 else f"layers 1–{n}"
        lines.append(f"The backbone ({backbone}) is frozen; only the head trains.")
    elif ask == "frozen":
        names = ", ".join(str(i) for i in inputs["frozen"])
        lines.append(f"Frozen with requires_grad_(False): layer{'s' if len(inputs['frozen']) > 1 else ''} {names}.")
    else:
        lines.append(
            f"Progressive unfreezing from the top: stage 0 trains the head only, stage s the head and the "
            f"top s hidden layers. This is stage {inputs['stage']}."
        )
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """Every ask is a parameter count: a whole number."""
    return Answer("number", 0.0, whole=True)
