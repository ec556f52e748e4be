"""Checker for SimCLR's NT-Xent loss problems.

Source: "A Simple Framework for Contrastive Learning of Visual Representations"
(2020), equation (1) and Algorithm 1. For 2N views ``z_0..z_{2N-1}`` whose positive pairs are
``(k, k+N)``, with cosine similarity ``s_ij`` and temperature ``τ``:

    ℓ(i, j) = −log( exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ) ),    L = (1/2N) Σ_i ℓ(i, pos(i)).

Each anchor's term is a cross-entropy over the other 2N−1 views with the positive as the target,
so it is computed with torch's ``F.cosine_similarity`` and ``F.cross_entropy`` on the logits
``s/τ`` whose diagonal is masked to −∞ (a view is never its own candidate).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F

from checkers.batch import solve_grouped
from checkers.solution import Answer, Misconception, Solution, Step

ASKS = ("loss", "anchor", "similarity")


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one NT-Xent problem.

    Args:
        inputs: ``ask`` and ``z`` (2N rows), plus ``temperature`` (loss, anchor), ``anchor``
            (anchor) or ``pair`` (similarity).

    Returns:
        The solution; the answer is always a number.

    Raises:
        ValueError: When the inputs do not describe a valid problem.

    Example:
        >>> solve({"ask": "similarity", "z": [[1, 0], [1, 1]], "pair": [0, 1]}).answer.value
        0.7071067811865475
        >>> solve({"ask": "loss", "z": [[1, 0], [0, 1]], "temperature": 0.5}).answer.value
        0.0
    """
    ask = inputs.get("ask")
    if ask not in ASKS:
        raise ValueError(f"Expected ask to be one of {ASKS}, but got {ask!r}")
    z = _batch(inputs)
    if ask == "similarity":
        return _solve_similarity(z, _indices(inputs, "pair", 2, z.shape[0]))
    tau = inputs.get("temperature")
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not tau > 0:
        raise ValueError(f"Expected temperature to be a number above 0, but got {tau!r}")
    anchor = _indices(inputs, "anchor", 1, z.shape[0])[0] if ask == "anchor" else None
    return _solve_loss(z, float(tau), anchor)


def _batch(inputs: Mapping[str, Any]) -> torch.Tensor:
    try:
        z = torch.tensor(inputs["z"], dtype=torch.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"Expected z to be a rectangular list of number rows, but got {inputs.get('z')!r}"
        ) from exc
    if z.dim() != 2 or z.shape[0] < 2 or z.shape[0] % 2 or z.shape[1] == 0:
        raise ValueError(
            f"Expected z to have an even number (>= 2) of non-empty rows, but got shape {list(z.shape)}"
        )
    # Every row nonzero, read from the rows themselves (cheaper than two tensor reductions).
    if not all(any(row) for row in inputs["z"]):
        raise ValueError(
            "Expected every row of z to be nonzero (a zero vector has no cosine similarity)"
        )
    return z


def _indices(inputs: Mapping[str, Any], name: str, count: int, rows: int) -> list[int]:
    value = inputs.get(name)
    items = value if count > 1 else [value]
    ok = (
        isinstance(items, (list, tuple))
        and len(items) == count
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < rows for i in items)
        and len(set(items)) == count
    )
    if not ok:
        what = f"{count} distinct row indices" if count > 1 else "a row index"
        raise ValueError(f"Expected {name} to be {what} in 0..{rows - 1}, but got {value!r}")
    return list(items)


def _solve_similarity(z: torch.Tensor, pair: list[int]) -> Solution:
    u, v = z[pair[0]], z[pair[1]]
    dot = (u @ v).item()
    nu, nv = torch.linalg.vector_norm(z[pair], dim=1).tolist()
    cos = F.cosine_similarity(u, v, dim=0).item()
    return _similarity_solution(pair[0], pair[1], dot, nu, nv, cos)


def _similarity_solution(i: int, j: int, dot: float, nu: float, nv: float, cos: float) -> Solution:
    """The cosine-similarity answer, steps and mistake from its numbers (``solve`` and batches)."""
    steps = (
        Step(f"z_{i}·z_{j}", dot),
        Step(f"‖z_{i}‖, ‖z_{j}‖", [nu, nv]),
        Step(f"cos(z_{i}, z_{j}) = z_{i}·z_{j} / (‖z_{i}‖ ‖z_{j}‖)", cos),
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
    return Solution(Answer("number", cos), steps, wrong)


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


# The self-mask and the repeated targets depend only on the batch size and the number of stacked
# logit blocks (the key, then the applicable mistakes), so they are built once per combination;
# so are the per-block temperatures.
_LAYOUT: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}
_DIVISORS: dict[tuple[float, ...], torch.Tensor] = {}


def _layout(two_n: int, blocks: int) -> tuple[torch.Tensor, torch.Tensor]:
    hit = _LAYOUT.get((two_n, blocks))
    if hit is None:
        # Block 1 (self-in-denominator) keeps the diagonal; every other block hides it.
        self_masked = [True, False] + [True] * (blocks - 2)
        hide = torch.eye(two_n, dtype=torch.bool) & torch.tensor(self_masked)[:, None, None]
        targets = (torch.arange(two_n) + two_n // 2) % two_n
        hit = (hide, targets.repeat(blocks))
        _LAYOUT[(two_n, blocks)] = hit
    return hit


def _divisors(taus: tuple[float, ...]) -> torch.Tensor:
    hit = _DIVISORS.get(taus)
    if hit is None:
        hit = torch.tensor(taus, dtype=torch.float64)[:, None, None]
        if len(_DIVISORS) < 1024:
            _DIVISORS[taus] = hit
    return hit


def _solve_loss(z: torch.Tensor, tau: float, anchor: int | None) -> Solution:
    two_n = z.shape[0]
    n = two_n // 2
    sim = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1)
    norms = torch.linalg.vector_norm(z, dim=1).tolist()

    # The key and every applicable mistake are logits for the same targets, so one stacked
    # cross_entropy call gives all their per-anchor terms (slightly cheaper than a call each).
    # Each block is divided by its own temperature in one division (x / 1.0 is exactly x).
    blocks = [sim, sim]
    taus = [tau, tau]
    wrong_names = [_SELF_IN_DENOMINATOR]
    # With one pair the positive is the only candidate, so every masked term is 0 whatever the
    # similarities: only keeping the view itself in the denominator changes the answer.
    if n > 1:
        if any(not math.isclose(x, 1.0, rel_tol=1e-12) for x in norms):
            blocks.append(z @ z.T)
            taus.append(tau)
            wrong_names.append(_RAW_DOT_PRODUCT)
        if tau != 1.0:
            blocks.append(sim)
            taus.append(1.0)
            wrong_names.append(_NO_TEMPERATURE)
    count = len(blocks)
    hide, targets = _layout(two_n, count)
    logits = (torch.stack(blocks) / _divisors(tuple(taus))).masked_fill_(hide, -math.inf)
    terms = F.cross_entropy(logits.view(-1, two_n), targets, reduction="none").view(count, two_n)
    # + 0.0 turns the −0.0 of a zero cross-entropy into 0.0.
    values = [v + 0.0 for v in (terms.mean(dim=1) if anchor is None else terms[:, anchor]).tolist()]
    key = values[0]

    steps = [Step("‖z_k‖ for each view", norms, shape=[two_n])]
    if anchor is None:
        shown = logits[0].tolist()
        for k in range(two_n):
            shown[k][k] = "-inf"
        steps += [
            Step("cosine similarities s_ij", sim.tolist(), shape=[two_n, two_n]),
            Step("logits s_ij/τ (a view is not its own candidate)", shown, shape=[two_n, two_n]),
            Step(
                "ℓ(i, pos(i)) for each anchor i",
                [t + 0.0 for t in terms[0].tolist()],
                shape=[two_n],
                note=f"pos(i) = (i + {n}) mod {two_n}",
            ),
            Step(f"loss = mean of the {two_n} terms", key),
        ]
    else:
        pos = (anchor + n) % two_n
        row = logits[0, anchor]
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

    wrong = [Misconception(name, desc, v) for (name, desc), v in zip(wrong_names, values[1:])]
    if anchor is None and n > 1:
        wrong.append(
            Misconception(
                "one-direction-only",
                f"Averaged only anchors 0..{n - 1}; every one of the 2N views is an anchor once, so "
                "the loss averages both directions of each pair.",
                terms[0, :n].mean().item(),
            )
        )
    return Solution(Answer("number", key), tuple(steps), tuple(wrong))


# ---------------------------------------------------------------- many problems at once

_HIDE_ALL: dict[tuple[int, int], torch.Tensor] = {}
_TARGETS: dict[tuple[int, int], torch.Tensor] = {}


def solve_many(inputs_list: Sequence[Mapping[str, Any]]) -> list[Solution]:
    """``[solve(inputs) for inputs in inputs_list]``, computed in batches.

    Problems with the same ask, batch size 2N and dimension are stacked (batch dimension first)
    and each torch operation runs once per group; anchors and pairs may differ within a group
    (they are picked out by indexing), and so may the temperature and which mistakes apply (every
    possible mistake block is computed and only the applicable ones are kept). Results come back
    in input order. Values agree with ``solve`` up to the last ulp or so (a batched kernel may sum
    in another order); everything else is identical. Inputs that are not plain lists of rows go
    through ``solve`` one by one.

    Raises:
        ValueError: The first error that ``solve`` raises for the inputs, in input order.

    Example:
        >>> sols = solve_many([{"ask": "similarity", "z": [[1, 0], [1, 1]], "pair": [0, 1]},
        ...                    {"ask": "loss", "z": [[1, 0], [0, 1]], "temperature": 0.5}])
        >>> [s.answer.value for s in sols]
        [0.7071067811865475, 0.0]
    """
    return solve_grouped(inputs_list, _group_key, _solve_group, solve)


def _solve_group(key: tuple[str, int, int], group: list[Mapping[str, Any]]) -> list[Solution]:
    if key[0] == "similarity":
        return _similarity_group(key[1], key[2], group)
    return _loss_group(key[0], key[1], key[2], group)


def _group_key(inputs: Mapping[str, Any]) -> tuple[str, int, int] | None:
    """(ask, 2N, dim) of a problem that passes every check of ``solve`` but the shape, else None.

    Only the first row's length is looked at; the group's tensor checks every row.
    """
    ask = inputs.get("ask")
    z = inputs.get("z")
    if ask not in ASKS or type(z) is not list or len(z) < 2 or len(z) % 2:
        return None
    first = z[0]
    if type(first) is not list or not first or not all(any(row) for row in z):
        return None
    two_n = len(z)
    try:
        if ask == "similarity":
            _indices(inputs, "pair", 2, two_n)
        else:
            tau = inputs.get("temperature")
            if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not tau > 0:
                return None
            if ask == "anchor":
                _indices(inputs, "anchor", 1, two_n)
    except (TypeError, ValueError):
        return None
    return (str(ask), two_n, len(first))


def _stack_z(group: list[Mapping[str, Any]], two_n: int, dim: int) -> torch.Tensor | None:
    """Every z of the group as one (count, 2N, dim) tensor, or None if some z is not that shape."""
    try:
        z = torch.tensor([x["z"] for x in group], dtype=torch.float64)
    except (TypeError, ValueError):
        return None
    return z if tuple(z.shape) == (len(group), two_n, dim) else None


def _similarity_group(two_n: int, dim: int, group: list[Mapping[str, Any]]) -> list[Solution]:
    z = _stack_z(group, two_n, dim)
    if z is None:
        return [solve(x) for x in group]
    count = len(group)
    pairs = [list(x["pair"]) for x in group]
    picked = z[torch.arange(count)[:, None], torch.tensor(pairs)]  # (count, 2, dim)
    u, v = picked[:, 0], picked[:, 1]
    dots = (u[:, None, :] @ v[:, :, None]).view(count).tolist()
    norms = torch.linalg.vector_norm(picked, dim=2).tolist()
    coss = F.cosine_similarity(u, v, dim=1).tolist()
    return [
        _similarity_solution(i, j, dot, nu, nv, cos)
        for (i, j), dot, (nu, nv), cos in zip(pairs, dots, norms, coss)
    ]


def _group_layout(two_n: int, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The self-mask of the candidate blocks (4, or 2 with one pair) and ``count`` problems' targets."""
    blocks = 4 if two_n > 2 else 2
    hide = _HIDE_ALL.get((two_n, blocks))
    if hide is None:
        hide = _layout(two_n, blocks)[0]
        _HIDE_ALL[(two_n, blocks)] = hide
    targets = _TARGETS.get((two_n, count))
    if targets is None:
        targets = _layout(two_n, blocks)[1].repeat(count)
        if len(_TARGETS) < 256:
            _TARGETS[(two_n, count)] = targets
    return hide, targets


def _loss_group(ask: str, two_n: int, dim: int, group: list[Mapping[str, Any]]) -> list[Solution]:
    """Loss or anchor problems of one (2N, dim): block 0 the key, 1 self-in-denominator, then
    (with N > 1) 2 raw-dot-product and 3 no-temperature, kept per problem when they apply."""
    z = _stack_z(group, two_n, dim)
    if z is None:
        return [solve(x) for x in group]
    count = len(group)
    n = two_n // 2
    taus = [float(x["temperature"]) for x in group]
    sim = F.cosine_similarity(z[:, :, None, :], z[:, None, :, :], dim=-1)  # (count, 2N, 2N)
    norms_all = torch.linalg.vector_norm(z, dim=2).tolist()
    if n > 1:
        blocks = [sim, sim, z @ z.transpose(-1, -2), sim]
        divisors = [d for tau in taus for d in (tau, tau, tau, 1.0)]
    else:
        blocks = [sim, sim]
        divisors = [d for tau in taus for d in (tau, tau)]
    nb = len(blocks)
    hide, targets = _group_layout(two_n, count)
    logits = torch.stack(blocks, dim=1) / torch.tensor(divisors, dtype=torch.float64).view(
        count, nb, 1, 1
    )
    logits.masked_fill_(hide, -math.inf)
    terms = F.cross_entropy(logits.view(-1, two_n), targets, reduction="none").view(
        count, nb, two_n
    )
    if ask == "loss":
        values_all = terms.mean(dim=2).tolist()
        sim_all = sim.tolist()
        key_logits = logits[:, 0].tolist()
        key_terms = terms[:, 0].tolist()
        one_way = terms[:, 0, :n].mean(dim=1).tolist() if n > 1 else None
    else:
        anchors = [x["anchor"] for x in group]
        rows = torch.arange(count)
        at = torch.tensor(anchors)
        values_all = terms[rows, :, at].tolist()
        sim_rows = sim[rows, at].tolist()
        key_rows = logits[rows, 0, at]  # (count, 2N)
        positives = key_rows[rows, (at + n) % two_n].tolist()
        log_denominators = torch.logsumexp(key_rows, dim=1).tolist()

    sols = []
    for b in range(count):
        norms = norms_all[b]
        values = values_all[b]
        for w in range(nb):
            values[w] += 0.0  # −0.0 (a zero cross-entropy) becomes 0.0, as in solve
        key = values[0]
        picked = [1]
        if n > 1:
            if any(not math.isclose(x, 1.0, rel_tol=1e-12) for x in norms):
                picked.append(2)
            if taus[b] != 1.0:
                picked.append(3)
        wrong = [Misconception(*_BLOCK_MISTAKES[w], values[w]) for w in picked]
        steps = [Step("‖z_k‖ for each view", norms, shape=[two_n])]
        if ask == "loss":
            shown = key_logits[b]
            for k in range(two_n):
                shown[k][k] = "-inf"
            terms_b = key_terms[b]
            for k in range(two_n):
                terms_b[k] += 0.0
            steps += [
                Step("cosine similarities s_ij", sim_all[b], shape=[two_n, two_n]),
                Step(
                    "logits s_ij/τ (a view is not its own candidate)", shown, shape=[two_n, two_n]
                ),
                Step(
                    "ℓ(i, pos(i)) for each anchor i",
                    terms_b,
                    shape=[two_n],
                    note=f"pos(i) = (i + {n}) mod {two_n}",
                ),
                Step(f"loss = mean of the {two_n} terms", key),
            ]
            if one_way is not None:
                wrong.append(
                    Misconception(
                        "one-direction-only",
                        f"Averaged only anchors 0..{n - 1}; every one of the 2N views is an "
                        "anchor once, so the loss averages both directions of each pair.",
                        one_way[b],
                    )
                )
        else:
            anchor = anchors[b]
            pos = (anchor + n) % two_n
            steps += [
                Step(f"s_{anchor}k for every view k", sim_rows[b], shape=[two_n]),
                Step(f"s_{anchor},{pos}/τ (the positive)", positives[b]),
                Step(
                    f"log Σ_(k≠{anchor}) exp(s_{anchor}k/τ)",
                    log_denominators[b],
                    note="the denominator, over the other 2N−1 views",
                ),
                Step(f"ℓ({anchor}, {pos}) = log-denominator − positive logit", key),
            ]
        sols.append(Solution(Answer("number", key), tuple(steps), tuple(wrong)))
    return sols


_BLOCK_MISTAKES = {1: _SELF_IN_DENOMINATOR, 2: _RAW_DOT_PRODUCT, 3: _NO_TEMPERATURE}
