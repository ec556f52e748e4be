"""The card script as a deck ships it: ``card_judge.js`` with the judge's constants filled in.

The script ports the judge's logic; its data (limits, example answers, the words read as "it
raises", the Greek letters, the formula sample domains, …) is written once, in Python, and
put into the script here, so the two judges cannot drift apart on a word list or a limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().with_name("card_judge.js")
"""The card script's source (package data)."""

SLOT = "/* the judge's constants: filled in by quizgen/judge/card.py */ null"
"""Where the constants go in the source."""


def constants() -> dict[str, Any]:
    """Everything the card script reads from Python, by the names the script uses."""
    from quizgen.core import expression as ex
    from quizgen.core import formula
    from quizgen.core.answer import SLACK, Tolerance
    from quizgen.judge import messages, reader

    return {
        "MAX_LENGTH": messages.MAX_LENGTH,
        "MAX_ENTRIES": messages.MAX_ENTRIES,
        "MAX_DIMS": messages.MAX_DIMS,
        "MAX_SHAPE_DIGITS": messages._MAX_SHAPE_DIGITS,
        "SLACK": SLACK,
        "TOLERANCE": {"rel": Tolerance().rel, "abs": Tolerance().abs},
        "EXAMPLES": {kind: messages.examples(kind) for kind in ("number", "vector", "matrix", "shape")},
        "WHAT": messages._WHAT,
        # the expression language
        "MAX_DEPTH": ex.MAX_DEPTH,
        "MAX_PARTS": ex.MAX_PARTS,
        "MAX_EXPONENT": ex.MAX_EXPONENT,
        "FUNCTIONS": list(ex.FUNCTIONS),
        "CONSTANTS": ex.CONSTANTS,
        "SPACES": "".join(sorted(ex.SPACES)),
        "OPERATORS": ex._OPERATORS,
        "SUPERSCRIPTS": ex._SUPERSCRIPTS,
        "CHARACTERS": ex._CHARACTERS,
        "REFUSED": ex.REFUSED,
        "BINARY": ex._BINARY,
        "PRECEDENCE": ex._PRECEDENCE,
        # reading what surrounds a value, and shapes
        "ERROR_WORDS": sorted(reader._ERROR_WORDS),
        "EXCEPTION_NAMES": "|".join(reader.EXCEPTION_NAMES),
        "NEGATIONS": sorted(reader._NEGATIONS),
        "ERROR_TERMS": sorted(reader._ERROR_TERMS),
        "SUCCESS_WORDS": sorted(reader._SUCCESS_WORDS),
        "VULGAR": reader._VULGAR,
        "NOT_LABELS": sorted(reader._NOT_LABELS),
        "SCALAR_WORDS": sorted(reader._SCALAR_WORDS),
        "DECIMAL_COMMA_WHY": reader._DECIMAL_COMMA_WHY,
        # formulas
        "MAX_FORMULA_LENGTH": formula.MAX_FORMULA_LENGTH,
        "DOMAINS": formula.DOMAINS,
        "POINTS": formula.POINTS,
        "DRAWN": formula.DRAWN,
        "DRAWN_RANGES": formula.DRAWN_RANGES,
        "RTOL": formula.RTOL,
    }


def card_script(source: Path = SCRIPT) -> bytes:
    """The script a deck ships: ``source`` with the constants in their slot (one line of JSON)."""
    text = source.read_text(encoding="utf-8")
    if text.count(SLOT) != 1:
        raise ValueError(f"{source}: expected the constants' slot once: {SLOT}")
    filled = json.dumps(constants(), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text.replace(SLOT, filled).encode("utf-8")
