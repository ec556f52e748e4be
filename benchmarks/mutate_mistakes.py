"""Mutation check of the tests: break one named mistake's value, or one ask's answer, in one checker
at a time, run the tests that should notice, and say whether they did.

For every family, the named mistakes its checker gives are found by building the shipped templates
(``--variants`` each). Each mutation wraps the family's ``solve`` in the test process (a pytest
plugin, this very file, loaded with ``-p``) so that the one listed value is perturbed after the
checker computed it:

- ``mistake:<name>:+1`` / ``:x2``: that mistake's value plus 1 / times 2 (every entry of a vector,
  matrix or shape; ``(F) + 1`` / ``2*(F)`` for a formula);
- ``mistake:<name>:swap``: the value swapped with the next named mistake's (a description on
  the wrong value), or a vector's entries reversed;
- ``answer:<ask>:+1``: the key of that one ask (every ask of the family, one at a time).

The tests run are the family's own ``tests/test_<family>.py`` and every test of
``tests/test_references.py`` and ``tests/test_families.py`` parametrised by that family or one of
its templates. A mutation is
*caught* when they fail, *missed* when they pass, and *not reached* when no test made the checker
give the mutated value at all (*not applicable* for a swap that never had anything to swap with). A baseline run without a mutation must pass first.

Run from the repository root, in the project's venv:

    python benchmarks/mutate_mistakes.py                 # everything (long: one pytest run per mutation)
    python benchmarks/mutate_mistakes.py --quick         # a seeded sample: 3 mutations per family
    python benchmarks/mutate_mistakes.py --family simclr --family vae --json out.json
    python benchmarks/mutate_mistakes.py --ops +1        # every mistake once, every ask

Exits 1 if any mutation is missed or not reached (or a baseline fails), else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV = "QUIZGEN_MUTATION"  # a JSON {"family", "target", "name", "op", "marker"}; read by the plugin below
OPS = ("+1", "x2", "swap")
# The registry-driven test files: their tests parametrised by a family or a template are run too.
REGISTRY_FILES = (ROOT / "tests" / "test_references.py", ROOT / "tests" / "test_families.py")


# --- the perturbation ------------------------------------------------------------------------------


def perturb(value: Any, op: str, other: Any = None) -> Any:
    """The value broken by ``op``; ``other`` is the value a swap puts in its place."""
    if op == "swap":
        if other is not None:
            return other
        if isinstance(value, list) and len(value) > 1:
            return value[::-1]
        return value
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1 if op == "+1" else value * 2
    if isinstance(value, list):
        return [perturb(v, op) for v in value]
    if isinstance(value, dict) and "formula" in value:
        formula = value["formula"]
        return {**value, "formula": f"({formula}) + 1" if op == "+1" else f"2*({formula})"}
    if isinstance(value, str):  # a shape question's "error"
        return [1]
    return value


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except Exception:  # noqa: BLE001  (a tensor or an array: compare their lists)
        return True


def _install(mutation: dict[str, Any]) -> None:
    """Wrap the family's ``solve`` so that the mutation applies to every solution it gives.

    The wrapper is made a function of the checker module itself (its globals), so that doctest
    still finds and runs the examples in ``solve``'s docstring, now on the mutated function.
    """
    import importlib
    import types

    from checkers import CHECKERS, _solvers

    module = importlib.import_module(CHECKERS[mutation["family"]])
    original = module.solve
    marker = Path(mutation["marker"])
    state = {"reached": False}
    target, name, op = mutation["target"], mutation["name"], mutation["op"]
    broken, differs = perturb, _differs  # free variables of the wrapper, not globals

    def reached() -> None:
        if not state["reached"]:
            state["reached"] = True
            marker.touch()  # from a forked worker too

    def solve(inputs: Any) -> Any:
        solution = original(inputs)
        if target == "answer":
            if inputs.get("ask", name) != name:
                return solution
            value = broken(solution.value, op)
            if differs(value, solution.value):
                reached()
            return solution._replace(value=value)
        names = [m.name for m in solution.misconceptions]
        if name not in names:
            return solution
        at = names.index(name)
        mistakes = list(solution.misconceptions)
        other = mistakes[(at + 1) % len(mistakes)].value if op == "swap" and len(mistakes) > 1 else None
        value = broken(mistakes[at].value, op, other)
        if differs(value, mistakes[at].value):
            reached()
        mistakes[at] = mistakes[at]._replace(value=value)
        return solution._replace(misconceptions=tuple(mistakes))

    wrapped = types.FunctionType(solve.__code__, module.__dict__, "solve", None, solve.__closure__)
    wrapped.__doc__, wrapped.__module__, wrapped.__qualname__ = original.__doc__, module.__name__, "solve"
    module.solve = wrapped
    _solvers.pop(mutation["family"], None)


def pytest_configure(config: Any) -> None:
    """The plugin's one hook: install the mutation named in the environment before any test
    module is imported (so ``from checkers.x import solve`` gets the wrapped one too)."""
    if os.environ.get(ENV):
        _install(json.loads(os.environ[ENV]))


# --- the driver ------------------------------------------------------------------------------------


def _mistakes_by_family(families: list[str], variants: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each family's named mistakes and asks, as the shipped templates give them."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_many, variant_seed
    from quizgen.generators import GENERATORS

    mistakes: dict[str, set[str]] = {f: set() for f in families}
    for concept in load_concepts(ROOT / "concepts"):
        for template in concept.templates:
            if template.generator not in mistakes:
                continue
            jobs = [(concept, template, variant_seed(11, i)) for i in range(variants)]
            for chunk in build_many(jobs, processes=1):
                for problem in chunk:
                    mistakes[template.generator].update(m.name for m in problem.misconceptions)
    asks = {f: list(GENERATORS[f].PARAMS["ask"].options) if "ask" in GENERATORS[f].PARAMS else [""] for f in families}
    return {f: sorted(names) for f, names in mistakes.items()}, asks


def _registry_tests() -> list[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *(str(p.relative_to(ROOT)) for p in REGISTRY_FILES if p.exists())],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()


def _selection(family: str, registry_tests: list[str]) -> list[str]:
    """The family's own test file and the registry tests parametrised by the family or its templates."""
    from quizgen.core.concepts import load_concepts

    keys = {family} | {f"{c.id}.{t.name}" for c in load_concepts(ROOT / "concepts") for t in c.templates if t.generator == family}
    registry = [n for n in registry_tests if "[" in n and n.rsplit("[", 1)[1].rstrip("]") in keys]
    return ["tests/test_" + family.replace("-", "_") + ".py", *registry]


def _run(selection: list[str], mutation: dict[str, Any] | None, timeout: int) -> tuple[str, str, float]:
    """'caught', 'missed', 'not reached', 'error' or 'timeout', the first failing test, seconds."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as tmp:
        if mutation is not None:
            mutation = {**mutation, "marker": str(Path(tmp) / "reached")}
            env[ENV] = json.dumps(mutation)
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "mutate_mistakes", *selection],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return "timeout", "", time.monotonic() - start
        seconds = time.monotonic() - start
        failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, re.M)
        first = failed[0] if failed else ""
        if proc.returncode not in (0, 1):
            return "error", (first or (proc.stdout[-600:] + proc.stderr[-600:]).replace("\n", " | ")), seconds
        if mutation is not None and not Path(mutation["marker"]).exists():
            return ("not reached" if proc.returncode == 0 else "caught (unreached?)"), first, seconds
        if mutation is None:
            return ("passed", "", seconds) if proc.returncode == 0 else ("failed", first or proc.stdout[-600:].replace("\n", " | "), seconds)
        return ("caught" if proc.returncode == 1 else "missed"), first, seconds


def main() -> int:
    from quizgen.generators import GENERATORS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", choices=sorted(GENERATORS), help="only these families (repeatable)")
    parser.add_argument("--quick", action="store_true", help="a seeded sample: 2 mistake mutations and 1 answer mutation per family")
    parser.add_argument("--ops", default=",".join(OPS), help=f"the mistake mutations to apply, of {','.join(OPS)} (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed (with --quick)")
    parser.add_argument("--variants", type=int, default=40, help="variants per template when listing the named mistakes")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per pytest run")
    parser.add_argument("--json", type=Path, help="also write every result here")
    args = parser.parse_args()

    families = args.family or sorted(GENERATORS)
    ops = [op for op in args.ops.split(",") if op]
    if not ops or set(ops) - set(OPS):
        parser.error(f"--ops takes some of {','.join(OPS)}")
    mistakes, asks = _mistakes_by_family(families, args.variants)
    rng = random.Random(args.seed)
    registry_tests = _registry_tests()
    selections = {family: _selection(family, registry_tests) for family in families}  # before any run
    results: list[dict[str, Any]] = []
    bad = 0
    for family in families:
        mutations = [{"family": family, "target": "mistake", "name": n, "op": op} for n in mistakes[family] for op in ops]
        answers = [{"family": family, "target": "answer", "name": a, "op": "+1"} for a in asks[family]]
        if args.quick:
            mutations = rng.sample(mutations, min(2, len(mutations)))
            answers = rng.sample(answers, 1)
        selection = selections[family]
        verdict, first, seconds = _run(selection, None, args.timeout)
        if verdict != "passed":  # once more: a test that failed under load is not a broken baseline
            print(f"{family}: baseline {verdict} ({first}); running it again", flush=True)
            verdict, first, seconds = _run(selection, None, args.timeout)
        print(f"{family}: baseline {verdict} in {seconds:.0f} s ({len(mistakes[family])} named mistakes, "
              f"{len(asks[family])} asks, {len(mutations) + len(answers)} mutations)", flush=True)
        if verdict != "passed":
            print(f"  the unmutated tests fail ({first}): no mutation of {family} can be judged", flush=True)
            results.append({"family": family, "target": "baseline", "verdict": verdict, "first_failure": first})
            bad += 1
            continue
        for mutation in mutations + answers:
            verdict, first, seconds = _run(selection, mutation, args.timeout)
            if verdict == "not reached" and mutation["op"] == "swap":
                verdict = "not applicable"  # never a second mistake nor a vector to swap with: no mutant
            bad += verdict not in ("caught", "not applicable")
            label = f"{mutation['target']}:{mutation['name'] or '(the one question)'}:{mutation['op']}"
            print(f"  {verdict:>11}  {label}  {seconds:.0f} s  {first}", flush=True)
            results.append({**mutation, "verdict": verdict, "first_failure": first, "seconds": round(seconds, 1)})
    tally: dict[str, int] = {}
    for r in results:
        tally[r["verdict"]] = tally.get(r["verdict"], 0) + 1
    print("total:", ", ".join(f"{n} {v}" for v, n in sorted(tally.items())))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
