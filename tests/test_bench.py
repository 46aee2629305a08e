"""tools/bench.py: what it measures of a process, the pandoc baseline's input, and the verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compiler.timestamps import content_timestamp
from tests.conftest import FIXTURE_BANK, copy_bank
from tools.bench import (
    ALL,
    NOT_PDF,
    Bank,
    BankResult,
    Sample,
    Series,
    combined_markdown,
    commit_all,
    one_edit,
    outputs_for,
    ratios,
    run_measured,
    scenarios_for,
    targets,
)


def test_measures_the_child_not_the_parent(tmp_path: Path) -> None:
    # The child holds 300 MiB and burns CPU; this process stays small, so the figures are the child's.
    code = "x = bytearray(300 * 2**20); sum(i * i for i in range(3 * 10**6)); print('done')"
    sample = run_measured([sys.executable, "-c", code], tmp_path / "ok.log")
    assert sample.ok
    assert sample.rss_mib >= 300
    assert 0.05 < sample.cpu_s <= sample.wall_s * 2
    assert "done" in (tmp_path / "ok.log").read_text(encoding="utf-8")


def test_memory_of_processes_running_at_once_adds_up(tmp_path: Path) -> None:
    # A child and its grandchild each hold 200 MiB at once: the largest process peaks at 200 MiB,
    # the tree at 400. The child holds its memory until the grandchild is done, and the grandchild
    # holds its own for seconds, so that the sampler (every 0.25 s) sees both even on a loaded
    # machine, where starting the grandchild and touching its memory take a while.
    grandchild = "import time; x = bytearray(200 * 2**20); time.sleep(4)"
    code = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', '{grandchild}'])\n"
        "x = bytearray(200 * 2**20)\n"
        "p.wait()"
    )
    sample = run_measured([sys.executable, "-c", code], tmp_path / "tree.log")
    assert sample.ok
    assert 200 <= sample.rss_mib < 300
    assert sample.tree_mib >= 400


def test_a_failing_process_is_recorded_with_its_error(tmp_path: Path) -> None:
    code = "import sys; print('build failed: NotImplementedError: epub', file=sys.stderr); sys.exit(1)"
    sample = run_measured([sys.executable, "-c", code], tmp_path / "fail.log")
    assert not sample.ok
    assert sample.error == "build failed: NotImplementedError: epub"


def test_combined_markdown_for_pandoc() -> None:
    text = combined_markdown(FIXTURE_BANK)
    assert "\nid: " not in text and "tags:" not in text  # front matter stripped
    assert text.startswith("# ")  # a chapter
    assert "\n## 介绍一下 softmax\n" in text  # the question, one level down
    assert "S_i = \\frac{e^{V_i}}{\\sum_j e^{V_j}}" in text
    assert "](../figures/" not in text


def test_one_edit_is_undone(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    path = Bank("b", bank, 3).edit_file
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    with one_edit(path, 1):
        assert path.read_bytes() != before
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_a_second_edit_is_made_on_top_of_the_first_and_both_are_undone(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    path = Bank("b", bank, 3).edit_file
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    with one_edit(path, 1):
        first = path.read_bytes()
        with one_edit(path, 1, 2):
            second = path.read_bytes()
            assert second.startswith(first.rstrip(b"\n")) and second != first
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_what_is_measured_of_each_bank() -> None:
    real, big = Bank("real", Path("r"), 89), Bank("synth-10000", Path("s"), 10000)
    assert scenarios_for(real, ALL) == ("cold", "nochange", "oneedit", "secondedit")
    assert scenarios_for(Bank("synth-500", Path("s"), 500), "pdf") == ("cold", "nochange", "oneedit")
    assert scenarios_for(big, "pdf") == ("cold",)  # many minutes: its target is memory
    assert outputs_for("10000", None, ["api", "anki", "pdf", "epub"]) == [
        "api",
        "anki",
        "epub",
        NOT_PDF,
        "pdf",
    ]


def test_a_synthetic_bank_is_committed_so_that_its_edit_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # the time from git, as for a user
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    commit_all(bank)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=bank, capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""
    assert content_timestamp(bank) == 1704067200  # the commit's fixed date, not the files'
    with one_edit(Bank("b", bank, 3).edit_file, 1):
        assert content_timestamp(bank) > 1704067200


def series(wall: float, ok: bool = True, cpu: float = 1.0, rss: float = 100.0) -> Series:
    return Series(
        [Sample(wall, cpu, rss, ok), Sample(wall + 1, cpu, rss, ok), Sample(wall - 1, cpu, rss, ok)]
    )


def test_targets_use_medians_and_skip_failures(tmp_path: Path) -> None:
    real = BankResult(Bank("real", tmp_path, 62))
    real.builds[ALL] = {"cold": series(10), "nochange": series(3), "oneedit": series(4, ok=False)}
    real.builds["epub"] = {"cold": series(8)}
    real.pandoc["epub"] = series(4)
    verdicts = {t.what: (t.measured, t.verdict) for t in targets({"real": real})}
    assert verdicts["real bank: all outputs cold"] == (10, "PASS")
    assert verdicts["real bank: all outputs, no change"] == (3, "FAIL")
    assert verdicts["real bank: all outputs warm (one edit, PDF included)"] == (None, "n/a")
    assert verdicts["real: EPUB / pandoc->EPUB"] == (2.0, "FAIL")
    assert verdicts["real: PDF sheets / pandoc->PDF"] == (None, "n/a")


def test_the_five_ratios_of_issue_18_divide_by_pandoc_of_the_same_run(tmp_path: Path) -> None:
    real = BankResult(Bank("real", tmp_path, 89))
    real.builds[ALL] = {
        "cold": series(12),
        "nochange": series(0.5),
        "oneedit": series(2),
        "secondedit": series(1.2),
    }
    real.builds["epub"] = {"cold": series(3)}
    real.pandoc = {"epub": series(2), "pdf": series(8)}
    like = BankResult(Bank("real-mathml", tmp_path, 89), {"epub": {"cold": series(2.5)}})
    found = {t.what.removeprefix("ratio: "): t.measured for t in ratios({"real": real, "real-mathml": like})}
    assert found == {
        "nothing changed, all outputs / pandoc -> EPUB": 0.25,
        "one uncommitted edit, all outputs / pandoc -> PDF": 0.25,
        "the same, a second edit that day / pandoc -> PDF": 0.15,
        "cold EPUB, math: mathml / pandoc --mathml -> EPUB": 1.25,
        "cold EPUB, SVG math / pandoc --mathml -> EPUB": 1.5,
        "cold, all outputs / pandoc -> PDF": 1.5,
    }
