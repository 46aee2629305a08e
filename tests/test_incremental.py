"""An edit makes again only what shows it: the EPUB's chapters and the site's question pages are
cached by what they are made from, and the outputs of a build that took most of them from the
cache are the bytes a cold build of the same source writes; phase one reads and finishes only
the edited question again, and the API serialises only its document. (The PDF's documents:
tests/test_pdf.py.)"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from compiler.backends.anki.backend import NOTES_CACHE
from compiler.backends.api.backend import QUESTION_CACHE as API_QUESTION_CACHE
from compiler.backends.epub.book import CHAPTER_CACHE
from compiler.backends.site.pages import QUESTION_CACHE
from compiler.loader import LOADED_CACHE
from compiler.render import FINISHED_CACHE
from tests.conftest import committed_bank, run_build

ONLY = ["epub", "site"]
COMMITTED = 1_700_000_000


def cached(out: Path, namespace: str) -> set[str]:
    with sqlite3.connect(out / ".cache" / "cache.sqlite") as db:
        return {k for (k,) in db.execute("SELECT key FROM entries WHERE namespace = ?", (namespace,))}


def outputs(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.relative_to(out).parts[0].startswith(".")
    }


def edit(question: Path, old: str, new: str, when: int) -> None:
    text = question.read_text("utf-8")
    assert old in text
    question.write_text(text.replace(old, new, 1), "utf-8")
    os.utime(question, (when, when))  # the same day as the commit: the dates shown stay


def test_an_uncommitted_edit_makes_again_only_the_pages_that_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=ONLY)
    chapters, pages = cached(out, CHAPTER_CACHE), cached(out, QUESTION_CACHE)
    assert (len(chapters), len(pages)) == (2, 3)  # two chapters, three questions
    question = bank / "02-models" / "01-sgd.md"  # the last question, alone in chapter 2

    # An answer: its chapter of the book, its own page of the site.
    edit(
        question, "for epoch in range(n_epochs):", "for epoch in range(n_epochs):  # 每一轮", COMMITTED + 600
    )
    run_build(bank, out, only=ONLY)
    assert len(cached(out, CHAPTER_CACHE) - chapters) == 1
    assert len(cached(out, QUESTION_CACHE) - pages) == 1
    cold = tmp_path / "cold-1"
    run_build(bank, cold, only=ONLY)
    assert outputs(out) == outputs(cold)

    # A title: also the page before it, whose pager shows it.
    chapters, pages = cached(out, CHAPTER_CACHE), cached(out, QUESTION_CACHE)
    edit(question, "# 写出 SGD 的伪代码", "# 写出随机梯度下降（SGD）的伪代码", COMMITTED + 1200)
    run_build(bank, out, only=ONLY)
    assert len(cached(out, CHAPTER_CACHE) - chapters) == 1
    assert len(cached(out, QUESTION_CACHE) - pages) == 2
    cold = tmp_path / "cold-2"
    run_build(bank, cold, only=ONLY)
    assert outputs(out) == outputs(cold)


def test_an_uncommitted_edit_reads_renders_and_makes_the_api_and_anki_notes_of_its_question_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phase one takes every other question as read and finished from the cache, the API
    serialises only the edited question's document again and the deck makes only its notes'
    fields again; the JSON and the deck are a cold build's bytes."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    only = ["api", "anki"]
    run_build(bank, out, only=only)
    namespaces = (LOADED_CACHE, FINISHED_CACHE, API_QUESTION_CACHE, NOTES_CACHE)
    before = {n: cached(out, n) for n in namespaces}
    # three questions; the one with a figure is finished every time (its image is another file)
    assert [len(before[n]) for n in namespaces] == [3, 2, 3, 3]
    question = bank / "02-models" / "01-sgd.md"
    edit(
        question, "for epoch in range(n_epochs):", "for epoch in range(n_epochs):  # 每一轮", COMMITTED + 600
    )
    run_build(bank, out, only=only)
    assert {n: len(cached(out, n) - before[n]) for n in namespaces} == dict.fromkeys(namespaces, 1)
    cold = tmp_path / "cold"
    run_build(bank, cold, only=only)
    assert outputs(out) == outputs(cold)
