"""PDF backend: printable sheets people take to interviews (build/pdf/).

- `<stem>-cheatsheet.pdf`: every question with its answer, in columns, each question kept whole;
- `<stem>-keypoints.pdf`: every question with its key points and formulas: the night before;
- `<stem>-formulas.pdf`: every named formula, grouped by chapter, on as few pages as possible;
- `<stem>-drill.pdf`: the questions only, numbered as on the cheat sheet, with room to answer.

HTML from Jinja2 templates (templates/pdf/), typeset by WeasyPrint. Beside this file: `sheets`
(the documents and their views), `mathboxes` (formulas laid out by WeasyPrint, drawn by us),
`render` (the locked-down rendering), `fonts` (why a machine without a Chinese font gets an error
instead of a PDF) and `merge` (joining documents with pikepdf).

WeasyPrint lays out about three pages a second and holds every page of a document in memory, so
the cheat sheet and the drill sheet are one document per chapter (`sheets.sheet_parts`): the
documents are laid out in parallel processes, each rendered document is cached by its content
(an edit re-renders one chapter), and `merge` joins them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import weasyprint

from compiler.backends.base import BuildContext, MathForm
from compiler.backends.pdf.fonts import FontCheck, check_cjk_font
from compiler.backends.pdf.mathboxes import MathArt
from compiler.backends.pdf.merge import join
from compiler.backends.pdf.render import PdfRenderError, RenderedPdf, render_pdf
from compiler.backends.pdf.sheets import Part, Sheet, chapter_views, geometry, sheet_parts
from compiler.cache import key
from compiler.model import Bank
from compiler.parallel import map_in_processes
from compiler.templating import TEMPLATES
from schema.models import PdfOptions

SHEETS: tuple[Sheet, ...] = ("cheatsheet", "keypoints", "formulas", "drill")
PART_VERSION = "1"  # bump when what a part's PDF depends on changes outside its HTML and drawings
_BOX_ID = re.compile(r'\bid="(mb-[^"]+)"')


@dataclass(frozen=True)
class Job:
    """One document to render: everything a worker process needs."""

    part: Part
    arts: dict[str, MathArt]
    assets: dict[str, Path]
    roots: tuple[Path, ...]
    fonts: tuple[str, ...]  # the installed fonts (`FontCheck.families`)


class PdfBackend:
    name: ClassVar[str] = "pdf"
    description: ClassVar[str] = (
        "printable sheets: build/pdf/<stem>-{cheatsheet,keypoints,formulas,drill}.pdf"
    )

    options: ClassVar[type[PdfOptions]] = PdfOptions
    templates: ClassVar[str] = "pdf"

    def math_forms(self, options: PdfOptions) -> frozenset[MathForm]:
        return frozenset({"svg"})

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        fonts = check_cjk_font()  # before any work: no font, no PDF
        if fonts.note:
            ctx.note(fonts.note)
        options = ctx.options
        # formulas are sized for the cheat sheet's columns, the narrowest of the three sheets
        views = chapter_views(bank, ctx.cache, geometry(options, "cheatsheet"))
        assets = {name: asset.path for name, asset in bank.assets.items()}
        roots = (bank.root, TEMPLATES / "pdf")
        sheets: dict[Sheet, list[Part]] = {}
        for sheet in SHEETS:
            if sheet == "formulas" and not any(c.formulas for c in views.chapters):
                ctx.note("no named formulas in this bank: no formula sheet")
                continue
            if sheet == "keypoints" and not any(q.key_points for q in bank.questions):
                ctx.note("no key points in this bank: no key-points sheet")
                continue
            answer_key = sheet == "drill" and options.drill_answer_key
            sheets[sheet] = sheet_parts(sheet, bank, views.chapters, geometry(options, sheet), answer_key)
        jobs = [
            Job(part, {i: views.arts[i] for i in _BOX_ID.findall(part.html)}, assets, roots, fonts.families)
            for parts in sheets.values()
            for part in parts
        ]
        rendered = _render_all(jobs, ctx, _environment(fonts, assets))
        # Every sheet is rendered before any is written: a failure leaves the previous set whole.
        written = []
        questions = {f"q-{q.id}": q for q in bank.questions}
        for sheet, parts in sheets.items():
            pdfs = [rendered[id(part)] for part in parts]
            for pdf in pdfs:
                for element_id, columns in pdf.split.items():
                    ctx.warn(
                        f"{sheet}: the question is longer than a column and runs over {columns} columns",
                        question=questions.get(element_id),
                        hint="a shorter answer would keep it in one column",
                    )
                for warning in pdf.warnings:
                    ctx.note(f"{sheet}: WeasyPrint: {warning}")
            data = join(pdfs, [part.chapters for part in parts], bank.timestamp)
            written.append(ctx.write(ctx.out_dir / f"{bank.stem}-{sheet}.pdf", data))
        return written


def _environment(fonts: FontCheck, assets: Mapping[str, Path]) -> str:
    """What a rendered document depends on besides its HTML and drawings."""
    images = [
        f"{name}:{hashlib.sha256(path.read_bytes()).hexdigest()}" for name, path in sorted(assets.items())
    ]
    return key(PART_VERSION, weasyprint.__version__, *fonts.families, fonts.chosen or "", *images)


def _render_all(jobs: list[Job], ctx: BuildContext, environment: str) -> dict[int, RenderedPdf]:
    """Every job's PDF by `id(part)`: from the cache, or rendered in parallel processes."""
    done: dict[int, RenderedPdf] = {}
    keys: dict[int, str] = {}
    todo: list[Job] = []
    for job in jobs:
        arts = [f"{i}:{art.unit!r}:{art.dump()}" for i, art in sorted(job.arts.items())]
        k = keys[id(job.part)] = key(environment, job.part.html, *arts)
        data, meta = ctx.cache.get_bytes("pdf-part", k), ctx.cache.get("pdf-part-meta", k)
        if data is not None and meta is not None:
            done[id(job.part)] = RenderedPdf.load(data, meta)
        else:
            todo.append(job)
    # The largest documents first, so that the processes finish together.
    todo.sort(key=lambda job: -len(job.part.html))
    results = map_in_processes(_render, [(job,) for job in todo])
    for job, pdf in zip(todo, results, strict=True):
        done[id(job.part)] = pdf
        ctx.cache.put_bytes("pdf-part", keys[id(job.part)], pdf.data)
        ctx.cache.put("pdf-part-meta", keys[id(job.part)], pdf.meta())
    return done


def _render(job: Job) -> RenderedPdf:
    try:
        return render_pdf(job.part.html, job.assets, job.roots, job.arts, job.fonts)
    except PdfRenderError as exc:
        where = job.part.sheet + (f", {job.part.label}" if job.part.label else "")
        raise PdfRenderError(f"{where}: {exc}") from None
