"""Phase one checks every formula's TeX once a build, and the figures, partly while pandoc renders
the HTML (a guess from the Markdown: `compiler.render.likely_tex`, `figures_ahead`): what it
reports does not depend on the guess."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from compiler import render
from compiler.build import compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.figures import figure_problems
from compiler.loader import load_bank
from compiler.math.forms import bank_math, tex_problem
from compiler.progress import Progress
from compiler.render import TexChecks, figures_ahead, likely_tex
from tests.conftest import FIXTURE_BANK, copy_bank

LIST_ITEM = """---
id: in-a-list
tags: [activation]
formulas:
  - name: 平方
    tex: 'y = x^2'
    symbols:
      'x': '自变量'
      'y': '因变量'
---

# 列表里的公式 $f(x)$

1. 第一步：

   $$
   \\begin{aligned}
   a &= b \\\\
   c &= d
   \\end{aligned}
   $$

2. 代码 `$z$` 不是公式，$\\frac{1}{2}$ 是。
"""

BAD = """---
id: bad-tex
tags: [activation]
---

# 坏公式 $\\frac{a}{b$

答案 $\\nosuchcommand x$ 与 $$\\frac{a}{b$$ 再次 $\\frac{a}{b$。
"""


def _bank(tmp_path: Path) -> Path:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    (source / "02-models" / "080-list.md").write_text(LIST_ITEM, encoding="utf-8")
    return source


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()

    def counting(tex: str) -> str | None:
        seen[tex] += 1
        return tex_problem(tex)

    monkeypatch.setattr(render, "tex_problem", counting)
    return seen


def test_every_tex_is_checked_once_a_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cache too (a formula written twice, or in the answer and as a named formula, is
    checked once), and every TeX that reaches the model is checked."""
    source = _bank(tmp_path)
    (source / "02-models" / "081-bad.md").write_text(BAD, encoding="utf-8")
    seen = _counted(monkeypatch)
    diags = Diagnostics()
    assert compile_bank(source, diags, Cache(None), Progress(enabled=False)) is None  # the bad TeX
    assert seen and max(seen.values()) == 1
    assert {"\\frac{a}{b", "\\nosuchcommand x", "f(x)", "y = x^2", "x", "y"} <= set(seen)
    assert sum("\\frac{a}{b" in d.message for d in diags) == 3  # each place is still reported


def test_the_guess_finds_the_tex_pandoc_finds(tmp_path: Path) -> None:
    """Named formulas and their symbols exactly, `$...$` and `$$...$$` outside code, display math
    in a list item without the item's indentation; not code."""
    source = _bank(tmp_path)
    loaded = load_bank(source, Diagnostics(), None, Cache(None))
    assert loaded is not None
    guess = likely_tex(loaded.questions)
    bank = compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False))
    assert bank is not None
    symbols = {tex for q in bank.questions for f in q.formulas for tex in f.symbols}
    shown = {m.tex for m in bank_math(bank)} | symbols
    assert set(guess) == shown
    assert "\n\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}\n" in guess
    assert "z" not in guess and "\\frac{1}{2}" in guess


def test_a_wrong_guess_is_neither_reported_nor_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _bank(tmp_path)

    def diagnostics(guesses: list[str], cache: Cache) -> list[str]:
        monkeypatch.setattr(render, "likely_tex", lambda questions: guesses)
        diags = Diagnostics()
        assert compile_bank(source, diags, cache, Progress(enabled=False)) is not None
        return [d.format() for d in diags]

    wrong = ["\\frac{a}{b", "\\nosuchcommand"]
    cache = Cache(tmp_path / "cache")
    assert diagnostics(wrong, cache) == diagnostics([], Cache(tmp_path / "other"))
    cache.flush()
    assert not any(cache.get("texcheck", render._check_key(tex)) is not None for tex in wrong)
    assert cache.get("texcheck", render._check_key("y = x^2")) == ""  # what was checked is kept

    checks = TexChecks(Cache(None))
    checks.ahead(["\\frac{a}{b", "x", "x"], until=lambda: False)
    assert checks.checked == 2
    assert checks.problem("x") is None and checks.problem("x") is None and checks.checked == 2
    assert checks.problem("\\frac{") is not None and checks.checked == 3


SCRIPTED = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">
  <script>alert(1)</script>
  <rect x="10" y="10" width="100" height="40" onclick="alert(1)"/>
</svg>
"""


def test_figures_checked_ahead_report_what_checking_them_after_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _bank(tmp_path)
    (source / "figures" / "box.svg").write_text(SCRIPTED, encoding="utf-8")

    def diagnostics() -> list[str]:
        diags = Diagnostics()
        assert compile_bank(source, diags, Cache(None), Progress(enabled=False)) is None
        return [d.format() for d in diags]

    checked = diagnostics()
    assert any("<script>" in d for d in checked)
    monkeypatch.setattr(render, "figures_ahead", lambda questions, root, until: {})
    assert diagnostics() == checked

    loaded = load_bank(source, Diagnostics(), None, Cache(None))
    assert loaded is not None
    known = figures_ahead(loaded.questions, source, until=lambda: False)
    data = (source / "figures" / "box.svg").read_bytes()
    assert known == {(".svg", data): figure_problems(".svg", data)}
    good = (FIXTURE_BANK / "figures" / "box.svg").read_bytes()
    (source / "figures" / "box.svg").write_bytes(good)  # changed since the guess: not taken
    monkeypatch.setattr(render, "figures_ahead", lambda questions, root, until: known)
    assert compile_bank(source, Diagnostics(), Cache(None), Progress(enabled=False)) is not None
