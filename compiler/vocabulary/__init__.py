"""Every word a reader sees that the bank did not write, in the bank's language.

One catalog per language beside this file (`zh-CN.yaml`, `en.yaml`, ...), chosen by `language` in
bank.yaml; a new language is one more file with the same keys (a test compares them). Keys are
dotted paths into the catalog (`epub.toc`, `common.chapter`); values are `str.format` patterns.
A value may be a table `{one: ..., other: ...}` for words that change with a count (`count`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from compiler.timestamps import utc

CATALOGS = Path(__file__).resolve().parent
Script = Literal["cjk", "latin"]


@dataclass(frozen=True)
class Vocabulary:
    language: str  # the catalog's tag, e.g. zh-CN
    script: Script  # the script the words are written in: decides the text fonts
    words: dict[str, Any]  # flattened: dotted key -> pattern, or {one, other} table

    def __getitem__(self, key: str) -> str:
        value = self.words[key]
        if not isinstance(value, str):
            raise KeyError(f"{key} depends on a count: use count()")
        return value

    def fmt(self, key: str, **values: object) -> str:
        return self[key].format(**values)

    def form(self, key: str, n: int) -> str:
        """The pattern of `key` for a count of `n` (its `one` or `other` form, if it has forms)."""
        value = self.words[key]
        if isinstance(value, dict):
            value = value["one"] if n == 1 and "one" in value else value["other"]
        return str(value)

    def count(self, key: str, n: int, **values: object) -> str:
        """The words for `n` things (`{n}` in the pattern is the number)."""
        return self.form(key, n).format(n=n, **values)

    def date(self, timestamp: int) -> str:
        """A content time as a reader sees it (UTC, never the local clock)."""
        return utc(timestamp).strftime(self["common.date_format"])

    def chapter(self, number: int) -> str:
        return self.fmt("common.chapter", number=number)

    def chapter_title(self, number: int, title: str) -> str:
        return self.fmt("common.chapter_title", number=number, title=title)

    def ref(self, chapter: int, number: int) -> str:
        """How every output refers to a question: 3.12 is question 12 of chapter 3."""
        return self.fmt("common.question_ref", chapter=chapter, number=number)

    def difficulty(self, level: str | None) -> str:
        return self[f"common.difficulty.{level}"] if level else ""


def available() -> list[str]:
    return sorted(p.stem for p in CATALOGS.glob("*.yaml"))


def resolve(language: str) -> str | None:
    """The catalog for a BCP 47 tag: the same tag, else its primary language (`en-GB` -> `en`)."""
    names = {n.casefold(): n for n in available()}
    if language.casefold() in names:
        return names[language.casefold()]
    return names.get(language.split("-")[0].casefold())


@cache
def vocabulary(language: str) -> Vocabulary:
    """The catalog for `language` (a tag `resolve` knows: the loader reports unknown ones)."""
    name = resolve(language)
    if name is None:
        raise KeyError(language)
    data = yaml.safe_load((CATALOGS / f"{name}.yaml").read_text(encoding="utf-8"))
    script = data.pop("script")
    data.pop("name", None)
    return Vocabulary(name, script, _flatten(data))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in data.items():
        dotted = f"{prefix}{k}"
        if isinstance(v, dict) and not set(v) <= {"one", "other"}:
            flat.update(_flatten(v, dotted + "."))
        else:
            flat[dotted] = v
    return flat
