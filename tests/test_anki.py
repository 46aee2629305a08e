"""The Anki backend, checked with the real Anki backend (`anki` from PyPI): what a user's
collection looks like after importing the deck, and that updates never cost review history."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportResponse
from anki.models import NotetypeId

from compiler.backends.anki import notetypes as anki_notetypes
from compiler.backends.anki.backend import (
    FIELDS_CACHE,
    compared_fields,
    deck_component,
    deck_id,
    tag_component,
)
from compiler.backends.anki.notetypes import (
    FORMULA_FIELDS,
    FORMULA_MODEL_ID,
    FORMULA_TEMPLATE,
    QA_FIELDS,
    QA_MODEL_ID,
    QA_TEMPLATE,
)
from compiler.backends.anki.package import note_fields
from compiler.filters import Filter
from compiler.identities import formula_keys
from compiler.timestamps import content_timestamp
from schema.models import Formula
from tests.conftest import FIXTURE_BANK, committed_bank, copy_bank, load_real_bank, run_build

# The names users of a Chinese bank have in their collections: they never change.
QA_MODEL_NAME = "面试题库 · 问答"
FORMULA_MODEL_NAME = "面试题库 · 公式"
POINTS_MODEL_NAME = "面试题库 · 要点"
OCCLUSION_MODEL_NAME = "面试题库 · 图示"
REVERSE_FORMULA_MODEL_NAME = "面试题库 · 公式识别"

if TYPE_CHECKING:
    from anki.cards import CardId  # importing anki.cards before anki.collection is circular

ROOT_DECK = "测试题库"
DECKS = {ROOT_DECK, f"{ROOT_DECK}::01 基础", f"{ROOT_DECK}::02 模型", f"{ROOT_DECK}::公式"}
QUESTIONS = 3
FORMULAS = 4  # softmax 1, confusion-matrix 2, sgd-pseudocode 1
POINTS = 3  # one key-point note per question (tests/test_anki_points.py tests its cards)
NOTES = QUESTIONS + FORMULAS + POINTS


def build_apkg(source: Path, out: Path, flt: Filter | None = None) -> Path:
    result = run_build(source, out, only=["anki"], flt=flt)
    (apkg,) = result.written["anki"]
    assert apkg.suffix == ".apkg"
    return apkg


@contextmanager
def open_collection(path: Path) -> Iterator[Collection]:
    """A fresh handle each time: `col.models` caches notetypes across imports."""
    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


def import_apkg(col_path: Path, apkg: Path) -> ImportResponse.Log:
    with open_collection(col_path) as col:
        request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
        return col.import_anki_package(request).log


def review_one_card(col_path: Path, deck: str) -> CardId:
    """Answer one card of `deck` as 'good'; returns the card id (it has history now)."""
    with open_collection(col_path) as col:
        did = col.decks.id_for_name(deck)
        assert did is not None
        col.decks.select(did)
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
        return card.id


def revlog_count(col: Collection) -> int:
    assert col.db is not None
    return int(col.db.scalar("select count() from revlog"))


def edit_answer(bank: Path, old: str, new: str) -> None:
    path = bank / "01-basics" / "01-softmax.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def assert_no_forked_notetype(col: Collection) -> None:
    names = sorted(n.name for n in col.models.all_names_and_ids())
    ours = [n for n in names if n.startswith("面试题库")]
    known = {
        QA_MODEL_NAME,
        FORMULA_MODEL_NAME,
        POINTS_MODEL_NAME,
        OCCLUSION_MODEL_NAME,
        REVERSE_FORMULA_MODEL_NAME,
    }
    assert set(ours) <= known, names
    assert not any(n.endswith("+") for n in names), names


# --- a fresh import ---------------------------------------------------------------------------


def test_fresh_import_gives_the_designed_collection(tmp_path: Path) -> None:
    apkg = build_apkg(FIXTURE_BANK, tmp_path / "out")
    assert apkg.name == "test-bank.apkg"
    col_path = tmp_path / "col" / "collection.anki2"
    col_path.parent.mkdir()
    log = import_apkg(col_path, apkg)
    assert len(log.new) == NOTES
    assert not log.conflicting and not log.updated and not log.duplicate

    with open_collection(col_path) as col:
        assert {d.name for d in col.decks.all_names_and_ids()} == DECKS | {"Default"}
        qa_notes = [col.get_note(n) for n in col.find_notes(f'"note:{QA_MODEL_NAME}"')]
        formula_notes = [col.get_note(n) for n in col.find_notes(f'"note:{FORMULA_MODEL_NAME}"')]
        assert [n["Id"] for n in sorted(qa_notes, key=lambda n: n.id)] == [
            "softmax",
            "confusion-matrix",
            "sgd-pseudocode",
        ]
        assert len(formula_notes) == FORMULAS

        # Question and key-point cards live in their chapter's deck, formula cards in the formula deck.
        assert len(col.find_cards(f'"deck:{ROOT_DECK}::01 基础" -"deck:{ROOT_DECK}::公式"')) == 2 + 4
        assert len(col.find_cards(f'"deck:{ROOT_DECK}::02 模型"')) == 1 + 2
        assert len(col.find_cards(f'"deck:{ROOT_DECK}::公式"')) == FORMULAS

        softmax = next(n for n in qa_notes if n["Id"] == "softmax")
        assert sorted(softmax.tags) == [
            "chapter::01",
            "company::腾讯优图",
            "difficulty::easy",
            "kind::question",
            "topic::activation::softmax",
            "topic::loss",
        ]
        assert len(col.find_notes("tag:topic::optimizer")) == 3  # sgd question, its formula, its points
        assert len(col.find_notes('"tag:company::海康威视"')) == 4  # alias resolved; 1 + 2 formulas + 1
        assert 'class="qb-badge qb-company">腾讯优图<' in softmax["Companies"]
        assert softmax["Chapter"] == "01 基础"
        assert softmax["Source"] == "测试 1.1"
        assert "qb-formula" in softmax["Formulas"] and "\\[S_i" in softmax["Formulas"]

        # Math in MathJax delimiters, never `$`, and never `}}` (Anki's cloze syntax).
        for note in qa_notes + formula_notes:
            for value in note.fields:
                assert "$" not in value
                for tex in re.findall(r"\\[(\[](.*?)\\[)\]]", value, re.DOTALL):
                    assert "}}" not in tex
        assert "\\(V\\)" in softmax["Answer"]
        assert "\\[" in softmax["Answer"] and "\\frac{e^{V_i} }{\\sum_j e^{V_j} }" in softmax["Answer"]

        # Media: every referenced file is in the collection's media folder.
        media = Path(col.media.dir())
        referenced = {src for n in qa_notes for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', n["Answer"])}
        assert referenced == {"box.svg"}
        for name in referenced:
            assert (media / name).read_bytes() == (FIXTURE_BANK / "figures" / name).read_bytes()

        # Code keeps pandoc's token classes, which the notetype's CSS styles.
        sgd = next(n for n in qa_notes if n["Id"] == "sgd-pseudocode")
        assert '<span class="cf">for</span>' in sgd["Answer"]
        qa_model = col.models.get(NotetypeId(QA_MODEL_ID))
        assert qa_model is not None
        for token in ("kw", "cf", "st", "co", "fu"):
            assert f"code span.{token} " in qa_model["css"]
        assert ".nightMode" in qa_model["css"] and ".night_mode" in qa_model["css"]
        assert ".mobile" in qa_model["css"]


def test_notetypes_keep_their_ids_and_sort_field(tmp_path: Path) -> None:
    apkg = build_apkg(FIXTURE_BANK, tmp_path / "out")
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, apkg)
    with open_collection(col_path) as col:
        qa = col.models.get(NotetypeId(QA_MODEL_ID))
        formula = col.models.get(NotetypeId(FORMULA_MODEL_ID))
        assert qa is not None and formula is not None
        assert [(f["name"], f["id"]) for f in qa["flds"]] == [(f.name, f.id) for f in QA_FIELDS]
        assert [(f["name"], f["id"]) for f in formula["flds"]] == [(f.name, f.id) for f in FORMULA_FIELDS]
        assert [(t["name"], t["id"]) for t in qa["tmpls"]] == [("问答", QA_TEMPLATE.id)]
        assert [(t["name"], t["id"]) for t in formula["tmpls"]] == [("公式", FORMULA_TEMPLATE.id)]
        assert qa["flds"][qa["sortf"]]["name"] == "Question"
        softmax = col.get_note(col.find_notes("Id:softmax")[0])
        # the browser's sort column is the question text
        assert col.db is not None
        sort_field = col.db.scalar("select sfld from notes where id = ?", softmax.id)
        assert sort_field == "介绍一下 softmax"


def test_rendered_card_shows_question_badges_answer_and_boxed_formulas(tmp_path: Path) -> None:
    apkg = build_apkg(FIXTURE_BANK, tmp_path / "out")
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, apkg)
    with open_collection(col_path) as col:
        card = col.get_card(col.find_cards("Id:softmax")[0])
        question, answer = card.question(), card.answer()
        assert "介绍一下 softmax" in question and "腾讯优图" in question
        assert "映射为概率分布" not in question  # the answer stays hidden on the front
        assert "映射为概率分布" in answer and 'class="qb-formulas"' in answer and "关键公式" in answer
        formula_card = col.get_card(col.find_cards('"Id:softmax/softmax"')[0])
        assert "出自：介绍一下 softmax" in formula_card.question()
        assert "\\[S_i" not in formula_card.question()
        assert "\\[S_i" in formula_card.answer()


# --- updates keep review history ------------------------------------------------------------------


def test_edited_answer_updates_the_note_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    col_path = tmp_path / "collection.anki2"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    reviewed = review_one_card(col_path, f"{ROOT_DECK}::01 基础")

    edit_answer(bank, "所有项之和为 $1$。", "所有项之和为 $1$，且保持大小顺序。")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    apkg = build_apkg(bank, tmp_path / "out")
    with open_collection(col_path) as col:
        revlog_before = revlog_count(col)
        notes_before = col.note_count()
    assert revlog_before == 1

    log = import_apkg(col_path, apkg)
    assert len(log.new) == 0 and len(log.conflicting) == 0
    assert len(log.updated) == NOTES
    with open_collection(col_path) as col:
        assert col.note_count() == notes_before
        assert revlog_count(col) == revlog_before
        softmax = col.get_note(col.find_notes("Id:softmax")[0])
        assert "且保持大小顺序" in softmax["Answer"]
        card = col.get_card(reviewed)
        assert card.reps == 1 and card.type != 0  # the reviewed card kept its schedule
        assert_no_forked_notetype(col)


def test_older_or_equal_timestamp_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the timestamp must move: Anki skips a note that is not newer than its own copy."""
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    edit_answer(bank, "所有项之和为 $1$。", "所有项之和为 $1$（未更新）。")
    log = import_apkg(col_path, build_apkg(bank, tmp_path / "out"))  # same SOURCE_DATE_EPOCH
    assert len(log.updated) == 0 and len(log.new) == 0
    assert len(log.duplicate) == NOTES


@pytest.mark.parametrize("changed", ["cards.css", "qa-back.html"])
def test_template_or_css_change_updates_the_notetype_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, build_apkg(FIXTURE_BANK, tmp_path / "out"))
    review_one_card(col_path, f"{ROOT_DECK}::02 模型")

    original = anki_notetypes.template_text
    marker = "/* restyled */" if changed.endswith(".css") else '<div class="restyled"></div>'

    def patched(name: str) -> str:
        return original(name) + marker if name == changed else original(name)

    monkeypatch.setattr(anki_notetypes, "template_text", patched)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    log = import_apkg(col_path, build_apkg(FIXTURE_BANK, tmp_path / "out"))
    assert len(log.new) == 0 and len(log.conflicting) == 0
    with open_collection(col_path) as col:
        assert revlog_count(col) == 1
        assert_no_forked_notetype(col)
        qa = col.models.get(NotetypeId(QA_MODEL_ID))
        assert qa is not None
        where = qa["css"] if changed.endswith(".css") else qa["tmpls"][0]["afmt"]
        assert marker in where
        card = col.get_card(col.find_cards("Id:sgd-pseudocode")[0])
        assert (marker in card.css()) if changed.endswith(".css") else ("restyled" in card.answer())


def test_uncommitted_edit_moves_the_timestamp_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without SOURCE_DATE_EPOCH: git commit time, raised by uncommitted edits (compiler/timestamps.py)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    committed_at = 1704067200  # 2024-01-01: well before the edit below
    bank = committed_bank(tmp_path, committed_at)
    assert content_timestamp(bank) == committed_at

    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    review_one_card(col_path, f"{ROOT_DECK}::01 基础")

    edit_answer(bank, "所有项之和为 $1$。", "所有项之和恰为 $1$。")
    edited_at = content_timestamp(bank)
    assert edited_at > committed_at
    assert edited_at == int((bank / "01-basics" / "01-softmax.md").stat().st_mtime)

    log = import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    assert len(log.updated) >= 1 and len(log.new) == 0 and len(log.conflicting) == 0
    with open_collection(col_path) as col:
        assert "所有项之和恰为" in col.get_note(col.find_notes("Id:softmax")[0])["Answer"]
        assert revlog_count(col) == 1
        assert_no_forked_notetype(col)


# --- filtered builds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flt, stem, count",
    [
        (Filter(company="优图"), "test-bank-company-tencent-youtu", 3),  # a question, its formula, points
        (Filter(tag="optimizer"), "test-bank-tag-optimizer", 3),
        (Filter(chapter=1), "test-bank-chapter-01", 7),  # 2 questions + 3 formulas + 2 key-point notes
    ],
)
def test_filtered_deck_after_full_deck_adds_nothing(
    tmp_path: Path, flt: Filter, stem: str, count: int
) -> None:
    full = build_apkg(FIXTURE_BANK, tmp_path / "out")
    filtered = build_apkg(FIXTURE_BANK, tmp_path / "out", flt=flt)
    assert filtered.name == f"{stem}.apkg" and full.exists()

    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, full)
    with open_collection(col_path) as col:
        decks_before = sorted(d.name for d in col.decks.all_names_and_ids())
    log = import_apkg(col_path, filtered)
    assert len(log.new) == 0 and len(log.conflicting) == 0
    assert len(log.duplicate) == count  # the same notes, by GUID
    with open_collection(col_path) as col:
        assert col.note_count() == NOTES
        assert sorted(d.name for d in col.decks.all_names_and_ids()) == decks_before
        assert_no_forked_notetype(col)


def test_filtered_deck_alone_uses_the_full_decks_names(tmp_path: Path) -> None:
    """Importing a filtered deck first, then the full one, also yields one deck tree."""
    filtered = build_apkg(FIXTURE_BANK, tmp_path / "out", flt=Filter(chapter=2))
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, filtered)
    with open_collection(col_path) as col:
        names = {d.name for d in col.decks.all_names_and_ids()}
        assert names == {"Default", ROOT_DECK, f"{ROOT_DECK}::02 模型", f"{ROOT_DECK}::公式"}
    log = import_apkg(col_path, build_apkg(FIXTURE_BANK, tmp_path / "out"))
    assert len(log.new) == NOTES - 3  # the filtered deck had the sgd question, formula, points
    with open_collection(col_path) as col:
        assert {d.name for d in col.decks.all_names_and_ids()} == DECKS | {"Default"}


# --- options, reproducibility, reports ---------------------------------------------------------------


def test_formula_cards_can_be_turned_off(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    config = bank / "bank.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            "guid_namespace: testbank", "guid_namespace: testbank\n    formula_cards: false"
        ),
        "utf-8",
    )
    col_path = tmp_path / "collection.anki2"
    log = import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    assert len(log.new) == QUESTIONS + POINTS
    with open_collection(col_path) as col:
        assert f"{ROOT_DECK}::公式" not in {d.name for d in col.decks.all_names_and_ids()}
        assert col.models.get(NotetypeId(FORMULA_MODEL_ID)) is None
        # the question card still shows its formulas boxed
        assert "\\[S_i" in col.get_note(col.find_notes("Id:softmax")[0])["Formulas"]


def test_two_builds_give_the_same_bytes(tmp_path: Path) -> None:
    first = build_apkg(FIXTURE_BANK, tmp_path / "a").read_bytes()
    second = build_apkg(FIXTURE_BANK, tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "anki" / "test-bank.apkg") as archive:
        names = [i.filename for i in archive.infolist()]
        assert names == sorted(names) and {"collection.anki2", "media", "0"} <= set(names)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("cache", ["kept", "deleted"])
def test_renamed_formula_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str) -> None:
    """The previous package's notes come from the cache, or (deleted) from the package itself."""
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    run_build(bank, tmp_path / "out", only=["anki"])
    if cache == "deleted":
        shutil.rmtree(tmp_path / "out" / ".cache")
    path = bank / "01-basics" / "02-confusion.md"
    path.write_text(path.read_text("utf-8").replace("name: 查准率", "name: 精确率"), "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    notes = run_build(bank, tmp_path / "out", only=["anki"]).notes
    assert any("confusion-matrix/查准率" in n and "left the deck" in n for n in notes), notes
    assert any('"Id:confusion-matrix/查准率"' in n for n in notes), notes


def test_the_notes_cached_for_a_package_are_those_it_holds(tmp_path: Path) -> None:
    """What the next build compares with, without unpacking: `note_fields` of the bytes written."""
    apkg = build_apkg(FIXTURE_BANK, tmp_path / "out")
    with sqlite3.connect(tmp_path / "out" / ".cache" / "cache.sqlite") as db:
        (cached,) = db.execute("SELECT value FROM entries WHERE namespace = ?", (FIELDS_CACHE,)).fetchall()
    known = {int(mid): fields for mid, fields in json.loads(cached[0]).items()}
    assert known == compared_fields(note_fields(apkg.read_bytes()))
    assert len(known[FORMULA_MODEL_ID]) > 3


def test_a_formula_renamed_with_its_old_name_as_id_keeps_its_card_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    col_path = tmp_path / "collection.anki2"
    import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    with open_collection(col_path) as col:
        (cid,) = col.find_cards('"Id:confusion-matrix/查准率"')
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
        revlog = revlog_count(col)
    path = bank / "01-basics" / "02-confusion.md"
    path.write_text(
        path.read_text("utf-8").replace("  - name: 查准率", "  - id: 查准率\n    name: 精确率（查准率）"),
        "utf-8",
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000600")
    result = run_build(bank, tmp_path / "out", only=["anki"])
    assert not any("left the deck" in n for n in result.notes), result.notes
    log = import_apkg(col_path, result.written["anki"][0])
    assert not log.new and not log.conflicting
    with open_collection(col_path) as col:
        card = col.get_card(cid)
        assert card.reps == 1 and revlog_count(col) == revlog
        assert col.get_note(card.nid)["Name"] == "精确率（查准率）"  # the same note, renamed


def test_names_ids_and_tags_are_safe_for_anki() -> None:
    assert deck_component("A::B  C") == "A:B C"
    assert tag_component("Tencent YouTu") == "Tencent_YouTu"
    assert deck_id("测试题库") == deck_id("测试题库") != deck_id("测试题库::01 基础")
    assert 1 < deck_id("x") < 2**53
    keys = formula_keys([Formula(name="a", tex="x"), Formula(name="b", tex="y"), Formula(name="a", tex="z")])
    assert keys == ["a", "b", "a#2"]


# --- the real bank ------------------------------------------------------------------------------------


def test_real_bank_deck_imports_cleanly(real_bank_build: Path, tmp_path: Path) -> None:
    apkg = real_bank_build / "anki" / "cv-interview.apkg"
    index = json.loads((real_bank_build / "api" / "v1" / "index.json").read_text("utf-8"))
    root = index["title"]
    assert root == "CV 方向面试题"

    col_path = tmp_path / "collection.anki2"
    log = import_apkg(col_path, apkg)
    with_points = sum(
        bool(
            json.loads((real_bank_build / "api" / "v1" / "questions" / f"{q['id']}.json").read_text())[
                "key_points"
            ]
        )
        for q in index["questions"]
    )
    assert with_points == index["counts"]["questions"]  # every question of the bank has key points
    # a diagram note per occluded figure, a reverse note per formula with a glossary
    bank = load_real_bank()
    diagrams = sum(len(q.occlusions) for q in bank.questions)
    reverse = sum(bool(f.symbols) for q in bank.questions for f in q.formulas)
    assert diagrams >= 6
    assert len(log.new) == index["counts"]["questions"] * 2 + index["counts"]["formulas"] + diagrams + reverse
    assert not log.conflicting
    with open_collection(col_path) as col:
        chapter_decks = sorted(d.name for d in col.decks.all_names_and_ids() if d.name.count("::") == 1)
        assert chapter_decks == sorted(
            [f"{root}::{c['number']:02d} {c['title']}" for c in index["chapters"]] + [f"{root}::公式"]
        )
        assert f"{root}::03 深度学习基础理论知识" in chapter_decks
        ids = {col.get_note(n)["Id"] for n in col.find_notes(f'"note:{QA_MODEL_NAME}"')}
        assert ids == {q["id"] for q in index["questions"]}
        media = Path(col.media.dir())
        images = 0
        for nid in col.find_notes(""):
            for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', "".join(col.get_note(nid).fields)):
                assert (media / src).is_file(), src
                images += 1
        assert images >= 1
        assert len(col.find_notes('"tag:company::腾讯优图"')) >= 1
