"""Tests of the embeddings family: generator, and checker against plain Python and numpy."""

from __future__ import annotations

import functools
import math
import random
from typing import Any

import numpy as np
import pytest
import torch
from conftest import agree, solver

from quizgen import generators
from quizgen.core.params import resolve
from quizgen.generators import embeddings

solve = solver("embeddings")


# ---------------------------------------------------------------- independent reference


def _ids(inputs: dict[str, Any], unknown: int = 1) -> list[list[int]]:
    stoi = {w: i for i, w in enumerate(["[PAD]", "[UNK]", *inputs["vocab"]])}
    return [[stoi.get(w, unknown) for w in s] for s in inputs["sentences"]]


def _pad(rows: list[list[int]], front: bool = False) -> list[list[int]]:
    width = max(len(r) for r in rows)
    return [([0] * (width - len(r)) + r) if front else (r + [0] * (width - len(r))) for r in rows]


def _nearest(inputs: dict[str, Any], exclude: bool = True, score: str = "cosine", unit: bool = False) -> int:
    e = np.array(inputs["table"], dtype=float)
    if unit:  # gensim's convention: every row scaled to length 1 first
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
    a, b, c = inputs["query"]
    t = e[a] - e[b] + e[c]
    s = e @ t if score == "dot" else (e @ t) / (np.linalg.norm(e, axis=1) * np.linalg.norm(t))
    if exclude:
        s[[a, b, c]] = -np.inf
    return int(np.argmax(s))


SIZES = ((7, 3, 4), (30, 12, 8), (2, 1, 1))  # (V, P, D)


def _count(*tables: torch.nn.Module) -> int:
    return sum(p.numel() for t in tables for p in t.parameters())


def reference(inputs: dict[str, Any]) -> Any:
    """The answer in plain Python and numpy (no torch); for the formulas, real nn.Embedding
    tables counted at a few sizes."""
    ask = inputs["ask"]
    if ask == "table-formula":
        return [({"V": v, "D": d}, _count(torch.nn.Embedding(v, d, padding_idx=0, device="meta"))) for v, _, d in SIZES]
    if ask == "bert-formula":
        return [
            ({"V": v, "P": p, "D": d}, _count(*(torch.nn.Embedding(n, d, device="meta") for n in (v, p, 2))))
            for v, p, d in SIZES
        ]
    if ask == "padded-ids":
        return _pad(_ids(inputs))
    if ask == "lookup-shape":
        return [*inputs["ids_shape"], inputs["dim"]]
    if ask == "bert-shape":
        # Positions 0 … L − 1 index a table of P rows: past its end the lookup raises.
        return "error" if inputs["ids_shape"][-1] > inputs["positions"] else [*inputs["ids_shape"], inputs["dim"]]
    if ask == "table-params":
        return inputs["vocab_size"] * inputs["dim"]
    if ask == "bert-params":
        return (inputs["vocab_size"] + inputs["positions"] + 2) * inputs["dim"]
    if ask == "cosine":
        u, v = (np.array(inputs["table"][k], dtype=float) for k in inputs["pair"])
        return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return _nearest(inputs)


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake recomputed the way a learner makes it (plain Python and numpy; the
    formulas from real tables counted at a few sizes)."""
    ask = inputs["ask"]
    return _formula_mistakes(ask) if ask.endswith("-formula") else _value_mistakes(inputs)


@functools.cache
def _formula_mistakes(ask: str) -> dict[str, Any]:
    if ask == "table-formula":
        return {
            "v-plus-d": [({"V": v, "D": d}, v + d) for v, _, d in SIZES],
            "padding-row-excluded": [({"V": v, "D": d}, _count(torch.nn.Embedding(v, d, device="meta")) - d) for v, _, d in SIZES],
        }
    if ask == "bert-formula":
        def cases(*which: str) -> list[tuple[dict[str, int], int]]:
            return [({"V": v, "P": p, "D": d}, _count(*(torch.nn.Embedding({"V": v, "P": p, "S": 2}[w], d, device="meta") for w in which)))
                    for v, p, d in SIZES]
        return {"positions-left-out": cases("V", "S"), "segments-left-out": cases("V", "P"), "token-table-only": cases("V")}
    raise ValueError(ask)


def _value_mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    ask = inputs["ask"]
    if ask == "padded-ids":
        dropped = [[i for i in row if i != 1] for row in _ids(inputs)]
        return {"padded-at-front": _pad(_ids(inputs), front=True), "unk-as-pad": _pad(_ids(inputs, unknown=0)), "unknown-dropped": _pad(dropped)}
    if ask == "lookup-shape":
        return {"vocab-as-width": [*inputs["ids_shape"], inputs["vocab_size"]], "ids-shape-only": inputs["ids_shape"]}
    if ask == "bert-shape":
        return {"concatenated": [*inputs["ids_shape"], 3 * inputs["dim"]], "positions-past-the-table": [*inputs["ids_shape"], inputs["dim"]]}
    if ask == "table-params":
        v, d = inputs["vocab_size"], inputs["dim"]
        return {"v-plus-d": v + d, "padding-row-excluded": (v - 1) * d}
    if ask == "bert-params":
        v, p, d = inputs["vocab_size"], inputs["positions"], inputs["dim"]
        return {"positions-left-out": (v + 2) * d, "segments-left-out": (v + p) * d, "token-table-only": v * d}
    if ask == "cosine":
        u, w = (inputs["table"][k] for k in inputs["pair"])
        return {"dot-product-not-cosine": float(np.dot(u, w))}
    return {
        "query-words-included": _nearest(inputs, exclude=False),
        "dot-product-not-cosine": _nearest(inputs, score="dot"),
        "rows-normalised-first": _nearest(inputs, unit=True),
    }


CONFIGS: dict[str, list[dict[str, Any]]] = {
    "padded-ids": [{}, {"sentences": [2, 6], "tokens": [1, 12], "vocab_words": [2, 16]}],
    "lookup-shape": [{}, {"batch": [1, 4096], "length": [1, 8192]}],
    "table-params": [{}],
    "bert-params": [{}],
    "bert-shape": [{}, {"batch": [1, 4096], "length": [1, 8192]}],
    "cosine": [{}, {"rows": [4, 12], "dim": [2, 6], "values": [-9, 9]}, {"values": [0, 1], "dim": 2}],
    "analogy": [{}, {"rows": [5, 12], "dim": [2, 6], "values": [-9, 9]}],
    "table-formula": [{}],
    "bert-formula": [{}],
}
N_PER_ASK = 400  # beyond the shipped templates, which test_references draws 1,000 times each


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    return embeddings.draw(resolve(embeddings.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in embeddings.ASKS for seed in range(N_PER_ASK)]


def test_each_listed_mistake_is_recomputed_independently() -> None:
    """Every listed mistake is what ``mistakes`` gives, and every mistake that applies (it gives
    another value than the key) is listed, over every variant of every ask."""
    for inputs in VARIANTS:
        sol = solve(inputs)
        others = mistakes(inputs)
        listed = {m.name: m.value for m in sol.misconceptions}
        assert all(n in others and agree(v, others[n]) for n, v in listed.items()), (inputs, listed)
        if inputs["ask"].endswith("-formula"):
            assert set(listed) == set(others)
            continue
        key = sol.answer.value
        applies = {n for n, v in others.items() if v != key}
        if inputs["ask"] == "padded-ids" and not all(any(i != 1 for i in row) for row in _ids(inputs)):
            applies.discard("unknown-dropped")  # a sentence of unknown words only would vanish
        if inputs["ask"] == "bert-shape":
            applies = {"positions-past-the-table"} if key == "error" else {"concatenated"}
        if inputs["ask"] == "cosine":  # listed unless both are unit vectors (then dot = cosine)
            unit = math.isclose(math.hypot(*inputs["table"][inputs["pair"][0]]) * math.hypot(*inputs["table"][inputs["pair"][1]]), 1.0)
            applies = set() if unit else {"dot-product-not-cosine"}
        assert set(listed) == applies, (inputs, listed)


def test_the_bert_sum_raises_in_torch_exactly_when_positions_pass_the_table() -> None:
    """The three real tables (a narrow width, the drawn V and P), summed as written, with the
    positions BERT uses: torch raises exactly where the key is "error", else gives its shape."""
    cases = [i for i in VARIANTS if i["ask"] == "bert-shape" and i["ids_shape"][0] * i["ids_shape"][1] <= 20_000]
    assert {reference(i) == "error" for i in cases} == {True, False}
    gen = torch.Generator().manual_seed(0)
    for inputs in cases[::4]:
        (b, length), v, p = inputs["ids_shape"], inputs["vocab_size"], inputs["positions"]
        token, position, segment = (torch.nn.Embedding(n, 3) for n in (v, p, 2))
        ids = torch.randint(0, v, (b, length), generator=gen)
        segments = torch.randint(0, 2, (b, length), generator=gen)
        positions = torch.arange(length).expand(b, length)
        try:
            got: Any = [*(token(ids) + position(positions) + segment(segments)).shape[:2], inputs["dim"]]
        except IndexError:
            got = "error"
        assert solve(inputs).answer.value == got == reference(inputs), inputs


def test_lookups_agree_with_a_real_embedding_table() -> None:
    """The ids, looked up in a real nn.Embedding with padding_idx=0, give zero rows at the padding."""
    padded = [i for i in VARIANTS if i["ask"] == "padded-ids"]
    for inputs in padded[::10]:  # across both configs
        ids = torch.tensor(solve(inputs).answer.value, dtype=torch.long)
        emb = torch.nn.Embedding(len(inputs["vocab"]) + 2, 3, padding_idx=0)
        out = emb(ids)
        assert list(out.shape) == [*ids.shape, 3]
        assert torch.all(out[ids == 0] == 0) and torch.all(out[ids != 0].abs().sum(dim=1) > 0)


KNOWN = [
    ({"ask": "padded-ids", "vocab": ["the", "cat"], "sentences": [["the", "cat"], ["dog"]]}, [[2, 3], [1, 0]]),
    ({"ask": "padded-ids", "vocab": ["a"], "sentences": [["b"], ["a", "a", "b"]]}, [[1, 0, 0], [2, 2, 1]]),
    ({"ask": "table-params", "vocab_size": 30522, "dim": 768}, 30522 * 768),
    ({"ask": "bert-params", "vocab_size": 30522, "positions": 512, "dim": 768}, 23835648),
    ({"ask": "bert-shape", "vocab_size": 100, "positions": 16, "dim": 8, "ids_shape": [2, 5]}, [2, 5, 8]),
    ({"ask": "bert-shape", "vocab_size": 100, "positions": 16, "dim": 8, "ids_shape": [2, 16]}, [2, 16, 8]),
    ({"ask": "bert-shape", "vocab_size": 100, "positions": 16, "dim": 8, "ids_shape": [2, 17]}, "error"),
    ({"ask": "lookup-shape", "vocab_size": 100, "dim": 8, "ids_shape": [5]}, [5, 8]),
    ({"ask": "cosine", "words": ["a", "b"], "table": [[1, 0], [1, 1]], "pair": [0, 1]}, 1 / math.sqrt(2)),
    ({"ask": "cosine", "words": ["a", "b"], "table": [[1, 0], [-3, 0]], "pair": [0, 1]}, -1.0),
    # king − man + woman lands on queen; king itself would be nearer but is a query word.
    ({"ask": "analogy", "words": ["king", "man", "woman", "queen", "apple"],
      "table": [[3, 3], [1, 2], [1, 0], [3, 1], [-1, 1]], "query": [0, 1, 2]}, 3),
]


@pytest.mark.parametrize("inputs, answer", KNOWN)
def test_known_values(inputs: dict[str, Any], answer: Any) -> None:
    value = solve(inputs).answer.value
    assert agree(value, float(answer)) if isinstance(answer, float) else value == answer


def test_draws_are_valid_and_unambiguous() -> None:
    for inputs in VARIANTS:
        ask = inputs["ask"]
        if ask == "padded-ids":
            assert len({len(s) for s in inputs["sentences"]}) > 1
            assert any(w not in inputs["vocab"] for s in inputs["sentences"] for w in s)
        if ask in ("cosine", "analogy"):
            assert all(any(row) for row in inputs["table"])
        if ask == "analogy":  # three candidates at least, and the dot product's slip shows
            assert len(inputs["table"]) >= 6 and len(set(inputs["query"])) == 3
            solved = solve(inputs)
            assert "dot-product-not-cosine" in {m.name for m in solved.misconceptions}, inputs
            best = inputs["table"][int(solved.answer.value)]
            target = [x - y + z for x, y, z in zip(*(inputs["table"][i] for i in inputs["query"]))]
            assert sum(a * b for a, b in zip(best, target)) > 0, inputs  # a positive cosine
        kind = generators.expected("embeddings", inputs).kind
        assert kind == ("matrix" if ask == "padded-ids" else "shape" if ask.endswith("shape") else "formula" if ask.endswith("formula") else "number")


def test_describe_lists_the_vocabulary_with_its_ids() -> None:
    text = embeddings.describe({"ask": "padded-ids", "vocab": ["the", "cat"], "sentences": [["the", "cat"], ["dog"]]})
    assert text.splitlines()[0] == "vocabulary: [PAD] = 0, [UNK] = 1, the = 2, cat = 3"
    assert "sentence 1: dog" in text


def test_a_cosine_pair_is_neither_parallel_nor_orthogonal():
    """Cosine ±1 or 0 is read off at sight (and 0 equals the dot-product slip): never drawn."""
    params, rng = resolve(embeddings.PARAMS, {"ask": "cosine"}), random.Random(4)
    for _ in range(500):
        inputs = embeddings.draw(params, rng)
        a, b = (np.asarray(inputs["table"][i], float) for i in inputs["pair"])
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert 1e-9 < abs(cosine) < 1 - 1e-9, inputs
