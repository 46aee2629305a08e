"""PDF backend: printable sheets people take to interviews (build/pdf/).

- `<stem>-cheatsheet.pdf`: every question with its answer, in columns, each question kept whole;
- `<stem>-formulas.pdf`: every named formula, grouped by chapter, on as few pages as possible;
- `<stem>-drill.pdf`: the questions only, numbered as on the cheat sheet, with room to answer.

HTML from Jinja2 templates (templates/pdf/), typeset by WeasyPrint. See `compiler.pdf_html` for the
documents, `compiler.pdf_render` for the locked-down rendering and `compiler.pdf_fonts` for why a
machine without a Chinese font gets an error instead of a PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext
from compiler.model import Bank
from compiler.pdf_fonts import check_cjk_font
from compiler.pdf_html import SHEET_NAMES, Sheet, chapter_views, geometry, sheet_html
from compiler.pdf_render import PdfRenderError, RenderedPdf, render_pdf
from compiler.templating import TEMPLATES

SHEETS: tuple[Sheet, ...] = ("cheatsheet", "formulas", "drill")


class PdfBackend:
    name: ClassVar[str] = "pdf"
    description: ClassVar[str] = "printable sheets: build/pdf/<stem>-{cheatsheet,formulas,drill}.pdf"

    def draws_svg_math(self, bank: Bank) -> bool:
        return True

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        fonts = check_cjk_font()  # before any work: no font, no PDF
        if fonts.note:
            ctx.note(fonts.note)
        options = bank.config.outputs.pdf
        # formulas are sized for the cheat sheet's columns, the narrowest of the three sheets
        views = chapter_views(bank, ctx.cache, geometry(options, "cheatsheet"))
        assets = {name: asset.path for name, asset in bank.assets.items()}
        roots = (bank.root, TEMPLATES / "pdf")
        rendered: dict[Sheet, RenderedPdf] = {}
        for sheet in SHEETS:
            if sheet == "formulas" and not any(c.formulas for c in views.chapters):
                ctx.note("no named formulas in this bank: no formula sheet")
                continue
            html = sheet_html(sheet, bank, views.chapters, geometry(options, sheet))
            try:
                rendered[sheet] = render_pdf(html, assets, roots, views.arts)
            except PdfRenderError as exc:
                raise PdfRenderError(f"{SHEET_NAMES[sheet]} ({sheet}): {exc}") from None
        # Every sheet is rendered before any is written: a failure leaves the previous set whole.
        written = []
        refs = {f"q-{q.id}": q.ref for c in views.chapters for q in c.questions}
        for sheet, pdf in rendered.items():
            for element_id, columns in pdf.split.items():
                what = f"question {refs[element_id]}" if element_id in refs else element_id
                ctx.note(
                    f"{sheet}: {what} is longer than a column and runs over {columns} columns "
                    "(a shorter answer would keep it in one)"
                )
            for warning in pdf.warnings:
                ctx.note(f"{sheet}: WeasyPrint: {warning}")
            written.append(ctx.write(ctx.out_dir / f"{bank.stem}-{sheet}.pdf", pdf.data))
        return written
