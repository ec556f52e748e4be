from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ROOT / "concepts"
BROKEN = Path(__file__).resolve().parent / "broken"


@pytest.fixture(scope="session")
def concepts():
    from quizgen.concepts import load_concepts

    return load_concepts(CONCEPTS)
