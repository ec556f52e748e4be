"""Checker for the output sizes of convolution and pooling layers.

Source: the PyTorch documentation of torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.MaxPool1d and
torch.nn.ConvTranspose1d. A window of k taps, d apart, spans d(k − 1) + 1 positions; over an input
of length n padded with p zeros at each end and moved s positions at a time it fits at
``L_out = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1`` positions (rounded up with ``ceil_mode=True``,
where a last window that would start in the right padding is dropped). A transposed convolution
runs this backwards: ``L_out = (n − 1)s − 2p + d(k − 1) + output_padding + 1``.

Every key is the size torch itself gives: the layer's functional form (``F.conv1d``,
``F.conv2d``, ``F.max_pool1d``, ``F.conv_transpose1d``) run on a real float64 input of one example
and one channel (meta tensors would give the sizes without data, but torch computes a convolution's
meta sizes in Python code that imports its symbolic shapes and sympy, a few tenths of a second per
process). The batch and the output channels do not depend on the window: the layer keeps N and
makes one channel per filter, so conv2d's shape takes them from the inputs. The named mistakes are a learner's arithmetic, each listed when it gives a length
(0 or more) other than the key. With ``ceil_mode=True`` rounding down and leaving out the + 1 give
the same length whenever the division is not exact (⌊x⌋ + 1 = ⌈x⌉): the problem then names the
rounding, the subject of the question, and names the missing + 1 only where it differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Misconception, Solution, Step

_DILATION = (
    "dilation-forgotten",
    "Used the kernel size k as the window's span; with dilation d the taps are d apart, so the "
    "window spans d(k − 1) + 1 positions.",
)
_ONE_SIDE = ("padding-one-side", "Counted the padding once; padding=p adds p zeros at each end, 2p in all.")
_PLUS_ONE = (
    "plus-one-forgotten",
    "Left out the + 1: the first window already fits at position 0, and each stride adds one more, "
    "so there is one more output than strides.",
)
_CEIL = (
    "ceil-instead-of-floor",
    "Rounded the division up; a window that would run past the padded input is dropped, so "
    "PyTorch rounds down (ceil_mode=False, and always for a convolution).",
)
_FLOOR = ("floor-instead-of-ceil", "Rounded the division down; with ceil_mode=True a last, partial window is kept, so it rounds up.")
_LAST_WINDOW = (
    "last-window-kept",
    "Kept a last window that would start past the end of the input (in the right padding, if any); "
    "with ceil_mode=True PyTorch keeps a "
    "partial window only when it starts inside the input or the left padding.",
)
_DEFAULT_STRIDE = (
    "default-stride-one",
    "Took the stride to be 1 when it is left out; nn.MaxPool1d's stride defaults to kernel_size, "
    "so its windows do not overlap.",
)
_IN_CHANNELS = ("in-channels-kept", "Kept the input's channel count; the layer has out_channels filters, one output channel each.")
_CONV_FORMULA = (
    "conv-formula",
    "Used the convolution's formula; a transposed convolution runs it backwards, "
    "(n − 1)s − 2p + d(k − 1) + output_padding + 1.",
)
_PADDING_ADDED = ("padding-added", "Added the padding; in a transposed convolution padding=p removes p positions from each end of the output.")
_OUTPUT_PADDING = ("output-padding-forgotten", "Left out output_padding, the positions added at one end of the output.")
_TIMES_STRIDE = (
    "times-stride",
    "Took n · s, the stride's upsampling alone; the kernel's overhang d(k − 1) + 1 − s and the "
    "padding change the length too.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one convolution or pooling size problem.

    Example:
        >>> solve({"ask": "conv1d", "batch": 2, "channels": 3, "out_channels": 8, "length": 32,
        ...        "kernel": 5, "stride": 2, "padding": 1, "dilation": 1}).value
        15.0
        >>> solve({"ask": "conv2d", "batch": 2, "channels": 3, "out_channels": 8, "height": 32,
        ...        "width": 20, "kernel": 3, "stride": 1, "padding": 1, "dilation": 2}).value
        [2, 8, 30, 18]
        >>> solve({"ask": "same-padding", "length": 32, "kernel": 5, "dilation": 2}).value
        4.0
    """
    ask = inputs["ask"]
    if ask == "conv2d":
        return _solve_conv2d(inputs)
    if ask == "maxpool":
        return _solve_pool(inputs)
    if ask == "transposed":
        return _solve_transposed(inputs)
    if ask == "same-padding":
        return _solve_same(inputs)
    return _solve_conv1d(inputs)  # ask == "conv1d" (the registry refused any other)


def _x(*sizes: int) -> torch.Tensor:
    return torch.zeros(*sizes, dtype=torch.float64)


def _floor_steps(n: int, k: int, s: int, p: int, d: int, key: int, name: str = "L") -> list[Step]:
    span = d * (k - 1) + 1
    return [
        Step(f"padded {name}: n + 2p = {n} + 2·{p}", n + 2 * p),
        Step(f"window span d(k − 1) + 1 = {d}·{k - 1} + 1", span),
        Step(f"room to move: n + 2p − d(k − 1) − 1 = {n + 2 * p} − {span}", n + 2 * p - span),
        Step(f"{name}_out = ⌊{n + 2 * p - span} / {s}⌋ + 1", key),
    ]


def _conv_slips(n: int, k: int, s: int, p: int, d: int) -> list[tuple[tuple[str, str], int]]:
    """The length each conv slip gives for one dimension (those that apply to these arguments)."""
    room = n + 2 * p - d * (k - 1) - 1
    out = []
    if d > 1:
        out.append((_DILATION, (n + 2 * p - k) // s + 1))
    if p > 0:
        out.append((_ONE_SIDE, (room - p) // s + 1))
    if s > 1:
        out.append((_CEIL, -(-room // s) + 1))
    out.append((_PLUS_ONE, room // s))
    return out


def _listed(slips: list[tuple[tuple[str, str], Any]], key: Any, valid: Any) -> tuple[Misconception, ...]:
    return tuple(Misconception(*named, value) for named, value in slips if value != key and valid(value))


def _solve_conv1d(inputs: Mapping[str, Any]) -> Solution:
    n, k, s, p, d = (int(inputs[f]) for f in ("length", "kernel", "stride", "padding", "dilation"))
    key = int(F.conv1d(_x(1, 1, n), _x(1, 1, k), stride=s, padding=p, dilation=d).shape[-1])
    slips = [(named, float(v)) for named, v in _conv_slips(n, k, s, p, d)]
    return Solution(float(key), tuple(_floor_steps(n, k, s, p, d, key)), _listed(slips, float(key), lambda v: v >= 0))


def _solve_conv2d(inputs: Mapping[str, Any]) -> Solution:
    b, c, o, h, w, k, s, p, d = (
        int(inputs[f]) for f in ("batch", "channels", "out_channels", "height", "width", "kernel", "stride", "padding", "dilation")
    )
    y = F.conv2d(_x(1, 1, h, w), _x(1, 1, k, k), stride=s, padding=p, dilation=d)
    key = [b, o, int(y.shape[2]), int(y.shape[3])]
    # W's steps but its window span, which is H's (the kernel is square): its room to move stays.
    w_steps = _floor_steps(w, k, s, p, d, key[3], "W")
    steps = [*_floor_steps(h, k, s, p, d, key[2], "H"), w_steps[0], *w_steps[2:]]
    steps.append(Step("output (N, C_out, H_out, W_out)", key, shape=[4]))
    slips: list[tuple[tuple[str, str], Any]] = [
        (hs[0], [b, o, hs[1], ws[1]]) for hs, ws in zip(_conv_slips(h, k, s, p, d), _conv_slips(w, k, s, p, d))
    ]
    if c != o:
        slips.append((_IN_CHANNELS, [b, c, key[2], key[3]]))
    return Solution(key, tuple(steps), _listed(slips, key, lambda v: min(v) >= 0))


def _solve_pool(inputs: Mapping[str, Any]) -> Solution:
    n, k, s, p = (int(inputs[f]) for f in ("length", "kernel", "stride", "padding"))
    given, ceil = bool(inputs["stride_given"]), bool(inputs["ceil_mode"])
    key = int(F.max_pool1d(_x(1, 1, n), k, stride=s if given else None, padding=p, ceil_mode=ceil).shape[-1])
    room = n + 2 * p - k
    steps = [
        Step("stride" + ("" if given else " (left out: it defaults to kernel_size)"), s),
        Step(f"room to move: n + 2p − k = {n} + 2·{p} − {k}", room),
    ]
    rounded = -(-room // s) if ceil else room // s
    steps.append(Step(f"L_out = {'⌈' if ceil else '⌊'}{room} / {s}{'⌉' if ceil else '⌋'} + 1", rounded + 1))
    if ceil and rounded * s >= n + p:
        start = rounded * s - p  # where the last window would start, counted in the input from 0
        where = "in the right padding" if p else f"past the input's last position {n - 1}"
        steps.append(Step(f"the last window would start at {start}, {where}: dropped", key))

    def one_side(padding_counted: int) -> int:
        r = n + padding_counted - k
        return (-(-r // s) if ceil else r // s) + 1

    slips: list[tuple[tuple[str, str], float]] = []
    if not given:
        slips.append((_DEFAULT_STRIDE, float(room + 1)))
    if p > 0:
        slips.append((_ONE_SIDE, float(one_side(p))))
    if ceil:
        slips += [(_FLOOR, float(room // s + 1)), (_LAST_WINDOW, float(rounded + 1))]
    elif s > 1:
        slips.append((_CEIL, float(-(-room // s) + 1)))
    if not ceil or key - 1 != room // s + 1:  # with ceil_mode=True, rounding down is the one named
        slips.append((_PLUS_ONE, float(key - 1)))
    return Solution(float(key), tuple(steps), _listed(slips, float(key), lambda v: v >= 0))


def _solve_transposed(inputs: Mapping[str, Any]) -> Solution:
    n, k, s, p, op, d = (int(inputs[f]) for f in ("length", "kernel", "stride", "padding", "output_padding", "dilation"))
    y = F.conv_transpose1d(_x(1, 1, n), _x(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d)
    key = int(y.shape[-1])
    steps = (
        Step(f"(n − 1)s = {n - 1}·{s}", (n - 1) * s),
        Step(f"padding taken off both ends: 2p = 2·{p}", 2 * p),
        Step(f"the window's overhang: d(k − 1) = {d}·{k - 1}", d * (k - 1)),
        Step(f"L_out = (n − 1)s − 2p + d(k − 1) + output_padding + 1, output_padding = {op}", key),
    )
    slips: list[tuple[tuple[str, str], float]] = [(_CONV_FORMULA, float((n + 2 * p - d * (k - 1) - 1) // s + 1))]
    if p > 0:
        slips.append((_PADDING_ADDED, float(key + 4 * p)))
    if op > 0:
        slips.append((_OUTPUT_PADDING, float(key - op)))
    if d > 1:
        slips.append((_DILATION, float(key - (d - 1) * (k - 1))))
    slips.append((_TIMES_STRIDE, float(n * s)))
    return Solution(float(key), steps, _listed(slips, float(key), lambda v: v >= 0))


def _solve_same(inputs: Mapping[str, Any]) -> Solution:
    n, k, d = (int(inputs[f]) for f in ("length", "kernel", "dilation"))
    # The padding torch needs: the least whose stride-1 output is as long as the input (the
    # output grows with the padding), searched by halving from the least padding that lets the
    # window fit (torch refuses a window longer than the input) to d(k − 1).
    lo, hi = max(0, -(-(d * (k - 1) + 1 - n) // 2)), d * (k - 1)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if F.conv1d(_x(1, 1, n), _x(1, 1, k), padding=mid, dilation=d).shape[-1] >= n else (mid + 1, hi)
    key = lo
    steps = (
        Step(f"stride 1: L_out = n + 2p − d(k − 1) = n needs 2p = d(k − 1) = {d}·{k - 1}", d * (k - 1)),
        Step("p = d(k − 1) / 2", key),
    )
    slips = [(_ONE_SIDE, float(d * (k - 1)))]
    if d > 1:
        slips.append((_DILATION, float((k - 1) // 2)))
    return Solution(float(key), steps, _listed(slips, float(key), lambda v: v >= 0))
