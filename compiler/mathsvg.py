"""Math as inline SVG (ziamath, pure Python) for outputs that run no JavaScript: PDF and EPUB.

WeasyPrint renders neither MathJax nor MathML, so formulas are typeset to SVG paths. An inline
SVG is moved down by its depth below the baseline so it sits on the text line. Typesetting costs
tens of milliseconds a formula: results are cached by TeX, mode and size.
"""

from __future__ import annotations

import html
import re

from compiler.cache import Cache, key
from compiler.mathforms import Math

SVG_VERSION = "1"  # bump when the SVG produced for the same TeX changes
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]+)"')


def math_svg(math: Math, cache: Cache, size_px: float, id_prefix: str = "m") -> str:
    """Inline SVG markup for one formula, baseline-aligned, with the TeX as its accessible name.

    `id_prefix` keeps ids unique when many formulas share one page.
    """
    k = key(SVG_VERSION, str(math.display), f"{size_px:.2f}", math.tex)
    svg = cache.get("svg", k)
    if svg is None:
        svg = _typeset(math, size_px)
        cache.put("svg", k, svg)
    if id_prefix != "m":
        svg = _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{id_prefix}-{m.group(3)}"', svg)
    return svg


def _typeset(math: Math, size_px: float) -> str:
    from ziamath.config import config as zconfig
    from ziamath.zmath import Latex

    zconfig.svg2 = False  # SVG 1.1 <symbol>s would share ids across formulas
    tex = math.tex if math.display else " ".join(math.tex.split())
    svg = Latex(tex, size=size_px, inline=not math.display).svg()
    label = html.escape(math.tex, quote=True)
    depth = 0.0
    box = _VIEWBOX.search(svg)
    if box:
        y, height = float(box.group(2)), float(box.group(4))
        depth = max(0.0, height + y)
    cls = "math-display" if math.display else "math-inline"
    style = "" if math.display else f' style="vertical-align: -{depth:.3f}px"'
    return svg.replace(
        "<svg ",
        f'<svg class="{cls}" role="img" aria-label="{label}"{style} ',
        1,
    )
