"""Tests for the shapes family: generator, checker and the squeeze-unsqueeze concept file.

The reference is torch itself on real tensors: each chain is replayed here on ``torch.zeros``
with a small interpreter of its own, and whatever torch returns (or raises) must be the
checker's answer.
"""

from __future__ import annotations

import collections
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.core.problems import solve_problem
from quizgen.generators import shapes


def solve(inputs: Any) -> Any:
    """The checker's solution, its answer typed by the generator (as every face sees it)."""
    return solve_problem("shapes", inputs)


ROOT = Path(__file__).resolve().parent.parent
CONCEPT = ROOT / "concepts" / "squeeze-unsqueeze.yaml"
ITEMS = {":": slice(None), "None": None, "...": Ellipsis}
# The op kind each misconception is about; a listed misconception needs that op in the chain.
MISTAKE_OP = {
    "squeeze-drops-any-dim": "squeeze",
    "squeeze-dim-raises": "squeeze",
    "squeeze-removes-only-first": "squeeze",
    "unsqueeze-negative-off-by-one": "unsqueeze",
    "view-ignores-contiguity": "view",
    "broadcast-left-aligned": "add",
    "permute-inverse": "permute",
    "flatten-keeps-first-dim": "flatten",
    "matmul-keeps-vector-dim": "matmul",
}
VARIANTS_PER_CONFIG = 200


def reference(inputs: dict[str, Any]) -> Any:
    """The chain on real tensors: the final shape, or "error" when torch raises."""
    x = torch.zeros(inputs["shape"])
    y = torch.zeros(inputs["other"]) if "other" in inputs else None
    try:
        for op in inputs["ops"]:
            kind = op["op"]
            if kind == "squeeze":
                x = x.squeeze(op["dim"]) if "dim" in op else x.squeeze()
            elif kind == "unsqueeze":
                x = x.unsqueeze(op["dim"])
            elif kind == "view":
                x = x.view(tuple(op["shape"]))
            elif kind == "reshape":
                x = x.reshape(tuple(op["shape"]))
            elif kind == "transpose":
                x = x.transpose(op["dims"][0], op["dims"][1])
            elif kind == "permute":
                x = x.permute(*op["dims"])
            elif kind == "flatten":
                x = torch.flatten(x, op.get("start_dim", 0), op.get("end_dim", -1))
            elif kind == "index":
                x = x[tuple(ITEMS[i] for i in op["items"])]
            elif kind == "add":
                x = x + y
            elif kind == "matmul":
                x = torch.matmul(x, y)
            else:
                raise AssertionError(f"unknown op {kind}")
    except (RuntimeError, IndexError, ValueError):
        return "error"
    return list(x.shape)


def configs() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"default": {}}
    for template in yaml.safe_load(CONCEPT.read_text(encoding="utf-8"))["problems"]:
        out[template["name"]] = template["params"]
    return out


@pytest.fixture(scope="module")
def variants() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for name, given in configs().items():
        params = resolve(shapes.PARAMS, given)
        for seed in range(VARIANTS_PER_CONFIG):
            out.append((name, seed, shapes.draw(params, random.Random(seed))))
    return out


@pytest.fixture(scope="module")
def solved(
    variants: list[tuple[str, int, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any], Any]]:
    return [(name, inputs, solve(inputs)) for name, _, inputs in variants]


# --- the checker agrees with torch on real tensors -----------------------------------------------


def test_at_least_1000_variants(variants: list[tuple[str, int, dict[str, Any]]]) -> None:
    assert len(variants) >= 1000
    kinds = collections.Counter(op["op"] for _, _, inputs in variants for op in inputs["ops"])
    assert set(kinds) == {"squeeze", "unsqueeze", "view", "reshape", "transpose", "permute",
                          "flatten", "index", "add", "matmul"}


def test_answers_match_real_tensors(solved: list[tuple[str, dict[str, Any], Any]]) -> None:
    bad = [(inputs, sol.answer.value, reference(inputs)) for _, inputs, sol in solved
           if sol.answer.value != reference(inputs)]
    assert not bad, bad[:5]


def test_steps_follow_the_chain(solved: list[tuple[str, dict[str, Any], Any]]) -> None:
    for _, inputs, sol in solved:
        assert sol.answer.kind == "shape"
        assert sol.steps[-1].value == sol.answer.value
        labels = shapes.expression(inputs["ops"])
        assert [s.label for s in sol.steps] == labels[: len(sol.steps)]
        if sol.answer.value == "error":
            assert sol.steps[-1].note.startswith("torch raises: ")
            assert len(sol.steps[-1].note) <= 120
            assert len(sol.steps) <= len(inputs["ops"])
        else:
            assert len(sol.steps) == len(inputs["ops"])
            assert all(s.shape == s.value for s in sol.steps)
            assert all(type(v) is int for v in sol.answer.value)


def test_error_share(solved: list[tuple[str, dict[str, Any], Any]]) -> None:
    share = collections.defaultdict(list)
    for name, _, sol in solved:
        share[name].append(sol.answer.value == "error")
    overall = sum(sum(v) for v in share.values()) / len(solved)
    default = sum(share["default"]) / len(share["default"])
    assert 0.12 <= overall <= 0.3, overall
    assert 0.12 <= default <= 0.3, default
    for name, flags in share.items():
        assert 0.03 <= sum(flags) / len(flags) <= 0.4, (name, sum(flags) / len(flags))


# --- hand-known values ----------------------------------------------------------------------


def sq(dim: int | None = None) -> dict[str, Any]:
    return {"op": "squeeze"} if dim is None else {"op": "squeeze", "dim": dim}


def unsq(dim: int) -> dict[str, Any]:
    return {"op": "unsqueeze", "dim": dim}


KNOWN = [
    # the seed note's table
    ([3], [unsq(0)], None, [1, 3]),
    ([3], [unsq(1)], None, [3, 1]),
    ([3, 4], [unsq(-1)], None, [3, 4, 1]),
    ([1, 3, 1], [sq()], None, [3]),
    ([1, 3, 1], [sq(0)], None, [3, 1]),
    # squeeze of a dim that is not 1 is a no-op, out of range raises
    ([3, 1], [sq(0)], None, [3, 1]),
    ([3, 1], [sq(-1)], None, [3]),
    ([3, 1], [sq(2)], None, "error"),
    ([3, 4], [unsq(3)], None, "error"),
    ([3, 4], [unsq(2)], None, [3, 4, 1]),
    ([3, 4], [unsq(-3)], None, [1, 3, 4]),
    ([3, 4], [unsq(-4)], None, "error"),
    # 0-d tensors
    ([], [unsq(0)], None, [1]),
    ([], [unsq(-1)], None, [1]),
    ([], [unsq(1)], None, "error"),
    ([], [sq(0)], None, []),
    ([], [sq()], None, []),
    ([], [{"op": "flatten"}], None, [1]),
    ([], [{"op": "index", "items": ["None"]}], None, [1]),
    ([], [{"op": "index", "items": [":", "None"]}], None, "error"),
    ([], [{"op": "matmul"}], [3], "error"),
    # view needs contiguous memory, reshape does not
    ([3, 4], [{"op": "transpose", "dims": [0, 1]}, {"op": "view", "shape": [-1]}], None, "error"),
    ([3, 4], [{"op": "transpose", "dims": [0, 1]}, {"op": "reshape", "shape": [-1]}], None, [12]),
    ([3, 4], [{"op": "transpose", "dims": [0, 1]}, {"op": "view", "shape": [2, 2, 3]}], None,
     [2, 2, 3]),
    ([3, 1], [{"op": "transpose", "dims": [0, 1]}, {"op": "view", "shape": [-1]}], None, [3]),
    ([2, 3, 4], [{"op": "permute", "dims": [2, 0, 1]}, {"op": "view", "shape": [4, -1]}], None,
     [4, 6]),
    ([2, 3, 4], [{"op": "view", "shape": [5, -1]}], None, "error"),
    ([2, 3, 4], [{"op": "view", "shape": [-1, -1]}], None, "error"),
    ([2, 3, 4], [{"op": "flatten", "start_dim": 1}], None, [2, 12]),
    ([2, 3, 4], [{"op": "flatten", "start_dim": 2, "end_dim": 1}], None, "error"),
    ([3, 4], [{"op": "index", "items": [":", "None"]}], None, [3, 1, 4]),
    ([3, 4], [{"op": "index", "items": ["...", "None"]}], None, [3, 4, 1]),
    # broadcasting and matmul
    ([3, 1, 4], [{"op": "add"}], [5, 4], [3, 5, 4]),
    ([3, 4], [{"op": "add"}], [3], "error"),
    ([4], [{"op": "matmul"}], [4, 5], [5]),
    ([2, 3, 4], [{"op": "matmul"}], [4], [2, 3]),
    ([4], [{"op": "matmul"}], [4], []),
    ([2, 3, 4], [{"op": "matmul"}], [5, 4, 6], "error"),
    ([2, 3, 4], [{"op": "matmul"}], [1, 4, 6], [2, 3, 6]),
    ([3, 4], [{"op": "matmul"}], [5, 6], "error"),
    # the result of a broadcast add keeps the transposed layout, so view still fails after it
    ([3, 4], [{"op": "transpose", "dims": [0, 1]}, {"op": "add"}, {"op": "view", "shape": [-1]}],
     [4, 3], "error"),
]


@pytest.mark.parametrize(("shape", "ops", "other", "expected"), KNOWN)
def test_known_values(shape: list[int], ops: list[dict[str, Any]], other: list[int] | None,
                      expected: Any) -> None:
    inputs: dict[str, Any] = {"shape": shape, "ops": ops}
    if other is not None:
        inputs["other"] = other
    assert reference(inputs) == expected
    assert solve(inputs).answer.value == expected


MISTAKES = [
    ([1, 3, 1], [sq()], None, {"squeeze-removes-only-first": [3, 1]}),
    ([3, 4], [sq(1)], None, {"squeeze-drops-any-dim": [3], "squeeze-dim-raises": "error"}),
    ([3, 4], [unsq(-1)], None, {"unsqueeze-negative-off-by-one": [3, 1, 4]}),
    ([3, 4], [unsq(-2)], None, {"unsqueeze-negative-off-by-one": [1, 3, 4]}),
    ([3, 4], [unsq(-3)], None, {}),
    ([3, 4], [unsq(1)], None, {}),
    ([3, 4], [{"op": "transpose", "dims": [0, 1]}, {"op": "view", "shape": [-1]}], None,
     {"view-ignores-contiguity": [12]}),
    ([3, 4], [{"op": "view", "shape": [5, -1]}], None, {}),
    ([3, 4], [{"op": "add"}], [3], {"broadcast-left-aligned": [3, 4]}),
    ([3, 4], [{"op": "add"}], [3, 4], {}),
    ([2, 3, 4], [{"op": "permute", "dims": [1, 2, 0]}], None, {"permute-inverse": [4, 2, 3]}),
    ([2, 3, 4], [{"op": "permute", "dims": [1, 0, 2]}], None, {}),
    ([2, 3, 4], [{"op": "flatten"}], None, {"flatten-keeps-first-dim": [2, 12]}),
    ([2, 3, 4], [{"op": "flatten", "start_dim": 0}], None, {}),
    ([3], [{"op": "matmul"}], [3, 4], {"matmul-keeps-vector-dim": [1, 4]}),
    ([2, 3, 4], [{"op": "matmul"}], [4], {"matmul-keeps-vector-dim": [2, 3, 1]}),
    ([3, 4], [{"op": "matmul"}], [4, 2], {}),
    ([1, 3, 1], [sq(2), sq()], None, {}),
]


@pytest.mark.parametrize(("shape", "ops", "other", "expected"), MISTAKES)
def test_misconception_values(shape: list[int], ops: list[dict[str, Any]], other: list[int] | None,
                              expected: dict[str, Any]) -> None:
    inputs: dict[str, Any] = {"shape": shape, "ops": ops}
    if other is not None:
        inputs["other"] = other
    sol = solve(inputs)
    assert {m.name: m.value for m in sol.misconceptions} == expected
    for m in sol.misconceptions:
        assert 20 <= len(m.description) <= 240 and m.description.endswith(".")


def test_misconceptions_apply_and_mostly_differ(
    solved: list[tuple[str, dict[str, Any], Any]],
) -> None:
    seen: collections.Counter[str] = collections.Counter()
    differ: collections.Counter[str] = collections.Counter()
    for _, inputs, sol in solved:
        kinds = {op["op"] for op in inputs["ops"]}
        names = [m.name for m in sol.misconceptions]
        assert len(names) == len(set(names))
        for m in sol.misconceptions:
            assert MISTAKE_OP[m.name] in kinds, (m.name, inputs)
            assert m.value == "error" or all(type(v) is int for v in m.value)
            seen[m.name] += 1
            differ[m.name] += m.value != sol.answer.value
    assert set(seen) == set(MISTAKE_OP), seen
    for name, count in seen.items():
        assert count >= 30, (name, count)
        assert differ[name] / count > 0.5, (name, differ[name], count)
    assert sum(differ.values()) / sum(seen.values()) > 0.7


# --- generator contract ---------------------------------------------------------------------


def test_determinism() -> None:
    for given in configs().values():
        params = resolve(shapes.PARAMS, given)
        for seed in range(30):
            first = shapes.draw(params, random.Random(seed))
            assert first == shapes.draw(params, random.Random(seed))
        drawn = {json.dumps(shapes.draw(params, random.Random(s))) for s in range(30)}
        assert len(drawn) >= 10


def test_json_round_trip(solved: list[tuple[str, dict[str, Any], Any]]) -> None:
    for _, inputs, sol in solved[::7]:
        assert json.loads(json.dumps(inputs)) == inputs
        assert json.loads(json.dumps(sol.to_json())) == sol.to_json()
        assert solve(json.loads(json.dumps(inputs)))== sol


def test_chain_lengths_and_ops_follow_params(
    variants: list[tuple[str, int, dict[str, Any]]],
) -> None:
    table = configs()
    alias = {"squeeze-dim": "squeeze", "index-none": "index", "broadcast": "add"}
    for name, _, inputs in variants:
        params = resolve(shapes.PARAMS, table[name])
        lo, hi = params["n_ops"]
        assert lo <= len(inputs["ops"]) <= hi
        assert params["ndim"][0] <= len(inputs["shape"]) <= params["ndim"][1]
        assert all(params["size"][0] <= s <= params["size"][1] for s in inputs["shape"])
        allowed = {alias.get(o, o) for o in params["ops"]}
        assert {op["op"] for op in inputs["ops"]} <= allowed
        assert sum(op["op"] in ("add", "matmul") for op in inputs["ops"]) <= 1
        assert ("other" in inputs) == any(op["op"] in ("add", "matmul") for op in inputs["ops"])
        if params["negative_dims"]:
            first = inputs["ops"][0]
            n = len(inputs["shape"])
            if first["op"] == "unsqueeze" and -n - 2 < first["dim"] <= n:
                assert first["dim"] < 0
            if first["op"] == "squeeze" and -max(n, 1) - 1 < first.get("dim", -1) < max(n, 1):
                assert first["dim"] < 0


def test_no_trivial_undo_pairs(variants: list[tuple[str, int, dict[str, Any]]]) -> None:
    for _, _, inputs in variants:
        ops = inputs["ops"]
        for a, b in zip(ops, ops[1:]):
            assert not (a["op"] == b["op"] == "transpose" and set(a["dims"]) == set(b["dims"]))
            if a["op"] == "transpose":
                assert a["dims"][0] != a["dims"][1]


def test_size_one_is_frequent() -> None:
    params = resolve(shapes.PARAMS, {})
    sizes = [s for seed in range(300) for s in shapes.draw(params, random.Random(seed))["shape"]]
    assert 0.3 <= sizes.count(1) / len(sizes) <= 0.5


def test_negative_dims_are_drawn(variants: list[tuple[str, int, dict[str, Any]]]) -> None:
    dims = [op["dim"] for _, _, inputs in variants for op in inputs["ops"] if "dim" in op]
    assert 0.2 <= sum(d < 0 for d in dims) / len(dims) <= 0.7


def test_describe() -> None:
    inputs = {"shape": [3, 1, 4], "ops": [unsq(1), sq()]}
    assert shapes.describe(inputs) == "x = torch.zeros(3, 1, 4)\nx.unsqueeze(1).squeeze()"
    inputs = {"shape": [], "ops": [{"op": "index", "items": [":", "None"]}, {"op": "add"},
                                   {"op": "transpose", "dims": [0, -1]}], "other": [4, 5]}
    assert shapes.describe(inputs) == (
        "x = torch.zeros(())\ny = torch.zeros(4, 5)\n(x[:, None] + y).transpose(0, -1)"
    )
    inputs = {"shape": [2, 3], "ops": [{"op": "flatten", "start_dim": 0, "end_dim": -1},
                                       {"op": "view", "shape": [-1]}, {"op": "matmul"}],
              "other": [6]}
    assert shapes.describe(inputs).splitlines()[-1] == "x.flatten(0, -1).view(-1) @ y"


def test_generator_does_not_import_torch() -> None:
    code = (
        "import random, sys\n"
        "from quizgen.generators import shapes\n"
        "from quizgen.core.params import resolve\n"
        "p = resolve(shapes.PARAMS, {})\n"
        "shapes.describe(shapes.draw(p, random.Random(0)))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_params_validation() -> None:
    assert shapes.FAMILY == "shapes" and shapes.VERSION == 1
    for given in configs().values():
        assert shapes.check_params(resolve(shapes.PARAMS, given)) == []
    bad = shapes.check_params({"ops": ["transpose", "permute"], "ndim": [0, 1]})
    assert [p[0] for p in bad] == ["ndim"]
    bad = shapes.check_params({"ops": ["broadcast"], "n_ops": [2, 3]})
    assert [p[0] for p in bad] == ["n_ops"]
    with pytest.raises(GenerationError, match="non-trivial chain"):
        shapes.draw(resolve(shapes.PARAMS, {"ops": "transpose", "ndim": 1}), random.Random(0))
    spec = shapes.PARAMS
    assert spec["ndim"].minimum == 0 and spec["ndim"].maximum == 6
    assert spec["n_ops"].minimum == 1 and spec["n_ops"].maximum == 6
    assert spec["size"].minimum == 1
    assert set(spec["ops"].options) == set(shapes.OPS) == set(spec["ops"].default)


# --- the concept file -----------------------------------------------------------------------


def test_concept_file() -> None:
    data = yaml.safe_load(CONCEPT.read_text(encoding="utf-8"))
    assert data["id"] == CONCEPT.stem == "squeeze-unsqueeze"
    assert data["tags"] == ["shapes", "tensors", "pytorch"]
    assert data["sources"] == ["Study notes: word embeddings, pretraining and fine-tuning (warmup, decay, freezing, LLRD), squeeze and unsqueeze"]
    assert len(data["flashcards"]) >= 6
    assert all(card["front"].strip() and card["back"].strip() for card in data["flashcards"])
    problems = data["problems"]
    assert len(problems) >= 5
    assert len({p["name"] for p in problems}) == len(problems)
    difficulties = [p["difficulty"] for p in problems]
    assert difficulties == sorted(difficulties) and difficulties[0] < difficulties[-1]
    for p in problems:
        assert p["generator"] == "shapes"
        assert set(p["params"]) <= set(shapes.PARAMS)
        ops = p["params"].get("ops", [])
        assert set([ops] if isinstance(ops, str) else ops) <= set(shapes.OPS)
        assert "error" in p["prompt"] and "shape" in p["prompt"]
