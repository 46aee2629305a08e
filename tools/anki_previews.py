#!/usr/bin/env python3
"""Pictures of Anki cards for the README, as Anki's reviewer shows them: docs/images/anki-*.png.

    python3 tools/anki_previews.py     # (nox -s previews) build the deck of source/, import it, render

The deck is built afresh into a temporary folder and imported into a fresh collection with the
official `anki` backend; each card's HTML is shown with Anki desktop's own reviewer stylesheet
and MathJax (both from the `aqt` package, installed without its Qt dependencies) in headless
Chromium at a phone's width, in day and night mode.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import anki.collection  # noqa: E402, F401  # first: importing anki.cards first is a circular import
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from compiler.build import build  # noqa: E402
from tools.anki_reviewer import READY, THEMES, TYPESET, reviewer_page, reviewer_web  # noqa: E402
from tools.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT_DIR = ROOT / "docs" / "images"
# (picture, question id, card number, side): a key-point card of the Adam question, its back
CARDS = [("anki-keypoint-390", "adam-principle", 2, "answer")]
# A diagram card (Anki's image occlusion): the reviewer's own script draws the masks on a canvas
# over the figure, which is read from the collection's media folder.
OCCLUSION = ("anki-occlusion", "lstm-structure", 1)  # picture, question id, card number
OCCLUSION_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><base href="{media}/">
<link rel="stylesheet" href="{web}/css/webview.css">
<link rel="stylesheet" href="{web}/css/reviewer.css">
<script src="{web}/js/reviewer.js"></script>
</head>
<body class="card card{ord}"><div id="qa">{html}</div></body></html>
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = build(ROOT / "source", Path(tmp) / "out", only=["anki"])
        if not result.ok():
            sys.exit("\n".join(d.format() for d in result.diags) or "the Anki build failed")
        (apkg,) = result.written["anki"]
        col = Collection(str(Path(tmp) / "collection.anki2"))
        request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
        col.import_anki_package(request)
        pages = []
        for name, qid, number, side in CARDS:
            (nid,) = col.find_notes(f'"Id:{qid}" "note:*要点*"')
            card = next(c for c in col.get_note(nid).cards() if c.ord + 1 == number)
            html = card.answer() if side == "answer" else card.question()
            css = card.note_type()["css"]
            for mode in THEMES:
                html_file = Path(col.media.dir()) / f"{name}-{mode}.html"  # beside the card's images
                html_file.write_text(reviewer_page(html, css, mode, card.ord + 1), encoding="utf-8")
                pages.append((OUT_DIR / f"{name}-{mode}.png", html_file))
        name, qid, number = OCCLUSION
        (nid,) = col.find_notes(f'"Comments:{qid} *" "note:*"')
        card = next(c for c in col.get_note(nid).cards() if c.ord + 1 == number)
        media, web = Path(col.media.dir()).as_uri(), reviewer_web().as_uri()
        for side, html in (("question", card.question()), ("answer", card.answer())):
            html_file = Path(tmp) / f"{name}-{side}.html"
            text = OCCLUSION_PAGE.format(media=media, web=web, ord=card.ord + 1, html=html)
            html_file.write_text(text, encoding="utf-8")
            pages.append((OUT_DIR / f"{name}-{side}.png", html_file))
        col.close()
        with sync_playwright() as p:
            # file access from files: the figure is read from the media folder into the canvas
            args = [*CHROMIUM_ARGS, "--allow-file-access-from-files"]
            browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
            for png, page_file in pages:
                diagram = png.name.startswith(OCCLUSION[0])
                width, height = (600, 560) if diagram else (390, 844)
                page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
                page.goto(page_file.as_uri())
                if diagram:  # the masks are drawn after the image loads and the frame is laid out
                    page.wait_for_function(
                        "() => document.querySelector('#image-occlusion-canvas').width > 0"
                    )
                    page.wait_for_timeout(300)
                else:
                    page.wait_for_function(READY)
                    page.evaluate(TYPESET)
                    page.wait_for_timeout(800)  # the card script fits wide formulas once typeset
                page.screenshot(path=str(png), full_page=not diagram)
                page.close()
                print(png.relative_to(ROOT))
            browser.close()


if __name__ == "__main__":
    main()
