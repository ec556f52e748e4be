"""Checker for classification-metric problems: precision, recall, F1, F-beta and accuracy.

Source: the standard definitions ("Information Retrieval", 2nd ed., 1979, ch. 7,
for the F-measure) with scikit-learn's averaging conventions. From the confusion matrix ``C``
(rows = true class, columns = predicted class) each class ``k`` has ``tp = C[k, k]``,
``fp = Σ_i C[i, k] − tp`` and ``fn = Σ_j C[k, j] − tp``, and::

    P = tp / (tp + fp)    R = tp / (tp + fn)    F_β = (1 + β²) P R / (β² P + R)

``binary`` takes the class of label 1, ``macro`` the unweighted mean of the per-class values and
``micro`` the formulas applied to tp, fp and fn summed over the classes (over ``average_over``
only, where given, as scikit-learn's ``labels=`` does). Accuracy is
``trace(C) / ΣC`` (any ``"average"`` in its inputs is ignored). A 0/0 counts as 0, as
scikit-learn's default does.

Everything from the confusion matrix on is float64 torch (``torch.bincount`` builds the matrix
from label lists).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import torch

from quizgen.core.answer import Misconception, Solution, Step

_F64 = torch.float64
METRICS = ("precision", "recall", "f1", "fbeta", "accuracy")
AVERAGES = ("binary", "macro", "micro")

_ARITHMETIC = (
    "arithmetic-mean",
    "Averaged precision and recall as (P + R)/2; the F-score is their (weighted) harmonic mean, "
    "which stays low unless both are high.",
)
_SWAPPED = (
    "precision-recall-swapped",
    "Mixed up the two: precision divides tp by everything predicted positive (tp + fp), recall "
    "by everything truly positive (tp + fn).",
)
_ROWS_COLUMNS = (
    "rows-columns-swapped",
    "Read the confusion matrix with rows as predictions; its rows are the true classes, so this "
    "swaps false positives with false negatives (precision turns into recall, F-beta into F-1/β).",
)
_MACRO_MICRO = (
    "macro-micro-swapped",
    "Used the other averaging: macro takes the plain mean of the per-class scores, micro first "
    "sums tp, fp and fn over the classes and then applies the formula once.",
)
_BETA_INVERTED = (
    "beta-inverted",
    "Used 1/β in place of β; in F-beta a β above 1 weights recall more heavily, a β below 1 "
    "weights precision more.",
)
_OTHER_CLASS = (
    "negative-class-taken",
    "Computed it for class 0; the positive class is 1 (scikit-learn's pos_label=1), so tp counts "
    "the samples of class 1 predicted as 1.",
)
_ACCURACY = (
    "accuracy-instead",
    "Gave the accuracy, the share of all samples predicted correctly; precision, recall and F "
    "count only the positive class's tp, fp and fn.",
)
_LEFT_OUT_COUNTED = (
    "left-out-class-counted",
    "Pooled the left-out class too; summed over every class of a single-label problem, fp and fn "
    "are equal and micro precision, recall and F1 all come to the accuracy.",
)
_BALANCED = (
    "balanced-accuracy",
    "Averaged the per-class recalls (balanced accuracy); accuracy is simply the share of all "
    "samples predicted correctly, whatever their class.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Solve one classification-metric problem.

    Args:
        inputs: See ``quizgen.generators.classification``: ``metric``, ``average`` (not for
            accuracy), ``beta`` (fbeta only), ``labels`` and either ``y_true``/``y_pred`` or
            ``confusion_matrix``.

    Returns:
        The exact answer (a number), the worked steps and the misconceptions that apply.

    >>> s = solve({"metric": "precision", "average": "binary", "labels": [0, 1],
    ...            "y_true": [1, 1, 0, 0], "y_pred": [1, 0, 1, 1]})
    >>> round(s.value, 4), [(m.name, m.value) for m in s.misconceptions]
    (0.3333, [('precision-recall-swapped', 0.5), ('negative-class-taken', 0.0), ('accuracy-instead', 0.25)])
    """
    metric, average, beta, labels, matrix, from_matrix = _read(inputs)
    k = len(labels)
    tp = matrix.diag()
    classes = tuple(f"class {c}" for c in range(k))
    matrix_step = Step(
        "confusion matrix C", matrix.tolist(),
        rows=tuple(f"true {c}" for c in range(k)), cols=tuple(f"predicted {c}" for c in range(k)),
    )
    if metric == "accuracy":
        return _solve_accuracy(matrix_step, tp, matrix.sum(dim=1))

    counts = torch.stack([tp, matrix.sum(dim=0) - tp, matrix.sum(dim=1) - tp])  # tp, fp, fn per class
    pos = labels.index(1) if average == "binary" else 0
    over = inputs.get("average_over")
    kept = [labels.index(c) for c in over] if over else list(range(k))  # the classes averaged
    b2 = beta * beta

    def per_class(name: str, f_b2: float = b2, c: torch.Tensor = counts) -> torch.Tensor:
        """Precision, recall or F (with β² = ``f_b2``) of each column of (tp, fp, fn) counts."""
        t, fp, fn = c.to(_F64)
        precision, recall = torch.nan_to_num(t / (t + fp)), torch.nan_to_num(t / (t + fn))
        if name in ("precision", "recall"):
            return precision if name == "precision" else recall
        return torch.nan_to_num((1.0 + f_b2) * precision * recall / (f_b2 * precision + recall))

    def averaged(name: str, how: str, f_b2: float = b2) -> float:
        """The metric of the positive class (binary), the mean over classes (macro), or the
        metric of the summed counts (micro)."""
        if how == "micro":
            return per_class(name, f_b2, counts[:, kept].sum(dim=1, keepdim=True))[0].item()
        values = per_class(name, f_b2)
        return (values[pos] if how == "binary" else values[kept].mean()).item()

    value = averaged(metric, average)
    precision, recall = per_class("precision"), per_class("recall")
    steps = [
        matrix_step,
        Step("tp, fp, fn per class", counts.tolist(), rows=("tp", "fp", "fn"), cols=classes, note="tp = diagonal, fp = column sum − tp, fn = row sum − tp"),
        Step("precision per class tp / (tp + fp)", precision.tolist(), cols=classes),
        Step("recall per class tp / (tp + fn)", recall.tolist(), cols=classes),
    ]
    is_f = metric in ("f1", "fbeta")
    if is_f:
        steps.append(Step(f"F_β per class (β = {beta:g}): (1 + β²) P R / (β² P + R)", per_class(metric).tolist(), cols=classes))
    exact = _exactly(exact_metric(metric, average, beta, counts[:, kept].tolist(), 0 if average != "binary" else pos))
    if average == "binary":
        steps.append(Step(f"{metric} of the positive class (label 1)", value, note=exact))
    elif average == "macro":
        steps.append(Step(f"macro {metric}: mean over the {k} classes", value, note=exact))
    else:
        which = f" over classes {', '.join(str(labels[j]) for j in kept)}" if over else ""
        steps.append(Step("summed tp, fp, fn" + which, counts[:, kept].sum(dim=1).tolist(), cols=("summed tp", "summed fp", "summed fn")))
        steps.append(Step(f"micro {metric}: the formula on the summed counts", value, note=exact))

    misconceptions: list[Misconception] = []
    # With every class counted, micro P = micro R (Σfp = Σfn), so swaps and means change nothing;
    # with a class left out they differ again.
    if average != "micro" or over:
        if is_f:
            if average == "micro":
                arithmetic = (averaged("precision", "micro") + averaged("recall", "micro")) / 2.0
            else:
                mean = (precision + recall) / 2.0
                arithmetic = (mean[kept].mean() if average == "macro" else mean[pos]).item()
            misconceptions.append(Misconception(*_ARITHMETIC, arithmetic))
        if metric in ("precision", "recall"):
            other = "recall" if metric == "precision" else "precision"
            misconceptions.append(Misconception(*(_ROWS_COLUMNS if from_matrix else _SWAPPED), averaged(other, average)))
        if metric == "fbeta":
            # F with 1/β equals F_β with precision and recall swapped.
            inverted = averaged(metric, average, 1.0 / b2)
            misconceptions.append(Misconception(*(_ROWS_COLUMNS if from_matrix else _BETA_INVERTED), inverted))
    if average == "binary":
        # Where one of these gives what a mistake listed above gives, that one names it: two
        # names for one value would leave the learner to guess which slip it was.
        for about, wrong in ((_OTHER_CLASS, per_class(metric)[1 - pos].item()), (_ACCURACY, (tp.sum().to(_F64) / matrix.sum()).item())):
            if not any(math.isclose(wrong, m.value, rel_tol=0.01) for m in misconceptions):
                misconceptions.append(Misconception(*about, wrong))
    else:
        misconceptions.append(Misconception(*_MACRO_MICRO, averaged(metric, "micro" if average == "macro" else "macro")))
    pooled = (tp.sum().to(_F64) / matrix.sum()).item()
    if over and not any(math.isclose(pooled, m.value, rel_tol=0.01) for m in misconceptions):  # as binary's do
        misconceptions.append(Misconception(*_LEFT_OUT_COUNTED, pooled))
    return Solution(value, tuple(steps), tuple(misconceptions))


def exact_metric(metric: str, average: str, beta: float, counts: list[list[float]], pos: int) -> Fraction:
    """The metric as an exact fraction of the (tp, fp, fn) counts per class: P = tp/(tp + fp),
    R = tp/(tp + fn), F_β = (1 + β²)tp / ((1 + β²)tp + β²fn + fp), 0 where nothing is counted."""
    b2 = Fraction(str(beta)) ** 2 if metric == "fbeta" else Fraction(1)

    def one(tp: int, fp: int, fn: int) -> Fraction:
        num, den = {"precision": (tp, tp + fp), "recall": (tp, tp + fn)}.get(metric, ((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp))
        return Fraction(num) / den if den else Fraction(0)

    columns = [tuple(int(c[j]) for c in counts) for j in range(len(counts[0]))]
    if average == "micro":
        return one(*(sum(col[i] for col in columns) for i in range(3)))
    if average == "binary":
        return one(*columns[pos])
    return sum((one(*col) for col in columns), Fraction(0)) / len(columns)


def _exactly(value: Fraction) -> str:
    return f"exactly {value}" if value.denominator != 1 else ""


def _solve_accuracy(matrix_step: Step, tp: torch.Tensor, actual: torch.Tensor) -> Solution:
    counts = torch.stack([tp, actual]).to(_F64)
    correct_total = counts.sum(dim=1)
    accuracy = correct_total[0] / correct_total[1]
    balanced = torch.nan_to_num(counts[0] / counts[1]).mean()
    value = float(accuracy)
    steps = [
        matrix_step,
        Step("correct predictions trace(C), all samples ΣC", correct_total.to(torch.int64).tolist(), cols=("correct predictions trace(C)", "all samples ΣC")),
        Step("accuracy = correct / all", value, note=_exactly(Fraction(int(correct_total[0]), int(correct_total[1])))),
    ]
    misconceptions = (Misconception(*_BALANCED, float(balanced)),)
    return Solution(value, tuple(steps), misconceptions)


def _read(
    inputs: Mapping[str, Any],
) -> tuple[str, str, float, list[int], torch.Tensor, bool]:
    """The inputs with the confusion matrix as a tensor, and whether it was given as one."""
    metric = inputs["metric"]
    if metric not in METRICS:
        raise ValueError(f"Expected metric in {METRICS}, but got {metric!r}")
    average = "micro" if metric == "accuracy" else inputs["average"]
    beta = float(inputs["beta"]) if metric == "fbeta" else 1.0
    labels = list(inputs["labels"])
    if "confusion_matrix" in inputs:
        return metric, average, beta, labels, torch.tensor(inputs["confusion_matrix"], dtype=torch.int64), True
    # Positions in ``labels`` of each value, so labels need not be 0..K-1; cell t·K + p of the
    # flattened matrix counts the samples of true class t predicted as p.
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    cells = torch.tensor([index[t] * k + index[p] for t, p in zip(inputs["y_true"], inputs["y_pred"])], dtype=torch.int64)
    return metric, average, beta, labels, torch.bincount(cells, minlength=k * k).reshape(k, k), False
