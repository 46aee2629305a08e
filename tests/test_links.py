"""Links between outputs: with `outputs.site.base_url`, every Anki card back, EPUB answer and PDF
question links to the question's page on the site, and the JSON API gives its URL; without it,
no output holds a link to a site that may not exist."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import anki.collection  # noqa: F401  # first: importing anki.cards first is a circular import
import pypdf
import pytest

from compiler.links import question_page
from tests.conftest import FIXTURE_BANK, copy_bank, run_build
from tests.test_anki import (
    FORMULA_MODEL_NAME,
    POINTS_MODEL_NAME,
    QA_MODEL_NAME,
    import_apkg,
    open_collection,
)
from tests.test_anki_occlusion import SHAPES, with_occlusions
from tests.test_epub import epubcheck

BASE = "https://cv.example.org/bank/"
PAGE = "https://cv.example.org/bank/q/softmax.html"
BACKENDS = ["anki", "epub", "pdf", "api", "site"]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture bank, with a diagram, built with the site's address."""
    tmp = tmp_path_factory.mktemp("linked")
    bank = copy_bank(FIXTURE_BANK, tmp / "bank")
    with_occlusions(bank, SHAPES)
    config = bank / "bank.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"  site:\n    base_url: {BASE}\n", encoding="utf-8"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        run_build(bank, tmp / "out", only=BACKENDS)
    finally:
        mp.undo()
    return tmp / "out"


@pytest.fixture(scope="module")
def unlinked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("unlinked")
    bank = copy_bank(FIXTURE_BANK, tmp / "bank")
    with_occlusions(bank, SHAPES)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        run_build(bank, tmp / "out", only=BACKENDS)
    finally:
        mp.undo()
    return tmp / "out"


def test_the_link_is_the_sites_own_page(linked: Path) -> None:
    assert BASE + question_page("softmax") == PAGE
    assert (linked / "site" / question_page("softmax")).is_file()


def test_every_card_back_links_to_the_page(linked: Path, tmp_path: Path) -> None:
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, linked / "anki" / "test-bank.apkg")
    with open_collection(col_path) as col:
        for notetype in (QA_MODEL_NAME, POINTS_MODEL_NAME, FORMULA_MODEL_NAME):
            (nid,) = col.find_notes(f'"note:{notetype}" "Id:softmax*"')
            card = col.get_note(nid).cards()[0]
            assert f'href="{PAGE}"' in card.answer(), notetype
            assert PAGE not in card.question().split('id="answer"')[0] or notetype == POINTS_MODEL_NAME
        (nid,) = col.find_notes('"note:面试题库 · 图示"')
        card = col.get_note(nid).cards()[0]
        assert 'href="https://cv.example.org/bank/q/confusion-matrix.html"' in card.answer()
        assert "confusion-matrix.html" not in card.question()


def test_the_book_links_each_answer_and_stays_valid(linked: Path) -> None:
    book = linked / "epub" / "test-bank.epub"
    with zipfile.ZipFile(book) as archive:
        pages = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml"))
    assert f'<a href="{PAGE}">在网站上看这道题</a>' in pages
    returncode, checker, _ = epubcheck(book)
    assert returncode == 0 and (checker.nError, checker.nWarning) == (0, 0)


def test_the_sheets_link_each_question(linked: Path) -> None:
    for sheet in ("cheatsheet", "drill", "keypoints"):
        reader = pypdf.PdfReader(linked / "pdf" / f"test-bank-{sheet}.pdf")
        uris = {
            str(a.get_object().get("/A", {}).get("/URI", ""))
            for page in reader.pages
            for a in page.get("/Annots", []) or []
        }
        assert PAGE in uris, sheet


def test_the_api_gives_the_page(linked: Path) -> None:
    doc = json.loads((linked / "api" / "v1" / "questions" / "softmax.json").read_text("utf-8"))
    assert doc["page_url"] == PAGE and doc["schema_version"] == "1.2.0"
    index = json.loads((linked / "api" / "v1" / "index.json").read_text("utf-8"))
    assert {q["id"]: q["page_url"] for q in index["questions"]}["softmax"] == PAGE


def test_without_the_sites_address_no_output_links_to_it(unlinked: Path) -> None:
    for path in sorted(p for p in (unlinked / "api").rglob("*.json")):
        data = path.read_text("utf-8")
        assert '"page_url": "' not in data and "example.org" not in data, path
    with zipfile.ZipFile(unlinked / "epub" / "test-bank.epub") as archive:
        pages = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml"))
    assert "page-link" not in pages and "在网站上看这道题" not in pages
    with zipfile.ZipFile(unlinked / "anki" / "test-bank.apkg") as archive:
        assert b"qb-link" not in archive.read("collection.anki2").replace(b".qb-link {", b"")
    for sheet in ("cheatsheet", "drill", "keypoints"):
        reader = pypdf.PdfReader(unlinked / "pdf" / f"test-bank-{sheet}.pdf")
        uris = [
            str(a.get_object().get("/A", {}).get("/URI", ""))
            for page in reader.pages
            for a in page.get("/Annots", []) or []
        ]
        assert not [u for u in uris if u.startswith("http")], sheet
