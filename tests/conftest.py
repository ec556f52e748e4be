from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ROOT / "concepts"
BROKEN = Path(__file__).resolve().parent / "broken"


@pytest.fixture(scope="session")
def concepts():
    from quizgen.core.concepts import load_concepts

    return load_concepts(CONCEPTS)


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir(tmp_path_factory):
    """Keep the review database out of the real home directory.

    Commands run by the tests (in process or as subprocesses) inherit this ``QUIZGEN_HOME``;
    a test that needs its own sets it with ``monkeypatch``.
    """
    import os

    home = tmp_path_factory.mktemp("quizgen-home")
    old = os.environ.get("QUIZGEN_HOME")
    os.environ["QUIZGEN_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("QUIZGEN_HOME", None)
    else:
        os.environ["QUIZGEN_HOME"] = old


def formula_agrees(value: dict, cases: list) -> bool:
    """Whether a formula answer gives each independently computed ``(symbol values, number)``
    case: how a family's test compares a formula with its reference."""
    import math

    from quizgen.core import formula

    tree = formula.read(value["formula"], value["symbols"])
    return bool(cases) and all(
        math.isclose(formula.evaluate(tree, {k: float(v) for k, v in values.items()}), float(number), rel_tol=1e-9, abs_tol=1e-12)
        for values, number in cases
    )
