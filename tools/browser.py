"""Which Chromium the browser tests and the README's pictures drive.

Debian's package (`/usr/bin/chromium`, or `chromium-browser` on Ubuntu's older releases) when it
is installed; `QBANK_CHROMIUM` names another binary; otherwise Playwright's own build, which
`python -m playwright install chromium` downloads (how Playwright users on macOS get one).
"""

from __future__ import annotations

import os
import shutil

CHROMIUM: str | None = (
    os.environ.get("QBANK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or None
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
