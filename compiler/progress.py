"""Progress display for the build steps: rich on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a step is shown: a quiet build does not pay for it
    from rich.console import Console


class Progress:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True)

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        start = time.perf_counter()
        with self.console.status(what):
            yield
        self.console.print(f"[green]✓[/green] {what} [dim]({time.perf_counter() - start:.2f} s)[/dim]")

    def message(self, text: str) -> None:
        print(text, file=sys.stderr)
