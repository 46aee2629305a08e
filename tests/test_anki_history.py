"""A year of updates: five successive versions of a bank played into one real Anki collection,
with reviews in between. Nothing may be duplicated, forked or lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anki.collection  # noqa: F401  # first: importing anki.cards first is a circular import
import pytest

from compiler.backends.anki import notetypes as anki_notetypes
from compiler.build import BuildResult
from tests.conftest import FIXTURE_BANK, copy_bank, run_build
from tests.test_anki import (
    FORMULA_MODEL_NAME,
    POINTS_MODEL_NAME,
    QA_MODEL_NAME,
    assert_no_forked_notetype,
    import_apkg,
    open_collection,
    revlog_count,
)

VERSIONS = 5  # the README's "Guarantees" quotes this number


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def v2_edit_and_add(bank: Path) -> None:
    rewrite(bank / "01-basics" / "01-softmax.md", "所有项之和为 $1$。", "所有项之和为 $1$（第二版）。")
    (bank / "02-models" / "02-relu.md").write_text(
        "---\nid: relu\ntags: [activation/relu]\ncompany: [阿里巴巴]\nformulas:\n"
        "  - name: ReLU\n    tex: 'f(x) = \\max(0, x)'\n---\n\n# ReLU 的优点？\n\n计算简单，缓解梯度消失。\n",
        encoding="utf-8",
    )


def v3_remove(bank: Path) -> None:
    (bank / "02-models" / "01-sgd.md").unlink()


def v4_rename_chapter_and_retag(bank: Path) -> None:
    rewrite(bank / "01-basics" / "chapter.yaml", "title: 基础", "title: 基础知识")
    rewrite(
        bank / "01-basics" / "02-confusion.md", "tags: [metrics]", "tags: [metrics/precision, metrics/recall]"
    )


def v5_template_change(bank: Path) -> None:
    rewrite(bank / "02-models" / "02-relu.md", "计算简单", "计算简单（第五版）")


STEPS: list[tuple[str, Callable[[Path], None]]] = [
    ("v2: an edited answer and a new question", v2_edit_and_add),
    ("v3: a question removed", v3_remove),
    ("v4: a chapter renamed, new tags", v4_rename_chapter_and_retag),
    ("v5: a template change and an edit", v5_template_change),
]


def note_fields(col_path: Path) -> dict[str, list[str]]:
    """Question notes by their Id field."""
    with open_collection(col_path) as col:
        notes = [col.get_note(nid) for nid in col.find_notes(f'"note:{QA_MODEL_NAME}"')]
        return {note["Id"]: list(note.values()) for note in notes}


def col_formula_notes(col_path: Path) -> list[int]:
    with open_collection(col_path) as col:
        return list(col.find_notes(f'"note:{FORMULA_MODEL_NAME}"'))


def review_everything_due(col_path: Path) -> int:
    with open_collection(col_path) as col:
        deck = col.decks.id_for_name("测试题库")
        assert deck is not None
        col.decks.select(deck)
        reviewed = 0
        while (card := col.sched.getCard()) is not None and reviewed < 50:
            col.sched.answerCard(card, 3)
            reviewed += 1
        return reviewed


def test_five_versions_in_one_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    col_path = tmp_path / "collection.anki2"
    out = tmp_path / "build"

    def build_and_import(epoch: int) -> tuple[BuildResult, object]:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
        result = run_build(bank, out, only=["anki"])
        return result, import_apkg(col_path, result.written["anki"][0])

    _, log = build_and_import(1_700_000_000)
    assert len(log.new) == 3 + 4 + 3 and not log.conflicting  # type: ignore[attr-defined]
    assert review_everything_due(col_path) > 0
    with open_collection(col_path) as col:
        revlog = revlog_count(col)
    ids = set(note_fields(col_path))

    for version, (label, change) in enumerate(STEPS, start=2):
        change(bank)
        if version == 5:
            original = anki_notetypes.template_text

            def changed(name: str, original: Callable[[str], str] = original) -> str:
                text = original(name)
                return text + "\n/* v5 */\n" if name.endswith(".css") else text

            monkeypatch.setattr(anki_notetypes, "template_text", changed)
        result, log = build_and_import(1_700_000_000 + version * 86_400)
        assert not log.conflicting, label  # type: ignore[attr-defined]
        assert not log.duplicate, label  # type: ignore[attr-defined]
        with open_collection(col_path) as col:
            assert_no_forked_notetype(col)
            now = revlog_count(col)
            assert now >= revlog, f"{label}: review history shrank"
            all_notes = len(col.find_notes(""))
        fields = note_fields(col_path)
        if version == 2:
            assert len(log.new) == 2  # type: ignore[attr-defined]  # the question and its formula
            assert any("第二版" in v for v in fields["softmax"])
            assert "relu" in fields
        if version == 3:
            assert len(log.new) == 0  # type: ignore[attr-defined]
            assert any("sgd-pseudocode" in note for note in result.notes), result.notes
            assert "sgd-pseudocode" in fields  # Anki keeps it; the build told the user
        if version == 4:
            with open_collection(col_path) as col:
                nid = col.find_notes("Id:confusion-matrix")[0]
                assert "topic::metrics::precision" in col.get_note(nid).tags
        if version == 5:
            assert any("第五版" in v for v in fields["relu"])
            with open_collection(col_path) as col:
                model = col.models.by_name(QA_MODEL_NAME)
                assert model is not None and "/* v5 */" in model["css"]
        ids |= set(fields)
        assert set(fields) == ids, f"{label}: a note disappeared"
        formulas = len(col_formula_notes(col_path))
        with open_collection(col_path) as col:
            points = len(col.find_notes(f'"note:{POINTS_MODEL_NAME}"'))
        assert points == 3  # one key-point note for each fixture question (the added relu has none)
        assert all_notes == len(fields) + formulas + points, f"{label}: duplicate notes"
        revlog = now
        review_everything_due(col_path)
    with open_collection(col_path) as col:
        assert revlog_count(col) >= revlog
