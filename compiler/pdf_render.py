"""HTML -> PDF with WeasyPrint, locked down and checked.

- Resources: WeasyPrint may read only the bank's images (by asset name, through the `asset:`
  scheme, so the PDF does not depend on where the repository lives) and files inside the bank or
  templates folders; any other URL (http, https, data, a file elsewhere) fails the build.
- Log: every record of the 'weasyprint' logger is captured while rendering; a `.notdef` glyph
  (text no installed font can draw) or a resource error fails the build instead of leaving a PDF
  with empty boxes or missing figures.
- Layout: questions are `break-inside: avoid` boxes; the layout is inspected afterwards to name
  any question that was still split (one taller than a whole column).
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from compiler.pdf_fonts import INSTALL_HINT

ASSET_SCHEME = "asset"
NOTDEF = ".notdef glyph rendered"
SPLIT_CHECK_CLASS = "keep"  # boxes that must stay in one column


class PdfRenderError(Exception):
    """The PDF cannot be made correctly: the message says what to fix."""


class RefusedResource(Exception):
    """A URL the sheet may not fetch."""


class LocalFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """Serves `asset:<name>` from the bank's assets and `file:` URLs inside `roots`; refuses the rest."""

    def __init__(self, assets: Mapping[str, Path], roots: tuple[Path, ...]) -> None:
        # fail_on_errors: a refused or missing resource stops the build instead of a warning
        super().__init__(fail_on_errors=True, allow_redirects=False)
        self.assets = dict(assets)
        self.roots = tuple(r.resolve() for r in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = self._local_path(url)
        except RefusedResource as exc:
            self.refused.append(str(exc))
            raise
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, path.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
        )

    def _local_path(self, url: str) -> Path:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == ASSET_SCHEME:
            name = unquote(parts.path)
            if name not in self.assets:
                raise RefusedResource(f"'{name}' is not an image of this bank")
            return self.assets[name]
        if scheme != "file":
            raise RefusedResource(f"{url[:80]}: only local files may be embedded in the PDF")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise RefusedResource(f"{path}: outside the bank and templates folders")
        if not path.is_file():
            raise RefusedResource(f"{path}: no such file")
        return path


@dataclass
class RenderLog:
    records: list[logging.LogRecord] = field(default_factory=list)

    def messages(self, level: int) -> list[str]:
        return sorted({r.getMessage() for r in self.records if r.levelno >= level})


class _Collect(logging.Handler):
    def __init__(self, log: RenderLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.records.append(record)


@contextmanager
def captured_weasyprint_log() -> Iterator[RenderLog]:
    """Collects WeasyPrint's warnings instead of printing them, whatever the root logger's level."""
    logger = logging.getLogger("weasyprint")
    log = RenderLog()
    handler = _Collect(log)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield log
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    split: tuple[str, ...]  # ids of `.keep` boxes the layout had to split
    warnings: tuple[str, ...]  # WeasyPrint warnings that do not make the PDF wrong


def render_pdf(html: str, assets: Mapping[str, Path], roots: tuple[Path, ...]) -> RenderedPdf:
    """The PDF of `html`, or `PdfRenderError` when WeasyPrint could not make it right."""
    fetcher = LocalFetcher(assets, roots)
    base_url = roots[0].resolve().as_uri() + "/"
    with captured_weasyprint_log() as log:
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
            # pdf_identifier=True: an /ID derived from the content, so equal input, equal bytes
            data = document.write_pdf(pdf_identifier=True)
        except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint
            refused = "; ".join(fetcher.refused) or str(exc.__cause__ or exc)
            raise PdfRenderError(f"a resource could not be embedded: {refused}") from None
    _raise_for(log)
    return RenderedPdf(
        data=bytes(data),
        pages=len(document.pages),
        split=tuple(split_boxes(document)),
        warnings=tuple(log.messages(logging.WARNING)),
    )


def _raise_for(log: RenderLog) -> None:
    notdef = [m for m in log.messages(logging.WARNING) if NOTDEF in m]
    if notdef:
        raise PdfRenderError(
            "some text has no font that can draw it and would print as empty boxes "
            f"({notdef[0]}): {INSTALL_HINT}"
        )
    errors = log.messages(logging.ERROR)
    if errors:
        raise PdfRenderError("WeasyPrint could not render the sheet: " + "; ".join(errors))


def split_boxes(document: Any) -> list[str]:
    """Ids of elements with class `keep` that were laid out in more than one fragment, in order.

    A fragment is a box of the element whose parent box belongs to another element: a box split
    over two columns or pages has two of them.
    """
    fragments: dict[str, int] = {}
    for page in document.pages:
        _count_fragments(page._page_box, None, fragments)
    return [element_id for element_id, count in fragments.items() if count > 1]


def _count_fragments(box: Any, parent_element: Any, fragments: dict[str, int]) -> None:
    element = getattr(box, "element", None)
    if element is not None and element is not parent_element:
        classes = (element.get("class") or "").split()
        if SPLIT_CHECK_CLASS in classes and element.get("id"):
            fragments[element.get("id")] = fragments.get(element.get("id"), 0) + 1
    for child in getattr(box, "children", ()):
        if hasattr(child, "children") or hasattr(child, "element"):
            _count_fragments(child, element, fragments)
