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
    for seed in SEEDS:
        inputs = _draw(template, seed)
        # An authored template labels its own inputs (docs/authoring.md); a family, all of its.
        labels, values = (inputs["labels"], inputs["values"]) if template.generator == "authored" else (module.INPUT_LABELS, inputs)
        parts = input_parts(module.describe, inputs)
        shown = [p for p in parts if isinstance(p, Typeset)]
        text = "\n".join(p for p in parts if isinstance(p, str))
        for key, value in values.items():
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

    page = worksheet_html(quiz)
    sections = page.split('<section class="problem">')[1:]
    assert len(sections) == len(quiz.problems) and page.count('<math class="input">') >= 20
    for problem, section in zip(quiz.problems, sections):
        for name in _names(problem.inputs):
            assert f"<mtext>{name}</mtext>" not in section, (problem.id, name)


def test_worked_solution_tables_name_their_rows_and_columns() -> None:
    """tp / fp / fn by class as a table with names, in every face; a pair of counts as
    ``clipped matches = 3, candidate 1-grams = 5``, not a bare vector."""
    from quizgen.anki import cards
    from quizgen.core.problems import build_problem
    from quizgen.core.render import step_text
    from quizgen.drill.display import Out, step_lines

    by_name = {f"{c.id}.{t.name}": (c, t) for c, t in TEMPLATES}
    problem = build_problem(*by_name["precision-recall-f1.binary-f1-confusion"], 3)
    counts = next(s for s in problem.steps if s.label == "tp, fp, fn per class")
    assert counts.rows == ("tp", "fp", "fn") and counts.cols == ("class 0", "class 1")
    table = counts.named_table()
    assert table[0] == ["", "class 0", "class 1"] and [r[0] for r in table[1:]] == ["tp", "fp", "fn"]
    # The drill: a header of class names over rows named tp, fp, fn; no torch.Size for a table.
    import io

    stream = io.StringIO()
    Out(stream, rich=False).pre(step_lines(counts))
    drawn = stream.getvalue().splitlines()
    assert drawn[0].startswith("  tp, fp, fn per class:") and "torch.Size" not in drawn[0]
    assert drawn[1].split() == ["class", "0", "class", "1"]
    assert [line.split()[0] for line in drawn[2:5]] == ["tp", "fp", "fn"]
    assert [int(x) for x in drawn[2].split()[1:]] == counts.value[0]
    # Cards and keys: an HTML table with the names as headers.
    solution = cards.problem_fields(problem, by_name["precision-recall-f1.binary-f1-confusion"][0])[3]
    assert "<th>tp</th>" in solution and "<th>class 1</th>" in solution
    # Text (generate, grade reports): rows by name.
    assert step_text(counts).startswith("tp, fp, fn per class (class 0, class 1): tp = [")

    problem = build_problem(*by_name["bleu.unigram-clipping"], 3)
    pair = next(s for s in problem.steps if s.cols and s.cols[0] == "clipped matches")
    clipped, total = pair.value
    assert step_text(pair) == f"clipped matches = {clipped}, candidate 1-grams = {total}"
    stream = io.StringIO()
    Out(stream, rich=False).pre(step_lines(pair))
    assert stream.getvalue().strip() == f"clipped matches = {clipped}, candidate 1-grams = {total}"
