"""The Anki notetypes of the bank, designed once: question, formula, key points and diagram
(Anki's own image occlusion).

Anki matches an imported notetype to the user's copy by its **id**; a field or template is
matched by its own `id` (Anki >= 2.1.67). With every id fixed here, a later build that changes
the CSS or the card templates updates the user's notetype in place. What must never change once
a deck is published: the ids below, and the names and number of fields and templates (Anki
compares those to decide whether the notetypes still agree; if not, it imports the notes under
a second notetype, "问答+", instead of updating them). The names come from the bank's vocabulary.

The card templates and the CSS are plain files in templates/anki/ (Anki's `{{Field}}` syntax
would clash with Jinja2), read by `template_text`; `[[key]]` in them is a word of the vocabulary.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import genanki

from compiler.templating import asset
from compiler.vocabulary import Vocabulary

# Never change these numbers: they are how users' collections recognise the notetypes.
QA_MODEL_ID = 1542734494189
FORMULA_MODEL_ID = 1461634204555
POINTS_MODEL_ID = 1552187499831
OCCLUSION_MODEL_ID = 1683562908417
REVERSE_FORMULA_MODEL_ID = 1617395529068


@dataclass(frozen=True)
class FieldSpec:
    name: str
    id: int


@dataclass(frozen=True)
class TemplateSpec:
    name: str  # vocabulary key of the template's name
    id: int
    front: str  # file in templates/anki/
    back: str


# The question notetype. Id comes first: Anki checks the first field for duplicates, and the id
# is what is unique. The sort field (the browser's column) is the question.
QA_FIELDS = (
    FieldSpec("Id", 2373411027),
    FieldSpec("Question", 1229980319),
    FieldSpec("Answer", 2310700202),
    FieldSpec("Formulas", 1273877857),
    FieldSpec("Companies", 1662196521),
    FieldSpec("Difficulty", 2842250001),
    FieldSpec("Chapter", 2021543215),
    FieldSpec("Source", 2554004937),
)
QA_SORT_FIELD = 1
QA_TEMPLATE = TemplateSpec("anki.template_qa", 2254084640, "qa-front.html", "qa-back.html")

# The formula notetype: one note per named formula, to drill it on its own.
FORMULA_FIELDS = (
    FieldSpec("Id", 2802151574),
    FieldSpec("Name", 2769364242),
    FieldSpec("Formula", 2790448570),
    FieldSpec("Question", 2125760220),
    FieldSpec("Chapter", 1439231376),
)
FORMULA_SORT_FIELD = 1
FORMULA_TEMPLATE = TemplateSpec(
    "anki.template_formula", 1956283605, "formula-front.html", "formula-back.html"
)

# The reverse formula notetype: the formula on the front; its name, its symbols and its question
# on the back. A notetype of its own, not a second template of the formula notetype: a new
# template changes a notetype's schema, and every user's formula notes would conflict on import.
REVERSE_FORMULA_FIELDS = (
    FieldSpec("Id", 1925720391),
    FieldSpec("Formula", 1400651327),
    FieldSpec("Name", 1796283106),
    FieldSpec("Symbols", 1210497833),
    FieldSpec("Question", 2035179840),
    FieldSpec("Chapter", 1683209457),
)
REVERSE_FORMULA_SORT_FIELD = 2
REVERSE_FORMULA_TEMPLATE = TemplateSpec(
    "anki.template_formula_reverse", 1104866072, "formula-reverse-front.html", "formula-reverse-back.html"
)

# The key-point notetype: a cloze note per question, one card per key point. A card's number is
# its point's id (`k7` is card 7, `compiler.keypoints.card_number`), never its position, so
# reordering, editing or adding points keeps every card's history on its own fact.
POINTS_FIELDS = (
    FieldSpec("Id", 1103694312),
    FieldSpec("Question", 1155555737),
    FieldSpec("Points", 1202142728),
    FieldSpec("Answer", 1785310972),
    FieldSpec("Companies", 1124551738),
    FieldSpec("Chapter", 2089709946),
)
POINTS_SORT_FIELD = 1
POINTS_TEMPLATE = TemplateSpec("anki.template_points", 1461060838, "points-front.html", "points-back.html")

# The diagram notetype: Anki's own "Image Occlusion" (Anki 23.10+, AnkiMobile, AnkiDroid 2.17+),
# as a fresh collection of the anki package holds it, with a constant id of ours. Anki knows it
# by `originalStockKind` 6 and finds its fields by their `tag` (0 occlusions, 1 image, 2 header,
# 3 back extra, 4 comments), so the reviewer draws the masks and the editor opens it as image
# occlusion. One note per occluded figure; a card per shape's number (`compiler.occlusions`).
STOCK_KIND_IMAGE_OCCLUSION = 6
OCCLUSION_FIELDS = (
    FieldSpec("Occlusion", 1347405112),
    FieldSpec("Image", 1991827706),
    FieldSpec("Header", 1118374569),
    FieldSpec("Back Extra", 1530448291),
    FieldSpec("Comments", 1870260344),
)
OCCLUSION_SORT_FIELD = 2  # the question, in the browser's column
OCCLUSION_TEMPLATE = TemplateSpec(
    "anki.template_occlusion", 1265797462, "occlusion-front.html", "occlusion-back.html"
)
OCCLUSION_CSS_FILE = "occlusion.css"

CSS_FILE = "cards.css"
FIT_MATH_FILE = "fit-math.html"  # appended to every back template


def template_text(name: str) -> str:
    """A card template or the stylesheet, from templates/anki/ (tests patch this seam)."""
    return asset(f"anki/{name}")


_WORD = re.compile(r"\[\[([a-z_.]+)\]\]")


def localised(text: str, words: Vocabulary) -> str:
    """A card template with its `[[key]]` words filled in from the vocabulary."""
    return _WORD.sub(lambda m: html.escape(words[m.group(1)], quote=False), text)


def _fields(specs: tuple[FieldSpec, ...]) -> list[dict[str, object]]:
    # Fonts only affect Anki's editor; "font"/"size" are set so genanki's defaults do not leak.
    return [{"name": f.name, "id": f.id, "font": "Arial", "size": 18} for f in specs]


def _template(spec: TemplateSpec, words: Vocabulary) -> dict[str, object]:
    return {
        "name": words[spec.name],
        "id": spec.id,
        "qfmt": localised(template_text(spec.front), words),
        "afmt": localised(template_text(spec.back) + template_text(FIT_MATH_FILE), words),
    }


def _model(
    model_id: int,
    name: str,
    fields: tuple[FieldSpec, ...],
    template: TemplateSpec,
    sort_field: int,
    words: Vocabulary,
    kind: int = genanki.Model.FRONT_BACK,
) -> genanki.Model:
    return genanki.Model(
        model_id,
        words[name],
        fields=_fields(fields),
        templates=[_template(template, words)],
        css=template_text(CSS_FILE),
        model_type=kind,
        sort_field_index=sort_field,
    )


def qa_model(words: Vocabulary) -> genanki.Model:
    return _model(QA_MODEL_ID, "anki.notetype_qa", QA_FIELDS, QA_TEMPLATE, QA_SORT_FIELD, words)


def formula_model(words: Vocabulary) -> genanki.Model:
    return _model(
        FORMULA_MODEL_ID, "anki.notetype_formula", FORMULA_FIELDS, FORMULA_TEMPLATE, FORMULA_SORT_FIELD, words
    )


def reverse_formula_model(words: Vocabulary) -> genanki.Model:
    return _model(
        REVERSE_FORMULA_MODEL_ID,
        "anki.notetype_formula_reverse",
        REVERSE_FORMULA_FIELDS,
        REVERSE_FORMULA_TEMPLATE,
        REVERSE_FORMULA_SORT_FIELD,
        words,
    )


def points_model(words: Vocabulary) -> genanki.Model:
    return _model(
        POINTS_MODEL_ID,
        "anki.notetype_points",
        POINTS_FIELDS,
        POINTS_TEMPLATE,
        POINTS_SORT_FIELD,
        words,
        genanki.Model.CLOZE,
    )


class _OcclusionModel(genanki.Model):  # type: ignore[misc]
    """genanki's Model with the stock kind Anki reads to know an image-occlusion notetype."""

    def to_json(self, timestamp: float, deck_id: int) -> dict[str, object]:
        data: dict[str, object] = super().to_json(timestamp, deck_id)
        data["originalStockKind"] = STOCK_KIND_IMAGE_OCCLUSION
        return data


def occlusion_model(words: Vocabulary) -> genanki.Model:
    fields = [
        # Anki's own field settings: the tag says which part of an occlusion note a field is
        {**f, "tag": tag, "preventDeletion": tag < 4}
        for tag, f in enumerate(_fields(OCCLUSION_FIELDS))
    ]
    template = {
        "name": words[OCCLUSION_TEMPLATE.name],
        "id": OCCLUSION_TEMPLATE.id,
        "qfmt": localised(template_text(OCCLUSION_TEMPLATE.front), words),
        "afmt": localised(template_text(OCCLUSION_TEMPLATE.back), words),
    }
    return _OcclusionModel(
        OCCLUSION_MODEL_ID,
        words["anki.notetype_occlusion"],
        fields=fields,
        templates=[template],
        css=template_text(OCCLUSION_CSS_FILE),
        model_type=genanki.Model.CLOZE,
        sort_field_index=OCCLUSION_SORT_FIELD,
    )
