"""Plain-text rendering shared by the generators' ``describe`` functions (no torch here)."""

from __future__ import annotations

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
