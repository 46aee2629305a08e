"""The HTML of the PDF sheets: questions as views with typeset math, rendered by templates/pdf/.

Math becomes inline SVG (ziamath via `compiler.mathsvg`), because WeasyPrint runs no JavaScript and
draws no MathML. A display formula that is also one of the question's named `formulas` is boxed
in place with its name; named formulas the answer does not show as display math are boxed after
the answer, so every key formula is boxed exactly once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from compiler.cache import Cache
from compiler.mathforms import Math, replace_math
from compiler.mathsvg import math_svg
from compiler.model import Bank, Chapter, Question
from compiler.pdf_fonts import CJK_FAMILIES, MONO_FAMILIES, css_family_list
from compiler.pdf_render import ASSET_SCHEME
from compiler.templating import render
from schema.models import PdfOptions

Sheet = Literal["cheatsheet", "formulas", "drill"]
SHEET_NAMES: dict[Sheet, str] = {"cheatsheet": "速查表", "formulas": "公式表", "drill": "自测题"}
DIFFICULTY = {"easy": "易", "medium": "中", "hard": "难"}
PX_PER_PT = 96 / 72  # ziamath sizes are CSS pixels; the sheet's type size is in points
TITLE_SCALE = 1.08  # question titles are set a little larger than the answers (see style.css.j2)

_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
_TAG = re.compile(r"<[^>]+>")


class MissingImage(Exception):
    """The HTML names an image the bank does not have."""


@dataclass(frozen=True)
class FormulaView:
    name: str
    svg: str
    ref: str  # the question's number, e.g. 3.12


@dataclass(frozen=True)
class QuestionView:
    id: str
    ref: str
    title_html: str
    answer_html: str
    extra_formulas: tuple[FormulaView, ...]  # named formulas not already boxed in the answer
    companies: tuple[str, ...]
    tags: tuple[str, ...]
    difficulty: str  # 易 / 中 / 难, or ''
    answer_lines: int  # ruled lines the drill sheet leaves for the answer


@dataclass(frozen=True)
class ChapterView:
    number: int
    title: str
    questions: tuple[QuestionView, ...]
    formulas: tuple[FormulaView, ...]


class Typesetter:
    """Turns math into SVG; every formula gets its own id prefix so ids stay unique in a document."""

    def __init__(self, cache: Cache, font_size_pt: float) -> None:
        self.cache = cache
        self.text_px = font_size_pt * PX_PER_PT
        self.count = 0

    def svg(self, math: Math, scale: float = 1.0) -> str:
        self.count += 1
        return math_svg(math, self.cache, round(self.text_px * scale, 2), id_prefix=f"f{self.count}")

    def inline_only(self, fragment: str, scale: float = 1.0) -> str:
        """A title: all math inline, whatever pandoc called it."""
        return replace_math(fragment, lambda m: self.svg(Math(m.tex, False), scale))


def _norm(tex: str) -> str:
    return "".join(tex.split())


def _answer_html(q: Question, ts: Typesetter, assets: Iterable[str]) -> tuple[str, tuple[int, ...]]:
    """The answer with math as SVG and images as asset URLs; also the indexes of the named
    formulas it boxed in place."""
    named = {_norm(f.tex): i for i, f in reversed(list(enumerate(q.formulas)))}
    boxed: list[int] = []

    def display(math: Math) -> str:
        svg = ts.svg(math)
        index = named.get(_norm(math.tex))
        if not math.display:
            return svg
        if index is None or index in boxed:
            return f'<span class="dmath">{svg}</span>'
        boxed.append(index)
        name = html.escape(q.formulas[index].name)
        return f'<span class="dmath named"><span class="fname">{name}</span>{svg}</span>'

    fragment = replace_math(q.html.answer_html, display)
    known = set(assets)

    def image(m: re.Match[str]) -> str:
        name = html.unescape(m.group(2))
        if name not in known:
            raise MissingImage(f"question '{q.id}' shows image '{name}', which is not among the bank's images")
        return f"{m.group(1)}{ASSET_SCHEME}:{html.escape(name)}{m.group(3)}"

    return _IMG_SRC.sub(image, fragment), tuple(boxed)


def answer_lines(q: Question) -> int:
    """Room to answer on the drill sheet: more for questions whose answers are longer."""
    text = _TAG.sub("", q.html.answer_html)
    chars = len("".join(text.split()))
    return max(3, min(12, round(chars / 90)))


def question_view(q: Question, chapter: Chapter, ts: Typesetter, assets: Iterable[str]) -> QuestionView:
    ref = f"{chapter.number}.{q.number}"
    answer, boxed = _answer_html(q, ts, assets)
    extra = tuple(
        FormulaView(f.name, ts.svg(Math(f.tex, True)), ref)
        for i, f in enumerate(q.formulas)
        if i not in boxed
    )
    return QuestionView(
        id=q.id,
        ref=ref,
        title_html=ts.inline_only(q.html.title_html, TITLE_SCALE),
        answer_html=answer,
        extra_formulas=extra,
        companies=tuple(c.name for c in q.companies),
        tags=tuple(q.tags),
        difficulty=DIFFICULTY.get(q.meta.difficulty or "", ""),
        answer_lines=answer_lines(q),
    )


def chapter_views(bank: Bank, cache: Cache, options: PdfOptions) -> tuple[ChapterView, ...]:
    ts = Typesetter(cache, options.font_size_pt)
    views = []
    for chapter in bank.chapters:
        questions = tuple(question_view(q, chapter, ts, bank.assets) for q in chapter.questions)
        formulas = tuple(
            FormulaView(f.name, ts.svg(Math(f.tex, True)), f"{chapter.number}.{q.number}")
            for q in chapter.questions
            for f in q.formulas
        )
        views.append(ChapterView(chapter.number, chapter.title, questions, formulas))
    return tuple(views)


def iso_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sheet_html(sheet: Sheet, bank: Bank, chapters: tuple[ChapterView, ...], options: PdfOptions) -> str:
    """One sheet's complete HTML document."""
    questions = [q for c in chapters for q in c.questions]
    columns = {"cheatsheet": options.columns, "formulas": options.columns, "drill": min(options.columns, 2)}
    style = render(
        "pdf/style.css.j2",
        paper="letter" if options.paper == "Letter" else "A4",
        columns=columns[sheet],
        font_size=options.font_size_pt,
        sans=css_family_list(CJK_FAMILIES, "sans-serif"),
        mono=css_family_list(MONO_FAMILIES, "monospace"),
    )
    return render(
        f"pdf/{sheet}.html.j2",
        style=style,
        bank=bank,
        sheet_name=SHEET_NAMES[sheet],
        chapters=chapters,
        counts={
            "questions": len(questions),
            "chapters": len(chapters),
            "formulas": sum(len(c.formulas) for c in chapters),
            "companies": len({name for q in questions for name in q.companies}),
        },
        updated=iso_date(bank.timestamp),
    )
