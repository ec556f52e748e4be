"""Generator for classification-metric problems: precision, recall, F1, F-beta and accuracy.

Source: the standard definitions (e.g. "Information Retrieval", 2nd ed., 1979,
ch. 7 for the F-measure; scikit-learn's ``precision_recall_fscore_support`` for the averaging
conventions). For a class ``k`` with true positives ``tp``, false positives ``fp`` and false
negatives ``fn``::

    P = tp / (tp + fp)      R = tp / (tp + fn)      F_β = (1 + β²) P R / (β² P + R)

``binary`` reports the positive class (label 1 of labels ``[0, 1]``); ``macro`` is the unweighted
mean of the per-class values; ``micro`` applies the formulas to the summed counts. Accuracy is the
share of correct predictions and has no averaging: its inputs carry no ``"average"`` key.

Inputs::

    {"metric": "precision" | "recall" | "f1" | "fbeta" | "accuracy",
     "average": "binary" | "macro" | "micro",     # absent when metric is accuracy
     "beta": 0.5,                                 # only when metric is fbeta
     "labels": [0, 1, ...],                       # the classes 0..K-1
     "average_over": [1, 2, ...],                 # micro only, with leave_out "one": the classes
                                                  # averaged (scikit-learn's labels=), one left out
     "y_true": [...], "y_pred": [...]}            # source "labels", or instead
     "confusion_matrix": [[...], ...]}            # source "confusion": rows true, columns predicted

Every class has at least one true and one predicted sample, so no precision or recall divides by
zero. A binary draw has ``tp > 0`` and, for precision, recall and F, at least one false positive
and one false negative (else the key is 1, read off at a glance), and not as many of one as of
the other (else P = R = F). A macro F draw has ``tp > 0`` in every class (else that class's F is
0/0), and a draw with no errors at all (every metric 1) is rejected. The generator only counts
labels to reject degenerate draws; it never computes a metric.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from quizgen.core.params import (
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    draw_choice,
    draw_int,
    draw_on_grid,
    redraw,
)
from quizgen.core.render import format_matrix

VERSION = 1


def version(params: dict[str, Any]) -> int:
    """The version of a template's drawing (the ``vN`` of its ids): 3 for the binary precision,
    recall and F templates, which since version 2 draw a false positive and a false negative, and
    since 3 are drawn again where the key equals the accuracy or the other class's metric (both
    named mistakes); 2 for a template whose micro averages leave a class out (``leave_out``);
    1 for the rest, whose ids are unchanged."""
    binary = "binary" in params["average"] and any(m != "accuracy" for m in params["metric"])
    return 3 if binary else 2 if "one" in params["leave_out"] else VERSION


INPUT_LABELS = {"confusion_matrix": "confusion matrix C"}
"""What learners read for each vector or matrix input, in every face."""

METRICS = ("precision", "recall", "f1", "fbeta", "accuracy")
AVERAGES = ("binary", "macro", "micro")
SOURCES = ("labels", "confusion")
# β values a learner meets in practice; a β range containing none of them falls back to its grid.
BETAS = (0.5, 2.0, 3.0)
# Per-class chances that a sample's prediction is right: a plausible, imperfect classifier.
_HIT_RATES = (0.5, 0.7, 0.9)

PARAMS: dict[str, ParamSpec] = {
    "metric": Choice(
        options=METRICS,
        default=METRICS,
        doc="What to compute: precision, recall, F1, F-beta or accuracy.",
    ),
    "average": Choice(
        options=AVERAGES,
        default=AVERAGES,
        doc="Averaging: binary (positive label 1, forces 2 classes), macro or micro; ignored for "
        "accuracy.",
    ),
    "source": Choice(
        options=SOURCES,
        default=SOURCES,
        doc="Give label lists (y_true, y_pred) or a confusion matrix (rows true, columns predicted).",
    ),
    "classes": IntRange(
        default=(2, 3), doc="Number of classes K (binary always uses 2).", minimum=2, maximum=6
    ),
    "samples": IntRange(
        default=(8, 14), doc="Length of the label lists (source labels).", minimum=2, maximum=1000
    ),
    "counts": IntRange(
        default=(0, 9),
        doc="Range of confusion-matrix entries (source confusion): diagonal entries mostly come "
        "from its upper half, off-diagonal ones mostly from its lower half.",
        minimum=0,
        maximum=10_000,
    ),
    "leave_out": Choice(
        options=("none", "one"),
        default=("none",),
        doc="Micro averages over 3 or more classes: over every class (single-label micro precision, "
        "recall and F1 then all equal the accuracy), or over all but one, as scikit-learn's labels= "
        "does (NER scores leave out the O tag).",
    ),
    "beta": FloatRange(
        default=(0.5, 2.0),
        doc="β of F-beta, drawn from 0.5, 2 and 3 where they lie in the range.",
        exclusive_minimum=0,
        maximum=10.0,
    ),
}


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``."""
    problems: list[tuple[str, str, str]] = []
    fewest = 2 if set(params["average"]) == {"binary"} else params["classes"][0]
    if "labels" in params["source"] and params["samples"][1] < fewest:
        problems.append(
            (
                "samples",
                f"a maximum of at least {fewest} (one sample per class) when source includes labels",
                str(list(params["samples"])),
            )
        )
    if "confusion" in params["source"] and params["counts"][1] < 1:
        problems.append(
            ("counts", "a maximum of at least 1 when source includes confusion", str(list(params["counts"])))
        )
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    metric = draw_choice(rng, params["metric"])
    average = draw_choice(rng, params["average"])
    source = draw_choice(rng, params["source"])
    beta = _draw_beta(rng, params["beta"]) if metric == "fbeta" else None
    def attempt() -> dict[str, Any] | None:
        k = 2 if average == "binary" else draw_int(rng, params["classes"])
        if source == "labels":
            data: dict[str, Any] | None = _draw_labels(rng, k, params["samples"])
            matrix = None if data is None else _tally(data["y_true"], data["y_pred"], k)
        else:
            matrix = _draw_matrix(rng, k, params["counts"])
            data = {"confusion_matrix": matrix}
        if data is None or matrix is None or not _usable(matrix, metric, average):
            return None
        inputs: dict[str, Any] = {"metric": metric}
        if metric != "accuracy":
            inputs["average"] = average
        if beta is not None:
            inputs["beta"] = beta
        inputs["labels"] = list(range(k))
        # Drawn only where a template may leave a class out: other templates draw as they did.
        if average == "micro" and metric != "accuracy" and k >= 3 and "one" in params["leave_out"]:
            if draw_choice(rng, params["leave_out"]) == "one":
                left = rng.randrange(k)
                inputs["average_over"] = [c for c in range(k) if c != left]
        inputs.update(data)
        return inputs

    return redraw(
        attempt,
        f"metric={metric!r}, average={average!r}, source={source!r}, classes={list(params['classes'])}, "
        f"samples={list(params['samples'])}, counts={list(params['counts'])}; use more samples than classes "
        "(e.g. samples [8, 14]) or a wider counts range (e.g. [0, 9]).",
    )


def _draw_beta(rng: random.Random, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    beta = draw_on_grid(rng, BETAS, bounds, 1)
    if not lo - 1e-9 <= beta <= hi + 1e-9 or beta <= 0:
        # A range narrower than one decimal step: take its upper end, which is above 0.
        beta = float(hi)
    return beta


def _draw_labels(
    rng: random.Random, k: int, samples: tuple[int, int]
) -> dict[str, list[int]] | None:
    n = draw_int(rng, samples)
    if n < k:
        return None
    # Uneven class frequencies, so that accuracy and balanced accuracy part ways.
    weights = [rng.randint(1, 4) for _ in range(k)]
    y_true = list(range(k)) + rng.choices(range(k), weights=weights, k=n - k)
    rng.shuffle(y_true)
    # Classes differ in how often they are recognised, and errors lean towards one favoured
    # class: per-class scores then differ, which keeps macro away from micro and P away from R.
    hit_rates = [_HIT_RATES[rng.randrange(len(_HIT_RATES))] for _ in range(k)]
    favoured = rng.randrange(k)
    y_pred = []
    for t in y_true:
        if rng.random() < hit_rates[t]:
            y_pred.append(t)
        elif t != favoured and rng.random() < 0.5:
            y_pred.append(favoured)
        else:
            other = rng.randrange(k - 1)
            y_pred.append(other if other < t else other + 1)
    return {"y_true": y_true, "y_pred": y_pred}


def _draw_matrix(rng: random.Random, k: int, counts: tuple[int, int]) -> list[list[int]]:
    lo, hi = counts
    mid = (lo + hi) // 2
    # Better than chance (heavier diagonal), one rare class (a light row) so that the classes are
    # unbalanced, and one favoured column that soaks up more errors: per-class scores then differ,
    # which keeps macro away from micro, balanced accuracy away from accuracy and P away from R.
    rare = rng.randrange(k)
    favoured = rng.randrange(k)
    rare_lo = max(lo, min(1, hi))
    rare_hi = max(mid, rare_lo)
    rows = []
    for i in range(k):
        row = []
        for j in range(k):
            if i == j:
                row.append(rng.randint(rare_lo, rare_hi) if i == rare else rng.randint(mid, hi))
            elif j == favoured and i != rare:
                row.append(rng.randint((lo + mid) // 2, hi))
            else:
                row.append(rng.randint(lo, mid))
        rows.append(row)
    return rows


def _tally(y_true: Sequence[int], y_pred: Sequence[int], k: int) -> list[list[int]]:
    matrix = [[0] * k for _ in range(k)]
    for t, p in zip(y_true, y_pred):
        matrix[t][p] += 1
    return matrix


def _usable(matrix: Sequence[Sequence[int]], metric: str, average: str) -> bool:
    """Structural checks on counts only: no empty class, no 0/0 metric, not all-correct."""
    k = len(matrix)
    if any(sum(row) == 0 for row in matrix):
        return False
    if any(sum(matrix[i][j] for i in range(k)) == 0 for j in range(k)):
        return False
    if all(matrix[i][j] == 0 for i in range(k) for j in range(k) if i != j):
        return False
    binary = average == "binary" and metric != "accuracy"
    # No false positive or no false negative makes the key 1; as many of each makes P = R = F, so
    # swapping precision and recall could not be told from the key.
    if binary and (0 in (matrix[1][1], matrix[0][1], matrix[1][0]) or matrix[0][1] == matrix[1][0]):
        return False
    if metric in ("f1", "fbeta") and average == "macro" and any(matrix[i][i] == 0 for i in range(k)):
        return False
    return True


_METRIC_NAMES = {
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "fbeta": "F-beta",
    "accuracy": "accuracy",
}


def _and(items: Sequence[int]) -> str:
    words = [str(v) for v in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner: the question, then the labels or the matrix.

    >>> print(describe({"metric": "f1", "average": "binary", "labels": [0, 1],
    ...                 "y_true": [1, 0, 1], "y_pred": [1, 1, 0]}))
    Find: F1 of the positive class 1
    labels: 0, 1
    true class:      1 0 1
    predicted class: 1 1 0
    """
    metric = inputs["metric"]
    name = _METRIC_NAMES.get(metric, metric)
    if metric == "fbeta":
        name = f"F-beta with β = {inputs['beta']:g}"
    average = inputs.get("average")
    if metric == "accuracy":
        find = "Find: accuracy (share of correct predictions)"
    elif average == "binary":
        find = f"Find: {name} of the positive class 1"
    elif average == "macro":
        find = f"Find: macro-averaged {name} (unweighted mean over the classes)"
    elif "average_over" in inputs:
        over = inputs["average_over"]
        left = [c for c in inputs["labels"] if c not in over]
        find = (f"Find: micro-averaged {name} over classes {_and(over)} only (tp, fp, fn summed over those classes; "
                f"class {_and(left)} left out, as scikit-learn's labels={list(over)} does)")
    else:
        find = f"Find: micro-averaged {name} (from tp, fp, fn summed over the classes)"
    lines = [find, "labels: " + ", ".join(str(v) for v in inputs["labels"])]
    if "confusion_matrix" in inputs:
        lines.append("rows = true class, columns = predicted class")
        lines.append(format_matrix(INPUT_LABELS["confusion_matrix"], inputs["confusion_matrix"]))
    else:
        lines.append("true class:      " + " ".join(str(v) for v in inputs["y_true"]))
        lines.append("predicted class: " + " ".join(str(v) for v in inputs["y_pred"]))
    return "\n".join(lines)
