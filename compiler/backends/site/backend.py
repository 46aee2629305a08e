"""Static HTML site backend: build/site/ (a targeted bank: build/site-<variant>/).

A home page with chapters and counts, one page per question at q/<id>.html (its id, so the URL
never changes when the file is renamed or renumbered), chapter, company and tag pages, search as
you type over a prebuilt index, and a practice mode. Works from any static server and from a
folder opened in a browser (file://); over http(s) it installs as a web app that works offline
(`offline.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext, MathForm
from compiler.backends.site.pages import SiteBuilder
from compiler.model import Bank
from schema.models import SiteOptions


class SiteBackend:
    name: ClassVar[str] = "site"
    description: ClassVar[str] = "static HTML site with search and practice: build/site/index.html"

    options: ClassVar[type[SiteOptions]] = SiteOptions
    templates: ClassVar[str] = "site"

    def math_forms(self, options: SiteOptions) -> frozenset[MathForm]:
        return frozenset({"svg"})

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        root = ctx.out_dir
        files = SiteBuilder(bank, ctx.cache, ctx.options, ctx.code).build()
        return [ctx.write(root / rel, data) for rel, data in files.items()]
