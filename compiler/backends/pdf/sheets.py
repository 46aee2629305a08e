"""The HTML of the PDF sheets: questions as views with typeset math, rendered by templates/pdf/.

Math is typeset by ziamath (WeasyPrint runs no JavaScript and draws no MathML) and placed as
formula boxes (see `compiler.backends.pdf.mathboxes`). A display formula that is also one of the question's
named `formulas` is boxed in place with its name; named formulas the answer does not show as
display math are boxed after the answer, so every key formula is boxed exactly once.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from compiler.backends.pdf.codelines import HANG, MAX_INDENT, hanging_code_lines
from compiler.backends.pdf.fonts import css_family_list
from compiler.backends.pdf.mathboxes import MathArt, Typesetter
from compiler.backends.pdf.render import ASSET_SCHEME
from compiler.cache import Cache
from compiler.keypoints import MARK
from compiler.links import question_url
from compiler.markup import IMG_ALT, IMG_SRC, IMG_TAG, TAG, replace_image_sources
from compiler.math.forms import Math, replace_math
from compiler.model import Bank, Chapter, Question
from compiler.occlusions import Box, cards
from compiler.templating import render
from compiler.typefaces import mono_families, text_families
from compiler.vocabulary import Vocabulary
from schema.models import PdfOptions

Sheet = Literal["cheatsheet", "keypoints", "formulas", "drill"]
CHAPTER_LINK = (
    "qbank-chapter:"  # + number: a link to a chapter in another document (compiler.backends.pdf.merge)
)
SINGLE_DOCUMENT: tuple[Sheet, ...] = ("formulas", "keypoints")  # short sheets: one document each
# An answer longer than this (`answer_chars`: TeX and code included) may not fit a column: it is
# allowed to break where it falls. Kept whole, such a box is pushed to the next page and WeasyPrint
# leaves the rest of the page empty (seen on the first page of the real bank's cheat sheet).
LONG_ANSWER_CHARS = 1100
TITLE_SCALE = 1.08  # question titles are set a little larger than the answers (.qt in style.css.j2)


@dataclass(frozen=True)
class Geometry:
    """Page measures shared by the stylesheet and the math (which must know how wide a column is)."""

    paper: Literal["A4", "Letter"]
    columns: int
    font_size_pt: float
    margin_side_mm: float = 9.0
    column_gap_mm: float = 4.5
    box_padding_mm: float = 1.2  # inside a formula box

    @property
    def page_width_mm(self) -> float:
        return 215.9 if self.paper == "Letter" else 210.0

    @property
    def column_mm(self) -> float:
        inner = self.page_width_mm - 2 * self.margin_side_mm
        return (inner - (self.columns - 1) * self.column_gap_mm) / self.columns

    @property
    def text_px(self) -> float:
        return self.font_size_pt * 96 / 72

    @property
    def formula_room_px(self) -> float:
        """The widest a formula can be drawn at full size: a column less a formula box's padding
        and border."""
        return (self.column_mm - 2 * self.box_padding_mm - 0.4) * 96 / 25.4


def geometry(options: PdfOptions, sheet: Sheet) -> Geometry:
    # the drill sheet is for writing: never more than two columns
    columns = min(options.columns, 2) if sheet == "drill" else options.columns
    return Geometry(options.paper, columns, options.font_size_pt)


class MissingImage(Exception):
    """The HTML names an image the bank does not have."""


@dataclass(frozen=True)
class FormulaView:
    name: str
    html: str  # the formula's box
    ref: str  # the question's number, e.g. 3.12


@dataclass(frozen=True)
class QuestionView:
    id: str
    ref: str
    title_html: str
    answer_html: str
    extra_formulas: tuple[FormulaView, ...]  # named formulas not already boxed in the answer
    formulas: tuple[FormulaView, ...]  # every named formula (the key-points sheet shows them all)
    key_points: tuple[str, ...]  # HTML, each cloze span in bold, math as formula boxes
    companies: tuple[str, ...]
    tags: tuple[str, ...]
    difficulty: str  # the short label (`pdf.difficulty`), or ''
    answer_lines: int  # ruled lines the drill sheet leaves for the answer
    long: bool  # longer than a column: it may break (kept whole, it would leave a page empty)
    diagrams: tuple[DiagramView, ...] = ()  # occluded figures: the drill sheet's labelling pages
    url: str = ""  # the question's page on the published site, when the bank names it


@dataclass(frozen=True)
class MaskView:
    """A numbered box over a label of a figure, in percent of the figure."""

    number: int
    left: float
    top: float
    width: float
    height: float
    ellipse: bool


@dataclass(frozen=True)
class DiagramView:
    """An occluded figure of the drill sheet's "label the diagram" page, and its labels."""

    src: str
    alt: str
    masks: tuple[MaskView, ...]
    labels: tuple[tuple[int, str], ...]  # (card number, label) for the answer key


@dataclass(frozen=True)
class ChapterView:
    number: int
    title: str
    questions: tuple[QuestionView, ...]
    formulas: tuple[FormulaView, ...]


@dataclass(frozen=True)
class Views:
    chapters: tuple[ChapterView, ...]
    arts: dict[str, MathArt]  # the drawing of every formula box, by its element id


def _norm(tex: str) -> str:
    return "".join(tex.split())


def _answer_html(q: Question, ts: Typesetter, assets: Iterable[str]) -> tuple[str, tuple[int, ...]]:
    """The answer with math as formula boxes and images as asset URLs; also the indexes of the
    named formulas it boxed in place."""
    named = {_norm(f.tex): i for i, f in reversed(list(enumerate(q.formulas)))}
    boxed: list[int] = []

    def formula(math: Math) -> str:
        box = ts.placeholder(math)
        if not math.display:
            return box
        index = named.get(_norm(math.tex))
        if index is None or index in boxed:
            return f'<span class="dmath">{box}</span>'
        boxed.append(index)
        name = html.escape(q.formulas[index].name)
        return f'<span class="dmath named"><span class="fname">{name}</span>{box}</span>'

    fragment = hanging_code_lines(replace_math(q.html.answer_html, formula))
    known = set(assets)

    def image(name: str) -> str:
        if name not in known:
            raise MissingImage(
                f"question '{q.id}' shows image '{name}', which is not among the bank's images"
            )
        return f"{ASSET_SCHEME}:{name}"

    return replace_image_sources(fragment, image), tuple(boxed)


def _percent(box: Box) -> tuple[float, float, float, float]:
    """A normalised shape as percentages of its figure, rounded so that the HTML is stable."""
    left, top, width, height = (round(v * 100, 3) for v in (box.left, box.top, box.width, box.height))
    return left, top, width, height


def diagram_views(q: Question) -> tuple[DiagramView, ...]:
    """Every occluded figure of a question with its masks numbered as its Anki cards."""
    alts: dict[str, str] = {}
    for tag in IMG_TAG.findall(q.html.answer_html):
        src, alt = IMG_SRC.search(tag), IMG_ALT.search(tag)
        if src and alt:
            alts.setdefault(html.unescape(src.group(2)), html.unescape(alt.group(1)))
    views = []
    for occlusions, figure in q.occlusions:
        found = cards(occlusions, figure.size)
        masks = tuple(
            MaskView(card.number, *_percent(box), box.kind == "ellipse")
            for card in found
            for _, box in card.shapes
        )
        name = figure.path.name
        labels = tuple((card.number, card.label) for card in found)
        views.append(DiagramView(f"{ASSET_SCHEME}:{name}", alts.get(name, ""), masks, labels))
    return tuple(views)


def answer_chars(q: Question) -> int:
    """The length of an answer's text, markup and spaces left out."""
    return len("".join(TAG.sub("", q.html.answer_html).split()))


def answer_lines(q: Question) -> int:
    """Room to answer on the drill sheet: more for questions whose answers are longer."""
    return max(3, min(12, round(answer_chars(q) / 90)))


def question_view(
    q: Question, chapter: Chapter, ts: Typesetter, assets: Iterable[str], words: Vocabulary
) -> QuestionView:
    ref = words.ref(chapter.number, q.number)
    answer, boxed = _answer_html(q, ts, assets)
    extra = tuple(
        FormulaView(f.name, ts.placeholder(Math(f.tex, True)), ref)
        for i, f in enumerate(q.formulas)
        if i not in boxed
    )
    return QuestionView(
        id=q.id,
        ref=ref,
        title_html=ts.inline_only(q.html.title_html, TITLE_SCALE),
        answer_html=answer,
        extra_formulas=extra,
        formulas=tuple(FormulaView(f.name, ts.placeholder(Math(f.tex, True)), ref) for f in q.formulas),
        key_points=tuple(
            MARK.sub(r'<strong class="kp">\1</strong>', ts.inline_only(p)) for p in q.html.key_points_html
        ),
        companies=tuple(c.name for c in q.companies),
        tags=tuple(q.tags),
        difficulty=words[f"pdf.difficulty.{q.meta.difficulty}"] if q.meta.difficulty else "",
        answer_lines=answer_lines(q),
        long=answer_chars(q) > LONG_ANSWER_CHARS,
        diagrams=diagram_views(q),
    )


def chapter_views(bank: Bank, cache: Cache, geo: Geometry) -> Views:
    views = []
    arts: dict[str, MathArt] = {}
    for chapter in bank.chapters:
        ts = Typesetter(cache, geo.text_px, geo.formula_room_px, prefix=f"{chapter.number}-")
        questions = tuple(
            replace(
                question_view(q, chapter, ts, bank.assets, bank.words), url=question_url(bank, q.id) or ""
            )
            for q in chapter.questions
        )
        formulas = tuple(
            FormulaView(f.name, ts.placeholder(Math(f.tex, True)), bank.words.ref(chapter.number, q.number))
            for q in chapter.questions
            for f in q.formulas
        )
        views.append(ChapterView(chapter.number, chapter.title, questions, formulas))
        arts.update(ts.arts)
    return Views(tuple(views), arts)


@dataclass(frozen=True)
class Part:
    """One WeasyPrint document of a sheet: the PDF is these documents, one after the other."""

    sheet: Sheet
    html: str
    label: str  # what the footer says before the page numbers (the chapter label), or ""
    chapters: tuple[int, ...]  # the numbers of the chapters it holds


def sheet_parts(
    sheet: Sheet, bank: Bank, chapters: tuple[ChapterView, ...], geo: Geometry, answer_key: bool = False
) -> list[Part]:
    """The documents of one sheet. The cheat sheet and the drill sheet are one document per
    chapter: each is laid out on its own (in parallel, in bounded memory), is reused while its
    chapter is unchanged, and starts on a new page; its pages are numbered within the chapter.
    The formula and key-points sheets are short and meant to be compact: one document each,
    chapters running on in the columns."""
    if sheet in SINGLE_DOCUMENT:
        return [Part(sheet, sheet_html(sheet, bank, chapters, geo), "", tuple(c.number for c in chapters))]
    parts = []
    for i, chapter in enumerate(chapters):
        label = bank.words.chapter(chapter.number)
        html_text = sheet_html(
            sheet,
            bank,
            (chapter,),
            geo,
            all_chapters=chapters,
            first=i == 0,
            label=label,
            answer_key=answer_key,
        )
        parts.append(Part(sheet, html_text, label, (chapter.number,)))
    return parts


def sheet_html(
    sheet: Sheet,
    bank: Bank,
    chapters: tuple[ChapterView, ...],
    geo: Geometry,
    *,
    all_chapters: tuple[ChapterView, ...] | None = None,
    first: bool = True,
    label: str = "",
    answer_key: bool = False,
) -> str:
    """One complete HTML document: `chapters` of the sheet; the title block (which counts
    `all_chapters`) when it is the `first`; `label` before the page numbers."""
    every = all_chapters if all_chapters is not None else chapters
    questions = [q for c in every for q in c.questions]
    style = render(
        "pdf/style.css.j2",
        geo=geo,
        paper="letter" if geo.paper == "Letter" else "A4",
        sans=css_family_list(text_families(bank.words.script), "sans-serif"),
        mono=css_family_list(mono_families(bank.words.script), "monospace"),
        running_title=css_string(f"{bank.title} {sheet_name(bank, sheet)}"),
        page_label=css_string(f"{label} · ") if label else "",
        first=first,
        code_indents=range(MAX_INDENT + 1),
        code_hang=HANG,
    )
    return render(
        f"pdf/{sheet}.html.j2",
        style=style,
        bank=bank,
        sheet_name=sheet_name(bank, sheet),
        w=bank.words,
        chapters=chapters,
        all_chapters=every,
        first=first,
        answer_key=answer_key,
        # one document per chapter: links between documents are pointed at pages when joined
        chapter_link="#ch-" if sheet in SINGLE_DOCUMENT else CHAPTER_LINK,
        counts={
            "questions": len(questions),
            "chapters": len(every),
            "formulas": sum(len(c.formulas) for c in every),
            "key_points": sum(len(q.key_points) for q in questions),
            "companies": len({name for q in questions for name in q.companies}),
        },
    )


def sheet_name(bank: Bank, sheet: Sheet) -> str:
    return bank.words[f"pdf.sheet.{sheet}"]


def css_string(text: str) -> str:
    """`text` as a quoted CSS string (also safe inside a <style> element)."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\\n<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'
