"""The orchestrator: phase one reads, validates and renders the whole bank; phase two runs the
backends. Nothing is written unless phase one is clean."""

from __future__ import annotations

import fcntl
import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from compiler.backends import BACKENDS, BuildContext
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.filters import Filter, apply_filter
from compiler.loader import load_bank
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
    unknown = [name for name in only or [] if name not in BACKENDS]
    for name in unknown:
        diags.error(diags.at("command line"), f"unknown backend '{name}'", f"backends: {', '.join(BACKENDS)}")
    if unknown:
        return BuildResult(None, diags)
    out.mkdir(parents=True, exist_ok=True)
    with _lock(out, progress):
        cache = Cache(out / ".cache")
        bank = compile_bank(source, diags, cache, progress)
        if bank is None or diags.failed(strict):
            return BuildResult(bank, diags)
        bank = apply_filter(bank, flt or Filter(), diags)
        if bank is None:
            return BuildResult(None, diags)
        cache.flush()
        result = BuildResult(bank, diags)
        claimed: set[Path] = set()
        for name in only or list(BACKENDS):
            ctx = BuildContext(out_root=out, name=name, cache=cache, claimed=claimed)
            with progress.step(f"{name}: building"):
                try:
                    BACKENDS[name]().build(bank, ctx)
                except Exception as exc:  # a backend bug must not stop the other backends
                    result.failed.append(name)
                    detail = traceback.format_exc(limit=-3)
                    diags.error(
                        diags.at(f"backend {name}"),
                        f"build failed: {type(exc).__name__}: {exc}",
                        "the previous outputs of this backend were kept\n" + detail.rstrip(),
                    )
                    continue
            cache.flush()
            _remove_stale(out, name, bank.stem, ctx.written)
            result.written[name] = ctx.written
            result.notes.extend(f"{name}: {n}" for n in ctx.notes)
        result.notes.extend(_removed_ids(out, bank))
        return result


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


def _state_file(out: Path, kind: str, name: str) -> Path:
    return out / ".state" / f"{kind}-{name}.json"


def _remove_stale(out: Path, backend: str, stem: str, written: list[Path]) -> None:
    """Delete what this backend wrote last time for this bank but not this time."""
    state = _state_file(out, backend, stem)
    now = sorted(str(p.relative_to(out)) for p in written)
    try:
        before = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = []
    for rel in set(before) - set(now):
        if isinstance(rel, str) and ".." not in Path(rel).parts:
            (out / rel).unlink(missing_ok=True)
    write_text_atomic(state, json.dumps(now, ensure_ascii=False, indent=0))


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
    ]
