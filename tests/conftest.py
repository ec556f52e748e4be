from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ROOT / "concepts"
BROKEN = Path(__file__).resolve().parent / "broken"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests draw new examples on every local run, which is how they find what no table
# holds; under CI=true they draw the same examples every time, so that a fresh clone's run is
# repeatable and a submission does not stand or fall on the draw. A failure found locally is
# pinned with @example in its test.
settings.register_profile("ci", derandomize=True)
if IN_CI:
    settings.load_profile("ci")


def missing(what: str, install: str, consequence: str) -> NoReturn:
    """A part a test needs is missing: skip saying what was not checked, or, under CI=true
    (where .ci/run installs every part), fail naming the part.  The one rule for every skip
    of a missing external part; a test skips only what needs the part."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true, and it is missing ({install})", pytrace=False)
    pytest.skip(f"{what} is not installed, so {consequence} ({install})")


def need_chromium() -> str:
    """Chromium's path; skips saying why when it is missing, and fails instead under CI=true."""
    if CHROMIUM is None:
        missing("chromium", "apt-get install -y chromium", "pages were not rendered in a browser")
    return CHROMIUM


def need_node() -> str:
    """node's path; skips saying why when it is missing, and fails instead under CI=true."""
    node = shutil.which("node")
    if node is None:
        missing("node", "apt-get install -y nodejs", "the card script was not run under node")
    return node


def need_pexpect() -> Any:
    """The pexpect module (it drives the drill in a pseudo-terminal); skips saying why when it
    cannot be imported, and fails instead under CI=true."""
    try:
        import pexpect
    except ImportError:
        missing("pexpect", "pip install -e '.[test]'", "the drill was not driven in a pseudo-terminal")
    return pexpect


def chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a throwaway profile, as the tests run it."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [need_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout,
        )


A4_TEXT_PX = 688  # an A4 page's text width: 210 mm less 2 × 14 mm margins, at 96 px per inch


def probe_page(page: Path, script: str, result_id: str, *, text: str | None = None, suffix: str = "probe") -> Any:
    """Lay ``page`` (or ``text`` in its place) out in Chromium at A4 text width with ``script``
    added, and return the JSON the script left in ``<pre id=result_id>``: where things stand."""
    import html
    import json
    import re

    probe = page.with_name(f"{page.stem}.{suffix}.html")
    body = page.read_text("utf-8") if text is None else text
    probe.write_text(body.replace("</body>", script + "</body>"), "utf-8")
    proc = chromium(f"--window-size={A4_TEXT_PX},1000", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(rf'<pre id="{result_id}">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, proc.stdout[-2000:]
    return json.loads(html.unescape(match.group(1)))


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


# ---------------------------------------------------------------------------------------------
# Family test helpers: what every tests/test_<family>.py used to define for itself. The checks
# every family gets are registry-driven, in tests/test_references.py and tests/test_families.py.

from collections.abc import Callable  # noqa: E402  (kept with the helpers that use it)


@functools.cache
def solved_variants(family: str) -> list[tuple[dict[str, Any], Any]]:
    """The ``VARIANTS`` of a family's test module, each with its solution: solved once in a
    process, and only when a test asks (collecting the tests stays quick on every worker)."""
    from quizgen.generators import MODULES

    solve = solver(family)
    return [(inputs, solve(inputs)) for inputs in importlib.import_module("test_" + MODULES[family]).VARIANTS]


def solver(family: str) -> Callable[[dict[str, Any]], Any]:
    """``solve(inputs)`` for a family's tests: the checker's solution with its answer typed by
    the generator, through the one solve path (``solve_problem``) and in inference mode, as the
    problem builder runs it."""

    def solve(inputs: dict[str, Any]) -> Any:
        import torch

        from quizgen.core.problems import solve_problem

        with torch.inference_mode():
            return solve_problem(family, inputs)

    return solve


def agree(a: Any, b: Any, rel: float = 1e-9, abs: float = 1e-12) -> bool:
    """Whether a checker's value ``a`` is the independently computed ``b``: the same shape first
    (nested lists of the same lengths; ``np.allclose`` alone would broadcast a 1-entry vector
    over a k-entry key), then close numbers, equal strings; a formula (a dict) against
    ``(symbol values, number)`` cases."""
    import math

    if isinstance(a, dict):
        return formula_agrees(a, b)
    if hasattr(b, "tolist"):
        b = b.tolist()
    if hasattr(a, "tolist"):
        a = a.tolist()
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(agree(x, y, rel, abs) for x, y in zip(a, b))
        )
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs)
