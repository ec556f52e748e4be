"""Anki note types and their fields: what a problem card and a flashcard show (see docs/anki.md).

A deck holds two note types with hard-coded ids. Never change their ids, field names or template
names: Anki recognises a note type on import by its id and the names of its fields and templates,
and a changed one is imported as a new note type whose notes all conflict with the old ones.

- ``quizgen problem`` — one generated problem. The front shows the prompt and the inputs and asks
  for a typed answer with Anki's own ``{{type:Answer}}`` box. The back loads ``card_judge.js`` (a
  port of ``quizgen.judge``, shipped as media), which reads what was typed from Anki's
  type-answer comparison and judges it with the key, tolerance and named misconceptions stored as
  JSON in the hidden ``Check`` field.
- ``quizgen rotating problem`` — one template with several variants (the default). Its first ten
  fields are variant 0, exactly as a ``quizgen problem`` note holds it, so a client without card
  scripts shows one consistent problem. ``Variants`` and ``VariantAnswers`` hold the other
  variants' parts; the card script picks one variant per review day and moves its parts into the
  card, front and back alike, before judging (docs/anki.md, "Fresh numbers at every review").
- ``quizgen flashcard`` — a concept's flashcards (Front, Back, and Extra: the optional extra text
  and a footer naming the concept and the notes the card's facts come from).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from quizgen.core.concepts import Concept, Flashcard
from quizgen.core.render import (
    fits_tex,
    fmt_inline,
    fmt_shape,
    input_parts,
    is_scalar,
    label_parts,
    lines_css,
    lines_html,
    mistake_items,
    named_step_html,
    shape_note,
    step_label,
    tex_bmatrix,
    tex_number,
    text_html,
)
from quizgen.judge.card import SCRIPT, card_script

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quizgen.core.problems import Problem


PROBLEM_MODEL_ID = 1_733_402_651_001
"""The problem note type's id. Fixed forever: Anki matches note types by id on import."""

FLASHCARD_MODEL_ID = 1_733_402_651_002
"""The flashcard note type's id. Fixed forever."""

PROBLEM_FIELDS = (
    "Prompt",
    "Inputs",
    "Answer",
    "Solution",
    "Misconceptions",
    "Tolerance",
    "Concept",
    "Source",
    "Id",
    "Check",
)
"""Field names of the problem note type, never renamed (``Answer`` is what the type-in box compares)."""

ROTATING_MODEL_ID = 1_733_402_651_003
"""The rotating problem note type's id. Fixed forever."""

ROTATING_FIELDS = (*PROBLEM_FIELDS, "Variants", "VariantAnswers")
"""Field names of the rotating note type: variant 0 in the problem fields, then the others."""

FLASHCARD_FIELDS = ("Front", "Back", "Extra")
"""Field names of the flashcard note type, never renamed."""

JUDGE_SCRIPT = SCRIPT
"""The card script's source (package data); every deck adds ``card_script(JUDGE_SCRIPT)`` as media."""


def judge_media_name(script: bytes | None = None) -> str:
    """The media name of the card script, ``_quizgen_judge.<hash>.js``.

    The leading ``_`` keeps Anki from deleting the file as unused. The content hash is in the
    name because Anki's importer never replaces an existing ``_`` file, even when the incoming
    one differs: a fixed name would leave every collection on its first version of the script.
    """
    data = card_script(JUDGE_SCRIPT) if script is None else script
    return f"_quizgen_judge.{hashlib.sha256(data).hexdigest()[:12]}.js"


# ---------------------------------------------------------------------------------------------
# HTML for the fields

_NON_FINITE = ("-inf", "inf", "nan")


def _bmatrix(rows: Sequence[Sequence[Any]]) -> str:
    # "&" is MathJax's column separator and must arrive as &amp; in a field's HTML.
    return _escape(tex_bmatrix(rows))


def _math(tex_html: str, display: bool = False) -> str:
    """Wrap already-escaped TeX in MathJax's delimiters (escape any text before it gets here)."""
    return r"\[ " + tex_html + r" \]" if display else r"\( " + tex_html + r" \)"


def _table(rows: Sequence[Sequence[Any]]) -> str:
    cells = "".join(
        "<tr>" + "".join(f"<td>{_value_html(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f'<table class="qz-table">{cells}</table>'


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _value_html(value: Any, kind: str = "", display: bool = False) -> str:
    """A JSON value for people: numbers, vectors and matrices in MathJax, shapes as code."""
    t = type(value)
    if kind == "formula" and t is dict:
        from quizgen.core.formula import tex

        return _math(_escape(tex(value)), display)
    from quizgen.core.problems import rounded

    # Shown as the card's check data holds it (12 significant figures), so the key, the last
    # worked step (the same number) and the script's messages round alike in the last figure.
    value = rounded(value)
    t = type(value)
    if kind == "shape" and (value == "error" or (t is list and all(type(v) is int for v in value))):
        shown = "error (torch raises)" if value == "error" else fmt_shape(value)
        return f"<code>{_escape(shown)}</code>"
    if t is float or t is int:
        return _math(tex_number(value), display)
    if t is list or t is tuple:
        if not value:
            return "<code>[]</code>"
        if all([is_scalar(v) for v in value]):
            return _math(_bmatrix([value]), display)
        if all([type(r) in (list, tuple) and r for r in value]) and len({len(r) for r in value}) == 1:
            if all([is_scalar(v) for r in value for v in r]):
                return _math(_bmatrix(value), display)
            return _table(value)
        return "[" + ", ".join(_value_html(v) for v in value) + "]"
    if t is str:
        return _math(tex_number(value)) if value in _NON_FINITE else _escape(value)
    return _escape(fmt_inline(value))


def _inputs_html(problem: Problem) -> str:
    """The inputs as the family lays them out (``describe``), each shown once: its vectors and
    matrices typeset under their labels (``label = [ … ]`` on one line), the rest as text in a
    monospaced block. A value too large to typeset stays in the text."""
    from quizgen.core.problems import describer

    out = []
    for part in input_parts(describer(problem.family), problem.inputs):
        if isinstance(part, str):
            out.append(lines_html(part, "qz-"))
        elif fits_tex(part):
            # The label and the value side by side where they fit, else the value under the label
            # (on a phone a long label would push a matrix out of sight): each its own block.
            # The label is text, so a long one wraps; its symbol is maths, as in the formulas.
            words, symbol = label_parts(part.label)
            label = " ".join(x for x in (_escape(words), _math(_escape(symbol)) if symbol else "") if x)
            label = f'<span class="qz-matrix-label">{label} =</span> ' if label else ""
            value = _math(_escape(r"\displaystyle " + tex_bmatrix(part.rows)))
            out.append(f'<div class="qz-matrix qz-labelled">{label}<span class="qz-matrix-value">{value}</span></div>')
        else:
            out.append(lines_html(part.text, "qz-"))
    return "".join(out)


def _step_row(step: Any, kind: str) -> str:
    bits = []
    if step.shape is not None and not step.rows:
        bits.append(shape_note(step.shape))
    if step.note:
        bits.append(step.note)
    return (
        f'<tr><td class="qz-label">{_escape(step_label(step))}</td>'
        f'<td class="qz-value">{named_step_html(step) or _value_html(step.value, kind)}</td>'
        f'<td class="qz-note">{_escape("; ".join(bits))}</td></tr>'
    )




def problem_fields(problem: Problem, concept: Concept) -> list[str]:
    """The problem note's fields, in ``PROBLEM_FIELDS`` order, all HTML-escaped."""
    from quizgen.core.problems import rounded
    from quizgen.judge import describe_expected, format_value, typing_hint

    kind = problem.answer.kind
    key = rounded(problem.answer.value)
    hint = typing_hint(problem.answer.kind)
    expect = describe_expected(problem.answer) + (f": {hint}" if hint else "")
    prompt = f'{text_html(problem.prompt)}<div class="qz-expect">Type {_escape(expect)}.</div>'
    solution = f'<div class="qz-key">Answer: {_value_html(key, kind)}</div>'
    if problem.steps:
        solution += '<div class="qz-scroll"><table class="qz-steps">' + "".join([_step_row(s, kind) for s in problem.steps]) + "</table></div>"
    if problem.figure is not None:
        from quizgen.core.pictures import svg

        solution += f'<div class="qz-picture">{svg(problem.figure)}</div>'
    mistakes = mistake_items(problem.misconceptions, lambda v: _value_html(v, kind))
    if kind == "shape":
        tolerance = "exactly (a shape is compared exactly)"
        tol_json = None
    elif kind == "formula":
        tolerance = "any equivalent formula (the card checks it at 24 sample points)"
        tol_json = None
    else:
        tolerance = problem.tolerance.phrase()
        tol_json = {"rel": problem.tolerance.rel, "abs": problem.tolerance.abs}
    check = {
        "kind": kind,
        "key": key,
        "whole": problem.answer.whole,
        "tolerance": tol_json,
        "misconceptions": [
            {"name": m.name, "value": rounded(m.value), "description": m.description}
            for m in problem.misconceptions
        ],
    }
    return [
        prompt,
        _inputs_html(problem),
        _escape(format_value(kind, key)),
        solution,
        f'<ul class="qz-mistakes">{mistakes}</ul>' if mistakes else "",
        _escape(tolerance),
        _escape(concept.title),
        sources_html(concept.sources),
        _escape(problem.id),
        _escape(json.dumps(check, ensure_ascii=False, separators=(",", ":"), allow_nan=False)),
    ]


_NO_MATH = ' class="mathjax_ignore tex2jax_ignore"'
_FRONT_PARTS = {"prompt": 0, "inputs": 1}
_BACK_PARTS = {"solution": 3, "mistakes": 4, "tolerance": 5, "id": 8, "check": 9}


def rotating_fields(problems: Sequence[Problem], concept: Concept) -> list[str]:
    """A rotating note's fields, in ``ROTATING_FIELDS`` order: variant 0 in the problem fields,
    and each other variant's front parts (``Variants``) and back parts (``VariantAnswers``) as
    hidden ``data-qz-part`` blocks that the card script moves into place."""
    # Variants that ask the same thing (a formula question has no numbers to vary) are kept once.
    distinct: dict[tuple[str, str, str], list[str]] = {}
    for p in problems:
        fields = problem_fields(p, concept)
        distinct.setdefault((fields[0], fields[1], fields[9]), fields)
    first, *others = distinct.values()
    # The note's key for the script's memory of what it showed: the template, not a variant.
    note = _escape(problems[0].id.rsplit(".", 2)[0])

    def blocks(parts: dict[str, int]) -> str:
        out = []
        for number, fields in enumerate(others, start=1):
            inner = "".join(
                f'<div data-qz-part="{name}"{_NO_MATH if name == "check" else ""}>{fields[i]}</div>'
                for name, i in parts.items()
            )
            out.append(f'<div data-qz-variant="{number}">{inner}</div>')
        return f'<div class="qz-rotation" data-qz-note="{note}" data-qz-count="{len(distinct)}">{"".join(out)}</div>'

    return [*first, blocks(_FRONT_PARTS), blocks(_BACK_PARTS)]


def flashcard_fields(card: Flashcard, concept: Concept) -> list[str]:
    """The flashcard note's fields, in ``FLASHCARD_FIELDS`` order, all HTML-escaped. Extra ends
    with the footer: the concept and the notes the card's facts come from (a note type's fields
    never change, so the footer travels in a field)."""
    extra = f'<div class="qz-extra">{text_html(card.extra)}</div>' if card.extra else ""
    foot = f'<div class="qz-foot">{_escape(concept.title)} · {sources_html(concept.sources_of(card))}</div>'
    return [text_html(card.front), text_html(card.back), extra + foot]


def sources_html(sources: Sequence[str]) -> str:
    """The cited notes, by title; titles hold commas, so they are separated by semicolons."""
    return _escape("; ".join(sources))


# ---------------------------------------------------------------------------------------------
# Note types

_CSS = """\
.card { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 18px; line-height: 1.45; text-align: left; color: #1d1d1f; background: #fff;
  max-width: 46em; margin: 0 auto; padding: 0 0.5em; overflow-wrap: break-word; }
.nightMode.card, .night_mode .card { color: #e8e8e8; background: #1e1e1e; }
.qz-meta { font-size: 0.75em; opacity: 0.65; margin-bottom: 0.6em; }
.qz-expect { font-size: 0.85em; opacity: 0.75; margin-top: 0.4em; }
.qz-inputs { margin: 0.8em 0; }
.qz-lines { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; margin: 0.4em 0; }
/* LINES */
.qz-matrix { margin: 0.3em 0; }
.qz-labelled { display: flex; flex-wrap: wrap; align-items: center; column-gap: 0.4em; }
.qz-matrix-value { min-width: 0; max-width: 100%; overflow-x: auto; overflow-y: hidden; }
/* On a phone a wide matrix, table or formula scrolls within its own block; the card never does. */
.qz-matrix, .qz-key, .qz-scroll, .qz-section li, .qz-verdict { overflow-x: auto; overflow-y: hidden; }
mjx-container[display="true"] { margin: 0.3em 0 !important; }
/* MathJax's hidden copy for screen readers is clipped to nothing, but its width would make a
   block scroll for nothing: it is read whatever its width. */
.card mjx-assistive-mml { width: 1px !important; }
.qz-section ul { padding-left: 1.3em; }
code { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; }
#typeans { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.qz-judged #typeans, .qz-judged #typeans + br { display: none; }
.qz-verdict-hint { font-size: 0.85em; margin-top: 0.3em; }
.qz-verdict-typed { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.85em; opacity: 0.8; margin-top: 0.3em; }
.qz-verdict { margin: 0.8em 0; padding: 0.5em 0.8em; border-radius: 6px; border-left: 5px solid #999; }
.qz-verdict:empty { display: none; }
.qz-verdict-head { font-weight: bold; }
.qz-right { border-color: #2e9d4a; background: rgba(46, 157, 74, 0.12); }
.qz-wrong { border-color: #c7372f; background: rgba(199, 55, 47, 0.12); }
.qz-too-few-figures { border-color: #d08a00; background: rgba(208, 138, 0, 0.12); }
.qz-unreadable { border-color: #777; background: rgba(128, 128, 128, 0.12); }
.qz-section { margin-top: 0.9em; }
.qz-section h4 { margin: 0 0 0.3em 0; font-size: 0.8em; text-transform: uppercase; opacity: 0.7; }
.qz-steps, .qz-table { border-collapse: collapse; }
.qz-steps td, .qz-table td { padding: 0.15em 0.5em; vertical-align: middle; }
.named { border-collapse: collapse; }
.named th, .named td { padding: 0.05em 0.6em; text-align: right; }
.named th { font-weight: normal; font-style: italic; opacity: 0.8; }
.qz-label { font-style: italic; }
.qz-note, .qz-foot { font-size: 0.8em; opacity: 0.7; }
/* On a phone a worked step is its label, then its value, then its note, one under the other:
   three columns of a table leave each a few words wide. Only the steps' own cells: a table
   inside a step (a confusion matrix) keeps its rows and scrolls with the steps. */
@media (max-width: 32em) {
  .qz-steps, .qz-steps > tbody, .qz-steps > tbody > tr, .qz-steps > tbody > tr > td { display: block; }
  .qz-steps > tbody > tr { margin: 0 0 0.45em; }
  .qz-steps > tbody > tr > td { padding: 0; }
  .qz-steps > tbody > tr > td.qz-note:empty { display: none; }
}
.qz-foot { margin-top: 1.2em; }
.qz-picture { margin: 0.6em 0; overflow-x: auto; }
.qz-picture svg { max-width: 100%; height: auto; }
.qz-extra { margin-top: 0.8em; font-size: 0.9em; opacity: 0.85; }
"""
_CSS = _CSS.replace("/* LINES */\n", lines_css("qz-"))  # the input lines' layout, as worksheets have it

_PROBLEM_FRONT = """\
<div class="qz qz-problem">
<div class="qz-meta">{{Concept}}</div>
<div class="qz-prompt">{{Prompt}}</div>
<div class="qz-inputs">{{Inputs}}</div>
{{type:Answer}}
</div>"""

_PROBLEM_BACK = """\
{{FrontSide}}
<hr id=answer>
<div id="qz-verdict" class="qz-verdict mathjax_ignore tex2jax_ignore"></div>
<div class="qz-section qz-solution"><h4>Worked solution</h4>{{Solution}}</div>
{{#Misconceptions}}<div class="qz-section"><h4>Known mistakes</h4>{{Misconceptions}}</div>{{/Misconceptions}}
<div class="qz-foot">Checked {{Tolerance}}. {{Concept}} · <span class="qz-id">{{Id}}</span> · {{Source}}</div>
<div id="qz-check" class="mathjax_ignore tex2jax_ignore" style="display:none">{{Check}}</div>
<script src="%(script)s"></script>"""

# The rotating note: the same card with slots the script fills from the chosen variant. The
# script runs on the front too (it picks the variant); on the back it runs again at the end, and
# each run is idempotent (a variant moved into place is marked as shown).
_ROTATING_FRONT = """\
<div class="qz qz-problem">
<div class="qz-meta">{{Concept}}</div>
<div class="qz-prompt">{{Prompt}}</div>
<div class="qz-inputs">{{Inputs}}</div>
{{type:Answer}}
<div class="qz-variants" style="display:none">{{Variants}}</div>
</div>
<script src="%(script)s"></script>"""

_ROTATING_BACK = """\
{{FrontSide}}
<hr id=answer>
<div id="qz-verdict" class="qz-verdict mathjax_ignore tex2jax_ignore"></div>
<div class="qz-section qz-solution"><h4>Worked solution</h4><div class="qz-solution-body">{{Solution}}</div></div>
<div class="qz-section qz-known"><h4>Known mistakes</h4><div class="qz-mistakes-body">{{Misconceptions}}</div></div>
<div class="qz-foot">Checked <span class="qz-tolerance">{{Tolerance}}</span>. {{Concept}} · <span class="qz-id">{{Id}}</span> · {{Source}}</div>
<div id="qz-check" class="mathjax_ignore tex2jax_ignore" style="display:none">{{Check}}</div>
<div class="qz-variants" style="display:none">{{VariantAnswers}}</div>
<script src="%(script)s"></script>"""

_FLASHCARD_FRONT = '<div class="qz qz-flashcard">{{Front}}</div>'
_FLASHCARD_BACK = """\
{{FrontSide}}
<hr id=answer>
<div class="qz-back">{{Back}}</div>
{{Extra}}"""


def _models(script_name: str) -> tuple[Any, Any, Any]:
    """The problem, rotating problem and flashcard note types, loading the script ``script_name``."""
    import genanki

    script = {"script": html.escape(script_name)}
    problem = genanki.Model(
        PROBLEM_MODEL_ID,
        "quizgen problem",
        fields=[{"name": f} for f in PROBLEM_FIELDS],
        templates=[
            {
                "name": "Solve",
                "qfmt": _PROBLEM_FRONT,
                "afmt": _PROBLEM_BACK % script,
            }
        ],
        css=_CSS,
    )
    rotating = genanki.Model(
        ROTATING_MODEL_ID,
        "quizgen rotating problem",
        fields=[{"name": f} for f in ROTATING_FIELDS],
        templates=[{"name": "Solve", "qfmt": _ROTATING_FRONT % script, "afmt": _ROTATING_BACK % script}],
        css=_CSS,
    )
    flashcard = genanki.Model(
        FLASHCARD_MODEL_ID,
        "quizgen flashcard",
        fields=[{"name": f} for f in FLASHCARD_FIELDS],
        templates=[{"name": "Recall", "qfmt": _FLASHCARD_FRONT, "afmt": _FLASHCARD_BACK}],
        css=_CSS,
    )
    return problem, rotating, flashcard
