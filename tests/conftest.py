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
