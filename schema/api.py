"""The documents of the static JSON API (build/api/v1/). Their JSON Schemas are published."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal["1.2.0"] = "1.2.0"  # 1.1: key points; 1.2: page_url (the question on the site)


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FormulaOut(Doc):
    name: str
    tex: str = Field(description="Canonical TeX source.")
    mathml: str = Field(description="MathML rendering (pandoc), for convenience.")


class KeyPointOut(Doc):
    id: str = Field(description="Stable id (k1, k2, ...): never reused within its question.")
    card: int = Field(description="The number of its Anki cloze card (k7 is card 7).")
    markdown: str = Field(description="The point as written, its cloze spans between == and ==.")
    html: str = Field(description="Sanitised HTML; each cloze span is a <mark> element.")
    clozes: list[str] = Field(description="The Markdown of each cloze span: what to recall.")


class MathOut(Doc):
    tex: str
    display: bool
    mathml: str


class CompanyRef(Doc):
    name: str
    slug: str


class ChapterRef(Doc):
    slug: str
    number: int
    title: str


class Erratum(Doc):
    was: str
    now: str
    why: str


class QuestionSummary(Doc):
    id: str
    title: str
    chapter: str
    number: int
    tags: list[str]
    companies: list[str]
    url: str
    page_url: str | None = Field(
        default=None, description="The question's page on the site (outputs.site.base_url), if published."
    )


class Question(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    id: str
    order: int = Field(description="Position in the whole bank, from 1.")
    chapter: ChapterRef
    number: int = Field(description="Position in its chapter, from 1.")
    title: str = Field(description="The question, Markdown.")
    title_html: str
    answer_markdown: str
    answer_html: str = Field(description="Sanitised HTML; math as MathJax-style \\(..\\) spans.")
    formulas: list[FormulaOut]
    key_points: list[KeyPointOut] = Field(description="The facts to recall, in the author's order.")
    math: list[MathOut] = Field(description="Every formula of the question, answer and key points, in order.")
    tags: list[str]
    companies: list[CompanyRef]
    difficulty: Literal["easy", "medium", "hard"] | None
    source: str | None
    errata: list[Erratum]
    media: list[str] = Field(description="URLs of the images the answer embeds.")
    page_url: str | None = Field(
        default=None, description="The question's page on the site (outputs.site.base_url), if published."
    )


class ChapterCount(Doc):
    slug: str
    number: int
    title: str
    count: int
    url: str


class NamedCount(Doc):
    name: str
    slug: str
    count: int
    url: str


class Counts(Doc):
    questions: int
    chapters: int
    formulas: int
    key_points: int
    companies: int
    tags: int


class Index(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    title: str
    slug: str
    language: str
    author: str
    description: str
    updated: str = Field(description="Time of the last content change, ISO 8601 UTC.")
    counts: Counts
    chapters: list[ChapterCount]
    companies: list[NamedCount]
    tags: list[NamedCount]
    questions: list[QuestionSummary]


class Chapter(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    slug: str
    number: int
    title: str
    questions: list[QuestionSummary]


class Tag(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    tag: str
    description: str
    questions: list[QuestionSummary]


class Company(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    name: str
    slug: str
    aliases: list[str]
    questions: list[QuestionSummary]


class All(Doc):
    schema_version: Literal["1.2.0"] = SCHEMA_VERSION
    index: Index
    questions: list[Question]


# name of the published schema file -> model
API_DOCUMENTS: dict[str, type[Doc]] = {
    "api-index": Index,
    "api-question": Question,
    "api-chapter": Chapter,
    "api-tag": Tag,
    "api-company": Company,
    "api-all": All,
}
