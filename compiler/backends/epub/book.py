"""The EPUB's contents, independent of how they are packaged: every page rendered from
templates/epub/, the cover, the stylesheet, the images and the metadata.

Reading order: cover, title page, table of contents (the navigation document), one page per
chapter (each question a heading with the anchor `q-<id>`), the index by company and by tag.
"""

from __future__ import annotations

import json
import mimetypes
import unicodedata
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from compiler.backends.epub.figuresize import min_width_rules
from compiler.backends.epub.xhtml import (
    MathRenderer,
    check_well_formed,
    epub_image_name,
    page_properties,
    plain_text,
    to_xhtml,
)
from compiler.cache import Cache, value_key
from compiler.fingerprint import question_content
from compiler.links import question_url
from compiler.math.forms import Math, bank_math, question_math
from compiler.math.svg import SvgTemplate
from compiler.model import Bank, Chapter, Question
from compiler.parallel import map_in_processes
from compiler.templating import asset, render
from compiler.timestamps import utc
from compiler.typefaces import text_families
from compiler.vocabulary import Vocabulary, vocabulary
from schema.models import EpubOptions

STYLESHEET = "style/book.css"
COVER_IMAGE = "images/cover.svg"
NAV_PAGE = "nav.xhtml"
INDEX_PAGE = "index.xhtml"
CHAPTER_CACHE = "epub-chapter"  # a chapter's view and pages, by what they are made from
PARALLEL_FROM = 200  # questions: a smaller book is made in one process (starting more costs more)
PART_BYTES = 280_000  # split a chapter between questions beyond this size (see `_chapter`)
UUID_NAMESPACE = uuid.UUID("6f6c1a4e-2b1d-5c55-9d1e-7a1b0c9e3f10")  # fixed: identifiers never change
# Types every EPUB 3 reader must support (core media types); anything else needs a fallback.
CORE_IMAGE_TYPES = {"image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"}


@dataclass(frozen=True)
class Link:
    href: str
    text: str


@dataclass(frozen=True)
class QuestionView:
    anchor: str
    href: str
    number: str
    title: Markup
    title_text: str
    answer: Markup
    key_points: tuple[Markup, ...]
    formulas: tuple[tuple[str, Markup], ...]
    companies: tuple[Link, ...]
    tags: tuple[Link, ...]
    difficulty: str
    source: str
    page_url: str = ""  # the question's page on the published site, when the bank names it


@dataclass(frozen=True)
class ChapterView:
    file: str
    anchor: str
    number: int
    title: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class IndexEntry:
    anchor: str
    label: str
    note: str
    questions: tuple[Link, ...]
    children: tuple[IndexEntry, ...] = ()


@dataclass(frozen=True)
class Page:
    """One XHTML content document, already checked to be well-formed."""

    file: str
    uid: str
    title: str
    content: bytes
    properties: tuple[str, ...]
    linear: bool = True


@dataclass(frozen=True)
class Resource:
    file: str
    uid: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class Book:
    identifier: str
    title: str
    language: str
    author: str
    description: str
    modified: datetime
    spine: tuple[Page, ...]  # reading order; includes the navigation document
    nav: Page
    ncx: bytes
    cover: Resource
    resources: tuple[Resource, ...]  # stylesheet, figures
    accessibility: tuple[tuple[str, str], ...]  # (property, value) for <meta property=...>
    guide: tuple[tuple[str, str, str], ...]  # (type, title, href) for readers of EPUB 2


# ---- names and anchors ---------------------------------------------------------------------------


def book_identifier(bank: Bank) -> str:
    """Stable across builds, distinct per filtered variant: readers keep notes and positions per book."""
    return f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, bank.stem)}"


def question_anchor(q: Question) -> str:
    return f"q-{q.id}"


def chapter_file(chapter: Chapter, part: int = 0) -> str:
    return f"{chapter.slug}.xhtml" if part == 0 else f"{chapter.slug}-{part + 1}.xhtml"


def tag_anchor(tag: str) -> str:
    return "tag-" + tag.replace("/", ".")  # '.' never occurs in a tag, so the anchor is unique


def company_anchor(slug: str) -> str:
    return f"company-{slug}"


# ---- building ------------------------------------------------------------------------------------


def build_book(bank: Bank, options: EpubOptions, cache: Cache, version: str) -> Book:
    """The book; `version` names the code and templates that make its pages (cache keys)."""
    lang = bank.config.language
    use_mathml = options.math == "mathml"
    mathml = bank.mathml if use_mathml else None
    images = _images(bank)
    image_href = {name: res.file for name, res in images.items()}
    chapter_pages: list[Page] = []
    chapters: list[ChapterView] = []
    for view, pages in _chapters(bank, cache, mathml, image_href, version):
        chapters.append(view)
        chapter_pages.extend(pages)
    index = _index(bank, chapters)
    counts = _counts(bank)
    first = chapters[0].file
    cover_page, title_page = _front_pages(bank, counts, chapters)
    w = bank.words
    nav = _page(
        NAV_PAGE, "nav", w["epub.toc"], "epub/nav.xhtml.j2", lang, chapters=chapters, index=index, first=first
    )
    index_page = _page(INDEX_PAGE, "index", w["epub.index"], "epub/index.xhtml.j2", lang, index=index)
    identifier = book_identifier(bank)
    svg_figures = [(res.file, res.data) for res in images.values() if res.media_type == "image/svg+xml"]
    widths = min_width_rules(svg_figures)  # one rule per figure, after the sheet's own
    stylesheet = f"{asset('epub/book.css')}\n/* figure widths (figuresize.py) */\n{widths}\n"
    css = Resource(STYLESHEET, "css", "text/css", stylesheet.encode("utf-8"))
    return Book(
        identifier=identifier,
        title=bank.title,
        language=lang,
        author=bank.config.author,
        description=bank.config.description,
        modified=utc(bank.timestamp),
        spine=(cover_page, title_page, nav, *chapter_pages, index_page),
        nav=nav,
        ncx=_ncx(bank, identifier, chapters),
        cover=Resource(COVER_IMAGE, "cover-image", "image/svg+xml", _cover_svg(bank, counts)),
        resources=(css, *images.values()),
        accessibility=_accessibility(bank, use_mathml),
        guide=(
            ("cover", w["epub.cover"], cover_page.file),
            ("toc", w["epub.toc"], NAV_PAGE),
            ("text", w["epub.body_matter"], first),
            ("index", w["epub.index"], INDEX_PAGE),
        ),
    )


def _front_pages(bank: Bank, counts: dict[str, int], chapters: list[ChapterView]) -> tuple[Page, Page]:
    lang = bank.config.language
    cover = _page(
        "cover.xhtml",
        "cover",
        bank.title,
        "epub/cover.xhtml.j2",
        lang,
        image=COVER_IMAGE,
        book_title=bank.title,
    )
    title = _page(
        "title.xhtml",
        "title-page",
        bank.title,
        "epub/title.xhtml.j2",
        lang,
        bank=bank,
        counts=counts,
        chapters=chapters,
        updated=bank.words.date(bank.timestamp),
    )
    return cover, title


def _ncx(bank: Bank, identifier: str, chapters: list[ChapterView]) -> bytes:
    """The EPUB 2 table of contents, for readers that do not read the navigation document."""
    text = render(
        "epub/toc.ncx.j2",
        identifier=identifier,
        title=bank.title,
        author=bank.config.author,
        lang=bank.config.language,
        w=bank.words,
        chapters=chapters,
        index_page=INDEX_PAGE,
    )
    check_well_formed("toc.ncx", text)
    return text.encode("utf-8")


def _page(file: str, uid: str, title: str, template: str, lang: str, **context: object) -> Page:
    text = render(template, lang=lang, w=vocabulary(lang), page_title=title, stylesheet=STYLESHEET, **context)
    root = check_well_formed(file, text)
    return Page(file, uid, title, text.encode("utf-8"), tuple(page_properties(root)))


def _images(bank: Bank) -> dict[str, Resource]:
    """The figures, under images/, keyed by asset name; only the ones this (filtered) bank uses."""
    used = sorted({a.name for q in bank.questions for a in q.assets})
    out: dict[str, Resource] = {}
    taken: dict[str, str] = {}
    for n, name in enumerate(used, start=1):
        path = bank.assets[name].path
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type not in CORE_IMAGE_TYPES:
            raise ValueError(
                f"figure {path} is {media_type}, which EPUB readers need not support: "
                "convert it to SVG, PNG or JPEG"
            )
        file = f"images/{epub_image_name(name)}"
        if file in taken:
            raise ValueError(f"figures '{taken[file]}' and '{name}' map to the same EPUB file {file}")
        taken[file] = name
        out[name] = Resource(file, f"img-{n:03d}", media_type, path.read_bytes())
    return out


def _chapters(
    bank: Bank, cache: Cache, mathml: dict[Math, str] | None, image_href: dict[str, str], version: str
) -> list[tuple[ChapterView, list[Page]]]:
    """Every chapter's view and pages: from the cache when nothing they show changed (an edit
    makes its own chapter again, not the book), else made. Chapters are independent: in a large
    bank they are made in parallel processes (same bytes; each process converts the formulas of
    its chapters)."""
    lang = bank.config.language
    links = {q.id: url for q in bank.questions if (url := question_url(bank, q.id))}
    chapters = bank.chapters
    keys = [_chapter_key(version, c, lang, links, _subset(mathml, c), image_href) for c in chapters]
    done: dict[int, tuple[ChapterView, list[Page]]] = {}
    for n, k in enumerate(keys):
        if (text := cache.get(CHAPTER_CACHE, k)) is not None:
            done[n] = _load_chapter(text)
    todo = [n for n in range(len(chapters)) if n not in done]
    if sum(len(chapters[n].questions) for n in todo) < PARALLEL_FROM:
        svgs: dict[Math, SvgTemplate] = {}
        for n in todo:
            done[n] = _chapter(chapters[n], MathRenderer(cache, mathml, svgs), image_href, lang, links)
    else:
        jobs = [
            (chapters[n], cache.folder, _subset(mathml, chapters[n]), image_href, lang, links) for n in todo
        ]
        for n, (view, pages, entries) in zip(todo, map_in_processes(_chapter_in_worker, jobs), strict=True):
            cache.absorb(entries)
            done[n] = (view, pages)
    for n in todo:
        cache.put(CHAPTER_CACHE, keys[n], _dump_chapter(*done[n]))
    return [done[n] for n in range(len(chapters))]


def _chapter_key(
    version: str,
    chapter: Chapter,
    lang: str,
    links: dict[str, str],
    mathml: dict[Math, str] | None,
    image_href: dict[str, str],
) -> str:
    """What a chapter's pages are made from: the code and templates (`version`), the chapter's
    questions as the model has them, their links to the site, their figures' names in the book
    and, with MathML, pandoc's MathML of their formulas."""
    questions = chapter.questions
    return value_key(
        CHAPTER_CACHE,
        version,
        lang,
        [chapter.slug, chapter.number, chapter.title],
        [question_content(q) for q in questions],
        [links.get(q.id, "") for q in questions],
        sorted({a.name: image_href.get(a.name, "") for q in questions for a in q.assets}.items()),
        None if mathml is None else sorted([m.tex, m.display, markup] for m, markup in mathml.items()),
    )


def _dump_chapter(view: ChapterView, pages: list[Page]) -> str:
    """A chapter for the cache: its data as JSON, each long text (pages, answers: mostly SVG,
    megabytes of quotes JSON would escape) lifted out of it and appended as it is, after a line
    feed (JSON never writes one raw); `{"@": n}` stands for the n-th (no field is named "@")."""
    page_data = [{**asdict(p), "content": p.content.decode("utf-8")} for p in pages]
    data = {"view": asdict(view), "pages": page_data}
    texts: list[str] = []

    def lift(value: Any) -> Any:
        if isinstance(value, str):
            if len(value) < _LIFTED_FROM:
                return value
            texts.append(value)
            return {"@": len(texts) - 1}
        if isinstance(value, dict):
            return {k: lift(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [lift(v) for v in value]
        return value

    head = json.dumps({"data": lift(data), "lengths": [len(t) for t in texts]}, ensure_ascii=False)
    return head + "\n" + "".join(texts)


_LIFTED_FROM = 200  # characters: shorter texts stay in the JSON


def _lifted(text: str) -> Any:
    """The data `_dump_chapter` wrote."""
    head, _, body = text.partition("\n")
    found = json.loads(head)
    texts = []
    start = 0
    for length in found["lengths"]:
        texts.append(body[start : start + length])
        start += length

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return texts[value["@"]] if "@" in value else {k: drop(v) for k, v in value.items()}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(found["data"])


def _load_chapter(text: str) -> tuple[ChapterView, list[Page]]:
    data = _lifted(text)
    view = data["view"]

    def question(d: dict[str, Any]) -> QuestionView:
        return QuestionView(
            anchor=d["anchor"],
            href=d["href"],
            number=d["number"],
            title=Markup(d["title"]),
            title_text=d["title_text"],
            answer=Markup(d["answer"]),
            key_points=tuple(Markup(p) for p in d["key_points"]),
            formulas=tuple((name, Markup(f)) for name, f in d["formulas"]),
            companies=tuple(Link(**link) for link in d["companies"]),
            tags=tuple(Link(**link) for link in d["tags"]),
            difficulty=d["difficulty"],
            source=d["source"],
            page_url=d["page_url"],
        )

    chapter = ChapterView(
        view["file"],
        view["anchor"],
        view["number"],
        view["title"],
        tuple(question(q) for q in view["questions"]),
    )
    pages = [
        Page(
            p["file"], p["uid"], p["title"], p["content"].encode("utf-8"), tuple(p["properties"]), p["linear"]
        )
        for p in data["pages"]
    ]
    return chapter, pages


def _subset(mathml: dict[Math, str] | None, chapter: Chapter) -> dict[Math, str] | None:
    if mathml is None:
        return None
    return {m: mathml[m] for q in chapter.questions for m in question_math(q) if m in mathml}


def _chapter_in_worker(
    chapter: Chapter,
    folder: Path | None,
    mathml: dict[Math, str] | None,
    image_href: dict[str, str],
    lang: str,
    links: dict[str, str],
) -> tuple[ChapterView, list[Page], dict[tuple[str, str], str | bytes]]:
    cache = Cache(folder)
    view, pages = _chapter(chapter, MathRenderer(cache, mathml, {}), image_href, lang, links)
    return view, pages, cache.take_pending()


def _chapter(
    chapter: Chapter,
    renderer: MathRenderer,
    image_href: dict[str, str],
    lang: str,
    links: dict[str, str] | None = None,
) -> tuple[ChapterView, list[Page]]:
    """A chapter's view and its pages. A chapter whose pages would exceed `PART_BYTES` is split
    between questions into several files: readers paginate a large file slowly (SVG formulas make
    files large) and some refuse files over about 300 KB."""
    w = vocabulary(lang)
    views = [
        replace(_question_view(q, chapter, renderer, image_href, w), page_url=(links or {}).get(q.id, ""))
        for q in chapter.questions
    ]
    sections = [Markup(render("epub/question.xhtml.j2", q=v, w=w)) for v in views]
    parts: list[list[int]] = [[]]
    size = 0
    for n, section in enumerate(sections):
        grown = size + len(section.encode("utf-8"))
        if parts[-1] and grown > PART_BYTES:
            parts.append([])
            grown = len(section.encode("utf-8"))
        parts[-1].append(n)
        size = grown
    files = [chapter_file(chapter, n) for n in range(len(parts))]
    for file, members in zip(files, parts, strict=True):
        for n in members:
            views[n] = replace(views[n], href=f"{file}#{views[n].anchor}")
    view = ChapterView(files[0], f"chapter-{chapter.slug}", chapter.number, chapter.title, tuple(views))
    title = w.chapter_title(chapter.number, chapter.title)
    pages = [
        _page(
            file,
            f"chapter-{chapter.slug}" + (f"-{n + 1}" if n else ""),
            w.fmt("epub.part", title=title, n=n + 1) if n else title,
            "epub/chapter.xhtml.j2",
            lang,
            chapter=view,
            first=n == 0,
            sections=[sections[i] for i in members],
        )
        for n, (file, members) in enumerate(zip(files, parts, strict=True))
    ]
    return view, pages


def _question_view(
    q: Question, chapter: Chapter, renderer: MathRenderer, image_href: dict[str, str], w: Vocabulary
) -> QuestionView:
    return QuestionView(
        anchor=question_anchor(q),
        href="",  # set once the chapter is split into files
        number=w.ref(chapter.number, q.number),
        title=Markup(renderer.page(to_xhtml(q.html.title_html, image_href))),
        title_text=plain_text(q.html.title_html) or q.id,
        answer=Markup(renderer.page(to_xhtml(q.html.answer_html, image_href, heading_shift=1))),
        key_points=tuple(Markup(renderer.page(to_xhtml(p, image_href))) for p in q.html.key_points_html),
        formulas=tuple(
            (f.name, Markup(renderer.page(to_xhtml(fragment, image_href))))
            for f, fragment in zip(q.formulas, q.html.formulas_html, strict=True)
        ),
        companies=tuple(Link(f"{INDEX_PAGE}#{company_anchor(c.slug)}", c.name) for c in q.companies),
        tags=tuple(Link(f"{INDEX_PAGE}#{tag_anchor(t)}", t) for t in q.tags),
        difficulty=w.difficulty(q.meta.difficulty),
        source=q.meta.source or "",
    )


def _index(bank: Bank, chapters: list[ChapterView]) -> dict[str, tuple[IndexEntry, ...]]:
    """Index entries by company (in companies.yaml order) and by tag (tags.yaml order, then by path)."""
    views = {v.anchor: v for c in chapters for v in c.questions}

    def links(questions: list[Question]) -> tuple[Link, ...]:
        shown = [views[question_anchor(q)] for q in questions]
        return tuple(Link(v.href, f"{v.number} {v.title_text}") for v in shown)

    questions = bank.questions
    w = bank.words
    companies = tuple(
        IndexEntry(company_anchor(c.slug), c.name, w.count("epub.n_questions", len(members)), links(members))
        for c in bank.companies
        if (members := [q for q in questions if c in q.companies])
    )
    exact: dict[str, list[Question]] = {}
    for q in questions:
        for t in q.tags:
            exact.setdefault(t, []).append(q)
    order = {top: n for n, top in enumerate(bank.tags)}
    tops = sorted({t.split("/")[0] for t in exact}, key=lambda top: (order.get(top, len(order)), top))
    tags = []
    for top in tops:
        children = tuple(
            IndexEntry(tag_anchor(t), t, w.count("epub.n_questions", len(exact[t])), links(exact[t]))
            for t in sorted(exact)
            if t.startswith(top + "/")
        )
        tags.append(
            IndexEntry(tag_anchor(top), top, bank.tags.get(top, ""), links(exact.get(top, [])), children)
        )
    return {"companies": companies, "tags": tuple(tags)}


def _counts(bank: Bank) -> dict[str, int]:
    questions = bank.questions
    return {
        "chapters": len(bank.chapters),
        "questions": len(questions),
        "formulas": sum(len(q.formulas) for q in questions),
        "companies": len({c.slug for q in questions for c in q.companies}),
        "company_questions": sum(1 for q in questions if q.companies),
        "figures": len({a.name for q in questions for a in q.assets}),
    }


def _accessibility(bank: Bank, use_mathml: bool) -> tuple[tuple[str, str], ...]:
    has_images = any(q.assets for q in bank.questions)
    has_math = bool(bank_math(bank))
    visual = has_images or (has_math and not use_mathml)
    meta: list[tuple[str, str]] = [("schema:accessMode", "textual")]
    if visual:
        meta.append(("schema:accessMode", "visual"))
    meta.append(("schema:accessModeSufficient", "textual"))
    if visual:
        meta.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["structuralNavigation", "tableOfContents", "index", "readingOrder", "displayTransformability"]
    if has_images or (has_math and not use_mathml):
        features.append("alternativeText")
    if has_math:
        features.append("MathML" if use_mathml else "describedMath")
    meta.extend(("schema:accessibilityFeature", f) for f in features)
    meta.append(("schema:accessibilityHazard", "none"))
    w = bank.words
    math_words = w["epub.accessibility_math_mathml" if use_mathml else "epub.accessibility_math_svg"]
    meta.append(("schema:accessibilitySummary", w.fmt("epub.accessibility_summary", math=math_words)))
    return tuple(meta)


# ---- the cover ---------------------------------------------------------------------------------


def _cover_svg(bank: Bank, counts: dict[str, int]) -> bytes:
    """A cover image drawn from the title: no external image, the same bytes for the same bank."""
    size, lines = _fit_title(bank.config.title)
    text = render(
        "epub/cover.svg.j2",
        title=bank.title,
        lines=lines,
        size=size,
        subtitle=_wrap(bank.filter_label, 480.0 / 30)[:2] if bank.filter_label else [],
        author=bank.config.author,
        counts=counts,
        w=bank.words,
        # trusted constants (compiler.typefaces), quoted for an SVG attribute in double quotes
        fonts=Markup(",".join(f"'{f}'" for f in text_families(bank.words.script)) + ",sans-serif"),
    )
    check_well_formed(COVER_IMAGE, text)
    return text.encode("utf-8")


def _text_width(text: str) -> float:
    """Width in em: East Asian wide characters take one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def _fit_title(title: str, width_px: float = 480.0) -> tuple[int, list[str]]:
    """The largest font size at which the title fits in three lines, and those lines."""
    for size in (72, 60, 52, 44, 38, 32):
        lines = _wrap(title, width_px / size)
        if len(lines) <= 3:
            return size, lines
    return 32, _wrap(title, width_px / 32)[:3]


def _wrap(text: str, max_em: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        if current and _text_width(current + token) > max_em:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [text]


def _tokens(text: str) -> list[str]:
    """Break opportunities: between CJK characters, and at spaces between Latin words."""
    tokens: list[str] = []
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if tokens and not wide and not ch.isspace() and not _is_wide(tokens[-1][-1]):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF" or ch.isspace()
