"""Template versions: a drawing change bumps the template's version, and an id of another version
is refused, naming both, instead of being drawn again as a different problem.

``tests/data/drawings.json`` records, for every shipped template, its version and a digest of the
inputs its first 12 seeds build (after the builder's guard, so a checker change that makes the
builder redraw counts as a drawing change too). A change of the digest under the same version
fails: bump the generator's ``VERSIONS[ask]`` (or ``VERSION``), then write the record again with
``python tests/test_versions.py --update``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from conftest import CONCEPTS

from quizgen.core.concepts import load_concepts
from quizgen.core.errors import QuizgenError
from quizgen.core.problems import build_many, drawn, problem_id, rebuild, template_version, variant_seed
from quizgen.generators import GENERATORS

RECORD = Path(__file__).with_name("data") / "drawings.json"
SEEDS = 12


def _drawings() -> dict[str, dict[str, object]]:
    """Every shipped template's version and the digest of what its first seeds draw."""
    concepts = load_concepts(CONCEPTS)
    out = {}
    for c in concepts:
        for t in c.templates:
            jobs = [(c, t, variant_seed(0, i)) for i in range(SEEDS)]
            inputs = [drawn(p.family, p.inputs) for chunk in build_many(jobs, processes=1) for p in chunk]
            text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
            out[f"{c.id}.{t.name}"] = {"version": template_version(t), "draws": hashlib.sha256(text.encode()).hexdigest()[:16]}
    return dict(sorted(out.items()))


def test_a_drawing_change_bumps_the_templates_version() -> None:
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    now = _drawings()
    redrawn = [k for k, v in now.items() if k in recorded and v["version"] == recorded[k]["version"] and v["draws"] != recorded[k]["draws"]]
    assert redrawn == [], (
        f"these templates draw other problems for the same seeds under the same version: {redrawn}; "
        "bump their generator's VERSIONS[ask] (or VERSION), then run python tests/test_versions.py --update"
    )
    stale = sorted(set(now) ^ set(recorded)) + [k for k in now if k in recorded and now[k]["version"] != recorded[k]["version"]]
    assert stale == [], f"{RECORD.name} is out of date for {stale}: run python tests/test_versions.py --update"


def test_an_id_of_another_version_is_refused_naming_both(concepts, monkeypatch) -> None:
    concept = next(c for c in concepts if c.id == "attention")
    template = concept.template("attention-weights")
    version = template_version(template)
    assert rebuild(problem_id("attention", "attention-weights", version, 42), concepts).id.endswith(f".v{version}.42")
    with pytest.raises(QuizgenError, match=rf"version {version + 3} of the template attention.attention-weights.*draws version {version}\b"):
        rebuild(problem_id("attention", "attention-weights", version + 3, 42), concepts)
    for other in (0, 10**30):  # a version never shipped, one far past any: refused the same way
        with pytest.raises(QuizgenError, match=rf"version {other} of the template attention.attention-weights"):
            rebuild(f"attention.attention-weights.v{other}.42", concepts)
    # Bumping one ask's drawing moves the templates that draw it, and refuses their old ids.
    ask = template.resolved_params()["ask"][0]
    monkeypatch.setattr(GENERATORS["attention"], "VERSIONS", {ask: version + 1}, raising=False)
    assert template_version(template) == version + 1
    with pytest.raises(QuizgenError, match=rf"version {version} of .* draws version {version + 1}\b"):
        rebuild(problem_id("attention", "attention-weights", version, 42), concepts)
    others = [t for t in concept.templates if ask not in t.resolved_params()["ask"]]
    assert others and all(template_version(t) == version for t in others)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    old, new = json.loads(RECORD.read_text(encoding="utf-8")), _drawings()
    unbumped = [k for k, v in new.items() if k in old and v["version"] == old[k]["version"] and v["draws"] != old[k]["draws"]]
    if unbumped:
        sys.exit(f"not written: {unbumped} draw other problems under the same version; bump VERSIONS[ask] or VERSION first")
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in new.items()]  # one line a template
    RECORD.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {RECORD}")
