"""The command line as users type it: `qbank` / `python -m compiler`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import __version__
from compiler.backends import REGISTRY
from compiler.cli import main
from tests.conftest import FIXTURE_BANK, copy_bank, git


def qbank(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=None,
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"qbank {__version__}"


def test_source_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--source", str(FIXTURE_BANK), "check"]) == 0
    assert main(["check", "--source", str(FIXTURE_BANK)]) == 0
    assert "no problems" in capsys.readouterr().err
    assert main(["check", "--source", str(FIXTURE_BANK / "nowhere")]) == 1


def test_every_command_has_a_description_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    commands = ["build", "check", "clean", "init", "new", "serve", "backends", "schema", "errata"]
    for command in commands:
        assert command in top
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "example:\n  qbank " + command in text, command
        assert text.split("\n\n")[1].strip().endswith("."), command  # the description
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert ", ".join(REGISTRY) in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("option", ["--company", "--tag", "--chapter"])
def test_a_filter_given_twice_is_refused(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    value = {"--company": "a", "--tag": "t", "--chapter": "1"}[option]
    with pytest.raises(SystemExit) as exit_:
        main(["build", option, value, option, value])
    assert exit_.value.code == 2
    assert f"{option} given twice" in capsys.readouterr().err


def test_quiet_prints_only_problems_and_verbose_every_step(tmp_path: Path) -> None:
    def build(*flags: str, out: str = "out") -> str:
        args = [*flags, "build", "--source", str(FIXTURE_BANK), "--only", "api", "--out", str(tmp_path / out)]
        result = qbank(*args)
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert build("-q") == ""
    normal = build(out="other")
    assert "reading source" not in normal and "built api" in normal
    assert "reading source" in build("-v", out="third")  # every step, with its time
    assert "up to date: api" in build("-v")  # nothing to do: says so


def test_clean_keeps_the_ids_seen(tmp_path: Path) -> None:
    """After `clean`, a question removed from the bank is still reported: the ids stay."""
    bank = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "out"
    assert main(["-q", "build", "--source", str(bank), "--out", str(out), "--only", "api,site"]) == 0
    ids = sorted(p.name for p in (out / ".state").glob("ids-*.json"))
    assert ids and (out / "site" / "index.html").is_file()
    assert main(["clean", "--out", str(out)]) == 0
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert left == [".lock", *(f".state/{name}" for name in ids)]
    removed = next(bank.rglob("02-*.md"))
    qid = removed.read_text("utf-8").split("id:", 1)[1].split()[0]
    removed.unlink()
    result = qbank("build", "--source", str(bank), "--out", str(out), "--only", "api")
    assert result.returncode == 0 and qid in result.stderr, result.stderr
    assert main(["clean", "--out", str(tmp_path / "never-built")]) == 0


def test_init_then_build_in_another_folder(tmp_path: Path) -> None:
    """`init` writes a bank that builds into every output with no warning, from its own folder."""
    made = qbank("init", str(tmp_path / "my-bank"), "--title", "My Bank")
    assert made.returncode == 0, made.stderr
    built = qbank("build", "--strict", cwd=tmp_path / "my-bank")
    assert built.returncode == 0, built.stderr
    out = tmp_path / "my-bank" / "build"
    assert (out / "anki" / "my-bank.apkg").is_file()
    assert (out / "epub" / "my-bank.epub").is_file()
    assert (out / "pdf" / "my-bank-cheatsheet.pdf").is_file()
    assert (out / "site" / "index.html").is_file()
    index = json.loads((out / "api" / "v1" / "index.json").read_text("utf-8"))
    assert index["title"] == "My Bank" and len(index["questions"]) == 1
    again = qbank("init", str(tmp_path / "my-bank"))
    assert again.returncode == 1 and "already holds a bank" in again.stderr
    unknown = qbank("init", str(tmp_path / "other"), "--language", "xx")
    assert unknown.returncode == 1 and "no vocabulary for language 'xx'" in unknown.stderr


def test_filtered_outputs_go_beside_the_full_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["-q", "build", "--source", str(FIXTURE_BANK), "--out", str(out), "--only", "site,api,anki"]
    assert main([*args, "--company", "海康威视"]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "anki-company-hikvision",
        "api-company-hikvision",
        "site-company-hikvision",
    ]


# ---- check --against REF ------------------------------------------------------------------------


OCCLUSIONS = """occlusions:
  - figure: ../figures/box.svg
    units: fraction
    shapes:
      - {id: o1, label: left, rect: [0.1, 0.1, 0.2, 0.2]}
      - {id: o2, label: right, rect: [0.6, 0.1, 0.2, 0.2]}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the fixture bank under source/ (a figure with two occlusion
    shapes added), one commit, tagged v1."""
    root = tmp_path / "repo"
    copy_bank(FIXTURE_BANK, root / "source")
    confusion = root / "source" / "01-basics" / "02-confusion.md"
    text = confusion.read_text("utf-8")
    confusion.write_text(text.replace("\n---\n", "\n" + OCCLUSIONS + "---\n", 1), "utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "bank")
    git(root, "tag", "v1")
    return root


def against(root: Path) -> subprocess.CompletedProcess[str]:
    return qbank("check", "--against", "v1", cwd=root)


def test_against_an_unchanged_ref_passes(repo: Path) -> None:
    result = against(repo)
    assert result.returncode == 0 and "against v1: no problems" in result.stderr, result.stderr


def _file_with(repo: Path, text: str) -> Path:
    return next(p for p in sorted((repo / "source").rglob("*.md")) if text in p.read_text("utf-8"))


def test_a_renamed_id_fails_at_its_line(repo: Path) -> None:
    path = _file_with(repo, "id: softmax")
    path.write_text(path.read_text("utf-8").replace("id: softmax", "id: softmax-function"), "utf-8")
    result = against(repo)
    assert result.returncode == 1
    rel = path.relative_to(repo).as_posix()
    line = path.read_text("utf-8").splitlines().index("id: softmax-function") + 1
    assert f"{rel}:{line}:1: error: id 'softmax-function' was 'softmax' at v1" in result.stderr
    assert "keep `id: softmax`" in result.stderr


def test_a_deleted_question_fails_until_it_is_retired(repo: Path) -> None:
    path = _file_with(repo, "id: softmax")
    path.unlink()
    result = against(repo)
    assert result.returncode == 1
    assert "source/retired.yaml:" in result.stderr and "question 'softmax'" in result.stderr
    assert "add 'softmax' to `retired:`" in result.stderr
    retired = repo / "source" / "retired.yaml"
    retired.write_text("retired: [softmax]\n", "utf-8")
    assert against(repo).returncode == 0


def test_a_dropped_key_point_fails_until_it_is_retired(repo: Path) -> None:
    path = _file_with(repo, "id: k2")
    # k2 rewritten as a new point k3: k2's card would be another fact's
    path.write_text(path.read_text("utf-8").replace("  - id: k2\n", "  - id: k3\n"), "utf-8")
    result = against(repo)
    assert result.returncode == 1
    rel = path.relative_to(repo).as_posix()
    line = path.read_text("utf-8").splitlines().index("key_points:") + 1
    assert f"{rel}:{line}:1: error: key point 'k2'" in result.stderr
    assert "retired_key_points" in result.stderr
    path.write_text(
        path.read_text("utf-8").replace("key_points:", "retired_key_points: [k2]\nkey_points:"), "utf-8"
    )
    assert against(repo).returncode == 0, against(repo).stderr


def test_a_renamed_formula_fails_until_it_keeps_its_id(repo: Path) -> None:
    path = _file_with(repo, "name: softmax")
    text = path.read_text("utf-8")
    path.write_text(text.replace("name: softmax", "name: softmax 函数"), "utf-8")
    result = against(repo)
    assert result.returncode == 1 and "formula 'softmax' of 'softmax'" in result.stderr
    path.write_text(text.replace("- name: softmax", "- id: softmax\n    name: softmax 函数"), "utf-8")
    assert against(repo).returncode == 0


def test_a_dropped_occlusion_shape_fails_until_it_is_retired(repo: Path) -> None:
    path = _file_with(repo, "figure: ../figures/box.svg")
    text = path.read_text("utf-8")
    dropped = text.replace("      - {id: o2, label: right, rect: [0.6, 0.1, 0.2, 0.2]}\n", "")
    path.write_text(dropped, "utf-8")
    result = against(repo)
    assert result.returncode == 1
    line = dropped.splitlines().index("occlusions:") + 1
    assert f"02-confusion.md:{line}:1: error: occlusion 'o2' of ../figures/box.svg" in result.stderr
    path.write_text(dropped.replace("    shapes:", "    retired: [o2]\n    shapes:"), "utf-8")
    assert against(repo).returncode == 0, against(repo).stderr


def test_an_unknown_ref_is_a_located_error(repo: Path) -> None:
    result = qbank("check", "--against", "no-such-branch", cwd=repo)
    assert result.returncode == 1
    assert "command line: error: --against no-such-branch" in result.stderr
    assert "Traceback" not in result.stderr
