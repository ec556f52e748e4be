"""Checker for sentence-level BLEU problems.

Source: "BLEU: a Method for Automatic Evaluation of Machine
Translation" (ACL 2002), section 2. For orders ``n = 1..N``::

    p_n  = Σ_g min(count_cand(g), max_ref count_ref(g)) / Σ_g count_cand(g)   (g: the n-grams)
    BP   = 1 if c > r else exp(1 − r/c)     (r: reference length closest to c, ties → shorter)
    BLEU = BP · exp((1/N) Σ_n log p_n)

without smoothing, so a single ``p_n = 0`` makes the score 0. As in common implementations, an
order for which the candidate has no n-gram at all counts as ``p_n = 0`` (its denominator is taken
as 1), and an empty candidate has BP = 0.

N-grams are counted in Python (``collections.Counter``); the precisions, logarithms, mean,
exponentials and products are float64 torch operations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

import torch

from quizgen.core.answer import Misconception, Solution, Step

_F64 = torch.float64

_NO_CLIPPING = (
    "no-clipping",
    "Counted every candidate n-gram that occurs in a reference, however often it is repeated; "
    "BLEU clips each n-gram's count at the most times it appears in any single reference, so "
    "repeating a common word cannot inflate the precision.",
)
_SUMMED = (
    "summed-over-references",
    "Clipped each n-gram at its count summed over the references; BLEU clips at the largest count "
    "in any single reference, so adding a reference never lets a repeated n-gram count more.",
)
_NO_BP = (
    "no-brevity-penalty",
    "Left out the brevity penalty (took BP = 1); a candidate shorter than its closest reference "
    "must be penalised by exp(1 − r/c), since precision alone rewards dropping words.",
)
_ARITHMETIC = (
    "arithmetic-mean",
    "Averaged the n-gram precisions arithmetically; BLEU uses their geometric mean "
    "exp(mean of log p_n), which is lower and drops to 0 when any order has no match.",
)
_PERCENT = (
    "percent-scale",
    "Gave BLEU on sacrebleu's 0 to 100 scale; the question asks for the fraction between 0 and 1, "
    "as NLTK gives it (sacrebleu's score divided by 100).",
)
_LONGEST = (
    "longest-reference",
    "Took r as the longest reference length; BLEU uses the reference length closest to the "
    "candidate length (the shorter one on a tie).",
)
_LONGER = (
    "penalty-for-longer",
    "Applied exp(1 − r/c) to a candidate longer than its closest reference, getting more than 1; "
    "the brevity penalty only punishes short candidates: BP = 1 when c > r.",
)
_TIE = (
    "tie-to-longer",
    "Two references are as far from the candidate, one shorter and one longer, and r was taken "
    "from the longer; on a tie BLEU takes the shorter, so here c > r and BP = 1.",
)
_INVERTED = (
    "inverted-ratio",
    "Computed exp(1 − c/r) with the ratio upside down; the penalty is exp(1 − r/c), which falls "
    "faster the shorter the candidate is.",
)


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Solve one BLEU problem: a score, a clipped precision or a brevity penalty.

    Args:
        inputs: ``{"ask", "candidate", "references", "max_n"}`` plus ``"n"`` when ask is
            ``precision`` (see ``quizgen.generators.bleu``).

    Returns:
        The exact answer (a number), the worked steps and the misconceptions that apply.

    >>> ref = "the cat is on the mat".split()
    >>> solve({"ask": "bleu", "candidate": ref, "references": [ref], "max_n": 4}).value
    1.0
    >>> s = solve({"ask": "precision", "candidate": ["the"] * 7, "references": [ref],
    ...            "max_n": 4, "n": 1})
    >>> round(s.value, 4), s.misconceptions[0].name, s.misconceptions[0].value
    (0.2857, 'no-clipping', 1.0)
    """
    ask = inputs.get("ask")
    candidate, references = list(inputs["candidate"]), [list(r) for r in inputs["references"]]
    if ask == "precision":
        return _solve_precision(candidate, references, inputs["n"])
    if ask == "brevity_penalty":
        return _solve_brevity_penalty(candidate, references)
    return _solve_bleu(candidate, references, inputs["max_n"])


def _ngrams(tokens: Sequence[str], orders: range) -> Counter[tuple[str, ...]]:
    """Counts of every n-gram of the given orders (n-grams of different orders never collide)."""
    return Counter(chain.from_iterable(zip(*(tokens[i:] for i in range(k))) for k in orders))


def _counts_by_order(
    candidate: Sequence[str], references: Sequence[Sequence[str]], orders: range, table: bool = False
) -> tuple[list[int], list[int], list[int], list[list[list[Any]]]]:
    """Per order: candidate n-gram total, clipped matches, unclipped matches and (if asked) a
    per-n-gram table, with the n-grams of each order in order of first occurrence."""
    counts = _ngrams(candidate, orders)
    ref_counts = [_ngrams(ref, orders) for ref in references]
    first = orders.start
    size = len(orders)
    totals = [0] * size
    clipped = [0] * size
    unclipped = [0] * size
    rows: list[list[list[Any]]] = [[] for _ in orders]
    for gram, count in counts.items():
        k = len(gram) - first
        most = max(rc[gram] for rc in ref_counts)
        totals[k] += count
        if most:
            clipped[k] += min(count, most)
            unclipped[k] += count
        if table:
            rows[k].append([" ".join(gram), count, most, min(count, most)])
    return totals, clipped, unclipped, rows


def _closest_length(c: int, lengths: Sequence[int]) -> int:
    return min(lengths, key=lambda length: (abs(length - c), length))


def _penalty_steps(c: int, r: int, bp: float) -> list[Step]:
    if c > r:
        note = "c > r, so there is no penalty"
    elif c == 0:
        note = "an empty candidate gets BP = 0"
    else:
        note = f"exp(1 − {r}/{c})"
    return [
        Step(
            "c (candidate length), r (closest reference length; ties → shorter)", [c, r],
            cols=("c (candidate length)", "r (closest reference length; ties → shorter)"),
        ),
        Step("BP = 1 if c > r else exp(1 − r/c)", bp, note=note),
    ]


def _solve_bleu(candidate: list[str], references: list[list[str]], max_n: int) -> Solution:
    totals, clipped, unclipped, _ = _counts_by_order(candidate, references, range(1, max_n + 1))
    c = len(candidate)
    r = _closest_length(c, [len(ref) for ref in references])

    # An order with no candidate n-gram has p_n = 0: its denominator is taken as 1.
    dens = [max(t, 1) for t in totals]
    counts = torch.tensor([clipped, unclipped, dens], dtype=_F64)
    # Row 0: clipped p_n; row 1: unclipped.
    p = counts[:2] / counts[2]
    geo = torch.exp(torch.log(p).mean(dim=1))
    bp = _brevity_penalty(c, r)
    # Row 0: BLEU = BP · geometric mean; row 1: the same without clipping.
    scored = (bp * geo).tolist()
    bleu_value, geo_value, bp_value = scored[0], geo[0].item(), bp.item()
    orders = tuple(f"{k}-grams" for k in range(1, max_n + 1))
    steps = (
        Step(f"candidate n-gram counts, n = 1..{max_n}", totals, cols=orders),
        Step(
            f"clipped matches, n = 1..{max_n}",
            clipped,
            cols=orders,
            note="each n-gram counts at most as often as it occurs in any one reference",
        ),
        Step("p_n = clipped matches / candidate n-grams", p[0].tolist(), cols=orders),
        *_penalty_steps(c, r, bp_value),
        Step(f"geometric mean exp((1/{max_n}) Σ log p_n)", geo_value),
        Step("BLEU = BP · geometric mean", bleu_value),
    )
    misconceptions: list[Misconception] = []
    if unclipped != clipped:
        misconceptions.append(Misconception(*_NO_CLIPPING, scored[1]))
    if bp_value < 1.0:
        misconceptions.append(Misconception(*_NO_BP, geo_value))
    # Equal precisions have equal arithmetic and geometric means: the mistake would be invisible.
    if any(clipped[k] * dens[0] != clipped[0] * dens[k] for k in range(1, max_n)):
        misconceptions.append(Misconception(*_ARITHMETIC, (bp * p[0].mean()).item()))
    if bleu_value > 0:  # 0 on the 0-100 scale is 0: nothing to tell apart
        misconceptions.append(Misconception(*_PERCENT, 100 * bleu_value))
    return Solution(bleu_value, steps, tuple(misconceptions))


def _brevity_penalty(c: int, r: int) -> torch.Tensor:
    """BP as a 0-d float64 tensor: 1 when c > r, 0 for an empty candidate, else exp(1 − r/c)."""
    if c > r:
        return torch.tensor(1.0, dtype=_F64)
    if c == 0:
        return torch.tensor(0.0, dtype=_F64)
    lengths = torch.tensor([r, c], dtype=_F64)
    return torch.exp(1.0 - lengths[0] / lengths[1])


def _solve_precision(candidate: list[str], references: list[list[str]], n: int) -> Solution:
    totals, clips, unclips, tables = _counts_by_order(candidate, references, range(n, n + 1), True)
    total, clipped, unclipped, table = totals[0], clips[0], unclips[0], tables[0]
    counts = torch.tensor([clipped, unclipped, max(total, 1)], dtype=_F64)
    p = (counts[:2] / counts[2]).tolist()
    value = p[0]
    steps = [
        Step(
            f"candidate {n}-grams", [row[1:] for row in table], rows=tuple(str(row[0]) for row in table),
            cols=("count", "max count in one reference", "clipped count"),
        ),
        Step(f"clipped matches, candidate {n}-grams", [clipped, total], cols=("clipped matches", f"candidate {n}-grams")),
        Step(f"p_{n} = clipped matches / candidate {n}-grams", value),
    ]
    misconceptions: list[Misconception] = []
    if unclipped != clipped:
        misconceptions.append(Misconception(*_NO_CLIPPING, p[1]))
    if len(references) > 1:
        grams, refs = _ngrams(candidate, range(n, n + 1)), [_ngrams(ref, range(n, n + 1)) for ref in references]
        summed = sum(min(count, sum(rc[gram] for rc in refs)) for gram, count in grams.items())
        if summed not in (clipped, unclipped):
            misconceptions.append(Misconception(*_SUMMED, (torch.tensor(float(summed), dtype=_F64) / counts[2]).item()))
    return Solution(value, tuple(steps), tuple(misconceptions))


def _solve_brevity_penalty(candidate: list[str], references: list[list[str]]) -> Solution:
    c = len(candidate)
    lengths = [len(ref) for ref in references]
    r = _closest_length(c, lengths)
    longest = max(lengths)
    value = _brevity_penalty(c, r).item()
    steps = [Step("reference lengths", lengths, shape=[len(lengths)]), *_penalty_steps(c, r, value)]
    misconceptions: list[Misconception] = []
    if longest != r and longest > c:  # a longest reference no longer than c gives BP = 1 too
        misconceptions.append(Misconception(*_LONGEST, _brevity_penalty(c, longest).item()))
    tied = 2 * c - r  # a longer reference as far from the candidate as r, on a tie
    if r < c and tied in lengths and tied != longest:  # (the longest one is named just above)
        misconceptions.append(Misconception(*_TIE, _brevity_penalty(c, tied).item()))
    if c > r:
        lengths_f = torch.tensor([r, c], dtype=_F64)
        misconceptions.append(Misconception(*_LONGER, torch.exp(1.0 - lengths_f[0] / lengths_f[1]).item()))
    if 0 < c < r:
        # The ratio upside down: exp(1 − c/r).
        ratio = torch.tensor([c, r], dtype=_F64)
        misconceptions.append(Misconception(*_INVERTED, torch.exp(1.0 - ratio[0] / ratio[1]).item()))
    return Solution(value, tuple(steps), tuple(misconceptions))
