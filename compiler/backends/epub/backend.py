"""EPUB backend: one EPUB 3 book per bank (build/epub/<stem>.epub) for phones and e-readers.

The book is assembled completely in memory (`book` renders the pages, `xhtml` turns rendered
fragments into XHTML, `package` packs them with ebooklib) and written in one atomic step, so a
failure never leaves a truncated file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext, MathForm
from compiler.backends.epub.book import build_book
from compiler.backends.epub.package import package
from compiler.backends.epub.xhtml import EPUB_SVG
from compiler.math.svg import SvgConversion
from compiler.model import Bank
from schema.models import EpubOptions


class EpubBackend:
    name: ClassVar[str] = "epub"
    description: ClassVar[str] = "EPUB 3 book with navigation, index and accessible math: build/epub/*.epub"

    options: ClassVar[type[EpubOptions]] = EpubOptions
    templates: ClassVar[str] = "epub"

    def math_forms(self, options: EpubOptions) -> frozenset[MathForm]:
        return frozenset({options.math})

    def svg_conversions(self, options: EpubOptions) -> tuple[SvgConversion, ...]:
        """What the book makes of each formula's SVG: made by the typesetting processes."""
        return (EPUB_SVG,) if options.math == "svg" else ()

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        book = build_book(bank, ctx.options, ctx.cache, ctx.code)
        data = package(book, ctx.cache)
        path = ctx.write(ctx.out_dir / f"{bank.stem}.epub", data)
        if ctx.options.math == "mathml":
            ctx.note("math is MathML: Kindle and some older readers show it as plain text")
        return [path]
