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
- ``greedy`` and ``beam``: decoding a fixed number of tokens from a small next-token tree, greedily
  or by beam search with width 2 (no length normalisation: every sequence has ``depth`` tokens);
  asks for the chosen sequence's probability, or for the sequence as token numbers; inputs
  ``{"ask", "tokens", "tree", "answer"}``, where ``tree`` maps each prefix (token numbers joined by
  spaces, ``""`` for the start) to the next token's probabilities in token order. Every
  probability is a multiple of 0.05 and no two prefixes of the same length are equally likely,
  so no decision is a tie.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, Flag, FloatRange, IntRange, ParamSpec, draw_choice, draw_float, draw_int, draw_on_grid, redraw

VERSION = 1
VERSIONS = {"beam": 2}
"""Asks whose drawing changed since version 1: beam never draws 2 tokens over 2 steps (v2)."""

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("softmax", "sequence", "smoothed-target", "smoothed-loss", "greedy", "beam")
TREE_TOKENS = ("a", "b", "c")
MAX_TREE = 7
"""The most next-token distributions a decoding problem shows ((K^L − 1)/(K − 1) for K tokens, L steps)."""
WORDS = ("the", "a", "cat", "dog", "sat", "ran", "on", "mat", "home", "fast")
EPSILONS = (0.05, 0.1, 0.2, 0.3)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("softmax",), doc="What to ask for (see the generator's module doc)."),
    "vocab": IntRange(default=(3, 4), doc="Tokens (classes) the logits cover.", minimum=2, maximum=10),
    "logits": FloatRange(default=(-2.0, 3.0), doc="Range of the logits (one decimal).", minimum=-20.0, maximum=20.0),
    "length": IntRange(default=(2, 4), doc="Words in the sentence (the <eos> comes on top).", minimum=1, maximum=10),
    "log": Choice(options=("probability", "log-probability"), default=("probability", "log-probability"), doc="For sequence: which to ask for."),
    "epsilon": FloatRange(default=(0.05, 0.3), doc=f"Label smoothing ε, drawn from {list(EPSILONS)} within the range.", minimum=0.0, maximum=1.0),
    "branches": IntRange(default=(2, 3), doc="For greedy and beam: tokens to choose from at each step.", minimum=2, maximum=len(TREE_TOKENS)),
    "depth": IntRange(default=(2, 3), doc=f"For greedy and beam: tokens decoded (at most {MAX_TREE} distributions are shown).", minimum=2, maximum=3),
    "answer": Choice(
        options=("probability", "sequence"), default=("probability",), doc="For greedy and beam: the chosen sequence's probability, or its token numbers."
    ),
    "trap": Flag(default=True, doc="For greedy and beam: draw until the most probable sequence does not start with the most probable first token."),
}


def _tree_size(k: int, depth: int) -> int:
    return sum(k**i for i in range(depth))


def _sizes(params: dict[str, Any], ask: str) -> list[tuple[int, int]]:
    """The (branches, depth) a tree may have: at most ``MAX_TREE`` distributions, and for beam
    search more than 2 prefixes before the last step (else the width-2 beam keeps every prefix,
    and beam search is exhaustive search)."""
    return [(k, n) for k in range(params["branches"][0], params["branches"][1] + 1)
            for n in range(params["depth"][0], params["depth"][1] + 1)
            if _tree_size(k, n) <= MAX_TREE and (ask != "beam" or k ** (n - 1) > 2)]


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    if {"greedy", "beam"} & set(params["ask"]) and _tree_size(params["branches"][0], params["depth"][0]) > MAX_TREE:
        return [("depth", f"a value whose tree has at most {MAX_TREE} distributions with the smallest 'branches'", str(list(params["depth"])))]
    if "beam" in params["ask"] and not _sizes(params, "beam"):
        return [("branches", "a range reaching 3, or a 'depth' reaching 3: a width-2 beam over 2 tokens for 2 steps keeps "
                 "every sequence, which is exhaustive search", str(list(params["branches"])))]
    return []


def _distribution(rng: random.Random, k: int, spread: int = 20) -> list[int]:
    """k distinct probabilities in twentieths that sum to 20, at most ``spread`` apart."""
    while True:
        cuts = sorted(rng.sample(range(1, 20), k - 1))
        probs = [b - a for a, b in zip([0, *cuts], [*cuts, 20])]
        if len(set(probs)) == k and max(probs) - min(probs) <= spread:
            return probs


def _draw_tree(params: dict[str, Any], rng: random.Random, ask: str) -> dict[str, Any] | None:
    """A next-token tree on a 0.05 grid, or None when two prefixes tie or the trap is missing.

    With ``trap`` the first step's probabilities, and every step after the most probable first
    token, are drawn close together (at most 0.2 apart), so that a less probable first token can
    lead to the best sequence: the case where greedy decoding goes wrong.
    """
    sizes = _sizes(params, ask)
    k, depth = sizes[rng.randrange(len(sizes))]
    twentieths: dict[tuple[int, ...], list[int]] = {(): _distribution(rng, k, 4 if params["trap"] else 20)}
    first = max(range(k), key=twentieths[()].__getitem__)
    for length in range(1, depth):
        for prefix in itertools.product(range(k), repeat=length):
            flat = params["trap"] and prefix[0] == first
            twentieths[prefix] = _distribution(rng, k, 4 if flat else 20)
    # Each prefix's weight in units of 20^-length: exact, so ties are found exactly.
    weight: dict[tuple[int, ...], int] = {(): 1}
    for length in range(1, depth + 1):
        level = {p: weight[p[:-1]] * twentieths[p[:-1]][p[-1]] for p in itertools.product(range(k), repeat=length)}
        if len(set(level.values())) < len(level):
            return None
        weight.update(level)
    if params["trap"] and max((p for p in weight if len(p) == depth), key=weight.__getitem__)[0] == first:
        return None
    tree = {" ".join(map(str, p)): [n / 20 for n in probs] for p, probs in twentieths.items()}
    return {"tokens": list(TREE_TOKENS[:k]), "tree": tree}


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask in ("greedy", "beam"):
        spec = f"branches={list(params['branches'])}, depth={list(params['depth'])}, trap={params['trap']}; widen 'branches' or drop 'trap'"
        tree = redraw(lambda: _draw_tree(params, rng, ask), spec)
        return {"ask": ask, **tree, "answer": draw_choice(rng, params["answer"])}
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
    if ask in ("greedy", "beam"):
        tokens = inputs["tokens"]
        lines = ["tokens: " + ", ".join(f"{t} = {i}" for i, t in enumerate(tokens))]
        for key, probs in inputs["tree"].items():
            given = " ".join(["<sos>", *(tokens[int(i)] for i in key.split())])
            lines.append(f"p(· | {given}): " + ", ".join(f"{t} {p:g}" for t, p in zip(tokens, probs)))
        if inputs["answer"] == "sequence":
            lines.append("Give: the sequence as a vector of token numbers, e.g. [0, 1] for a b")
        else:
            lines.append("Give: the probability of the sequence (one number)")
        return "\n".join(lines)
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
    if inputs["ask"] in ("greedy", "beam") and inputs["answer"] == "sequence":
        return Answer("vector", [0.0] * (max(map(len, map(str.split, inputs["tree"]))) + 1))
    return Answer("number", 0.0)
