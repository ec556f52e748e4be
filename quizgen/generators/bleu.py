"""Generator for sentence-level BLEU problems.

Source: "BLEU: a Method for Automatic Evaluation of Machine
Translation" (ACL 2002), section 2: modified (clipped) n-gram precisions ``p_1 .. p_N``, combined by
a geometric mean with uniform weights ``1/N`` and multiplied by the brevity penalty
``BP = 1 if c > r else exp(1 − r/c)``, where ``c`` is the candidate length and ``r`` the reference
length closest to it (ties go to the shorter reference). No smoothing.

Questions (``ask``), all with inputs
``{"ask", "candidate": [tokens], "references": [[tokens], ...], "max_n": N}``:

- ``bleu``: sentence BLEU-N. Every order ``1..N`` has at least one clipped match, so the score is
  never the trivial 0, and a candidate whose n-grams all survive clipping is at least as short
  as its closest reference, so the score is never the trivial 1.
- ``precision``: the clipped precision ``p_n`` for one order; the inputs also hold ``"n"``, which
  equals the drawn ``max_n`` (so a template picks the order through ``max_n``: ``2`` for bigrams,
  ``[1, 4]`` for a mix), and ``0 < p_n < 1``. Clipping always matters: some shared n-gram occurs
  in the candidate more often than in any one reference (when the perturbed sentence has none,
  copies of a shared n-gram are written over other words until it does). Up to three words of a
  unigram candidate are then replaced by words no reference has, and a bigram candidate shares
  two bigrams or more with the references, so that the count takes counting (p_1 was (c − 1)/c
  or (c − 2)/c, p_2 1/(c − 1), in most draws before).
- ``brevity_penalty``: BP only (``max_n`` is carried along but plays no part). Most draws have a
  candidate shorter than its closest reference, so that BP < 1; about one in seven is longer, so
  that the rule "BP = 1 when the candidate is longer" is practised too. Never the same length as
  the closest reference (BP = 1 either way: nothing to tell). With several references, about one
  draw in four puts two of them as far from the candidate, one shorter and one longer: the tie
  goes to the shorter, so BP = 1.

The references are a short sentence from a small built-in vocabulary plus light paraphrases of it;
the candidate is one reference perturbed by dropped, inserted, substituted and repeated words (the
repeats are what make clipping matter). The generator only counts shared n-grams to reject
degenerate draws; it never computes a precision, a penalty or a score.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from quizgen.core.params import Choice, IntRange, ParamSpec, draw_choice, draw_int, redraw

VERSION = 1
# Asks whose drawing changed since (the template version is the highest over its asks): every
# precision problem makes clipping matter; a brevity-penalty candidate is never as long as r.
VERSIONS = {"precision": 4, "brevity_penalty": 2}


def version(params: dict[str, Any]) -> int:
    """3 for a brevity penalty over several references, which since then draws ties (a
    precision, version 4 in ``VERSIONS``, has since 3 made clipping at a count summed over the
    references show, and since 4 drawn unmatched words and shared bigrams)."""
    return 3 if "brevity_penalty" in params["ask"] and params["references"][1] > 1 else VERSION

INPUT_LABELS: dict[str, str] = {}
"""What learners read for each vector or matrix input, in every face (none is typeset here)."""

ASKS = ("bleu", "precision", "brevity_penalty")
# Share of brevity-penalty draws whose candidate is shorter than its closest reference.
_SHORT_SHARE = 0.85

PARAMS: dict[str, ParamSpec] = {
    "ask": Choice(
        options=ASKS,
        default=ASKS,
        doc="What to ask for: the BLEU score, one clipped n-gram precision p_n, or the brevity "
        "penalty.",
    ),
    "max_n": IntRange(
        default=(4, 4),
        doc="Highest n-gram order N (uniform weights 1/N); for precision questions, the order n "
        "that is asked.",
        minimum=1,
        maximum=4,
    ),
    "references": IntRange(
        default=(1, 2), doc="Number of reference translations.", minimum=1, maximum=4
    ),
    "length": IntRange(
        default=(6, 10), doc="Length of the candidate in tokens.", minimum=1, maximum=200
    ),
}

# Word classes of the built-in vocabulary. Tuples (not sets) keep every draw reproducible.
_DETERMINERS = ("the", "a", "this", "every")
# "the" dominates as in real text, which is what makes clipped counts differ from raw ones.
_DETERMINER_DRAWS = ("the", "the", "the", "a", "a", "this", "every")
# No vowel-initial adjectives, so "a" never needs to become "an".
_ADJECTIVES = ("small", "tall", "red", "quiet", "happy", "big", "green")
_NOUNS = ("cat", "dog", "mat", "house", "garden", "child", "book", "river", "table", "bird", "boat")
_VERBS = ("sat", "saw", "found", "likes", "reads", "watched", "is", "sees")
_PREPOSITIONS = ("on", "in", "near", "under", "by", "with")
_CONJUNCTIONS = ("and", "while")
_CLASSES = (_DETERMINERS, _ADJECTIVES, _NOUNS, _VERBS, _PREPOSITIONS, _CONJUNCTIONS)
VOCABULARY: tuple[str, ...] = tuple(w for group in _CLASSES for w in group)
_CLASS_OF: dict[str, tuple[str, ...]] = {w: group for group in _CLASSES for w in group}

_EDITS = ("substitute", "drop", "insert", "repeat")
_EDIT_WEIGHTS = (0.35, 0.2, 0.15, 0.3)
# rng.choices(weights=w) accumulates w on every call; passing the same sums draws identically.
_EDIT_CUM_WEIGHTS = tuple(accumulate(_EDIT_WEIGHTS))


def check_params(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Cross-parameter problems of resolved ``params`` as ``(param, expected, found)``.

    BLEU-N needs a candidate of at least N tokens (else some order has no n-gram and the score is
    0), and a p_n question needs at least n tokens, so the candidate length must be able to reach
    the smallest max_n.
    """
    problems: list[tuple[str, str, str]] = []
    if any(a in ("bleu", "precision") for a in params["ask"]) and params["length"][1] < params["max_n"][0]:
        problems.append(
            (
                "length",
                f"a maximum of at least {params['max_n'][0]} (the smallest max_n) when ask includes "
                "bleu or precision",
                str(list(params["length"])),
            )
        )
    return problems


def draw(params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One problem's inputs from resolved ``params``, drawn with ``rng`` only (the contract is in
    ``quizgen.generators``); ``GenerationError`` when no usable variant turns up."""
    ask = draw_choice(rng, params["ask"])
    return redraw(
        lambda: _attempt(ask, params, rng),
        f"ask={ask!r}, max_n={list(params['max_n'])}, references={list(params['references'])}, "
        f"length={list(params['length'])}; use a longer candidate (e.g. length [6, 10]) or a lower max_n.",
    )


def _attempt(ask: str, params: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    max_n = draw_int(rng, params["max_n"])
    count = draw_int(rng, params["references"])
    c = draw_int(rng, params["length"])
    want_short = rng.random() < _SHORT_SHARE
    tie = ask == "brevity_penalty" and count > 1 and c > 3 and rng.random() < 0.25
    if tie:  # a longer reference and a shorter one as far from the candidate: the shorter counts
        d = rng.randint(1, 2)
        base_len, want_short = c + d, False
    elif ask == "brevity_penalty":
        base_len = c + rng.randint(1, 3) if want_short else max(1, c - rng.randint(0, 2))
    else:
        # Lean towards references a little longer than the candidate so BP < 1 is common.
        base_len = max(1, c + rng.randint(-1, 3))
    base = _sentence(rng, base_len)
    references = [base]
    for k in range(count - 1):
        other = c - d if tie and k == 0 else max(1, base_len + rng.randint(-2, 2))
        references.append(_paraphrase(rng, base, other))
    if tie:
        rng.shuffle(references)
    candidate = _perturb(rng, references[rng.randrange(count)], c)
    # A copy of a reference scores 1 on everything: nothing to compute.
    if any(candidate == ref for ref in references):
        return None
    if ask == "brevity_penalty":
        # Structural length check only; the penalty itself is the checker's job.
        closest = min((len(ref) for ref in references), key=lambda length: (abs(length - c), length))
        if (c < closest) != want_short or c == closest:
            return None
        return {"ask": ask, "candidate": candidate, "references": references, "max_n": max_n}
    if ask == "precision":
        n = max_n
        if not _shares_ngram(candidate, references, n):
            return None
        forced = _force_clipping(rng, candidate, references, n)
        if forced is None or any(forced == ref for ref in references):
            return None
        candidate = forced
        if len(references) > 1 and not _summing_shows(candidate, references, n):
            return None  # another k-gram's copies were overwritten meanwhile
        if n == 1:
            # Up to three words no reference has, written over others: how many candidate words
            # count varies (p_1 was (c − 1)/c or (c − 2)/c in most draws, guessed unread).
            absent = [w for w in VOCABULARY if not any(w in ref for ref in references)]
            for at in rng.sample(range(len(candidate)), min(rng.randint(0, 3), len(candidate))):
                candidate[at] = absent[rng.randrange(len(absent))]
            if not _clipped_gram(candidate, references, 1) or not _shares_ngram(candidate, references, 1):
                return None
        if n == 2 and sum(1 for g in set(zip(candidate, candidate[1:])) if _shares_ngram(list(g), references, 2)) < 2:
            return None  # one shared bigram: p_2 would be 1/(c − 1)
        return {
            "ask": ask,
            "candidate": candidate,
            "references": references,
            "max_n": max_n,
            "n": n,
        }
    # Without a match at some order the geometric mean is 0 whatever else happens.
    if c < max_n or not all(_shares_ngram(candidate, references, k) for k in range(1, max_n + 1)):
        return None
    # Every n-gram kept and no length shortfall is a score of exactly 1: nothing to work out.
    closest = min((len(ref) for ref in references), key=lambda length: (abs(length - c), length))
    if c >= closest and all(_fully_matched(candidate, references, k) for k in range(1, max_n + 1)):
        return None
    return {"ask": ask, "candidate": candidate, "references": references, "max_n": max_n}


def _force_clipping(
    rng: random.Random, candidate: list[str], references: Sequence[Sequence[str]], k: int
) -> list[str] | None:
    """The candidate with clipping made to matter: some k-gram it shares with a reference occurs
    in it more often than in any single reference (with several references, more often than in
    all of them together, so that summing the references' counts shows too). When that is not so
    already, copies of one shared k-gram are written over other words (the length stays); None
    if that fails."""
    tokens = list(candidate)
    several = len(references) > 1
    if _summing_shows(tokens, references, k) if several else _clipped_gram(tokens, references, k):
        return tokens
    grams = [tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]
    # With several references, a k-gram in two of them, repeated more often than in both together:
    # then clipping at the largest count, at the sum, and not at all give three counts.
    shared = [g for g in grams if sum(1 for ref in references if _occurrences(ref, g)) >= (2 if several else 1)]
    if not shared:
        return None
    gram = shared[rng.randrange(len(shared))]
    need = (sum if several else max)(_occurrences(ref, gram) for ref in references) + 1
    for _ in range(4 * need):
        if _occurrences(tokens, gram) >= need:
            return tokens
        at = rng.randrange(len(tokens) - k + 1)
        tokens[at : at + k] = gram
    return tokens if _occurrences(tokens, gram) >= need else None


def _clipped_gram(candidate: Sequence[str], references: Sequence[Sequence[str]], k: int) -> bool:
    """Whether some shared k-gram occurs in the candidate more often than in every reference."""
    grams = {tuple(candidate[i : i + k]) for i in range(len(candidate) - k + 1)}
    return any(
        0 < max(_occurrences(ref, g) for ref in references) < _occurrences(candidate, g)
        for g in grams
    )


def _summing_shows(candidate: Sequence[str], references: Sequence[Sequence[str]], k: int) -> bool:
    """Whether clipping at a k-gram's count summed over the references (a slip) counts otherwise
    than clipping at its largest count in one reference, and than not clipping at all: else the
    slip gives the key, or the no-clipping value, and a variant cannot tell them apart."""
    grams = {tuple(candidate[i : i + k]) for i in range(len(candidate) - k + 1)}
    counts = {g: (_occurrences(candidate, g), [_occurrences(ref, g) for ref in references]) for g in grams}
    clipped = sum(min(c, max(rs)) for c, rs in counts.values())
    summed = sum(min(c, sum(rs)) for c, rs in counts.values())
    unclipped = sum(c for c, rs in counts.values() if max(rs))
    return summed not in (clipped, unclipped)


def _shares_ngram(candidate: Sequence[str], references: Sequence[Sequence[str]], k: int) -> bool:
    """Whether some k-gram of the candidate occurs in some reference (a clipped count >= 1)."""
    grams = {tuple(candidate[i : i + k]) for i in range(len(candidate) - k + 1)}
    if not grams:
        return False
    return any(
        tuple(ref[i : i + k]) in grams for ref in references for i in range(len(ref) - k + 1)
    )


def _noun_phrase(rng: random.Random) -> list[str]:
    words = [_DETERMINER_DRAWS[rng.randrange(len(_DETERMINER_DRAWS))]]
    if rng.random() < 0.35:
        words.append(rng.choice(_ADJECTIVES))
    words.append(rng.choice(_NOUNS))
    return words


def _clause(rng: random.Random) -> list[str]:
    words = _noun_phrase(rng) + [rng.choice(_VERBS)]
    if rng.random() < 0.5:
        words.append(rng.choice(_PREPOSITIONS))
    words += _noun_phrase(rng)
    if rng.random() < 0.4:
        words += [rng.choice(_PREPOSITIONS)] + _noun_phrase(rng)
    return words


def _sentence(rng: random.Random, length: int) -> list[str]:
    """A simple sentence of exactly ``length`` tokens (clauses joined, then cut)."""
    words = _clause(rng)
    while len(words) < length:
        words += [rng.choice(_CONJUNCTIONS)] + _clause(rng)
    return words[:length]


def _edit(rng: random.Random, tokens: list[str], kind: str) -> None:
    """Apply one edit in place; edits that need a token are skipped on an empty list."""
    if kind == "insert" or not tokens:
        tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(VOCABULARY))
        return
    i = rng.randrange(len(tokens))
    if kind == "substitute":
        group = _CLASS_OF.get(tokens[i], VOCABULARY)
        options = [w for w in group if w != tokens[i]]
        tokens[i] = rng.choice(options)
    elif kind == "drop":
        del tokens[i]
    else:
        style = rng.randrange(3)
        if style == 0:
            # A stutter ("the the") as a weak system produces.
            tokens.insert(i, tokens[i])
        elif style == 1 and i + 1 < len(tokens):
            # A repeated phrase ("the cat the cat"): makes clipping matter for bigrams too.
            tokens[i + 2 : i + 2] = tokens[i : i + 2]
        else:
            tokens.insert(rng.randrange(len(tokens) + 1), tokens[i])


def _fit(rng: random.Random, tokens: list[str], length: int) -> list[str]:
    """Cut or grow a candidate to ``length``, growing it as a weak system would (repeats, noise)."""
    # A repeated phrase grows the list by two, so trim and grow until the length is exact.
    while len(tokens) != length:
        if len(tokens) > length:
            del tokens[rng.randrange(len(tokens))]
        else:
            _edit(rng, tokens, "repeat" if rng.random() < 0.4 else "insert")
    return tokens


def _paraphrase(rng: random.Random, base: Sequence[str], length: int) -> list[str]:
    """Another fluent reference: same-class word swaps, adjectives added or words left out."""
    tokens = list(base)
    for _ in range(rng.randint(1, 2)):
        _edit(rng, tokens, "substitute")
    while len(tokens) > length:
        # Leave out an adjective if there is one, else end the sentence earlier.
        adjectives = [i for i, w in enumerate(tokens) if w in _ADJECTIVES]
        del tokens[rng.choice(adjectives) if adjectives else -1]
    while len(tokens) < length:
        nouns = [i for i, w in enumerate(tokens) if w in _NOUNS]
        at = rng.choice(nouns) if nouns else rng.randrange(len(tokens) + 1)
        tokens.insert(at, rng.choice(_ADJECTIVES))
    return tokens


def _perturb(rng: random.Random, source: Sequence[str], length: int) -> list[str]:
    tokens = list(source)
    for _ in range(rng.randint(1, max(1, length // 3))):
        _edit(rng, tokens, rng.choices(_EDITS, cum_weights=_EDIT_CUM_WEIGHTS)[0])
    return _fit(rng, tokens, length)


def _fully_matched(candidate: Sequence[str], references: Sequence[Sequence[str]], k: int) -> bool:
    """Whether every k-gram of the candidate survives clipping (structural, no precision computed)."""
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(candidate) - k + 1):
        gram = tuple(candidate[i : i + k])
        counts[gram] = counts.get(gram, 0) + 1
    for gram, count in counts.items():
        if all(_occurrences(ref, gram) < count for ref in references):
            return False
    return True


def _occurrences(tokens: Sequence[str], gram: tuple[str, ...]) -> int:
    k = len(gram)
    return sum(1 for i in range(len(tokens) - k + 1) if tuple(tokens[i : i + k]) == gram)


def describe(inputs: dict[str, Any]) -> str:
    """The inputs as plain text for a learner: the question, then the sentences as token text.

    >>> print(describe({"ask": "precision", "candidate": ["the", "the", "cat"],
    ...                 "references": [["the", "cat"]], "max_n": 2, "n": 1}))
    Find: the clipped 1-gram precision p_1 (no smoothing)
    candidate:   the the cat  (3 tokens)
    reference 1: the cat  (2 tokens)
    """
    ask = inputs["ask"]
    if ask == "bleu":
        n_max = inputs["max_n"]
        find = (
            f"Find: sentence BLEU-{n_max} (uniform weights 1/{n_max}, brevity penalty with the "
            "closest reference length, ties to the shorter; no smoothing)"
        )
    elif ask == "precision":
        find = f"Find: the clipped {inputs['n']}-gram precision p_{inputs['n']} (no smoothing)"
    else:
        find = "Find: the brevity penalty BP (closest reference length, ties to the shorter)"
    refs = inputs["references"]
    label_width = len(f"reference {len(refs)}:")
    lines = [find, _sentence_line("candidate:", inputs["candidate"], label_width)]
    for i, ref in enumerate(refs, start=1):
        lines.append(_sentence_line(f"reference {i}:", ref, label_width))
    return "\n".join(lines)


def _sentence_line(label: str, tokens: Sequence[str], width: int) -> str:
    unit = "token" if len(tokens) == 1 else "tokens"
    return f"{label.ljust(width)} {' '.join(tokens)}  ({len(tokens)} {unit})"
