#!/usr/bin/env python3
"""Pictures of the EPUB on a phone (390 x 844) for the README, one per reader engine:
docs/images/epub-<engine>-390.png.

    python3 tools/epub_previews.py     # (nox -s previews) build the EPUB of source/, open it, render

The book is built afresh into a temporary folder and opened, paginated, in epub.js and in
foliate-js (tools/epub_readers.py; `npm ci --prefix tests` installs them) in headless Chromium; each
picture is the page a question's heading starts, the same question in both engines.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from playwright.sync_api import sync_playwright  # noqa: E402

from compiler.build import build  # noqa: E402
from tools.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tools.epub_readers import ENGINES, open_book, prepare, publish  # noqa: E402
from tools.localserver import serve  # noqa: E402

OUT_DIR = ROOT / "docs" / "images"
SIZE = (390, 844)
QUESTION = "q-bilinear-cnn"  # Chinese text, inline math and a key-point list on its first page

# The section holding the question, shown at the question's heading.
SHOW = """async (id) => {
  for (const section of qbReader.sections()) {
    const win = await qbReader.display(section);
    if (!win.document.getElementById(id)) continue;
    await qbReader.settle(await qbReader.display(section + "#" + id));
    return section;
  }
  throw new Error("no section holds " + id);
}"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = build(ROOT / "source", Path(tmp) / "out", only=["epub"])
        if not result.ok():
            sys.exit("\n".join(d.format() for d in result.diags) or "the EPUB build failed")
        (epub,) = result.written["epub"]
        root = Path(tmp) / "served"
        root.mkdir()
        prepare(root)
        publish(epub, root, "book")
        with serve(root) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for engine in ENGINES:
                page = open_book(browser, url, engine, "book", SIZE)
                page.evaluate(SHOW, QUESTION)
                png = OUT_DIR / f"epub-{engine}-{SIZE[0]}.png"
                page.screenshot(path=str(png))
                page.close()
                print(png.relative_to(ROOT))
            browser.close()


if __name__ == "__main__":
    main()
