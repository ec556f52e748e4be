"""Generator for rotary position embedding (RoPE) problems.

RoPE splits a query or key vector of even width d into d/2 pairs and rotates pair i at position m
by the angle m·θ_i, θ_i = base^(−2i/d) (RoFormer, Su et al. 2021, equation 15). Which entries form
a pair is a convention the prompt states: ``interleaved`` pairs (x₀, x₁), (x₂, x₃), … as in the
paper, or ``half`` pairs (x_i, x_{i+d/2}) as in GPT-NeoX and many Llama ports.

Questions (``ask``):

- ``rotate``: the vector q rotated for position m; inputs ``{"ask", "q", "m", "base", "pairing"}``.
- ``score``: the attention score (dot product) of q rotated for position m with k rotated for
  position n; inputs ``{"ask", "q", "k", "m", "n", "base", "pairing"}``.
- ``relative``: that score at positions (m, n) and again with both shifted by s, a vector of two
  (they are equal: the score depends only on m − n); inputs as for score plus ``"shift"``.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, IntRange, ParamSpec, draw_choice, draw_int, draw_int_matrix, redraw

VERSION = 1
# Asks whose drawing changed since version 1 (ids of their older versions are refused).
VERSIONS = {"score": 2, "relative": 2}

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("rotate", "score", "relative")
BASES = (10, 100, 10000)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("rotate",), doc="What to ask for (see the generator's module doc)."),
    "dim": IntRange(default=(2, 4), doc="Width d of q and k, drawn among the even values of the range.", minimum=2, maximum=8),
    "position": IntRange(default=(1, 8), doc="Positions m and n.", minimum=0, maximum=4096),
    "shift": IntRange(default=(1, 20), doc="For relative: the shift s added to both positions.", minimum=1, maximum=4096),
    "base": IntRange(
        default=(100, 10000), doc=f"The base of θ_i, drawn from {list(BASES)} within the range (else any whole number in it).", minimum=2, maximum=1_000_000
    ),
    "values": IntRange(default=(-3, 3), doc="Inclusive range of the integer entries of q and k.", minimum=-9, maximum=9),
    "pairing": Choice(options=("interleaved", "half"), default=("interleaved", "half"), doc="Which entries are rotated together (see the module doc)."),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    lo, hi = params["dim"]
    problems = []
    if not any(d % 2 == 0 for d in range(lo, hi + 1)):
        problems.append(("dim", "a range with an even width", str([lo, hi])))
    if params["values"] == (0, 0):
        problems.append(("values", "a range with a nonzero integer", "[0, 0]"))
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    evens = [d for d in range(params["dim"][0], params["dim"][1] + 1) if d % 2 == 0]
    lo, hi = params["base"]
    bases = [b for b in BASES if lo <= b <= hi] or [rng.randint(lo, hi)]

    def attempt() -> dict[str, Any] | None:
        d = evens[rng.randrange(len(evens))]
        q, k = draw_int_matrix(rng, 2, d, params["values"])
        # A zero pair is not rotated at all, which would hide a wrong angle.
        if any(q[i] == 0 and q[i + 1] == 0 for i in range(0, d, 2)) or not any(k):
            return None
        inputs: dict[str, Any] = {"ask": ask, "q": q, "m": draw_int(rng, params["position"]), "base": bases[rng.randrange(len(bases))]}
        inputs["pairing"] = draw_choice(rng, params["pairing"])
        if ask == "rotate":
            return inputs if inputs["m"] > 0 else None
        inputs.update(k=k, n=draw_int(rng, params["position"]))
        if inputs["m"] == inputs["n"]:
            return None  # equal positions: the rotation cancels and the score is q·k
        if ask == "score" and inputs["n"] == 2 * inputs["m"]:
            return None  # k left unrotated (q turned by −m) and both turned backwards (m − n) coincide
        if ask == "relative":
            inputs["shift"] = draw_int(rng, params["shift"])
        return inputs

    return redraw(attempt, f"dim={list(params['dim'])}, values={list(params['values'])}, position={list(params['position'])}; widen 'values' or 'position'")


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "rotate", "q": [1, 2], "m": 3, "base": 10000, "pairing": "interleaved"}))
    q = [1, 2], position m = 3
    d = 2, base = 10000 (θ_i = base^(−2i/d)); pairs: (x0, x1)
    """
    d = len(inputs["q"])
    if inputs["pairing"] == "interleaved":
        pairs = ", ".join(f"(x{i}, x{i + 1})" for i in range(0, d, 2))
    else:
        pairs = ", ".join(f"(x{i}, x{i + d // 2})" for i in range(d // 2))
    lines = [f"q = {inputs['q']}, position m = {inputs['m']}"]
    if inputs["ask"] != "rotate":
        lines.append(f"k = {inputs['k']}, position n = {inputs['n']}")
    if inputs["ask"] == "relative":
        lines.append(f"shift s = {inputs['shift']} (positions m + s = {inputs['m'] + inputs['shift']} and n + s = {inputs['n'] + inputs['shift']})")
    lines.append(f"d = {d}, base = {inputs['base']} (θ_i = base^(−2i/d)); pairs: {pairs}")
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """The rotated vector, one score, or two scores."""
    if inputs["ask"] == "rotate":
        return Answer("vector", [0.0] * len(inputs["q"]))
    if inputs["ask"] == "relative":
        return Answer("vector", [0.0, 0.0])
    return Answer("number", 0.0)
