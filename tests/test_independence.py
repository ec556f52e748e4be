"""Each family's reference is independent of the code it checks.

A family's ``reference(inputs)`` (and ``mistakes(inputs)``, where a family test file defines one)
in ``tests/test_<family>.py`` must compute the answer without the checker: if it called the
checker, or quizgen code that computes the same value, a wrong checker would agree with itself.
This reads the test file with ``ast``: from ``reference`` and ``mistakes`` it follows every name
their code uses (module-level functions, classes and constants of the file, and functions
imported from ``conftest`` or another test file, recursively) and collects the modules those names
and any imports inside them come from.

Forbidden: ``checkers`` and every ``checkers.*`` module; every ``quizgen`` module except
``ALLOWED``; and the ways around an import statement (``importlib``, ``__import__``,
``sys.modules``, ``eval``, ``exec``). Allowed, because they compute no answer: the parameter specs
and ``resolve`` (``quizgen.core.params``), the answer, step and mistake types
(``quizgen.core.answer``: named tuples without arithmetic) and the error classes
(``quizgen.core.errors``). Everything else (numpy, torch, scikit-learn, nltk, sacrebleu, the
standard library) is the independent computation itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from quizgen.generators import GENERATORS

TESTS = Path(__file__).resolve().parent
ROOTS = ("reference", "mistakes")
ALLOWED = ("quizgen.core.params", "quizgen.core.answer", "quizgen.core.errors")
EVASIONS = {"importlib", "__import__", "eval", "exec", "sys.modules"}


def _module_of(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(local name, what it is) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        return [(a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]) for a in node.names]
    base = "." * node.level + (node.module or "")
    return [(a.asname or a.name, f"{base}.{a.name}") for a in node.names]


class _Module:
    """The top-level definitions and imports of one test file."""

    def __init__(self, path: Path):
        self.path = path
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.imports: dict[str, str] = {}
        self.defs: dict[str, list[ast.AST]] = {}
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports.update(_module_of(node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs.setdefault(node.name, []).append(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.defs.setdefault(name.id, []).append(node)


def reached_modules(path: Path, roots: tuple[str, ...] = ROOTS) -> tuple[set[str], set[str]]:
    """The definitions reached from ``roots`` in ``path`` (as ``file:name``) and the modules and
    evasions they use."""
    modules: dict[Path, _Module] = {}
    seen: set[tuple[Path, str]] = set()
    used: set[str] = set()

    def module(p: Path) -> _Module:
        if p not in modules:
            modules[p] = _Module(p)
        return modules[p]

    todo = [(path, r) for r in roots if r in module(path).defs]
    while todo:
        where, name = todo.pop()
        if (where, name) in seen:
            continue
        seen.add((where, name))
        mod = module(where)
        if name not in mod.defs:  # an imported name: follow it into a test helper file, else record its module
            origin = mod.imports[name]
            helper = TESTS / (origin.rsplit(".", 1)[0] + ".py")
            if origin.count(".") == 1 and helper.exists():
                todo.append((helper, origin.rsplit(".", 1)[1]))
            else:
                used.add(origin)
            continue
        for node in mod.defs[name]:
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):  # an import inside a function
                    for _, origin in _module_of(sub):
                        used.add(origin)
                        helper = TESTS / (origin.rsplit(".", 1)[0] + ".py")
                        if origin.count(".") == 1 and helper.exists():
                            todo.append((helper, origin.rsplit(".", 1)[1]))
                elif isinstance(sub, ast.Name):
                    if sub.id in ("__import__", "eval", "exec"):
                        used.add(sub.id)
                    elif sub.id in mod.defs or sub.id in mod.imports:
                        todo.append((where, sub.id))
                elif isinstance(sub, ast.Attribute) and sub.attr == "modules" and isinstance(sub.value, ast.Name) and sub.value.id == "sys":
                    used.add("sys.modules")
    return {f"{p.name}:{n}" for p, n in seen}, used


def forbidden(used: set[str]) -> list[str]:
    """The used modules and evasions a reference may not use."""
    out = []
    for origin in sorted(used):
        top = origin.split(".")[0]
        if origin in EVASIONS or top == "importlib" or origin.startswith(("sys.modules",)):
            out.append(origin)
        elif top == "checkers" or (top == "quizgen" and not origin.startswith(tuple(a + "." for a in ALLOWED) + ALLOWED)):
            out.append(origin)
        elif origin.startswith("."):
            out.append(origin)  # a relative import cannot be told apart from the package's own code
    return out


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_each_reference_uses_neither_its_checker_nor_quizgens_computations(family: str) -> None:
    path = TESTS / ("test_" + family.replace("-", "_") + ".py")
    reached, used = reached_modules(path)
    assert f"{path.name}:reference" in reached, f"{path.name} defines no reference(inputs)"
    assert forbidden(used) == [], f"{path.name}'s reference reaches {forbidden(used)} (reached: {sorted(reached)})"


CHEATS = {
    "a helper calls the family's checker": """
from checkers.vae import solve as _solve

def _helper(inputs):
    return _solve(inputs).value

def reference(inputs):
    return _helper(inputs)
""",
    "the build path computes the key": """
from quizgen.core.problems import solve_problem

def reference(inputs):
    return solve_problem("vae", inputs).answer.value
""",
    "an import inside the function": """
def reference(inputs):
    import checkers.vae
    return checkers.vae.solve(inputs).value
""",
    "a module-level table built by the checker": """
import checkers

TABLE = {ask: checkers.solve for ask in ("kl",)}

def reference(inputs):
    return TABLE[inputs["ask"]]("vae", inputs).value
""",
    "an import by name": """
import importlib

def reference(inputs):
    return importlib.import_module("checkers.vae").solve(inputs).value
""",
    "a mistakes function reusing the judge": """
from quizgen.judge import close

def reference(inputs):
    return 1.0

def mistakes(inputs):
    return {"m": close}
""",
    "a helper from another test file that calls the checker": """
from test_cheating_helper import helper

def reference(inputs):
    return helper(inputs)
""",
}
HELPER = """
from quizgen.core.problems import solve_problem

def helper(inputs):
    return solve_problem("vae", inputs).answer.value
"""


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_reference_that_uses_the_checker_is_caught(cheat: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: each way of reaching the checker or the build path is found."""
    monkeypatch.setattr(sys.modules[__name__], "TESTS", tmp_path)
    (tmp_path / "test_cheating_helper.py").write_text(HELPER, encoding="utf-8")
    path = tmp_path / "test_cheat.py"
    path.write_text(CHEATS[cheat], encoding="utf-8")
    _, used = reached_modules(path)
    assert forbidden(used), (cheat, used)


def test_allowed_and_independent_code_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "TESTS", tmp_path)
    path = tmp_path / "test_fair.py"
    path.write_text(
        """
import numpy as np
from checkers import vae  # imported by the file for other tests, never reached from reference
from quizgen.core.params import resolve

SCALE = np.float64(2.0)

def _kl(mu, sigma):
    return 0.5 * (sigma**2 + mu**2 - 1) - np.log(sigma)

def reference(inputs):
    return float(SCALE * _kl(inputs["mu"], inputs["sigma"]))

def other_test():
    return vae.solve
""",
        encoding="utf-8",
    )
    reached, used = reached_modules(path)
    assert reached == {"test_fair.py:reference", "test_fair.py:_kl", "test_fair.py:SCALE", "test_fair.py:np"}
    assert used == {"numpy"} and forbidden(used) == []
