"""Formula answers: the reader's grammar, equivalence at the sample points, and sympy's algebra as
the cross-check of every decision in the shared vector table."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.core import formula
from quizgen.core.answer import Answer
from quizgen.core.equivalence import equivalent
from quizgen.core.errors import AnswerParseError
from quizgen.judge import judge

VECTORS = [v for v in json.loads((Path(__file__).with_name("data") / "judge_vectors.json").read_text("utf-8")) if v["kind"] == "formula"]


def test_the_table_has_enough_formula_vectors() -> None:
    statuses = {v["status"] for v in VECTORS}
    assert len(VECTORS) >= 200 and statuses == {"right", "wrong", "unreadable"}
    assert sum(1 for v in VECTORS if v["misconception"]) >= 25


@pytest.mark.parametrize("v", [v for v in VECTORS if v["status"] != "unreadable"], ids=lambda v: v["typed"][:30])
def test_algebra_agrees_with_the_sample_points(v: dict[str, Any]) -> None:
    """sympy reduces key − typed to 0 exactly when the points say the two are equal."""
    symbols = v["key"]["symbols"]
    key, typed = formula.read(v["key"]["formula"], symbols), formula.read(v["typed"], symbols)
    assert formula.symbolic_zero(key, typed, symbols) == (v["status"] == "right")
    matching = [m["name"] for m in v["misconceptions"] if formula.symbolic_zero(formula.read(m["value"]["formula"], symbols), typed, symbols)]
    assert (matching[0] if matching else None) == v["misconception"]


def test_precedence_and_implicit_products() -> None:
    s = {"d": "size", "h": "size", "sigma": "positive"}
    cases = {
        "-d^2": "-d^2",
        "d^-2": "d^(-2)",
        "2^3^2": "2^3^2",
        "4hd^2": "4*h*d^2",
        "dh": "d*h",
        "2(d+1)(h-1)": "2*(d + 1)*(h - 1)",
        "σ²d": "sigma^2*d",
        "√d h": "sqrt(d)*h",
        "√(d h)": "sqrt(d*h)",
        "ln(d)": "log(d)",
        "d - (h - 1)": "d - (h - 1)",
        "d/(h/2)": "d/(h/2)",
        "(d^h)^2": "(d^h)^2",
    }
    for typed, written in cases.items():
        assert formula.text(formula.read(typed, s)) == written, typed
    assert formula.evaluate(formula.read("2^3^2", {}), {}) == 512.0  # powers group from the right
    assert formula.evaluate(formula.read("-2^2", {}), {}) == -4.0  # unary minus binds looser


def test_the_written_form_reads_back_to_the_same_tree() -> None:
    for v in VECTORS:
        if v["status"] == "unreadable":
            continue
        symbols = v["key"]["symbols"]
        tree = formula.read(v["typed"], symbols)
        assert formula.read(formula.text(tree), symbols) == tree, v["typed"]


def test_sympy_is_built_from_the_tree_not_from_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("typed text must never reach sympify or parse_expr")

    monkeypatch.setattr(sympy, "sympify", refuse)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", refuse)
    s = {"mu": "real", "sigma": "positive"}
    expr = formula.to_sympy(formula.read("(mu^2 + sigma^2 - 1)/2 - log(sigma)", s), s)
    assert expr.free_symbols == {sympy.Symbol("mu", real=True), sympy.Symbol("sigma", positive=True)}
    assert formula.tex({"formula": "d*sigma^4", "symbols": {"d": "size", "sigma": "positive"}}) == r"d \sigma^{4}"


def test_sample_points_follow_the_domains() -> None:
    pts = formula.points({"d": "size", "sigma": "positive", "mu": "real", "p": "unit"})
    assert len(pts) == formula.POINTS
    for p in pts:
        assert float(p["d"]).is_integer() and p["d"] >= 1 and p["sigma"] > 0 and 0 < p["p"] < 1
    assert len({p["d"] for p in pts}) == formula.POINTS and any(p["mu"] < 0 for p in pts)
    # Symbols never move in lockstep: d = h at no point.
    assert all(p["d"] != q for p, q in zip(pts, (x["d"] for x in formula.points({"h": "size", "d": "size"}))))


def test_undefined_values_are_not_equal() -> None:
    s = {"d": "size"}
    key = {"formula": "d", "symbols": s}
    assert not equivalent(key, {"formula": "d + log(-d)", "symbols": s})
    assert not equivalent(key, {"formula": "d + 0/(d - d)", "symbols": s})
    assert equivalent(key, {"formula": "sqrt(d^2)", "symbols": s})
    assert not equivalent(key, {"formula": "d +", "symbols": s})  # malformed: never equal, never raises


def test_hostile_formulas_are_refused_in_well_under_a_tenth_of_a_second() -> None:
    import time

    s = {"d": "size", "sigma": "positive"}
    for text in ["x" * 10_000, "(" * 10_000 + "d" + ")" * 10_000, "9^9^9^9", "__import__('os').system('x')", "d\u0000", "d" * 399, "-" * 399 + "d", "d^" * 199 + "d"]:
        start = time.perf_counter()
        verdict = judge(Answer("formula", {"formula": "d", "symbols": s}), text)
        assert time.perf_counter() - start < 0.1, text[:20]
        assert verdict.status in ("unreadable", "wrong")
    with pytest.raises(AnswerParseError, match="unknown name 'os'|unexpected character"):
        formula.read("__import__('os')", s)
    # A formula's own names are listed; only a number is told to put a value in.
    with pytest.raises(AnswerParseError, match=r"'k' is not a known name \(use d, sigma, pi, e,") as refused:
        formula.read("2*k", s)
    assert "stands for" not in str(refused.value)


def test_a_wrong_formula_is_shown_where_it_differs() -> None:
    s = {"d": "size", "h": "size"}
    verdict = judge(Answer("formula", {"formula": "4*d^2 + 4*d", "symbols": s}), "4d^2 + 4h")
    assert verdict.status == "wrong"
    # At the first point d = 3, h = 11: 36 + 44 = 80 against 48.
    assert "at d = 3, h = 11 it gives 80, the answer 48" in verdict.message
    assert math.isclose(formula.evaluate(formula.read("4d^2 + 4h", s), {"d": 3.0, "h": 11.0}), 80.0)


# ---------------------------------------------------------------------------------------------
# Sound equivalence: no polynomial or rational perturbation of any shipped key is graded right,
# and the key in many spellings always is.


@functools.cache
def shipped_formula_keys() -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """Every distinct formula key (with its misconceptions) the shipped templates produce."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    keys: dict[str, tuple[dict[str, Any], tuple[Any, ...]]] = {}
    for concept in load_concepts():
        for template in concept.templates:
            first = build_problem(concept, template, 0)
            if first.answer.kind != "formula":
                continue
            for seed in range(12):
                problem = build_problem(concept, template, seed)
                value = problem.answer.value
                keys.setdefault(json.dumps(value, sort_keys=True), (value, problem.misconceptions))
    return list(keys.values())



def test_every_shipped_formula_family_is_covered() -> None:
    texts = {k["formula"] for k, _ in shipped_formula_keys()}
    assert len(shipped_formula_keys()) >= 10
    for expected in ("4*d^2 + 4*d", "V*D", "(V + P + 2)*D", "lr0*t/W", "d*sigma^4"):
        assert expected in texts, texts
    assert any("cos(" in t for t in texts)  # a key with functions, decided by the written rule


_TINY = ("1e-300", "3e-250", "1e-200", "7e-17", "1e-12", "1e-9", "2.5e-7")


@st.composite
def _perturbation(draw: Any, symbols: dict[str, str]) -> str:
    """A nonzero polynomial or rational function of the symbols, as text: a coefficient (tiny,
    a fraction or whole) times powers of symbols times linear factors vanishing at small whole
    numbers, possibly over a factor that has no zero in the domain."""
    names = list(symbols)
    coefficient = draw(st.one_of(st.sampled_from(_TINY), st.integers(1, 9).map(str), st.sampled_from(["1/3", "-2/7", "5/1000"])))
    parts = [coefficient]
    for name in draw(st.lists(st.sampled_from(names), max_size=2)):
        parts.append(f"{name}^{draw(st.integers(1, 3))}")
    for name, root in draw(st.lists(st.tuples(st.sampled_from(names), st.integers(-3, 13)), max_size=8)):
        parts.append(f"({name} - {root})")
    text = "*".join(parts)
    if draw(st.booleans()):
        name = draw(st.sampled_from(names))
        shift = draw(st.integers(1, 5)) if symbols[name] in ("size", "positive", "unit") else 0
        text = f"({text})/({name}^2 + {shift + 1})" if shift == 0 else f"({text})/({name} + {shift})"
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_perturbation_of_a_key_is_graded_right(data: Any) -> None:
    key, misconceptions = data.draw(st.sampled_from(shipped_formula_keys()))
    symbols = key["symbols"]
    p = data.draw(_perturbation(symbols))
    form = data.draw(st.sampled_from(["({k}) + {p}", "{p} + {k}", "({k}) - {p}", "({k})*(1 + {p})", "({k}) + ({p})*({k})"]))
    typed = form.format(k=key["formula"], p=p)
    verdict = judge(Answer("formula", key), typed, misconceptions=misconceptions)
    assert verdict.status != "right", (typed, verdict.message)
    if "cos(" not in key["formula"]:
        assert verdict.status == "wrong", (typed, verdict.message)  # rational: decided for certain


def _spellings(key: dict[str, Any]) -> list[str]:
    symbols = key["symbols"]
    tree = formula.to_sympy(formula.read(key["formula"], symbols), symbols)
    forms = {str(f(tree)) for f in (sympy.expand, sympy.factor, sympy.together, lambda e: e * 3 / 3)}
    return sorted(forms)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_key_in_many_spellings_is_right(data: Any) -> None:
    key, misconceptions = data.draw(st.sampled_from(shipped_formula_keys()))
    symbols = key["symbols"]
    name = data.draw(st.sampled_from(list(symbols)))
    q = data.draw(_perturbation(symbols))
    expanded = str(sympy.expand(formula.to_sympy(formula.read(q, symbols), symbols)))
    spelled = data.draw(st.sampled_from(_spellings(key)))
    form = data.draw(st.sampled_from(["{s}", "({s})*({n} + 1)/({n} + 1)", "{s} + {q} - ({e})", "({q}) + ({s}) - ({e})", "2*({s})/2", "({s})*{n}^2/{n}^2"]))
    typed = form.format(s=spelled, n=name, q=q, e=expanded)
    try:
        formula.read(typed, symbols)
    except AnswerParseError:
        return  # longer than the reader's caps: nothing to judge
    verdict = judge(Answer("formula", key), typed, misconceptions=misconceptions)
    assert verdict.status == "right", (typed, verdict.message)


def test_the_attacks_of_the_report_are_wrong_and_say_where() -> None:
    s = {"V": "size", "D": "size"}
    key = Answer("formula", {"formula": "V*D", "symbols": s})
    vanishing = judge(key, "V*D + (V-2)(V-3)(V-4)(V-5)(V-7)(V-9)(V-11)(V-13)")
    assert vanishing.status == "wrong"
    # Every readable point has V in {2, 3, 4, 5, 7, 9, 11, 13}: the message names a drawn point.
    assert "at V = 3" not in vanishing.message and " it gives " in vanishing.message
    tiny = judge(key, "V*D + 1e-300")
    assert tiny.status == "wrong" and "it differs from the answer by 1e-300" in tiny.message
    smaller = judge(key, "V*D + 1e-400")
    assert smaller.status == "wrong" and "too small for a double" in smaller.message
    assert judge(key, "V*D*(V-3)/(V-3)").correct  # the same rational function


def test_points_are_drawn_per_key_and_answer_and_in_the_domain() -> None:
    from quizgen.core import equivalence

    s = {"d": "size", "sigma": "positive", "mu": "real", "p": "unit"}
    a, b, c = (formula.read(t, s) for t in ("d*sigma", "d*sigma + mu", "d*sigma + p"))
    first, second = formula.sample_points(a, b, s), formula.sample_points(a, c, s)
    assert first[: formula.POINTS] == formula.points(s) and first[formula.POINTS :] != second[formula.POINTS :]
    assert first == formula.sample_points(a, b, s)  # reproducible
    for values in first + second:
        assert float(values["d"]).is_integer() and values["d"] >= 1 and values["sigma"] > 0 and 0 < values["p"] < 1
    import random

    rng = random.Random(1)
    exact = [equivalence._draw(d, rng) for d in ("size", "positive", "unit", "real") for _ in range(200)]
    assert all(v.denominator == 1 and v >= 1 for v in exact[:200]) and all(v > 0 for v in exact[200:400])
    assert all(0 < v < 1 for v in exact[400:600]) and any(v < 0 for v in exact[600:])
    assert len(set(exact[:200])) == 200 and max(exact[:200]) > 2**30  # wide, not a public table


def test_the_degree_grid_is_exact_and_bounded() -> None:
    from quizgen.core import equivalence

    s = {"x": "real", "y": "real"}
    # (x - 1)…(x - 9) vanishes on 9 values: a grid of 10 per unknown is needed, and drawn.
    key, typed = formula.read("x*y", s), formula.read("x*y + (x-1)(x-2)(x-3)(x-4)(x-5)(x-6)(x-7)(x-8)(x-9)", s)
    degrees = equivalence._degrees(equivalence.plan(typed))
    assert degrees[0]["x"] == 9 and degrees[0]["y"] == 1
    assert equivalence.decide(key, typed, s)[0] == equivalence.DIFFERENT
    assert equivalence.decide(key, formula.read("(x^2*y^2 - x*y)/(x*y - 1)", s), s)[0] == equivalence.EQUAL
    # Beyond the caps, nothing is claimed either way.
    huge = formula.read("((x^64)^64)^64", s)
    assert equivalence.decide(key, huge, s)[0] == equivalence.UNDECIDED
    assert judge(Answer("formula", {"formula": "x*y", "symbols": s}), "((x^64)^64)^64").status == "unreadable"


def test_functions_need_an_identity_not_agreement_at_points() -> None:
    from quizgen.core import equivalence

    s = {"lr0": "positive", "t": "size", "T": "size"}
    key = formula.read("lr0*(1 + cos(pi*t/T))/2", s)
    # Same atoms spelled differently are unified exactly; a true identity sympy confirms.
    for text in ("lr0/2 + lr0*cos(t*pi/T)/2", "lr0*(1 + cos(t/T*π))/2", "lr0*cos(pi*t/(2*T))^2"):
        assert equivalence.decide(key, formula.read(text, s), s)[0] == equivalence.EQUAL, text
    # A tiny rational difference is found by sympy once the functions cancel.
    tiny = formula.read("lr0*(1 + cos(pi*t/T))/2 + 1e-300*t", s)
    assert equivalence.decide(key, tiny, s)[0] == equivalence.DIFFERENT
    # sympy out of time: undecided, so never right.
    assert equivalence.sympy_verdict(key, formula.read("lr0*cos(pi*t/(2*T))^2", s), s, seconds=0.0) == equivalence.UNDECIDED
    # A warmup-then-cosine key written with cos(π − x) = −cos x: right, as a card says; a near miss
    # in the same form is still wrong.
    w = {"lr0": "positive", "t": "size", "W": "size", "T": "size"}
    warm = formula.read("lr0*(1 + cos(pi*(t - W)/(T - W)))/2", w)
    for text in ("lr0*(1 - cos(pi*(T - t)/(T - W)))/2", "lr0 - lr0*(1 + cos(pi*(T - t)/(T - W)))/2"):
        assert equivalence.decide(warm, formula.read(text, w), w)[0] == equivalence.EQUAL, text
    assert equivalence.decide(warm, formula.read("lr0*(1 + cos(pi*(T - t)/(T - W)))/2", w), w)[0] == equivalence.DIFFERENT
    tiny = formula.read("lr0*(1 - cos(pi*(T - t)/(T - W)))/2 + 1e-300*t", w)
    assert equivalence.decide(warm, tiny, w)[0] != equivalence.EQUAL  # undecided (asked again), never right


def test_hostile_formulas_with_functions_are_decided_quickly_and_never_right() -> None:
    import time

    s = {"d": "size", "sigma": "positive"}
    key = Answer("formula", {"formula": "d*sigma^4", "symbols": s})
    for text in ("exp(exp(exp(exp(exp(exp(d))))))", "d*sigma^4 + exp(-exp(exp(exp(d))))", "sin(exp(exp(exp(d))))", "d^sigma^d^sigma", "((d^64)^64)^64"):
        start = time.perf_counter()
        verdict = judge(key, text)
        assert time.perf_counter() - start < 1.0, text
        assert verdict.status in ("wrong", "unreadable"), text
    for text in ("d*exp(4*log(sigma))", "exp(log(d))*sigma^4", "d*sigma^4*cos(2*pi*d)"):
        assert judge(key, text).correct, text


def test_a_large_part_that_cancels_is_evaluated_with_enough_digits() -> None:
    """cos(exp(2d)) has parts near 10^800 at sizes near 1,000: at 60 digits any two values would
    agree to within the working precision. Such a point is evaluated again with that many more
    digits, so a wrong answer is wrong, with a point, and a true identity stays right."""
    from quizgen.core.answer import Answer
    from quizgen.judge import judge

    key = {"formula": "d*sigma^4", "symbols": {"d": "size", "sigma": "positive"}}
    for typed in ("cos(exp(2d))", "sqrt(2*pi) - cos(exp(120))", "d*sigma^4 + cos(exp(2d))/10^9"):
        verdict = judge(Answer("formula", key), typed)
        assert verdict.status == "wrong" and " it gives " in verdict.message, (typed, verdict.message)
    same = judge(Answer("formula", key), "d*sigma^4 + cos(exp(2d))^2 + sin(exp(2d))^2 - 1")
    assert same.status == "right", same.message


# ---------------------------------------------------------------------------------------------
# Numbers put into a written formula, worked out (formula.folded)

_FOLD_SYMBOLS = {"T": "positive", "d": "size", "x": "real"}


@pytest.mark.parametrize(("written", "worked_out"), [
    ("(4 - 2)/(4*T^2)", "1/(2*T^2)"),
    ("(2 - 4)/(10*T)", "-1/(5*T)"),
    ("3*4*d^2", "12*d^2"),
    ("(100 + 50 + 2)*d", "152*d"),
    ("(1 - 2)*T/3", "-T/3"),
    ("(3 - 1)*(T + 1)", "2*(T + 1)"),
    ("2^3*T/4", "2*T"),
    ("(0 - 0)/(4*T^2)", "0"),
    ("1/(2*2)", "1/4"),
    ("sqrt(4 - 2)*T", "sqrt(2)*T"),
    ("(1 - 2)*(T + 1)", "-(T + 1)"),
    ("2^10*T", "1024*T"),
    ("9^10*T", "9^10*T"),
    # decimals stay as written (never 9877/10000); nothing grows past 12 digits
    ("(1 - 0.0123)^60*T", "(1 - 0.0123)^60*T"),
    ("0.5*4*T", "0.5*4*T"),
    ("2^64*T", "2^64*T"),
    ("(((((2^64)^64)^64)^64)^64)^64*T", "(((((2^64)^64)^64)^64)^64)^64*T"),
    ("123456789012*123456789012*T", "123456789012*123456789012*T"),
    # nothing to work out, or nothing exact: as written
    ("lr0*(1 + cos(pi*t/T))/2".replace("lr0", "T").replace("t", "d"), "T*(1 + cos(pi*d/T))/2"),
    ("0.001*d/T", "0.001*d/T"),
    ("T/(3 - 3)", "T/(3 - 3)"),
    ("2*(T + 1)/4", "2*(T + 1)/4"),
])
def test_numbers_put_in_are_worked_out(written: str, worked_out: str) -> None:
    assert formula.folded(written, _FOLD_SYMBOLS) == worked_out


@st.composite
def _put_in(draw: Any) -> str:
    """A formula in T, d and x with small whole numbers and sums of them put in."""
    def part(depth: int) -> str:
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(["T", "d", "x", str(draw(st.integers(0, 9))), f"({draw(st.integers(0, 9))} - {draw(st.integers(0, 9))})",
                                         f"0.{draw(st.integers(1, 999))}", str(draw(st.integers(10**6, 10**13)))]))
        op = draw(st.sampled_from(["+", "-", "*", "/", "^"]))
        if op == "^":
            return f"({part(depth - 1)})^{draw(st.sampled_from([0, 1, 2, 3, 7, 64, -2]))}"
        return f"({part(depth - 1)}) {op} ({part(depth - 1)})"
    return part(4)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written=_put_in())
def test_working_out_never_changes_a_formula(written: str) -> None:
    """sympy, the independent reference, finds the written and the worked-out formula equal."""
    try:
        node = formula.read(written, _FOLD_SYMBOLS)
    except AnswerParseError:
        return
    worked = formula.read(formula.folded(written, _FOLD_SYMBOLS), _FOLD_SYMBOLS)
    # Never much longer: 2/T/3 is 2/(3*T), but no power or product of numbers is written out long.
    assert len(formula.text(worked)) <= len(formula.text(node)) + 12, (written, formula.text(worked))
    a, b = formula.to_sympy(node, _FOLD_SYMBOLS), formula.to_sympy(worked, _FOLD_SYMBOLS)
    if a.has(sympy.zoo, sympy.nan):  # a division by zero, left as written
        return
    assert sympy.simplify(a - b) == 0, (written, formula.text(worked))
