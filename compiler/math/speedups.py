"""Changes to how ziamath 0.13 is driven that make typesetting faster and change no SVG byte.

Each is checked by `tests/test_mathsvg.py`, which typesets every formula of the real bank and
odd ones with and without them and compares the SVG. They patch ziamath's internals, so they
name the version they were made for: each replaces one function of ziamath 0.13.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from copy import deepcopy
from typing import Any


def apply() -> None:
    _shallow_parent_styles()
    _sizes_without_a_table_per_call()
    _lay_out_rows_once()
    _glyph_paths_in_one_format()
    _font_lookups_remembered()
    _mstyle_flattened_without_reparsing()


def _shallow_parent_styles() -> None:
    """ziamath 0.13 reads each node's parent style through `dataclasses.asdict`, a deep copy that
    took a third of all typesetting time. `parse_style` only reads the scalar fields of that
    dict (colour, size, script level, display style), so a shallow one gives the same SVG
    (checked on 900 formulas of the real and synthetic banks) in two thirds of the time.
    It looks them up through a `ChainMap` of the element's attributes and that dict, which
    costs a Python call per lookup: one dict, the attributes over the style's fields, answers
    every lookup the same."""
    from ziamath import styles

    setattr(styles, "asdict", _style_fields)  # noqa: B010  # the module's own names for them
    setattr(styles, "ChainMap", _attributes_over_fields)  # noqa: B010


def _style_fields(style: object) -> dict[str, object]:
    return dict(vars(style))


def _attributes_over_fields(attributes: dict[str, str], fields: dict[str, object]) -> dict[str, object]:
    fields.update(attributes)  # `fields` is the fresh dict `_style_fields` made for this lookup
    return fields


# `Mnode.size_px` of ziamath 0.13 builds these two tables on every call (tens of thousands of
# calls a bank); the same tables, made once.
_NAMED_SPACES = {
    "veryverythinmathspace": f"{1 / 18}em",
    "verythinmathspace": f"{2 / 18}em",
    "thinmathspace": f"{3 / 18}em",
    "mediummathspace": f"{4 / 18}em",
    "thickmathspace": f"{5 / 18}em",
    "verythickmathspace": f"{6 / 18}em",
    "veryverythickmathspace": f"{7 / 18}em",
    "negativeveryverythinmathspace": f"{-1 / 18}em",
    "negativeverythinmathspace": f"{-2 / 18}em",
    "negativethinmathspace": f"{-3 / 18}em",
    "negativemediummathspace": f"{-4 / 18}em",
    "negativethickmathspace": f"{-5 / 18}em",
    "negativeverythickmathspace": f"{-6 / 18}em",
    "negativeveryverythickmathspace": f"{-7 / 18}em",
}
_UNITS_TO_PT = {
    "pt": 1,
    "mm": 2.84526,
    "cm": 28.45274,
    "ex": 4.30554,
    "em": 10.00002,
    "bp": 1.00374,
    "dd": 1.07,
    "pc": 12,
    "in": 72.27,
    "mu": 0.5555,
}


def _sizes_without_a_table_per_call() -> None:
    """`Mnode.size_px` of ziamath 0.13, line for line, with its tables made once."""
    from ziamath.nodes.mnode import Mnode

    def size_px(self: Any, size: str, fontsize: float | None = None) -> float:
        if fontsize is None:
            fontsize = self.glyphsize
        numsize = _NAMED_SPACES.get(size, size)
        try:
            pxsize = float(numsize.rstrip("px"))  # a plain number, or pixels
        except ValueError:
            pass
        else:
            return pxsize
        try:
            units = numsize[-2:]
            value = float(numsize[:-2])
        except ValueError:
            return 0
        pxsize = value * _UNITS_TO_PT.get(units, 0) * 1.333
        if units in ["em", "ex", "mu"]:
            pxsize *= fontsize / 10  # the table is for a 10-point font
        return pxsize

    Mnode.size_px = size_px  # type: ignore[method-assign]


# Nodes whose layout reads the node laid out just before them in their row (`leftsibling`):
# a fraction after another one, a number after a fence, a matrix after `\left(`.
_READ_THEIR_LEFT = frozenset({"mi", "mn", "mtext", "ms", "mfrac", "mtable"})


def _lay_out_rows_once() -> None:
    """ziamath 0.13 lays out every child of every row twice: once (on a copy) to measure the
    row's height without its stretchy operators (fences, `\\left(`, which then stretch to it)
    and once for real. Nested rows make that 2^depth layouts of the innermost nodes.

    Only a stretchy `mo` reads what the measurement gives (and the flag it is measured with),
    so a row with none anywhere below it is not measured at all, and in a row with one, a child
    with none below it is laid out once and that node is used for both: the same node that the
    second layout would make, unless the child reads its left neighbour (`_READ_THEIR_LEFT`),
    which the measurement does not have yet; such a child is reused only in first place, where
    it has none either way. Same SVG (every formula of the real bank and of synthetic banks)."""
    from ziafont.fonttypes import BBox
    from ziamath import operators
    from ziamath.nodes.mnode import Mnode
    from ziamath.nodes.mrow import Mrow
    from ziamath.nodes.nodetools import elementtext

    def may_stretch(el: ET.Element) -> bool:
        if el.tag != "mo" and not (el.tag == "mi" and elementtext(el) in operators.names):
            return False  # (an `mi` naming an operator is drawn as an `mo`)
        stretchy = el.get("stretchy")
        if stretchy is not None:
            return stretchy != "false"
        text = elementtext(el)
        return any(
            operators.operators.get((text, form), {}).get("stretchy", "false") != "false"
            for form in ("prefix", "infix", "postfix")
        )

    def stretches(el: ET.Element) -> bool:
        return any(may_stretch(e) for e in el.iter())

    def setup_single_line(self: Any, line: list[ET.Element], **kwargs: Any) -> None:
        """`Mrow._setup_single_line` and `Mrow._get_height_nostretch` of ziamath 0.13 in one."""
        children = [c for c in line if not (c.tag == "mo" and elementtext(c) == "")]
        laid_out: dict[int, Any] = {}  # child -> its node, laid out while measuring
        rowymin, rowymax = 0.0, 0.0  # read by nobody when no operator below this row stretches
        if any(stretches(c) for c in children):
            rowymax, rowymin = -9999, 9999
            measuring = {**kwargs, "nostretch": True}
            for n, child in enumerate(children):
                if stretches(child) or (n > 0 and child.tag in _READ_THEIR_LEFT):
                    # a copy: the layout changes the element's attributes
                    node = Mnode.fromelement(_reparsed(child), parent=self, **measuring)
                else:
                    node = laid_out[n] = Mnode.fromelement(child, parent=self, **measuring)
                rowymax = max(rowymax, node.bbox.ymax)
                rowymin = min(rowymin, node.bbox.ymin)
        kwargs["rowymin"] = rowymin
        kwargs["rowymax"] = rowymax

        ymax = -9999
        ymin = 9999
        x = xmin = xmax = 0.0
        for n, child in enumerate(children):
            node = laid_out[n] if n in laid_out else Mnode.fromelement(child, parent=self, **kwargs)
            self.nodes.append(node)
            self.nodexy.append((x, 0))
            xmax = max(xmax, x + node.bbox.xmax)
            xmin = min([nxy[0] + nd.bbox.xmin for nxy, nd in zip(self.nodexy, self.nodes, strict=True)])
            ymax = max(ymax, node.bbox.ymax)
            ymin = min(ymin, node.bbox.ymin)
            x += node.xadvance()
        self.bbox = BBox(xmin, xmax, ymin, ymax)
        self._xadvance = x

    Mrow._setup_single_line = setup_single_line  # type: ignore[method-assign]


# The extent of each outline `svgpath` drew, by its element: ziafont's numbers as it writes them
# (rounded to its precision), so that `compiler.math.svg` need not read them back from the text.
_OUTLINES: dict[int, tuple[ET.Element, float, float, float, float]] = {}


def outline_extent(element: ET.Element) -> tuple[float, float, float, float] | None:
    """(least x, greatest x, least y, greatest y) of a glyph outline drawn since `forget_outlines`."""
    found = _OUTLINES.get(id(element))
    return found[1:] if found is not None and found[0] is element else None


def forget_outlines() -> None:
    _OUTLINES.clear()


# ziafont's number format (`fmt`): fixed decimals, then trailing zeros and a bare point dropped.
# In a path every number is followed by a space, and only a fraction can end in a zero there.
_TRAILING_ZEROS = re.compile(r"\.?0+(?= )")


def _glyph_paths_in_one_format() -> None:
    """ziafont 0.11 writes a glyph's outline (`SimpleGlyph.svgpath`) one number at a time, each
    through `fmt` (a formula has about a thousand). Per glyph, its outline becomes one format
    string and its points one list, made once; each drawing of it is one `%` of the numbers,
    computed exactly as `fmt`'s callers compute them, and one substitution for the zeros.
    Same text, byte for byte."""
    from ziafont import glyph as zglyph
    from ziafont.config import config as zfconfig
    from ziafont.svgpath import Cubic, Lineto, Moveto, Quad

    letters = {Moveto: "M", Lineto: "L", Quad: "Q", Cubic: "C"}
    slow = zglyph.SimpleGlyph.svgpath
    Outline = tuple[str, list[float], list[float], tuple[float, float, float, float]]

    def outline(glyph: Any) -> Outline | None:
        made: tuple[object, Outline | None] | None = glyph.__dict__.get("_qbank_outline")
        if made is None or made[0] != zfconfig.precision:
            number = f"%.{zfconfig.precision}f "
            parts: list[str] = []
            points: list[tuple[float, float]] = []
            for n, operator in enumerate(glyph.operators):
                letter = letters.get(type(operator))
                if letter is None:  # not an outline ziafont 0.11 makes: drawn the slow way
                    glyph.__dict__["_qbank_outline"] = made = (zfconfig.precision, None)
                    return None
                own = [operator.p] if letter in "ML" else [operator.p1, operator.p2]
                if letter == "C":
                    own.append(operator.p3)
                parts.append(("Z " if letter == "M" and n else "") + letter + " " + 2 * len(own) * number)
                points += [(p.x, p.y) for p in own]
            if any(type(v) not in (int, float) for p in points for v in p):
                glyph.__dict__["_qbank_outline"] = made = (zfconfig.precision, None)
                return None  # (what `svgpath` computes in C loops is for plain numbers)
            form = "".join(parts) + "Z " if parts else ""
            xs, ys = [p[0] for p in points] or [0.0], [p[1] for p in points] or [0.0]
            extent = (min(xs), max(xs), min(ys), max(ys))
            outline = (form, [p[0] for p in points], [p[1] for p in points], extent)
            glyph.__dict__["_qbank_outline"] = made = (zfconfig.precision, outline)
        return made[1]

    def svgpath(self: Any, x0: float = 0, y0: float = 0, scale_factor: float = 1) -> ET.Element | None:
        made = outline(self)
        if made is None:
            return slow(self, x0, y0, scale_factor)
        form, pxs, pys, (least_x, most_x, least_y, most_y) = made
        if not form:
            return None  # no outline (a space)
        scale = self.funits_to_points(1, scale_factor)
        if type(scale) is float and type(x0) in (int, float) and type(y0) in (int, float):
            # x0 + px * scale and y0 - py * scale of every point, in C loops: the same floats
            # (an int meets a float as the float it converts to, and * commutes exactly)
            numbers: list[float] = [0.0] * (2 * len(pxs))
            numbers[0::2] = map(float(x0).__add__, map(scale.__mul__, pxs))
            numbers[1::2] = map(float(y0).__sub__, map(scale.__mul__, pys))
        else:
            numbers = [v for px, py in zip(pxs, pys, strict=True) for v in (x0 + px * scale, y0 - py * scale)]
        element = ET.Element("path", attrib={"d": _TRAILING_ZEROS.sub("", form % tuple(numbers))})
        if scale > 0:
            # Each number is computed as above, and both that and the rounding keep the order
            # of the points: the least of the written numbers is the least point's, written.
            rounded = f"%.{zfconfig.precision}f"
            _OUTLINES[id(element)] = (
                element,
                float(rounded % (x0 + least_x * scale)),
                float(rounded % (x0 + most_x * scale)),
                float(rounded % (y0 - most_y * scale)),
                float(rounded % (y0 - least_y * scale)),
            )
        return element

    zglyph.SimpleGlyph.svgpath = svgpath  # type: ignore[method-assign]


def _font_lookups_remembered() -> None:
    """ziafont 0.11 answers two questions from its font tables each time it is asked: where a
    glyph is in a coverage table (a linear search of a list) and how far a glyph advances before
    the next one (kerning). The answers depend on the glyphs and tables only (and, for the
    advance, on whether kerning is on), so each is remembered per table or font."""
    from ziafont.font import Font
    from ziafont.tables import Coverage

    find = Coverage.covidx
    advance = Font.advance

    def covidx(self: Any, glyph: int) -> int | None:
        known: dict[int, int | None] = self.__dict__.setdefault("_qbank_covidx", {})
        if glyph not in known:
            known[glyph] = find(self, glyph)
        return known[glyph]

    def font_advance(self: Any, glyph: int, glyph2: int | None) -> int:
        k = (glyph, glyph2, bool(self.features.get("kern", True)))
        known: dict[tuple[int, int | None, bool], int] = self.__dict__.setdefault("_qbank_advance", {})
        if k not in known:
            known[k] = advance(self, glyph, glyph2)
        return known[k]

    Coverage.covidx = covidx  # type: ignore[method-assign]
    Font.advance = font_advance  # type: ignore[method-assign]


# What an XML parser would not read back as it was written: in text a carriage return (read as a
# line feed) and characters XML forbids; in attribute values (which escape \r, \n, \t) the latter.
_ODD_TEXT = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ODD_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _reparsed(element: ET.Element) -> ET.Element:
    """`ET.fromstring(ET.tostring(element))`, which ziamath 0.13 uses to copy a tree (thousands
    of times a bank), without writing and parsing XML: a deep copy with what the round trip
    changes changed the same way (empty texts and tails become None, the root's tail goes).
    A tree the round trip could change otherwise (namespaces, `xmlns` or prefixed attributes,
    odd characters, anything not a string) takes the round trip itself."""
    copy = deepcopy(element)
    copy.tail = None
    for e in copy.iter():
        tag, text, tail = e.tag, e.text, e.tail
        if type(tag) is not str or ":" in tag or "{" in tag:
            break
        if text is not None:
            if type(text) is not str or _ODD_TEXT.search(text):
                break
            if not text:
                e.text = None
        if tail is not None:
            if type(tail) is not str or _ODD_TEXT.search(tail):
                break
            if not tail:
                e.tail = None
        if any(_odd_attribute(k, v) for k, v in e.attrib.items()):
            break
    else:
        if not (element.tail or "").strip():  # (text after the root: the round trip fails)
            return copy
    return ET.fromstring(ET.tostring(element))


def _odd_attribute(name: object, value: object) -> bool:
    """An attribute the round trip of `_reparsed` changes: `xmlns`, a namespace, odd values."""
    if type(name) is not str or type(value) is not str:
        return True
    return ":" in name or "{" in name or name.startswith("xmlns") or _ODD_VALUE.search(value) is not None


def _mstyle_flattened_without_reparsing() -> None:
    """`apply_mstyle` of ziamath 0.13 copies each formula's attributes of `<mstyle>` elements to
    their children and removes them, by writing the tree, cutting the tags out of the text and
    parsing it again. A formula without `<mstyle>` (most) comes out of that as the round trip
    of its tree (`_reparsed`): no tag in the text can start `<mstyle` when no element's name does."""
    from ziamath import zmath

    slow = zmath.apply_mstyle

    def apply_mstyle(element: ET.Element) -> ET.Element:
        if any(type(e.tag) is not str or e.tag.startswith("mstyle") for e in element.iter()):
            return slow(element)
        return _reparsed(element)

    zmath.apply_mstyle = apply_mstyle
