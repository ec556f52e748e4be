"""Checker for self-distillation problems: EMA teachers, BYOL's loss, DINO's teacher, loss and
centre.

Sources: BYOL (Grill et al. 2020), section 3.1: the target network is an exponential moving
average ξ ← τξ + (1 − τ)θ of the online network, and the loss is the squared distance of the
L2-normalised prediction and target projection, 2 − 2·cos (equation 2). DINO (Caron et al. 2021),
section 3.1 and Algorithm 1: the teacher's output is centred and sharpened,
P_t = softmax((g_t − c)/τ_t), the student's is P_s = softmax(g_s/τ_s), the loss is −Σ P_t log P_s,
and the centre follows c ← m·c + (1 − m)·mean of the batch's teacher outputs. iBOT uses the same
teacher. The values are torch's: ``torch.lerp``, ``F.normalize``, ``torch.softmax`` and
``F.cross_entropy`` with probabilities as the target, in float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Misconception, Solution, Step

_F64 = torch.float64


def _t(values: Any) -> torch.Tensor:
    return torch.tensor(values, dtype=_F64)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one self-distillation problem.

    Example:
        >>> solve({"ask": "byol", "p": [1, 0], "z": [0, 1]}).value
        2.0
        >>> [round(v, 12) for v in solve({"ask": "ema", "teacher": [1.0], "students": [[0.0], [0.0]], "decay": 0.5}).value]
        [0.25]
    """
    ask = inputs.get("ask")
    if ask == "ema":
        return _solve_ema(inputs)
    if ask == "byol":
        return _solve_byol(inputs)
    if ask in ("dino-teacher", "dino-loss"):
        return _solve_dino(str(ask), inputs)
    return _solve_centre(inputs)  # ask == "dino-centre" (the registry refused any other)


def _ema(teacher: torch.Tensor, students: torch.Tensor, keep: float) -> tuple[torch.Tensor, list[list[float]]]:
    """θ ← keep·θ + (1 − keep)·student for each row of ``students``; the result and each step's value."""
    theta, seen = teacher.clone(), []
    for student in students:
        theta = torch.lerp(theta, student, 1 - keep)
        seen.append(theta.tolist())
    return theta, seen


def _solve_ema(inputs: Mapping[str, Any]) -> Solution:
    teacher, students, tau = _t(inputs["teacher"]), _t(inputs["students"]), float(inputs["decay"])
    key, seen = _ema(teacher, students, tau)
    steps = tuple(Step(f"after step {i}: τ·θ_t + (1 − τ)·θ_s", v) for i, v in enumerate(seen, 1))
    wrong = [
        Misconception(
            "decay-on-the-student",
            "Gave the student the weight τ; the decay weighs the teacher's old value, so the teacher moves only 1 − τ of the way.",
            _ema(teacher, students, 1 - tau)[0].tolist(),
        )
    ]
    if len(students) > 1:
        wrong.append(
            Misconception(
                "one-update-only",
                "Applied one update with the last student; the teacher is updated after every step, each from its value after the one before.",
                torch.lerp(teacher, students[-1], 1 - tau).tolist(),
            )
        )
    if tau == 0.5:  # the swapped decay is then the same update
        wrong = wrong[1:]
    return Solution(key.tolist(), steps, tuple(wrong))


def _solve_byol(inputs: Mapping[str, Any]) -> Solution:
    p, z = _t(inputs["p"]), _t(inputs["z"])
    pn, zn = F.normalize(p, dim=0), F.normalize(z, dim=0)
    loss = F.mse_loss(pn, zn, reduction="sum").item()
    cos = F.cosine_similarity(p, z, dim=0).item()
    steps = (
        Step("p / ‖p‖", pn.tolist()),
        Step("z / ‖z‖", zn.tolist()),
        Step("‖p/‖p‖ − z/‖z‖‖² = 2 − 2·cos(p, z)", loss, note=f"cos = {cos:.6g}"),
    )
    wrong = [
        Misconception(
            "one-minus-cosine",
            "Gave 1 − cos; the squared distance of two unit vectors is 2 − 2·cos.",
            1 - cos,
        ),
        Misconception(
            "mean-not-sum",
            "Averaged the squared differences over the entries; the loss is the squared distance, their sum.",
            F.mse_loss(pn, zn).item(),
        ),
    ]
    raw = F.mse_loss(p, z, reduction="sum").item()
    if abs(raw - loss) > 1e-9:
        wrong.append(
            Misconception("not-normalised", "Took the squared distance of the raw vectors; BYOL normalises both first, so only directions count.", raw)
        )
    if len(p) in (1, 2):  # the mean over one entry is the sum; over two it is 1 − cos, named already
        wrong = [m for m in wrong if m.name != "mean-not-sum"]
    return Solution(loss, steps, tuple(wrong))


def _solve_dino(ask: str, inputs: Mapping[str, Any]) -> Solution:
    t, c, tau_t = _t(inputs["teacher"]), _t(inputs["centre"]), float(inputs["tau_t"])
    p_t = torch.softmax((t - c) / tau_t, dim=0)
    steps = [Step("t − c", (t - c).tolist()), Step("(t − c) / τ_t", ((t - c) / tau_t).tolist()), Step("P_t = softmax", p_t.tolist())]
    if ask == "dino-teacher":
        wrong = (
            Misconception(
                "centred-after-sharpening",
                "Subtracted the centre after dividing by τ_t; DINO centres the logits first, softmax((t − c)/τ_t).",
                torch.softmax(t / tau_t - c, dim=0).tolist(),
            ),
            Misconception(
                "not-centred",
                "Left out the centre; DINO subtracts it from the teacher's logits to prevent collapse.",
                torch.softmax(t / tau_t, dim=0).tolist(),
            ),
        )
        return Solution(p_t.tolist(), tuple(steps), wrong)
    s, tau_s = _t(inputs["student"]), float(inputs["tau_s"])
    loss = F.cross_entropy(s[None] / tau_s, p_t[None]).item()
    log_p_s = torch.log_softmax(s / tau_s, dim=0)
    steps += [Step("log P_s = log-softmax(s / τ_s)", log_p_s.tolist()), Step("loss = −Σ P_t log P_s", loss)]
    candidates = {
        ("student-centred", "Centred the student's logits too; only the teacher's are centred."): F.cross_entropy(
            ((s - c) / tau_s)[None], p_t[None]
        ).item(),
        ("roles-swapped", "Swapped teacher and student; the teacher's distribution is the target, −Σ P_t log P_s."): -(
            torch.softmax(s / tau_s, dim=0) * torch.log_softmax((t - c) / tau_t, dim=0)
        )
        .sum()
        .item(),
        ("student-at-teacher-temperature", "Divided the student's logits by τ_t; the student has its own, higher temperature τ_s."): F.cross_entropy(
            (s / tau_t)[None], p_t[None]
        ).item(),
        ("student-temperature-left-out", "Took the softmax of the student's raw logits; they are divided by τ_s first, softmax(s / τ_s)."): F.cross_entropy(
            s[None], p_t[None]
        ).item(),
    }
    return Solution(loss, tuple(steps), tuple(Misconception(*m, v) for m, v in candidates.items() if abs(v - loss) > 1e-9 * max(1.0, abs(loss))))


def _solve_centre(inputs: Mapping[str, Any]) -> Solution:
    c, batch, m = _t(inputs["centre"]), _t(inputs["batch"]), float(inputs["momentum"])
    mean = batch.mean(dim=0)
    key = torch.lerp(mean, c, m)
    steps = (Step("mean of the batch's teacher outputs", mean.tolist()), Step("c ← m·c + (1 − m)·mean", key.tolist()))
    wrong = [
        Misconception(
            "momentum-on-the-batch",
            "Gave the batch mean the weight m; m weighs the old centre, which moves slowly.",
            torch.lerp(c, mean, m).tolist(),
        )
    ]
    if len(batch) > 1:
        wrong.append(
            Misconception("sum-not-mean", "Used the sum of the batch's outputs; the centre follows their mean.", torch.lerp(batch.sum(dim=0), c, m).tolist())
        )
    if m == 0.5:
        wrong = wrong[1:]
    return Solution(key.tolist(), steps, tuple(wrong))
