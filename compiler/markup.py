"""Patterns for the HTML that phase one produces, one place for each: backends rewrite image
sources and read SVG heads with these instead of writing their own."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

TAG = re.compile(r"<[^>]+>")
IMG_TAG = re.compile(r"<img\b[^>]*>")
IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
IMG_ALT = re.compile(r'<img\b[^>]*?\salt="([^"]*)"[^>]*>')
SVG_TAG = re.compile(r"<svg\b[^>]*>")
# An image in Markdown source, `![alt](path "title")`: (up to the path, the path, the rest)
MARKDOWN_IMAGE = re.compile(r'(!\[[^\]]*\]\(\s*<?)([^)\s>]+)(>?(?:\s+"[^"]*")?\s*\))')


def replace_image_sources(fragment: str, source: Callable[[str], str], attributes: str = "") -> str:
    """Every `<img src>` of `fragment` replaced by `source(src)` (both unescaped text), with
    `attributes` (trusted markup such as ` loading="lazy"`) written right after it."""
    return IMG_SRC.sub(
        lambda m: m.group(1) + html.escape(source(html.unescape(m.group(2)))) + m.group(3) + attributes,
        fragment,
    )
