"""Pictures of worked solutions (quizgen/core/pictures.py): the SVG on cards and the text in the
terminal show what the checker computed, and stay inside their bounds."""

from __future__ import annotations

import functools
import random
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import CONCEPTS, probe_page

from quizgen.core.answer import Curve, Grid
from quizgen.core.concepts import load_concepts
from quizgen.core.pictures import bars, svg, text_lines
from quizgen.core.problems import build_problem

SVG = ""  # inline in HTML: no namespace


@functools.cache
def figures() -> list[Curve | Grid]:
    """A few problems of every shipped template, drawn once a process, when a test first asks."""
    rng = random.Random(2)
    out = []
    for concept in load_concepts(CONCEPTS):
        for template in concept.templates:
            for _ in range(6):
                figure = build_problem(concept, template, rng.getrandbits(32)).figure
                if figure is not None:
                    out.append(figure)
    return out



def test_both_kinds_are_drawn_by_the_shipped_families() -> None:
    assert sum(isinstance(f, Curve) for f in figures()) >= 20 and sum(isinstance(f, Grid) for f in figures()) >= 6


def test_svg_is_well_formed_and_draws_the_data() -> None:
    for figure in figures()[::3]:
        _check_svg(figure)


def _check_svg(figure: Curve | Grid) -> None:
    root = ET.fromstring(svg(figure))
    assert root.tag == SVG + "svg" and root.get("aria-label") == figure.title
    assert root.find(SVG + "title").text == figure.title
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert not root.findall(f".//{SVG}script") and "href" not in svg(figure)
    if isinstance(figure, Curve):
        (curve,) = [p for p in root.findall(SVG + "path") if p.get("stroke-width") == "2"]
        coords = [tuple(map(float, m)) for m in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", curve.get("d"))]
        assert len(coords) == len(figure.points)
        assert all(0 <= x <= width and 0 <= y <= height for x, y in coords)
        xs = [x for x, _ in coords]
        assert xs == sorted(xs)  # steps left to right
        # Higher LR is higher on the page, and the red mark sits on the curve at the asked step.
        (mark,) = [c for c in root.findall(SVG + "circle") if c.get("class") == "qz-mark"]
        at = [x for x, _ in figure.points].index(figure.mark[0])
        assert (float(mark.get("cx")), float(mark.get("cy"))) == pytest.approx(coords[at], abs=0.011)
        top = max(range(len(coords)), key=lambda i: figure.points[i][1])
        assert coords[top][1] == min(y for _, y in coords)
    else:
        cells = [r for r in root.findall(SVG + "rect") if r.get("class") == "qz-cell"]
        values = [v for row in figure.values for v in row]
        assert len(cells) == len(values)
        for cell, v in zip(cells, values):
            assert float(cell.get("fill-opacity")) == pytest.approx(v, abs=0.006)
        texts = [t.text for t in root.findall(SVG + "text")]
        assert [f"{v:.2f}" for v in values] == [t for t in texts if t and re.fullmatch(r"\d\.\d\d", t)]


_LABEL_PROBE = """<pre id="labels"></pre><script>
var out = [];
document.querySelectorAll("svg").forEach(function (svg, i) {
  var curve = svg.querySelector('path[stroke-width="2"]');
  var label = svg.querySelector("circle.qz-mark").nextElementSibling;
  var b = label.getBBox();
  var inside = 0;
  for (var s = 0; s <= curve.getTotalLength(); s += 0.5) {
    var p = curve.getPointAtLength(s);
    if (p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height) inside++;
  }
  var plot = svg.viewBox.baseVal;
  out.push({figure: i, label: label.textContent, crossed: inside,
            outside: b.x < 0 || b.y < 0 || b.x + b.width > plot.width || b.y + b.height > plot.height});
});
document.getElementById("labels").textContent = JSON.stringify(out);
</script>"""


def test_the_asked_points_label_stays_off_the_curve_and_inside_the_picture(tmp_path) -> None:
    """Laid out in Chromium: the curve never runs through the red label of the asked step (a
    rising warmup line used to cross it), and the label stays inside the picture."""
    curves = [f for f in figures() if isinstance(f, Curve)]
    page = tmp_path / "curves.html"
    page.write_text("<html><body>" + "".join(svg(f) for f in curves) + "</body></html>", "utf-8")
    labels = probe_page(page, _LABEL_PROBE, "labels")
    assert len(labels) == len(curves) >= 20
    assert [x for x in labels if x["crossed"] or x["outside"]] == []


def test_svg_bytes_depend_only_on_the_figure() -> None:
    assert all(svg(f) == svg(f._replace()) for f in figures()[:10])
    assert svg(figures()[0]) != svg(figures()[0]._replace(title="another"))


def test_text_fits_80_columns_and_marks_the_asked_step() -> None:
    for figure in figures():
        _check_text(figure)


def _check_text(figure: Curve | Grid) -> None:
    lines = text_lines(figure)
    assert max(len(line) for line in lines) <= 78
    if isinstance(figure, Grid):
        assert len(lines) == len(figure.values) + 2
        for row, line in zip(figure.values, lines[1:]):
            assert re.findall(r"\d\.\d\d", line) == [f"{v:4.2f}" for v in row]
        return
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    caret = lines[axis + 1].index("^") if "^" in lines[axis + 1] else lines[axis + 2].index("^")
    column = caret - lines[axis].index("└") - 1
    drawn = len(lines[axis]) - lines[axis].index("└") - 1
    xs = [x for x, _ in figure.points]
    # The caret's column is the drawn column nearest the asked step.
    x0, x1 = xs[0], xs[-1]
    assert abs(x0 + (x1 - x0) * column / max(drawn - 1, 1) - figure.mark[0]) <= (x1 - x0) / max(drawn - 1, 1) + 1
    # The axis's name stands apart from its end values (a short warmup printed "0step t7"), and
    # the last value ends under the axis's last column.
    ends = next(line for line in lines[axis + 1:] if "^" not in line and line.strip())
    assert figure.x_label in ends or figure.x_label in lines[lines.index(ends) + 1], lines
    assert re.search(r"\d" + re.escape(figure.x_label[0]), ends) is None and re.search(re.escape(figure.x_label[-1]) + r"\d", ends) is None, ends
    assert len(ends.rstrip()) == len(lines[axis]), (ends, lines[axis])


@pytest.mark.parametrize("columns", [34, 44, 60])
def test_text_takes_the_columns_it_is_given(columns: int) -> None:
    """On a narrow terminal the curve is drawn narrower, so no line folds (a folded caret line
    used to split a number); the grid's shading key breaks between its items, never inside one."""
    for figure in figures():
        lines = text_lines(figure, columns)
        if isinstance(figure, Curve):
            assert max(len(line) for line in lines) <= columns, (columns, lines)
            assert sum("^" in line for line in lines) == 1
        else:
            key = " ".join(line.strip() for line in lines[len(figure.values) + 1 :])
            assert key == "shading: blank under 0.2, ░ under 0.4, ▒ under 0.6, ▓ under 0.8, █ from 0.8"
            assert all(len(line) <= columns for line in lines[len(figure.values) + 1 :])


def test_bars_fill_from_the_bottom_in_eighths() -> None:
    assert bars([0, 0.5, 0.75, 1], 0, 1, 2) == ["  ▄█", " ███"]
    assert bars([1 / 8], 0, 1, 1) == ["▁"]
    assert bars([5, -5], 0, 1, 1) == ["█ "]  # clipped to the range
