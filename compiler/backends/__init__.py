"""The registry of backends. A new backend is a module here and one line in `BACKENDS`."""

from __future__ import annotations

from compiler.backends.anki import AnkiBackend
from compiler.backends.api import ApiBackend
from compiler.backends.base import Backend, BuildContext
from compiler.backends.epub import EpubBackend
from compiler.backends.pdf import PdfBackend

BACKENDS: dict[str, type[Backend]] = {
    backend.name: backend for backend in (ApiBackend, AnkiBackend, PdfBackend, EpubBackend)
}

__all__ = ["BACKENDS", "Backend", "BuildContext"]
