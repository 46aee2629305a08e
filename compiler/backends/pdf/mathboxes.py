"""Math for the PDF: ziamath's SVG (compiler.math.svg), laid out by WeasyPrint, drawn by us.

WeasyPrint lays out an inline SVG well (it sits on the baseline when moved down by its depth), but
it parses and draws every SVG path in Python: with inline SVG the real bank's cheat sheet took
8.8 s of CPU, 3.8 s of it for the formulas. So the HTML gets an empty inline-block of exactly the
SVG's size and baseline offset (the layout an inline SVG gets), and after layout the formula's
outlines are written straight into the page as PDF path operators (see `compiler.backends.pdf.render`).
Same glyphs, same positions, 4.6 s for the whole sheet, and a 25 % smaller file.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, replace

from compiler.cache import Cache, key
from compiler.math.forms import Math, replace_math
from compiler.math.svg import SCREEN_MATH_PX, math_svg, svg_key

ART_VERSION = "3"  # bump when `svg_art` changes what it produces
MATH_CLASS = "mathbox"
TOO_WIDE = 1.08  # a display formula wider than this times the room is broken into lines, if it can be
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
_DEPTH = re.compile(r"vertical-align: -([\d.]+)px")
_ELEMENT = re.compile(r"<(path|rect)\b([^>]*)>")
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')


class UnsupportedSvg(Exception):
    """ziamath wrote SVG this converter does not know (a newer ziamath?)."""


@dataclass(frozen=True)
class MathArt:
    """One formula: PDF path operators in its own coordinates (SVG user units = CSS px, y down)."""

    ops: str
    x: float  # the viewBox
    y: float
    width: float
    height: float
    depth: float  # below the baseline, for inline math

    def dump(self) -> str:
        return json.dumps([self.ops, self.x, self.y, self.width, self.height, self.depth])

    unit: float = 1.0  # CSS px per drawing unit: the size the formula is laid out at

    @property
    def box(self) -> tuple[float, float, float]:
        """Width, height and depth of the laid-out box, in CSS px (the drawing is scaled into
        whatever box layout gives it)."""
        return self.width * self.unit, self.height * self.unit, self.depth * self.unit

    def scaled(self, factor: float) -> MathArt:
        return replace(self, unit=self.unit * factor)

    @classmethod
    def load(cls, text: str) -> MathArt:
        ops, x, y, width, height, depth = json.loads(text)
        return cls(str(ops), float(x), float(y), float(width), float(height), float(depth))


# Each PDF operator's numbers, to two decimals (0.01 px: far below what print resolves).
_OPERATOR = {
    "M": "%.2f %.2f m",
    "L": "%.2f %.2f l",
    "Q": "%.2f %.2f %.2f %.2f %.2f %.2f c",
    "Z": "h",
    "rect": "%.2f %.2f %.2f %.2f re",
}
# Then trailing zeros and a bare point are dropped, and -0 is 0. Every number is followed by a
# space (its operator's letters follow it), and only a fraction can end in a zero there.
_TRAILING_ZEROS = re.compile(r"\.?0+(?= )")
_MINUS_ZERO = re.compile(r"(?<!\S)-0(?= )")


def _path_ops(d: str, operators: list[str], numbers: list[float]) -> None:
    """SVG path data of absolute M/L/Q/Z (all ziamath writes, each letter and number apart) as
    PDF operators: their formats onto `operators`, their numbers onto `numbers`.

    PDF has no quadratic curve: Q becomes the equivalent cubic (control points at 2/3).
    A formula has thousands of numbers: they are formatted all at once, by `svg_art`."""
    tokens = d.split()
    cx = cy = 0.0
    i, end = 0, len(tokens)
    try:
        while i < end:
            letter = tokens[i]
            if letter == "Q":
                qx, qy, x, y = map(float, tokens[i + 1 : i + 5])
                numbers += (cx + 2 / 3 * (qx - cx), cy + 2 / 3 * (qy - cy))
                numbers += (x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y), x, y)
                cx, cy = x, y
                i += 5
            elif letter == "L" or letter == "M":
                cx, cy = float(tokens[i + 1]), float(tokens[i + 2])
                numbers += (cx, cy)
                i += 3
            elif letter == "Z":
                i += 1
            else:
                raise ValueError
            operators.append(_OPERATOR[letter])
    except (ValueError, IndexError):  # an unknown letter, a letter for a number, too few numbers
        raise UnsupportedSvg(f"path command at {' '.join(tokens[i : i + 5])!r}") from None


def svg_art(svg: str) -> MathArt:
    """The drawing of a ziamath SVG (svg2=False: absolute paths and rects, black, no transforms)."""
    box = _VIEWBOX.search(svg)
    if box is None or "transform=" in svg or "<use" in svg:
        raise UnsupportedSvg("expected a plain SVG with a viewBox, without transforms or <use>")
    x, y, width, height = (float(v) for v in box.groups())
    depth = _DEPTH.search(svg)
    operators: list[str] = []
    numbers: list[float] = []
    for tag, attrs in _ELEMENT.findall(svg):
        a = dict(_ATTR.findall(attrs))
        if a.get("fill", "black") not in ("black", "#000", "#000000"):
            raise UnsupportedSvg(f"fill {a['fill']}")
        if tag == "path":
            _path_ops(a.get("d", ""), operators, numbers)
        else:
            numbers += (float(a[k]) for k in ("x", "y", "width", "height"))
            operators.append(_OPERATOR["rect"])
        operators.append("f")
    drawn = _MINUS_ZERO.sub("0", _TRAILING_ZEROS.sub("", " ".join(operators) % tuple(numbers)))
    ops = f"0 g {drawn}" if drawn else "0 g"
    return MathArt(ops, x, y, width, height, float(depth.group(1)) if depth else 0.0)


_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.DOTALL)
_OPEN = {"{", "\\left", "\\begin"}
_CLOSE = {"}", "\\right", "\\end"}
_RELATIONS = {"=", "\\approx", "\\le", "\\leq", "\\ge", "\\geq", "\\equiv"}


def _top_level(tex: str) -> list[tuple[int, str]]:
    """(offset, token) of every token outside braces, \\left..\\right and environments."""
    depth, offset, found = 0, 0, []
    for token in _TOKEN.findall(tex):
        if token in _CLOSE:
            depth -= 1
        elif depth == 0 and not token.isspace():
            found.append((offset, token))
        if token in _OPEN:
            depth += 1
        offset += len(token)
    return found


def break_tex(tex: str) -> str | None:
    """The same formula over several lines, for a display formula too wide for a column; None
    when there is no natural break. Breaks, in order of preference: between formulas separated
    by `, \\quad`; before each relation of a chain (a = b = c); before the `+` nearest the middle
    of the right-hand side."""
    if "\\\\" in tex or "&" in tex:
        return None  # already laid out in lines
    tokens = _top_level(tex)
    cuts = [
        at
        for i, (at, token) in enumerate(tokens)
        if token in ("\\quad", "\\qquad") and i > 0 and tokens[i - 1][1] in (",", ";")
    ]
    if cuts:
        parts = [tex[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(tex)], strict=True)]
        parts = [p.removeprefix("\\qquad").removeprefix("\\quad").strip() for p in parts]
        return "\\begin{gathered}" + " \\\\ ".join(parts) + "\\end{gathered}"
    relations = [at for at, token in tokens if token in _RELATIONS]
    if len(relations) >= 2:
        rows = [tex[a:b].strip() for a, b in zip(relations, [*relations[1:], len(tex)], strict=True)]
        return (
            "\\begin{aligned}" + tex[: relations[0]].strip() + " &" + " \\\\ &".join(rows) + "\\end{aligned}"
        )
    if len(relations) == 1:
        rel = relations[0]
        middle = rel + (len(tex) - rel) / 2
        pluses = [at for at, token in tokens if token in ("+", "-") and at > rel + 2]
        if pluses:
            cut = min(pluses, key=lambda at: abs(at - middle))
            return (
                "\\begin{aligned}"
                + tex[:rel].strip()
                + " &"
                + tex[rel:cut].strip()
                + " \\\\ &\\quad "
                + tex[cut:].strip()
                + "\\end{aligned}"
            )
    return None


class Typesetter:
    """Math -> placeholders in the HTML, and the drawing for each placeholder id.

    Every placeholder gets a document-unique id (`mb-<prefix>N`); formulas wider than the room they have
    are scaled down here, so that the box WeasyPrint lays out is the box we draw into."""

    def __init__(self, cache: Cache, text_px: float, room_px: float, prefix: str = "") -> None:
        self.cache = cache
        self.prefix = prefix  # ids are `mb-<prefix>N`: one chapter's ids do not move when another changes
        self.text_px = text_px
        self.room_px = room_px  # the widest a formula may be: a column, less a formula box's padding
        self.arts: dict[str, MathArt] = {}

    def art(self, math: Math, size_px: float) -> MathArt:
        """The drawing at `size_px`: the formula typeset once at `SCREEN_MATH_PX` (the size every
        output shares), scaled; outlines scale exactly, so nothing but the numbers changes."""
        k = key(ART_VERSION, svg_key(math))  # the drawing's name: a cached art needs no SVG read
        cached = self.cache.get("pdf-math", k)
        if cached is not None:
            art = MathArt.load(cached)
        else:
            art = svg_art(math_svg(math, self.cache))
            self.cache.put("pdf-math", k, art.dump())
        return art.scaled(size_px / SCREEN_MATH_PX)

    def placeholder(self, math: Math, scale: float = 1.0) -> str:
        """An empty inline-block the size of the formula, moved down by its depth like the SVG."""
        size = round(self.text_px * scale, 2)
        art = self.art(math, size)
        if math.display and art.box[0] > self.room_px * TOO_WIDE:
            broken = break_tex(math.tex)
            if broken is not None:
                art = min(art, self.art(Math(broken, True), size), key=lambda a: a.box[0])
        width, height, depth = art.box
        fit = min(1.0, self.room_px / width) if width else 1.0
        element_id = f"mb-{self.prefix}{len(self.arts) + 1}"
        self.arts[element_id] = art
        kind = "display" if math.display else "inline"
        label = html.escape(math.tex, quote=True)
        style = f"width: {width * fit:.3f}px; height: {height * fit:.3f}px"
        if not math.display:
            style += f"; vertical-align: -{depth * fit:.3f}px"
        return f'<span class="{MATH_CLASS} {kind}" id="{element_id}" title="{label}" style="{style}"></span>'

    def inline_only(self, fragment: str, scale: float = 1.0) -> str:
        """A title: all math inline, whatever pandoc called it."""
        return replace_math(fragment, lambda m: self.placeholder(Math(m.tex, False), scale))
