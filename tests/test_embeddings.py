"""Tests of the embeddings family: generator, and checker against plain Python and numpy."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pytest
from conftest import formula_agrees
import torch

from quizgen import generators
from quizgen.core.params import resolve
from quizgen.core.problems import solve_problem
from quizgen.generators import embeddings


def solve(inputs: dict[str, Any]) -> Any:
    with torch.inference_mode():
        return solve_problem("embeddings", inputs)


# ---------------------------------------------------------------- independent reference


def _ids(inputs: dict[str, Any], unknown: int = 1) -> list[list[int]]:
    stoi = {w: i for i, w in enumerate(["[PAD]", "[UNK]", *inputs["vocab"]])}
    return [[stoi.get(w, unknown) for w in s] for s in inputs["sentences"]]


def _pad(rows: list[list[int]], front: bool = False) -> list[list[int]]:
    width = max(len(r) for r in rows)
    return [([0] * (width - len(r)) + r) if front else (r + [0] * (width - len(r))) for r in rows]


def _nearest(inputs: dict[str, Any], exclude: bool = True, score: str = "cosine") -> int:
    e = np.array(inputs["table"], dtype=float)
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
        return [*inputs["ids_shape"], inputs["dim"]]
    if ask == "table-params":
        return inputs["vocab_size"] * inputs["dim"]
    if ask == "bert-params":
        return (inputs["vocab_size"] + inputs["positions"] + 2) * inputs["dim"]
    if ask == "cosine":
        u, v = (np.array(inputs["table"][k], dtype=float) for k in inputs["pair"])
        return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return _nearest(inputs)


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
N_PER_ASK = 1000


def _inputs(ask: str, seed: int) -> dict[str, Any]:
    configs = CONFIGS[ask]
    return embeddings.draw(resolve(embeddings.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))


VARIANTS = [_inputs(ask, seed) for ask in embeddings.ASKS for seed in range(N_PER_ASK)]


def _agree(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return formula_agrees(a, b)
    if isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize("ask", embeddings.ASKS)
def test_answer_matches_plain_python(ask: str) -> None:
    wrong = [(i, v) for i in VARIANTS if i["ask"] == ask and not _agree(v := solve(i).answer.value, reference(i))]
    assert wrong == [], wrong[:3]


def test_each_formula_mistake_gives_the_count_it_names() -> None:
    for v, p, d in SIZES:
        values = {"V": v, "P": p, "D": d}
        table = {m.name: m.value for m in solve({"ask": "table-formula", "symbols": embeddings.FORMULA_SYMBOLS["table-formula"]}).misconceptions}
        assert formula_agrees(table["v-plus-d"], [(values, v + d)])
        assert formula_agrees(table["padding-row-excluded"], [(values, _count(torch.nn.Embedding(v, d, device="meta")) - d)])
        bert = {m.name: m.value for m in solve({"ask": "bert-formula", "symbols": embeddings.FORMULA_SYMBOLS["bert-formula"]}).misconceptions}
        tables = {n: _count(torch.nn.Embedding(n, d, device="meta")) for n in (v, p, 2)}
        assert formula_agrees(bert["positions-left-out"], [(values, tables[v] + tables[2])])
        assert formula_agrees(bert["segments-left-out"], [(values, tables[v] + tables[p])])
        assert formula_agrees(bert["token-table-only"], [(values, tables[v])])


def test_each_listed_mistake_is_recomputed_independently() -> None:
    for inputs in VARIANTS:
        sol = solve(inputs)
        ask = inputs["ask"]
        if ask.endswith("-formula"):
            continue  # above
        expected: dict[str, Any] = {}
        if ask == "padded-ids":
            dropped = [[i for i in row if i != 1] for row in _ids(inputs)]
            expected = {"padded-at-front": _pad(_ids(inputs), front=True), "unk-as-pad": _pad(_ids(inputs, unknown=0))}
            if all(dropped):
                expected["unknown-dropped"] = _pad(dropped)
        elif ask == "lookup-shape":
            expected = {"vocab-as-width": [*inputs["ids_shape"], inputs["vocab_size"]], "ids-shape-only": inputs["ids_shape"]}
        elif ask == "bert-shape":
            expected = {"concatenated": [*inputs["ids_shape"], 3 * inputs["dim"]]}
        elif ask == "table-params":
            v, d = inputs["vocab_size"], inputs["dim"]
            expected = {"v-plus-d": v + d, "padding-row-excluded": (v - 1) * d}
        elif ask == "bert-params":
            v, p, d = inputs["vocab_size"], inputs["positions"], inputs["dim"]
            expected = {"positions-left-out": (v + 2) * d, "segments-left-out": (v + p) * d, "token-table-only": v * d}
        elif ask == "cosine":
            u, w = (inputs["table"][k] for k in inputs["pair"])
            if not math.isclose(math.hypot(*u) * math.hypot(*w), 1.0):
                expected = {"dot-product-not-cosine": float(np.dot(u, w))}
        else:
            best = reference(inputs)
            if (q := _nearest(inputs, exclude=False)) != best:
                expected["query-words-included"] = q
            if (d2 := _nearest(inputs, score="dot")) != best:
                expected["dot-product-not-cosine"] = d2
        assert {m.name: m.value for m in sol.misconceptions} == expected, inputs


def test_lookups_agree_with_a_real_embedding_table() -> None:
    """The ids, looked up in a real nn.Embedding with padding_idx=0, give zero rows at the padding."""
    for inputs in [i for i in VARIANTS if i["ask"] == "padded-ids"][:100]:
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
    assert _agree(value, float(answer)) if isinstance(answer, float) else value == answer


def test_draws_are_reproducible_valid_and_unambiguous() -> None:
    state = random.getstate()
    assert [_inputs("analogy", s) for s in range(30)] == [_inputs("analogy", s) for s in range(30)]
    assert random.getstate() == state
    for inputs in VARIANTS:
        assert json.loads(json.dumps(inputs)) == inputs
        ask = inputs["ask"]
        if ask == "padded-ids":
            assert len({len(s) for s in inputs["sentences"]}) > 1
            assert any(w not in inputs["vocab"] for s in inputs["sentences"] for w in s)
        if ask in ("cosine", "analogy"):
            assert all(any(row) for row in inputs["table"])
        if ask == "analogy":
            assert len(inputs["table"]) >= 5 and len(set(inputs["query"])) == 3
        kind = generators.expected("embeddings", inputs).kind
        assert kind == ("matrix" if ask == "padded-ids" else "shape" if ask.endswith("shape") else "formula" if ask.endswith("formula") else "number")


def test_describe_lists_the_vocabulary_with_its_ids() -> None:
    text = embeddings.describe({"ask": "padded-ids", "vocab": ["the", "cat"], "sentences": [["the", "cat"], ["dog"]]})
    assert text.splitlines()[0] == "vocabulary: [PAD] = 0, [UNK] = 1, the = 2, cat = 3"
    assert "sentence 1: dog" in text
