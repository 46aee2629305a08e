"""The orchestrator: phase one reads, validates and renders the whole bank; phase two runs the
backends. Nothing is written unless phase one is clean."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from compiler.backends import BACKENDS, BuildContext
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter, apply_filter
from compiler.fingerprint import file_digest, fingerprint
from compiler.loader import load_bank
from compiler.mathsvg import bank_math, typeset_all
from compiler.model import Bank
from compiler.output import write_text_atomic
from compiler.progress import Progress
from compiler.render import render_bank


@dataclass
class BuildResult:
    bank: Bank | None
    diags: Diagnostics
    written: dict[str, list[Path]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # up to date: nothing to do
    notes: list[str] = field(default_factory=list)

    def ok(self, strict: bool = False) -> bool:
        return not self.diags.failed(strict) and not self.failed


def compile_bank(source: Path, diags: Diagnostics, cache: Cache, progress: Progress) -> Bank | None:
    """Phase one: the rendered bank, or None when the source has errors."""
    with progress.step("reading source"):
        bank = load_bank(source, diags)
    if bank is None:
        return None
    # Render even after errors in other files, so that one run reports every problem.
    with progress.step(f"rendering {len(bank.questions)} questions"):
        bank = render_bank(bank, diags, cache)
    return None if diags.errors else bank


def build(
    source: Path,
    out: Path,
    only: list[str] | None = None,
    flt: Filter | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    progress = progress or Progress(enabled=False)
    diags = Diagnostics()
    unknown = [name for name in only or [] if name not in BACKENDS.names()]
    for name in unknown:
        diags.error(
            diags.at("command line"), f"unknown backend '{name}'", f"backends: {', '.join(BACKENDS.names())}"
        )
    if unknown:
        return BuildResult(None, diags)
    out.mkdir(parents=True, exist_ok=True)
    with _lock(out, progress):
        _sweep_temporaries(out)
        cache = Cache(out / ".cache")
        bank = compile_bank(source, diags, cache, progress)
        if bank is None or diags.failed(strict):
            return BuildResult(bank, diags)
        bank = apply_filter(bank, flt or Filter(), diags)
        if bank is None:
            return BuildResult(None, diags)
        result = BuildResult(bank, diags)
        names = only or BACKENDS.names()
        todo = []
        for name in names:
            outputs = _up_to_date(out, name, bank)
            if outputs is None:
                todo.append(name)
            else:
                result.written[name] = outputs
                result.skipped.append(name)
        if any(BACKENDS[name]().draws_svg_math(bank) for name in todo):
            maths = bank_math(bank)
            with progress.step(f"typesetting {len(maths)} formulas"):
                typeset_all(maths, cache)
        cache.flush()
        cache.close()  # the backend processes open their own
        for run in _run_backends(todo, bank, out, progress):
            if run.error:
                result.failed.append(run.name)
                diags.error(
                    diags.at(f"backend {run.name}"),
                    f"build failed: {run.error}",
                    "the previous outputs of this backend were kept\n" + run.detail.rstrip(),
                )
                continue
            _record(out, run.name, bank, run.written)
            result.written[run.name] = run.written
            result.notes.extend(f"{run.name}: {n}" for n in run.notes)
        result.notes.extend(_removed_ids(out, bank))
        return result


@dataclass
class BackendRun:
    name: str
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    detail: str = ""


def run_backend(name: str, bank: Bank, out: Path) -> BackendRun:
    """One backend, start to finish; a module-level function so a worker process can run it."""
    cache = Cache(out / ".cache")
    ctx = BuildContext(out_root=out, name=name, cache=cache)
    try:
        BACKENDS[name]().build(bank, ctx)
    except Exception as exc:  # a backend bug must not stop the other backends
        ctx.discard()
        return BackendRun(name, error=f"{type(exc).__name__}: {exc}", detail=traceback.format_exc(limit=-3))
    ctx.commit()
    cache.flush()
    cache.close()
    return BackendRun(name, ctx.written, ctx.notes)


def _run_backends(names: list[str], bank: Bank, out: Path, progress: Progress) -> list[BackendRun]:
    """Backends are independent: with several to run, they run in parallel processes (each
    output is still produced by one process, so no byte depends on the scheduling).

    One process per backend, which exits when its backend is done: if the build is killed, a
    worker finishes its (atomic) writes and ends, holding the build lock until then, so the
    next build waits for it instead of racing it."""
    workers = min(len(names), os.cpu_count() or 1)
    if workers <= 1:
        runs = []
        for name in names:
            with progress.step(f"{name}: building"):
                runs.append(run_backend(name, bank, out))
        return runs
    context = multiprocessing.get_context("fork")
    results: dict[str, BackendRun] = {}
    running: dict[Connection, tuple[str, BaseProcess]] = {}
    waiting = list(names)
    with progress.step(f"building {', '.join(names)} in {workers} processes"):
        while waiting or running:
            while waiting and len(running) < workers:
                name = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(name, bank, out, sender), name=name)
                process.start()
                sender.close()
                running[receiver] = (name, process)
            for ready in wait(list(running)):
                assert isinstance(ready, Connection)
                name, finished = running.pop(ready)
                try:
                    results[name] = ready.recv()
                except EOFError:  # the worker died without an answer
                    results[name] = BackendRun(name, error=f"worker process ended with {finished.exitcode}")
                finished.join()
                ready.close()
    return [results[name] for name in names]


def _worker(name: str, bank: Bank, out: Path, sender: Connection) -> None:
    sender.send(run_backend(name, bank, out))
    sender.close()


@contextmanager
def _lock(out: Path, progress: Progress) -> Iterator[None]:
    """One build at a time per output folder: a second one waits instead of interleaving."""
    with open(out / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.message(f"waiting for another build to finish with {out}/ ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sweep_temporaries(out: Path) -> None:
    """Remove temporary files an interrupted build left behind (never a finished output: those
    are only ever renamed into place)."""
    for tmp in out.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def _state_file(out: Path, kind: str, name: str) -> Path:
    return out / ".state" / f"{kind}-{name}.json"


def _up_to_date(out: Path, backend: str, bank: Bank) -> list[Path] | None:
    """The outputs of the last build when nothing they depend on changed and none was
    touched since; None when the backend must run."""
    try:
        state = json.loads(_state_file(out, backend, bank.stem).read_text(encoding="utf-8"))
        if state["fingerprint"] != fingerprint(backend, bank):
            return None
        outputs = [out / rel for rel in state["outputs"]]
        for path, digest in zip(outputs, state["outputs"].values(), strict=True):
            if file_digest(path) != digest:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return outputs


def _record(out: Path, backend: str, bank: Bank, written: list[Path]) -> None:
    """Remember what this backend wrote and from what; delete what it wrote last time for this
    bank but not this time (a removed question's page)."""
    state_path = _state_file(out, backend, bank.stem)
    now = {str(p.relative_to(out)): file_digest(p) for p in sorted(written)}
    try:
        before = json.loads(state_path.read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError, AttributeError):
        before = {}
    for rel in set(before) - set(now):
        if isinstance(rel, str) and ".." not in Path(rel).parts:
            (out / rel).unlink(missing_ok=True)
    state = {"fingerprint": fingerprint(backend, bank), "outputs": now}
    write_text_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=0, sort_keys=True))


def _removed_ids(out: Path, bank: Bank) -> list[str]:
    """Anki does not delete notes on import: name the questions that left the bank."""
    state = _state_file(out, "ids", bank.stem)
    ids = [q.id for q in bank.questions]
    try:
        before = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = []
    gone = [i for i in before if isinstance(i, str) and i not in set(ids)]
    write_text_atomic(state, json.dumps(ids, ensure_ascii=False, indent=0))
    if not gone:
        return []
    search = " or ".join(f'"Id:{i}"' for i in gone)
    return [
        f"{len(gone)} question(s) left the bank since the last build: {', '.join(gone)}",
        f"Anki keeps their notes; find them with the search: {search}",
        "add the ids to source/retired.yaml so that they are never given to another question",
    ]
