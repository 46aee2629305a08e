"""Math in every form a backend asks for, from the TeX that pandoc leaves in rendered HTML.

Pandoc (with --mathjax) writes math as `<span class="math inline">\\(TeX\\)</span>` or
`<span class="math display">\\[TeX\\]</span>`, the TeX HTML-escaped. Backends call
`replace_math` with a function that returns the markup they want (Anki: MathJax delimiters,
PDF/EPUB: SVG, JSON: TeX + MathML).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model holds `Math` values: imported for annotations only
    from compiler.model import Bank, Question

MATH_SPAN = re.compile(
    r'<span class="math (?P<kind>inline|display)">\\[(\[](?P<tex>.*?)\\[)\]]</span>', re.DOTALL
)
CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ef\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
_UNKNOWN_COMMAND = re.compile(r"<m[io]>(\\[A-Za-z]+)</m[io]>")


@dataclass(frozen=True)
class Math:
    tex: str
    display: bool


def find_math(fragment: str) -> list[Math]:
    return [
        Math(html.unescape(m.group("tex")), m.group("kind") == "display")
        for m in MATH_SPAN.finditer(fragment)
    ]


def bank_math(bank: Bank) -> list[Math]:
    """Every formula of the bank, each once, in the order of the bank."""
    return list(dict.fromkeys(m for q in bank.questions for m in question_math(q)))


def question_math(q: Question) -> list[Math]:
    """Every formula of a question: in its title, its answer and its named formulas."""
    return [
        m
        for fragment in (
            q.html.title_html,
            q.html.answer_html,
            *q.html.formulas_html,
            *q.html.key_points_html,
        )
        for m in find_math(fragment)
    ]


def replace_math(fragment: str, render: Callable[[Math], str]) -> str:
    """`fragment` with every math span replaced by `render(math)` (which returns safe HTML)."""
    return MATH_SPAN.sub(
        lambda m: render(Math(html.unescape(m.group("tex")), m.group("kind") == "display")),
        fragment,
    )


def math_span(tex: str, display: bool) -> str:
    """The span pandoc would write for this TeX: how a `formulas` entry enters the model."""
    kind, left, right = ("display", "\\[", "\\]") if display else ("inline", "\\(", "\\)")
    return f'<span class="math {kind}">{left}{html.escape(tex, quote=False)}{right}</span>'


def tex_problem(tex: str) -> str | None:
    """Why this TeX cannot be typeset, or None. Uses the parser the SVG renderer uses."""
    if CJK.search(tex):
        return "Chinese (CJK) characters inside math cannot be rendered by math fonts"
    problem = _balance_problem(tex)
    if problem:
        return problem
    from ziamath.tex import tex2mml  # imported late: it loads fonts and tables

    try:
        mathml = tex2mml(tex)
    except Exception as exc:  # latex2mathml raises many exception types, all meaning "bad TeX"
        name = type(exc).__name__.removesuffix("Error")
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
        return f"TeX does not parse ({words or 'syntax error'})"
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        return f"unknown TeX command '{unknown.group(1)}'"
    return None


def _balance_problem(tex: str) -> str | None:
    depth = 0
    i = 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return "TeX does not parse (unbalanced '}')"
        i += 1
    if depth:
        return "TeX does not parse (unclosed '{')"
    begins = re.findall(r"\\begin\{([^}]*)\}", tex)
    ends = re.findall(r"\\end\{([^}]*)\}", tex)
    if begins != list(reversed(ends)) and sorted(begins) != sorted(ends):
        return "TeX does not parse (\\begin and \\end do not match)"
    if len(re.findall(r"\\left\b", tex)) != len(re.findall(r"\\right\b", tex)):
        return "TeX does not parse (\\left without \\right)"
    return None


def for_anki(math: Math) -> str:
    """MathJax delimiters as Anki expects; `}}` would start cloze syntax, so it is split."""
    tex = math.tex.replace("\n", " ") if not math.display else math.tex
    while "}}" in tex:
        tex = tex.replace("}}", "} }")
    left, right = ("\\[", "\\]") if math.display else ("\\(", "\\)")
    return html.escape(f"{left}{tex}{right}", quote=False)
