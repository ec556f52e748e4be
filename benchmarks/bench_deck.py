"""How long a learner's deck takes to build: every concept with 10 variants per template
(``quizgen deck all --variants 10``), as a ratio to ``python -c "import torch"`` on the same
machine (target: <= 1.5).

Run from the repository root: ``python benchmarks/bench_deck.py [--variants 10] [--repeat 5]``.
The command runs end to end (process start, torch import, building the problems, genanki
writing the notes, the zip written atomically), alternating with the torch imports.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_generate import TORCH, compiled, interleaved, quizgen  # run as a script: benchmarks/ is on the path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compiled()
    with tempfile.TemporaryDirectory() as tmp:
        deck = Path(tmp) / "all.apkg"
        build = quizgen("deck", "all", "--variants", str(args.variants), "-o", str(deck), "--no-progress")
        t = interleaved({"torch": TORCH, "deck": build}, args.repeat)
        size = deck.stat().st_size
    print(f"python -c 'import torch'                       {t['torch']:8.3f} s")
    print(f"quizgen deck all --variants {args.variants:<3}                {t['deck']:8.3f} s   ({size / 1e3:.0f} kB)")
    print(f"ratio deck / torch import                      {t['deck'] / t['torch']:8.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
