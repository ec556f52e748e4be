"""Where typeset maths stands on a page: every labelled input reads ``label = matrix`` on one line.

A quiz over every concept, its answer key, and a class of two (worksheets and keys, one file
each) are laid out by headless Chromium at the width of an A4 page's text, once with the screen
styles and once with the print styles. A script on each page measures every typeset input: the
label, the ``=`` and the value must each have a box, overlap vertically (one line), stand left to
right, and the ``=`` must sit within the height of the value (beside it, not under it). Reading
the text back would not see any of this: a stacked layout keeps every character.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONCEPTS, need_chromium, probe_page

from quizgen.cli import cli

_PROBE = """<script>
(function () {
  var bad = [], count = 0;
  function overlap(a, b) { return Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top); }
  document.querySelectorAll("math.input").forEach(function (m) {
    count++;
    var what = (m.textContent || "").replace(/\\s+/g, " ").slice(0, 50);
    var parts = ["label", "eq", "value"].map(function (p) {
      var el = m.querySelector('[data-part="' + p + '"]');
      return el ? el.getBoundingClientRect() : null;
    });
    var l = parts[0], e = parts[1], v = parts[2];
    if (!l || !e || !v || !(l.width > 0 && e.width > 0 && v.width > 0 && l.height > 0 && v.height > 0)) {
      bad.push("a part has no box: " + what); return;
    }
    if (overlap(l, e) <= 0 || overlap(e, v) <= 0) bad.push("not on one line: " + what);
    if (!(l.right <= e.left + 1 && e.right <= v.left + 1)) bad.push("not left to right: " + what);
    var middle = (e.top + e.bottom) / 2;
    if (middle < v.top || middle > v.bottom) bad.push("= not beside the value: " + what);
    var size = parseFloat(getComputedStyle(m).fontSize);
    if (e.width > 2 * size || e.height > 2 * size) bad.push("= drawn oversized: " + what);
  });
  var p = document.createElement("pre"); p.id = "layout";
  p.textContent = JSON.stringify({count: count, bad: bad});
  document.body.appendChild(p);
})();
</script>"""


def _measure(page: Path, printed: bool) -> dict:
    """Lay ``page`` out at A4 text width (with its print styles applied when ``printed``) and
    return what the probe found."""
    text = page.read_text("utf-8")
    if printed:
        text = text.replace("@media print", "@media all")
    return probe_page(page, _PROBE, "layout", text=text, suffix="print.probe" if printed else "screen.probe")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_chromium()
    tmp = tmp_path_factory.mktemp("layout")
    run = CliRunner().invoke
    result = run(cli, ["--concepts", str(CONCEPTS), "quiz", "all", "-n", "30", "--seed", "11", "-o", str(tmp / "q.yaml"), "--key"])
    assert result.exit_code == 0, result.output
    (tmp / "roster.csv").write_text("id,name\ns1,Ann\ns2,Bo\n", "utf-8")
    result = run(cli, ["--concepts", str(CONCEPTS), "quiz", "all", "-n", "30", "--seed", "11", "--for", str(tmp / "roster.csv"),
                       "-o", str(tmp / "class"), "--key"])
    assert result.exit_code == 0, result.output
    return tmp


def _typeset_inputs(page: Path) -> int:
    return page.read_text("utf-8").count('<math class="input">')


@pytest.mark.parametrize("printed", [False, True], ids=["screen", "print"])
@pytest.mark.parametrize(
    "name", ["q.worksheet.html", "q.key.html", "class/class.worksheets.html", "class/class.key.html", "class/s1.key.html"]
)
def test_every_typeset_input_reads_label_equals_value_on_one_line(pages: Path, name: str, printed: bool) -> None:
    page = pages / name
    found = _measure(page, printed)
    # Every typeset input was measured, and there are many (matrices and vectors of several
    # families), so the check cannot pass by finding nothing.
    assert found["count"] == _typeset_inputs(page) >= 10
    assert found["bad"] == []
