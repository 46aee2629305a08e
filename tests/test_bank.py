"""The real bank in source/: complete, correct and consistent with the original document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.build import compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.errata import errata_markdown
from compiler.math.forms import find_math, tex_problem
from compiler.model import Bank, Question
from compiler.progress import Progress
from tests.conftest import REAL_BANK, ROOT

SEED_CHAPTERS = [
    "图像传统算法",
    "数据处理与特征工程",
    "深度学习基础理论知识",
    "常用评价指标",
    "神经网络模型",
]
SEED_COUNTS = [5, 4, 34, 6, 13]
# (chapter, question number in the seed) -> company, for the ten questions the seed attributes.
SEED_COMPANIES = {
    (3, 2): "腾讯优图",
    (3, 7): "腾讯优图",
    (3, 19): "腾讯优图",
    (3, 22): "阿里巴巴",
    (4, 3): "海康威视",
    (4, 4): "海康威视",
    (4, 5): "海康威视",
    (5, 1): "腾讯优图",
    (5, 10): "阿里巴巴",
    (5, 11): "阿里巴巴",
}


@pytest.fixture(scope="module")
def bank() -> Bank:
    diags = Diagnostics()
    result = compile_bank(REAL_BANK, diags, Cache(None), Progress(enabled=False))
    assert not len(diags), "\n".join(d.format() for d in diags)
    assert result is not None
    return result


ADDED_CHAPTERS = ["Transformer 与视觉基础模型", "检测与分割进阶", "自监督、生成模型与高效部署"]


def seed_questions(bank: Bank) -> list[Question]:
    return [q for c in bank.chapters[: len(SEED_CHAPTERS)] for q in c.questions]


def test_chapters_and_counts_follow_the_seed(bank: Bank) -> None:
    """The seed's 62 questions keep their chapters and order; the questions asked since 2020
    follow in chapters of their own."""
    assert [c.title for c in bank.chapters] == SEED_CHAPTERS + ADDED_CHAPTERS
    assert [len(c.questions) for c in bank.chapters[: len(SEED_CHAPTERS)]] == SEED_COUNTS
    assert len(seed_questions(bank)) == 62
    for q in seed_questions(bank):
        assert q.meta.source and q.meta.source.startswith("原题 "), q.id
    added = [q for c in bank.chapters[len(SEED_CHAPTERS) :] for q in c.questions]
    assert len(added) >= 24
    for q in added:  # an addition names its paper and year, and has what study needs
        assert q.meta.source and not q.meta.source.startswith("原题"), q.id
        assert re.search(r"(19|20)\d\d", q.meta.source), q.id
        assert 3 <= len(q.key_points) <= 7 and not q.meta.company, q.id


def test_every_question_has_an_answer_and_no_company_prefix(bank: Bank) -> None:
    for q in bank.questions:
        assert q.answer.strip() and q.html.answer_html.strip(), q.id
        assert not re.search(r"腾讯|阿里|海康|--|—", q.title), f"{q.id}: company prefix in title"


def test_company_attributions_of_the_seed(bank: Bank) -> None:
    found = {}
    for chapter in bank.chapters:
        for q in chapter.questions:
            for company in q.companies:
                found[(chapter.number, q.number)] = company.name
    assert found == SEED_COMPANIES


def test_every_formula_parses(bank: Bank) -> None:
    count = 0
    for q in bank.questions:
        for fragment in (q.html.title_html, q.html.answer_html, *q.html.formulas_html):
            for math in find_math(fragment):
                assert tex_problem(math.tex) is None, f"{q.id}: {math.tex}"
                count += 1
    assert count > 200  # the bank is formula-heavy: every formula was walked
    assert sum(len(q.formulas) for q in bank.questions) >= 60


def test_key_formulas_are_named(bank: Bank) -> None:
    names = " ".join(f.name for q in bank.questions for f in q.formulas).lower()
    expected = [
        "softmax",
        "交叉熵",
        "adam",
        "momentum",
        "adagrad",
        "rmsprop",
        "遗忘门",
        "输出门",
        "iou",
        "查准率",
        "查全率",
        "tpr",
        "fpr",
        "3σ",
        "箱型图",
        "resnet 反向梯度",
        "faster r-cnn",
        "smooth l1",
    ]
    for name in expected:
        assert name in names, name


def test_seed_errors_are_fixed(bank: Bank) -> None:
    text = "\n".join(q.answer + "\n".join(f.tex for f in q.formulas) for q in bank.questions)
    assert "QU-1.5IQR" not in text.replace(" ", "")
    assert "10e-8" not in text
    assert "窗又" not in text and "有事" not in text
    assert re.search(r"e\^\{z_[ij]\}", text)  # the numerator the seed lost (logits are z: docs/notation.md)


def test_errata_file_is_in_sync_and_every_correction_is_applied(bank: Bank) -> None:
    assert (ROOT / "ERRATA.md").read_text(encoding="utf-8") == errata_markdown(bank), (
        "regenerate with: python -m compiler errata --write ERRATA.md"
    )
    for q in bank.questions:
        for erratum in q.meta.errata:
            assert erratum.now in q.answer + "".join(f.tex + f.name for f in q.formulas) + q.title, q.id
    assert sum(len(q.meta.errata) for q in bank.questions) >= 62


def test_every_figure_exists_is_used_and_has_alt_text(bank: Bank) -> None:
    figures = {p.name for p in (REAL_BANK / "figures").iterdir() if p.suffix == ".svg"}
    used = {a.name for q in bank.questions for a in q.assets}
    assert used == figures, f"unused: {figures - used}, missing: {used - figures}"
    for q in bank.questions:
        for img in re.findall(r"<img\b[^>]*>", q.html.answer_html):
            alt = re.search(r'alt="([^"]+)"', img)
            assert alt and alt.group(1).strip(), f"{q.id}: image without alt text"


def test_figures_render() -> None:
    """Every SVG is well-formed and WeasyPrint can draw it (the PDF's renderer)."""
    import weasyprint
    from lxml import etree

    for svg in sorted((REAL_BANK / "figures").glob("*.svg")):
        root = etree.parse(str(svg)).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", svg.name
        assert root.find("{http://www.w3.org/2000/svg}title") is not None, svg.name
        png = weasyprint.HTML(string=f'<img src="{svg.as_uri()}">').write_pdf()
        assert png and len(png) > 1000


def test_tags_come_from_the_taxonomy(bank: Bank) -> None:
    used = {t.split("/")[0] for q in bank.questions for t in q.tags}
    assert used <= set(bank.tags)
    assert len(used) >= 8


def test_question_ids_are_stable_slugs(bank: Bank) -> None:
    ids = [q.id for q in bank.questions]
    assert len(set(ids)) == len(ids) >= 62 + 24
    for q in bank.questions:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", q.id)
        assert Path(q.path).name.startswith(f"{q.number:02d}-")
