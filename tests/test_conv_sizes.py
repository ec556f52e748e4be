"""Tests of the conv-sizes family: the output sizes of convolution and pooling layers, against the
closed forms of the PyTorch documentation written out in plain Python, and against real modules."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import torch
from conftest import solved_variants, solver

from quizgen import generators
from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.generators import conv_sizes

solve = solver("conv-sizes")


# ---------------------------------------------------------------- independent reference


def _conv_length(n: int, k: int, s: int, p: int, d: int) -> int:
    """torch.nn.Conv1d's documented L_out = floor((L_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1)."""
    return math.floor((n + 2 * p - d * (k - 1) - 1) / s + 1)


def _pool_length(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """torch.nn.MaxPool1d's documented L_out, with its note on ceil_mode: a window that would start
    in the right padding is left out."""
    if not ceil_mode:
        return math.floor((n + 2 * p - (k - 1) - 1) / s + 1)
    out = math.ceil((n + 2 * p - (k - 1) - 1) / s) + 1
    return out - 1 if (out - 1) * s >= n + p else out


def reference(inputs: dict[str, Any]) -> Any:
    """The answer from the formulas of the PyTorch documentation (no torch)."""
    ask = inputs["ask"]
    if ask == "same-padding":
        return inputs["dilation"] * (inputs["kernel"] - 1) // 2
    if ask == "transposed":
        n, k, s, p, op, d = (inputs[f] for f in ("length", "kernel", "stride", "padding", "output_padding", "dilation"))
        return (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if ask == "maxpool":
        return _pool_length(inputs["length"], inputs["kernel"], inputs["stride"], inputs["padding"], inputs["ceil_mode"])
    k, s, p, d = inputs["kernel"], inputs["stride"], inputs["padding"], inputs["dilation"]
    if ask == "conv2d":
        return [inputs["batch"], inputs["out_channels"], _conv_length(inputs["height"], k, s, p, d), _conv_length(inputs["width"], k, s, p, d)]
    return _conv_length(inputs["length"], k, s, p, d)


def _conv_slips(n: int, k: int, s: int, p: int, d: int) -> dict[str, int]:
    """Each conv slip, the way a learner makes it, where it applies."""
    out = {"plus-one-forgotten": _conv_length(n, k, s, p, d) - 1}
    if d > 1:
        out["dilation-forgotten"] = _conv_length(n, k, s, p, 1)  # the window taken as k positions
    if p > 0:
        out["padding-one-side"] = math.floor((n + p - d * (k - 1) - 1) / s + 1)
    if s > 1:
        out["ceil-instead-of-floor"] = math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1
    return out


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake recomputed from its description."""
    ask = inputs["ask"]
    if ask == "same-padding":
        d, k = inputs["dilation"], inputs["kernel"]
        return {"padding-one-side": d * (k - 1), "dilation-forgotten": (k - 1) // 2}
    if ask == "transposed":
        n, k, s, p, d = (inputs[f] for f in ("length", "kernel", "stride", "padding", "dilation"))
        key = reference(inputs)
        return {
            "conv-formula": _conv_length(n, k, s, p, d),
            "padding-added": (n - 1) * s + 2 * p + d * (k - 1) + inputs["output_padding"] + 1,
            "output-padding-forgotten": key - inputs["output_padding"],
            "dilation-forgotten": (n - 1) * s - 2 * p + (k - 1) + inputs["output_padding"] + 1,
            "times-stride": n * s,
        }
    if ask == "maxpool":
        n, k, s, p, ceil = (inputs[f] for f in ("length", "kernel", "stride", "padding", "ceil_mode"))
        rounding = math.ceil if ceil else math.floor
        out = {
            "default-stride-one": n + 2 * p - k + 1,
            "padding-one-side": rounding((n + p - k) / s) + 1,
            "plus-one-forgotten": reference(inputs) - 1,
            "ceil-instead-of-floor": math.ceil((n + 2 * p - k) / s) + 1,
            "floor-instead-of-ceil": math.floor((n + 2 * p - k) / s) + 1,
            "last-window-kept": math.ceil((n + 2 * p - k) / s) + 1,
        }
        return out
    k, s, p, d = inputs["kernel"], inputs["stride"], inputs["padding"], inputs["dilation"]
    if ask == "conv2d":
        b, o = inputs["batch"], inputs["out_channels"]
        hs, ws = _conv_slips(inputs["height"], k, s, p, d), _conv_slips(inputs["width"], k, s, p, d)
        slips: dict[str, Any] = {name: [b, o, hs[name], ws[name]] for name in hs}
        slips["in-channels-kept"] = [b, inputs["channels"], *reference(inputs)[2:]]
        return slips
    return _conv_slips(inputs["length"], k, s, p, d)


# ---------------------------------------------------------------- variants beyond the templates

CONFIGS: dict[str, list[dict[str, Any]]] = {
    "conv1d": [{}, {"stride": [1, 4], "padding": [0, 4], "dilation": [1, 3]}, {"length": [1, 4096], "kernel": [1, 64], "dilation": [1, 8],
               "stride": [1, 16], "padding": [0, 64]}, {"length": 1, "kernel": 1}, {"length": 5, "kernel": 5, "padding": 0}],
    "conv2d": [{}, {"stride": [1, 3], "padding": [0, 3], "dilation": [1, 2]}, {"length": [1, 4096], "kernel": [1, 64], "stride": [1, 16]}],
    "maxpool": [{}, {"ceil_mode": ["false", "true"], "padding": [0, 3], "stride": [1, 5]}, {"ceil_mode": "true", "kernel": [2, 3],
                "stride": [3, 6], "padding": [0, 1], "length": [2, 12]}, {"length": [1, 4096], "kernel": [1, 64], "padding": [0, 64]}],
    "transposed": [{}, {"stride": [1, 4], "padding": [0, 4], "output_padding": [0, 3], "dilation": [1, 3]},
                   {"length": [1, 4096], "kernel": [1, 64], "stride": [1, 16], "padding": [0, 64], "output_padding": [0, 15], "dilation": [1, 8]}],
    "same-padding": [{}, {"kernel": [1, 63], "dilation": [1, 8], "length": [1, 4096]}],
}
N_PER_ASK = 300  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    params = resolve(conv_sizes.PARAMS, {"ask": ask, **configs[seed % len(configs)]})
    return conv_sizes.draw(params, random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in conv_sizes.ASKS for seed in range(N_PER_ASK)]


# ---------------------------------------------------------------- known values

KNOWN = [
    # (inputs, key): degenerate cases first.
    ({"ask": "conv1d", "batch": 1, "channels": 1, "out_channels": 2, "length": 5, "kernel": 5, "stride": 1, "padding": 0, "dilation": 1}, 1),  # kernel = input
    ({"ask": "conv1d", "batch": 1, "channels": 1, "out_channels": 2, "length": 5, "kernel": 3, "stride": 7, "padding": 0, "dilation": 1}, 1),  # stride > input
    ({"ask": "conv1d", "batch": 1, "channels": 1, "out_channels": 2, "length": 1, "kernel": 1, "stride": 1, "padding": 0, "dilation": 1}, 1),
    ({"ask": "conv1d", "batch": 1, "channels": 3, "out_channels": 2, "length": 10, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}, 8),
    ({"ask": "conv1d", "batch": 1, "channels": 3, "out_channels": 2, "length": 10, "kernel": 3, "stride": 1, "padding": 0, "dilation": 2}, 6),
    ({"ask": "conv1d", "batch": 2, "channels": 3, "out_channels": 8, "length": 32, "kernel": 5, "stride": 2, "padding": 1, "dilation": 1}, 15),
    ({"ask": "conv2d", "batch": 2, "channels": 3, "out_channels": 16, "height": 28, "width": 28, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1},
     [2, 16, 28, 28]),
    ({"ask": "conv2d", "batch": 1, "channels": 3, "out_channels": 64, "height": 224, "width": 224, "kernel": 7, "stride": 2, "padding": 3, "dilation": 1},
     [1, 64, 112, 112]),  # ResNet's stem
    ({"ask": "conv2d", "batch": 1, "channels": 1, "out_channels": 1, "height": 4, "width": 9, "kernel": 4, "stride": 5, "padding": 0, "dilation": 1},
     [1, 1, 1, 2]),
    ({"ask": "maxpool", "batch": 1, "channels": 1, "length": 10, "kernel": 2, "stride": 2, "stride_given": False, "padding": 0, "ceil_mode": False}, 5),
    ({"ask": "maxpool", "batch": 1, "channels": 1, "length": 11, "kernel": 2, "stride": 2, "stride_given": True, "padding": 0, "ceil_mode": False}, 5),
    ({"ask": "maxpool", "batch": 1, "channels": 1, "length": 11, "kernel": 2, "stride": 2, "stride_given": True, "padding": 0, "ceil_mode": True}, 6),
    # The last window would start in the right padding: dropped.
    ({"ask": "maxpool", "batch": 1, "channels": 1, "length": 5, "kernel": 2, "stride": 4, "stride_given": True, "padding": 1, "ceil_mode": True}, 2),
    ({"ask": "maxpool", "batch": 1, "channels": 1, "length": 3, "kernel": 3, "stride": 3, "stride_given": False, "padding": 0, "ceil_mode": True}, 1),
    ({"ask": "transposed", "batch": 1, "channels": 4, "out_channels": 2, "length": 8, "kernel": 4, "stride": 2, "padding": 1, "output_padding": 0,
      "dilation": 1}, 16),
    ({"ask": "transposed", "batch": 1, "channels": 4, "out_channels": 2, "length": 7, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1,
      "dilation": 1}, 14),
    ({"ask": "transposed", "batch": 1, "channels": 1, "out_channels": 1, "length": 1, "kernel": 1, "stride": 1, "padding": 0, "output_padding": 0,
      "dilation": 1}, 1),
    ({"ask": "same-padding", "length": 32, "kernel": 3, "dilation": 1}, 1),
    ({"ask": "same-padding", "length": 32, "kernel": 5, "dilation": 2}, 4),
    ({"ask": "same-padding", "length": 2, "kernel": 7, "dilation": 3}, 9),  # far longer window than the input
    ({"ask": "same-padding", "length": 9, "kernel": 1, "dilation": 1}, 0),
]


@pytest.mark.parametrize("inputs, key", KNOWN)
def test_known_values(inputs: dict[str, Any], key: Any) -> None:
    assert solve(inputs).answer.value == key
    assert reference(inputs) == key


# ---------------------------------------------------------------- family-specific checks


def _module(inputs: dict[str, Any]) -> tuple[torch.nn.Module, torch.Tensor]:
    """The real module and a real float64 input for ``inputs`` (channels kept small)."""
    ask, k = inputs["ask"], inputs["kernel"]
    c, o = min(inputs.get("channels", 1), 3), min(inputs.get("out_channels", 1), 3)
    if ask == "conv2d":
        layer: torch.nn.Module = torch.nn.Conv2d(c, o, k, stride=inputs["stride"], padding=inputs["padding"], dilation=inputs["dilation"])
        return layer.double(), torch.randn(1, c, inputs["height"], inputs["width"], dtype=torch.float64)
    x = torch.randn(1, c, inputs["length"], dtype=torch.float64)
    if ask == "maxpool":
        stride = inputs["stride"] if inputs["stride_given"] else None
        return torch.nn.MaxPool1d(k, stride=stride, padding=inputs["padding"], ceil_mode=inputs["ceil_mode"]), x
    if ask == "transposed":
        layer = torch.nn.ConvTranspose1d(c, o, k, stride=inputs["stride"], padding=inputs["padding"],
                                         output_padding=inputs["output_padding"], dilation=inputs["dilation"])
        return layer.double(), x
    return torch.nn.Conv1d(c, o, k, stride=inputs["stride"], padding=inputs["padding"], dilation=inputs["dilation"]).double(), x


def test_keys_are_what_real_modules_give_on_real_tensors() -> None:
    """A second path: the module classes run forward on real float64 data (the checker uses the
    functional forms on one example of one channel)."""
    torch.manual_seed(0)
    sample = [i for i in VARIANTS if i["ask"] != "same-padding" and i.get("length", 0) <= 600 and i.get("height", 0) <= 120 and i.get("width", 0) <= 120]
    assert {i["ask"] for i in sample} == set(conv_sizes.ASKS) - {"same-padding"}
    for inputs in sample[::3]:
        layer, x = _module(inputs)
        with torch.no_grad():
            y = layer(x)
        key = solve(inputs).answer.value
        assert (list(y.shape[2:]) == key[2:]) if inputs["ask"] == "conv2d" else (y.shape[-1] == key), inputs


def test_same_padding_is_what_padding_same_pads() -> None:
    """With the key as padding, the output equals torch's own padding='same' entry for entry."""
    torch.manual_seed(0)
    for inputs in [i for i in VARIANTS if i["ask"] == "same-padding" and i["length"] <= 500][:60]:
        n, k, d = inputs["length"], inputs["kernel"], inputs["dilation"]
        x, w = torch.randn(1, 1, n, dtype=torch.float64), torch.randn(1, 1, k, dtype=torch.float64)
        p = int(solve(inputs).answer.value)
        same = torch.nn.functional.conv1d(x, w, padding="same", dilation=d)
        assert torch.equal(torch.nn.functional.conv1d(x, w, padding=p, dilation=d), same), inputs


def test_each_listed_mistake_applies_differs_and_is_recomputed() -> None:
    """Over every variant (the extreme configs included): each listed mistake is what ``mistakes``
    gives, differs from the key, is a length (0 or more), and is listed only where it applies."""
    for inputs, sol in solved_variants("conv-sizes"):
        names = {m.name for m in sol.misconceptions}
        others = mistakes(inputs)
        for m in sol.misconceptions:
            assert m.value != sol.answer.value and m.name in others and m.value == others[m.name], (inputs, m)
            assert min(m.value) >= 0 if isinstance(m.value, list) else m.value >= 0
        ask = inputs["ask"]
        if inputs.get("dilation", 1) == 1:
            assert "dilation-forgotten" not in names
        if inputs.get("padding", 1) == 0:
            assert "padding-one-side" not in names and "padding-added" not in names
        if inputs.get("stride") == 1 or ask == "transposed":
            assert "ceil-instead-of-floor" not in names
        if inputs.get("output_padding", 1) == 0:
            assert "output-padding-forgotten" not in names
        if ask == "maxpool":
            assert ("default-stride-one" in names) <= (not inputs["stride_given"])
            assert not ({"floor-instead-of-ceil", "last-window-kept"} & names) or inputs["ceil_mode"]
            assert "ceil-instead-of-floor" not in names or not inputs["ceil_mode"]
        if ask == "conv2d" and inputs["channels"] == inputs["out_channels"]:
            assert "in-channels-kept" not in names


def test_each_mistake_shows_somewhere() -> None:
    """Every named slip is listed in some variant of the asks it belongs to."""
    listed: dict[str, set[str]] = {}
    for inputs, sol in solved_variants("conv-sizes"):
        listed.setdefault(inputs["ask"], set()).update(m.name for m in sol.misconceptions)
    conv = {"plus-one-forgotten", "dilation-forgotten", "padding-one-side", "ceil-instead-of-floor"}
    assert listed["conv1d"] == conv and listed["conv2d"] == conv | {"in-channels-kept"}
    assert listed["maxpool"] == {"default-stride-one", "padding-one-side", "plus-one-forgotten", "ceil-instead-of-floor",
                                 "floor-instead-of-ceil", "last-window-kept"}
    assert listed["transposed"] == {"conv-formula", "padding-added", "output-padding-forgotten", "dilation-forgotten", "times-stride"}
    assert listed["same-padding"] == {"padding-one-side", "dilation-forgotten"}


def test_with_ceil_mode_rounding_down_is_named_not_the_missing_plus_one() -> None:
    """With ceil_mode=True, rounding down gives key − 1 whenever the division is not exact, and so
    does leaving out the + 1: the problem names the rounding. Where the last window is dropped,
    rounding down gives the key and the missing + 1 is named."""
    ceil = [(i, {m.name: m.value for m in sol.misconceptions}) for i, sol in solved_variants("conv-sizes") if i["ask"] == "maxpool" and i["ceil_mode"]]
    assert any("floor-instead-of-ceil" in ms for _, ms in ceil) and any("last-window-kept" in ms for _, ms in ceil)
    for inputs, ms in ceil:
        assert not ("floor-instead-of-ceil" in ms and "plus-one-forgotten" in ms and ms["floor-instead-of-ceil"] == ms["plus-one-forgotten"])
        if "last-window-kept" in ms:
            assert "floor-instead-of-ceil" not in ms and "plus-one-forgotten" in ms, inputs


def test_draws_are_legal_for_torch_so_no_answer_is_an_error() -> None:
    """The generator draws only layers torch accepts (the design choice: no "error" answers);
    one past each rule torch refuses, as documented."""
    for inputs in VARIANTS:
        ask = inputs["ask"]
        if ask in ("conv1d", "conv2d"):
            span = inputs["dilation"] * (inputs["kernel"] - 1) + 1
            assert all(span <= inputs[f] + 2 * inputs["padding"] for f in ("length", "height", "width") if f in inputs), inputs
        if ask == "maxpool":
            assert inputs["kernel"] <= inputs["length"] + 2 * inputs["padding"] and 2 * inputs["padding"] <= inputs["kernel"], inputs
            assert inputs["stride_given"] or inputs["stride"] == inputs["kernel"]
        if ask == "transposed":
            assert inputs["output_padding"] < max(inputs["stride"], inputs["dilation"]) and reference(inputs) >= 1, inputs
        if ask == "same-padding":
            assert inputs["kernel"] % 2 == 1
        if ask == "conv2d":  # answered on a real image: kept small whatever the ranges ask
            assert max(inputs["height"], inputs["width"]) <= conv_sizes.IMAGE_SIDE and inputs["kernel"] <= conv_sizes.IMAGE_KERNEL
        assert generators.expected("conv-sizes", inputs).kind == ("shape" if ask == "conv2d" else "number")
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        torch.nn.functional.conv1d(torch.zeros(1, 1, 4), torch.zeros(1, 1, 3), padding=0, dilation=2)
    with pytest.raises(RuntimeError, match="padding should be at most half of kernel size"):
        torch.nn.functional.max_pool1d(torch.zeros(1, 1, 8), 4, padding=3)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        torch.nn.functional.conv_transpose1d(torch.zeros(1, 1, 4), torch.zeros(1, 1, 3), stride=2, output_padding=2)


def test_transposed_draws_keep_times_stride_apart_from_the_other_slips() -> None:
    for inputs in (i for i in VARIANTS if i["ask"] == "transposed"):
        n, s = inputs["length"], inputs["stride"]
        slips = mistakes(inputs)
        if inputs["output_padding"]:
            assert slips["output-padding-forgotten"] != n * s, inputs
        if inputs["dilation"] > 1:
            assert slips["dilation-forgotten"] != n * s, inputs


def test_in_and_out_channels_differ_when_the_range_allows() -> None:
    assert all(i["channels"] != i["out_channels"] for i in VARIANTS if "out_channels" in i)
    params = resolve(conv_sizes.PARAMS, {"ask": "conv1d", "channels": 8, "out_channels": 8})
    assert conv_sizes.draw(params, random.Random(0))["out_channels"] == 8


def test_a_kernel_that_cannot_fit_is_refused_naming_the_ranges() -> None:
    params = resolve(conv_sizes.PARAMS, {"ask": "conv1d", "kernel": 64, "length": 8, "padding": 0})
    with pytest.raises(GenerationError, match=r"kernel=\[64, 64\].*length=\[8, 8\]"):
        conv_sizes.draw(params, random.Random(0))
    params = resolve(conv_sizes.PARAMS, {"ask": "conv1d", "kernel": 64, "length": 8, "padding": [0, 30]})
    inputs = conv_sizes.draw(params, random.Random(0))
    assert inputs["padding"] >= 28 and reference(inputs) == solve(inputs).answer.value  # enough padding is drawn to fit
    assert conv_sizes.check_params(resolve(conv_sizes.PARAMS, {"ask": "same-padding", "kernel": [2, 2]})) == [
        ("kernel", "an odd kernel size for ask same-padding", "[2, 2]")
    ]


def test_describe_writes_every_argument_and_leaves_a_default_stride_out() -> None:
    pool = {"ask": "maxpool", "batch": 2, "channels": 3, "length": 10, "kernel": 2, "stride": 2, "stride_given": False, "padding": 0, "ceil_mode": True}
    text = conv_sizes.describe(pool)
    assert "nn.MaxPool1d(kernel_size=2, padding=0, ceil_mode=True)" in text and "stride" not in text
    assert "stride=2, " in conv_sizes.describe({**pool, "stride_given": True})
    conv = {"ask": "transposed", "batch": 2, "channels": 3, "out_channels": 5, "length": 7, "kernel": 3, "stride": 2, "padding": 1,
            "output_padding": 1, "dilation": 1}
    assert "nn.ConvTranspose1d(3, 5, kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1)" in conv_sizes.describe(conv)
    assert "torch.randn(2, 3, 7)" in conv_sizes.describe(conv)


def test_max_pooling_with_ceil_mode_keeps_a_partial_window_or_drops_a_late_one(concepts) -> None:
    """Where (L + 2p − k) is a multiple of s, ceil equals floor: rounding down, the mistake
    ceil_mode=True is about, would give the key (7 of 20 variants of the shipped template did).
    So every variant either keeps a last, partial window (ceil is not floor; rounding down is
    named) or, in about a sixth of them, has a last window that would start past the input,
    which torch drops: the rule the prompt states decides the key, and ceil as written is the
    mistake named."""
    from quizgen.core.problems import build_problem

    concept = next(c for c in concepts if c.id == "conv-output-size")
    template = next(t for t in concept.templates if t.name == "maxpool-ceil-length")
    dropped = 0
    for seed in range(150):
        p = build_problem(concept, template, seed)
        i = p.inputs
        room = i["length"] + 2 * i["padding"] - i["kernel"]
        floor, ceil = room // i["stride"] + 1, -(-room // i["stride"]) + 1
        assert ceil == floor + 1, i
        named = {m.name: m.value for m in p.misconceptions}
        if p.answer.value == ceil:  # a last, partial window kept
            assert named["floor-instead-of-ceil"] == floor, i
        else:  # the last window would start past the input: dropped
            assert p.answer.value == floor and named["last-window-kept"] == ceil, i
            dropped += 1
    assert 20 <= dropped <= 75, dropped  # 26 of 150 here


def test_each_output_size_divides_a_room_the_steps_worked_out() -> None:
    """conv2d's steps jumped from "padded W = 39" to "W_out = ⌊32 / 2⌋ + 1": the 32 (39 − 7)
    was never shown. Each ⌊room / s⌋ follows the step that works its room out."""
    import re

    for inputs in (v for v in VARIANTS if v["ask"] in ("conv1d", "conv2d")):
        steps = solve(inputs).steps
        for before, step in zip(steps, steps[1:]):
            m = re.match(r"\w+_out = ⌊(\d+) / \d+⌋", step.label)
            if m:
                assert before.label.startswith("room to move") and before.value == int(m[1]), (inputs, [s.label for s in steps])
