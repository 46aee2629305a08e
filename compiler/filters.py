"""Targeted banks: only one company's, one topic's or one chapter's questions.

A filtered bank keeps every question's id (so Anki GUIDs match the full deck) and says what it
is in its title and in the names of its files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from compiler.diagnostics import Diagnostics, did_you_mean
from compiler.model import Bank, Question
from compiler.render import filter_chapters


@dataclass(frozen=True)
class Filter:
    company: str | None = None
    tag: str | None = None
    chapter: int | None = None

    def __bool__(self) -> bool:
        return any(x is not None for x in (self.company, self.tag, self.chapter))


def apply_filter(bank: Bank, flt: Filter, diags: Diagnostics) -> Bank | None:
    """The filtered bank, or None (with a diagnostic) when the filter names nothing known."""
    if not flt:
        return bank
    labels: list[str] = []
    variant: list[str] = []
    checks: list[Callable[[Question], bool]] = []
    where = diags.at("command line")
    if flt.company is not None:
        wanted = flt.company.casefold()
        company = next(
            (
                c
                for c in bank.companies
                if wanted in {c.name.casefold(), c.slug, *(a.casefold() for a in c.aliases)}
            ),
            None,
        )
        if company is None:
            diags.error(
                where,
                f"unknown company '{flt.company}'",
                did_you_mean(flt.company, [c.name for c in bank.companies]),
            )
            return None
        labels.append(company.name)
        variant.append(f"company-{company.slug}")
        checks.append(lambda q: company in q.companies)
    if flt.tag is not None:
        tag = flt.tag.strip("/")
        if tag.split("/")[0] not in bank.tags:
            diags.error(where, f"unknown tag '{flt.tag}'", did_you_mean(tag, bank.tags))
            return None
        labels.append(tag)
        variant.append("tag-" + tag.replace("/", "-"))
        checks.append(lambda q: any(x == tag or x.startswith(tag + "/") for x in q.tags))
    if flt.chapter is not None:
        numbers = [c.number for c in bank.chapters]
        if flt.chapter not in numbers:
            diags.error(where, f"no chapter {flt.chapter}", f"chapters are {', '.join(map(str, numbers))}")
            return None
        title = next(c.title for c in bank.chapters if c.number == flt.chapter)
        labels.append(bank.words.chapter_title(flt.chapter, title))
        variant.append(f"chapter-{flt.chapter:02d}")
        number = flt.chapter
        checks.append(lambda q: bank.chapter_of(q).number == number)

    def keep(q: Question) -> bool:
        return all(check(q) for check in checks)

    chapters = filter_chapters(bank.chapters, keep)
    if not chapters:
        diags.error(where, "the filter matches no question", "loosen the filter")
        return None
    used = {a.name for c in chapters for q in c.questions for a in q.assets}
    return replace(
        bank,
        chapters=chapters,
        filter_label=bank.words["common.filter_label_separator"].join(labels),
        variant="-".join(variant),
        assets={k: v for k, v in bank.assets.items() if k in used},
    )
