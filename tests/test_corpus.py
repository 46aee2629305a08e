"""Golden command tests: broken (and odd but legal) banks and the exact diagnostics they produce.

Each `tests/corpus/<case>.yaml` describes how to change a copy of the fixture bank; the compiler
runs as a user runs it, in a subprocess, and its diagnostics must equal `<case>.expected`
(UPDATE_GOLDEN=1 rewrites those files). Every case also checks: the exit code, no traceback, and
that the previous contents of build/ are untouched when the build fails.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURE_BANK, ROOT, copy_bank

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.stem for p in CORPUS.glob("*.yaml"))
QUESTION = "---\nid: {id}\ntags: [activation]\n---\n\n# {title}\n\n{body}\n"


def generated(kind: str, name: str) -> bytes:
    """Inputs that are easier to make than to commit."""
    stem = Path(name).stem.split("-", 1)[-1]
    if kind == "gbk":
        return QUESTION.format(id="softmax", title="介绍一下 softmax", body="答案。").encode("gbk")
    if kind == "bom":
        return b"\xef\xbb\xbf" + (FIXTURE_BANK / name).read_bytes()
    if kind == "crlf":
        return (FIXTURE_BANK / name).read_bytes().replace(b"\n", b"\r\n")
    if kind == "huge":
        return QUESTION.format(id=stem, title="大文件", body="答案。" * 1_200_000).encode()
    if kind == "long-line":
        return QUESTION.format(id=stem, title="很长的一行", body="a" * 1_000_000).encode()
    if kind == "nested":
        body = "\n".join("  " * depth + f"- 第 {depth} 层" for depth in range(60))
        return QUESTION.format(id=stem, title="嵌套列表", body=body).encode()
    raise ValueError(kind)


def prepare(case: dict[str, Any], work: Path) -> Path:
    source = copy_bank(FIXTURE_BANK, work / "source")
    for rel in case.get("delete") or []:
        (source / str(rel)).unlink()
    for rel, text in (case.get("write") or {}).items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(str(text), encoding="utf-8")
    for rel, kind in (case.get("generate") or {}).items():
        (source / rel).write_bytes(generated(str(kind), str(rel)))
    for rel, target in (case.get("symlink") or {}).items():
        (source / rel).symlink_to(str(target))
    return source


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".lock" not in p.name
    }


def diagnostic_lines(stderr: str) -> str:
    keep = [
        line
        for line in stderr.splitlines()
        if ": error: " in line or ": warning: " in line or line.startswith("  hint:")
    ]
    return "\n".join(keep) + "\n"


@pytest.mark.parametrize("name", CASES)
def test_case(name: str, tmp_path: Path) -> None:
    case = yaml.safe_load((CORPUS / f"{name}.yaml").read_text(encoding="utf-8"))
    prepare(case, tmp_path)
    build_dir = tmp_path / "build"
    (build_dir / "api" / "v1").mkdir(parents=True)
    (build_dir / "api" / "v1" / "index.json").write_text('{"previous": "good output"}\n')
    before = snapshot(build_dir)
    args = [str(a) for a in case.get("args", ["build", "--only", "api"])]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
    proc = subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    expected_exit = case.get("exit", 1)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == expected_exit, proc.stderr
    got = diagnostic_lines(proc.stderr)
    golden = CORPUS / f"{name}.expected"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8"), proc.stderr
    if expected_exit != 0:
        assert "error:" in got
        first = got.splitlines()[0]
        assert first.startswith(("source/", "command line")), "a diagnostic names its file"
        assert snapshot(build_dir) == before, "a failed build must not touch build/"
