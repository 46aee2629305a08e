#!/usr/bin/env python3
"""Benchmark the compiler as a user runs it: whole processes, cold and warm, per backend.

    python tools/bench.py [--runs N] [--quick] [--sizes real,500,2000,10000] [--backends ...]
    nox -s bench -- --quick

Banks: the real one, as a user has it: a git clone of this repository in build/bench/banks/real
(its source/ is the bank; the "one edit" build edits it without committing, so the content time
comes from git and the edit as it does for an author), the same clone with `outputs.epub.math:
mathml` committed (build/bench/banks/real-mathml: the EPUB like for like with `pandoc --mathml`),
and synthetic ones from tools/synth.py in build/bench/banks/synth-N, each a git repository of
one commit (generated once and reused while tools/synth.py is unchanged), so that their edits
are uncommitted too.

For every bank and output (`--only api`, `anki`, `pdf`, `epub`, and all backends together) one run
is three builds of `python -m compiler --source BANK build --out OUT --only X`:

- cold: into a fresh --out folder (empty caches);
- no change: again into the same folder, nothing touched;
- one edit: again, after appending a sentence to ONE question file, not committed;
- second edit (the real bank): again, after appending another sentence to the same file. The
  first edit of a day moves the date the PDF sheets' title blocks show (the clone's last commit
  is older), so the documents that show it are laid out again; a later edit that day is what an
  author pays most of the time. The file is restored afterwards.

Each build is timed as a whole process: wall time, CPU time (user + sys of the child and of the
processes it waited for, such as pandoc) and peak RSS, from os.wait4 on the child. The figures
shown are medians over --runs runs. The obvious alternative, pandoc on the bank's concatenated
Markdown (to EPUB, and to PDF with --pdf-engine=weasyprint), is timed on the same content.

The 10,000-question bank measures api, anki, epub and those three together, and the PDF sheets
in one cold build (thousands of pages take many minutes; what is judged there is the memory of
the largest process). `--backends` overrides this.

The benchmark reports and never fails: a backend that fails (NotImplementedError while it is being
written, a crash) is recorded as failed and the benchmark goes on. Results go to
build/bench/results.json; the log of every build is in build/bench/logs/.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pypandoc
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "bench"
SYNTH = ROOT / "tools" / "synth.py"
KNOWN_BACKENDS = ("api", "anki", "pdf", "epub")  # timed in this order, then any others registered
ALL = "all"
NOT_PDF = "api+anki+epub"  # the 10,000 target: these three outputs in one process
DEFAULT_SIZES = ("real", "500", "2000", "10000")
SCENARIOS = ("cold", "nochange", "oneedit", "secondedit")
EDITS = {"oneedit": 1, "secondedit": 2}  # scenario -> which edit of the file it builds
MEDIANS = ("wall_s", "cpu_s", "rss_mib", "tree_mib")
SCENARIO_TITLES = {"cold": "cold", "nochange": "no change", "oneedit": "one edit", "secondedit": "2nd edit"}
TIMEOUT_S = 3 * 3600  # a build that hangs is killed and recorded as failed
CHAPTER_DIR = re.compile(r"^\d+-[a-z0-9-]+$")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


@dataclass(frozen=True)
class Sample:
    """One process: what it cost and whether it worked."""

    wall_s: float
    cpu_s: float
    rss_mib: float  # ru_maxrss: the peak of the largest single process (the child or one it waited for)
    ok: bool
    error: str = ""  # the end of the log of a failed process
    tree_mib: float = 0.0  # peak of the memory of the whole process tree at once (sampled PSS)


@dataclass
class Series:
    """Runs of one measurement, summarised by their medians."""

    samples: list[Sample] = field(default_factory=list)
    skipped: str = ""  # why it was not measured

    def median(self, attr: str) -> float | None:
        values = [float(getattr(s, attr)) for s in self.samples]
        return statistics.median(values) if values else None

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "median": {a: self.median(a) for a in MEDIANS},
            "runs": [asdict(s) for s in self.samples],
        }


@dataclass(frozen=True)
class Bank:
    name: str  # "real" or "synth-500"
    path: Path
    questions: int

    @property
    def edit_file(self) -> Path:
        """The question file the "one edit" build changes: one in the middle of the bank."""
        files = question_files(self.path)
        return files[len(files) // 2]


@dataclass
class BankResult:
    bank: Bank
    builds: dict[str, dict[str, Series]] = field(default_factory=dict)  # output -> scenario -> series
    pandoc: dict[str, Series] = field(default_factory=dict)  # "epub" / "pdf" -> series

    def time(self, output: str, scenario: str = "cold", attr: str = "wall_s") -> float | None:
        """Median wall (or CPU) seconds of a build that worked; None if it failed or did not run."""
        series = self.builds.get(output, {}).get(scenario)
        return series.median(attr) if series and series.ok else None

    def ratio(self, fmt: str, attr: str = "wall_s") -> float | None:
        """Our cold build of one format over pandoc's, in wall (or CPU) time."""
        ours, theirs = self.time(fmt, attr=attr), self.pandoc.get(fmt)
        base = theirs.median(attr) if theirs and theirs.ok else None
        return ours / base if ours is not None and base else None

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": self.bank.questions,
            "path": str(self.bank.path.relative_to(ROOT)),
            "builds": {o: {s: v.to_json() for s, v in sc.items()} for o, sc in self.builds.items()},
            "pandoc": {f: v.to_json() for f, v in self.pandoc.items()},
            "ours_over_pandoc": {f: self.ratio(f) for f in ("epub", "pdf")},
        }


@dataclass(frozen=True)
class Target:
    """A performance goal, judged on wall time; `cpu` is the same figure from CPU times, which a
    busy machine disturbs much less."""

    what: str
    measured: float | None
    limit: float
    unit: str
    cpu: float | None = None

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "n/a"
        return "PASS" if self.measured <= self.limit else "FAIL"


# -- processes -------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The environment of every measured process: this interpreter's scripts (the weasyprint
    command that pandoc calls) first on PATH, also when run outside the nox virtualenv. Python
    writes its bytecode as it does on a user's machine, so that no run pays for compiling the
    compiler's modules again."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_measured(cmd: list[str], log: Path) -> Sample:
    """Run `cmd` to completion; its own rusage comes from os.wait4, not from this process's."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=child_env())
        timer = threading.Timer(TIMEOUT_S, proc.kill)
        timer.start()
        try:
            with TreeMemory(proc.pid) as memory:
                _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    ok = proc.returncode == 0
    return Sample(
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        rss_mib=round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        ok=ok,
        error="" if ok else failure_summary(log, proc.returncode),
        tree_mib=round(memory.peak_kib / 1024, 1),
    )


class TreeMemory:
    """Samples the memory of a process and all its descendants together. ru_maxrss is the peak of
    the largest single process, but backends run in parallel worker processes (and pandoc beside
    them) that hold memory at the same time. PSS, not RSS: forked workers share pages with their
    parent, and PSS counts a shared page once across them."""

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_kib = max(self.peak_kib, sum(memory_kib(p) for p in process_tree(self.pid)))


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc; a process that just ended is skipped)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return found


def memory_kib(pid: int) -> int:
    """PSS of one process in KiB (RSS where the kernel has no smaps_rollup), 0 once it is gone."""
    for name, field_name in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(field_name):
                return int(line.split()[1])
    return 0


def failure_summary(log: Path, code: int) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    for line in reversed(lines):
        if "build failed:" in line or line.startswith("failed backends:"):
            return line.strip()
    return (lines[-1].strip() if lines else "") or f"exit code {code}"


def compiler_cmd(bank: Path, out: Path, output: str) -> list[str]:
    cmd = [sys.executable, "-m", "compiler", "--source", str(bank), "build", "--out", str(out)]
    return cmd if output == ALL else [*cmd, "--only", output.replace("+", ",")]


# -- banks -----------------------------------------------------------------------------------


def question_files(bank: Path) -> list[Path]:
    return sorted(
        p for d in bank.iterdir() if d.is_dir() and CHAPTER_DIR.match(d.name) for p in d.glob("*.md")
    )


def real_bank(name: str = "real", epub_math: str = "") -> Bank:
    """source/ in a fresh git clone of HEAD: the "one edit" build edits the clone, never the real
    bank. With `epub_math`, bank.yaml's EPUB math is set to it and committed in the clone."""
    repo = WORK / "banks" / name
    shutil.rmtree(repo, ignore_errors=True)
    repo.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(repo)], check=True)
    dest = repo / "source"
    if epub_math:
        config = dest / "bank.yaml"
        text = config.read_text(encoding="utf-8")
        config.write_text(
            re.sub(r"^  epub: \{\}$", f"  epub: {{math: {epub_math}}}", text, flags=re.M), "utf-8"
        )
        author = ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
        subprocess.run(["git", *author, "commit", "-qam", f"EPUB math: {epub_math}"], cwd=repo, check=True)
    return Bank(name, dest, len(question_files(dest)))


def synthetic_bank(n: int, console: Console) -> Bank:
    """build/bench/banks/synth-N, generated unless present from the current tools/synth.py, and
    committed in a git repository of its own."""
    dest = WORK / "banks" / f"synth-{n}"
    stamp = dest.with_name(dest.name + ".stamp")
    want = f"{n} {hashlib.sha256(SYNTH.read_bytes()).hexdigest()} git\n"
    if not (dest.is_dir() and stamp.is_file() and stamp.read_text(encoding="utf-8") == want):
        console.print(f"generating a synthetic bank of {n} questions in {dest.relative_to(ROOT)}/")
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, str(SYNTH), str(n), str(tmp)], check=True)
        commit_all(tmp)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        stamp.write_text(want, encoding="utf-8")
    return Bank(f"synth-{n}", dest, len(question_files(dest)))


def commit_all(folder: Path) -> None:
    """`folder` as a git repository with everything in one commit, dated 2024-01-01 (the same
    bank, the same content time)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    }
    author = ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], [*author, "commit", "-qm", "synthetic bank"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True)


@contextmanager
def one_edit(path: Path, run: int, nth: int = 1) -> Iterator[None]:
    """Append a sentence to one question's answer, and put the file back as it was."""
    original = path.read_bytes()
    stat = path.stat()
    edit = f"基准测试编辑 {run}" + (f".{nth}" if nth > 1 else "")
    try:
        path.write_bytes(original.rstrip(b"\n") + f"\n\n{edit}：补充一句说明。\n".encode())
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# -- measurements ----------------------------------------------------------------------------


def scenarios_for(bank: Bank, output: str) -> tuple[str, ...]:
    """What is measured of one output: the second edit on the real bank (the author's loop the
    ratios are about), the PDF at 10,000 questions cold only (its target is memory)."""
    if bank.name == "synth-10000" and output == "pdf":
        return ("cold",)
    return SCENARIOS if bank.name == "real" else SCENARIOS[:3]


def measure_output(bank: Bank, output: str, runs: int, console: Console) -> dict[str, Series]:
    """Cold, no-change and edit builds of one output, `runs` times (one run for a cold-only
    measurement of many minutes)."""
    wanted = scenarios_for(bank, output)
    result = {s: Series() for s in wanted}
    out = WORK / "out" / f"{bank.name}-{output}"
    for run in range(1, (runs if len(wanted) > 1 else 1) + 1):
        shutil.rmtree(out, ignore_errors=True)
        logs = WORK / "logs" / f"{bank.name}-{output}-run{run}"
        with contextlib.ExitStack() as edits:  # the edits pile up, and are undone in reverse
            for scenario in wanted:
                if scenario in EDITS:
                    edits.enter_context(one_edit(bank.edit_file, run, EDITS[scenario]))
                sample = run_measured(compiler_cmd(bank.path, out, output), logs / f"{scenario}.log")
                result[scenario].samples.append(sample)
                console.print(
                    f"  {bank.name} {output:13} {SCENARIO_TITLES[scenario]:9} run {run}: {describe(sample)}"
                )
                if not sample.ok and output != ALL:
                    # A single backend that fails (not written yet, a bug) will fail again: go on.
                    for rest in wanted:
                        result[rest].skipped = result[rest].skipped or f"{output} failed: {sample.error}"
                    return result
    return result


def describe(sample: Sample) -> str:
    text = f"{sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU, {sample.rss_mib:.0f} MiB"
    text += f" (all processes {sample.tree_mib:.0f} MiB)"
    return text if sample.ok else f"FAILED ({sample.error}) after {text}"


def combined_markdown(bank: Path) -> str:
    """The bank as one Markdown document: chapters as H1, questions as H2, no front matter."""
    parts = []
    for chapter in sorted(d for d in bank.iterdir() if d.is_dir() and CHAPTER_DIR.match(d.name)):
        title = re.search(r"^title:\s*(.+)$", (chapter / "chapter.yaml").read_text(encoding="utf-8"), re.M)
        parts.append(f"# {title.group(1).strip() if title else chapter.name}\n")
        for path in sorted(chapter.glob("*.md")):
            body = FRONT_MATTER.sub("", path.read_text(encoding="utf-8"), count=1).strip("\n")
            body = re.sub(r"^# ", "## ", body, count=1)
            parts.append(body.replace("](../figures/", "](figures/") + "\n")
    return "\n".join(parts)


def pandoc_cmds(bank: Bank, folder: Path) -> dict[str, list[str]]:
    source = folder / "bank.md"
    common = [str(source), "--from", "markdown", "--resource-path", str(bank.path)]
    common += ["--metadata", f"title={bank.name}", "--metadata", "lang=zh-CN"]
    pandoc = pypandoc.get_pandoc_path()
    return {
        "epub": [pandoc, *common, "--mathml", "--output", str(folder / "bank.epub")],
        "pdf": [pandoc, *common, "--pdf-engine=weasyprint", "--output", str(folder / "bank.pdf")],
    }


def measure_pandoc(bank: Bank, formats: list[str], runs: int, console: Console) -> dict[str, Series]:
    folder = WORK / "pandoc" / bank.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bank.md").write_text(combined_markdown(bank.path), encoding="utf-8")
    result: dict[str, Series] = {}
    for fmt, cmd in pandoc_cmds(bank, folder).items():
        if fmt not in formats:
            continue
        result[fmt] = Series()
        for run in range(1, runs + 1):
            sample = run_measured(cmd, WORK / "logs" / f"{bank.name}-pandoc-{fmt}-run{run}.log")
            result[fmt].samples.append(sample)
            console.print(f"  {bank.name} pandoc->{fmt:8} run {run}: {describe(sample)}")
            if not sample.ok:
                break
    return result


def backends() -> list[str]:
    """The registered backends, as `python -m compiler backends` lists them (a backend added
    later, such as the site, is timed too)."""
    listing = subprocess.run(
        [sys.executable, "-m", "compiler", "backends"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    names = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
    return [b for b in KNOWN_BACKENDS if b in names or not names] + [
        b for b in names if b not in KNOWN_BACKENDS
    ]


def outputs_for(size: str, chosen: list[str] | None, names: list[str]) -> list[str]:
    if chosen:
        return chosen
    if size == "10000":
        return ["api", "anki", "epub", NOT_PDF, *(["pdf"] if "pdf" in names else [])]
    return [*names, ALL]


# -- report ----------------------------------------------------------------------------------


def targets(results: dict[str, BankResult]) -> list[Target]:
    """The performance goals, each with the measured value it is judged on."""
    real, s500, s2000, s10k = (results.get(k) for k in ("real", "synth-500", "synth-2000", "synth-10000"))
    found: list[Target] = []
    if real:
        found += [
            seconds("real bank: all outputs cold", real, ALL, "cold", 15),
            seconds("real bank: all outputs warm (one edit, PDF included)", real, ALL, "oneedit", 5),
            seconds("real bank: all outputs, no change", real, ALL, "nochange", 0.5),
        ]
        single = [o for o in real.builds if o not in (ALL, NOT_PDF, "pdf")]
        found += [seconds(f"real bank: {o} one edit", real, o, "oneedit", 2) for o in single]
    if s2000:
        rss, tree = (s2000.time(ALL, attr=a) for a in ("rss_mib", "tree_mib"))
        found += [
            seconds("2,000: all outputs cold", s2000, ALL, "cold", 180),
            Target("2,000: all outputs cold, peak RSS of one process", quotient(rss, 1024), 1.5, "GiB"),
            Target("2,000: all outputs cold, peak of all processes", quotient(tree, 1024), 1.5, "GiB"),
        ]
    if s500 and s2000:
        wall, cpu = (quotient(s2000.time(ALL, attr=a), s500.time(ALL, attr=a)) for a in ("wall_s", "cpu_s"))
        found.append(Target("t(2,000) / t(500), all outputs cold", wall, 4.5, "x", cpu))
    if s10k:
        found += [
            seconds("10,000: api + anki + epub cold", s10k, NOT_PDF, "cold", 60),
            seconds("10,000: api one uncommitted edit", s10k, "api", "oneedit", 3),
            seconds("10,000: anki one uncommitted edit", s10k, "anki", "oneedit", 3),
            seconds("10,000: api + anki + epub one uncommitted edit", s10k, NOT_PDF, "oneedit", 10),
        ]
        rss = s10k.time("pdf", attr="rss_mib")
        found.append(
            Target("10,000: PDF sheets cold, peak RSS of one process", quotient(rss, 1024), 2.5, "GiB")
        )
    found += ratios(results)
    for r in results.values():
        if not r.pandoc:
            continue
        name = r.bank.name
        found += [
            Target(f"{name}: EPUB / pandoc->EPUB", r.ratio("epub"), 1.0, "x", r.ratio("epub", "cpu_s")),
            Target(f"{name}: PDF sheets / pandoc->PDF", r.ratio("pdf"), 1.0, "x", r.ratio("pdf", "cpu_s")),
        ]
    return found


def pandoc_time(result: BankResult | None, fmt_name: str, attr: str = "wall_s") -> float | None:
    series = result.pandoc.get(fmt_name) if result else None
    return series.median(attr) if series and series.ok else None


def ratios(results: dict[str, BankResult]) -> list[Target]:
    """The five ratios of the author's loop and the cold builds, each to pandoc timed in the same
    run on the same content, and the edit ratio for a later edit the same day (no date to move)."""
    real, mathml = results.get("real"), results.get("real-mathml")
    if real is None:
        return []
    wanted = [
        ("nothing changed, all outputs / pandoc -> EPUB", real, ALL, "nochange", "epub", 0.5),
        ("one uncommitted edit, all outputs / pandoc -> PDF", real, ALL, "oneedit", "pdf", 0.5),
        ("the same, a second edit that day / pandoc -> PDF", real, ALL, "secondedit", "pdf", 0.5),
        ("cold EPUB, math: mathml / pandoc --mathml -> EPUB", mathml, "epub", "cold", "epub", 1.5),
        ("cold EPUB, SVG math / pandoc --mathml -> EPUB", real, "epub", "cold", "epub", 3.0),
        ("cold, all outputs / pandoc -> PDF", real, ALL, "cold", "pdf", 1.5),
    ]
    found = []
    for what, result, output, scenario, fmt_name, limit in wanted:
        wall, cpu = (
            quotient(
                result.time(output, scenario, attr) if result else None, pandoc_time(real, fmt_name, attr)
            )
            for attr in ("wall_s", "cpu_s")
        )
        found.append(Target(f"ratio: {what}", wall, limit, "x", cpu))
    return found


def seconds(what: str, result: BankResult, output: str, scenario: str, limit: float) -> Target:
    wall, cpu = (result.time(output, scenario, attr) for attr in ("wall_s", "cpu_s"))
    return Target(what, wall, limit, "s", cpu)


def quotient(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def bank_table(result: BankResult) -> Table:
    table = Table(title=f"{result.bank.name}: {result.bank.questions} questions (medians)")
    columns = ["output", "cold s", "cold CPU s", "cold RSS MiB", "cold tree MiB", "no change s"]
    columns += ["one edit s", "2nd edit s"]
    for name in (*columns, "vs pandoc"):
        table.add_column(name, justify="left" if name == "output" else "right")
    for output, scenarios in result.builds.items():
        cold = scenarios["cold"]
        cells = [fmt(cold.median(a), 0 if a.endswith("mib") else 2) for a in MEDIANS]
        cells += [
            fmt(scenarios[s].median("wall_s") if s in scenarios else None)
            for s in ("nochange", "oneedit", "secondedit")
        ]
        ratio = result.ratio(output)
        cells.append(f"{ratio:.2f}x" if ratio is not None else "")
        failed = next((s for sc in scenarios.values() for s in sc.samples if not s.ok), None)
        name = output + (" [red](FAILED)[/red]" if failed else "")
        table.add_row(name, *cells)
    for fmt_name, series in result.pandoc.items():
        name = f"pandoc -> {fmt_name}" + ("" if series.ok else " [red](FAILED)[/red]")
        table.add_row(name, *(fmt(series.median(a), 0 if a.endswith("mib") else 2) for a in MEDIANS))
    return table


def targets_table(found: list[Target]) -> Table:
    table = Table(title="targets (the benchmark reports, it does not fail)")
    for name in ("target", "measured", "limit", "result", "same from CPU time"):
        table.add_column(name, justify="left" if name == "target" else "right")
    colours = {"PASS": "green", "FAIL": "red", "n/a": "dim"}
    for t in found:
        verdict = f"[{colours[t.verdict]}]{t.verdict}[/{colours[t.verdict]}]"
        measured = "-" if t.measured is None else f"{fmt(t.measured)} {t.unit}"
        cpu = "" if t.cpu is None else f"{fmt(t.cpu)} {t.unit}"
        table.add_row(t.what, measured, f"{t.limit:g} {t.unit}", verdict, cpu)
    return table


def scaling_table(results: dict[str, BankResult]) -> Table | None:
    """Cold time of each output on a synthetic bank over the next smaller one (wall and CPU)."""
    synth = sorted(
        (r for r in results.values() if r.bank.name.startswith("synth-")), key=lambda r: r.bank.questions
    )
    pairs = list(itertools.pairwise(synth))
    if not pairs:
        return None
    table = Table(title="cold builds: t(larger bank) / t(smaller)")
    table.add_column("output")
    for small, large in pairs:
        table.add_column(f"{large.bank.questions}/{small.bank.questions} wall", justify="right")
        table.add_column(f"{large.bank.questions}/{small.bank.questions} CPU", justify="right")
    for output in dict.fromkeys(o for r in synth for o in r.builds):
        cells = []
        for small, large in pairs:
            for attr in ("wall_s", "cpu_s"):
                a, b = (r.time(output, attr=attr) for r in (small, large))
                cells.append(f"{b / a:.2f}x" if a and b else "-")
        table.add_row(output, *cells)
    return table


def failures(results: dict[str, BankResult]) -> list[str]:
    lines = []
    for result in results.values():
        for output, scenarios in result.builds.items():
            errors = {s.error for sc in scenarios.values() for s in sc.samples if not s.ok}
            lines += [f"{result.bank.name} {output}: {e}" for e in sorted(errors)]
        for fmt_name, series in result.pandoc.items():
            lines += [f"{result.bank.name} pandoc->{fmt_name}: {s.error}" for s in series.samples if not s.ok]
    return lines


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pandoc": pypandoc.get_pandoc_version(),
        "loadavg_at_start": list(os.getloadavg()),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--", "compiler", "templates")),
        "node": platform.node(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def git(*args: str) -> str:
    """What the compiler was measured at ('' outside git)."""
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def write_results(path: Path, meta: dict[str, Any], results: dict[str, BankResult]) -> None:
    found = targets(results)
    data = {
        **meta,
        "ratios": {
            t.what.removeprefix("ratio: "): {"wall": t.measured, "cpu": t.cpu, "target": t.limit}
            for t in ratios(results)
        },
        "banks": {name: r.to_json() for name, r in results.items()},
        "targets": [{**asdict(t), "verdict": t.verdict} for t in found],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, help="runs per measurement, medians reported (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 run, no 10,000 bank: a quick look")
    parser.add_argument("--sizes", help="comma-separated banks: real and/or synthetic sizes (default: all)")
    parser.add_argument(
        "--backends", help=f"comma-separated outputs to time: backend names, {ALL}, {NOT_PDF}"
    )
    parser.add_argument("--no-pandoc", action="store_true", help="do not time pandoc")
    parser.add_argument(
        "--results", type=Path, default=WORK / "results.json", help="where to write the results (JSON)"
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    sizes = (
        args.sizes.split(",")
        if args.sizes
        else [s for s in DEFAULT_SIZES if not (args.quick and s == "10000")]
    )
    args.sizes = [s.strip() for s in sizes if s.strip()]
    if any(s != "real" and not s.isdigit() for s in args.sizes):
        parser.error("--sizes takes 'real' and numbers of questions, e.g. real,500,2000")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()] if args.backends else None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 120)
    names = backends()
    unknown = [o for o in args.backends or [] if o not in (*names, ALL, NOT_PDF)]
    if unknown:
        console.print(f"unknown output(s): {', '.join(unknown)}; known: {', '.join([*names, ALL, NOT_PDF])}")
        return 2
    if shutil.which("weasyprint", path=child_env()["PATH"]) is None:
        console.print("[yellow]weasyprint is not on PATH: pandoc -> PDF will fail[/yellow]")
    meta = {"settings": {"runs": args.runs, "sizes": args.sizes, "quick": args.quick}, "machine": machine()}
    results: dict[str, BankResult] = {}
    for size in args.sizes:
        bank = real_bank() if size == "real" else synthetic_bank(int(size), console)
        console.print(f"[bold]{bank.name}[/bold]: {bank.questions} questions, {args.runs} run(s)")
        result = results[bank.name] = BankResult(bank)
        outputs = outputs_for(size, args.backends, names)
        for output in outputs:
            result.builds[output] = measure_output(bank, output, args.runs, console)
        if not args.no_pandoc:
            formats = [f for f in ("epub", "pdf") if any(o == ALL or f in o.split("+") for o in outputs)]
            if size == "10000":  # pandoc -> PDF of 2,500 pages takes longer than the rest of the bench
                formats = [f for f in formats if f != "pdf"]
            result.pandoc = measure_pandoc(bank, formats, args.runs, console)
        if size == "real" and (not args.backends or "epub" in args.backends):
            like = real_bank("real-mathml", epub_math="mathml")
            console.print(f"[bold]{like.name}[/bold]: the EPUB with MathML, {args.runs} run(s)")
            results[like.name] = BankResult(like, {"epub": measure_output(like, "epub", args.runs, console)})
        write_results(args.results, meta, results)  # after each bank: a long run keeps its results
    meta["machine"]["loadavg_at_end"] = list(os.getloadavg())
    write_results(args.results, meta, results)
    for result in results.values():
        console.print(bank_table(result))
    scaling = scaling_table(results)
    if scaling is not None:
        console.print(scaling)
    console.print(targets_table(targets(results)))
    for t in ratios(results):
        console.print(f"{t.what}: {fmt(t.measured)}x (CPU {fmt(t.cpu)}x), target <= {t.limit:g}x")
    for line in failures(results):
        console.print(f"[red]failed:[/red] {line}")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        console.print(
            f"[yellow]note: load average {load:.1f} on {os.cpu_count()} CPUs: wall times are noisy[/yellow]"
        )
    console.print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
