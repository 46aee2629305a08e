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
    return page


# Every section of the spine displayed in turn; the checks run on the reader's frame.
EPUBJS_PAGES = """async () => {
  const out = {};
  const sections = [];
  book.spine.each((s) => sections.push(s.href));
  for (const href of sections) {
    await rendition.display(href);
    const view = rendition.manager.views.first();
    const win = view.iframe.contentWindow;
    await win.document.fonts.ready;
    await new Promise((r) => setTimeout(r, 150)); // epub.js sizes its frame to the pages after load
    const found = qbLayoutFor(win).check(win.document.body);
    if (found.length) out[href] = found;
  }
  return {sections: sections.length, problems: out};
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


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_epubjs_lays_out_every_page_cleanly(
    browser: Browser, served: tuple[str, Path], size: tuple[int, int]
) -> None:
    page = epubjs(browser, served[0], size)
    found = page.evaluate(EPUBJS_PAGES)
    page.close()
    assert found["sections"] > 40
    assert found["problems"] == {}, json.dumps(found["problems"], ensure_ascii=False, indent=1)[:4000]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_epubjs_every_contents_and_index_link_lands(
    browser: Browser, served: tuple[str, Path], size: tuple[int, int]
) -> None:
    page = epubjs(browser, served[0], size)
    found = page.evaluate(EPUBJS_LINKS)
    page.close()
    assert found["links"] > 150
    assert found["missed"] == [], found["missed"][:20]
