"""Checker for fine-tuning problems: trainable parameter counts with frozen layers.

The count is what PyTorch reports for a real model: ``nn.Sequential`` of ``nn.Linear`` layers built
on the meta device (sizes without memory), frozen layers given ``requires_grad_(False)``, and the
trainable parameters summed as ``sum(p.numel() for p in model.parameters() if p.requires_grad)``.
Progressive (gradual) unfreezing, training the top layers first and then more and more of the
network, is from Howard & Ruder (2018), "Universal Language Model Fine-tuning", section 3.3;
linear probing, a linear classifier trained on frozen features, is the linear evaluation protocol
of self-supervised learning (e.g. Chen et al. 2020, SimCLR, section 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from quizgen.core.answer import Misconception, Solution, Step

_BIASES = ("biases-forgotten", "Counted only the weight matrices; every nn.Linear(i, o) also has o biases, i·o + o parameters in all.")
_FROZEN_COUNTED = (
    "frozen-counted",
    "Counted the frozen layers too; requires_grad_(False) keeps their parameters in the model but "
    "the optimizer no longer updates them.",
)
_HEAD_LEFT_OUT = ("head-left-out", "Left out the head; the new output layer is always trained.")
_HEAD_NOT_COUNTED = ("head-left-out", "Left out the head; the output layer is part of the model, with its own weights and biases.")


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Trainable parameters, per-layer steps and the applicable misconceptions.

    Example:
        >>> solve({"ask": "linear-probe", "widths": [784, 128], "classes": 10}).value
        1290.0
        >>> solve({"ask": "total", "widths": [4, 3], "classes": 2}).value
        23.0
    """
    ask = inputs.get("ask")
    widths, classes = list(inputs["widths"]), int(inputs["classes"])
    n = len(widths) - 1
    if ask == "total":
        frozen: set[int] = set()
    elif ask == "linear-probe":
        frozen = set(range(1, n + 1))
    elif ask == "frozen":
        frozen = set(inputs["frozen"])
    else:  # progressive
        frozen = set(range(1, n + 1 - int(inputs["stage"])))

    sizes = [*widths, classes]
    layers = [nn.Linear(sizes[i], sizes[i + 1], device="meta") for i in range(n + 1)]
    modules: list[nn.Module] = []
    for layer in layers[:-1]:
        modules += [layer, nn.ReLU()]
    model = nn.Sequential(*modules, layers[-1])
    for i in frozen:
        layers[i - 1].requires_grad_(False)
    key = sum(p.numel() for p in model.parameters() if p.requires_grad)

    steps: list[Step] = []
    weights_only = head = 0
    for i, layer in enumerate(layers, start=1):
        count = sum(p.numel() for p in layer.parameters())
        name = "head" if i == n + 1 else f"layer {i}"
        trains = i not in frozen
        state = "trains" if trains else "frozen"
        steps.append(Step(f"{name}: {layer.in_features}·{layer.out_features} + {layer.out_features}", count, note=state))
        if trains:
            weights_only += layer.weight.numel()
            head = count if i == n + 1 else head
    steps.append(Step("trainable parameters (the layers that train)" if frozen or ask != "total" else "parameters in all", key))

    wrong = [Misconception(*_BIASES, float(weights_only))]
    if frozen:
        wrong.append(Misconception(*_FROZEN_COUNTED, float(sum(p.numel() for p in model.parameters()))))
    if key != head:
        wrong.append(Misconception(*(_HEAD_NOT_COUNTED if ask == "total" else _HEAD_LEFT_OUT), float(key - head)))
    return Solution(float(key), tuple(steps), tuple(wrong))
