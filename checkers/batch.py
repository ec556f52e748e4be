"""What the batched checkers (``solve_many``) share: grouping alike problems, and pausing the GC.

A family's ``solve_many`` decides which problems can share torch calls (``group_key``) and how to
solve one group of them (``solve_group``); ``solve_grouped`` does the rest the same way for every
family: problems without a key go through ``solve`` one by one, each group is solved in chunks,
results come back in input order, and a malformed input raises exactly what ``solve`` raises
first.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Callable, Hashable, Iterator, Mapping, Sequence, TypeVar

from checkers.solution import Solution

K = TypeVar("K", bound=Hashable)

# Problems per stacked batch: enough to amortise torch's per-call cost, few enough that the
# intermediate lists of one batch are freed before the garbage collector has to scan them again.
CHUNK = 256


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small acyclic objects are made.

    Building thousands of solutions (or loading 100,000 problems) makes millions of lists and
    dicts, and every few hundred of them the collector walks everything that survived so far.
    Nothing made under this context forms reference cycles, so nothing is lost by pausing it;
    reference counting still frees everything. The previous state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def solve_grouped(
    inputs_list: Sequence[Mapping[str, Any]],
    group_key: Callable[[Mapping[str, Any]], K | None],
    solve_group: Callable[[K, list[Mapping[str, Any]]], list[Solution]],
    solve: Callable[[Mapping[str, Any]], Solution],
    chunk: int = CHUNK,
) -> list[Solution]:
    """``[solve(x) for x in inputs_list]``, with alike problems solved together.

    ``group_key(x)`` is None for a problem to solve alone, else a key shared by problems that one
    ``solve_group(key, group)`` call can solve (at most ``chunk`` at a time; a group of one goes
    through ``solve``).

    Raises:
        ValueError: The first error that ``solve`` raises for the inputs, in input order.
    """
    items = list(inputs_list)
    out: list[Any] = [None] * len(items)
    singles: list[int] = []
    groups: dict[K, list[int]] = {}
    for index, inputs in enumerate(items):
        key = group_key(inputs)
        if key is None:
            singles.append(index)
        else:
            groups.setdefault(key, []).append(index)
    try:
        for index in singles:
            out[index] = solve(items[index])
        for key, indices in groups.items():
            group = [items[i] for i in indices]
            sols: list[Solution] = []
            for start in range(0, len(group), chunk):
                part = group[start : start + chunk]
                sols += [solve(part[0])] if len(part) == 1 else solve_group(key, part)
            for index, sol in zip(indices, sols):
                out[index] = sol
    except ValueError:
        # Raise exactly what solving one by one raises first (an error of the batched path itself
        # would not be raised here and is re-raised below).
        for inputs in items:
            solve(inputs)
        raise
    return out
