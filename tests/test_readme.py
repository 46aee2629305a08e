"""The README's commands, run as it shows them: right after the set-up, in a folder holding the
real bank, `qbank` from the environment the set-up made."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REAL_BANK, ROOT

README = (ROOT / "README.md").read_text("utf-8")


def shown(command: str) -> list[list[str]]:
    """The README's lines that start with `qbank <command>`, as argument lists."""
    lines: list[str] = re.findall(rf"^(qbank {command}\b[^#\n]*)", README, re.MULTILINE)
    return [shlex.split(line) for line in dict.fromkeys(line.strip() for line in lines)]


def test_the_first_commands_after_the_set_up(tmp_path: Path) -> None:
    shutil.copytree(REAL_BANK, tmp_path / "source")
    qbank = str(Path(sys.executable).parent / "qbank")
    commands = [*shown("check")[:1], *(c for c in shown("build") if "--company" in c), *shown("new")]
    assert [c[1] for c in commands] == ["check", "build", "new"], commands
    chapter = tmp_path / "source" / "03-deep-learning"
    before = len(list(chapter.glob("*.md")))
    for args in commands:
        result = subprocess.run([qbank, *args[1:]], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert len(list(chapter.glob("*.md"))) == before + 1  # `new` wrote one question file
    built = sorted(p.name for p in (tmp_path / "build").iterdir() if not p.name.startswith("."))
    assert built == [f"{name}-company-tencent-youtu" for name in ("anki", "api", "epub", "pdf", "site")]
