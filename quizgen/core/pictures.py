"""Pictures of worked solutions: a checker's ``Curve`` or ``Grid`` as SVG and as terminal text.

A checker only says what to draw (``quizgen.core.answer.Curve``/``Grid``, plain data computed
with the same torch code as the key); this module draws it, the same way everywhere:

- ``svg(figure)`` — a small inline SVG element (no script, no external font or link) for cards,
  worksheets and answer keys. Lines and text use ``currentColor``, so it reads in Anki's night
  mode too. The bytes depend only on the figure.
- ``text_lines(figure, columns)`` — the same picture in the columns a terminal has, in block characters, for the
  drill and the stats (plain text with any terminal, no colour needed).
- ``bars(...)`` — columns of block characters (the curve above, accuracy over time in
  ``quizgen stats``).
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence

from quizgen.core.answer import Curve, Figure, Grid

_BLUE = "#2f6fde"
_RED = "#c7372f"
_EIGHTHS = " ▁▂▃▄▅▆▇█"
_SHADES = " ░▒▓█"


def _g(x: float) -> str:
    """A number for people: four significant figures."""
    return f"{x:.4g}"


def _c(x: float) -> str:
    """A coordinate: two decimals, no trailing zeros (stable bytes)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element."""
    return _curve_svg(figure) if isinstance(figure, Curve) else _grid_svg(figure)


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg class="qz-figure" viewBox="0 0 {_c(width)} {_c(height)}" '
        f'width="{_c(width)}" height="{_c(height)}" role="img" aria-label="{_esc(title)}" '
        f'font-family="sans-serif" font-size="11"><title>{_esc(title)}</title>'
    )


def _curve_svg(curve: Curve) -> str:
    width, height = 360.0, 190.0
    left, right, top, bottom = 58.0, 14.0, 16.0, 36.0
    xs = [x for x, _ in curve.points]
    ys = [y for _, y in curve.points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    span_x = (x1 - x0) or 1.0
    span_y = (y1 - y0) or 1.0

    def px(x: float) -> float:
        return left + (x - x0) / span_x * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (y - y0) / span_y * (height - top - bottom)

    path = " ".join(f"{'M' if i == 0 else 'L'}{_c(px(x))},{_c(py(y))}" for i, (x, y) in enumerate(curve.points))
    drawn = [(px(x), py(y)) for x, y in curve.points]
    # The curve's line every pixel or so, to keep the label off it.
    traced = [
        (ax + (bx - ax) * k / n, ay + (by - ay) * k / n)
        for (ax, ay), (bx, by) in zip(drawn, drawn[1:])
        for n in [max(1, int(abs(bx - ax) + abs(by - ay)))]
        for k in range(n)
    ] + drawn[-1:]
    mx, my = curve.mark
    base = height - bottom
    parts = [
        _open(width, height, curve.title),
        # axes
        f'<path d="M{_c(left)},{_c(top)} V{_c(base)} H{_c(width - right)}" fill="none" stroke="currentColor" stroke-opacity="0.6"/>',
        f'<text x="{_c(left - 6)}" y="{_c(py(y1) + 4)}" text-anchor="end" fill="currentColor">{_esc(_g(y1))}</text>',
        f'<text x="{_c(left - 6)}" y="{_c(py(y0) + 4)}" text-anchor="end" fill="currentColor">{_esc(_g(y0))}</text>',
        f'<text x="{_c(px(x0))}" y="{_c(base + 14)}" text-anchor="middle" fill="currentColor">{_esc(_g(x0))}</text>',
        f'<text x="{_c(px(x1))}" y="{_c(base + 14)}" text-anchor="middle" fill="currentColor">{_esc(_g(x1))}</text>',
        f'<text x="{_c((left + width - right) / 2)}" y="{_c(height - 4)}" text-anchor="middle" fill="currentColor">{_esc(curve.x_label)}</text>',
        f'<text x="12" y="{_c(top + (base - top) / 2)}" text-anchor="middle" fill="currentColor" '
        f'transform="rotate(-90 12 {_c(top + (base - top) / 2)})">{_esc(curve.y_label)}</text>',
        # the curve and the asked point
        f'<path d="{path}" fill="none" stroke="{_BLUE}" stroke-width="2"/>',
        f'<path d="M{_c(px(mx))},{_c(base)} V{_c(py(my))}" stroke="{_RED}" stroke-dasharray="3 3"/>',
        f'<circle class="qz-mark" cx="{_c(px(mx))}" cy="{_c(py(my))}" r="4" fill="{_RED}"/>',
        _mark_label(f"{curve.x_label.split()[-1]} = {_g(mx)}: {_g(my)}", (px(mx), py(my)), traced, (left, top, width - right, base)),
        "</svg>",
    ]
    return "".join(parts)


_CHAR_W = 7.0
"""An upper bound of a character's width at font-size 11 in a sans-serif face (a digit of DejaVu
Sans), in pixels."""


def _mark_label(label: str, at: tuple[float, float], traced: Sequence[tuple[float, float]], plot: tuple[float, ...]) -> str:
    """The asked point's label near the point, where neither the curve nor the dashed line under
    the point runs through it: the nearest of a few places right or left of the point, above or
    below it, whose box the lines miss (else the one they cross least), inside the plot area."""
    x, y = at
    left, top, right, base = plot
    w = len(label) * _CHAR_W
    drop = [(x, y + k) for k in range(int(base - y) + 1)]

    def box(dx: float, dy: float) -> tuple[float, float, float, float]:
        x0 = min(max(x + dx if dx > 0 else x + dx - w, left + 3), right - w)
        y1 = min(max(y + dy, top + 11), base - 4)  # the text's baseline
        return x0, y1 - 11, x0 + w, y1 + 3

    lines = sorted([*traced, *drop])
    xs = [cx for cx, _ in lines]

    def crossings(b: tuple[float, float, float, float]) -> int:
        near = lines[bisect.bisect_left(xs, b[0] - 2) : bisect.bisect_right(xs, b[2] + 2)]
        return sum(b[1] - 2 <= cy <= b[3] + 2 for _, cy in near)

    # Up and down the dashed line, nearest first, to the right of it and then to the left.
    reach = int(max(y - top, base - y)) // 14 + 1
    places = [box(dx, dy) for k in range(reach) for dy in (-8 - 14 * k, 16 + 14 * k) for dx in (6, -6)]
    chosen = min(places, key=crossings)  # the first, nearest, of the fewest crossings
    return f'<text x="{_c(chosen[0])}" y="{_c(chosen[3] - 3)}" fill="{_RED}">{_esc(label)}</text>'


def _grid_svg(grid: Grid) -> str:
    cell, label_w, head_h = 40.0, 30.0, 18.0
    n_rows, n_cols = len(grid.values), len(grid.values[0]) if grid.values else 0
    width, height = label_w + cell * n_cols + 2, head_h + cell * n_rows + 2
    parts = [_open(width, height, grid.title)]
    for j, name in enumerate(grid.cols):
        parts.append(f'<text x="{_c(label_w + cell * (j + 0.5))}" y="12" text-anchor="middle" fill="currentColor">{_esc(name)}</text>')
    for i, row in enumerate(grid.values):
        y = head_h + cell * i
        parts.append(f'<text x="{_c(label_w - 6)}" y="{_c(y + cell / 2 + 4)}" text-anchor="end" fill="currentColor">{_esc(grid.rows[i])}</text>')
        for j, v in enumerate(row):
            x = label_w + cell * j
            shade = min(max(v, 0.0), 1.0)
            ink = "#fff" if shade > 0.55 else "currentColor"
            parts.append(
                f'<rect class="qz-cell" x="{_c(x)}" y="{_c(y)}" width="{_c(cell)}" height="{_c(cell)}" fill="{_BLUE}" '
                f'fill-opacity="{_c(shade)}" stroke="currentColor" stroke-opacity="0.25"/>'
                f'<text x="{_c(x + cell / 2)}" y="{_c(y + cell / 2 + 4)}" text-anchor="middle" fill="{ink}">{v:.2f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Terminal text


def text_lines(figure: Figure, columns: int = 78, height: int = 8) -> list[str]:
    """The figure as lines of plain text (block characters), at most ``columns`` wide where that
    leaves the chart 8 columns (a curve is drawn in at most 60 of them)."""
    if isinstance(figure, Grid):
        return _grid_text(figure, columns)
    return _curve_text(figure, columns, height)


def _columns(points: Sequence[tuple[float, float]], width: int) -> tuple[list[float], list[float]]:
    """``width`` samples of the curve: for each column, the point nearest its x."""
    xs = [x for x, _ in points]
    x0, x1 = xs[0], xs[-1]
    cols = min(width, len(points))
    chosen_x, chosen_y = [], []
    for c in range(cols):
        target = x0 + (x1 - x0) * c / max(cols - 1, 1)
        x, y = min(points, key=lambda p: (abs(p[0] - target), p[0]))
        chosen_x.append(x)
        chosen_y.append(y)
    return chosen_x, chosen_y


def bars(values: Sequence[float], low: float, high: float, height: int) -> list[str]:
    """Columns of block characters, top row first: each value as a bar from ``low`` to ``high``."""
    span = (high - low) or 1.0
    levels = [round((min(max(v, low), high) - low) / span * 8 * height) for v in values]
    rows = []
    for r in range(height - 1, -1, -1):
        rows.append("".join(_EIGHTHS[min(max(level - 8 * r, 0), 8)] for level in levels))
    return rows


def _curve_text(curve: Curve, columns: int, height: int) -> list[str]:
    # The axis runs from 0 (or the lowest point) to the highest point of the whole curve.
    low, high = min(0.0, min(y for _, y in curve.points)), max(y for _, y in curve.points)
    pad = max(len(_g(high)), len(_g(low)))
    xs, ys = _columns(curve.points, max(8, min(60, columns - pad - 2)))
    rows = bars(ys, low, high, height)
    mx, my = curve.mark
    at = min(range(len(xs)), key=lambda c: abs(xs[c] - mx))
    lines = [f"{(_g(high) if i == 0 else _g(low) if i == height - 1 else '').rjust(pad)} │{row}" for i, row in enumerate(rows)]
    axis = " " * pad + " └" + "─" * len(xs)
    lines.append(axis)
    what = f"{curve.x_label.split()[-1]} = {_g(mx)}: {curve.y_label} = {_g(my)}"
    start = pad + 2 + at
    # A caret under the asked step, its text beside it where the columns allow, else below it.
    if start + 2 + len(what) <= columns:
        lines.append(" " * start + "^ " + what)
    elif start >= len(what) + 1:
        lines.append(" " * (start - len(what) - 1) + what + " ^")
    else:
        lines += [" " * start + "^", " " * (pad + 2) + what]
    # The axis's ends under its first and last columns, its name between them, or under them
    # where the axis is too short to hold it with a space each side ("0step t7").
    first, last = _g(xs[0]), _g(xs[-1])
    room = len(xs) - len(first) - len(last)
    if room >= len(curve.x_label) + 2:
        lines.append(" " * (pad + 2) + first + curve.x_label.center(room) + last)
    else:
        lines.append(" " * (pad + 2) + first + " " * max(room, 1) + last)
        lines.append(" " * (pad + 2) + curve.x_label.center(len(xs)).rstrip())
    return lines


def _grid_text(grid: Grid, columns: int) -> list[str]:
    label = max(len(r) for r in grid.rows)
    head = " " * (label + 1) + "".join(f"{c:>8}" for c in grid.cols)
    lines = [head]
    for name, row in zip(grid.rows, grid.values):
        cells = "".join(f"  {_SHADES[min(int(min(max(v, 0.0), 1.0) * 5), 4)] * 2}{v:4.2f}" for v in row)
        lines.append(f"{name:>{label}} {cells}")
    key = ["shading: blank under 0.2,", "░ under 0.4,", "▒ under 0.6,", "▓ under 0.8,", "█ from 0.8"]
    # The key on one line where it fits, else broken between its items, never inside one.
    line = ""
    for item in key:
        if line and len(line) + 1 + len(item) > columns:
            lines.append(line)
            line = ""
        line = f"{line} {item}" if line else f"{'':>{label}} {item}"
    lines.append(line)
    return lines
