"""Generator for the output sizes of convolution and pooling layers (PyTorch's conventions).

A layer slides a window of ``kernel`` taps, ``dilation`` apart (so it spans ``d(k − 1) + 1``
positions), over the input padded with ``padding`` zeros at each end, moving ``stride`` positions
at a time. Every question is about the last (spatial) dimensions of an input of shape
``(N, C_in, L)`` (``(N, C_in, H, W)`` for conv2d).

Questions (``ask``):

- ``conv1d``: the output length of ``nn.Conv1d``; inputs ``{"ask", "batch", "channels",
  "out_channels", "length", "kernel", "stride", "padding", "dilation"}``.
- ``conv2d``: the output shape of ``nn.Conv2d`` with a square kernel and the same stride, padding
  and dilation in both dimensions; inputs as for conv1d with ``height`` and ``width`` in place of
  ``length`` (sides of at most ``IMAGE_SIDE``, kernels of at most ``IMAGE_KERNEL``).
- ``maxpool``: the output length of ``nn.MaxPool1d``; inputs ``{"ask", "batch", "channels",
  "length", "kernel", "stride", "stride_given", "padding", "ceil_mode"}``. When ``stride_given``
  is false the code leaves the stride out and torch's default (``kernel_size``) applies; ``stride``
  then holds the kernel size.
- ``transposed``: the output length of ``nn.ConvTranspose1d``; inputs ``{"ask", "batch",
  "channels", "out_channels", "length", "kernel", "stride", "padding", "output_padding",
  "dilation"}``.
- ``same-padding``: the padding that keeps the length of a stride-1 ``nn.Conv1d`` with an odd
  kernel; inputs ``{"ask", "length", "kernel", "dilation"}``.

Draws are legal for torch, so no answer is an error: the input (padded) is at least as long as
the window, max pooling pads at most half its kernel, output_padding is below the larger of stride
and dilation, and a transposed convolution's padding leaves at least one output position.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.errors import GenerationError
from quizgen.core.params import Choice, IntRange, ParamSpec, draw_choice, draw_int, redraw

VERSION = 1


def version(params: dict[str, Any]) -> int:
    """The version of a template's drawing (the ``vN`` of its ids): 3 where it may draw max
    pooling with ceil_mode=True, which since 2 keeps a partial last window wherever the lengths
    allow (ceil then differs from floor), and since 3 draws, in half the variants with a given
    stride, a stride longer than the window and a last window that would start past the input
    and is dropped (the rule the prompt states); 1 for the rest, whose ids are unchanged."""
    return 3 if "maxpool" in params["ask"] and "true" in params["ceil_mode"] else VERSION

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("conv1d", "conv2d", "maxpool", "transposed", "same-padding")
# conv2d's answer is computed on a real image, so its sides and kernel are clamped into these
# bounds whatever the ranges ask for (a 4096 × 4096 image with a 64 × 64 kernel takes minutes).
IMAGE_SIDE, IMAGE_KERNEL = 256, 11

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=("conv1d",),
        doc="What to ask for: the output length of nn.Conv1d, the output shape of nn.Conv2d, the "
        "output length of nn.MaxPool1d or nn.ConvTranspose1d, or the padding that keeps the "
        "length of a stride-1 convolution (same-padding).",
    ),
    "length": IntRange(default=(8, 64), doc=f"Input length L (each of H and W for conv2d, at most {IMAGE_SIDE}).", minimum=1, maximum=4096),
    "kernel": IntRange(
        default=(2, 7),
        doc=f"kernel_size k; only kernels that fit the padded input are drawn, odd ones for same-padding, at most {IMAGE_KERNEL} for conv2d.",
        minimum=1,
        maximum=64,
    ),
    "stride": IntRange(default=(1, 3), doc="stride s (not for same-padding, whose stride is 1).", minimum=1, maximum=16),
    "padding": IntRange(
        default=(0, 3),
        doc="padding p, added at both ends (at most kernel_size / 2 for max pooling; for a transposed "
        "convolution at most what leaves one output position).",
        minimum=0,
        maximum=64,
    ),
    "dilation": IntRange(default=(1, 1), doc="dilation d, the spacing of the kernel's taps (not for maxpool).", minimum=1, maximum=8),
    "output_padding": IntRange(
        default=(0, 0),
        doc="For transposed: output_padding, kept below max(stride, dilation) as torch requires.",
        minimum=0,
        maximum=15,
    ),
    "ceil_mode": Choice(options=("false", "true"), default=("false",), doc="For maxpool: ceil_mode=False or ceil_mode=True."),
    "pool_stride": Choice(
        options=("given", "default"),
        default=("given", "default"),
        doc="For maxpool: the stride written out, or left out so that it defaults to kernel_size.",
    ),
    "batch": IntRange(default=(1, 16), doc="Batch size N.", minimum=1, maximum=1024),
    "channels": IntRange(default=(1, 64), doc="Input channels C_in.", minimum=1, maximum=4096),
    "out_channels": IntRange(default=(4, 128), doc="Output channels C_out (another count than C_in when the range allows).", minimum=1, maximum=4096),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems = []
    if "same-padding" in params["ask"] and not any(k % 2 for k in range(params["kernel"][0], params["kernel"][1] + 1)):
        problems.append(("kernel", "an odd kernel size for ask same-padding", str(list(params["kernel"]))))
    return problems


def _clamp(bounds: tuple[int, int], most: int) -> tuple[int, int]:
    return min(bounds[0], most), min(bounds[1], most)


def _span(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1) + 1


def _pick(rng: random.Random, options: list[int], what: str) -> int:
    if not options:
        raise GenerationError(f"Expected {what}")
    return options[rng.randrange(len(options))]


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``).

    >>> from quizgen.core.params import resolve
    >>> inputs = draw(resolve(PARAMS, {"ask": "same-padding", "kernel": 5, "dilation": 2}), random.Random(0))
    >>> inputs["kernel"], inputs["dilation"]
    (5, 2)
    """
    ask = draw_choice(rng, params["ask"])
    (n_lo, n_hi), (k_lo, k_hi), (p_lo, p_hi) = params["length"], params["kernel"], params["padding"]
    if ask == "conv2d":
        (n_lo, n_hi), (k_lo, k_hi) = _clamp((n_lo, n_hi), IMAGE_SIDE), _clamp((k_lo, k_hi), IMAGE_KERNEL)
    if ask == "same-padding":
        kernel = _pick(rng, [k for k in range(k_lo, k_hi + 1) if k % 2], f"an odd kernel size, but got kernel={[k_lo, k_hi]}")
        return {"ask": ask, "length": draw_int(rng, params["length"]), "kernel": kernel, "dilation": draw_int(rng, params["dilation"])}
    inputs: dict[str, Any] = {"ask": ask, "batch": draw_int(rng, params["batch"]), "channels": draw_int(rng, params["channels"])}
    if ask != "maxpool":
        inputs["out_channels"] = _out_channels(rng, params["out_channels"], inputs["channels"])
    if ask == "transposed":
        return _transposed(params, rng, inputs)
    dilation = 1 if ask == "maxpool" else draw_int(rng, params["dilation"])

    def padding_for(k: int) -> int:
        return min(p_hi, k // 2) if ask == "maxpool" else p_hi  # torch pools pad at most kernel_size / 2

    # Kernels whose window fits the longest padded input the ranges allow.
    kernels = [k for k in range(k_lo, k_hi + 1) if padding_for(k) >= p_lo and _span(k, dilation) <= n_hi + 2 * padding_for(k)]
    kernel = _pick(rng, kernels, f"a kernel whose window d(k - 1) + 1 fits the padded input, but got kernel={[k_lo, k_hi]}, "
                   f"length={[n_lo, n_hi]}, padding={[p_lo, p_hi]}, dilation={dilation}; widen length or padding")
    span = _span(kernel, dilation)
    padding = draw_int(rng, (p_lo, padding_for(kernel)))
    padding = max(padding, -(-(span - n_hi) // 2))  # enough padding for the window to fit
    low = max(n_lo, span - 2 * padding)
    if ask == "conv2d":
        inputs.update(height=draw_int(rng, (low, n_hi)), width=draw_int(rng, (low, n_hi)))
    else:
        inputs["length"] = draw_int(rng, (low, n_hi))
    inputs.update(kernel=kernel, stride=draw_int(rng, params["stride"]), padding=padding)
    if ask == "maxpool":
        given = draw_choice(rng, params["pool_stride"]) == "given"
        inputs.update(stride=inputs["stride"] if given else kernel, stride_given=given)
        inputs["ceil_mode"] = draw_choice(rng, params["ceil_mode"]) == "true"
        k, s, p = kernel, inputs["stride"], padding

        def rounds_up(n: int) -> bool:
            """Whether ceil_mode=True keeps one more window than floor: a partial one, starting
            inside the input or the left padding (torch drops one that starts further right)."""
            return (n + 2 * p - k) % s != 0 and (n + 2 * p - k) // s * s + s < n + p

        def dropped(n: int) -> bool:
            """Whether ceil would count a last window that starts past the input and the right
            padding's start, which torch drops: the rule the prompt states decides the key."""
            return (n + 2 * p - k) % s != 0 and -(-(n + 2 * p - k) // s) * s >= n + p

        if inputs["ceil_mode"]:
            # Half the variants with a given stride take one longer than the window, where a last
            # window can start past the input and be dropped, and draw such a length: the rule
            # the prompt states then decides the key. Otherwise, where ceil equals floor,
            # rounding down (the mistake ceil_mode=True is about) would give the key: another
            # length, where the last window is partial and kept.
            late = given and k < params["stride"][1] and rng.random() < 1 / 2
            if late:
                s = inputs["stride"] = rng.randint(max(k + 1, params["stride"][0]), params["stride"][1])
            partial = [n for n in range(low, n_hi + 1) if rounds_up(n)]
            drops = [n for n in range(low, n_hi + 1) if dropped(n)]
            pool = drops if drops and (late or not partial) else partial
            if pool and inputs["length"] not in pool:
                inputs["length"] = pool[rng.randrange(len(pool))]
    else:
        inputs["dilation"] = dilation
    return inputs


def _out_channels(rng: random.Random, bounds: tuple[int, int], channels: int) -> int:
    """C_out, another count than C_in when the range holds one (so the two cannot be mixed up unseen)."""
    lo, hi = bounds
    if not lo <= channels <= hi:
        return rng.randint(lo, hi)
    if lo == hi:
        return channels
    drawn = rng.randint(lo, hi - 1)
    return drawn + (drawn >= channels)


def _transposed(params: dict[str, Any], rng: random.Random, inputs: dict[str, Any]) -> dict[str, Any]:
    def attempt() -> dict[str, Any] | None:
        length, kernel, stride, dilation = (draw_int(rng, params[k]) for k in ("length", "kernel", "stride", "dilation"))
        lo, hi = params["output_padding"]
        most = max(stride, dilation) - 1  # torch: output_padding < max(stride, dilation)
        output_padding = draw_int(rng, (min(lo, most), min(hi, most)))
        # At least one output position: 2p <= (L - 1)s + d(k - 1) + output_padding.
        room = ((length - 1) * stride + dilation * (kernel - 1) + output_padding) // 2
        p_lo, p_hi = params["padding"]
        padding = draw_int(rng, (min(p_lo, room), min(p_hi, room)))
        # The length is L·s plus the overhang d(k - 1) + 1 - s - 2p + output_padding. Where the
        # overhang is exactly what leaving out output_padding or the dilation takes away, the
        # answer n·s of those slips would coincide with that of forgetting the overhang.
        overhang = dilation * (kernel - 1) + 1 - stride - 2 * padding + output_padding
        if (output_padding and overhang == output_padding) or (dilation > 1 and overhang == (dilation - 1) * (kernel - 1)):
            return None
        return {**inputs, "length": length, "kernel": kernel, "stride": stride, "padding": padding,
                "output_padding": output_padding, "dilation": dilation}

    return redraw(attempt, f"ask transposed with kernel={list(params['kernel'])}, stride={list(params['stride'])}, "
                  f"padding={list(params['padding'])}: widen the kernel or padding range")


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as a learner reads them: the PyTorch code, every argument written out.

    >>> print(describe({"ask": "same-padding", "length": 32, "kernel": 5, "dilation": 2}))
    x has shape (N, C_in, L) with L = 32
    conv = nn.Conv1d(C_in, C_out, kernel_size=5, stride=1, padding=p, dilation=2)
    """
    ask = inputs["ask"]
    if ask == "same-padding":
        return (f"x has shape (N, C_in, L) with L = {inputs['length']}\n"
                f"conv = nn.Conv1d(C_in, C_out, kernel_size={inputs['kernel']}, stride=1, padding=p, dilation={inputs['dilation']})")
    b, c = inputs["batch"], inputs["channels"]
    if ask == "conv2d":
        head = f"x = torch.randn({b}, {c}, {inputs['height']}, {inputs['width']})   # (N, C_in, H, W)"
    else:
        head = f"x = torch.randn({b}, {c}, {inputs['length']})   # (N, C_in, L)"
    k, s, p = inputs["kernel"], inputs["stride"], inputs["padding"]
    if ask == "maxpool":
        stride = f"stride={s}, " if inputs["stride_given"] else ""
        layer = f"pool = nn.MaxPool1d(kernel_size={k}, {stride}padding={p}, ceil_mode={inputs['ceil_mode']})"
        return f"{head}\n{layer}\ny = pool(x)"
    args = f"{c}, {inputs['out_channels']}, kernel_size={k}, stride={s}, padding={p}"
    if ask == "transposed":
        args += f", output_padding={inputs['output_padding']}"
    module = {"conv1d": "Conv1d", "conv2d": "Conv2d", "transposed": "ConvTranspose1d"}[ask]
    return f"{head}\nlayer = nn.{module}({args}, dilation={inputs['dilation']})\ny = layer(x)"


def expected(inputs: dict[str, Any]) -> Answer:
    """A shape for conv2d, else a whole number (a length or a padding)."""
    if inputs["ask"] == "conv2d":
        return Answer("shape", [])
    return Answer("number", 0.0, whole=True)
