"""The site without a network, in real headless Chromium (/usr/bin/chromium, Playwright):

- opened from disk (file://, the folder copied to a USB stick or a phone): search, filters and
  practice mode work, and every link leads to a page;
- over http: the installable web app (manifest, icons, a service worker that precaches every file
  of the build); after one visit the network goes off and another question, search and practice
  still work; a new build replaces the cache.
And without a browser: what the worker lists, the manifest, the icons, the bytes of two builds."""

from __future__ import annotations

import json
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from compiler.backends.site.icons import icon_png
from compiler.backends.site.offline import NOT_PRECACHED, build_version
from compiler.backends.site.search import expand_tags, search
from compiler.diagnostics import Diagnostics
from compiler.loader import load_bank
from compiler.model import Bank
from tests.conftest import (
    FIXTURE_BANK,
    REAL_BANK,
    copy_bank,
    load_real_bank,
    run_build,
    run_build_at_fixed_time,
)
from tools.localserver import serve

LOADED = (
    "() => { const s = document.getElementById('practice');"
    " return s.dataset.loaded && s.dataset.loaded === s.dataset.question; }"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site-offline")
    run_build_at_fixed_time(REAL_BANK, out, only=["site"])
    return out / "site"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_real_bank()


class Errors(list[str]):
    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(str(e)))
        return page


@pytest.fixture
def disk(browser: Browser, site: Path) -> Iterator[tuple[BrowserContext, Errors]]:
    """A context that may load file:// URLs only: any other request fails the test."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    errors = Errors()
    yield context, errors
    context.close()
    assert requests and all(u.startswith("file://") for u in requests), [
        u for u in requests if not u.startswith("file://")
    ]
    assert not errors, f"console errors: {errors}"


def _visible_results(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#results > li:not([hidden])", "items => items.map(item => item.dataset.id)"
    )
    return ids


def _index(site: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((site / "search-index.json").read_text("utf-8"))
    return data


def _search_shows_only_matches(page: Page, site: Path, query: str) -> None:
    index = _index(site)
    docs = index["docs"]
    assert isinstance(docs, list)
    expected = [docs[i]["id"] for i in search(index, query)]
    assert 0 < len(expected) < len(docs)
    page.wait_for_selector("body[data-search-ready]")
    page.click("#search-q")
    page.keyboard.type(query)
    page.wait_for_function(
        "n => document.getElementById('result-count').textContent.includes('找到 ' + n + ' 道题')",
        arg=len(expected),
    )
    assert _visible_results(page) == expected


def _practise(page: Page) -> tuple[str, str]:
    """Reveal the first question point by point, mark it missed, mark the next known; the ids."""
    page.wait_for_selector("body[data-practice-ready]")
    page.wait_for_function(LOADED)
    first = page.get_attribute("#practice", "data-loaded") or ""
    points = page.locator("#practice-points > li").count()
    assert points >= 2 and page.locator("#practice-points mark.kp-hidden").count() >= points
    for shown in range(1, points + 1):
        page.keyboard.press("Space")
        assert page.locator("#practice-points li.kp-shown").count() == shown
    assert page.is_hidden("#practice-answer")
    page.keyboard.press("Space")
    assert page.is_visible("#practice-answer")
    assert len(page.inner_text("#practice-answer-body")) > 20
    page.click("#practice-missed")
    page.wait_for_function(LOADED)
    second = page.get_attribute("#practice", "data-loaded") or ""
    assert second not in ("", first)
    page.click("#practice-knew")
    page.wait_for_function(LOADED)
    return first, second


# ---- from disk ----------------------------------------------------------------------------------


def test_search_from_disk_shows_the_matching_questions_only(
    disk: tuple[BrowserContext, Errors], site: Path, bank: Bank
) -> None:
    context, errors = disk
    page = errors.watch(context.new_page())
    page.goto((site / "search.html").as_uri())
    _search_shows_only_matches(page, site, "梯度")
    assert "q=%E6%A2%AF%E5%BA%A6" in page.url  # the address keeps the search, from disk too
    first = _visible_results(page)[0]
    page.click(f'#results li[data-id="{first}"] a')
    page.wait_for_url(f"**/q/{first}.html")
    assert "梯度" in page.inner_text("h1")


def test_filters_from_disk(disk: tuple[BrowserContext, Errors], site: Path, bank: Bank) -> None:
    context, errors = disk
    hik = [q for q in bank.questions if any(c.slug == "hikvision" for c in q.companies)]
    tag = next(
        t
        for t in sorted({t for q in hik for t in expand_tags(q.tags)})
        if 0 < sum(t in expand_tags(q.tags) for q in hik) < len(hik)
    )
    page = errors.watch(context.new_page())
    page.goto((site / "search.html").as_uri())
    page.wait_for_selector("body[data-search-ready]")
    page.select_option("#search-company", "hikvision")
    assert _visible_results(page) == [q.id for q in hik]
    page.select_option("#search-tag", tag)
    assert _visible_results(page) == [q.id for q in hik if tag in expand_tags(q.tags)]
    page.click("#practice-link")  # the filtered set, in practice mode
    page.wait_for_selector("body[data-practice-ready]")
    page.wait_for_function(LOADED)
    in_practice = page.get_attribute("#practice", "data-loaded")
    assert in_practice in {q.id for q in hik if tag in expand_tags(q.tags)}


def test_practice_from_disk_reveals_and_keeps_the_marks(
    disk: tuple[BrowserContext, Errors], site: Path
) -> None:
    context, errors = disk
    page = errors.watch(context.new_page())
    page.goto((site / "practice.html").as_uri() + "?company=hikvision&seed=3")
    first, second = _practise(page)
    page.reload()
    page.wait_for_selector("body[data-practice-ready]")
    marks = page.evaluate("JSON.parse(localStorage.getItem('qbank-marks:cv-interview'))")
    assert marks == {first: "missed", second: "knew"}
    page.check("#practice-missed-only")
    page.wait_for_function(LOADED)
    assert page.get_attribute("#practice", "data-loaded") == first
    page.click("#practice-open")  # the question's own page, from disk
    page.wait_for_url(f"**/q/{first}.html")


def test_every_link_of_every_page_names_a_file(site: Path) -> None:
    """file:// has no directory index: a link to `q/` or `./` would show a folder listing."""
    for page in sorted(site.rglob("*.html")):
        text = page.read_text("utf-8")
        for ref in re.findall(r'\s(?:href|src)="([^"#?]*)', text):
            if ref.startswith(("http:", "https:", "mailto:")) or not ref:
                continue
            target = (page.parent / ref).resolve()
            assert target.is_file(), f"{page.relative_to(site)}: {ref}"
    for script in ("search.js", "practice.js", "site.js"):
        code = (site / "assets" / script).read_text("utf-8")
        assert not re.search(r"\bfetch\(|XMLHttpRequest", code), f"{script} fetches: file:// refuses it"


# ---- over http: the web app ---------------------------------------------------------------------


@pytest.fixture
def served(site: Path) -> Iterator[tuple[str, Path]]:
    with serve(site) as base:
        yield base + "/", site


CONTROLLED = "() => navigator.serviceWorker.controller !== null"
CACHED = """async () => {
  const names = await caches.keys();
  const out = {};
  for (const name of names) out[name] = (await (await caches.open(name)).keys()).length;
  return out;
}"""


def _worker_files(site: Path) -> list[str]:
    text = (site / "sw.js").read_text("utf-8")
    match = re.search(r"var FILES = (\[.*?\]);", text)
    assert match
    files: list[str] = json.loads(match.group(1))
    return files


def test_after_one_visit_the_site_works_with_the_network_off(
    browser: Browser, served: tuple[str, Path], bank: Bank
) -> None:
    base, root = served
    context = browser.new_context(viewport={"width": 390, "height": 900})
    errors = Errors()
    page = errors.watch(context.new_page())
    page.goto(base + "index.html")
    page.wait_for_function(CONTROLLED, timeout=60_000)  # installed: every file fetched
    cached = page.evaluate(CACHED)
    assert len(cached) == 1 and list(cached.values()) == [len(_worker_files(root))]
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["name"] == bank.config.title and {i["sizes"] for i in manifest["icons"]} == {
        "192x192",
        "512x512",
    }

    context.set_offline(True)
    other = bank.questions[-1]
    page.goto(base + f"q/{other.id}.html")
    assert page.inner_text("h1").strip() and page.locator("#answer").inner_text()
    page.goto(base + "search.html")
    _search_shows_only_matches(page, root, "梯度")
    page.goto(base + "practice.html?seed=5")
    _practise(page)
    page.goto(base + "chapter/" + bank.chapters[1].slug + ".html")  # folder pages too
    assert page.locator(".q-item").count() == len(bank.chapters[1].questions)
    page.goto(base)  # the folder itself: its index.html
    assert page.locator(".brand").inner_text() == bank.config.title
    context.close()
    assert not errors, errors


def _until(check: Callable[[], bool], timeout: float = 60) -> None:
    """Polls `check` (page.wait_for_function does not wait for an async function's result)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


def test_a_new_build_replaces_the_cache(browser: Browser, tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    run_build(source, tmp_path / "out", only=["site"])
    site = tmp_path / "out" / "site"
    with serve(site) as url:
        base = url + "/"
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "q/softmax.html")
        page.wait_for_function(CONTROLLED, timeout=60_000)
        (before,) = page.evaluate(CACHED)
        question = source / "01-basics" / "01-softmax.md"
        question.write_text(question.read_text("utf-8").replace("\n# ", "\n# 新版：", 1), encoding="utf-8")
        run_build(source, tmp_path / "out", only=["site"])  # the folder the server serves
        page.reload()  # the old build's page, from the cache; the browser checks sw.js meanwhile
        assert "新版" not in page.inner_text("h1")
        _until(lambda: (names := page.evaluate("caches.keys()")) != [before] and len(names) == 1)
        # the new worker took over and deleted the old build's cache
        context.set_offline(True)  # the new build's page comes from the new cache
        page.reload()
        assert "新版" in page.inner_text("h1")
        context.close()


def test_the_site_from_disk_registers_no_worker(disk: tuple[BrowserContext, Errors], site: Path) -> None:
    context, errors = disk
    page = errors.watch(context.new_page())
    page.goto((site / "index.html").as_uri())
    page.wait_for_load_state("load")
    assert page.locator("link[rel=manifest]").count() == 0
    assert context.service_workers == []


# ---- without a browser --------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_worker_precaches_every_file_of_the_build(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path, only=["site"])
    site = tmp_path / "site"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    listed = _worker_files(site)
    assert listed == sorted(f for f in files if f not in NOT_PRECACHED)
    assert {"index.html", "search-index.js", "assets/site.css", "manifest.webmanifest"} <= set(listed)
    assert any(f.startswith("media/") for f in listed) and any(
        f.endswith(".js") and f.startswith("q/") for f in listed
    )
    version = re.search(r'var VERSION = "([0-9a-f]{16})"', (site / "sw.js").read_text("utf-8"))
    assert version and version.group(1) == build_version({f: (site / f).read_bytes() for f in listed})


def test_the_cache_name_changes_with_the_content(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    run_build(source, tmp_path / "one", only=["site"])
    question = next(source.glob("01-*/*.md"))
    question.write_text(question.read_text("utf-8") + "\n补充一句。\n", encoding="utf-8")
    run_build(source, tmp_path / "two", only=["site"])
    one, two = ((tmp_path / d / "site" / "sw.js").read_text("utf-8") for d in ("one", "two"))
    version = re.compile(r'var VERSION = "([0-9a-f]+)"')
    assert version.findall(one) != version.findall(two)


def test_manifest_and_icons(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path, only=["site"])
    site = tmp_path / "site"
    bank = load_bank(FIXTURE_BANK, Diagnostics())
    assert bank is not None
    manifest = json.loads((site / "manifest.webmanifest").read_text("utf-8"))
    assert manifest["name"] == bank.config.title and manifest["lang"] == bank.config.language
    assert manifest["start_url"] == "index.html" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        data = (site / icon["src"]).read_bytes()
        size = int(icon["sizes"].split("x")[0])
        assert _png_size(data) == (size, size) and icon["type"] == "image/png"
    # the pixels: transparent corners, the blue square, the white question mark's dot
    raw = _png_pixels(icon_png(192), 192)
    assert raw[0][0][3] == 0
    assert raw[20][96] == (0x0B, 0x5C, 0xAD, 255)
    assert raw[int(24.5 * 6)][int(15.5 * 6)] == (255, 255, 255, 255)
    assert icon_png(192) == icon_png(192)  # the same bytes every time


def _png_pixels(data: bytes, size: int) -> list[list[tuple[int, ...]]]:
    at, idat = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 4 * size
    rows = []
    for y in range(size):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        rows.append([tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(size)])
    return rows
