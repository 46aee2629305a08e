"""Math as inline SVG (ziamath, pure Python) for outputs that run no JavaScript: PDF and EPUB.

WeasyPrint renders neither MathJax nor MathML, so formulas are typeset to SVG paths. An inline
SVG is moved down by its depth below the baseline so it sits on the text line. Typesetting costs
tens of milliseconds a formula: results are cached by TeX, mode and size.
"""

from __future__ import annotations

import contextlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from compiler.cache import Cache, key
from compiler.markup import SVG_TAG
from compiler.math import speedups
from compiler.math.forms import Math
from compiler.parallel import imap_in_processes

SVG_VERSION = "3"  # bump when the SVG produced for the same TeX changes
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
_SIZE_ATTR = re.compile(r'\b(width|height)="([\d.]+)"')
_VALIGN = re.compile(r"vertical-align: -([\d.]+)px")
_BLACK = re.compile(r'\b(fill|stroke)="(?:black|#000000|#000)"')
# Every formula is typeset at 16 px (1 em on screens); the PDF scales the same drawing to its
# text size. One size means a full build typesets each formula once for all outputs.
SCREEN_MATH_PX = 16.0
_CHUNK = 32  # formulas per task sent to a typesetting process
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]+)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def svg_key(math: Math, size_px: float = SCREEN_MATH_PX) -> str:
    """Names the drawing of `math`: what is made from it can be cached by this key without
    reading the drawing first."""
    return key(SVG_VERSION, str(math.display), f"{size_px:.2f}", math.tex)


def math_svg(math: Math, cache: Cache, size_px: float = SCREEN_MATH_PX, id_prefix: str = "m") -> str:
    """Inline SVG markup for one formula, baseline-aligned, with the TeX as its accessible name.

    `id_prefix` keeps ids unique when many formulas share one page.
    """
    k = svg_key(math, size_px)
    svg = cache.get("svg", k)
    if svg is None:
        svg = _typeset(math, size_px)
        cache.put("svg", k, svg)
    return with_id_prefix(svg, id_prefix)


def with_id_prefix(svg: str, id_prefix: str) -> str:
    """The SVG with its ids (and the references to them) prefixed, unique on a page of many."""
    if id_prefix == "m":
        return svg
    return SvgTemplate(svg).with_prefix(id_prefix)


class SvgTemplate:
    """An SVG whose ids can be prefixed quickly: the ids are found once, and most formulas
    have none (a page of a large book has hundreds of formulas to prefix)."""

    def __init__(self, svg: str) -> None:
        # text, then (attribute, '#' or '', id) for every match; without `id="` or `href="`
        # nothing can match, which is cheaper to ask than the pattern
        self.parts = _ID.split(svg) if 'id="' in svg or 'href="' in svg else [svg]

    def with_prefix(self, id_prefix: str) -> str:
        if len(self.parts) == 1:
            return self.parts[0]
        out = [self.parts[0]]
        for n in range(1, len(self.parts), 4):
            attribute, hash_, name, text = self.parts[n : n + 4]
            out.append(f'{attribute}="{hash_}{id_prefix}-{name}"{text}')
        return "".join(out)


@dataclass(frozen=True)
class SvgConversion:
    """What a backend makes of every formula's drawing (the EPUB's: scalable, rounded), made by
    `typeset_all` and cached under `converted_key`: once per formula, while the typesetting
    processes go on, instead of in the backend's process after them."""

    namespace: str  # the cache's
    version: str  # bump when `convert` changes what it produces
    convert: Callable[[str], str]

    def converted_key(self, math: Math, size_px: float = SCREEN_MATH_PX) -> str:
        return key(self.version, svg_key(math, size_px))


def typeset_all(
    maths: list[Math],
    cache: Cache,
    size_px: float = SCREEN_MATH_PX,
    conversions: Sequence[SvgConversion] = (),
) -> int:
    """Typeset every formula that is not cached yet, on all cores, and make the `conversions`
    of every formula not converted yet; the number typeset.

    Run before the backends start, so that the outputs drawing SVG math (PDF, EPUB, site) find
    every formula in the cache instead of each typesetting it again in its own process. This
    process converts each drawing as it arrives: it would wait for the typesetting processes
    otherwise, and in one process the EPUB rounds each number it has seen once (its table)."""
    svg_keys = [svg_key(m, size_px) for m in maths]
    absent = cache.missing("svg", svg_keys)
    unconverted = {
        c: cache.missing(c.namespace, [c.converted_key(m, size_px) for m in maths]) for c in conversions
    }
    wanted = [tuple(c for c in conversions if c.converted_key(m, size_px) in unconverted[c]) for m in maths]
    drawn = cache.get_many("svg", [k for n, k in enumerate(svg_keys) if wanted[n] and k not in absent])
    # typeset: what is not there, and a drawing to convert that did not read back sound
    todo = [n for n, k in enumerate(svg_keys) if k in absent or (wanted[n] and k not in drawn)]
    svgs = imap_in_processes(_typeset, [(maths[n], size_px) for n in todo], chunksize=_CHUNK)

    def convert(n: int, svg: str) -> None:
        for conversion in wanted[n]:
            cache.put(
                conversion.namespace, conversion.converted_key(maths[n], size_px), conversion.convert(svg)
            )

    for n, svg in zip(todo, svgs, strict=True):
        cache.put("svg", svg_keys[n], svg)
        convert(n, svg)
    for n, k in enumerate(svg_keys):
        if k in drawn:  # typeset before, not converted yet
            convert(n, drawn[k])
    return len(todo)


def _typeset(math: Math, size_px: float) -> str:
    from ziamath.zmath import Latex
    from ziamath.zmath import Math as MathMl

    _configure_ziamath()
    tex = math.tex if math.display else " ".join(math.tex.split())
    drawing: MathMl
    if "\\tag" in tex:  # equation numbers: ziamath's own TeX front end handles them
        drawing = Latex(tex, size=size_px, inline=not math.display)
    else:
        drawing = MathMl(tex_spacing(tex, inline=not math.display), size=size_px)
    speedups.forget_outlines()
    root = drawing.svgxml()
    svg = _fit_viewbox(ET.tostring(root, encoding="unicode"), root)  # (what `drawing.svg()` is)
    speedups.forget_outlines()
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


# TeX's spacing where ziamath's MathML front end differs from it (compared with MathJax's output
# for the same TeX): a minus or plus after an opening fence, a comma, a relation or another
# operator is a sign, not a binary operator ("(-1, 1)", "= -x"); an operator name (max, log) is
# set close to the fence that follows it ("max(0, x)"), a comma is followed by TeX's thin space;
# `\hat` is the accent of one letter, not the stretched hat of `\widehat`.
_SIGNS = {"\u2212", "+", "-", "\u00b1"}
_NOT_BEFORE_A_SIGN = set(")]}\u27e9|\u2016!\u2032\u2033")  # closing fences, postfix: binary after them
_OPENING = set("([{\u27e8")
_WIDE_HAT, _HAT = "\u0302", "\u02c6"
_SCRIPTS = {f"{{http://www.w3.org/1998/Math/MathML}}{t}" for t in ("msub", "msup", "msubsup")}


def tex_spacing(tex: str, inline: bool) -> str:
    """The MathML ziamath draws for `tex`, with TeX's spacing for signs, operator names and hats."""
    import xml.etree.ElementTree as ET

    from ziamath.tex import tex2mml

    root = ET.fromstring(tex2mml(tex, inline=inline))
    ns = "{http://www.w3.org/1998/Math/MathML}"
    for parent in root.iter():
        children = list(parent)
        for i, child in enumerate(children):
            if child.tag != f"{ns}mo" or "form" in child.attrib:
                continue
            text = (child.text or "").strip()
            before = children[i - 1] if i else None
            after = children[i + 1] if i + 1 < len(children) else None
            if text in _SIGNS and before is not None and before.tag == f"{ns}mo":
                if (before.text or "").strip() not in _NOT_BEFORE_A_SIGN:
                    child.set("form", "prefix")
            elif text == "," and parent.tag not in _SCRIPTS:
                child.set("rspace", "0.1667em")  # TeX's thin space after a comma, not 7/18 em
            elif len(text) > 1 and text.isalpha():  # an operator name: \max, \log, \operatorname
                child.set("form", "prefix")
                if after is not None and after.tag == f"{ns}mo" and (after.text or "").strip() in _OPENING:
                    child.set("rspace", "0")
        if parent.tag == f"{ns}mover" and parent.get("accent") == "true" and len(children) == 2:
            accent = children[1]
            if accent.tag == f"{ns}mo" and accent.text == _WIDE_HAT:
                accent.text = _HAT
                accent.set("stretchy", "false")
    ET.register_namespace("", ns[1:-1])
    return ET.tostring(root, encoding="unicode")


@cache
def _configure_ziamath() -> None:
    from ziamath.config import config as zconfig

    zconfig.svg2 = False  # SVG 1.1 <symbol>s would share ids across formulas
    _fix_large_operators()
    speedups.apply()


def _fix_large_operators() -> None:
    """ziamath 0.13 marks large operators (sum, prod, integrals) as stretchy. When it measures a
    row for `\\left( ... \\right)` it leaves stretchy glyphs out, and a sum inside the fence then
    reports its +-999 placeholder box: `\\left(\\frac{a}{\\sum_j b}\\right)` gets parentheses
    2,000 px tall. TeX never stretches these operators to a row, so they are made non-stretchy;
    their display-size variant is chosen by `largeop`, which is unchanged."""
    from ziamath import operators

    for params in operators.operators.values():
        if params.get("largeop") == "true" and params.get("stretchy") == "true":
            params["stretchy"] = "false"


def _fit_viewbox(svg: str, root: ET.Element) -> str:
    """Widen the viewBox to everything drawn. ziamath sometimes draws outside its own box (an
    accented symbol at the start of an `aligned` row), and an SVG clips what is outside it.

    ziamath (svg2=False) writes absolute coordinates only: paths of M/L/Q/Z and rects. `svg` is
    `root` written out; the numbers are read from `root`, a glyph's from what drew it."""
    box = _VIEWBOX.search(svg)
    if box is None or "transform=" in svg:
        return svg
    x, y, width, height = (float(v) for v in box.groups())
    xs: list[float] = []
    ys: list[float] = []
    for element in root.iter():
        if (d := element.get("d")) is not None:
            extent = speedups.outline_extent(element)
            if extent is not None:
                xs += extent[:2]
                ys += extent[2:]
            else:
                numbers = list(map(float, _NUMBER.findall(d)))
                xs += numbers[0::2]
                ys += numbers[1::2]
        if element.tag == "rect":
            with contextlib.suppress(KeyError, ValueError):
                rx, ry, rw, rh = (float(element.attrib[k]) for k in ("x", "y", "width", "height"))
                xs += [rx, rx + rw]
                ys += [ry, ry + rh]
    if not xs or not ys:
        return svg
    slack, margin = 0.05, 0.5  # Bezier control points may stray a little: only fix real overflow
    left = min(xs) - margin if min(xs) < x - slack else x
    top = min(ys) - margin if min(ys) < y - slack else y
    right = max(xs) + margin if max(xs) > x + width + slack else x + width
    bottom = max(ys) + margin if max(ys) > y + height + slack else y + height
    if (left, top, right, bottom) == (x, y, x + width, y + height):
        return svg
    new_w, new_h = right - left, bottom - top
    head_end = svg.index(">") + 1  # only the root element's size changes, not a rect's
    head = svg[:head_end]
    head = _VIEWBOX.sub(f'viewBox="{left:.3f} {top:.3f} {new_w:.3f} {new_h:.3f}"', head, count=1)
    head = re.sub(r'\swidth="[^"]*"', f' width="{new_w:.3f}"', head, count=1)
    head = re.sub(r'\sheight="[^"]*"', f' height="{new_h:.3f}"', head, count=1)
    return head + svg[head_end:]


def _in_current_color(svg: str) -> str:
    """`_BLACK` replaced by `currentColor`. ziamath writes ` fill="black"` on every path: those
    are replaced as plain text (each is a match of `_BLACK`: a space before it), and only an SVG
    with another black left goes through the pattern (which finds nothing in what was replaced)."""
    svg = svg.replace(' fill="black"', ' fill="currentColor"')
    if '="black"' in svg or '="#000' in svg:
        svg = _BLACK.sub(r'\1="currentColor"', svg)
    return svg


def scalable_svg(svg: str, size_px: float = SCREEN_MATH_PX) -> str:
    """A formula typeset at `size_px`, sized in em (it follows the reader's font size) and drawn
    in `currentColor` (it follows the text colour, night mode included)."""
    svg = _in_current_color(svg)
    head = SVG_TAG.search(svg)
    if head is None:
        return svg
    tag = _SIZE_ATTR.sub(lambda m: f'{m.group(1)}="{float(m.group(2)) / size_px:.3f}em"', head.group(0))
    tag = _VALIGN.sub(lambda m: f"vertical-align: -{float(m.group(1)) / size_px:.3f}em", tag)
    return svg[: head.start()] + tag + svg[head.end() :]
