"""Printable worksheets (Markdown and HTML) and blank answer sheets for a quiz.

The worksheet shows each problem's prompt and its inputs exactly as the terminal does (the family's
``describe``), so what a learner reads on paper is what the checker uses. The HTML page loads
MathJax to typeset the numeric matrices among the inputs; the plain-text inputs stay underneath,
ready to copy. Nothing here needs torch, and no answer is ever written: a quiz file has none.
"""

from __future__ import annotations

import html
import re

from quizgen.classroom.quiz import Quiz, QuizProblem
from quizgen.core.render import tex_matrices, text_html

MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"
"""The MathJax build the HTML worksheet loads from a CDN to typeset the numeric matrices."""

_CODE_SPAN = re.compile(r"(`[^`]*`)")
_MD_SPECIAL = re.compile(r"([\\*\[\]<>|`]|(?<!\w)_|_(?!\w))")


def _describe(quiz: Quiz, p: QuizProblem) -> str:
    from quizgen.generators import GENERATORS

    return str(GENERATORS[quiz.templates[p.key].family].describe(p.inputs))


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
# HTML


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #111; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #555; }
.problem { border-top: 1px solid #ccc; padding-top: 0.6rem; margin-top: 1.2rem; break-inside: avoid; }
.problem h2 { font-size: 1.1rem; margin: 0 0 0.4rem 0; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; font-size: 0.92rem; }
.tex { margin: 0.4rem 0; overflow-x: auto; }
.answer { margin-top: 0.6rem; }
.answer .line { display: inline-block; min-width: 18rem; border-bottom: 1px solid #333; }
.pid { color: #777; font-size: 0.8rem; }
@media print { body { margin: 0; max-width: none; } pre { background: none; border: 1px solid #ddd; } }
""".strip()


def worksheet_html(quiz: Quiz, sheet_name: str) -> str:
    """The worksheet as a standalone HTML page (MathJax from a CDN typesets the matrices)."""
    who = _who(quiz)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(quiz.title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "<script>window.MathJax = { tex: { inlineMath: [['\\\\(', '\\\\)']], displayMath: [['\\\\[', '\\\\]']] } };</script>",
        f'<script defer src="{MATHJAX}"></script>',
        "</head>",
        "<body>",
        f"<h1>{html.escape(quiz.title)}</h1>",
        f'<p class="meta">{"Student: " + html.escape(who) if who else "Name: ______________________"}'
        f" · {len(quiz.problems)} problems · quiz <code>{html.escape(quiz.checksum[:19])}</code></p>",
        "<ul>",
        *(f"<li>{text_html(line)}</li>" for line in instructions(quiz, sheet_name)),
        "</ul>",
    ]
    body = []
    for p in quiz.problems:
        tex = tex_matrices(p.inputs)
        body.append('<section class="problem">')
        body.append(f"<h2>{p.number}. {html.escape(_title_of(quiz, p))}</h2>")
        body.append(f"<p>{text_html(quiz.templates[p.key].prompt)}</p>")
        if tex:
            body.append('<div class="tex">' + " \\quad ".join(f"\\({t}\\)" for t in tex) + "</div>")
        body.append(f"<pre>{html.escape(_describe(quiz, p))}</pre>")
        expected = html.escape(p.expected or "see the prompt")
        body.append(f'<p class="answer"><b>Answer</b> ({expected}): <span class="line">&nbsp;</span></p>')
        body.append(f'<p class="pid">problem id <code>{html.escape(p.id)}</code></p>')
        body.append("</section>")
    return "\n".join(head + body + ["</body>", "</html>"]) + "\n"


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


__all__ = ["answer_sheet", "instructions", "tex_matrices", "worksheet_html", "worksheet_markdown"]
