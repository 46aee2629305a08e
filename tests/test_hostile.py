"""Hostile content: whatever slips past validation is removed before it reaches any output."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from compiler.sanitize import sanitize
from tests.conftest import FIXTURE_BANK, copy_bank, run_build

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>p { display: none }</style>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><input name="q"></form>',
    '<p style="display:none">hidden</p>',
    '<div onclick="alert(1)">click</div>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
]
FORBIDDEN = re.compile(
    r"<script|<iframe|<style|<object|<embed|<form|<base|<meta|<link|\son[a-z]+\s*=|javascript:|vbscript:"
    r"|data:text|display:\s*none",
    re.IGNORECASE,
)


@pytest.mark.parametrize("attack", ATTACKS)
def test_sanitizer_removes_the_attack(attack: str) -> None:
    cleaned = sanitize(f"<p>before</p>{attack}<p>after</p>")
    assert not FORBIDDEN.search(cleaned), cleaned
    assert "before" in cleaned and "after" in cleaned


# Content that validation lets through (it is legal Markdown) but must still arrive harmless.
SNEAKY = """---
id: sneaky
tags: [activation]
---

# 看似正常的问题

[数据链接](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<a href="jav&#x61;script:alert(1)">混淆的链接</a>

<p style="display:none">隐藏的文字</p>

<div>普通的 div，带 <b>粗体</b></div>

[正常链接](https://example.com/)
"""


def _anki_text(apkg: Path) -> str:
    with zipfile.ZipFile(apkg) as archive:
        names = [n for n in archive.namelist() if n.startswith("collection.anki2")]
        db = apkg.parent / "extracted.anki2"
        db.write_bytes(archive.read(sorted(names)[-1]))
    with sqlite3.connect(db) as conn:
        return "\n".join(row[0] for row in conn.execute("select flds from notes"))


def _html_values(doc: object, key: str = "") -> list[str]:
    if isinstance(doc, dict):
        return [v for k, value in doc.items() for v in _html_values(value, str(k))]
    if isinstance(doc, list):
        return [v for item in doc for v in _html_values(item, key)]
    return [doc] if isinstance(doc, str) and key.endswith("html") else []


# The site's own forms (search, practice filters) come from its templates and submit to its
# own pages; everything else a page holds must pass the allowlist.
SITE_FORM = re.compile(r'<form class="[^"]*"(?: id="[a-z-]+")?(?: role="search")? action="[a-z]+\.html"')


def _body(page: str) -> str:
    """What a page shows: its body, without the site's own script files and search form."""
    body = page[page.find("<body") :]
    body = re.sub(r'<script src="[^"]*assets/[^"]*"[^>]*></script>', "", body)
    return SITE_FORM.sub("", body)


def test_sneaky_content_reaches_no_output(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    (source / "01-basics" / "09-sneaky.md").write_text(SNEAKY, encoding="utf-8")
    out = tmp_path / "out"
    run_build(source, out)
    texts: dict[str, str] = {}
    for path in out.rglob("*"):
        if not path.is_file() or ".cache" in path.parts or ".state" in path.parts:
            continue
        if path.suffix == ".svg":
            texts[str(path)] = path.read_text("utf-8")
        elif path.suffix == ".json":  # the HTML it publishes (its Markdown source is data, not markup)
            texts[str(path)] = "\n".join(_html_values(json.loads(path.read_text("utf-8"))))
        elif path.suffix == ".html":
            texts[str(path)] = _body(path.read_text("utf-8"))
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".xhtml"):
                        texts[f"{path}!{name}"] = _body(archive.read(name).decode("utf-8"))
        elif path.suffix == ".apkg":
            texts[str(path)] = _anki_text(path)
        elif path.suffix == ".pdf":
            reader = PdfReader(path)
            links = [
                str(annot.get_object().get("/A", {}).get("/URI", ""))
                for page in reader.pages
                for annot in page.get("/Annots", []) or []
            ]
            texts[str(path)] = "\n".join(page.extract_text() for page in reader.pages) + "\n".join(links)
    assert any("看似正常的问题" in t for t in texts.values())
    kinds = {Path(k.split("!")[0]).suffix for k in texts}
    assert {".json", ".html", ".epub", ".apkg", ".pdf"} <= kinds, kinds
    for where, text in texts.items():
        match = FORBIDDEN.search(text)
        assert match is None, f"{where}: {match.group(0) if match else ''}"
