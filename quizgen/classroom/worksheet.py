"""Printable worksheets (Markdown and HTML), answer keys, class files and blank answer sheets.

The worksheet shows each problem's prompt and its inputs as the family lays them out (its
``describe``), so what a learner reads on paper is what the checker uses. The HTML pages typeset
each vector or matrix the family labels in MathML, ``label = [ … ]`` on one line where it stands
(browsers draw MathML natively: offline, no script), and show the rest as text that wraps instead
of running off a printed page; each input is shown once. Each problem ends in an answer space
shaped like its answer (``answer_space``): a grid of rows × columns boxes for a matrix, a row of
boxes for a vector, boxes for a shape's dimensions, a line for a number. A worksheet says nothing
about files: how to type answers into the answer sheet is written in the answer sheet itself and
on the teacher's key.

A worksheet never holds an answer (a quiz file has none); an answer key is built from the
problems drawn again from their ids: a table of every answer first, then the worked solutions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from quizgen.classroom.quiz import Quiz, QuizProblem
from quizgen.core.render import lines_css, shape_note, text_html

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quizgen.core.problems import Problem

_CODE_SPAN = re.compile(r"(`[^`]*`)")
_MD_SPECIAL = re.compile(r"([\\*\[\]<>|`&#~!]|(?<!\w)_|_(?!\w)|^[-+=]|(?<=^\d)[.)]|(?<=^\d\d)[.)])")
"""Characters Markdown would read as markup (``&`` starts an entity, ``<`` raw HTML; ``-``, ``+``,
``=`` or ``1.`` at the start of a line a list or a heading): escaped with a backslash."""


def _describe(quiz: Quiz, p: QuizProblem) -> str:
    from quizgen.core.problems import describe_inputs

    return describe_inputs(quiz.templates[p.key].family, p.inputs)


def _inputs(quiz: Quiz, p: QuizProblem) -> str:
    """The inputs as the family lays them out, each shown once: vectors and matrices typeset
    under their labels, ``label = [ … ]`` on one line, the rest as text; a value too wide for
    the page stays in the text, which wraps."""
    from quizgen.core.problems import describer
    from quizgen.core.render import input_parts, lines_html, mathml_typeset

    out, maths = ['<div class="inputs">'], []
    for part in input_parts(describer(quiz.templates[p.key].family), p.inputs):
        if not isinstance(part, str) and _typesettable(part.value):
            # Each formula in its own box (a <span>: <math> itself keeps MathML's layout), so
            # matrices in a row sit side by side while they fit and never break inside.
            maths.append(f'<span class="formula"><math class="input">{mathml_typeset(part)}</math></span>')
            continue
        if maths:
            out.append('<div class="math">' + "".join(maths) + "</div>")
            maths = []
        out.append(lines_html(part if isinstance(part, str) else part.text, "ws-"))
    if maths:
        out.append('<div class="math">' + "".join(maths) + "</div>")
    return "".join(out) + "</div>"


def _title_of(quiz: Quiz, p: QuizProblem) -> str:
    return quiz.templates[p.key].title or p.concept


def _who(quiz: Quiz) -> str:
    if quiz.student is None:
        return ""
    if quiz.student_name:
        return f"{quiz.student_name} ({quiz.student})"
    return quiz.student


def _number_rules(quiz: Quiz) -> tuple[list[str], bool]:
    """How close the quiz's numbers must be, each tolerance in words (numbers, vectors and
    matrices that are not counts), and whether an answer is a count (exact, a whole number: its
    tolerance is not for rounding, and "three significant figures" of 657,925 is wrong)."""
    from quizgen.core.problems import expected
    from quizgen.judge import Tolerance

    found, counts = set(), False
    for p in quiz.problems:
        template = quiz.templates.get(p.key)
        if template is None:
            continue
        try:
            answer = expected(template.family, p.inputs)
        except (KeyError, TypeError, ValueError, IndexError):  # inputs of a hand-edited quiz file
            answer = None
        if answer is not None and answer.kind == "number" and answer.whole:
            counts = True
        elif answer is None or answer.kind in ("number", "vector", "matrix"):
            found.add(template.tolerance or (0.005, 0.0005))
    return list(dict.fromkeys(Tolerance(rel, abs_).phrase() for rel, abs_ in sorted(found))), counts


def _tolerance_sentence(phrases: list[str], counts: bool) -> str:
    """The instructions' sentence on numbers: their tolerance and figures, and counts."""
    count = "A count is exact: give it as a whole number."
    if not phrases:
        return count if counts else ""
    depends = ", depending on the problem" if len(phrases) > 1 else ""
    said = f"A number counts as right {', or '.join(phrases)} of the exact value{depends}: give at least three significant figures."
    return f"{said} {count}" if counts else said


def paper_advice(quiz: Quiz) -> str:
    """The one line a printed worksheet says about answers: how close a number must be."""
    phrases, counts = _number_rules(quiz)
    if len(phrases) > 1:
        return "Give each number to at least three significant figures" + (", and a count exactly, as a whole number." if counts else ".")
    return _tolerance_sentence(phrases, counts)


def answer_layout(quiz: Quiz, p: QuizProblem) -> tuple[str, int, int]:
    """The answer's kind and its rows and columns (a vector is one row; a number, a shape or a
    formula 1 × 1), from the family's statement of what these inputs ask for (no value)."""
    from quizgen.core.problems import expected

    try:
        answer = expected(quiz.templates[p.key].family, p.inputs)
    except (KeyError, TypeError, ValueError, IndexError):  # inputs of a hand-edited quiz file
        return "number", 1, 1
    if answer.kind == "vector" and isinstance(answer.value, list):
        return "vector", 1, len(answer.value)
    if answer.kind == "matrix" and isinstance(answer.value, list) and answer.value:
        return "matrix", len(answer.value), len(answer.value[0])
    return answer.kind, 1, 1


def instructions(quiz: Quiz, sheet_name: str | None) -> list[str]:
    """How to type answers into the answer sheet, one sentence per item, `code` marked: on the
    teacher's key, and (``sheet_name`` None: "this file") as the answer sheet's own comments."""
    where = "in this file" if sheet_name is None else f"in the answer sheet `{sheet_name}`"
    return [
        f"Write each answer {where}, after its problem's number, in single quotes.",
        " ".join(["Numbers: `0.25`, `1/4`, `2.5e-3` or `sqrt(2)/2`.", _tolerance_sentence(*_number_rules(quiz))]).strip(),
        "Vectors: `[0.5, -1, 2]` or `0.5 -1 2`. Matrices: `[[1, 2], [3, 4]]` or `1 2; 3 4`.",
        "Shapes: `(3, 1, 4)`, `3x1x4` or `torch.Size([3, 1, 4])`; `()` for a 0-d tensor; `error` if it raises.",
        "Leave an answer empty (`''`) to skip it. Nothing you write is ever run as code.",
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_text(text: str) -> str:
    """Text for one line of Markdown: whitespace (newlines above all) made single spaces, so no
    text starts a block of its own (raw HTML, a heading, a list) or lets a code span run across
    a blank line; code spans kept; Markdown's special characters escaped elsewhere."""
    parts = _CODE_SPAN.split(" ".join(text.split()))
    return "".join(
        part if len(part) > 1 and part.startswith("`") and part.endswith("`") else _MD_SPECIAL.sub(r"\\\1", part)
        for part in parts
    )


def _fence(text: str) -> str:
    """A fence longer than any run of backticks in the text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _answer_markdown(quiz: Quiz, p: QuizProblem) -> list[str]:
    """The answer space in Markdown: a line, or a table with a blank cell per entry."""
    kind, rows, cols = answer_layout(quiz, p)
    head = f"**Answer** ({_md_text(p.expected or 'see the prompt')}):"
    if kind in ("vector", "matrix"):
        table = ["|   | " + " | ".join(str(j + 1) for j in range(cols)) + " |", "|---" * (cols + 1) + "|"]
        table += [f"| {i + 1} |" + "   |" * cols for i in range(rows)]
        return [head, "", *table]
    if kind == "shape":
        return [head + " ( " + " , ".join(["____"] * SHAPE_BOXES) + " )  or  ☐ no dimensions: ()  ☐ error"]
    return [head + " ______________________"]


def worksheet_markdown(quiz: Quiz) -> str:
    """The worksheet as Markdown."""
    out = [f"# {_md_text(quiz.title)}", ""]
    who = _who(quiz)
    out.append(f"**Student:** {_md_text(who)}" if who else "**Name:** ______________________")
    out.append("")
    advice = paper_advice(quiz)
    out.append(f"{len(quiz.problems)} problems · quiz `{quiz.checksum[:19]}`" + (f" · {_md_text(advice)}" if advice else ""))
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
                *_answer_markdown(quiz, p),
                "",
            ]
        )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# HTML: pages that print


# Everything wraps, at any width and on paper: preformatted inputs break between characters
# rather than run off the page, a matrix is typeset only while it fits, and a problem is not
# split across pages. Maths is MathML, which browsers draw natively (no script, no network).
_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #111; }
h1 { margin-bottom: 0.2rem; }
h1, .meta { overflow-wrap: anywhere; }  /* a title or student name without spaces wraps, not off the page */
.meta { color: #555; }
.problem { border-top: 1px solid #ccc; padding-top: 0.6rem; margin-top: 1.2rem; break-inside: avoid; }
.problem h2 { font-size: 1.1rem; margin: 0 0 0.4rem 0; }
pre { background: #f6f6f6; padding: 0.6rem; font-size: 0.92rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.inputs { background: #f6f6f6; padding: 0.5rem 0.6rem; margin: 0.6rem 0; }
.inputs pre { background: none; padding: 0; margin: 0.2rem 0; }
/* Text inputs a line at a time: a long line wraps under its own start, and a code comment that
   does not fit beside its code stands above it (wrapped beside it, it read as code). */
.ws-lines { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92rem; margin: 0.2rem 0; }
/* LINES */
/* Maths keeps the browser's own MathML layout (display: inline math): a CSS display such as
   inline-block would lay its parts out as boxes, stacking the label, the = and the matrix. */
math { math-style: normal; }
.math { margin: 0.3rem 0; }
.math .formula { display: inline-block; margin: 0.15rem 1.6rem 0.15rem 0; max-width: 100%; }
.advice { color: #333; font-size: 0.9rem; }
.answer { margin-top: 0.6rem; }
.answer .label { font-weight: bold; }
.answer .expected { color: #555; font-size: 0.88rem; }
.answer .line { display: inline-block; width: 16rem; max-width: 100%; border-bottom: 1px solid #333; }
.answer .line.long { width: 32rem; }
.bracketed { display: flex; width: max-content; max-width: 100%; align-items: stretch; margin-top: 0.4rem; }
.bracketed::before, .bracketed::after { content: ""; width: 0.35rem; border: 2px solid #333; }
.bracketed::before { border-right: none; }
.bracketed::after { border-left: none; }
.grid { border-collapse: separate; border-spacing: 0.3rem; }
.grid td { height: 2.2rem; border: 1px solid #666; padding: 0; }
.shape { margin-top: 0.4rem; }
.shape .box { display: inline-block; width: 3rem; height: 2rem; border: 1px solid #666; vertical-align: middle; }
.shape .tick { display: inline-block; width: 1rem; height: 1rem; border: 1px solid #666; vertical-align: middle; }
.shape .choice { white-space: nowrap; margin-left: 0.8rem; }
.hint { color: #666; font-size: 0.8rem; }
table.answers { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.answers th, table.answers td { border-bottom: 1px solid #ddd; padding: 0.15rem 0.6rem 0.15rem 0; text-align: left; vertical-align: top; }
table.answers td.id { font-family: ui-monospace, monospace; font-size: 0.78rem; overflow-wrap: anywhere; }
table.answers code { overflow-wrap: anywhere; }
.handing-in { break-after: page; font-size: 0.85rem; color: #333; }
h2.solutions { margin-top: 1.5rem; }
.solution { font-size: 0.85rem; line-height: 1.35; margin-top: 0.6rem; padding-top: 0.3rem; break-inside: auto; }
.solution .picture, .solution table, .solution li { break-inside: avoid; }  /* a key stays compact, but never splits a table, a picture or a mistake */
.solution .opening { break-inside: avoid; }  /* heading, prompt, inputs and the answer: never apart */
.solution .opening, .solution p.known { break-after: avoid; }
.solution h2 { font-size: 1rem; }
.solution pre { font-size: 0.8rem; padding: 0.3rem; margin: 0.3rem 0; }
.solution .picture svg { max-width: 45%; max-height: 12rem; }
.solution .inputs { padding: 0.3rem 0.5rem; margin: 0.3rem 0; }
.solution .math { margin: 0.1rem 0; }
.solution p, .solution ul { margin: 0.25rem 0; }
.solution ul { padding-left: 1.2rem; }
.solution p.answer { border-left: 4px solid #2e9d4a; padding: 0.2rem 0 0.2rem 0.8rem; margin: 0.3rem 0 0; }
.solution .key { margin-top: 0; }
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
.print-note { font-size: 0.85rem; color: #333; background: #fff8e0; border: 1px solid #e6d48a; padding: 0.4rem 0.6rem; }
/* A phone: a formula or a table wider than the screen scrolls in its own box (MathML does not
   wrap), so nothing is cut off and the page itself never scrolls sideways. */
@media screen and (max-width: 40rem) {
  .math .formula, .key table, .solution table { display: inline-block; overflow-x: auto; max-width: 100%; vertical-align: top; } }
@media print { body { margin: 0; max-width: none; } .print-note { display: none; } pre { background: none; border: 1px solid #ddd; }
  .inputs { background: none; border: 1px solid #ddd; } .inputs pre { border: none; }
  table.answers { font-size: 0.82rem; } table.answers td.id { font-size: 0.7rem; } }
""".strip().replace("/* LINES */\n", lines_css("ws-", scroll=False))


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
    """A key for paper: the value typeset on the answer's line, or the form a student would type
    where it is too wide to typeset (the table of answers on the key's first page has that form)."""
    from quizgen.judge import format_value

    shown = _value(kind, value)
    if shown.startswith("<code>") and kind != "shape":
        return f"<code>{html.escape(format_value(kind, value))}</code>"
    return shown


def _answer_line(problem: Problem, number: int) -> str:
    """"Answer to 2: …" with how it is compared: printed with the problem's heading and inputs."""
    from quizgen.core.problems import rounded

    kind = problem.answer.kind
    tolerance = (
        "compared exactly" if kind == "shape"
        else "any equivalent formula" if kind == "formula"
        else "a whole number, exactly" if problem.answer.whole
        else f"right {problem.tolerance.phrase()}"
    )
    return (f'<p class="answer"><b>Answer to {number}:</b> {_key_value(kind, rounded(problem.answer.value))} '
            f'<span class="tolerance">({html.escape(tolerance)})</span></p>')


def _key_html(problem: Problem) -> list[str]:
    """The worked steps, the picture and the named mistakes of one problem."""
    from quizgen.core.problems import rounded
    from quizgen.core.render import named_step_html, step_label

    kind = problem.answer.kind
    out = ['<div class="key">']
    if problem.steps:
        out.append("<table>")
        for step in problem.steps:
            note = "; ".join(x for x in (shape_note(step.shape) if step.shape and not step.rows else "", step.note) if x)
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

        out.append(f"<p class='known'><b>Known mistakes</b></p><ul>{mistake_items(problem.misconceptions, lambda v: _value(kind, rounded(v)))}</ul>")
    out.append("</div>")
    return out


def _box_width(n: int) -> float:
    """Width in rem of a box of a row of ``n``: room for a handwritten -0.1234 when it fits."""
    return round(min(5.0, 38.0 / max(n, 1)), 2)


SHAPE_BOXES = 8
"""Boxes for a shape's dimensions, the same for every shape problem (so they do not tell the
rank): squeeze-unsqueeze chains reach rank 6 or 7, and nothing shipped goes beyond 8."""


def answer_space(quiz: Quiz, p: QuizProblem) -> str:
    """The answer space of a problem on paper, shaped like its answer: a grid of rows × columns
    boxes between brackets for a matrix (one row for a vector), ``SHAPE_BOXES`` boxes for a shape's
    dimensions and boxes to tick for ``()`` and ``error``, a line for a number, a long line for a
    formula."""
    kind, rows, cols = answer_layout(quiz, p)
    head = f'<span class="label">Answer</span> <span class="expected">({html.escape(p.expected or "see the prompt")})</span>'
    if kind in ("vector", "matrix"):
        width = _box_width(cols)
        cells = "".join("<tr>" + f'<td style="width:{width}rem"></td>' * cols + "</tr>" for _ in range(rows))
        grid = f'<table class="grid" data-rows="{rows}" data-cols="{cols}">{cells}</table>'
        return f'<div class="answer">{head}<div class="bracketed">{grid}</div></div>'
    if kind == "shape":
        boxes = ", ".join('<span class="box"></span>' for _ in range(SHAPE_BOXES))
        # A 0-d result, torch.Size([]), has no box to fill: left blank it would read as no answer.
        ticks = ('<span class="choice"><span class="tick"></span> no dimensions: () (a 0-d tensor)</span>'
                 '<span class="choice"><span class="tick"></span> error (torch raises)</span>')
        return (f'<div class="answer">{head}<div class="shape">( {boxes} )</div><div class="shape or">or {ticks}</div>'
                '<div class="hint">one dimension per box, from the left; leave the boxes you do not need empty</div></div>')
    line = "line long" if kind == "formula" else "line"
    return f'<div class="answer">{head} <span class="{line}">&nbsp;</span></div>'


def _problem_html(quiz: Quiz, p: QuizProblem, solution: bool = False) -> list[str]:
    """A problem as the worksheet prints it: title, prompt, inputs."""
    out = [f"<h2>{p.number}. {html.escape(_title_of(quiz, p))}</h2>", f"<p>{text_html(quiz.templates[p.key].prompt)}</p>"]
    if solution:  # the key's solutions: the id beside the title, where a teacher looks for it
        out[0] = f'<h2>{p.number}. {html.escape(_title_of(quiz, p))} <span class="pid">{html.escape(p.id)}</span></h2>'
    out.append(_inputs(quiz, p))
    return out


def _header(quiz: Quiz, what: str, key: bool = False) -> list[str]:
    who = _who(quiz)
    # A student writes a name on a worksheet; a key for the whole class has no one's to write.
    name = "Student: " + html.escape(who) + " · " if who else "" if key else "Name: ______________________ · "
    return [
        f"<h1>{html.escape(quiz.title)}{what}</h1>",
        f'<p class="meta">{name}{len(quiz.problems)} problems · quiz <code>{html.escape(quiz.checksum[:19])}</code></p>',
    ]


def _worksheet_article(quiz: Quiz) -> str:
    """One student's worksheet as an ``<article>``: problems with answer spaces, nothing about files."""
    advice = paper_advice(quiz)
    out = ['<article class="sheet">', *_header(quiz, ""), *([f'<p class="advice">{html.escape(advice)}</p>'] if advice else [])]
    for p in quiz.problems:
        out += ['<section class="problem">', *_problem_html(quiz, p), answer_space(quiz, p), "</section>"]
    out.append("</article>")
    return "\n".join(out)


def _answer_cell(problem: Problem) -> str:
    """The key in the table of answers: as a student types it (a formula typeset too)."""
    from quizgen.core.problems import rounded
    from quizgen.judge import format_value

    kind, value = problem.answer.kind, rounded(problem.answer.value)
    typed = f"<code>{html.escape(format_value(kind, value))}</code>"
    return _value(kind, value) + " " + typed if kind == "formula" else typed


def _key_article(quiz: Quiz, problems: Sequence[Problem], sheet_name: str) -> str:
    """One student's answer key as an ``<article>``: a table of every answer (a page), how
    students type answers into their answer sheet, then each problem's worked solution."""
    out = ['<article class="sheet key-sheet">', *_header(quiz, " — answer key", key=True)]
    out.append('<table class="answers"><thead><tr><th>#</th><th>problem id</th><th>answer</th></tr></thead><tbody>')
    out += [
        f'<tr><td>{p.number}</td><td class="id">{html.escape(p.id)}</td><td>{_answer_cell(problem)}</td></tr>'
        for p, problem in zip(quiz.problems, problems)
    ]
    out.append("</tbody></table>")
    out.append(f'<div class="handing-in"><p><b>Answer sheet</b> <code>{html.escape(sheet_name)}</code>: what students are told</p><ul>')
    out += [f"<li>{text_html(line)}</li>" for line in instructions(quiz, sheet_name)]
    out.append("</ul></div>")
    out.append('<h2 class="solutions">Worked solutions</h2>')
    for p, problem in zip(quiz.problems, problems):
        # The heading, prompt, inputs and answer stay on one page; the steps may run onto the next.
        out += ['<section class="problem solution">', '<div class="opening">', *_problem_html(quiz, p, True),
                _answer_line(problem, p.number), "</div>", *_key_html(problem), "</section>"]
    out.append("</article>")
    return "\n".join(out)


def worksheet_html(quiz: Quiz) -> str:
    """The worksheet as a standalone HTML page that prints (MathML, no script, no network)."""
    return _page(quiz.title, [_worksheet_article(quiz)])


def key_html(quiz: Quiz, problems: Sequence[Problem], sheet_name: str = "answers.yaml") -> str:
    """The answer key: a table of answers, then each problem's answer, worked steps, picture and
    named mistakes (``problems`` are the quiz's problems, built again from their ids)."""
    return _page(f"{quiz.title} — answer key", [_key_article(quiz, problems, sheet_name)])


def class_html(title: str, sheets: Sequence[tuple[Quiz, str, Sequence[Problem] | None]]) -> str:
    """Every student's worksheet (or key, given the problems) in one printable document, a page
    break between them. On screen only, a note above them says how to print it double-sided."""
    note = (
        '<p class="print-note">Each student starts on a new page, but not on a new sheet: printed '
        "double-sided, a student whose pages are odd in number shares a sheet with the next one. "
        "Print this file single-sided, or print each student's own file. (This note is not printed.)</p>"
    )
    return _page(title, [note] + [_worksheet_article(q) if problems is None else _key_article(q, problems, name)
                                  for q, name, problems in sheets])


# ---------------------------------------------------------------------------------------------
# Answer sheet


def _yaml_comment(text: str) -> str:
    return " ".join(text.split())


def answer_sheet(quiz: Quiz) -> str:
    """A blank answer sheet in YAML: the quiz's checksum, the student, and one line per problem
    number. Never a problem id: an id draws its problem again, answer included, with quizgen."""
    who = _who(quiz)
    lines = [
        f"# Answer sheet: {_yaml_comment(quiz.title)}",
        f"# Student: {_yaml_comment(who)}" if who else "# Write your student id after 'student:' below.",
        *(f"# - {_yaml_comment(line.replace('`', ''))}" for line in instructions(quiz, None)),
        "# How answers are read: docs/answers.md in quizgen.",
        f"quiz: '{quiz.checksum}'",
        f"student: '{quiz.student or ''}'",
        "answers:",
    ]
    for p in quiz.problems:
        lines.append(f"  # {p.number}. {_yaml_comment(_title_of(quiz, p))} · {p.template} — {_yaml_comment(p.expected)}")
        lines.append(f"  {p.number}: ''")
    return "\n".join(lines) + "\n"


__all__ = ["answer_sheet", "class_html", "instructions", "key_html", "worksheet_html", "worksheet_markdown"]
