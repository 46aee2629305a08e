"""CJK line-breaking rules (kinsoku) around inline math, for every output.

A line must not start with closing punctuation (，、。）」 ...) nor end with opening punctuation
（（「 ...). Browsers and WeasyPrint keep those rules between characters, but an inline formula is
drawn as one atomic box (an SVG, MathJax's `<mjx-container>`), and every engine allows a line break
on either side of such a box: "（即 α" / "）更新". A WORD JOINER (U+2060) does not help: Chromium
breaks after an atomic inline regardless. What every engine honours is `white-space: nowrap` on an
element that holds both, so phase one wraps a formula and the punctuation touching it in
`<span class="nobr">` (each output's stylesheet gives `.nobr` `white-space: nowrap`).

A formula that ends an inline element (`<mark>` for a key point's part to recall, `<strong>`) is
glued with that whole element when the element is short: the wrapper must hold both sides of the
break and cannot cross an element's boundary.
"""

from __future__ import annotations

import re

NOBR_CLASS = "nobr"
# Characters a line may not start with (closing brackets, quotes, stops, the middle dot ...).
CLOSING = "，、。．,.:;：；！？!?）)］]｝}〕〉》」』】〙〗〟’”｠»・…‥ー〜～%％"
# Characters a line may not end with.
OPENING = "（(［[｛{〔〈《「『【〘〖〝‘“｟«"
_MATH = r'<span class="math inline">(?:(?!</span>).)*</span>'
_INLINE = "mark|strong|em|b|i|u|s|del|sup|sub|small|code|kbd"
# An inline element whose content ends with a formula: `<mark>细胞状态 \(C_t\)</mark>`.
_ELEMENT_ENDING_IN_MATH = (
    rf"<(?P<tag>{_INLINE})>(?:(?!</?(?P=tag)\b)[^<]|<(?!/?(?P=tag)\b)[^>]*>)*?{_MATH}</(?P=tag)>"
)
_OPEN = f"[{re.escape(OPENING)}]"
_CLOSE = f"[{re.escape(CLOSING)}]"
_GLUE = re.compile(
    rf"(?P<before>{_OPEN}*)(?P<math>{_ELEMENT_ENDING_IN_MATH}|{_MATH})(?P<after>{_CLOSE}*)", re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")
SHORT_ELEMENT = 16  # characters of text besides math: longer elements are not kept on one line


def glue_math_punctuation(fragment: str) -> str:
    """`fragment` with every inline formula kept on one line with the punctuation touching it."""
    if "math inline" not in fragment:
        return fragment
    return _GLUE.sub(_glued, fragment)


def _glued(m: re.Match[str]) -> str:
    before, math, after, tag = m.group("before"), m.group("math"), m.group("after"), m.group("tag")
    if tag:  # the formulas inside the element are glued to their own punctuation first
        opening = math[: math.index(">") + 1]
        math = opening + glue_math_punctuation(math[len(opening) : -len(f"</{tag}>")]) + f"</{tag}>"
    if not before and not after:
        return before + math + after
    if tag and len(_TAG.sub("", re.sub(_MATH, "", math))) > SHORT_ELEMENT:
        # a long element stays breakable (the punctuation after it cannot be reached)
        return before + math + after
    return f'<span class="{NOBR_CLASS}">{before}{math}{after}</span>'
