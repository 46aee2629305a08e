"""The site backend without a browser: the CJK search index (and that the browser's copy of the
query code agrees with it), the site's structure and links, reproducibility, filtered sites, and
the author's `new` command."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from compiler.backends.site.html import shift_headings
from compiler.backends.site.search import Term, index_terms, plain_text, query_terms, search
from compiler.build import compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter
from compiler.loader import load_bank
from compiler.progress import Progress
from compiler.scaffold import ScaffoldError, new_question
from compiler.serve import Status
from compiler.state import ids_seen
from compiler.templating import TEMPLATES
from tests.conftest import FIXTURE_BANK, REAL_BANK, copy_bank, run_build

SEARCH_JS = TEMPLATES / "site" / "search.js"


def _site(tmp_path: Path, source: Path = FIXTURE_BANK, flt: Filter | None = None) -> Path:
    run_build(source, tmp_path, only=["site"], flt=flt)
    return tmp_path / "site"


def _index(site: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((site / "search-index.json").read_text("utf-8"))
    return data


# ---- the index: tokens --------------------------------------------------------------------------


def test_cjk_runs_are_indexed_as_characters_and_bigrams() -> None:
    assert index_terms("梯度下降") == {"梯", "度", "下", "降", "梯度", "度下", "下降"}


def test_latin_words_digits_and_full_width_letters_are_normalised() -> None:
    terms = index_terms("用ＳＧＤ训练 ResNet-50，学习率 0.01")
    assert {"sgd", "resnet", "50", "0", "01"} <= terms
    assert "训练" in terms and "用" in terms
    assert not any(" " in t or "，" in t for t in terms)


def test_query_is_bigrams_single_character_or_prefix_word() -> None:
    assert query_terms("梯度下降") == [Term("梯度"), Term("度下"), Term("下降")]
    assert query_terms("梯") == [Term("梯")]
    assert query_terms("soft") == [Term("soft", prefix=True)]
    # a finished word (followed by a space or more text) is matched whole
    assert query_terms("soft ") == [Term("soft")]
    assert query_terms("adam 原理") == [Term("adam"), Term("原理")]
    assert query_terms("梯度 梯度") == [Term("梯度")]
    assert query_terms("  ，。 ") == []


def _toy_index() -> dict[str, object]:
    docs = [
        ("梯度消失", "反向传播时梯度越来越小"),
        ("softmax 函数", "把分数变成概率"),
        ("学习率", "梯度下降的步长"),
    ]
    title: dict[str, list[int]] = {}
    body: dict[str, list[int]] = {}
    for i, (t, b) in enumerate(docs):
        for term in sorted(index_terms(t)):
            title.setdefault(term, []).append(i)
        for term in sorted(index_terms(b)):
            body.setdefault(term, []).append(i)
    return {"docs": [{"id": str(i)} for i in range(3)], "title": title, "body": body}


def test_search_needs_every_bigram_and_ranks_title_matches_first() -> None:
    index = _toy_index()
    assert search(index, "梯度") == [0, 2]  # 0 has it in the title, 2 only in the answer
    assert search(index, "梯度下降") == [2]
    assert search(index, "梯度消失") == [0]
    assert search(index, "梯度爆炸") == []
    assert search(index, "sof") == [1]  # prefix while typing
    assert search(index, "sof 函数") == []  # a finished word must match whole
    assert search(index, "") == []


def test_plain_text_drops_math_and_keeps_alt_text() -> None:
    fragment = (
        '<p>梯度 <span class="math inline">\\(\\nabla f\\)</span> 如图</p>'
        '<p><img src="a.svg" alt="损失曲面 &amp; 梯度"></p>'
    )
    text = plain_text(fragment)
    assert "nabla" not in text
    assert "梯度" in text and "损失曲面 & 梯度" in text


def test_answer_headings_start_below_the_page_heading() -> None:
    assert shift_headings("<h2>a</h2><h3>b</h3>", 3) == "<h3>a</h3><h4>b</h4>"
    assert shift_headings("<h4>x</h4>", 3) == "<h3>x</h3>"
    assert shift_headings("<p>none</p>", 3) == "<p>none</p>"


# ---- the browser's query code agrees with the Python reference ----------------------------------

NODE_SCRIPT = """
const S = require(process.argv[1]);
const index = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const queries = JSON.parse(process.argv[3]);
const out = {};
for (const q of queries) {
  out[q] = { terms: S.queryTerms(q).map(t => [t.text, t.prefix]), hits: S.search(index, q) };
}
out["__select"] = S.select(index, { q: "", chapter: "", company: "hikvision", tag: "metrics" });
process.stdout.write(JSON.stringify(out));
"""


def test_search_js_matches_the_python_reference(tmp_path: Path) -> None:
    site = _site(tmp_path)
    index = _index(site)
    queries = [
        "梯度",
        "查准率",
        "概率分布",
        "soft",
        "softmax ",
        "SGD 伪代码",
        "ｐａｒａｍｓ",
        "度",
        "无此词",
        "tp fp",
    ]
    node = shutil.which("node")
    assert node, "node (Debian's nodejs) runs the site's search.js in this test"
    run = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(SEARCH_JS), str(site / "search-index.json"), json.dumps(queries)],
        capture_output=True,
        text=True,
        check=True,
    )
    js = json.loads(run.stdout)
    for q in queries:
        assert js[q]["terms"] == [[t.text, t.prefix] for t in query_terms(q)], q
        assert js[q]["hits"] == search(index, q), q
    assert any(js[q]["hits"] for q in queries) and not js["无此词"]["hits"]
    docs = index["docs"]
    assert isinstance(docs, list)
    assert [docs[i]["id"] for i in js["__select"]] == ["confusion-matrix"]


# ---- the site -----------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.headings: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.refs.append((tag, str(values[name])))
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def _check_site(site: Path) -> dict[str, _Links]:
    """Every page: links and sources resolve to files of the site, nothing from another origin,
    ids unique, one h1 and no skipped heading level."""
    pages = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text("utf-8"))
        rel = page.relative_to(site).as_posix()
        pages[rel] = parser
        assert len(parser.ids) == len(set(parser.ids)), f"{rel}: duplicate ids"
        assert parser.headings.count(1) == 1, f"{rel}: one h1"
        for before, after in zip(parser.headings, parser.headings[1:], strict=False):
            assert after <= before + 1, f"{rel}: heading h{before} is followed by h{after}"
        for tag, ref in parser.refs:
            parts = urlsplit(ref)
            if tag == "a" and parts.scheme in ("http", "https", "mailto"):
                continue  # a link the reader may follow; never loaded by the page itself
            assert not parts.scheme and not parts.netloc, f"{rel}: {tag} loads {ref} from elsewhere"
            if not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_relative_to(site.resolve()), f"{rel}: {ref} leaves the site"
            assert target.is_file(), f"{rel}: broken {tag} {ref}"
    return pages


def test_fixture_site_structure_and_links(tmp_path: Path) -> None:
    site = _site(tmp_path)
    bank = load_bank(FIXTURE_BANK, Diagnostics())
    assert bank is not None
    pages = _check_site(site)
    for q in bank.questions:
        assert f"q/{q.id}.html" in pages
    assert {"index.html", "search.html", "practice.html", "404.html"} <= set(pages)
    assert {"chapter/01-basics.html", "chapter/02-models.html"} <= set(pages)
    assert {"company/hikvision.html", "tag/optimizer.html", "tag/optimizer/sgd.html"} <= set(pages)
    home = (site / "index.html").read_text("utf-8")
    assert "第 1 章" in home and "2 题" in home and "1 题" in home
    question = (site / "q" / "confusion-matrix.html").read_text("utf-8")
    assert '<img src="../media/box.svg"' in question and (site / "media" / "box.svg").is_file()
    assert 'class="math-inline" role="img" aria-label="P = \\frac{TP}{TP+FP}"' in question
    assert 'fill="black"' not in question  # math follows the text colour (night theme)
    code = (site / "q" / "sgd-pseudocode.html").read_text("utf-8")
    assert '<span class="cf">for</span>' in code  # control flow, styled like keywords
    # every search result links to the page of that question
    search_page = (site / "search.html").read_text("utf-8")
    assert search_page.count('class="q-item"') == len(bank.questions)
    docs = _index(site)["docs"]
    assert isinstance(docs, list)
    assert [d["id"] for d in docs] == [q.id for q in bank.questions]


def test_every_class_the_code_highlighter_writes_is_styled(tmp_path: Path) -> None:
    site = _site(tmp_path)
    css = (site / "assets" / "site.css").read_text("utf-8")
    styled = set(re.findall(r"code span\.([a-z]{2})\b", css))
    # pandoc's token classes (skylighting's short names)
    tokens = "kw dt dv bn fl ch st co ot al fu er wa cn sc vs ss im va cf op bu ex pp at do an cv in"
    assert set(tokens.split()) <= styled


def test_night_palette_is_the_same_for_the_toggle_and_the_system() -> None:
    css = (TEMPLATES / "site" / "site.css").read_text("utf-8")
    toggle = re.search(r':root\[data-theme="dark"\] \{(.*?)\}', css, re.DOTALL)
    system = re.search(r':root:not\(\[data-theme="light"\]\) \{(.*?)\}', css, re.DOTALL)
    assert toggle and system
    assert toggle.group(1).split() == system.group(1).split()


def test_site_is_reproducible_and_has_no_external_resources(tmp_path: Path) -> None:
    one = _site(tmp_path / "one")
    two = _site(tmp_path / "two")
    files_one = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    files_two = sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert files_one == files_two
    for rel in files_one:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel
    for rel in files_one:
        if rel.suffix in (".html", ".css", ".js"):
            text = (one / rel).read_text("utf-8")
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), rel
            assert "@import" not in text and "url(http" not in text, rel


def test_filtered_site_goes_to_its_own_folder(tmp_path: Path) -> None:
    full = _site(tmp_path)
    run_build(FIXTURE_BANK, tmp_path, only=["site"], flt=Filter(company="海康威视"))
    variant = tmp_path / "site-company-hikvision"  # beside build/site/: never published with it
    assert not (full / "company-hikvision").exists()
    assert sorted(p.name for p in (variant / "q").glob("*.html")) == ["confusion-matrix.html"]
    assert "海康威视" in (variant / "index.html").read_text("utf-8")
    _check_site(variant)
    assert (full / "q" / "softmax.html").is_file()  # the full site is untouched


def test_a_removed_question_loses_its_page(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    site = _site(tmp_path / "out", bank)
    assert (site / "q" / "sgd-pseudocode.html").is_file()
    (bank / "02-models" / "01-sgd.md").unlink()
    shutil.rmtree(bank / "02-models")
    _site(tmp_path / "out", bank)
    assert not (site / "q" / "sgd-pseudocode.html").exists()
    _check_site(site)


def test_real_bank_site(real_bank_build: Path) -> None:
    site = real_bank_build / "site"
    bank = load_bank(REAL_BANK, Diagnostics())
    assert bank is not None
    pages = _check_site(site)
    for q in bank.questions:
        assert f"q/{q.id}.html" in pages, q.id
    for c in bank.chapters:
        assert f"chapter/{c.slug}.html" in pages
    index = _index(site)
    assert len(index["docs"]) == len(bank.questions)  # type: ignore[arg-type]
    expected = [i for i, q in enumerate(bank.questions) if "梯度" in q.title + q.answer]
    assert sorted(search(index, "梯度")) == expected


# ---- `new` ----------------------------------------------------------------------------------


def _compiles(source: Path) -> Diagnostics:
    diags = Diagnostics()
    compile_bank(source, diags, Cache(None), Progress(enabled=False))
    return diags


def test_new_question_is_valid_numbered_and_uniquely_named(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    made = new_question(
        bank, 1, "Softmax 和 Sigmoid 的区别？", companies=["优图"], tags=["activation/softmax"]
    )
    assert made.path == bank / "01-basics" / "03-softmax-sigmoid.md"
    assert made.id == "softmax-sigmoid"
    text = made.path.read_text("utf-8")
    assert "company: [腾讯优图]" in text  # the alias became the company's name
    assert "# difficulty:" in text and "# formulas:" in text  # optional fields, explained
    assert "\n# Softmax 和 Sigmoid 的区别？\n" in text
    again = new_question(bank, 1, "Softmax 和 Sigmoid 的区别？", tags=["activation"])
    assert again.id == "softmax-sigmoid-2" and again.path.name == "04-softmax-sigmoid-2.md"
    chinese = new_question(bank, 2, "梯度下降为什么有效？")
    assert chinese.id == "models-2" and chinese.notes  # no Latin words: made from the chapter
    assert "tags: [optimizer]" in chinese.path.read_text("utf-8")  # the chapter's topic
    diags = _compiles(bank)
    assert not diags.errors, [d.format() for d in diags]
    loaded = load_bank(bank, Diagnostics())
    assert loaded is not None
    numbers = {q.id: q.number for q in loaded.questions}
    assert numbers["softmax-sigmoid"] == 3 and numbers["softmax-sigmoid-2"] == 4


def test_new_question_never_reuses_an_id(tmp_path: Path) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    with pytest.raises(ScaffoldError, match="already used"):
        new_question(bank, 1, "x", slug="softmax", tags=["loss"])
    out = tmp_path / "build"
    run_build(bank, out, only=["site"])
    (bank / "02-models" / "01-sgd.md").unlink()  # the question leaves the bank; its id is retired
    retired = ids_seen(out)
    assert "sgd-pseudocode" in retired
    with pytest.raises(ScaffoldError, match="already used"):
        new_question(bank, 1, "x", slug="sgd-pseudocode", tags=["loss"], retired_ids=retired)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chapter": 9}, "no chapter 9"),
        ({"companies": ["百度"]}, "unknown company '百度'"),
        ({"tags": ["optimiser"]}, "did you mean 'optimizer'"),
        ({"slug": "Bad Id"}, "not a valid id"),
        ({"title": "  "}, "title is empty"),
    ],
)
def test_new_question_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    args: dict[str, object] = {"chapter": 1, "title": "问题？", **kwargs}
    before = sorted(bank.rglob("*.md"))
    with pytest.raises(ScaffoldError, match=re.escape(message)):
        new_question(bank, **args)  # type: ignore[arg-type]
    assert sorted(bank.rglob("*.md")) == before  # nothing written


def test_new_command_line(tmp_path: Path) -> None:
    from compiler.cli import main

    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    code = main(
        ["--source", str(bank), "new", "--chapter", "2", "--title", "Adam 的原理？", "--company", "阿里"]
    )
    assert code == 0
    made = bank / "02-models" / "02-adam.md"
    assert "company: [阿里巴巴]" in made.read_text("utf-8")
    assert main(["--source", str(bank), "new", "--chapter", "7", "--title", "x"]) == 1


# ---- `serve`: which pages reload ----------------------------------------------------------------


def test_status_reloads_only_pages_that_changed() -> None:
    status = Status(build=3, changed={"/q/a.html": 3, "/q/b.html": 1, "/assets/site.css": 1})
    assert status.needs_reload("/q/a.html", 2)
    assert not status.needs_reload("/q/b.html", 2)  # changed before this page was served
    status.changed["/assets/site.css"] = 3
    assert status.needs_reload("/q/b.html", 2)  # a stylesheet changed: every page
    status.changed["/search-index.json"] = 4
    assert status.needs_reload("/search.html", 3) and not status.needs_reload("/q/b.html", 3)
    fresh = Status(build=4, errors=[{"message": "x"}], errors_since=4)
    assert fresh.needs_reload("/index.html", 3)  # errors appeared: show the overlay
