"""Image occlusion in the source: shapes normalised as Anki stores them, card numbers from ids,
the bank's figures drilled, and `python -m compiler occlusions` measuring labels as Chromium does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import sync_playwright

from compiler.occlusions import Size, anki_occlusion, card_number, cards, figure_size, normalised, number_text
from compiler.svglabels import labels
from schema.models import Occlusions, Shape
from tests.conftest import REAL_BANK, ROOT, load_real_bank

CHROMIUM = "/usr/bin/chromium"
DRILLED = ["lstm-cell", "residual-block", "faster-rcnn", "rnn-unrolled", "nms", "iou"]


def test_numbers_are_written_as_anki_writes_them() -> None:
    assert [number_text(v) for v in (0.2, 0.23456, 1.0, 0.0, 0.00004)] == [".2", ".2346", "1", "0", "0"]


def test_a_shape_is_normalised_to_its_figure_and_numbered_by_its_id() -> None:
    size = Size(0, 0, 200, 100)
    rect = Shape(id="o7", label="a", rect=[20, 30, 40, 10])
    assert card_number(rect) == 7
    assert anki_occlusion(7, normalised(rect, "figure", size)) == (
        "{{c7::image-occlusion:rect:left=.1:top=.3:width=.2:height=.1:oi=1}}"
    )
    # an ellipse: Anki's left/top are its bounding box's, rx/ry fractions of width/height
    ellipse = Shape(id="o2", label="b", ellipse=[100, 50, 20, 10], group="o9")
    assert card_number(ellipse) == 9
    assert anki_occlusion(9, normalised(ellipse, "figure", size)) == (
        "{{c9::image-occlusion:ellipse:left=.4:top=.4:rx=.1:ry=.1:oi=1}}"
    )
    fraction = Shape(id="o1", label="c", rect=[0.5, 0.25, 0.5, 0.5])
    assert normalised(fraction, "fraction", size).left == 0.5
    # a viewBox that does not start at 0 0
    assert normalised(rect, "figure", Size(10, 10, 200, 100)).left == pytest.approx(0.05)


def test_a_group_is_one_card_with_every_shape() -> None:
    occ = Occlusions(
        figure="x.svg",
        shapes=[
            Shape(id="o3", label="A", rect=[0, 0, 1, 1], group="o1"),
            Shape(id="o2", label="B", rect=[1, 1, 1, 1]),
            Shape(id="o1", label="A", rect=[2, 2, 1, 1], group="o1"),
        ],
    )
    found = cards(occ, Size(0, 0, 10, 10))
    assert [(c.number, len(c.shapes), c.label) for c in found] == [(1, 2, "A"), (2, 1, "B")]


def test_figure_sizes(tmp_path: Path) -> None:
    assert figure_size(REAL_BANK / "figures" / "lstm-cell.svg") == Size(0, 0, 520, 296)
    svg = tmp_path / "a.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="30px" height="20"/>')
    assert figure_size(svg) == Size(0, 0, 30, 20)
    svg.write_text("<svg")
    assert figure_size(svg) is None


def test_the_banks_diagrams_are_drilled() -> None:
    """The figures interviewers ask candidates to draw each carry occlusions, inside the figure."""
    found = {fig.path.stem: occ for q in load_real_bank().questions for occ, fig in q.occlusions}
    assert set(DRILLED) <= set(found)
    for name in DRILLED:
        assert (
            len(cards(found[name], figure_size(REAL_BANK / "figures" / f"{name}.svg") or Size(0, 0, 1, 1)))
            >= 3
        )


def test_the_helper_prints_front_matter_that_validates() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "compiler", "occlusions", "source/figures/residual-block.svg"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data = yaml.safe_load(proc.stdout)
    (entry,) = [Occlusions.model_validate(e) for e in data["occlusions"]]
    assert entry.figure == "../figures/residual-block.svg"
    assert [s.label for s in entry.shapes][:3] == ["x", "x", "identity"]
    assert "weight layer" in {s.label for s in entry.shapes}


_BOXES = """() => [...document.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
  const b = t.getBBox(), m = t.getCTM();
  return [t.textContent.trim(), m.a * b.x + m.c * b.y + m.e, m.b * b.x + m.d * b.y + m.f, b.width, b.height];
})"""


def test_label_boxes_match_chromiums() -> None:
    """The helper's geometry against a real renderer: every label of the drilled figures within
    2 px of Chromium's own box (the helper pads its boxes by 2 px)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            for name in DRILLED:
                path = REAL_BANK / "figures" / f"{name}.svg"
                page.goto(path.as_uri())
                theirs = page.evaluate(_BOXES)
                ours = labels(path)
                assert [t[0].replace(" ", "") for t in theirs] == [o.text.replace(" ", "") for o in ours]
                for t, o in zip(theirs, ours, strict=True):
                    assert (
                        max(abs(t[1] - o.left), abs(t[2] - o.top), abs(t[3] - o.width), abs(t[4] - o.height))
                        < 2.0
                    ), (name, t, o)
        finally:
            browser.close()
