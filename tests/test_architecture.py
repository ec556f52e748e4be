"""The layout's promises, checked on the source: data flows one way and faces stay apart.

Imports are read from the source with ``ast``, those inside functions included, so an import
made late to save start-up time still counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("quizgen", "checkers")
FACES = ("quizgen.drill", "quizgen.anki", "quizgen.classroom")
CONCEPTS = ROOT / "concepts"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name imported from a package that is itself a
    module counts as that module)."""
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


GRAPH = _imports()


def test_no_import_cycles() -> None:
    """No module reaches itself through the modules it imports (a package's __init__ excepted
    only in that importing a submodule also runs its package, which is not counted)."""
    def reach(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(GRAPH.get(node, ())):
                if nxt == start:
                    return path + [nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [cycle for module in sorted(GRAPH) if (cycle := reach(module))]
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles[:5])


@pytest.mark.parametrize("face", FACES)
def test_a_face_uses_the_core_and_the_judge_never_another_face(face: str) -> None:
    others = [f for f in FACES if f != face]
    crossing = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        if module == face or module.startswith(face + ".")
        for target in targets
        if any(target == o or target.startswith(o + ".") for o in others)
    )
    assert crossing == []


def test_nothing_imports_the_command_line_back() -> None:
    importers = sorted(m for m, targets in GRAPH.items() if "quizgen.cli" in targets and m != "quizgen.__main__")
    assert importers == []


def test_core_and_judge_know_no_face() -> None:
    inner = [m for m in GRAPH if m.split(".")[:2] in (["quizgen", "core"], ["quizgen", "judge"]) or m.startswith("checkers")]
    leaks = sorted((m, t) for m in inner for t in GRAPH[m] if any(t == f or t.startswith(f + ".") for f in FACES))
    assert leaks == []


def test_no_module_is_over_600_lines() -> None:
    """A module that grows past this is doing two jobs: split it by what it holds."""
    long = sorted(
        (str(p.relative_to(ROOT)), n)
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    )
    assert long == []


def test_building_problems_never_loads_torchs_compiler() -> None:
    """Grading redraws every problem in a fresh process, so what the checkers load is paid per
    run: none of them may pull in torch._dynamo (about half a second), which meta-tensor
    arithmetic and self-initialising meta modules do, nor torch's symbolic shapes and sympy (0.3
    to 0.4 s), which matmul and softmax on meta tensors do: those go through ``checkers.meta``."""
    import subprocess
    import sys

    program = (
        "import random, sys\n"
        "from quizgen.core.concepts import load_concepts\n"
        "from quizgen.core.problems import build_problem\n"
        "rng = random.Random(0)\n"
        f"for c in load_concepts({str(CONCEPTS)!r}):\n"
        "    for t in c.templates:\n"
        "        if t.generator != 'authored' or 'symbols' not in str(t.params):\n"
        "            for _ in range(5):\n"
        "                build_problem(c, t, rng.getrandbits(32))\n"
        "from checkers.transformer_shapes import solve\n"  # the shipped template's largest draw
        "for step in ('scores', 'weights', 'head-outputs', 'output'):\n"
        "    solve({'ask': 'shape', 'batch': 32, 'length': 128, 'kv_length': 128, 'd_model': 1024, 'heads': 16, 'step': step})\n"
        "print('sympy' in sys.modules, 'torch._dynamo' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "True"]


# ---------------------------------------------------------------------------------------------
# Layers, not only cycles

LAYERS = {
    # answer types, parameters, errors, files, formulas, pictures: imports nothing above it
    # (render is here: it lays values out as text and TeX and imports nothing of the project;
    # generators write their inputs with it, and a whole problem's text is the generate command's)
    "bottom": ("quizgen", "quizgen.core", "quizgen.core.answer", "quizgen.core.equivalence", "quizgen.core.params",
               "quizgen.core.errors", "quizgen.core.files", "quizgen.core.formula", "quizgen.core.pictures",
               "quizgen.core.render", "quizgen.core.command"),
    # the registry, the generators and the checkers
    "families": ("quizgen.generators", "checkers"),
    # reading what a learner types and judging it
    "judge": ("quizgen.judge",),
    # concept files, the schema, template + seed -> problem
    "build": ("quizgen.core.concepts", "quizgen.core.library", "quizgen.core.schema", "quizgen.core.problems"),
    # what users run
    "faces": ("quizgen.drill", "quizgen.anki", "quizgen.classroom", "quizgen.cli", "quizgen.__main__"),
}
MAY_IMPORT = {
    "bottom": {"bottom"},
    "families": {"bottom", "families"},
    "judge": {"bottom", "judge"},
    "build": {"bottom", "families", "build"},
    "faces": {"bottom", "build", "judge", "faces"},
}
# Imports against the order that are still there, each named: fix one and remove it here (the
# test fails on an entry that no longer holds, so this list only shrinks). It is empty: a face
# that needs a generator or a checker asks the build layer (the drill's first draw without
# torch and its checkers warmed in the background are ``quizgen.core.problems.first_draw`` and
# ``warm_checkers``), so keep it so.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def _layer(module: str) -> str:
    """The layer of a module: the longest prefix named in LAYERS."""
    best = max(
        ((layer, prefix) for layer, prefixes in LAYERS.items() for prefix in prefixes
         if module == prefix or module.startswith(prefix + ".")),
        key=lambda pair: len(pair[1]),
        default=None,
    )
    assert best is not None, f"{module} is in no layer: name it in LAYERS"
    return best[0]


def _against_the_order() -> set[tuple[str, str]]:
    return {(m, t) for m, targets in GRAPH.items() for t in targets if _layer(t) not in MAY_IMPORT[_layer(m)]}


def test_every_module_is_in_a_layer() -> None:
    for module in GRAPH:
        _layer(module)


def test_packages_import_only_the_layers_below() -> None:
    """bottom <- families <- build <- faces, the judge beside the build layer (on the bottom
    only), faces on the build layer and the judge: what a family or the core may use is fixed, so
    the core can be read, tested and changed without the faces."""
    found = _against_the_order()
    new = sorted(found - KNOWN_EXCEPTIONS)
    assert new == [], "imports against the layer order: " + "; ".join(f"{m} -> {t}" for m, t in new)
    fixed = sorted(KNOWN_EXCEPTIONS - found)
    assert fixed == [], "no longer against the order, remove from KNOWN_EXCEPTIONS: " + "; ".join(f"{m} -> {t}" for m, t in fixed)
