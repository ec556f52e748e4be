"""Which ops of a planned shape chain can tell a named slip apart, and where torch would raise.

The shapes generator keeps a rough plan of the shape as it draws a chain (``shapes._Plan``); these
two predicates read that plan, op by op, so that the draw can prefer chains that teach (see the
generator's module doc). They mirror the situations of the mistakes in ``checkers/shapes.py``
roughly, from planned shapes only: they steer the draw, never the answer or a mistake's value,
which torch computes in the checker.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any


def tells(op: Mapping[str, Any], before: list[int], contiguous: bool, after: list[int], other: list[int] | None) -> bool:
    """Whether ``op``, applied to the planned shape ``before`` (giving ``after``), meets a
    situation where one of the checker's named slips gives another shape."""
    kind, n = op["op"], len(before)
    if kind == "squeeze":
        if "dim" not in op:
            return before.count(1) >= 2
        if not -max(n, 1) <= op["dim"] < max(n, 1):
            return True  # believed to leave the tensor unchanged
        return n > 0 and (before[op["dim"]] != 1 or before.count(1) >= 2)
    if kind == "unsqueeze":
        d = op["dim"]
        if 0 <= d < n or -n <= d <= -1:
            return before[d] != 1  # the new 1 lands beside this size, not before it
        return True  # an end (n or -n - 1) or beyond the range
    if kind in ("view", "reshape"):
        total, known = prod(before), prod(t for t in op["shape"] if t != -1)
        mismatch = op["shape"].count(-1) == 1 and 0 < known <= total and total % known != 0
        if mismatch or kind == "reshape" or contiguous or fails(op, before, True, other):
            return mismatch
        # A view that only adds or drops 1s, or splits a dim, works on any layout; one that
        # merges dims after a transpose is what raises.
        resolved = [total // known if t == -1 else t for t in op["shape"]]
        return len([v for v in resolved if v != 1]) < len([v for v in before if v != 1])
    if kind == "transpose":
        return n >= 3 and before[::-1] != after
    if kind == "permute":
        order = [d % n for d in op["dims"]] if n and len(op["dims"]) == n else []
        if sorted(order) != list(range(n)):
            return False
        inverse = [order.index(i) for i in range(n)]
        return [before[i] for i in inverse] != [before[i] for i in order]
    if kind == "flatten":
        if "start_dim" not in op and "end_dim" not in op:
            return n >= 2
        return "end_dim" in op and n > 0 and op["end_dim"] % n - 1 >= op.get("start_dim", 0) % n
    if kind == "add":
        return other is not None and (after != before or len(other) != n)
    if kind == "matmul" and other is not None:
        return n == 1 or len(other) == 1 or not before or other[-2 if len(other) >= 2 else 0] != before[-1]
    return False


def fails(op: Mapping[str, Any], before: list[int], contiguous: bool, other: list[int] | None) -> bool:
    """Whether torch raises at ``op`` on the planned shape ``before``: the ops after it are never
    reached, so they cannot tell anything."""
    kind, n = op["op"], len(before)
    dims = [op["dim"]] if "dim" in op else list(op.get("dims", ()))
    if kind == "unsqueeze":
        return not -n - 1 <= op["dim"] <= n
    if kind in ("squeeze", "transpose", "permute"):
        wrap = max(n, 1)
        if not all(-wrap <= d < wrap for d in dims):
            return True
        return kind == "permute" and sorted(d % wrap for d in dims) != list(range(n))
    if kind in ("view", "reshape"):
        target = op["shape"]
        known = prod(t for t in target if t != -1)
        fits = prod(before) % known == 0 if -1 in target and known else known == prod(before)
        return target.count(-1) > 1 or not fits or (kind == "view" and not contiguous)
    if kind == "flatten":
        wrap = max(n, 1)
        start, end = op.get("start_dim", 0), op.get("end_dim", -1)
        return not (-wrap <= start < wrap and -wrap <= end < wrap) or (n > 0 and start % n > end % n)
    if kind == "add" and other is not None:
        return any(u != v and 1 not in (u, v) for u, v in zip(before[::-1], other[::-1]))
    if kind == "matmul" and other is not None:
        return not before or before[-1] != other[-2 if len(other) >= 2 else 0]
    return False
