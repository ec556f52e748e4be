"""Every named-mistake collision over 1,000 variants of every shipped template: two mistakes that
give the same value (each within the template's tolerance of the other) for the same problem. The judge names all
the mistakes an answer matches, so a collision is honest, not a guess; this prints how often it
happens, per template, and checks that the judge names every colliding mistake.

Run from the repository root: ``python benchmarks/mistake_collisions.py [--variants 1000]``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from quizgen.core.concepts import load_concepts
from quizgen.core.problems import build_many, variant_seed
from quizgen.judge import close, format_value, judge

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=1000)
    args = parser.parse_args()
    concepts = load_concepts(ROOT / "concepts")
    total_problems = total_hit = unnamed = 0
    for concept in concepts:
        for template in concept.templates:
            jobs = [(concept, template, variant_seed(7, i)) for i in range(args.variants)]
            problems = [p for chunk in build_many(jobs, processes=1) for p in chunk]
            pairs: Counter[tuple[str, str]] = Counter()
            hit = 0
            for p in problems:
                ms = p.misconceptions
                found = [
                    (a.name, b.name)
                    for i, a in enumerate(ms)
                    for b in ms[i + 1 :]
                    if close(p.answer.kind, a.value, b.value, p.tolerance) and close(p.answer.kind, b.value, a.value, p.tolerance)
                ]
                if found:
                    hit += 1
                    pairs.update(found)
                    for a, _ in found:
                        m = next(x for x in ms if x.name == a)
                        v = judge(p.answer, format_value(p.answer.kind, m.value), p.tolerance, ms)
                        unnamed += not all(name in v.message for pair in found if a in pair for name in pair)
            total_problems += len(problems)
            total_hit += hit
            if hit:
                listed = ", ".join(f"{a} = {b} ×{n}" for (a, b), n in pairs.most_common())
                print(f"{concept.id}.{template.name:<34} {hit:>5} of {len(problems)} problems  {listed}")
    print(f"in all: {total_hit} of {total_problems} problems ({100 * total_hit / total_problems:.2f}%) have two named mistakes with one value;")
    print(f"verdicts that left a matching mistake unnamed: {unnamed}")


if __name__ == "__main__":
    main()
