"""Property tests: whatever an author writes, the loader and the rendering core answer with
diagnostics or output, never an exception. `nox -s fuzz` runs them much longer."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.build import compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.math.forms import tex_problem
from compiler.progress import Progress
from tests.conftest import FIXTURE_BANK

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TARGET = Path("01-basics") / "01-softmax.md"
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400)
markdownish = st.lists(
    st.sampled_from(
        [
            "# ",
            "$",
            "$$",
            "\\frac{",
            "}",
            "{",
            "```",
            "\n",
            "- ",
            "|",
            "<b>",
            "![a](",
            ")",
            "_",
            "*",
            "概率",
            "\\",
            "---",
            ":::",
            "<!--",
            "&",
            "\t",
            "1. ",
            "> ",
        ]
    )
    | text,
    max_size=40,
).map("".join)
yaml_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
front_matter = st.dictionaries(
    st.sampled_from(["id", "tags", "company", "formulas", "difficulty", "source", "errata", "x"]) | text,
    yaml_values,
    max_size=8,
)


def compile_with(content: bytes) -> Diagnostics:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bank"
        shutil.copytree(FIXTURE_BANK, source)
        (source / TARGET).write_bytes(content)
        diags = Diagnostics()
        compile_bank(source, diags, Cache(None), Progress(enabled=False))
        for d in diags:
            assert d.format()  # every diagnostic can be printed
        return diags


@settings(suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=600) | text.map(str.encode))
def test_arbitrary_file_content_never_raises(content: bytes) -> None:
    compile_with(content)


@given(front_matter, markdownish)
def test_arbitrary_front_matter_and_markdown_never_raise(meta: dict[str, Any], body: str) -> None:
    dumped = yaml.safe_dump(meta, allow_unicode=True)
    compile_with(f"---\n{dumped}---\n\n# 问题\n\n{body}\n".encode())


@given(markdownish)
def test_arbitrary_answer_with_valid_front_matter(body: str) -> None:
    diags = compile_with(f"---\nid: softmax\ntags: [activation]\n---\n\n# 问题\n\n{body}\n".encode())
    if not body.strip():
        assert diags.errors


@given(text)
def test_tex_checker_never_raises(tex: str) -> None:
    problem = tex_problem(tex)
    assert problem is None or isinstance(problem, str)
