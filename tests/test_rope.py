"""Tests of the rope family: the checker's complex-number rotation against a plain rotation matrix
in numpy, the relative-position property, and known values."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from conftest import agree, solver

import checkers.rope
from quizgen.core.params import resolve
from quizgen.generators import rope

solve = solver("rope")


def _pairs(d: int, pairing: str) -> list[tuple[int, int]]:
    return [(2 * i, 2 * i + 1) for i in range(d // 2)] if pairing == "interleaved" else [(i, i + d // 2) for i in range(d // 2)]


def rotation(d: int, pos: int, base: float, pairing: str, exponent: float = 2.0, sign: float = 1.0, unit: float = 1.0) -> np.ndarray:
    """The d × d matrix R_pos: a 2-D rotation by pos·θ_i in the plane of pair i (RoFormer eq. 15);
    ``unit`` is what one unit of angle is in radians (π/180 for the degrees mistake)."""
    r = np.eye(d)
    for i, (a, b) in enumerate(_pairs(d, pairing)):
        phi = sign * pos * base ** (-exponent * i / d) * unit
        r[a, a], r[a, b], r[b, a], r[b, b] = math.cos(phi), -math.sin(phi), math.sin(phi), math.cos(phi)
    return r


def _score(inputs: dict[str, Any], m: int, n: int) -> float:
    d, base, pairing = len(inputs["q"]), inputs["base"], inputs["pairing"]
    q, k = np.array(inputs["q"], dtype=float), np.array(inputs["k"], dtype=float)
    return float((rotation(d, m, base, pairing) @ q) @ (rotation(d, n, base, pairing) @ k))


def reference(inputs: dict[str, Any]) -> Any:
    """Rotation matrices in numpy."""
    if inputs["ask"] == "rotate":
        return (rotation(len(inputs["q"]), inputs["m"], inputs["base"], inputs["pairing"]) @ np.array(inputs["q"], dtype=float)).tolist()
    m, n = inputs["m"], inputs["n"]
    if inputs["ask"] == "score":
        return _score(inputs, m, n)
    s = inputs["shift"]
    return [_score(inputs, m, n), _score(inputs, m + s, n + s)]


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    d, m, base, pairing = len(inputs["q"]), inputs["m"], inputs["base"], inputs["pairing"]
    other = "half" if pairing == "interleaved" else "interleaved"
    q = np.array(inputs["q"], dtype=float)
    if inputs["ask"] == "rotate":
        return {
            "other-pairing": (rotation(d, m, base, other) @ q).tolist(),
            "theta-exponent": (rotation(d, m, base, pairing, exponent=1.0) @ q).tolist(),
            "rotated-backwards": (rotation(d, m, base, pairing, sign=-1.0) @ q).tolist(),
            "angles-in-degrees": (rotation(d, m, base, pairing, unit=math.pi / 180) @ q).tolist(),
            "no-rotation": q.tolist(),
        }
    k, n = np.array(inputs["k"], dtype=float), inputs["n"]
    plain = float(q @ k)
    if inputs["ask"] == "score":
        return {
            "no-rotation": plain,
            "k-not-rotated": float((rotation(d, m, base, pairing) @ q) @ k),
            "other-pairing": _score({**inputs, "pairing": other}, m, n),
            "rotated-backwards": _score(inputs, -m, -n),
        }
    backwards = _score(inputs, -m, -n)  # turning by −position·θ_i is the rotation for −position
    return {
        "no-rotation": [plain, plain],
        "only-query-shifted": [_score(inputs, m, n), _score(inputs, m + inputs["shift"], n)],
        "rotated-backwards": [backwards, backwards],
    }


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "rotate": [{}, {"dim": [2, 8], "base": [2, 100000], "position": [0, 4096], "values": [-9, 9]}],
    "score": [{}, {"dim": [2, 8], "base": 10, "position": [0, 50]}],
    "relative": [{}, {"dim": [2, 8], "shift": [1, 4096], "position": [0, 100]}],
}
VARIANTS = [
    rope.draw(resolve(rope.PARAMS, {"ask": ask, **cs[seed % len(cs)]}), random.Random(seed))
    for ask, cs in CONFIGS.items()
    for seed in range(1000)
]


def test_mistakes_are_listed_where_they_apply() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        expected = mistakes(inputs)
        if inputs["ask"] == "rotate":
            listed = {mistake.name for mistake in sol.misconceptions}
            assert ("other-pairing" in listed) == (len(inputs["q"]) > 2)
            assert "rotated-backwards" in listed
            assert "angles-in-degrees" in listed
        if inputs["ask"] != "rotate" and inputs["m"] != inputs["n"]:
            # Turning both the other way swaps the sign of the offset: a new score unless the
            # rotated vectors happen to give a symmetric one.
            key = solve(inputs).answer.value
            assert ("rotated-backwards" in {x.name for x in sol.misconceptions}) != agree(expected["rotated-backwards"], key, abs=1e-9)


def test_score_depends_only_on_the_offset() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] == "relative":
            a, b = solve(inputs).answer.value
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_rotation_keeps_length() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] == "rotate":
            assert math.isclose(np.linalg.norm(solve(inputs).answer.value), np.linalg.norm(inputs["q"]), rel_tol=1e-12)


def test_steps_show_both_positions_angles() -> None:
    # A score rotates the query by m·θ_i and the key by n·θ_i: the worked solution shows both.
    for inputs in VARIANTS[::10]:
        if inputs["ask"] == "rotate":
            continue
        d, base = len(inputs["q"]), inputs["base"]
        theta = [base ** (-2 * i / d) for i in range(d // 2)]
        steps = {step.label: step.value for step in solve(inputs).steps}
        for name in "mn":
            pos = inputs[name]
            assert agree(steps[f"angles {name}·θ_i ({name} = {pos})"], [pos * t for t in theta], rel=1e-12)


KNOWN = [
    # d = 2: θ_0 = 1 whatever the base, so position 1 turns the pair by 1 radian.
    ({"ask": "rotate", "q": [1, 0], "m": 1, "base": 10000, "pairing": "interleaved"}, [math.cos(1), math.sin(1)]),
    ({"ask": "rotate", "q": [0, 2], "m": 1, "base": 10, "pairing": "interleaved"}, [-2 * math.sin(1), 2 * math.cos(1)]),
    # d = 4, base 100: θ = (1, 0.1); half pairs (x0, x2) and (x1, x3).
    ({"ask": "rotate", "q": [1, 0, 0, 0], "m": 2, "base": 100, "pairing": "half"}, [math.cos(2), 0, math.sin(2), 0]),
    ({"ask": "rotate", "q": [0, 1, 0, 0], "m": 2, "base": 100, "pairing": "half"}, [0, math.cos(0.2), 0, math.sin(0.2)]),
    # Same positions: the turns cancel and the score is q · k.
    ({"ask": "score", "q": [1, 2], "k": [3, 4], "m": 5, "n": 5, "base": 10000, "pairing": "interleaved"}, 11.0),
    # q along x at 0, k along x at position 1: cos 1.
    ({"ask": "score", "q": [1, 0], "k": [1, 0], "m": 0, "n": 1, "base": 10000, "pairing": "interleaved"}, math.cos(1)),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(checkers.rope.solve(inputs).value, answer, rel=1e-12, abs=1e-9)


def test_draws_are_fair() -> None:
    for inputs in VARIANTS:
        q = inputs["q"]
        assert len(q) % 2 == 0 and all(q[i] or q[i + 1] for i in range(0, len(q), 2))
        if inputs["ask"] == "rotate":
            assert inputs["m"] > 0
        else:
            assert inputs["m"] != inputs["n"] and any(inputs["k"])
    assert rope.check_params(resolve(rope.PARAMS, {"dim": 3})) == [("dim", "a range with an even width", "[3, 3]")]
