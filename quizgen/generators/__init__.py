"""The registry of generator families: family name -> generator module.

A generator module turns a template's parameters and an explicit ``random.Random`` into a
problem's inputs. It never computes the answer: that is the checker's job (``checkers/<family>.py``,
with the same module name).

Each module defines:

``VERSION: int`` and ``VERSIONS: dict[str, int]`` (optional, ask -> version)
    A template's version, part of every problem id, is the highest of ``VERSION`` and
    ``VERSIONS[ask]`` over its asks (``quizgen.core.problems.template_version``); bump the ask
    whenever the same seed would build different inputs. A family whose templates differ by
    other parameters than ``ask`` may also define ``version(params) -> int`` (as an authored
    template states its own); the highest of them counts.
``PARAMS: dict[str, quizgen.core.params.ParamSpec]``
    The parameters a template may set, with defaults. Validation and the JSON Schema come from here.
    Its ``ask`` choice, when the family asks several questions, is the one list of the questions the
    family knows: the registry refuses any other before the checker runs (``refuse_unknown_ask``).
``draw(params: dict, rng: random.Random) -> dict``
    JSON-able inputs. Uses only ``rng``. Rejects degenerate draws itself by drawing again (a bounded
    number of times, then ``quizgen.core.errors.GenerationError``).
``describe(inputs: dict) -> str``
    The inputs as plain text for a learner (matrices as aligned rows, tokens as text, code for shapes).
``expected(inputs: dict) -> quizgen.core.answer.Answer``  (optional: a number when absent)
    The kind (and, for vectors and matrices, the dimensions) of the answer, with placeholder
    values: what the drill needs to say "a 2×3 matrix" and read typed text before torch is loaded.
``check_params(params: dict) -> list[tuple[str, str, str]]``  (optional)
    Cross-parameter problems a schema cannot express, as ``(param, expected, found)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from quizgen.core.answer import Answer

# Family name -> its module in this package and in ``checkers``: one line a family.
MODULES = {
    "attention": "attention",
    "authored": "authored",
    "bleu": "bleu",
    "classification": "classification",
    "conv-sizes": "conv_sizes",
    "embeddings": "embeddings",
    "fine-tuning": "fine_tuning",
    "language-modelling": "language_modelling",
    "lr-schedules": "lr_schedules",
    "masked-modelling": "masked_modelling",
    "normalization": "normalization",
    "rope": "rope",
    "shapes": "shapes",
    "simclr": "simclr",
    "ssl-teachers": "ssl_teachers",
    "transformer-shapes": "transformer_shapes",
    "vae": "vae",
}

class _Registry(Mapping[str, ModuleType]):
    """Family name -> generator module, each imported the first time it is asked for: a command
    about one concept (the drill's first question) loads only that concept's families."""

    def __init__(self) -> None:
        self._loaded: dict[str, ModuleType] = {}

    def __getitem__(self, family: str) -> ModuleType:
        module = self._loaded.get(family)
        if module is None:
            module = self._loaded[family] = importlib.import_module(f"quizgen.generators.{MODULES[family]}")
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


GENERATORS: Mapping[str, ModuleType] = _Registry()


def expected(family: str, inputs: dict[str, Any]) -> Answer:
    """The kind and dimensions of the answer ``inputs`` ask for (placeholder values). Inputs
    that name ``symbols`` ask for a formula in them, whatever the family."""
    if "symbols" in inputs:
        return Answer("formula", {"formula": "", "symbols": inputs["symbols"]})
    declare = getattr(GENERATORS[family], "expected", None)
    return declare(inputs) if declare is not None else Answer("number", 0.0)


def refuse_unknown_ask(family: str, inputs: dict[str, Any]) -> None:
    """Raise ``ValueError`` when ``inputs`` ask a question the family's generator does not declare
    (its ``ask`` choice): checked here once, before the checker reads any input, so that no checker
    repeats the list or the check."""
    spec = GENERATORS[family].PARAMS.get("ask")
    if spec is not None and inputs.get("ask") not in spec.options:
        raise ValueError(f"Expected ask to be one of {tuple(spec.options)}, but got {inputs.get('ask')!r}")
