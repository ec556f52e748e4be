"""Tests of the lr-schedules family: generator, and checker against torch's LR schedulers driving a
real optimizer."""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import json
import math
import random
from collections import Counter
from typing import Any

import pytest
import torch
from conftest import CONCEPTS, solved_variants, solver
from torch.optim import SGD
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    SequentialLR,
)

import checkers.lr_schedules
from quizgen import generators
from quizgen.core.concepts import load_concepts
from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.core.problems import build_problem
from quizgen.generators import lr_schedules
from quizgen.judge import close

solve = solver("lr-schedules")


# Each ask's variants cycle through its configs: the shipped defaults, wide ranges (lr0 from 1e-5
# to 1, up to 300 steps, floors up to 0.9 of lr0, 48 layers) and the smallest cases.
CONFIGS: dict[str, list[dict[str, Any]]] = {
    "warmup": [{}, {"lr0": [1e-5, 1.0], "warmup": [2, 200]}, {"warmup": 2}],
    "linear": [{}, {"lr0": [1e-5, 1.0], "steps": [2, 300]}, {"steps": 2}],
    "warmup-linear": [
        {"warmup": [2, 10], "steps": [20, 100]},
        {"lr0": [1e-5, 1.0], "warmup": [1, 60], "steps": [3, 300]},
        {"warmup": 1, "steps": 3},
    ],
    "cosine": [{}, {"lr0": [1e-5, 1.0], "steps": [2, 300], "floor": [0.0, 0.9]}, {"floor": [0.05, 0.2]}],
    "warmup-cosine": [
        {"warmup": [2, 10], "steps": [20, 100], "floor": [0.0, 0.1]},
        {"lr0": [1e-5, 1.0], "warmup": [1, 60], "steps": [3, 300], "floor": [0.0, 0.9]},
        {"warmup": 1, "steps": 3, "floor": 0.5},
    ],
    "llrd": [
        {},
        {"lr0": [1e-5, 1.0], "factor": [0.05, 0.95], "depth": [2, 48]},
        {"factor": [0.91, 0.94], "depth": 2},  # off the 0.05 grid
    ],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each
N_BUILT = 60  # problems built per shipped template


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    params = resolve(lr_schedules.PARAMS, {"ask": ask, **configs[seed % len(configs)]})
    return lr_schedules.draw(params, random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in lr_schedules.ASKS for seed in range(N_PER_ASK)]


# ---------------------------------------------------------------- independent reference


def _optimizer(lrs: list[float]) -> tuple[SGD, list[torch.nn.Parameter]]:
    """SGD over one scalar parameter per group, each with gradient 1 and its own LR."""
    params = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in lrs]
    for p in params:
        p.grad = torch.ones((), dtype=torch.float64)
    return SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]), params


def _scheduler(opt: SGD, ask: str, lr0: float, warmup: int, steps: int, floor: float) -> LRScheduler:
    """torch's schedulers for each ask.

    ``LinearLR`` cannot start from 0 (its start factor must be > 0), so the warmup is a ``LambdaLR``
    with ``t / W``. ``SequentialLR`` with ``milestones=[W]`` runs the warmup for its steps 0..W−1;
    at step W it restarts the second scheduler at that scheduler's own step 0 (which is lr0), and
    at step W + k the second scheduler is at its step k. So the decay gets ``T − W`` steps
    (``total_iters``, ``T_max``) to reach its end at step T.
    """
    if ask == "warmup":
        return LambdaLR(opt, lambda s: s / warmup)
    if ask == "linear":
        return LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=steps)
    if ask == "cosine":
        return CosineAnnealingLR(opt, T_max=steps, eta_min=floor)
    warm = LambdaLR(opt, lambda s: s / warmup)
    if ask == "warmup-linear":
        decay: LRScheduler = LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=steps - warmup)
    else:
        decay = CosineAnnealingLR(opt, T_max=steps - warmup, eta_min=floor)
    return SequentialLR(opt, [warm, decay], milestones=[warmup])


@functools.cache
def trajectory(ask: str, lr0: float, warmup: int, steps: int, floor: float) -> tuple[tuple[float, ...], float]:
    """The LR after 0, 1, ..., end optimizer steps, and the parameter after them.

    Each step is ``optimizer.step()`` then ``scheduler.step()``, so entry t is the LR the update
    t + 1 uses. The parameter starts at 0 with gradient 1, so SGD leaves it at minus the sum of the
    LRs the updates used.
    """
    opt, (p,) = _optimizer([lr0])
    sched = _scheduler(opt, ask, lr0, warmup, steps, floor)
    end = warmup if ask == "warmup" else steps
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(end):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return tuple(lrs), p.item()


@functools.cache
def llrd_group_lrs(base_lr: float, factor: float, depth: int) -> tuple[float, ...]:
    """The LR of each layer, bottom first, read back from an optimizer with one group per layer.

    The groups are built the usual way: from the top layer down, the LR starts at the base LR and
    is multiplied by the factor after each layer.
    """
    layers = [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64)) for _ in range(depth)]
    groups = []
    lr = base_lr
    for p in reversed(layers):
        groups.append({"params": [p], "lr": lr})
        lr *= factor
    opt = torch.optim.AdamW(groups, lr=base_lr)
    by_param = {id(g["params"][0]): g["lr"] for g in opt.param_groups}
    return tuple(by_param[id(p)] for p in layers)


FORMULA_CASES = {
    # (symbol values, the numeric question that gives LR(t) there)
    "warmup-formula": [({"lr0": lr, "W": w, "t": t}, {"ask": "warmup", "lr0": lr, "warmup": w, "t": t}) for lr, w, t in ((0.1, 10, 3), (0.5, 7, 7), (0.02, 4, 1))],
    "cosine-formula": [({"lr0": lr, "T": n, "t": t}, {"ask": "cosine", "lr0": lr, "steps": n, "t": t, "floor": 0.0}) for lr, n, t in ((0.1, 10, 3), (0.3, 7, 5), (1.0, 4, 0))],
    "warmup-cosine-formula": [
        ({"lr0": lr, "W": w, "T": n, "t": t}, {"ask": "warmup-cosine", "lr0": lr, "warmup": w, "steps": n, "t": t, "floor": 0.0})
        for lr, w, n, t in ((0.1, 3, 10, 5), (0.2, 2, 9, 9), (0.5, 4, 7, 4))
    ],
}


def reference(inputs: dict[str, Any]) -> Any:
    """The answer from torch's schedulers on a real optimizer (param groups for LLRD); for a
    formula, the schedulers' LR(t) at a few (lr0, t, W, T)."""
    if inputs["ask"] in FORMULA_CASES:
        return [(values, reference(numeric)) for values, numeric in FORMULA_CASES[inputs["ask"]]]
    if inputs["ask"] == "llrd":
        return llrd_group_lrs(inputs["base_lr"], inputs["factor"], inputs["depth"])[inputs["layer"]]
    lrs, _ = trajectory(
        inputs["ask"],
        inputs["lr0"],
        inputs.get("warmup", 0),
        inputs.get("steps", 0),
        inputs.get("floor", 0.0),
    )
    return lrs[inputs["t"]]


def _formula_mistakes(ask: str) -> dict[str, Any]:
    """Each formula mistake as (symbol values, number) cases: the scheduler's LR with the mistake
    made in its inputs, or the mistaken formula evaluated with ``math``."""
    out: dict[str, Any] = {}
    for values, numeric in FORMULA_CASES[ask]:
        lr0, t = values["lr0"], values["t"]
        found: dict[str, float] = {}
        if ask == "warmup-formula":
            found["off-by-one-step"] = lr0 * (t + 1) / values["W"]
            found["ratio-inverted"] = lr0 * values["W"] / t
        else:
            w, total = values.get("W", 0), values["T"]
            progress = (t - w) / (total - w)
            found["two-pi"] = lr0 * (1 + math.cos(2 * math.pi * progress)) / 2
            found["half-left-out"] = 2 * reference(numeric)
            if ask == "warmup-cosine-formula":
                found["decay-not-shifted"] = reference({"ask": "cosine", "lr0": lr0, "steps": total, "t": t, "floor": 0.0})
        for name, number in found.items():
            out.setdefault(name, []).append((values, number))
    return out


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Each named mistake's value where it applies, from the reference with changed inputs or by
    the formula with ``math``; for a formula ask, (symbol values, number) cases."""
    ask = inputs["ask"]
    if ask in FORMULA_CASES:
        return _formula_mistakes(ask)
    out: dict[str, float] = {}
    if ask == "llrd":
        base, factor, depth, i = inputs["base_lr"], inputs["factor"], inputs["depth"], inputs["layer"]
        top = depth - 1
        if factor != 1:
            if i != top - i:
                out["llrd-exponent-reversed"] = base * factor**i
            # One layer more above layer i: the same stack one layer taller.
            out["llrd-off-by-one"] = reference({**inputs, "depth": depth + 1})
        return out
    t = inputs["t"]
    if t < inputs["warmup" if ask == "warmup" else "steps"]:
        out["off-by-one-step"] = reference({**inputs, "t": t + 1})
    if ask == "warmup":
        return out
    lr0, total, floor = inputs["lr0"], inputs["steps"], inputs.get("floor", 0.0)
    warmup = inputs.get("warmup", 0)
    if warmup and warmup < t < total:
        plain = "linear" if ask == "warmup-linear" else "cosine"
        out["decay-not-shifted"] = reference({"ask": plain, "lr0": lr0, "steps": total, "t": t, "floor": floor})
    if ask.endswith("cosine") and t > warmup:
        progress = (t - warmup) / (total - warmup)
        out["two-pi"] = floor + (lr0 - floor) * (1 + math.cos(2 * math.pi * progress)) / 2
        if floor > 0:
            out["floor-ignored"] = reference({**inputs, "floor": 0.0})
    return out


def by_formula(inputs: dict[str, Any]) -> float:
    """The answer by the formulas of the module docstring, with ``math`` (a second opinion)."""
    ask = inputs["ask"]
    if ask == "llrd":
        return inputs["base_lr"] * inputs["factor"] ** (inputs["depth"] - 1 - inputs["layer"])
    lr0, t, w = inputs["lr0"], inputs["t"], inputs.get("warmup", 0)
    if ask == "warmup" or (w and t <= w):
        return lr0 * t / w
    total, floor = inputs["steps"], inputs.get("floor", 0.0)
    p = (t - w) / (total - w)
    if ask.endswith("linear"):
        return lr0 * (1 - p)
    return floor + (lr0 - floor) * (1 + math.cos(math.pi * p)) / 2


def _close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-15) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------- agreement over many variants


def test_variants_cover_every_ask_and_range_edge() -> None:
    asks = Counter(inputs["ask"] for inputs in VARIANTS)
    assert asks == {ask: N_PER_ASK for ask in lr_schedules.ASKS}
    lrs = {inputs.get("lr0", inputs.get("base_lr")) for inputs in VARIANTS}
    assert {1e-5, 1e-3, 0.1, 1.0} <= lrs
    steps = [inputs["steps"] for inputs in VARIANTS if "steps" in inputs]
    assert min(steps) == 2 and max(steps) > 250
    # After the warmup only: before it, the decay's slips (not shifted by W, 2π, the floor) cannot show.
    assert all(x["warmup"] < x["t"] < x["steps"] for x in VARIANTS if x["ask"] in ("warmup-linear", "warmup-cosine"))
    floors = [x["floor"] / x["lr0"] for x in VARIANTS if "floor" in x]
    assert min(floors) == 0 and max(floors) > 0.85
    llrd = [x for x in VARIANTS if x["ask"] == "llrd"]
    assert {x["depth"] for x in llrd} >= {2, 48} and any(x["layer"] == 0 for x in llrd)


@pytest.mark.parametrize("ask", lr_schedules.ASKS)
def test_answer_matches_torch_schedulers(ask: str) -> None:
    checked = 0
    for inputs, sol in solved_variants("lr-schedules"):
        if inputs["ask"] == ask:
            assert sol.answer.kind == "number"
            assert _close(sol.answer.value, reference(inputs)), inputs
            assert _close(sol.answer.value, by_formula(inputs)), inputs
            checked += 1
    assert checked == N_PER_ASK


def test_first_update_uses_lr_zero_on_a_real_optimizer() -> None:
    # The parameter (gradient 1) moves by minus the LR each update used: LR(0), LR(1), ...
    for ask in ("warmup", "warmup-linear", "warmup-cosine"):
        lrs, moved = trajectory(ask, 0.1, 4, 12, 0.01)
        end = len(lrs) - 1
        assert lrs[0] == 0.0 and lrs[1] == pytest.approx(0.025) and lrs[4] == pytest.approx(0.1)
        assert _close(moved, -sum(lrs[:end]))
    for ask in ("linear", "cosine"):
        lrs, _ = trajectory(ask, 0.1, 0, 12, 0.0)
        assert lrs[0] == 0.1 and lrs[-1] == 0.0


def test_each_misconception_is_the_mistake_it_names_and_only_where_it_applies() -> None:
    for inputs, sol in solved_variants("lr-schedules"):
        ref = mistakes(inputs)
        assert [m.name for m in sol.misconceptions] == [n for n in _ORDER if n in ref], inputs
        for m in sol.misconceptions:
            assert _close(m.value, ref[m.name]), (inputs, m.name)


_ORDER = (
    "decay-not-shifted",
    "two-pi",
    "floor-ignored",
    "off-by-one-step",
    "llrd-exponent-reversed",
    "llrd-off-by-one",
)


def test_every_misconception_is_named_somewhere() -> None:
    named = {m.name for _, sol in solved_variants("lr-schedules") for m in sol.misconceptions}
    assert named == set(_ORDER)


# ---------------------------------------------------------------- built problems


@pytest.fixture(scope="module")
def built() -> list[Any]:
    concept = next(c for c in load_concepts(CONCEPTS) if c.id == "lr-schedules")
    built = [(t, build_problem(concept, t, seed)) for t in concept.templates for seed in range(N_BUILT)]
    return [(t, p) for t, p in built if p.answer.kind == "number"]  # the formula templates are tested above


def test_built_problems_tell_the_key_from_every_mistake(built: list[Any]) -> None:
    asks = set()
    for template, problem in built:
        inputs = problem.inputs
        asks.add(inputs["ask"])
        key = problem.answer.value
        assert _close(key, reference(inputs)), inputs
        ref = mistakes(inputs)
        assert problem.misconceptions, inputs
        for m in problem.misconceptions:
            assert _close(m.value, ref[m.name]), (inputs, m.name)
            assert not close("number", key, m.value, template.tolerance), (inputs, m.name)
            assert not close("number", key, ref[m.name], template.tolerance), (inputs, m.name)
    assert asks == set(lr_schedules.ASKS)


def test_built_problems_ask_nothing_trivial(built: list[Any]) -> None:
    for template, problem in built:
        x = problem.inputs
        # Every shipped template sets a tiny absolute tolerance: LRs are small numbers.
        assert template.tolerance.abs <= 1e-9 < template.tolerance.rel
        if x["ask"] == "llrd":
            assert 0 <= x["layer"] < x["depth"] - 1 and x["factor"] < 1
            continue
        end = x["warmup"] if x["ask"] == "warmup" else x["steps"]
        assert 0 < x["t"] < end and x["t"] != x.get("warmup")
        assert problem.answer.value > 0


# ---------------------------------------------------------------- known values

_KNOWN = [
    # (inputs, answer)
    ({"ask": "warmup", "lr0": 0.1, "warmup": 4, "t": 0}, 0.0),
    ({"ask": "warmup", "lr0": 0.1, "warmup": 4, "t": 1}, 0.025),
    ({"ask": "warmup", "lr0": 0.1, "warmup": 4, "t": 4}, 0.1),
    ({"ask": "warmup", "lr0": 3e-4, "warmup": 1, "t": 1}, 3e-4),
    ({"ask": "linear", "lr0": 0.01, "steps": 10, "t": 0}, 0.01),
    ({"ask": "linear", "lr0": 0.01, "steps": 10, "t": 3}, 0.007),
    ({"ask": "linear", "lr0": 0.01, "steps": 10, "t": 10}, 0.0),
    ({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 5}, 0.05),
    ({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 10}, 0.1),
    ({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 60}, 0.05),
    ({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 110}, 0.0),
    ({"ask": "cosine", "lr0": 0.1, "steps": 3, "t": 0, "floor": 0.0}, 0.1),
    ({"ask": "cosine", "lr0": 0.1, "steps": 3, "t": 1, "floor": 0.0}, 0.075),
    ({"ask": "cosine", "lr0": 0.1, "steps": 3, "t": 1, "floor": 0.01}, 0.0775),
    ({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 2, "floor": 0.02}, 0.06),
    ({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 4, "floor": 0.0}, 0.0),
    ({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 4, "floor": 0.02}, 0.02),
    ({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 1, "floor": 0.1}, 0.1),
    ({"ask": "warmup-cosine", "lr0": 0.1, "warmup": 2, "steps": 5, "t": 1, "floor": 0.01}, 0.05),
    ({"ask": "warmup-cosine", "lr0": 0.1, "warmup": 2, "steps": 5, "t": 2, "floor": 0.01}, 0.1),
    ({"ask": "warmup-cosine", "lr0": 0.1, "warmup": 2, "steps": 5, "t": 3, "floor": 0.0}, 0.075),
    ({"ask": "warmup-cosine", "lr0": 0.1, "warmup": 2, "steps": 5, "t": 5, "floor": 0.01}, 0.01),
    ({"ask": "llrd", "base_lr": 0.001, "factor": 0.5, "depth": 4, "layer": 0}, 1.25e-4),
    ({"ask": "llrd", "base_lr": 0.001, "factor": 0.5, "depth": 4, "layer": 3}, 0.001),
    ({"ask": "llrd", "base_lr": 0.001, "factor": 1.0, "depth": 4, "layer": 0}, 0.001),
    ({"ask": "llrd", "base_lr": 2e-5, "factor": 0.95, "depth": 12, "layer": 0}, 2e-5 * 0.95**11),
    ({"ask": "llrd", "base_lr": 0.01, "factor": 0.9, "depth": 1, "layer": 0}, 0.01),
]


@pytest.mark.parametrize(("inputs", "answer"), _KNOWN)
def test_known_values(inputs: dict[str, Any], answer: float) -> None:
    sol = solve(inputs)
    assert _close(sol.answer.value, answer), sol.answer
    assert _close(reference(inputs), answer)  # the table, checked against torch
    ref = mistakes(inputs)
    assert {m.name for m in sol.misconceptions} == set(ref)
    for m in sol.misconceptions:
        assert _close(m.value, ref[m.name]), m.name


def test_degenerate_cases_list_only_the_mistakes_that_still_differ() -> None:
    def names(inputs: dict[str, Any]) -> set[str]:
        return {m.name for m in solve(inputs).misconceptions}

    # At the end of the schedule there is no step t + 1, and both decay clocks have run out.
    assert names({"ask": "warmup-linear", "lr0": 0.1, "warmup": 10, "steps": 110, "t": 110}) == set()
    assert names({"ask": "warmup", "lr0": 0.1, "warmup": 4, "t": 4}) == set()
    # During the warmup only the step count can be off.
    assert names({"ask": "warmup-cosine", "lr0": 0.1, "warmup": 2, "steps": 5, "t": 1, "floor": 0.01}) == {
        "off-by-one-step"
    }
    # At t = 0 the cosine is 1 whatever its period or floor.
    assert names({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 0, "floor": 0.02}) == {"off-by-one-step"}
    # Without a floor there is no floor to forget.
    assert "floor-ignored" not in names({"ask": "cosine", "lr0": 0.1, "steps": 4, "t": 1, "floor": 0.0})
    # A factor of 1 gives every layer the base LR; the middle layer's exponent is symmetric.
    assert names({"ask": "llrd", "base_lr": 0.001, "factor": 1.0, "depth": 4, "layer": 0}) == set()
    assert names({"ask": "llrd", "base_lr": 0.001, "factor": 0.5, "depth": 5, "layer": 2}) == {"llrd-off-by-one"}


def test_cosine_is_gentle_at_both_ends() -> None:
    lrs, _ = trajectory("cosine", 1.0, 0, 100, 0.0)
    drops = [a - b for a, b in itertools.pairwise(lrs)]
    # The largest drop is in the middle; the first and last drops are the smallest and equal.
    assert max(range(100), key=drops.__getitem__) in (49, 50)
    assert _close(drops[0], drops[-1], rel=1e-6) and min(drops) >= drops[0] * (1 - 1e-6)
    # Above the straight line before the midpoint, below it after.
    assert all(lrs[t] > 1 - t / 100 for t in range(1, 50)) and all(lrs[t] < 1 - t / 100 for t in range(51, 100))


def test_steps_end_at_the_answer() -> None:
    for _, sol in solved_variants("lr-schedules"):
        assert sol.steps[-1].value == sol.answer.value
        assert all(s.label for s in sol.steps)


def test_steps_name_a_floor_only_where_the_schedule_has_one() -> None:
    # The worked solution writes the formula as the prompt does: no floor term when it is 0.
    seen = set()
    for inputs, sol in solved_variants("lr-schedules"):
        if not inputs["ask"].endswith("cosine") or inputs["t"] <= inputs.get("warmup", 0):
            continue
        floor = float(inputs["floor"])
        seen.add(floor > 0)
        assert ("floor" in sol.steps[-1].label) == (floor > 0), (inputs, sol.steps[-1].label)
    assert seen == {True, False}


# ---------------------------------------------------------------- generator behaviour


@pytest.mark.parametrize("ask", lr_schedules.ASKS)
def test_same_seed_same_inputs(ask: str) -> None:
    for config in CONFIGS[ask]:
        params = resolve(lr_schedules.PARAMS, {"ask": ask, **config})
        for seed in range(20):
            assert lr_schedules.draw(params, random.Random(seed)) == lr_schedules.draw(params, random.Random(seed))
    params = resolve(lr_schedules.PARAMS, {"ask": ask, **CONFIGS[ask][0]})
    assert len({json.dumps(lr_schedules.draw(params, random.Random(s))) for s in range(30)}) > 15


def test_inputs_and_solutions_survive_json() -> None:
    for inputs, sol in solved_variants("lr-schedules")[::7]:
        again = json.loads(json.dumps(inputs, allow_nan=False))
        assert again == inputs
        assert solve(again).answer == sol.answer
        json.dumps(sol.to_json(), allow_nan=False)


def test_inputs_are_exactly_the_values_shown() -> None:
    for inputs in VARIANTS[::5]:
        text = lr_schedules.describe(inputs)
        for name in ("lr0", "base_lr", "floor"):
            if inputs.get(name):
                shown = lr_schedules.fmt_lr(inputs[name])
                assert shown in text and float(shown) == inputs[name], (inputs, text)
        if "floor" in inputs:
            # Exact decimals: the floor is lr0 times a two-decimal fraction, nothing in between.
            assert len(repr(inputs["floor"]).split("e")[0].replace(".", "").strip("0")) <= 3
        for name in ("t", "warmup", "steps", "depth", "layer", "factor"):
            if name in inputs:
                assert f"= {inputs[name]}" in text, (name, text)


def test_draws_respect_params() -> None:
    given = {
        "ask": list(lr_schedules.ASKS),
        "lr0": [1e-4, 1e-3],
        "steps": [20, 40],
        "warmup": [3, 6],
        "floor": [0.1, 0.3],
        "factor": [0.7, 0.9],
        "depth": [3, 5],
    }
    params = resolve(lr_schedules.PARAMS, given)
    for seed in range(300):
        x = lr_schedules.draw(params, random.Random(seed))
        lr = x.get("lr0", x.get("base_lr"))
        assert lr in (1e-4, 2e-4, 3e-4, 5e-4, 1e-3)
        if x["ask"] == "llrd":
            assert x["factor"] in (0.7, 0.75, 0.8, 0.85, 0.9) and 3 <= x["depth"] <= 5
            continue
        if "warmup" in x:
            assert 3 <= x["warmup"] <= 6
        if "steps" in x:
            assert 20 <= x["steps"] <= 40
        if "floor" in x:
            assert any(math.isclose(x["floor"], x["lr0"] * f) for f in (0.1, 0.15, 0.2, 0.25, 0.3))


def test_params_of_the_family() -> None:
    """Beyond what every family's specs must satisfy (tests/test_references.py): this family's own."""
    assert lr_schedules.check_params(resolve(lr_schedules.PARAMS, {"ask": list(lr_schedules.ASKS)})) == []
    bad = {"ask": list(lr_schedules.ASKS), "lr0": [0.6, 0.9], "warmup": 1, "steps": 2, "factor": 1.0}
    found = [p[0] for p in lr_schedules.check_params(resolve(lr_schedules.PARAMS, bad))]
    assert found == ["lr0", "warmup", "warmup", "factor"]


def test_impossible_params_raise_generation_error() -> None:
    with pytest.raises(GenerationError, match="lr0"):
        lr_schedules.draw(resolve(lr_schedules.PARAMS, {"lr0": [0.6, 0.9]}), random.Random(0))
    with pytest.raises(GenerationError, match="warmup"):
        lr_schedules.draw(resolve(lr_schedules.PARAMS, {"ask": "warmup", "warmup": 1}), random.Random(0))
    with pytest.raises(GenerationError, match="warmup"):
        params = resolve(lr_schedules.PARAMS, {"ask": "warmup-cosine", "warmup": 10, "steps": 11})
        lr_schedules.draw(params, random.Random(0))
    with pytest.raises(GenerationError, match="factor"):
        lr_schedules.draw(resolve(lr_schedules.PARAMS, {"ask": "llrd", "factor": 1.0}), random.Random(0))


def test_describe_pins_the_conventions() -> None:
    text = lr_schedules.describe({"ask": "warmup-cosine", "lr0": 3e-4, "warmup": 5, "steps": 50, "t": 20, "floor": 3e-5})
    assert "lr0 = 0.0003" in text and "W = 5" in text and "T = 50" in text and "t = 20" in text
    assert "floor 3e-5" in text and "T − W" in text and "linear from 0" in text
    text = lr_schedules.describe({"ask": "llrd", "base_lr": 2e-5, "factor": 0.9, "depth": 12, "layer": 3})
    assert "0 (embeddings, bottom) to 11 (top)" in text and "Layer i = 3" in text and "2e-5" in text
    assert generators.expected("lr-schedules", {"ask": "linear"}).kind == "number"


def test_generator_never_imports_torch() -> None:
    tree = ast.parse(inspect.getsource(lr_schedules))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in imported)


def test_formula_mistakes_are_the_schedules_they_name() -> None:
    """Each named formula gives what the scheduler gives with the mistake made in its inputs."""
    from conftest import formula_agrees

    symbols = {"lr0": "positive", "t": "size", "W": "size", "T": "size"}
    sol = solve({"ask": "warmup-cosine-formula", "symbols": symbols})
    names = {m.name: m.value for m in sol.misconceptions}
    cases = [({"lr0": 0.1, "W": 3, "T": 10, "t": t}, reference({"ask": "cosine", "lr0": 0.1, "steps": 10, "t": t, "floor": 0.0})) for t in (3, 5, 9)]
    assert formula_agrees(names["decay-not-shifted"], cases)
    warm = solve({"ask": "warmup-formula", "symbols": {"lr0": "positive", "t": "size", "W": "size"}})
    off = {m.name: m.value for m in warm.misconceptions}["off-by-one-step"]
    assert formula_agrees(off, [({"lr0": 0.1, "W": 10, "t": 3}, reference({"ask": "warmup", "lr0": 0.1, "warmup": 10, "t": 4}))])


@pytest.mark.parametrize("ask", sorted(FORMULA_CASES))
def test_every_formula_mistake_is_recomputed(ask: str) -> None:
    from conftest import formula_agrees

    symbols = lr_schedules.FORMULA_SYMBOLS[ask]
    expected = mistakes({"ask": ask, "symbols": symbols})
    listed = solve({"ask": ask, "symbols": symbols}).misconceptions
    assert {m.name for m in listed} == set(expected)
    for m in listed:
        assert formula_agrees(m.value, expected[m.name]), m.name


def test_llrd_never_asks_the_layer_where_two_slips_agree() -> None:
    """At 2i = depth, factor^i (reversed) and factor^(depth − i) (one layer too many) are equal."""
    layers = [x for x in VARIANTS if x["ask"] == "llrd"]
    assert layers and all(2 * x["layer"] != x["depth"] for x in layers)
    for x in layers:
        values = [m.value for m in solve(x).misconceptions]
        assert len(values) == len(set(values)), x


def test_the_worked_solution_draws_the_schedule_with_the_asked_step_marked() -> None:
    """The curve is LR(t) from torch's schedulers at every step it draws (including W and the
    asked t), from 0 to T, with the key marked at t."""
    rng = random.Random(4)
    concept = next(c for c in load_concepts(CONCEPTS) if c.id == "lr-schedules")
    drawn = 0
    for template in concept.templates:
        for _ in range(40):
            problem = build_problem(concept, template, rng.getrandbits(32))
            inputs, curve = problem.inputs, problem.figure
            if inputs["ask"] == "llrd" or inputs["ask"] in checkers.lr_schedules.FORMULA_ASKS:
                assert curve is None
                continue
            drawn += 1
            assert curve is not None and curve.mark == (inputs["t"], problem.answer.value)
            xs = [x for x, _ in curve.points]
            end = inputs["warmup"] if inputs["ask"] == "warmup" else inputs["steps"]
            assert xs == sorted(set(xs)) and xs[0] == 0 and xs[-1] == end and len(xs) <= 123
            assert inputs["t"] in xs and inputs.get("warmup", 0) in xs
            for x, y in curve.points:
                assert math.isclose(y, reference({**inputs, "t": int(x)}), rel_tol=1e-9, abs_tol=1e-15), (inputs, x)
    assert drawn >= 160
