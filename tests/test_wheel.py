"""The compiler as people who only want the compiler get it: a wheel installed into a fresh
virtualenv, used from a folder that has nothing of this repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from compiler import __version__
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    # from a copy: setuptools works in the project's build/ folder, which holds the outputs
    project = tmp_path_factory.mktemp("project") / "qbank"
    top = {"build", "tests", "source", "docs"}

    def skip(folder: str, names: list[str]) -> set[str]:
        here = Path(folder) == ROOT
        return {n for n in names if n.startswith(".") or n == "__pycache__" or (here and n in top)}

    shutil.copytree(ROOT, project, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(project)],
        check=True,
        capture_output=True,
    )
    (path,) = dist.glob("*.whl")
    return path


def test_the_wheel_carries_what_the_compiler_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("anki", "epub", "pdf", "site"):
        templates = sorted((ROOT / "templates" / folder).rglob("*"))
        for path in (p for p in templates if p.is_file()):
            assert f"compiler/templates/{path.relative_to(ROOT / 'templates').as_posix()}" in names
    assert "compiler/vocabulary/zh-CN.yaml" in names and "compiler/vocabulary/en.yaml" in names
    assert "schema/bank.schema.json" in names
    assert "compiler/skeleton/source/01-basics/01-softmax.md" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "qbank = compiler.cli:run" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_install_init_and_build_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=900)
    qbank = str(env_dir / "bin" / "qbank")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str, cwd: Path) -> str:
        result = subprocess.run([qbank, *args], cwd=cwd, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        return result.stdout + result.stderr

    assert run("--version", cwd=work).strip() == f"qbank {__version__}"
    run("init", "interview-bank", cwd=work)
    bank = work / "interview-bank"
    said = run("build", cwd=bank)
    assert "built pdf, epub, anki, api, site" in said
    out = bank / "build"
    assert (out / "anki" / "interview-bank.apkg").stat().st_size > 10_000
    assert (out / "epub" / "interview-bank.epub").is_file()
    assert (out / "pdf" / "interview-bank-cheatsheet.pdf").read_bytes().startswith(b"%PDF")
    assert "softmax" in (out / "site" / "q" / "softmax.html").read_text("utf-8")
    index = json.loads((out / "api" / "v1" / "index.json").read_text("utf-8"))
    assert [q["id"] for q in index["questions"]] == ["softmax"]
    run("check", "--strict", cwd=bank)
