"""Printable worksheets (Markdown and HTML), answer keys, class files and blank answer sheets.

The worksheet shows each problem's prompt and its inputs as the family lays them out (its
``describe``), so what a learner reads on paper is what the checker uses. The HTML pages typeset
each vector or matrix the family labels in MathML, ``label = [ … ]`` on one line where it stands
(browsers draw MathML natively: offline, no script), and show the rest as text that wraps instead
of running off a printed page; each input is shown once. A worksheet never holds an answer (a quiz file has none); an answer key is built
from the problems drawn again from their ids, with the checker's answers and worked solutions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from quizgen.classroom.quiz import Quiz, QuizProblem
from quizgen.core.render import text_html

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quizgen.core.problems import Problem

_CODE_SPAN = re.compile(r"(`[^`]*`)")
_MD_SPECIAL = re.compile(r"([\\*\[\]<>|`]|(?<!\w)_|_(?!\w))")


def _describe(quiz: Quiz, p: QuizProblem) -> str:
    from quizgen.generators import GENERATORS

    return str(GENERATORS[quiz.templates[p.key].family].describe(p.inputs))


def _inputs(quiz: Quiz, p: QuizProblem) -> str:
    """The inputs as the family lays them out, each shown once: vectors and matrices typeset
    under their labels, ``label = [ … ]`` on one line, the rest as text; a value too wide for
    the page stays in the text, which wraps."""
    from quizgen.core.render import input_parts, mathml_typeset
    from quizgen.generators import GENERATORS

    out = ['<div class="inputs">']
    for part in input_parts(GENERATORS[quiz.templates[p.key].family].describe, p.inputs):
        if isinstance(part, str):
            out.append(f"<pre>{html.escape(part)}</pre>")
        elif _typesettable(part.value):
            out.append(f'<div class="math"><math class="input">{mathml_typeset(part)}</math></div>')
        else:
            out.append(f"<pre>{html.escape(part.text)}</pre>")
    return "".join(out) + "</div>"


def _title_of(quiz: Quiz, p: QuizProblem) -> str:
    return quiz.templates[p.key].title or p.concept


def _who(quiz: Quiz) -> str:
    if quiz.student is None:
        return ""
    if quiz.student_name:
        return f"{quiz.student_name} ({quiz.student})"
    return quiz.student


def _tolerance_phrase(quiz: Quiz) -> str:
    """How close a number must be, for the instructions: the quiz's one tolerance, or the strictest."""
    from quizgen.judge import Tolerance

    found = {t.tolerance for t in quiz.templates.values() if t.tolerance is not None} or {(0.005, 0.0005)}
    if len(found) == 1:
        rel, abs_ = found.pop()
        return f"counts as right {Tolerance(rel, abs_).phrase()} of the exact value"
    strictest = min(found)
    return f"counts as right to within {strictest[0] * 100:g}% or more of the exact value, depending on the problem"


def instructions(quiz: Quiz, sheet_name: str) -> list[str]:
    """How to hand in answers, one sentence per item, `code` marked (Markdown and HTML share it)."""
    return [
        f"Write each answer in the answer sheet `{sheet_name}`, after its problem's id, in single quotes.",
        f"Numbers: `0.25`, `1/4`, `2.5e-3` or `sqrt(2)/2`. A number {_tolerance_phrase(quiz)}: "
        "give at least three significant figures.",
        "Vectors: `[0.5, -1, 2]` or `0.5 -1 2`. Matrices: `[[1, 2], [3, 4]]` or `1 2; 3 4`.",
        "Shapes: `(3, 1, 4)`, `3x1x4` or `torch.Size([3, 1, 4])`; `()` for a 0-d tensor; `error` if it raises.",
        "Leave an answer empty (`''`) to skip it. Nothing you write is ever run as code.",
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_text(text: str) -> str:
    """Prompt text for Markdown: code spans kept, Markdown's special characters escaped elsewhere."""
    parts = _CODE_SPAN.split(text)
    return "".join(
        part if len(part) > 1 and part.startswith("`") and part.endswith("`") else _MD_SPECIAL.sub(r"\\\1", part)
        for part in parts
    )


def _fence(text: str) -> str:
    """A fence longer than any run of backticks in the text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def worksheet_markdown(quiz: Quiz, sheet_name: str) -> str:
    """The worksheet as Markdown."""
    out = [f"# {_md_text(quiz.title)}", ""]
    who = _who(quiz)
    out.append(f"**Student:** {_md_text(who)}" if who else "**Name:** ______________________")
    out.append("")
    out.append(f"{len(quiz.problems)} problems · quiz `{quiz.checksum[:19]}`")
    out.append("")
    out.extend(f"- {_md_text(line)}" for line in instructions(quiz, sheet_name))
    out.append("")
    for p in quiz.problems:
        described = _describe(quiz, p)
        fence = _fence(described)
        out.extend(
            [
                f"## {p.number}. {_md_text(_title_of(quiz, p))}",
                "",
                _md_text(quiz.templates[p.key].prompt),
                "",
                f"{fence}text",
                described,
                fence,
                "",
                f"**Answer** ({_md_text(p.expected or 'see the prompt')}): ______________________",
                "",
                f"<sub>problem id `{p.id}`</sub>",
                "",
            ]
        )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# HTML: pages that print


# Everything wraps, at any width and on paper: preformatted inputs break between characters
# rather than run off the page, several matrices sit side by side only while they fit, and a
# problem is not split across pages. Maths is MathML, which browsers draw natively (no script,
# no network); the plain-text inputs stay below it for copying.
_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #111; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #555; }
.problem { border-top: 1px solid #ccc; padding-top: 0.6rem; margin-top: 1.2rem; break-inside: avoid; }
.problem h2 { font-size: 1.1rem; margin: 0 0 0.4rem 0; }
pre { background: #f6f6f6; padding: 0.6rem; font-size: 0.92rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.inputs { background: #f6f6f6; padding: 0.5rem 0.6rem; margin: 0.6rem 0; }
.inputs pre { background: none; padding: 0; margin: 0.2rem 0; }
/* Maths keeps the browser's own MathML layout (display: inline math): a CSS display such as
   inline-block would lay its parts out as boxes, stacking the label, the = and the matrix. */
math { math-style: normal; font-size: 1.05rem; }
.math { margin: 0.35rem 0; }
.answer { margin-top: 0.6rem; }
.answer .line { display: inline-block; min-width: 18rem; border-bottom: 1px solid #333; }
.pid { color: #777; font-size: 0.8rem; overflow-wrap: anywhere; }
.key { border-left: 4px solid #2e9d4a; padding: 0.2rem 0 0.2rem 0.8rem; margin-top: 0.6rem; }
.key table { border-collapse: collapse; }
.key td { padding: 0.15rem 0.5rem 0.15rem 0; vertical-align: middle; }
.key .label { font-style: italic; }
.key .note, .key .tolerance { color: #555; font-size: 0.88rem; }
.key code { overflow-wrap: anywhere; }
.key table.named th, .key table.named td { padding: 0 0.6rem 0 0; text-align: right; }
.key table.named th { font-weight: normal; font-style: italic; color: #555; }
.key table.words td { font-family: ui-monospace, monospace; font-size: 0.85rem; padding: 0 0.6rem 0 0; }
.picture svg { max-width: 100%; height: auto; }
.sheet + .sheet { break-before: page; margin-top: 3rem; }
@media print { body { margin: 0; max-width: none; } pre { background: none; border: 1px solid #ddd; }
  .inputs { background: none; border: 1px solid #ddd; } .inputs pre { border: none; } }
""".strip()


def _page(title: str, articles: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join(head + articles + ["</body>", "</html>"]) + "\n"


def _math(inner: str, display: bool = False) -> str:
    return f'<math display="{"block" if display else "inline"}">{inner}</math>'


_PRINT_CHARS = 56
"""The widest matrix typeset, in characters of its entries and gaps: wider ones would not fit an
A4 column, so they are left to the plain text, which wraps."""


def _typesettable(value: Any) -> bool:
    """Whether a number, vector or matrix is typeset: all entries numbers, and narrow enough."""
    from quizgen.core.render import fmt_scalar, is_scalar

    if is_scalar(value):
        return True
    if not (isinstance(value, list) and value):
        return False
    rows = value if all(isinstance(r, list) and r for r in value) else [value]
    if len({len(r) for r in rows}) != 1 or not all(is_scalar(v) for r in rows for v in r):
        return False
    widths = [max(len(fmt_scalar(r[j])) for r in rows) + 2 for j in range(len(rows[0]))]
    return sum(widths) <= _PRINT_CHARS


def _value(kind: str, value: Any, display: bool = False) -> str:
    """A value for paper: typeset where it fits, else as text that wraps; tables of words as tables."""
    from quizgen.core.render import fmt_inline, fmt_shape, mathml_value

    if kind == "formula" and isinstance(value, dict):
        from quizgen.core.formula import mathml

        return _math(mathml(value))
    if kind == "shape" and (value == "error" or (isinstance(value, list) and all(type(v) is int for v in value))):
        return f"<code>{html.escape('error (torch raises)' if value == 'error' else fmt_shape(value))}</code>"
    if _typesettable(value):
        return _math(mathml_value(value), display)
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value) and len({len(r) for r in value}) == 1:
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(fmt_inline(v))}</td>" for v in r) + "</tr>" for r in value)
        return f'<table class="words">{cells}</table>'
    return f"<code>{html.escape(fmt_inline(value))}</code>"


def _key_value(kind: str, value: Any) -> str:
    """A key for paper: the value typeset, with the form a student would type beside it (vectors,
    matrices, formulas), or only that form where the value is too wide to typeset."""
    from quizgen.judge import format_value

    shown = _value(kind, value, display=kind == "matrix")
    typed = f"<code>{html.escape(format_value(kind, value))}</code>"
    if shown.startswith("<code>") and kind != "shape":
        return typed
    return shown + " " + typed if kind in ("vector", "matrix", "formula") else shown


def _key_html(problem: Problem) -> list[str]:
    """The answer, the worked steps, the picture and the named mistakes of one problem."""
    from quizgen.core.problems import rounded
    from quizgen.core.render import named_step_html, step_label

    kind = problem.answer.kind
    tolerance = (
        "compared exactly" if kind == "shape"
        else "any equivalent formula" if kind == "formula"
        else f"right {problem.tolerance.phrase()}"
    )
    out = ['<div class="key">', f'<p><b>Answer:</b> {_key_value(kind, rounded(problem.answer.value))} '
           f'<span class="tolerance">({html.escape(tolerance)})</span></p>']
    if problem.steps:
        out.append("<table>")
        for step in problem.steps:
            note = "; ".join(x for x in (("shape " + "×".join(map(str, step.shape))) if step.shape and not step.rows else "", step.note) if x)
            value = named_step_html(step) or _value(kind, rounded(step.value))
            out.append(
                f'<tr><td class="label">{html.escape(step_label(step))}</td><td>{value}</td>'
                f'<td class="note">{html.escape(note)}</td></tr>'
            )
        out.append("</table>")
    if problem.figure is not None:
        from quizgen.core.pictures import svg

        out.append(f'<div class="picture">{svg(problem.figure)}</div>')
    if problem.misconceptions:
        from quizgen.core.render import mistake_items

        out.append(f"<p><b>Known mistakes</b></p><ul>{mistake_items(problem.misconceptions, lambda v: _value(kind, rounded(v)))}</ul>")
    out.append("</div>")
    return out


def _sheet(quiz: Quiz, sheet_name: str, problems: Sequence[Problem] | None) -> str:
    """One student's worksheet (or answer key, given the built problems) as an ``<article>``."""
    who = _who(quiz)
    name = "Student: " + html.escape(who) if who else "Name: ______________________"
    out = [
        '<article class="sheet">',
        f"<h1>{html.escape(quiz.title)}{' — answer key' if problems is not None else ''}</h1>",
        f'<p class="meta">{name} · {len(quiz.problems)} problems · quiz <code>{html.escape(quiz.checksum[:19])}</code></p>',
    ]
    if problems is None:
        out += ["<ul>", *(f"<li>{text_html(line)}</li>" for line in instructions(quiz, sheet_name)), "</ul>"]
    for i, p in enumerate(quiz.problems):
        out.append('<section class="problem">')
        out.append(f"<h2>{p.number}. {html.escape(_title_of(quiz, p))}</h2>")
        out.append(f"<p>{text_html(quiz.templates[p.key].prompt)}</p>")
        out.append(_inputs(quiz, p))
        if problems is None:
            expected = html.escape(p.expected or "see the prompt")
            out.append(f'<p class="answer"><b>Answer</b> ({expected}): <span class="line">&nbsp;</span></p>')
        else:
            out += _key_html(problems[i])
        out.append(f'<p class="pid">problem id <code>{html.escape(p.id)}</code></p>')
        out.append("</section>")
    out.append("</article>")
    return "\n".join(out)


def worksheet_html(quiz: Quiz, sheet_name: str) -> str:
    """The worksheet as a standalone HTML page that prints (MathML, no script, no network)."""
    return _page(quiz.title, [_sheet(quiz, sheet_name, None)])


def key_html(quiz: Quiz, problems: Sequence[Problem]) -> str:
    """The answer key: the worksheet with each problem's answer, worked steps, picture and named
    mistakes (``problems`` are the quiz's problems, built again from their ids)."""
    return _page(f"{quiz.title} — answer key", [_sheet(quiz, "", problems)])


def class_html(title: str, sheets: Sequence[tuple[Quiz, str, Sequence[Problem] | None]]) -> str:
    """Every student's worksheet (or key) in one printable document, a page break between them."""
    return _page(title, [_sheet(q, name, problems) for q, name, problems in sheets])


# ---------------------------------------------------------------------------------------------
# Answer sheet


def _yaml_comment(text: str) -> str:
    return " ".join(text.split())


def answer_sheet(quiz: Quiz) -> str:
    """A blank answer sheet in YAML: the quiz's checksum, the student, and one line per problem id."""
    who = _who(quiz)
    lines = [
        f"# Answer sheet: {_yaml_comment(quiz.title)}",
        f"# Student: {_yaml_comment(who)}" if who else "# Write your student id after 'student:' below.",
        "# Write each answer after its problem id, in single quotes, e.g. '0.25', '1/4',",
        "# '[0.5, -1, 2]', '[[1, 2], [3, 4]]', '(3, 1, 4)' or 'error'. Leave '' to skip a problem.",
        "# How answers are read: docs/answers.md in quizgen.",
        f"quiz: '{quiz.checksum}'",
        f"student: '{quiz.student or ''}'",
        "answers:",
    ]
    for p in quiz.problems:
        lines.append(f"  # {p.number}. {_yaml_comment(_title_of(quiz, p))} · {p.template} — {_yaml_comment(p.expected)}")
        lines.append(f"  {p.id}: ''")
    return "\n".join(lines) + "\n"


__all__ = ["answer_sheet", "class_html", "instructions", "key_html", "worksheet_html", "worksheet_markdown"]
