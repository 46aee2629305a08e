"""How wide an SVG figure is drawn in the book: never so narrow that its labels cannot be read.

A figure scaled down to a phone's column (about 350 px) shrinks its labels with it: a diagram
600 units wide with 11-unit labels shows them 6 px high. Each SVG figure with text labels gets a
minimum width at which its smallest label is `LABEL_EM` of the reader's text size; on a column
narrower than that, the figure scrolls sideways inside its own box (book.css), as tables do, and
the page stays as wide as the column. Figures whose text is drawn as paths (the plots of
tools/figures.py) have no labels to measure and keep fitting the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

# The smallest label as drawn, in em of the reader's text: 0.6 em is 9.6 px on a 16 px page, the
# proportion of a printed book's figure labels (7 pt against 11-12 pt text).
LABEL_EM = 0.6
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_SVG = "{http://www.w3.org/2000/svg}"


def smallest_label(svg: bytes) -> tuple[float, float] | None:
    """The smallest font size of an SVG's text (inherited from its groups) and the drawing's width,
    both in its user units; None when it has no text."""
    root = etree.fromstring(svg, etree.XMLParser(resolve_entities=False, no_network=True))
    box = [float(n) for n in _NUMBER.findall(root.get("viewBox") or "")]
    width = box[2] if len(box) == 4 else _first_number(root.get("width"))
    sizes: list[float] = []
    for el in root.iter(f"{_SVG}text", f"{_SVG}tspan"):
        for node in (el, *el.iterancestors()):
            size = _first_number(node.get("font-size"))
            if size:
                sizes.append(size)
                break
    if not sizes or not width:
        return None
    return min(sizes), width


def min_width_rules(figures: Iterable[tuple[str, bytes]]) -> str:
    """CSS rules, one per SVG figure `(file in the book, content)` that has labels: its minimum width."""
    rules = []
    for file, content in sorted(figures):
        found = smallest_label(content)
        if found is None:
            continue
        size, width = found
        min_width = LABEL_EM * width / size
        rules.append(f'figure.figure img[data-figure="{file}"] {{ min-width: {min_width:.2f}em; }}')
    return "\n".join(rules)


def _first_number(value: str | None) -> float:
    found = _NUMBER.findall(value or "")
    return float(found[0]) if found else 0.0
