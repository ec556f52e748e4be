"""Parameter specifications for generator families.

A generator module declares ``PARAMS: dict[str, ParamSpec]``. A template's ``params`` mapping in a
concept file gives values for some of them; the rest take the spec's default. From these specs
come the JSON Schema (``quizgen schema``), the semantic checks of ``quizgen check`` (min > max, a
negative size, a temperature <= 0) and the normalised values a generator receives:

- ``IntRange``   YAML ``3`` or ``[2, 4]``          -> generator gets ``(lo, hi)`` ints, lo <= hi
- ``FloatRange`` YAML ``0.5`` or ``[0.1, 1.0]``    -> generator gets ``(lo, hi)`` floats
- ``Choice``     YAML ``"bleu"`` or ``[bleu, bp]`` -> generator gets a tuple of option strings
- ``Flag``       YAML ``true`` / ``false``         -> generator gets a bool

Draw from them only with an explicit ``random.Random`` (``draw_int``, ``draw_float``,
``draw_choice``): never the global random state.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quizgen.core.errors import GenerationError


@dataclass(frozen=True)
class IntRange:
    """A whole number or an inclusive ``[min, max]`` range of them."""

    default: tuple[int, int]
    doc: str
    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True)
class FloatRange:
    """A number or an inclusive ``[min, max]`` range; ``exclusive_minimum`` rejects e.g. tau <= 0."""

    default: tuple[float, float]
    doc: str
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Choice:
    """One option, or a list of options of which each variant draws one."""

    options: tuple[str, ...]
    default: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class Flag:
    """A yes/no switch."""

    default: bool
    doc: str


ParamSpec = IntRange | FloatRange | Choice | Flag


def normalise(spec: ParamSpec, value: Any) -> Any:
    """Turn an already validated YAML value into what generators receive (see module doc)."""
    if isinstance(spec, Flag):
        return bool(value)
    if isinstance(spec, Choice):
        return (value,) if isinstance(value, str) else tuple(value)
    if isinstance(value, (list, tuple)):
        lo, hi = value
    else:
        lo = hi = value
    if isinstance(spec, IntRange):
        return (int(lo), int(hi))
    return (float(lo), float(hi))


def resolve(specs: dict[str, ParamSpec], given: dict[str, Any]) -> dict[str, Any]:
    """Merge a template's params with the defaults and normalise every value."""
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        out[name] = normalise(spec, given[name]) if name in given else spec.default
    return out


def draw_int(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randint(bounds[0], bounds[1])


def draw_int_matrix(rng: random.Random, rows: int, cols: int, bounds: tuple[int, int]) -> list[list[int]]:
    """A rows×cols matrix of ``draw_int`` entries, row by row."""
    lo, hi = bounds
    randint = rng.randint
    return [[randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def draw_float(rng: random.Random, bounds: tuple[float, float], decimals: int = 1) -> float:
    """A value on a grid of ``10**-decimals`` inside the bounds, so it prints exactly."""
    scale = 10**decimals
    lo = int(round(bounds[0] * scale))
    hi = int(round(bounds[1] * scale))
    return round(rng.randint(lo, hi) / scale, decimals)


def draw_on_grid(rng: random.Random, grid: Sequence[float], bounds: tuple[float, float], decimals: int) -> float:
    """A point of ``grid`` inside ``bounds`` (give or take 1e-9) when there is one, else ``draw_float``."""
    lo, hi = bounds
    points = [x for x in grid if lo - 1e-9 <= x <= hi + 1e-9]
    return points[rng.randrange(len(points))] if points else draw_float(rng, bounds, decimals)


def draw_choice(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[0] if len(options) == 1 else options[rng.randrange(len(options))]


MAX_DRAWS = 200
"""How many times a generator draws before it gives up on a template's parameters."""


def redraw(attempt: Callable[[], dict[str, Any] | None], degenerate_for: str, tries: int = MAX_DRAWS) -> dict[str, Any]:
    """The first inputs ``attempt()`` gives (None is a degenerate draw), within ``tries`` (a
    family whose usable draws are rare but cheap to try may allow more).

    Raises:
        GenerationError: Every draw was degenerate; ``degenerate_for`` names the parameters and
            says which to widen.
    """
    for _ in range(tries):
        inputs = attempt()
        if inputs is not None:
            return inputs
    raise GenerationError(f"Expected a usable variant within {tries} draws, but every draw was degenerate for {degenerate_for}")
