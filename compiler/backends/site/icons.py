"""The web app's PNG icons (192 and 512 px): `templates/site/icon.svg` drawn without a renderer.

An installable web app needs raster icons; the favicon is SVG. Rendering the SVG with a library
would make the bytes depend on its version (anti-aliasing, compression settings), so the same
shapes are drawn here: the rounded square and the question mark of icon.svg as polygons (arcs
flattened into short segments), filled by a scanline rasterizer with exact horizontal coverage and
16 sub-scanlines per pixel, and written by a minimal PNG encoder (zlib level 9, no timestamps,
no metadata). Fixed inputs, IEEE arithmetic rounded to 8 bits and zlib decide the bytes. Drawing
both sizes takes about a second, so the site keeps them in the build cache.
"""

from __future__ import annotations

import math
import struct
import zlib
from itertools import accumulate

Point = tuple[float, float]
Polygon = list[Point]

VIEW = 32.0  # icon.svg's viewBox is 0 0 32 32
BACKGROUND = (0x0B, 0x5C, 0xAD)  # icon.svg's fill, the site's accent colour
GLYPH = (0xFF, 0xFF, 0xFF)
SUBSAMPLES = 16
ARC_STEPS = 96  # segments per full circle


def _arc(cx: float, cy: float, r: float, start: float, end: float) -> Polygon:
    """Points on a circle from angle `start` to `end` (degrees, y down as in SVG), both included."""
    steps = max(2, math.ceil(abs(end - start) / 360 * ARC_STEPS))
    return [
        (
            cx + r * math.cos(math.radians(start + (end - start) * i / steps)),
            cy + r * math.sin(math.radians(start + (end - start) * i / steps)),
        )
        for i in range(steps + 1)
    ]


def _rounded_square(size: float, r: float) -> Polygon:
    return (
        _arc(size - r, r, r, -90, 0)
        + _arc(size - r, size - r, r, 0, 90)
        + _arc(r, size - r, r, 90, 180)
        + _arc(r, r, r, 180, 270)
    )


def _question_mark() -> list[Polygon]:
    """icon.svg's path `M9 11.5a7 7 0 1 1 10.6 6l-2.1 1.3V21h-3v-3.9l3.5-2.1A4 4 0 1 0 12 11.5Z`
    and its dot `M14 23h3v3h-3Z`: an arc of radius 7 and one of radius 4 around (16, 11.5)."""
    cx, cy = 16.0, 11.5
    outer_end = math.degrees(math.atan2(17.5 - cy, 19.6 - cx)) + 360
    inner_start = math.degrees(math.atan2(15 - cy, 18 - cx)) + 360
    stem = [(17.5, 18.8), (17.5, 21.0), (14.5, 21.0), (14.5, 17.1)]
    hook = [*_arc(cx, cy, 7, 180, outer_end), *stem, *_arc(cx, cy, 4, inner_start, 180)]
    dot = [(14.0, 23.0), (17.0, 23.0), (17.0, 26.0), (14.0, 26.0)]
    return [hook, dot]


def coverage(polygons: list[Polygon], size: int) -> list[list[int]]:
    """Per pixel, how much of it is inside `polygons` (even-odd), 0 to 255, drawn at `size` x `size`."""
    scale = size / VIEW
    rows_edges: list[list[tuple[float, float, float, float]]] = [[] for _ in range(size)]
    for poly in polygons:
        pts = [(x * scale, y * scale) for x, y in poly]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            if y0 != y1:  # each edge is listed under the pixel rows it crosses
                edge = (x0, y0, x1, y1)
                top, bottom = max(0, int(min(y0, y1))), min(size - 1, int(max(y0, y1)))
                for row in range(top, bottom + 1):
                    rows_edges[row].append(edge)
    rows: list[list[int]] = []
    for py in range(size):
        full = [0.0] * (size + 1)  # difference array: pixels wholly inside a span
        part = [0.0] * (size + 1)  # the partly covered pixels at a span's ends
        edges = rows_edges[py]
        for s in range(SUBSAMPLES if edges else 0):
            y = py + (s + 0.5) / SUBSAMPLES
            xs = sorted(
                x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                for x0, y0, x1, y1 in edges
                if min(y0, y1) <= y < max(y0, y1)
            )
            for a, b in zip(xs[::2], xs[1::2], strict=True):
                a, b = max(0.0, min(size, a)), max(0.0, min(size, b))
                ia, ib = int(a), int(b)
                if ia == ib:
                    if ia < size:
                        part[ia] += b - a
                    continue
                part[ia] += ia + 1 - a
                full[ia + 1] += 1
                full[ib] -= 1
                if ib < size:
                    part[ib] += b - ib
        # (full + part) never exceeds SUBSAMPLES but by rounding error, so the value rounds to <= 255
        k = 255 / SUBSAMPLES
        rows.append([round(k * (r + p)) for r, p in zip(accumulate(full[:size]), part, strict=False)])
    return rows


def icon_png(size: int) -> bytes:
    """The icon as an RGBA PNG of `size` x `size` pixels: transparent outside the rounded square."""
    back = coverage([_rounded_square(VIEW, 7)], size)
    glyph = coverage(_question_mark(), size)
    pixels: dict[tuple[int, int], bytes] = {}  # (square's alpha, glyph's coverage) -> RGBA

    def pixel(alpha: int, g: int) -> bytes:
        rgb = (round((b * (255 - g) + f * g) / 255) for b, f in zip(BACKGROUND, GLYPH, strict=True))
        return bytes((*rgb, alpha))

    for back_row, glyph_row in zip(back, glyph, strict=True):
        for key in zip(back_row, glyph_row, strict=True):
            if key not in pixels:
                pixels[key] = pixel(*key)
    # filter type 0 (none) for every row: simple, and zlib does the rest
    raw = b"".join(
        b"\0" + b"".join([pixels[key] for key in zip(back_row, glyph_row, strict=True)])
        for back_row, glyph_row in zip(back, glyph, strict=True)
    )
    return png(size, size, raw)


def png(width: int, height: int, rgba_rows: bytes) -> bytes:
    """A PNG file of 8-bit RGBA rows, each already prefixed with its filter byte."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )
