"""Math typesetting: the speed-ups applied to ziamath change no SVG byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

from compiler.math import svg as mathsvg
from compiler.math.forms import Math
from tests.conftest import REAL_BANK, ROOT

# Formulas that exercise what the speed-ups touch: fences that stretch to their row (\left,
# \right, |, \{), nested rows, large operators inside fences, scripts of scripts, matrices.
ODD = [
    r"\left(\frac{a}{\sum_j b_j}\right)^{2}",
    r"\left| \frac{\partial L}{\partial w} \right|",
    r"\left\{ \begin{aligned} x &= 1 \\ y &= \left[ \frac{1}{1+e^{-z}} \right] \end{aligned} \right.",
    r"e^{-\frac{(x-\mu)^2}{2\sigma^2}}",
    r"\begin{pmatrix} 1 & 0 \\ 0 & \sqrt{\lambda} \end{pmatrix}",
    r"\| W \|_F = \sqrt{\sum_{i,j} w_{ij}^2}",
    r"\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{k} e^{z_k}}",
    # rows that stretch with fractions, numbers and operator names beside each other (what a
    # row's children read of their left neighbour) and a stretchy fence deep in a script
    r"\left( \frac{a}{b} \frac{c}{d} 2 \sin x \right)",
    r"\left[ 3 \left( x \right) 4 \frac{1}{2} \right]",
    r"x^{\left\| \frac{a}{b} \right\|} + \left\langle \max_i v_i \right\rangle",
]

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, re, sys
    from pathlib import Path
    from compiler.math import svg as mathsvg
    from compiler.diagnostics import Diagnostics
    from compiler.loader import load_bank
    from compiler.math.forms import Math

    plain, odd, bank_dir = sys.argv[1] == "plain", json.loads(sys.argv[2]), Path(sys.argv[3])
    if plain:  # ziamath as published, with only the two fixes that change the drawing
        from ziamath.config import config
        config.svg2 = False
        mathsvg._fix_large_operators()
        mathsvg._configure_ziamath = lambda: None
    bank = load_bank(bank_dir, Diagnostics())
    maths = [Math(t, d) for t in odd for d in (True, False)]
    for q in bank.questions:
        for m in re.findall(r"\\$\\$(.*?)\\$\\$|\\$([^$]+)\\$", q.title + "\\n" + q.answer, re.S):
            maths.append(Math(m[0] or m[1], bool(m[0])))
        maths += [Math(f.tex, True) for f in q.formulas]
    maths = list(dict.fromkeys(maths))
    svg = {f"{m.display}:{m.tex}": mathsvg._typeset(m, 16.0) for m in maths}
    print(json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in svg.items()}))
    """
)


def typeset_all(mode: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, json.dumps(ODD), str(REAL_BANK)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, str] = json.loads(out.stdout)
    return result


def test_speed_ups_give_the_same_svg_as_ziamath_itself() -> None:
    plain, fast = typeset_all("plain"), typeset_all("fast")
    assert len(plain) > 400  # every formula of the real bank, and the odd ones in both modes
    assert fast == plain


def _width(svg: str) -> float:
    box = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', svg)
    assert box is not None
    return float(box.group(1))


def test_signs_operator_names_commas_and_hats_are_spaced_as_tex_spaces_them() -> None:
    """What MathJax (and TeX) draw for the same TeX: "(−1, 1)" not "( − 1, 1)", "max(0, x)" not
    "max (0, x)", a one-letter hat for `\\hat`, the wide one only for `\\widehat`."""
    from ziamath.zmath import Latex

    mathsvg._configure_ziamath()
    em = 16.0
    for tex, gain in ((r"(-1, 1)", 0.5), (r"\max(0, x)", 0.4), (r"\theta = -x", 0.3)):
        ours = _width(mathsvg._typeset(Math(tex, False), em))
        plain = _width(Latex(tex, size=em, inline=True).svg())
        assert ours < plain - gain * em, (tex, ours, plain)  # a medium space each side of the sign is gone
    binary = _width(mathsvg._typeset(Math("a - b", False), em))
    assert binary == _width(Latex("a - b", size=em, inline=True).svg())  # a binary minus keeps its spaces
    assert 'stretchy="false">\u02c6<' in mathsvg.tex_spacing(r"\hat{m}_t", inline=True)
    assert "\u0302" in mathsvg.tex_spacing(r"\widehat{xy}", inline=True)
    hat, letter = (_width(mathsvg._typeset(Math(t, False), em)) for t in (r"\hat{m}", "m"))
    assert hat <= letter + 0.05 * em
