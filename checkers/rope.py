"""Checker for rotary position embedding (RoPE) problems.

Source: Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding", section
3.4 (equations 14–16): pair i of a query or key at position m is rotated by m·θ_i with
θ_i = base^(−2i/d), base 10000 in the paper, so that the rotated q_m · k_n depends on m − n only.
The rotation is computed as Llama's reference code does it: each pair as a complex number
(``torch.view_as_complex``) times ``torch.polar(1, m·θ_i)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from quizgen.core.answer import Misconception, Solution, Step

_F64 = torch.float64


def _rotate(
    x: list[float], pos: int, base: float, pairing: str, *, exponent: float = 2.0, sign: float = 1.0, degrees: bool = False
) -> torch.Tensor:
    """x rotated for position ``pos``; ``exponent``, ``sign`` and ``degrees`` give the named
    mistakes' angles."""
    v = torch.tensor(x, dtype=_F64)
    d = v.numel()
    theta = base ** (-exponent * torch.arange(d // 2, dtype=_F64) / d)
    angles = sign * pos * theta
    turn = torch.polar(torch.ones(d // 2, dtype=_F64), torch.deg2rad(angles) if degrees else angles)
    if pairing == "interleaved":
        return torch.view_as_real(torch.view_as_complex(v.reshape(-1, 2)) * turn).flatten()
    pairs = torch.complex(v[: d // 2], v[d // 2 :]) * turn
    return torch.cat([pairs.real, pairs.imag])


_BACKWARDS = ("rotated-backwards", "Rotated by −position·θ_i (clockwise); RoPE turns each pair by +position·θ_i (counter-clockwise).")
# Asked of a rotation only: in a score the positions' angles in degrees are a few degrees apart,
# and the score lands within tolerance of the plain q · k (no-rotation) in a tenth of variants.
_DEGREES = (
    "angles-in-degrees",
    "Took the angles position·θ_i as degrees (a calculator in degree mode); they are radians, so an angle of 3 is about 172°.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one RoPE problem.

    Example:
        >>> [round(v, 12) for v in solve({"ask": "rotate", "q": [1, 0], "m": 1, "base": 10000, "pairing": "half"}).value]
        [0.540302305868, 0.841470984808]
    """
    ask = inputs.get("ask")
    q, m, base, pairing = inputs["q"], int(inputs["m"]), float(inputs["base"]), str(inputs["pairing"])
    d = len(q)
    other = "half" if pairing == "interleaved" else "interleaved"
    pairings = {"interleaved": "neighbours (x0, x1), (x2, x3), …", "half": "x_i with x_(i+d/2)"}
    other_pairing = ("other-pairing", f"Paired {pairings[other]}; this problem pairs {pairings[pairing]}.")
    theta = (base ** (-2 * torch.arange(d // 2, dtype=_F64) / d)).tolist()
    steps = [Step("θ_i = base^(−2i/d)", theta), Step(f"angles m·θ_i (m = {m})", [m * t for t in theta])]
    if ask == "rotate":
        key = _rotate(q, m, base, pairing)
        steps.append(Step("each pair (a, b) → (a cos φ − b sin φ, a sin φ + b cos φ)", key.tolist()))
        found = {
            other_pairing: _rotate(q, m, base, other),
            ("theta-exponent", "Used θ_i = base^(−i/d) for pair i; the exponent is −2i/d, so later pairs turn more slowly."): _rotate(
                q, m, base, pairing, exponent=1.0
            ),
            _BACKWARDS: _rotate(q, m, base, pairing, sign=-1.0),
            _DEGREES: _rotate(q, m, base, pairing, degrees=True),
            # Named beside degrees: a few degrees turn q so little that the two can coincide.
            ("no-rotation", "Gave q as it is; RoPE turns each pair by position·θ_i."): torch.tensor(q, dtype=_F64),
        }
        wrong = tuple(Misconception(*name, v.tolist()) for name, v in found.items() if not torch.allclose(v, key, rtol=1e-12, atol=1e-12))
        return Solution(key.tolist(), tuple(steps), wrong)

    k, n = inputs["k"], int(inputs["n"])
    shift = int(inputs.get("shift", 0))

    def score(a: int, b: int, **kw: Any) -> float:
        return float(_rotate(q, a, base, pairing, **kw) @ _rotate(k, b, base, pairing, **kw))

    # q rotated for m and k for n: the key, its worked steps and a mistake all read these two.
    q_m, k_n = _rotate(q, m, base, pairing), _rotate(k, n, base, pairing)
    key_score = float(q_m @ k_n)
    steps += [
        Step(f"angles n·θ_i (n = {n})", [n * t for t in theta]),
        Step(f"q rotated for m = {m}", q_m.tolist()),
        Step(f"k rotated for n = {n}", k_n.tolist()),
    ]
    plain = float(torch.tensor(q, dtype=_F64) @ torch.tensor(k, dtype=_F64))
    if ask == "score":
        steps.append(Step("score = q_m · k_n", key_score))
        candidates = {
            ("no-rotation", "Took the plain dot product q · k; RoPE rotates both before the dot product."): plain,
            ("k-not-rotated", "Rotated q only; the key is rotated for its own position too."): float(
                q_m @ torch.tensor(k, dtype=_F64)
            ),
            other_pairing: float(
                _rotate(q, m, base, other) @ _rotate(k, n, base, other)
            ),
            _BACKWARDS: score(m, n, sign=-1.0),
        }
        wrong = tuple(Misconception(*name, v) for name, v in candidates.items() if abs(v - key_score) > 1e-9 * max(1.0, abs(key_score)))
        return Solution(key_score, tuple(steps), wrong)

    shifted = score(m + shift, n + shift)
    steps.append(Step(f"scores at (m, n) and at (m + {shift}, n + {shift})", [key_score, shifted], note="equal: only m − n matters"))
    absolute = float(_rotate(q, m + shift, base, pairing) @ k_n)
    wrong_list = [Misconception("no-rotation", "Took the plain dot product q · k; RoPE rotates both before the dot product.", [plain, plain])]
    backwards = score(m, n, sign=-1.0)
    if abs(backwards - key_score) > 1e-9 * max(1.0, abs(key_score)):
        wrong_list.append(Misconception(*_BACKWARDS, [backwards, backwards]))
    if abs(absolute - key_score) > 1e-9 * max(1.0, abs(key_score)):
        wrong_list.append(
            Misconception(
                "only-query-shifted",
                "Shifted only the query's position; the shift applies to both tokens, so their offset is kept.",
                [key_score, absolute],
            )
        )
    return Solution([key_score, shifted], tuple(steps), tuple(wrong_list))
