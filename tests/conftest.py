from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ROOT / "concepts"
BROKEN = Path(__file__).resolve().parent / "broken"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_chromium() -> str:
    """Chromium's path; skips saying why when it is missing, and fails instead under CI=true."""
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("chromium is required under CI=true (.ci/run installs it: apt-get install -y chromium)")
        pytest.skip("chromium is not installed, so pages were not rendered in a browser (apt-get install -y chromium)")
    return CHROMIUM


def chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a throwaway profile, as the tests run it."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [need_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout,
        )


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
