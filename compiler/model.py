"""The one document model every backend reads: a validated, rendered bank.

Rendered HTML is sanitised, its images point at asset names (see `Asset`) and its math is left as
pandoc's `<span class="math inline|display">\\(TeX\\)</span>`, which each backend turns into the
form it needs through `compiler.math.forms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from compiler.math.forms import Math
from compiler.occlusions import Figure
from compiler.vocabulary import Vocabulary, vocabulary
from schema.models import BankConfig, Company, Formula, KeyPoint, NotationRule, Occlusions, QuestionMeta


@dataclass(frozen=True)
class Asset:
    """A file an answer embeds; `name` is unique in the bank and is what rendered HTML refers to."""

    name: str
    path: Path


@dataclass(frozen=True)
class Rendered:
    title_html: str
    answer_html: str
    formulas_html: tuple[str, ...]  # one per `meta.formulas`, display math span
    key_points_html: tuple[str, ...] = ()  # one per `meta.key_points`, inline, spans as <mark>


@dataclass(frozen=True)
class Question:
    meta: QuestionMeta
    title: str  # Markdown of the H1
    answer: str  # Markdown of the answer
    path: Path
    body_line: int  # line of the H1 in the file
    chapter_slug: str
    number: int  # position within its chapter, from 1
    companies: tuple[Company, ...]
    # one per `meta.occlusions`: each occluded figure's file and coordinates (the loader's)
    figures: tuple[Figure, ...] = ()
    assets: tuple[Asset, ...] = ()
    rendered: Rendered | None = None

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def tags(self) -> list[str]:
        return self.meta.tags

    @property
    def formulas(self) -> list[Formula]:
        return self.meta.formulas

    @property
    def key_points(self) -> list[KeyPoint]:
        return self.meta.key_points

    @property
    def occlusions(self) -> list[tuple[Occlusions, Figure]]:
        """Every occluded figure of the answer with its file and coordinate system (none when
        the loader found a problem with them: such a bank is never built)."""
        if len(self.figures) != len(self.meta.occlusions):
            return []
        return list(zip(self.meta.occlusions, self.figures, strict=True))

    @property
    def html(self) -> Rendered:
        assert self.rendered is not None, "questions are rendered before backends run"
        return self.rendered


@dataclass(frozen=True)
class Chapter:
    slug: str  # the folder name, e.g. 03-deep-learning
    number: int
    title: str
    path: Path
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Bank:
    config: BankConfig
    root: Path
    chapters: tuple[Chapter, ...]
    companies: tuple[Company, ...]
    tags: dict[str, str]
    timestamp: int  # seconds since the epoch of the last content change
    filter_label: str = ""  # human description of a filter, '' for the whole bank
    variant: str = ""  # file-name suffix of a filter, '' for the whole bank
    assets: dict[str, Asset] = field(default_factory=dict)
    # symbols that clash with docs/notation.md (source/notation.yaml), checked in phase one
    notation: tuple[NotationRule, ...] = ()
    # every formula as MathML, when a backend that draws MathML is about to run (phase one)
    mathml: dict[Math, str] = field(default_factory=dict)
    # what made `mathml` (the converter and its version): a page cached with its MathML keeps it
    mathml_by: str = ""

    @property
    def questions(self) -> list[Question]:
        return [q for c in self.chapters for q in c.questions]

    @property
    def stem(self) -> str:
        """Base name of this bank's output files."""
        return self.config.slug + (f"-{self.variant}" if self.variant else "")

    @property
    def words(self) -> Vocabulary:
        """The reader-visible words of every output, in the bank's language."""
        return vocabulary(self.config.language)

    @property
    def title(self) -> str:
        if not self.filter_label:
            return self.config.title
        return self.words.fmt("common.filtered_title", title=self.config.title, label=self.filter_label)

    def chapter_of(self, q: Question) -> Chapter:
        return next(c for c in self.chapters if c.slug == q.chapter_slug)

    def ref(self, q: Question) -> str:
        return self.words.ref(self.chapter_of(q).number, q.number)

    def with_chapters(self, chapters: tuple[Chapter, ...]) -> Bank:
        return replace(self, chapters=chapters)
