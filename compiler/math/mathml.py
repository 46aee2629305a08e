"""Math as MathML (pandoc's texmath), computed in phase one for the backends that ask for it.

The MathML comes out of the pandoc processes that render the questions (`render_bank` passes
`pandoc_args` and reads the result with `take_mathml`): a Lua filter (mathml.lua) converts every
formula of the document as `pandoc --mathml` converts `$tex$` on its own, so a cold build starts
no pandoc for MathML alone. `mathml_for` then finds every formula there or in the cache; only a
formula found in neither (its question's HTML came from the cache, written by a build that
needed no MathML) costs a pandoc process of its own, with the same filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from compiler.cache import Cache, key
from compiler.math.forms import Math
from compiler.pandoc import (
    PANDOC_FROM,
    in_batches,
    pandoc_version,
    run_pandoc,
    split_fragments,
    strip_paragraph,
)

MATHML_VERSION = "3"  # bump when the MathML produced for the same TeX changes
FILTER = Path(__file__).with_name("mathml.lua")
_HEADER, _HEADER_END = "<!-- qbank-mathml ", " -->\n"  # mathml.lua's first line


def pandoc_args() -> list[str]:
    """What a rendering pandoc is given to also convert every formula to MathML."""
    return ["--lua-filter", str(FILTER), "--metadata", f"qbank-mathml-from={PANDOC_FROM}"]


def formulas_metadata(maths: Iterable[Math]) -> str:
    """A YAML metadata block naming formulas written outside the Markdown (a question's named
    formulas), to put before the document: mathml.lua converts them too."""
    items = [f'- "{"d" if m.display else "i"}{m.tex.encode("utf-8").hex()}"' for m in dict.fromkeys(maths)]
    return "---\nqbank-formulas:\n" + "\n".join(items) + "\n---\n\n" if items else ""


def take_mathml(out: str) -> tuple[str, dict[Math, str]]:
    """pandoc's output without what mathml.lua put first, and the MathML it made."""
    if not out.startswith(_HEADER):
        return out, {}
    end = out.index(_HEADER_END)
    length, *names = out[len(_HEADER) : end].split()
    start = end + len(_HEADER_END)
    fragments = split_fragments(out[start : start + int(length)])
    found = {
        Math(bytes.fromhex(name[1:]).decode("utf-8"), name[0] == "d"): strip_paragraph(
            fragments.get((n, "title"), "")
        )
        for n, name in enumerate(names)
    }
    return out[start + int(length) :], found


def remember(found: Mapping[Math, str], cache: Cache) -> None:
    version = pandoc_version()
    for math, mathml in found.items():
        cache.put("mathml", _key(math, version), mathml)


def _key(math: Math, version: str) -> str:
    return key(MATHML_VERSION, version, str(math.display), math.tex)


def mathml_for(maths: list[Math], cache: Cache, known: Mapping[Math, str] | None = None) -> dict[Math, str]:
    """MathML for every formula: from `known` (what rendering made), the cache, or else one pandoc
    process for up to `BATCH` formulas found in neither."""
    version = pandoc_version()
    known = known or {}
    keys = {math: _key(math, version) for math in dict.fromkeys(maths) if math not in known}
    stored = cache.get_many("mathml", list(keys.values()))  # a few queries, not one per formula
    result: dict[Math, str] = {}
    todo: list[Math] = []
    for math in dict.fromkeys(maths):
        cached = known[math] if math in known else stored.get(keys[math])
        if cached is None:
            todo.append(math)
        else:
            result[math] = cached

    def convert(batch: list[Math]) -> dict[Math, str]:
        return take_mathml(run_pandoc(formulas_metadata(batch), pandoc_args()))[1]

    for converted in in_batches(todo, convert):
        result.update(converted)
        remember(converted, cache)
    # in the order asked for, wherever it came from
    return {m: result.get(m, "") for m in dict.fromkeys(maths)}
