"""Kinsoku around inline math: a formula and the punctuation touching it stay on one line, in the
HTML every output starts from, and in Chromium's layout of the EPUB's pages and the site's."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from compiler.linebreak import glue_math_punctuation
from tests.conftest import ROOT
from tools.browser import CHROMIUM, CHROMIUM_ARGS

M = '<span class="math inline">\\(\\alpha\\)</span>'
LAYOUT_CHECKS = (ROOT / "tests" / "layout_checks.js").read_text(encoding="utf-8")


def test_math_is_glued_to_closing_and_opening_punctuation() -> None:
    assert glue_math_punctuation(f"（即 {M}）更新") == f'（即 <span class="nobr">{M}）</span>更新'
    assert glue_math_punctuation(f"见（{M}，") == f'见<span class="nobr">（{M}，</span>'
    assert glue_math_punctuation(f"a {M} b") == f"a {M} b"  # nothing to glue: unchanged


def test_a_short_element_ending_in_math_is_glued_whole() -> None:
    marked = f"<mark>细胞状态 {M}</mark>"
    assert glue_math_punctuation(f"{marked}，会") == f'<span class="nobr">{marked}，</span>会'
    long = f"<mark>{'很长的一段要回忆的文字' * 3}{M}</mark>"
    assert glue_math_punctuation(f"{long}，会") == f"{long}，会"  # it may break inside


def test_no_line_starts_with_closing_punctuation_in_the_epub_and_the_site(
    real_bank_build: Path, tmp_path: Path
) -> None:
    (epub,) = (real_bank_build / "epub").glob("*.epub")
    folder = tmp_path / "epub"
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
    pages = sorted(folder.rglob("*.xhtml")) + sorted((real_bank_build / "site" / "q").glob("*.html"))
    assert len(pages) > 80
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        for path in pages:
            page.goto(path.as_uri())
            page.add_script_tag(content=LAYOUT_CHECKS)
            found = page.evaluate("() => qbLayout.punctuationAtLineStart(document.body)")
            if found:
                problems[path.name] = found
        browser.close()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)[:3000]


def test_formulas_inside_an_element_are_glued_too() -> None:
    inside = f"<mark>{M}、{M}、{M}</mark>"
    glued = f'<mark><span class="nobr">{M}、</span><span class="nobr">{M}、</span>{M}</mark>'
    assert glue_math_punctuation(f"面积 {inside} 的") == f"面积 {glued} 的"
