"""How long building a 10,000-problem Anki deck takes, as a ratio to genanki alone writing 10,000
comparable notes on the same machine (target: <= 3).

Run from the repository root: ``python benchmarks/bench_deck.py [--problems 10000] [--repeat 5]``.

- quizgen: ``quizgen.anki.deck.build_deck`` for every shipped concept, with enough variants per
  template for the problem count: problems drawn and checked with torch, fields rendered, notes
  written, zipped and written atomically.
- genanki: the same notes (same note types, same field contents, GUIDs and tags, read back from
  the deck just built) given to plain genanki and written with ``Package.write_to_file``.

Both run in this process with their libraries already imported (torch's import time is a fixed
cost of the command line, not of the deck); the runs alternate, and each side's best time counts,
so a busy machine penalises neither side more. Prints both times, a breakdown of where quizgen's
time goes (single-core, for context) and the ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import genanki

    from checkers import get_checker
    from quizgen import anki
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import build_problem

    concepts = sorted(load_concepts(ROOT / "concepts"), key=lambda c: c.id)
    templates = sum(len(c.problems) for c in concepts)
    variants = math.ceil(args.problems / templates)
    for c in concepts:
        for t in c.problems:
            get_checker(t.generator)

    with tempfile.TemporaryDirectory() as tmp:
        ours_path = Path(tmp) / "quizgen.apkg"
        base_path = Path(tmp) / "genanki.apkg"
        summary = anki.build_deck(concepts, ours_path, variants=variants, seed=0)  # warm-up
        with zipfile.ZipFile(ours_path) as archive:
            db = Path(tmp) / "collection.anki2"
            db.write_bytes(archive.read("collection.anki2"))
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY id").fetchall()
        problem_model, flashcard_model = anki._models(anki.judge_media_name())
        script = Path(tmp) / anki.judge_media_name()
        script.write_bytes(anki.JUDGE_SCRIPT.read_bytes())

        def ours() -> float:
            start = time.perf_counter()
            anki.build_deck(concepts, ours_path, variants=variants, seed=0)
            return time.perf_counter() - start

        def base() -> float:
            start = time.perf_counter()
            deck = genanki.Deck(1 << 40, "quizgen::benchmark")
            for guid, mid, flds, tags in rows:
                model = problem_model if mid == anki.PROBLEM_MODEL_ID else flashcard_model
                deck.add_note(genanki.Note(model=model, fields=flds.split("\x1f"), guid=guid, tags=tags.split()))
            genanki.Package(deck, media_files=[str(script)]).write_to_file(str(base_path), timestamp=1.7e9)
            return time.perf_counter() - start

        ours_times, base_times = [], []
        for _ in range(args.repeat):
            ours_times.append(ours())
            base_times.append(base())

        # Where the time goes, on one core (context only: the build itself uses every core).
        pairs = [(c, t, v) for v in range(variants) for c in concepts for t in c.problems]
        start = time.perf_counter()
        problems = [(build_problem(c, t, anki.variant_seed(0, c.id, t.name, v)), c) for c, t, v in pairs]
        draw = time.perf_counter() - start
        start = time.perf_counter()
        for p, c in problems:
            anki.problem_fields(p, c)
        render = time.perf_counter() - start

    best_ours, best_base = min(ours_times), min(base_times)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"deck: {summary.problems} problems + {summary.flashcards} flashcards = {summary.notes} notes, "
          f"{summary.size / 1e6:.1f} MB; {cores} cores, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"quizgen build_deck (all cores)        {best_ours:8.3f} s   runs: {', '.join(f'{t:.3f}' for t in ours_times)}")
    print(f"genanki alone, same {len(rows)} notes      {best_base:8.3f} s   runs: {', '.join(f'{t:.3f}' for t in base_times)}")
    print(f"  one core: build problems (torch)    {draw:8.3f} s")
    print(f"  one core: render fields (HTML)      {render:8.3f} s")
    print(f"ratio quizgen / genanki               {best_ours / best_base:8.2f}  (target <= 3)")


if __name__ == "__main__":
    main()
