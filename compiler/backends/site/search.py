"""The site's search index: CJK character bigrams and Latin words, built once at build time.

Chinese has no spaces between words, so a word index finds nothing. Every run of CJK characters is
indexed as its single characters and its overlapping pairs (bigrams): the query 梯度下降 becomes
梯度 · 度下 · 下降 and a question matches when it contains every pair, which is what Lucene's
CJKAnalyzer does. Runs of Latin letters and digits are indexed as whole lower-case words; while
typing, the last word of a query matches as a prefix.

`templates/site/search.js` implements the same tokenizer and query in the browser; `search` here is
the reference the tests compare it with.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import lxml.html

from compiler.cache import Cache, value_key
from compiler.fingerprint import question_content
from compiler.markup import IMG_ALT
from compiler.math.forms import replace_math
from compiler.model import Bank, Question

INDEX_VERSION = 1
TERMS_CACHE = "site-terms"  # a question's index terms, by its content
# Scripts written without spaces: Hiragana/Katakana, CJK ideographs (+ extension A, compatibility), Hangul.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Scripts written with spaces: ASCII letters and digits, Latin-1/Extended letters, Greek.
_WORD = "a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff"
_RUN = re.compile(f"([{_CJK}]+)|([{_WORD}]+)")
TITLE_WEIGHT = 2  # a match in the question counts more than one in the answer


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False  # the last Latin word of a query, still being typed


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case; JS: normalize + toLowerCase."""
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> Iterator[tuple[str, bool, int]]:
    """(run, is_cjk, end offset) for every CJK or word run of normalised text."""
    for m in _RUN.finditer(normalize(text)):
        yield m.group(0), m.group(1) is not None, m.end()


def index_terms(text: str) -> set[str]:
    """Every term a document is found by: words, CJK characters and CJK bigrams."""
    terms: set[str] = set()
    for run, cjk, _ in _runs(text):
        if cjk:
            terms.update(run)
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.add(run)
    return terms


def query_terms(query: str) -> list[Term]:
    """The terms a query asks for, in order, without repeats. A CJK run of one character is that
    character, a longer run its bigrams; a word that ends the query is a prefix."""
    normal = normalize(query)
    terms: list[Term] = []
    for run, cjk, end in _runs(query):
        if cjk:
            new = [Term(run)] if len(run) == 1 else [Term(run[i : i + 2]) for i in range(len(run) - 1)]
        else:
            new = [Term(run, prefix=end == len(normal))]
        terms.extend(t for t in new if t not in terms)
    return terms


def plain_text(fragment: str) -> str:
    """The words of a rendered fragment: math dropped (TeX commands are not words a reader searches
    for), images replaced by their alt text."""
    text = replace_math(fragment, lambda m: " ")
    text = IMG_ALT.sub(lambda m: f" {html.unescape(m.group(1))} ", text)
    if not text.strip():
        return ""
    root = lxml.html.fragment_fromstring(text, create_parent="div")
    return " ".join(root.text_content().split())


def question_texts(q: Question) -> tuple[str, str]:
    """(title text, body text) of a question as the index sees them."""
    body = [
        plain_text(q.html.answer_html),
        *(f.name for f in q.formulas),
        *(c.name for c in q.companies),
        *(t.replace("/", " ").replace("-", " ") for t in q.tags),
    ]
    return plain_text(q.html.title_html), "\n".join(body)


def expand_tags(tags: Iterable[str]) -> list[str]:
    """A question tagged optimizer/adam is also under optimizer."""
    out: set[str] = set()
    for tag in tags:
        parts = tag.split("/")
        out.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return sorted(out)


def question_terms(q: Question, cache: Cache | None = None, version: str = "") -> tuple[list[str], list[str]]:
    """(title terms, body terms) of a question, sorted; with a `cache`, kept by the question's
    content and the code (`version`): an edit indexes its own question again, not the bank."""
    k = value_key(TERMS_CACHE, version, INDEX_VERSION, question_content(q)) if cache is not None else ""
    cached = cache.get(TERMS_CACHE, k) if cache is not None else None
    if cached is not None:
        title_terms, body_terms = json.loads(cached)
        return title_terms, body_terms
    title, body = question_texts(q)
    terms = sorted(index_terms(title)), sorted(index_terms(body))
    if cache is not None:
        cache.put(TERMS_CACHE, k, json.dumps(terms, ensure_ascii=False))
    return terms


def build_index(
    bank: Bank, numbers: dict[str, str], cache: Cache | None = None, version: str = ""
) -> dict[str, object]:
    """The index as a JSON-ready dict: documents in bank order, then term -> document numbers."""
    docs: list[dict[str, object]] = []
    title_post: dict[str, list[int]] = {}
    body_post: dict[str, list[int]] = {}
    for i, q in enumerate(bank.questions):
        docs.append(
            {
                "id": q.id,
                "n": numbers[q.id],
                "ch": q.chapter_slug,
                "co": [c.slug for c in q.companies],
                "tg": expand_tags(q.tags),
            }
        )
        title_terms, body_terms = question_terms(q, cache, version)
        for term in title_terms:
            title_post.setdefault(term, []).append(i)
        for term in body_terms:
            body_post.setdefault(term, []).append(i)
    return {
        "version": INDEX_VERSION,
        "docs": docs,
        "title": dict(sorted(title_post.items())),
        "body": dict(sorted(body_post.items())),
    }


def dump_index(index: dict[str, object]) -> bytes:
    """Compact, stable JSON: the same bank gives the same bytes."""
    return json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _postings(index: dict[str, object], field: str, term: Term) -> set[int]:
    table = index[field]
    assert isinstance(table, dict)
    if not term.prefix:
        return set(table.get(term.text, ()))
    found: set[int] = set()
    for key, docs in table.items():
        if key.startswith(term.text):
            found.update(docs)
    return found


def search(index: dict[str, object], query: str) -> list[int]:
    """Document numbers matching every term of `query`, best first (title matches weigh more),
    ties in bank order. An empty query matches nothing: the caller shows everything instead."""
    terms = query_terms(query)
    if not terms:
        return []
    scores: dict[int, int] | None = None
    for term in terms:
        title, body = _postings(index, "title", term), _postings(index, "body", term)
        hits = {doc: TITLE_WEIGHT * (doc in title) + (doc in body) for doc in title | body}
        scores = hits if scores is None else {d: s + hits[d] for d, s in scores.items() if d in hits}
    assert scores is not None
    return sorted(scores, key=lambda doc: (-scores[doc], doc))
