"""Checker for masked-modelling problems: BERT's token selection, the 80/10/10 treatment and the
labels of the masked-language-modelling loss.

Sources: Devlin et al. 2019, "BERT", section 3.1 (Task #1: Masked LM) and appendix A.1; the
selected count is the rule of BERT's ``create_pretraining_data.py``,
``max(1, int(round(len(tokens) * masked_lm_prob)))`` with ``len(tokens)`` counting [CLS] and [SEP]
(Python's ``round`` and ``torch.round`` both send halves to the even neighbour; the product is
taken exactly, from the rate in hundredths). The labels follow
the Hugging Face convention (``DataCollatorForLanguageModeling``): the original id at every
selected position whatever its treatment, −100 elsewhere, the value ``F.cross_entropy`` ignores
by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from quizgen.core.answer import Misconception, Solution, Step

SHARES = (0.8, 0.1, 0.1)
IGNORE = -100


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one masked-modelling problem.

    Example:
        >>> solve({"ask": "selected", "length": 30, "rate": 0.15}).value
        4.0
        >>> [round(v, 12) for v in solve({"ask": "split", "length": 20, "rate": 0.15}).value]
        [2.4, 0.3, 0.3]
    """
    ask = inputs.get("ask")
    if ask == "selected":
        return _solve_selected(inputs["length"], inputs["rate"])
    if ask == "split":
        return _solve_split(inputs["length"], inputs["rate"])
    return _solve_labels(inputs)  # ask == "labels" (the registry refused any other)


def _selected(length: int, rate: float, *, specials: bool = True, rounding: Any = torch.round, minimum: int = 1) -> int:
    # rate × length from whole hundredths, so a half is exactly a half (0.07 × 150 is 10.5, not
    # the 10.500000000000002 of float multiplication).
    n = (length if specials else length - 2) * round(rate * 100)
    return max(minimum, int(rounding(torch.tensor(n, dtype=torch.float64) / 100)))


def _round_half_up(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x + 0.5)


def _solve_selected(length: int, rate: float) -> Solution:
    key = _selected(length, rate)
    product = length * round(rate * 100) / 100
    steps = (
        Step("rate × length ([CLS] and [SEP] counted)", product),
        Step("round (halves to even), at least 1", float(key)),
    )
    found = {
        ("specials-left-out", "Left [CLS] and [SEP] out of the length; BERT's rule multiplies the rate by the whole sequence's length."): _selected(
            length, rate, specials=False
        ),
        ("rounded-down", "Rounded down; the rule rounds to the nearest whole number."): _selected(length, rate, rounding=torch.floor),
        ("half-rounded-up", "Rounded a half up; Python's round (and torch.round) send a half to the even neighbour."): _selected(
            length, rate, rounding=_round_half_up
        ),
        ("no-minimum", "Allowed zero selected tokens; the rule selects at least one, so every sequence trains the model."): _selected(
            length, rate, minimum=0
        ),
    }
    if (length * round(rate * 100)) % 100 != 50:  # rounding a half up is named just above
        found["rounded-up", "Rounded up; the rule rounds to the nearest whole number."] = _selected(length, rate, rounding=torch.ceil)
    wrong = tuple(Misconception(*m, float(v)) for m, v in found.items() if v != key)
    return Solution(float(key), steps, wrong)


def _solve_split(length: int, rate: float) -> Solution:
    k = _selected(length, rate)
    shares = torch.tensor(SHARES, dtype=torch.float64)
    key = (k * shares).tolist()
    steps = (
        Step("selected tokens k = max(1, round(rate × length))", float(k)),
        Step("expected counts: k × (0.8, 0.1, 0.1)", key, note="[MASK], random token, unchanged"),
    )
    wrong = (
        Misconception(
            "shares-of-all-tokens",
            "Applied 80/10/10 to the whole sequence; the split is of the selected tokens only.",
            (length * shares).tolist(),
        ),
        Misconception(
            "no-unchanged",
            "Treated every selected token as altered (80% [MASK], 20% random); 10% are left as they are, yet still predicted.",
            (k * torch.tensor([0.8, 0.2, 0.0], dtype=torch.float64)).tolist(),
        ),
    )
    return Solution(key, steps, wrong)


def _solve_labels(inputs: Mapping[str, Any]) -> Solution:
    original = torch.tensor(inputs["original"])
    corrupted = torch.tensor(inputs["corrupted"])
    selected = torch.zeros(len(original), dtype=torch.bool)
    selected[inputs["selected"]] = True
    labels = torch.where(selected, original, IGNORE)
    steps = (
        Step("positions selected (whatever became of them)", [float(p) for p in inputs["selected"]]),
        Step("positions in the loss", float(int(selected.sum())), note="the others get −100, which F.cross_entropy skips"),
        Step("label = the original id there, −100 elsewhere", [float(v) for v in labels.tolist()]),
    )
    masked_only = torch.where(corrupted == inputs["mask_id"], original, IGNORE)
    wrong = (
        Misconception(
            "labels-only-at-mask",
            "Kept labels only where the input shows [MASK]; positions replaced by a random token or left unchanged are predicted too.",
            [float(v) for v in masked_only.tolist()],
        ),
        Misconception(
            "label-is-the-input",
            "Used the corrupted input's id as the label; the model must recover the original token.",
            [float(v) for v in torch.where(selected, corrupted, IGNORE).tolist()],
        ),
        Misconception(
            "labels-everywhere",
            "Put a label at every position; unselected positions are context only and carry −100.",
            [float(v) for v in original.tolist()],
        ),
    )
    return Solution([float(v) for v in labels.tolist()], steps, wrong)
