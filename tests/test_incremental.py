"""An edit makes again only what shows it: the EPUB's chapters and the site's question pages are
cached by what they are made from, and the outputs of a build that took most of them from the
cache are the bytes a cold build of the same source writes; phase one reads and finishes only
the edited question again, the API serialises only its document and writes only the files that
show it, reading none of the others, and the deck makes only its notes. (The PDF's documents:
tests/test_pdf.py.)"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from compiler import output, state
from compiler.backends.anki import backend as anki_backend
from compiler.backends.anki.backend import NOTES_CACHE
from compiler.backends.api.backend import QUESTION_CACHE as API_QUESTION_CACHE
from compiler.backends.epub.book import CHAPTER_CACHE
from compiler.backends.site.pages import QUESTION_CACHE
from compiler.build import build
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


SGD = Path("02-models") / "01-sgd.md"  # the last question, alone in chapter 2


def edit_answer(bank: Path, when: int = COMMITTED + 600) -> Path:
    """A comment added to a line of SGD's answer (not committed); the question's file."""
    question = bank / SGD
    edit(question, "for epoch in range(n_epochs):", "for epoch in range(n_epochs):  # 每一轮", when)
    return question


def test_an_uncommitted_edit_makes_again_only_the_pages_that_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=ONLY)
    chapters, pages = cached(out, CHAPTER_CACHE), cached(out, QUESTION_CACHE)
    assert (len(chapters), len(pages)) == (2, 3)  # two chapters, three questions

    # An answer: its chapter of the book, its own page of the site.
    question = edit_answer(bank)
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
    # three questions, one with a figure: each is remembered finished
    assert [len(before[n]) for n in namespaces] == [3, 3, 3, 3]
    edit_answer(bank)
    run_build(bank, out, only=only)
    assert {n: len(cached(out, n) - before[n]) for n in namespaces} == dict.fromkeys(namespaces, 1)
    cold = tmp_path / "cold"
    run_build(bank, cold, only=only)
    assert outputs(out) == outputs(cold)


class Calls:
    """Counts the calls of a function (those whose first argument is a path under `under`, when
    given) and still makes them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str, under: Path | None = None):
        self.count = 0
        real = getattr(owner, name)

        def counted(*args: object, **kwargs: object) -> object:
            first = args[0] if args else None
            if under is None or (isinstance(first, Path) and first.is_relative_to(under)):
                self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def test_an_uncommitted_edit_writes_and_reads_only_the_api_documents_that_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged document, made again from the cache, is known by the hash and stat its last
    build recorded: no output is read to compare it, nor hashed again to record it. Written
    are the question's document, all.json and index.json (whose `updated` moved)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=["api"])
    edit_answer(bank)
    compared = Calls(monkeypatch, output, "_unchanged", out / "api")
    written = Calls(monkeypatch, output, "_write_temporary", out / "api")
    hashed = Calls(monkeypatch, state, "file_digest", out / "api")
    before = outputs(out)
    result = run_build(bank, out, only=["api"])
    changed = {name for name, digest in outputs(out).items() if before.get(name) != digest}
    assert changed == {f"api/v1/{n}" for n in ("questions/sgd-pseudocode.json", "all.json", "index.json")}
    assert written.count == len(changed)
    assert (compared.count, hashed.count) == (0, 0)
    assert len(result.written["api"]) > 20  # the others are still outputs of the build
    cold = tmp_path / "cold"
    run_build(bank, cold, only=["api"])
    assert outputs(out) == outputs(cold)


def test_an_output_touched_or_changed_by_hand_is_compared_and_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose stat is not the recorded one is read: touched, with the right bytes, it is
    left alone; edited by hand, it is written again."""
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=["api"])
    touched, edited = out / "api/v1/chapters/01-basics.json", out / "api/v1/questions/sgd-pseudocode.json"
    right = {p: p.read_bytes() for p in (touched, edited)}
    os.utime(touched, (COMMITTED, COMMITTED))
    edited.write_bytes(b"{}\n")
    (bank / "tags.yaml").write_text((bank / "tags.yaml").read_text("utf-8") + "\n", "utf-8")  # a build runs
    compared = Calls(monkeypatch, output, "_unchanged", out / "api")
    run_build(bank, out, only=["api"])
    assert compared.count == 2  # those two, and none of the files still as recorded
    assert {p: p.read_bytes() for p in right} == right
    assert touched.stat().st_mtime == COMMITTED


def test_an_edit_makes_one_question_s_anki_notes_and_never_unpacks_the_previous_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notes of the package the last build wrote are known from the cache (by its bytes),
    so comparing with it costs no unpacking; only the edited question's notes are made."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=["anki"])
    edit_answer(bank)
    unpacked = Calls(monkeypatch, anki_backend, "note_fields")
    made = Calls(monkeypatch, anki_backend.AnkiBackend, "_note_data")
    run_build(bank, out, only=["anki"])
    assert (unpacked.count, made.count) == (0, 1)


def test_a_question_remembered_finished_with_its_figure_still_reports_what_becomes_of_the_figure(
    tmp_path: Path,
) -> None:
    """The question showing box.svg is taken finished from the cache like the others; its figure
    is checked every build, and a figure deleted since makes the question finished again, which
    reports it where the answer embeds it."""
    bank = committed_bank(tmp_path, COMMITTED)
    out = tmp_path / "out"
    run_build(bank, out, only=["api"])
    figure = bank / "figures" / "box.svg"
    good = figure.read_bytes()

    figure.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    result = build(bank, out, only=["api"])
    assert [Path(d.location.path).name for d in result.diags.errors] == ["box.svg"]

    figure.unlink()
    result = build(bank, out, only=["api"])
    errors = [d.format() for d in result.diags.errors]
    assert len(errors) == 1 and "02-confusion.md:27:" in errors[0] and "does not exist" in errors[0]

    figure.write_bytes(good)
    run_build(bank, out, only=["api"])
    cold = tmp_path / "cold"
    run_build(bank, cold, only=["api"])
    assert outputs(out) == outputs(cold)
