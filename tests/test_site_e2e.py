"""The real bank's site in real headless Chromium (tools/browser.py) driven by Playwright:
search as you type, combined filters, practice mode, the night theme, a 360 px layout, axe-core
accessibility checks; no console errors and no request that leaves 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from compiler.backends.site.search import expand_tags
from compiler.model import Bank, Question
from tests.conftest import REAL_BANK, load_real_bank, run_build_at_fixed_time
from tools.localserver import serve

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(15, 20, 25)"


# ---- fixtures: the built site, a local server, a browser ----------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site-e2e")
    run_build_at_fixed_time(REAL_BANK, out, only=["site"])
    return out / "site"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_real_bank()


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url + "/"


@dataclass
class Watch:
    """Every request a page made and every console error it logged."""

    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base):
            route.continue_()
        else:
            route.abort()  # nothing may leave the machine; the assertion below names it


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[OpenPage]:
    """open_page(path, width=1280, scheme="light"): a page in a fresh browser context."""
    watch = Watch(base_url)
    contexts = []

    def opener(path: str, width: int = 1280, scheme: str = "light") -> Page:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]
        contexts.append(context)
        context.route("**/*", watch.route)
        page = context.new_page()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        page.goto(base_url + path)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert watch.requests, "the pages made requests"
    outside = [u for u in watch.requests if not u.startswith(base_url)]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not watch.errors, f"console errors: {watch.errors}"


def _visible_results(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#results > li:not([hidden])", "items => items.map(item => item.dataset.id)"
    )
    return ids


def _searchable(q: Question) -> str:
    return "\n".join([q.title, q.answer, *(f.name for f in q.formulas)])


# ---- search, filters, practice ------------------------------------------------------------------


def test_typing_a_chinese_word_lists_the_questions_that_contain_it(open_page: OpenPage, bank: Bank) -> None:
    expected = [q for q in bank.questions if "梯度" in _searchable(q)]
    in_title = {q.id for q in expected if "梯度" in q.title}
    assert len(expected) > 5 and in_title
    page = open_page("search.html")
    page.wait_for_selector("body[data-search-ready]")
    page.click("#search-q")
    page.keyboard.type("梯度")
    page.wait_for_function(
        "n => document.getElementById('result-count').textContent.includes('找到 ' + n + ' 道题')",
        arg=len(expected),
    )
    shown = _visible_results(page)
    assert sorted(shown) == sorted(q.id for q in expected)
    assert set(shown[: len(in_title)]) == in_title  # matches in the question come first
    assert "q=%E6%A2%AF%E5%BA%A6" in page.url  # the search is in the address: shareable
    first = next(q for q in expected if q.id == shown[0])
    page.click(f'#results li[data-id="{first.id}"] a')
    page.wait_for_url(f"**/q/{first.id}.html")
    assert "梯度" in page.inner_text("h1")


def test_company_and_tag_filters_combine(open_page: OpenPage, bank: Bank) -> None:
    hik = [q for q in bank.questions if any(c.slug == "hikvision" for c in q.companies)]
    assert len(hik) >= 2
    tag = next(
        t
        for t in sorted({t for q in hik for t in expand_tags(q.tags)})
        if 0 < sum(t in expand_tags(q.tags) for q in hik) < len(hik)
    )
    both = [q.id for q in hik if tag in expand_tags(q.tags)]
    page = open_page("search.html")
    page.wait_for_selector("body[data-search-ready]")
    page.select_option("#search-company", "hikvision")
    assert _visible_results(page) == [q.id for q in hik]
    page.select_option("#search-tag", tag)
    assert _visible_results(page) == both
    assert page.inner_text("#result-count") == f"找到 {len(both)} 道题"
    href = page.get_attribute("#practice-link", "href") or ""
    assert "company=hikvision" in href and "tag=" in href
    # a chapter that none of them is in empties the list
    other = next(c for c in bank.chapters if all(q.chapter_slug != c.slug for q in hik))
    page.select_option("#search-chapter", other.slug)
    assert _visible_results(page) == []
    assert page.is_visible("#no-results")


def test_practice_reveals_answers_and_walks_the_filtered_set(open_page: OpenPage, bank: Bank) -> None:
    hik = {q.id for q in bank.questions if any(c.slug == "hikvision" for c in q.companies)}
    page = open_page("practice.html?company=hikvision&seed=3", width=390)
    page.wait_for_selector("body[data-practice-ready]")
    seen = []
    for step in range(len(hik)):
        page.wait_for_function(
            "() => { const s = document.getElementById('practice');"
            " return s.dataset.loaded && s.dataset.loaded === s.dataset.question; }"
        )
        seen.append(page.get_attribute("#practice", "data-loaded"))
        assert page.inner_text("#practice-progress") == f"第 {step + 1} / {len(hik)} 题"
        assert page.is_hidden("#practice-answer")
        if step % 2 == 0:
            for _ in range(8):  # the key: each key point, then the answer
                page.keyboard.press("Space")
                if page.is_visible("#practice-answer"):
                    break
        else:
            page.click("#practice-reveal")  # the tap: everything at once
        assert page.is_visible("#practice-answer")
        assert page.locator("#practice-points mark.kp-hidden").count() == 0
        assert len(page.inner_text("#practice-answer-body")) > 20
        page.keyboard.press("ArrowRight")
    assert set(seen) == hik and len(seen) == len(hik)


LOADED = (
    "() => { const s = document.getElementById('practice');"
    " return s.dataset.loaded && s.dataset.loaded === s.dataset.question; }"
)


def test_practice_reveals_key_points_then_the_answer_and_keeps_the_marks(
    open_page: OpenPage, bank: Bank
) -> None:
    questions = {q.id: q for q in bank.questions}
    page = open_page("practice.html?company=hikvision&seed=3", width=390)
    page.wait_for_selector("body[data-practice-ready]")
    page.wait_for_function(LOADED)
    first = page.get_attribute("#practice", "data-loaded")
    assert first is not None
    points = questions[first].key_points
    assert page.locator("#practice-points > li").count() == len(points) >= 2
    spans = sum(p.text.count("==") // 2 for p in points)
    assert page.locator("#practice-points mark.kp-hidden").count() == spans
    blank = "#practice-points mark.kp-hidden > span"
    assert page.eval_on_selector(blank, "e => getComputedStyle(e).visibility") == "hidden"
    for shown in range(1, len(points) + 1):  # one key point at a time, the answer after the last
        page.keyboard.press("Space")
        assert page.locator("#practice-points li.kp-shown").count() == shown
        assert page.is_hidden("#practice-answer")
    page.keyboard.press("Space")
    assert page.is_visible("#practice-answer")

    page.click("#practice-missed")  # not yet: marked, and on to the next question
    page.wait_for_function(LOADED)
    second = page.get_attribute("#practice", "data-loaded")
    assert second not in (None, first)
    page.click("#practice-next-point")
    assert page.locator("#practice-points li.kp-shown").count() == 1
    page.click("#practice-knew")
    page.wait_for_function(LOADED)

    page.reload()  # the browser keeps the marks
    page.wait_for_selector("body[data-practice-ready]")
    marks = page.evaluate("JSON.parse(localStorage.getItem('qbank-marks:cv-interview'))")
    assert marks == {first: "missed", second: "knew"}
    page.check("#practice-missed-only")  # review what I missed: that one question only
    page.wait_for_function(LOADED)
    assert page.get_attribute("#practice", "data-loaded") == first
    assert page.inner_text("#practice-progress") == "第 1 / 1 题"
    assert "missed=1" in page.url
    assert page.get_attribute("#practice-missed", "aria-pressed") == "true"


# ---- themes, layout, screenshots ---------------------------------------------------------------


def _background(page: Page) -> str:
    color: str = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return color


def test_night_theme_follows_the_system_and_the_toggle(open_page: OpenPage) -> None:
    night = open_page("q/softmax.html", scheme="dark")
    assert _background(night) == DARK_BG
    assert night.get_attribute("#theme-toggle", "aria-pressed") == "true"
    text = night.evaluate("getComputedStyle(document.body).color")
    math = night.evaluate("getComputedStyle(document.querySelector('svg.math-inline path')).fill")
    assert math == text  # formulas are drawn in the text colour, readable at night

    day = open_page("index.html", scheme="light")
    assert _background(day) == LIGHT_BG
    day.click("#theme-toggle")
    assert _background(day) == DARK_BG
    assert day.get_attribute("html", "data-theme") == "dark"
    day.reload()
    assert _background(day) == DARK_BG  # the choice is remembered
    day.click("#theme-toggle")
    assert _background(day) == LIGHT_BG
    assert day.evaluate("localStorage.getItem('qbank-theme')") is None  # back to following the system


@pytest.mark.parametrize(
    "path",
    ["index.html", "search.html?q=梯度", "q/optimizers-pros-cons.html", "q/softmax.html", "practice.html"],
)
def test_nothing_is_wider_than_a_360_px_phone(open_page: OpenPage, path: str) -> None:
    page = open_page(path, width=360)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide"


def test_screenshots_at_phone_and_desktop_widths(open_page: OpenPage, tmp_path: Path) -> None:
    for path, name in (
        ("index.html", "home"),
        ("q/softmax.html", "question"),
        ("search.html?q=梯度", "search"),
    ):
        for width in (390, 1280):
            page = open_page(path, width=width)
            page.wait_for_load_state("load")
            shot = tmp_path / f"site-{name}-{width}.png"
            page.screenshot(path=str(shot))
            data = shot.read_bytes()
            assert data.startswith(b"\x89PNG") and len(data) > 10_000


# ---- accessibility: axe-core, offline ----------------------------------------------------------


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "q/softmax.html",  # math, a table
        "q/parameter-initialization-methods.html",  # highlighted code
        "q/optimizers-pros-cons.html",  # wide code and formulas that scroll on their own
        "search.html",
        "practice.html?seed=1",
        "company/hikvision.html",
    ],
)
def test_no_serious_accessibility_violations(open_page: OpenPage, path: str, scheme: str) -> None:
    page = open_page(path, scheme=scheme)
    page.wait_for_load_state("load")
    if path.startswith("search"):
        page.wait_for_selector("body[data-search-ready]")
        page.fill("#search-q", "梯度")
        page.wait_for_function("document.getElementById('result-count').textContent.startsWith('找到')")
    if path.startswith("practice"):
        page.wait_for_selector("#practice[data-loaded]")
        page.click("#practice-reveal")
    violations = _axe(page)
    assert not violations, _describe(violations)
