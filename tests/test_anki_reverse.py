"""Reverse formula cards in the real Anki backend: the formula on the front; its name, its
glossary and its question on the back, in a notetype of their own beside the formula notes."""

from __future__ import annotations

import re
from pathlib import Path

import anki.collection  # noqa: F401  # first: importing anki.cards first is a circular import

from compiler.backends.anki.notetypes import FORMULA_MODEL_ID, REVERSE_FORMULA_MODEL_ID
from tests.conftest import FIXTURE_BANK, copy_bank
from tests.test_anki import (
    FORMULA_MODEL_NAME,
    REVERSE_FORMULA_MODEL_NAME,
    assert_no_forked_notetype,
    build_apkg,
    import_apkg,
    open_collection,
)

GLOSSARY = """    tex: 'S_i = \\frac{e^{V_i}}{\\sum_j e^{V_j}}'
    symbols:
      'S_i': '第 i 类的预测概率'
      'V_i': '第 i 类的得分'
"""


def test_a_formula_with_a_glossary_is_drilled_both_ways(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    path = bank / "01-basics" / "01-softmax.md"
    text = path.read_text(encoding="utf-8")
    line = "    tex: 'S_i = \\frac{e^{V_i}}{\\sum_j e^{V_j}}'\n"
    assert line in text
    path.write_text(text.replace(line, GLOSSARY), encoding="utf-8")
    col_path = tmp_path / "collection.anki2"
    log = import_apkg(col_path, build_apkg(bank, tmp_path / "out"))
    assert not log.conflicting
    with open_collection(col_path) as col:
        model = col.models.get(REVERSE_FORMULA_MODEL_ID)  # type: ignore[arg-type]
        assert model is not None and len(model["tmpls"]) == 1
        formula = col.models.get(FORMULA_MODEL_ID)  # type: ignore[arg-type]
        assert formula is not None and len(formula["tmpls"]) == 1  # the formula notetype is unchanged
        (nid,) = col.find_notes(f'"note:{REVERSE_FORMULA_MODEL_NAME}"')
        note = col.get_note(nid)
        (forward,) = [col.get_note(n) for n in col.find_notes(f'"note:{FORMULA_MODEL_NAME}" "Id:softmax/*"')]
        assert note["Id"] == forward["Id"] == "softmax/softmax" and note.guid != forward.guid
        (card,) = note.cards()
        front, back = card.question(), card.answer()
        assert "\\frac{e^{V_i}" in front  # the formula is what is shown
        plain_front = re.sub(r"<[^>]+>", "", front)
        assert "softmax" not in plain_front.replace("\\frac", "")  # the name is what is asked
        assert "每个符号是什么意思" in front
        assert "第 i 类的预测概率" in back and "<dt>" in back and "\\(S_i\\)" in back
        assert "介绍一下 softmax" in back  # the question it comes from
        assert_no_forked_notetype(col)
