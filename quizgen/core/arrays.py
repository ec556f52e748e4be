"""Authored expressions evaluated in plain Python, for drawing: conditions, derived inputs and the
shape of the answer, before torch is loaded.

Answers, worked steps and named mistakes are never taken from here: ``checkers.authored``
computes them with torch in float64. This evaluator only decides which variants are drawn (a
condition holds, the answer is finite) and what kind of answer a question asks for, so that the
drill can show a question at once. It follows torch's meaning for every function of
``quizgen.core.tensor_expression.FUNCTIONS`` (broadcasting, ``dim``, ``keepdim``, a division by zero
giving ``inf`` or ``nan``); the tests compare it with torch and with numpy over generated trees.

Values are numbers, vectors and matrices (at most two dimensions), held as ``(shape, entries)``
with the entries in row-major order.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from quizgen.core.expression import CONSTANTS, Node, Undefined

Array = tuple[tuple[int, ...], list[float]]

MAX_ELEMENTS = 10_000
"""Most entries of any value an authored expression builds."""


def array(value: Any) -> Array:
    """A number, a list or a list of rows as an Array."""
    if isinstance(value, (int, float)):
        return (), [float(value)]
    if value and isinstance(value[0], list):
        return (len(value), len(value[0])), [float(x) for row in value for x in row]
    return (len(value),), [float(x) for x in value]


def nested(a: Array) -> Any:
    """An Array as a float, a list or a list of rows."""
    shape, v = a
    if not shape:
        return v[0]
    if len(shape) == 1:
        return list(v)
    return [v[i * shape[1] : (i + 1) * shape[1]] for i in range(shape[0])]


_work = threading.local()


class TooMuchWork(Undefined):
    """An evaluation went over its ``budget``: the template, not the variant, is at fault.
    ``outer`` is true when an enclosing budget ran out rather than the innermost one."""

    def __init__(self, message: str, outer: bool = False):
        super().__init__(message)
        self.outer = outer
        self.path: tuple[Any, ...] = ("answer",)  # the template's field, where a caller knows it


@contextmanager
def budget(entries: int) -> Iterator[None]:
    """Evaluations inside compute at most ``entries`` entries in all, or raise ``TooMuchWork``.
    Inside another budget, what is spent counts against that one too."""
    outer = getattr(_work, "left", None)
    outer_bound = getattr(_work, "outer_bound", False)
    start = entries if outer is None else min(entries, outer)
    _work.left, _work.outer_bound = start, outer is not None and outer < entries
    try:
        yield
    finally:
        spent = start - getattr(_work, "left", start)  # gone if a signal cut an inner budget's clean-up short
        if outer is None:
            _work.__dict__.pop("left", None)
            _work.__dict__.pop("outer_bound", None)
        else:
            _work.left, _work.outer_bound = outer - spent, outer_bound


def _spend(n: int) -> None:
    left = getattr(_work, "left", None)
    if left is not None:
        if n > left:
            raise TooMuchWork("the expressions compute too many entries for one variant", outer=_work.outer_bound)
        _work.left = left - n


def _room(count: int) -> None:
    """Refuse a value of ``count`` entries before it is built: too large for one value, or
    more than the budget has left (``_made`` then spends it)."""
    if count > MAX_ELEMENTS:
        raise Undefined(f"a value has {count} entries; at most {MAX_ELEMENTS} are allowed")
    left = getattr(_work, "left", None)
    if left is not None and count > left:
        raise TooMuchWork("the expressions compute too many entries for one variant", outer=_work.outer_bound)


def _made(shape: tuple[int, ...], values: list[float]) -> Array:
    _room(len(values))
    _spend(len(values))
    return shape, values


# --------------------------------------------------------------------------------------------
# Elementwise, with torch's broadcasting (shapes aligned from the right; a size of 1 stretches)


def _safe(f: Callable[..., float]) -> Callable[..., float]:
    def g(*xs: float) -> float:
        try:
            return f(*xs)
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return math.nan

    return g


def _divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _log(x: float) -> float:
    return -math.inf if x == 0 else (math.log(x) if x > 0 else math.nan)


def _power(a: float, b: float) -> float:
    if a == 0 and b < 0:
        return math.inf
    try:
        r = a**b
    except OverflowError:
        return math.inf
    return math.nan if isinstance(r, complex) else float(r)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _divide,
    "pow": _power,
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
}
SHAPES_DO_NOT_FIT = ("shapes ", "@ of shapes ", "dot takes two vectors of one length", "cross_entropy's target of shape ")
"""How the messages begin where two values' shapes do not fit together (broadcasting, @, dot,
cross_entropy's target): sizes drawn apart that fit on some draws only (``quizgen check``)."""

_UNARY: dict[str, Callable[[float], float]] = {
    "exp": _safe(math.exp),
    "log": _log,
    "sqrt": lambda x: math.sqrt(x) if x >= 0 else math.nan,
    "abs": abs,
    "sin": _safe(math.sin),
    "cos": _safe(math.cos),
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: x if x > 0 or x != x else 0.0,  # NaN stays NaN, as in torch
    "floor": lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    "log2": lambda x: -math.inf if x == 0 else (math.log2(x) if x > 0 else math.nan),
    "softplus": lambda x: x if x > 20 else math.log1p(math.exp(x)),  # torch's threshold 20
    "gelu": lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2))),
    "silu": lambda x: x * _sigmoid(x),
}


def _logsumexp(xs: list[float]) -> float:
    """log Σ exp(x), shifted by the largest entry as torch computes it (no overflow)."""
    top = max(xs)
    if math.isinf(top):
        return top
    return top + math.log(math.fsum(math.exp(x - top) for x in xs))


def _undefined_on_overflow(f: Callable[..., float]) -> Callable[..., float]:
    """``f``, with NaN where Python's float arithmetic overflows (``x ** 2``, ``fsum``) rather than
    an error: torch gives ±inf there, and NaN is refused wherever inf would be."""

    def g(*xs: Any) -> float:
        try:
            return f(*xs)
        except OverflowError:
            return math.nan

    return g


_fsum = _undefined_on_overflow(math.fsum)


def _broadcast(a: Array, b: Array, f: Callable[[float, float], float]) -> Array:
    (sa, va), (sb, vb) = a, b
    f = _undefined_on_overflow(f)
    if len(sa) <= 2 and len(sb) <= 2:
        # The common cases, entry by entry in the same order as below: one shape, or a number.
        if sa == sb:
            return _made(sa, [f(x, y) for x, y in zip(va, vb)])
        if not sa:
            x = va[0]
            return _made(sb, [f(x, y) for y in vb])
        if not sb:
            y = vb[0]
            return _made(sa, [f(x, y) for x in va])
    pa, pb = (1,) * (2 - len(sa)) + sa, (1,) * (2 - len(sb)) + sb
    dims = []
    for x, y in zip(pa, pb):
        if x != y and 1 not in (x, y):
            raise Undefined(f"shapes {list(sa)} and {list(sb)} do not broadcast")
        dims.append(max(x, y))
    rows, cols = dims
    _room(rows * cols)  # before a list of that size is built
    values = [
        f(va[(i if pa[0] > 1 else 0) * pa[1] + (j if pa[1] > 1 else 0)], vb[(i if pb[0] > 1 else 0) * pb[1] + (j if pb[1] > 1 else 0)])
        for i in range(rows)
        for j in range(cols)
    ]
    return _made((rows, cols)[2 - max(len(sa), len(sb)) :], values)


def _map(a: Array, f: Callable[[float], float]) -> Array:
    _spend(len(a[1]))
    f = _undefined_on_overflow(f)
    return a[0], [f(x) for x in a[1]]


# --------------------------------------------------------------------------------------------
# Along a dimension


def _axis(shape: tuple[int, ...], dim: int) -> int:
    if not -len(shape) <= dim < max(len(shape), 1):
        raise Undefined(f"dim={dim} does not exist for a value of shape {list(shape)}")
    return dim % max(len(shape), 1)


def _slices(a: Array, dim: int | None) -> tuple[list[list[float]], Callable[[list[float], bool], Array]]:
    """The lists a reduction over ``dim`` reduces, and how to assemble one number per list."""
    shape, v = a
    if dim is None or len(shape) < 2:
        if dim is not None:
            _axis(shape, dim)
        return [list(v)], lambda out, keep: (tuple(1 for _ in shape) if keep else (), out)
    axis = _axis(shape, dim)
    rows, cols = shape
    if axis == 1:
        groups = [v[i * cols : (i + 1) * cols] for i in range(rows)]
        return groups, lambda out, keep: ((rows, 1) if keep else (rows,), out)
    groups = [v[j::cols] for j in range(cols)]
    return groups, lambda out, keep: ((1, cols) if keep else (cols,), out)


def _reduce(a: Array, dim: int | None, keepdim: bool, f: Callable[[list[float]], float]) -> Array:
    groups, assemble = _slices(a, dim)
    if any(not g for g in groups):
        raise Undefined("a reduction over no entries")
    f = _undefined_on_overflow(f)
    return assemble([f(g) for g in groups], keepdim)


def _along(a: Array, dim: int, f: Callable[[list[float]], list[float]]) -> Array:
    """``f`` applied to every slice along ``dim``, in place (softmax, log_softmax)."""
    shape, v = a
    axis = _axis(shape, dim)
    if len(shape) < 2:
        return shape, f(list(v))
    rows, cols = shape
    out = list(v)
    if axis == 1:
        for i in range(rows):
            out[i * cols : (i + 1) * cols] = f(v[i * cols : (i + 1) * cols])
    else:
        for j in range(cols):
            out[j::cols] = f(v[j::cols])
    return shape, out


def _softmax(xs: list[float]) -> list[float]:
    top = max(xs)
    if math.isinf(top) or math.isnan(top):
        return [math.nan] * len(xs)
    es = [math.exp(x - top) for x in xs]
    total = sum(es)
    return [e / total for e in es]


def _log_softmax(xs: list[float]) -> list[float]:
    top = max(xs)
    if math.isinf(top) or math.isnan(top):
        return [math.nan] * len(xs)
    lse = top + math.log(sum(math.exp(x - top) for x in xs))
    return [x - lse for x in xs]


def _variance(correction: int) -> Callable[[list[float]], float]:
    def f(xs: list[float]) -> float:
        m = sum(xs) / len(xs)
        return _divide(sum((x - m) ** 2 for x in xs), len(xs) - correction) if len(xs) - correction > 0 else math.nan

    return f


def _norm(p: float) -> Callable[[list[float]], float]:
    return lambda xs: _power(sum(_power(abs(x), p) for x in xs), 1 / p) if p else float(sum(x != 0 for x in xs))


def _first_index(better: Callable[[float, float], bool]) -> Callable[[list[float]], float]:
    def f(xs: list[float]) -> float:
        best = 0
        for i, x in enumerate(xs):
            if math.isnan(x):
                return float(i)
            if better(x, xs[best]):
                best = i
        return float(best)

    return f


# --------------------------------------------------------------------------------------------
# Products, indexing and the losses


def _matmul(a: Array, b: Array) -> Array:
    (sa, va), (sb, vb) = a, b
    if not sa or not sb:
        raise Undefined("@ needs vectors or matrices, not numbers")
    inner_a, inner_b = sa[-1], sb[0]
    if inner_a != inner_b:
        raise Undefined(f"@ of shapes {list(sa)} and {list(sb)}: {inner_a} ≠ {inner_b}")
    rows = sa[0] if len(sa) == 2 else 1
    cols = sb[1] if len(sb) == 2 else 1
    n = inner_a
    _spend(rows * cols * n)
    values = [sum(va[i * n + k] * vb[k * cols + j] for k in range(n)) for i in range(rows) for j in range(cols)]
    shape = ((sa[0],) if len(sa) == 2 else ()) + ((sb[1],) if len(sb) == 2 else ())
    return _made(shape, values)


def _whole(a: Array, what: str) -> list[int]:
    if any(x != int(x) for x in a[1] if math.isfinite(x)) or not all(math.isfinite(x) for x in a[1]):
        raise Undefined(f"{what} must be whole numbers")
    return [int(x) for x in a[1]]


def _index(a: Array, indices: Sequence[Array]) -> Array:
    shape, v = a
    if len(indices) > len(shape):
        raise Undefined(f"{len(indices)} indices for a value of shape {list(shape)}")
    picks = []
    for size, index in zip(shape, indices):
        if index[0]:
            raise Undefined("an index is one whole number")
        (i,) = _whole(index, "an index")
        if not -size <= i < size:
            raise Undefined(f"index {i} is out of range for a dimension of size {size}")
        picks.append(i % size)
    if len(shape) == 1:
        return (), [v[picks[0]]]
    if len(picks) == 2:
        return (), [v[picks[0] * shape[1] + picks[1]]]
    return (shape[1],), v[picks[0] * shape[1] : (picks[0] + 1) * shape[1]]


def _one_hot(index: Array, classes: Array) -> Array:
    if classes[0]:
        raise Undefined("one_hot's number of classes is one whole number, not a vector or a matrix")
    (c,) = _whole(classes, "the number of classes")
    picks = _whole(index, "one_hot's indices")
    if len(index[0]) > 1:  # values have two dimensions at most, as the faces show them
        raise Undefined("one_hot takes a number or a vector of indices (of a matrix it would have 3 dimensions)")
    if c < 1 or any(not 0 <= i < c for i in picks):
        raise Undefined("one_hot's index is out of range")
    _room(len(picks) * c)
    return _made((*index[0], c), [float(i == k) for i in picks for k in range(c)])


def _cross_entropy(logits: Array, target: Array, smoothing: float) -> Array:
    if not 0 <= smoothing <= 1:  # as torch refuses it
        raise Undefined(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, not {smoothing:g}")
    shape = logits[0]
    if not 1 <= len(shape) <= 2:
        raise Undefined("cross_entropy takes a vector or a matrix of logits")
    classes = shape[-1]
    rows = [logits[1]] if len(shape) == 1 else [logits[1][i * classes : (i + 1) * classes] for i in range(shape[0])]
    if target[0] == shape:
        targets = [target[1][i * classes : (i + 1) * classes] for i in range(len(rows))]
    elif target[0] == shape[:-1]:
        picks = _whole(target, "class indices")
        if any(not 0 <= i < classes for i in picks):
            raise Undefined("a class index is out of range")
        targets = [[float(i == k) for k in range(classes)] for i in picks]
    else:
        raise Undefined(f"cross_entropy's target of shape {list(target[0])} fits logits of shape {list(shape)} neither as indices nor as probabilities")
    losses = [
        -sum(((1 - smoothing) * q + smoothing / classes) * lp for q, lp in zip(t, _log_softmax(row)))
        for row, t in zip(rows, targets)
    ]
    return (), [sum(losses) / len(losses)]


def _kl_div(inp: Array, target: Array) -> Array:
    terms = _broadcast(inp, target, lambda x, t: (0.0 if t == 0 else t * (_log(t) - x)) if t >= 0 else math.nan)
    return (), [sum(terms[1])]


def _bce(p: Array, y: Array) -> Array:
    for what, a in (("input", p), ("target", y)):  # as torch refuses them
        if not all(0 <= v <= 1 for v in a[1]):
            raise Undefined(f"binary_cross_entropy: every entry of its {what} must be between 0 and 1")
    terms = _broadcast(p, y, lambda q, t: -(t * max(_log(q), -100.0) + (1 - t) * max(_log(1 - q), -100.0)))
    return (), [sum(terms[1]) / len(terms[1])]


# --------------------------------------------------------------------------------------------
# The tree


def evaluate(node: Node, env: dict[str, Array]) -> Array:
    """The value of an authored expression, the inputs given as Arrays in ``env``."""
    op = node[0]
    if op == "num":
        return (), [float(node[1])]
    if op == "sym":
        return env[node[1]]
    if op == "const":
        return (), [CONSTANTS[node[1]]]
    if op == "neg":
        return _map(evaluate(node[1], env), lambda x: -x)
    if op in _BINARY:
        return _broadcast(evaluate(node[1], env), evaluate(node[2], env), _BINARY[op])
    if op == "cmp":
        return _broadcast(evaluate(node[2], env), evaluate(node[3], env), _BINARY[node[1]])
    if op == "matmul":
        return _matmul(evaluate(node[1], env), evaluate(node[2], env))
    if op == "T":
        shape, v = evaluate(node[1], env)
        if len(shape) < 2:
            return shape, v
        return (shape[1], shape[0]), [v[i * shape[1] + j] for j in range(shape[1]) for i in range(shape[0])]
    if op == "index":
        return _index(evaluate(node[1], env), [evaluate(i, env) for i in node[2]])
    if op == "call":
        return _map(evaluate(node[2], env), _UNARY[node[1]])
    return _function(node[1], [evaluate(a, env) for a in node[2]], dict(node[3]))


_REDUCTIONS: dict[str, Callable[[list[float]], float]] = {
    "sum": _fsum,
    "mean": lambda xs: _fsum(xs) / len(xs),
    "prod": _undefined_on_overflow(math.prod),
    "logsumexp": _logsumexp,
    # NaN wins, as in torch (Python's max and min pass over a NaN that is not first).
    "max": lambda xs: math.nan if any(x != x for x in xs) else max(xs),
    "min": lambda xs: math.nan if any(x != x for x in xs) else min(xs),
    "argmax": _first_index(lambda a, b: a > b),
    "argmin": _first_index(lambda a, b: a < b),
}
"""The reductions over a list of entries, by name (``_reduce`` applies one along ``dim``)."""


def _function(name: str, args: list[Array], kw: dict[str, Any]) -> Array:
    if name in _UNARY:
        return _map(args[0], _UNARY[name])
    x = args[0]
    dim, keep = kw.get("dim"), bool(kw.get("keepdim", False))
    if name in _REDUCTIONS:
        return _reduce(x, dim, keep, _REDUCTIONS[name])
    if name in ("var", "std"):
        f = _variance(int(kw["correction"]))
        return _reduce(x, dim, keep, f if name == "var" else lambda xs: math.sqrt(f(xs)))
    if name == "norm":
        return _reduce(x, dim, keep, _norm(float(kw.get("p", 2))))
    if name in ("softmax", "log_softmax"):
        return _along(x, int(kw.get("dim", -1)), _softmax if name == "softmax" else _log_softmax)
    if name == "clamp":
        lo, hi = kw.get("min"), kw.get("max")
        return _map(x, lambda v: min(max(v, lo) if lo is not None else v, hi) if hi is not None else (max(v, lo) if lo is not None else v))
    if name in ("all", "any"):
        return (), [float((all if name == "all" else any)(v != 0 for v in x[1]))]
    y = args[1]
    if name in ("maximum", "minimum"):  # NaN wins, as in torch
        pick = max if name == "maximum" else min
        return _broadcast(x, y, lambda a, b: math.nan if math.isnan(a) or math.isnan(b) else pick(a, b))
    if name in ("dot", "outer"):
        if len(x[0]) != 1 or len(y[0]) != 1 or (name == "dot" and x[0] != y[0]):
            raise Undefined(f"{name} takes two vectors{' of one length' if name == 'dot' else ''}")
        if name == "dot":
            _spend(len(x[1]))
            return (), [_fsum(a * b for a, b in zip(x[1], y[1]))]
        _room(x[0][0] * y[0][0])
        return _made((x[0][0], y[0][0]), [a * b for a in x[1] for b in y[1]])
    if name == "cosine":
        eps = float(kw.get("eps", 1e-8))
        if eps < 0:  # as torch refuses it
            raise Undefined(f"cosine: eps must be non-negative, not {eps:g}")
        d = int(kw.get("dim", -1))
        products = _reduce(_broadcast(x, y, lambda a, b: a * b), d, False, _fsum)
        nx = _map(_reduce(_broadcast(x, y, lambda a, b: a * a), d, False, _fsum), lambda s: max(math.sqrt(s), eps))
        ny = _map(_reduce(_broadcast(x, y, lambda a, b: b * b), d, False, _fsum), lambda s: max(math.sqrt(s), eps))
        return _broadcast(products, _broadcast(nx, ny, lambda a, b: a * b), _divide)
    if name == "one_hot":
        return _one_hot(x, y)
    if name == "cross_entropy":
        return _cross_entropy(x, y, float(kw.get("label_smoothing", 0.0)))
    if name == "kl_div":
        return _kl_div(x, y)
    if name == "mse_loss":
        squares = _broadcast(x, y, lambda a, b: (a - b) ** 2)
        return (), [_fsum(squares[1]) / len(squares[1])]
    if name == "binary_cross_entropy":
        return _bce(x, y)
    raise Undefined(f"no function {name}")
