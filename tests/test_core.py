"""The rendering core and the orchestrator: batching, caching, atomic outputs, timestamps."""

from __future__ import annotations

import io
import os
import random
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypandoc
import pytest
from pydantic import BaseModel

from compiler import build as build_module
from compiler import fingerprint as fingerprint_module
from compiler import pandoc
from compiler.backends import BACKENDS
from compiler.build import build, compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter
from compiler.fingerprint import fingerprint
from compiler.loader import LOADED_CACHE
from compiler.math.forms import bank_math
from compiler.math.mathml import mathml_for
from compiler.output import ZIP_EPOCH, StagedWrites, reproducible_zip, write_bytes_atomic
from compiler.progress import Progress
from compiler.render import FINISHED_CACHE
from compiler.timestamps import content_time, content_timestamp
from tests.conftest import FIXTURE_BANK, ROOT, copy_bank, git, run_build

QUESTION = (
    "---\nid: q{n}\ntags: [activation]\n---\n\n"
    "# 问题 {n}：为什么 $x_{n}$ 很重要？\n\n答案 {n}：$$\\frac{{a_{n}}}{{b}}$$\n"
)


def make_bank(dest: Path, count: int) -> Path:
    copy_bank(FIXTURE_BANK, dest)
    for n in range(count):
        (dest / "02-models" / f"{10 + n:03d}-q{n}.md").write_text(QUESTION.format(n=n), encoding="utf-8")
    return dest


def pandoc_processes(source: Path, out: Path) -> int:
    before = pandoc.pandoc_calls
    run_build(source, out, only=["api"])
    return pandoc.pandoc_calls - before


def test_pandoc_processes_grow_with_the_cores_not_with_the_bank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML and the API's MathML come from the same processes: one for a small bank, one per
    core for a bank worth it (pandoc uses one core), however large the bank is below `BATCH`."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    small = pandoc_processes(make_bank(tmp_path / "small", 2), tmp_path / "out-small")
    large = pandoc_processes(make_bank(tmp_path / "large", 200), tmp_path / "out-large")
    larger = pandoc_processes(make_bank(tmp_path / "larger", 400), tmp_path / "out-larger")
    assert (small, large, larger) == (1, 2, 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert pandoc_processes(make_bank(tmp_path / "one-core", 200), tmp_path / "out-one-core") == 1


def test_html_and_mathml_are_the_same_from_one_pandoc_or_one_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_bank(tmp_path / "bank", 80)

    def render(cores: int) -> tuple[int, list[Any], dict[Any, str]]:
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        before = pandoc.pandoc_calls
        bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False), backends=["api"])
        assert bank is not None
        return pandoc.pandoc_calls - before, [q.html for q in bank.questions], bank.mathml

    calls_one, html_one, mathml_one = render(1)
    calls_two, html_two, mathml_two = render(2)
    assert (calls_one, calls_two) == (1, 2)
    assert html_two == html_one
    assert mathml_two == mathml_one and len(mathml_one) > 80


def test_a_cold_build_of_every_output_starts_one_pandoc_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted as processes started (a wrapper logs each one), in every process of the build:
    the HTML, the MathML of the API and of a MathML EPUB, and no `pandoc --version` or format
    listing beside them. (A small bank: a larger one starts one per core, the test above.)"""
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    config = source / "bank.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("math: svg", "math: mathml"), "utf-8")
    log = tmp_path / "pandoc.log"
    wrapper = tmp_path / "pandoc"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{pandoc.pandoc_path()}" "$@"\n', "utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setattr(pandoc, "pandoc_path", lambda: wrapper)
    monkeypatch.setattr(pandoc, "pandoc_version", lambda: "wrapped")
    result = run_build(source, tmp_path / "out")
    assert result.ok() and set(result.written) == set(BACKENDS.names())
    assert result.bank is not None and result.bank.mathml  # the EPUB and the API drew MathML
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1


def test_mathml_made_while_rendering_equals_mathml_made_alone(tmp_path: Path) -> None:
    """The MathML of formulas in the Markdown and of named formulas comes from the rendering
    pandoc; a formula whose question's HTML was cached gets it from a pandoc of its own. Both are
    what `pandoc --mathml` makes of the formula on its own."""
    source = make_bank(tmp_path / "bank", 2)
    tricky = (
        "---\nid: tricky\ntags: [activation]\n---\n\n# 符号 $a < b \\& c$\n\n多行 $x\n+ y$ 与\n\n"
        "$$\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}$$\n\n"
        "- 列表 $u\n  + v$ 项\n\n  $$\n  p = q\n  $$\n\n转义 $a \\$ b$ 与 $\\text{c $d$}$\n"
    )
    (source / "02-models" / "090-tricky.md").write_text(tricky, encoding="utf-8")
    bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False), backends=["api"])
    assert bank is not None
    maths = bank_math(bank)
    assert {m.tex for m in maths} >= {"a < b \\& c", "x\n+ y", "a \\$ b"} and any(m.display for m in maths)
    before = pandoc.pandoc_calls
    alone = mathml_for(maths, Cache(None))  # nothing known: converted by a pandoc of its own
    assert pandoc.pandoc_calls - before == 1
    assert bank.mathml.keys() >= set(maths)
    assert {m: bank.mathml[m] for m in maths} == alone
    for m in maths:
        doc = f"$${m.tex}$$" if m.display else f"${m.tex.replace(chr(10), ' ')}$"
        cli = pypandoc.convert_text(doc, "html5", format=pandoc.PANDOC_FROM, extra_args=["--mathml"])
        assert alone[m] == pandoc.strip_paragraph(cli), m


def test_a_large_bank_is_rendered_in_batches_with_the_same_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandoc takes more than linear time in the size of a document: beyond `BATCH` questions
    the bank goes to pandoc in batches (the HTML does not change)."""
    source = make_bank(tmp_path / "bank", 7)

    def html(batch: int) -> tuple[int, list[tuple[str, str]]]:
        monkeypatch.setattr(pandoc, "BATCH", batch)
        before = pandoc.pandoc_calls
        bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False))
        assert bank is not None
        return pandoc.pandoc_calls - before, [(q.html.title_html, q.html.answer_html) for q in bank.questions]

    calls_one, one = html(1000)
    calls_batched, batched = html(3)
    assert (calls_one, calls_batched) == (1, 4)  # 10 questions (3 in the fixture): 4 batches of 3
    assert batched == one


def test_unchanged_questions_are_not_rendered_again(tmp_path: Path) -> None:
    source = make_bank(tmp_path / "bank", 5)
    out = tmp_path / "out"
    assert pandoc_processes(source, out) == 1
    assert pandoc_processes(source, out) == 0  # everything cached
    (source / "02-models" / "010-q0.md").write_text(QUESTION.format(n=0).replace("答案 0", "新答案"), "utf-8")
    diags = Diagnostics()
    cache = Cache(out / ".cache")
    compile_bank(source, diags, cache, Progress(enabled=False))
    # exactly the edited question is read, rendered and finished again (sanitised, checked, glued)
    made = Counter(namespace for namespace, _ in cache.take_pending())
    assert made == {LOADED_CACHE: 1, "html": 1, FINISHED_CACHE: 1}


def test_corrupt_cache_entry_is_recomputed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_build(FIXTURE_BANK, out, only=["api"])
    good = (out / "api" / "v1" / "questions" / "softmax.json").read_bytes()
    with sqlite3.connect(out / ".cache" / "cache.sqlite") as db:
        changed = db.execute(
            "UPDATE entries SET value = replace(value, 'softmax', 'CORRUPT') WHERE namespace = 'html'"
        ).rowcount
    assert changed
    (out / "api" / "v1" / "questions" / "softmax.json").unlink()
    run_build(FIXTURE_BANK, out, only=["api"])
    assert (out / "api" / "v1" / "questions" / "softmax.json").read_bytes() == good


def test_the_cache_names_the_keys_it_lacks_in_batches(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.missing("ns", ["a"]) == {"a"}  # no database yet
    stored = [f"k{n}" for n in range(1200)]  # more than one query's worth
    for k in stored:
        cache.put("ns", k, k)
    cache.flush()
    cache.put("ns", "pending", "not flushed yet")
    cache.put("other", "x", "another namespace")
    assert cache.missing("ns", [*stored, "pending", "x", "absent"]) == {"x", "absent"}
    assert cache.get("ns", "k1199") == "k1199"
    cache.close()


def test_atomic_write_keeps_the_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    write_bytes_atomic(target, b"old")

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"new and longer")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_staged_files_reach_the_disk_before_they_replace_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few staged files are flushed one by one (not the machine's every dirty page), many with
    one `sync`; each before any rename."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "sync", lambda: events.append("sync"))
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)

    def commit(count: int) -> None:
        events.clear()
        staged = StagedWrites()
        for n in range(count):
            staged.stage(tmp_path / f"{count}-{n}.json", f"{count} {n}".encode())
        staged.commit()

    commit(3)
    assert events == ["fsync"] * 3 + ["replace"] * 3
    commit(300)
    assert events == ["sync"] + ["replace"] * 300
    assert (tmp_path / "300-299.json").read_bytes() == b"300 299"


def test_failing_backend_keeps_previous_output_and_others_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compiler.backends import BACKENDS

    out = tmp_path / "out"
    run_build(FIXTURE_BANK, out, only=["api"])
    before = (out / "api" / "v1" / "index.json").read_bytes()

    class NoOptions(BaseModel):
        pass

    class Broken:
        name = "broken"
        description = "always fails"
        options = NoOptions
        templates = "broken"

        def build(self, bank: object, ctx: object) -> list[Path]:
            raise RuntimeError("disk on fire")

        def math_forms(self, options: object) -> frozenset[str]:
            return frozenset()

    monkeypatch.setitem(BACKENDS, "broken", Broken)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    result = build(FIXTURE_BANK, out, only=["broken", "api"])
    assert result.failed == ["broken"]
    assert not result.ok()
    assert "disk on fire" in "\n".join(d.message for d in result.diags)
    after = (out / "api" / "v1" / "index.json").read_bytes()
    assert after != before and b"2027" in after  # api still ran, with the new timestamp


def test_removed_question_is_reported_and_its_outputs_deleted(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "out"
    run_build(source, out, only=["api"])
    assert (out / "api" / "v1" / "questions" / "sgd-pseudocode.json").exists()
    (source / "02-models" / "01-sgd.md").unlink()
    result = run_build(source, out, only=["api", "anki"])
    assert not (out / "api" / "v1" / "questions" / "sgd-pseudocode.json").exists()
    assert "1 question(s) left the bank since the last build: sgd-pseudocode" in result.notes
    assert any(n.startswith("anki: ") and '"Id:sgd-pseudocode"' in n for n in result.notes), result.notes
    # reported once: the next build knows the id is gone
    assert not any("sgd-pseudocode" in n for n in run_build(source, out, only=["api"]).notes)


def test_reproducible_zip_is_deterministic() -> None:
    a = reproducible_zip(
        {"b.txt": b"2", "mimetype": b"x", "a.txt": b"1"}, first="mimetype", stored=("mimetype",)
    )
    time.sleep(1.1)
    b = reproducible_zip(
        {"a.txt": b"1", "b.txt": b"2", "mimetype": b"x"}, first="mimetype", stored=("mimetype",)
    )
    assert a == b
    assert a[30:38] == b"mimetype"  # first entry, stored


def test_reproducible_zip_is_laid_out_as_zipfile_writes_it() -> None:
    """The entries are compressed in parallel, but the archive is the one `zipfile` writes."""
    entries = {
        "mimetype": b"application/epub+zip",
        "EPUB/第一章.xhtml": "<p>你好，世界</p>".encode() * 500,
        "EPUB/noise.bin": random.Random(7).randbytes(20_000),
        "empty": b"",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ["mimetype", "EPUB/noise.bin", "EPUB/第一章.xhtml", "empty"]:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, entries[name], compresslevel=None if name == "mimetype" else 6)
    ours = reproducible_zip(entries, first="mimetype", stored=("mimetype",))
    assert ours == buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert archive.testzip() is None
        assert {i.filename: archive.read(i) for i in archive.infolist()} == entries


def test_content_timestamp_follows_commits_and_uncommitted_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    repo = tmp_path / "repo"
    source = copy_bank(FIXTURE_BANK, repo / "source")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "bank")
    for path in source.rglob("*"):
        os.utime(path, (1_500_000_000, 1_500_000_000))  # a fresh clone's mtimes mean nothing
    assert content_timestamp(source) == 1_600_000_000
    edited = source / "01-basics" / "01-softmax.md"
    edited.write_text(edited.read_text("utf-8") + "\n补充。\n", "utf-8")
    os.utime(edited, (1_700_000_000, 1_700_000_000))
    assert content_timestamp(source) == 1_700_000_000  # an uncommitted edit moves it forward
    assert content_timestamp(source) == 1_700_000_000  # and it is stable while nothing changes
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    assert content_timestamp(source) == 1234


def test_an_uncommitted_files_time_is_the_time_its_content_was_first_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Touching or re-saving a file moves nothing; a new content, even an old one coming back,
    is later than everything seen before (Anki takes only a newer note)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    repo = tmp_path / "repo"
    source = copy_bank(FIXTURE_BANK, repo / "source")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "bank")
    edited = source / "01-basics" / "01-softmax.md"
    original = edited.read_text("utf-8")
    edited.write_text(original + "\n补充。\n", "utf-8")
    os.utime(edited, (1_700_000_000, 1_700_000_000))
    first = content_time(source, {})
    assert first.timestamp == 1_700_000_000
    os.utime(edited, (1_700_000_500, 1_700_000_500))  # touched: the same content
    assert content_time(source, first.seen).timestamp == 1_700_000_000
    edited.write_text(original + "\n另一句。\n", "utf-8")
    os.utime(edited, (1_600_000_100, 1_600_000_100))  # an mtime from the past (a copy, a tar)
    second = content_time(source, first.seen)
    assert second.timestamp == 1_700_000_001
    edited.write_text(original + "\n补充。\n", "utf-8")  # back to the first edit
    os.utime(edited, (1_700_000_000, 1_700_000_000))
    assert content_time(source, second.seen).timestamp == 1_700_000_002


def test_a_folder_no_commit_has_counts_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bank copied into an ignored folder of a repository (build/bench/) is dated by its files."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitignore").write_text("ignored/\n", "utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "repo")
    source = copy_bank(FIXTURE_BANK, repo / "ignored" / "bank")
    for path in source.rglob("*"):
        os.utime(path, (1_500_000_000, 1_500_000_000))
    assert content_timestamp(source) == 1_500_000_000


def test_content_timestamp_outside_git_is_the_newest_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for path in source.rglob("*"):
        os.utime(path, (1_500_000_000, 1_500_000_000))
    os.utime(source / "bank.yaml", (1_550_000_000, 1_550_000_000))
    assert content_timestamp(source) == 1_550_000_000


def test_build_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_build(FIXTURE_BANK, out, only=["api"])
    files = [p for p in out.rglob("*") if p.is_file() and ".lock" not in p.name]
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    time.sleep(0.05)
    result = run_build(FIXTURE_BANK, out, only=["api"])
    assert result.skipped == ["api"]
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes
    assert sorted(p for p in out.rglob("*") if p.is_file() and ".lock" not in p.name) == sorted(files)


def test_a_build_with_nothing_to_do_loads_nothing_and_reports_what_a_full_one_does(tmp_path: Path) -> None:
    """`python -m compiler build` with nothing changed answers from build/.state (compiler.nochange)
    without importing Pydantic, Jinja2 or a backend; any change to the source goes through phase one
    again, so a new error is reported, and an output changed by hand is written again."""
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "out"
    cmd = [sys.executable, "-X", "importtime", "-m", "compiler", "--source", str(source)]
    cmd += ["build", "--out", str(out), "--only", "api,anki"]

    def run() -> tuple[int, list[str], set[str]]:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
        lines = done.stderr.splitlines()
        modules = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
        return done.returncode, [line for line in lines if not line.startswith("import time:")], modules

    code, first, _ = run()
    assert code == 0
    code, again, modules = run()
    assert code == 0 and again == [line for line in first if not line.startswith("note:")]
    assert again[-1].startswith("built api, anki (")
    assert not {"pydantic", "jinja2", "compiler.loader", "compiler.backends.anki.backend"} & modules

    question = source / "02-models" / "01-sgd.md"
    good = question.read_text("utf-8")
    question.write_text(good.replace("company: [阿里巴巴]", "company: [无名公司]", 1), "utf-8")
    code, broken, modules = run()
    assert code == 1 and any("unknown company '无名公司'" in line for line in broken)
    assert "compiler.loader" in modules
    question.write_text(good, "utf-8")
    assert run()[0] == 0
    index = out / "api" / "v1" / "index.json"
    written = index.read_bytes()
    index.write_text("{}", "utf-8")
    code, _, modules = run()
    assert code == 0 and index.read_bytes() == written and "compiler.loader" in modules


def test_a_bank_at_the_top_of_its_repository_is_up_to_date_whatever_git_does_in_dot_git(
    tmp_path: Path,
) -> None:
    """git changes files of .git/ on its own (an automatic `git gc` after a large first commit, a
    refreshed index): the inputs of a build are the bank's files and what decides its content
    time, so nothing else there makes the next build run again; a commit does."""
    from compiler import nochange

    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    git(bank, "init", "-q")
    git(bank, "add", "-A")
    git(bank, "commit", "-qm", "bank")
    out = tmp_path / "out"
    before = nochange.snapshot(bank, out, "api").key
    (bank / ".git" / "gc.log").write_text("warning: There are too many unreachable loose objects", "utf-8")
    (bank / ".git" / "objects" / "pack" / "pack-0.keep").write_text("", "utf-8")
    assert nochange.snapshot(bank, out, "api").key == before
    git(bank, "commit", "-q", "--allow-empty", "-m", "a later commit", when=1_600_000_600)
    assert nochange.snapshot(bank, out, "api").key != before


def test_touched_output_is_rebuilt(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_build(FIXTURE_BANK, out, only=["api"])
    index = out / "api" / "v1" / "index.json"
    good = index.read_bytes()
    index.write_text("{}", "utf-8")
    result = run_build(FIXTURE_BANK, out, only=["api"])
    assert result.skipped == [] and index.read_bytes() == good


def test_filtered_output_not_containing_an_edit_is_not_rebuilt(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "out"
    run_build(source, out, only=["api"], flt=Filter(company="腾讯优图"))
    sgd = source / "02-models" / "01-sgd.md"  # asked by 阿里巴巴, not 腾讯优图
    sgd.write_text(sgd.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    result = run_build(source, out, only=["api"], flt=Filter(company="腾讯优图"))
    assert result.skipped == ["api"]


def test_warm_build_after_an_edit_equals_a_cold_build_on_one_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caches and parallel processes change how fast, never what: every output of an
    incremental build equals a cold build's, and two cores give the bytes one core gives."""
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    warm = tmp_path / "warm"
    run_build(source, warm)
    edited = source / "02-models" / "01-sgd.md"
    edited.write_text(edited.read_text("utf-8") + "\n补充：学习率通常随训练逐步减小。\n", "utf-8")
    run_build(source, warm)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    cold = tmp_path / "cold"
    run_build(source, cold)

    def outputs(out: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(out)): p.read_bytes()
            for p in out.rglob("*")
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".")
        }

    warm_files, cold_files = outputs(warm), outputs(cold)
    assert warm_files.keys() == cold_files.keys() and len(warm_files) > 20
    assert not [name for name, data in warm_files.items() if cold_files[name] != data]


@pytest.mark.parametrize(("backend", "math"), [(n, "svg") for n in BACKENDS.names()] + [("epub", "mathml")])
def test_no_backend_starts_pandoc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, math: str
) -> None:
    """Phase one makes every form of the content a backend needs (MathML included): a backend
    built alone, in this process, must find pandoc unusable and still succeed."""
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    config = source / "bank.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("math: svg", f"math: {math}"), encoding="utf-8"
    )
    started: list[str] = []

    def no_pandoc(*args: object, **kwargs: object) -> str:
        started.append(backend)
        raise AssertionError("a backend started pandoc")

    popen = subprocess.Popen

    def no_pandoc_process(args: Any, *rest: Any, **kwargs: Any) -> Any:
        if "pandoc" in str(args):
            no_pandoc()
        return popen(args, *rest, **kwargs)

    before = pandoc.pandoc_calls
    real_prepare = build_module._prepare_math

    def prepare_then_forbid(*args: Any, **kwargs: Any) -> Any:
        prepared = real_prepare(*args, **kwargs)
        monkeypatch.setattr(pypandoc, "convert_text", no_pandoc)
        monkeypatch.setattr(pypandoc, "convert_file", no_pandoc)
        monkeypatch.setattr(subprocess, "Popen", no_pandoc_process)
        return prepared

    monkeypatch.setattr(build_module, "_prepare_math", prepare_then_forbid)
    result = run_build(source, tmp_path / "out", only=[backend])  # one backend: run in this process
    assert not started and result.written[backend]
    assert pandoc.pandoc_calls - before == 1  # MathML included


def test_a_backends_fingerprint_covers_its_templates_and_options_only(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False))
    assert bank is not None
    before = {name: fingerprint(BACKENDS[name], bank) for name in BACKENDS.names()}
    pdf = bank.config.outputs.pdf.model_copy(update={"columns": 3})
    outputs = bank.config.outputs.model_copy(update={"pdf": pdf})
    edited = replace(bank, config=bank.config.model_copy(update={"outputs": outputs}))
    after = {name: fingerprint(BACKENDS[name], edited) for name in BACKENDS.names()}
    assert [n for n in BACKENDS.names() if before[n] != after[n]] == ["pdf"]
    # the site's code and templates are the site's alone
    site_files = {p.name for p in fingerprint_module.files_of(BACKENDS["site"])}
    api_files = {p.name for p in fingerprint_module.files_of(BACKENDS["api"])}
    assert {"search.js", "pages.py"} <= site_files
    assert not {"search.js", "pages.py", "book.py", "cards.css"} & api_files
