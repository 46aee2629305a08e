"""Joining the documents of a sheet into one PDF, with pikepdf (qpdf).

The cheat sheet and the drill sheet are laid out one chapter at a time (see
`compiler.backends.pdf.sheets.sheet_parts`). The joined PDF keeps what a reader uses: the pages in order,
one outline of every chapter and question, the metadata and language of the first document, and
the links of the table of contents, which WeasyPrint wrote as `qbank-chapter:N` URIs (the chapter
is in another document) and which become links to that chapter's first page here. The dates are
set here, not in the documents: a chapter's document stays the same (and cached) when an edit
elsewhere moves the bank's time.

The parts are joined from files, not from memory: qpdf reads a document opened from a file as it
needs it (a page's objects when they are copied, stream data when the joined file is written),
so the joining process holds the object tree of the sheet, not every part's bytes and parsed
objects at once (a 10,000-question cheat sheet is 2,500 pages in ten parts).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from compiler.backends.pdf.render import Bookmark, RenderedPdf
from compiler.backends.pdf.sheets import CHAPTER_LINK
from compiler.timestamps import pdf_date

PX_TO_PT = 0.75


def join(parts: Sequence[RenderedPdf], chapters: Sequence[tuple[int, ...]], timestamp: int) -> bytes:
    """One PDF of `parts` in order; `chapters[i]` are the chapter numbers part i holds; created
    and modified at the content time `timestamp`."""
    with tempfile.TemporaryDirectory(prefix="qbank-pdf-join-") as tmp:
        folder = Path(tmp)
        out = pikepdf.Pdf.new()
        sources: list[pikepdf.Pdf] = []
        try:
            offsets = []
            for i, part in enumerate(parts):
                path = folder / f"part-{i}.pdf"
                path.write_bytes(part.data)
                # a copied page refers to its source's stream data until the joined file is
                # written: every source stays open (on disk, read as needed) until then
                source = pikepdf.open(path)
                sources.append(source)
                offsets.append(len(out.pages))
                # pikepdf warns that named destinations are not carried over: WeasyPrint's
                # documents have none (the outline and the chapter links are made here, below),
                # so the warning would only reach the user's terminal
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Copying pages from another Pdf")
                    out.pages.extend(source.pages)
            first = sources[0]
            out.trailer.Info = out.copy_foreign(first.trailer.Info)
            date = pikepdf.String(pdf_date(timestamp))
            out.trailer.Info.CreationDate = date
            out.trailer.Info.ModDate = date
            for name in ("/Lang", "/PageMode"):
                if name in first.Root:
                    out.Root[name] = first.Root[name]
            chapter_page = {
                n: offset for offset, held in zip(offsets, chapters, strict=True) for n in held[:1]
            }
            _point_chapter_links(out, chapter_page)
            with out.open_outline() as outline:
                for part, offset in zip(parts, offsets, strict=True):
                    outline.root.extend(_outline(out, part.bookmarks, offset))
            joined = folder / "joined.pdf"
            # The same input gives the same bytes: the file /ID is a hash of the content.
            out.save(joined, deterministic_id=True, min_version=first.pdf_version)
        finally:
            out.close()
            for source in sources:
                source.close()
        return joined.read_bytes()


def _outline(pdf: pikepdf.Pdf, marks: tuple[Bookmark, ...], offset: int) -> list[pikepdf.OutlineItem]:
    items = []
    for mark in marks:
        page = pdf.pages[offset + mark.page]
        top = float(page.mediabox[3]) - mark.top * PX_TO_PT
        item = pikepdf.OutlineItem(
            mark.label, offset + mark.page, pikepdf.PageLocation.XYZ, left=0, top=round(top, 2)
        )
        item.children.extend(_outline(pdf, mark.children, offset))
        items.append(item)
    return items


def _point_chapter_links(pdf: pikepdf.Pdf, chapter_page: dict[int, int]) -> None:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            if action is None or action.get("/S") != pikepdf.Name.URI:
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(CHAPTER_LINK):
                continue
            number = int(uri.removeprefix(CHAPTER_LINK))
            del annot["/A"]
            annot.Dest = pikepdf.Array([pdf.pages[chapter_page[number]].obj, pikepdf.Name.Fit])
