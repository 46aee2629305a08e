"""`python -m compiler serve`: the author's loop. Build the site, serve it on 127.0.0.1, rebuild
on every save and reload the pages whose files changed.

- Rebuilds run the normal build (only the site backend); unchanged files are not rewritten, and
  each file is replaced atomically, so a reader never sees half a page.
- A build that fails writes nothing: the last good site stays up, and every page shows the
  diagnostics (file:line: message) in an overlay until the source is fixed.
- The reload script and the overlay are added to HTML responses by this server, never written
  into build/: the files on disk stay exactly what `build` makes.
- The browser polls `/__status?path=<page>&since=<build>`; the answer says whether that page (or a
  stylesheet, script or the search index) changed after the build it was served from.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from compiler.build import BuildResult, build
from compiler.diagnostics import Diagnostic
from compiler.filters import Filter
from compiler.templating import TEMPLATES

RELOAD_SCRIPT = TEMPLATES / "site" / "reload.js"
STATUS_PATH = "/__status"
SCRIPT_PATH = "/__reload.js"
SOURCE_SUFFIXES = {
    ".md",
    ".yaml",
    ".yml",
    ".svg",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".j2",
    ".css",
    ".js",
}


@dataclass
class Status:
    """What the browser asks about: the current build, what changed when, the errors."""

    build: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    errors_since: int = 0  # build at which the error list last changed
    changed: dict[str, int] = field(default_factory=dict)  # site path -> build that last changed it

    def needs_reload(self, page: str, since: int) -> bool:
        if self.errors_since > since:
            return True
        return any(when > since and _affects(path, page) for path, when in self.changed.items())


def _affects(path: str, page: str) -> bool:
    """Whether a rebuilt site file changes what `page` shows: the page itself, a stylesheet,
    script or image (any page may use them), the search index (the pages that load it)."""
    if path == page:
        return True
    if path == "/search-index.json":
        return page.endswith(("/search.html", "/practice.html"))
    return not path.endswith(".html")


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    loc = d.location
    return {
        "severity": d.severity.value,
        "path": loc.path,
        "line": loc.line,
        "col": loc.col,
        "where": str(loc),
        "message": d.message,
        "hint": d.hint,
        "text": d.format(),
    }


class DevServer:
    """The site of `source`, built into `out` and served at http://127.0.0.1:<port>/."""

    def __init__(
        self,
        source: Path,
        out: Path,
        port: int = 8000,
        flt: Filter | None = None,
        watch_templates: bool = True,
        log: Any = None,
    ) -> None:
        self.source = source
        self.out = out
        self.flt = flt or Filter()
        self.watch_templates = watch_templates
        self.log = log if log is not None else sys.stderr
        self.status = Status()
        self.lock = threading.Lock()
        self.site_dir = out / "site"
        self._stop = threading.Event()
        self.watching = threading.Event()
        self._threads: list[threading.Thread] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    # ---- building ---------------------------------------------------------------------------

    def rebuild(self, reason: str = "") -> BuildResult:
        """One build of the site; updates the status the browsers poll."""
        started = time.monotonic()
        before = self._snapshot()
        result = build(self.source, self.out, only=["site"], flt=self.flt)
        if result.bank is not None and result.ok():
            self.site_dir = (
                self.out / "site" / result.bank.variant if result.bank.variant else self.out / "site"
            )
        after = self._snapshot()
        errors = [diagnostic_json(d) for d in result.diags.errors]
        with self.lock:
            build_id = self.status.build + 1
            changed = [p for p, stamp in after.items() if before.get(p) != stamp]
            if changed or errors != self.status.errors:
                self.status.build = build_id
                for path in changed:
                    self.status.changed[path] = build_id
                if errors != self.status.errors:
                    self.status.errors = errors
                    self.status.errors_since = build_id
        self._report(result, len(changed), time.monotonic() - started, reason)
        return result

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        """Site path -> (mtime, size) of every file: an atomic replace always changes the mtime."""
        stamps: dict[str, tuple[int, int]] = {}
        if self.site_dir.is_dir():
            for path in self.site_dir.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    stat = path.stat()
                    stamps["/" + path.relative_to(self.site_dir).as_posix()] = (
                        stat.st_mtime_ns,
                        stat.st_size,
                    )
        return stamps

    def _report(self, result: BuildResult, changed: int, seconds: float, reason: str) -> None:
        prefix = f"{reason}: " if reason else ""
        for d in result.diags:
            print(d.format(), file=self.log)
        if result.ok():
            print(f"{prefix}site built in {seconds:.2f} s, {changed} file(s) changed", file=self.log)
        else:
            print(f"{prefix}build failed: the last good site stays up at {self.url}", file=self.log)
        self.log.flush()

    # ---- running ----------------------------------------------------------------------------

    def watched(self) -> list[Path]:
        paths = [self.source]
        if self.watch_templates and (TEMPLATES / "site").is_dir():
            paths.append(TEMPLATES / "site")
        return paths

    def _watch(self) -> None:
        import watchfiles

        # step: how long to wait for more events after the first (an editor's save is one burst).
        # yield_on_timeout: an empty set every rust_timeout ms says the watcher is running.
        for changes in watchfiles.watch(
            *self.watched(),
            stop_event=self._stop,
            debounce=800,
            step=50,
            rust_timeout=200,
            yield_on_timeout=True,
        ):
            self.watching.set()
            if not changes:
                continue
            names = sorted({Path(p).name for _, p in changes})
            # Editors and sed write temporary files next to the real one: name the real ones.
            names = [n for n in names if Path(n).suffix in SOURCE_SUFFIXES] or names
            self.rebuild("changed " + ", ".join(names[:3]) + (" ..." if len(names) > 3 else ""))

    def start(self) -> None:
        """Build once, then serve and watch in background threads; returns once the watcher
        is running, so that no save made after this is missed."""
        self.rebuild()
        for target in (self.httpd.serve_forever, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.watching.wait(timeout=10)

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.start()
        print(
            f"serving {self.url} (Ctrl+C to stop); watching {', '.join(map(str, self.watched()))}",
            file=self.log,
        )
        self.log.flush()
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            print("stopped", file=self.log)
        finally:
            self.stop()

    # ---- pages ------------------------------------------------------------------------------

    def status_json(self, page: str, since: int) -> bytes:
        with self.lock:
            doc = {
                "build": self.status.build,
                "reload": self.status.needs_reload(page, since),
                "errors": self.status.errors,
            }
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")

    def decorate(self, page: str) -> str:
        """The reload script, and the error overlay while the source has errors."""
        with self.lock:
            build_id, errors = self.status.build, list(self.status.errors)
        script = f'<script src="{SCRIPT_PATH}" data-build="{build_id}" defer></script>'
        return script + (error_overlay(errors) if errors else "")

    def error_page(self) -> str:
        """What every page shows before the first good build. The author's messages are in
        English, like the diagnostics they show."""
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Build failed</title>'
            "</head><body><main><h1>Build failed</h1>"
            "<p>Fix the problems below: the page reloads by itself after the next good build.</p></main>"
            f"{self.decorate('')}</body></html>"
        )


def error_overlay(errors: list[dict[str, object]]) -> str:
    items = "".join(
        f'<li><code class="qbank-dev-where">{html.escape(str(e["where"]))}</code> '
        f"<strong>{html.escape(str(e['severity']))}:</strong> {html.escape(str(e['message']))}"
        + (
            f'<br><span class="qbank-dev-hint">hint: {html.escape(str(e["hint"]))}</span>'
            if e["hint"]
            else ""
        )
        + "</li>"
        for e in errors
    )
    return (
        '<div id="qbank-dev-error" role="alert" style="position:fixed;inset:auto 0 0 0;z-index:9999;'
        "max-height:60vh;overflow:auto;background:#2b0b0e;color:#ffe4e6;border-top:4px solid #f87171;"
        'padding:12px 16px;font:14px/1.5 ui-monospace,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4)">'
        f'<p style="margin:0 0 6px;font-weight:700">Build failed: {len(errors)} error(s). '
        "This is the last good build; the page reloads after every save.</p>"
        f'<ol style="margin:0;padding-left:1.5em">{items}</ol>'
        '<button type="button" onclick="this.parentNode.remove()" style="margin-top:8px;font:inherit">'
        "Close</button></div>"
    )


def _handler(dev: DevServer) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(dev.site_dir), **kwargs)

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")  # every reload shows the newest build
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the build messages are what the author reads

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if path == STATUS_PATH:
                query = parse_qs(parts.query)
                since = int(query.get("since", ["0"])[0] or 0)
                self._send(dev.status_json(query.get("path", ["/"])[0], since), "application/json")
                return
            if path == SCRIPT_PATH:
                self._send(RELOAD_SCRIPT.read_bytes(), "text/javascript; charset=utf-8")
                return
            page = path + "index.html" if path.endswith("/") else path
            if page.endswith(".html"):
                self._html(page)
                return
            super().do_GET()

        def _html(self, page: str) -> None:
            file = Path(self.translate_path(page))
            status = HTTPStatus.OK
            if not file.is_file():
                file, status = Path(self.translate_path("/404.html")), HTTPStatus.NOT_FOUND
            if not file.is_file():
                self._send(dev.error_page().encode("utf-8"), "text/html; charset=utf-8", HTTPStatus.NOT_FOUND)
                return
            text = file.read_text(encoding="utf-8")
            extra = dev.decorate(page)
            text = text.replace("</body>", extra + "</body>", 1) if "</body>" in text else text + extra
            self._send(text.encode("utf-8"), "text/html; charset=utf-8", status)

        def _send(self, data: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main(args: argparse.Namespace) -> int:
    flt = Filter(company=args.company, tag=args.tag, chapter=args.chapter)
    try:
        dev = DevServer(args.source, args.out, port=args.port, flt=flt)
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    dev.serve_forever()
    return 0
