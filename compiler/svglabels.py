"""The text labels of an SVG figure with their boxes, for `python -m compiler occlusions FIGURE`.

Measured from the SVG's geometry and the font's own metrics (fontTools reads the file that
fontconfig picks for the figure's font-family, as a browser would): each `<text>` and its
`<tspan>` runs are laid out with their x/y/dx/dy, font size and style, text-anchor and the
transforms of their groups. `tests/test_occlusions.py` checks the boxes against Chromium's.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from lxml import etree

from compiler.occlusions import Size

SVG = "{http://www.w3.org/2000/svg}"
_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRANSFORM = re.compile(r"(matrix|translate|scale)\s*\(([^)]*)\)")
Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as SVG writes it
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


@dataclass(frozen=True)
class Label:
    text: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Style:
    family: str = "sans-serif"
    size: float = 16.0
    italic: bool = False
    bold: bool = False
    anchor: str = "start"

    def inherit(self, el: etree._Element) -> Style:
        size = el.get("font-size")
        return Style(
            family=el.get("font-family") or self.family,
            size=float(_FLOAT.findall(size)[0]) if size and _FLOAT.findall(size) else self.size,
            italic=el.get("font-style", "italic" if self.italic else "normal") in ("italic", "oblique"),
            bold=el.get("font-weight", "bold" if self.bold else "normal") in ("bold", "700", "800", "900"),
            anchor=el.get("text-anchor") or self.anchor,
        )


class Face:
    """One font file's advance widths and vertical metrics, in em."""

    def __init__(self, path: str) -> None:
        font = TTFont(path, lazy=True)
        units = font["head"].unitsPerEm
        self.cmap = font.getBestCmap()
        self.advances = {name: adv / units for name, (adv, _) in font["hmtx"].metrics.items()}
        self.ascent = font["hhea"].ascent / units
        self.descent = -font["hhea"].descent / units
        self.missing = self.advances.get(".notdef", 0.5)

    def width(self, text: str) -> float:
        return float(sum(self.advances.get(self.cmap.get(ord(ch), ".notdef"), self.missing) for ch in text))


@functools.cache
def face(family: str, italic: bool, bold: bool) -> Face:
    """The font fontconfig chooses for a CSS font-family list (the first family it has)."""
    pattern = family.split(",")[0].strip().strip("'\"") or "sans-serif"
    style = ":".join(x for x in ("bold" if bold else "", "oblique" if italic else "") if x)
    query = f"{pattern}:{style}" if style else pattern
    found = subprocess.run(["fc-match", "-f", "%{file}", query], capture_output=True, text=True, check=False)
    return Face(found.stdout.strip())


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _transform(text: str | None) -> Matrix:
    matrix = IDENTITY
    for kind, args in _TRANSFORM.findall(text or ""):
        v = [float(x) for x in _FLOAT.findall(args)]
        if kind == "translate":
            step: Matrix = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0)
        elif kind == "scale":
            step = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        else:
            step = (v[0], v[1], v[2], v[3], v[4], v[5])
        matrix = _multiply(matrix, step)
    return matrix


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _first(value: str | None) -> float | None:
    found = _FLOAT.findall(value or "")
    return float(found[0]) if found else None


def _runs(el: etree._Element, style: Style) -> Iterator[tuple[str, Style, etree._Element | None]]:
    """(text, style, the tspan that starts it or None) for every run of a <text>, in order."""
    if el.text:
        yield el.text, style, None
    for child in el:
        if child.tag == f"{SVG}tspan":
            inner = style.inherit(child)
            yield child.text or "", inner, child
        if child.tail:
            yield child.tail, style, None


def _text_label(el: etree._Element, style: Style, matrix: Matrix) -> Label | None:
    x, y = _first(el.get("x")) or 0.0, _first(el.get("y")) or 0.0
    x += _first(el.get("dx")) or 0.0
    y += _first(el.get("dy")) or 0.0
    pieces: list[tuple[float, float, float, Style]] = []  # start x, baseline, width, style
    text = ""
    for run, run_style, tspan in _runs(el, style):
        if tspan is not None:
            x = _first(tspan.get("x")) if tspan.get("x") is not None else x  # type: ignore[assignment]
            y = _first(tspan.get("y")) if tspan.get("y") is not None else y  # type: ignore[assignment]
            x += _first(tspan.get("dx")) or 0.0
            y += _first(tspan.get("dy")) or 0.0
        run = re.sub(r"\s+", " ", run)
        run = run.lstrip() if not text else run
        if not run:
            continue
        f = face(run_style.family, run_style.italic, run_style.bold)
        width = f.width(run) * run_style.size
        pieces.append((x, y, width, run_style))
        text += run
        x += width
    if not pieces or not text.strip():
        return None
    last_x, last_y, last_width, last_style = pieces[-1]  # a trailing space is not laid out
    trailing = len(text) - len(text.rstrip())
    if trailing:
        cut = face(last_style.family, last_style.italic, last_style.bold).width(" " * trailing)
        pieces[-1] = (last_x, last_y, last_width - cut * last_style.size, last_style)
    total = sum(p[2] for p in pieces)
    shift = {"middle": total / 2, "end": total}.get(style.anchor, 0.0)
    corners = []
    for px, baseline, width, s in pieces:
        f = face(s.family, s.italic, s.bold)
        for cx, cy in (
            (px - shift, baseline - f.ascent * s.size),
            (px - shift + width, baseline + f.descent * s.size),
        ):
            corners.append(_apply(matrix, cx, cy))
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return Label(text.strip(), min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def labels(path: Path) -> list[Label]:
    """Every non-empty `<text>` of the SVG at `path`, in document order, with its box in the
    figure's own coordinates (its viewBox)."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    found: list[Label] = []

    def walk(el: etree._Element, style: Style, matrix: Matrix) -> None:
        if not isinstance(el.tag, str) or el.tag in (f"{SVG}defs", f"{SVG}title", f"{SVG}desc"):
            return
        style = style.inherit(el)
        matrix = _multiply(matrix, _transform(el.get("transform")))
        if el.tag == f"{SVG}text":
            label = _text_label(el, style, matrix)
            if label:
                found.append(label)
            return
        for child in el:
            walk(child, style, matrix)

    walk(root, Style(), IDENTITY)
    return found


def yaml_lines(path: Path, figure: str, size: Size, pad: float = 2.0) -> list[str]:
    """The labels as occlusion shapes to paste into a question's front matter, ids o1, o2, ...,
    each box `pad` larger than its text and kept inside the figure."""
    lines = [f"  - figure: {figure}", "    shapes:"]
    for n, label in enumerate(labels(path), start=1):
        left, top = max(label.left - pad, size.min_x), max(label.top - pad, size.min_y)
        right = min(label.left + label.width + pad, size.min_x + size.width)
        bottom = min(label.top + label.height + pad, size.min_y + size.height)
        box = [left, top, right - left, bottom - top]
        rect = ", ".join(f"{v:.1f}".rstrip("0").rstrip(".") for v in box)
        text = label.text.replace("'", "''")
        lines.append(f"      - {{id: o{n}, label: '{text}', rect: [{rect}]}}")
    return lines
