"""Checker for SimCLR's NT-Xent loss problems.

Source: "A Simple Framework for Contrastive Learning of Visual Representations"
(2020), equation (1) and Algorithm 1. For 2N views ``z_0..z_{2N-1}`` whose positive pairs are
``(k, k+N)``, with cosine similarity ``s_ij`` and temperature ``τ``:

    ℓ(i, j) = −log( exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ) ),    L = (1/2N) Σ_i ℓ(i, pos(i)).

Each anchor's term is a cross-entropy over the other 2N−1 views with the positive as the target,
so it is computed with torch's ``F.cosine_similarity`` and ``F.cross_entropy`` on the logits
``s/τ`` whose diagonal is masked to −∞ (a view is never its own candidate).

Zero-shot classification follows CLIP ("Learning Transferable Visual Models From Natural Language
Supervision", 2021, section 3.1.2 and Figure 3): the class texts' embeddings are compared with the
image's by cosine similarity, scaled by a temperature, and a softmax over the classes gives the
prediction. Entropies come from ``torch.distributions.Categorical``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from quizgen.core.answer import Misconception, Solution, Step
from quizgen.core.formula import exact_cosine


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one NT-Xent problem.

    Args:
        inputs: ``ask`` and ``z`` (2N rows), plus ``temperature`` (loss, anchor), ``anchor``
            (anchor) or ``pair`` (similarity).

    Returns:
        The solution; the answer is always a number.

    Example:
        >>> solve({"ask": "similarity", "z": [[1, 0], [1, 1]], "pair": [0, 1]}).value
        0.7071067811865475
        >>> solve({"ask": "loss", "z": [[1, 0], [0, 1]], "temperature": 0.5}).value
        0.0
    """
    ask = inputs.get("ask")
    if ask == "negatives":
        return _solve_negatives(int(inputs["batch"]))
    if ask == "entropy":
        return _solve_entropy(inputs["similarities"], inputs["temperatures"])
    if ask == "zero-shot":
        return _solve_zero_shot(inputs)
    z = torch.tensor(inputs["z"], dtype=torch.float64)
    if ask == "similarity":
        return _solve_similarity(z, list(inputs["pair"]))
    return _solve_loss(z, float(inputs["temperature"]), inputs["anchor"] if ask == "anchor" else None)


def _solve_similarity(z: torch.Tensor, pair: list[int]) -> Solution:
    i, j = pair
    dot = (z[i] @ z[j]).item()
    nu, nv = torch.linalg.vector_norm(z[pair], dim=1).tolist()
    cos = F.cosine_similarity(z[i], z[j], dim=0).item()
    steps = (
        Step(f"z_{i}·z_{j}", dot),
        Step(f"‖z_{i}‖, ‖z_{j}‖", [nu, nv]),
        Step(f"cos(z_{i}, z_{j}) = z_{i}·z_{j} / (‖z_{i}‖ ‖z_{j}‖)", cos, note=f"exactly {exact_cosine(z[i].tolist(), z[j].tolist())}"),
    )
    wrong: tuple[Misconception, ...] = ()
    if not math.isclose(nu * nv, 1.0, rel_tol=1e-12):
        wrong = (
            Misconception(
                "dot-product-not-cosine",
                "Gave the raw dot product; the cosine similarity divides it by both lengths, so only "
                "the directions of the vectors count.",
                dot,
            ),
        )
    return Solution(cos, steps, wrong)


_SELF_IN_DENOMINATOR = (
    "self-in-denominator",
    "Kept k = i in the denominator; a view is trivially most similar to itself, so its exp(1/τ) "
    "must be left out of the sum.",
)
_RAW_DOT_PRODUCT = (
    "raw-dot-product",
    "Used raw dot products z_i·z_k instead of cosine similarities; NT-Xent first normalises every "
    "vector, so lengths must not count.",
)
_NO_TEMPERATURE = (
    "no-temperature",
    "Left out the temperature (as if τ = 1); every similarity is divided by τ before the "
    "exponential.",
)


def _solve_loss(z: torch.Tensor, tau: float, anchor: int | None) -> Solution:
    two_n = z.shape[0]
    n = two_n // 2
    sim = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1)
    norms = torch.linalg.vector_norm(z, dim=1).tolist()

    targets = (torch.arange(two_n) + n) % two_n
    own = torch.eye(two_n, dtype=torch.bool)

    def loss(similarities: torch.Tensor, t: float, keep_own: bool = False) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Logits, per-anchor terms and the asked value; a view is not its own candidate."""
        logits = similarities / t if keep_own else (similarities / t).masked_fill(own, -math.inf)
        terms = F.cross_entropy(logits, targets, reduction="none")
        # + 0.0 turns the −0.0 of a zero cross-entropy into 0.0.
        return logits, terms, (terms.mean() if anchor is None else terms[anchor]).item() + 0.0

    logits, terms, key = loss(sim, tau)
    wrong = [Misconception(*_SELF_IN_DENOMINATOR, loss(sim, tau, keep_own=True)[2])]
    # With one pair the positive is the only candidate, so every masked term is 0 whatever the
    # similarities: only keeping the view itself in the denominator changes the answer.
    if n > 1:
        if any(not math.isclose(x, 1.0, rel_tol=1e-12) for x in norms):
            wrong.append(Misconception(*_RAW_DOT_PRODUCT, loss(z @ z.T, tau)[2]))
        if tau != 1.0:
            wrong.append(Misconception(*_NO_TEMPERATURE, loss(sim, 1.0)[2]))

    steps = [Step("‖z_k‖ for each view", norms, shape=[two_n])]
    if anchor is None:
        shown = logits.tolist()
        for k in range(two_n):
            shown[k][k] = "-inf"
        steps += [
            Step("cosine similarities s_ij", sim.tolist(), shape=[two_n, two_n]),
            Step("logits s_ij/τ (a view is not its own candidate)", shown, shape=[two_n, two_n]),
            Step(
                "ℓ(i, pos(i)) for each anchor i",
                [t + 0.0 for t in terms.tolist()],
                shape=[two_n],
                note=f"pos(i) = (i + {n}) mod {two_n}",
            ),
            Step(f"loss = mean of the {two_n} terms", key),
        ]
    else:
        pos = (anchor + n) % two_n
        row = logits[anchor]
        steps += [
            Step(f"s_{anchor}k for every view k", sim[anchor].tolist(), shape=[two_n]),
            Step(f"s_{anchor},{pos}/τ (the positive)", row.tolist()[pos]),
            Step(
                f"log Σ_(k≠{anchor}) exp(s_{anchor}k/τ)",
                torch.logsumexp(row, dim=0).item(),
                note="the denominator, over the other 2N−1 views",
            ),
            Step(f"ℓ({anchor}, {pos}) = log-denominator − positive logit", key),
        ]

    if anchor is None and n > 1:
        wrong.append(
            Misconception(
                "one-direction-only",
                f"Averaged only anchors 0..{n - 1}; every one of the 2N views is an anchor once, so "
                "the loss averages both directions of each pair.",
                terms[:n].mean().item(),
            )
        )
    return Solution(key, tuple(steps), tuple(wrong))


def _solve_negatives(n: int) -> Solution:
    """Count the candidates NT-Xent's mask leaves each anchor, less its positive."""
    views = torch.arange(2 * n)
    positive = (views[:, None] + n) % (2 * n) == views[None, :]
    negative = ~torch.eye(2 * n, dtype=torch.bool) & ~positive
    counts = negative.sum(dim=1)
    key = float(counts[0])
    steps = (
        Step("views in the batch", float(2 * n)),
        Step("candidates of an anchor: every view but itself", float(2 * n - 1)),
        Step("negatives: the candidates but the positive", key, note="the same for every anchor" if bool((counts == counts[0]).all()) else ""),
    )
    wrong = (
        Misconception(
            "positive-counted-as-negative",
            "Counted every other view, the anchor's own positive included; the positive is the one candidate that is not a negative.",
            float(2 * n - 1),
        ),
        Misconception(
            "one-view-per-example",
            "Counted one view per other example; each of the other N − 1 examples contributes both of its views.",
            float(n - 1),
        ),
    )
    return Solution(key, steps, wrong)


def _solve_entropy(similarities: list[float], temperatures: list[float]) -> Solution:
    s = torch.tensor(similarities, dtype=torch.float64)
    dists = [torch.distributions.Categorical(logits=s / t) for t in temperatures]
    key = [d.entropy().item() for d in dists]
    steps = tuple(Step(f"softmax(s / {t:g})", d.probs.tolist()) for t, d in zip(temperatures, dists))
    steps += (Step("H = −Σ p log p at each τ", key, note="a lower temperature sharpens the softmax and lowers the entropy"),)
    wrong = [Misconception("log2-used", "Measured in bits (log₂); the entropy here uses the natural log.", [h / math.log(2) for h in key])]
    if 1.0 not in temperatures:
        plain = torch.distributions.Categorical(logits=s).entropy().item()
        wrong.append(Misconception(*_NO_TEMPERATURE, [plain, plain]))
    return Solution(key, steps, tuple(wrong))


def _solve_zero_shot(inputs: Mapping[str, Any]) -> Solution:
    image = torch.tensor(inputs["image"], dtype=torch.float64)
    texts = torch.tensor(inputs["texts"], dtype=torch.float64)
    tau = float(inputs["temperature"])
    cos = F.cosine_similarity(image[None], texts, dim=1)
    probs = torch.softmax(cos / tau, dim=0)
    dot_probs = torch.softmax(texts @ image / tau, dim=0)
    steps: tuple[Step, ...] = (
        Step("cosine similarity of the image with each class text", cos.tolist()),
        Step("logits = cosine / τ", (cos / tau).tolist()),
        Step("softmax over the classes", probs.tolist()),
        Step("predicted class: the largest probability", float(probs.argmax())),
    )
    if inputs["answer"] != "class":  # the worked solution ends at the probabilities asked for
        steps = (*steps[:2], steps[2]._replace(note=f"the predicted class is {int(probs.argmax())}, the largest"))
    wrong: list[Misconception] = []
    if inputs["answer"] == "class":
        if int(dot_probs.argmax()) != int(probs.argmax()):
            wrong.append(Misconception(*_RAW_DOT_PRODUCT_ZERO_SHOT, float(dot_probs.argmax())))
        return Solution(float(probs.argmax()), steps, tuple(wrong))
    norms = torch.linalg.vector_norm(torch.cat([image[None], texts]), dim=1)
    if not torch.allclose(norms, torch.ones_like(norms), rtol=1e-12, atol=0):
        wrong.append(Misconception(*_RAW_DOT_PRODUCT_ZERO_SHOT, dot_probs.tolist()))
    if tau != 1.0:
        wrong.append(Misconception(*_NO_TEMPERATURE, torch.softmax(cos, dim=0).tolist()))
    return Solution(probs.tolist(), steps, tuple(wrong))


_RAW_DOT_PRODUCT_ZERO_SHOT = (
    "raw-dot-product",
    "Compared raw dot products; CLIP normalises both embeddings, so only their directions count and a long text vector does not win by length.",
)
