"""Grading what teachers grade, as ratios to ``python -c "import torch"`` on the same machine.

1. A class: 300 students, a 20-problem quiz each across every family (``quizgen quiz all --for
   roster.csv``), their filled-in answer sheets, graded into a gradebook with ``quizgen grade
   QUIZ_DIR SUBMISSIONS_DIR --csv gradebook.csv`` (target: <= 1.5); and again with partial credit
   and every student's worked solutions (``--partial-credit --rough-credit 0.5 --steps``, target <= 2).
2. Growth: one sheet of 10,000 answers and one of 100,000 (``--n``); ten times the answers should
   cost about ten times the time once the fixed start-up is taken off (target: about 10). The fixed
   cost is where the line through a 1,000- and a 10,000-answer sheet meets zero answers.

Run from the repository root: ``python benchmarks/bench_grade.py [--n 100000] [--repeat 3]``.
Set-up is not timed: the quizzes, then one ungraded pass (``--json``) for the keys, from which
the answer sheets are written: 70% right, 10% a plain wrong number, 10% too coarse or
unreadable text, 10% left blank. Each grade runs end to end (process start, torch import,
reading the files, drawing every problem again, judging, the report to /dev/null), interleaved
with the torch imports it is compared with.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from bench_generate import ROOT, TORCH, compiled, interleaved, quizgen  # run as a script: benchmarks/ is on the path


def _answers(items: list[dict], student: str | None) -> str:
    lines = [f"student: {student}"] if student else []
    lines.append("answers:")
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
    return "\n".join(lines) + "\n"


def _run(*args: str) -> None:
    subprocess.run(quizgen(*args), check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


def make_sheet(folder: Path, n: int, seed: int) -> tuple[Path, Path]:
    """A quiz of n problems and a filled-in answer sheet for it."""
    quiz = folder / f"quiz{n}.yaml"
    _run("quiz", "all", "--n", str(n), "--seed", str(seed), "-o", str(quiz))
    keys = folder / f"keys{n}.json"
    _run("grade", str(quiz), str(folder / f"quiz{n}.answers.yaml"), "--json", str(keys))
    sheet = folder / f"answers{n}.yaml"
    sheet.write_text(_answers(json.loads(keys.read_text())["items"], None))
    return quiz, sheet


def make_class(folder: Path, students: int, n: int, seed: int) -> tuple[Path, Path]:
    """Per-student quizzes and every student's filled-in sheet."""
    roster = folder / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{k:03d},Student {k}\n" for k in range(students)))
    quizzes, submissions = folder / "quizzes", folder / "submissions"
    submissions.mkdir()
    _run("quiz", "all", "--n", str(n), "--seed", str(seed), "--for", str(roster), "-o", str(quizzes))
    keys = folder / "class.json"
    _run("grade", str(quizzes), str(quizzes), "--json", str(keys))
    for report in json.loads(keys.read_text())["submissions"]:
        if report["student"]:
            (submissions / f"{report['student']}.answers.yaml").write_text(_answers(report["items"], report["student"]))
    return quizzes, submissions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    compiled()
    big, small, tiny = args.n, args.n // 10, args.n // 100
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("setting up (not timed) ...", flush=True)
        quizzes, submissions = make_class(folder, args.students, args.problems, args.seed)
        sheets = {n: make_sheet(folder, n, args.seed) for n in (tiny, small, big)}
        gradebook = folder / "gradebook.csv"
        commands = {
            "torch": TORCH,
            "class": quizgen("grade", str(quizzes), str(submissions), "--csv", str(gradebook)),
            "class+": quizgen("grade", str(quizzes), str(submissions), "--csv", str(gradebook),
                              "--partial-credit", "--rough-credit", "0.5", "--steps"),
            **{str(n): quizgen("grade", str(q), str(s)) for n, (q, s) in sheets.items()},
        }
        t = interleaved(commands, args.repeat)
        rows = len(gradebook.read_text().splitlines()) - 1
    answers = args.students * args.problems
    print(f"python -c 'import torch'                                  {t['torch']:8.3f} s")
    print(f"class of {args.students} x {args.problems} problems into a gradebook ({rows} rows)   {t['class']:8.3f} s")
    print(f"ratio class / torch import                                {t['class'] / t['torch']:8.2f}  (target <= 1.5)")
    print(f"  ({answers} answers, {(t['class'] - t['torch']) / answers * 1e6:.0f} us each beyond a torch import)")
    print(f"the same with --partial-credit --rough-credit 0.5 --steps   {t['class+']:8.3f} s")
    print(f"ratio class (partial credit, steps) / torch import         {t['class+'] / t['torch']:8.2f}  (target <= 2)")
    for n in (tiny, small, big):
        print(f"one sheet of {n:>7} answers                              {t[str(n)]:8.3f} s")
    per = (t[str(small)] - t[str(tiny)]) / (small - tiny)
    fixed = t[str(tiny)] - per * tiny
    ratio = (t[str(big)] - fixed) / (t[str(small)] - fixed)
    print(f"fixed cost (the line through {tiny} and {small} at 0 answers)   {fixed:8.3f} s")
    print(f"ratio (grade({big}) - fixed) / (grade({small}) - fixed)      {ratio:8.2f}  (target about 10: linear)")


if __name__ == "__main__":
    main()
