"""Static HTML site backend: build/site/ (a filtered bank: build/site/<variant>/).

A home page with chapters and counts, one page per question at q/<id>.html (its id, so the URL
never changes when the file is renamed or renumbered), chapter, company and tag pages, search as
you type over a prebuilt index, and a practice mode. Works offline from any static server.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext
from compiler.model import Bank
from compiler.site_pages import SiteBuilder, site_root


class SiteBackend:
    name: ClassVar[str] = "site"
    description: ClassVar[str] = "static HTML site with search and practice: build/site/index.html"

    def draws_svg_math(self, bank: Bank) -> bool:
        return True

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        root = site_root(ctx.out_dir, bank.variant)
        files = SiteBuilder(bank, ctx.cache).build()
        return [ctx.write(root / rel, data) for rel, data in files.items()]
