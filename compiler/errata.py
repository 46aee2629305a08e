"""ERRATA.md: every correction made to the original text, generated from the front matter so
that the list and the source can never disagree."""

from __future__ import annotations

from compiler.model import Bank


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def errata_markdown(bank: Bank) -> str:
    lines = [
        f"# {bank.config.title}: errata",
        "",
        "Every change made to the original document, question by question: what it said, what the",
        "bank says now, and why. Generated from the `errata` of each question's front matter by",
        "`python -m compiler errata`; a test keeps this file in sync.",
        "",
    ]
    total = 0
    for chapter in bank.chapters:
        entries = [(q, e) for q in chapter.questions for e in q.meta.errata]
        if not entries:
            continue
        lines += [f"## {chapter.number:02d} {chapter.title}", ""]
        lines += ["| question | was | now | why |", "|---|---|---|---|"]
        for q, e in entries:
            lines.append(f"| `{q.id}` | {_cell(e.was)} | {_cell(e.now)} | {_cell(e.why)} |")
            total += 1
        lines.append("")
    lines.insert(6, f"{total} corrections in {sum(bool(q.meta.errata) for q in bank.questions)} questions.\n")
    return "\n".join(lines)
