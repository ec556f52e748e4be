"""Generator for embedding problems: vocabularies and padded ids, lookup shapes and table sizes,
BERT's input embeddings, cosine similarity and word analogies.

Questions (``ask``):

- ``padded-ids``: a vocabulary (``[PAD]`` = 0, ``[UNK]`` = 1, then its words) and a batch of
  tokenised sentences → the id matrix, each row padded at the end with 0 to the longest sentence;
  inputs ``{"ask", "vocab", "sentences"}`` (``vocab`` lists the words with ids 2, 3, ...).
- ``lookup-shape``: ``nn.Embedding(V, D)`` applied to ids of shape ``ids_shape``; inputs
  ``{"ask", "vocab_size", "dim", "ids_shape"}``.
- ``table-params``: parameters of ``nn.Embedding(V, D, padding_idx=0)``; inputs
  ``{"ask", "vocab_size", "dim"}``.
- ``bert-params``: parameters of BERT's three input tables (token V × D, position P × D, segment
  2 × D); inputs ``{"ask", "vocab_size", "positions", "dim"}``.
- ``bert-shape``: the shape of their sum for ids of shape (B, L), with BERT's positions
  0, 1, …, L − 1 in every row; ``"error"`` when L exceeds the P rows of the position table (the
  lookup raises); inputs ``{"ask", "vocab_size", "positions", "dim", "ids_shape"}``.
- ``table-formula`` and ``bert-formula``: those parameter counts as formulas in V, D (and P);
  inputs ``{"ask", "symbols"}``.
- ``cosine``: the cosine similarity of two rows of a small word table; inputs
  ``{"ask", "words", "table", "pair"}``.
- ``analogy``: the index of the word whose vector is nearest (by cosine) to
  ``table[a] − table[b] + table[c]`` computed from the rows as given (not normalised first, as
  gensim does), the three query words excluded; inputs ``{"ask", "words", "table", "query"}``
  with ``query = [a, b, c]``. Drawn so that at least one classic mistake (a query word let in,
  the dot product, rows normalised first) picks another row, and no two pick the same one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from quizgen.core.answer import Answer
from quizgen.core.formula import describe_symbols
from quizgen.core.params import MAX_DRAWS, Choice, IntRange, ParamSpec, draw_choice, draw_int, draw_int_matrix, redraw
from quizgen.core.render import format_matrix

VERSION = 1
# Asks whose drawing changed since version 1 (ids of their older versions are refused).
VERSIONS = {"analogy": 3, "padded-ids": 2, "cosine": 2}

INPUT_LABELS = {"table": "embedding table E"}
"""What learners read for each vector or matrix input, in every face."""

ASKS = ("padded-ids", "lookup-shape", "table-params", "bert-params", "bert-shape", "cosine", "analogy", "table-formula", "bert-formula")
FORMULA_SYMBOLS = {"table-formula": {"V": "size", "D": "size"}, "bert-formula": {"V": "size", "P": "size", "D": "size"}}
MEANINGS = {"V": "the vocabulary size", "D": "the embedding width", "P": "the number of positions"}
SPECIALS = ("[PAD]", "[UNK]")
# The vocabulary words and the words it lacks, in a fixed order (draws index into them).
WORDS = ("the", "a", "cat", "dog", "sat", "ran", "on", "mat", "big", "small", "red", "house", "saw", "and", "park", "bird")
UNKNOWN = ("zebra", "quickly", "purple", "tractor", "yawned")
TABLE_WORDS = ("king", "queen", "man", "woman", "prince", "girl", "boy", "cat", "dog", "apple", "car", "paris")
VOCAB_SIZES = (1000, 5000, 10000, 30000, 30522, 32000, 50000, 50257)
DIMS = (16, 32, 64, 128, 256, 300, 512, 768, 1024)
POSITIONS = (128, 256, 512, 1024, 2048)

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(options=ASKS, default=("padded-ids",), doc="What to ask for (see the generator's module doc)."),
    "sentences": IntRange(default=(2, 3), doc="Sentences in a padded-ids batch.", minimum=2, maximum=6),
    "tokens": IntRange(default=(2, 6), doc="Tokens per sentence.", minimum=1, maximum=12),
    "vocab_words": IntRange(default=(5, 8), doc="Words in a padded-ids vocabulary (besides [PAD] and [UNK]).", minimum=2, maximum=len(WORDS)),
    "rows": IntRange(default=(4, 6), doc="Words in the table of cosine and analogy questions.", minimum=4, maximum=len(TABLE_WORDS)),
    "dim": IntRange(default=(2, 3), doc="Width of the small word table (cosine, analogy).", minimum=2, maximum=6),
    "values": IntRange(default=(-3, 3), doc="Inclusive range of the word table's integer entries.", minimum=-9, maximum=9),
    "batch": IntRange(default=(2, 64), doc="Batch size B of the ids for shape questions.", minimum=1, maximum=4096),
    "length": IntRange(default=(4, 512), doc="Sequence length L of the ids for shape questions.", minimum=1, maximum=8192),
}


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    if ask in FORMULA_SYMBOLS:
        return {"ask": ask, "symbols": FORMULA_SYMBOLS[ask]}
    if ask == "padded-ids":
        return redraw(lambda: _padded(params, rng), f"sentences={list(params['sentences'])}, tokens={list(params['tokens'])}")
    if ask in ("cosine", "analogy"):
        # About 1 analogy table in 25 gives every slip its own row (the dot product's above all):
        # a table costs microseconds, so an analogy may try 2,000.
        return redraw(
            lambda: _table(ask, params, rng),
            f"rows={list(params['rows'])}, dim={list(params['dim'])}, values={list(params['values'])}; widen 'values'",
            tries=2000 if ask == "analogy" else MAX_DRAWS,
        )
    v, d = VOCAB_SIZES[rng.randrange(len(VOCAB_SIZES))], DIMS[rng.randrange(len(DIMS))]
    inputs: dict[str, Any] = {"ask": ask, "vocab_size": v, "dim": d}
    if ask.startswith("bert"):
        inputs["positions"] = POSITIONS[rng.randrange(len(POSITIONS))]
    if ask.endswith("shape"):
        inputs["ids_shape"] = [draw_int(rng, params["batch"]), draw_int(rng, params["length"])]
        if ask == "lookup-shape" and rng.random() < 0.3:
            inputs["ids_shape"] = inputs["ids_shape"][1:]  # one unbatched sequence
    return inputs


def _padded(params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    vocab = rng.sample(WORDS, draw_int(rng, params["vocab_words"]))
    unknown = [w for w in WORDS if w not in vocab] + list(UNKNOWN)
    sentences = []
    for _ in range(draw_int(rng, params["sentences"])):
        n = draw_int(rng, params["tokens"])
        sentences.append([vocab[rng.randrange(len(vocab))] if rng.random() < 0.8 else unknown[rng.randrange(len(unknown))] for _ in range(n)])
    lengths = {len(s) for s in sentences}
    has_unknown = any(w not in vocab for s in sentences for w in s)
    # An unknown word before a known one, so that mapping it to [PAD] and dropping it differ.
    inside = any(w not in vocab and any(v in vocab for v in s[i + 1 :]) for s in sentences for i, w in enumerate(s))
    # Something to pad, and an unknown word to map to [UNK].
    return {"ask": "padded-ids", "vocab": vocab, "sentences": sentences} if len(lengths) > 1 and has_unknown and inside else None


def _cos(u: Sequence[float], v: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(u, v)) / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


def _table(ask: str, params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    # An analogy needs three candidates besides its three query words (with two, a guess is right
    # half the time).
    lo = max(params["rows"][0], 6 if ask == "analogy" else 2)
    rows = draw_int(rng, (lo, max(lo, params["rows"][1])))
    dim = draw_int(rng, params["dim"])
    table = draw_int_matrix(rng, rows, dim, params["values"])
    if any(not any(row) for row in table):
        return None  # a zero vector has no direction
    words = list(TABLE_WORDS[:rows])
    if ask == "cosine":
        pair = rng.sample(range(rows), 2)
        u, v = (table[i] for i in pair)
        dot = sum(a * b for a, b in zip(u, v))
        # Orthogonal (cosine 0, as is the dot product) or parallel (cosine ±1): read off, not computed.
        if dot == 0 or dot * dot == sum(a * a for a in u) * sum(b * b for b in v):
            return None
        return {"ask": ask, "words": words, "table": table, "pair": pair}
    a, b, c = rng.sample(range(rows), 3)
    target = [x - y + z for x, y, z in zip(table[a], table[b], table[c])]
    if not any(target):
        return None
    # A clear winner, so that exactly one row is right, and so for each named mistake (the query
    # words included; the dot product instead of the cosine; rows normalised before the sum).
    others = [i for i in range(rows) if i not in (a, b, c)]
    unit = [[x / math.sqrt(sum(y * y for y in row)) for x in row] for row in table]
    unit_target = [x - y + z for x, y, z in zip(unit[a], unit[b], unit[c])]
    if not any(abs(x) > 1e-9 for x in unit_target):
        return None
    rankings: tuple[list[float], ...] = (
        [_cos(target, table[i]) for i in others],
        [_cos(target, row) for row in table],
        [sum(x * y for x, y in zip(target, table[i])) for i in others],
        [_cos(unit_target, unit[i]) for i in others],
    )
    if any(len(r) > 1 and sorted(r)[-1] - sorted(r)[-2] < 1e-6 for r in rankings):
        return None
    # Worth asking: some mistake picks another row, and no two mistakes pick the same one.
    best = [r.index(max(r)) for r in rankings]
    picks = [others[best[0]], best[1], others[best[2]], others[best[3]]]
    wrong = [p for p in picks[1:] if p != picks[0]]
    if not wrong or len(set(wrong)) < len(wrong):
        return None
    # The dot product in place of the cosine (the classic slip) picks another row, and the row
    # found points the target's way (a nearest word at a negative cosine is no analogy).
    if picks[2] == picks[0] or max(rankings[0]) <= 0:
        return None
    return {"ask": ask, "words": words, "table": table, "query": [a, b, c]}


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner.

    >>> print(describe({"ask": "table-params", "vocab_size": 5000, "dim": 1024}))
    nn.Embedding(5000, 1024, padding_idx=0)
    """
    ask = inputs["ask"]
    if ask in FORMULA_SYMBOLS:
        tables = (
            "nn.Embedding(V, D, padding_idx=0)"
            if ask == "table-formula"
            else "BERT's input tables: token nn.Embedding(V, D), position nn.Embedding(P, D), segment nn.Embedding(2, D)"
        )
        return tables + "\n" + describe_symbols(inputs["symbols"], MEANINGS)
    if ask == "padded-ids":
        ids = ", ".join(f"{w} = {i}" for i, w in enumerate([*SPECIALS, *inputs["vocab"]]))
        lines = [f"vocabulary: {ids}"]
        lines += [f"sentence {i}: {' '.join(s)}" for i, s in enumerate(inputs["sentences"])]
        return "\n".join(lines)
    if ask in ("cosine", "analogy"):
        words = inputs["words"]
        lines = [format_matrix(INPUT_LABELS["table"], inputs["table"]), "rows: " + ", ".join(f"{i} {w}" for i, w in enumerate(words))]
        if ask == "cosine":
            i, j = inputs["pair"]
            lines.append(f"words: {words[i]} (row {i}) and {words[j]} (row {j})")
        else:
            a, b, c = inputs["query"]
            lines.append(f"query: {words[a]} − {words[b]} + {words[c]}  (rows {a}, {b}, {c})")
        return "\n".join(lines)
    v, d = inputs["vocab_size"], inputs["dim"]
    if ask == "lookup-shape":
        return f"emb = nn.Embedding({v}, {d})\nids: a LongTensor of shape {tuple(inputs['ids_shape'])}\nout = emb(ids)"
    if ask == "table-params":
        return f"nn.Embedding({v}, {d}, padding_idx=0)"
    tables = f"token: nn.Embedding({v}, {d}); position: nn.Embedding({inputs['positions']}, {d}); segment: nn.Embedding(2, {d})"
    if ask == "bert-params":
        return tables
    shape = tuple(inputs["ids_shape"])
    return (
        f"{tables}\nids and segment ids (0 or 1): LongTensors of shape {shape}\n"
        f"positions = torch.arange(L).expand(B, L)   (0, 1, …, L − 1 in every row, as BERT numbers them)\n"
        "x = token(ids) + position(positions) + segment(segments)"
    )


def expected(inputs: dict[str, Any]) -> Answer:
    """A matrix of ids, a shape, or a number; the values are placeholders."""
    ask = inputs["ask"]
    if ask == "padded-ids":
        width = max(len(s) for s in inputs["sentences"])
        return Answer("matrix", [[0.0] * width for _ in inputs["sentences"]])
    return Answer("shape", []) if ask.endswith("shape") else Answer("number", 0.0, whole=ask.endswith("params") or ask == "analogy")
