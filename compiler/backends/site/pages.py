"""Every file of the static site, as relative path -> bytes.

Links are relative (a page at depth d leads back to the root with `../` * d) and always name an
.html file, so the site works from any folder of any static server and from disk (file://): the
data search and practice mode read is loaded with <script src> (see `offline.py`), never fetched.
Over http(s) a service worker keeps the whole site for offline use. Nothing is loaded from
another origin: no CDN, no web fonts, no remote scripts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup

from compiler.backends.site import offline
from compiler.backends.site.html import PageMath, answer_html, inline_html
from compiler.backends.site.search import build_index, dump_index, expand_tags
from compiler.cache import Cache, value_key
from compiler.fingerprint import question_content
from compiler.links import question_page
from compiler.model import Bank, Chapter, Question
from compiler.templating import TEMPLATES, render
from compiler.timestamps import iso_date
from compiler.vocabulary import Vocabulary
from schema.models import Company, SiteOptions

STATIC = ("site.css", "site.js", "search.js", "practice.js", "icon.svg")
QUESTION_CACHE = "site-question"  # a question's page and practice script, by what they show
# The words the scripts look up, by the same dotted keys as the templates: site.js.* and these.
SCRIPT_COMMON_WORDS = ("common.question",)


@dataclass(frozen=True)
class Entry:
    """A question as the list templates show it."""

    id: str
    number: str  # 3.18: chapter number . position in the chapter
    title_html: Markup
    chapter: Chapter
    companies: tuple[Company, ...]
    tags: tuple[str, ...]
    difficulty: str


@dataclass(frozen=True)
class TagInfo:
    tag: str
    description: str
    entries: tuple[Entry, ...]
    children: tuple[str, ...]


def question_path(qid: str) -> str:
    return question_page(qid)  # one rule for the path, which other outputs link to


def practice_path(qid: str) -> str:
    return f"q/{qid}.js"  # the question for practice mode (offline.question_script)


def chapter_path(slug: str) -> str:
    return f"chapter/{slug}.html"


def company_path(slug: str) -> str:
    return f"company/{slug}.html"


def tag_path(tag: str) -> str:
    return f"tag/{tag}.html"  # optimizer/adam -> tag/optimizer/adam.html, beside tag/optimizer.html


@dataclass(frozen=True)
class HtmlWords:
    """Catalog patterns whose values are HTML, for the templates (as `html`; `w` is the plain
    vocabulary): `html.fmt("common.updated_on", date=<time> markup)`. The pattern and every
    value that is not Markup are escaped, so a catalog never carries HTML."""

    words: Vocabulary

    def fmt(self, key: str, **values: object) -> Markup:
        return Markup.escape(self.words[key]).format(**values)

    def count(self, key: str, n: int, tag: str) -> Markup:
        """`words.count(key, n)` with the number inside <tag>: `<strong>12</strong> 道题`."""
        return Markup.escape(self.words.form(key, n)).format(n=Markup(f"<{tag}>{n}</{tag}>"))


def script_words(words: Vocabulary) -> Markup:
    """The words the scripts show, as JSON for a <script type="application/json"> block: the
    pages carry them, so the scripts need no request and work from file:// too. `<` is escaped
    (`\\u003c`, the same string to JSON) so no value can close the script element."""
    chosen = {k: v for k, v in words.words.items() if k.startswith("site.js.") or k in SCRIPT_COMMON_WORDS}
    text = json.dumps(chosen, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c"))


class SiteBuilder:
    def __init__(self, bank: Bank, cache: Cache, options: SiteOptions, version: str) -> None:
        """`version` names the code and templates that make the pages (the cache keys)."""
        self.bank = bank
        self.cache = cache
        self.version = version
        self.options = options
        self.words = bank.words
        self.chapters = {c.slug: c for c in bank.chapters}
        self.questions = bank.questions
        self.numbers = {
            q.id: self.words.ref(self.chapters[q.chapter_slug].number, q.number) for q in self.questions
        }
        self.script_words = script_words(self.words)
        self.files: dict[str, bytes] = {}
        self.static = {name: (TEMPLATES / "site" / name).read_bytes() for name in STATIC}
        # Content-hashed URLs: a browser never keeps a stale stylesheet after an update.
        self.asset_url = {
            name: f"assets/{name}?v={hashlib.sha256(data).hexdigest()[:10]}"
            for name, data in self.static.items()
        }
        self.index_json = dump_index(build_index(bank, self.numbers, cache, version))
        # The index by a content-hashed URL too: a browser never searches a stale index.
        self.asset_url["search-index.js"] = (
            f"{offline.INDEX_SCRIPT}?v={hashlib.sha256(self.index_json).hexdigest()[:10]}"
        )
        self.entries = {q.id: self._entry(q) for q in self.questions}
        self.companies = [c for c in bank.companies if any(c in q.companies for q in self.questions)]
        self.tags = self._tags()
        self._frame: str | None = None

    # ---- the whole site ---------------------------------------------------------------------

    def build(self) -> dict[str, bytes]:
        for name, data in self.static.items():
            self.files[f"assets/{name}"] = data
        self.files.update(offline.icons(self.cache))
        for asset in self.bank.assets.values():
            self.files[f"media/{asset.name}"] = asset.path.read_bytes()
        self.files[offline.INDEX_JSON] = self.index_json
        self.files[offline.INDEX_SCRIPT] = offline.index_script(self.index_json)
        self.files[offline.MANIFEST] = offline.manifest(
            self.bank.title, self.bank.config.description, self.bank.config.language
        )
        self._page("index.html", "site/home.html.j2", title="", chapters=self._chapter_counts())
        self._page(
            "search.html", "site/search.html.j2", title=self.words["site.search"], entries=self._all_entries()
        )
        self._page("practice.html", "site/practice.html.j2", title=self.words["site.practice"])
        self._page("404.html", "site/404.html.j2", title=self.words["site.not_found"])
        for i, q in enumerate(self.questions):
            prev = self.entries[self.questions[i - 1].id] if i > 0 else None
            nxt = self.entries[self.questions[i + 1].id] if i + 1 < len(self.questions) else None
            self._question(q, prev, nxt)
        for c in self.bank.chapters:
            entries = [self.entries[q.id] for q in c.questions]
            self._page(
                chapter_path(c.slug),
                "site/chapter.html.j2",
                title=self._chapter_label(c),
                chapter=c,
                entries=entries,
            )
        for company in self.companies:
            entries = [self.entries[q.id] for q in self.questions if company in q.companies]
            self._page(
                company_path(company.slug),
                "site/company.html.j2",
                title=self.words.fmt("site.company_title", company=company.name),
                company=company,
                entries=entries,
            )
        for info in self.tags.values():
            self._page(
                tag_path(info.tag),
                "site/tag.html.j2",
                title=self.words.fmt("site.tag_title", tag=info.tag),
                info=info,
            )
        self.files[offline.WORKER] = offline.service_worker(self.files)  # last: it lists every file
        return dict(sorted(self.files.items()))

    # ---- pages ------------------------------------------------------------------------------

    def _page(self, rel: str, template: str, title: str, **context: object) -> None:
        root = "../" * rel.count("/")
        text = render(
            template,
            site=self._site(),
            root=root,
            page_title=title,
            assets=self.asset_url,
            links=Links(root),
            w=self.words,
            html=HtmlWords(self.words),
            **context,
        )
        self.files[rel] = text.encode("utf-8")

    def _question(self, q: Question, prev: Entry | None, nxt: Entry | None) -> None:
        """A question's page and its practice script: from the cache when nothing they show
        changed (an answer edited elsewhere changes neither), else made."""
        rel = question_path(q.id)
        source_file = q.path.relative_to(self.bank.root).as_posix()
        k = value_key(
            QUESTION_CACHE,
            self.version,
            self._frame_key(),
            question_content(q),
            source_file,
            [self._entry_content(e) for e in (self.entries[q.id], prev, nxt)],
        )
        cached = self.cache.get(QUESTION_CACHE, k)
        if cached is not None:
            page, script = json.loads(cached)
            self.files[rel], self.files[practice_path(q.id)] = page.encode("utf-8"), script.encode("utf-8")
            return
        self._question_page(q, prev, nxt, rel, source_file)
        self.files[practice_path(q.id)] = offline.question_script(q.id, self._practice_parts(q))
        made = [self.files[rel].decode("utf-8"), self.files[practice_path(q.id)].decode("utf-8")]
        self.cache.put(QUESTION_CACHE, k, json.dumps(made, ensure_ascii=False))

    def _question_page(
        self, q: Question, prev: Entry | None, nxt: Entry | None, rel: str, source_file: str
    ) -> None:
        root = "../" * rel.count("/")
        math = PageMath(self.cache)
        entry = self.entries[q.id]
        title = Markup(inline_html(q.html.title_html, math))
        answer = Markup(answer_html(q.html.answer_html, math, root))
        formulas = [
            (f.name, Markup(math.fragment(span)))
            for f, span in zip(q.formulas, q.html.formulas_html, strict=True)
        ]
        key_points = [Markup(inline_html(p, math)) for p in q.html.key_points_html]
        self._page(
            rel,
            "site/question.html.j2",
            title=f"{entry.number} {_text(q.title)}",
            q=q,
            entry=entry,
            title_html=title,
            answer_html=answer,
            formulas=formulas,
            key_points=key_points,
            prev=prev,
            next=nxt,
            source_file=source_file,
        )

    def _frame_key(self) -> str:
        """What every page shows of the whole site (`_site`: header, footer, the filters' lists)
        and the assets it links. The search index is left out: only search.html and practice.html
        load it, and those are always made."""
        if self._frame is None:
            site = self._site()
            parts: dict[str, object] = {
                "chapters": [[c.slug, c.number, c.title, len(c.questions)] for c in self.bank.chapters],
                "companies": [[c.model_dump(mode="json"), n] for c, n in self.companies_counted()],
                "tags": [
                    [t.tag, t.description, len(t.entries), list(t.children)] for t in self.tags.values()
                ],
                "assets": {n: url for n, url in self.asset_url.items() if n != "search-index.js"},
            }
            derived = {"chapters", "companies", "tags", "top_tags", "chapter_label"}  # from the parts above
            for name, value in site.items():
                if name in derived:
                    continue
                if not isinstance(value, str | int):
                    raise TypeError(f"site.{name}: say how it enters the key of a cached page (_frame_key)")
                parts[name] = value
            self._frame = value_key(parts)
        return self._frame

    @staticmethod
    def _entry_content(entry: Entry | None) -> list[object] | None:
        """An entry as a page shows it (a neighbour in the pager, a line of a list)."""
        if entry is None:
            return None
        c = entry.chapter
        return [
            entry.id,
            entry.number,
            str(entry.title_html),
            [c.slug, c.number, c.title],
            [company.model_dump(mode="json") for company in entry.companies],
            list(entry.tags),
            entry.difficulty,
        ]

    def _practice_parts(self, q: Question) -> dict[str, object]:
        """What practice mode shows of a question, as HTML made for practice.html (at the root):
        its own math ids, images under media/, its answer's headings below the card's h2."""
        math = PageMath(self.cache)
        formulas = [
            (f.name, Markup(math.fragment(span)))
            for f, span in zip(q.formulas, q.html.formulas_html, strict=True)
        ]
        badges = [["badge badge-company", c.name] for c in q.companies] + [["badge", t] for t in q.tags]
        if q.meta.difficulty:
            badges.append([f"badge badge-{q.meta.difficulty}", self.words.difficulty(q.meta.difficulty)])
        return {
            "title": inline_html(q.html.title_html, math),
            "badges": badges,
            "points": [inline_html(p, math) for p in q.html.key_points_html],
            "answer": answer_html(q.html.answer_html, math, ""),
            "formulas": render("site/practice-formulas.html.j2", formulas=formulas, w=self.words)
            if formulas
            else "",
        }

    # ---- data the templates show ------------------------------------------------------------

    def _site(self) -> dict[str, object]:
        bank = self.bank
        words = self.words
        return {
            "title": bank.title,
            "slug": bank.config.slug,  # names what the browser keeps for this bank (practice marks)
            "description": bank.config.description,
            "author": bank.config.author,
            "language": bank.config.language,
            # The content date as the reader sees it, and as <time datetime> needs it (ISO 8601).
            "updated": words.date(bank.timestamp),
            "updated_iso": iso_date(bank.timestamp),
            "count": len(self.questions),
            "formula_count": sum(len(q.formulas) for q in self.questions),
            "chapters": bank.chapters,
            "chapter_label": self._chapter_label,
            "companies": self.companies_counted(),
            "tags": self.tags,
            "top_tags": [t for t in self.tags.values() if "/" not in t.tag],
            "search_placeholder": self.options.search_placeholder or words["site.search_placeholder"],
            "script_words": self.script_words,
            "theme_color": offline.THEME_COLOR,
            "touch_icon": offline.icon_name(offline.ICON_SIZES[0]),
        }

    def companies_counted(self) -> list[tuple[Company, int]]:
        return [(c, sum(c in q.companies for q in self.questions)) for c in self.companies]

    def _entry(self, q: Question) -> Entry:
        math = PageMath(self.cache)
        return Entry(
            id=q.id,
            number=self.numbers[q.id],
            title_html=Markup(inline_html(q.html.title_html, math)),
            chapter=self.chapters[q.chapter_slug],
            companies=q.companies,
            tags=tuple(q.tags),
            difficulty=q.meta.difficulty or "",
        )

    def _all_entries(self) -> list[Entry]:
        return [self.entries[q.id] for q in self.questions]

    def _chapter_counts(self) -> list[tuple[Chapter, int]]:
        return [(c, len(c.questions)) for c in self.bank.chapters]

    def _chapter_label(self, chapter: Chapter) -> str:
        return self.words.chapter_title(chapter.number, chapter.title)

    def _tags(self) -> dict[str, TagInfo]:
        members: dict[str, list[Entry]] = {}
        for q in self.questions:
            for tag in expand_tags(q.tags):
                members.setdefault(tag, []).append(self.entries[q.id])
        out: dict[str, TagInfo] = {}
        for tag in sorted(members):
            children = tuple(
                t for t in sorted(members) if t.startswith(tag + "/") and "/" not in t[len(tag) + 1 :]
            )
            top = tag.split("/")[0]
            out[tag] = TagInfo(tag, self.bank.tags.get(top, ""), tuple(members[tag]), children)
        return out


@dataclass(frozen=True)
class Links:
    """URLs of the site's pages as seen from one page."""

    root: str

    def question(self, qid: str) -> str:
        return self.root + question_path(qid)

    def chapter(self, slug: str) -> str:
        return self.root + chapter_path(slug)

    def company(self, slug: str) -> str:
        return self.root + company_path(slug)

    def tag(self, tag: str) -> str:
        return self.root + tag_path(tag)

    def page(self, name: str) -> str:
        return self.root + name

    def practice(self, **params: str) -> str:
        return self.root + "practice.html" + _query(params)

    def search(self, **params: str) -> str:
        return self.root + "search.html" + _query(params)


def _query(params: dict[str, str]) -> str:
    pairs = [f"{k}={quote(v, safe='/')}" for k, v in sorted(params.items()) if v]
    return "?" + "&".join(pairs) if pairs else ""


def _text(markdown_title: str) -> str:
    """A question's title for <title>: the Markdown without emphasis marks; math keeps its TeX."""
    return markdown_title.replace("**", "").replace("`", "")
