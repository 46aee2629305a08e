"""A folder on a local web server, for the browser tests and the README's pictures: the site's
service worker and the EPUB engines' fetch and ES modules refuse file:// pages."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base's name
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """`root` served as any static web host would serve it, on a free port; its address, without
    a trailing slash. The server stops when the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
