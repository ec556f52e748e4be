"""The one renderer of values, worked steps and problems: plain text and TeX (no torch here).

The command line, the drill, grade reports, worksheets and cards all show values through these
functions; cards and worksheets take matrices from the inputs, never by reading text back.

A family lays its inputs out once, in its ``describe``, and writes each vector or matrix there
with ``format_vector`` / ``format_matrix`` under the learner-facing label its ``LABELS`` declare.
Plain-text faces (the drill, Markdown, LMS text) print that text as it is; faces that typeset
maths call ``input_parts``, which runs the same ``describe`` and hands back the text between the
vectors and matrices and each vector or matrix itself (label and value, from the call, not read
back from text), so each input is shown once, typeset where it stands.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple


class Typeset(NamedTuple):
    """A vector or matrix among a problem's inputs, as its family's ``describe`` wrote it:
    the learner-facing label, the value (a list of numbers, or of rows) and its plain text."""

    label: str
    value: list[Any]
    text: str

    @property
    def rows(self) -> list[list[Any]]:
        """The value as rows (a vector is one row)."""
        return self.value if self.value and all(isinstance(r, list) for r in self.value) else [self.value]


CODE_COMMENT = re.compile(r"^(?P<lead> *)(?P<code>\S.*?) {2,}(?P<comment># .*)$")
"""A line of code with a comment beside it (``q = x @ W_q    # W_q: (d_model, d_model)``), as
shape problems show their code: where the two do not fit side by side, every face puts the
comment above its line (a comment wrapped beside the code read as code)."""

_SINK: ContextVar[list[Typeset] | None] = ContextVar("quizgen_typeset", default=None)
_TOKEN = re.compile(r"\x00(\d+)\x00")


def _shown(label: str, value: list[Any], text: str) -> str:
    """The plain text, or, while ``input_parts`` collects, a token standing for the value."""
    sink = _SINK.get()
    if sink is None:
        return text
    sink.append(Typeset(label, value, text))
    return f"\x00{len(sink) - 1}\x00"


def format_matrix(name: str, rows: Sequence[Sequence[Any]]) -> str:
    """A matrix as aligned rows under its name, each column right-aligned to its widest entry.

    >>> print(format_matrix("Q", [[1, -2], [10, 0]]))
    Q = [[ 1, -2],
         [10,  0]]
    """
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))] if cells else []
    lines = ["[" + ", ".join(c.rjust(widths[j]) for j, c in enumerate(row)) + "]" for row in cells]
    text = f"{name} = [" + (",\n" + " " * (len(name) + 4)).join(lines) + "]"
    return _shown(name, [list(r) for r in rows], text)


def format_vector(name: str, values: Sequence[Any]) -> str:
    """A vector on one line under its name: ``teacher's parameters = [0.5, -1]``."""
    return _shown(name, list(values), f"{name} = [" + ", ".join(fmt_scalar(v) for v in values) + "]")


def input_parts(describe: Callable[[dict[str, Any]], Any], inputs: dict[str, Any]) -> list[str | Typeset]:
    """A family's description of ``inputs`` as the faces that typeset maths show it: blocks of
    text (never empty) and, where the family wrote a vector or matrix, that ``Typeset`` value.

    >>> def describe(inputs):
    ...     return "\\n".join(["Find: the sum", format_matrix("queries Q", inputs["Q"]), "d_k = 2"])
    >>> input_parts(describe, {"Q": [[1, 2]]})
    ['Find: the sum', Typeset(label='queries Q', value=[[1, 2]], text='queries Q = [[1, 2]]'), 'd_k = 2']
    """
    sink: list[Typeset] = []
    token = _SINK.set(sink)
    try:
        text = str(describe(inputs))
    finally:
        _SINK.reset(token)
    out: list[str | Typeset] = []
    for i, chunk in enumerate(_TOKEN.split(text)):
        if i % 2:
            out.append(sink[int(chunk)])
        elif chunk.strip():
            out.append(chunk.strip("\n"))
    return out


_ALIGNED = re.compile(r"\S {2,}\S")
"""Two spaces or more inside a line: columns padded to line up with the next line's."""


def _table_rows(lines: list[str]) -> list[bool]:
    """Which lines are rows of a text table: runs of two or more lines of one length, one of them
    padded into columns (a masking table's position/token/input rows, true and predicted classes)."""
    rows = [False] * len(lines)
    start = 0
    while start < len(lines):
        end = start + 1
        while end < len(lines) and len(lines[end]) == len(lines[start]):
            end += 1
        if end - start >= 2 and any(_ALIGNED.search(line) for line in lines[start:end]):
            rows[start:end] = [True] * (end - start)
        start = end
    return rows


def lines_html(text: str, prefix: str) -> str:
    """Text inputs as HTML, one block a line (classes named ``{prefix}lines``, ``{prefix}line``
    and so on; ``lines_css`` lays them out). A line too long for the page wraps under its own
    start, indented, so the lines after it (a BLEU candidate, then its references) still read as
    lines; the rows of a text table are kept apart (``{prefix}rows``), their columns lined up."""
    import itertools

    text = text.strip("\n")
    if not text.strip():
        return ""
    lines = text.split("\n")
    out = []
    for table, group in itertools.groupby(zip(lines, _table_rows(lines)), key=lambda pair: pair[1]):
        divs = "".join(_line_html(line, prefix) for line, _ in group)
        out.append(f'<div class="{prefix}lines{f" {prefix}rows" if table else ""}">{divs}</div>')
    return "".join(out)


def _line_html(line: str, prefix: str) -> str:
    """One input line. A line of code with a comment beside it is two boxes in a row that wraps
    upwards: the comment stands beside the code, in its column, where both fit, and above the
    code where they do not (wrapped beside it, the comment's second line read as code)."""
    code = CODE_COMMENT.match(line)
    if code is None:
        return f'<div class="{prefix}line">{html.escape(line, quote=False) or " "}</div>'
    column = len(line) - len(code["comment"])
    return (f'<div class="{prefix}line {prefix}commented"><span class="{prefix}code" style="width: {column}ch">'
            f'{html.escape(code["lead"] + code["code"], quote=False)}</span>'
            f'<span class="{prefix}comment">{html.escape(code["comment"], quote=False)}</span></div>')


def lines_css(prefix: str, scroll: bool = True) -> str:
    """The layout of ``lines_html``: each line wraps under its own start; a table's rows never wrap
    (their columns would no longer line up) and scroll in their own box on a screen, or, on paper
    (``scroll=False``), where nothing scrolls, wrap as other lines do."""
    rows = (f".{prefix}rows {{ white-space: pre; overflow-wrap: normal; overflow-x: auto; overflow-y: hidden; }}\n"
            f".{prefix}rows .{prefix}line {{ padding-left: 0; text-indent: 0; }}\n") if scroll else ""
    return (f".{prefix}lines {{ white-space: pre-wrap; overflow-wrap: anywhere; }}\n"
            f".{prefix}line {{ padding-left: 2ch; text-indent: -2ch; }}\n"
            + rows
            + f".{prefix}commented {{ display: flex; flex-wrap: wrap-reverse; padding-left: 0; text-indent: 0; }}\n"
            f".{prefix}code {{ max-width: 100%; padding-left: 2ch; text-indent: -2ch; box-sizing: border-box; }}\n"
            f".{prefix}comment {{ opacity: 0.75; padding-left: 2ch; text-indent: -2ch; }}\n")


WHOLE_LIMIT = 1e15
"""Whole numbers below this are exact in a double (and in the card script) and are shown digit
by digit; larger ones are measurements (5.76e+23 FLOPs), shown to 6 significant figures."""


def float_text(x: float) -> str:
    """A finite float as every face shows it: a whole one exactly (a count: 5120000, not
    5.12e+06; and -0.0 as 0), else to 6 significant figures."""
    return str(int(x)) if x.is_integer() and abs(x) < WHOLE_LIMIT else f"{x:.6g}"


def fmt_scalar(value: Any) -> str:
    """One entry: floats to 6 significant figures, whole floats without a point, text as is."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return float_text(value)
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


def shape_note(shape: Sequence[int]) -> str:
    """A worked step's shape as a reader says it: ``shape 2×3``, ``shape () (a 0-d tensor)``."""
    return "shape " + ("×".join(str(int(d)) for d in shape) if shape else "() (a 0-d tensor)")


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


def step_label(step: Any) -> str:
    """A step's label, or "" when its named entries say it all (``clipped matches, candidate
    1-grams`` above ``clipped matches = 3, candidate 1-grams = 5``)."""
    entries = step.named_entries()
    if entries is not None and step.label.replace(" ", "") == ",".join(step.cols).replace(" ", ""):
        return ""
    return str(step.label)


def named_entries_text(step: Any) -> str | None:
    """A vector with named entries on one line: ``clipped matches = 3, candidate 1-grams = 5``."""
    entries = step.named_entries()
    return None if entries is None else ", ".join(f"{name} = {fmt_scalar(v)}" for name, v in entries)


def is_shape_step(step: Any, kind: str) -> bool:
    """Whether ``step``'s value is a shape: a list of whole numbers in a problem whose answer is one."""
    return kind == "shape" and isinstance(step.value, list) and all(type(v) is int for v in step.value)


def step_text(step: Any, kind: str = "") -> str:
    """One line of a worked solution: ``label = value  shape (2, 3)  (note)``; named entries as
    ``name = value, …``, a named table as its rows by name; in a problem whose answer is a shape
    (``kind``), a step's value is its shape, written as torch does: ``torch.Size([1, 2, 3])``."""
    note = f"  ({step.note})" if step.note else ""
    if is_shape_step(step, kind):
        return f"{step.label} = {fmt_shape(step.value)}{note}"
    shape = f"  shape {tuple(step.shape)}" if step.shape is not None and not step.rows else ""
    named = named_entries_text(step)
    if named is not None:
        label = step_label(step)
        return f"{label + ': ' if label else ''}{named}{note}"
    if step.named_table() is not None:
        rows = "; ".join(f"{name} = {fmt_inline(row)}" for name, row in zip(step.rows, step.value))
        return f"{step.label} ({', '.join(step.cols)}): {rows}{note}"
    return f"{step.label} = {fmt_inline(step.value)}{shape}{note}"


def named_step_html(step: Any) -> str | None:
    """A step's value as HTML when its entries or rows and columns have names (cards and keys
    alike): ``name = value, …`` for a vector, a table with headers for a matrix; else None."""
    entries = step.named_entries()
    if entries is not None:
        return ", ".join(f"{html.escape(name, quote=False)} = <b>{html.escape(fmt_scalar(v))}</b>" for name, v in entries)
    table = step.named_table()
    if table is None:
        return None
    head = "".join(f"<th>{html.escape(str(c), quote=False)}</th>" for c in table[0])
    body = "".join(
        f"<tr><th>{html.escape(str(row[0]), quote=False)}</th>" + "".join(f"<td>{html.escape(fmt_scalar(v))}</td>" for v in row[1:]) + "</tr>"
        for row in table[1:]
    )
    return f'<table class="named"><tr>{head}</tr>{body}</table>'


# ---------------------------------------------------------------------------------------------
# TeX, for MathJax on worksheets and cards

MAX_TEX_SIZE = 12
"""Matrices with more rows or columns than this are only shown as text."""

_NON_FINITE_TEX = {"-inf": r"-\infty", "inf": r"\infty", "nan": r"\text{nan}"}


def tex_number(x: Any) -> str:
    """A number in TeX: whole numbers exactly, other floats to 6 significant figures, ``\\infty``.

    >>> tex_number(2.5e-07), tex_number(1180416.0), tex_number(-0.0), tex_number("-inf")
    ('2.5 \\\\times 10^{-7}', '1180416', '0', '-\\\\infty')
    """
    if isinstance(x, str):
        return _NON_FINITE_TEX.get(x, r"\text{nan}")
    if isinstance(x, float):
        if x != x:
            return r"\text{nan}"
        if x in (math.inf, -math.inf):
            return r"\infty" if x > 0 else r"-\infty"
        text = float_text(x)
        if "e" in text:
            mantissa, exponent = text.split("e")
            return mantissa + r" \times 10^{" + str(int(exponent)) + "}"
        return text
    return str(int(x))


def tex_bmatrix(rows: Sequence[Sequence[Any]]) -> str:
    """Rows of numbers as a TeX ``bmatrix`` (escape ``&`` before putting it in HTML)."""
    body = r" \\ ".join(" & ".join(tex_number(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


_SYMBOL_AT_END = re.compile(r"^(?P<words>.*\S)\s+(?P<symbol>[A-Za-zα-ωΑ-Ω])$")


def label_parts(label: str) -> tuple[str, str]:
    """A label as (words, symbol): ``"queries Q"`` -> ``("queries", "Q")``; a label without a
    one-letter symbol at its end is all words, and a one-letter label all symbol."""
    if re.fullmatch(r"[A-Za-zα-ωΑ-Ω]", label):
        return "", label
    m = _SYMBOL_AT_END.match(label)
    return (m["words"], m["symbol"]) if m else (label, "")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_scalar(v: Any) -> bool:
    """A number as values hold one: an int, a float, or the text of a non-finite float ("-inf")."""
    return _is_number(v) or (isinstance(v, str) and v in _NON_FINITE_TEX)


def is_numeric_rows(rows: Any) -> bool:
    """Equally long, non-empty rows of numbers: what can be typeset as a matrix."""
    return (
        isinstance(rows, list) and bool(rows) and all(isinstance(r, list) and r for r in rows)
        and len({len(r) for r in rows}) == 1 and all(is_scalar(x) for r in rows for x in r)
    )


def fits_tex(shown: Typeset) -> bool:
    """Whether a value is typeset on cards: numbers only, at most ``MAX_TEX_SIZE`` rows and columns."""
    rows = shown.rows
    return is_numeric_rows(rows) and len(rows) <= MAX_TEX_SIZE and len(rows[0]) <= MAX_TEX_SIZE


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
    text = str(int(x)) if isinstance(x, int) else float_text(x)
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


def mathml_typeset(shown: Typeset) -> str:
    """MathML of a labelled vector or matrix, ``label = [ … ]`` (the inside of a ``<math>``).
    The label, the ``=`` and the value are marked (``data-part``), so a test can see where each
    stands on a page."""
    words, symbol = label_parts(shown.label)
    label = f"<mtext>{html.escape(words, quote=False)}</mtext>" if words else ""
    if symbol:
        # A space at the end of an <mtext> is collapsed: the gap is an <mspace>.
        label += ('<mspace width="0.3em"></mspace>' if words else "") + f"<mi>{html.escape(symbol, quote=False)}</mi>"
    value = mathml_value(shown.value)
    return f'<mrow data-part="label">{label}</mrow><mo data-part="eq">=</mo><mrow data-part="value">{value}</mrow>'
