"""Exact forms in worked solutions (fractions stay fractions, roots stay roots, a KL term in closed
form). The checkers write them with whole-number arithmetic; here each is recomputed with sympy
(or Python's Fraction), compared as printed text, and checked against the checker's float64
torch value over many drawn variants."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from typing import Any

import pytest
import sympy

from quizgen.core.formula import exact_cosine, over_root
from quizgen.core.params import resolve
from quizgen.core.problems import solve_problem
from quizgen.generators import GENERATORS

CASES = [
    ("simclr", {"ask": "similarity"}),
    ("embeddings", {"ask": "cosine"}),
    ("attention", {"ask": "scale", "d_k": [1, 4096]}),
    ("vae", {"ask": "kl-unit", "given": "sigma"}),
    ("classification", {"metric": ["precision", "recall", "f1", "fbeta", "accuracy"], "average": ["binary", "macro", "micro"]}),
]


def _variants(family: str, given: dict[str, Any], n: int = 400) -> list[dict[str, Any]]:
    module = GENERATORS[family]
    params = resolve(module.PARAMS, given)
    return [module.draw(params, random.Random(seed)) for seed in range(n)]


def exact_text(expr: Any) -> str:
    """A sympy value as the worked solutions write it: sympy's own printing, with √ for sqrt."""
    return re.sub(r"sqrt\((\d+)\)", r"√\1", str(expr).replace("**", "^"))


def _sympy_cosine(u: list[int], v: list[int]) -> Any:
    dot, uu, vv = (sum(int(x) * int(y) for x, y in zip(p, q)) for p, q in ((u, v), (u, u), (v, v)))
    return sympy.Integer(dot) / sympy.sqrt(sympy.Integer(uu * vv))


def _exact(family: str, inputs: dict[str, Any]) -> Any:
    """The exact value recomputed here: sympy for roots and logs, Fraction for ratios of counts."""
    if family == "simclr":
        i, j = inputs["pair"]
        return _sympy_cosine(inputs["z"][i], inputs["z"][j])
    if family == "embeddings":
        i, j = inputs["pair"]
        return _sympy_cosine(inputs["table"][i], inputs["table"][j])
    if family == "attention":
        return 1 / sympy.sqrt(inputs["d_k"])
    if family == "vae":
        mu = [sympy.nsimplify(str(x)) for x in inputs["mu"]]
        s = [sympy.nsimplify(str(x)) for x in inputs["sigma"]]
        return sum(sympy.Rational(1, 2) * (m**2 + x**2 - 1 - sympy.log(x**2)) for m, x in zip(mu, s))
    return None


@pytest.mark.parametrize("family, given", CASES, ids=[c[0] for c in CASES])
def test_exact_forms_equal_the_float64_answers(family: str, given: dict[str, Any]) -> None:
    checked = 0
    for inputs in _variants(family, given):
        solved = solve_problem(family, inputs)
        notes = [s.note for s in solved.steps if s.note.startswith("exactly ")]
        value = solved.answer.value
        if family == "classification":
            if not notes:  # a whole number: nothing to say exactly
                assert float(value).is_integer()
                continue
            exact: Any = Fraction(notes[-1].removeprefix("exactly "))
            assert math.isclose(float(exact), value, rel_tol=1e-12, abs_tol=1e-15), (inputs, notes)
        else:
            exact = _exact(family, inputs)
            assert notes, inputs
            if family != "vae":  # the KL is written in another, equal, form (logs combined)
                assert notes[-1] == "exactly " + exact_text(exact)
            else:  # read the note back: "R - log(L)", "-log(L)" or "R", with exact fractions R and L
                match = re.fullmatch(r"exactly (-?[\d/]+)?(?: - |-)?(?:log\(([\d/]+)\))?", notes[-1])
                assert match and any(match.groups()), notes[-1]
                half, log_of = match.group(1) or "0", match.group(2) or "1"
                text_value = sympy.Rational(half) - sympy.log(sympy.Rational(log_of))
                assert sympy.simplify(text_value - exact) == 0, (inputs, notes)
            assert math.isclose(float(sympy.N(exact, 30)), value, rel_tol=1e-12, abs_tol=1e-15), (inputs, notes)
        checked += 1
    assert checked >= 100


def test_known_exact_forms() -> None:
    assert exact_cosine([1, 2], [3, -1]) == "√2/10"
    assert exact_cosine([1, 0], [0, 1]) == "0"
    assert over_root(1, 16) == "1/4"
    # Every numerator/√n with small whole numbers prints as sympy prints it.
    for top in range(-12, 13):
        for n in range(1, 400):
            assert over_root(top, n) == exact_text(sympy.Integer(top) / sympy.sqrt(n)), (top, n)
    sol = solve_problem("classification", {"metric": "precision", "average": "binary", "labels": [0, 1], "y_true": [1, 1, 0, 0, 1], "y_pred": [1, 0, 1, 1, 1]})
    assert sol.steps[-1].note == "exactly 1/2"
    kl = solve_problem("vae", {"ask": "kl-unit", "mu": [0.5, -1.2], "sigma": [0.6, 1.5]})
    assert kl.steps[-1].note == "exactly 23/20 - log(9/10)"
