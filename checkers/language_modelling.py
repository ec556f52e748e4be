"""Checker for language-modelling problems: softmax, sequence probability, label smoothing.

Sources: a language model factorises a sentence's probability by the chain rule,
p(w₁ … w_n <eos>) = Π p(w_t | w_<t), ending with the probability of the end token (e.g. Sutskever
et al. 2014, section 2); label smoothing replaces the one-hot target by a mixture with the uniform
distribution (Szegedy et al. 2016, section 7; Vaswani et al. 2017 used ε = 0.1). The values are
torch's: ``torch.softmax``, ``F.cross_entropy(label_smoothing=ε)`` (every class gets ε/K), in
float64. Beam search keeps, after every step, the k most probable partial sequences (e.g. Sutskever et
al. 2014, section 3.2; Graves 2012); the checker scores candidates by summed log-probabilities and
picks survivors with ``torch.topk``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Misconception, Solution, Step

BEAM_WIDTH = 2
_F64 = torch.float64

_NO_EXP = ("logits-normalised-directly", "Divided each logit by their sum; softmax exponentiates first, exp(l_i) / Σ exp(l_j).")
_SIGMOID = (
    "sigmoid-per-token",
    "Applied a sigmoid to each logit on its own; the next token is one choice among the whole vocabulary, so softmax "
    "normalises over all of them and the probabilities sum to 1.",
)
_SUMMED = ("summed-not-multiplied", "Added the conditional probabilities; by the chain rule a sequence's probability is their product.")
_NO_EOS = ("eos-left-out", "Stopped before <eos>; the sentence's probability includes the model's probability of ending it there.")
_LOG10 = ("log10-used", "Used the base-10 logarithm; log-probabilities and losses use the natural log.")
_OTHERS = (
    "smoothed-over-others",
    "Spread ε over the K − 1 wrong classes only (ε/(K − 1) each); PyTorch's label_smoothing gives every class ε/K, the true one included.",
)
_BEST = (
    "best-sequence-not-greedy",
    "Found the most probable sequence overall; greedy decoding commits to the most probable token at each step and never looks back.",
)
_GREEDY = (
    "greedy-not-beam",
    "Kept only the single best token at each step; beam search keeps the 2 most probable partial sequences and can recover from a "
    "first choice that leads nowhere.",
)
_PER_BEAM = (
    "each-beam-extended-alone",
    "Extended each kept sequence only by its own best next token; beam search scores every extension of every kept sequence "
    "together and keeps the best 2 of all of them.",
)
_BEAM_BEST = ("beam-taken-as-exhaustive", "Gave the most probable sequence overall; beam search with width 2 is not guaranteed to find it.")
_PATH_SUMMED = ("summed-not-multiplied", "Added the probabilities along the path; a sequence's probability is their product.")
_NO_SMOOTHING = ("no-smoothing", "Used the one-hot target; label smoothing moves ε of the probability to the uniform distribution.")


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one language-modelling problem.

    Example:
        >>> solve({"ask": "smoothed-target", "classes": 4, "target": 2, "epsilon": 0.1}).value
        [0.025, 0.025, 0.925, 0.025]
        >>> round(solve({"ask": "sequence", "tokens": ["a", "<eos>"], "conditionals": [0.5, 0.5], "log": False}).value, 12)
        0.25
    """
    ask = inputs.get("ask")
    if ask == "softmax":
        return _solve_softmax(inputs)
    if ask == "sequence":
        return _solve_sequence(inputs)
    if ask in ("smoothed-target", "smoothed-loss"):
        return _solve_smoothing(str(ask), inputs)
    return _solve_decoding(str(ask), inputs)  # ask in ("greedy", "beam") (the registry refused any other)


def _solve_softmax(inputs: Mapping[str, Any]) -> Solution:
    logits = torch.tensor(inputs["logits"], dtype=_F64)
    probs = torch.softmax(logits, dim=0)
    steps = (
        Step("exp(logit) per token", torch.exp(logits).tolist()),
        Step("Σ exp(logits)", torch.exp(logits).sum().item()),
        Step("p = exp(logit) / Σ", probs.tolist()),
    )
    wrong = [Misconception(*_SIGMOID, torch.sigmoid(logits).tolist())]
    if bool((logits > 0).all()):
        wrong.append(Misconception(*_NO_EXP, (logits / logits.sum()).tolist()))
    return Solution(probs.tolist(), steps, tuple(wrong))


def _solve_sequence(inputs: Mapping[str, Any]) -> Solution:
    p = torch.tensor(inputs["conditionals"], dtype=_F64)
    if inputs["log"]:
        log_p = torch.log(p).sum().item()
        steps = (Step("log p per token (natural log)", torch.log(p).tolist()), Step("log p(sentence) = Σ log p", log_p))
        wrong = (Misconception(*_LOG10, torch.log10(p).sum().item()), Misconception(*_NO_EOS, torch.log(p[:-1]).sum().item()))
        return Solution(log_p, steps, wrong)
    prob = torch.prod(p).item()
    return Solution(
        prob,
        (Step("p(sentence) = Π p(w_t | w_<t)", prob),),
        (Misconception(*_SUMMED, p.sum().item()), Misconception(*_NO_EOS, torch.prod(p[:-1]).item())),
    )


def _targets(k: int, target: int, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's smoothed target (ε/K everywhere, 1 − ε more on the true class) and the other convention."""
    one_hot = F.one_hot(torch.tensor(target), k).to(_F64)
    ours = (1 - eps) * one_hot + eps / k
    others = (1 - eps) * one_hot + eps / (k - 1) * (1 - one_hot)
    return ours, others


def _solve_smoothing(ask: str, inputs: Mapping[str, Any]) -> Solution:
    eps, target = float(inputs["epsilon"]), int(inputs["target"])
    if ask == "smoothed-target":
        k = int(inputs["classes"])
        ours, others = _targets(k, target, eps)
        split = (Step("every class: ε / K", eps / k), Step("the true class: 1 − ε + ε / K", 1 - eps + eps / k),
                 Step("the smoothed target, class by class", ours.tolist()))
        return Solution(ours.tolist(), split, (Misconception(*_OTHERS, others.tolist()),))
    logits = torch.tensor(inputs["logits"], dtype=_F64)
    k = len(logits)
    loss = F.cross_entropy(logits[None], torch.tensor([target]), label_smoothing=eps).item()
    log_probs = torch.log_softmax(logits, dim=0)
    ours, others = _targets(k, target, eps)
    steps = (
        Step("log-softmax of the logits", log_probs.tolist()),
        Step("smoothed target (ε/K each, 1 − ε + ε/K on the true class)", ours.tolist()),
        Step("loss = −Σ target · log p", loss),
    )
    wrong = (
        Misconception(*_OTHERS, -(others * log_probs).sum().item()),
        Misconception(*_NO_SMOOTHING, -log_probs[target].item()),
    )
    return Solution(loss, steps, wrong)


Beams = list[tuple[tuple[int, ...], torch.Tensor]]


def _decode(tree: Mapping[str, list[float]], width: int, *, alone: bool = False) -> tuple[tuple[int, ...], list[Beams]]:
    """Beam search of ``width`` over the tree by summed log-probabilities: the best sequence and
    the beams kept after each step. ``alone`` extends each beam only by its own best token."""
    beams: Beams = [((), torch.zeros((), dtype=_F64))]
    kept = []
    while " ".join(map(str, beams[0][0])) in tree:
        scores = torch.stack([s + torch.log(torch.tensor(tree[" ".join(map(str, p))], dtype=_F64)) for p, s in beams])
        k = scores.shape[1]
        if alone and beams[0][0]:
            best = scores.argmax(dim=1)
            beams = [(p + (int(j),), scores[b, j]) for b, ((p, _), j) in enumerate(zip(beams, best))]
        else:
            top = torch.topk(scores.flatten(), min(width, scores.numel()))
            beams = [(beams[i // k][0] + (i % k,), v) for v, i in zip(top.values, top.indices.tolist())]
        beams.sort(key=lambda b: -float(b[1]))
        kept.append(beams)
    return beams[0][0], kept


def _solve_decoding(ask: str, inputs: Mapping[str, Any]) -> Solution:
    tree, tokens = inputs["tree"], inputs["tokens"]

    def words(seq: tuple[int, ...]) -> str:
        return " ".join(tokens[i] for i in seq)

    width = 1 if ask == "greedy" else BEAM_WIDTH
    chosen, kept = _decode(tree, width)
    prob = _probability(tree, chosen)
    steps = tuple(
        Step(f"after step {n} ({'kept' if width > 1 else 'chosen'})", ", ".join(f"{words(p)} ({torch.exp(s).item():.6g})" for p, s in beams))
        for n, beams in enumerate(kept, 1)
    )
    sequence = Step(f"chosen sequence: {words(chosen)}", [float(t) for t in chosen])
    probability = Step("its probability (product along the path)", prob)
    # The worked solution ends at what is asked.
    steps += (probability, sequence) if inputs["answer"] == "sequence" else (sequence, probability)
    everything = len(tokens) ** len(chosen)
    others = [_BEST] if ask == "greedy" else [_GREEDY, _PER_BEAM, _BEAM_BEST]
    found = {
        _BEST: _decode(tree, everything)[0],
        _GREEDY: _decode(tree, 1)[0],
        _PER_BEAM: _decode(tree, width, alone=True)[0],
        _BEAM_BEST: _decode(tree, everything)[0],
    }
    if inputs["answer"] == "sequence":
        wrong = [Misconception(*m, [float(t) for t in found[m]]) for m in others if found[m] != chosen]
        return Solution([float(t) for t in chosen], steps, tuple(wrong))
    wrong = [Misconception(*m, _probability(tree, found[m])) for m in others if found[m] != chosen]
    summed = sum(tree[" ".join(map(str, chosen[:i]))][t] for i, t in enumerate(chosen))
    return Solution(prob, steps, (*wrong, Misconception(*_PATH_SUMMED, float(summed))))


def _probability(tree: Mapping[str, list[float]], seq: tuple[int, ...]) -> float:
    path = [tree[" ".join(map(str, seq[:i]))][t] for i, t in enumerate(seq)]
    return torch.prod(torch.tensor(path, dtype=_F64)).item()
