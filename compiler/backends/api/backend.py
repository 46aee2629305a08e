"""JSON API backend: a static, versioned API any web server can serve (build/api/v1/).

Each question's document and its summary are cached as the UTF-8 JSON they are written as, by
what they are made from (`QUESTION_CACHE`, one entry read with the others in a few queries);
`all.json` is spliced from those texts and the lists of the index, chapter, tag and company
documents from the summaries (`splice`): an edit serialises one question again, not the bank
twice and its summaries five times, and nothing is encoded again."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

from pydantic import BaseModel

from compiler.backends.base import BuildContext, MathForm
from compiler.cache import value_key
from compiler.fingerprint import question_digest
from compiler.keypoints import card_number, spans
from compiler.links import question_url
from compiler.markup import MARKDOWN_IMAGE, replace_image_sources
from compiler.math.forms import Math, find_math
from compiler.model import Bank, Question
from compiler.timestamps import iso_datetime
from schema import api
from schema.export import all_schemas
from schema.models import ApiOptions

QUESTION_CACHE = "api-question"  # a question's document as JSON text, by what it is made from
_MARK = "\0qbank-splice\0"  # stands for a value of a document until `splice` puts its text there


def dump(doc: BaseModel | dict[str, object]) -> bytes:
    """UTF-8 JSON with a stable key order: the same bank gives the same bytes."""
    return (dump_text(doc) + "\n").encode("utf-8")


def dump_text(doc: BaseModel | dict[str, object]) -> str:
    data = doc.model_dump(mode="json") if isinstance(doc, BaseModel) else doc
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def splice(doc: BaseModel, parts: dict[str, bytes | list[bytes]]) -> bytes:
    """`dump_text(doc)` in UTF-8 with the field `name` of each of `parts` written from texts made
    before: a value's `dump_text`, or a list's items' (the field's value in `doc` is left out).
    `json.dumps` writes a nested value as it writes it alone, every line but the first indented
    as deep as the line it starts on (a JSON string holds no line break, and in UTF-8 no byte of
    another character is a line break)."""
    data = doc.model_dump(mode="json")
    marks = {name: f"{_MARK}{name}" for name in parts}
    text = dump_text({**data, **marks}).encode("utf-8")
    for name, part in parts.items():
        token = json.dumps(marks[name], ensure_ascii=False).encode("utf-8")
        assert text.count(token) == 1
        at = text.index(token)
        line = text[text.rfind(b"\n", 0, at) + 1 : at]
        lead = b" " * (len(line) - len(line.lstrip(b" ")))
        if isinstance(part, bytes):
            value = part.replace(b"\n", b"\n" + lead)
        elif part:
            inner = lead + b"  "
            indented = (b",\n" + inner).join(p.replace(b"\n", b"\n" + inner) for p in part)
            value = b"[\n" + inner + indented + b"\n" + lead + b"]"
        else:
            value = b"[]"
        text = text[:at] + value + text[at + len(token) :]
    return text


def tag_path(tag: str) -> str:
    return tag  # hierarchical tags become nested folders: tags/optimizer/adam.json


class ApiBackend:
    name: ClassVar[str] = "api"
    description: ClassVar[str] = "static JSON API: build/api/v1/*.json"
    options: ClassVar[type[ApiOptions]] = ApiOptions
    templates: ClassVar[str] = "api"

    def math_forms(self, options: ApiOptions) -> frozenset[MathForm]:
        return frozenset({"mathml"})  # every formula is published as TeX and MathML

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        root = ctx.out_dir / "v1"
        base = ctx.options.base_url.rstrip("/")
        if bank.variant:  # served from api-<variant>/v1 beside api/v1
            base = base.replace("/api/v1", f"/api-{bank.variant}/v1") if base.endswith("/api/v1") else base
        questions = bank.questions
        mathml = bank.mathml
        chapters = {c.slug: c for c in bank.chapters}

        def summary(q: Question) -> api.QuestionSummary:
            return api.QuestionSummary(
                id=q.id,
                title=q.title,
                chapter=q.chapter_slug,
                number=q.number,
                tags=q.tags,
                companies=[c.name for c in q.companies],
                url=f"{base}/questions/{q.id}.json",
                page_url=question_url(bank, q.id),
            )

        summaries: dict[str, bytes] = {}  # each once, for five documents

        def listed(members: list[Question]) -> dict[str, bytes | list[bytes]]:
            return {"questions": [summaries[q.id] for q in members]}

        files: dict[str, bytes] = {}
        texts: list[bytes] = []  # every question's document, as UTF-8 JSON
        keys = [
            value_key(
                ctx.code,
                bank.mathml_by,  # the MathML of its formulas
                base,
                order,
                question_digest(q),
                str(q.path),
                [[a.name, str(a.path)] for a in q.assets],
                question_url(bank, q.id),
                [chapters[q.chapter_slug].number, chapters[q.chapter_slug].title],
            )
            for order, q in enumerate(questions, start=1)
        ]
        known = ctx.cache.get_many_bytes(QUESTION_CACHE, keys)
        for order, (q, k) in enumerate(zip(questions, keys, strict=True), start=1):
            if k in known:
                # the summary, NUL, the document (JSON escapes a NUL in a string: none is raw)
                summaries[q.id], _, text = known[k].partition(b"\0")
                texts.append(text)
                continue
            chapter = chapters[q.chapter_slug]
            doc = api.Question(
                id=q.id,
                order=order,
                chapter=api.ChapterRef(slug=chapter.slug, number=chapter.number, title=chapter.title),
                number=q.number,
                title=q.title,
                title_html=q.html.title_html,
                answer_markdown=_media_markdown(q, base),
                answer_html=_media_urls(q.html.answer_html, base),
                formulas=[
                    api.FormulaOut(name=f.name, tex=f.tex, mathml=mathml[Math(f.tex, True)])
                    for f in q.formulas
                    if Math(f.tex, True) in mathml
                ],
                key_points=[
                    api.KeyPointOut(
                        id=p.id,
                        card=card_number(p.id),
                        markdown=p.text,
                        html=_media_urls(fragment, base),
                        clozes=[p.text[start + 2 : end - 2] for start, end in spans(p.text)],
                    )
                    for p, fragment in zip(q.key_points, q.html.key_points_html, strict=True)
                ],
                math=[
                    api.MathOut(tex=m.tex, display=m.display, mathml=mathml[m])
                    for fragment in (q.html.title_html, q.html.answer_html, *q.html.key_points_html)
                    for m in find_math(fragment)
                ],
                tags=q.tags,
                companies=[api.CompanyRef(name=c.name, slug=c.slug) for c in q.companies],
                difficulty=q.meta.difficulty,
                source=q.meta.source,
                errata=[api.Erratum(**e.model_dump()) for e in q.meta.errata],
                page_url=question_url(bank, q.id),
                media=[f"{base}/media/{a.name}" for a in q.assets],
            )
            summaries[q.id] = dump_text(summary(q)).encode("utf-8")
            texts.append(dump_text(doc).encode("utf-8"))
            ctx.cache.put_bytes(QUESTION_CACHE, k, summaries[q.id] + b"\0" + texts[-1])

        for c in bank.chapters:
            listing: BaseModel = api.Chapter(slug=c.slug, number=c.number, title=c.title, questions=[])
            files[f"chapters/{c.slug}.json"] = splice(listing, listed(list(c.questions))) + b"\n"
        tag_members: dict[str, list[Question]] = {}
        for q in questions:
            for tag in q.tags:
                parts = tag.split("/")
                for depth in range(1, len(parts) + 1):  # optimizer/adam is also under optimizer
                    members = tag_members.setdefault("/".join(parts[:depth]), [])
                    if not members or members[-1] is not q:  # two tags of q under one parent
                        members.append(q)
        for tag, members in sorted(tag_members.items()):
            description = bank.tags.get(tag, bank.tags.get(tag.split("/")[0], ""))
            listing = api.Tag(tag=tag, description=description, questions=[])
            files[f"tags/{tag_path(tag)}.json"] = splice(listing, listed(members)) + b"\n"
        used_companies = [c for c in bank.companies if any(c in q.companies for q in questions)]
        for company in used_companies:
            listing = api.Company(name=company.name, slug=company.slug, aliases=company.aliases, questions=[])
            members = [q for q in questions if company in q.companies]
            files[f"companies/{company.slug}.json"] = splice(listing, listed(members)) + b"\n"
        index = api.Index(
            title=bank.title,
            slug=bank.stem,
            language=bank.config.language,
            author=bank.config.author,
            description=bank.config.description,
            updated=iso_datetime(bank.timestamp),
            counts=api.Counts(
                questions=len(questions),
                chapters=len(bank.chapters),
                formulas=sum(len(q.formulas) for q in questions),
                key_points=sum(len(q.key_points) for q in questions),
                companies=len(used_companies),
                tags=len(tag_members),
            ),
            chapters=[
                api.ChapterCount(
                    slug=c.slug,
                    number=c.number,
                    title=c.title,
                    count=len(c.questions),
                    url=f"{base}/chapters/{c.slug}.json",
                )
                for c in bank.chapters
            ],
            companies=[
                api.NamedCount(
                    name=c.name,
                    slug=c.slug,
                    count=sum(c in q.companies for q in questions),
                    url=f"{base}/companies/{c.slug}.json",
                )
                for c in used_companies
            ],
            tags=[
                api.NamedCount(name=t, slug=t, count=len(m), url=f"{base}/tags/{tag_path(t)}.json")
                for t, m in sorted(tag_members.items())
            ],
            questions=[],
        )
        index_text = splice(index, listed(questions))
        files["index.json"] = index_text + b"\n"
        all_parts: dict[str, bytes | list[bytes]] = {"index": index_text, "questions": texts}
        files["all.json"] = splice(api.All(index=index, questions=[]), all_parts) + b"\n"
        for q, text in zip(questions, texts, strict=True):
            files[f"questions/{q.id}.json"] = text + b"\n"
        written = [ctx.write(root / name, data) for name, data in sorted(files.items())]
        for name, schema in all_schemas().items():
            written.append(ctx.write(root / "schema" / name, schema.encode("utf-8")))
        written.append(ctx.write(root / "openapi.json", dump(openapi(bank, base))))
        for asset in bank.assets.values():
            written.append(ctx.write(root / "media" / asset.name, asset.path.read_bytes()))
        return written


def _media_urls(fragment: str, base: str) -> str:
    """Images refer to asset names in the model; on the web they live under media/."""
    return replace_image_sources(fragment, lambda name: f"{base}/media/{name}")


def _media_markdown(q: Question, base: str) -> str:
    """The answer's Markdown with its images pointing at media/ like the HTML: a consumer that
    renders `answer_markdown` has no source folder to resolve `../figures/x.svg` against."""
    media = {asset.path: f"{base}/media/{asset.name}" for asset in q.assets}

    def fix(m: re.Match[str]) -> str:
        try:
            target = (q.path.parent / unquote(m.group(2))).resolve()
        except (OSError, ValueError):
            return m.group(0)
        return m.group(1) + media[target] + m.group(3) if target in media else m.group(0)

    return MARKDOWN_IMAGE.sub(fix, q.answer)


def openapi(bank: Bank, base: str) -> dict[str, object]:
    """An OpenAPI 3.1 description of the static endpoints."""

    def get(summary: str, schema: str, params: list[dict[str, object]] | None = None) -> dict[str, object]:
        op: dict[str, object] = {
            "summary": summary,
            "responses": {
                "200": {
                    "description": summary,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                },
                "404": {"description": "No such document."},
            },
        }
        if params:
            op["parameters"] = params
        return {"get": op}

    def param(name: str, description: str) -> dict[str, object]:
        return {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
        }

    # The published schemas are embedded so the document stands alone; their internal
    # references are re-rooted under components/schemas/<name>.
    components = {}
    for file_name, text in all_schemas().items():
        if file_name.startswith("api-"):
            name = file_name.removesuffix(".schema.json")
            text = text.replace('"#/$defs/', f'"#/components/schemas/{name}/$defs/')
            schema = json.loads(text)
            schema.pop("$id", None)
            schema.pop("$schema", None)
            components[name] = schema
    return {
        "openapi": "3.1.0",
        "components": {"schemas": components},
        "info": {
            "title": f"{bank.title} API",
            "version": api.SCHEMA_VERSION,
            "description": "A static JSON API: every document is a file, served as is.",
        },
        "servers": [{"url": base}],
        "paths": {
            "/index.json": get("Bank metadata, chapters, counts and question summaries", "api-index"),
            "/all.json": get("Every question in full", "api-all"),
            "/questions/{id}.json": get("One question", "api-question", [param("id", "Question id")]),
            "/chapters/{slug}.json": get("One chapter", "api-chapter", [param("slug", "Chapter slug")]),
            "/tags/{tag}.json": get("Questions with a tag", "api-tag", [param("tag", "Tag, '/' for levels")]),
            "/companies/{slug}.json": get(
                "Questions a company asked", "api-company", [param("slug", "Company slug")]
            ),
        },
    }
