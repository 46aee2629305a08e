"""EPUB backend: one EPUB 3 book per bank (build/epub/<stem>.epub) for phones and e-readers.

The book is assembled completely in memory (compiler.epub_book renders the pages, compiler.epub_package
packs them with ebooklib) and written in one atomic step, so a failure never leaves a truncated file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext
from compiler.epub_book import build_book
from compiler.epub_package import package
from compiler.model import Bank


class EpubBackend:
    name: ClassVar[str] = "epub"
    description: ClassVar[str] = "EPUB 3 book with navigation, index and accessible math: build/epub/*.epub"

    def draws_svg_math(self, bank: Bank) -> bool:
        return bank.config.outputs.epub.math == "svg"

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        book = build_book(bank, ctx.cache)
        data = package(book)
        path = ctx.write(ctx.out_dir / f"{bank.stem}.epub", data)
        if bank.config.outputs.epub.math == "mathml":
            ctx.note("math is MathML: Kindle and some older readers show it as plain text")
        return [path]
