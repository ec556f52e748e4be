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
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.errors import GenerationError
from quizgen.core.params import (
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_int,
    draw_int_matrix,
    draw_on_grid,
    redraw,
)
from quizgen.core.render import format_matrix

FAMILY = "simclr"
VERSION = 1

ASKS = ("loss", "anchor", "similarity")
# Temperatures a learner can divide by in their head; a range with none of them falls back to a
# two-decimal grid.
TEMPERATURE_GRID = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("loss",),
        doc="What to ask for: the batch loss, one anchor's term, or one cosine similarity.",
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
        doc=f"Temperature τ, drawn from {list(TEMPERATURE_GRID)} within the range.",
        exclusive_minimum=0.0,
        maximum=10.0,
    ),
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

    def attempt() -> dict[str, Any] | None:
        n = draw_int(rng, params["pairs"])
        dim = draw_int(rng, params["dim"])
        z = draw_int_matrix(rng, 2 * n, dim, params["values"])
        temperature = _draw_temperature(rng, params["temperature"])
        if _degenerate(z, n):
            return None
        if ask == "similarity":
            i, j = rng.sample(range(2 * n), 2)
            # Orthogonal vectors have dot product and cosine both 0, hiding the missing division.
            if sum(a * b for a, b in zip(z[i], z[j])) == 0:
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


def _draw_temperature(rng: random.Random, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    value = draw_on_grid(rng, TEMPERATURE_GRID, bounds, 2)
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


def _parallel(u: list[int], v: list[int]) -> bool:
    return all(u[a] * v[b] == u[b] * v[a] for a in range(len(u)) for b in range(a + 1, len(u)))


def _same_direction(u: list[int], v: list[int]) -> bool:
    return _parallel(u, v) and sum(a * b for a, b in zip(u, v)) > 0


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner."""
    z = inputs["z"]
    n = len(z) // 2
    parts = [format_matrix("z", z)]
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
