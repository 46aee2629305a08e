"""tools/synth.py: synthetic banks are deterministic, realistic and check clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.synth import FIGURES, chapter_sizes, write_bank


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_n_gives_identical_bytes(tmp_path: Path) -> None:
    # Two processes, so that nothing (global random state, hash seeds) is shared between the runs.
    for name in ("a", "b"):
        subprocess.run([sys.executable, "tools/synth.py", "40", str(tmp_path / name)], cwd=ROOT, check=True)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a == b
    assert sum(1 for name in a if name.endswith(".md")) == 40


def test_a_question_does_not_depend_on_the_bank_size(tmp_path: Path) -> None:
    write_bank(5, tmp_path / "small")
    write_bank(12, tmp_path / "large")
    first = next((tmp_path / "small").glob("*/01-q00001-*.md"))
    same = next((tmp_path / "large").glob("*/01-q00001-*.md"))
    assert first.read_bytes() == same.read_bytes()


def test_output_checks_clean(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    write_bank(30, bank)
    result = subprocess.run(
        [sys.executable, "-m", "compiler", "--source", str(bank), "check", "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # One line, the summary: not a single warning or error before it.
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("30 questions") and lines[0].endswith("no problems")


def test_questions_use_every_feature(tmp_path: Path) -> None:
    write_bank(300, tmp_path)
    texts = [p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("*/*.md"))]
    # marker -> the share of questions that should have it (as in the real bank: most have math,
    # some a table, code or a figure).
    features = {
        "\n$$\n": (0.5, 0.95),
        "\\begin{aligned}": (0.03, 0.3),
        " $": (0.8, 1.0),
        "| --- |": (0.03, 0.3),
        "```python": (0.03, 0.3),
        "](../figures/": (0.03, 0.3),
        "\nformulas:\n": (0.2, 0.8),
        "\ncompany: [": (0.1, 0.5),
        "\nerrata:\n": (0.01, 0.2),
        "\n- **": (0.1, 0.5),
    }
    for marker, (low, high) in features.items():
        share = sum(marker in t for t in texts) / len(texts)
        assert low <= share <= high, f"{marker!r}: {share:.0%}"
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(FIGURES)
    for name in ("bank.yaml", "companies.yaml", "tags.yaml"):
        assert (tmp_path / name).read_bytes() == (ROOT / "source" / name).read_bytes()


@pytest.mark.parametrize(("n", "chapters"), [(1, 1), (30, 1), (51, 2), (500, 10), (10_000, 10)])
def test_chapters(n: int, chapters: int) -> None:
    sizes = chapter_sizes(n)
    assert len(sizes) == chapters
    assert sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_bank(3, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
