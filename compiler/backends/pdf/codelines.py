"""Code blocks for paper: a line too long for its column wraps with a hanging indent.

A PDF column is narrow and cannot scroll, so `<pre>` wraps (`white-space: pre-wrap`). A wrapped
line then starts at the left edge, where it reads as a new, dedented statement. Each line of a
code block becomes a block of its own whose continuation lines are indented past the line's own
indentation (its leading spaces plus `HANG` characters), the way editors show soft-wrapped code.
"""

from __future__ import annotations

import html
import re

from compiler.markup import TAG

HANG = 2  # characters of extra indentation for the continuation of a wrapped line
MAX_INDENT = 24  # deeper lines hang at this indentation (the stylesheet has a class per depth)
_CODE_BLOCK = re.compile(r"(<pre\b[^>]*>\s*<code\b[^>]*>)(.*?)(</code>\s*</pre>)", re.DOTALL)


def hanging_code_lines(fragment: str) -> str:
    """`fragment` with every line of every code block as `<span class="cl cl-N">` (N: the line's
    leading spaces, at most MAX_INDENT)."""
    if "<pre" not in fragment:
        return fragment
    return _CODE_BLOCK.sub(lambda m: m.group(1) + _lines(m.group(2)) + m.group(3), fragment)


def _lines(code: str) -> str:
    out = []
    for line in code.split("\n"):
        text = html.unescape(TAG.sub("", line))
        indent = min(len(text) - len(text.lstrip(" ")), MAX_INDENT)
        out.append(
            f'<span class="cl cl-{indent}">{line or " "}</span>'
            if text.strip()
            else f'<span class="cl cl-0">{line} </span>'
        )
    while len(out) > 1 and out[-1] == '<span class="cl cl-0"> </span>':
        out.pop()  # pandoc's closing newline
    return "".join(out)
