"""One vocabulary per language: every word a reader sees comes from the bank's catalog."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import anki.collection  # noqa: F401  # first: importing anki.cards first is a circular import
import pypdf
import pytest
import yaml
from anki.decks import DeckId

from compiler.math.forms import CJK
from compiler.vocabulary import CATALOGS, available, resolve, vocabulary
from tests.conftest import ROOT, run_build
from tests.test_anki import import_apkg, open_collection

ENGLISH_BANK = ROOT / "tests" / "fixtures" / "bank-en"


def _keys(data: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for k, v in data.items():
        if isinstance(v, dict) and not set(v) <= {"one", "other"}:
            keys |= _keys(v, f"{prefix}{k}.")
        else:
            keys.add(f"{prefix}{k}")
    return keys


def test_every_catalog_has_the_same_words() -> None:
    catalogs = {name: yaml.safe_load((CATALOGS / f"{name}.yaml").read_text("utf-8")) for name in available()}
    assert {"zh-CN", "en"} <= set(catalogs)
    reference = _keys(catalogs["zh-CN"])
    for name, data in catalogs.items():
        assert _keys(data) == reference, name
        assert data["script"] in ("cjk", "latin")
    for key, value in vocabulary("en").words.items():  # English chrome is English
        assert not CJK.search(json.dumps(value, ensure_ascii=False)), key


def test_a_language_resolves_to_its_catalog() -> None:
    """(A bank whose language has no catalog is a located error: tests/corpus/unknown-language.)"""
    assert resolve("zh-CN") == "zh-CN" and resolve("en") == "en" and resolve("en-GB") == "en"
    assert resolve("zh") is None and resolve("fr") is None
    assert vocabulary("en").count("pdf.n_questions", 1) == "1 question"
    assert vocabulary("en").count("pdf.n_questions", 3) == "3 questions"
    assert vocabulary("zh-CN").count("pdf.n_questions", 3) == "3 题"


@pytest.fixture(scope="module")
def english_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("english")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        result = run_build(ENGLISH_BANK, out)
    finally:
        mp.undo()
    assert sorted(result.written) == sorted(["api", "anki", "pdf", "epub", "site"])
    return out


def reader_texts(out: Path, tmp: Path) -> dict[str, str]:
    """Every text a reader of the five outputs can see, by where it comes from."""
    texts: dict[str, str] = {}
    for pdf in sorted((out / "pdf").glob("*.pdf")):
        texts[pdf.name] = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        reader = pypdf.PdfReader(pdf)
        texts[f"{pdf.name} metadata"] = json.dumps(dict(reader.metadata or {}), ensure_ascii=False)
        texts[f"{pdf.name} outline"] = repr(reader.outline)
    for epub in sorted((out / "epub").glob("*.epub")):
        with zipfile.ZipFile(epub) as z:
            for name in z.namelist():  # pages, nav, NCX, OPF, cover SVG, stylesheet
                if not name.endswith((".png", ".jpg", ".jpeg")):
                    texts[f"{epub.name}:{name}"] = z.read(name).decode("utf-8")
    for path in sorted((out / "site").rglob("*")) + sorted((out / "api").rglob("*")):
        if path.is_file() and path.suffix not in (".png", ".jpg", ".jpeg"):  # the site's app icons
            texts[str(path.relative_to(out))] = path.read_text(encoding="utf-8")
    for apkg in sorted((out / "anki").glob("*.apkg")):
        collection = tmp / "collection.anki2"
        import_apkg(collection, apkg)
        with open_collection(collection) as col:
            for nid in col.find_notes(""):
                note = col.get_note(nid)
                texts[f"note {note['Id']}"] = " ".join(note.fields)
                for card in note.cards():
                    texts[f"card {note['Id']} {card.ord}"] = card.question() + card.answer()
            for model in col.models.all():
                texts[f"notetype {model['name']}"] = json.dumps(model, ensure_ascii=False)
            for deck in col.decks.all_names_and_ids():
                found = col.decks.get(DeckId(deck.id))
                texts[f"deck {deck.id}"] = deck.name + (found or {}).get("desc", "")
    return texts


def test_an_english_bank_has_no_chinese_in_any_output(english_build: Path, tmp_path: Path) -> None:
    texts = reader_texts(english_build, tmp_path)
    kinds = {key.split(":")[0].split("/")[0].split(" ")[0] for key in texts}
    assert {"api", "site", "note", "card", "notetype", "deck"} <= kinds
    assert any(k.endswith(".pdf") for k in kinds) and any(k.endswith(".epub") for k in kinds)
    found = {key: CJK.findall(text)[:10] for key, text in texts.items() if CJK.search(text)}
    assert not found, found
    # and the words are the English catalog's
    assert "Chapter 1" in texts["vision-bank-cheatsheet.pdf"]
    assert "Contents" in texts["vision-bank.epub:EPUB/nav.xhtml"]
    assert "Key formulas" in "".join(v for k, v in texts.items() if k.startswith("card "))


def test_an_english_bank_puts_a_latin_font_first(english_build: Path) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(english_build / "pdf" / "vision-bank-cheatsheet.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DejaVu-Sans" in fonts and "DejaVu-Sans-Mono" in fonts
    assert "CJK" not in fonts  # no Chinese in the bank: no CJK font is used
    with zipfile.ZipFile(english_build / "epub" / "vision-bank.epub") as z:
        cover = z.read("EPUB/images/cover.svg").decode("utf-8")
    assert re.search(r"font-family=\"'DejaVu Sans'.*'Noto Sans CJK SC'", cover)
