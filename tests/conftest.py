"""Shared helpers: the fixture bank, the real bank, and building them into temporary folders."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from compiler.build import BuildResult, build
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter
from compiler.loader import load_bank
from compiler.model import Bank
from tools.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_BANK = ROOT / "tests" / "fixtures" / "bank"
REAL_BANK = ROOT / "source"


def copy_bank(src: Path, dest: Path) -> Path:
    """A writable copy of a bank, to edit in a test."""
    shutil.copytree(src, dest)
    return dest


def git(repo: Path, *args: str, when: int = 1_600_000_000) -> None:
    """Run git in `repo` as a fixed author, with commits dated `when` (seconds since the epoch),
    ignoring the user's git configuration (signing, hooks) so that tests behave the same anywhere."""
    date = f"@{when} +0000"
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)


def committed_bank(tmp_path: Path, when: int) -> Path:
    """The fixture bank copied into a git repository (`tmp_path/repo/bank`) and committed at `when`,
    as an author's clone has it: edits to it are uncommitted."""
    repo = tmp_path / "repo"
    bank = copy_bank(FIXTURE_BANK, repo / "bank")
    git(repo, "init", "-q", when=when)
    git(repo, "add", "-A", when=when)
    git(repo, "commit", "-q", "-m", "bank", when=when)
    return bank


def run_build(
    source: Path, out: Path, only: list[str] | None = None, flt: Filter | None = None
) -> BuildResult:
    result = build(source, out, only=only, flt=flt)
    messages = "\n".join(d.format() for d in result.diags)
    assert result.ok(), f"build failed: {result.failed}\n{messages}"
    return result


FIXED_TIME = "1700000000"  # the content time of builds in tests (SOURCE_DATE_EPOCH)


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds in tests use a fixed content time unless a test sets its own."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_TIME)


def run_build_at_fixed_time(source: Path, out: Path, only: list[str] | None = None) -> BuildResult:
    """`run_build` at the fixed content time, for module- and session-scoped fixtures (which the
    function-scoped `_fixed_time` does not reach)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", FIXED_TIME)
    try:
        return run_build(source, out, only=only)
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def real_bank_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real bank built once with every backend; tests read it, never write it."""
    out = tmp_path_factory.mktemp("real-build")
    run_build_at_fixed_time(REAL_BANK, out)
    return out


@functools.cache
def load_real_bank() -> Bank:
    """The real bank as read (not rendered): its chapters and questions, to compare outputs with."""
    loaded = load_bank(REAL_BANK, Diagnostics())
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium (tools/browser.py says which), one per test module."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()
