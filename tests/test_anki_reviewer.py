"""Every card of the real deck as Anki desktop's reviewer draws it: its stylesheets and its MathJax
(from the `aqt` wheel), in Chromium, on a phone (420 px) and on a desktop (1,100 px), day and night.

A page holds every card (each card's HTML as the reviewer renders it, the card script once): what
is measured is each card's own layout, and one page keeps the test to seconds per size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from playwright.sync_api import Browser, Page

from tests.conftest import ROOT
from tools.anki_reviewer import READY, TYPESET, reviewer_page

LAYOUT_CHECKS = (ROOT / "tests" / "layout_checks.js").read_text(encoding="utf-8")
CASE = '<div class="qb-case" data-case="{name}">{html}</div>'


@pytest.fixture(scope="module")
def cards(
    real_bank_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, dict[str, str], set[int]]:
    """The deck's CSS, the HTML of every note's card backs (which hold the front), each card's
    note id field and the notes laid out (every note of ours, once)."""
    (apkg,) = (real_bank_build / "anki").glob("*.apkg")
    col = Collection(str(tmp_path_factory.mktemp("reviewer") / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
        col.import_anki_package(request)
        parts: list[str] = []
        ids: dict[str, str] = {}
        notes: set[int] = set()
        css = ""
        for cid in sorted(col.find_cards("")):
            card = col.get_card(cid)
            note = card.note()
            if "Id" not in note:
                continue  # a diagram card: Anki's own image-occlusion notetype, drawn by its reviewer
            name = f"{note['Id']}#{card.ord + 1}"
            ids[name] = note["Id"]
            notes.add(note.id)
            css = card.note_type()["css"]  # the same stylesheet for every notetype of ours
            if card.note_type()["type"] != 1:
                parts.append(CASE.format(name=name, html=card.answer()))
            elif card.ord == min(c.ord for c in note.cards()):
                # A key-point note's cards differ only in the point blanked or highlighted: one
                # card a note, its back, with the folded answer opened so that it is laid out.
                opened = card.answer().replace('<details class="qb-full">', '<details class="qb-full" open>')
                parts.append(CASE.format(name=name, html=opened))
        return css, "".join(parts), ids, notes
    finally:
        col.close()


def reviewer(browser: Browser, tmp_path: Path, html: str, css: str, mode: str, width: int) -> Page:
    page_file = tmp_path / f"cards-{mode}-{width}.html"
    page_file.write_text(reviewer_page(html, css, mode), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(page_file.as_uri())
    page.wait_for_function(READY)
    page.evaluate(TYPESET)
    # The card script polls for a few seconds until MathJax is done; typesetting a thousand cards
    # takes longer, so it is run once more when all of them are, as on a window resize.
    page.evaluate("() => window.dispatchEvent(new Event('resize'))")
    page.add_script_tag(content=LAYOUT_CHECKS)
    return page


# A display formula the card script shrinks to fit a phone is drawn no smaller than this part of
# the card's text (the EPUB's floor, tests/test_epub_readers.py: its scripts stay near 9 px and
# up). MathJax draws math at about 1.23 times the text, so this is about 65 % of its own size.
FORMULA_FLOOR = 0.8

MEASURE = """() => {
  const FLOOR = @FLOOR@;
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const out = {errors: [], small: [], shrunk: [], cases: 0};
  for (const c of document.querySelectorAll('.qb-case')) {
    out.cases++;
    const name = c.dataset.case;
    for (const e of c.querySelectorAll('mjx-merror, [data-mjx-error]'))
      out.errors.push(c.dataset.case + ': ' + (e.getAttribute('data-mjx-error') || e.textContent));
    const inline = [...c.querySelectorAll('mjx-container:not([display="true"])')].map(px);
    const display = [...c.querySelectorAll('mjx-container[display="true"]')]
      .filter((e) => e.style.fontSize === e.getAttribute('data-qb-size'))  // not shrunk to fit
      .map(px);
    if (inline.length && display.length && Math.min(...display) < Math.max(...inline) - 0.05)
      out.small.push(`${name}: display ${Math.min(...display)} px, inline ${Math.max(...inline)} px`);
    for (const e of c.querySelectorAll('mjx-container[display="true"]')) {
      const ratio = px(e) / px(c);  // drawn size against the card's text
      if (ratio < FLOOR)
        out.shrunk.push(`${name}: ${ratio.toFixed(2)} of the text, ${e.textContent.slice(0, 40)}`);
    }
  }
  const doc = document.scrollingElement;
  out.scroll = doc.scrollWidth - doc.clientWidth;
  out.wide = [...document.querySelectorAll('.qb-case')].filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map((c) => c.dataset.case);
  return out;
}""".replace("@FLOOR@", str(FORMULA_FLOOR))


@pytest.mark.parametrize("width", [420, 1100])
@pytest.mark.parametrize("mode", ["day", "night"])
def test_every_card_lays_out_in_anki_reviewer(
    browser: Browser, cards: tuple[str, str, dict[str, str], set[int]], tmp_path: Path, mode: str, width: int
) -> None:
    css, html, _, notes = cards
    page = reviewer(browser, tmp_path, html, css, mode, width)
    found = page.evaluate(MEASURE)
    # every note of ours once: question, key-point, formula and reverse-formula notes
    assert found["cases"] == html.count('class="qb-case"') == len(notes) > 400
    assert found["errors"] == []
    assert found["small"] == [], "display math smaller than inline math"
    assert found["shrunk"] == [], found["shrunk"][:10]
    assert found["scroll"] <= 0, f"the page scrolls sideways by {found['scroll']} px: {found['wide'][:5]}"
    problems = page.evaluate("() => qbLayout.check(document.getElementById('qa'))")
    assert problems == [], json.dumps(problems[:20], ensure_ascii=False, indent=1)
    page.close()


def test_cards_do_not_show_the_internal_id(
    cards: tuple[str, str, dict[str, str], set[int]], browser: Browser
) -> None:
    """The note's id (its `Id` field, for Anki's duplicate check and search) is not printed at the
    end of the card, where it used to be."""
    _, html, ids, _ = cards
    page = browser.new_page()
    page.set_content(html)
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.qb-case')].map((c) => [c.dataset.case, c.innerText])"
    )
    page.close()
    last_lines = {
        name: [line.strip() for line in text.splitlines() if line.strip()][-1] for name, text in shown
    }
    assert [name for name, line in last_lines.items() if line == ids[name]] == []
