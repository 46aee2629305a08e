"""The EPUB in reader engines other people wrote, epub.js (inside many web and app readers) and
foliate-js (the Foliate reader's), paginated, in Chromium, on a phone (390 x 844) and on an
e-reader (600 x 800).

Every section of the book is laid out by the reader and measured (tests/layout_checks.js): nothing
wider than its column, no formula across the box around it, no line starting with closing
punctuation; every link of the table of contents and of the index lands on its target. One set of
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
from tools.epub_readers import ENGINES, open_book, prepare, publish, require_engines, serve

LAYOUT_CHECKS = (Path(__file__).parent / "layout_checks.js").read_text(encoding="utf-8")
SIZES = [(390, 844), (600, 800)]
require_engines()

# Every section of the spine (or those whose name ends with one of `only`) displayed in turn; the
# checks run on the section's document, all of whose pages the engine has laid out as columns.
PAGES = """async (only) => {
  const out = {};
  const sections = qbReader.sections().filter((s) => !only || only.some((o) => s.endsWith(o)));
  for (const section of sections) {
    const win = await qbReader.display(section);
    await qbReader.settle(win);
    const found = qbLayoutFor(win).check(win.document.body);
    if (found.length) out[section] = found;
  }
  return {sections: sections.length, problems: out};
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
    try:
        return page.evaluate(script, arg)
    finally:
        page.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("engine", ENGINES)
def test_every_page_is_laid_out_cleanly(
    browser: Browser, served: tuple[str, Path], real_book: str, engine: str, size: tuple[int, int]
) -> None:
    found = run(browser, served[0], engine, real_book, size, PAGES)
    assert found["sections"] > 40
    assert found["problems"] == {}, json.dumps(found["problems"], ensure_ascii=False, indent=1)[:4000]


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
