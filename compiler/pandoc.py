"""The one place the compiler starts pandoc: Markdown fragments in, HTML fragments out.

Fragments go to pandoc together, each wrapped in a fenced div with a unique id, and the HTML is
split at those ids afterwards: a build starts a few pandoc processes, however many fragments
there are (pandoc's start-up costs 30-50 ms, which per question would dominate). pandoc uses one
core, so a job worth it (at least `least` items per process) is cut into as many documents as
there are cores, converted at the same time; a larger job into documents of at most `BATCH`
fragments, as many at a time as there are cores: pandoc's Markdown reader takes more than linear
time in the size of a document (10,000 questions: 37.6 s as one document, 3.4 s for a fifth of it).

Only phase one calls this module; backends receive every form of the content they need.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TypeVar

# No footnotes: pandoc numbers them across the whole document and collects them at its end, so a
# question's note would depend on which other questions shared its batch. `mark`: ==spans== of
# key points (compiler.keypoints) become <mark>.
PANDOC_FROM = "markdown-raw_tex-auto_identifiers-implicit_figures-footnotes+tex_math_dollars+mark"
BATCH = 1000  # fragments per pandoc process (see the module's docstring)
_MARKER = re.compile(r'<div id="qbank-(\d+)-(title|answer|p\d+)">\n?(?:<!-- qbank -->\n?)?')

T = TypeVar("T")
R = TypeVar("R")

# Counts pandoc processes: tests assert that it does not grow with the bank, and that no
# backend starts one.
pandoc_calls = 0
_calls_lock = threading.Lock()


@cache
def pandoc_path() -> Path:
    """The binary pypandoc-binary ships, found without starting a process (pypandoc's own
    search runs `pandoc --version` for every candidate, and its conversion lists pandoc's
    formats first: three processes before the one that works); pypandoc's choice without it."""
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
        if bundled.is_file():
            return bundled
    import pypandoc

    return Path(pypandoc.get_pandoc_path())


@cache
def pandoc_version() -> str:
    """Identifies the pandoc binary for cache keys without starting it (`pandoc --version`
    would cost a process on every build): its path, size and modification time."""
    path = pandoc_path()
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def run_pandoc(markdown: str, args: list[str]) -> str:
    """pandoc's HTML of `markdown` (read as `PANDOC_FROM`): one process."""
    global pandoc_calls
    with _calls_lock:
        pandoc_calls += 1
    # Through files, not pipes: the thread that waits for pandoc then only waits (without the
    # GIL), instead of needing it for every chunk read while phase one checks TeX meanwhile.
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        given.write(markdown.encode("utf-8"))
        given.seek(0)
        done = subprocess.run(
            [str(pandoc_path()), f"--from={PANDOC_FROM}", "--to=html5", *args],
            stdin=given,
            stdout=out,
            stderr=err,
            check=False,
        )
        if done.returncode != 0:
            err.seek(0)
            message = err.read().decode("utf-8", errors="replace").strip()
            raise RuntimeError(f"pandoc ended with exit code {done.returncode}: {message}")
        out.seek(0)
        return out.read().decode("utf-8", errors="replace")


def in_batches(
    items: list[T],
    convert: Callable[[list[T]], R],
    least: int = BATCH,
    weight: Callable[[T], int] | None = None,
) -> list[R]:
    """`convert` applied to consecutive batches of at most `BATCH` items, several at a time (the
    work happens in pandoc processes: threads are enough to keep the cores busy). Up to `BATCH`
    items, one batch per core as long as each holds at least `least` items (what is worth a
    pandoc start-up), cut so that each has about the same `weight` (the size of its Markdown):
    the number of batches grows with the cores, not with the bank."""
    if not items:
        return []
    cores = os.cpu_count() or 1
    count = max(-(-len(items) // BATCH), min(cores, len(items) // max(least, 1)), 1)
    if weight is not None and len(items) <= BATCH:
        batches = _cut(items, count, [weight(item) for item in items])
    else:
        size = -(-len(items) // count)
        batches = [items[n : n + size] for n in range(0, len(items), size)]
    if len(batches) <= 1:
        return [convert(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        return list(pool.map(convert, batches))


def _cut(items: list[T], count: int, weights: list[int]) -> list[list[T]]:
    """`items` in `count` consecutive non-empty batches of about equal total weight."""
    total = max(sum(weights), 1)
    batches: list[list[T]] = [[]]
    done = 0
    for n, (item, w) in enumerate(zip(items, weights, strict=True)):
        left = len(items) - n  # this item and those after it
        wanted = count - len(batches)  # batches still to start after the current one
        if batches[-1] and wanted and (done + w / 2 > total * len(batches) / count or left == wanted):
            batches.append([])
        batches[-1].append(item)
        done += w
    return batches


def split_fragments(out: str) -> dict[tuple[int, str], str]:
    """pandoc's HTML of a batch, cut back into its fragments: (index, kind) -> HTML."""
    found: dict[tuple[int, str], str] = {}
    marks = list(_MARKER.finditer(out))
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(out)
        body = out[m.end() : end].rstrip()
        body = body.removesuffix("</div>").rstrip()
        found[(int(m.group(1)), m.group(2))] = body
    return found


def strip_paragraph(fragment: str) -> str:
    """An inline fragment without the one `<p>` pandoc wraps it in."""
    fragment = fragment.strip()
    if fragment.startswith("<p>") and fragment.endswith("</p>") and fragment.count("<p>") == 1:
        return fragment[3:-4]
    return fragment
