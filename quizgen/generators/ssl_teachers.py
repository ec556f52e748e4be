"""Generator for self-distillation problems: the EMA teacher of BYOL, DINO and iBOT, BYOL's loss,
and DINO's centred, sharpened teacher.

Questions (``ask``):

- ``ema``: the teacher's parameters after k steps of θ_t ← τ·θ_t + (1 − τ)·θ_s, given the
  student's parameters after each step; inputs ``{"ask", "teacher", "students", "decay"}``.
- ``byol``: BYOL's loss between a prediction p and a target z, the squared distance of the two
  L2-normalised vectors; inputs ``{"ask", "p", "z"}``.
- ``dino-teacher``: the teacher's output distribution softmax((t − c)/τ_t); inputs ``{"ask",
  "teacher", "centre", "tau_t"}``. The teacher's logits lie within about 3·τ_t of each other and
  two entries of the centre at least 0.5 apart, so that where the centre is subtracted shows.
- ``dino-loss``: the cross-entropy −Σ P_t log P_s of the student's softmax(s/τ_s) against that
  teacher distribution, with τ_t drawn below τ_s as in DINO; inputs ``{"ask", "teacher", "centre", "tau_t", "student", "tau_s"}``.
- ``dino-centre``: the centre after one batch, c ← m·c + (1 − m)·mean of the batch's teacher
  outputs; inputs ``{"ask", "centre", "batch", "momentum"}``.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, FloatRange, IntRange, ParamSpec, draw_choice, draw_float, draw_int, draw_int_matrix, draw_on_grid, redraw
from quizgen.core.render import format_matrix, format_vector

VERSION = 1
# Asks whose drawing changed since (the template version is the highest over its asks): no
# decay or momentum of 0.5; DINO's teacher logits unsaturated and its centre spread; BYOL's
# template draws 3 or 4 entries (in 2, averaging the squares gives 1 − cos, another slip's value);
# DINO's loss 3: its template's tolerance near zero went from 5e-4 to 1e-6, which redraws others.
VERSIONS = {"ema": 2, "dino-centre": 2, "dino-teacher": 2, "dino-loss": 4, "byol": 2}

INPUT_LABELS = {
    "teacher": "teacher's parameters before step 1",
    "students": "student's parameters after each step (row k: after step k)",
    "batch": "teacher outputs (row i: output i)",
}
"""What learners read for each vector or matrix input, in every face."""

ASKS = ("ema", "byol", "dino-teacher", "dino-loss", "dino-centre")
# No 0.5: with equal weights, swapping τ and 1 − τ (or m and 1 − m) is the same update, so the
# classic slip could not be seen.
DECAYS = (0.6, 0.8, 0.9, 0.95, 0.99, 0.996)
TEACHER_TEMPERATURES = (0.04, 0.05, 0.1, 0.2, 0.25, 0.5)
STUDENT_TEMPERATURES = (0.1, 0.2, 0.5, 1.0)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("ema",), doc="What to ask for (see the generator's module doc)."),
    "dim": IntRange(default=(2, 3), doc="Entries of each vector (parameters, embeddings or logits).", minimum=1, maximum=6),
    "steps": IntRange(default=(1, 3), doc="For ema: update steps k.", minimum=1, maximum=10),
    "decay": FloatRange(default=(0.5, 0.99), doc=f"For ema and dino-centre: τ or m, drawn from {list(DECAYS)} within the range.", minimum=0.0, maximum=1.0),
    "values": IntRange(default=(-3, 3), doc="Inclusive range of the integer entries of BYOL's vectors.", minimum=-9, maximum=9),
    "tau_t": FloatRange(default=(0.1, 0.5), doc=f"Teacher temperature τ_t, from {list(TEACHER_TEMPERATURES)} in range.", exclusive_minimum=0.0, maximum=10.0),
    "tau_s": FloatRange(default=(0.1, 1.0), doc=f"Student temperature τ_s, from {list(STUDENT_TEMPERATURES)} in range (never 1: it hides τ_s).",
                        exclusive_minimum=0.0, maximum=10.0),
    "batch": IntRange(default=(2, 3), doc="For dino-centre: teacher outputs in the batch.", minimum=1, maximum=8),
}


def _vector(rng: random.Random, dim: int, lo: float = -2.0, hi: float = 2.0) -> list[float]:
    return [draw_float(rng, (lo, hi), 1) for _ in range(dim)]


def _teacher_and_centre(rng: random.Random, dim: int, tau_t: float) -> tuple[list[float], list[float]]:
    """Teacher logits whose spread is at most about 3·τ_t (so t/τ_t does not saturate the softmax:
    leaving the centre out, or subtracting it after the division, then changes the distribution
    visibly and differently), and a centre with two entries at least 0.5 apart (so centring
    matters at all)."""
    steps = min(40, max(1, int(30 * tau_t + 1e-9)))  # the largest spread, in tenths (within ±2)
    low = rng.randint(-20, max(-20, 20 - steps))
    teacher = [(low + rng.randint(0, steps)) / 10 for _ in range(dim)]
    centre = [rng.randint(-10, 10) / 10 for _ in range(dim)]
    if dim > 1:
        far = [v for v in range(-10, 11) if abs(v - round(centre[0] * 10)) >= 5]
        centre[1] = far[rng.randrange(len(far))] / 10
    return teacher, centre


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    dim = draw_int(rng, params["dim"])
    if ask == "ema":
        decay = draw_on_grid(rng, DECAYS, params["decay"], 2)
        return {"ask": ask, "teacher": _vector(rng, dim), "students": [_vector(rng, dim) for _ in range(draw_int(rng, params["steps"]))], "decay": decay}
    if ask == "byol":

        def vectors() -> dict[str, Any] | None:
            p, z = draw_int_matrix(rng, 2, dim, params["values"])
            # Zero vectors have no direction; parallel ones make the loss 0 or 4 at a glance.
            parallel = all(p[a] * z[b] == p[b] * z[a] for a in range(dim) for b in range(a + 1, dim))
            return None if not any(p) or not any(z) or parallel else {"ask": ask, "p": p, "z": z}

        return redraw(vectors, f"dim={list(params['dim'])}, values={list(params['values'])}; widen 'values' or use dim ≥ 2")
    if ask == "dino-centre":
        batch = [_vector(rng, dim) for _ in range(draw_int(rng, params["batch"]))]
        return {"ask": ask, "centre": _vector(rng, dim, -1.0, 1.0), "batch": batch, "momentum": draw_on_grid(rng, DECAYS, params["decay"], 2)}

    def logits() -> dict[str, Any] | None:
        tau_t = draw_on_grid(rng, TEACHER_TEMPERATURES, params["tau_t"], 2)
        teacher, centre = _teacher_and_centre(rng, dim, tau_t)
        if len({t - c for t, c in zip(teacher, centre)}) == 1 or len(set(centre)) == 1:
            # Equal centred logits give a uniform teacher at any τ; a centre with equal entries
            # shifts every logit alike and changes nothing, so leaving it out could not be seen.
            return None
        inputs: dict[str, Any] = {"ask": ask, "teacher": teacher, "centre": centre, "tau_t": tau_t}
        if ask == "dino-loss":
            inputs.update(student=_vector(rng, dim), tau_s=draw_on_grid(rng, STUDENT_TEMPERATURES, params["tau_s"], 2))
            if inputs["tau_s"] <= inputs["tau_t"] or inputs["tau_s"] == 1 or len(set(inputs["student"])) == 1:
                return None  # DINO's teacher is the sharper one; a flat student, or τ_s = 1, hides τ_s
        return inputs

    return redraw(logits, f"dim={list(params['dim'])}, tau_t={list(params['tau_t'])}, tau_s={list(params['tau_s'])}; use dim ≥ 2 and τ_t below τ_s")


def _row(values: list[Any]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "byol", "p": [1, 2], "z": [2, -1]}))
    p = [1, 2] (online prediction), z = [2, -1] (target projection)
    """
    ask = inputs["ask"]
    if ask == "ema":
        return "\n".join([
            format_vector(INPUT_LABELS["teacher"], inputs["teacher"]),
            f"EMA decay τ = {inputs['decay']:g}",
            format_matrix(INPUT_LABELS["students"], inputs["students"]),
        ])
    if ask == "byol":
        return f"p = {inputs['p']} (online prediction), z = {inputs['z']} (target projection)"
    if ask == "dino-centre":
        lines = [f"centre c = {_row(inputs['centre'])}, m = {inputs['momentum']:g}"]
        lines.append(format_matrix(INPUT_LABELS["batch"], inputs["batch"]))
        return "\n".join(lines)
    lines = [f"teacher logits t = {_row(inputs['teacher'])}, centre c = {_row(inputs['centre'])}, τ_t = {inputs['tau_t']:g}"]
    if ask == "dino-loss":
        lines.append(f"student logits s = {_row(inputs['student'])}, τ_s = {inputs['tau_s']:g}")
    return "\n".join(lines)


def expected(inputs: dict[str, Any]) -> Answer:
    """Parameters, a distribution or a centre are vectors; the losses are numbers."""
    ask = inputs["ask"]
    if ask in ("byol", "dino-loss"):
        return Answer("number", 0.0)
    size = len(inputs["centre"] if ask == "dino-centre" else inputs["teacher"])
    return Answer("vector", [0.0] * size)
