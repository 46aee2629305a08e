"""The EPUB opened in reader engines other people wrote, in Chromium: epub.js (inside many web and
app readers) and foliate-js (the engine of the Foliate reader), both paginated, one page on screen.

Both are npm packages (tests/package.json, installed by `npm ci --prefix tests`). Each is driven
through one small interface, `window.qbReader`, so that the tests (tests/test_epub_readers.py) and
the README's pictures (tools/epub_previews.py) say what to do once for both engines:

    await qbReader.ready                    the book is open, its first page shown
    qbReader.sections()                     the spine's sections, in order
    qbReader.toc()                          every entry of the table of contents (nav), nested ones too
    win = await qbReader.display(target)    show a section or `section#id`; the window of its frame
    await qbReader.settle(win)              the frame's fonts loaded and the engine's layout done
    qbReader.shown()                        the section on screen
    qbReader.resolve(section, href)         a link of that section as the engine follows it
    qbReader.onPage(el)                     whether an element of the section is on the page shown
    qbReader.pageBox(win)                   {height, delta}: a page's height and the step between
                                            two pages' columns, in the section's document
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
READERS = ROOT / "tests" / "node_modules"
ENGINES = ["epubjs", "foliate"]
REQUIRED = [READERS / "epubjs" / "dist" / "epub.min.js", READERS / "foliate-js" / "view.js"]

# epub.js reads the book unpacked, from a folder; its frame is one section, laid out in columns.
EPUBJS_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html, body { margin: 0; } #viewer { width: 100vw; height: 100vh; }</style>
<script src="/readers/jszip/dist/jszip.min.js"></script>
<script src="/readers/epubjs/dist/epub.min.js"></script>
</head><body><div id="viewer"></div>
<script>
const name = new URLSearchParams(location.search).get("book");
window.book = ePub(`/${name}/`);
window.rendition = book.renderTo("viewer",
  { width: innerWidth, height: innerHeight, flow: "paginated", spread: "none" });
const view = () => rendition.manager.views.first();
window.qbReader = {
  ready: book.ready.then(() => rendition.display()),
  sections() { const out = []; book.spine.each((s) => out.push(s.href)); return out; },
  toc() { return book.navigation.toc.flatMap((i) => [i.href, ...(i.subitems || []).map((s) => s.href)]); },
  async display(target) { await rendition.display(target); return view().iframe.contentWindow; },
  async settle(win) {
    await win.document.fonts.ready;
    await new Promise((r) => setTimeout(r, 150)); // epub.js sizes its frame to the pages after load
  },
  shown() { return view().section.href; },
  resolve(section, href) { // a path inside the book, as the spine's and the contents' are
    return new URL(href, "http://book/" + section).href.slice("http://book/".length);
  },
  onPage(el) {
    const container = rendition.manager.container;
    const left = el.getBoundingClientRect().left + view().element.offsetLeft - container.scrollLeft;
    return left >= 0 && left < container.clientWidth;
  },
  pageBox() { const { height, delta } = rendition.manager.layout; return { height, delta }; },
};
</script></body></html>"""

# foliate-js reads the .epub file itself (as its reader.html does, `reader.html?url=`), with the
# styles its reader.js gives every book (line spacing, justified and hyphenated text); <foliate-view>
# lays a section out in columns in a frame inside its (closed) shadow roots, where the frame is
# reached through its document (`frameElement`).
FOLIATE_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html, body { margin: 0; } foliate-view { display: block; width: 100vw; height: 100vh; }</style>
</head><body>
<script type="module">
import "/readers/foliate-js/view.js";
const READER_CSS = `
  @namespace epub "http://www.idpf.org/2007/ops";
  html { color-scheme: light dark; }
  p, li, blockquote, dd {
    line-height: 1.4; text-align: justify; -webkit-hyphens: auto; hyphens: auto;
    -webkit-hyphenate-limit-before: 3; -webkit-hyphenate-limit-after: 2;
    -webkit-hyphenate-limit-lines: 2; hanging-punctuation: allow-end last; widows: 2;
  }
  [align="left"] { text-align: left; } [align="right"] { text-align: right; }
  [align="center"] { text-align: center; } [align="justify"] { text-align: justify; }
  pre { white-space: pre-wrap !important; }
  aside[epub|type~="endnote"], aside[epub|type~="footnote"], aside[epub|type~="note"],
  aside[epub|type~="rearnote"] { display: none; }`;
const name = new URLSearchParams(location.search).get("book");
const view = document.createElement("foliate-view");
document.body.append(view);
window.view = view;
const shown = () => view.renderer.getContents()[0];
const flat = (items) => (items || []).flatMap((i) => [i.href, ...flat(i.subitems)]);
window.qbReader = {
  ready: (async () => {
    await view.open(`/${name}.epub`);
    view.renderer.setAttribute("flow", "paginated");
    view.renderer.setStyles(READER_CSS);
    await view.renderer.next();
  })(),
  sections() { return view.book.sections.map((s) => s.id); },
  toc() { return flat(view.book.toc); },
  async display(target) { await view.goTo(target); return shown().doc.defaultView; },
  async settle(win) {
    await win.document.fonts.ready;
    await new Promise((r) => setTimeout(r, 150)); // the reader's styles are set in the next frame
  },
  shown() { return view.book.sections[shown().index].id; },
  resolve(section, href) { return view.book.sections.find((s) => s.id === section).resolveHref(href); },
  onPage(el) {
    const frame = el.ownerDocument.defaultView.frameElement;
    const container = frame.parentElement.parentElement.getBoundingClientRect(); // the page's window
    const left = frame.getBoundingClientRect().left + el.getBoundingClientRect().left;
    return left >= container.left && left < container.right;
  },
  pageBox(win) { return { height: win.document.documentElement.clientHeight, delta: view.renderer.size }; },
};
</script></body></html>"""

HOSTS = {"epubjs": EPUBJS_HOST, "foliate": FOLIATE_HOST}


def require_engines() -> None:
    missing = [str(p.relative_to(ROOT)) for p in REQUIRED if not p.is_file()]
    if missing:
        raise RuntimeError(f"the reader engines are missing ({', '.join(missing)}): npm ci --prefix tests")


def prepare(root: Path) -> None:
    """The engines and their host pages in a folder to serve."""
    require_engines()
    (root / "readers").symlink_to(READERS)
    for engine, html in HOSTS.items():
        (root / f"{engine}.html").write_text(html, encoding="utf-8")


def publish(epub: Path, root: Path, name: str) -> None:
    """A book in the served folder under `name`: the file (`name.epub`) and unpacked (`name/`)."""
    shutil.copyfile(epub, root / f"{name}.epub")
    with zipfile.ZipFile(epub) as z:
        z.extractall(root / name)


def open_book(browser: Browser, url: str, engine: str, book: str, size: tuple[int, int]) -> Page:
    """A page of `size` with `book` open in `engine`, its first page shown."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1)
    page.goto(f"{url}/{engine}.html?book={book}")
    page.evaluate("() => qbReader.ready")
    return page
