"""Checkers: from a problem's inputs to its exact answer, worked steps and named misconceptions.

Each ``checkers/<family>.py`` exposes ``solve(inputs) -> quizgen.core.answer.Solution``, computed in
float64 torch with torch's own operations wherever they exist. The registry below is keyed by the
same family names as ``quizgen.generators.GENERATORS``. Modules are imported on first use, so that
code which only shows problems never pays for importing torch. A checker reads the inputs its own
generator drew; an ask the generator does not declare is refused by the registry before it runs
(``quizgen.generators.refuse_unknown_ask``), so checkers neither list their asks nor check them.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from quizgen.core.answer import Misconception, Solution, Step
from quizgen.generators import MODULES

# Family name -> checker module: the same module names as the generators' registry.
CHECKERS: dict[str, str] = {family: f"checkers.{module}" for family, module in MODULES.items()}


_solvers: dict[str, Callable[[Mapping[str, Any]], Solution]] = {}


def get_checker(family: str) -> Callable[[Mapping[str, Any]], Solution]:
    """The ``solve`` function of a family's checker (imports torch on first use)."""
    solve = _solvers.get(family)
    if solve is None:
        import torch

        # Checker tensors have a handful of entries: extra threads only add start-up and contention
        # (measured ~10x slower per problem while another process kept both cores busy).
        torch.set_num_threads(1)
        solve = _solvers[family] = importlib.import_module(CHECKERS[family]).solve
    return solve


def load_checkers(families: Iterable[str]) -> None:
    """Import these families' checkers (and torch) once, before building many problems or forking.

    Then freeze the garbage collector's view of everything imported so far: building thousands
    of problems allocates many small containers, and each collection they trigger would otherwise
    rescan torch's hundreds of thousands of long-lived objects (measured: about 25% of the time
    per problem). Frozen objects are still freed by reference counting; they are only left out of
    cycle collection, which modules and their data never need.
    """
    for family in sorted(set(families)):
        get_checker(family)
    gc.freeze()


__all__ = ["CHECKERS", "Answer", "Misconception", "Solution", "Step", "get_checker", "load_checkers"]
