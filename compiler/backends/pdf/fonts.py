"""Fonts for the PDF sheets: a real CJK font, named explicitly, or a build error that says what to install.

WeasyPrint finds fonts through fontconfig. With no font that covers Chinese it still writes a PDF,
full of empty boxes: the worst outcome for a sheet someone prints before an interview. So the
backend asks fontconfig (`fc-list :lang=zh`) before rendering, and `compiler.backends.pdf.render` turns
WeasyPrint's `.notdef` warning into an error as a second line of defence.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from compiler.typefaces import CJK_FAMILIES

INSTALL_HINT = (
    "install a CJK font: on Debian/Ubuntu `apt-get install fonts-noto-cjk` "
    "(and `libharfbuzz-subset0` for fast font subsetting); on macOS/Windows the system fonts "
    "PingFang SC / Microsoft YaHei work. Check with `fc-list :lang=zh`."
)


class MissingCjkFont(Exception):
    """No font on this machine can draw Chinese: the PDF would be full of empty boxes."""


@dataclass(frozen=True)
class FontCheck:
    families: tuple[str, ...]  # every family fontconfig lists for Chinese, sorted
    chosen: str | None  # the first of CJK_FAMILIES that is installed, if any

    @property
    def note(self) -> str | None:
        """A message for the user when the text will use a fallback family."""
        if self.chosen is not None or not self.families:
            return None
        return (
            f"none of {', '.join(CJK_FAMILIES)} is installed; Chinese text falls back to "
            f"'{self.families[0]}' ({INSTALL_HINT})"
        )


def fc_list_zh() -> tuple[str, ...] | None:
    """Families fontconfig knows for Chinese, or None when `fc-list` is not available."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    result = subprocess.run(
        [exe, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=60
    )
    families = {
        name.strip()
        for line in result.stdout.splitlines()
        for name in line.split(",")  # a font lists its localised names comma-separated
        if name.strip()
    }
    return tuple(sorted(families))


def check_cjk_font() -> FontCheck:
    """The CJK fonts available, or `MissingCjkFont` with the package to install.

    Without `fc-list` (fontconfig's tools are not installed) nothing can be checked up front;
    the `.notdef` check during rendering still stops a PDF of empty boxes.
    """
    families = fc_list_zh()
    if families is None:
        return FontCheck((), None)
    if not families:
        raise MissingCjkFont(f"no font for Chinese text was found by fontconfig: {INSTALL_HINT}")
    chosen = next((f for f in CJK_FAMILIES if f in families), None)
    return FontCheck(families, chosen)


def css_family_list(families: tuple[str, ...], generic: str) -> str:
    """A CSS `font-family` value: every name quoted, the generic family last."""
    return ", ".join(f'"{name}"' for name in families) + f", {generic}"
