"""Plain-text rendering shared by the generators' ``describe`` functions (no torch here)."""

from __future__ import annotations

import json
from typing import Any, Sequence


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
        text = f"{value:.6g}"
        return "0" if text == "-0" else text
    return str(value)


def fmt_inline(value: Any) -> str:
    """A value on one line: ``[1, 0.5]``, ``[[1, 2], [3, 4]]``."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_inline(v)}" for k, v in value.items()) + "}"
    return fmt_scalar(value)
