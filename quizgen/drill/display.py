"""Terminal output for the drill and the stats: rich on a terminal, plain text otherwise.

Everything is first laid out as lines of styled segments (``(text, style)`` pairs), then written
either by rich (colours and rules on a terminal; rich itself honours ``NO_COLOR`` and the terminal
width) or as plain text (pipes, files, ``TERM=dumb``), where styles are dropped and a wrong matrix
entry is marked with ``*`` (on a terminal, in colour too). Nothing here imports torch; rich is imported only
when a terminal asks for it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from quizgen.core.errors import show_char
from quizgen.core.render import CODE_COMMENT, fmt_inline, fmt_scalar, shape_note
from quizgen.judge.messages import EXAMPLE_LISTS

Segment = tuple[str, str]
Line = list[Segment]

MARK = "*"

_STYLES = {
    "": "",
    "bold": "bold",
    "dim": "dim",
    "right": "bold green",
    "wrong": "bold red",
    "coarse": "bold yellow",
    "mistake": "bold magenta",
    "mark": "bold red underline",
    "head": "bold cyan",
    "code": "cyan",
}


# ---------------------------------------------------------------------------------------------
# Values for people


def table_lines(rows: Sequence[Sequence[Any]], marks: Iterable[tuple[int, ...]] = (), indent: str = "    ") -> list[Line]:
    """Rows as aligned columns (numbers right-aligned, words left); ``marks`` are (row, col) pairs.

    A marked entry is followed by ``*`` everywhere (and styled ``mark`` where there is colour);
    when anything is marked every entry leaves room for that star, so the columns stay aligned.
    """
    marked = {tuple(m) for m in marks}
    cells = [[fmt_scalar(v) for v in row] for row in rows]
    cols = len(cells[0]) if cells else 0
    widths = [max(len(r[c]) for r in cells) for c in range(cols)]
    numeric = [all(not isinstance(r[c], str) or r[c] in ("-inf", "inf") for r in rows) for c in range(cols)]
    out: list[Line] = []
    for i, row in enumerate(cells):
        line: Line = [(indent, "")]
        for j, text in enumerate(row):
            cell = text.rjust(widths[j]) if numeric[j] else text.ljust(widths[j])
            if j:
                line.append(("  ", ""))
            if (i, j) in marked:
                line.append((cell, "mark"))
                line.append((MARK, "mark-star"))
            else:
                line.append((cell, ""))
                line.append((" ", "mark-pad") if marked else ("", ""))
        out.append(line)
    return out


def rows_lines(rows: Sequence[Sequence[Any]], width: int, marks: Iterable[tuple[int, ...]] = (), indent: str = "    ") -> list[Line]:
    """Rows as aligned columns (``table_lines``) where they fit in ``width``; else each row as a
    bracketed list, ``[1, -0.948683, 0.6]``, to be wrapped after its commas, so that no number is
    split across lines and none is read into the wrong column (rows are not numbered: problems
    count rows from 0 or from 1 as their conventions say)."""
    marks = list(marks)
    lines = table_lines(rows, marks, indent)
    if max(line_width(line) for line in lines) <= width:
        return lines
    marked = {tuple(m) for m in marks}
    out: list[Line] = []
    for i, row in enumerate(rows):
        out.append([(indent, ""), ("[" + ", ".join(fmt_scalar(v) + (MARK if (i, j) in marked else "") for j, v in enumerate(row)) + "]", "")])
    return out


_MATRIX_START = re.compile(r"^(?P<head>.*? = )\[\[.*\](?:,|\])$")


def input_lines(text: str, width: int, indent: str = "  ") -> list[Line]:
    """A problem's inputs as text lines. A matrix written under its label (``label = [[1, 2],``
    then its other rows aligned below) that is wider than ``width`` goes under its label
    instead, its rows at the left (as a list of rows where even that is too wide): wrapping
    its lines at spaces would scatter its rows' entries into other rows. A line of code with a
    comment beside it (``q = x @ W_q    # W_q: …``) too wide for ``width`` has its comment above
    it, as comment lines: wrapped beside the code, the comment's second line looked like code.
    Rows whose columns line up (``position  0  1  2`` over ``token  [CLS]  red  big``) that are
    too wide are cut between columns into slices that fit, each slice under the rows' labels,
    as numpy prints a wide array: wrapped row by row, a token stood under another's position."""
    import textwrap

    rows = text.splitlines()
    out: list[Line] = []
    k = 0
    while k < len(rows):
        code = CODE_COMMENT.match(rows[k])
        if code is not None and len(indent + rows[k]) > width:
            lead = indent + code["lead"]
            out += [[(lead + line, "")] for line in textwrap.wrap(
                code["comment"], max(width - len(lead), 20), subsequent_indent="# ", break_long_words=False, break_on_hyphens=False)]
            out.append([(lead + code["code"], "")])
            k += 1
            continue
        table = None if _MATRIX_START.match(rows[k]) else _aligned(rows, k)
        if table is not None and max(len(indent + r) for r in rows[k:table[0]]) > width:
            end, label, cuts = table
            out += [[(indent + line, "")] for line in _slices(rows[k:end], label, cuts, width - len(indent))]
            k = end
            continue
        start = _MATRIX_START.match(rows[k])
        end = k + 1
        if start is not None:
            pad = " " * (len(start["head"]) + 1)
            while end < len(rows) and rows[end].startswith(pad + "[") and rows[end - 1].endswith("],"):
                end += 1
        block = rows[k:end]
        if start is None or not block[-1].endswith("]]") or max(len(indent + r) for r in block) <= width:
            out.append([(indent + rows[k], "")])
            k += 1
            continue
        head = len(start["head"])
        out.append([(indent + block[0][:head].rstrip(), "")])
        matrix = [r[head:] for r in block]
        if max(len(indent + "  " + r) for r in matrix) <= width:
            out += [[(indent + "  " + r, "")] for r in matrix]
        else:  # each row a list, wrapped after its commas; the matrix's own brackets kept (a 1×n is no vector)
            last = len(matrix) - 1
            out += [[(indent + "  " + " " * (i > 0), ""), ("[" * (1 + (i == 0)) + " ".join(r.strip(" [],").split()) + "]" * (1 + (i == last))
                                                              + ("," if i < last else ""), "")] for i, r in enumerate(matrix)]
        k = end
    return out


def _columns(row: str, start: int) -> tuple[set[int], set[int]]:
    """Where the words of ``row`` from ``start`` on begin and end."""
    spans = [m.span() for m in re.finditer(r"\S+", row[start:])]
    return {a for a, _ in spans}, {b for _, b in spans}


def _even(places: set[int]) -> bool:
    """Whether three places or more stand at one step from each other."""
    ordered = sorted(places)
    return len(ordered) >= 3 and len({b - a for a, b in zip(ordered, ordered[1:])}) == 1


def _aligned(rows: Sequence[str], k: int) -> tuple[int, int, list[int]] | None:
    """The end of the rows from ``k`` whose columns line up (at least two rows, each a label and
    three or more cells at even steps, the cells of every row ending, or beginning, where the
    others' do), where their labels end and where they can be cut between cells (after
    right-aligned cells, before the space ahead of left-aligned ones); None when row ``k``
    starts no such rows."""
    best = None
    for end in range(k + 2, len(rows) + 1):
        block = rows[k:end]
        wide = max(len(r) for r in block)
        padded = [r.ljust(wide) for r in block]
        gaps = [i for i in range(1, wide) if all(r[i] == " " for r in padded)]
        # The labels end at the first gap every row has text before, padded to one width in some
        # row (two spaces or more there): a label's own words ("sentence 1:") are not cells.
        label = next((i for i in gaps if all(r[:i].strip() for r in padded)), None)
        if label is None or not any(" " in (r[label - 1], r[label + 1:label + 2]) for r in padded):
            break
        cells = [_columns(r, label) for r in block]
        # A table's cells stand at even steps (a slot width): words of text that happen to end
        # where another line's do (two references to a BLEU candidate) do not.
        if _even(cells[0][1]) and all(c[1] == cells[0][1] for c in cells):
            cuts = sorted(label + e for e in cells[0][1])
            # The labels take the first cell's padding beyond the others' width: every slice's
            # first cell then stands where the first slice's does.
            best = (end, max(label, 2 * cuts[0] - cuts[1]), cuts)
        elif _even(cells[0][0]) and all(c[0] == cells[0][0] for c in cells):
            cuts = sorted(label + b - 1 for b in cells[0][0])
            best = (end, cuts[0], [*cuts[1:], wide])
        else:
            break
    return best


def _slices(rows: Sequence[str], label: int, cuts: Sequence[int], width: int) -> list[str]:
    """Aligned ``rows`` cut at ``cuts`` into slices at most ``width`` wide, each slice of every
    row after that row's label (a cell wider than the room stands alone)."""
    wide = max(len(r) for r in rows)
    padded = [r.ljust(wide) for r in rows]
    room = max(width - label, 1)
    out: list[str] = []
    start = label
    while start < wide:
        fits = [c for c in cuts if start < c <= start + room]
        cut = fits[-1] if fits else next((c for c in cuts if c > start), wide)
        out += [(r[:label] + r[start:cut]).rstrip() for r in padded]
        start = cut
    return out


def tally_sentence(right: int, wrong: int, shown: int, coarse: int, cards: int) -> str:
    """The drill's summary of answers, which ``stats`` repeats word for word:
    ``3 problems: 1 right, 1 wrong, 1 shown without an answer; 1 flashcard rated.`` A problem
    is counted once, by how it ended; an answer too rough to grade is asked again, so those are
    counted as answers, apart."""
    asked = right + wrong + shown
    parts = [f"{asked} problem{'s' if asked != 1 else ''}: {right} right, {wrong} wrong" + (f", {shown} shown without an answer" if shown else "")]
    if coarse:
        parts.append(f"{coarse} answer{'s' if coarse != 1 else ''} too rough to grade (asked again)")
    parts.append(f"{cards} flashcard{'s' if cards != 1 else ''} rated")
    return "; ".join(parts) + "."


def line_width(line: Line) -> int:
    """How many columns a line takes (a mark's star or its room take one)."""
    return sum(1 if style in ("mark-star", "mark-pad") else len(chunk) for chunk, style in line)


def side_by_side(left: Sequence[Line], right: Sequence[Line], gap: int = 6) -> list[Line]:
    """Two blocks of lines next to each other, the left one padded to its widest line."""
    width = max((line_width(line) for line in left), default=0)
    out: list[Line] = []
    for i in range(max(len(left), len(right))):
        a = list(left[i]) if i < len(left) else []
        b = list(right[i]) if i < len(right) else []
        out.append(a + [(" " * (width - line_width(a) + gap), "")] + b if b else a)
    return out


def vector_marks(marks: Iterable[tuple[int, ...]]) -> list[tuple[int, int]]:
    """Vector entry indices ``(i,)`` as (row 0, column i) marks for a one-row table."""
    return [(0, m[0]) for m in marks]


# ---------------------------------------------------------------------------------------------
# Output

_JOINED = "\u00a0"
"""Stands for a space that must not break a line while a paragraph is wrapped."""
_EXAMPLES = sorted({e for items in EXAMPLE_LISTS.values() for e in items if " " in e}, key=len, reverse=True)


def unbroken(text: str) -> str:
    """``text`` kept on one line when a line is wrapped (``difficulty 2``, ``shape 3×4``)."""
    return text.replace(" ", _JOINED)


def _keep_examples_whole(text: str) -> str:
    """``text`` with the spaces inside each example answer the judge suggests (``1 2; 3 4``,
    ``[[1, 2], [3, 4]]``) joined, so that wrapping never splits one across lines."""
    for example in _EXAMPLES:
        text = text.replace(example, example.replace(" ", _JOINED))
    return text


SHORT_GROUP = 16
"""A bracketed group this long or shorter ("(0, 3)", "[1, 2]") is not broken where a line can
break outside it."""


def _bound_spaces(text: str) -> set[int]:
    """The positions of the spaces inside short bracketed groups."""
    bound: set[int] = set()
    opened: list[int] = []
    for i, c in enumerate(text):
        if c in "([":
            opened.append(i)
        elif c in ")]" and opened:
            j = opened.pop()
            if i - j < SHORT_GROUP:
                bound.update(k for k in range(j, i) if text[k] == " ")
    return bound


def wrap_line(line: Line, width: int, hang: int = 4, fold: bool = False) -> list[Line]:
    """``line`` broken at spaces into lines at most ``width`` wide, each one after the first
    indented ``hang`` more than the first's own indent; a word wider than that stays whole (the
    terminal folds it, so nothing is hidden), or with ``fold`` is cut at the width."""
    import bisect
    import itertools

    text = "".join(chunk for chunk, _ in line)
    # Widths in terminal cells: a wide character (０, 漢) takes two, a combining mark none.
    cells = [0, *itertools.accumulate(_cell_width(c) for c in text)]
    if cells[-1] <= width:
        return [line]
    styles = [style for chunk, style in line for _ in chunk]
    bound = _bound_spaces(text)
    # The indent of the lines after the first, at most half the width: every line has room.
    lead = " " * min(len(text) - len(text.lstrip(" ")) + hang, max(width // 2, 0))
    pieces: list[tuple[int, int]] = []  # (start, end) of each output line in text
    start = 0
    while start < len(text):
        room = max(width - (len(lead) if pieces else 0), 1)  # each line takes one character at least
        if cells[-1] - cells[start] <= room:
            pieces.append((start, len(text)))
            break
        full = bisect.bisect_right(cells, cells[start] + room) - 1  # the characters that fit end here
        floor = start + (len(text) - len(text.lstrip(" ")) if not pieces else 0)
        cut = text.rfind(" ", floor + 1, full + 1)
        # Not inside a short bracketed group ("(0, 3)", "[1, 2]") where a space outside one fits.
        outside = next((i for i in range(cut, floor, -1) if text[i] == " " and i not in bound), -1) if cut > floor else -1
        cut = outside if outside > floor else cut
        if cut <= floor and fold:  # one long word: cut where the line is full
            cut = max(full, start + 1)
        elif cut <= floor:  # one long word: up to its end
            cut = text.find(" ", full)
            cut = len(text) if cut == -1 else cut
        pieces.append((start, cut))
        start = cut
        while start < len(text) and text[start] == " ":
            start += 1
    out: list[Line] = []
    for k, (a, b) in enumerate(pieces):
        part: Line = [(lead, "")] if k else []
        for i in range(a, b):
            if part and part[-1][1] == styles[i] and styles[i] not in ("mark-pad", "mark-star"):
                part[-1] = (part[-1][0] + text[i], styles[i])
            else:
                part.append((text[i], styles[i]))
        out.append(part)
    return out


def _cell_width(char: str) -> int:
    """The terminal cells ``char`` takes: two for a wide (East Asian) character, none for a
    combining mark, else one."""
    import unicodedata

    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class Out:
    """Where the drill writes: a rich console on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None, *, rich: bool | None = None):
        self.stream = stream or sys.stdout
        if rich is None:
            rich = _isatty(self.stream) and os.environ.get("TERM") != "dumb"
        self._console: Any = None
        if rich:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False, emoji=False, soft_wrap=False)

    # -- primitives -----------------------------------------------------------------------------

    def _text(self, line: Line) -> Any:
        from rich.text import Text

        text = Text()
        for chunk, style in line:
            if style == "mark-pad":
                text.append(" ")
                continue
            if style == "mark-star":
                # The star is always there: colour alone is lost with NO_COLOR, on a
                # monochrome terminal and to a reader who cannot tell red from green.
                text.append(MARK, "bold")
                continue
            text.append(chunk, _STYLES.get(style, style))
        return text

    def _plain(self, line: Line) -> str:
        parts = []
        for chunk, style in line:
            if style == "mark-pad":
                parts.append(" ")
            else:
                parts.append(chunk)
        return "".join(parts).rstrip()

    def rule(self, title: str) -> None:
        if self._console is not None:
            from rich.rule import Rule
            from rich.text import Text

            # The title goes below the rule, where it can wrap: a title inside a rule is cut
            # short on a narrow terminal.
            self._console.print(Rule(style="dim"))
            for part in wrap_line([(title, "head")], self._console.width, hang=0, fold=True):
                self._console.print(Text("".join(chunk for chunk, _ in part).replace(_JOINED, " "), style=_STYLES["head"]), soft_wrap=True)
        else:
            self.stream.write(f"=== {title.replace(_JOINED, ' ')}\n")
            self.stream.flush()

    @property
    def width(self) -> int:
        """The terminal's width in columns (80 for plain text, which is never wrapped)."""
        return int(self._console.width) if self._console is not None else 80

    def para(self, *segments: Segment, indent: int = 0) -> None:
        """A paragraph: wrapped to the terminal at spaces (every line ``indent`` in), never inside
        an example answer such as ``1 2; 3 4``; one line in plain text."""
        line = [s for s in segments if s[0]]
        if self._console is not None:
            kept = [(_keep_examples_whole(chunk), style) for chunk, style in line]
            for part in wrap_line([(" " * indent, ""), *kept], self._console.width, hang=0, fold=True):
                self._console.print(self._text([(chunk.replace(_JOINED, " "), style) for chunk, style in part]), soft_wrap=True)
        else:
            self.stream.write(" " * indent + self._plain(line) + "\n")
            self.stream.flush()

    def pre(self, lines: Sequence[Line], wrap: bool = False) -> None:
        """Preformatted lines (inputs, matrices): never re-wrapped, so columns stay aligned; with
        ``wrap`` (text, not columns) a line wider than the terminal is broken at spaces instead."""
        if self._console is not None:
            for line in lines:
                # soft_wrap: a line wider than a narrow terminal is folded by the terminal itself
                # instead of being cut, so no number is ever hidden.
                for part in wrap_line(line, self._console.width) if wrap else [line]:
                    self._console.print(self._text([(chunk.replace(_JOINED, " "), style) for chunk, style in part]), soft_wrap=True)
        else:
            for line in lines:
                self.stream.write(self._plain(line).replace(_JOINED, " ") + "\n")
            self.stream.flush()

    def text_block(self, text: str, indent: str = "  ", style: str = "") -> None:
        """Text lines (a problem's inputs), wrapped at spaces; a matrix among them keeps its rows."""
        width = self.width if self._console is not None else 10**6  # plain text is never wrapped
        self.pre([[(chunk, style if kind == "" else kind) for chunk, kind in line]
                  for line in input_lines(text, width, indent)], wrap=True)

    def blank(self) -> None:
        if self._console is not None:
            self._console.print()
        else:
            self.stream.write("\n")
            self.stream.flush()

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> None:
        """A table of text cells (stats): a rich table on a terminal, aligned columns in text."""
        right = list(right) + [False] * (len(headers) - len(right))
        natural = sum(max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)) + 2 * (len(headers) - 1)
        if self._console is not None and natural > self._console.width:
            # Too narrow for columns (a phone's terminal): each row is its first cell on a line
            # of its own, then the others as "header value", wrapped, so no word is cut.
            for row in rows:
                self.para((row[0], "bold"))
                pairs = [c if len(headers) == 2 else f"{h} {c}".replace(" ", _JOINED) for h, c in zip(headers[1:], row[1:])]
                self.para(("   ".join(pairs), ""), indent=4)
            return
        if self._console is not None:
            from rich.table import Table

            table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
            for h, r in zip(headers, right):
                table.add_column(h, justify="right" if r else "left", overflow="fold")
            for row in rows:
                table.add_row(*row)
            self._console.print(table)
            return
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

        def fmt(cells: Sequence[str]) -> str:
            return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

        self.stream.write(fmt(headers) + "\n")
        for row in rows:
            self.stream.write(fmt(row) + "\n")
        self.stream.flush()

    # -- input ----------------------------------------------------------------------------------

    def discard_typeahead(self) -> None:
        """Drop what was typed before a new card was shown: an extra Enter pressed while the last
        answer was being checked would otherwise turn this flashcard over unread."""
        if self._console is None or not _isatty(sys.stdin):
            return
        try:
            import termios

            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
        except (ImportError, OSError, ValueError):  # not a POSIX terminal: nothing to drop
            pass

    def ask(self, prompt: str) -> str:
        """Read one line (``EOFError`` at the end of input). Without a terminal, echo it."""
        if self._console is not None and len(prompt) + 10 > self._console.width and prompt.endswith("> "):
            # A question wider than the terminal is wrapped at spaces, the answer typed below it.
            self.para((prompt[:-2].rstrip(), ""))
            prompt = "> "
        self.stream.flush()
        line = input(prompt)
        if not _isatty(sys.stdin):
            # Nobody's terminal echoed the line: write it, so the transcript reads as a dialogue
            # (its control characters as escapes: the output holds no control codes).
            self.stream.write("".join(map(show_char, line)) + "\n")
            self.stream.flush()
        return line


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# Blocks of the drill


def value_lines(value: Any, marks: Iterable[tuple[int, ...]] = (), indent: str = "    ", width: int | None = None) -> list[Line] | None:
    """A matrix-like value as aligned lines (None when it reads better inline); with ``width``,
    as lists of rows where its columns are wider than that (``rows_lines``).

    Matrix-like: equally long rows of scalars, more than one entry in all (a matrix, or a small
    table).
    """
    if not isinstance(value, (list, tuple)) or len(value) < 1:
        return None
    if not all(isinstance(r, (list, tuple)) and r for r in value):
        return None
    if any(len(r) != len(value[0]) for r in value):
        return None
    if not all(not isinstance(v, (list, tuple, dict)) for r in value for v in r):
        return None
    if len(value) < 2 and len(value[0]) < 2:
        return None
    return table_lines(value, marks, indent) if width is None else rows_lines(value, width, marks, indent)


def named_table_lines(table: Sequence[Sequence[Any]], indent: str = "      ", width: int = 80) -> list[Line]:
    """A table whose first row and first column are names (``Step.named_table``): names
    dimmed, the names' column left-aligned, every other column right-aligned. Wider than
    ``width``, each row is its name on a line, then its ``column value`` pairs on one line, or
    one a line where they do not fit."""
    cells = [[c if isinstance(c, str) else fmt_scalar(c) for c in row] for row in table]
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    out: list[Line] = []
    if len(indent) + sum(widths) + 2 * (len(widths) - 1) > width:
        for row in cells[1:]:
            pairs = [f"{h} {c}".strip().replace(" ", _JOINED) for h, c in zip(cells[0][1:], row[1:])]
            joined = "   ".join(pairs)
            out.append([("    ", ""), (row[0], "dim")])
            out += [[("      ", ""), (text, "")] for text in ([joined] if len(joined) + 6 <= width else pairs)]
        return out
    for i, row in enumerate(cells):
        line: Line = [(indent, "")]
        for j, text in enumerate(row):
            if j:
                line.append(("  ", ""))
            line.append((text.ljust(widths[j]) if j == 0 else text.rjust(widths[j]), "dim" if i == 0 or j == 0 else ""))
        out.append(line)
    return out


def step_lines(step: Any, kind: str = "", width: int = 80) -> list[Line]:
    """One line of a worked solution (plus an aligned block below it for a matrix or a table);
    named entries as ``name = value, …`` on the line, a table with its row and column names (as
    a list where ``width`` is too narrow for it); in a shape problem a step's value is its shape,
    written as torch does (as on cards and keys)."""
    from quizgen.core.render import fmt_shape, is_shape_step, named_entries_text, step_label

    if is_shape_step(step, kind):
        return [[("  ", ""), (step.label, "bold"), (" = ", ""), (fmt_shape(step.value), "")]
                + ([(f"   ({step.note})", "dim")] if step.note else [])]
    extra: Line = []
    if step.shape is not None and not step.rows:
        extra.append(("   " + unbroken(shape_note(step.shape)), "dim"))
    if step.note:
        extra.append((f"   ({step.note})", "dim"))
    named = named_entries_text(step)
    if named is not None:
        label = step_label(step)
        return [[("  ", "")] + ([(label, "bold"), (": ", "")] if label else []) + [(named, "")] + extra]
    head: Line = [("  ", ""), (step.label, "bold")]
    table = step.named_table()
    if table is not None:
        return [head + [(":", "")] + extra] + named_table_lines(table, width=width)
    block = value_lines(step.value, indent="      ", width=width)
    if block is None:
        return [head + [(" = ", ""), (fmt_inline(step.value), "")] + extra]
    # A matrix goes below its label, aligned; the shape and note stay on the label's line.
    return [head + [(":", "")] + extra] + block
