"""Multi-column layout without WeasyPrint's thrown-away measuring pass (compiler.backends.pdf.columns).

Every document is rendered twice, with WeasyPrint's own `columns_layout` and inside
`fast_columns`: the PDFs must be the same bytes, and the measuring pass must have been skipped
exactly where nothing it finds is used.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
import weasyprint.layout.block

from compiler.backends.pdf import columns
from compiler.backends.pdf.render import LocalFetcher
from compiler.backends.pdf.sheets import Sheet, chapter_views, geometry, sheet_parts
from compiler.cache import Cache
from compiler.templating import TEMPLATES
from tests.conftest import FIXTURE_BANK
from tests.test_pdf import rendered_bank

SHEETS: tuple[Sheet, ...] = ("cheatsheet", "keypoints", "formulas", "drill")


def pdf(html: str, fetcher: LocalFetcher | None = None, base: Path | None = None) -> bytes:
    base_url = (base or Path.cwd()).resolve().as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    return bytes(document.write_pdf())


def skipped(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each run of columns laid out skipped its measuring pass, in order."""
    found: list[bool] = []
    decide = columns._measuring_is_wasted

    def recorded(*args: object) -> bool:
        found.append(decide(*args))  # type: ignore[arg-type]
        return found[-1]

    monkeypatch.setattr(columns, "_measuring_is_wasted", recorded)
    return found


def both_ways(html: str, monkeypatch: pytest.MonkeyPatch, **render: object) -> list[bool]:
    """Renders `html` both ways, checks the bytes are the same, returns what was skipped."""
    expected = pdf(html, **render)  # type: ignore[arg-type]
    found = skipped(monkeypatch)
    with columns.fast_columns() as active:
        assert active
        assert pdf(html, **render) == expected  # type: ignore[arg-type]
    monkeypatch.undo()
    return found


def page(style: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><style>@page { size: A6; margin: 10mm }"
        " .cols { columns: 3; column-gap: 3mm; column-fill: auto } .keep { break-inside: avoid }"
        f" {style}</style></head><body>{body}</body></html>"
    )


def paragraphs(n: int, words: int = 30, cls: str = "keep") -> str:
    text = " ".join(f"word{i}" for i in range(words))
    return "".join(f'<p class="{cls}">{i}: {text[: 40 + 37 * (i % 7)]}</p>' for i in range(n))


def test_columns_filled_in_turn_over_pages_skip_the_measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    tall = '<div class="keep" style="height: 200mm">taller than a column</div>'
    body = f'<h1>Title</h1><main class="cols">{paragraphs(40)}{tall}{paragraphs(30, cls="")}</main>'
    found = both_ways(page("", body), monkeypatch)
    assert len(found) > 3 and all(found)  # one run of columns per page, none measured


def test_floats_tables_and_absolute_boxes_in_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    cell = "<td>cell text that wraps in a narrow column</td>"
    body = (
        '<main class="cols" style="position: relative">'
        + "".join(
            f'<div class="keep"><span style="float: right">({i})</span>{paragraphs(1, 20 + i)}'
            f"<table><tr>{cell * 2}</tr></table></div>"
            for i in range(30)
        )
        + '<div style="position: absolute; top: 5mm; left: 5mm">over</div></main>'
    )
    assert all(both_ways(page("", body), monkeypatch))


def test_balanced_spanned_or_footnoted_columns_are_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    balanced = page(".cols { column-fill: balance }", f'<main class="cols">{paragraphs(12)}</main>')
    assert not any(both_ways(balanced, monkeypatch))
    span = f'<main class="cols">{paragraphs(4)}<h2 style="column-span: all">All</h2>{paragraphs(30)}</main>'
    # the run before the spanning heading may be balanced: measured; the runs after it are not
    found = both_ways(page("", span), monkeypatch)
    assert found[0] is False and len(found) > 2 and all(found[1:])
    notes = "".join(f'<p>{i} <span style="float: footnote">note {i}</span></p>' for i in range(20))
    assert not any(both_ways(page("", f'<main class="cols">{notes}</main>'), monkeypatch))


def test_nested_columns_and_running_elements_are_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    nested = f'<main class="cols"><div style="columns: 2">{paragraphs(10)}</div>{paragraphs(20)}</main>'
    assert both_ways(page("", nested), monkeypatch)[0] is False  # the page the inner columns start on
    running = (
        "@page { @top-center { content: element(head) } } .head { position: running(head) }",
        f'<main class="cols"><div class="head">running</div>{paragraphs(30)}</main>',
    )
    # measured while the running element is still to be laid out: on its page only
    found = both_ways(page(*running), monkeypatch)
    assert found[0] is False and len(found) > 2 and all(found[1:])


def test_every_sheet_of_the_fixture_bank_is_laid_out_to_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bank = rendered_bank(FIXTURE_BANK)
    options = bank.config.outputs.pdf
    views = chapter_views(bank, Cache(None), geometry(options, "cheatsheet"))
    assets = {n: a.path for n, a in bank.assets.items()}
    for sheet in SHEETS:
        for part in sheet_parts(sheet, bank, views.chapters, geometry(options, sheet)):
            fetcher = LocalFetcher(assets, (bank.root, TEMPLATES / "pdf"))
            found = both_ways(part.html, monkeypatch, fetcher=fetcher, base=bank.root)
            assert any(found), f"{sheet}: the measuring pass was never skipped"


def test_another_weasyprint_lays_out_with_its_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    original = weasyprint.layout.block.columns_layout
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with columns.fast_columns() as active:
        assert not active
        assert weasyprint.layout.block.columns_layout is original
    monkeypatch.undo()
    with columns.fast_columns() as active:
        assert active and weasyprint.layout.block.columns_layout is columns.columns_layout
    assert weasyprint.layout.block.columns_layout is original
