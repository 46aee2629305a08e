"""Packaging a `Book` with ebooklib: the OPF (metadata, manifest, spine, guide) and the container.

ebooklib re-parses XHTML content with an HTML parser (which loses SVG and MathML namespaces and raises
on empty content), invents a random identifier and stamps `dcterms:modified` with the clock. Here every
page is handed over as finished bytes (`_Page.get_content` returns them untouched), the identifier and
the modification time come from the bank, and the archive is built in memory and re-zipped with fixed
dates: the same bank gives the same bytes, and nothing reaches the disk unless packaging succeeded.
"""

from __future__ import annotations

from typing import Any

from ebooklib import epub

from compiler.backends.epub.book import Book, Page, Resource
from compiler.cache import Cache
from compiler.output import reproducible_zip
from compiler.timestamps import ISO_DATETIME


class _Page(epub.EpubHtml):  # type: ignore[misc]
    """A content document whose bytes are final: ebooklib must not re-parse them."""

    def __init__(self, page: Page) -> None:
        super().__init__(uid=page.uid, file_name=page.file, title=page.title)
        self.media_type = "application/xhtml+xml"
        self.content = page.content
        self.properties = list(page.properties)
        self.is_linear = page.linear

    def get_content(self, default: Any = None) -> bytes:
        return bytes(self.content)


class _Nav(epub.EpubNav):  # type: ignore[misc]
    def __init__(self, page: Page) -> None:
        super().__init__(uid=page.uid, file_name=page.file, title=page.title)
        self.content = page.content
        self.properties = list(page.properties)

    def get_content(self, default: Any = None) -> bytes:
        return bytes(self.content)


class _Writer(epub.EpubWriter):  # type: ignore[misc]
    """ebooklib's writer with our own navigation document and NCX (rendered from templates)."""

    def _get_nav(self, item: _Nav) -> bytes:
        return item.get_content()

    def _get_ncx(self) -> bytes:
        return bytes(self.book.get_item_with_id("ncx").content)

    def write(self) -> None:
        """The archive's entries by name instead of a zip: `reproducible_zip` packs them once (a
        large book is hundreds of megabytes; zipping it twice cost time and a copy in memory)."""
        self.out = _Entries()
        self.out.writestr("mimetype", "application/epub+zip")
        self._write_container()
        self._write_opf()
        self._write_items()


class _Entries(dict[str, bytes]):
    """What ebooklib's writer needs of a zip file: `writestr`."""

    def writestr(self, name: str, data: str | bytes, compress_type: int | None = None) -> None:
        self[name] = data.encode("utf-8") if isinstance(data, str) else bytes(data)


def package(book: Book, cache: Cache | None = None) -> bytes:
    """The EPUB file's bytes; `cache` keeps compressed pages for the next build."""
    ebook = epub.EpubBook()
    ebook.FOLDER_NAME = "EPUB"
    ebook.set_identifier(book.identifier)
    ebook.set_title(book.title)
    ebook.set_language(book.language)
    ebook.add_author(book.author)
    if book.description:
        ebook.add_metadata("DC", "description", book.description)
    ebook.add_metadata("DC", "date", book.modified.strftime(ISO_DATETIME))
    for prop, value in book.accessibility:
        ebook.add_metadata(None, "meta", value, {"property": prop})
    # EPUB 2 readers find the cover image through this meta; EPUB 3 ones through `cover-image`.
    ebook.add_metadata(None, "meta", "", {"name": "cover", "content": book.cover.uid})

    cover = epub.EpubCover(uid=book.cover.uid, file_name=book.cover.file)
    cover.media_type = book.cover.media_type
    cover.content = book.cover.data
    ebook.add_item(cover)
    for resource in book.resources:
        ebook.add_item(_resource(resource))
    spine: list[Any] = []
    for page in book.spine:
        item = _Nav(page) if page is book.nav else _Page(page)
        ebook.add_item(item)
        spine.append(item)
    ncx = epub.EpubNcx()
    ncx.content = book.ncx
    ebook.add_item(ncx)
    ebook.spine = spine
    ebook.guide = [{"type": kind, "title": title, "href": href} for kind, title, href in book.guide]

    writer = _Writer(
        None,  # no file: `write` collects the entries
        ebook,
        {"mtime": book.modified, "epub3_landmark": False, "epub3_pages": False, "raise_exceptions": True},
    )
    writer.process()
    writer.write()
    return reproducible_zip(writer.out, first="mimetype", stored=("mimetype",), cache=cache)


def _resource(resource: Resource) -> epub.EpubItem:
    cls = epub.EpubImage if resource.media_type.startswith("image/") else epub.EpubItem
    item = cls(uid=resource.uid, file_name=resource.file, media_type=resource.media_type)
    item.content = resource.data
    return item
