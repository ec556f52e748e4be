"""Generator for language-modelling problems: softmax over a vocabulary, a sequence's probability by
the chain rule, and label smoothing.

Questions (``ask``):

- ``softmax``: the probabilities of the next token from the logits over a small vocabulary (a
  vector); inputs ``{"ask", "tokens", "logits"}``.
- ``sequence``: a sentence's probability, or its natural-log probability, from the model's
  conditional probability of each token given the ones before it, the closing ``<eos>``
  included; inputs ``{"ask", "tokens", "conditionals", "log"}``.
- ``smoothed-target``: the target distribution of label smoothing with ε over K classes, PyTorch's
  convention (every class gets ε/K, the true one also 1 − ε); inputs ``{"ask", "classes", "target",
  "epsilon"}``.
- ``smoothed-loss``: the cross-entropy of the logits against that smoothed target, as
  ``F.cross_entropy(logits, target, label_smoothing=ε)``; inputs ``{"ask", "logits", "target",
  "epsilon"}``.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, FloatRange, IntRange, ParamSpec, draw_choice, draw_float, draw_int, draw_on_grid, redraw

FAMILY = "language-modelling"
VERSION = 1

ASKS = ("softmax", "sequence", "smoothed-target", "smoothed-loss")
WORDS = ("the", "a", "cat", "dog", "sat", "ran", "on", "mat", "home", "fast")
EPSILONS = (0.05, 0.1, 0.2, 0.3)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("softmax",), doc="What to ask for (see the generator's module doc)."),
    "vocab": IntRange(default=(3, 4), doc="Tokens (classes) the logits cover.", minimum=2, maximum=10),
    "logits": FloatRange(default=(-2.0, 3.0), doc="Range of the logits (one decimal).", minimum=-20.0, maximum=20.0),
    "length": IntRange(default=(2, 4), doc="Words in the sentence (the <eos> comes on top).", minimum=1, maximum=10),
    "log": Choice(options=("probability", "log-probability"), default=("probability", "log-probability"), doc="For sequence: which to ask for."),
    "epsilon": FloatRange(default=(0.05, 0.3), doc=f"Label smoothing ε, drawn from {list(EPSILONS)} within the range.", minimum=0.0, maximum=1.0),
}


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    k = draw_int(rng, params["vocab"])
    if ask == "sequence":
        n = draw_int(rng, params["length"])
        tokens = [WORDS[rng.randrange(len(WORDS))] for _ in range(n)] + ["<eos>"]
        # Conditionals on a 0.05 grid, none of them certain.
        conditionals = [rng.randint(1, 19) / 20 for _ in tokens]
        return {"ask": ask, "tokens": tokens, "conditionals": conditionals, "log": draw_choice(rng, params["log"]) == "log-probability"}
    if ask == "smoothed-target":
        return {"ask": ask, "classes": k, "target": rng.randrange(k), "epsilon": draw_on_grid(rng, EPSILONS, params["epsilon"], 2)}

    def logits() -> dict[str, Any] | None:
        values = [draw_float(rng, params["logits"], 1) for _ in range(k)]
        return {"logits": values} if len(set(values)) > 1 else None  # equal logits: a uniform answer

    inputs = redraw(logits, f"vocab={list(params['vocab'])}, logits={list(params['logits'])}; widen 'logits'")
    if ask == "softmax":
        return {"ask": ask, "tokens": list(WORDS[:k]), **inputs}
    return {"ask": ask, **inputs, "target": rng.randrange(k), "epsilon": draw_on_grid(rng, EPSILONS, params["epsilon"], 2)}


def _row(values: list[Any]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "smoothed-target", "classes": 4, "target": 2, "epsilon": 0.1}))
    K = 4 classes (0..3), true class 2, ε = 0.1
    """
    ask = inputs["ask"]
    if ask == "softmax":
        return "\n".join(f"{t:>6}: logit {v:g}" for t, v in zip(inputs["tokens"], inputs["logits"]))
    if ask == "sequence":
        lines, before = [], ["<sos>"]
        for token, p in zip(inputs["tokens"], inputs["conditionals"]):
            lines.append(f"p({token} | {' '.join(before)}) = {p:g}")
            before.append(token)
        return "\n".join(lines)
    if ask == "smoothed-target":
        return f"K = {inputs['classes']} classes (0..{inputs['classes'] - 1}), true class {inputs['target']}, ε = {inputs['epsilon']:g}"
    k = len(inputs["logits"])
    return f"logits = {_row(inputs['logits'])}   (K = {k} classes, 0..{k - 1})\ntrue class {inputs['target']}, ε = {inputs['epsilon']:g}"


def expected(inputs: dict[str, Any]) -> Answer:
    """A probability vector for softmax and the smoothed target, else a number (placeholders)."""
    if inputs["ask"] == "softmax":
        return Answer("vector", [0.0] * len(inputs["logits"]))
    if inputs["ask"] == "smoothed-target":
        return Answer("vector", [0.0] * inputs["classes"])
    return Answer("number", 0.0)
