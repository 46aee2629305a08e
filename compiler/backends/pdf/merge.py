"""Joining the documents of a sheet into one PDF, with pikepdf (qpdf).

The cheat sheet and the drill sheet are laid out one chapter at a time (see
`compiler.backends.pdf.sheets.sheet_parts`). The joined PDF keeps what a reader uses: the pages in order,
one outline of every chapter and question, the metadata and language of the first document, and
the links of the table of contents, which WeasyPrint wrote as `qbank-chapter:N` URIs (the chapter
is in another document) and which become links to that chapter's first page here. The dates are
set here, not in the documents: a chapter's document stays the same (and cached) when an edit
elsewhere moves the bank's time.

qpdf holds a copy of every page's objects until the joined file is written: joining a
2,500-page sheet (10,000 questions) takes gigabytes. So the parts are written to files and a
large sheet is joined in a process of its own (`python -m compiler.backends.pdf.merge FOLDER`),
which starts small instead of forked from the build with the whole bank, and gives the memory
back when it ends; a small sheet is joined in the build's process (no start-up to pay). Both
run `join_folder` on the same files: the same bytes either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf

from compiler.timestamps import pdf_date

if TYPE_CHECKING:
    from compiler.backends.pdf.render import Bookmark, RenderedPdf

PX_TO_PT = 0.75
IN_PROCESS_BYTES = 32 * 2**20  # parts up to this size together are joined in the build's process
JOB = "job.json"
JOINED = "joined.pdf"
_PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # where `compiler` is importable from


def join(
    parts: Sequence[RenderedPdf],
    chapters: Sequence[tuple[int, ...]],
    timestamp: int,
    in_process_bytes: int = IN_PROCESS_BYTES,
) -> bytes:
    """One PDF of `parts` in order; `chapters[i]` are the chapter numbers part i holds; created
    and modified at the content time `timestamp`."""
    from compiler.backends.pdf.sheets import CHAPTER_LINK  # not in the joining process

    with tempfile.TemporaryDirectory(prefix="qbank-pdf-join-") as tmp:
        folder = Path(tmp)
        for i, part in enumerate(parts):
            (folder / f"part-{i}.pdf").write_bytes(part.data)
        job = {
            "parts": len(parts),
            "chapters": [list(held) for held in chapters],
            "bookmarks": [_marks(part.bookmarks) for part in parts],
            "timestamp": timestamp,
            "chapter_link": CHAPTER_LINK,
        }
        (folder / JOB).write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        if sum(len(part.data) for part in parts) <= in_process_bytes:
            join_folder(folder)
        else:
            _join_in_a_process(folder)
        return (folder / JOINED).read_bytes()


def _join_in_a_process(folder: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "compiler.backends.pdf.merge", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"joining the PDF failed: {done.stderr.strip()[-2000:]}")


def _marks(marks: tuple[Bookmark, ...]) -> list[Any]:
    return [[m.label, m.page, m.top, _marks(m.children)] for m in marks]


def join_folder(folder: Path) -> None:
    """`folder`/joined.pdf from the parts and the job `join` wrote there."""
    job = json.loads((folder / JOB).read_text(encoding="utf-8"))
    out = pikepdf.Pdf.new()
    sources: list[pikepdf.Pdf] = []
    try:
        offsets = []
        for i in range(job["parts"]):
            # a copied page refers to its source's stream data until the joined file is
            # written: every source stays open (on disk, read as needed) until then
            source = pikepdf.open(folder / f"part-{i}.pdf")
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
        date = pikepdf.String(pdf_date(job["timestamp"]))
        out.trailer.Info.CreationDate = date
        out.trailer.Info.ModDate = date
        for name in ("/Lang", "/PageMode"):
            if name in first.Root:
                out.Root[name] = first.Root[name]
        chapter_page = {
            n: offset for offset, held in zip(offsets, job["chapters"], strict=True) for n in held[:1]
        }
        _point_chapter_links(out, chapter_page, job["chapter_link"])
        with out.open_outline() as outline:
            for marks, offset in zip(job["bookmarks"], offsets, strict=True):
                outline.root.extend(_outline(out, marks, offset))
        # The same input gives the same bytes: the file /ID is a hash of the content.
        out.save(folder / JOINED, deterministic_id=True, min_version=first.pdf_version)
    finally:
        out.close()
        for source in sources:
            source.close()


def _outline(pdf: pikepdf.Pdf, marks: list[Any], offset: int) -> list[pikepdf.OutlineItem]:
    items = []
    for label, page_number, mark_top, children in marks:
        page = pdf.pages[offset + page_number]
        top = float(page.mediabox[3]) - mark_top * PX_TO_PT
        item = pikepdf.OutlineItem(
            label, offset + page_number, pikepdf.PageLocation.XYZ, left=0, top=round(top, 2)
        )
        item.children.extend(_outline(pdf, children, offset))
        items.append(item)
    return items


def _point_chapter_links(pdf: pikepdf.Pdf, chapter_page: dict[int, int], chapter_link: str) -> None:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            if action is None or action.get("/S") != pikepdf.Name.URI:
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(chapter_link):
                continue
            number = int(uri.removeprefix(chapter_link))
            del annot["/A"]
            annot.Dest = pikepdf.Array([pdf.pages[chapter_page[number]].obj, pikepdf.Name.Fit])


if __name__ == "__main__":
    join_folder(Path(sys.argv[1]))
