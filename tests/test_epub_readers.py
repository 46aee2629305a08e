"""The EPUB in a reader engine other people wrote: epub.js (inside many web and app readers),
paginated, in Chromium, on a phone (390 x 844) and on an e-reader (600 x 800).

Every page of the book is laid out by the reader and measured (tests/layout_checks.js): nothing
wider than its column, no formula across the box around it, no line starting with closing
punctuation; every link of the table of contents and of the index lands on its target.
The engine is an npm package (tests/package.json); `nox -s tests` installs it."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import ROOT

READERS = ROOT / "tests" / "node_modules"
LAYOUT_CHECKS = (ROOT / "tests" / "layout_checks.js").read_text(encoding="utf-8")
SIZES = [(390, 844), (600, 800)]
if not (READERS / "epubjs" / "dist" / "epub.min.js").is_file():
    raise RuntimeError("the reader engines are missing: npm ci --prefix tests")

EPUBJS_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html, body {{ margin: 0; }} #viewer {{ width: {w}px; height: {h}px; }}</style>
<script src="/readers/jszip/dist/jszip.min.js"></script>
<script src="/readers/epubjs/dist/epub.min.js"></script>
</head><body><div id="viewer"></div>
<script>
window.book = ePub("/book/");
window.rendition = book.renderTo("viewer", {{ width: {w}, height: {h}, flow: "paginated", spread: "none" }});
window.ready = book.ready.then(() => rendition.display());
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base's name
        pass


@pytest.fixture(scope="module")
def served(real_bank_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The book unpacked (epub.js reads a book from a folder) and the engine, on a local web
    server (readers load books with fetch, which a file:// page may not use)."""
    root = tmp_path_factory.mktemp("readers")
    (epub,) = (real_bank_build / "epub").glob("*.epub")
    with zipfile.ZipFile(epub) as z:
        z.extractall(root / "book")
    (root / "readers").symlink_to(READERS)
    for w, h in SIZES:
        (root / f"epubjs-{w}.html").write_text(EPUBJS_HOST.format(w=w, h=h), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()


def epubjs(browser: Browser, url: str, size: tuple[int, int]) -> Page:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{url}/epubjs-{size[0]}.html")
    page.evaluate("() => window.ready")
    page.add_script_tag(content=LAYOUT_CHECKS)
    page.add_script_tag(content=PAGE_FILL)
    return page


# Every section of the spine displayed in turn; the checks run on the reader's frame. Each page
# (one column of the frame) is measured too: how far down its content reaches.
EPUBJS_PAGES = """async () => {
  const out = {problems: {}, shrunk: [], labels: [], halfEmpty: []};
  const sections = [];
  book.spine.each((s) => sections.push(s.href));
  for (const href of sections) {
    await rendition.display(href);
    const view = rendition.manager.views.first();
    const win = view.iframe.contentWindow;
    await win.document.fonts.ready;
    await new Promise((r) => setTimeout(r, 150)); // epub.js sizes its frame to the pages after load
    const checks = qbLayoutFor(win);
    const found = checks.check(win.document.body);
    if (found.length) out.problems[href] = found;
    for (const [scale, tex] of checks.shrunkFormulas(win.document.body)) out.shrunk.push([scale, href, tex]);
    for (const [px, src] of await checks.figureLabels(win.document.body)) out.labels.push([px, href, src]);
    for (const [page, pages, fill, next] of pageFill(win, rendition.manager.layout)) {
      const filled = `${Math.round(fill * 100)} % filled, then ${next}`;
      if (page < pages && fill < HALF) out.halfEmpty.push(`${href} page ${page} of ${pages}: ${filled}`);
    }
  }
  out.sections = sections.length;
  return out;
}"""

# How much of each page's column its content fills (the bottom of its lowest line, formula or
# image), with the element the next page starts with: a page left half empty is one whose next
# element was kept whole and pushed over (or, taller than a page, cut off) though it could have
# broken. A figure or a single formula taller than what was left cannot: that page counts as full.
PAGE_FILL = """const HALF = 0.5;
function pageFill(win, layout) {
  const doc = win.document, body = win.getComputedStyle(doc.body);
  const top = parseFloat(body.paddingTop), bottom = layout.height - parseFloat(body.paddingBottom);
  const pages = Math.round(doc.documentElement.scrollWidth / layout.delta);
  const reach = new Array(pages).fill(top), first = new Array(pages).fill(null);
  function note(r, what, solid) {
    const k = Math.floor((r.left + 1) / layout.delta);
    if (r.width <= 0 || r.height <= 0 || k < 0 || k >= pages) return;
    reach[k] = Math.max(reach[k], Math.min(r.bottom, bottom));
    if (!first[k] || r.top < first[k][0]) first[k] = [r.top, what, solid || 0];
  }
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  let n;
  while ((n = walker.nextNode())) {
    if (n.nodeType === 3) {
      if (!n.data.trim()) continue;
      const range = doc.createRange();
      range.selectNodeContents(n);
      const block = n.parentElement.closest("p, li, dt, dd, h1, h2, h3, h4, pre, figure, td, th, div");
      const what = block ? block.localName + "." + block.className : "text";
      for (const r of range.getClientRects()) note(r, what);
    } else if (n.localName === "svg" || n.localName === "img") {
      const unit = n.closest("figure") || n; // a figure is kept whole with its caption
      const height = unit.getBoundingClientRect().height;
      const what = n.localName + "." + (n.getAttribute("class") || "");
      for (const r of n.getClientRects()) note(r, what, height);
      let last = n;
      while (last.lastChild) last = last.lastChild;
      walker.currentNode = last; // a formula is one box
    }
  }
  // A page may end early before a figure or a formula (which cannot break) taller than what was left.
  return reach.map((r, k) => {
    const next = first[k + 1];
    const pushed = !next || next[2] <= bottom - r;
    return [k + 1, pages, pushed ? (r - top) / (bottom - top) : 1, next && next[1]];
  });
}"""

# Every link of the navigation document and of the book's index pages, followed as a reader
# follows it: the page shown must hold the target element.
EPUBJS_LINKS = """async () => {
  const targets = [];
  for (const item of book.navigation.toc) {
    targets.push(item.href);
    for (const sub of item.subitems || []) targets.push(sub.href);
  }
  const indexes = [];
  book.spine.each((s) => { if (/index/.test(s.href)) indexes.push(s.href); });
  for (const href of indexes) {
    await rendition.display(href);
    const doc = rendition.manager.views.first().iframe.contentDocument;
    for (const a of doc.querySelectorAll("a[href]")) {
      const h = a.getAttribute("href");
      if (!/^[a-z]+:/.test(h)) targets.push(h.startsWith("#") ? href + h : h);
    }
  }
  const missed = [];
  for (const target of [...new Set(targets)]) {
    await rendition.display(target);
    const [file, id] = target.split("#");
    const view = rendition.manager.views.first();
    const doc = view.iframe.contentDocument;
    if (!view.section.href.endsWith(file)) { missed.push(target + " shows " + view.section.href); continue; }
    if (!id) continue;
    const el = doc.getElementById(id);
    if (!el) { missed.push(target + ": no such id"); continue; }
    const container = rendition.manager.container;
    const left = el.getBoundingClientRect().left + view.element.offsetLeft - container.scrollLeft;
    if (left < 0 || left >= container.clientWidth) missed.push(`${target} is off the page shown`);
  }
  return {links: targets.length, missed};
}"""


@pytest.fixture(scope="module", params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def laid_out(request: pytest.FixtureRequest, browser: Browser, served: tuple[str, Path]) -> dict[str, Any]:
    """Every page of the book laid out by epub.js at one size, measured once for the tests below."""
    page = epubjs(browser, served[0], request.param)
    found: dict[str, Any] = page.evaluate(EPUBJS_PAGES)
    page.close()
    assert found["sections"] > 40
    return found


def test_epubjs_lays_out_every_page_cleanly(laid_out: dict[str, Any]) -> None:
    problems = laid_out["problems"]
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)[:4000]


# A display formula shrunk below this to fit the column has its sub- and superscripts (70 % of
# its size in TeX's script style) under 9 CSS px on a 16 px page: long formulas are broken into
# rows in the source (`aligned` at a relation) instead.
FORMULA_FLOOR = 0.8


def test_epubjs_shrinks_no_display_formula_below_the_floor(laid_out: dict[str, Any]) -> None:
    shrunk = sorted(s for s in laid_out["shrunk"] if s[0] < FORMULA_FLOOR)
    assert shrunk == [], json.dumps(shrunk, ensure_ascii=False, indent=1)[:4000]


def test_epubjs_leaves_no_page_half_empty(laid_out: dict[str, Any]) -> None:
    """Only a section's last page may end early: a box or table kept whole that does not fit what
    is left of a page pushes its page half empty (or, taller than a page, is cut off)."""
    assert laid_out["halfEmpty"] == [], laid_out["halfEmpty"][:20]


# The smallest figure label as drawn: the size of a printed book's figure labels (7 pt against
# 10-11 pt text, 0.6-0.7 of it) on a 16 px page.
LABEL_FLOOR_PX = 9.5


def test_epubjs_draws_figure_labels_readably(laid_out: dict[str, Any]) -> None:
    labels = laid_out["labels"]
    assert len({src for _, _, src in labels}) >= 10  # every figure with text labels, measured
    small = sorted(x for x in labels if x[0] < LABEL_FLOOR_PX)
    assert small == [], small[:20]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_epubjs_every_contents_and_index_link_lands(
    browser: Browser, served: tuple[str, Path], size: tuple[int, int]
) -> None:
    page = epubjs(browser, served[0], size)
    found = page.evaluate(EPUBJS_LINKS)
    page.close()
    assert found["links"] > 150
    assert found["missed"] == [], found["missed"][:20]
