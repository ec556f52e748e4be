"""Checker for tensor shape chains: the shape torch gives, or ``"error"`` when torch raises.

The chain runs on meta tensors (``torch.empty(shape, device="meta")``), which carry sizes and
strides but no data, so torch itself decides every shape and every failure, including a ``view``
of a non-contiguous tensor. The rules involved are those of the PyTorch reference for
``torch.squeeze``, ``torch.unsqueeze``, ``Tensor.view``, ``torch.reshape``, ``torch.transpose``,
``torch.permute``, ``torch.flatten``, indexing with ``None``, broadcasting semantics and
``torch.matmul``. The input format is described in ``quizgen/generators/shapes.py``.

Each misconception is computed by running the same chain with one kind of op (for the -1 slip,
view and reshape alike) replaced by the mistaken rule. It is listed only when the chain reaches that op in the situation the mistake is
about and the mistaken rule changes that op's result (a later op may still hide the difference;
the problem builder redraws such variants).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from checkers.meta import META as _META
from checkers.meta import add as _add
from checkers.meta import matmul as _matmul
from quizgen.core.answer import Misconception, Solution, Step
from quizgen.generators.shapes import expression

_CAUGHT = (RuntimeError, IndexError, ValueError)
_ITEMS: dict[str, Any] = {":": slice(None), "None": None, "...": Ellipsis}

Op = Mapping[str, Any]
Impl = Callable[[torch.Tensor, Op, "torch.Tensor | None"], torch.Tensor]


def _squeeze(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.squeeze() if "dim" not in op else t.squeeze(op["dim"])


def _flatten(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.flatten(op.get("start_dim", 0), op.get("end_dim", -1))


def _binary_operand(y: torch.Tensor | None) -> torch.Tensor:
    if y is None:
        raise ValueError("Expected 'other' in the inputs for a chain with add or matmul")
    return y


_BASE: dict[str, Impl] = {
    "squeeze": _squeeze,
    "unsqueeze": lambda t, op, y: t.unsqueeze(op["dim"]),
    "view": lambda t, op, y: t.view(op["shape"]),
    "reshape": lambda t, op, y: t.reshape(op["shape"]),
    "transpose": lambda t, op, y: t.transpose(*op["dims"]),
    "permute": lambda t, op, y: t.permute(op["dims"]),
    "flatten": _flatten,
    "index": lambda t, op, y: t[tuple(_ITEMS[i] for i in op["items"])],
    "add": lambda t, op, y: _add(t, _binary_operand(y)),
    "matmul": lambda t, op, y: _matmul(t, _binary_operand(y)),
}


# --- mistaken rules: each behaves like torch except in the situation its mistake is about ------


def _squeeze_hits_big_dim(t: torch.Tensor, op: Op) -> bool:
    dim = op.get("dim")
    n = t.dim()
    return dim is not None and n > 0 and -n <= dim < n and t.shape[dim] != 1


def _squeeze_drops_any(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.select(op["dim"], 0) if _squeeze_hits_big_dim(t, op) else _squeeze(t, op, y)


def _squeeze_raises(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if _squeeze_hits_big_dim(t, op):
        raise RuntimeError("believed: squeeze of a dim whose size is not 1")
    return _squeeze(t, op, y)


def _squeeze_first_only(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if "dim" in op or 1 not in t.shape:
        return _squeeze(t, op, y)
    return t.squeeze(list(t.shape).index(1))


def _unsqueeze_negative_applies(t: torch.Tensor, op: Op) -> bool:
    return -t.dim() <= op["dim"] <= -1


def _unsqueeze_list_insert(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    dim = op["dim"]
    if -t.dim() - 1 <= dim <= -1:
        # list.insert(-k) puts the item before the k-th element from the end (clamped at 0).
        return t.unsqueeze(max(t.dim() + dim, 0))
    return t.unsqueeze(dim)


def _view_as_reshape(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.reshape(op["shape"])


def _left_aligned_applies(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> bool:
    return y is not None and t.dim() >= 1 and y.dim() >= 1 and t.dim() != y.dim()


def _add_left_aligned(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    b = _binary_operand(y)
    if t.dim() >= 1 and b.dim() >= 1 and t.dim() != b.dim():
        pad = (Ellipsis,) + (None,) * abs(t.dim() - b.dim())
        if t.dim() < b.dim():
            t = t[pad]
        else:
            b = b[pad]
    return _add(t, b)


def _permutation(t: torch.Tensor, op: Op) -> list[int] | None:
    n = t.dim()
    dims = op["dims"]
    if len(dims) != n or not all(-n <= d < n for d in dims):
        return None
    order = [d % n for d in dims]
    return order if sorted(order) == list(range(n)) else None


def _permute_inverse_applies(t: torch.Tensor, op: Op) -> bool:
    order = _permutation(t, op)
    return order is not None and any(order[order[i]] != i for i in range(len(order)))


def _permute_inverse(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    order = _permutation(t, op)
    if order is None:
        return t.permute(op["dims"])
    inverse = [0] * len(order)
    for new, old in enumerate(order):
        inverse[old] = new
    return t.permute(inverse)


def _plain_flatten_applies(t: torch.Tensor, op: Op) -> bool:
    return "start_dim" not in op and "end_dim" not in op and t.dim() >= 2


def _flatten_from_one(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.flatten(1) if _plain_flatten_applies(t, op) else _flatten(t, op, y)


def _matmul_vector_applies(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> bool:
    return y is not None and t.dim() >= 1 and y.dim() >= 1 and (t.dim() == 1 or y.dim() == 1)


def _matmul_keep_vector_dim(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    b = _binary_operand(y)
    if t.dim() == 1:
        t = t.unsqueeze(0)
    if b.dim() == 1:
        b = b.unsqueeze(-1)
    return _matmul(t, b)


def _squeeze_out_of_range(t: torch.Tensor, op: Op) -> bool:
    n = max(t.dim(), 1)
    return "dim" in op and not -n <= op["dim"] < n


def _squeeze_ignores_range(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t if _squeeze_out_of_range(t, op) else _squeeze(t, op, y)


def _squeeze_dim_removes_all_applies(t: torch.Tensor, op: Op) -> bool:
    """squeeze(d) with d in range on a tensor with a size-1 dim other than d."""
    dim = op.get("dim")
    n = t.dim()
    return dim is not None and n > 0 and -n <= dim < n and any(s == 1 for i, s in enumerate(t.shape) if i != dim % n)


def _squeeze_removes_all(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.squeeze() if _squeeze_dim_removes_all_applies(t, op) else _squeeze(t, op, y)


def _unsqueeze_after_applies(t: torch.Tensor, op: Op) -> bool:
    return 0 <= op["dim"] < t.dim()


def _unsqueeze_after(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    return t.unsqueeze(op["dim"] + 1) if _unsqueeze_after_applies(t, op) else t.unsqueeze(op["dim"])


def _unsqueeze_at_an_end(t: torch.Tensor, op: Op) -> bool:
    return op["dim"] in (t.dim(), -t.dim() - 1)


def _unsqueeze_input_range(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if _unsqueeze_at_an_end(t, op):
        raise IndexError("believed: unsqueeze's dim must be a dim of the input")
    return t.unsqueeze(op["dim"])


def _unsqueeze_beyond(t: torch.Tensor, op: Op) -> bool:
    return not -t.dim() - 1 <= op["dim"] <= t.dim()


def _unsqueeze_clamped(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if _unsqueeze_beyond(t, op):
        return t.unsqueeze(t.dim() if op["dim"] > 0 else 0)
    return t.unsqueeze(op["dim"])


def _single_minus_one(t: torch.Tensor, op: Op) -> bool:
    """A view or reshape target with one -1 whose other sizes do not divide the element count."""
    target = op["shape"]
    known = math.prod(size for size in target if size != -1)
    return target.count(-1) == 1 and 0 < known <= t.numel() and t.numel() % known != 0


def _minus_one_rounds_down(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if not _single_minus_one(t, op):
        return _BASE[op["op"]](t, op, y)
    known = math.prod(size for size in op["shape"] if size != -1)
    return torch.empty([t.numel() // known if size == -1 else size for size in op["shape"]], device=_META)


def _transpose_reverses_all(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    t.transpose(*op["dims"])  # raises where torch raises
    return t.permute(list(range(t.dim() - 1, -1, -1))) if t.dim() >= 3 else t.transpose(*op["dims"])


def _end_exclusive_applies(t: torch.Tensor, op: Op) -> bool:
    n = max(t.dim(), 1)
    if "end_dim" not in op or not all(-n <= op.get(k, 0) < n for k in ("start_dim", "end_dim")):
        return False
    return op["end_dim"] % n - 1 >= op.get("start_dim", 0) % n


def _flatten_end_exclusive(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    if not _end_exclusive_applies(t, op):
        return _flatten(t, op, y)
    n = t.dim()
    return t.flatten(op.get("start_dim", 0) % n, op["end_dim"] % n - 1)


def _broadcast_keeps_left(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    _add(t, _binary_operand(y))  # raises where torch raises
    return t


def _larger_sizes(sa: torch.Size, sb: torch.Size) -> list[int]:
    n = max(len(sa), len(sb))
    a, b = [1] * (n - len(sa)) + list(sa), [1] * (n - len(sb)) + list(sb)
    return [max(u, v) for u, v in zip(a, b)]


def _clash_applies(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> bool:
    if y is None:
        return False
    try:  # torch's broadcasting rule, in C++ for meta tensors (torch.broadcast_shapes is Python)
        torch.broadcast_tensors(t, y)
    except RuntimeError:
        return True
    return False


def _broadcast_takes_larger(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    b = _binary_operand(y)
    if _clash_applies(t, op, b):
        return torch.empty(_larger_sizes(t.shape, b.shape), device=_META)
    return _add(t, b)


def _inner_mismatch(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> bool:
    return y is not None and t.dim() >= 1 and y.dim() >= 1 and t.shape[-1] != y.shape[-2 if y.dim() >= 2 else 0]


def _matmul_ignores_inner(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> torch.Tensor:
    b = _binary_operand(y)
    if _inner_mismatch(t, op, b):
        sizes = list(b.shape)
        sizes[-2 if b.dim() >= 2 else 0] = t.shape[-1]
        b = torch.empty(sizes, device=_META)
    return _matmul(t, b)


# name -> (op kind it replaces, description, mistaken rule, cheap test of the situation it is
# about). A mistake applies to a chain when the chain reaches an op in that situation and the
# mistaken rule gives that op a different shape (or error) than torch does.
_MISTAKES: dict[str, tuple[str | tuple[str, ...], str, Impl, Callable[..., bool]]] = {
    "squeeze-drops-any-dim": (
        "squeeze",
        "Believes squeeze(d) removes dim d whatever its size; torch removes it only when its size "
        "is 1 and otherwise returns the tensor unchanged.",
        _squeeze_drops_any,
        lambda t, op, y: _squeeze_hits_big_dim(t, op),
    ),
    "squeeze-dim-raises": (
        "squeeze",
        "Believes squeeze(d) raises when dim d is not of size 1; torch quietly leaves the shape "
        "unchanged instead.",
        _squeeze_raises,
        lambda t, op, y: _squeeze_hits_big_dim(t, op),
    ),
    "squeeze-removes-only-first": (
        "squeeze",
        "Believes squeeze() removes only the first dim of size 1; without an argument it removes "
        "every dim of size 1.",
        _squeeze_first_only,
        lambda t, op, y: "dim" not in op and list(t.shape).count(1) >= 2,
    ),
    "squeeze-out-of-range-ignored": (
        "squeeze",
        "Believes squeeze(d) with a dim the tensor does not have leaves it unchanged, as it does "
        "for a dim whose size is not 1; torch raises for a dim out of range.",
        _squeeze_ignores_range,
        lambda t, op, y: _squeeze_out_of_range(t, op),
    ),
    "squeeze-dim-removes-all": (
        "squeeze",
        "Believes squeeze(d) removes every dim of size 1, as squeeze() does; with a dim it looks "
        "at that dim only.",
        _squeeze_removes_all,
        lambda t, op, y: _squeeze_dim_removes_all_applies(t, op),
    ),
    "unsqueeze-after-dim": (
        "unsqueeze",
        "Puts the new dim after dim d; unsqueeze(d) inserts it at position d, so that the result's "
        "dim d is the new size-1 dim.",
        _unsqueeze_after,
        lambda t, op, y: _unsqueeze_after_applies(t, op),
    ),
    "unsqueeze-range-of-input": (
        "unsqueeze",
        "Believes unsqueeze accepts only the input's dims (-n to n - 1); the result has one dim "
        "more, so -n - 1 and n are valid too: they add a dim at the front or at the end.",
        _unsqueeze_input_range,
        lambda t, op, y: _unsqueeze_at_an_end(t, op),
    ),
    "unsqueeze-out-of-range-clamped": (
        "unsqueeze",
        "Believes an out-of-range dim goes to the nearest end, as list.insert does; torch accepts "
        "-n - 1 to n only (n: the input's rank) and raises otherwise.",
        _unsqueeze_clamped,
        lambda t, op, y: _unsqueeze_beyond(t, op),
    ),
    "unsqueeze-negative-off-by-one": (
        "unsqueeze",
        "Places unsqueeze(-k) where Python's list.insert(-k) would, one position too far left; "
        "torch counts a negative dim in the result's rank, so unsqueeze(-1) adds a trailing dim.",
        _unsqueeze_list_insert,
        lambda t, op, y: _unsqueeze_negative_applies(t, op),
    ),
    "view-ignores-contiguity": (
        "view",
        "Believes view works wherever reshape does; after transpose or permute the elements are "
        "out of row-major order, so a view that merges dims no longer adjacent in memory, as this "
        "one does, raises; only reshape (which may copy) works.",
        _view_as_reshape,
        lambda t, op, y: not t.is_contiguous(),
    ),
    "minus-one-rounds-down": (
        ("view", "reshape"),
        "Believes -1 takes whatever whole size fits and the leftover elements are dropped; -1 "
        "must divide the element count exactly, and torch raises when it cannot.",
        _minus_one_rounds_down,
        lambda t, op, y: _single_minus_one(t, op),
    ),
    "transpose-reverses-all": (
        "transpose",
        "Believes transpose(a, b) reverses the order of every dim, as x.T and numpy's transpose() "
        "do; it swaps dims a and b only.",
        _transpose_reverses_all,
        lambda t, op, y: t.dim() >= 3,
    ),
    "flatten-end-exclusive": (
        "flatten",
        "Reads end_dim as exclusive, like the end of a Python slice; flatten merges dims start_dim "
        "to end_dim, both included.",
        _flatten_end_exclusive,
        lambda t, op, y: _end_exclusive_applies(t, op),
    ),
    "broadcast-keeps-left-shape": (
        "add",
        "Believes x + y has the shape of x, as the in-place x += y needs; broadcasting stretches "
        "both operands, so the result takes the larger size at every position.",
        _broadcast_keeps_left,
        # A shorter y that broadcasts is read into x anyway; left-aligning it is the other slip.
        lambda t, op, y: y is not None and y.dim() >= t.dim(),
    ),
    "broadcast-takes-larger": (
        "add",
        "Believes sizes that differ broadcast to the larger one; only a size of 1 stretches, so "
        "two sizes that differ and are not 1 (3 against 4, say) raise an error.",
        _broadcast_takes_larger,
        _clash_applies,
    ),
    "broadcast-left-aligned": (
        "add",
        "Lines the two shapes up from the left and pads the shorter one with 1s at the end; "
        "broadcasting lines up the trailing dims and pads the shorter shape at the front.",
        _add_left_aligned,
        _left_aligned_applies,
    ),
    "permute-inverse": (
        "permute",
        "Reads permute(p) as 'old dim i moves to position p[i]'; torch reads it as 'new dim i is "
        "old dim p[i]', which differs whenever p is not its own inverse.",
        _permute_inverse,
        lambda t, op, y: _permute_inverse_applies(t, op),
    ),
    "flatten-keeps-first-dim": (
        "flatten",
        "Believes x.flatten() keeps dim 0 as nn.Flatten does (start_dim=1); torch.flatten and "
        "Tensor.flatten start at dim 0 and return a 1-D tensor.",
        _flatten_from_one,
        lambda t, op, y: _plain_flatten_applies(t, op),
    ),
    "matmul-ignores-inner-size": (
        "matmul",
        "Gives the product's shape without checking the inner sizes; x @ y needs x's last size to "
        "equal y's second-to-last (a vector's only size), and torch raises otherwise.",
        _matmul_ignores_inner,
        _inner_mismatch,
    ),
    "matmul-keeps-vector-dim": (
        "matmul",
        "Keeps the size-1 dim that matmul adds to a 1-D operand; torch removes it again after "
        "the product, so the result has one dim fewer.",
        _matmul_keep_vector_dim,
        _matmul_vector_applies,
    ),
}
_BY_KIND: dict[str, tuple[str, ...]] = {}
for _name, _mistake in _MISTAKES.items():
    for _kind in (_mistake[0],) if isinstance(_mistake[0], str) else _mistake[0]:
        _BY_KIND[_kind] = _BY_KIND.get(_kind, ()) + (_name,)


def _short(exc: BaseException) -> str:
    """The first line of torch's message, without the long parenthetical tail some carry."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if len(text) > 100 and text.find(" (") > 20:
        text = text[: text.find(" (")]
    return text if len(text) <= 100 else text[:97] + "..."


def _outcome(rule: Impl, t: torch.Tensor, op: Op, y: torch.Tensor | None) -> Any:
    try:
        return list(rule(t, op, y).shape)
    except _CAUGHT:
        return "error"


def _final(
    before: list[torch.Tensor], y: torch.Tensor | None, ops: list[Op], kind: str | tuple[str, ...], rule: Impl
) -> Any:
    """The chain's outcome with ``rule`` for every op of ``kind`` (one kind or several).

    ``before[i]`` is the tensor torch's own chain gives ahead of op i (for every op it reached);
    up to the first op of ``kind`` the mistaken chain is the same, so it starts from there.
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    start = next(i for i, op in enumerate(ops) if op["op"] in kinds)
    t = before[start]
    try:
        for op in ops[start:]:
            t = rule(t, op, y) if op["op"] in kinds else _BASE[op["op"]](t, op, y)
    except _CAUGHT:
        return "error"
    return list(t.shape)


def _note(t: torch.Tensor, op: Op, y: torch.Tensor | None) -> str:
    kind = op["op"]
    if kind == "squeeze" and _squeeze_hits_big_dim(t, op):
        return f"dim {op['dim']} has size {t.shape[op['dim']]}, not 1, so squeeze leaves it"
    if kind == "add" and y is not None:
        return f"{list(t.shape)} and {list(y.shape)} broadcast from the trailing dims"
    if kind == "matmul" and y is not None:
        return f"{list(t.shape)} @ {list(y.shape)}"
    return ""


def solve(inputs: Mapping[str, Any]) -> Solution:
    """The shape of ``x`` after the chain of ops, or ``"error"`` when torch raises.

    Args:
        inputs: ``{"shape": [...], "ops": [...], "other": [...]}`` as drawn by the shapes generator.

    Returns:
        The answer (kind ``shape``), one step per op (its shape, or why torch raised) and the
        misconceptions that apply to this chain.

    >>> solve({"shape": [3], "ops": [{"op": "unsqueeze", "dim": 0}]}).value
    [1, 3]
    >>> sol = solve({"shape": [1, 3, 1], "ops": [{"op": "squeeze"}]})
    >>> sol.value, [(m.name, m.value) for m in sol.misconceptions]
    ([3], [('squeeze-removes-only-first', [3, 1])])
    """
    ops: list[Op] = inputs["ops"]
    x = torch.empty(inputs["shape"], device=_META)
    y = torch.empty(inputs["other"], device=_META) if "other" in inputs else None
    steps: list[Step] = []
    applies: list[str] = []
    before: list[torch.Tensor] = []
    t = x
    answer: Any = None
    for op, expr in zip(ops, expression(ops)):
        kind = op["op"]
        note = _note(t, op, y)
        before.append(t)
        try:
            out: torch.Tensor | None = _BASE[kind](t, op, y)
            outcome: Any = list(out.shape)  # type: ignore[union-attr]
        except _CAUGHT as exc:
            out, outcome = None, "error"
            note = f"torch raises: {_short(exc)}"
        for name in _BY_KIND.get(kind, ()):
            if name not in applies:
                _, _, rule, when = _MISTAKES[name]
                if when(t, op, y) and _outcome(rule, t, op, y) != outcome:
                    applies.append(name)
        steps.append(Step(expr, outcome, shape=None if out is None else outcome, note=note))
        if out is None:
            answer = "error"
            break
        t = out
    if answer is None:
        answer = list(t.shape)
    misconceptions = []
    for name in applies:
        kind, description, rule, _ = _MISTAKES[name]
        misconceptions.append(Misconception(name, description, _final(before, y, ops, kind, rule)))
    return Solution(answer, tuple(steps), tuple(misconceptions))


__all__ = ["solve"]
