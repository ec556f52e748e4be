"""The card script (quizgen/judge/card_judge.js) against the Python judge.

Three layers:

The script is run as a deck ships it: its source with the judge's constants filled in
(quizgen/judge/card.py).

1. node runs the whole shared table tests/data/judge_vectors.json and a seeded batch of random
   inputs; status, misconception and message must equal quizgen.judge.judge's.
2. headless Chromium runs the whole table too (the script as a browser loads it).
3. headless Chromium runs the script on real card HTML: a deck is built, imported into a fresh
   Anki collection with the anki package, and the back of a problem card is rendered the way
   Anki's reviewer renders it after a typed answer (card.answer() with [[type:Answer]] replaced
   by col.compare_answer(...)); the script loads from the collection's media folder and its
   verdict for a right, a within-tolerance, a wrong, a misconception and a garbage answer (and
   an empty one, and a matrix typed as rows) must equal the Python judge's.
4. a rotating note (one note, several variants) is rendered on two review days: each day shows
   another variant, front and back agree, and the day's key is right while the other day's is not.

Chromium and node are external: when missing, those tests skip with the reason. Under CI=true a
missing Chromium or node fails instead, naming it (.ci/run installs both).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import chromium, need_chromium, need_node

from quizgen.core.answer import ANSWER_KINDS, Answer, Misconception
from quizgen.judge import Tolerance, format_value, judge
from quizgen.judge.card import SLOT, card_script, constants

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "quizgen" / "judge" / "card_judge.js"
_BUILT = tempfile.TemporaryDirectory(prefix="quizgen-card-script-")  # removed when the tests end
SCRIPT = Path(_BUILT.name) / "card_judge.js"
"""The script a deck ships (node and Chromium load it by path)."""
SCRIPT.write_bytes(card_script(SOURCE))
VECTORS: list[dict[str, Any]] = json.loads((ROOT / "tests" / "data" / "judge_vectors.json").read_text("utf-8"))
_need_chromium = need_chromium
_need_node = need_node


def _description(name: str) -> str:
    return f"The mistake called {name}."


def _case(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": v["kind"],
        "key": v["key"],
        "whole": v.get("whole", False),
        "typed": v["typed"],
        "tolerance": v["tolerance"],
        "misconceptions": [
            {"name": m["name"], "value": m["value"], "description": m.get("description", _description(m["name"]))}
            for m in v["misconceptions"]
        ],
    }


def _python(case: dict[str, Any]) -> tuple[str, str | None, str]:
    verdict = judge(
        Answer(case["kind"], case["key"], case.get("whole", False)),
        case["typed"],
        Tolerance(**case["tolerance"]) if case["tolerance"] else Tolerance(),
        [Misconception(m["name"], m["description"], m["value"]) for m in case["misconceptions"]],
    )
    return verdict.status, verdict.misconception.name if verdict.misconception else None, verdict.message


_NODE_RUNNER = """
const judge = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(c => {
  const v = judge.judge(c.kind, c.key, c.typed, c.tolerance, c.misconceptions, c.whole);
  return [v.status, v.misconception ? v.misconception.name : null, v.message];
})));
"""


def _run_node(cases: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    node = _need_node()
    proc = subprocess.run(
        [node, "-e", _NODE_RUNNER, str(SCRIPT)],
        input=json.dumps(cases), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]  # type: ignore[misc]


def _assert_same(cases: list[dict[str, Any]], got: list[tuple[str, str | None, str]], where: str) -> None:
    assert len(got) == len(cases)
    mismatches = []
    for case, js in zip(cases, got):
        py = _python(case)
        if tuple(js) != py:
            mismatches.append(f"{case['kind']} {case['typed'][:40]!r}: python {py[:2]} {py[2]!r}, {where} {js[0], js[1]} {js[2]!r}")
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ:\n" + "\n".join(mismatches[:10])


# ---------------------------------------------------------------------------------------------
# 1. node


def test_vector_table_under_node() -> None:
    cases = [_case(v) for v in VECTORS]
    got = _run_node(cases)
    for v, (status, misconception, _) in zip(VECTORS, got):
        assert (status, misconception) == (v["status"], v["misconception"]), v["typed"][:60]
    _assert_same(cases, got, "node")


def _random_cases(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pieces = list("0123456789.,;()[] -+*/^eE\n") + [
        "sqrt(", "pi", "π", "√", "log(", "ln(", "exp(", "x", "×", "torch.Size(", "Size(", "error", "−", "·",
        "**", "1e400", "0.4372", "0.44", "\u00a0", "%", "²", "=", "nan", "é", "\t", "\x00", "120", "2/3",
        "no ", "Not", "n't ", "raise", "Error", "RuntimeError: ", "works", "IndexError", "Exception",
    ]

    def number() -> float:
        return rng.choice([1, -1]) * rng.random() * 10 ** rng.randint(-6, 7)

    def typed_for(k: float) -> str:
        m = rng.randint(1, 8)
        return rng.choice([f"{k:.{m - 1}e}", f"{k:.{m}g}", f"{round(k, rng.randint(0, 5))}", f"{k * 1.004:.{m}g}"])

    cases = []
    for _ in range(n):
        kind = rng.choice(["number", "vector", "matrix", "shape"])
        tol = rng.choice([{"rel": 0.005, "abs": 0.0005}, {"rel": 0.0, "abs": 0.0}, {"rel": 0.01, "abs": 0.0}])
        if kind == "shape":
            key: Any = rng.choice([[3, 1, 4], [3], [], "error"])
            typed = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        elif kind == "number":
            key = number()
            typed = typed_for(key) if rng.random() < 0.6 else "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        elif kind == "vector":
            key = [number() for _ in range(rng.randint(1, 4))]
            typed = "[" + ", ".join(typed_for(k) for k in key) + "]"
        else:
            key = [[number() for _ in range(2)] for _ in range(rng.randint(1, 3))]
            typed = "; ".join(" ".join(typed_for(k) for k in row) for row in key)
        mis = [{"name": "m", "value": key, "description": "d"}] if rng.random() < 0.1 else []
        cases.append({"kind": kind, "key": key, "typed": typed, "tolerance": tol, "misconceptions": mis})
    return cases


def test_random_inputs_agree_under_node() -> None:
    cases = _random_cases(2024, 3000)
    statuses = {_python(c)[0] for c in cases}
    assert statuses == {"right", "wrong", "too-few-figures", "unreadable"}
    # Denials of an error are among them, so both readers' word rules are compared too.
    assert sum("there is no error" in m or "does raise an error" in m for _, _, m in map(_python, cases)) >= 20
    _assert_same(cases, _run_node(cases), "node")


def test_spaces_are_pythons_under_node() -> None:
    """What counts as a space around a label, ``about``, ``shape`` or ``by`` is Python's
    str.isspace() in the card script too (a JavaScript \\s also takes U+FEFF and not U+0085)."""
    typed = {"number": ["BP =\ufeff0.5", "about\ufeff0.5", "x:\u30000.5", "0.5\x85", "sqrt\u200a4", "0.5\u2028..."],
             "shape": ["shape\x853x1", "3\u2003by 1", "torch\u3000.size([3,1])", "(3,\u2028 1)", "\ufeff(3, 1)"]}
    keys: dict[str, Any] = {"number": 0.5, "shape": [3, 1]}
    cases = [{"kind": kind, "key": keys[kind], "typed": t, "tolerance": None, "misconceptions": []}
             for kind, texts in typed.items() for t in texts]
    statuses = {_python(c)[0] for c in cases}
    assert statuses == {"right", "wrong", "unreadable"}
    _assert_same(cases, _run_node(cases), "node")


def test_number_formatting_matches_python() -> None:
    # Exact ties (123456.5, 1.203125, 2**-9) round half to even, as in Python.
    values = [0.0, -0.0, 1e-5, 123456.5, 1234565.0, 0.000123456789, 2.5, -3.5, 1e21, 1.5e-300, 5e-324, 0.1, 123456789.0,
              1.203125, -1.234375, 2**-9, 0.0009765625, 8.5e-5, 1e100, 1.7976931348623157e308]
    node = _need_node()
    runner = (
        "const j = require(process.argv[1]); const xs = JSON.parse(process.argv[2]);"
        "process.stdout.write(JSON.stringify(xs.map(x => [j.formatG(x, 6), j.formatG(x, 4), j.formatG(x, 1)])));"
    )
    proc = subprocess.run([node, "-e", runner, str(SCRIPT), json.dumps(values)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    expected = [[f"{x:.6g}", f"{x:.4g}", f"{x:.1g}"] for x in values]
    assert json.loads(proc.stdout) == expected


def test_script_runs_no_text_as_code() -> None:
    source = SCRIPT.read_text("utf-8")
    assert SLOT not in source
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.DOTALL)
    for banned in ("eval(", "Function(", "innerHTML", "outerHTML", "document.write", "setTimeout(", "import(",
                   "XMLHttpRequest", "fetch(", "http:", "https:"):
        assert banned not in code, banned


def test_the_script_needs_nothing_newer_than_es2018() -> None:
    """Older Anki clients (iOS 13.3, Qt 5.14 desktops, Android web views not updated) parse
    ES2018 (the \\p{} classes the script uses) but not ES2020: one `?.` or `??` and the whole
    file fails to load, and with it every card's verdict and rotation."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", SCRIPT.read_text("utf-8"), flags=re.DOTALL)
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', code)  # string literals hold regex sources
    for newer in (r"\?\.[A-Za-z_$(\[]", r"\?\?", r"(?:\|\||&&|\?\?)=", r"[0-9]_[0-9]", r"\bstatic\s*\{", r"#[A-Za-z_]\w*\s*[=;(]"):
        assert not re.search(newer, code), newer


def test_the_scripts_data_is_written_once_in_python() -> None:
    """The script names every constant Python gives it and holds no copy of their values."""
    source = SOURCE.read_text("utf-8")
    assert source.count(SLOT) == 1
    named = " ".join(re.findall(r"var \{([^}]*)\} = C;", source))
    assert sorted(re.findall(r"[A-Z][A-Z_]+", named)) == sorted(constants())
    for copy in ("it raises an exception", "sqrt(2)/2", "0.35, 2.6", "epsilon", "a comma between two digits", "= 2000"):
        assert copy not in source, copy


def test_script_has_one_tokenizer_and_one_parser() -> None:
    """Numbers, vectors, matrices and formulas go through one tokenizer and one parser, as in
    quizgen/core/expression.py; shapes have their own small grammar over the same tokens."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", SOURCE.read_text("utf-8"), flags=re.DOTALL)
    assert re.findall(r"function (\w*(?:[Tt]okeni[sz]e|Parser)\w*)\s*\(", code) == ["tokenize", "Parser"]
    assert len(re.findall(r"\btokenize\(", code)) == 3  # its definition, the parser's call and the shape reader's
    assert len(re.findall(r"new Parser\(", code)) == 2  # entries (numbers, vectors, matrices) and formulas


# ---------------------------------------------------------------------------------------------
# 2. Chromium, the whole table


def _dump_dom(page: Path) -> str:
    proc = chromium("--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<script id="cases" type="application/json">%(cases)s</script>
<pre id="out"></pre>
<script src="%(script)s"></script>
<script>
var cases = JSON.parse(document.getElementById("cases").textContent);
var results = cases.map(function (c) {
  var v = quizgenJudge.judge(c.kind, c.key, c.typed, c.tolerance, c.misconceptions, c.whole);
  return [v.status, v.misconception ? v.misconception.name : null, v.message];
});
document.getElementById("out").textContent = JSON.stringify(results);
</script>
</body></html>
"""


def test_vector_table_in_chromium(tmp_path: Path) -> None:
    _need_chromium()
    cases = [_case(v) for v in VECTORS]
    shutil.copy(SCRIPT, tmp_path / "judge.js")
    embedded = json.dumps(cases).replace("</", "<\\/")
    page = tmp_path / "vectors.html"
    page.write_text(_HARNESS % {"cases": embedded, "script": "judge.js"}, encoding="utf-8")
    dom = _dump_dom(page)
    match = re.search(r'<pre id="out">(.*?)</pre>', dom, re.DOTALL)
    assert match and match.group(1), dom[-2000:]
    got = [tuple(r) for r in json.loads(html.unescape(match.group(1)))]
    for v, (status, misconception, _) in zip(VECTORS, got):
        assert (status, misconception) == (v["status"], v["misconception"]), v["typed"][:60]
    _assert_same(cases, got, "chromium")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# 3. Chromium, real cards rendered by Anki


def reviewer_answer_html(col: Any, card: Any, typed: str) -> str:
    """The back of a card as Anki's reviewer shows it after ``typed`` was entered.

    Mirrors aqt.reviewer.Reviewer.typeAnsAnswerFilter of Anki 25 and 26: the comparison from
    col.compare_answer(expected field, typed, combining) replaces [[type:Field]], and the
    <hr id=answer> moves in front of it. The reviewer itself (aqt) needs Qt and is not a test
    dependency; the comparison is the anki package's own (its Rust backend), and pyproject.toml
    bounds anki to the versions this mirror was checked against
    (test_the_reviewer_mirror_matches_the_installed_anki).
    """
    buf = card.answer()
    field = re.search(r"\[\[type:(.+?)\]\]", buf)
    assert field is not None, "the back has no type-answer marker"
    expected = card.note()[field.group(1)]
    output = col.compare_answer(expected, typed)
    stripped = buf.replace("<hr id=answer>", "")
    block = f"\n<div style=\"font-family: 'Arial'; font-size: 20px\">{output}</div>"
    if len(stripped) != len(buf):
        block = "<hr id=answer>" + block
    return re.sub(r"\[\[type:(.+?)\]\]", lambda _m: block, stripped)


def _verdict(dom: str) -> tuple[str, str | None, str]:
    match = re.search(r'<div id="qz-verdict"([^>]*)>(.*?)</div>\s*<div class="qz-section', dom, re.DOTALL)
    assert match, dom[:3000]
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
    body = re.search(r'class="qz-verdict-message">(.*?)</div>', match.group(2), re.DOTALL)
    message = html.unescape(body.group(1)) if body else ""
    return attrs.get("data-status", ""), (html.unescape(attrs.get("data-misconception", "")) or None), message


@pytest.fixture(scope="module")
def anki_cards(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select

    _need_chromium()  # before building anything
    tmp = tmp_path_factory.mktemp("cards")
    concepts = select(load_concepts(ROOT / "concepts"), "attention")
    deck = tmp / "attention.apkg"
    build_deck(concepts, deck, variants=2, seed=3, notes="per-variant")
    col = Collection(str(tmp / "collection.anki2"))
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck), options=ImportAnkiPackageOptions()))
    assert len(log.log.new) == log.log.found_notes > 0
    yield col
    col.close()


def _card(col: Any, id_prefix: str) -> Any:
    nids = col.find_notes(f'"Id:{id_prefix}*"')
    assert nids, id_prefix
    return col.get_note(sorted(nids)[0]).cards()[0]


def _typed_cases(col: Any) -> list[tuple[Any, str, str]]:
    """(card, typed, what it is) for every case the browser runs."""
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import rebuild

    concepts = load_concepts(ROOT / "concepts")
    number = _card(col, "attention.scale-factor.")
    problem = rebuild(number.note()["Id"], concepts)
    key = problem.answer.value
    mistake = problem.misconceptions[0]
    near = f"{key * 1.003:.5g}"
    far = f"{key * 1.7 + 0.1:.4g}"
    matrix = _card(col, "attention.attention-weights.")
    weights = rebuild(matrix.note()["Id"], concepts).answer.value
    rows = "; ".join(" ".join(f"{v:.4g}" for v in row) for row in weights)
    return [
        (number, format_value("number", key), "right"),
        (number, near, "within tolerance"),
        (number, far, "wrong"),
        (number, format_value("number", mistake.value), "misconception"),
        (number, "<b>abc&", "garbage"),
        (number, "", "empty"),
        (matrix, rows, "matrix typed as rows"),
    ]


def _answer_doms(col: Any, typed: list[tuple[Any, str]], prefix: str) -> list[str]:
    """The DOM Chromium makes of each card's back after typing the text, as Anki's reviewer shows it."""
    pages = []
    for i, (card, text) in enumerate(typed):
        page = Path(col.media.dir()) / f"{prefix}-{i}.html"
        body = reviewer_answer_html(col, card, text)
        page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
                        f'<body class="card">{body}</body></html>', encoding="utf-8")
        pages.append(page)
    return _dump_frames(pages)


_FRAMES = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
%(frames)s
<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("iframe").forEach(function (f) { out.push(f.contentDocument.documentElement.outerHTML); });
  var pre = document.createElement("pre");
  pre.id = "frames";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
</body></html>
"""


def _dump_frames(pages: list[Path]) -> list[str]:
    """The DOM of each page after its scripts ran, from one Chromium run: the pages load as
    frames of one page (each its own document, as a card is), which then reads them back."""
    harness = pages[0].with_name(pages[0].stem + ".frames.html")
    frames = "\n".join(f'<iframe src="{html.escape(p.name)}"></iframe>' for p in pages)
    harness.write_text(_FRAMES % {"frames": frames}, encoding="utf-8")
    proc = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r'<pre id="frames">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, proc.stdout[-2000:]
    doms = json.loads(html.unescape(match.group(1)))
    assert len(doms) == len(pages)
    return doms


def test_typed_answers_on_anki_cards_in_chromium(anki_cards: Any) -> None:
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import rebuild

    _need_chromium()
    col = anki_cards
    concepts = load_concepts(ROOT / "concepts")
    cases = _typed_cases(col)
    doms = _answer_doms(col, [(card, typed) for card, typed, _ in cases], "typed")

    seen = {}
    for (card, typed, what), dom in zip(cases, doms):
        problem = rebuild(card.note()["Id"], concepts)
        expected = judge(problem.answer, typed, problem.tolerance, problem.misconceptions)
        status, misconception, message = _verdict(dom)
        py_mis = expected.misconception.name if expected.misconception else None
        assert (status, misconception) == (expected.status, py_mis), (what, typed, message)
        assert message == expected.message, what
        # A verdict the card cannot ask again about says the rating is the learner's.
        assert ('class="qz-verdict-hint"' in dom) == (status in ("too-few-figures", "unreadable")), (what, status)
        seen[what] = (status, misconception)
    mistake = rebuild(cases[0][0].note()["Id"], concepts).misconceptions[0].name
    assert seen == {
        "right": ("right", None),
        "within tolerance": ("right", None),
        "wrong": ("wrong", None),
        "misconception": ("wrong", mistake),
        "garbage": ("unreadable", None),
        "empty": ("unreadable", None),
        "matrix typed as rows": ("right", None),
    }
    assert cases[1][1] != cases[0][1]  # the within-tolerance answer is not the key itself


def test_front_of_card_shows_no_verdict_in_chromium(anki_cards: Any) -> None:
    """Before an answer is typed (a preview without a comparison) the script stays silent."""
    _need_chromium()
    col = anki_cards
    card = _card(col, "attention.scale-factor.")
    body = card.answer().replace("[[type:Answer]]", "")
    page = Path(col.media.dir()) / "no-typing.html"
    page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>{body}</body></html>', "utf-8")
    status, misconception, message = _verdict(_dump_dom(page))
    assert (status, misconception, message) == ("none", None, "")


def test_every_family_self_grades_in_chromium(tmp_path: Path) -> None:
    """For one card of every family and one of every answer kind, the key and the first named
    mistake typed on the card get the Python judge's verdict in the browser."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts
    from quizgen.core.problems import rebuild
    from quizgen.generators import GENERATORS

    _need_chromium()
    concepts = load_concepts(ROOT / "concepts")
    deck = tmp_path / "all.apkg"
    build_deck(concepts, deck, variants=1, seed=3, notes="per-variant")
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck), options=ImportAnkiPackageOptions()))
        cases, seen, kinds = [], set(), set()
        # Answer forms judged on the card as in Python: a count typed as a non-integer within the
        # tolerance, a matrix typed as one row, a denial of an error.
        forms: dict[str, tuple[Any, Any, str]] = {}
        for nid in sorted(col.find_notes('"note:quizgen problem"')):
            card = col.get_note(nid).cards()[0]
            problem = rebuild(card.note()["Id"], concepts)
            kind = problem.answer.kind
            value = problem.answer.value
            if problem.answer.whole and value >= 100:
                forms.setdefault("whole", (card, problem, repr(value + 0.4)))
            if kind == "matrix" and len(value) > 1:
                forms.setdefault("one-row", (card, problem, " ".join(format_value("number", x) for row in value for x in row)))
            if kind == "shape" and value == "error":
                forms.setdefault("denial", (card, problem, "NoError"))
            if (problem.family in seen and kind in kinds) or not problem.misconceptions:
                continue
            seen.add(problem.family)
            kinds.add(kind)
            cases.append((card, problem, format_value(kind, problem.answer.value)))
            cases.append((card, problem, format_value(kind, problem.misconceptions[0].value)))
        assert seen == set(GENERATORS) and kinds == set(ANSWER_KINDS)
        assert set(forms) == {"whole", "one-row", "denial"}, set(forms)
        pairs = len(cases)
        cases += [forms["whole"], forms["one-row"], forms["denial"]]
        doms = _answer_doms(col, [(card, typed) for card, _, typed in cases], "family")
    finally:
        col.close()
    for (_, problem, typed), dom in zip(cases, doms):
        # One verdict on the card: the script shows what was typed and hides Anki's comparison.
        assert re.search(r'class="qz qz-problem[^"]*qz-judged', dom) and "You typed: " in dom, dom[:2000]
        # What was typed is shown as text: MathJax (which Anki runs after the script) leaves it.
        assert re.search(r'<div id="qz-verdict" class="[^"]*\bmathjax_ignore tex2jax_ignore\b', dom), dom[:2000]
        expected = judge(problem.answer, typed, problem.tolerance, problem.misconceptions)
        status, misconception, message = _verdict(dom)
        assert (status, misconception) == (expected.status, expected.misconception.name if expected.misconception else None), (
            problem.id, typed, message)
    assert [_verdict(dom)[0] for dom in doms[:pairs:2]] == ["right"] * (pairs // 2)
    assert [_verdict(dom)[0] for dom in doms[pairs:]] == ["wrong", "unreadable", "wrong"]


# ---------------------------------------------------------------------------------------------
# 4. Rotating notes: another variant at each review day


_DAY = 86_400_000
_NOON = 1_796_126_400_000  # 2026-12-02 12:00 UTC, in milliseconds


def _page_at(col: Any, name: str, body: str, now_ms: int) -> Path:
    """A page of card HTML whose clock reads ``now_ms`` (the review day the card sees)."""
    page = Path(col.media.dir()) / name
    page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                    f"<script>Date.now = function () {{ return {now_ms}; }};</script></head>"
                    f'<body class="card">{body}</body></html>', encoding="utf-8")
    return page


def _shown(dom: str, css_class: str) -> str:
    # What follows the inputs: the type-in box on the front, the answer line on the back.
    match = re.search(rf'<div class="{css_class}">(.*?)</div>\s*(?:<input|<hr)', dom, re.DOTALL)
    assert match, dom[:3000]
    return match.group(1)


def _variant_id(note: Any, variant: int) -> str:
    """The problem id of one variant of a rotating note, read from its fields."""
    if variant == 0:
        return html.unescape(note["Id"])
    block = note["VariantAnswers"].split(f'<div data-qz-variant="{variant}">', 1)[1]
    return html.unescape(re.search(r'<div data-qz-part="id">(.*?)</div>', block).group(1))


def _rotating_attention(tmp_path: Path) -> tuple[Any, Any, Any]:
    """The shipped concepts, a fresh collection with a rotating attention deck of four variants
    imported (close it), and its scale-factor note."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select

    _need_chromium()
    concepts = load_concepts(ROOT / "concepts")
    deck = tmp_path / "attention.apkg"
    build_deck(select(concepts, "attention"), deck, variants=4, seed=3)
    col = Collection(str(tmp_path / "collection.anki2"))
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck), options=ImportAnkiPackageOptions()))
    nids = col.find_notes('"Id:attention.scale-factor.*"')
    assert len(nids) == 1  # one note for the template, holding its four variants
    return concepts, col, col.get_note(nids[0])


def test_a_rotating_note_shows_another_variant_each_day_in_chromium(tmp_path: Path) -> None:
    from quizgen.anki.cards import ROTATING_MODEL_ID
    from quizgen.core.problems import rebuild

    concepts, col, note = _rotating_attention(tmp_path)
    try:
        assert note.mid == ROTATING_MODEL_ID
        card = note.cards()[0]
        days = [_NOON, _NOON + _DAY]
        fronts = [_page_at(col, f"front-{i}.html", card.question().replace("[[type:Answer]]", "<input id=typeans>"), t)
                  for i, t in enumerate(days)]
        front_doms = [_dump_dom(p) for p in fronts]
        variants = [int(re.search(r'class="qz qz-problem" data-qz-variant="(\d)"', d).group(1)) for d in front_doms]
        assert variants[0] != variants[1]
        problems = [rebuild(_variant_id(note, v), concepts) for v in variants]
        keys = [format_value("number", p.answer.value) for p in problems]
        assert keys[0] != keys[1]
        inputs = [_shown(d, "qz-inputs") for d in front_doms]
        assert inputs[0] != inputs[1]
        for dom, problem in zip(front_doms, problems):  # the front shows that variant's numbers
            assert html.escape(problem.describe_inputs().strip().splitlines()[0], quote=False) in dom
            assert 'id="qz-verdict"' not in dom

        backs = []
        for day, t in enumerate(days):
            for typed in keys:  # the day's own key, then the other day's
                body = reviewer_answer_html(col, card, typed)
                backs.append((day, typed, _page_at(col, f"back-{day}-{len(backs)}.html", body, t)))
        with ThreadPoolExecutor(max_workers=2) as pool:
            back_doms = list(pool.map(_dump_dom, [p for _, _, p in backs]))
        for (day, typed, _), dom in zip(backs, back_doms):
            problem = problems[day]
            # Front and back are the same variant: its inputs, its id, its key judged.
            assert _shown(dom, "qz-inputs") == inputs[day]
            assert f'<span class="qz-id">{html.escape(problem.id, quote=False)}</span>' in dom
            status, misconception, message = _verdict(dom)
            expected = judge(problem.answer, typed, problem.tolerance, problem.misconceptions)
            assert (status, message) == (expected.status, expected.message)
            assert status == ("right" if typed == keys[day] else "wrong"), (day, typed, message)
    finally:
        col.close()


_AT_LOCAL = "<script>Date.now = function () {{ return new Date(2026, 11, 3, {hour}, {minute}).getTime(); }};</script>"

_ONE_AFTER_ANOTHER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<script>
// The front, then (once it has run) the back, as a client that loads each side as a page shows
// them: one origin, so the back finds what the front stored.
var pages = %(pages)s, doms = [];
function next() {
  if (!pages.length) {
    var pre = document.createElement("pre");
    pre.id = "frames";
    pre.textContent = JSON.stringify(doms);
    document.body.appendChild(pre);
    return;
  }
  var f = document.createElement("iframe");
  f.src = pages.shift();
  f.onload = function () { doms.push(f.contentDocument.documentElement.outerHTML); next(); };
  document.body.appendChild(f);
}
next();
</script></body></html>
"""


def test_a_review_across_4_am_judges_the_variant_the_front_showed_in_chromium(tmp_path: Path) -> None:
    """The front is shown at 3:59 and answered at 4:01, a new review day. The back repeats the
    front ({{FrontSide}}, its script included): that copy used to run before the back was read,
    take the back for a front and pick the new day's variant, so the learner's right answer to
    the question they saw was judged wrong against one they never saw."""
    from quizgen.core.problems import rebuild

    concepts, col, note = _rotating_attention(tmp_path)
    try:
        card = note.cards()[0]
        media = Path(col.media.dir())
        front = media / "front.html"
        front.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{_AT_LOCAL.format(hour=3, minute=59)}</head>'
                         f'<body class="card">{card.question().replace("[[type:Answer]]", "<input id=typeans>")}</body></html>', "utf-8")
        shown = int(re.search(r'class="qz qz-problem" data-qz-variant="(\d)"', _dump_dom(front)).group(1))
        key = format_value("number", rebuild(_variant_id(note, shown), concepts).answer.value)
        back = media / "back.html"
        back.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{_AT_LOCAL.format(hour=4, minute=1)}</head>'
                        f'<body class="card">{reviewer_answer_html(col, card, key)}</body></html>', "utf-8")
        harness = media / "across.html"
        harness.write_text(_ONE_AFTER_ANOTHER % {"pages": json.dumps([front.name, back.name])}, "utf-8")
        proc = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri())
        assert proc.returncode == 0, proc.stderr[-2000:]
        doms = json.loads(html.unescape(re.search(r'<pre id="frames">(.*?)</pre>', proc.stdout, re.DOTALL).group(1)))
        variants = [int(re.search(r'class="qz qz-problem[^"]*" data-qz-variant="(\d)"', d).group(1)) for d in doms]
        assert variants[0] == variants[1], variants
        status, _, message = _verdict(doms[1])
        assert status == "right", message
    finally:
        col.close()


_SESSION = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>%(css)s</style></head>
<body class="card"><div id="qa">%(back)s</div>
<script>
// Anki's desktop keeps one page for a session: the next card's front replaces this card.
window.addEventListener("load", function () {
  document.body.className = "card";
  document.getElementById("qa").innerHTML = %(front)s;
  var pre = document.createElement("pre");
  pre.id = "display";
  pre.textContent = getComputedStyle(document.getElementById("typeans")).display;
  document.body.appendChild(pre);
});
</script></body></html>
"""


def test_the_next_card_in_one_page_keeps_its_type_in_box_in_chromium(anki_cards: Any) -> None:
    """A judged back hides Anki's own comparison on its card; it used to mark the whole page, and
    Anki's desktop, which shows a session in one page, then hid every later card's type-in box."""
    _need_chromium()
    col = anki_cards
    first, second = _card(col, "attention.scale-factor"), _card(col, "attention.attention-weights")
    page = Path(col.media.dir()) / "session.html"
    front = second.question().replace("[[type:Answer]]", "<input id=typeans>")
    page.write_text(_SESSION % {"css": first.note_type()["css"], "back": reviewer_answer_html(col, first, "0.25"),
                                "front": json.dumps(front)}, "utf-8")
    dom = _dump_dom(page)
    assert 'class="qz-verdict-message"' not in dom  # the first card's back is gone
    display = re.search(r'<pre id="display">(.*?)</pre>', dom).group(1)
    assert display != "none", display


def test_rotation_walks_through_the_variants_under_node() -> None:
    """The choice itself: a day keeps its variant, a new day never repeats the last one shown
    (where the platform stores it), and without storage consecutive days differ."""
    node = _need_node()
    program = """
const j = require(process.argv[1]);
const out = {days: [], stored: [], spread: {}};
for (let d = 20000; d < 20010; d++) out.days.push(j.chooseVariant("attention.scale-factor", 5, d, null));
let last = null;
for (const d of [20000, 20000, 20005, 20010, 20011, 20031, 20036]) {
  const v = j.chooseVariant("attention.scale-factor", 5, d, last);
  out.stored.push([d, v]);
  last = {day: d, variant: v};
}
for (let n = 0; n < 200; n++) { const v = j.chooseVariant("note" + n, 5, 20000, null); out.spread[v] = (out.spread[v] || 0) + 1; }
out.local = [j.reviewDay(Date.UTC(2026, 11, 2, 3, 59)), j.reviewDay(Date.UTC(2026, 11, 2, 4, 1))];
console.log(JSON.stringify(out));
"""
    proc = subprocess.run([node, "-e", program, str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TZ": "UTC"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    days = out["days"]
    assert all(a != b for a, b in zip(days, days[1:])) and set(days) == set(range(5))
    stored = out["stored"]
    assert stored[0][1] == stored[1][1]  # the same day: the same variant (front, back, relearning)
    assert all(a[1] != b[1] for a, b in zip(stored[1:], stored[2:]))  # every new day another one
    assert set(out["spread"]) == set(map(str, range(5)))  # notes start at different variants
    assert out["local"][1] == out["local"][0] + 1  # the day turns at 4 am


def test_the_reviewer_mirror_matches_the_installed_anki() -> None:
    """The installed anki is one the mirror of the reviewer was checked against (pyproject.toml's
    bound), and the comparison it calls still takes (expected, provided, combining)."""
    import inspect
    import tomllib

    from anki.buildinfo import version
    from anki.collection import Collection
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (requirement,) = [Requirement(r) for r in pyproject["project"]["optional-dependencies"]["test"] if r.startswith("anki")]
    assert any(s.operator == "<" for s in requirement.specifier), "anki has no upper bound (see the reason in pyproject.toml)"
    assert requirement.specifier.contains(version), f"anki {version} is outside {requirement.specifier}"
    assert list(inspect.signature(Collection.compare_answer).parameters) == ["self", "expected", "provided", "combining"]



_PHONE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="card" src="%(page)s" style="width:380px;height:3000px;border:0"></iframe>
<script>
window.addEventListener("load", function () {
  var doc = document.getElementById("card").contentDocument, root = doc.documentElement;
  var blocks = [];
  doc.querySelectorAll(".qz-wide").forEach(function (w) {
    var box = w.parentElement;  // the nearest block that scrolls sideways, if any
    while (box && box !== doc.body && getComputedStyle(box).overflowX === "visible") box = box.parentElement;
    blocks.push(box && box !== doc.body ? box.className || box.id || box.tagName : null);
  });
  var rows = [], scrolls = [];  // each worked step's visible cells, and each steps block's widths
  doc.querySelectorAll(".qz-steps > tbody > tr").forEach(function (tr) {
    var cells = Array.from(tr.children).filter(function (td) { return td.getBoundingClientRect().height > 0; });
    rows.push(cells.map(function (td) { var r = td.getBoundingClientRect(); return [r.top, r.bottom, r.right]; }));
  });
  doc.querySelectorAll(".qz-scroll").forEach(function (s) { scrolls.push([s.scrollWidth, s.clientWidth]); });
  var lines = [];  // each input line: the left of its first visual line, and of the lowest (wrapped) one
  doc.querySelectorAll(".qz-line").forEach(function (div) {
    var range = doc.createRange();
    range.selectNodeContents(div);
    var rects = Array.from(range.getClientRects()).filter(function (r) { return r.width > 0; });
    if (rects.length) lines.push([rects[0].left, rects[0].top, rects[rects.length - 1].left, rects[rects.length - 1].top]);
  });
  var tables = [];  // each row of a table inside a step, or of a text table: its cells' tops
  doc.querySelectorAll(".qz-steps table tr").forEach(function (tr) {
    tables.push(Array.from(tr.children).map(function (td) { return td.getBoundingClientRect().top; }));
  });
  var textRows = [];  // each line of a text table: how many lines it takes on screen
  doc.querySelectorAll(".qz-rows .qz-line").forEach(function (div) {
    var range = doc.createRange();
    range.selectNodeContents(div);
    textRows.push(new Set(Array.from(range.getClientRects()).filter(function (r) { return r.width > 0; }).map(function (r) { return Math.round(r.top); })).size);
  });
  var pre = document.createElement("pre");
  pre.id = "phone";
  pre.textContent = JSON.stringify({width: root.clientWidth, scroll: root.scrollWidth, blocks: blocks, rows: rows, scrolls: scrolls, lines: lines,
                                    tables: tables, textRows: textRows});
  document.body.appendChild(pre);
});
</script>
</body></html>
"""


def _on_a_phone(col: Any, body: str) -> dict[str, Any]:
    """A card's back, laid out by Chromium in a 380 px frame, measured (``_PHONE``)."""
    page = Path(col.media.dir()) / "phone.html"
    page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body class="card">{body}</body></html>', encoding="utf-8")
    harness = page.with_name("phone.frame.html")
    harness.write_text(_PHONE % {"page": page.name}, encoding="utf-8")
    proc = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri())
    match = re.search(r'<pre id="phone">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, proc.stdout[-2000:]
    return json.loads(html.unescape(match.group(1)))


def test_on_a_phone_the_card_never_scrolls_sideways_in_chromium(anki_cards: Any) -> None:
    """At a phone's 380 px, a matrix wider than the screen (every typeset value is made 900 px
    wide and unbreakable here, as MathJax sets a large matrix) scrolls within its own block: the
    inputs, the key, each worked step, each known mistake. The card itself never scrolls sideways,
    so nothing of the question is out of reach (on AnkiDroid a sideways swipe is a gesture)."""
    _need_chromium()
    col = anki_cards
    card = _card(col, "attention.attention-weights.")
    body = reviewer_answer_html(col, card, "0.5")
    wide = '<span class="qz-wide" style="display:inline-block;width:900px">\\1</span>'
    body, n = re.subn(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", lambda m: wide.replace("\\1", html.escape(m.group(0)[:12])), body, flags=re.DOTALL)
    assert n >= 6  # inputs, the key, steps and mistakes hold typeset values
    got = _on_a_phone(col, body)
    assert got["width"] == 380 and got["scroll"] <= got["width"], got
    assert len(got["blocks"]) == n and all(got["blocks"]), got["blocks"]




@pytest.fixture(scope="module")
def table_cards(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A collection of the cards whose worked steps hold tables (confusion matrices) and whose
    inputs hold text tables (masking rows, true and predicted classes)."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select

    _need_chromium()
    tmp = tmp_path_factory.mktemp("tables")
    deck = tmp / "tables.apkg"
    build_deck(select(load_concepts(ROOT / "concepts"), ["precision-recall-f1", "masked-modelling"]), deck, variants=1, seed=3, notes="per-variant")
    col = Collection(str(tmp / "collection.anki2"))
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck), options=ImportAnkiPackageOptions()))
    yield col
    col.close()


@pytest.mark.parametrize("id_prefix", ["precision-recall-f1.", "masked-modelling.loss-labels."])
def test_on_a_phone_tables_keep_their_rows(table_cards: Any, id_prefix: str) -> None:
    """At 380 px a worked step's own cells stand one under the other, but a table inside a step
    (a confusion matrix, tp/fp/fn per class) keeps each row on one line, and so does each row of
    a text table in the inputs: stacked cells or wrapped rows cannot be read as a table."""
    col = table_cards
    tables = text_rows = 0
    for nid in col.find_notes(f'"Id:{id_prefix}*"'):
        got = _on_a_phone(col, reviewer_answer_html(col, col.get_note(nid).cards()[0], "0.5"))
        assert got["scroll"] <= got["width"], got
        for tops in got["tables"]:
            assert max(tops) - min(tops) < 2, tops  # one row, one line
        assert all(n == 1 for n in got["textRows"]), got["textRows"]
        tables += len(got["tables"])
        text_rows += len(got["textRows"])
    assert tables if id_prefix.startswith("precision") else text_rows, (tables, text_rows)


def test_on_a_phone_a_matrix_under_a_long_label_starts_in_sight(anki_cards: Any) -> None:
    """An input's label and its matrix are blocks of their own: where both do not fit on a
    380 px line the matrix goes under the label, its left edge on screen (in one formula, a long
    label pushed the matrix past the right edge, with nothing to say it was there)."""
    _need_chromium()
    col = anki_cards
    body = reviewer_answer_html(col, _card(col, "attention.attention-weights."), "0.5")
    width = {"qz-matrix-label": 250, "qz-matrix-value": 300}
    # As MathJax sets them: an unbreakable block of about the width each takes.
    body, n = re.subn(r'<span class="(qz-matrix-label|qz-matrix-value)">(.*?)</span>(?=\s*(?:<span|</div>))',
                      lambda m: f'<span class="{m[1]}"><span style="display:inline-block;width:{width[m[1]]}px">x</span></span>',
                      body, flags=re.DOTALL)
    assert n >= 4, n  # at least two labelled matrices (queries, keys, values)
    page = Path(col.media.dir()) / "labels.html"
    page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>{_card(col, "attention.").note_type()["css"]}</style>'
                    '<meta name="viewport" content="width=device-width"></head><body class="card" style="margin:0">'
                    f"{body}<script>window.addEventListener('load', function () {{ var pre = document.createElement('pre');"
                    "pre.id = 'edges'; pre.textContent = JSON.stringify(Array.from(document.querySelectorAll('.qz-matrix-value'))"
                    ".map(function (e) { return e.getBoundingClientRect().left; })); document.body.appendChild(pre); });</script>"
                    "</body></html>", encoding="utf-8")
    proc = chromium("--window-size=380,900", "--dump-dom", page.as_uri())
    edges = json.loads(re.search(r'<pre id="edges">(.*?)</pre>', proc.stdout).group(1))
    assert edges and all(0 <= left < 60 for left in edges), edges


def test_on_a_phone_a_long_input_line_wraps_under_its_own_start(tmp_path: Path) -> None:
    """A BLEU card's candidate and references are one line each; on a phone a line that wraps
    goes on indented, so the next line (the next reference) still starts at the margin."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select

    _need_chromium()
    build_deck(select(load_concepts(ROOT / "concepts"), ["bleu"]), tmp_path / "bleu.apkg", variants=1, seed=3)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "bleu.apkg"), options=ImportAnkiPackageOptions()))
        got = _on_a_phone(col, reviewer_answer_html(col, _card(col, "bleu.bleu-4."), "0.5"))
    finally:
        col.close()
    starts = {round(line[0]) for line in got["lines"]}
    wrapped = [line for line in got["lines"] if line[3] > line[1]]
    assert len(starts) == 1 and wrapped, got["lines"]  # every line starts at the margin; some wrap
    assert all(line[2] > line[0] + 5 for line in wrapped), wrapped  # and go on indented


def test_on_a_phone_no_flashcard_scrolls_sideways(tmp_path: Path) -> None:
    """Every shipped flashcard's back, as Anki renders it, laid out at 380 px: a long name with no
    space in it (torch.optim.swa_utils.AveragedModel(student,) breaks instead of pushing the
    card wider than the screen."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts

    _need_chromium()
    concepts = load_concepts(ROOT / "concepts")
    build_deck(concepts, tmp_path / "all.apkg", variants=1)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "all.apkg"), options=ImportAnkiPackageOptions()))
        from quizgen.anki.cards import FLASHCARD_MODEL_ID

        backs = [col.get_note(nid).cards()[0].answer() for nid in col.find_notes(f"mid:{FLASHCARD_MODEL_ID}")]
        assert len(backs) == sum(len(c.flashcards) for c in concepts)
        got = _on_a_phone(col, "".join(backs))
    finally:
        col.close()
    assert got["width"] >= 360 and got["scroll"] <= got["width"], got  # 380 less a scroll bar: the page is long


def test_on_a_phone_a_worked_step_is_its_label_then_its_value_then_its_note(anki_cards: Any) -> None:
    """At 380 px the three columns of the steps table each got a few words (labels one word a
    line, notes cut to "sh"): on a phone each step's cells stand one under the other, and a
    small problem's steps fit the screen without scrolling."""
    _need_chromium()
    col = anki_cards
    card = _card(col, "attention.attention-weights.")
    got = _on_a_phone(col, reviewer_answer_html(col, card, "0.5"))
    assert got["rows"] and got["scrolls"]
    for cells in got["rows"]:
        assert all(a[1] <= b[0] + 0.5 for a, b in zip(cells, cells[1:])), cells  # each below the one before
        assert all(c[2] <= 380 for c in cells), cells
    assert all(width <= client + 1 for width, client in got["scrolls"]), got["scrolls"]


_CODE_PROBE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="card" src="%(page)s" style="width:%(width)spx;height:3000px;border:0"></iframe>
<script>
window.addEventListener("load", function () {
  var doc = document.getElementById("card").contentDocument, lines = [];
  doc.querySelectorAll(".qz-commented").forEach(function (div) {
    var code = div.querySelector(".qz-code").getBoundingClientRect();
    var comment = div.querySelector(".qz-comment").getBoundingClientRect();
    lines.push({code: [code.left, code.top, code.right, code.bottom], comment: [comment.left, comment.top, comment.right, comment.bottom]});
  });
  var pre = document.createElement("pre");
  pre.id = "code";
  pre.textContent = JSON.stringify({lines: lines, width: doc.documentElement.clientWidth, scroll: doc.documentElement.scrollWidth});
  document.body.appendChild(pre);
});
</script>
</body></html>
"""


@pytest.mark.parametrize("width", [380, 1200])
def test_a_code_comment_stands_beside_its_line_or_above_it_never_below(tmp_path: Path, width: int) -> None:
    """transformer-shapes.attention-shapes shows multi-head attention as code with comments.
    Wrapped beside the code, a comment went on under the code's start ("d_k).transpose(1, 2)" on
    a line of its own, read as code). Each comment now stands beside its line, in one column,
    where both fit, and above its line where they do not; never below it, never past the card."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizgen.anki.deck import build_deck
    from quizgen.core.concepts import load_concepts, select

    _need_chromium()
    build_deck(select(load_concepts(ROOT / "concepts"), ["transformer-shapes"]), tmp_path / "t.apkg", variants=1, seed=3)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "t.apkg"), options=ImportAnkiPackageOptions()))
        body = _card(col, "transformer-shapes.attention-shapes.").question()
        page = Path(col.media.dir()) / "code.html"
        page.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body class="card">{body}</body></html>', encoding="utf-8")
        harness = page.with_name("code.frame.html")
        harness.write_text(_CODE_PROBE % {"page": page.name, "width": width}, encoding="utf-8")
        proc = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri())
    finally:
        col.close()
    match = re.search(r'<pre id="code">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, proc.stdout[-2000:]
    got = json.loads(html.unescape(match.group(1)))
    assert len(got["lines"]) >= 2 and got["scroll"] <= got["width"], got
    beside = [line for line in got["lines"] if line["comment"][1] < line["code"][3] and line["code"][1] < line["comment"][3]]
    above = [line for line in got["lines"] if line["comment"][3] <= line["code"][1] + 0.5]
    assert len(beside) + len(above) == len(got["lines"]), got["lines"]
    assert len({round(line["comment"][0]) for line in beside}) <= 1, beside  # one column
    if width == 380:
        assert above, got["lines"]  # a phone has no room beside the longest lines
    else:
        assert beside, got["lines"]
