"""The drill sheet's "label the diagram" pages: a page per occluded figure, its labels under
numbered boxes, the labels in the answer key when it is on; the same bytes twice."""

from __future__ import annotations

from pathlib import Path

import pypdf

from tests.conftest import FIXTURE_BANK, copy_bank, run_build
from tests.test_anki_occlusion import SHAPES, with_occlusions


def drill_pages(out: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(out / "pdf" / "test-bank-drill.pdf").pages]


def test_an_occluded_figure_gets_a_labelling_page_and_its_answers(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with_occlusions(bank, SHAPES)
    config = bank / "bank.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  pdf:\n", "  pdf:\n    drill_answer_key: true\n"), encoding="utf-8")
    run_build(bank, tmp_path / "out", only=["pdf"])
    pages = drill_pages(tmp_path / "out")
    (page,) = [p for p in pages if "标注图示" in p and "写出每个编号方框遮住的内容" in p]
    assert "什么是查准率和查全率" in page  # the question the figure belongs to
    assert "两边" not in page and "角" not in page  # the labels are hidden on the page
    key = "\n".join(p for p in pages if "答案要点" in p)
    for label in ("方框", "角", "两边"):
        assert label in key
    first = (tmp_path / "out" / "pdf" / "test-bank-drill.pdf").read_bytes()
    run_build(bank, tmp_path / "again", only=["pdf"])
    assert (tmp_path / "again" / "pdf" / "test-bank-drill.pdf").read_bytes() == first


def test_without_occlusions_there_is_no_labelling_page(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path / "out", only=["pdf"])
    assert not any("标注图示" in p for p in drill_pages(tmp_path / "out"))
