"""The EPUB in reader engines other people wrote, epub.js (inside many web and app readers) and
foliate-js (the Foliate reader's), paginated, in Chromium, on a phone (390 x 844) and on an
e-reader (600 x 800).

Every section of the book is laid out by the reader and measured (tests/layout_checks.js): nothing
wider than its column, no formula across the box around it, no line starting with closing
punctuation, no display formula shrunk below a readable size, no figure label drawn too small, no
page left half empty but a section's last; every link of the table of contents and of the index
lands on its target. One set of
checks for both engines, each driven through tools/epub_readers.py's `qbReader`; a book broken on
purpose shows that each check sees what it is for. The engines are npm packages
(tests/package.json); `nox -s tests` installs them."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.conftest import FIXTURE_BANK, run_build_at_fixed_time
from tools.epub_readers import ENGINES, open_book, prepare, publish, require_engines
from tools.localserver import serve

LAYOUT_CHECKS = (Path(__file__).parent / "layout_checks.js").read_text(encoding="utf-8")
SIZES = [(390, 844), (600, 800)]
require_engines()

# Every section of the spine (or those whose name ends with one of `only`) displayed in turn; the
# checks run on the section's document, all of whose pages the engine has laid out as columns.
# Each page (one column) is measured too: how far down its content reaches.
PAGES = """async (only) => {
  const out = {problems: {}, shrunk: [], labels: [], halfEmpty: []};
  const sections = qbReader.sections().filter((s) => !only || only.some((o) => s.endsWith(o)));
  for (const section of sections) {
    const win = await qbReader.display(section);
    await qbReader.settle(win);
    const checks = qbLayoutFor(win);
    const found = checks.check(win.document.body);
    if (found.length) out.problems[section] = found;
    const body = win.document.body;
    for (const [scale, tex] of checks.shrunkFormulas(body)) out.shrunk.push([scale, section, tex]);
    for (const [px, figure] of await checks.figureLabels(body)) out.labels.push([px, section, figure]);
    for (const [page, pages, fill, next] of pageFill(win, qbReader.pageBox(win))) {
      const filled = `${Math.round(fill * 100)} % filled, then ${next}`;
      if (page < pages && fill < HALF) out.halfEmpty.push(`${section} page ${page} of ${pages}: ${filled}`);
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
function pageFill(win, box) {
  const doc = win.document, body = win.getComputedStyle(doc.body);
  const top = parseFloat(body.paddingTop), bottom = box.height - parseFloat(body.paddingBottom);
  const pages = Math.round(doc.documentElement.scrollWidth / box.delta);
  const reach = new Array(pages).fill(top), first = new Array(pages).fill(null);
  function note(r, what, solid) {
    const k = Math.floor((r.left + 1) / box.delta);
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

# Every link of the navigation document and of the book's index pages, followed as the engine
# follows it: the section shown must be the target's, and its page shown must hold the target.
LINKS = """async () => {
  const targets = qbReader.toc();
  for (const section of qbReader.sections().filter((s) => /index/.test(s))) {
    const win = await qbReader.display(section);
    for (const a of win.document.querySelectorAll("a[href]")) {
      const href = a.getAttribute("href");
      if (!/^[a-z]+:/.test(href)) targets.push(qbReader.resolve(section, href));
    }
  }
  const missed = [];
  for (const target of [...new Set(targets)]) {
    const win = await qbReader.display(target);
    const [file, id] = target.split("#");
    if (qbReader.shown() !== file) { missed.push(target + " shows " + qbReader.shown()); continue; }
    if (!id) continue;
    const el = win.document.getElementById(id);
    if (!el) { missed.push(target + ": no such id"); continue; }
    if (!qbReader.onPage(el)) missed.push(target + " is off the page shown");
  }
  return {links: targets.length, missed};
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The engines and their host pages on a local web server; books are added to its folder."""
    root = tmp_path_factory.mktemp("readers")
    prepare(root)
    with serve(root) as url:
        yield url, root


@pytest.fixture(scope="module")
def real_book(served: tuple[str, Path], real_bank_build: Path) -> str:
    (epub,) = (real_bank_build / "epub").glob("*.epub")
    publish(epub, served[1], "book")
    return "book"


def run(
    browser: Browser, url: str, engine: str, book: str, size: tuple[int, int], script: str, arg: Any = None
) -> Any:
    """`script` run in a page with `book` open in `engine` and the layout checks loaded."""
    page = open_book(browser, url, engine, book, size)
    page.add_script_tag(content=LAYOUT_CHECKS)
    page.add_script_tag(content=PAGE_FILL)
    try:
        return page.evaluate(script, arg)
    finally:
        page.close()


@pytest.fixture(
    scope="module",
    params=[(e, s) for e in ENGINES for s in SIZES],
    ids=lambda p: f"{p[0]}-{p[1][0]}x{p[1][1]}",
)
def laid_out(
    request: pytest.FixtureRequest, browser: Browser, served: tuple[str, Path], real_book: str
) -> Any:
    """Every page of the real book laid out by one engine at one size, measured once for the
    tests below."""
    engine, size = request.param
    found = run(browser, served[0], engine, real_book, size, PAGES)
    assert found["sections"] > 40
    return found


def test_every_page_is_laid_out_cleanly(laid_out: dict[str, Any]) -> None:
    problems = laid_out["problems"]
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)[:4000]


# A display formula shrunk below this to fit the column has its sub- and superscripts (70 % of
# its size in TeX's script style) under 9 CSS px on a 16 px page: long formulas are broken into
# rows in the source (`aligned` at a relation) instead.
FORMULA_FLOOR = 0.8


def test_shrinks_no_display_formula_below_the_floor(laid_out: dict[str, Any]) -> None:
    shrunk = sorted(s for s in laid_out["shrunk"] if s[0] < FORMULA_FLOOR)
    assert shrunk == [], json.dumps(shrunk, ensure_ascii=False, indent=1)[:4000]


def test_leaves_no_page_half_empty(laid_out: dict[str, Any]) -> None:
    """Only a section's last page may end early: a box or table kept whole that does not fit what
    is left of a page pushes its page half empty (or, taller than a page, is cut off)."""
    assert laid_out["halfEmpty"] == [], laid_out["halfEmpty"][:20]


# The smallest figure label as drawn: the size of a printed book's figure labels (7 pt against
# 10-11 pt text, 0.6-0.7 of it) on a 16 px page.
LABEL_FLOOR_PX = 9.5


def test_draws_figure_labels_readably(laid_out: dict[str, Any]) -> None:
    labels = laid_out["labels"]
    assert len({src for _, _, src in labels}) >= 10  # every figure with text labels, measured
    small = sorted(x for x in labels if x[0] < LABEL_FLOOR_PX)
    assert small == [], small[:20]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("engine", ENGINES)
def test_every_contents_and_index_link_lands(
    browser: Browser, served: tuple[str, Path], real_book: str, engine: str, size: tuple[int, int]
) -> None:
    found = run(browser, served[0], engine, real_book, size, LINKS)
    assert found["links"] > 150
    assert found["missed"] == [], found["missed"][:20]


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def broken_book(served: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The fixture bank's book with one fault of each kind the checks look for: a formula of the
    formula box widened past its column (a min-width beats the engines' max-width), a formula
    followed by a comma with a break allowed between them (no glue), a table-of-contents link and
    an index link to ids that do not exist."""
    out = tmp_path_factory.mktemp("broken-build")
    (epub,) = run_build_at_fixed_time(FIXTURE_BANK, out, only=["epub"]).written["epub"]
    src = out / "unpacked"
    with zipfile.ZipFile(epub) as z:
        z.extractall(src)
    pages = src / "EPUB"
    widened = '<dd><svg style="min-width: 40em" class="math-display"'
    _replace_once(pages / "01-basics.xhtml", '<dd><svg class="math-display"', widened)
    unglued = (
        '<p>推开<svg xmlns="http://www.w3.org/2000/svg" class="math-inline" aria-label="wide"'
        ' width="100%" height="1em" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
        "，逗号在行首。</p><p>softmax 把向量 "
    )
    _replace_once(pages / "01-basics.xhtml", "<p>softmax 把向量 ", unglued)
    _replace_once(pages / "nav.xhtml", '"01-basics.xhtml#q-confusion-matrix"', '"01-basics.xhtml#q-gone"')
    _replace_once(pages / "index.xhtml", '"02-models.xhtml#q-sgd-pseudocode"', '"02-models.xhtml#q-lost"')
    broken = out / "broken.epub"
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(src / "mimetype", "mimetype", zipfile.ZIP_STORED)  # first and stored, as OCF asks
        for file in sorted(src.rglob("*")):
            if file.is_file() and file.name != "mimetype":
                z.write(file, file.relative_to(src).as_posix())
    publish(broken, served[1], "broken")
    return "broken"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_checks_see_a_wide_formula_a_comma_at_a_line_start_and_broken_links(
    browser: Browser, served: tuple[str, Path], broken_book: str, engine: str
) -> None:
    size = SIZES[0]
    pages = run(browser, served[0], engine, broken_book, size, PAGES, ["01-basics.xhtml"])
    (problems,) = pages["problems"].values()
    text = "\n".join(problems)
    assert re.search(r"svg S_i = .* outside its dd", text), text
    assert "line starts with '，' after [wide]" in text, text
    links = run(browser, served[0], engine, broken_book, size, LINKS)
    assert sorted(m.split("#")[1] for m in links["missed"]) == ["q-gone: no such id", "q-lost: no such id"]
