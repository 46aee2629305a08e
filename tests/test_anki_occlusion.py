"""Diagram cards in the real Anki backend: notes of Anki's own image occlusion (stock kind 6),
one card per shape number, so moving, relabelling and adding shapes keeps every card's history."""

from __future__ import annotations

from pathlib import Path

import anki.collection  # first: importing anki.cards first is a circular import
import pytest
from anki.collection import Collection

from compiler.backends.anki.notetypes import OCCLUSION_MODEL_ID, STOCK_KIND_IMAGE_OCCLUSION
from tests.conftest import FIXTURE_BANK, copy_bank, run_build
from tests.test_anki import (
    OCCLUSION_MODEL_NAME,
    assert_no_forked_notetype,
    build_apkg,
    import_apkg,
    open_collection,
    revlog_count,
)

CONFUSION = "01-basics/02-confusion.md"
# box.svg is 120 x 60: a rect, an ellipse and a group of two rects (card 3)
SHAPES = """occlusions:
  - figure: ../figures/box.svg
    shapes:
      - {id: o1, label: 方框, rect: [10, 10, 100, 40]}
      - {id: o2, label: 角, ellipse: [110, 50, 6, 6]}
      - {id: o3, label: 两边, rect: [0, 0, 10, 60], group: o3}
      - {id: o4, label: 两边, rect: [110, 0, 10, 30], group: o3}
"""
# o1 moved and resized, o5 added
CHANGED = SHAPES.replace("rect: [10, 10, 100, 40]", "rect: [12, 6, 90, 30]") + (
    "      - {id: o5, label: 底边, rect: [10, 50, 100, 10]}\n"
)


def with_occlusions(bank: Path, block: str) -> None:
    path = bank / CONFUSION
    text = path.read_text(encoding="utf-8")
    start = text.find("occlusions:")
    end = text.index("\n---\n", 4) + 1
    path.write_text(text[: start if start >= 0 else end] + block + text[end:], encoding="utf-8")


def diagram_cards(col: Collection) -> dict[int, anki.cards.Card]:
    (nid,) = col.find_notes(f'"note:{OCCLUSION_MODEL_NAME}"')
    return {card.ord + 1: card for card in col.get_note(nid).cards()}


def test_a_figure_is_an_image_occlusion_note_with_a_card_per_shape(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with_occlusions(bank, SHAPES)
    col_path = tmp_path / "collection.anki2"
    log = import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    assert not log.conflicting
    with open_collection(col_path) as col:
        model = col.models.get(OCCLUSION_MODEL_ID)  # type: ignore[arg-type]
        assert model is not None
        assert model["type"] == 1 and model["originalStockKind"] == STOCK_KIND_IMAGE_OCCLUSION
        assert [f["name"] for f in model["flds"]] == [
            "Occlusion",
            "Image",
            "Header",
            "Back Extra",
            "Comments",
        ]
        stock = col.models.by_name("Image Occlusion")  # the collection's own, for comparison
        assert stock is not None
        assert [f["tag"] for f in model["flds"]] == [f["tag"] for f in stock["flds"]]
        assert "anki.imageOcclusion.setup()" in model["tmpls"][0]["qfmt"]
        cards = diagram_cards(col)
        assert sorted(cards) == [1, 2, 3]  # four shapes, the group is one card
        (nid,) = col.find_notes(f'"note:{OCCLUSION_MODEL_NAME}"')
        # Anki's own image-occlusion code reads the note: the image and every shape
        io = col.get_image_occlusion_note(note_id=nid).note
        assert io.image_file_name == "box.svg" and io.image_data.startswith(b"<svg")
        shapes = [(o.ordinal, s.shape) for o in io.occlusions for s in o.shapes]
        assert sorted(shapes) == [(1, "rect"), (2, "ellipse"), (3, "rect"), (3, "rect")]
        front = cards[1].question()
        assert '<img src="box.svg">' in front and 'id="image-occlusion-canvas"' in front
        assert 'class="cloze" data-ordinal="1" data-shape="rect"' in front
        assert 'data-left=".0833" data-top=".1667" data-width=".8333" data-height=".6667"' in front
        assert 'class="cloze-inactive" data-ordinal="2" data-shape="ellipse"' in front
        assert "什么是查准率和查全率" in front  # the question is the header
        back = cards[3].answer()
        assert "两边" in back and 'id="toggle"' in back
        assert_no_forked_notetype(col)


def test_moving_and_adding_shapes_keeps_the_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with_occlusions(bank, SHAPES)
    col_path = tmp_path / "collection.anki2"
    out = tmp_path / "out"
    import_apkg(col_path, build_apkg(bank, out))
    with open_collection(col_path) as col:
        cards = diagram_cards(col)
        for card in cards.values():
            card.start_timer()
            col.sched.answerCard(card, 3)
        reviewed = {n: c.id for n, c in cards.items()}
        revlog, notes = revlog_count(col), col.note_count()
    assert revlog == 3

    with_occlusions(bank, CHANGED)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    (apkg,) = run_build(bank, out, only=["anki"]).written["anki"]
    log = import_apkg(col_path, apkg)
    assert len(log.new) == 0 and len(log.conflicting) == 0 and len(log.updated) >= 1
    with open_collection(col_path) as col:
        assert col.note_count() == notes and revlog_count(col) == revlog
        cards = diagram_cards(col)
        assert sorted(cards) == [1, 2, 3, 5]  # the added shape is a new card
        for number, card_id in reviewed.items():
            card = col.get_card(card_id)
            assert card.ord + 1 == number and card.reps == 1  # the same card, its history kept
        front = cards[1].question()
        assert 'data-ordinal="1" data-shape="rect" data-left=".1" data-top=".1" data-width=".75"' in front
        assert 'data-ordinal="5"' in front
        assert_no_forked_notetype(col)


def test_the_option_turns_diagram_cards_off(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with_occlusions(bank, SHAPES)
    config = bank / "bank.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  anki:\n", "  anki:\n    occlusion_cards: false\n"), encoding="utf-8")
    assert "occlusion_cards: false" in config.read_text(encoding="utf-8")
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    with open_collection(col_path) as col:
        assert not col.find_notes(f'"note:{OCCLUSION_MODEL_NAME}"')


def test_a_removed_shape_is_reported(tmp_path: Path) -> None:
    """Anki keeps a removed shape's card, empty: the build says which, and how to remove it."""
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with_occlusions(bank, SHAPES)
    out = tmp_path / "out"
    run_build(bank, out, only=["anki"])
    removed = (
        SHAPES.replace("      - {id: o2, label: 角, ellipse: [110, 50, 6, 6]}\n", "") + "    retired: [o2]\n"
    )
    with_occlusions(bank, removed)
    notes = run_build(bank, out, only=["anki"]).notes
    assert any("o2 of 'confusion-matrix · box.svg'" in n and "Empty Cards" in n for n in notes), notes
