"""How long `quizgen grade` takes for one submission of 100,000 answers, as a ratio to
`python -c "import torch"` on the same machine (target: <= 3), and how the time grows from
10,000 to 100,000 answers (target: ten times the answers, about ten times the time).

Run from the repository root: ``python benchmarks/bench_grade.py [--n 100000] [--repeat 3]``.

Set-up (not timed): ``quizgen quiz all`` writes quizzes of 1, n/10, n/2 and n problems across
every family (sealed with this installation's key, as for any teacher grading their own quizzes);
one ungraded pass (``--json``) gives the keys, from which an answer sheet is written in YAML: 70%
right, 10% a plain wrong number, 10% too coarse or unreadable text, 10% left blank. Then each
``quizgen grade QUIZ SHEET`` command is timed end to end (process start, torch import, reading
both files, solving, judging, writing the report to /dev/null), as the median of ``--repeat``
runs, interleaved with the torch imports it is compared with.

Prints the median times, ``grade(n) / torch import``, and for the growth:

- the raw ``grade(n) / grade(n/10)``, which the fixed start-up (torch above all) keeps far below 10;
- the marginal cost per answer from n/10 to n/2 and from n/2 to n (equal when the cost is linear);
- ``(grade(n) - fixed) / (grade(n/10) - fixed)``, "ten times the answers costs about ten times
  the time", with the fixed cost taken where the line through n/10 and n/2 meets zero answers.
  (A one-answer quiz is a poor estimate of that fixed cost: a large quiz is read while torch
  imports, a small one is not, so part of a large quiz's reading is hidden in the start-up.)
"""

from __future__ import annotations

import argparse
import json
import statistics
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
    big, half, small = args.n, args.n // 2, args.n // 10
    sizes = (1, small, half, big)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"setting up quizzes of {', '.join(map(str, sizes))} problems (not timed) ...", flush=True)
        cases = {n: make_case(folder, n, args.seed) for n in sizes}
        mb = {n: (q.stat().st_size / 1e6, s.stat().st_size / 1e6) for n, (q, s) in cases.items()}
        # Interleaved, so that a slower or faster spell of the machine falls on both sides.
        runs: dict[str | int, list[float]] = {"torch": [], **{n: [] for n in sizes}}
        for _ in range(args.repeat):
            runs["torch"].append(wall([sys.executable, "-c", "import torch"], 1))
            for n, (q, s) in cases.items():
                runs[n].append(wall(quizgen("grade", str(q), str(s)), 1))
        torch_import = statistics.median(runs["torch"])
        times = {n: statistics.median(runs[n]) for n in sizes}
    print(f"python -c 'import torch'               {torch_import:8.3f} s")
    for n in sizes:
        print(f"quizgen grade, {n:>7} answers          {times[n]:8.3f} s   (quiz {mb[n][0]:.1f} MB, sheet {mb[n][1]:.1f} MB)")
    print(f"ratio grade({big}) / torch import     {times[big] / torch_import:8.2f}  (target <= 3)")
    print(f"ratio grade({big}) / grade({small})       {times[big] / times[small]:8.2f}  (raw; includes the fixed start-up)")
    low = (times[half] - times[small]) / (half - small)
    high = (times[big] - times[half]) / (big - half)
    print(f"marginal cost per answer, {small} to {half}   {low * 1e6:8.1f} us")
    print(f"marginal cost per answer, {half} to {big}  {high * 1e6:8.1f} us   (ratio {high / low:.2f}; 1 is linear)")
    fixed = times[small] - low * small
    print(f"fixed cost (the line through {small} and {half} at 0 answers)  {fixed:6.3f} s   (one answer: {times[1]:.3f} s)")
    ratio = (times[big] - fixed) / (times[small] - fixed)
    print(f"ratio (grade({big}) - fixed) / (grade({small}) - fixed)  {ratio:6.2f}  (target about 10: linear)")


if __name__ == "__main__":
    main()
