"""The teaching value of every shipped template, over 1,000 variants each: the share of problems
that can diagnose a wrong answer (at least one named mistake whose value differs from the key;
target >= 90%) and the share that are ambiguous (two named mistakes with the same value, as the
judge tells values apart: within the template's tolerance; target <= 5%), and the share of the
commonest key (target <= a third; a formula template, one formula, is excepted).

Every problem is built through the one build path (``build_many``), with the seeds
``test_references.py`` uses (``variant_seed(7, i)``). Prints one row a template, marks a row that
misses a target with ``FAIL``, and exits 1 if any does, so it serves as a check.

Run from the repository root: ``python benchmarks/bench_teaching.py [--variants 1000] [--seed 7]
[--only FAMILY ...]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from quizgen.core.concepts import load_concepts
from quizgen.core.problems import (
    TARGET_AMBIGUOUS,
    TARGET_COMMONEST,
    TARGET_DIAGNOSABLE,
    build_many,
    commonest_key,
    teaching,
    variant_seed,
)

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", default=[], help="families (generators) to measure; all when absent")
    args = parser.parse_args()
    concepts = load_concepts(ROOT / "concepts")
    failed = []
    start = time.perf_counter()
    print(f"{'template':<48} {'family':<20} {'diagnosable':>11} {'ambiguous':>9} {'commonest':>9}")
    for concept in sorted(concepts, key=lambda c: c.id):
        for template in concept.templates:
            if args.only and template.generator not in args.only:
                continue
            jobs = [(concept, template, variant_seed(args.seed, i)) for i in range(args.variants)]
            problems = [p for chunk in build_many(jobs) for p in chunk]
            marks = [teaching(p) for p in problems]
            diagnosable = sum(m.diagnosable for m in marks) / len(marks)
            ambiguous = sum(m.ambiguous for m in marks) / len(marks)
            common = 0.0 if problems[0].answer.kind == "formula" else commonest_key(problems)[1]
            bad = diagnosable < TARGET_DIAGNOSABLE or ambiguous > TARGET_AMBIGUOUS or common > TARGET_COMMONEST
            key = f"{concept.id}.{template.name}"
            failed += [key] if bad else []
            print(f"{key:<48} {template.generator:<20} {diagnosable:>10.1%} {ambiguous:>9.1%} {common:>9.1%}" + ("  FAIL" if bad else ""))
    print(
        f"{len(failed)} template(s) miss a target (>= {TARGET_DIAGNOSABLE:.0%} diagnosable, "
        f"<= {TARGET_AMBIGUOUS:.0%} ambiguous, <= {TARGET_COMMONEST:.0%} one key) in {time.perf_counter() - start:.0f} s"
        + (": " + ", ".join(failed) if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
