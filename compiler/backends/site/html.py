"""Rendered fragments -> HTML for the site's pages: math as inline SVG, images under media/,
answer headings below the page's own, wide content that scrolls on a phone.

Math is typeset to SVG by ziamath (`compiler.math.svg`), the same glyphs as the PDF and EPUB: a
formula looks the same on every browser and needs no math font on the reader's device and no
script, which MathML (font-dependent in Chromium, no stretchy glyphs without a math font) and
MathJax (a script from a CDN, or 1 MB vendored) do not give. The SVG is sized in em and drawn in
`currentColor`, so it follows the text size and the night theme.
"""

from __future__ import annotations

import re

from compiler.cache import Cache
from compiler.markup import replace_image_sources
from compiler.math.forms import Math, replace_math
from compiler.math.svg import SCREEN_MATH_PX, math_svg, scalable_svg

_HEADING = re.compile(r"<(/?)h([1-6])\b")
_TABLE_OPEN = re.compile(r"<table\b")


class PageMath:
    """Typesets the math of one page; ids inside the SVGs get a prefix unique within the page."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.count = 0

    def __call__(self, math: Math) -> str:
        self.count += 1
        svg = scalable_svg(math_svg(math, self.cache, SCREEN_MATH_PX, id_prefix=f"m{self.count}"))
        if math.display:
            # A span, not a div: pandoc puts display math inside <p>. It scrolls when wider than a phone.
            return f'<span class="math-block">{svg}</span>'
        return svg

    def fragment(self, fragment: str) -> str:
        return replace_math(fragment, self)


def media_urls(fragment: str, root: str) -> str:
    """Images name an asset; on the site assets live in media/ (`root` leads back to the site root)."""

    return replace_image_sources(
        fragment, lambda name: f"{root}media/{name}", ' loading="lazy" decoding="async"'
    )


def shift_headings(fragment: str, top: int) -> str:
    """Headings of an answer start at level `top` (the page owns h1 and h2), keeping their nesting."""
    levels = [int(m.group(2)) for m in _HEADING.finditer(fragment) if not m.group(1)]
    if not levels:
        return fragment
    shift = top - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", fragment)


def scrolling_tables(fragment: str) -> str:
    """Tables scroll sideways inside their own box instead of widening the page on a phone."""
    fragment = _TABLE_OPEN.sub('<div class="table-wrap"><table', fragment)
    return fragment.replace("</table>", "</table></div>")


def answer_html(fragment: str, math: PageMath, root: str, top_heading: int = 3) -> str:
    """An answer (or any block fragment) ready for a page."""
    return scrolling_tables(shift_headings(media_urls(math.fragment(fragment), root), top_heading))


def inline_html(fragment: str, math: PageMath) -> str:
    """A title: inline content only."""
    return math.fragment(fragment)
