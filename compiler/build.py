"""The orchestrator: phase one reads, validates and renders the whole bank; phase two runs the
backends. Nothing is written unless phase one is clean."""

from __future__ import annotations

import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler import nochange, state
from compiler.backends import BACKENDS, BuildContext
from compiler.backends.base import MathForm
from compiler.cache import Cache, key
from compiler.diagnostics import Diagnostic, Diagnostics
from compiler.filters import Filter, apply_filter
from compiler.fingerprint import code_version, fingerprint
from compiler.loader import load_bank
from compiler.lock import build_lock
from compiler.math.forms import bank_math
from compiler.math.mathml import MATHML_VERSION, mathml_for
from compiler.model import Bank
from compiler.output import StagedWrites, Written
from compiler.pandoc import pandoc_version
from compiler.progress import Progress
from compiler.render import render_bank
from compiler.timestamps import content_time

if TYPE_CHECKING:  # imported where used: a build of one backend, or with no SVG math, needs none
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from compiler.math.svg import SvgConversion


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


def compile_bank(
    source: Path,
    diags: Diagnostics,
    cache: Cache,
    progress: Progress,
    timestamp: int | None = None,
    backends: Sequence[str] = (),
) -> Bank | None:
    """Phase one: the rendered bank, or None when the source has errors. `backends`: those the
    build runs; the MathML they draw is made by the pandoc processes that render the HTML."""
    with progress.step("reading source"):
        bank = load_bank(source, diags, timestamp, cache)
    if bank is None:
        return None
    # Render even after errors in other files, so that one run reports every problem.
    with progress.step(f"rendering {len(bank.questions)} questions"):
        bank = render_bank(bank, diags, cache, with_mathml="mathml" in math_forms(bank, backends))
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
    flt = flt or Filter()
    names = only or BACKENDS.names()
    options = nochange.options_key(only, (flt.company, flt.tag, flt.chapter), strict)
    with build_lock(out):
        _sweep_temporaries(out)
        snap = nochange.snapshot(source, out, options)  # before reading: an edit meanwhile counts
        result, report = _build(source, out, names, flt, strict, progress, diags)
        if result.ok(strict) and report is not None:
            built = [name for name in names if name in result.written]
            outputs = [p for name in built for p in result.written[name]]
            nochange.remember(out, snap, *report, built, outputs)
        else:
            nochange.forget(out, options)
        return result


def _build(
    source: Path,
    out: Path,
    names: list[str],
    flt: Filter,
    strict: bool,
    progress: Progress,
    diags: Diagnostics,
) -> tuple[BuildResult, tuple[list[str], int] | None]:
    """Phase one, then the backends; also what phase one reported (None when it failed)."""
    cache = Cache(out / ".cache")
    times = content_time(source, state.content_times(out))
    bank = compile_bank(source, diags, cache, progress, times.timestamp, names)
    if bank is None or diags.failed(strict):
        return BuildResult(bank, diags), None
    bank = apply_filter(bank, flt, diags)
    if bank is None:
        return BuildResult(None, diags), None
    report = ([d.format() for d in diags], len(diags.warnings))  # what phase one says
    result = BuildResult(bank, diags)
    todo = []
    # once per backend: what it is checked against is what its outputs are recorded with
    prints = {name: fingerprint(BACKENDS[name], bank) for name in names}
    for name in names:
        outputs = state.up_to_date(out, name, bank.stem, prints[name])
        if outputs is None:
            todo.append(name)
        else:
            result.written[name] = outputs
            result.skipped.append(name)
    bank = _prepare_math(bank, todo, cache, progress)
    cache.flush()
    cache.close()  # the backend processes open their own
    removed = state.ids_gone(out, bank.stem, [q.id for q in bank.questions])
    for run in _run_backends(todo, bank, out, tuple(removed), progress):
        diags.extend(run.warnings)
        if run.error:
            result.failed.append(run.name)
            diags.error(
                diags.at(f"backend {run.name}"),
                f"build failed: {run.error}",
                "the previous outputs of this backend were kept\n" + run.detail.rstrip(),
            )
            continue
        state.record_outputs(out, run.name, bank.stem, prints[run.name], run.written, run.records)
        result.written[run.name] = run.written
        result.notes.extend(f"{run.name}: {n}" for n in run.notes)
    state.record_ids(out, bank.stem, [q.id for q in bank.questions])
    state.record_content_times(out, source, times.seen)
    if removed:
        result.notes += [
            f"{len(removed)} question(s) left the bank since the last build: {', '.join(removed)}",
            "add the ids to source/retired.yaml so that they are never given to another question",
        ]
    return result, report


def _prepare_math(bank: Bank, names: list[str], cache: Cache, progress: Progress) -> Bank:
    """Every form of math the backends about to run draw, made once for all of them: SVG into
    the cache (each distinct formula typeset once, on all cores), MathML into `bank.mathml`
    (most of it made while rendering)."""
    forms = math_forms(bank, names)
    maths = bank_math(bank) if forms else []
    if "svg" in forms:
        from compiler.math.svg import typeset_all

        with progress.step(f"typesetting {len(maths)} formulas"):
            typeset_all(maths, cache, conversions=svg_conversions(bank, names))
    if "mathml" in forms:
        with progress.step(f"converting {len(maths)} formulas to MathML"):
            bank = replace(
                bank,
                mathml=mathml_for(maths, cache, bank.mathml),
                mathml_by=key(MATHML_VERSION, pandoc_version()),
            )
    return replace(bank, mathml={}) if "mathml" not in forms else bank


def math_forms(bank: Bank, names: Sequence[str]) -> set[MathForm]:
    """The forms of math these backends draw, with the bank's options."""
    forms: set[MathForm] = set()
    for name in names:
        forms |= BACKENDS[name]().math_forms(backend_options(bank, name))
    return forms


def svg_conversions(bank: Bank, names: Sequence[str]) -> list[SvgConversion]:
    """What these backends make of each formula's SVG (those that say, by `svg_conversions`):
    made by the typesetting processes, once per formula."""
    found: list[SvgConversion] = []
    for name in names:
        backend = BACKENDS[name]()
        if hasattr(backend, "svg_conversions"):
            found.extend(backend.svg_conversions(backend_options(bank, name)))
    return found


def backend_options(bank: Bank, name: str) -> Any:
    """`outputs.<name>` of bank.yaml, or the backend's defaults when bank.yaml has no such table."""
    options = getattr(bank.config.outputs, name, None)
    return options if options is not None else BACKENDS[name].options()


@dataclass
class BackendRun:
    name: str
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    error: str = ""
    detail: str = ""
    records: dict[str, Written] = field(default_factory=dict)  # the outputs as written, by str(path)


def run_backend(name: str, bank: Bank, out: Path, removed: tuple[str, ...] = ()) -> BackendRun:
    """One backend, start to finish; a module-level function so a worker process can run it."""
    cache = Cache(out / ".cache")
    ctx = BuildContext(
        out_root=out,
        name=name,
        variant=bank.variant,
        cache=cache,
        options=backend_options(bank, name),
        removed_ids=removed,
        bank_file=bank.root / "bank.yaml",
        code=code_version(BACKENDS[name]),
        staged=StagedWrites(state.recorded_outputs(out, name, bank.stem)),
    )
    try:
        BACKENDS[name]().build(bank, ctx)
    except Exception as exc:  # a backend bug must not stop the other backends
        ctx.discard()
        return BackendRun(
            name,
            warnings=ctx.warnings,
            error=f"{type(exc).__name__}: {exc}",
            detail=traceback.format_exc(limit=-3),
        )
    ctx.commit()
    cache.flush()
    cache.close()
    return BackendRun(name, ctx.written, ctx.notes, ctx.warnings, records=ctx.staged.records)


def _run_backends(
    names: list[str], bank: Bank, out: Path, removed: tuple[str, ...], progress: Progress
) -> list[BackendRun]:
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
                runs.append(run_backend(name, bank, out, removed))
        return runs
    import multiprocessing
    from multiprocessing.connection import Connection, wait

    context = multiprocessing.get_context("fork")
    results: dict[str, BackendRun] = {}
    running: dict[Connection, tuple[str, BaseProcess]] = {}
    waiting = list(names)
    with progress.step(f"building {', '.join(names)} in {workers} processes"):
        while waiting or running:
            while waiting and len(running) < workers:
                name = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(name, bank, out, removed, sender), name=name)
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


def _worker(name: str, bank: Bank, out: Path, removed: tuple[str, ...], sender: Connection) -> None:
    sender.send(run_backend(name, bank, out, removed))
    sender.close()


def _sweep_temporaries(out: Path) -> None:
    """Remove temporary files an interrupted build left behind (never a finished output: those
    are only ever renamed into place)."""
    for tmp in out.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)
