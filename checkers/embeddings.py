"""Checker for embedding problems: padded id matrices, lookup shapes, table sizes, BERT's input
embeddings, cosine similarity and analogies.

Sources: an embedding table is a V × D matrix whose row i is token i's vector (``nn.Embedding``);
BERT's input is the sum of token, position and segment embeddings (Devlin et al. 2019, section
3.2 and figure 2); word analogies such as king − man + woman ≈ queen are answered by the nearest
word by cosine similarity, the query words excluded (Mikolov et al. 2013). Ids are padded with
``nn.utils.rnn.pad_sequence``, looked up in ``nn.Embedding`` tables (for shapes and sizes, tables on
the meta device, looked up by torch's embedding rule, ``index_select``) and compared with
``F.cosine_similarity``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from quizgen.core.answer import Misconception, Solution, Step
from quizgen.core.formula import exact_cosine
from quizgen.core.formula import value as formula_value

SPECIALS = ("[PAD]", "[UNK]")
_META = torch.device("meta")

_FRONT = ("padded-at-front", "Put the padding before the tokens; here each sentence starts at position 0 and the [PAD] ids (0) fill the end.")
_UNK_AS_PAD = ("unk-as-pad", "Gave unknown words the id of [PAD] (0); they map to [UNK] (1), and padding means 'no token here'.")
_DROPPED = ("unknown-dropped", "Left the unknown words out; every token keeps its position and an unknown one becomes [UNK].")
_VOCAB_WIDTH = ("vocab-as-width", "Gave each token a vector of length V; the lookup returns a row of the V × D table, D numbers.")
_IDS_ONLY = ("ids-shape-only", "Kept the shape of the ids; every id is replaced by a D-dimensional vector, a new last axis.")
_V_PLUS_D = ("v-plus-d", "Added V and D; the table is a V × D matrix, one row of D numbers per token.")
_PAD_ROW = ("padding-row-excluded", "Left out the padding row; padding_idx keeps that row at zero and out of the gradient, but it is still a parameter.")
_NO_POSITIONS = ("positions-left-out", "Left out the position table (max positions × D).")
_NO_SEGMENTS = ("segments-left-out", "Left out the segment table (2 × D, one row per sentence A and B).")
_TOKENS_ONLY = ("token-table-only", "Counted the token table only; BERT adds a position and a segment embedding to every token.")
_CONCATENATED = ("concatenated", "Concatenated the three embeddings; BERT adds them, so the width stays D.")
_PAST_THE_TABLE = (
    "positions-past-the-table",
    "Gave the sum's shape; the positions run to L − 1, past the last row (P − 1) of the position "
    "table, so the lookup raises an IndexError. BERT cannot read sequences longer than P.",
)
_NORMALISED_FIRST = (
    "rows-normalised-first",
    "Scaled every row to length 1 before computing a − b + c (gensim's convention); here the "
    "query vector is computed from the rows as given.",
)
_DOT = ("dot-product-not-cosine", "Used the raw dot product; cosine similarity divides it by both lengths, so only directions count.")
_QUERY_INCLUDED = ("query-words-included", "Let a query word win; the nearest vector to a − b + c is often a or c itself, so the query words are excluded.")


def solve(inputs: Mapping[str, Any]) -> Solution:
    """Answer, worked steps and applicable misconceptions of one embedding problem.

    Example:
        >>> solve({"ask": "padded-ids", "vocab": ["the", "cat"], "sentences": [["the", "cat"], ["dog"]]}).value
        [[2.0, 3.0], [1.0, 0.0]]
        >>> solve({"ask": "bert-params", "vocab_size": 30522, "positions": 512, "dim": 768}).value
        23835648.0
    """
    ask = str(inputs["ask"])
    if ask in ("table-formula", "bert-formula"):
        return _solve_formula(str(ask), dict(inputs["symbols"]))
    if ask == "padded-ids":
        return _solve_padded(list(inputs["vocab"]), [list(s) for s in inputs["sentences"]])
    if ask in ("cosine", "analogy"):
        return _solve_table(ask, inputs)
    return _solve_sizes(ask, inputs)  # ask in ("lookup-shape", "table-params", "bert-params", "bert-shape") (the registry refused any other)


def _pad(rows: list[list[int]], front: bool = False) -> list[list[float]]:
    tensors = [torch.tensor(r, dtype=torch.float64) for r in rows]
    if front:
        return pad_sequence([t.flip(0) for t in tensors], batch_first=True).flip(1).tolist()
    return pad_sequence(tensors, batch_first=True, padding_value=0.0).tolist()


def _solve_padded(vocab: list[str], sentences: list[list[str]]) -> Solution:
    stoi = {w: i for i, w in enumerate([*SPECIALS, *vocab])}
    ids = [[stoi.get(w, 1) for w in s] for s in sentences]
    key = _pad(ids)
    steps = [Step(f"ids of sentence {i} ([UNK] = 1 for words not in the vocabulary)", row) for i, row in enumerate(ids)]
    steps.append(Step(f"padded at the end with [PAD] = 0 to the longest length {len(key[0])}", key, shape=[len(key), len(key[0])]))
    wrong = [Misconception(*_FRONT, _pad(ids, front=True)), Misconception(*_UNK_AS_PAD, _pad([[stoi.get(w, 0) for w in s] for s in sentences]))]
    kept = [[stoi[w] for w in s if w in stoi] for s in sentences]
    if all(kept):
        wrong.append(Misconception(*_DROPPED, _pad(kept)))
    return Solution(key, tuple(steps), tuple(wrong))


def _table(v: int, d: int, padding_idx: int | None = None) -> nn.Embedding:
    """A real ``nn.Embedding`` on the meta device, handed its (meta) weight: sizes only. Letting
    it draw its own weight would run ``normal_`` on a meta tensor, which imports torch's compiler
    (half a second) for numbers nobody reads."""
    return nn.Embedding(v, d, padding_idx=padding_idx, _weight=torch.empty(v, d, device=_META))


def _lookup(table: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    """``table(ids)`` on the meta device, computed as torch's embedding computes it: the weight's
    rows picked by ``index_select`` and viewed as the ids' shape + (D,) (``aten/native/
    Embedding.cpp``). Calling the module on meta tensors runs Python meta code that imports
    torch's symbolic shapes and sympy (0.2–0.4 s a process) to learn a shape."""
    return table.weight.index_select(0, ids.reshape(-1)).view(*ids.shape, table.embedding_dim)


def _solve_sizes(ask: str, inputs: Mapping[str, Any]) -> Solution:
    v, d = int(inputs["vocab_size"]), int(inputs["dim"])
    steps: tuple[Step, ...]
    if ask == "lookup-shape":
        ids_shape = list(inputs["ids_shape"])
        out = _lookup(_table(v, d), torch.empty(ids_shape, dtype=torch.long, device=_META))
        key = list(out.shape)
        steps = (Step("each id becomes its row of the V × D table: the ids' shape + (D,)", key),)
        return Solution(key, steps, (Misconception(*_VOCAB_WIDTH, [*ids_shape, v]), Misconception(*_IDS_ONLY, ids_shape)))
    token = _table(v, d, padding_idx=0)
    if ask == "table-params":
        count = sum(p.numel() for p in token.parameters())
        steps = (Step("V × D weights (the padding row included)", count),)
        return Solution(float(count), steps, (Misconception(*_V_PLUS_D, float(v + d)), Misconception(*_PAD_ROW, float((v - 1) * d))))
    p = int(inputs["positions"])
    tables = [token, _table(p, d), _table(2, d)]
    if ask == "bert-params":
        counts = [sum(q.numel() for q in t.parameters()) for t in tables]
        steps = (Step("token V·D, position P·D, segment 2·D", counts, cols=("token V·D", "position P·D", "segment 2·D")), Step("(V + P + 2) · D", sum(counts)))
        wrong = (
            Misconception(*_NO_POSITIONS, float(counts[0] + counts[2])),
            Misconception(*_NO_SEGMENTS, float(counts[0] + counts[1])),
            Misconception(*_TOKENS_ONLY, float(counts[0])),
        )
        return Solution(float(sum(counts)), steps, wrong)
    ids_shape = list(inputs["ids_shape"])
    ids = torch.empty(ids_shape, dtype=torch.long, device=_META)
    # The sum's shape is the broadcast of the three lookups' (torch's own rule, in C++ for meta
    # tensors; adding them, or torch.broadcast_shapes, runs Python meta code, see _lookup).
    shape = list(torch.broadcast_tensors(*(_lookup(t, ids) for t in tables))[0].shape)
    try:  # meta tensors hold no indices: a real one-column table of P rows looks up 0 … L − 1
        nn.Embedding(p, 1)(torch.arange(ids_shape[-1]))  # (every row of positions holds the same)
    except IndexError:
        steps = (Step(f"positions run 0 … {ids_shape[-1] - 1}; the position table has rows 0 … {p - 1}", "error"),)
        return Solution("error", steps, (Misconception(*_PAST_THE_TABLE, shape),))
    steps = (Step("each lookup: the ids' shape + (D,); the sum keeps it", shape),)
    return Solution(shape, steps, (Misconception(*_CONCATENATED, [*ids_shape, 3 * d]),))


def _solve_table(ask: str, inputs: Mapping[str, Any]) -> Solution:
    table = nn.Embedding.from_pretrained(torch.tensor(inputs["table"], dtype=torch.float64))
    e = table.weight
    norms = torch.linalg.vector_norm(e, dim=1)
    if ask == "cosine":
        i, j = inputs["pair"]
        u, v = table(torch.tensor([i, j]))
        dot = (u @ v).item()
        cos = F.cosine_similarity(u, v, dim=0).item()
        exact = exact_cosine(inputs["table"][i], inputs["table"][j])
        steps = (
            Step(f"E[{i}] · E[{j}]", dot),
            Step(f"‖E[{i}]‖, ‖E[{j}]‖", [norms[i].item(), norms[j].item()], cols=(f"‖E[{i}]‖", f"‖E[{j}]‖")),
            Step("cosine = dot / (‖u‖ ‖v‖)", cos, note=f"exactly {exact}"),
        )
        plain = [] if math.isclose(norms[i].item() * norms[j].item(), 1.0) else [Misconception(*_DOT, dot)]
        return Solution(cos, steps, tuple(plain))
    a, b, c = inputs["query"]
    target = e[a] - e[b] + e[c]
    sims = F.cosine_similarity(e, target[None, :], dim=1)
    hidden = torch.zeros(len(e), dtype=torch.bool)
    hidden[[a, b, c]] = True
    best = int(sims.masked_fill(hidden, -math.inf).argmax())
    steps = (
        Step("target = E[a] − E[b] + E[c]", target.tolist()),
        Step("cosine of every row with the target", sims.tolist()),
        Step("best row other than a, b and c", best),
    )
    wrong: list[Misconception] = []
    with_query = int(sims.argmax())
    if with_query != best:
        wrong.append(Misconception(*_QUERY_INCLUDED, float(with_query)))
    by_dot = int((e @ target).masked_fill(hidden, -math.inf).argmax())
    if by_dot != best:
        wrong.append(Misconception(*_DOT, float(by_dot)))
    unit = F.normalize(e, dim=1)
    by_unit = int(F.cosine_similarity(unit, (unit[a] - unit[b] + unit[c])[None, :], dim=1).masked_fill(hidden, -math.inf).argmax())
    if by_unit != best:
        wrong.append(Misconception(*_NORMALISED_FIRST, float(by_unit)))
    return Solution(float(best), steps, tuple(wrong))


def _solve_formula(ask: str, symbols: dict[str, str]) -> Solution:
    """The table sizes as formulas: one row of D numbers per entry of each table."""

    f = functools.partial(formula_value, symbols=symbols)

    if ask == "table-formula":
        one = (Step("one row of D numbers per token, the padding row included", "V*D"),)
        return Solution(f("V*D"), one, (Misconception(*_V_PLUS_D, f("V + D")), Misconception(*_PAD_ROW, f("(V - 1)*D"))))
    steps = (Step("token V·D, position P·D, segment 2·D", "V*D + P*D + 2*D"), Step("in all", "(V + P + 2)*D"))
    wrong = (
        Misconception(*_NO_POSITIONS, f("(V + 2)*D")),
        Misconception(*_NO_SEGMENTS, f("(V + P)*D")),
        Misconception(*_TOKENS_ONLY, f("V*D")),
    )
    return Solution(f("(V + P + 2)*D"), steps, wrong)
