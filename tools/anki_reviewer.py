"""Anki cards as Anki desktop's reviewer shows them, in headless Chromium: its own stylesheets
and its own MathJax with its own configuration (all from the `aqt` wheel, installed without its
Qt dependencies: `pip install --no-deps aqt`). Used by the README's pictures and by the tests.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

# The classes Anki desktop's reviewer sets: the theme on <html>, the card's and the mode's on <body>.
THEMES = {"day": ("", ""), "night": ("night-mode", " nightMode night_mode")}
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
PAGE = """<!DOCTYPE html>
<html class="{theme}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{web}/css/webview.css">
<link rel="stylesheet" href="{web}/css/reviewer.css">
<style>{css}</style>
<script>{mathjax_config}</script>
<script src="{web}/js/vendor/mathjax/tex-chtml-full.js"></script>
</head>
<body class="card card{ord} mobile{night}"><div id="qa">{html}</div>{scripts}</body></html>
"""


def reviewer_web() -> Path:
    """The web folder of Anki desktop's reviewer (the `aqt` wheel's `_aqt/data/web`)."""
    spec = importlib.util.find_spec("_aqt")  # a namespace package: data files only
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders:
        raise RuntimeError("install Anki's reviewer files: pip install --no-deps aqt")
    return Path(folders[0]) / "data" / "web"


def mathjax_config(web: Path) -> str:
    """Anki's own MathJax configuration (its js/mathjax.js: the packages, the delimiters), with the
    path the reviewer serves MathJax from replaced by the folder on disk."""
    text = (web / "js" / "mathjax.js").read_text(encoding="utf-8")
    return text.replace(
        '"/_anki/js/vendor/mathjax"', '"' + (web / "js" / "vendor" / "mathjax").as_uri() + '"'
    )


def reviewer_page(html: str, css: str, mode: str, ord_: int = 1, web: Path | None = None) -> str:
    """One page as the reviewer builds it around a card's HTML. Several cards may be given at once
    (their HTML joined): the card scripts, the same for every card, run once, after all of them."""
    web = web or reviewer_web()
    theme, night = THEMES[mode]
    scripts = list(dict.fromkeys(_SCRIPT.findall(html)))
    return PAGE.format(
        web=web.as_uri(),
        theme=theme,
        css=css,
        mathjax_config=mathjax_config(web),
        ord=ord_,
        night=night,
        html=_SCRIPT.sub("", html),
        scripts="".join(scripts),
    )


TYPESET = "() => MathJax.startup.promise.then(() => MathJax.typesetPromise())"
READY = "() => window.MathJax && MathJax.startup && MathJax.startup.promise && MathJax.typesetPromise"
