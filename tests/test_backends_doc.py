"""docs/backends.md: its example backend is real code, built here through the whole pipeline."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.backends import BACKENDS
from compiler.build import build
from tests.conftest import FIXTURE_BANK, ROOT, copy_bank, run_build

DOC = ROOT / "docs" / "backends.md"


def example_backend(folder: Path) -> Any:
    """The page's Python example, saved as a backend package's backend.py and imported."""
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(code.splitlines()) <= 45  # short enough to learn from
    package = folder / "outline"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "backend.py").write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("outline.backend", package / "backend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["outline.backend"] = module  # dataclasses and pickling look the module up
    spec.loader.exec_module(module)
    return module.OutlineBackend


def test_the_documented_backend_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "outline.backend", None)  # removed again after the test
    monkeypatch.setitem(BACKENDS, "outline", example_backend(tmp_path / "plugins"))
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "out"
    result = run_build(source, out, only=["outline"])
    (written,) = result.written["outline"]
    assert written == out / "outline" / "test-bank.md"
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# 测试题库\n\n## 第 1 章 基础\n\n- 1.1 介绍一下 softmax\n")
    assert "- 2.1 写出 SGD 的伪代码" in text
    assert not result.diags.warnings
    # nothing changed: skipped; a located warning from ctx.warn (at the question's heading), and
    # --strict refuses it
    assert run_build(source, out, only=["outline"]).skipped == ["outline"]
    question = source / "02-models" / "01-sgd.md"
    question.write_text(question.read_text(encoding="utf-8").replace("company: [阿里巴巴]\n", ""), "utf-8")
    warned = build(source, out, only=["outline"])
    heading = question.read_text("utf-8").splitlines().index("# 写出 SGD 的伪代码") + 1
    assert [d.format() for d in warned.diags.warnings] == [
        f"{question}:{heading}: warning: outline: no company is named for this question"
    ]
    assert warned.ok() and not warned.ok(strict=True)
