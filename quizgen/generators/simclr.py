"""Generator for SimCLR's NT-Xent (normalised temperature-scaled cross-entropy) loss problems.

Source: "A Simple Framework for Contrastive Learning of Visual Representations"
(2020), equation (1): for a batch of 2N views where ``(k, k+N)`` are the two views of one example,
``ℓ(i, j) = −log( exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ) )`` with ``s`` the cosine similarity, and
the loss is the mean of ``ℓ(i, pos(i))`` over all 2N anchors.

Questions (``ask``):

- ``loss``: the batch loss; inputs ``{"ask", "z", "temperature"}``.
- ``anchor``: one anchor's term ``ℓ(i, pos(i))``; inputs
  ``{"ask", "z", "temperature", "anchor"}``.
- ``similarity``: the cosine similarity of two rows; inputs ``{"ask", "z", "pair": [i, j]}``.

``z`` has 2N rows of small integers; rows ``k`` and ``k+N`` are the positive pair.

Beyond the loss itself:

- ``negatives``: how many negatives each anchor has in a batch of N examples (2N views); inputs
  ``{"ask", "batch"}``.
- ``entropy``: the entropy (natural log) of the softmax of one anchor's similarities divided by
  each of two temperatures, a vector of two; inputs ``{"ask", "similarities", "temperatures"}``.
- ``zero-shot``: CLIP-style zero-shot classification: the softmax over classes of the cosine
  similarity between an image embedding and each class text's embedding, divided by τ, or the
  predicted class's number; inputs ``{"ask", "image", "texts", "labels", "temperature",
  "answer"}``.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.errors import GenerationError
from quizgen.core.params import (
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_float,
    draw_int,
    draw_int_matrix,
    draw_on_grid,
    redraw,
)
from quizgen.core.render import format_matrix, format_vector

VERSION = 2  # 2: no τ = 1 where other values fit; the zero-shot class question constructed
VERSIONS = {"similarity": 3}  # 3: no parallel pair (cosine ±1)


def version(params: dict[str, Any]) -> int:
    """4 where a template asks zero-shot probabilities, which since 3 draw no text parallel to
    the image (cosine ±1, read off) and since 4 no two classes with the same text; ``VERSIONS``
    gives the rest."""
    return 4 if "zero-shot" in params["ask"] and "probabilities" in params["answer"] else VERSION

INPUT_LABELS = {
    "z": "embeddings z",
    "image": "image embedding",
    "texts": "text embeddings (row i: class i)",
}
"""What learners read for each vector or matrix input, in every face."""

ASKS = ("loss", "anchor", "similarity", "negatives", "entropy", "zero-shot")
LABELS = ("cat", "dog", "car", "tree", "boat", "bird")
# Temperatures a learner can divide by in their head; a range with none of them falls back to a
# two-decimal grid.
TEMPERATURE_GRID = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("loss",),
        doc="What to ask for (see the generator's module doc).",
    ),
    "pairs": IntRange(
        default=(2, 2),
        doc="Number N of positive pairs; the batch has 2N views.",
        minimum=1,
        maximum=4,
    ),
    "dim": IntRange(default=(2, 3), doc="Dimension d of each view's vector.", minimum=1, maximum=6),
    "values": IntRange(
        default=(-2, 2),
        doc="Inclusive range of the integer entries of the vectors.",
        minimum=-9,
        maximum=9,
    ),
    "temperature": FloatRange(
        default=(0.1, 1.0),
        doc=f"Temperature τ, drawn from {list(TEMPERATURE_GRID)} within the range (1 only when nothing else fits).",
        exclusive_minimum=0.0,
        maximum=10.0,
    ),
    "batch": IntRange(default=(4, 512), doc="For negatives: the batch size N (examples, 2N views).", minimum=2, maximum=1024),
    "classes": IntRange(default=(3, 4), doc="For zero-shot: class texts; for entropy: similarities.", minimum=2, maximum=len(LABELS)),
    "answer": Choice(options=("probabilities", "class"), default=("probabilities",), doc="For zero-shot: the class probabilities or the predicted class."),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems: list[tuple[str, str, str]] = []
    if params["values"] == (0, 0):
        problems.append(
            ("values", "a range with a nonzero integer (a zero vector has no direction)", "[0, 0]")
        )
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask == "negatives":
        return {"ask": ask, "batch": draw_int(rng, params["batch"])}
    if ask == "entropy":
        return _draw_entropy(params, rng)
    if ask == "zero-shot":
        return _draw_zero_shot(params, rng)

    def attempt() -> dict[str, Any] | None:
        n = draw_int(rng, params["pairs"])
        dim = draw_int(rng, params["dim"])
        z = draw_int_matrix(rng, 2 * n, dim, params["values"])
        temperature = _draw_temperature(rng, params["temperature"])
        if _degenerate(z, n):
            return None
        if ask == "similarity":
            i, j = rng.sample(range(2 * n), 2)
            # Orthogonal vectors have dot product and cosine both 0, hiding the missing division;
            # parallel ones have cosine ±1, read off without computing it.
            dot = sum(a * b for a, b in zip(z[i], z[j]))
            if dot == 0 or dot * dot == sum(a * a for a in z[i]) * sum(b * b for b in z[j]):
                return None
            return {"ask": ask, "z": z, "pair": [i, j]}
        inputs: dict[str, Any] = {"ask": ask, "z": z, "temperature": temperature}
        if ask == "anchor":
            inputs["anchor"] = rng.randrange(2 * n)
        return inputs

    return redraw(
        attempt,
        f"pairs={params['pairs']}, dim={params['dim']}, values={params['values']}; "
        "widen 'values' (e.g. [-2, 2]) or 'dim' (e.g. [2, 3]).",
    )


def _draw_entropy(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    def attempt() -> dict[str, Any] | None:
        sims = [draw_float(rng, (-1.0, 1.0), 1) for _ in range(draw_int(rng, params["classes"]))]
        taus = sorted({_draw_temperature(rng, params["temperature"]) for _ in range(2)})
        # Equal similarities give the uniform distribution at every τ; one τ asks nothing twice.
        return {"ask": "entropy", "similarities": sims, "temperatures": taus} if len(set(sims)) > 1 and len(taus) == 2 else None

    return redraw(attempt, f"classes={list(params['classes'])}, temperature={list(params['temperature'])}; widen 'temperature'")


def _draw_zero_shot(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    if draw_choice(rng, params["answer"]) == "class":
        return _draw_zero_shot_class(params, rng)

    def attempt() -> dict[str, Any] | None:
        dim, c = draw_int(rng, params["dim"]), draw_int(rng, params["classes"])
        image, *texts = draw_int_matrix(rng, 1 + c, dim, params["values"])
        if not any(image) or any(not any(t) for t in texts) or len({tuple(t) for t in texts}) < c:
            return None  # a zero vector has no direction; two classes with one text are one class
        cos = sorted(_dot(image, t) / math.sqrt(_dot(image, image) * _dot(t, t)) for t in texts)
        if cos[-1] - cos[-2] < 1e-9:
            return None  # two classes tie for the prediction
        if cos[-1] > 1 - 1e-12 or cos[0] < -1 + 1e-12:
            return None  # a text along the image's own line has cosine ±1: read off, not computed
        return {"ask": "zero-shot", "image": image, "texts": texts, "labels": rng.sample(LABELS, c),
                "temperature": _draw_temperature(rng, params["temperature"]), "answer": "probabilities"}

    return redraw(attempt, f"dim={list(params['dim'])}, values={list(params['values'])}; widen 'values' or 'dim'")


def _draw_zero_shot_class(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A class question is worth asking when the raw dot product picks another class than the
    cosine, so that variant is built, not hoped for: a text A most aligned with the image, a
    longer text B less aligned but with the larger dot product, the others below both."""
    lo, hi = params["dim"]
    # In one dimension every cosine is ±1: the question needs two.
    dim, c = draw_int(rng, (max(lo, min(2, hi)), hi)), draw_int(rng, params["classes"])
    pool = _vectors(tuple(params["values"]), dim, rng)
    n = len(pool)
    # A few random picks (nearly always enough), then every vector in turn: never a lost seed.
    for i in [*(rng.randrange(n) for _ in range(8)), *range(n)]:
        image = pool[i]
        dots, cos = (_alignments if n <= 4096 else _alignments.__wrapped__)(pool, image)
        for a in [*(rng.randrange(n) for _ in range(8)), *range(n)]:
            wins = [b for b in range(n) if cos[b] < cos[a] - 1e-9 and dots[b] > dots[a]]
            if not wins:
                continue
            b = wins[rng.randrange(len(wins))]
            rest = [k for k in range(n) if k not in (a, b) and cos[k] < cos[a] - 1e-9 and dots[k] < dots[b]]
            if len(rest) < c - 2:
                continue
            texts = [pool[k] for k in [a, b, *rng.sample(rest, c - 2)]]
            rng.shuffle(texts)
            return {"ask": "zero-shot", "image": list(image), "texts": [list(t) for t in texts], "labels": rng.sample(LABELS, c),
                    "temperature": _draw_temperature(rng, params["temperature"]), "answer": "class"}
    raise GenerationError(
        f"Expected values={list(params['values'])} and dim={list(params['dim'])} to allow a text vector that is "
        "longer but less aligned with the image than another; widen 'values' or 'dim'"
    )


def _vectors(values: tuple[int, int], dim: int, rng: random.Random) -> tuple[tuple[int, ...], ...]:
    """The nonzero integer vectors a zero-shot class question draws from: all of them when they
    are few, else 1,024 drawn."""
    lo, hi = values
    if (hi - lo + 1) ** dim <= 4096:
        return _all_vectors(lo, hi, dim)
    return tuple(tuple(v) for v in draw_int_matrix(rng, 1024, dim, values) if any(v))


@functools.lru_cache(maxsize=4096)
def _alignments(pool: tuple[tuple[int, ...], ...], image: tuple[int, ...]) -> tuple[list[int], list[float]]:
    """The dot product and the cosine of ``image`` with every vector of ``pool``."""
    dots = [_dot(image, t) for t in pool]
    return dots, [d / math.sqrt(_dot(image, image) * _dot(t, t)) for d, t in zip(dots, pool)]


@functools.lru_cache(maxsize=64)
def _all_vectors(lo: int, hi: int, dim: int) -> tuple[tuple[int, ...], ...]:
    return tuple(v for v in itertools.product(range(lo, hi + 1), repeat=dim) if any(v))


def _draw_temperature(rng: random.Random, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    # τ = 1 leaves the similarities as they are: leaving τ out would give the key. Drawn only
    # when the range holds no other grid value.
    grid = [t for t in TEMPERATURE_GRID if t != 1.0 and lo - 1e-9 <= t <= hi + 1e-9] or TEMPERATURE_GRID
    value = draw_on_grid(rng, grid, bounds, 2)
    if not (value > 0 and lo - 1e-9 <= value <= hi + 1e-9):
        raise GenerationError(
            "Expected a temperature range containing a positive two-decimal value, but got "
            f"temperature={list(bounds)}"
        )
    return value


def _degenerate(z: list[list[int]], n: int) -> bool:
    # A zero vector has no cosine similarity with anything.
    if any(not any(row) for row in z):
        return True
    # All views on one line: every similarity is ±1 and the question reduces to counting signs.
    if len(z[0]) > 1 and all(_parallel(z[0], row) for row in z[1:]):
        return True
    # When both views of every pair point the same way, anchors k and k+N see the same
    # similarities, so averaging only the first half would give the same loss as all anchors.
    return n > 1 and all(_same_direction(z[k], z[k + n]) for k in range(n))


def _dot(u: Sequence[int], v: Sequence[int]) -> int:
    return sum(a * b for a, b in zip(u, v))


def _parallel(u: list[int], v: list[int]) -> bool:
    return all(u[a] * v[b] == u[b] * v[a] for a in range(len(u)) for b in range(a + 1, len(u)))


def _same_direction(u: list[int], v: list[int]) -> bool:
    return _parallel(u, v) and sum(a * b for a, b in zip(u, v)) > 0


def expected(inputs: dict[str, Any]) -> Answer:
    """A vector for entropy and zero-shot probabilities, else a number (placeholders)."""
    if inputs["ask"] == "entropy":
        return Answer("vector", [0.0, 0.0])
    if inputs["ask"] == "zero-shot" and inputs["answer"] == "probabilities":
        return Answer("vector", [0.0] * len(inputs["texts"]))
    # A count of negatives and a class index are whole numbers: 64.4 is no answer to either.
    return Answer("number", 0.0, whole=inputs["ask"] in ("negatives", "zero-shot"))


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "negatives", "batch": 4}))
    N = 4 examples in the batch, two augmented views of each (2N = 8 views)
    """
    if inputs["ask"] == "negatives":
        return f"N = {inputs['batch']} examples in the batch, two augmented views of each (2N = {2 * inputs['batch']} views)"
    if inputs["ask"] == "entropy":
        sims = ", ".join(f"{v:g}" for v in inputs["similarities"])
        return f"similarities of the anchor to its candidates: [{sims}]\nτ₁ = {inputs['temperatures'][0]:g}, τ₂ = {inputs['temperatures'][1]:g}"
    if inputs["ask"] == "zero-shot":
        texts = [format_vector(INPUT_LABELS["image"], inputs["image"])]
        texts.append("classes: " + ", ".join(f"{i} {label}" for i, label in enumerate(inputs["labels"])))
        texts.append(format_matrix(INPUT_LABELS["texts"], inputs["texts"]))
        texts.append(f"τ = {inputs['temperature']:g}")
        texts.append("Give: the probability of each class (a vector)" if inputs["answer"] == "probabilities" else "Give: the predicted class's number")
        return "\n".join(texts)
    z = inputs["z"]
    n = len(z) // 2
    parts = [format_matrix(INPUT_LABELS["z"], z)]
    if inputs["ask"] == "similarity":
        i, j = inputs["pair"]
        parts.append(f"Vectors: z_{i} and z_{j} (rows counted from 0)")
        return "\n".join(parts)
    pairs = ", ".join(f"({k}, {k + n})" for k in range(n))
    parts.append(f"2N = {2 * n} views (rows counted from 0); positive pairs: {pairs}")
    parts.append(f"τ = {inputs['temperature']}; similarity: cosine")
    if inputs["ask"] == "anchor":
        i = inputs["anchor"]
        parts.append(f"Anchor: i = {i} (its positive is {(i + n) % (2 * n)})")
    return "\n".join(parts)
