"""Math as MathML (pandoc's texmath), computed in phase one for the backends that ask for it."""

from __future__ import annotations

from compiler.cache import Cache, key
from compiler.math.forms import Math
from compiler.pandoc import in_batches, pandoc_version, run_pandoc, split_fragments, strip_paragraph

MATHML_VERSION = "3"  # bump when the MathML produced for the same TeX changes


def mathml_for(maths: list[Math], cache: Cache) -> dict[Math, str]:
    """MathML for every formula: one pandoc process for up to `BATCH` cache misses."""
    version = pandoc_version()
    result: dict[Math, str] = {}
    todo: list[Math] = []
    for math in dict.fromkeys(maths):
        cached = cache.get("mathml", key(MATHML_VERSION, version, str(math.display), math.tex))
        if cached is None:
            todo.append(math)
        else:
            result[math] = cached

    def convert(batch: list[tuple[int, Math]]) -> dict[Math, str]:
        doc = "\n".join(
            f"::: {{#qbank-{i}-title}}\n"
            + (f"$${m.tex}$$" if m.display else f"${m.tex.replace(chr(10), ' ')}$")
            + "\n:::\n"
            for i, m in batch
        )
        found = split_fragments(run_pandoc(doc, ["--mathml", "--wrap=none"]))
        return {m: strip_paragraph(found.get((i, "title"), "")) for i, m in batch}

    for converted in in_batches(list(enumerate(todo)), convert):
        for math, mathml in converted.items():
            result[math] = mathml
            cache.put("mathml", key(MATHML_VERSION, version, str(math.display), math.tex), mathml)
    # in the order asked for, whatever came from the cache
    return {m: result[m] for m in dict.fromkeys(maths)}
