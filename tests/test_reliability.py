"""Interrupted builds, concurrent builds and reproducibility, with every backend, as processes."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import FIXTURE_BANK, ROOT, copy_bank, git

KILLS = 24  # kills survived; the README's "Guarantees" quotes this number


def compiler(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "compiler", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def build_ok(source: Path, out: Path, env: dict[str, str] | None = None) -> None:
    proc = compiler("--source", str(source), "build", "--out", str(out), cwd=source.parent, env=env)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()


def wait_for_orphans(out: Path) -> None:
    """A killed build's backend processes finish their work and exit; they hold the build lock
    until then (the next build waits for them the same way)."""
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        fcntl.flock(handle, fcntl.LOCK_UN)


def outputs(out: Path) -> dict[str, str]:
    """Every finished output (not the cache, state or lock) -> its SHA-256."""
    result = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and not rel.parts[0].startswith(".") and not path.name.startswith("."):
            result[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def assert_complete(path: Path) -> None:
    """The file is a whole document of its kind."""
    data = path.read_bytes()
    if path.suffix in (".apkg", ".epub"):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
    elif path.suffix == ".pdf":
        assert data.rstrip().endswith(b"%%EOF")
        assert len(PdfReader(path).pages) >= 1
    elif path.suffix == ".json":
        json.loads(data)


def test_killed_builds_leave_old_or_new_outputs_never_partial(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "build"
    build_ok(source, out, {"SOURCE_DATE_EPOCH": "1700000000"})
    old = outputs(out)
    saved = tmp_path / "old-build"
    shutil.copytree(out, saved)
    # The new version: an edited answer and a newer content time change every output.
    edited = source / "01-basics" / "01-softmax.md"
    edited.write_text(edited.read_text("utf-8") + "\n补充：softmax 常与交叉熵一起使用。\n", "utf-8")
    new_env = {"SOURCE_DATE_EPOCH": "1800000000"}
    reference = tmp_path / "reference"
    build_ok(source, reference, new_env)
    new = outputs(reference)
    assert set(new) == set(old)
    assert sum(new[k] != old[k] for k in new) >= 6  # every kind of output changed

    rng = random.Random(1234)
    full = 0.0
    killed = 0
    for attempt in range(KILLS):
        # Every attempt starts from the old outputs, so the build has real work to do; every
        # third also from a cold cache.
        shutil.rmtree(out)
        shutil.copytree(saved, out)
        if attempt % 3 == 0:
            shutil.rmtree(out / ".cache", ignore_errors=True)
        start = time.perf_counter()
        proc = compiler("--source", str(source), "build", "--out", str(out), cwd=tmp_path, env=new_env)
        # Mostly within the time a full build takes, so that most attempts are interrupted.
        delay = rng.uniform(0.2, 0.9 * full if full else 3.0)
        try:
            proc.wait(timeout=delay)
            full = max(full, time.perf_counter() - start)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            killed += 1
        wait_for_orphans(out)
        now = outputs(out)
        for rel, digest in now.items():
            assert digest in (old.get(rel), new[rel]), f"kill {attempt}: {rel} is neither old nor new"
            assert_complete(out / rel)
    assert killed >= KILLS // 2, f"only {killed} of {KILLS} builds were interrupted"
    # After the interruptions, a build completes and leaves no temporary file behind.
    build_ok(source, out, new_env)
    assert outputs(out) == new
    assert not list(out.rglob(".*.tmp"))


def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path: Path) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    out = tmp_path / "build"
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    procs = [
        compiler("--source", str(source), "build", "--out", str(out), cwd=tmp_path, env=env) for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    reference = tmp_path / "reference"
    build_ok(source, reference, env)
    assert outputs(out) == outputs(reference)
    for rel in outputs(out):
        assert_complete(out / rel)


def test_outputs_are_identical_across_clones_timezones_locales_and_hash_seeds(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    copy_bank(FIXTURE_BANK, origin / "source")
    git(origin, "init", "-q", when=1_650_000_000)
    git(origin, "add", ".", when=1_650_000_000)
    git(origin, "commit", "-qm", "bank", when=1_650_000_000)
    results = []
    for n, (tz, lang, seed) in enumerate([("UTC", "C.UTF-8", "1"), ("Asia/Shanghai", "zh_CN.UTF-8", "999")]):
        clone = tmp_path / f"clone-{n}"
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        env = {"TZ": tz, "LANG": lang, "LC_ALL": lang, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": ""}
        build_ok(clone / "source", clone / "build", env)
        results.append(outputs(clone / "build"))
    assert results[0] == results[1]
    assert any(k.endswith(".apkg") for k in results[0]) and any(k.endswith(".pdf") for k in results[0])
    assert any(k.endswith(".epub") for k in results[0]) and any(k.endswith(".json") for k in results[0])
