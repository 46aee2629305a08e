#!/usr/bin/env python3
"""Render the first pages of the PDF cheat sheet to PNG for the README: docs/images/cheatsheet-page-N.png.

    python3 tools/pdf_previews.py                 # build the PDF sheets of source/ afresh, then render
    python3 tools/pdf_previews.py --pdf FILE.pdf  # render an existing cheat sheet

Building afresh (into a temporary folder, never build/) means the images always show the current
bank. The rendering is poppler's `pdftoppm` (Debian: poppler-utils).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from compiler.build import build  # noqa: E402
from compiler.vocabulary import vocabulary  # noqa: E402

OUT_DIR = ROOT / "docs" / "images"
PAGES = 3
DPI = 100  # an A4 page is 827 x 1169 px: readable on GitHub, about 250 KB


def build_cheatsheet(source: Path, out: Path) -> Path:
    """The cheat sheet of `source`, built into `out`; exits with the build's messages on failure."""
    result = build(source, out, only=["pdf"])
    if not result.ok():
        sys.exit("\n".join(d.format() for d in result.diags) or "the PDF build failed")
    sheets = [p for p in result.written.get("pdf", []) if p.name.endswith("-cheatsheet.pdf")]
    if len(sheets) != 1:
        sys.exit(f"expected one cheat sheet, the build wrote {sheets}")
    return sheets[0]


def render_diagram_page(drill: Path, out_dir: Path, heading: str, dpi: int = 80) -> Path | None:
    """The drill sheet's first "label the diagram" page (found by its heading) as
    docs/images/drill-diagram.png; None when the sheet has none."""
    text = subprocess.run(["pdftotext", str(drill), "-"], capture_output=True, text=True, check=True).stdout
    page = next((n for n, body in enumerate(text.split("\f"), start=1) if heading in body), None)
    if page is None:
        return None
    target = out_dir / "drill-diagram"
    command = ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
    subprocess.run([*command, str(drill), str(target)], check=True)
    return target.with_suffix(".png")


def render_pages(pdf: Path, out_dir: Path, pages: int = PAGES, dpi: int = DPI) -> list[Path]:
    """PNG files of the first `pages` pages (fewer when the PDF is shorter)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        sys.exit("pdftoppm not found: install poppler-utils (Debian/Ubuntu) or poppler (Homebrew)")
    out_dir.mkdir(parents=True, exist_ok=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
    count = next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), pages)
    written = []
    for n in range(1, min(pages, count) + 1):
        target = out_dir / f"cheatsheet-page-{n}"
        command = [exe, "-png", "-r", str(dpi), "-f", str(n), "-l", str(n), "-singlefile"]
        subprocess.run([*command, str(pdf), str(target)], check=True)
        written.append(target.with_suffix(".png"))
    for stale in sorted(out_dir.glob("cheatsheet-page-*.png")):
        if stale not in written:
            stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pdf", type=Path, help="an existing cheat sheet (default: build source/ afresh)")
    parser.add_argument("--source", type=Path, default=ROOT / "source", help="the bank to build")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the PNG files go")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pdf-previews-") as tmp:
        pdf = args.pdf or build_cheatsheet(args.source, Path(tmp))
        written = render_pages(pdf, args.out)
        drill = pdf.with_name(pdf.name.replace("-cheatsheet.pdf", "-drill.pdf"))
        if drill.is_file():
            found = render_diagram_page(drill, args.out, vocabulary("zh-CN")["pdf.label_diagram"])
            written += [found] if found else []
        for path in written:
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
