"""`python -m compiler serve`: an edit is rebuilt and served within 2 s, a broken source shows its
file and line in the browser while the last good site stays up, and fixing it brings the page back;
the open page reloads by itself (headless Chromium)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from compiler.serve import DevServer
from tests.conftest import FIXTURE_BANK, ROOT, copy_bank
from tools.browser import CHROMIUM, CHROMIUM_ARGS

DEADLINE = 2.0  # seconds from saving a file to the new page being served


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until `check()` held; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevServer]:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    server = DevServer(bank, tmp_path / "build", port=0, watch_templates=False, log=io.StringIO())
    server.start()
    assert server.watching.is_set()
    yield server
    server.stop()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edit_break_and_fix_over_http(dev: DevServer) -> None:
    source = dev.source / "01-basics" / "01-softmax.md"
    page = dev.url + "q/softmax.html"
    status, html = _get(page)
    assert status == 200 and "介绍一下 softmax" in html
    assert '<script src="/__reload.js" data-build="1" defer></script>' in html
    assert not (dev.site_dir / "q" / "softmax.html").read_text("utf-8").count("__reload")  # not on disk

    _edit(source, "# 介绍一下 softmax", "# 讲讲 softmax 函数")
    elapsed = _until(lambda: "讲讲 softmax 函数" in _get(page)[1], 10)
    assert elapsed < DEADLINE, f"the edit was served after {elapsed:.2f} s"

    def page_status(page: str) -> dict[str, object]:
        state: dict[str, object] = json.loads(_get(f"{dev.url}__status?path={page}&since=1")[1])
        return state

    # the status is updated when the build has finished, just after its last file was written
    _until(lambda: bool(page_status("/q/softmax.html")["reload"]), 2)
    assert not page_status("/q/softmax.html")["errors"]
    assert not page_status("/q/sgd-pseudocode.html")["reload"]  # a page that did not change is left alone

    _edit(source, "tags: [activation/softmax, loss]", "tags: [activation/softmax, lost]")
    _until(lambda: "qbank-dev-error" in _get(page)[1], 10)
    html = _get(page)[1]
    assert re.search(r"01-softmax\.md:3:\d+</code>", html), "the overlay names the file and line"
    assert "unknown tag &#x27;lost&#x27;" in html or "unknown tag 'lost'" in html
    assert "讲讲 softmax 函数" in html  # the last good page is still served beneath it
    assert "qbank-dev-error" in _get(dev.url + "index.html")[1]  # on every page

    _edit(source, "lost]", "loss]")
    _until(lambda: "qbank-dev-error" not in _get(page)[1], 10)
    assert "讲讲 softmax 函数" in _get(page)[1]


def test_the_open_page_reloads_and_shows_the_error_in_chromium(dev: DevServer) -> None:
    source = dev.source / "02-models" / "01-sgd.md"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(dev.url + "q/sgd-pseudocode.html")
        assert page.inner_text("h1") == "写出 SGD 的伪代码"

        _edit(source, "# 写出 SGD 的伪代码", "# 写出随机梯度下降的伪代码")
        page.wait_for_function(
            "document.querySelector('h1').textContent.includes('随机梯度下降')", timeout=4000
        )

        _edit(source, "$\\theta_{t+1} = \\theta_t - \\eta \\nabla_\\theta J$", "$\\frac{1}{$")
        overlay = page.wait_for_selector("#qbank-dev-error", timeout=4000)
        assert overlay is not None
        text = overlay.inner_text()
        assert re.search(r"01-sgd\.md:\d+", text), text
        assert "随机梯度下降" in page.inner_text("h1")  # the last good page

        _edit(source, "$\\frac{1}{$", "$\\theta_{t+1} = \\theta_t - \\eta \\nabla_\\theta J$")
        page.wait_for_selector("#qbank-dev-error", state="detached", timeout=4000)
        assert "随机梯度下降" in page.inner_text("h1")
        browser.close()
    assert not errors


def test_first_build_fails_then_the_page_appears(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    chapter = bank / "01-basics" / "chapter.yaml"
    chapter.write_text("title: [\n", encoding="utf-8")
    server = DevServer(bank, tmp_path / "build", port=0, watch_templates=False, log=io.StringIO())
    server.start()
    try:
        status, html = _get(server.url)
        assert status == 404 and "Build failed" in html and "chapter.yaml:" in html
        chapter.write_text("title: 基础\n", encoding="utf-8")
        _until(lambda: _get(server.url)[0] == 200, 10)
        assert "测试题库" in _get(server.url)[1]
    finally:
        server.stop()


def test_serve_command_line(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "compiler", "--source", str(bank), "serve", "--port", "0"]
    command += ["--out", str(tmp_path / "build")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        url = ""
        deadline = time.monotonic() + 60
        while not url and time.monotonic() < deadline:
            line = process.stderr.readline()
            match = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else ""
        assert url, "serve printed its address"
        status, html = _get(url + "q/softmax.html")
        assert status == 200 and "介绍一下 softmax" in html
        assert _get(url + "no/such/page.html")[0] == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
