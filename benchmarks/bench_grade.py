"""How long `quizgen grade` takes for one submission of 100,000 answers, as a ratio to
`python -c "import torch"` on the same machine (target: <= 3), and how the time grows from
10,000 to 100,000 answers (target: about 10x).

Run from the repository root: ``python benchmarks/bench_grade.py [--n 100000] [--repeat 3]``.

Set-up (not timed): ``quizgen quiz all`` writes quizzes of n/10 and n problems across every
family; one ungraded pass (``--json``) gives the keys, from which an answer sheet is written in
YAML: 70% right, 10% a plain wrong number, 10% too coarse or unreadable text, 10% left blank.
Then each ``quizgen grade QUIZ SHEET`` command is timed end to end (process start, torch import,
reading both files, checking every problem's inputs against its id, solving, judging, writing the
report to /dev/null), as the median of ``--repeat`` runs.

Prints the median times, ``grade(n) / torch import`` and two scaling ratios: the raw
``grade(n) / grade(n/10)``, and the same after subtracting the fixed cost measured with a
one-problem quiz (start-up and torch import), which is what "ten times the answers costs ten
times the time" is about.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_generate import ROOT, wall  # run as a script, benchmarks/ is on the path


def quizgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "quizgen", *args]


def make_case(folder: Path, n: int, seed: int) -> tuple[Path, Path]:
    """A quiz of n problems and a filled-in answer sheet for it."""
    quiz = folder / f"quiz{n}.yaml"
    subprocess.run(quizgen("quiz", "all", "--n", str(n), "--seed", str(seed), "-o", str(quiz)), check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    blank = folder / f"quiz{n}.answers.yaml"
    keys = folder / f"keys{n}.json"
    subprocess.run(quizgen("grade", str(quiz), str(blank), "--json", str(keys)), check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    items = json.loads(keys.read_text())["items"]
    lines = ["student: bench", "answers:"]
    for k, item in enumerate(items):
        slot = k % 10
        if slot < 7:
            text = item["correct"]
        elif slot == 7:
            text = "0.5"
        elif slot == 8:
            text = "2/0" if k % 20 else "__import__('os').system('true')"
        else:
            continue  # left blank: graded as missing
        lines.append(f"  {item['id']}: '{text}'")
    sheet = folder / f"answers{n}.yaml"
    sheet.write_text("\n".join(lines) + "\n")
    return quiz, sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"setting up quizzes of 1, {args.n // 10} and {args.n} problems (not timed) ...", flush=True)
        cases = {n: make_case(folder, n, args.seed) for n in (1, args.n // 10, args.n)}
        sizes = {n: (q.stat().st_size, s.stat().st_size) for n, (q, s) in cases.items()}
        torch_import = wall([sys.executable, "-c", "import torch"], args.repeat)
        times = {n: wall(quizgen("grade", str(q), str(s)), args.repeat) for n, (q, s) in cases.items()}
    small, big = args.n // 10, args.n
    print(f"python -c 'import torch'               {torch_import:8.3f} s")
    for n in (1, small, big):
        q, s = sizes[n]
        print(f"quizgen grade, {n:>7} answers          {times[n]:8.3f} s   (quiz {q / 1e6:.1f} MB, sheet {s / 1e6:.1f} MB)")
    print(f"ratio grade({big}) / torch import     {times[big] / torch_import:8.2f}  (target <= 3)")
    print(f"ratio grade({big}) / grade({small})       {times[big] / times[small]:8.2f}  (raw; includes the fixed start-up)")
    marginal = (times[big] - times[1]) / (times[small] - times[1])
    print(f"ratio of marginal costs {big} / {small}   {marginal:8.2f}  (target about 10: linear)")
    per = (times[big] - times[1]) / (big - 1) * 1e6
    print(f"marginal cost per answer               {per:8.1f} us")


if __name__ == "__main__":
    main()
