"""The one renderer of values, worked steps and problems: plain text and TeX (no torch here).

The command line, the drill, grade reports, worksheets and cards all show values through these
functions; cards and worksheets take matrices from the inputs, never by reading text back.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import Any


def format_matrix(name: str, rows: Sequence[Sequence[Any]]) -> str:
    """A matrix as aligned rows under its name, each column right-aligned to its widest entry.

    >>> print(format_matrix("Q", [[1, -2], [10, 0]]))
    Q = [[ 1, -2],
         [10,  0]]
    """
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))] if cells else []
    lines = ["[" + ", ".join(c.rjust(widths[j]) for j, c in enumerate(row)) + "]" for row in cells]
    return f"{name} = [" + (",\n" + " " * (len(name) + 4)).join(lines) + "]"


def fmt_scalar(value: Any) -> str:
    """One entry: floats to 6 significant figures, whole floats without a point, text as is."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # a count, exactly
        return f"{value:.6g}"
    return str(value)


def fmt_inline(value: Any) -> str:
    """A value on one line: ``[1, 0.5]``, ``[[1, 2], [3, 4]]``."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_inline(v)}" for k, v in value.items()) + "}"
    return fmt_scalar(value)


def fmt_shape(shape: Sequence[int]) -> str:
    """A shape in torch's notation: ``torch.Size([3, 1, 4])``."""
    return "torch.Size([" + ", ".join(str(int(s)) for s in shape) + "])"


def mistake_items(misconceptions: Sequence[Any], show: Any) -> str:
    """Named mistakes as HTML list items: the name, the value it gives (``show(value)``, already
    HTML) and why it is wrong. Cards, answer keys and LMS feedback list them alike."""
    return "".join(
        f"<li><b>{html.escape(m.name, quote=False)}</b> gives {show(m.value)}. {text_html(m.description)}</li>"
        for m in misconceptions
    )


_BACKTICKS = re.compile(r"`([^`\n]+)`")


def text_html(text: str) -> str:
    """Plain text as HTML (cards, worksheets): escaped, `code` spans as <code>, line breaks kept."""
    out = html.escape(text, quote=False)
    if "`" in out:
        out = _BACKTICKS.sub(r"<code>\1</code>", out)
    return out.replace("\n", "<br>")


def step_text(step: Any) -> str:
    """One line of a worked solution: ``label = value  shape (2, 3)  (note)``."""
    shape = f"  shape {tuple(step.shape)}" if step.shape is not None else ""
    note = f"  ({step.note})" if step.note else ""
    return f"{step.label} = {fmt_inline(step.value)}{shape}{note}"


def problem_text(problem: Any, index: int, total: int, title: str) -> str:
    """A whole problem as ``quizgen generate`` prints it: inputs, answer, steps, named mistakes."""
    from quizgen.judge import describe_expected, format_value

    kind = problem.answer.kind
    lines = [
        f"--- {index}/{total}  {problem.id}",
        f"{title} · {problem.template} (difficulty {problem.difficulty})",
        "",
        problem.prompt,
        "",
        problem.describe_inputs(),
        "",
        f"Answer ({describe_expected(problem.answer)}): {format_value(kind, problem.answer.value)}",
    ]
    if problem.steps:
        lines.append("Worked solution:")
        lines.extend("  " + step_text(step) for step in problem.steps)
    if problem.misconceptions:
        lines.append("Named mistakes:")
        lines.extend(f"  {m.name}: {format_value(kind, m.value)} — {m.description}" for m in problem.misconceptions)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# TeX, for MathJax on worksheets and cards

MAX_TEX_SIZE = 12
"""Matrices with more rows or columns than this are only shown as text."""

_NON_FINITE_TEX = {"-inf": r"-\infty", "inf": r"\infty", "nan": r"\text{nan}"}


def tex_number(x: Any) -> str:
    """A number in TeX: integers exactly, floats to 6 significant figures, ``\\infty``.

    >>> tex_number(2.5e-07), tex_number(3.0), tex_number("-inf")
    ('2.5 \\\\times 10^{-7}', '3', '-\\\\infty')
    """
    if isinstance(x, str):
        return _NON_FINITE_TEX.get(x, r"\text{nan}")
    if isinstance(x, float):
        if x != x:
            return r"\text{nan}"
        if x in (math.inf, -math.inf):
            return r"\infty" if x > 0 else r"-\infty"
        text = f"{x:.6g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return mantissa + r" \times 10^{" + str(int(exponent)) + "}"
        return text
    return str(int(x))


def tex_bmatrix(rows: Sequence[Sequence[Any]]) -> str:
    """Rows of numbers as a TeX ``bmatrix`` (escape ``&`` before putting it in HTML)."""
    body = r" \\ ".join(" & ".join(tex_number(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _tex_name(name: str) -> str:
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return r"\text{" + re.sub(r"([_#$%&{}])", r"\\\1", name) + "}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def numeric_matrices(inputs: Any) -> list[tuple[str, list[list[Any]]]]:
    """Every numeric matrix among a problem's inputs, by name, taken from the inputs themselves
    (matrices past ``MAX_TEX_SIZE`` rows or columns are left to the text)."""
    if not isinstance(inputs, dict):
        return []
    out = []
    for name, value in inputs.items():
        if not (isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)):
            continue
        width = len(value[0])
        if len(value) > MAX_TEX_SIZE or width > MAX_TEX_SIZE:
            continue
        if any(len(r) != width or not all(_is_number(x) for x in r) for r in value):
            continue
        out.append((str(name), value))
    return out


def is_scalar(v: Any) -> bool:
    """A number as values hold one: an int, a float, or the text of a non-finite float ("-inf")."""
    return _is_number(v) or (isinstance(v, str) and v in _NON_FINITE_TEX)


def tex_matrices(inputs: Any) -> list[str]:
    """TeX for every numeric matrix among a problem's inputs:
    ``Q = \\begin{bmatrix} … \\end{bmatrix}``."""
    return [f"{_tex_name(name)} = {tex_bmatrix(rows)}" for name, rows in numeric_matrices(inputs)]


# ---------------------------------------------------------------------------------------------
# MathML: what printed pages use (browsers draw it natively, offline; no script)


def mathml_number(x: Any) -> str:
    """A number as MathML: integers exactly, floats to 6 significant figures, ``×10ⁿ``, ∞.

    >>> mathml_number(2.5e-07), mathml_number(-3.0)
    ('<mn>2.5</mn><mo>×</mo><msup><mn>10</mn><mn>-7</mn></msup>', '<mn>-3</mn>')
    """
    if isinstance(x, str) or (isinstance(x, float) and not math.isfinite(x)):
        word = x if isinstance(x, str) else ("nan" if x != x else "inf" if x > 0 else "-inf")
        return {"inf": "<mi>∞</mi>", "-inf": "<mo>-</mo><mi>∞</mi>"}.get(word, "<mtext>nan</mtext>")
    # Whole numbers exactly (a parameter count is 5120000, not 5.12×10⁶), like tex_number.
    text = str(int(x)) if isinstance(x, int) or (x.is_integer() and abs(x) < 1e15) else f"{x:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"<mn>{mantissa}</mn><mo>×</mo><msup><mn>10</mn><mn>{int(exponent)}</mn></msup>"
    return f"<mn>{text}</mn>"


def mathml_value(value: Any) -> str:
    """A number, a vector (one row) or a matrix as MathML, else the value as text."""
    if is_scalar(value):
        return mathml_number(value)
    if isinstance(value, list) and value:
        rows = value if all(isinstance(r, list) and r for r in value) else [value]
        if len({len(r) for r in rows}) == 1 and all(is_scalar(v) for r in rows for v in r):
            body = "".join("<mtr>" + "".join(f"<mtd>{mathml_number(v)}</mtd>" for v in r) + "</mtr>" for r in rows)
            return f"<mrow><mo>[</mo><mtable>{body}</mtable><mo>]</mo></mrow>"
    return f"<mtext>{html.escape(fmt_inline(value), quote=False)}</mtext>"


def mathml_matrices(inputs: Any) -> list[str]:
    """MathML for every numeric matrix among the inputs: ``Q = [ … ]``."""
    out = []
    for name, rows in numeric_matrices(inputs):
        shown = f"<mi>{name}</mi>" if re.fullmatch(r"[A-Za-z]", name) else f"<mtext>{html.escape(name)}</mtext>"
        out.append(f"{shown}<mo>=</mo>{mathml_value(rows)}")
    return out
