"""The PDF backend: complete, correct sheets with real fonts, locked-down resources, reproducible.

Text is read back with pypdf, fonts with poppler's `pdffonts`, layout from WeasyPrint's own box tree.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
import weasyprint
import yaml

from compiler.backends.pdf import merge
from compiler.backends.pdf.fonts import check_cjk_font
from compiler.backends.pdf.mathboxes import UnsupportedSvg, break_tex, svg_art
from compiler.backends.pdf.render import (
    LocalFetcher,
    RefusedResource,
    RenderedPdf,
    font_configuration,
    layout_document,
)
from compiler.backends.pdf.sheets import chapter_views, geometry, sheet_html
from compiler.build import BuildResult, build
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter
from compiler.loader import load_bank
from compiler.math.forms import MATH_SPAN
from compiler.model import Bank
from compiler.render import render_bank
from compiler.templating import TEMPLATES
from tests.conftest import (
    FIXTURE_BANK,
    REAL_BANK,
    committed_bank,
    copy_bank,
    load_real_bank,
    run_build,
    run_build_at_fixed_time,
)

SHEETS = ("cheatsheet", "keypoints", "formulas", "drill")
RAW_TEX = ("\\frac", "\\theta", "\\sum", "\\(", "\\[", "$")


# ---- helpers ----------------------------------------------------------------------------


def compact(text: str) -> str:
    """Text without any whitespace: titles wrap, and extraction spaces CJK unpredictably."""
    return "".join(text.split())


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def plain(fragment: str) -> str:
    """The text a reader sees of an HTML fragment, math left out (it is drawn, not text)."""
    return html.unescape(re.sub(r"<[^>]+>", "", MATH_SPAN.sub("", fragment)))


def rendered_bank(source: Path, cache: Cache | None = None) -> Bank:
    diags = Diagnostics()
    bank = load_bank(source, diags)
    assert bank is not None and not diags.errors
    return render_bank(bank, diags, cache or Cache(None))


def warm(out: Path, built: Path) -> Path:
    """`out` with the cache of an earlier build (typeset math, rendered HTML): tests stay quick,
    and the cache is keyed by content, so it cannot make a build wrong."""
    shutil.copytree(built / ".cache", out / ".cache")
    return out


def assert_in_order(needles: list[str], haystack: str) -> None:
    at = 0
    for needle in needles:
        found = haystack.find(needle, at)
        assert found >= 0, f"{needle!r} missing (or out of order) after offset {at}"
        at = found + len(needle)


def pdffonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf-fixture")
    run_build_at_fixed_time(FIXTURE_BANK, out, only=["pdf"])
    return out / "pdf"


@pytest.fixture
def warm_out(fixture_build: Path, tmp_path: Path) -> Path:
    """An output folder for a fixture-bank build that starts with a warm cache."""
    return warm(tmp_path / "out", fixture_build.parent)


def sheets_of(folder: Path, stem: str) -> dict[str, Path]:
    return {sheet: folder / f"{stem}-{sheet}.pdf" for sheet in SHEETS}


# ---- content: every question, every formula, no answers on the drill, no raw TeX ---------


def check_content(bank: Bank, files: dict[str, Path]) -> None:
    cheat = compact(pdf_text(files["cheatsheet"]))
    drill = compact(pdf_text(files["drill"]))
    formulas = compact(pdf_text(files["formulas"]))
    titles = [compact(plain(q.html.title_html)) for q in bank.questions]
    assert_in_order(titles, cheat)
    assert_in_order(titles, drill)
    # what the drill sheet may show: titles, tags, companies, chapter titles
    shown = compact(
        " ".join(plain(q.html.title_html) + " ".join(q.tags) for q in bank.questions)
        + " ".join(c.name for c in bank.companies)
        + " ".join(c.title for c in bank.chapters)
    )
    for q in bank.questions:
        # the longest run of answer text between punctuation that the drill sheet has no reason to show
        runs = re.split(r"[，。：；、（）()\s]+", plain(q.html.answer_html))
        run = max((compact(r) for r in runs if compact(r) not in shown), key=len)
        assert len(run) >= 4, q.id
        assert run in cheat, f"{q.id}: answer text {run!r} missing from the cheat sheet"
        assert run not in drill, f"{q.id}: the drill sheet shows answer text {run!r}"
    names = [compact(f.name) for q in bank.questions for f in q.formulas]
    assert_in_order(names, formulas)
    for sheet, path in files.items():
        text = pdf_text(path)
        leaked = [t for t in RAW_TEX if t in text]
        assert not leaked, f"{sheet}: raw TeX {leaked} in the text"


def test_fixture_sheets_are_complete(fixture_build: Path) -> None:
    check_content(rendered_bank(FIXTURE_BANK), sheets_of(fixture_build, "test-bank"))


def test_real_bank_sheets_are_complete(real_bank_build: Path) -> None:
    bank = rendered_bank(REAL_BANK, Cache(real_bank_build / ".cache"))
    check_content(bank, sheets_of(real_bank_build / "pdf", "cv-interview"))


def test_drill_numbers_match_the_cheat_sheet(fixture_build: Path) -> None:
    drill = compact(pdf_text(fixture_build / "test-bank-drill.pdf"))
    assert_in_order(["1.1介绍一下softmax", "1.2什么是查准率和查全率？", "2.1写出SGD的伪代码"], drill)


# ---- fonts, metadata, reproducibility -----------------------------------------------------


@pytest.mark.parametrize("sheet", SHEETS)
def test_fonts_are_embedded_subsets_with_a_cjk_font(fixture_build: Path, sheet: str) -> None:
    rows = pdffonts(fixture_build / f"test-bank-{sheet}.pdf")
    assert rows
    for row in rows:
        emb, sub = row[-5], row[-4]  # name type... encoding emb sub uni object-id generation
        assert (emb, sub) == ("yes", "yes"), row
        assert re.match(r"^[A-Z]{6}\+", row[0]), f"not a subset: {row[0]}"
    assert any("CJK-SC" in row[0] for row in rows)


def test_the_key_points_sheet_lists_every_point_with_its_part_to_recall_in_bold(
    fixture_build: Path,
) -> None:
    path = fixture_build / "test-bank-keypoints.pdf"
    text = compact(pdf_text(path))
    for point in ("softmax把任意实数向量映射为概率分布", "查全率是所有正样本中被找出来的比例"):
        assert point in text
    assert "1.1介绍一下softmax" in text and "2.1写出SGD的伪代码" in text  # numbered as everywhere
    assert "3题·" in text and "6个要点" in text  # the counts in the title block
    fonts = [row[0] for row in pdffonts(path)]
    assert any("Bold" in name for name in fonts)  # the spans
    assert pypdf.PdfReader(path).metadata.title == "测试题库 · 要点速记"  # type: ignore[union-attr]


def test_metadata_comes_from_the_bank(fixture_build: Path) -> None:
    reader = pypdf.PdfReader(fixture_build / "test-bank-cheatsheet.pdf")
    info = reader.metadata
    assert info is not None
    assert info.title == "测试题库 · 速查表"
    assert info.author == "测试作者"
    assert str(info["/CreationDate"]).startswith("D:20231114221320")  # SOURCE_DATE_EPOCH, UTC
    assert info["/ModDate"] == info["/CreationDate"]
    assert str(reader.root_object["/Lang"]) == "zh-CN"
    assert "内容更新于2023-11-14" in compact(pdf_text(fixture_build / "test-bank-cheatsheet.pdf"))


def test_two_builds_give_the_same_bytes_wherever_the_bank_lives(fixture_build: Path, tmp_path: Path) -> None:
    moved = copy_bank(FIXTURE_BANK, tmp_path / "elsewhere" / "bank")
    run_build(moved, tmp_path / "out", only=["pdf"])
    for sheet, path in sheets_of(fixture_build, "test-bank").items():
        assert sha256(path) == sha256(tmp_path / "out" / "pdf" / path.name), sheet


def test_every_page_has_the_running_header_and_page_numbers(real_bank_build: Path) -> None:
    """Each chapter is its own document, so pages are numbered within their chapter:
    "第 3 章 · 2 / 9"; every chapter starts on a new page, in order."""
    pages = pypdf.PdfReader(real_bank_build / "pdf" / "cv-interview-cheatsheet.pdf").pages
    footers = []
    for n, page in enumerate(pages, start=1):
        text = compact(page.extract_text())
        # [·•]: one glyph draws both, and the text layer names whichever the page used first
        found = re.findall(r"第(\d+)章[·•](\d+)/(\d+)", text)
        assert found, f"page {n} has no page number"
        footers.append(tuple(int(v) for v in found[-1]))
        if n > 1:
            assert "CV方向面试题速查表" in text and "章" in text
    expected = []
    for chapter in range(1, len(load_real_bank().chapters) + 1):
        count = sum(1 for c, _, _ in footers if c == chapter)
        expected += [(chapter, k, count) for k in range(1, count + 1)]
    assert footers == expected


def test_joined_sheet_has_an_outline_and_table_of_contents_links(real_bank_build: Path) -> None:
    reader = pypdf.PdfReader(real_bank_build / "pdf" / "cv-interview-cheatsheet.pdf")
    chapters = reader.outline
    titles = [c.title for c in chapters if not isinstance(c, list)]
    assert titles == [
        "第 1 章 图像传统算法",
        "第 2 章 数据处理与特征工程",
        "第 3 章 深度学习基础理论知识",
        "第 4 章 常用评价指标",
        "第 5 章 神经网络模型",
        "第 6 章 Transformer 与视觉基础模型",
        "第 7 章 检测与分割进阶",
        "第 8 章 自监督、生成模型与高效部署",
    ]
    questions = [q for item in chapters if isinstance(item, list) for q in item]
    assert len(questions) == len(load_real_bank().questions)
    chapter_pages = [reader.get_destination_page_number(c) or 0 for c in chapters if not isinstance(c, list)]
    assert chapter_pages == sorted(chapter_pages) and chapter_pages[0] == 0
    # the table of contents on page 1 links to the first page of each chapter
    targets: set[int] = set()
    for ref in reader.pages[0]["/Annots"]:  # type: ignore[attr-defined]  # a PDF array
        annot = ref.get_object()
        assert "/A" not in annot, "no link may be left pointing outside the PDF"
        targets.add(reader.get_page_number(annot["/Dest"][0].get_object()) or 0)
    assert sorted(targets) == chapter_pages


def test_an_edit_renders_only_the_documents_of_its_chapter_again(tmp_path: Path, warm_out: Path) -> None:
    def rendered_parts() -> set[str]:
        with sqlite3.connect(warm_out / ".cache" / "cache.sqlite") as db:
            return {k for (k,) in db.execute("SELECT key FROM entries WHERE namespace = 'pdf-part'")}

    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    run_build(bank, warm_out, only=["pdf"])
    before = rendered_parts()
    assert len(before) == 6  # cheat sheet and drill sheet: a document per chapter; key points, formulas: one
    question = bank / "02-models" / "01-sgd.md"
    question.write_text(question.read_text("utf-8").replace("# ", "# 为什么", 1), "utf-8")  # its title
    run_build(bank, warm_out, only=["pdf"])
    # chapter 2 of the cheat sheet and of the drill sheet, and the one key-points document
    assert len(rendered_parts() - before) == 3


def test_an_uncommitted_edit_renders_only_the_documents_of_its_chapter_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The author's loop: a git clone, an edit not committed. The bank's time moves (Anki needs a
    newer time), yet a document of an unchanged chapter is the same document: the dates are set on
    the joined PDF, not inside each document."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    committed = 1_700_000_000  # 2023-11-14 22:13:20 UTC
    bank = committed_bank(tmp_path, committed)
    out = tmp_path / "out"

    def rendered_parts() -> set[str]:
        with sqlite3.connect(out / ".cache" / "cache.sqlite") as db:
            return {k for (k,) in db.execute("SELECT key FROM entries WHERE namespace = 'pdf-part'")}

    run_build(bank, out, only=["pdf", "api"])
    before = rendered_parts()
    files = {p: p.stat().st_mtime_ns for p in out.rglob("*.json") if p.is_file()}
    question = bank / "02-models" / "01-sgd.md"
    question.write_text(question.read_text("utf-8").replace("# ", "# 为什么", 1), "utf-8")
    os.utime(question, (committed + 600, committed + 600))  # the same day: the title date stays
    run_build(bank, out, only=["pdf", "api"])
    info = pypdf.PdfReader(out / "pdf" / "test-bank-cheatsheet.pdf").metadata
    assert info is not None and str(info["/ModDate"]) == "D:20231114222320Z"  # the edit's time
    # chapter 2 of the cheat sheet and of the drill sheet, and the key-points document (titles)
    assert len(rendered_parts() - before) == 3
    rewritten = sorted(str(p.relative_to(out)) for p, t in files.items() if p.stat().st_mtime_ns != t)
    assert "api/v1/questions/softmax.json" not in rewritten  # a question of chapter 1
    assert "api/v1/questions/sgd-pseudocode.json" in rewritten and "api/v1/index.json" in rewritten
    # saving the file again without a change (an editor, `touch`) moves nothing
    os.utime(question, (committed + 7200, committed + 7200))
    after = rendered_parts()
    result = run_build(bank, out, only=["pdf", "api"])
    assert rendered_parts() == after and sorted(result.skipped) == ["api", "pdf"]


# ---- options and filters --------------------------------------------------------------------


def test_filtered_build_names_the_filter(warm_out: Path) -> None:
    run_build(FIXTURE_BANK, warm_out, only=["pdf"], flt=Filter(company="优图"))
    files = sheets_of(warm_out / "pdf-company-tencent-youtu", "test-bank-company-tencent-youtu")
    assert all(p.is_file() for p in files.values())
    reader = pypdf.PdfReader(files["cheatsheet"])
    assert reader.metadata is not None and "腾讯优图" in str(reader.metadata.title)
    text = compact(pdf_text(files["cheatsheet"]))
    assert "测试题库（腾讯优图）" in text
    assert "介绍一下softmax" in text and "写出SGD的伪代码" not in text


def test_letter_paper_and_column_count(tmp_path: Path, warm_out: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    config = yaml.safe_load((bank / "bank.yaml").read_text(encoding="utf-8"))
    config["outputs"]["pdf"] = {"paper": "Letter", "columns": 3, "font_size_pt": 9}
    (bank / "bank.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run_build(bank, warm_out, only=["pdf"])
    box = pypdf.PdfReader(warm_out / "pdf" / "test-bank-cheatsheet.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    html_text = sheet_html(
        "cheatsheet", rendered_bank(bank), (), geometry(rendered_bank(bank).config.outputs.pdf, "cheatsheet")
    )
    assert "columns: 3;" in html_text and "font-size: 9.0pt;" in html_text and "size: letter;" in html_text


def test_the_drill_sheet_can_end_each_chapter_with_its_answer_key_overleaf(
    tmp_path: Path, warm_out: Path
) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    config = yaml.safe_load((bank / "bank.yaml").read_text(encoding="utf-8"))
    config["outputs"]["pdf"]["drill_answer_key"] = True
    (bank / "bank.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run_build(bank, warm_out, only=["pdf"])
    pages = [
        compact(p.extract_text()) for p in pypdf.PdfReader(warm_out / "pdf" / "test-bank-drill.pdf").pages
    ]
    assert len(pages) == 4  # each chapter: its questions, then its answer key on a page of its own
    assert "介绍一下softmax" in pages[0] and "答案要点" not in pages[0]
    assert "答案要点·第1章" in pages[1] and "查全率是所有正样本中被找出来的比例" in pages[1]
    assert "写出SGD的伪代码" in pages[2] and "答案要点·第2章" in pages[3]


# ---- failures that must stop the build ------------------------------------------------------


def failed_build(source: Path, out: Path) -> BuildResult:
    result = build(source, out, only=["pdf"])
    assert not result.ok() and result.failed == ["pdf"]
    return result


def messages(result: BuildResult) -> str:
    return "\n".join(d.format() for d in result.diags)


def test_no_cjk_font_is_a_clear_error_and_no_pdf(
    tmp_path: Path, warm_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "fonts.conf"  # a fontconfig that knows no font at all
    empty.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    with pytest.raises(Exception, match="fonts-noto-cjk"):
        check_cjk_font()
    result = failed_build(FIXTURE_BANK, warm_out)
    assert "fonts-noto-cjk" in messages(result) and "fc-list :lang=zh" in messages(result)
    assert not list(warm_out.rglob("*.pdf"))


def test_text_no_font_can_draw_fails_instead_of_printing_boxes(tmp_path: Path, warm_out: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    question = bank / "02-models" / "01-sgd.md"
    # U+10330 GOTHIC LETTER AHSA: in no font on the test machine, so WeasyPrint draws .notdef
    question.write_text(question.read_text(encoding="utf-8").replace("写出 SGD", "写出 \U00010330 SGD"))
    result = failed_build(bank, warm_out)
    assert "empty boxes" in messages(result) and ".notdef" in messages(result)
    assert not list(warm_out.rglob("*.pdf"))


def test_a_figure_that_loads_a_remote_resource_fails_the_build(tmp_path: Path, warm_out: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    (bank / "figures" / "box.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="100" height="50"><image xlink:href="https://example.com/track.png" '
        'width="100" height="50"/></svg>',
        encoding="utf-8",
    )
    # refused in phase one, at the figure's line and column (compiler.figures): no backend starts
    result = build(bank, warm_out, only=["pdf"])
    assert not result.ok() and result.failed == []
    assert re.search(r"box\.svg:1:\d+: error: a link to 'https://example\.com/track\.png'", messages(result))
    assert not list(warm_out.rglob("*.pdf"))


def test_the_fetcher_serves_bank_files_only(tmp_path: Path) -> None:
    inside = tmp_path / "bank" / "figures" / "a.svg"
    inside.parent.mkdir(parents=True)
    inside.write_text("<svg/>", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    fetcher = LocalFetcher({"a.svg": inside}, (tmp_path / "bank",))
    assert fetcher.fetch("asset:a.svg").read() == b"<svg/>"
    assert fetcher.fetch(inside.as_uri()).read() == b"<svg/>"
    for url in (
        "http://example.com/x.png",
        "https://example.com/x.png",
        "data:text/plain,hi",
        "ftp://example.com/x",
        outside.as_uri(),
        (tmp_path / "bank" / ".." / "secret.txt").as_uri(),
        "asset:secret.txt",
    ):
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)


# ---- layout: no question split that fits a column, no orphaned chapter heading -------------


@dataclass(frozen=True)
class Fragment:
    page: int
    x: int  # the column
    y: float
    height: float


def fragments(document: Any) -> dict[str, list[Fragment]]:
    """Every element with an id: the boxes it was laid out in (page, column x, top, height)."""
    found: dict[str, list[Fragment]] = {}

    def walk(box: Any, parent: Any, page: int) -> None:
        element = getattr(box, "element", None)
        if element is not None and element is not parent and element.get("id"):
            found.setdefault(element.get("id"), []).append(
                Fragment(page, round(box.position_x), box.position_y, box.margin_height())
            )
        for child in getattr(box, "children", ()):
            walk(child, element, page)

    for n, page in enumerate(document.pages):
        walk(page._page_box, None, n)
    return found


def test_real_bank_layout_keeps_questions_whole_and_headings_with_them(real_bank_build: Path) -> None:
    cache = Cache(real_bank_build / ".cache")  # read only: nothing is flushed
    bank = rendered_bank(REAL_BANK, cache)
    geo = geometry(bank.config.outputs.pdf, "cheatsheet")
    views = chapter_views(bank, cache, geo)
    doc = sheet_html("cheatsheet", bank, views.chapters, geo)
    assets = {n: a.path for n, a in bank.assets.items()}
    laid = fragments(layout_document(doc, LocalFetcher(assets, (bank.root, TEMPLATES)), bank.root))
    boxes = {q.id: laid[f"q-{q.id}"] for q in bank.questions}
    column_tops: dict[tuple[int, int], float] = {}
    for frags in boxes.values():
        for f in frags:
            column_tops[(f.page, f.x)] = min(column_tops.get((f.page, f.x), f.y), f.y)
    long = {q.id for c in views.chapters for q in c.questions if q.long}
    assert long  # the real bank has answers longer than a column
    for qid, frags in boxes.items():
        # a question kept whole splits only when it is longer than a column: from a column's top;
        # a long answer (QuestionView.long) may break where it falls
        if len(frags) > 1 and qid not in long:
            top = column_tops[(frags[0].page, frags[0].x)]
            assert frags[0].y == top, f"{qid} was split but fits a column"
    for chapter in bank.chapters:
        (heading,) = laid[f"ch-{chapter.number}"]
        first = boxes[chapter.questions[0].id][0]
        # the heading sits at the top of its first question's box, in the same column
        assert (heading.page, heading.x) == (first.page, first.x)
        assert 0 <= heading.y - first.y < 2
        assert heading.y + heading.height < first.y + first.height  # the question follows it there


def test_documents_share_a_font_configuration_and_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def doc(text: str) -> str:
        return f"<p>{text}</p><pre><code>for i in range(3): print(i)</code></pre><p><b>{text}</b></p>"

    first, second = doc("梯度下降 gradient descent"), doc("交并比 IoU, 非极大值抑制")
    fetcher = LocalFetcher({}, (tmp_path,))
    # each document with a configuration of its own, as WeasyPrint does by default
    alone = weasyprint.HTML(string=second, base_url=tmp_path.as_uri() + "/").render().write_pdf()
    fonts = ("a font",)
    layout_document(first, fetcher, tmp_path, fonts)
    assert layout_document(second, fetcher, tmp_path, fonts).write_pdf() == alone
    assert font_configuration(fonts) is font_configuration(fonts)
    assert font_configuration(("another font",)) is not font_configuration(fonts)
    shared = font_configuration(fonts)
    monkeypatch.setattr(os, "getpid", lambda: -1)  # a forked worker makes its own
    assert font_configuration(fonts) is not shared


# ---- math: SVG outlines to PDF, and line breaks for wide display formulas --------------------


def test_svg_art_converts_quadratic_curves_and_rects() -> None:
    svg = (
        '<svg class="math-inline" style="vertical-align: -2.500px" width="10" height="12" '
        'viewBox="0 -9.5 10 12"><path d="M 0 0 L 1 0 Q 2 0 2 1 Z" fill="black" />'
        '<rect x="1" y="2" width="3" height="0.5" fill="black" /></svg>'
    )
    art = svg_art(svg)
    assert art.ops == "0 g 0 0 m 1 0 l 1.67 0 2 0.33 2 1 c h f 1 2 3 0.5 re f"
    assert (art.x, art.y, art.width, art.height, art.depth) == (0, -9.5, 10, 12, 2.5)


def test_svg_art_writes_numbers_to_two_decimals_without_trailing_zeros() -> None:
    def ops(d: str) -> str:
        return svg_art(f'<svg viewBox="0 0 1 1"><path d="{d}" /></svg>').ops

    assert ops("M 1.5 2.004 L 10.001 -0.004 L -0 100.109 Z") == "0 g 1.5 2 m 10 0 l 0 100.11 l h f"
    assert ops("M 0.25 -0.5 L -10.25 0.1") == "0 g 0.25 -0.5 m -10.25 0.1 l f"
    assert svg_art('<svg viewBox="0 0 1 1"></svg>').ops == "0 g"
    for wrong in ("M 1 2 C 1 2 3 4 5 6", "M 1", "M1 2", "Q 1 2 3 L", "Z 1"):
        with pytest.raises(UnsupportedSvg):
            ops(wrong)


def test_wide_formulas_break_at_natural_points() -> None:
    assert break_tex("a = b + c = d") == "\\begin{aligned}a &= b + c \\\\ &= d\\end{aligned}"
    assert break_tex("x = 1, \\quad y = 2") == "\\begin{gathered}x = 1, \\\\ y = 2\\end{gathered}"
    assert break_tex("L = \\frac{a+b}{c} + \\lambda R") == (
        "\\begin{aligned}L &= \\frac{a+b}{c} \\\\ &\\quad + \\lambda R\\end{aligned}"
    )
    assert break_tex("\\left( a = b = c \\right)") is None  # nothing at the top level
    assert break_tex("\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}") is None


def test_real_bank_builds_the_four_sheets(real_bank_build: Path) -> None:
    files = sorted(p.name for p in (real_bank_build / "pdf").glob("*.pdf"))
    assert files == [f"cv-interview-{s}.pdf" for s in sorted(SHEETS)]
    assert shutil.which("pdffonts")


# ---- code: a wrapped line hangs past its own indentation ---------------------------------------


def test_a_wrapped_code_line_continues_indented_not_at_the_left_edge(tmp_path: Path) -> None:
    bank_dir = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    question = bank_dir / "02-models" / "01-sgd.md"
    long_line = (
        "        weights = update(weights, gradient, learning_rate, momentum_buffer, weight_decay, nesterov)"
    )
    question.write_text(
        question.read_text(encoding="utf-8")
        + f"\n\n```python\ndef step():\n{long_line}\n    return weights\n```\n",
        encoding="utf-8",
    )
    bank = rendered_bank(bank_dir)
    geo = geometry(bank.config.outputs.pdf, "cheatsheet")
    views = chapter_views(bank, Cache(None), geo)
    doc = sheet_html("cheatsheet", bank, views.chapters, geo)
    assets = {n: a.path for n, a in bank.assets.items()}
    document = layout_document(doc, LocalFetcher(assets, (bank.root, TEMPLATES)), bank.root)
    lines: list[list[tuple[float, str, float]]] = []  # per code line, each line laid out: x, text, ch

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        if (
            type(box).__name__ == "BlockBox"
            and element is not None
            and "cl" in element.get("class", "").split()
        ):
            found = []
            for line in box.children:
                texts = [t for t in _text_boxes(line) if t.text.strip()]
                if texts:
                    ch = texts[0].width / len(texts[0].text)  # monospace: one character's width
                    found.append((texts[0].position_x, "".join(t.text for t in _text_boxes(line)), ch))
            lines.append(found)
            return
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    (wrapped,) = [ls for ls in lines if ls and "weights = update" in ls[0][1]]
    assert len(wrapped) > 1, "the long line fits: make it longer"
    x0, _, ch = wrapped[0]
    statement_x = x0 + 8 * ch  # where the statement's text starts, after its 8 spaces
    for x, text, _ in wrapped[1:]:
        # the continuation starts right of the statement's own text: not at the left edge, not
        # level with a statement indented less (which is what it would read as)
        assert x > statement_x + 0.5 * ch, (text, x, statement_x)


def _text_boxes(box: Any) -> list[Any]:
    if hasattr(box, "text"):
        return [box]
    return [t for child in getattr(box, "children", ()) for t in _text_boxes(child)]


def test_a_large_sheet_is_joined_in_a_process_of_its_own_to_the_same_bytes(
    fixture_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qpdf holds every copied page until the joined file is written: past a size, the join
    runs in a fresh process (small, not forked from the build), on the same files."""
    with sqlite3.connect(fixture_build.parent / ".cache" / "cache.sqlite") as db:
        metas = dict(db.execute("SELECT key, value FROM entries WHERE namespace = 'pdf-part-meta'"))
        rows = db.execute("SELECT key, value FROM entries WHERE namespace = 'pdf-part' ORDER BY key")
        parts = [RenderedPdf.load(data, metas[k]) for k, data in rows]
    chapters = [(n,) for n in range(1, len(parts) + 1)]
    processes: list[Path] = []
    in_a_process = merge._join_in_a_process

    def counted(folder: Path) -> None:
        processes.append(folder)
        in_a_process(folder)

    monkeypatch.setattr(merge, "_join_in_a_process", counted)
    here = merge.join(parts, chapters, 1_700_000_000)
    assert processes == []  # a small sheet: no process to start
    there = merge.join(parts, chapters, 1_700_000_000, in_process_bytes=0)
    assert len(processes) == 1
    assert there == here
    assert len(pypdf.PdfReader(io.BytesIO(there)).pages) == sum(p.pages for p in parts)
