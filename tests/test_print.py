"""Worksheets and answer keys on paper: printed to PDF by headless Chromium, nothing is lost.

A 20-problem quiz over every concept (and a class of three) is written with its answer key, each
page is printed to an A4 PDF, and the PDF's text (pypdf) must hold every line of every problem's
inputs and every prompt, and no problem id (an id draws its problem again, answer included); the
key must hold every id and every answer as a student would type it. Laid out at the width of an A4 page's text, no element may stick out to the right.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import A4_TEXT_PX, CONCEPTS, chromium, need_chromium, probe_page

from quizgen.classroom.quiz import read_quiz
from quizgen.classroom.worksheet import SHAPE_BOXES
from quizgen.cli import cli
from quizgen.core.concepts import load_concepts
from quizgen.core.problems import rebuild
from quizgen.core.render import CODE_COMMENT, fmt_scalar, input_parts
from quizgen.generators import GENERATORS
from quizgen.judge import format_value


def _squash(text: str) -> str:
    """Text as compared: compatibility forms (the PDF's "ﬁ" ligature is "fi"), no whitespace
    (a printed line may wrap anywhere), one kind of minus sign."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("−", "-")


def _pdf_text(page: Path) -> str:
    from pypdf import PdfReader

    pdf = page.with_suffix(".pdf")
    proc = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert proc.returncode == 0 and pdf.exists(), proc.stderr[-2000:]
    return "\n".join(p.extract_text() for p in PdfReader(pdf).pages)


_OVERFLOW_PROBE = """<script>
(function () {
  var limit = document.documentElement.clientWidth + 0.5, out = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width && r.right > limit) out.push(el.tagName + ": " + (el.textContent || "").slice(0, 60));
    if (["PRE", "CODE", "P", "H1", "H2"].indexOf(el.tagName) >= 0 && el.scrollWidth > el.clientWidth + 1 && el.clientWidth)
      out.push("scrolls: " + el.tagName + ": " + (el.textContent || "").slice(0, 60));
  });
  var p = document.createElement("pre"); p.id = "overflow"; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();
</script>"""


def _overflowing(page: Path) -> list[str]:
    """What sticks out to the right of a window as wide as an A4 page's text."""
    return probe_page(page, _OVERFLOW_PROBE, "overflow")


TITLE = "Week 5 review"


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_chromium()
    tmp = tmp_path_factory.mktemp("print")
    # A fixed list of concepts, so that a concept added to the library does not change what these
    # pages hold: the first template of each (every family) and attention's second (a matrix), so
    # the twenty answers are of every kind a worksheet lays out.
    topics = ["attention", "bleu", "conv-output-size", "embeddings", "fine-tuning", "inverted-dropout",
              "knowledge-distillation", "language-modelling", "lr-schedules", "masked-modelling", "normalization",
              "precision-recall-f1", "rope", "simclr", "softmax-cross-entropy-gradient", "squeeze-unsqueeze",
              "ssl-teachers", "transformer-shapes", "vae"]
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "quiz", *topics, "-n", "20", "--seed", "5", "--title", TITLE, "-o", str(tmp / "q.yaml"), "--key"]
    )
    assert result.exit_code == 0, result.output
    (tmp / "roster.csv").write_text("id,name\ns1,Ann\ns2,Bo\ns3,Cy\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "quiz", *topics, "-n", "20", "--title", TITLE, "--for", str(tmp / "roster.csv"), "-o", str(tmp / "class"), "--key"]
    )
    assert result.exit_code == 0, result.output
    return tmp


def _expected_text(quiz_path: Path, ids: bool) -> list[tuple[str, str]]:
    """(what, text) that a printed page must show: prompts, every line of inputs, and with
    ``ids`` (a key: the teacher's) the problem ids."""
    quiz = read_quiz(quiz_path)
    concepts = load_concepts(CONCEPTS)
    templates = {f"{c.id}.{t.name}": t for c in concepts for t in c.templates}
    out = []
    for p in quiz.problems:
        out.append((f"{p.number} prompt", templates[p.key].prompt.replace("`", "")))  # code spans lose their marks
        # Text as text; a typeset vector or matrix as its label and its entries, row by row (the
        # quiz file holds only what was drawn: the labels come from the problem its id draws).
        for part in input_parts(GENERATORS[quiz.templates[p.key].family].describe, rebuild(p.id, concepts).inputs):
            if isinstance(part, str):
                for line in (line for line in part.splitlines() if line.strip()):
                    # A code comment stands beside its code or above it: each is read whole.
                    code = CODE_COMMENT.match(line)
                    out += [(f"{p.number} inputs", text) for text in ((code["code"], code["comment"]) if code else (line,))]
            else:
                out.append((f"{p.number} label", part.label))
                out += [(f"{p.number} row", " ".join(fmt_scalar(v) for v in row)) for row in part.rows]
        if ids:
            out.append((f"{p.number} id", p.id))
    return out


def test_a_printed_worksheet_and_key_lose_nothing(printed: Path) -> None:
    quiz = read_quiz(printed / "q.yaml")
    families = {quiz.templates[p.key].family for p in quiz.problems}
    assert families == set(GENERATORS)  # the 20 problems cover every concept family
    expected = _expected_text(printed / "q.yaml", ids=True)
    tokens = sum(len(text.split()) for _, text in expected)
    assert len(expected) >= 100 and tokens >= 900
    concepts = load_concepts(CONCEPTS)
    for page in ("q.worksheet.html", "q.key.html"):
        text = _squash(_pdf_text(printed / page))
        missing = [(what, line) for what, line in _expected_text(printed / "q.yaml", ids=page.endswith("key.html"))
                   if _squash(line) not in text]
        assert not missing, (page, missing[:5])
        if page == "q.worksheet.html":  # what students get holds no id
            assert not [p.id for p in quiz.problems if _squash(p.id) in text]
    key = _squash(_pdf_text(printed / "q.key.html"))
    for p in quiz.problems:
        problem = rebuild(p.id, concepts)
        if problem.answer.kind != "formula":  # a formula is typeset; its typed form is beside it
            assert _squash(format_value(problem.answer.kind, problem.answer.value)) in key, p.id
        for m in problem.misconceptions:
            assert _squash(m.name) in key


def test_the_class_file_holds_every_student_one_per_page(printed: Path) -> None:
    from pypdf import PdfReader

    for name, _title in (("class.worksheets.html", "Name"), ("class.key.html", "answer key")):
        page = printed / "class" / name
        text = _squash(_pdf_text(page))
        for student in ("s1", "s2", "s3"):
            for what, line in _expected_text(printed / "class" / f"{student}.quiz.yaml", ids=name == "class.key.html"):
                assert _squash(line) in text, (name, student, what, line)
            if name == "class.worksheets.html":
                assert not [p.id for p in read_quiz(printed / "class" / f"{student}.quiz.yaml").problems if _squash(p.id) in text]
        # Each student starts on a new page: the first page showing a student's heading shows
        # no other student's problems before it.
        pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(page.with_suffix(".pdf")).pages]
        starts = [i for i, t in enumerate(pages) if re.search(r"Student: \w+ \(s\d\)", t)]
        assert len(starts) == 3 and all(pages[i].lstrip().startswith(TITLE) for i in starts), name
        # A browser cannot start each student on a new sheet: on screen a note says how to print
        # it double-sided; on paper it is not there.
        assert 'class="print-note"' in page.read_text("utf-8") and "double-sided" not in text, name


@pytest.mark.parametrize("page", ["q.worksheet.html", "q.key.html", "class/class.worksheets.html", "class/class.key.html"])
def test_nothing_sticks_out_of_an_a4_page(printed: Path, page: str) -> None:
    assert _overflowing(printed / page) == []


def test_pages_need_no_network_and_run_no_script(printed: Path) -> None:
    for page in ("q.worksheet.html", "q.key.html", "class/class.worksheets.html", "class/class.key.html"):
        text = (printed / page).read_text("utf-8")
        assert "<script" not in text and "http" not in text and "\\(" not in text
        assert "<math" in text


_LAYOUT_PROBE = """<script>
(function () {
  var out = [];
  document.querySelectorAll("section.problem").forEach(function (section) {
    var heading = section.querySelector("h2"), answer = section.querySelector(".answer");
    var item = {number: heading ? heading.textContent.split(".")[0] : "", kind: "none"};
    if (answer) {
      var grid = answer.querySelector("table.grid"), line = answer.querySelector(".line");
      var boxes = answer.querySelectorAll(".shape .box");
      if (grid) {
        var xs = {}, ys = {}, cells = grid.querySelectorAll("td"), right = 0, small = 0;
        cells.forEach(function (td) {
          var r = td.getBoundingClientRect();
          xs[Math.round(r.left)] = 1; ys[Math.round(r.top)] = 1; right = Math.max(right, r.right);
          if (r.width < 20 || r.height < 20) small += 1;
        });
        item = {number: item.number, kind: "grid", cells: cells.length, cols: Object.keys(xs).length,
                rows: Object.keys(ys).length, right: right, small: small};
      } else if (boxes.length) {
        var tops = {}, right = 0;
        boxes.forEach(function (b) {
          var r = b.getBoundingClientRect(); tops[Math.round(r.top)] = 1; right = Math.max(right, r.right);
        });
        var choices = answer.querySelectorAll(".shape .choice"), labels = [], wrapped = 0;
        choices.forEach(function (c) {
          labels.push(c.textContent.trim()); right = Math.max(right, c.getBoundingClientRect().right);
          if (c.getClientRects().length > 1) wrapped += 1;
        });
        item = {number: item.number, kind: "shape", boxes: boxes.length, lines: Object.keys(tops).length, right: right,
                choices: labels, wrapped: wrapped};
      } else if (line) {
        var r = line.getBoundingClientRect();
        item = {number: item.number, kind: "line", width: r.width, right: r.right};
      }
    }
    out.push(item);
  });
  var p = document.createElement("pre"); p.id = "layout"; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();
</script>"""


def _layout(page: Path) -> list[dict]:
    """Where each problem's answer space stands, measured by Chromium at A4 text width."""
    return probe_page(page, _LAYOUT_PROBE, "layout", suffix="layout")


@pytest.mark.parametrize("page", ["q.worksheet.html", "class/class.worksheets.html"])
def test_each_answer_space_is_shaped_like_its_answer(printed: Path, page: str) -> None:
    """A matrix gets a grid of rows × columns boxes, a vector a row of boxes, a shape boxes for
    its dimensions, a number a line; every box is big enough to write in and inside the page."""
    concepts = load_concepts(CONCEPTS)
    measured = _layout(printed / page)
    quizzes = [read_quiz(printed / "q.yaml")] if page == "q.worksheet.html" else [
        read_quiz(printed / "class" / f"{s}.quiz.yaml") for s in ("s1", "s2", "s3")]
    problems = [p for q in quizzes for p in q.problems]
    assert [m["number"] for m in measured] == [str(p.number) for p in problems]  # each problem's heading, in order
    kinds = set()
    for m, p in zip(measured, problems):
        answer = rebuild(p.id, concepts).answer
        kinds.add(answer.kind)
        if answer.kind in ("vector", "matrix"):
            rows, cols = (1, len(answer.value)) if answer.kind == "vector" else (len(answer.value), len(answer.value[0]))
            assert m["kind"] == "grid" and (m["rows"], m["cols"], m["cells"]) == (rows, cols, rows * cols), m
            assert m["small"] == 0 and m["right"] <= A4_TEXT_PX, m
        elif answer.kind == "shape":
            # As many boxes for every shape (they do not tell the rank), on one line, inside the page.
            assert m["kind"] == "shape" and m["boxes"] == SHAPE_BOXES and m["lines"] == 1 and m["right"] <= A4_TEXT_PX, m
            assert answer.value == "error" or len(answer.value) <= m["boxes"], m
            # A 0-d result (torch.Size([])) has a box to tick as "error" has: blank boxes are no answer.
            assert m["choices"] == ["no dimensions: () (a 0-d tensor)", "error (torch raises)"] and m["wrapped"] == 0, m
        else:
            assert m["kind"] == "line" and m["width"] >= 150 and m["right"] <= A4_TEXT_PX, m
    assert {"number", "vector", "matrix", "shape"} <= kinds
    text = (printed / page).read_text("utf-8")
    assert "answers.yaml" not in text and "single quotes" not in text  # nothing about files on paper


def test_the_key_opens_with_a_page_of_answers(printed: Path) -> None:
    from pypdf import PdfReader

    _pdf_text(printed / "q.key.html")
    pages = [_squash(p.extract_text()) for p in PdfReader(printed / "q.key.pdf").pages]
    quiz = read_quiz(printed / "q.yaml")
    concepts = load_concepts(CONCEPTS)
    first = pages[0]
    for p in quiz.problems:  # every id and every answer, as typed, on the first page
        problem = rebuild(p.id, concepts)
        assert _squash(p.id) in first and _squash(format_value(problem.answer.kind, problem.answer.value)) in first, p.id
    assert "Workedsolutions" not in first and "Workedsolutions" in pages[1]
    assert "singlequotes" in "".join(pages[:2])  # what students are told about the answer sheet
    # Compact: the 20 worked solutions take a few pages, not a page each (keeping each one's
    # heading, inputs and answer together leaves some page ends blank: 11 pages after the table).
    assert len(pages) <= 1 + 20 * 3 // 5, len(pages)


def test_in_the_key_a_problem_and_its_answer_are_never_on_different_pages(printed: Path) -> None:
    """Each worked solution's heading (its id), prompt, inputs and "Answer to k:" print on one
    page; only the steps and mistakes after them may run onto the next."""
    from pypdf import PdfReader

    _pdf_text(printed / "q.key.html")
    pages = [_squash(p.extract_text()) for p in PdfReader(printed / "q.key.pdf").pages][1:]  # after the table of answers
    quiz = read_quiz(printed / "q.yaml")
    templates = {f"{c.id}.{t.name}": t for c in load_concepts(CONCEPTS) for t in c.templates}
    for p in quiz.problems:
        answer = [i for i, text in enumerate(pages) if _squash(f"Answer to {p.number}:") in text]
        prompt = _squash(templates[p.key].prompt.replace("`", ""))
        assert len(answer) == 1, (p.number, answer)
        assert _squash(p.id) in pages[answer[0]] and prompt in pages[answer[0]], (p.number, p.id)


def test_a_name_without_spaces_wraps_inside_the_page(tmp_path: Path) -> None:
    need_chromium()
    (tmp_path / "roster.csv").write_text("id,name\ns1," + "Wolfeschlegelstein" * 12 + "\n", "utf-8")
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "bleu", "-n", "1", "--title", "T" * 150,
                                      "--for", str(tmp_path / "roster.csv"), "-o", str(tmp_path / "class")])
    assert result.exit_code == 0, result.output
    for page in ("class.worksheets.html", "s1.worksheet.html"):
        assert _overflowing(tmp_path / "class" / page) == [], page


@pytest.mark.parametrize("page", ["q.worksheet.html", "q.key.html"])
def test_on_a_phone_the_page_never_scrolls_sideways(printed: Path, page: str) -> None:
    """At 390 px (a phone; Chromium's own window is at least 500 px, so the page sits in a frame
    that wide) a labelled matrix or a key's table scrolls in its own box: the page is no wider
    than the screen, so no label or number is cut off at its edge."""
    frame = printed / f"{page}.phone.html"
    frame.write_text(
        f'<!DOCTYPE html><html><body><iframe id="f" src="{page}" style="width:390px;height:900px;border:0"></iframe>'
        '<pre id="w"></pre><script>var f = document.getElementById("f"); f.onload = function () {'
        ' var e = f.contentDocument.documentElement;'
        ' document.getElementById("w").textContent = JSON.stringify([e.scrollWidth, e.clientWidth]); };</script></body></html>',
        "utf-8")
    proc = chromium("--allow-file-access-from-files", "--virtual-time-budget=5000", "--window-size=500,1000", "--dump-dom", frame.as_uri())
    match = re.search(r'<pre id="w">(\[\d+,\d+\])</pre>', proc.stdout)
    assert match, proc.stdout[-1000:]
    scroll, client = json.loads(match.group(1))
    assert 300 < client <= 390 and scroll <= client, (scroll, client)


_CODE_PROBE = """<script>
(function () {
  var lines = [];
  document.querySelectorAll(".ws-commented").forEach(function (div) {
    var code = div.querySelector(".ws-code").getBoundingClientRect(), comment = div.querySelector(".ws-comment").getBoundingClientRect();
    lines.push({code: [code.left, code.top, code.right, code.bottom], comment: [comment.left, comment.top, comment.right, comment.bottom]});
  });
  var p = document.createElement("pre"); p.id = "code";
  p.textContent = JSON.stringify({lines: lines, width: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth});
  document.body.appendChild(p);
})();
</script>"""


def test_on_a_worksheet_a_code_comment_stands_beside_its_line_or_above_it_never_below(tmp_path: Path) -> None:
    """Printed, attention-shapes' long comments wrapped to the left edge under their code
    ("d_model); k, v likewise from x" read as a line of code students compute from). As on the
    cards, a comment stands beside its code where both fit and above it where they do not."""
    need_chromium()
    result = CliRunner().invoke(cli, ["--concepts", str(CONCEPTS), "quiz", "transformer-shapes", "--n", "12", "--seed", "8",
                                      "-o", str(tmp_path / "t.yaml")])
    assert result.exit_code == 0, result.output
    got = probe_page(tmp_path / "t.worksheet.html", _CODE_PROBE, "code")
    assert len(got["lines"]) >= 2 and got["scroll"] <= got["width"], got
    beside = [line for line in got["lines"] if line["comment"][1] < line["code"][3] and line["code"][1] < line["comment"][3]]
    above = [line for line in got["lines"] if line["comment"][3] <= line["code"][1] + 0.5]
    assert len(beside) + len(above) == len(got["lines"]) and above, got["lines"]
