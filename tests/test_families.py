"""What every family must have and do, driven by the registry: docs/adding-a-family.md's checklist.

A family is a registry line (``quizgen.generators.MODULES``), a generator, a checker, a concept
file whose templates use it, and a ``tests/test_<family>.py`` holding only what is the family's
own: ``reference(inputs)``, ``mistakes(inputs)``, known values and family-specific checks. The
checks every family needs are here and in ``tests/test_references.py`` (answers and mistakes
against the references over every shipped template, the teaching-value targets, the docstring
examples, the unknown ask), so a family test file never repeats them. A piece missing, or the
published JSON Schema stale after a change to a family's parameters, fails here.
"""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS, ROOT, agree, solved_variants

from checkers import CHECKERS
from quizgen.cli import cli
from quizgen.core.concepts import load_concepts
from quizgen.core.problems import variant_seed
from quizgen.generators import GENERATORS, MODULES

TEMPLATES = [(c, t) for c in load_concepts(CONCEPTS) for t in c.templates]
DRAWS = 50  # seeds a template is drawn with, twice, for the drawing's own promises


def _test_module(family: str) -> str:
    return "test_" + MODULES[family]


def test_the_published_schema_is_current() -> None:
    """The schema editors validate concept files with is generated from the registry's parameter
    specs; after a change to any family's ``PARAMS`` it must be written again."""
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    published = (ROOT / "quizgen" / "schema" / "concept.schema.json").read_text(encoding="utf-8")
    assert json.loads(result.output) == json.loads(published), "run: quizgen schema --write quizgen/schema/concept.schema.json"


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_every_family_has_each_piece(family: str) -> None:
    generator = GENERATORS[family]
    for name in ("VERSION", "PARAMS", "INPUT_LABELS", "draw", "describe"):
        assert hasattr(generator, name), f"{generator.__name__} defines no {name} (see docs/adding-a-family.md)"
    checker = importlib.import_module(CHECKERS[family])
    assert callable(getattr(checker, "solve", None)), f"{checker.__name__} defines no solve(inputs)"
    assert any(t.generator == family for _, t in TEMPLATES), f"no shipped concept file has a template of {family!r}"
    path = Path(__file__).with_name(_test_module(family) + ".py")
    assert path.exists(), f"the family {family!r} has no {path.name} (see docs/adding-a-family.md)"
    module = importlib.import_module(_test_module(family))
    assert callable(getattr(module, "reference", None)), (
        f"{path.name} defines no reference(inputs): an independent computation of the answer"
    )
    assert callable(getattr(module, "mistakes", None)), (
        f"{path.name} defines no mistakes(inputs): an independent computation of every named mistake"
    )


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_drawing_is_reproducible_json_and_leaves_the_global_random_state_alone(family: str) -> None:
    """Every shipped template of the family: the same seed draws the same inputs, the inputs are
    plain JSON (what grading and exports store), and drawing never touches ``random``'s global
    state (same seed, same problem on any machine, whatever else the process draws)."""
    generator = GENERATORS[family]
    saved = random.getstate()
    try:
        for _, template in [(c, t) for c, t in TEMPLATES if t.generator == family]:
            params = template.resolved_params()
            for i in range(DRAWS):
                seed = variant_seed(5, i)
                random.seed(i)
                before = random.getstate()
                inputs = generator.draw(params, random.Random(seed))
                assert random.getstate() == before, f"drawing {template.name} used the global random state"
                random.seed(i + 1)  # another global state changes nothing
                assert generator.draw(params, random.Random(seed)) == inputs, (template.name, seed)
                assert json.loads(json.dumps(inputs)) == inputs, (template.name, seed)
    finally:
        random.setstate(saved)


def _own_variants(family: str) -> list[dict[str, Any]]:
    return list(getattr(importlib.import_module(_test_module(family)), "VARIANTS", []))


@pytest.mark.parametrize("family", sorted(f for f in GENERATORS if _own_variants(f)))
def test_a_familys_own_variants_agree_with_its_reference_and_mistakes(family: str) -> None:
    """A family test module may add ``VARIANTS``, inputs drawn beyond the shipped templates (every
    ask, wider configurations): each is plain JSON, each answer agrees with ``reference`` and each
    listed mistake is what ``mistakes`` gives, as over the shipped templates."""
    module = importlib.import_module(_test_module(family))
    variants = solved_variants(family)
    wrong, bad = [], []
    for inputs, sol in variants:
        assert json.loads(json.dumps(inputs)) == inputs, inputs
        if not agree(sol.answer.value, module.reference(inputs)):
            wrong.append(inputs)
        others = module.mistakes(inputs)
        bad += [(inputs, m.name) for m in sol.misconceptions if m.name not in others or not agree(m.value, others[m.name])]
    assert wrong == [], f"{len(wrong)} of {len(variants)} disagree with the reference, e.g. {wrong[:2]}"
    assert bad == [], f"{len(bad)} listed mistakes not recomputed or recomputed otherwise, e.g. {bad[:2]}"


# Templates whose worked solution may end elsewhere (none now: the decoded sequences, the masked
# positions' labels and the zero-shot probabilities end at the value asked for).
ENDS_ELSEWHERE: set[str] = set()


ENDING = [(c, t) for c, t in TEMPLATES if f"{c.id}.{t.name}" not in ENDS_ELSEWHERE]


@pytest.mark.parametrize(("concept", "template"), ENDING, ids=[f"{c.id}.{t.name}" for c, t in ENDING])
def test_a_worked_solution_ends_at_the_answer(concept, template) -> None:
    """The last worked step is the answer (a solution that stops at the KL leaves out the × T² the
    problem is about)."""
    from quizgen.core.answer import close
    from quizgen.core.problems import build_problem

    assert len(ENDING) == len(TEMPLATES) - len(ENDS_ELSEWHERE)  # every exception names a shipped template
    for i in range(4):
        p = build_problem(concept, template, variant_seed(3, i))
        assert p.steps, p.id
        if p.answer.kind == "formula":  # as written; two formulas' equivalence is the judge's business
            from quizgen.core.equivalence import equivalent

            assert p.steps[-1].value == p.answer.value["formula"] or equivalent(p.answer.value, {**p.answer.value, "formula": p.steps[-1].value}), (p.id, p.steps[-1])
        else:
            assert close(p.answer.kind, p.answer.value, p.steps[-1].value, p.tolerance), (p.id, p.steps[-1])
