"""The test suite's own tools (tests/conftest.py, benchmarks/mutate_mistakes.py): a missing part skips only locally and fails
under CI=true, naming the part; arrays compare in shape before entries; the mutation check's instrument."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import conftest
import numpy as np
import pytest
from conftest import ROOT, agree

# --- missing parts: skip locally, fail under CI=true ------------------------------------------


def _hide_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no node on it


def _hide_pexpect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pexpect", None)  # `import pexpect` now raises ImportError


def test_a_missing_part_skips_locally_saying_what_was_not_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "IN_CI", False)
    monkeypatch.setattr(conftest, "CHROMIUM", None)
    _hide_node(monkeypatch, tmp_path)
    _hide_pexpect(monkeypatch)
    for need, part in ((conftest.need_node, "node"), (conftest.need_pexpect, "pexpect"), (conftest.need_chromium, "chromium")):
        with pytest.raises(pytest.skip.Exception, match=rf"^{part} is not installed, so .+ \(.*install"):
            need()


def test_a_missing_part_fails_under_ci_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "IN_CI", True)
    monkeypatch.setattr(conftest, "CHROMIUM", None)
    _hide_node(monkeypatch, tmp_path)
    _hide_pexpect(monkeypatch)
    for need, part in ((conftest.need_node, "node"), (conftest.need_pexpect, "pexpect"), (conftest.need_chromium, "chromium")):
        with pytest.raises(pytest.fail.Exception, match=rf"^{part} is required under CI=true, and it is missing"):
            need()


def test_a_present_part_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "IN_CI", False)
    assert os.path.basename(conftest.need_node()) == "node"
    assert conftest.need_pexpect().__name__ == "pexpect"


# Blocks `import pexpect` in a pytest process before any test module is collected.
_BLOCK_PEXPECT = 'import sys\nsys.modules["pexpect"] = None\n'


def _run_pytest(tmp_path: Path, ci: bool, *node_ids: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "block_pexpect.py").write_text(_BLOCK_PEXPECT, encoding="utf-8")
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PATH=str(empty), PYTHONPATH=str(tmp_path), **({"CI": "true"} if ci else {}))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "-p", "block_pexpect", *node_ids],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )


def test_the_real_tests_fail_under_ci_without_node_or_pexpect(tmp_path: Path) -> None:
    """The acceptance, on the real test files: with no node on PATH and pexpect unimportable, the
    node and pseudo-terminal tests fail under CI=true naming what is missing, and skip otherwise;
    a drill test that needs neither still runs and passes."""
    tests = ("tests/test_card_script.py::test_vector_table_under_node", "tests/test_drill.py::test_pty_right_answer",
             "tests/test_drill.py::test_rating_thresholds")
    ci = _run_pytest(tmp_path, True, *tests)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "2 failed, 1 passed" in ci.stdout, ci.stdout
    assert "node is required under CI=true" in ci.stdout and "pexpect is required under CI=true" in ci.stdout, ci.stdout
    local = _run_pytest(tmp_path, False, *tests)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "1 passed, 2 skipped" in local.stdout, local.stdout
    assert "node is not installed" in local.stdout and "pexpect is not installed" in local.stdout, local.stdout


# --- arrays: shape first ------------------------------------------------------------------------


def test_a_one_entry_vector_does_not_match_a_k_entry_key() -> None:
    key = [0.25, 0.25, 0.25, 0.25]
    assert np.allclose([0.25], key)  # what broadcasting lets through
    assert np.allclose(0.25, key)
    assert not agree([0.25], key) and not agree(0.25, key) and not agree(key, [0.25])
    assert not agree([[0.25, 0.25, 0.25, 0.25]], key)  # a row is not a vector
    assert not agree(np.array([0.25]), np.array(key))
    assert agree(key, np.array(key) * (1 + 1e-12))
    assert not agree(key, [0.25, 0.25, 0.25, 0.2500001])
    assert agree([[1.0, 2.0]], np.array([[1.0, 2.0]])) and not agree([[1.0, 2.0]], [[1.0], [2.0]])


def test_no_test_outside_the_family_files_compares_arrays_loosely() -> None:
    """``np.allclose`` and ``torch.allclose`` broadcast. Outside the family files (whose owners use
    ``agree``), a test compares arrays through conftest's ``agree``, which compares shapes first."""
    families = {"test_" + f.replace("-", "_") + ".py" for f in _families()}
    loose = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.name in families or path.name == Path(__file__).name:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "np.allclose(" in line or "torch.allclose(" in line or "numpy.allclose(" in line:
                loose.append(f"{path.name}:{number}: {line.strip()}")
    assert loose == [], "\n".join(loose)


def _families() -> list[str]:
    from quizgen.generators import GENERATORS

    return sorted(GENERATORS)


# --- the mutation check (benchmarks/mutate_mistakes.py) --------------------------------------------


def _mutate_mistakes() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mutate_mistakes", ROOT / "benchmarks" / "mutate_mistakes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mutation_check_breaks_exactly_the_value_it_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The instrument of the mutation check: one named mistake (or one ask's key) changes, nothing
    else does, the run is marked as having reached it, and doctest still finds ``solve``."""
    import doctest

    import checkers
    import checkers.simclr
    from quizgen.core.problems import solve_problem

    mutate = _mutate_mistakes()
    monkeypatch.setattr(checkers, "_solvers", {})
    monkeypatch.setattr(checkers.simclr, "solve", checkers.simclr.solve)  # put back afterwards
    inputs = {"ask": "negatives", "batch": 4}
    before = solve_problem("simclr", inputs)
    old = {m.name: m.value for m in before.misconceptions}
    marker = tmp_path / "reached"
    mutate._install({"family": "simclr", "target": "mistake", "name": "one-view-per-example", "op": "x2", "marker": str(marker)})
    after = solve_problem("simclr", inputs)
    new = {m.name: m.value for m in after.misconceptions}
    assert after.answer == before.answer and new["one-view-per-example"] == 2 * old["one-view-per-example"] != 0
    assert {k: v for k, v in new.items() if k != "one-view-per-example"} == {k: v for k, v in old.items() if k != "one-view-per-example"}
    assert marker.exists()
    assert "checkers.simclr.solve" in {t.name for t in doctest.DocTestFinder().find(checkers.simclr)}

    marker.unlink()
    mutate._install({"family": "simclr", "target": "answer", "name": "loss", "op": "+1", "marker": str(marker)})
    assert solve_problem("simclr", inputs).answer == after.answer and not marker.exists()  # another ask: untouched


def test_the_mutations() -> None:
    perturb = _mutate_mistakes().perturb
    assert perturb(0.25, "+1") == 1.25 and perturb(0.25, "x2") == 0.5
    assert perturb([[1.0, 2.0], [3.0, 4.0]], "+1") == [[2.0, 3.0], [4.0, 5.0]]
    assert perturb([2, 3], "x2") == [4, 6] and perturb("error", "+1") == [1]
    assert perturb([1.0, 2.0], "swap") == [2.0, 1.0] and perturb(0.5, "swap", other=0.7) == 0.7
    assert perturb({"formula": "d^2", "symbols": {"d": "size"}}, "x2") == {"formula": "2*(d^2)", "symbols": {"d": "size"}}
