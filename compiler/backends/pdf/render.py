"""HTML -> PDF with WeasyPrint, locked down and checked.

- Resources: WeasyPrint may read only the bank's images (by asset name, through the `asset:`
  scheme, so the PDF does not depend on where the repository lives) and files inside the bank or
  templates folders; any other URL (http, https, data, a file elsewhere) fails the build.
- Log: every record of the 'weasyprint' logger is captured while rendering; a `.notdef` glyph
  (text no installed font can draw) or a resource error fails the build instead of leaving a PDF
  with empty boxes or missing figures.
- Layout: questions are `break-inside: avoid` boxes; the layout is inspected afterwards to name
  any question that was still split (one taller than a whole column) and to find where each
  formula box landed.
- Columns: laid out once per page instead of twice (see `compiler.backends.pdf.columns`).
- Math: formulas are drawn into those boxes as PDF paths after layout (see `compiler.backends.pdf.mathboxes`).
- Written for WeasyPrint 70 (its `URLFetcher` class API, and the finisher of `write_pdf`).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from compiler.backends.pdf.columns import fast_columns
from compiler.backends.pdf.fonts import INSTALL_HINT
from compiler.backends.pdf.mathboxes import MATH_CLASS, MathArt

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
class Bookmark:
    label: str
    page: int  # 0-based, within its document
    top: float  # CSS px from the top of the page
    children: tuple[Bookmark, ...]


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    split: dict[str, int]  # `.keep` boxes the layout had to split: id -> columns it runs over
    warnings: tuple[str, ...]  # WeasyPrint warnings that do not make the PDF wrong
    bookmarks: tuple[Bookmark, ...] = ()  # the headings, for the outline of a joined PDF

    def meta(self) -> str:
        """Everything but the bytes, as JSON (for the cache)."""
        return json.dumps(
            {
                "pages": self.pages,
                "split": self.split,
                "warnings": self.warnings,
                "bookmarks": _dump(self.bookmarks),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def load(cls, data: bytes, meta: str) -> RenderedPdf:
        m = json.loads(meta)
        return cls(data, int(m["pages"]), dict(m["split"]), tuple(m["warnings"]), _load(m["bookmarks"]))


def _dump(marks: tuple[Bookmark, ...]) -> list[Any]:
    return [[b.label, b.page, b.top, _dump(b.children)] for b in marks]


def _load(items: list[Any]) -> tuple[Bookmark, ...]:
    return tuple(
        Bookmark(str(label), int(page), float(top), _load(children)) for label, page, top, children in items
    )


def _bookmarks(document: Any) -> tuple[Bookmark, ...]:
    """WeasyPrint's outline: (label, (page, x, y), children, state) for every heading."""

    def convert(nodes: list[Any]) -> tuple[Bookmark, ...]:
        return tuple(
            Bookmark(label, target[0], round(target[2], 2), convert(children))
            for label, target, children, _ in nodes
        )

    return convert(document.make_bookmark_tree())


@dataclass(frozen=True)
class Placement:
    """Where layout put a formula box: CSS px from the page's top-left corner."""

    element_id: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class Layout:
    fragments: dict[str, int] = field(default_factory=dict)  # `.keep` id -> boxes it was laid out in
    math: list[list[Placement]] = field(default_factory=list)  # per page


_FONT_CONFIGURATIONS: dict[tuple[int, tuple[str, ...]], FontConfiguration] = {}


def font_configuration(fonts: tuple[str, ...]) -> FontConfiguration:
    """One WeasyPrint font configuration for every document a process lays out while `fonts`
    (the installed fonts, `FontCheck.families`) stay the same.

    WeasyPrint makes a new one per document by default: every document then loads its fonts
    again and shapes its text with cold caches (Pango's, HarfBuzz's). Sharing it gives the same
    PDFs for 6 % less CPU (the sheets have no @font-face, which would add its font to the
    configuration for the documents after). Per process: a forked worker makes its own instead
    of using its parent's fontconfig and Pango objects; per set of fonts: a long-running process
    (`serve`) sees a font installed after it started."""
    key = (os.getpid(), fonts)
    if key not in _FONT_CONFIGURATIONS:
        _FONT_CONFIGURATIONS.clear()
        _FONT_CONFIGURATIONS[key] = FontConfiguration()
    return _FONT_CONFIGURATIONS[key]


def layout_document(html: str, fetcher: LocalFetcher, base: Path, fonts: tuple[str, ...] = ()) -> Any:
    """WeasyPrint's laid-out document (a `weasyprint.Document`)."""
    base_url = base.resolve().as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    with fast_columns():  # the same layout, without a pass of it that is thrown away
        return document.render(font_config=font_configuration(fonts))


def render_pdf(
    html: str,
    assets: Mapping[str, Path],
    roots: tuple[Path, ...],
    arts: Mapping[str, MathArt],
    fonts: tuple[str, ...] = (),
) -> RenderedPdf:
    """The PDF of `html` with every formula box drawn, or `PdfRenderError` when WeasyPrint could
    not make it right; `fonts`: the installed fonts (see `font_configuration`)."""
    fetcher = LocalFetcher(assets, roots)
    with captured_weasyprint_log() as log:
        try:
            document = layout_document(html, fetcher, roots[0], fonts)
            layout = inspect_layout(document)
            missing = sorted({p.element_id for page in layout.math for p in page} - set(arts))
            if missing:
                raise PdfRenderError(f"formula boxes without a drawing: {', '.join(missing[:5])}")
            # No /ID (WeasyPrint's default; optional in PDF 1.7): nothing random, and pydyf would
            # compress every stream a second time just to hash the file for it.
            data = document.write_pdf(finisher=lambda _doc, pdf: draw_math(pdf, layout.math, arts))
        except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint
            refused = "; ".join(fetcher.refused) or str(exc.__cause__ or exc)
            raise PdfRenderError(f"a resource could not be embedded: {refused}") from None
    _raise_for(log, fetcher.refused)
    return RenderedPdf(
        data=bytes(data),
        pages=len(document.pages),
        split={k: count for k, count in layout.fragments.items() if count > 1},
        warnings=tuple(log.messages(logging.WARNING)),
        bookmarks=_bookmarks(document),
    )


def _raise_for(log: RenderLog, refused: list[str]) -> None:
    notdef = [m for m in log.messages(logging.WARNING) if NOTDEF in m]
    if notdef:
        raise PdfRenderError(
            "some text has no font that can draw it and would print as empty boxes "
            f"({notdef[0]}). Install a font that has these characters, or remove them; for "
            f"Chinese, {INSTALL_HINT}"
        )
    errors = log.messages(logging.ERROR)
    if refused or errors:
        raise PdfRenderError("WeasyPrint could not render the sheet: " + "; ".join([*refused, *errors]))


def inspect_layout(document: Any) -> Layout:
    """What the layout did with the boxes we care about.

    Uses the page box trees (`Page._page_box`: WeasyPrint's layout result, not a public API, stable
    since WeasyPrint 0.x). A fragment is a box of an element whose parent box belongs to another
    element: a box split over two columns or pages has two of them."""
    layout = Layout()
    for page in document.pages:
        placements: list[Placement] = []
        _walk(page._page_box, None, layout.fragments, placements)
        layout.math.append(placements)
    return layout


def _walk(box: Any, parent_element: Any, fragments: dict[str, int], math: list[Placement]) -> None:
    element = getattr(box, "element", None)
    if element is not None and element is not parent_element:
        classes = (element.get("class") or "").split()
        element_id = element.get("id")
        if SPLIT_CHECK_CLASS in classes and element_id:
            fragments[element_id] = fragments.get(element_id, 0) + 1
        if MATH_CLASS in classes and element_id:
            math.append(
                Placement(element_id, box.content_box_x(), box.content_box_y(), box.width, box.height)
            )
    for child in getattr(box, "children", ()):
        _walk(child, element, fragments, math)


def draw_math(pdf: Any, pages: list[list[Placement]], arts: Mapping[str, MathArt]) -> None:
    """Append the formulas to each page's content (a WeasyPrint finisher).

    The page's own content is wrapped in q ... Q so that whatever state it leaves, the formulas
    start from the default one: PDF points, y up. They are drawn last, above the formula boxes'
    backgrounds, scaled uniformly into the box layout gave them.

    (Storing each distinct glyph once as a Form XObject was tried: 2.9 times fewer path bytes, but
    the PDF shrank by 6 % only, because zlib already finds the repetition within a page.)"""
    for reference, placements in zip(pdf.page_references, pages, strict=True):
        if not placements:
            continue
        page = pdf.objects[int(reference.split()[0])]
        top = float(page["MediaBox"][3])  # page height in points
        ops = [f"Q q 0.75 0 0 -0.75 0 {top:.3f} cm"]  # CSS px, y down, from the top-left corner
        for p in placements:
            art = arts[p.element_id]
            scale = min(p.width / art.width, p.height / art.height) if art.width and art.height else 1.0
            tx = p.x - art.x * scale
            ty = p.y + (p.height - art.height * scale) / 2 - art.y * scale
            ops.append(f"q {scale:.5f} 0 0 {scale:.5f} {tx:.3f} {ty:.3f} cm {art.ops} Q")
        ops.append("Q")
        before = pydyf.Stream([b"q"])
        # zlib level 6: a third of the time of pydyf's level 9 for 1 % more bytes
        after = pydyf.Stream([zlib.compress("\n".join(ops).encode("ascii"), 6)], {"Filter": "/FlateDecode"})
        pdf.add_object(before)
        pdf.add_object(after)
        page["Contents"] = pydyf.Array([before.reference, page["Contents"], after.reference])
