"""Tests of the language-modelling family: generator, and checker against numpy formulas and
another torch path (soft-target cross-entropy)."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import agree, solver

import checkers.language_modelling
from quizgen import generators
from quizgen.core.params import resolve
from quizgen.generators import language_modelling

solve = solver("language-modelling")


def _target(k: int, target: int, eps: float, others: bool = False) -> np.ndarray:
    t = np.full(k, eps / (k - 1) if others else eps / k)
    t[target] = 1 - eps if others else 1 - eps + eps / k
    return t


def _log_softmax(logits: list[float]) -> np.ndarray:
    z = np.array(logits, dtype=float)
    return z - z.max() - np.log(np.exp(z - z.max()).sum())


def _sequences(tree: dict[str, list[float]], k: int) -> dict[tuple[int, ...], Fraction]:
    """Every prefix of the tree and its exact probability, by enumeration."""
    out: dict[tuple[int, ...], Fraction] = {(): Fraction(1)}
    depth = max(len(key.split()) for key in tree) + 1
    for length in range(1, depth + 1):
        for seq in itertools.product(range(k), repeat=length):
            out[seq] = out[seq[:-1]] * Fraction(tree[" ".join(map(str, seq[:-1]))][seq[-1]]).limit_denominator(100)
    return out


def _search(inputs: dict[str, Any], width: int, alone: bool = False) -> tuple[int, ...]:
    """Beam search over exact fractions, written from the definition (width = K^L: exhaustive)."""
    k = len(inputs["tokens"])
    prob = _sequences(inputs["tree"], k)
    depth = max(map(len, prob))
    beams: list[tuple[int, ...]] = [()]
    for _ in range(depth):
        if alone and beams[0]:
            beams = [max((b + (t,) for t in range(k)), key=prob.__getitem__) for b in beams]
        else:
            beams = sorted((b + (t,) for b in beams for t in range(k)), key=prob.__getitem__, reverse=True)[:width]
    return max(beams, key=prob.__getitem__)


def _decoded(inputs: dict[str, Any], seq: tuple[int, ...]) -> Any:
    return [float(t) for t in seq] if inputs["answer"] == "sequence" else float(_sequences(inputs["tree"], len(inputs["tokens"]))[seq])


def reference(inputs: dict[str, Any]) -> Any:
    """The answer from the formulas in numpy; decoding by exact enumeration."""
    ask = inputs["ask"]
    if ask in ("greedy", "beam"):
        return _decoded(inputs, _search(inputs, 1 if ask == "greedy" else 2))
    if ask == "softmax":
        return np.exp(_log_softmax(inputs["logits"])).tolist()
    if ask == "sequence":
        p = np.array(inputs["conditionals"], dtype=float)
        return float(np.log(p).sum()) if inputs["log"] else float(np.prod(p))
    if ask == "smoothed-target":
        return _target(inputs["classes"], inputs["target"], inputs["epsilon"]).tolist()
    k = len(inputs["logits"])
    return float(-(_target(k, inputs["target"], inputs["epsilon"]) * _log_softmax(inputs["logits"])).sum())


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    ask = inputs["ask"]
    if ask in ("greedy", "beam"):
        seqs = {"best-sequence-not-greedy": _search(inputs, 10**3)} if ask == "greedy" else {
            "greedy-not-beam": _search(inputs, 1),
            "each-beam-extended-alone": _search(inputs, 2, alone=True),
            "beam-taken-as-exhaustive": _search(inputs, 10**3),
        }
        out = {name: _decoded(inputs, seq) for name, seq in seqs.items()}
        chosen = _search(inputs, 1 if ask == "greedy" else 2)
        tree = inputs["tree"]
        if inputs["answer"] == "probability":
            out["summed-not-multiplied"] = sum(tree[" ".join(map(str, chosen[:i]))][t] for i, t in enumerate(chosen))
        return out
    if ask == "softmax":
        z = np.array(inputs["logits"], dtype=float)
        found = {"sigmoid-per-token": (1 / (1 + np.exp(-z))).tolist()}
        return found | ({"logits-normalised-directly": (z / z.sum()).tolist()} if (z > 0).all() else {})
    if ask == "sequence":
        p = np.array(inputs["conditionals"], dtype=float)
        if inputs["log"]:
            return {"log10-used": float(np.log10(p).sum()), "eos-left-out": float(np.log(p[:-1]).sum())}
        return {"summed-not-multiplied": float(p.sum()), "eos-left-out": float(np.prod(p[:-1]))}
    if ask == "smoothed-target":
        return {"smoothed-over-others": _target(inputs["classes"], inputs["target"], inputs["epsilon"], others=True).tolist()}
    k, ls = len(inputs["logits"]), _log_softmax(inputs["logits"])
    return {
        "smoothed-over-others": float(-(_target(k, inputs["target"], inputs["epsilon"], others=True) * ls).sum()),
        "no-smoothing": float(-ls[inputs["target"]]),
    }


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "softmax": [{}, {"vocab": [2, 10], "logits": [-20, 20]}, {"logits": [0.1, 3]}],
    "sequence": [{}, {"length": [1, 10]}],
    "smoothed-target": [{}, {"vocab": [2, 10], "epsilon": [0.0, 1.0]}],
    "smoothed-loss": [{}, {"vocab": [2, 10], "logits": [-20, 20], "epsilon": [0.0, 1.0]}],
    "greedy": [{}, {"answer": "sequence"}, {"trap": False, "branches": [2, 3], "depth": 2}],
    "beam": [{}, {"answer": "sequence"}, {"trap": False, "branches": [2, 3], "depth": 2}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    return language_modelling.draw(resolve(language_modelling.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in language_modelling.ASKS for seed in range(N_PER_ASK)]


def test_smoothed_target_is_what_label_smoothing_trains_against() -> None:
    """Cross-entropy with the smoothed target as soft probabilities equals label_smoothing=ε."""
    for inputs in [i for i in VARIANTS if i["ask"] == "smoothed-loss"][:300]:
        logits = torch.tensor([inputs["logits"]], dtype=torch.float64)
        k = logits.shape[1]
        target = solve({"ask": "smoothed-target", "classes": k, "target": inputs["target"], "epsilon": inputs["epsilon"]}).answer.value
        soft = F.cross_entropy(logits, torch.tensor([target], dtype=torch.float64)).item()
        assert math.isclose(soft, solve(inputs).answer.value, rel_tol=1e-9, abs_tol=1e-12)


def test_mistakes_are_listed_where_they_apply() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        expected = mistakes(inputs)
        if inputs["ask"] == "softmax":
            listed = {m.name for m in sol.misconceptions}
            assert listed == {"sigmoid-per-token"} | ({"logits-normalised-directly"} if all(v > 0 for v in inputs["logits"]) else set())
        if inputs["ask"] in ("greedy", "beam"):
            listed = {m.name for m in sol.misconceptions}
            differ = {name for name, value in expected.items() if not agree(value, sol.answer.value)}
            assert listed == differ, (inputs, listed, differ)


def test_decoding_trees_are_distributions_without_ties_and_traps_hold() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] not in ("greedy", "beam"):
            continue
        k = len(inputs["tokens"])
        assert all(len(p) == k and math.isclose(sum(p), 1) and len(set(p)) == k for p in inputs["tree"].values())
        prob = _sequences(inputs["tree"], k)
        for length in range(1, max(map(len, prob)) + 1):
            level = [v for seq, v in prob.items() if len(seq) == length]
            assert len(set(level)) == len(level)

    for seed in range(500):
        inputs = _inputs("beam", 3 * seed)  # the default configuration: trap on
        first = max(range(len(inputs["tokens"])), key=lambda t: inputs["tree"][""][t])
        assert _search(inputs, 10**3)[0] != first, inputs


def test_beam_as_wide_as_the_tree_is_exhaustive() -> None:
    """Beam search that keeps every prefix finds the most probable sequence (checker path)."""
    for inputs in [i for i in VARIANTS if i["ask"] == "beam"][:300]:
        k, depth = len(inputs["tokens"]), max(len(key.split()) for key in inputs["tree"]) + 1
        best = max(itertools.product(range(k), repeat=depth), key=_sequences(inputs["tree"], k).__getitem__)
        chosen, _ = checkers.language_modelling._decode(inputs["tree"], k**depth)
        assert chosen == best


def test_beam_is_never_drawn_where_it_keeps_every_sequence() -> None:
    """A width-2 beam over 2 tokens for 2 steps keeps all 4 sequences: exhaustive search, which
    would let "beam finds the best" pass. Such trees are drawn for greedy only; params that
    leave beam nothing else are refused."""
    sizes = set()
    for seed in range(400):
        for ask in ("beam", "greedy"):
            params = resolve(language_modelling.PARAMS, {"ask": ask, "branches": [2, 3], "depth": [2, 3], "trap": False})
            inputs = language_modelling.draw(params, random.Random(seed))
            size = (len(inputs["tokens"]), max(len(key.split()) for key in inputs["tree"]) + 1)
            sizes.add((ask, size))
    assert ("greedy", (2, 2)) in sizes and ("beam", (2, 2)) not in sizes and ("beam", (2, 3)) in sizes
    only = resolve(language_modelling.PARAMS, {"ask": "beam", "branches": 2, "depth": 2})
    assert [p for p, _, _ in language_modelling.check_params(only)] == ["branches"]
    assert language_modelling.check_params(resolve(language_modelling.PARAMS, {"ask": "greedy", "branches": 2, "depth": 2})) == []


# p(a) = 0.4, p(b) = 0.6; after a: a 0.9, b 0.1; after b: a 0.55, b 0.45. Greedy: b then a
# (0.33); beam 2 keeps both first tokens and finds a a (0.36), the best sequence.
TREE = {"": [0.4, 0.6], "0": [0.9, 0.1], "1": [0.55, 0.45]}
KNOWN = [
    ({"ask": "softmax", "tokens": ["a", "b"], "logits": [0.0, 0.0]}, [0.5, 0.5]),
    ({"ask": "softmax", "tokens": ["a", "b"], "logits": [math.log(3), 0.0]}, [0.75, 0.25]),
    ({"ask": "sequence", "tokens": ["a", "<eos>"], "conditionals": [0.5, 0.2], "log": False}, 0.1),
    ({"ask": "sequence", "tokens": ["a", "<eos>"], "conditionals": [0.5, 0.5], "log": True}, 2 * math.log(0.5)),
    ({"ask": "smoothed-target", "classes": 2, "target": 0, "epsilon": 0.2}, [0.9, 0.1]),
    ({"ask": "smoothed-target", "classes": 5, "target": 1, "epsilon": 0.0}, [0, 1, 0, 0, 0]),
    # Equal logits: every class has probability 1/K whatever the target, so the loss is log K.
    ({"ask": "smoothed-loss", "logits": [1.0, 1.0, 1.0], "target": 2, "epsilon": 0.1}, math.log(3)),
    ({"ask": "greedy", "answer": "sequence", "tokens": ["a", "b"], "tree": TREE}, [1, 0]),
    ({"ask": "greedy", "answer": "probability", "tokens": ["a", "b"], "tree": TREE}, 0.6 * 0.55),
    ({"ask": "beam", "answer": "sequence", "tokens": ["a", "b"], "tree": TREE}, [0, 0]),
    ({"ask": "beam", "answer": "probability", "tokens": ["a", "b"], "tree": TREE}, 0.4 * 0.9),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    assert agree(checkers.language_modelling.solve(inputs).value, answer)


def test_draws_are_valid() -> None:
    for inputs in VARIANTS:
        if inputs["ask"] == "sequence":
            assert inputs["tokens"][-1] == "<eos>" and all(0 < p < 1 for p in inputs["conditionals"])
        if "logits" in inputs:
            assert len(set(inputs["logits"])) > 1
        kind = generators.expected("language-modelling", inputs).kind
        vector = inputs["ask"] in ("softmax", "smoothed-target") or inputs.get("answer") == "sequence"
        assert kind == ("vector" if vector else "number")


def test_describe_conditions_each_token_on_the_ones_before() -> None:
    text = language_modelling.describe({"ask": "sequence", "tokens": ["a", "cat", "<eos>"], "conditionals": [0.5, 0.25, 0.1], "log": False})
    assert text.splitlines() == ["p(a | <sos>) = 0.5", "p(cat | <sos> a) = 0.25", "p(<eos> | <sos> a cat) = 0.1"]


def test_comparisons_check_the_shape_before_the_values() -> None:
    """np.allclose broadcasts: a one-entry vector would match every entry of a longer key."""
    assert not agree([0.5], [0.5, 0.5]) and not agree([[1.0, 2.0]], [1.0, 2.0]) and agree([0.5, 0.5], [0.5, 0.5])
