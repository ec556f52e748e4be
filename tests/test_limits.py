"""Every numeric parameter's declared limits, both ways, through a real concept file.

Each ``IntRange`` / ``FloatRange`` of each family declares a minimum (or an exclusive minimum) and
a maximum; the JSON Schema and ``quizgen check`` enforce them. For each limit:

- one past it (max + 1, min - 1 for whole numbers; the next float beyond it for numbers; the
  exclusive minimum itself) is refused by ``quizgen check`` naming the file, the line of the
  parameter and its field, both as a single value and as the end of a ``[min, max]`` range;
- the edge itself passes the schema, and generating from it gives finite keys that agree with the
  family's independent reference. A family may still refuse a combination it cannot draw from (a
  constant batch for a variance, ``d_k`` of 512 with a matrix answer): ``quizgen check`` then names
  the file, line and field, or generation says "Expected …" naming the file and template. But
  every limit must give faithful keys for at least one ask: as a single value, or, when every ask
  refuses the single value as degenerate, as the end of the default range reaching to it.
"""

from __future__ import annotations

import importlib
import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import agree
from test_references import _test_module

from quizgen.core.concepts import Issue, check_files
from quizgen.core.errors import GenerationError
from quizgen.core.params import FloatRange, IntRange
from quizgen.core.problems import build_problem, variant_seed
from quizgen.generators import GENERATORS

SEEDS = 1  # per ask and limit; the 1,000-variant agreement lives in test_references
HEADER = """\
id: limits
title: A parameter at its limit
tags: [limits]
deck: Limits
summary: One template with one parameter at the edge of what its family allows.
sources: [the family's parameter specs]
flashcards:
  - id: the-limits
    front: What is tested here?
    back: The limits of one parameter.
problems:
  - name: edge
    generator: {family}
    difficulty: 1
    prompt: What is the answer?
    params:
"""


def _limits() -> list[tuple[str, str, str]]:
    out = []
    for family, module in sorted(GENERATORS.items()):
        for name, spec in module.PARAMS.items():
            if isinstance(spec, (IntRange, FloatRange)):
                assert spec.maximum is not None, (family, name)  # test_references checks every bound is declared
                out.append((family, name, "max"))
                if spec.minimum is not None:
                    out.append((family, name, "min"))
                if isinstance(spec, FloatRange) and spec.exclusive_minimum is not None:
                    out.append((family, name, "exclusive min"))
    return out


LIMITS = _limits()


def _yaml(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_yaml, value)) + "]"
    text = repr(value)  # an int, or a float written exactly
    if isinstance(value, float) and "e" in text:  # YAML 1.1 reads 5e-324 as text: it wants 5.0e-324
        mantissa, exponent = text.split("e")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{'' if exponent[0] in '+-' else '+'}{exponent}"
    return text


def _write(tmp_path: Path, family: str, params: dict[str, Any]) -> tuple[Path, dict[str, int]]:
    """A concept file with this one template; returns it and the line of each parameter."""
    text = HEADER.format(family=family)
    lines = {}
    for name, value in params.items():
        lines[name] = text.count("\n") + 1
        text += f"      {name}: {_yaml(value)}\n"
    path = tmp_path / "limits.yaml"
    path.write_text(text, encoding="utf-8")
    return path, lines


def _finite(value: Any) -> bool:
    if isinstance(value, dict):  # a formula
        return True
    if isinstance(value, (list, tuple)):
        return all(map(_finite, value))
    return isinstance(value, str) or math.isfinite(float(value))


def _bound_in(bound: float, message: str) -> bool:
    """Whether a refusal states the bound (as 10, 10.0 or 1e+06)."""
    words = {str(bound), f"{bound:g}", f"{float(bound):g}"} | ({str(int(bound))} if float(bound).is_integer() else set())
    return any(re.search(rf"(?<![\d.]){re.escape(w)}(?![\d])", message) for w in words)


def _same_file(issue: Issue, path: Path) -> bool:
    return Path(issue.file).resolve() == path.resolve()


def _edge_and_past(spec: IntRange | FloatRange, side: str) -> tuple[Any, Any]:
    """The value at the limit (None for an exclusive minimum) and the value one past it."""
    if side == "max":
        edge = spec.maximum
        return edge, (edge + 1 if isinstance(spec, IntRange) else math.nextafter(float(edge), math.inf))
    if side == "min":
        edge = spec.minimum
        return edge, (edge - 1 if isinstance(spec, IntRange) else math.nextafter(float(edge), -math.inf))
    assert isinstance(spec, FloatRange) and spec.exclusive_minimum is not None
    return None, float(spec.exclusive_minimum)


def _asks(family: str) -> list[str | None]:
    module = GENERATORS[family]
    return list(module.PARAMS["ask"].options) if "ask" in module.PARAMS else [None]


@pytest.mark.parametrize(("family", "name", "side"), LIMITS, ids=[f"{f}-{n}-{s.replace(' ', '-')}" for f, n, s in LIMITS])
def test_one_past_each_limit_is_refused_with_file_line_and_field(tmp_path: Path, family: str, name: str, side: str) -> None:
    spec = GENERATORS[family].PARAMS[name]
    assert isinstance(spec, (IntRange, FloatRange))
    _, past = _edge_and_past(spec, side)
    lo, hi = spec.default
    as_range = [past, hi] if side != "max" else [lo, past]
    for value in (past, as_range):
        ask = _asks(family)[0]
        path, lines = _write(tmp_path, family, {name: value} if ask is None else {"ask": ask, name: value})
        concepts, issues = check_files([path])
        assert concepts == [], (family, name, value)
        here = [i for i in issues if _same_file(i, path) and i.line == lines[name] and i.field.startswith(f"problems[0].params.{name}")]
        assert here, f"{family}.{name} = {value!r} was not refused at line {lines[name]}: {[str(i) for i in issues]}"
        bound = spec.maximum if side == "max" else spec.minimum if side == "min" else spec.exclusive_minimum
        assert any(i.message.startswith("expected ") and _bound_in(bound, i.message) for i in here), [str(i) for i in here]


def _outcome(tmp_path: Path, family: str, params: dict[str, Any], name: str) -> str:
    """'faithful', or how the combination was refused; asserts that a refusal is clear."""
    path, lines = _write(tmp_path, family, params)
    concepts, issues = check_files([path])
    # The edge itself is within the declared limits: the schema never refuses it.
    assert not any(i.line == lines[name] and i.message.startswith("expected a number") for i in issues), [str(i) for i in issues]
    if issues:  # the family's own check of the combination, with file, line and field
        assert all(_same_file(i, path) and i.line >= 1 and i.field.startswith("problems[0].params") for i in issues), [str(i) for i in issues]
        return "refused by quizgen check"
    (concept,) = concepts
    template = concept.templates[0]
    reference = importlib.import_module(_test_module(family)).reference
    for i in range(SEEDS):
        try:
            problem = build_problem(concept, template, variant_seed(7, i))
        except GenerationError as exc:
            assert "limits.yaml" in str(exc) and "'edge'" in str(exc) and ("Expected" in str(exc) or "widen" in str(exc)), str(exc)
            return "refused at generation"
        value = problem.answer.value
        assert _finite(value), (params, problem.inputs)
        assert agree(value, reference(problem.inputs)), (params, problem.inputs, value)
    return "faithful"


@pytest.mark.parametrize(("family", "name", "side"), LIMITS, ids=[f"{f}-{n}-{s.replace(' ', '-')}" for f, n, s in LIMITS])
def test_each_limit_is_accepted_and_gives_faithful_keys(tmp_path: Path, family: str, name: str, side: str) -> None:
    spec = GENERATORS[family].PARAMS[name]
    assert isinstance(spec, (IntRange, FloatRange))
    edge, _ = _edge_and_past(spec, side)
    lo, hi = spec.default
    asks = _asks(family)
    outcomes: dict[str, dict[str | None, str]] = {}
    # The single value at the edge, then (when every ask refuses that) the default range reaching it.
    forms: list[Any] = [] if edge is None else [edge]
    forms.append([edge, max(hi, edge)] if side == "min" else [min(lo, edge), edge] if side == "max"
                 else [math.nextafter(float(spec.exclusive_minimum or 0.0), math.inf), hi])
    for value in forms:
        results = {
            ask: _outcome(tmp_path, family, {name: value} if ask is None else {"ask": ask, name: value}, name)
            for ask in asks
        }
        outcomes[_yaml(value)] = results
        if "faithful" in results.values():
            return
    pytest.fail(f"{family}.{name} at its {side} gave no faithful key for any ask: {outcomes}")
