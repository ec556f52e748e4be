"""Every input a learner sees has a label its family gives it, never a dictionary key.

Each family declares, once, the learner-facing label of every vector or matrix among its inputs
(``INPUT_LABELS`` in its generator module) and writes those inputs in ``describe`` under that
label. Every face shows them from there: the drill and the Markdown worksheet as text, cards and
printed pages typeset (``render.input_parts``). Over every template of every concept file and
many seeds: every numeric matrix among the inputs is shown once, under its declared label, and
no label and no typeset name is an input's internal name. (The rest of the text is the family's
own wording: ``candidate:``, ``running_mean`` or ``d_model`` are words and names of the maths and
of torch, written on purpose, not keys leaking.)
"""

from __future__ import annotations

import random
import re

import pytest
from conftest import CONCEPTS

from quizgen.core.concepts import load_concepts
from quizgen.core.render import Typeset, input_parts, is_numeric_rows
from quizgen.generators import GENERATORS

SEEDS = range(12)
TEMPLATES = [(c, t) for c in load_concepts(CONCEPTS) for t in c.templates]


def _draw(template, seed):
    return dict(GENERATORS[template.generator].draw(template.resolved_params(), random.Random(seed)))


def _names(inputs) -> set[str]:
    """The inputs' internal names that read as words (``students``, ``y_true``); names such as
    ``Q``, ``m`` or ``d_k`` are the symbols of the maths and are shown as such."""
    return {k for k in inputs if any(len(part) >= 3 for part in k.split("_"))}


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_every_family_declares_learner_facing_labels(family: str) -> None:
    labels = GENERATORS[family].INPUT_LABELS
    assert isinstance(labels, dict)
    for key, label in labels.items():
        assert isinstance(label, str) and label.strip() == label and label, (family, key)
        assert label.lower() != key.lower(), f"{family}: the label of {key!r} is its internal name"
        assert not re.search(r"\w_\w", label.replace("d_k", "")), f"{family}: {label!r} reads like a dictionary key"


@pytest.mark.parametrize(("concept", "template"), TEMPLATES, ids=[f"{c.id}.{t.name}" for c, t in TEMPLATES])
def test_every_matrix_input_is_shown_once_under_its_family_label(concept, template) -> None:
    module = GENERATORS[template.generator]
    labels = module.INPUT_LABELS
    for seed in SEEDS:
        inputs = _draw(template, seed)
        parts = input_parts(module.describe, inputs)
        shown = [p for p in parts if isinstance(p, Typeset)]
        text = "\n".join(p for p in parts if isinstance(p, str))
        for key, value in inputs.items():
            if not is_numeric_rows(value):
                continue
            assert key in labels, f"{template.generator}: no label for the matrix input {key!r}"
            under = [p for p in shown if p.value == value]
            assert len(under) == 1, f"{concept.id}.{template.name}: {key!r} shown {len(under)} times typeset"
            assert under[0].label == labels[key]
        for part in shown:
            assert part.label in labels.values(), f"{part.label!r} is not one of the family's labels"
            assert part.label not in inputs, f"{part.label!r} is an internal name"
            # Shown once: the text around it does not repeat it.
            assert part.text not in text
            assert all(row != [] for row in part.rows)


def test_typeset_faces_never_name_an_input_by_its_key() -> None:
    """Cards and printed pages: no typeset label is an internal name (``\\text{students}``)."""
    from quizgen.anki import cards
    from quizgen.classroom.quiz import make_quiz
    from quizgen.classroom.worksheet import worksheet_html
    from quizgen.core.problems import build_problem

    for concept, template in TEMPLATES:
        problem = build_problem(concept, template, 7)
        card = cards._inputs_html(problem)
        for name in _names(problem.inputs):
            assert f"\\text{{{name}}}" not in card and f"\\text{{{name.replace('_', chr(92) + '_')}}}" not in card, (problem.id, name)
    quiz = make_quiz(load_concepts(CONCEPTS), ["all"], 60, seed=2)

    page = worksheet_html(quiz, "q.answers.yaml")
    sections = page.split('<section class="problem">')[1:]
    assert len(sections) == len(quiz.problems) and page.count('<math class="input">') >= 20
    for problem, section in zip(quiz.problems, sections):
        for name in _names(problem.inputs):
            assert f"<mtext>{name}</mtext>" not in section, (problem.id, name)
