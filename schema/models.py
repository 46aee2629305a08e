"""Pydantic models of everything an author writes in `source/`.

Every model forbids unknown keys: a typo in front matter is an error, never silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TAG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$"
KEY_POINT_PATTERN = r"^k[1-9][0-9]{0,2}$"
SHAPE_PATTERN = r"^o[1-9][0-9]{0,2}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=80)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KeyPointId = Annotated[str, StringConstraints(pattern=KEY_POINT_PATTERN)]
ShapeId = Annotated[str, StringConstraints(pattern=SHAPE_PATTERN)]
Quad = list[float]  # four numbers; a list, so that a wrong count gets the shape's own message


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Formula(Strict):
    """A key formula of an answer: shown boxed, and drilled as its own Anki card."""

    id: NonEmpty | None = Field(
        default=None,
        description="Stable identity of its Anki card; without one the name is. Before renaming a "
        "formula whose card users study, set id to its current name: the card keeps its history.",
    )
    name: NonEmpty = Field(description="What the formula is, e.g. 'Adam update rule'.")
    tex: NonEmpty = Field(description="Plain TeX, without $ delimiters.")
    symbols: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict,
        description="What each symbol means: its TeX as the formula writes it -> plain text. "
        "A formula with symbols gets a second Anki card: the formula, to name it and explain them.",
    )


class KeyPoint(Strict):
    """One fact an interviewer expects to hear: an Anki cloze card, a line of the key-points sheet."""

    id: KeyPointId = Field(
        description="k1, k2, ...: the number of its Anki card. Stable: never renumber, never reuse."
    )
    text: NonEmpty = Field(
        description="The fact in Markdown (inline math allowed), the part to recall between == and ==."
    )


class Shape(Strict):
    """One label of a figure to hide and recall: an Anki image-occlusion card, a numbered box on
    the drill sheet's "label the diagram" page."""

    id: ShapeId = Field(
        description="o1, o2, ...: the number of its Anki card. Stable: never renumber, never reuse."
    )
    label: NonEmpty = Field(description="What the hidden part says, e.g. 'forget gate f_t'.")
    rect: Quad | None = Field(default=None, description="[left, top, width, height] in the figure's units.")
    ellipse: Quad | None = Field(
        default=None, description="[centre x, centre y, radius x, radius y] in the figure's units."
    )
    group: ShapeId | None = Field(
        default=None,
        description="Shapes with the same group are hidden and asked together, as the card of that "
        "number (a group's number is an id like any other: never reuse it).",
    )

    @model_validator(mode="after")
    def _one_outline(self) -> Shape:
        outline = self.rect if self.ellipse is None else self.ellipse
        if (self.rect is None) == (self.ellipse is None) or outline is None:
            raise ValueError("a shape is a 'rect' or an 'ellipse' (exactly one of them)")
        if len(outline) != 4:
            what = (
                "rect is [left, top, width, height]"
                if self.ellipse is None
                else "ellipse is [cx, cy, rx, ry]"
            )
            raise ValueError(f"a {what}: 4 numbers, not {len(outline)}")
        if outline[2] <= 0 or outline[3] <= 0:
            raise ValueError("a shape's width and height (or radii) must be greater than 0")
        return self


class Occlusions(Strict):
    """Labels of one figure of the answer to hide in turn: image occlusion written in the source."""

    figure: NonEmpty = Field(
        description="The figure's path as the answer's image gives it (relative to the question file)."
    )
    units: Literal["figure", "fraction"] = Field(
        default="figure",
        description="figure: the figure's own coordinates (an SVG's viewBox, a bitmap's pixels); "
        "fraction: 0 to 1 of its width and height.",
    )
    shapes: list[Shape] = Field(min_length=1, description="The labels to hide, one card each (or per group).")
    retired: list[ShapeId] = Field(
        default_factory=list, description="Ids of removed shapes and groups: never given to another."
    )


class Erratum(Strict):
    """A correction made to the original text, kept for review."""

    was: NonEmpty = Field(description="What the original text said (a short excerpt).")
    now: NonEmpty = Field(description="What the source says now: an exact substring of the file.")
    why: NonEmpty = Field(description="Why it was changed.")


class QuestionMeta(Strict):
    """The YAML front matter of one question file."""

    id: Slug = Field(description="Stable identity: Anki GUID, JSON URL, EPUB anchor. Never reuse.")
    tags: list[Tag] = Field(min_length=1, description="Topic tags; first segment from tags.yaml.")
    company: list[NonEmpty] = Field(
        default_factory=list, description="Companies that asked it (name or alias from companies.yaml)."
    )
    formulas: list[Formula] = Field(default_factory=list, description="Key formulas of the answer.")
    key_points: list[KeyPoint] = Field(
        default_factory=list, description="2 to 7 facts to recall, each with a ==cloze span==."
    )
    retired_key_points: list[KeyPointId] = Field(
        default_factory=list, description="Ids of removed key points: never given to another point."
    )
    retired_formulas: list[NonEmpty] = Field(
        default_factory=list,
        description="Keys (id, else name) of removed formulas: `check --against` accepts them gone.",
    )
    occlusions: list[Occlusions] = Field(
        default_factory=list, description="Figures of the answer whose labels are drilled (image occlusion)."
    )
    difficulty: Literal["easy", "medium", "hard"] | None = None
    source: str | None = Field(default=None, description="Provenance of the question.")
    errata: list[Erratum] = Field(default_factory=list, description="Corrections to the original.")

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str]) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError("a tag is listed twice")
        return tags


class ChapterMeta(Strict):
    """`chapter.yaml` in a chapter folder."""

    title: NonEmpty


class Company(Strict):
    name: NonEmpty
    slug: Slug
    aliases: list[NonEmpty] = Field(default_factory=list)


class CompanyRegistry(Strict):
    """`companies.yaml`: canonical companies and the spellings that map to them."""

    companies: list[Company]


class RetiredIds(Strict):
    """`retired.yaml` (optional): ids of removed questions. They are never used again, because
    users' Anki collections still hold notes with those GUIDs."""

    retired: list[Slug] = Field(default_factory=list)


class NotationRule(Strict):
    pattern: NonEmpty = Field(description="A regular expression over a formula's TeX.")
    message: NonEmpty = Field(description="What is wrong, and the symbol to use (docs/notation.md).")


class NotationRules(Strict):
    """`notation.yaml` (optional): symbols that clash with docs/notation.md, flagged by `check`."""

    rules: list[NotationRule] = Field(default_factory=list)


class TagRegistry(Strict):
    """`tags.yaml`: the topic taxonomy, first tag segment -> description."""

    tags: dict[Slug, NonEmpty]


# ---- per-backend options: `outputs.<name>` in bank.yaml ----------------------------------


class ApiOptions(Strict):
    base_url: str = Field(default="/api/v1", description="Where build/api/v1 is served from.")


class AnkiOptions(Strict):
    guid_namespace: Slug = Field(
        default="cvbank", description="Prefix of every note GUID. Changing it forks every note."
    )
    question_cards: bool = Field(default=True, description="One card per question: the whole answer.")
    key_point_cards: bool = Field(default=True, description="One cloze card per key point.")
    formula_cards: bool = Field(default=True, description="One extra card per named formula.")
    reverse_formula_cards: bool = Field(
        default=True,
        description="One card per formula with symbols: the formula; name it and say what each symbol means.",
    )
    occlusion_cards: bool = Field(
        default=True, description="One image-occlusion note per figure with occlusions: a card per label."
    )


class PdfOptions(Strict):
    paper: Literal["A4", "Letter"] = "A4"
    columns: int = Field(default=3, ge=1, le=4)
    font_size_pt: float = Field(default=8.0, ge=6, le=12)
    drill_answer_key: bool = Field(
        default=False, description="End each chapter of the drill sheet with its key points, overleaf."
    )


class EpubOptions(Strict):
    math: Literal["svg", "mathml"] = Field(
        default="svg", description="SVG renders in every reader but Kindle; MathML is smaller."
    )


class SiteOptions(Strict):
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s\"'<>]+$")] | None = Field(
        default=None,
        description="Where build/site is published (https://...). With it every Anki card back, EPUB "
        "answer and PDF question links to the question's page there, and the JSON API gives its URL.",
    )
    search_placeholder: str | None = Field(
        default=None, description="Example queries in the search box; default: the language's own."
    )


class Outputs(Strict):
    api: ApiOptions = Field(default_factory=ApiOptions)
    anki: AnkiOptions = Field(default_factory=AnkiOptions)
    pdf: PdfOptions = Field(default_factory=PdfOptions)
    epub: EpubOptions = Field(default_factory=EpubOptions)
    site: SiteOptions = Field(default_factory=SiteOptions)


class BankConfig(Strict):
    """`bank.yaml` at the root of `source/`."""

    title: NonEmpty
    slug: Slug = Field(description="Names the output files: build/anki/<slug>.apkg ...")
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")] = "zh-CN"
    author: NonEmpty
    description: str = ""
    outputs: Outputs = Field(default_factory=Outputs)


def is_slug(text: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, text) is not None
