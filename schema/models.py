"""Pydantic models of everything an author writes in `source/`.

Every model forbids unknown keys: a typo in front matter is an error, never silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TAG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$"
KEY_POINT_PATTERN = r"^k[1-9][0-9]{0,2}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=80)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KeyPointId = Annotated[str, StringConstraints(pattern=KEY_POINT_PATTERN)]


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


class KeyPoint(Strict):
    """One fact an interviewer expects to hear: an Anki cloze card, a line of the key-points sheet."""

    id: KeyPointId = Field(
        description="k1, k2, ...: the number of its Anki card. Stable: never renumber, never reuse."
    )
    text: NonEmpty = Field(
        description="The fact in Markdown (inline math allowed), the part to recall between == and ==."
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
