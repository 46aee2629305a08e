"""Links between outputs: where a question's page is on the site, so that a card, a book and a
sheet can point at it. One rule for the path, used by the site that writes the page and by every
output that links to it; no link at all unless `outputs.site.base_url` says where the site is."""

from __future__ import annotations

from compiler.model import Bank


def question_page(qid: str) -> str:
    """The site's page of a question, relative to the site's root."""
    return f"q/{qid}.html"


def question_url(bank: Bank, qid: str) -> str | None:
    """The absolute URL of a question's page on the published site, or None when the bank does
    not say where the site is published."""
    base = bank.config.outputs.site.base_url
    if not base:
        return None
    return f"{base.rstrip('/')}/{question_page(qid)}"
