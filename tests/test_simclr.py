"""Tests of the simclr family: generator, and checker against numpy and pytorch-metric-learning."""

from __future__ import annotations

import ast
import inspect
import json
import math
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch
from conftest import solved_variants, solver
from pytorch_metric_learning.losses import NTXentLoss
from pytorch_metric_learning.reducers import DoNothingReducer

from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.generators import simclr
from quizgen.judge import Tolerance, close

solve = solver("simclr")


# Each seed uses CONFIGS[seed % len(CONFIGS)], so the variants mix every ask and the edges of
# each range (one pair, one dimension, τ from 0.05 to 10, entries up to ±9).
LOSS_ASKS = ["loss", "anchor", "similarity"]  # the asks on a batch z; the others are tested below
CONFIGS: list[dict[str, Any]] = [
    {"ask": LOSS_ASKS},
    {"ask": ["loss", "anchor"], "pairs": [1, 4], "dim": [1, 6], "values": [-3, 3], "temperature": [0.05, 10]},
    {"ask": ["loss"], "pairs": 3, "dim": 2, "temperature": 0.1},
    {"ask": ["anchor"], "pairs": [2, 4], "dim": [2, 4], "temperature": [0.5, 2]},
    {"ask": ["loss", "anchor"], "pairs": [2, 4], "dim": [3, 6], "values": [-9, 9], "temperature": [0.05, 1]},
    {"ask": ["similarity"], "pairs": [1, 4], "dim": [1, 6], "values": [-5, 5]},
    {"ask": ["loss", "anchor"], "pairs": [1, 2], "temperature": 1.0},  # τ = 1 only when nothing else fits
]
N_VARIANTS = 1000
BUILDER_TOLERANCE = Tolerance()  # what the problem builder compares mistakes with


def _inputs(seed: int) -> dict[str, Any]:
    params = resolve(simclr.PARAMS, CONFIGS[seed % len(CONFIGS)])
    return simclr.draw(params, random.Random(seed))


VARIANTS = [_inputs(seed) for seed in range(N_VARIANTS)]


# ---------------------------------------------------------------- independent references


def ref_terms(z: Any, tau: float, cosine: bool = True, keep_self: bool = False) -> np.ndarray:
    """ℓ(i, pos(i)) for every anchor, by the formula, one anchor at a time.

    ``cosine=False`` uses raw dot products and ``keep_self=True`` leaves k = i in the denominator:
    the two mistakes the checker names.
    """
    z = np.asarray(z, dtype=np.float64)
    u = z / np.linalg.norm(z, axis=1, keepdims=True) if cosine else z
    s = u @ u.T
    two_n = len(z)
    n = two_n // 2
    terms = []
    for i in range(two_n):
        j = (i + n) % two_n
        candidates = [k for k in range(two_n) if keep_self or k != i]
        logits = s[i, candidates] / tau
        top = logits.max()
        log_denominator = top + math.log(np.exp(logits - top).sum())
        terms.append(log_denominator - s[i, j] / tau)
    return np.array(terms)


def _entropy(logits: np.ndarray) -> float:
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return float(-(p * np.log(p, where=p > 0, out=np.zeros_like(p))).sum())


def _zero_shot(inputs: dict[str, Any], cosine: bool = True, tau: float | None = None) -> np.ndarray:
    image, texts = np.asarray(inputs["image"], dtype=float), np.asarray(inputs["texts"], dtype=float)
    s = texts @ image
    if cosine:
        s = s / (np.linalg.norm(texts, axis=1) * np.linalg.norm(image))
    logits = s / (inputs["temperature"] if tau is None else tau)
    p = np.exp(logits - logits.max())
    return p / p.sum()


def _negatives(n: int) -> int:
    """Enumerate the views of a batch: for anchor 0, every other view but its positive."""
    return sum(1 for k in range(2 * n) if k not in (0, n))


def reference(inputs: dict[str, Any]) -> Any:
    if inputs["ask"] == "negatives":
        return float(_negatives(inputs["batch"]))
    if inputs["ask"] == "entropy":
        s = np.asarray(inputs["similarities"], dtype=float)
        return [_entropy(s / t) for t in inputs["temperatures"]]
    if inputs["ask"] == "zero-shot":
        p = _zero_shot(inputs)
        return p.tolist() if inputs["answer"] == "probabilities" else float(p.argmax())
    if inputs["ask"] == "similarity":
        u, v = (np.asarray(inputs["z"][k], dtype=np.float64) for k in inputs["pair"])
        return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    terms = ref_terms(inputs["z"], inputs["temperature"])
    return float(terms.mean() if inputs["ask"] == "loss" else terms[inputs["anchor"]])


def ref_misconceptions(inputs: dict[str, Any]) -> dict[str, float]:
    if inputs["ask"] == "similarity":
        u, v = (np.asarray(inputs["z"][k], dtype=np.float64) for k in inputs["pair"])
        return {"dot-product-not-cosine": float(u @ v)}
    z, tau = inputs["z"], inputs["temperature"]
    variants = {
        "raw-dot-product": ref_terms(z, tau, cosine=False),
        "self-in-denominator": ref_terms(z, tau, keep_self=True),
        "no-temperature": ref_terms(z, 1.0),
    }
    if inputs["ask"] == "anchor":
        return {name: float(t[inputs["anchor"]]) for name, t in variants.items()}
    out = {name: float(t.mean()) for name, t in variants.items()}
    out["one-direction-only"] = float(ref_terms(z, tau)[: len(z) // 2].mean())
    return out


def pml_answer(inputs: dict[str, Any]) -> float:
    """The same number from pytorch-metric-learning's NTXentLoss.

    With ``labels = arange(N).repeat(2)`` each view's only positive is its pair and every other
    view is a negative; the loss is a mean over the 2N (anchor, positive) pairs, i.e. over all
    anchors, and ``DoNothingReducer`` exposes each anchor's own term.
    """
    z = torch.tensor(inputs["z"], dtype=torch.float64)
    labels = torch.arange(len(z) // 2).repeat(2)
    if inputs["ask"] == "loss":
        return float(NTXentLoss(temperature=inputs["temperature"])(z, labels))
    out = NTXentLoss(temperature=inputs["temperature"], reducer=DoNothingReducer())(z, labels)["loss"]
    if out["indices"] is None:  # one pair: no negatives, and the library returns 0
        return 0.0
    anchors = out["indices"][0]
    return float(out["losses"][int((anchors == inputs["anchor"]).nonzero()[0, 0])])


def _close(a: Any, b: Any, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------- agreement over many variants


def test_variants_cover_every_ask_and_range_edge() -> None:
    asks = Counter(inputs["ask"] for inputs in VARIANTS)
    assert set(asks) == set(LOSS_ASKS) and min(asks.values()) >= 150
    assert {i["ask"] for i in EXTRA} | set(asks) == set(simclr.ASKS)
    pairs = Counter(len(inputs["z"]) // 2 for inputs in VARIANTS)
    assert set(pairs) == {1, 2, 3, 4}
    assert {len(inputs["z"][0]) for inputs in VARIANTS} == set(range(1, 7))
    taus = {inputs.get("temperature") for inputs in VARIANTS}
    assert {0.05, 0.1, 1.0, 10.0} <= taus
    # τ = 1 (leaving τ out gives the key) only where the range holds no other value.
    assert all(inputs["temperature"] != 1.0 for k, inputs in enumerate(VARIANTS) if "temperature" in inputs and k % len(CONFIGS) != 6)


@pytest.mark.parametrize("chunk", range(4))
def test_answer_matches_numpy_reference(chunk: int) -> None:
    for inputs, sol in solved_variants("simclr")[chunk::4]:
        assert sol.answer.kind == "number"
        assert _close(sol.answer.value, reference(inputs)), inputs


def test_answer_matches_pytorch_metric_learning() -> None:
    checked = 0
    for inputs, sol in solved_variants("simclr"):
        if inputs["ask"] != "similarity":
            assert _close(sol.answer.value, pml_answer(inputs)), inputs
            checked += 1
    assert checked >= 600


def test_misconceptions_listed_only_when_they_apply() -> None:
    for inputs, sol in solved_variants("simclr"):
        names = {m.name for m in sol.misconceptions}
        z = inputs["z"]
        n = len(z) // 2
        all_unit = all(sum(x * x for x in row) == 1 for row in z)
        if inputs["ask"] == "similarity":
            i, j = inputs["pair"]
            unit_pair = sum(x * x for x in z[i]) * sum(x * x for x in z[j]) == 1
            assert names == (set() if unit_pair else {"dot-product-not-cosine"})
            continue
        assert "self-in-denominator" in names
        assert ("raw-dot-product" in names) == (n > 1 and not all_unit)
        assert ("no-temperature" in names) == (n > 1 and inputs["temperature"] != 1.0)
        assert ("one-direction-only" in names) == (n > 1 and inputs["ask"] == "loss")


def test_misconceptions_mostly_differ_from_the_key() -> None:
    """The builder redraws a variant when a mistake lands within tolerance; count how often.

    Small-integer batches are often symmetric, so averaging half of the anchors can give the
    full mean exactly (about 1 loss variant in 10); tiny τ makes both the key and a mistake
    nearly 0. The builder redraws those; here they must stay a minority.
    """
    collide: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    with_collision = 0
    for _, sol in solved_variants("simclr"):
        hit = False
        for m in sol.misconceptions:
            listed[m.name] += 1
            if close(sol.answer.kind, sol.answer.value, m.value, BUILDER_TOLERANCE):
                collide[m.name] += 1
                hit = True
        with_collision += hit
    assert set(listed) == {
        "raw-dot-product",
        "self-in-denominator",
        "no-temperature",
        "one-direction-only",
        "dot-product-not-cosine",
    }
    assert with_collision <= 0.08 * N_VARIANTS, (with_collision, collide)
    assert collide["self-in-denominator"] == 0 and collide["dot-product-not-cosine"] == 0
    for name, count in listed.items():
        assert collide[name] <= 0.15 * count, (name, collide[name], count)


# ---------------------------------------------------------------- known values


def _loss(z: list[list[float]], tau: float) -> float:
    return float(solve({"ask": "loss", "z": z, "temperature": tau}).answer.value)


@pytest.mark.parametrize("tau", [0.05, 0.1, 0.5, 1.0, 2.0, 10.0])
def test_identical_views_of_orthogonal_examples(tau: float) -> None:
    # Each anchor: positive similarity 1, two negatives at 0, so ℓ = log(1 + 2 e^(−1/τ)).
    z = [[1, 0], [0, 1], [1, 0], [0, 1]]
    expected = math.log1p(2 * math.exp(-1 / tau))
    assert _close(_loss(z, tau), expected)
    # Scaling a vector changes nothing: cosine similarity ignores lengths.
    assert _close(_loss([[3, 0], [0, 1], [1, 0], [0, 5]], tau), expected)
    wrong = {m.name: m.value for m in solve({"ask": "loss", "z": z, "temperature": tau}).misconceptions}
    # Keeping the view itself adds exp(1/τ) to the denominator.
    assert _close(wrong["self-in-denominator"], math.log(2 + 2 * math.exp(-1 / tau)))


def test_all_views_orthogonal_give_log_of_the_candidates() -> None:
    for n in (2, 3):
        z = np.eye(2 * n, dtype=int).tolist()
        for tau in (0.1, 1.0):
            assert _close(_loss(z, tau), math.log(2 * n - 1))


def test_opposite_views() -> None:
    # Positive similarity −1, negatives 0: ℓ = −log(e^(−1/τ) / (e^(−1/τ) + 2)) = log(1 + 2 e^(1/τ)).
    z = [[1, 0], [0, 1], [-1, 0], [0, -1]]
    for tau in (0.5, 1.0):
        assert _close(_loss(z, tau), math.log1p(2 * math.exp(1 / tau)))


def test_one_pair_has_zero_loss() -> None:
    for z in ([[1, 0], [0, 1]], [[2, -1], [-3, 5]], [[4], [-1]]):
        for tau in (0.1, 1.0):
            sol = solve({"ask": "loss", "z": z, "temperature": tau})
            assert sol.answer.value == 0.0 and math.copysign(1, sol.answer.value) == 1
            assert [m.name for m in sol.misconceptions] == ["self-in-denominator"]
            assert solve({"ask": "anchor", "z": z, "temperature": tau, "anchor": 1}).answer.value == 0.0


def test_lower_temperature_sharpens_the_loss() -> None:
    # When each positive is the most similar view, a lower τ lowers the loss.
    z = [[2, 1], [-1, 2], [1, 1], [-1, 1]]
    losses = [_loss(z, tau) for tau in (0.1, 0.2, 0.5, 1.0, 2.0)]
    assert losses == sorted(losses)


def test_anchor_terms_average_to_the_loss() -> None:
    z = [[1, 2], [0, -1], [2, 1], [-1, 0], [1, -1], [2, 2]]
    terms = [solve({"ask": "anchor", "z": z, "temperature": 0.5, "anchor": i}).answer.value for i in range(6)]
    assert _close(sum(terms) / 6, _loss(z, 0.5))
    # By hand, anchor 0 = (1, 2): its positive (−1, 0) has cosine −1/√5; the other views
    # (0, −1), (2, 1), (1, −1), (2, 2) have −2/√5, 4/5, −1/√10 and 3/√10.
    candidates = [-1 / math.sqrt(5), -2 / math.sqrt(5), 0.8, -1 / math.sqrt(10), 3 / math.sqrt(10)]
    hand = math.log(sum(math.exp(s / 0.5) for s in candidates)) + 1 / math.sqrt(5) / 0.5
    assert _close(terms[0], hand)


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [
        ([1, 0], [1, 1], 1 / math.sqrt(2)),
        ([3, 4], [4, 3], 24 / 25),
        ([1, 2], [-2, -4], -1.0),
        ([2], [-3], -1.0),
    ],
)
def test_known_cosine_similarities(u: list[int], v: list[int], expected: float) -> None:
    sol = solve({"ask": "similarity", "z": [u, v], "pair": [0, 1]})
    assert _close(sol.answer.value, expected)
    a, b = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    assert _close(expected, a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))  # the table, checked
    assert sol.misconceptions[0].value == sum(a * b for a, b in zip(u, v))


def test_steps_end_at_the_answer() -> None:
    for inputs, sol in solved_variants("simclr"):
        assert _close(sol.steps[-1].value, sol.answer.value, rel=1e-12)
        if inputs["ask"] == "loss":
            logits = next(s for s in sol.steps if s.label.startswith("logits"))
            assert all(logits.value[i][i] == "-inf" for i in range(len(inputs["z"])))


# ---------------------------------------------------------------- generator behaviour


@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_same_seed_same_inputs(config: int) -> None:
    params = resolve(simclr.PARAMS, CONFIGS[config])
    for seed in range(20):
        assert simclr.draw(params, random.Random(seed)) == simclr.draw(params, random.Random(seed))
    assert len({json.dumps(simclr.draw(params, random.Random(s))) for s in range(30)}) > 15


def test_inputs_and_solutions_survive_json() -> None:
    for inputs, sol in solved_variants("simclr"):
        again = json.loads(json.dumps(inputs, allow_nan=False))
        assert again == inputs
        assert solve(again).answer == sol.answer
        json.dumps(sol.to_json(), allow_nan=False)


def test_draws_respect_params_and_avoid_degenerate_batches() -> None:
    given = {"ask": LOSS_ASKS, "pairs": [1, 3], "dim": [2, 3], "values": [-1, 2]}
    params = resolve(simclr.PARAMS, given)
    for seed in range(300):
        inputs = simclr.draw(params, random.Random(seed))
        z = inputs["z"]
        n = len(z) // 2
        assert len(z) % 2 == 0 and 1 <= n <= 3 and all(len(row) == len(z[0]) in (2, 3) for row in z)
        assert all(-1 <= x <= 2 for row in z for x in row)
        assert all(any(row) for row in z)
        assert np.linalg.matrix_rank(np.asarray(z, dtype=float)) >= 2  # not all on one line
        if inputs["ask"] == "similarity":
            i, j = inputs["pair"]
            assert i != j and 0 <= i < 2 * n and 0 <= j < 2 * n and "temperature" not in inputs
            assert sum(a * b for a, b in zip(z[i], z[j])) != 0
        else:
            assert inputs["temperature"] in (0.1, 0.2, 0.25, 0.5, 1.0)
        if inputs["ask"] == "anchor":
            assert 0 <= inputs["anchor"] < 2 * n


def test_zero_shot_probabilities_draw_no_text_along_the_image_and_no_class_twice() -> None:
    """A text that is a multiple of the image has cosine ±1, seen without computing it; two
    classes with one text embedding (6% of draws did) are one class under two names."""
    params = resolve(simclr.PARAMS, {"ask": "zero-shot", "answer": "probabilities"})
    assert simclr.version(params) == 4
    for seed in range(300):
        inputs = simclr.draw(params, random.Random(seed))
        assert len({tuple(t) for t in inputs["texts"]}) == len(inputs["texts"]), inputs
        image = np.asarray(inputs["image"], dtype=float)
        for text in np.asarray(inputs["texts"], dtype=float):
            assert abs(abs(image @ text) - np.linalg.norm(image) * np.linalg.norm(text)) > 1e-9, inputs


def test_temperature_off_the_grid() -> None:
    params = resolve(simclr.PARAMS, {"temperature": [0.3, 0.4]})
    drawn = {simclr.draw(params, random.Random(s))["temperature"] for s in range(60)}
    assert drawn <= {round(0.3 + k / 100, 2) for k in range(11)} and len(drawn) > 3
    assert simclr.draw(resolve(simclr.PARAMS, {"temperature": 0.07}), random.Random(0))["temperature"] == 0.07


def test_params_of_the_family() -> None:
    """Beyond what every family's specs must satisfy (tests/test_references.py): this family's own."""
    assert simclr.PARAMS["values"].minimum < 0
    assert simclr.PARAMS["temperature"].exclusive_minimum == 0.0
    assert (simclr.PARAMS["pairs"].minimum, simclr.PARAMS["pairs"].maximum) == (1, 4)
    assert simclr.check_params(resolve(simclr.PARAMS, {})) == []
    assert [p[0] for p in simclr.check_params(resolve(simclr.PARAMS, {"values": [0, 0]}))] == ["values"]


def test_impossible_params_raise_generation_error() -> None:
    with pytest.raises(GenerationError, match="values"):
        simclr.draw(resolve(simclr.PARAMS, {"values": [0, 0]}), random.Random(0))
    # Every vector equal: all on one line.
    with pytest.raises(GenerationError):
        simclr.draw(resolve(simclr.PARAMS, {"values": [2, 2], "dim": 3}), random.Random(0))
    with pytest.raises(GenerationError, match="temperature"):
        simclr.draw(resolve(simclr.PARAMS, {"temperature": [0.001, 0.002]}), random.Random(0))
    # One dimension is allowed (all views lie on one line there) as long as some pair disagrees
    # in sign.
    one_d = resolve(simclr.PARAMS, {"dim": 1, "pairs": 2})
    assert len(simclr.draw(one_d, random.Random(0))["z"][0]) == 1


# ---------------------------------------------------------------- negatives, entropy, zero-shot

EXTRA_CONFIGS: dict[str, list[dict[str, Any]]] = {
    "negatives": [{}, {"batch": [2, 1024]}],
    "entropy": [{}, {"classes": [2, 6], "temperature": [0.05, 10]}],
    "zero-shot": [{}, {"answer": "class"}, {"classes": [2, 6], "dim": [1, 6], "values": [-5, 5], "temperature": [0.05, 10], "answer": ["probabilities", "class"]}],
}
EXTRA = [
    simclr.draw(resolve(simclr.PARAMS, {"ask": ask, **configs[seed % len(configs)]}), random.Random(seed))
    for ask, configs in EXTRA_CONFIGS.items()
    for seed in range(300)
]


def _extra_mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    if inputs["ask"] == "negatives":
        n = inputs["batch"]
        return {"positive-counted-as-negative": 2 * n - 1, "one-view-per-example": n - 1}
    if inputs["ask"] == "entropy":
        s = np.asarray(inputs["similarities"], dtype=float)
        return {"log2-used": [_entropy(s / t) / math.log(2) for t in inputs["temperatures"]], "no-temperature": [_entropy(s)] * 2}
    dots, no_tau = _zero_shot(inputs, cosine=False), _zero_shot(inputs, tau=1.0)
    if inputs["answer"] == "class":
        return {"raw-dot-product": float(dots.argmax())}
    return {"raw-dot-product": dots.tolist(), "no-temperature": no_tau.tolist()}


def _same(a: Any, b: Any) -> bool:
    """Same shape (no broadcasting: one entry for k entries is wrong), then close values."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-9, atol=1e-12))


def mistakes(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every named mistake recomputed (the registry's check in test_references.py)."""
    return ref_misconceptions(inputs) if inputs["ask"] in LOSS_ASKS else _extra_mistakes(inputs)


def test_extra_asks_match_the_references_and_name_their_mistakes() -> None:
    for inputs in EXTRA:
        sol = solve(inputs)
        assert _same(sol.answer.value, reference(inputs)), inputs
        ref = mistakes(inputs)
        for m in sol.misconceptions:
            assert _same(m.value, ref[m.name]), (inputs, m.name)
        if inputs["ask"] == "zero-shot" and inputs["answer"] == "class":
            # Drawn so that the raw dot product picks another class: the mistake is always named.
            assert [m.name for m in sol.misconceptions] == ["raw-dot-product"]


def test_negatives_from_pytorch_metric_learning() -> None:
    """NTXentLoss's own pair miner finds 2N − 2 negatives per anchor."""
    from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

    for n in (2, 3, 17, 64):
        labels = torch.arange(n).repeat(2)
        a2, _ = lmu.get_all_pairs_indices(labels)[2:]
        assert solve({"ask": "negatives", "batch": n}).answer.value == float((a2 == 0).sum()) == 2 * n - 2


def test_lower_temperature_lower_entropy_and_known_values() -> None:
    for inputs in (i for i in EXTRA if i["ask"] == "entropy"):
        low, high = solve(inputs).answer.value
        assert low <= high + 1e-12  # temperatures are drawn in increasing order
    # Equal logits give log K at any τ; one dominant logit at a tiny τ gives about 0.
    assert _close(solve({"ask": "entropy", "similarities": [0.5, 0.5, 0.5], "temperatures": [0.1, 1.0]}).answer.value[1], math.log(3))
    assert solve({"ask": "entropy", "similarities": [1.0, -1.0], "temperatures": [0.01, 1.0]}).answer.value[0] < 1e-80
    # Two classes, cosines 1 and 0 (image (1, 0); texts (2, 0) and (0, 3)), τ = 1: p = e / (e + 1).
    zs = {"ask": "zero-shot", "image": [1, 0], "texts": [[2, 0], [0, 3]], "labels": ["cat", "dog"], "temperature": 1.0, "answer": "probabilities"}
    assert _close(solve(zs).answer.value[0], math.e / (math.e + 1))
    assert solve({**zs, "answer": "class"}).answer.value == 0.0
    assert solve({"ask": "negatives", "batch": 2}).answer.value == 2.0


def test_describe_names_pairs_anchor_and_temperature() -> None:
    inputs = {"ask": "anchor", "z": [[1, -2], [10, 0], [1, 1], [0, 1]], "temperature": 0.5, "anchor": 3}
    text = simclr.describe(inputs)
    assert text.startswith("embeddings z = [[ 1, -2],\n                [10,  0],")
    assert "positive pairs: (0, 2), (1, 3)" in text and "τ = 0.5" in text
    assert "i = 3 (its positive is 1)" in text
    assert "z_0 and z_3" in simclr.describe({"ask": "similarity", "z": [[1], [2], [3], [4]], "pair": [0, 3]})
    for inputs in VARIANTS[:50]:
        assert simclr.describe(inputs)


def test_generator_never_imports_torch() -> None:
    tree = ast.parse(inspect.getsource(simclr))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in imported)


def test_a_similarity_pair_is_neither_parallel_nor_orthogonal():
    """Cosine ±1 or 0 is read off at sight (and 0 hides the missing division): never drawn."""
    params, rng = resolve(simclr.PARAMS, {"ask": "similarity"}), random.Random(4)
    for _ in range(500):
        inputs = simclr.draw(params, rng)
        a, b = (np.asarray(inputs["z"][i], float) for i in inputs["pair"])
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert 1e-9 < abs(cosine) < 1 - 1e-9, inputs
