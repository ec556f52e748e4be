"""Starts that do not grow with the library, as ratios to ``python -c "import torch"`` in the same run.

Measures, each the median of ``--repeat`` rounds in which every command takes its turn (so a
slower spell of the shared machine falls on all of them):

- **drill first question**: from starting ``quizgen drill attention`` in a pseudo-terminal to its
  first answer prompt, with an empty review database. Target: <= 0.15 × the torch import. The
  same for ``quizgen drill inverted-dropout``, a concept of authored templates.
- **generate all --n 10000** (jsonl, the shipped concept files). Target: <= 2 ×.
- **a course's library**: ``quizgen generate attention --n 3`` and the drill's first question with
  150 concept files (the shipped ones and copies of them under new ids, in a temporary folder
  given as ``QUIZGEN_CONCEPTS``) against the same with the shipped ones (about 15). Target: <= 1.15 ×.

The validated-content cache (docs/concepts.md) is warm in the rounds timed: every run starts
from a data directory holding only the cache an earlier command left. ``--cold`` times the first
start instead (no cache: the file read is validated with jsonschema), for comparison.

Run from the repository root: ``python benchmarks/bench_start.py [--repeat 7] [--cold]``.
Needs pexpect (a test dependency) and Linux.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect
from bench_generate import compiled  # run as a script: benchmarks/ is on the path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "concepts"
PROMPT = re.compile(r"(Answer with .*|Answer as the prompt asks\.)\r?\n> |Enter shows the answer > |4 easy > ")
CACHE_FILES = ("validated-concepts.json",)


AUTHORED = "inverted-dropout"
"""A concept whose templates are all authored (docs/authoring.md): its maths is in the file."""


def library(folder: Path, size: int) -> Path:
    """``size`` concept files: the shipped ones, then copies of them under new ids."""
    folder.mkdir()
    shipped = sorted(SHIPPED.glob("*.yaml"))
    for path in shipped:
        shutil.copy(path, folder / path.name)
    copy = 0
    while len(list(folder.glob("*.yaml"))) < size:
        source = shipped[copy % len(shipped)]
        new_id = f"{source.stem}-copy{copy // len(shipped) + 1}"
        text = re.sub(r"(?m)^id: .*$", f"id: {new_id}", source.read_text(encoding="utf-8"), count=1)
        (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")
        copy += 1
    return folder


def fresh_home(tmp: Path, warm: Path | None) -> Path:
    """An empty data directory, holding the warm cache's files when given."""
    home = Path(tempfile.mkdtemp(dir=tmp, prefix="home"))
    if warm is not None:
        for name in CACHE_FILES:
            if (warm / name).exists():
                shutil.copy(warm / name, home / name)
    return home


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return time.perf_counter() - start


def drill_first(env: dict[str, str], topic: str = "attention") -> float:
    start = time.perf_counter()
    child = pexpect.spawn(
        sys.executable, ["-m", "quizgen", "drill", topic, "--n", "50"],
        cwd=str(ROOT), env=env, encoding="utf-8", dimensions=(50, 120), timeout=120,
    )
    child.delaybeforesend = None
    child.expect(PROMPT)
    elapsed = time.perf_counter() - start
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="start every run without the cache")
    args = parser.parse_args()
    compiled()
    q = [sys.executable, "-m", "quizgen"]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        libs = {15: SHIPPED, 150: library(tmp / "lib150", 150)}
        base = {k: v for k, v in os.environ.items() if k not in ("QUIZGEN_HOME", "QUIZGEN_CONCEPTS", "COLUMNS")}
        base.update(NO_COLOR="1", TERM="xterm")
        warm: dict[int, Path | None] = {}
        for size, folder in libs.items():
            home = tmp / f"warm{size}"
            home.mkdir()
            # One command over every file leaves the cache a later start finds.
            subprocess.run([*q, "generate", "all", "--n", "1"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT,
                           env=dict(base, QUIZGEN_HOME=str(home), QUIZGEN_CONCEPTS=str(folder)))
            warm[size] = None if args.cold else home

        def env(size: int) -> dict[str, str]:
            return dict(base, QUIZGEN_HOME=str(fresh_home(tmp, warm[size])), QUIZGEN_CONCEPTS=str(libs[size]))

        runs: dict[str, list[float]] = {k: [] for k in ("torch", "drill15", "drillauthored", "drill150", "gen15", "gen150", "many")}
        for _ in range(args.repeat):
            runs["torch"].append(timed([sys.executable, "-c", "import torch"], base))
            runs["drill15"].append(drill_first(env(15)))
            runs["drillauthored"].append(drill_first(env(15), AUTHORED))
            runs["drill150"].append(drill_first(env(150)))
            runs["gen15"].append(timed([*q, "generate", "attention", "--n", "3", "--seed", "7"], env(15)))
            runs["gen150"].append(timed([*q, "generate", "attention", "--n", "3", "--seed", "7"], env(150)))
            runs["many"].append(timed([*q, "generate", "all", "--n", "10000", "--seed", "7", "--format", "jsonl"], env(15)))
    t = {k: statistics.median(v) for k, v in runs.items()}
    torch = t["torch"]
    few = len(list(SHIPPED.glob("*.yaml")))
    rows = [
        (f"drill attention: first question ({few} files)", t["drill15"], t["drill15"] / torch, "<= 0.15 x torch"),
        (f"drill {AUTHORED} (authored): first question", t["drillauthored"], t["drillauthored"] / torch, "<= 0.15 x torch"),
        (f"generate all --n 10000 ({few} files)", t["many"], t["many"] / torch, "<= 2 x torch"),
        (f"drill first question, 150 files / {few}", t["drill150"], t["drill150"] / t["drill15"], "<= 1.15"),
        (f"generate attention --n 3, 150 files / {few}", t["gen150"], t["gen150"] / t["gen15"], "<= 1.15"),
    ]
    print(f"cache: {'cold (none)' if args.cold else 'warm'}; medians of {args.repeat} rounds")
    label = 'python -c "import torch"'
    print(f"{label:52} {torch:7.3f} s")
    print(f"{f'generate attention --n 3 ({few} files)':52} {t['gen15']:7.3f} s   ({t['gen15'] / torch:.2f} x torch)")
    print(f"{'measure':52} {'median':>7}   {'ratio':>6}   target")
    for label, seconds, ratio, target in rows:
        print(f"{label:52} {seconds:7.3f} s {ratio:6.2f}   {target}")


if __name__ == "__main__":
    main()
