"""How long ``quizgen generate TOPIC --n 3`` takes (what a learner types to see a few problems),
as a ratio to ``python -c "import torch"`` on the same machine (target: <= 1.2).

Run from the repository root: ``python benchmarks/bench_generate.py [--repeat 5]``. The two
commands are timed alternately, so a slower spell of the machine falls on both sides; prints the
medians and their ratio. Also prints, for context, 10,000 problems of every family.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = [sys.executable, "-c", "import torch"]


def wall(cmd: list[str], repeat: int = 1) -> float:
    """The median wall time of running ``cmd`` ``repeat`` times (output discarded)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Each command's median over ``repeat`` rounds, the commands taking turns in each round."""
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            runs[name].append(wall(cmd))
    return {name: statistics.median(times) for name, times in runs.items()}


def compiled() -> None:
    """Compile quizgen's own modules to bytecode (``__pycache__``), as ``pip install`` does for an
    installed package and as Python does on a checkout's first run. Set-up, not timed: where
    ``PYTHONDONTWRITEBYTECODE`` is set (a container's default, say), every timed run would
    otherwise compile about 60 modules from source (0.1 s here), a cost no user pays twice and
    that torch, installed and compiled, never pays in the import it is compared with."""
    import compileall

    for package in ("quizgen", "checkers"):
        compileall.compile_dir(ROOT / package, quiet=1)


def quizgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "quizgen", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compiled()
    t = interleaved(
        {
            "torch": TORCH,
            "three": quizgen("generate", "attention", "--n", "3", "--seed", "7"),
            "many": quizgen("generate", "all", "--n", "10000", "--seed", "7", "--format", "jsonl"),
        },
        args.repeat,
    )
    print(f"python -c 'import torch'                          {t['torch']:8.3f} s")
    print(f"quizgen generate attention --n 3                  {t['three']:8.3f} s")
    print(f"quizgen generate all --n 10000 --format jsonl     {t['many']:8.3f} s   (context)")
    print(f"ratio generate --n 3 / torch import               {t['three'] / t['torch']:8.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
