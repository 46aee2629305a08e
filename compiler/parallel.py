"""Work spread over the cores in forked processes, for the steps of a build that are pure Python
(typesetting formulas, laying out PDF documents, making EPUB chapters)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


def map_in_processes(fn: Callable[..., R], jobs: Sequence[tuple[Any, ...]], chunksize: int = 1) -> list[R]:
    """`fn(*job)` for every job, in order: in this process when one worker would do (one core, or
    no more than one chunk of jobs), otherwise in a pool of forked processes, one per core."""
    workers = _workers(jobs, chunksize)
    if workers <= 1:
        return [fn(*job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.starmap(fn, jobs, chunksize=chunksize)


def imap_in_processes(
    fn: Callable[..., R], jobs: Sequence[tuple[Any, ...]], chunksize: int = 1
) -> Iterator[R]:
    """`map_in_processes`, each result as soon as it and those before it are done: this process
    works on them while the others go on."""
    workers = _workers(jobs, chunksize)
    if workers <= 1:
        yield from (fn(*job) for job in jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_call, [(fn, job) for job in jobs], chunksize=chunksize)


def _call(fn_and_job: tuple[Callable[..., R], tuple[Any, ...]]) -> R:
    fn, job = fn_and_job
    return fn(*job)


def _workers(jobs: Sequence[tuple[Any, ...]], chunksize: int) -> int:
    """One process per core, and no more than there are chunks of jobs."""
    return min(os.cpu_count() or 1, -(-len(jobs) // chunksize))
