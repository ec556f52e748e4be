"""Generator for masked-modelling problems: BERT's selection of tokens to predict, the 80/10/10
treatment of the selected tokens, and the labels of the masked-language-modelling loss.

Questions (``ask``):

- ``selected``: how many tokens BERT selects for prediction in a sequence of ``length`` tokens
  ([CLS] and [SEP] included), by the rule of BERT's ``create_pretraining_data.py``:
  max(1, round(rate · length)) with Python's ``round`` (halves go to the even neighbour), the
  selection then made among the other tokens; inputs ``{"ask", "length", "rate"}``.
- ``split``: the expected number of selected tokens replaced by [MASK], by a random token and
  left unchanged (a vector of three), with each selected token treated independently with
  probabilities 0.8, 0.1 and 0.1; inputs ``{"ask", "length", "rate"}``.
- ``labels``: the label vector of the loss for one corrupted sentence, in the Hugging Face
  convention: the original token's id where the model must predict it, −100 (ignored by
  ``F.cross_entropy``) elsewhere; inputs ``{"ask", "tokens", "original", "corrupted",
  "selected", "mask_id"}``, where ``selected`` lists the positions the collator chose.
"""

from __future__ import annotations

import random
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.params import Choice, FloatRange, IntRange, ParamSpec, draw_choice, draw_int

VERSION = 1
# Asks whose drawing changed since (the template version is the highest over its asks): the
# selected count is drawn at a length where a rounding slip shows (2), and a slip that only a
# length or two expose is drawn less often (3); selected-count reaches 128-token inputs (4).
VERSIONS = {"selected": 4}

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("selected", "split", "labels")
SPECIAL = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
WORDS = ("the", "cat", "sat", "on", "mat", "a", "dog", "ran", "home", "fast", "big", "red")
WORD_ID = {w: len(SPECIAL) + i for i, w in enumerate(WORDS)}

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("selected",), doc="What to ask for (see the generator's module doc)."),
    "length": IntRange(default=(8, 64), doc="For selected and split: tokens in the sequence, [CLS] and [SEP] included.", minimum=3, maximum=512),
    "rate": FloatRange(default=(0.15, 0.15), doc="For selected and split: the share of tokens selected (two decimals).", exclusive_minimum=0.0, maximum=0.5),
    "words": IntRange(default=(5, 8), doc="For labels: words between [CLS] and [SEP].", minimum=3, maximum=len(WORDS)),
}


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``)."""
    ask = draw_choice(rng, params["ask"])
    if ask == "selected":
        return _draw_selected(params, rng)
    if ask == "split":
        lo, hi = (round(x * 100) for x in params["rate"])
        return {"ask": ask, "length": draw_int(rng, params["length"]), "rate": rng.randint(lo, hi) / 100}
    n = draw_int(rng, params["words"])
    tokens = ["[CLS]", *rng.sample(WORDS, n), "[SEP]"]
    original = [SPECIAL.get(t) or WORD_ID[t] for t in tokens]
    # Two or three selected word positions: one replaced by [MASK], one left unchanged, and
    # perhaps one replaced by a random other word, so every treatment a label can hide is there.
    kinds = ["mask", "same"] + (["random"] if rng.random() < 0.6 else [])
    positions = sorted(rng.sample(range(1, n + 1), len(kinds)))
    rng.shuffle(kinds)
    corrupted = list(original)
    for pos, kind in zip(positions, kinds):
        if kind == "mask":
            corrupted[pos] = SPECIAL["[MASK]"]
        elif kind == "random":
            corrupted[pos] = WORD_ID[rng.choice([w for w in WORDS if WORD_ID[w] != original[pos]])]
    return {"ask": ask, "tokens": tokens, "original": original, "corrupted": corrupted, "selected": positions, "mask_id": SPECIAL["[MASK]"]}


def _slip(length: int, hundredths: int) -> str | None:
    """Which rounding slip rate × length exposes (the rate in whole hundredths, so the product is
    exact): the fraction decides it, never the count itself."""
    whole, part = divmod(length * hundredths, 100)
    if whole == 0 and part <= 50:
        return "minimum"  # rounds to 0: the rule's minimum of 1 is what counts
    if 0 < part < 50 and whole >= 1:
        return "up"  # rounding up gives one more
    # Rounding down gives one fewer; leaving [CLS] and [SEP] out (2 × rate less) must not land on
    # the same number, so the fraction stays above a half even without them.
    if part - 2 * hundredths > 50 and whole >= 1:
        return "down"
    if part == 50 and whole >= 2 and whole % 2 == 0:
        return "half"  # a half next to an even number: round sends it down, school rounding up
    return None


def _draw_selected(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A length whose count exposes one slip; when no length in range exposes any, a plain uniform
    draw, so drawing never fails. Each kind the ranges hold is drawn with weight min(its lengths, 3):
    a kind that one length alone exposes (a half at 0.15 × 30) would otherwise answer a third of
    the variants with one number."""
    lo, hi = (round(x * 100) for x in params["rate"])
    hundredths = rng.randint(lo, hi)
    by_kind: dict[str, list[int]] = {}
    for length in range(params["length"][0], params["length"][1] + 1):
        kind = _slip(length, hundredths)
        if kind is not None:
            by_kind.setdefault(kind, []).append(length)
    if by_kind:
        kinds = sorted(by_kind)
        lengths = by_kind[rng.choices(kinds, weights=[min(len(by_kind[k]), 3) for k in kinds])[0]]
        length = lengths[rng.randrange(len(lengths))]
    else:
        length = draw_int(rng, params["length"])
    return {"ask": "selected", "length": length, "rate": hundredths / 100}


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "selected", "length": 12, "rate": 0.15}))
    sequence of 12 tokens, [CLS] and [SEP] included; selection rate 0.15
    """
    if inputs["ask"] != "labels":
        return f"sequence of {inputs['length']} tokens, [CLS] and [SEP] included; selection rate {inputs['rate']:g}"
    width = max(len(t) for t in inputs["tokens"])
    rows = [f"{'position':>9}  " + " ".join(f"{i:>{width}}" for i in range(len(inputs["tokens"])))]
    rows.append(f"{'token':>9}  " + " ".join(f"{t:>{width}}" for t in inputs["tokens"]))
    rows.append(f"{'original':>9}  " + " ".join(f"{i:>{width}}" for i in inputs["original"]))
    rows.append(f"{'input':>9}  " + " ".join(f"{i:>{width}}" for i in inputs["corrupted"]))
    rows.append(f"ids: [CLS] {SPECIAL['[CLS]']}, [SEP] {SPECIAL['[SEP]']}, [MASK] {inputs['mask_id']}; words from {len(SPECIAL)}")
    rows.append("selected for prediction: positions " + ", ".join(map(str, inputs["selected"])))
    return "\n".join(rows)


def expected(inputs: dict[str, Any]) -> Answer:
    """A count for selected, three expected counts for split, one label per position for labels."""
    if inputs["ask"] == "split":
        return Answer("vector", [0.0] * 3)
    if inputs["ask"] == "labels":
        return Answer("vector", [0.0] * len(inputs["tokens"]))
    return Answer("number", 0.0, whole=True)
