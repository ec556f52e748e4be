"""How long `quizgen generate` takes for 10,000 problems across every family, as a ratio to
`python -c "import torch"` on the same machine (target: <= 2).

Run from the repository root: ``python benchmarks/bench_generate.py [--n 10000] [--repeat 3]``.
Prints the median wall time of each command and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch_import = wall([sys.executable, "-c", "import torch"], args.repeat)
    generate = wall(
        [sys.executable, "-m", "quizgen", "generate", "all", "--n", str(args.n), "--seed", "7", "--format", "jsonl"],
        args.repeat,
    )
    print(f"python -c 'import torch'              {torch_import:8.3f} s")
    print(f"quizgen generate all --n {args.n} (jsonl) {generate:8.3f} s")
    print(f"ratio generate / torch import          {generate / torch_import:8.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
