"""The allowlist every rendered fragment passes through (nh3, a Rust HTML sanitiser).

Anki runs scripts in fields and EPUB readers may too: only plain document markup survives.
"""

from __future__ import annotations

import re

import nh3

TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "code",
    "span",
    "div",
    "em",
    "strong",
    "del",
    "sup",
    "sub",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "colgroup",
    "col",
    "figure",
    "figcaption",
    "img",
    "a",
    "kbd",
    "mark",
    "small",
    "b",
    "i",
    "u",
    "s",
}
ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# pandoc's per-line anchors in code blocks point at ids that collide between questions.
_CODE_LINE_ANCHOR = re.compile(r'<a href="#cb\d+-\d+"[^>]*></a>')
_ALIGN_STYLE = re.compile(r'\sstyle="text-align:\s*(left|right|center);?"')


def sanitize(fragment: str) -> str:
    fragment = _CODE_LINE_ANCHOR.sub("", fragment)
    fragment = _ALIGN_STYLE.sub(r' class="align-\1"', fragment)
    return nh3.clean(
        fragment,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
