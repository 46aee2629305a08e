"""Anki backend: build/anki/<stem>.apkg, a deck that updates in place and keeps review history.

What keeps a user's history across updates (see GUIDE.md section 2):
- every note's GUID comes from the bank's `guid_namespace` and the question id (formula notes:
  and the formula's name; diagram notes: and the figure's name), never from the content, so an
  edited answer updates its note;
- the notetypes, their fields and templates have constant ids (notetypes.py);
- decks are matched by name: each deck id is derived from its name, and a filtered build
  (`--company`, `--tag`, `--chapter`) uses the very same deck names as the full bank, so
  importing both never creates a second deck tree;
- notes and notetypes are stamped with the time of the last change to the bank or to the card
  templates (`deck_timestamp`): Anki applies an update only when that time is newer.

A question's notes (their fields, tags and GUIDs) are cached by what they are made from
(`NOTES_CACHE`): after an edit, one question's fields are made again; the package, whose every
row carries the time, is written whole.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import genanki

from compiler.backends.anki.notetypes import (
    FORMULA_MODEL_ID,
    OCCLUSION_MODEL_ID,
    POINTS_MODEL_ID,
    QA_MODEL_ID,
    REVERSE_FORMULA_MODEL_ID,
    formula_model,
    occlusion_model,
    points_model,
    qa_model,
    reverse_formula_model,
)
from compiler.backends.anki.package import deck_fields, note_fields, package_bytes
from compiler.backends.base import BuildContext, MathForm
from compiler.cache import Cache, value_key
from compiler.cache import key as cache_key
from compiler.fingerprint import question_digest
from compiler.identities import formula_keys
from compiler.keypoints import MARK, card_number
from compiler.links import question_url
from compiler.math.forms import Math, for_anki, math_span, replace_math
from compiler.model import Bank, Chapter, Question
from compiler.occlusions import Figure, cards, occlusion_field
from compiler.templating import TEMPLATES
from compiler.timestamps import content_timestamp
from compiler.vocabulary import Vocabulary
from schema.models import AnkiOptions, Formula, Occlusions

NOTES_CACHE = "anki-notes"  # a question's notes: [kind, fields, tags, guid] each, in deck order
FIELDS_CACHE = "anki-fields"  # a package's `note_fields`, by the sha256 of its bytes


def deck_timestamp(bank: Bank) -> int:
    """When the deck's content last changed: the bank's source or the Anki card templates.

    A change to the CSS or templates must reach users too, and Anki only updates a notetype
    whose timestamp is newer than its own copy; the templates' time follows the same rule as
    the source's (`SOURCE_DATE_EPOCH`, else git, else file times).
    """
    return max(bank.timestamp, content_timestamp(TEMPLATES / "anki"))


def deck_id(name: str) -> int:
    """A constant id for a deck name (Anki matches decks by name; the id only has to be stable).

    Kept below 2**53 so it survives any JSON reader, and above 1 (the Default deck).
    """
    digest = hashlib.sha256(f"qbank-deck:{name}".encode()).digest()
    return (1 << 48) | int.from_bytes(digest[:6], "big")


def deck_component(text: str) -> str:
    """A deck name part: `::` separates levels in Anki, so it must not appear inside one."""
    return " ".join(text.replace("::", ":").split())


def tag_component(text: str) -> str:
    """A tag part: Anki splits tags at whitespace, and `::` separates levels."""
    return "_".join(text.replace("::", ":").split())


def anki_html(fragment: str) -> str:
    """Rendered HTML with its math in MathJax delimiters for Anki (`}}` split by `for_anki`)."""

    def render(math: Math) -> str:
        kind = "display" if math.display else "inline"
        return f'<span class="math {kind}">{for_anki(math)}</span>'

    return replace_math(fragment, render)


def chapter_label(chapter: Chapter) -> str:
    return f"{chapter.number:02d} {chapter.title}"


@dataclass(frozen=True)
class DeckNames:
    root: str
    formula_deck: str  # `anki.formula_deck`: sorts after the numbered chapter decks

    def chapter(self, chapter: Chapter) -> str:
        return f"{self.root}::{deck_component(chapter_label(chapter))}"

    @property
    def formulas(self) -> str:
        return f"{self.root}::{self.formula_deck}"


def points_cloze(q: Question) -> str:
    """The Points field: every key point, its spans as the cloze numbered by the point's id."""
    items = []
    for point, fragment in zip(q.key_points, q.html.key_points_html, strict=True):
        cloze = f"{{{{c{card_number(point.id)}::\\1}}}}"  # {{c7::span}}: the card of k7
        items.append("<li>" + MARK.sub(cloze, anki_html(fragment)) + "</li>")
    return "<ol>" + "".join(items) + "</ol>"


_CLOZE = re.compile(r"\{\{c(\d+)::")


def cloze_numbers(field: str) -> set[int]:
    return {int(n) for n in _CLOZE.findall(field)}


def formula_block(name: str, display_html: str) -> str:
    return (
        '<div class="qb-formula">'
        f'<div class="qb-formula-name">{html.escape(name)}</div>'
        f"{anki_html(display_html)}"
        "</div>"
    )


def symbol_list(formula: Formula) -> str:
    """A formula's glossary as a definition list: each symbol as inline math, what it means."""
    items = "".join(
        f"<dt>{anki_html(math_span(tex, display=False))}</dt><dd>{html.escape(meaning)}</dd>"
        for tex, meaning in formula.symbols.items()
    )
    return f"<dl>{items}</dl>"


def site_link(bank: Bank, q: Question) -> str:
    """A link to the question's page on the published site, for a card's back; '' without one."""
    url = question_url(bank, q.id)
    if url is None:
        return ""
    label = html.escape(bank.words["common.question_page"])
    return f'<div class="qb-link"><a href="{html.escape(url)}">{label}</a></div>'


def question_tags(q: Question, chapter: Chapter) -> list[str]:
    """Hierarchical tags, for filtered decks: company::腾讯优图, topic::optimizer::adam, chapter::03."""
    tags = [f"company::{tag_component(c.name)}" for c in q.companies]
    tags += ["topic::" + "::".join(tag_component(p) for p in t.split("/")) for t in q.tags]
    tags.append(f"chapter::{chapter.number:02d}")
    if q.meta.difficulty:
        tags.append(f"difficulty::{q.meta.difficulty}")
    return sorted(set(tags))


def company_badges(q: Question) -> str:
    return "".join(f'<span class="qb-badge qb-company">{html.escape(c.name)}</span>' for c in q.companies)


def difficulty_badge(q: Question, words: Vocabulary) -> str:
    level = q.meta.difficulty
    if not level:
        return ""
    label = html.escape(words.difficulty(level))
    return f'<span class="qb-badge qb-difficulty qb-difficulty-{level}">{label}</span>'


class AnkiBackend:
    name: ClassVar[str] = "anki"
    description: ClassVar[str] = "Anki deck: build/anki/<stem>.apkg (question and formula cards)"

    options: ClassVar[type[AnkiOptions]] = AnkiOptions
    templates: ClassVar[str] = "anki"

    def math_forms(self, options: AnkiOptions) -> frozenset[MathForm]:
        return frozenset()  # the cards carry TeX: Anki's MathJax draws it

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        options = ctx.options
        # not bank.title: filtered builds share the full bank's decks
        names = DeckNames(deck_component(bank.config.title), deck_component(bank.words["anki.formula_deck"]))
        decks = self._decks(bank, names, options, ctx.cache, ctx.code)
        media = [asset.path for asset in bank.assets.values()]
        data = package_bytes(decks, media, deck_timestamp(bank))
        path = ctx.out_dir / f"{bank.stem}.apkg"
        self._report_dropped(path, data, deck_fields(decks), ctx)
        if ctx.removed_ids:
            search = " or ".join(f'"Id:{i}"' for i in ctx.removed_ids)
            ctx.note(
                f"Anki keeps the notes of questions that left the bank; find them with the search: {search}"
            )
        counts = self._counts(decks)
        ctx.note(
            f"{path.name}: {counts[QA_MODEL_ID]} question notes, {counts[FORMULA_MODEL_ID]} formula notes, "
            f"{counts[REVERSE_FORMULA_MODEL_ID]} reverse formula notes, "
            f"{counts[POINTS_MODEL_ID]} key-point notes, {counts[OCCLUSION_MODEL_ID]} diagram notes, "
            f"{len(media)} media files"
        )
        return [ctx.write(path, data)]

    def _decks(
        self, bank: Bank, names: DeckNames, options: AnkiOptions, cache: Cache, code: str
    ) -> list[genanki.Deck]:
        w = bank.words
        models = {
            "question": qa_model(w),
            "points": points_model(w),
            "occlusion": occlusion_model(w),
            "formula": formula_model(w),
            "reverse": reverse_formula_model(w),
        }
        root = genanki.Deck(deck_id(names.root), names.root, description=_root_description(bank))
        decks = [root]
        formula_deck = genanki.Deck(
            deck_id(names.formulas), names.formulas, description=w["anki.formula_deck_description"]
        )
        context = [code, bank.config.language, options.model_dump(mode="json")]
        keys = {
            q.id: value_key(
                *context, question_digest(q), chapter_label(c), site_link(bank, q), repr(q.figures)
            )
            for c in bank.chapters
            for q in c.questions
        }
        known = cache.get_many(NOTES_CACHE, list(keys.values()))
        position = itertools.count(1)
        for chapter in bank.chapters:
            deck = genanki.Deck(deck_id(names.chapter(chapter)), names.chapter(chapter))
            for q in chapter.questions:
                k = keys[q.id]
                if k in known:
                    notes = json.loads(known[k])
                else:
                    notes = self._note_data(models, q, chapter, options, w, site_link(bank, q))
                    cache.put(NOTES_CACHE, k, json.dumps(notes, ensure_ascii=False))
                # a question's own notes (its points, its diagrams) are due with it; each formula
                # note has a place of its own after them
                due = next(position)
                for kind, fields, tags, guid in notes:
                    on_its_own = kind in ("formula", "reverse")
                    note = genanki.Note(
                        model=models[kind],
                        fields=fields,
                        tags=tags,
                        guid=guid,
                        due=next(position) if on_its_own else due,
                    )
                    (formula_deck if on_its_own else deck).add_note(note)
            decks.append(deck)
        if formula_deck.notes:
            decks.append(formula_deck)
        return decks

    def _note_data(
        self,
        models: dict[str, genanki.Model],
        q: Question,
        chapter: Chapter,
        options: AnkiOptions,
        w: Vocabulary,
        link: str,
    ) -> list[list[object]]:
        """A question's notes as [kind, fields, tags, guid], in the order they join their decks."""
        namespace = options.guid_namespace
        notes: list[tuple[str, genanki.Note]] = []
        if options.question_cards:
            notes.append(
                ("question", self._question_note(models["question"], q, chapter, namespace, 0, w, link))
            )
        if options.key_point_cards and q.key_points:
            notes.append(("points", self._points_note(models["points"], q, chapter, namespace, 0, link)))
        if options.occlusion_cards:
            for occlusions, figure in q.occlusions:
                note = self._occlusion_note(
                    models["occlusion"], q, chapter, occlusions, figure, namespace, 0, w, link
                )
                notes.append(("occlusion", note))
        unused = itertools.count()  # places are given when the decks are assembled
        if options.formula_cards:
            for note in self._formula_notes(models["formula"], q, chapter, namespace, unused, link):
                notes.append(("formula", note))
        if options.reverse_formula_cards:
            for note in self._reverse_formula_notes(models["reverse"], q, chapter, namespace, unused, link):
                notes.append(("reverse", note))
        return [[kind, list(n.fields), list(n.tags), n.guid] for kind, n in notes]

    @staticmethod
    def _question_note(
        model: genanki.Model,
        q: Question,
        chapter: Chapter,
        namespace: str,
        due: int,
        words: Vocabulary,
        link: str = "",
    ) -> genanki.Note:
        formulas = "".join(
            formula_block(f.name, span) for f, span in zip(q.formulas, q.html.formulas_html, strict=True)
        )
        fields = [
            q.id,
            anki_html(q.html.title_html),
            anki_html(q.html.answer_html) + link,
            formulas,
            company_badges(q),
            difficulty_badge(q, words),
            html.escape(chapter_label(chapter)),
            html.escape(q.meta.source or ""),
        ]
        return genanki.Note(
            model=model,
            fields=fields,
            tags=[*question_tags(q, chapter), "kind::question"],
            guid=genanki.guid_for(f"{namespace}:{q.id}"),
            due=due,
        )

    @staticmethod
    def _points_note(
        model: genanki.Model, q: Question, chapter: Chapter, namespace: str, due: int, link: str = ""
    ) -> genanki.Note:
        fields = [
            q.id,
            anki_html(q.html.title_html),
            points_cloze(q),
            anki_html(q.html.answer_html) + link,
            company_badges(q),
            html.escape(chapter_label(chapter)),
        ]
        return genanki.Note(
            model=model,
            fields=fields,
            tags=[*question_tags(q, chapter), "kind::key-point"],
            guid=genanki.guid_for(f"{namespace}:{q.id}:points"),
            due=due,
        )

    @staticmethod
    def _occlusion_note(
        model: genanki.Model,
        q: Question,
        chapter: Chapter,
        occlusions: Occlusions,
        figure: Figure,
        namespace: str,
        due: int,
        words: Vocabulary,
        link: str = "",
    ) -> genanki.Note:
        """A note of Anki's image occlusion for one figure: a card per shape (or group) number,
        the labels listed on the back."""
        labels = "".join(
            f'<li value="{card.number}">{html.escape(card.label)}</li>'
            for card in cards(occlusions, figure.size)
        )
        name = figure.path.name
        heading = html.escape(words["anki.occlusion_labels"])
        fields = [
            occlusion_field(occlusions, figure.size),
            f'<img src="{html.escape(name)}">',
            anki_html(q.html.title_html),
            f'<div class="qb-occlusion-labels">{heading}</div><ol>{labels}</ol>{link}',
            html.escape(f"{q.id} · {name}"),
        ]
        return genanki.Note(
            model=model,
            fields=fields,
            tags=[*question_tags(q, chapter), "kind::diagram"],
            guid=genanki.guid_for(f"{namespace}:{q.id}:occlusion:{name}"),
            due=due,
        )

    @staticmethod
    def _formula_notes(
        model: genanki.Model,
        q: Question,
        chapter: Chapter,
        namespace: str,
        position: Iterator[int],
        link: str = "",
    ) -> Iterator[genanki.Note]:
        tags = [*question_tags(q, chapter), "kind::formula"]
        keys = formula_keys(q.formulas)
        for formula, key, span in zip(q.formulas, keys, q.html.formulas_html, strict=True):
            fields = [
                f"{q.id}/{key}",
                html.escape(formula.name),
                formula_block(formula.name, span) + link,  # the back only: the front has the question
                anki_html(q.html.title_html),
                html.escape(chapter_label(chapter)),
            ]
            yield genanki.Note(
                model=model,
                fields=fields,
                tags=tags,
                guid=genanki.guid_for(f"{namespace}:{q.id}:formula:{key}"),
                due=next(position),
            )

    @staticmethod
    def _reverse_formula_notes(
        model: genanki.Model,
        q: Question,
        chapter: Chapter,
        namespace: str,
        position: Iterator[int],
        link: str = "",
    ) -> Iterator[genanki.Note]:
        """A note per formula with a glossary: the formula on the front, to name and explain.
        Its GUID has its own word (`formula-reverse`), beside the formula note's, from the same key."""
        tags = [*question_tags(q, chapter), "kind::formula-reverse"]
        keys = formula_keys(q.formulas)
        for formula, key, span in zip(q.formulas, keys, q.html.formulas_html, strict=True):
            if not formula.symbols:
                continue
            fields = [
                f"{q.id}/{key}",
                anki_html(span),
                html.escape(formula.name),
                symbol_list(formula),
                anki_html(q.html.title_html) + link,
                html.escape(chapter_label(chapter)),
            ]
            yield genanki.Note(
                model=model,
                fields=fields,
                tags=tags,
                guid=genanki.guid_for(f"{namespace}:{q.id}:formula-reverse:{key}"),
                due=next(position),
            )

    @staticmethod
    def _counts(decks: list[genanki.Deck]) -> Counter[int]:
        return Counter(n.model.model_id for d in decks for n in d.notes)

    @staticmethod
    def _report_dropped(path: Path, data: bytes, now: dict[int, dict[str, str]], ctx: BuildContext) -> None:
        """Anki keeps what a package no longer has: name the formula notes that left this deck
        (a renamed or removed formula) and the key-point cards left empty (a removed point).

        `now`: the notes of `data`. What a package holds is cached by its bytes (`FIELDS_CACHE`),
        so that the previous package, which this build wrote, is not unpacked again."""
        now = compared_fields(now)
        ctx.cache.put(FIELDS_CACHE, _fields_key(ctx.code, data), json.dumps(now, sort_keys=True))
        try:
            before = previous_fields(path, ctx.cache, ctx.code)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, sqlite3.Error) as exc:
            # no previous build, or a file that is not a package
            if path.exists():
                ctx.note(f"could not read the previous {path.name} to compare it with: {exc}")
            return
        gone = sorted(set(before.get(FORMULA_MODEL_ID, {})) - set(now.get(FORMULA_MODEL_ID, {})))
        if gone:
            search = " or ".join(f'"Id:{i}"' for i in gone)
            ctx.note(f"{len(gone)} formula card(s) left the deck since the last build: {', '.join(gone)}")
            ctx.note(f"Anki keeps their notes; find them with the search: {search}")
            ctx.note("a renamed formula keeps its card when its `id` is its old name (docs/authoring.md)")
        for figure, shapes in before.get(OCCLUSION_MODEL_ID, {}).items():
            left = sorted(
                cloze_numbers(shapes) - cloze_numbers(now.get(OCCLUSION_MODEL_ID, {}).get(figure, ""))
            )
            if left:
                ids = ", ".join(f"o{n}" for n in left)
                ctx.note(
                    f"shape(s) {ids} of '{html.unescape(figure)}' left the figure: their cards are empty "
                    "now; Tools > Empty Cards in Anki removes them (add the ids to the figure's retired)"
                )
        for qid, points in before.get(POINTS_MODEL_ID, {}).items():
            left = sorted(cloze_numbers(points) - cloze_numbers(now.get(POINTS_MODEL_ID, {}).get(qid, "")))
            if left:
                ids = ", ".join(f"k{n}" for n in left)
                ctx.note(
                    f"key point(s) {ids} of '{qid}' left the bank: their cards are empty now; "
                    "Tools > Empty Cards in Anki removes them (add the ids to retired_key_points)"
                )


def compared_fields(fields: dict[int, dict[str, str]]) -> dict[int, dict[str, str]]:
    """Of `note_fields`, what `_report_dropped` compares: the formula notes' ids (their fields
    left out), the diagram and key-point notes' clozes; not the question notes' answers."""
    kept = {mid: notes for mid, notes in fields.items() if mid in (OCCLUSION_MODEL_ID, POINTS_MODEL_ID)}
    if FORMULA_MODEL_ID in fields:
        kept[FORMULA_MODEL_ID] = dict.fromkeys(fields[FORMULA_MODEL_ID], "")
    return kept


def _fields_key(code: str, apkg: bytes) -> str:
    return cache_key(code, hashlib.sha256(apkg).hexdigest())


def previous_fields(path: Path, cache: Cache, code: str) -> dict[int, dict[str, str]]:
    """`note_fields` of the package at `path`: from the cache when this code made it."""
    apkg = path.read_bytes()
    known = cache.get(FIELDS_CACHE, _fields_key(code, apkg))
    if known is not None:
        return {int(mid): dict(fields) for mid, fields in json.loads(known).items()}
    return compared_fields(note_fields(apkg))


def _root_description(bank: Bank) -> str:
    # The same text for the full bank and every filtered build: importing a filtered deck updates
    # the description of the shared root deck.
    author = bank.words.fmt("anki.author", author=bank.config.author) if bank.config.author else ""
    parts = [bank.config.description, author]
    return "<br>".join(html.escape(p) for p in parts if p)
