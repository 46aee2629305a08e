"""Math typesetting: the speed-ups applied to ziamath change no SVG byte."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compiler.cache import Cache
from compiler.math import speedups
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


def _shape(element: ET.Element) -> object:
    return (element.tag, element.attrib, element.text, element.tail, [_shape(e) for e in element])


def test_trees_are_copied_as_writing_and_parsing_them_copies_them() -> None:
    """`_reparsed` (how the speed-ups copy a tree instead of ziamath's write-and-parse) gives what
    the round trip gives: empty texts become None, the root's tail goes, and whatever the round
    trip would change otherwise (namespaces, `xmlns`, a carriage return) takes the round trip,
    text after the root included (which fails it)."""
    trees = [ET.fromstring(mathsvg.tex_spacing(tex, inline=True)) for tex in ODD]
    odd = ET.fromstring('<mrow><mi>x</mi><mo form="infix">=</mo><mn>1</mn></mrow>')
    odd[0].text, odd[1].tail, odd.tail = "", "", " \n"
    trees.append(odd)
    ret = ET.fromstring("<mrow><mi>a</mi></mrow>")
    ret[0].text = "a\r\nb"
    ret.set("title", "line\nfeed\ttab\rreturn")
    trees.append(ret)
    spaced = ET.fromstring('<svg xmlns:xlink="http://www.w3.org/1999/xlink"><g><text>a</text> tail</g></svg>')
    spaced.set("xmlns", "http://www.w3.org/2000/svg")
    trees.append(spaced)
    trees.append(
        ET.fromstring('<m:math xmlns:m="http://www.w3.org/1998/Math/MathML"><m:mi>x</m:mi></m:math>')
    )
    for tree in trees:
        for element in tree.iter():
            try:
                expected = ET.fromstring(ET.tostring(element))
            except ET.ParseError:  # text after the root: the copy fails the same way
                with pytest.raises(ET.ParseError):
                    speedups._reparsed(element)
                continue
            copy = speedups._reparsed(element)
            assert copy is not element
            assert _shape(copy) == _shape(expected)


def test_formulas_typeset_in_processes_are_those_typeset_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`typeset_all` on two cores (forked processes handing over drawings in order, this one
    converting them as they come) caches what typesetting and converting here gives."""
    maths = [Math(tex, display) for tex in ODD for display in (True, False)]
    conversion = mathsvg.SvgConversion("test-svg", "1", _marked)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(mathsvg, "_CHUNK", 3)  # several chunks in each process
    parallel = Cache(tmp_path / "parallel")
    assert mathsvg.typeset_all(maths, parallel, conversions=[conversion]) == len(maths)
    for math in maths:
        svg = mathsvg._typeset(math, mathsvg.SCREEN_MATH_PX)
        assert parallel.get("svg", mathsvg.svg_key(math)) == svg
        assert parallel.get("test-svg", conversion.converted_key(math)) == _marked(svg)


def _marked(svg: str) -> str:
    return f"{os.getpid()}:{len(svg)}"
