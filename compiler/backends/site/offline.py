"""What makes the site work without a network: from a folder (file://) and as an installed web app.

- From file:// a browser refuses `fetch()` of local files, but runs `<script src>`. So the data
  the scripts need is delivered as scripts: `search-index.js` assigns the index to
  `window.QBankIndex` (`search-index.json` stays beside it for other programs, as mdBook ships
  searchindex.js beside searchindex.json), and practice mode reads each question from
  `q/<id>.js`, which hands its parts to `QBankPractice.receive`.
- Over http(s) the site is an installable web app: `manifest.webmanifest` (the bank's name,
  PNG icons drawn by `icons.py`) and `sw.js`, a service worker that precaches every file of
  the build under a cache named for it (see templates/site/sw.js.j2).
"""

from __future__ import annotations

import base64
import hashlib
import json

from compiler.backends.site.icons import icon_png
from compiler.cache import Cache, key
from compiler.templating import render

INDEX_SCRIPT = "search-index.js"
INDEX_JSON = "search-index.json"
MANIFEST = "manifest.webmanifest"
WORKER = "sw.js"
ICON_SIZES = (192, 512)
ICONS_VERSION = "1"  # bump when icons.py draws differently
THEME_COLOR = "#0b5cad"  # the site's accent colour (site.css --accent), the icon's background
BACKGROUND_COLOR = "#ffffff"  # site.css --bg: the splash screen before the first page paints
# Not precached: the worker itself, and the JSON index, which the site never reads (the script
# form carries the same index).
NOT_PRECACHED = frozenset({WORKER, INDEX_JSON})


def script_data(value: object) -> str:
    """JSON as a JavaScript expression. `<` is escaped (the same string to JSON and JavaScript), so
    nothing in it reads as markup to a tool that scans the file."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace(
        "<", "\\u003c"
    )


def index_script(index_json: bytes) -> bytes:
    """search-index.js: the same index as search-index.json, loadable with <script src>."""
    return b"window.QBankIndex=" + index_json.replace(b"<", b"\\u003c") + b";\n"


def question_script(qid: str, parts: dict[str, object]) -> bytes:
    """q/<id>.js: a question's parts for practice mode."""
    return f"QBankPractice.receive({script_data(qid)},{script_data(parts)});\n".encode()


def icon_name(size: int) -> str:
    return f"assets/icon-{size}.png"


def icons(cache: Cache) -> dict[str, bytes]:
    """assets/icon-192.png and assets/icon-512.png; drawn once, then taken from the build cache."""
    out: dict[str, bytes] = {}
    for size in ICON_SIZES:
        k = key("site-icon", ICONS_VERSION, str(size))
        cached = cache.get("site-icon", k)
        if cached is None:
            data = icon_png(size)
            cache.put("site-icon", k, base64.b64encode(data).decode("ascii"))
        else:
            data = base64.b64decode(cached)
        out[icon_name(size)] = data
    return out


def manifest(title: str, description: str, language: str) -> bytes:
    """The web app manifest; its URLs are relative to it, so the site installs from any folder."""
    doc = {
        "name": title,
        "short_name": title,
        "description": description,
        "lang": language,
        "dir": "ltr",
        "start_url": "index.html",
        "scope": "./",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": icon_name(size), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
            for size in ICON_SIZES
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def build_version(files: dict[str, bytes]) -> str:
    """A hash of every file's name and content: changes with anything the build changes."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:16]


def service_worker(files: dict[str, bytes]) -> bytes:
    """sw.js for the site made of `files` (relative path -> bytes)."""
    cached = {name: data for name, data in files.items() if name not in NOT_PRECACHED}
    text = render("site/sw.js.j2", version=build_version(cached), files=sorted(cached))
    return text.encode("utf-8")
