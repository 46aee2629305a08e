"""Key-point cards in the real Anki backend: one cloze card per point, numbered by the point's
id, so reordering, editing, adding and removing points keeps every card's history on its fact."""

from __future__ import annotations

import re
from pathlib import Path

import anki.collection  # first: importing anki.cards first is a circular import
import pytest
from anki.collection import Collection

from compiler.backends.anki.notetypes import POINTS_MODEL_ID
from tests.conftest import FIXTURE_BANK, REAL_BANK, copy_bank, load_real_bank, run_build
from tests.test_anki import (
    FORMULA_MODEL_NAME,
    POINTS_MODEL_NAME,
    REVERSE_FORMULA_MODEL_NAME,
    assert_no_forked_notetype,
    build_apkg,
    import_apkg,
    open_collection,
    revlog_count,
)

SGD = "02-models/01-sgd.md"
# The fixture's SGD question with its points reordered, k1 edited and k3 added.
NEW_POINTS = """key_points:
  - id: k2
    text: '更新规则：$\\theta \\leftarrow$ ==$\\theta - \\eta \\nabla_\\theta J$=='
  - id: k3
    text: '学习率 $\\eta$ 太大会==震荡甚至发散=='
  - id: k1
    text: 'SGD 每一步只用==一个样本或一个小批量==的梯度更新参数（噪声大但便宜）'
"""


def points_cards(col: Collection, qid: str) -> dict[int, tuple[str, str]]:
    """Card number -> (question side, answer side) of a question's key-point cards."""
    (nid,) = col.find_notes(f'"Id:{qid}" "note:面试题库 · 要点"')
    note = col.get_note(nid)
    return {card.ord + 1: (card.question(), card.answer()) for card in note.cards()}


def hidden(side: str) -> str:
    """What a card asks for: the front shows the active cloze as [...]."""
    return re.sub(r"<[^>]+>", "", side)


def test_fresh_import_gives_one_card_per_point(tmp_path: Path) -> None:
    col_path = tmp_path / "collection.anki2"
    log = import_apkg(col_path, build_apkg(copy_bank(FIXTURE_BANK, tmp_path / "bank"), tmp_path / "out"))
    assert not log.conflicting
    with open_collection(col_path) as col:
        model = col.models.get(POINTS_MODEL_ID)  # type: ignore[arg-type]
        assert model is not None and model["type"] == 1  # Anki's cloze kind
        softmax = points_cards(col, "softmax")
        assert sorted(softmax) == [1, 2]
        front, back = softmax[1]
        assert "概率分布" not in hidden(front) and "[...]" in hidden(front)
        assert '<span class="cloze"' in back and "概率分布" in back
        assert "(0, 1)" not in hidden(softmax[2][0])  # k2's spans are hidden together
        assert "介绍一下 softmax" in front  # the question is on the front
        assert "<details" in back and "所有项之和为" in back  # the full answer, collapsed
        # the confusion question's points are k1 and k3 (k2 is retired): cards 1 and 3
        assert sorted(points_cards(col, "confusion-matrix")) == [1, 3]
        assert_no_forked_notetype(col)


def test_points_reordered_edited_added_and_removed_keep_their_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    col_path = tmp_path / "collection.anki2"
    out = tmp_path / "out"
    import_apkg(col_path, build_apkg(bank, out))
    with open_collection(col_path) as col:
        (nid,) = col.find_notes('"Id:sgd-pseudocode" "note:面试题库 · 要点"')
        cards = {c.ord + 1: c for c in col.get_note(nid).cards()}
        for card in cards.values():  # review both points: each has history now
            card.start_timer()
            col.sched.answerCard(card, 3)
        reviewed = {n: c.id for n, c in cards.items()}
        revlog = revlog_count(col)
        notes = col.note_count()
    assert revlog == 2

    # SGD: reorder, edit k1, add k3. Softmax: remove k2 (retired), add k3.
    path = bank / SGD
    text = path.read_text(encoding="utf-8")
    start, end = text.index("key_points:"), text.index("---\n", 4)
    path.write_text(text[:start] + NEW_POINTS + text[end:], encoding="utf-8")
    softmax = bank / "01-basics" / "01-softmax.md"
    old = "  - id: k2\n    text: '每一项都在 ==$(0, 1)$== 之间，所有项之和为 ==$1$=='\n"
    new = "  - id: k3\n    text: 'softmax 常与==交叉熵损失==一起使用'\nretired_key_points: [k2]\n"
    text = softmax.read_text(encoding="utf-8")
    assert old in text
    softmax.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    result = run_build(bank, out, only=["anki"])
    assert any("k2 of 'softmax'" in n and "Empty Cards" in n for n in result.notes), result.notes
    (apkg,) = result.written["anki"]

    log = import_apkg(col_path, apkg)
    assert len(log.new) == 0 and len(log.conflicting) == 0
    with open_collection(col_path) as col:
        assert col.note_count() == notes
        assert revlog_count(col) == revlog
        sgd = points_cards(col, "sgd-pseudocode")
        assert sorted(sgd) == [1, 2, 3]  # the added point is a new card
        for number, card_id in reviewed.items():
            card = col.get_card(card_id)
            assert card.ord + 1 == number and card.reps == 1  # the same card, its history kept
        # each reviewed card still asks for its own fact: k1 (edited) and k2 (moved first)
        assert "一个样本或一个小批量" in hidden(sgd[1][1]) and "一个样本或一个小批量" not in hidden(sgd[1][0])
        assert "- \\eta \\nabla" in hidden(sgd[2][1]) and "- \\eta \\nabla" not in hidden(sgd[2][0])
        assert "震荡甚至发散" in hidden(sgd[3][1]) and "震荡甚至发散" not in hidden(sgd[3][0])
        # Anki keeps k2's card, empty now: Tools > Empty Cards lists exactly that one
        (nid,) = col.find_notes('"Id:softmax" "note:面试题库 · 要点"')
        by_ord = {c.ord + 1: c.id for c in col.get_note(nid).cards()}
        assert sorted(by_ord) == [1, 2, 3]
        empty = [cid for note in col.get_empty_cards().notes for cid in note.card_ids]
        assert empty == [by_ord[2]]
        assert_no_forked_notetype(col)


PUBLISHED_DECK = FIXTURE_BANK.parent / "decks" / "cv-interview-2026-12-01.apkg"  # what users have


def test_the_published_deck_takes_the_new_build_without_losing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users imported the deck of 2026-12-01 and studied it: this build brings them the key-point
    cards and updates every note in place, with no conflicting notetype and the history intact."""
    col_path = tmp_path / "collection.anki2"
    first = import_apkg(col_path, PUBLISHED_DECK)
    published = {n["Id"] for n in notes_of(col_path) if "Id" in n}
    assert len(first.new) == 173 and not first.conflicting
    with open_collection(col_path) as col:
        deck = col.decks.id_for_name("CV 方向面试题")
        assert deck is not None
        col.decks.select(deck)
        for _ in range(20):
            card = col.sched.getCard()
            assert card is not None
            col.sched.answerCard(card, 3)
        revlog, notes = revlog_count(col), col.note_count()
        reviewed = set(col.find_cards("rated:1"))
        published_formulas = set(col.find_notes(f'"note:{FORMULA_MODEL_NAME}"'))
    assert revlog == 20 and len(reviewed) == 20

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # a content change after the deck's day
    (apkg,) = run_build(REAL_BANK, tmp_path / "out", only=["anki"]).written["anki"]
    log = import_apkg(col_path, apkg)
    assert not log.conflicting
    assert len(log.updated) == 173  # every question and formula note users have, updated in place
    with open_collection(col_path) as col:
        formula_notes = set(col.find_notes(f'"note:{FORMULA_MODEL_NAME}"'))
    # the published formula notes updated in place, and one note per formula of the bank: none twice
    assert published_formulas <= formula_notes
    assert len(formula_notes) == sum(len(q.formulas) for q in load_real_bank().questions)
    with open_collection(col_path) as col:
        ids = {col.get_note(n)["Id"] for n in col.find_notes("") if "Id" in col.get_note(n)}
        assert published <= ids  # nothing lost
        # the reverse formula cards: a notetype of their own, a note per formula with a glossary,
        # beside the formula notes (their own GUIDs), none of which was touched but for an update
        reverse = [col.get_note(n) for n in col.find_notes(f'"note:{REVERSE_FORMULA_MODEL_NAME}"')]
        glossaries = sum(bool(f.symbols) for q in load_real_bank().questions for f in q.formulas)
        assert len(reverse) == glossaries >= 20
        assert {n.guid for n in reverse}.isdisjoint(col.get_note(n).guid for n in formula_notes)
        assert {n["Id"] for n in reverse} <= {col.get_note(n)["Id"] for n in formula_notes}
        assert set(col.find_notes(f'"note:{FORMULA_MODEL_NAME}"')) == formula_notes
        # new: a key-point note per seed question, and the notes of the questions added since
        assert col.note_count() == notes + len(log.new)
        assert len([n for n in col.find_notes(f'"note:{POINTS_MODEL_NAME}"')]) >= 62 + 24
        assert revlog_count(col) == revlog
        assert set(col.find_cards("rated:1")) == reviewed
        assert all(col.get_card(cid).reps == 1 for cid in reviewed)
        assert_no_forked_notetype(col)


def notes_of(col_path: Path) -> list[anki.notes.Note]:
    with open_collection(col_path) as col:
        return [col.get_note(n) for n in col.find_notes("")]
