"""Tensor shape chains: squeeze/unsqueeze and the operations learners confuse with them.

A starting tensor ``x = torch.zeros(*shape)`` goes through a short chain of operations applied
left to right; the learner names the shape of the result, or says that torch raises. The rules
asked about are those of the PyTorch reference for ``torch.squeeze``, ``torch.unsqueeze``,
``Tensor.view``, ``torch.reshape``, ``torch.transpose``, ``torch.permute``, ``torch.flatten``,
indexing with ``None``, broadcasting semantics and ``torch.matmul``.

Inputs::

    {"shape": [3, 1, 4],                     # x = torch.zeros(3, 1, 4)
     "ops": [{"op": "unsqueeze", "dim": 1}, {"op": "squeeze"}],
     "other": [4, 5]}                        # y = torch.zeros(4, 5); only with "add"/"matmul"

Op records (keys beyond ``op`` are exactly the call's arguments):

- ``{"op": "squeeze"}``, ``{"op": "squeeze", "dim": d}``, ``{"op": "unsqueeze", "dim": d}``
- ``{"op": "view", "shape": [2, -1]}``, ``{"op": "reshape", "shape": [...]}``
- ``{"op": "transpose", "dims": [a, b]}``, ``{"op": "permute", "dims": [...]}``
- ``{"op": "flatten"}`` with optional ``start_dim`` and ``end_dim``
- ``{"op": "index", "items": [":", "None"]}`` (items from ``":"``, ``"None"``, ``"..."``)
- ``{"op": "add"}`` (``x + y``), ``{"op": "matmul"}`` (``x @ y``); a chain has at most one.

To draw arguments that are mostly meaningful (an in-range dim, a view target that factors the
element count, a ``y`` that broadcasts), the generator keeps a rough plan of the shape as the chain
grows. The plan only steers the draw; the answer always comes from ``checkers/shapes.py``, which
runs the chain in torch. Each variant first decides what its chain comes to (about a fifth raise,
few give back x's starting shape), so neither "error" nor x's shape answers many variants.

A chain should teach: the plan also notes which ops meet a situation one of the checker's named
slips is about and would change (a squeeze of a dim that is not 1, an unsqueeze next to a size
that is not 1, a view after a transpose, ...; see ``_tells``) and where torch would raise. The
draw prefers a chain with exactly one such op, reached before any error and last in the chain (its
slips' shapes then show as they are, and later ops cannot turn two slips into the same error),
then one such op anywhere, then several, then none (after the outcome): up to ``_TELLING_TRIES``
chains are drawn and the best kept, so a template whose ops tell nothing, or cannot raise, draws.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, Flag, IntRange, ParamSpec, draw_int, redraw
from quizgen.generators.shape_slips import fails, tells

VERSION = 3

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

OPS: tuple[str, ...] = (
    "squeeze", "squeeze-dim", "unsqueeze", "view", "reshape", "transpose", "permute", "flatten",
    "index-none", "broadcast", "matmul",
)

PARAMS: dict[str, ParamSpec] = {
    "ndim": IntRange((1, 4), "Rank of the starting tensor x.", minimum=0, maximum=6),
    "size": IntRange(
        (1, 5), "Size of each dim of x (when 1 is allowed it is drawn about 40% of the time).",
        minimum=1, maximum=9,
    ),
    "n_ops": IntRange((1, 3), "Number of operations in the chain.", minimum=1, maximum=6),
    "ops": Choice(OPS, OPS, "Operations the chain may use; each step draws one of them."),
    "negative_dims": Flag(False, "Write every in-range dim argument as a negative number."),
    "require": Choice(OPS, OPS, "Operations of which every chain uses at least one (by default any)."),
}


def version(params: dict[str, Any]) -> int:
    """The version of a template's drawing: one more where it requires operations (they were
    optional before version 3 of those templates), so that every template's ids stay valid."""
    return VERSION + 1 if set(params["require"]) != set(OPS) else VERSION


_OP_TRIES = 8
# Chains drawn in search of one with the wanted outcome that tells a classic slip apart (see
# _tells), before settling for the best, so that a template whose ops tell nothing still draws.
_TELLING_TRIES = 60
# A variant wants a chain that raises, or one that does not; x's shape back is allowed in a
# quarter of the others (a no-op squeeze is a lesson, but not in a third of the variants).
_P_RAISES, _P_SAME_ALLOWED = 0.2, 0.25
# Rates of deliberately invalid arguments per op (scaled by chain length, see _draw_once), drawn
# only where a chain should raise (at twice these rates).
_P_BAD_DIM = 0.07
_P_BAD_TARGET = 0.1
_P_BAD_BINARY = 0.2
_P_NEGATIVE = 0.35
_INDEX_PATTERNS: tuple[tuple[str, ...], ...] = (
    ("None",),
    (":", "None"),
    ("...", "None"),
    (":", ":", "None"),
    ("None", "...", "None"),
)
_INDEX_WEIGHTS = (3.0, 3.0, 3.0, 1.0, 1.0)
# rng.choices(weights=w) accumulates w on every call; passing the same sums draws identically.
_INDEX_CUM_WEIGHTS = tuple(accumulate(_INDEX_WEIGHTS))
_TARGET_RANKS = (1, 2, 3, 4)
_TARGET_CUM_WEIGHTS = tuple(accumulate((0.2, 0.45, 0.25, 0.1)))
_BINARY = ("broadcast", "matmul")
# Ops whose only failure is a dim that does not exist: no named slip is about that.
_DIM_ERRORS = ("transpose", "permute", "flatten")
# Keeps y small: the checker runs add and matmul on real (uninitialised) CPU tensors for speed.
_MAX_ELEMENTS = 1 << 16


@dataclass
class _Plan:
    """The rough shape of the tensor so far, and what the last op did (to skip undo pairs)."""

    shape: list[int]
    contiguous: bool = True
    bad: float = 1.0
    binary_used: bool = False
    other: list[int] | None = None
    ops: list[dict[str, Any]] = field(default_factory=list)
    # What the previous op inserted, swapped or permuted (last_*), and what the op being drawn
    # does (mark_*, promoted to last_* once it is kept).
    last_inserted: int | None = None
    last_swap: frozenset[int] | None = None
    last_order: list[int] | None = None
    mark_inserted: int | None = None
    mark_swap: frozenset[int] | None = None
    mark_order: list[int] | None = None


def _prod(values: list[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _draw_size(rng: random.Random, bounds: tuple[int, int]) -> int:
    lo, hi = bounds
    if lo <= 1 <= hi and (hi == 1 or rng.random() < 0.4):
        return 1
    return rng.randint(max(lo, 2), hi)


def _draw_big(rng: random.Random, bounds: tuple[int, int]) -> int:
    """A size of at least 2 (for dims that must stretch or clash), within the bounds if possible."""
    return rng.randint(max(bounds[0], 2), max(bounds[1], 2))


def _written(rng: random.Random, pos: int, wrap: int, force_negative: bool) -> int:
    """Position ``pos`` written either as is or as its negative alias (``pos - wrap``)."""
    return pos - wrap if force_negative or rng.random() < _P_NEGATIVE else pos


def _out_of_range(rng: random.Random, wrap: int) -> int:
    return wrap if rng.random() < 0.5 else -wrap - 1


def _factorise(n: int) -> list[int]:
    out: list[int] = []
    p = 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _broadcast(a: list[int], b: list[int]) -> list[int]:
    """Planned broadcast of two shapes drawn to be compatible (a clash keeps the larger size)."""
    n = max(len(a), len(b))
    pa = [1] * (n - len(a)) + a
    pb = [1] * (n - len(b)) + b
    return [max(u, v) for u, v in zip(pa, pb)]


# --- one drawer per op kind: each returns the op record or None when it would be trivial ---------


def _op_squeeze(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    ones = [i for i, s in enumerate(plan.shape) if s == 1]
    if not plan.shape or ones == [plan.last_inserted]:
        return None
    plan.shape = [s for s in plan.shape if s != 1]
    return {"op": "squeeze"}


def _op_squeeze_dim(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    n = len(plan.shape)
    wrap = max(n, 1)
    if rng.random() < _P_BAD_DIM * plan.bad:
        return {"op": "squeeze", "dim": _out_of_range(rng, wrap)}
    if n == 0:
        return {"op": "squeeze", "dim": _written(rng, 0, wrap, neg)}
    ones = [i for i, s in enumerate(plan.shape) if s == 1]
    others = [i for i, s in enumerate(plan.shape) if s != 1]
    pos = rng.choice(ones) if ones and (not others or rng.random() < 0.55) else rng.choice(others)
    if pos == plan.last_inserted and plan.shape[pos] == 1:
        return None
    dim = _written(rng, pos, wrap, neg)
    if plan.shape[pos] == 1:
        del plan.shape[pos]
    return {"op": "squeeze", "dim": dim}


def _op_unsqueeze(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    wrap = len(plan.shape) + 1
    if rng.random() < _P_BAD_DIM * plan.bad:
        return {"op": "unsqueeze", "dim": _out_of_range(rng, wrap)}
    pos = rng.randint(0, wrap - 1)
    negative = neg or rng.random() < _P_NEGATIVE
    if negative and rng.random() < 0.7:
        # Prefer a spot where misplacing the new 1 by one position changes the shape, so the
        # list.insert mistake is visible in the answer.
        telling = [p for p in range(1, wrap) if plan.shape[p - 1] != 1]
        if telling and pos not in telling:
            pos = rng.choice(telling)
    plan.shape.insert(pos, 1)
    plan.mark_inserted = pos
    return {"op": "unsqueeze", "dim": pos - wrap if negative else pos}


def _factor_target(rng: random.Random, total: int) -> list[int]:
    k = rng.choices(_TARGET_RANKS, cum_weights=_TARGET_CUM_WEIGHTS)[0]
    slots = [1] * k
    for p in _factorise(total):
        slots[rng.randrange(k)] *= p
    if rng.random() < 0.85:
        slots[rng.randrange(k)] = -1
    return slots


def _resolved(target: list[int], total: int) -> list[int]:
    known = _prod([t for t in target if t != -1])
    return [total // known if t == -1 else t for t in target]


def _op_view(kind: str) -> Any:
    def draw(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
        total = _prod(plan.shape)
        if rng.random() < _P_BAD_TARGET * plan.bad:
            if rng.random() < 0.15:
                return {"op": kind, "shape": [-1, -1]}
            k = rng.choice([k for k in range(2, 12) if total % k] or [total + 1])
            return {"op": kind, "shape": [k, -1] if rng.random() < 0.5 else [-1, k]}
        candidates = []
        if kind == "view" and not plan.contiguous and rng.random() < 0.6:
            # The classic slip: merging dims right after a transpose, as in x.view(batch, -1).
            candidates = [[-1], [plan.shape[0], -1], [-1, plan.shape[-1]]]
            rng.shuffle(candidates)
        candidates += [_factor_target(rng, total) for _ in range(6)]
        for target in candidates:
            resolved = _resolved(target, total)
            if resolved != plan.shape:
                plan.shape = resolved
                plan.contiguous = True
                return {"op": kind, "shape": target}
        return None

    return draw


def _op_transpose(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    n = len(plan.shape)
    if rng.random() < _P_BAD_DIM * plan.bad:
        return {"op": "transpose", "dims": [rng.randrange(n), _out_of_range(rng, n)]}
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    # Swapping two dims of size > 1 is what breaks contiguity (and makes a later view fail);
    # otherwise prefer dims of different sizes so that the swap shows in the shape.
    big = [(a, b) for a, b in pairs if plan.shape[a] > 1 and plan.shape[b] > 1]
    distinct = [(a, b) for a, b in pairs if plan.shape[a] != plan.shape[b]]
    a, b = rng.choice(big if big and rng.random() < 0.6 else distinct or pairs)
    if rng.random() < 0.5:
        a, b = b, a
    if plan.last_swap == frozenset((a, b)):
        return None
    sa, sb = plan.shape[a], plan.shape[b]
    plan.shape[a], plan.shape[b] = sb, sa
    plan.contiguous = plan.contiguous and (sa == 1 or sb == 1)
    plan.mark_swap = frozenset((a, b))
    return {"op": "transpose", "dims": [_written(rng, a, n, neg), _written(rng, b, n, neg)]}


def _op_permute(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    n = len(plan.shape)
    order = list(range(n))
    for _ in range(5):
        rng.shuffle(order)
        if order != sorted(order):
            break
    else:
        return None
    if rng.random() < _P_BAD_DIM * plan.bad:
        bad = order[:-1] if rng.random() < 0.5 else order[:-1] + [order[0]]
        return {"op": "permute", "dims": bad}
    if plan.last_order is not None and [plan.last_order[i] for i in order] == sorted(order):
        return None  # undoes the permute just before
    plan.mark_order = list(order)
    dims = [o - n if neg or rng.random() < 0.15 else o for o in order]
    moved = [i for i in order if plan.shape[i] != 1]
    plan.contiguous = plan.contiguous and moved == sorted(moved)
    plan.shape = [plan.shape[i] for i in order]
    return {"op": "permute", "dims": dims}


def _op_flatten(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    n = len(plan.shape)
    if n == 0:
        plan.shape = [1]
        return {"op": "flatten"}
    if rng.random() < _P_BAD_DIM * plan.bad:
        if rng.random() < 0.5:
            return {"op": "flatten", "start_dim": n}
        start = rng.randint(1, n - 1)
        return {"op": "flatten", "start_dim": start, "end_dim": rng.randint(0, start - 1)}
    form = rng.random()
    start, end = 0, n - 1
    op: dict[str, Any] = {"op": "flatten"}
    if form >= 0.4:
        start = rng.randint(0, n - 2)
        op["start_dim"] = _written(rng, start, n, neg)
        if form >= 0.7:
            end = rng.randint(start + 1, n - 1)
            op["end_dim"] = _written(rng, end, n, neg)
    plan.shape = plan.shape[:start] + [_prod(plan.shape[start : end + 1])] + plan.shape[end + 1 :]
    plan.contiguous = True
    return op


def _op_index(rng: random.Random, plan: _Plan, neg: bool) -> dict[str, Any] | None:
    items = rng.choices(_INDEX_PATTERNS, cum_weights=_INDEX_CUM_WEIGHTS)[0]
    colons = items.count(":")
    if colons <= len(plan.shape):
        dims = iter(plan.shape)
        out: list[int] = []
        # Without an explicit Ellipsis, Python indexing behaves as if one ended the index.
        for item in items if "..." in items else items + ("...",):
            if item == "None":
                out.append(1)
            elif item == ":":
                out.append(next(dims))
            else:
                out.extend(dims)
        plan.shape = out
    return {"op": "index", "items": list(items)}


def _op_broadcast(rng: random.Random, plan: _Plan, size: tuple[int, int]) -> dict[str, Any] | None:
    r = len(plan.shape)
    if rng.random() < 0.4 and r > 0:
        yr = r
    else:
        yr = rng.choice([k for k in range(max(1, r - 2), min(r + 2, 6) + 1) if k != r] or [r])
    aligned = min(r, yr)
    y = [_draw_size(rng, size) for _ in range(yr - aligned)]
    for s in plan.shape[r - aligned :]:
        if s == 1:
            y.append(1 if rng.random() < 0.3 else _draw_big(rng, size))
        else:
            y.append(s if rng.random() < 0.6 else 1)
    clashable = [j for j in range(aligned) if plan.shape[r - aligned + j] != 1]
    if yr < r and clashable and all(v == 1 for v in y):
        # An all-ones shorter y broadcasts the same whichever side it is aligned to.
        j = rng.choice(clashable)
        y[j] = plan.shape[r - aligned + j]
    if clashable and rng.random() < min(0.3, _P_BAD_BINARY * plan.bad):
        j = rng.choice(clashable)
        xs = plan.shape[r - aligned + j]
        y[yr - aligned + j] = rng.choice([k for k in range(2, 7) if k != xs])
    result = _broadcast(plan.shape, y)
    if _prod(result) > _MAX_ELEMENTS:
        return None
    plan.other = y
    plan.shape = result
    plan.contiguous = True
    return {"op": "add"}


def _op_matmul(rng: random.Random, plan: _Plan, size: tuple[int, int]) -> dict[str, Any] | None:
    r = len(plan.shape)
    inner = plan.shape[-1] if r else _draw_big(rng, size)
    if rng.random() < min(0.3, _P_BAD_BINARY * plan.bad):
        inner = rng.choice([k for k in range(1, 7) if k != inner])
    form = rng.random()
    m = _draw_big(rng, size)
    if form < 0.25:
        y = [inner]
    elif form < 0.7 or r == 0:
        y = [inner, m]
    else:
        x_batch = plan.shape[:-2]
        if x_batch and rng.random() < 0.7:
            keep = rng.randint(1, len(x_batch))
            batch = [s if rng.random() < 0.7 else 1 for s in x_batch[-keep:]]
        else:
            batch = [_draw_big(rng, size) for _ in range(rng.randint(1, 2))]
        y = batch + [inner, m]
    rows = plan.shape[-2:-1] if r >= 2 else []
    result = _broadcast(plan.shape[:-2], y[:-2]) + rows + ([m] if len(y) >= 2 else [])
    if _prod(result) * inner > _MAX_ELEMENTS:
        return None
    plan.other = y
    plan.shape = result
    plan.contiguous = True
    return {"op": "matmul"}


_DRAWERS: dict[str, Any] = {
    "squeeze": _op_squeeze,
    "squeeze-dim": _op_squeeze_dim,
    "unsqueeze": _op_unsqueeze,
    "view": _op_view("view"),
    "reshape": _op_view("reshape"),
    "transpose": _op_transpose,
    "permute": _op_permute,
    "flatten": _op_flatten,
    "index-none": _op_index,
}


def _weight(kind: str, plan: _Plan) -> float:
    """How likely each allowed op is next, given the planned shape (0 = not drawable now)."""
    n = len(plan.shape)
    if kind == "squeeze":
        if n == 0:
            return 0.0
        return 1.0 if 1 in plan.shape else 0.3
    if kind in ("transpose", "permute"):
        return 1.0 if n >= 2 else 0.0
    if kind == "view":
        return 1.0 if plan.contiguous else 3.0
    if kind == "flatten":
        return 0.0 if n == 1 else (0.5 if n == 0 else 1.0)
    if kind in _BINARY:
        if plan.binary_used:
            return 0.0
        return 0.2 if kind == "matmul" and n == 0 else 1.5
    return 1.0


def _draw_once(params: dict[str, Any], rng: random.Random, bad: float = 1.0) -> dict[str, Any] | None:
    shape = [_draw_size(rng, params["size"]) for _ in range(draw_int(rng, params["ndim"]))]
    plan = _Plan(shape=list(shape))
    neg = bool(params["negative_dims"])
    allowed = tuple(params["ops"])
    n_ops = draw_int(rng, params["n_ops"])
    # Errors compound along a chain, so longer chains get fewer deliberately invalid arguments.
    plan.bad = bad * min(2.0, 2.4 / n_ops)
    telling, dead, last_telling = 0, False, -1  # ops after one that raises change nothing
    used: set[str] = set()
    for _ in range(n_ops):
        weights = [_weight(kind, plan) for kind in allowed]
        if not any(weights):
            return None
        for _ in range(_OP_TRIES):
            kind = rng.choices(allowed, weights=weights)[0] if len(allowed) > 1 else allowed[0]
            saved = (list(plan.shape), plan.contiguous, plan.other)
            plan.mark_inserted = plan.mark_swap = plan.mark_order = None
            if kind in _BINARY:
                drawer = _op_broadcast if kind == "broadcast" else _op_matmul
                op = drawer(rng, plan, params["size"])
                plan.binary_used = op is not None
            else:
                op = _DRAWERS[kind](rng, plan, neg)
            if op is not None:
                if not dead:
                    dead = fails(op, saved[0], saved[1], plan.other)
                    # A slip about a dim that exists cannot be told on a dim that does not.
                    if tells(op, saved[0], saved[1], plan.shape, plan.other) and not (dead and kind in _DIM_ERRORS):
                        telling += 1
                        last_telling = len(plan.ops)
                plan.ops.append(op)
                used.add(kind)
                plan.last_inserted, plan.last_swap = plan.mark_inserted, plan.mark_swap
                plan.last_order = plan.mark_order
                break
            plan.shape, plan.contiguous, plan.other = saved
        else:
            return None
    if not used & set(params["require"]):
        return None
    # 0: one telling op, at the end (its slips' shapes show as they are); 1: one, followed by
    # other ops (which may turn two slips into the same shape or error); 2: several; 3: none.
    rank = 3 if not telling else 2 if telling > 1 else 0 if last_telling == len(plan.ops) - 1 else 1
    outcome = "error" if dead else "same" if plan.shape == shape else "changed"
    inputs: dict[str, Any] = {"shape": shape, "ops": plan.ops, "telling": rank, "outcome": outcome}
    if plan.other is not None:
        inputs["other"] = plan.other
    return inputs


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A starting shape and a chain of ops, ``{"shape", "ops"[, "other"]}`` (the module doc has the
    format), drawn with ``rng`` only; ``GenerationError`` when no non-trivial chain fits the params."""
    u = rng.random()
    fits = {"error"} if u < _P_RAISES else {"changed", "same"} if u >= 1 - _P_SAME_ALLOWED else {"changed"}
    fallback: tuple[tuple[bool, int], dict[str, Any]] | None = None
    for _ in range(_TELLING_TRIES):
        inputs = _draw_once(params, rng, 2.0 if "error" in fits else 0.0)
        if inputs is not None:
            score = (inputs.pop("outcome") not in fits, inputs.pop("telling"))
            if score == (False, 0):
                return inputs
            if fallback is None or score < fallback[0]:
                fallback = (score, inputs)
    if fallback is not None:
        return fallback[1]
    return redraw(
        lambda: _untold(_draw_once(params, rng)),
        f"a non-trivial chain of {params['n_ops']} ops from {list(params['ops'])} on a tensor of rank "
        f"{params['ndim']}; allow more ops or higher ranks",
    )


def _untold(inputs: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if inputs is None else {k: v for k, v in inputs.items() if k not in ("telling", "outcome")}


def _zeros(shape: list[int]) -> str:
    return "torch.zeros(())" if not shape else f"torch.zeros({', '.join(map(str, shape))})"


def _call(op: Mapping[str, Any]) -> str:
    kind = op["op"]
    if kind == "squeeze":
        return ".squeeze()" if "dim" not in op else f".squeeze({op['dim']})"
    if kind == "unsqueeze":
        return f".unsqueeze({op['dim']})"
    if kind in ("view", "reshape"):
        return f".{kind}({', '.join(map(str, op['shape'])) or '()'})"
    if kind in ("transpose", "permute"):
        return f".{kind}({', '.join(map(str, op['dims']))})"
    if kind == "flatten":
        args = [str(op[k]) for k in ("start_dim", "end_dim") if k in op]
        if "end_dim" in op and "start_dim" not in op:
            args = [f"end_dim={op['end_dim']}"]
        return f".flatten({', '.join(args)})"
    return f"[{', '.join(op['items'])}]"


def expression(ops: Sequence[Mapping[str, Any]]) -> list[str]:
    """The chain as Python source after each op: ``x.unsqueeze(1)``, ``x.unsqueeze(1) + y``, ..."""
    out: list[str] = []
    expr = "x"
    binary = False
    for op in ops:
        kind = op["op"]
        if kind in ("add", "matmul"):
            expr = f"{expr} {'+' if kind == 'add' else '@'} y"
            binary = True
        else:
            # A method call or index binds tighter than + and @, so the sum needs brackets.
            expr = (f"({expr})" if binary else expr) + _call(op)
            binary = False
        out.append(expr)
    return out


def describe(inputs: dict[str, Any]) -> str:
    """The problem as the code a learner would run.

    >>> ops = [{"op": "unsqueeze", "dim": 1}, {"op": "squeeze"}]
    >>> print(describe({"shape": [3, 1, 4], "ops": ops}))
    x = torch.zeros(3, 1, 4)
    x.unsqueeze(1).squeeze()
    """
    lines = [f"x = {_zeros(inputs['shape'])}"]
    if "other" in inputs:
        lines.append(f"y = {_zeros(inputs['other'])}")
    lines.append(expression(inputs["ops"])[-1])
    return "\n".join(lines)


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Combinations that can never draw a chain (the schema checks each param on its own)."""
    p = params
    ops = set(p["ops"])
    problems: list[tuple[str, str, str]] = []
    if ops <= {"transpose", "permute"} and p["ndim"][1] < 2:
        problems.append(("ndim", "a maximum of at least 2 when ops are only transpose/permute",
                         str(list(p["ndim"]))))
    if ops <= set(_BINARY) and p["n_ops"][0] > 1:
        problems.append(("n_ops", "1 when ops are only broadcast/matmul (a chain has one y)",
                         str(list(p["n_ops"]))))
    if ops == {"flatten"} and p["ndim"] == (1, 1):
        problems.append(("ndim", "a rank other than 1 when ops are only flatten",
                         str(list(p["ndim"]))))
    if not ops & set(p.get("require", OPS)):
        problems.append(("require", f"one of the ops ({', '.join(p['ops'])}) at least", str(list(p["require"]))))
    return problems


def expected(inputs: dict[str, Any]) -> Answer:
    """The kind of answer these inputs ask for (a shape, or "error"); the value is a placeholder."""
    return Answer("shape", [])
