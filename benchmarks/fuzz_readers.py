"""Fuzz every reader of outside input for a while (default 60 s each): concept files, answer
sheets, quiz files and typed formulas. Inputs are random bytes, random text and random edits of a
real file; a reader must give its result or quizgen's own error, never another exception, and
never hang. Prints, per reader, the inputs tried, the slowest one and the process's peak memory.

Run from the repository root: ``python benchmarks/fuzz_readers.py [--seconds 60]``. (The
property-based tests in tests/test_fuzz_readers.py do the same with Hypothesis on a short budget
in CI; Hypothesis keeps every input it tried in memory, so long runs are done here.)
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quizgen.classroom.quiz import read_quiz
from quizgen.classroom.sheets import read_answer_sheet, read_csv_sheets
from quizgen.core import formula
from quizgen.core.concepts import check_files
from quizgen.core.errors import QuizgenError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = (ROOT / "concepts" / "simclr.yaml").read_text(encoding="utf-8")
PIECES = list("{}[]:,-&*!|>'\"#%@`\n\t ") + ["\x00", "\xff", "é", "1e999", ".nan", "~", "yes", "0x1F", "9" * 50, "answers:\n  ", "problems:\n  - "]
FORMULA_PIECES = list("dhσ()^*/+-√²0123456789.e ") + ["sqrt", "log", "pi", "sigma", "**", "9^9", "(" * 20]


def _input(rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.randbytes(rng.randrange(300))
    if kind == 1:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(200))).encode("utf-8", "surrogatepass")
    at, cut = rng.randrange(len(SHIPPED)), rng.randrange(200)
    return (SHIPPED[:at] + "".join(rng.choice(PIECES) for _ in range(rng.randrange(12))) + SHIPPED[at + cut :]).encode()


def _file_reader(read: Callable[[Path], Any]) -> Callable[[random.Random, Path], None]:
    def run(rng: random.Random, folder: Path) -> None:
        path = folder / "simclr.yaml"
        path.write_bytes(_input(rng))
        try:
            read(path)
        except QuizgenError:
            pass

    return run


def _concepts(rng: random.Random, folder: Path) -> None:
    path = folder / "simclr.yaml"
    path.write_bytes(_input(rng))
    check_files([path])


def _formula(rng: random.Random, folder: Path) -> None:
    text = "".join(rng.choice(FORMULA_PIECES) for _ in range(rng.randrange(40)))
    try:
        formula.read(text, {"d": "size", "h": "size", "sigma": "positive"})
    except QuizgenError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    readers = {"concept files": _concepts, "answer sheets": _file_reader(read_answer_sheet),
               "csv sheets": _file_reader(read_csv_sheets), "quiz files": _file_reader(read_quiz), "formulas": _formula}
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in readers.items():
            tried, slowest, end = 0, 0.0, time.monotonic() + args.seconds
            while time.monotonic() < end:
                start = time.perf_counter()
                run(rng, Path(tmp))
                slowest = max(slowest, time.perf_counter() - start)
                tried += 1
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:<14} {tried:>8} inputs in {args.seconds:g} s, slowest {slowest * 1000:.1f} ms, peak memory {peak:.0f} MB (target < 500)")


if __name__ == "__main__":
    main()
