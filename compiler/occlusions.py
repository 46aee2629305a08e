"""Image occlusion written in the source: a figure's labels as shapes, each with a stable id.

A shape's card number is its id (`o7` is card 7) or its group's id, never its position, so
moving, resizing or relabelling a shape keeps its Anki card and history. Coordinates are the
figure's own (an SVG's viewBox, a bitmap's pixels) or fractions; every output receives them
normalised to 0-1 of the figure, which is what Anki's image-occlusion notetype stores.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from schema.models import Occlusions, Shape

_NUMBER = re.compile(r"^\s*([0-9.]+)\s*(px)?\s*$")


@dataclass(frozen=True)
class Size:
    """A figure's coordinate system: where (0, 0) of its units is, and its width and height."""

    min_x: float
    min_y: float
    width: float
    height: float


@dataclass(frozen=True)
class Figure:
    """An occluded figure as the loader found it: the file (its name is its asset's name) and its
    coordinate system."""

    path: Path
    size: Size


@dataclass(frozen=True)
class Box:
    """A shape normalised to 0-1 of its figure: `kind` rect (left, top, width, height) or
    ellipse (left, top of its bounding box, rx, ry), as Anki's image occlusion writes them."""

    kind: str
    left: float
    top: float
    a: float  # width, or rx
    b: float  # height, or ry

    @property
    def width(self) -> float:
        return self.a * 2 if self.kind == "ellipse" else self.a

    @property
    def height(self) -> float:
        return self.b * 2 if self.kind == "ellipse" else self.b


def card_number(shape: Shape) -> int:
    """The Anki cloze number of a shape: its group's number, else its own (`o7` is card 7)."""
    return int((shape.group or shape.id)[1:])


def figure_size(path: Path) -> Size | None:
    """The coordinate system of an SVG (its viewBox, else its width and height) or a PNG's
    pixels; None when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return Size(0, 0, width, height) if width and height else None
    if path.suffix.lower() != ".svg":
        return None
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        if len(box) == 4:
            min_x, min_y, width, height = (float(v) for v in box)
            return Size(min_x, min_y, width, height) if width > 0 and height > 0 else None
    except ValueError:
        return None
    w, h = _NUMBER.match(root.get("width") or ""), _NUMBER.match(root.get("height") or "")
    if w and h and float(w.group(1)) > 0 and float(h.group(1)) > 0:
        return Size(0, 0, float(w.group(1)), float(h.group(1)))
    return None


def normalised(shape: Shape, units: str, size: Size) -> Box:
    """`shape` as fractions of its figure."""
    sx, sy, ox, oy = (
        (1.0, 1.0, 0.0, 0.0) if units == "fraction" else (size.width, size.height, size.min_x, size.min_y)
    )
    if shape.rect is not None:
        x, y, w, h = shape.rect
        return Box("rect", (x - ox) / sx, (y - oy) / sy, w / sx, h / sy)
    assert shape.ellipse is not None  # the schema requires one of them
    cx, cy, rx, ry = shape.ellipse
    return Box("ellipse", (cx - rx - ox) / sx, (cy - ry - oy) / sy, rx / sx, ry / sy)


def outside(box: Box) -> bool:
    """Whether a normalised shape reaches beyond its figure (a rounding hair is allowed)."""
    eps = 1e-6
    return (
        box.left < -eps or box.top < -eps or box.left + box.width > 1 + eps or box.top + box.height > 1 + eps
    )


def number_text(value: float) -> str:
    """A fraction as Anki writes it: four decimals at most, no leading zero (`.2345`, `1`)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    text = text.removeprefix("0") if text.startswith("0.") else text
    return text or "0"


def anki_occlusion(number: int, box: Box) -> str:
    """One shape in Anki's own format: `{{c3::image-occlusion:rect:left=.1:top=.2:...:oi=1}}`.
    `oi=1` hides every other shape too ("hide all, guess one")."""
    if box.kind == "rect":
        extent = f"width={number_text(box.a)}:height={number_text(box.b)}"
    else:
        extent = f"rx={number_text(box.a)}:ry={number_text(box.b)}"
    where = f"left={number_text(box.left)}:top={number_text(box.top)}"
    return f"{{{{c{number}::image-occlusion:{box.kind}:{where}:{extent}:oi=1}}}}"


@dataclass(frozen=True)
class Card:
    """The shapes asked together on one card, and their labels."""

    number: int
    shapes: tuple[tuple[Shape, Box], ...]

    @property
    def label(self) -> str:
        return " / ".join(dict.fromkeys(shape.label for shape, _ in self.shapes))


def cards(occlusions: Occlusions, size: Size) -> list[Card]:
    """The figure's cards by number, each with its shapes in the order they are written."""
    grouped: dict[int, list[tuple[Shape, Box]]] = {}
    for shape in occlusions.shapes:
        grouped.setdefault(card_number(shape), []).append((shape, normalised(shape, occlusions.units, size)))
    return [Card(n, tuple(grouped[n])) for n in sorted(grouped)]


def occlusion_field(occlusions: Occlusions, size: Size) -> str:
    """The Occlusion field of an Anki image-occlusion note: one cloze per shape, by card number."""
    return "<br>".join(
        anki_occlusion(card.number, box) for card in cards(occlusions, size) for _, box in card.shapes
    )
