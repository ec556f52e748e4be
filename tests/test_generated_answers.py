"""End to end: `quizgen generate <family> --n 2000 --seed 7 --format jsonl`, every answer checked
against the family's independent reference (nltk, scikit-learn, numpy, real tensors)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import test_attention
import test_bleu
import test_classification
import test_shapes
import test_simclr
from conftest import CONCEPTS

N = 2000
REFERENCES = {
    "bleu": test_bleu._reference,  # nltk sentence_bleu / modified_precision / brevity_penalty
    "precision-recall-f1": test_classification._reference,  # scikit-learn
    "simclr": test_simclr.ref_answer,  # plain numpy NT-Xent
    "attention": test_attention.ref_answer,  # plain numpy attention
    "shapes": test_shapes.real_run,  # the op chain on real tensors
}


def _run(topic: str, seed: int) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "quizgen", "--concepts", str(CONCEPTS), "generate", topic,
         "--n", str(N), "--seed", str(seed), "--format", "jsonl"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _agree(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_agree, a, b))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("topic", sorted(REFERENCES))
def test_every_generated_answer_agrees_with_the_reference(topic):
    first = _run(topic, 7)
    records = [json.loads(line) for line in first.splitlines()]
    assert len(records) == N
    reference = REFERENCES[topic]
    wrong = []
    for r in records:
        expected = reference(r["inputs"])
        if hasattr(expected, "tolist"):
            expected = expected.tolist()
        if isinstance(expected, tuple):
            expected = list(expected)
        if not _agree(r["answer"]["value"], expected):
            wrong.append((r["id"], r["answer"]["value"], expected))
    assert wrong == [], f"{len(wrong)} of {N} disagree, e.g. {wrong[:3]}"
    assert _run(topic, 7) == first, "same seed, different bytes"
    other = {json.loads(line)["id"] for line in _run(topic, 8).splitlines()}
    assert other.isdisjoint(r["id"] for r in records)
