"""The font families text is set in, by script: the PDF names them in its CSS, the EPUB cover in
its SVG. (The EPUB's and the site's pages name none: readers and browsers choose by `lang`.)"""

from __future__ import annotations

# The order is the CSS `font-family` order. Naming the families matters: when several CJK fonts
# are installed, fontconfig's own choice for "sans-serif" is not deterministic (and may be a
# Japanese or Traditional Chinese variant with different glyph shapes).
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Source Han Sans SC",
)
# Text in a Latin-script language: a Latin font first (CJK fonts have Latin letters of their own,
# wider and spaced for CJK), the CJK families after it for Chinese in the bank's text.
LATIN_FAMILIES: tuple[str, ...] = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Helvetica", "Arial")

# Code: in a CJK language a CJK monospace first, so that Chinese comments keep the grid; in a
# Latin one a Latin monospace first, the CJK one after it for Chinese comments.
MONO_FAMILIES: tuple[str, ...] = ("DejaVu Sans Mono", "Menlo", "Consolas")
CJK_MONO_FAMILIES: tuple[str, ...] = ("Noto Sans Mono CJK SC",)


def text_families(script: str) -> tuple[str, ...]:
    """The text font families for words written in `script` (a vocabulary's `script`)."""
    return (*LATIN_FAMILIES, *CJK_FAMILIES) if script == "latin" else CJK_FAMILIES


def mono_families(script: str) -> tuple[str, ...]:
    """The code font families for a bank whose words are written in `script`."""
    if script == "latin":
        return (*MONO_FAMILIES, *CJK_MONO_FAMILIES)
    return (*CJK_MONO_FAMILIES, *MONO_FAMILIES)
