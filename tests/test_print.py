"""Worksheets and answer keys on paper: printed to PDF by headless Chromium, nothing is lost.

A 20-problem quiz over every concept (and a class of three) is written with its answer key, each
page is printed to an A4 PDF, and the PDF's text (pypdf) must hold every line of every problem's
inputs, every prompt and every problem id; the key must hold every answer as a student would
type it. Laid out at the width of an A4 page's text, no element may stick out to the right.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS, chromium, need_chromium

from quizgen.classroom.quiz import read_quiz
from quizgen.cli import cli
from quizgen.core.concepts import load_concepts
from quizgen.core.problems import rebuild
from quizgen.core.render import fmt_scalar, input_parts
from quizgen.generators import GENERATORS
from quizgen.judge import format_value

A4_TEXT_PX = 688  # 210 mm less 2 × 14 mm margins, at 96 px per inch


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
    if ((el.tagName === "PRE" || el.tagName === "CODE") && el.scrollWidth > el.clientWidth + 1 && el.clientWidth)
      out.push("scrolls: " + el.tagName + ": " + (el.textContent || "").slice(0, 60));
  });
  var p = document.createElement("pre"); p.id = "overflow"; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();
</script>"""


def _overflowing(page: Path) -> list[str]:
    """What sticks out to the right of a window as wide as an A4 page's text."""
    import json
    import html

    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(page.read_text("utf-8").replace("</body>", _OVERFLOW_PROBE + "</body>"), "utf-8")
    proc = chromium(f"--window-size={A4_TEXT_PX},1000", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r'<pre id="overflow">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, proc.stdout[-2000:]
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_chromium()
    tmp = tmp_path_factory.mktemp("print")
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "quiz", "all", "-n", "20", "--seed", "5", "-o", str(tmp / "q.yaml"), "--key"]
    )
    assert result.exit_code == 0, result.output
    (tmp / "roster.csv").write_text("id,name\ns1,Ann\ns2,Bo\ns3,Cy\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["--concepts", str(CONCEPTS), "quiz", "all", "-n", "20", "--for", str(tmp / "roster.csv"), "-o", str(tmp / "class"), "--key"]
    )
    assert result.exit_code == 0, result.output
    return tmp


def _expected_text(quiz_path: Path) -> list[tuple[str, str]]:
    """(what, text) that a printed worksheet must show: prompts, every line of inputs, ids."""
    quiz = read_quiz(quiz_path)
    templates = {f"{c.id}.{t.name}": t for c in load_concepts(CONCEPTS) for t in c.templates}
    out = []
    for p in quiz.problems:
        out.append((f"{p.number} prompt", templates[p.key].prompt.replace("`", "")))  # code spans lose their marks
        # Text as text; a typeset vector or matrix as its label and its entries, row by row.
        for part in input_parts(GENERATORS[quiz.templates[p.key].family].describe, p.inputs):
            if isinstance(part, str):
                out += [(f"{p.number} inputs", line) for line in part.splitlines() if line.strip()]
            else:
                out.append((f"{p.number} label", part.label))
                out += [(f"{p.number} row", " ".join(fmt_scalar(v) for v in row)) for row in part.rows]
        out.append((f"{p.number} id", p.id))
    return out


def test_a_printed_worksheet_and_key_lose_nothing(printed: Path) -> None:
    quiz = read_quiz(printed / "q.yaml")
    families = {quiz.templates[p.key].family for p in quiz.problems}
    assert families == set(GENERATORS)  # the 20 problems cover every concept family
    expected = _expected_text(printed / "q.yaml")
    tokens = sum(len(text.split()) for _, text in expected)
    assert len(expected) >= 100 and tokens >= 900
    concepts = load_concepts(CONCEPTS)
    for page in ("q.worksheet.html", "q.key.html"):
        text = _squash(_pdf_text(printed / page))
        missing = [(what, line) for what, line in expected if _squash(line) not in text]
        assert not missing, (page, missing[:5])
    key = _squash(_pdf_text(printed / "q.key.html"))
    for p in quiz.problems:
        problem = rebuild(p.id, concepts)
        if problem.answer.kind != "formula":  # a formula is typeset; its typed form is beside it
            assert _squash(format_value(problem.answer.kind, problem.answer.value)) in key, p.id
        for m in problem.misconceptions:
            assert _squash(m.name) in key


def test_the_class_file_holds_every_student_one_per_page(printed: Path) -> None:
    from pypdf import PdfReader

    for name, title in (("class.worksheets.html", "Name"), ("class.key.html", "answer key")):
        page = printed / "class" / name
        text = _squash(_pdf_text(page))
        for student in ("s1", "s2", "s3"):
            for what, line in _expected_text(printed / "class" / f"{student}.quiz.yaml"):
                assert _squash(line) in text, (name, student, what, line)
        # Each student starts on a new page: the first page showing a student's heading shows
        # no other student's problems before it.
        pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(page.with_suffix(".pdf")).pages]
        starts = [i for i, t in enumerate(pages) if re.search(r"Student: \w+ \(s\d\)", t)]
        assert len(starts) == 3 and all(re.match(r"\s*Quiz", pages[i]) for i in starts), name


@pytest.mark.parametrize("page", ["q.worksheet.html", "q.key.html", "class/class.worksheets.html"])
def test_nothing_sticks_out_of_an_a4_page(printed: Path, page: str) -> None:
    assert _overflowing(printed / page) == []


def test_pages_need_no_network_and_run_no_script(printed: Path) -> None:
    for page in ("q.worksheet.html", "q.key.html", "class/class.worksheets.html", "class/class.key.html"):
        text = (printed / page).read_text("utf-8")
        assert "<script" not in text and "http" not in text and "\\(" not in text
        assert "<math" in text
