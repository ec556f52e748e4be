"""The classification family: generator properties and the checker against scikit-learn.

Confusion-matrix inputs are expanded back into label lists (``C[i][j]`` copies of true ``i``,
predicted ``j``) before scikit-learn sees them. Every misconception value is checked against a
scikit-learn computation of the same mistake (the other average, the other metric, 1/β, the label
lists swapped for a transposed matrix, balanced accuracy).
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import solver
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    precision_score,
    recall_score,
)

from quizgen.core.errors import GenerationError
from quizgen.core.params import resolve
from quizgen.generators import classification as cls

solve = solver("classification")


ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(1000)
BUILDER_REL, BUILDER_ABS = 0.005, 0.0005
MIXED = {"classes": [2, 6], "samples": [6, 16], "beta": [0.5, 3.0], "leave_out": ["none", "one"]}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _lists(inputs: dict) -> tuple[list[int], list[int]]:
    if "y_true" in inputs:
        return list(inputs["y_true"]), list(inputs["y_pred"])
    y_true: list[int] = []
    y_pred: list[int] = []
    labels = inputs["labels"]
    for i, row in enumerate(inputs["confusion_matrix"]):
        for j, count in enumerate(row):
            y_true += [labels[i]] * count
            y_pred += [labels[j]] * count
    return y_true, y_pred


def _sk(metric: str, y_true, y_pred, labels, average=None, beta=None, pos_label=1) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        if metric == "accuracy":
            return float(accuracy_score(y_true, y_pred))
        kw = {"labels": labels, "average": average, "pos_label": pos_label, "zero_division": 0.0}
        if metric == "precision":
            return float(precision_score(y_true, y_pred, **kw))
        if metric == "recall":
            return float(recall_score(y_true, y_pred, **kw))
        if metric == "f1":
            return float(f1_score(y_true, y_pred, **kw))
        return float(fbeta_score(y_true, y_pred, beta=beta, **kw))


def reference(inputs: dict) -> float:
    y_true, y_pred = _lists(inputs)
    return _sk(
        inputs["metric"], y_true, y_pred, inputs.get("average_over", inputs["labels"]), inputs.get("average"), inputs.get("beta")
    )


@pytest.fixture(scope="module")
def variants() -> list[tuple[dict, object]]:
    params = resolve(cls.PARAMS, MIXED)
    out = []
    for seed in SEEDS:
        inputs = cls.draw(params, random.Random(seed))
        out.append((inputs, solve(inputs)))
    return out


# --- agreement with scikit-learn -------------------------------------------------------------


def test_every_combination_is_drawn(variants):
    combos = Counter(
        (i["metric"], i.get("average"), "confusion_matrix" in i) for i, _ in variants
    )
    # 4 metrics × 3 averages × 2 sources, plus accuracy × 2 sources.
    assert len(combos) == 26
    assert min(combos.values()) >= 15
    assert {len(i["labels"]) for i, _ in variants} == {2, 3, 4, 5, 6}


def test_answers_match_scikit_learn(variants):
    bad = [
        (inputs, sol.answer.value, reference(inputs))
        for inputs, sol in variants
        if not _close(sol.answer.value, reference(inputs))
    ]
    assert not bad, bad[:3]
    assert len(variants) >= 1000


def mistakes(inputs: dict) -> dict[str, float]:
    """Every named mistake that can apply to these inputs, recomputed with scikit-learn."""
    y_true, y_pred = _lists(inputs)
    metric, average, labels = inputs["metric"], inputs.get("average"), inputs.get("average_over", inputs["labels"])
    beta = inputs.get("beta")
    out = {"balanced-accuracy": float(balanced_accuracy_score(y_true, y_pred))}
    if "average_over" in inputs:  # micro over every class instead: the accuracy
        out["left-out-class-counted"] = _sk(metric, y_true, y_pred, inputs["labels"], "micro", beta)
    if average in ("macro", "micro"):
        out["macro-micro-swapped"] = _sk(metric, y_true, y_pred, labels, "micro" if average == "macro" else "macro", beta)
    if average == "binary" and metric != "accuracy":
        out["negative-class-taken"] = _sk(metric, y_true, y_pred, labels, average, beta, pos_label=0)
        out["accuracy-instead"] = float(accuracy_score(y_true, y_pred))
    if metric in ("precision", "recall"):
        out["precision-recall-swapped"] = _sk("recall" if metric == "precision" else "precision", y_true, y_pred, labels, average)
    if beta:
        out["beta-inverted"] = _sk("fbeta", y_true, y_pred, labels, average, 1.0 / beta)
    if metric != "accuracy":
        # A transposed matrix is the same as exchanging the roles of y_true and y_pred.
        out["rows-columns-swapped"] = _sk(metric, y_pred, y_true, labels, average, beta)
        # (P + R)/2 per class, averaged: linear, so the mean of the averaged P and R.
        p = _sk("precision", y_true, y_pred, labels, average)
        out["arithmetic-mean"] = (p + _sk("recall", y_true, y_pred, labels, average)) / 2
    return out


def test_misconception_values_match_scikit_learn(variants):
    for inputs, sol in variants:
        expected = mistakes(inputs)
        for m in sol.misconceptions:
            assert m.name in expected and _close(m.value, expected[m.name]), (inputs, m.name, m.value, expected.get(m.name))


# --- known values ----------------------------------------------------------------------------


def _inputs(metric: str, average: str | None, y_true, y_pred, labels=(0, 1), beta=None) -> dict:
    out: dict = {"metric": metric, "labels": list(labels), "y_true": list(y_true), "y_pred": list(y_pred)}
    if average is not None:
        out["average"] = average
    if beta is not None:
        out["beta"] = beta
    return out


# (metric, average, beta, y_true, y_pred, labels, exact value)
KNOWN = [
    ("precision", "binary", None, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), 1 / 3),
    ("recall", "binary", None, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), 1 / 2),
    ("f1", "binary", None, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), 0.4),
    ("fbeta", "binary", 2.0, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), 5 / 11),
    ("fbeta", "binary", 0.5, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), (1.25 * (1 / 6)) / (0.25 / 3 + 0.5)),
    ("accuracy", None, None, [1, 1, 0, 0], [1, 0, 1, 1], (0, 1), 1 / 4),
    # scikit-learn's documentation example.
    ("precision", "macro", None, [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], (0, 1, 2), 2 / 9),
    ("precision", "micro", None, [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], (0, 1, 2), 1 / 3),
    ("f1", "macro", None, [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], (0, 1, 2), 0.8 / 3),
    # Perfect predictions.
    ("precision", "binary", None, [0, 1, 1, 0], [0, 1, 1, 0], (0, 1), 1.0),
    ("f1", "macro", None, [0, 1, 2, 2], [0, 1, 2, 2], (0, 1, 2), 1.0),
    ("accuracy", None, None, [0, 1, 2, 2], [0, 1, 2, 2], (0, 1, 2), 1.0),
    ("fbeta", "micro", 3.0, [0, 1, 2, 2], [0, 1, 2, 2], (0, 1, 2), 1.0),
    # All wrong.
    ("precision", "binary", None, [0, 1, 1, 0], [1, 0, 0, 1], (0, 1), 0.0),
    ("f1", "binary", None, [0, 1, 1, 0], [1, 0, 0, 1], (0, 1), 0.0),
    ("accuracy", None, None, [0, 1, 1, 0], [1, 0, 0, 1], (0, 1), 0.0),
    ("recall", "macro", None, [0, 1, 2], [1, 2, 0], (0, 1, 2), 0.0),
    # Degenerate: class 1 never predicted (precision 0/0 → 0), never true (recall 0/0 → 0).
    ("precision", "binary", None, [0, 1, 0], [0, 0, 0], (0, 1), 0.0),
    ("recall", "binary", None, [0, 0, 0], [0, 1, 0], (0, 1), 0.0),
    ("f1", "binary", None, [0, 0, 0], [0, 0, 0], (0, 1), 0.0),
    ("precision", "macro", None, [0, 1, 2, 2], [0, 1, 1, 1], (0, 1, 2), (1 + 1 / 3 + 0) / 3),
    # Labels need not be 0..K-1.
    ("recall", "macro", None, [3, 5, 7, 7], [3, 7, 7, 5], (3, 5, 7), (1 + 0 + 0.5) / 3),
]


@pytest.mark.parametrize(("metric", "average", "beta", "y_true", "y_pred", "labels", "value"), KNOWN)
def test_known_values(metric, average, beta, y_true, y_pred, labels, value):
    sol = solve(_inputs(metric, average, y_true, y_pred, labels, beta))
    assert _close(sol.answer.value, value)
    assert _close(sol.answer.value, _sk(metric, y_true, y_pred, list(labels), average, beta))


def test_a_micro_average_over_some_classes_is_scikit_learns_labels_argument():
    """Class 0 left out (as NER scores leave out O): micro P = 3/5 and R = 3/4 differ again, and
    neither is the accuracy 4/6 that pooling every class gives."""
    y_true, y_pred = [0, 1, 2, 2, 1, 0], [0, 1, 2, 1, 1, 2]
    for metric, value in (("precision", 3 / 5), ("recall", 3 / 4), ("f1", 2 / 3)):
        inputs = {**_inputs(metric, "micro", y_true, y_pred, (0, 1, 2)), "average_over": [1, 2]}
        sol = solve(inputs)
        assert _close(sol.answer.value, value) and _close(value, _sk(metric, y_true, y_pred, [1, 2], "micro"))
        named = {m.name: m.value for m in sol.misconceptions}
        assert "left-out-class-counted" in named or any(_close(v, 4 / 6) for v in named.values()), named
        assert any("over classes 1, 2" in s.label for s in sol.steps)
    assert solve({**_inputs("precision", "micro", y_true, y_pred, (0, 1, 2))}).answer.value == 4 / 6  # every class: the accuracy


def test_confusion_matrix_input_equals_label_lists():
    y_true = [0, 1, 2, 0, 1, 2, 2, 1]
    y_pred = [0, 2, 1, 0, 0, 1, 2, 1]
    matrix = [[2, 0, 0], [1, 1, 1], [0, 2, 1]]
    for metric in cls.METRICS:
        for average in ("macro", "micro"):
            from_lists = _inputs(metric, average, y_true, y_pred, (0, 1, 2), 2.0)
            from_matrix = {k: v for k, v in from_lists.items() if k not in ("y_true", "y_pred")}
            from_matrix["confusion_matrix"] = matrix
            a, b = solve(from_lists), solve(from_matrix)
            assert _close(a.answer.value, b.answer.value)
            assert a.steps[0].value == matrix


def test_steps_show_matrix_counts_and_per_class_scores():
    y_true, y_pred = [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
    sol = solve(_inputs("f1", "macro", y_true, y_pred, (0, 1, 2)))
    matrix = confusion_matrix(y_true, y_pred, labels=[0, 1, 2])
    assert sol.steps[0].value == matrix.tolist() == [[2, 0, 0], [1, 0, 1], [0, 2, 0]]
    tp = np.diag(matrix)
    assert sol.steps[1].value == [tp.tolist(), (matrix.sum(0) - tp).tolist(), (matrix.sum(1) - tp).tolist()]
    assert len(sol.steps) == 6
    per_class_f1 = f1_score(y_true, y_pred, labels=[0, 1, 2], average=None, zero_division=0)
    assert _close(sol.steps[4].value[0], per_class_f1[0]) and _close(per_class_f1[0], 0.8)
    json.dumps(sol.to_json())


def test_accuracy_ignores_average():
    base = _inputs("accuracy", None, [0, 1, 1, 1], [0, 1, 0, 1])
    for average in (None, "macro", "binary"):
        inputs = dict(base) if average is None else {**base, "average": average}
        sol = solve(inputs)
        assert _close(sol.answer.value, accuracy_score([0, 1, 1, 1], [0, 1, 0, 1]))
        assert [m.name for m in sol.misconceptions] == ["balanced-accuracy"]
        assert _close(sol.misconceptions[0].value, balanced_accuracy_score([0, 1, 1, 1], [0, 1, 0, 1]))


# --- misconceptions --------------------------------------------------------------------------


def test_misconceptions_apply_and_mostly_differ(variants):
    names: Counter = Counter()
    near: Counter = Counter()
    for inputs, sol in variants:
        metric, average = inputs["metric"], inputs.get("average")
        from_matrix = "confusion_matrix" in inputs
        listed = {m.name for m in sol.misconceptions}
        assert len(listed) == len(sol.misconceptions)
        expected = set()
        if metric == "accuracy":
            expected = {"balanced-accuracy"}
        else:
            if average != "binary":
                expected.add("macro-micro-swapped")
            else:  # each unless it gives what a mistake above gives (then that one names it)
                expected |= {"negative-class-taken", "accuracy-instead"} & listed
            if "average_over" in inputs:  # unless it gives what a mistake above gives
                expected |= {"left-out-class-counted"} & listed
            if average != "micro" or "average_over" in inputs:
                if metric in ("f1", "fbeta"):
                    expected.add("arithmetic-mean")
                if metric in ("precision", "recall"):
                    expected.add("rows-columns-swapped" if from_matrix else "precision-recall-swapped")
                if metric == "fbeta":
                    expected.add("rows-columns-swapped" if from_matrix else "beta-inverted")
        assert listed == expected, (inputs, listed)
        for m in sol.misconceptions:
            names[m.name] += 1
            assert m.description
            if math.isclose(m.value, sol.answer.value, rel_tol=BUILDER_REL, abs_tol=BUILDER_ABS):
                near[m.name] += 1
    assert set(names) == {
        "arithmetic-mean",
        "precision-recall-swapped",
        "rows-columns-swapped",
        "macro-micro-swapped",
        "beta-inverted",
        "balanced-accuracy",
        "negative-class-taken",
        "accuracy-instead",
        "left-out-class-counted",
    }
    # Small counts sometimes make two formulas agree (e.g. P = R); the problem builder redraws
    # those variants. Most listed mistakes are clearly distinguishable.
    for name, count in names.items():
        assert near[name] <= 0.3 * count, (name, near[name], count)
    assert sum(near.values()) <= 0.2 * sum(names.values())


# --- the generator ---------------------------------------------------------------------------


def test_draws_respect_params_and_are_not_degenerate(variants):
    for inputs, _ in variants:
        k = len(inputs["labels"])
        assert inputs["labels"] == list(range(k))
        assert 2 <= k <= 6
        if inputs["metric"] == "accuracy":
            assert "average" not in inputs
        if inputs.get("average") == "binary":
            assert k == 2
        if inputs["metric"] == "fbeta":
            assert inputs["beta"] in (0.5, 2.0, 3.0)
        else:
            assert "beta" not in inputs
        if "y_true" in inputs:
            assert 6 <= len(inputs["y_true"]) == len(inputs["y_pred"]) <= 16
            matrix = [[0] * k for _ in range(k)]
            for t, p in zip(inputs["y_true"], inputs["y_pred"]):
                matrix[t][p] += 1
        else:
            matrix = inputs["confusion_matrix"]
            assert all(0 <= v <= 9 for row in matrix for v in row)
        assert all(sum(row) > 0 for row in matrix)
        assert all(sum(row[j] for row in matrix) > 0 for j in range(k))
        assert any(matrix[i][j] for i in range(k) for j in range(k) if i != j)
        if inputs.get("average") == "binary":
            assert matrix[1][1] > 0
        if inputs["metric"] in ("f1", "fbeta") and inputs.get("average") == "macro":
            assert all(matrix[i][i] > 0 for i in range(k))


def test_beta_comes_from_the_small_set_or_the_grid():
    def betas(bounds):
        params = resolve(cls.PARAMS, {"metric": "fbeta", "beta": bounds})
        return {cls.draw(params, random.Random(s))["beta"] for s in range(40)}

    assert betas([0.5, 2.0]) == {0.5, 2.0}
    assert betas([0.1, 10.0]) == {0.5, 2.0, 3.0}
    assert betas(3.0) == {3.0}
    assert betas([1.1, 1.4]) <= {1.1, 1.2, 1.3, 1.4}
    assert betas([0.01, 0.02]) == {0.02}


def test_same_seed_same_inputs():
    params = resolve(cls.PARAMS, MIXED)
    for seed in range(50):
        assert cls.draw(params, random.Random(seed)) == cls.draw(params, random.Random(seed))
    assert len({json.dumps(cls.draw(params, random.Random(s))) for s in range(50)}) == 50


def test_inputs_and_solutions_round_trip_through_json(variants):
    for inputs, sol in variants[:200]:
        again = json.loads(json.dumps(inputs))
        assert again == inputs
        assert solve(again)== sol
        assert json.loads(json.dumps(sol.to_json())) == sol.to_json()


def test_describe_states_the_question(variants):
    for inputs, _ in variants[:100]:
        text = cls.describe(inputs)
        assert text.startswith("Find: ")
        if inputs.get("average") in ("macro", "micro"):
            assert inputs["average"] in text
        if "beta" in inputs:
            assert f"β = {inputs['beta']:g}" in text
        if "confusion_matrix" in inputs:
            assert "rows = true class" in text


def test_generator_never_imports_torch():
    code = (
        "import importlib.util, random, sys\n"
        "spec = importlib.util.spec_from_file_location("
        f"'g', {str(ROOT / 'quizgen/generators/classification.py')!r})\n"
        "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
        "from quizgen.core.params import resolve\n"
        "g.describe(g.draw(resolve(g.PARAMS, {}), random.Random(0)))\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_params_specs():
    assert cls.VERSION == 1
    specs = cls.PARAMS
    assert set(specs) == {"metric", "average", "source", "classes", "samples", "counts", "beta", "leave_out"}
    assert specs["leave_out"].default == ("none",)
    assert specs["metric"].options == ("precision", "recall", "f1", "fbeta", "accuracy")
    assert specs["average"].options == ("binary", "macro", "micro")
    assert specs["source"].options == ("labels", "confusion")
    assert (specs["classes"].minimum, specs["classes"].maximum, specs["classes"].default) == (2, 6, (2, 3))
    assert (specs["samples"].minimum, specs["samples"].default) == (2, (8, 14))
    assert specs["counts"].default == (0, 9)
    assert (specs["beta"].exclusive_minimum, specs["beta"].default) == (0, (0.5, 2.0))
    assert cls.check_params(resolve(specs, {})) == []


def test_check_params_and_impossible_params():
    params = resolve(cls.PARAMS, {"source": "labels", "average": "macro", "classes": 5, "samples": [2, 4]})
    assert [p[0] for p in cls.check_params(params)] == ["samples"]
    with pytest.raises(GenerationError, match="samples"):
        cls.draw(params, random.Random(0))
    zero = resolve(cls.PARAMS, {"source": "confusion", "counts": 0})
    assert [p[0] for p in cls.check_params(zero)] == ["counts"]
    with pytest.raises(GenerationError, match="counts"):
        cls.draw(zero, random.Random(0))
    # Binary forces two classes, so a high class count does not matter for it.
    binary = resolve(cls.PARAMS, {"average": "binary", "classes": 6, "samples": [3, 4]})
    assert cls.check_params(binary) == []
    for seed in range(20):
        assert cls.draw(binary, random.Random(seed))["labels"] == [0, 1]


def test_small_but_possible_params_draw():
    params = resolve(
        cls.PARAMS, {"metric": "precision", "average": "macro", "source": "labels", "classes": 4, "samples": 5}
    )
    for seed in range(20):
        inputs = cls.draw(params, random.Random(seed))
        assert set(inputs["y_true"]) == set(inputs["y_pred"]) == {0, 1, 2, 3}


def test_checker_names_an_unknown_question() -> None:
    with pytest.raises(ValueError, match="Expected"):
        solve({"metric": "auc", "labels": [0, 1], "y_true": [0], "y_pred": [1]})


def test_binary_draws_have_both_kinds_of_error_in_unequal_numbers():
    """A binary precision, recall or F draw has a false positive and a false negative, and not as
    many of one as of the other (else the key is 1, or P = R = F); those templates are version 3."""
    for metric in ("precision", "recall", "f1", "fbeta"):
        for source in ("labels", "confusion"):
            params = resolve(cls.PARAMS, {"metric": metric, "average": "binary", "source": source})
            assert cls.version(params) == 3
            rng = random.Random(9)
            for _ in range(300):
                inputs = cls.draw(params, rng)
                if source == "labels":
                    pairs = list(zip(inputs["y_true"], inputs["y_pred"]))
                    fp, fn = pairs.count((0, 1)), pairs.count((1, 0))
                else:
                    fp, fn = inputs["confusion_matrix"][0][1], inputs["confusion_matrix"][1][0]
                assert fp >= 1 and fn >= 1 and fp != fn, (metric, inputs)
    assert cls.version(resolve(cls.PARAMS, {"metric": "f1", "average": "macro"})) == cls.VERSION == 1
    assert cls.version(resolve(cls.PARAMS, {"metric": "accuracy", "average": "binary"})) == 1
