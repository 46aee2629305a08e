"""Rendered HTML fragments -> XHTML for EPUB pages: well-formed XML, local images, math as SVG or MathML.

The model's fragments are sanitised HTML5 (`<img ...>`, `<br>`, `&nbsp;`), which an XHTML page cannot
contain as is. They are parsed with lxml's HTML parser and serialised as XML, which also escapes every
stray `<` and `&`. Math spans survive that step untouched and are replaced afterwards by markup that is
already XML (ziamath's SVG, pandoc's MathML).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from pathlib import PurePosixPath

import lxml.html
from lxml import etree

from compiler.cache import Cache
from compiler.markup import SVG_TAG
from compiler.math.forms import Math, replace_math
from compiler.math.svg import SCREEN_MATH_PX, SvgConversion, SvgTemplate, math_svg, scalable_svg

EPUB_SVG_VERSION = "1"  # bump when `svg_for_epub` changes what it produces

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_GEOMETRY = re.compile(r'\s(d|x|y|width|height|viewBox)="([^"]*)"')
_DECIMAL = re.compile(r"(-?\d+\.\d{3,})")  # split() keeps the numbers, at the odd indexes
_LABEL = re.compile(r'aria-label="([^"]*)"')


def epub_image_name(asset_name: str) -> str:
    """A file name every reader and epubcheck accept (no spaces, ASCII), stable for the same asset."""
    if _SAFE_NAME.match(asset_name):
        return asset_name
    suffix = PurePosixPath(asset_name).suffix.lower()
    digest = hashlib.sha256(asset_name.encode("utf-8")).hexdigest()[:12]
    return f"figure-{digest}{suffix}"


def to_xhtml(fragment: str, image_href: Mapping[str, str], heading_shift: int = 0) -> str:
    """A sanitised HTML fragment as an XHTML fragment: images point into the EPUB, lone images
    become captioned figures, tables can scroll sideways, links that cannot work offline are unwrapped,
    headings move `heading_shift` levels down (an answer's `##` sits below its question's h2)."""
    if not fragment.strip():
        return ""
    parts = lxml.html.fragments_fromstring(fragment)
    holder = lxml.html.Element("div")
    for part in parts:
        if isinstance(part, str):  # leading text before the first element
            holder.text = (holder.text or "") + part
        else:
            holder.append(part)
    _fix_images(holder, image_href)
    _wrap_tables(holder)
    _unwrap_dead_links(holder)
    _open_empty_elements(holder)
    _shift_headings(holder, heading_shift)
    out = [html.escape(holder.text or "", quote=False)]
    out.extend(etree.tostring(child, encoding="unicode", method="xml", with_tail=True) for child in holder)
    return "".join(out)


def _fix_images(holder: lxml.html.HtmlElement, image_href: Mapping[str, str]) -> None:
    for img in list(holder.iter("img")):
        src = img.get("src", "")
        if src not in image_href:
            raise ValueError(f"image '{src}' is not among the bank's assets")
        img.set("src", image_href[src])
        alt = img.get("alt") or ""
        img.set("alt", alt)
        parent = img.getparent()
        alone = (
            parent is not None
            and parent.tag == "p"
            and len(parent) == 1
            and not (parent.text or "").strip()
            and not (img.tail or "").strip()
        )
        if alone and alt:
            # A paragraph holding only an image is a figure: its alt text doubles as a visible caption,
            # hidden from screen readers, which already read the alt text.
            parent.tag = "figure"
            parent.set("class", "figure")
            # Its own name, for the stylesheet's rule of its width (figuresize.py): readers may load
            # the image from another address (foliate-js a blob: URL), so `src` cannot be matched.
            img.set("data-figure", image_href[src])
            caption = lxml.html.Element("figcaption")
            caption.set("aria-hidden", "true")
            caption.text = alt
            img.tail = None
            parent.append(caption)


def _shift_headings(holder: lxml.html.HtmlElement, shift: int) -> None:
    if shift <= 0:
        return
    for el in holder.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        el.tag = f"h{min(6, int(el.tag[1]) + shift)}"


def _open_empty_elements(holder: lxml.html.HtmlElement) -> None:
    """`<td></td>`, not `<td/>`: a reader that parses the page as HTML (some do) takes `<td/>` and
    `<span/>` for start tags and nests everything after them."""
    for el in holder.iter():
        if el is not holder and el.tag not in _VOID and len(el) == 0 and el.text is None:
            el.text = ""


def _wrap_tables(holder: lxml.html.HtmlElement) -> None:
    for table in list(holder.iter("table")):
        parent = table.getparent()
        if parent is None or parent.get("class") == "table-wrap":
            continue
        wrap = lxml.html.Element("div")
        wrap.set("class", "table-wrap")
        table.addprevious(wrap)
        wrap.append(table)  # moves the table (and its tail) into the wrapper
        wrap.tail, table.tail = table.tail, None


def _unwrap_dead_links(holder: lxml.html.HtmlElement) -> None:
    """Relative links pointed into the Markdown source tree; in the book they would be broken."""
    for link in list(holder.iter("a")):
        href = link.get("href", "")
        if not href.startswith(_LINK_SCHEMES):
            link.drop_tag()


# ---- math ----------------------------------------------------------------------------------------


class MathRenderer:
    """Turns math spans into SVG or MathML. One instance per chapter: every formula gets its own SVG
    id prefix, so ids stay unique on every page of the chapter. `svgs` may be shared by the
    chapters: a formula used twice is converted once."""

    def __init__(
        self,
        cache: Cache,
        mathml: Mapping[Math, str] | None = None,
        svgs: dict[Math, SvgTemplate] | None = None,
    ) -> None:
        self.cache = cache
        self.mathml = mathml
        self.count = 0
        self._svgs = {} if svgs is None else svgs

    def __call__(self, math: Math) -> str:
        self.count += 1
        if self.mathml is not None:
            return _mathml_markup(math, self.mathml)
        template = self._svgs.get(math)
        if template is None:
            template = self._svgs[math] = SvgTemplate(self._converted(math))
        return template.with_prefix(f"m{self.count}")

    def _converted(self, math: Math) -> str:
        """The formula as the book draws it: made with its drawing by `typeset_all` (see
        `EPUB_SVG`), else here."""
        k = EPUB_SVG.converted_key(math)
        converted = self.cache.get(EPUB_SVG.namespace, k)
        if converted is None:
            converted = screen_svg_for_epub(math_svg(math, self.cache, SCREEN_MATH_PX))
            self.cache.put(EPUB_SVG.namespace, k, converted)
        return converted

    def page(self, xhtml: str) -> str:
        return replace_math(xhtml, self)


def svg_for_epub(svg: str, size_px: float) -> str:
    """ziamath's SVG made scalable (`scalable_svg`), its label on one line, and coordinates
    rounded to 1/100 px: invisible at any zoom, and it takes a seventh off the largest pages."""
    svg = scalable_svg(svg, size_px)
    head = SVG_TAG.search(svg)
    if head is None:
        return svg
    tag = _LABEL.sub(lambda m: 'aria-label="' + " ".join(m.group(1).split()) + '"', head.group(0))
    body = _GEOMETRY.sub(lambda m: f' {m.group(1)}="{_rounded(m.group(2))}"', svg[head.end() :])
    return svg[: head.start()] + tag + body


def screen_svg_for_epub(svg: str) -> str:
    """`svg_for_epub` of a formula typeset at the size every formula is typeset at."""
    return svg_for_epub(svg, SCREEN_MATH_PX)


# What the EPUB makes of every formula's drawing, made by the typesetting processes.
EPUB_SVG = SvgConversion("epub-svg", EPUB_SVG_VERSION, screen_svg_for_epub)


def _rounded(value: str) -> str:
    """Every number of an attribute with three or more decimals, to two. A formula has about a
    thousand, and the real bank's 1.4 million are 185,000 different words between spaces: each
    word is rounded once (`_ROUNDED`) and the attribute is split at its spaces and joined again,
    without a Python call per number. (A number never holds a space, so word by word is what
    `_DECIMAL` finds in the whole value.)"""
    if len(_ROUNDED) > _ROUNDED_MAX:
        _ROUNDED.clear()
    return " ".join(map(_ROUNDED.__getitem__, value.split(" ")))


def _round(number: str) -> str:
    text = f"{float(number):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class _Rounding(dict[str, str]):
    """Each word of an attribute with its numbers rounded (`_round`), made when first asked for."""

    def __missing__(self, word: str) -> str:
        parts = _DECIMAL.split(word)
        if len(parts) > 1:
            parts[1::2] = [_round(n) for n in parts[1::2]]
        text = self[word] = "".join(parts)
        return text


_ROUNDED = _Rounding()
_ROUNDED_MAX = 500_000  # about 60 MB: a very large bank starts again rather than grow without end


def _mathml_markup(math: Math, mathml: Mapping[Math, str]) -> str:
    markup = mathml.get(math, "")
    if not markup.startswith("<math"):
        raise ValueError(f"pandoc produced no MathML for: {math.tex}")
    # alttext: readers that cannot render MathML (and speech) fall back to the TeX source.
    return markup.replace("<math ", f'<math alttext="{html.escape(math.tex, quote=True)}" ', 1)


def plain_text(fragment: str) -> str:
    """Text of a title fragment for the navigation document and the NCX: math as its TeX source."""
    text = replace_math(fragment, lambda m: html.escape(m.tex, quote=False))
    if not text.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(text, create_parent="div").text_content().split())


def check_well_formed(name: str, page: str) -> etree._Element:
    """Parse a finished page strictly: a page a reader would reject fails the build, named."""
    try:
        return etree.fromstring(page.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"EPUB page {name} is not well-formed XHTML: {exc}") from exc


def uses(root: etree._Element, namespace: str, tag: str) -> bool:
    return next(root.iter(f"{{{namespace}}}{tag}"), None) is not None


SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def page_properties(root: etree._Element) -> list[str]:
    """Manifest properties a content document must declare (epubcheck checks both directions)."""
    props = []
    if uses(root, MATHML_NS, "math"):
        props.append("mathml")
    if uses(root, SVG_NS, "svg"):
        props.append("svg")
    return props
