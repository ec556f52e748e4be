"""Every family against its independent reference, over every shipped template.

The families come from the registry (``quizgen.generators.GENERATORS``): a family without a
``tests/test_<family>.py`` that defines ``reference(inputs)`` (an independent computation of
the answer: nltk, scikit-learn, numpy, torch's own schedulers, real tensors; for a formula, a list
of (symbol values, number) cases computed without the formula) fails here. Each
template of each shipped concept file is built 1,000 times through the one build path, as
``quizgen generate`` builds it, and every answer must agree with the reference to 1e-9.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CONCEPTS, formula_agrees

from quizgen.core.concepts import load_concepts
from quizgen.core.params import Choice, Flag, FloatRange, IntRange
from quizgen.core.problems import build_many, variant_seed
from quizgen.generators import GENERATORS
from quizgen.judge import close, format_value, judge

VARIANTS = 1000
TEMPLATES = {f"{c.id}.{t.name}": (c, t) for c in load_concepts(CONCEPTS) for t in c.templates}


def _test_module(family: str) -> str:
    return "test_" + family.replace("-", "_")


def _agree(a: Any, b: Any) -> bool:
    if isinstance(a, dict):  # a formula; the reference gives (symbol values, number) cases
        return formula_agrees(a, b)
    if hasattr(b, "tolist"):
        b = b.tolist()
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(map(_agree, a, b))
        )
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_every_family_has_an_independent_reference(family: str) -> None:
    path = Path(__file__).with_name(_test_module(family) + ".py")
    assert path.exists(), f"the family {family!r} has no {path.name} (see docs/adding-a-family.md)"
    module = importlib.import_module(_test_module(family))
    assert callable(getattr(module, "reference", None)), (
        f"{path.name} defines no reference(inputs): an independent computation of the answer"
    )
    assert any(t.generator == family for _, t in TEMPLATES.values()), f"no shipped template uses {family!r}"


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_every_familys_parameter_specs_are_consistent(family: str) -> None:
    """Each parameter is documented, bounded on both sides (so a concept file cannot ask for ten
    million samples or β = 1e300), and its default lies within its own bounds."""
    for name, spec in GENERATORS[family].PARAMS.items():
        assert spec.doc, name
        if isinstance(spec, (IntRange, FloatRange)):
            assert spec.maximum is not None, f"{name} has no maximum"
        if isinstance(spec, IntRange):
            lo, hi = spec.default
            assert spec.minimum <= lo <= hi and (spec.maximum is None or hi <= spec.maximum), name
        elif isinstance(spec, FloatRange):
            lo, hi = spec.default
            assert lo <= hi and (spec.maximum is None or hi <= spec.maximum), name
            assert spec.minimum is None or spec.minimum <= lo, name
            assert spec.exclusive_minimum is None or spec.exclusive_minimum < lo, name
        elif isinstance(spec, Choice):
            assert spec.default and set(spec.default) <= set(spec.options), name
        else:
            assert isinstance(spec, Flag) and isinstance(spec.default, bool), name


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_agrees_with_its_reference(key: str) -> None:
    concept, template = TEMPLATES[key]
    reference = importlib.import_module(_test_module(template.generator)).reference
    jobs = [(concept, template, variant_seed(7, i)) for i in range(VARIANTS)]
    problems = [p for chunk in build_many(jobs, processes=1) for p in chunk]
    wrong = [
        (p.id, p.answer.value, expected)
        for p in problems
        if not _agree(p.answer.value, expected := reference(p.inputs))
    ]
    assert wrong == [], f"{len(wrong)} of {VARIANTS} disagree, e.g. {wrong[:3]}"
    # The builder's promise: every named mistake of a built problem is told apart from the key.
    hidden = [(p.id, m.name) for p in problems for m in p.misconceptions if close(p.answer.kind, p.answer.value, m.value, p.tolerance)]
    assert hidden == [], hidden[:3]
    # Named mistakes that give the same value as each other: typing it, the judge names them all.
    for p in problems:
        for m in p.misconceptions:
            same = [o.name for o in p.misconceptions if close(p.answer.kind, o.value, m.value, p.tolerance)]
            if len(same) > 1:
                verdict = judge(p.answer, format_value(p.answer.kind, m.value), p.tolerance, p.misconceptions)
                named = [verdict.misconception.name, *(o.name for o in verdict.also)] if verdict.misconception else []
                assert set(same) <= set(named) and all(n in verdict.message for n in same), (p.id, same, verdict.message)


def test_generate_gives_the_same_bytes_for_the_same_seed() -> None:
    """Every concept, in separate processes with different hash seeds: the same seed gives the
    same bytes, another seed other problems."""
    import os

    def run(seed: int, hash_seed: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "generate", "all",
             "--n", "600", "--seed", str(seed), "--format", "jsonl"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    first = run(7, "1")
    lines = first.splitlines()
    assert len(lines) == 600
    assert {json.loads(line)["concept"] for line in lines} == {c.id for c, _ in TEMPLATES.values()}
    assert run(7, "2") == first, "same seed, different bytes"
    ids = {json.loads(line)["id"] for line in lines}
    assert ids.isdisjoint(json.loads(line)["id"] for line in run(8, "3").splitlines())


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_the_examples_in_each_familys_docstrings_hold(family: str) -> None:
    """Every family's checker and generator document themselves with examples, and they run."""
    import doctest

    from checkers import CHECKERS

    for module in (importlib.import_module(CHECKERS[family]), GENERATORS[family]):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@pytest.mark.parametrize("family", sorted(f for f, m in GENERATORS.items() if "ask" in m.PARAMS))
def test_an_unknown_ask_is_refused_by_name(family: str) -> None:
    """Inputs always come from the family's own generator, so the one thing a checker refuses is
    a question it does not know; it says which it knows."""
    from checkers import get_checker

    with pytest.raises(ValueError, match="Expected ask to be one of"):
        get_checker(family)({"ask": "no-such-question"})
