"""Tests of the ssl-teachers family: the EMA teacher against torch's own AveragedModel with
get_ema_multi_avg_fn, BYOL and DINO against the papers' formulas in numpy."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import torch
from conftest import agree, solver
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

import checkers.ssl_teachers
from quizgen.core.params import resolve
from quizgen.generators import ssl_teachers

solve = solver("ssl-teachers")


class _Vector(torch.nn.Module):
    def __init__(self, values: list[float]) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))


def ema_by_averaged_model(teacher: list[float], students: list[list[float]], decay: float) -> list[float]:
    """AveragedModel's first update copies the model: feed it the teacher, then each student."""
    student = _Vector(teacher)
    averaged = AveragedModel(student, multi_avg_fn=get_ema_multi_avg_fn(decay))
    averaged.update_parameters(student)
    for values in students:
        with torch.no_grad():
            student.w.copy_(torch.tensor(values, dtype=torch.float64))
        averaged.update_parameters(student)
    return averaged.module.w.detach().tolist()


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _dino(inputs: dict[str, Any], centre_student: bool = False, swap: bool = False, student_tau: float | None = None) -> float:
    t, c, s = (np.array(inputs[k], dtype=float) for k in ("teacher", "centre", "student"))
    p_t = _softmax((t - c) / inputs["tau_t"])
    p_s = _softmax(((s - c) if centre_student else s) / (student_tau or inputs["tau_s"]))
    return float(-(p_s * np.log(p_t)).sum()) if swap else float(-(p_t * np.log(p_s)).sum())


def _byol(p: np.ndarray, z: np.ndarray) -> float:
    return float(np.sum((p / np.linalg.norm(p) - z / np.linalg.norm(z)) ** 2))


def reference(inputs: dict[str, Any]) -> Any:
    """torch's AveragedModel for the EMA; numpy formulas (BYOL eq. 2, DINO Algorithm 1) for the rest."""
    ask = inputs["ask"]
    if ask == "ema":
        return ema_by_averaged_model(inputs["teacher"], inputs["students"], inputs["decay"])
    if ask == "byol":
        return _byol(np.array(inputs["p"], dtype=float), np.array(inputs["z"], dtype=float))
    if ask == "dino-teacher":
        return _softmax((np.array(inputs["teacher"]) - np.array(inputs["centre"])) / inputs["tau_t"]).tolist()
    if ask == "dino-loss":
        return _dino(inputs)
    m = inputs["momentum"]
    return (m * np.array(inputs["centre"]) + (1 - m) * np.mean(inputs["batch"], axis=0)).tolist()


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    ask = inputs["ask"]
    if ask == "ema":
        tau, students = inputs["decay"], inputs["students"]
        return {
            "decay-on-the-student": ema_by_averaged_model(inputs["teacher"], students, 1 - tau),
            "one-update-only": (tau * np.array(inputs["teacher"]) + (1 - tau) * np.array(students[-1])).tolist(),
        }
    if ask == "byol":
        p, z = np.array(inputs["p"], dtype=float), np.array(inputs["z"], dtype=float)
        cos = p @ z / (np.linalg.norm(p) * np.linalg.norm(z))
        return {"one-minus-cosine": float(1 - cos), "mean-not-sum": _byol(p, z) / len(p), "not-normalised": float(np.sum((p - z) ** 2))}
    if ask == "dino-teacher":
        t, c = np.array(inputs["teacher"]), np.array(inputs["centre"])
        return {"centred-after-sharpening": _softmax(t / inputs["tau_t"] - c).tolist(), "not-centred": _softmax(t / inputs["tau_t"]).tolist()}
    if ask == "dino-loss":
        return {
            "student-centred": _dino(inputs, centre_student=True),
            "roles-swapped": _dino(inputs, swap=True),
            "student-at-teacher-temperature": _dino(inputs, student_tau=inputs["tau_t"]),
            "student-temperature-left-out": _dino(inputs, student_tau=1.0),
        }
    m, c, batch = inputs["momentum"], np.array(inputs["centre"]), np.array(inputs["batch"])
    return {"momentum-on-the-batch": ((1 - m) * c + m * batch.mean(axis=0)).tolist(), "sum-not-mean": (m * c + (1 - m) * batch.sum(axis=0)).tolist()}


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "ema": [{}, {"steps": [1, 10], "decay": [0.0, 1.0], "dim": [1, 6]}],
    "byol": [{}, {"dim": [2, 6], "values": [-9, 9]}],
    "dino-teacher": [{}, {"tau_t": [0.04, 10], "dim": [2, 6]}],
    "dino-loss": [{}, {"tau_t": [0.04, 0.2], "tau_s": [0.1, 10], "dim": [2, 6]}],
    "dino-centre": [{}, {"batch": [1, 8], "decay": [0.0, 1.0], "dim": [1, 6]}],
}
VARIANTS = [
    ssl_teachers.draw(resolve(ssl_teachers.PARAMS, {"ask": ask, **cs[seed % len(cs)]}), random.Random(seed))
    for ask, cs in CONFIGS.items()
    for seed in range(600)
]


def test_mistakes_are_listed_where_they_apply() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        names = {m.name for m in sol.misconceptions}
        if inputs["ask"] == "ema":
            assert ("decay-on-the-student" in names) == (inputs["decay"] != 0.5)
            assert ("one-update-only" in names) == (len(inputs["students"]) > 1)
        if inputs["ask"] == "dino-loss":
            assert "student-at-teacher-temperature" in names and inputs["tau_t"] < inputs["tau_s"]
            # τ_s = 1 would make leaving τ_s out give the key: it is drawn again.
            assert "student-temperature-left-out" in names and inputs["tau_s"] != 1


def test_byol_loss_is_two_minus_two_cosines_and_bounded() -> None:
    for inputs in (i for i in VARIANTS if i["ask"] == "byol"):
        p, z = np.array(inputs["p"], dtype=float), np.array(inputs["z"], dtype=float)
        value = solve(inputs).answer.value
        assert math.isclose(value, 2 - 2 * p @ z / (np.linalg.norm(p) * np.linalg.norm(z)), rel_tol=1e-9, abs_tol=1e-12)
        assert 0 < value < 4


KNOWN = [
    ({"ask": "ema", "teacher": [1.0, 0.0], "students": [[0.0, 1.0]], "decay": 0.9}, [0.9, 0.1]),
    ({"ask": "ema", "teacher": [2.0], "students": [[2.0], [2.0], [2.0]], "decay": 0.99}, [2.0]),  # a fixed point
    ({"ask": "ema", "teacher": [1.0], "students": [[0.0]] * 3, "decay": 0.5}, [0.125]),
    ({"ask": "byol", "p": [1, 0], "z": [-3, 0]}, 4.0),  # opposite directions
    ({"ask": "byol", "p": [1, 1], "z": [1, 0]}, 2 - math.sqrt(2)),
    # Equal centred logits give the uniform distribution whatever τ_t.
    ({"ask": "dino-teacher", "teacher": [1.0, 2.0], "centre": [0.0, 1.0], "tau_t": 0.04}, [0.5, 0.5]),
    ({"ask": "dino-teacher", "teacher": [math.log(3), 0.0], "centre": [0.0, 0.0], "tau_t": 1.0}, [0.75, 0.25]),
    # A uniform teacher and a uniform student: the loss is log K.
    ({"ask": "dino-loss", "teacher": [1.0, 1.0, 1.0], "centre": [0.0, 0.0, 0.0], "tau_t": 0.1, "student": [2.0, 2.0, 2.0], "tau_s": 1.0}, math.log(3)),
    ({"ask": "dino-centre", "centre": [0.0], "batch": [[1.0], [3.0]], "momentum": 0.9}, [0.2]),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(checkers.ssl_teachers.solve(inputs).value, answer)


def test_draws_are_fair() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] == "byol":
            assert any(inputs["p"]) and any(inputs["z"])
        if inputs["ask"] in ("dino-teacher", "dino-loss"):
            assert len({t - c for t, c in zip(inputs["teacher"], inputs["centre"])}) > 1
            # Unsaturated teacher logits and a centre that matters: where c is subtracted shows.
            t, c = inputs["teacher"], inputs["centre"]
            assert max(t) - min(t) <= max(0.1, min(4.0, 3 * inputs["tau_t"])) + 1e-9 and -2 <= min(t) <= max(t) <= 2
            assert max(c) - min(c) >= 0.5 - 1e-9
        if inputs["ask"] in ("ema", "dino-centre"):
            assert inputs["decay" if inputs["ask"] == "ema" else "momentum"] not in (0.5, 1.0)  # swapped weights would be the key


def test_comparisons_check_the_shape_before_the_values() -> None:
    """np.allclose broadcasts: a one-entry vector would match every entry of a longer key."""
    assert not agree([0.5], [0.5, 0.5]) and not agree([[1.0, 2.0]], [1.0, 2.0]) and agree([0.5, 0.5], [0.5, 0.5])


def test_byol_with_three_or_more_entries_names_both_slips_apart() -> None:
    """In two dims the mean of the squared differences is 1 − cos, the other slip's value, so the
    shipped template draws 3 or 4 entries, where both slips are named with different values."""
    params = resolve(ssl_teachers.PARAMS, {"ask": "byol", "dim": [3, 4]})
    for seed in range(200):
        sol = solve(ssl_teachers.draw(params, random.Random(seed)))
        found = {m.name: m.value for m in sol.misconceptions}
        assert {"one-minus-cosine", "mean-not-sum"} <= set(found)
        assert not math.isclose(found["one-minus-cosine"], found["mean-not-sum"], rel_tol=0.005)
