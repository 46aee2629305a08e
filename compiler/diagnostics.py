"""Compiler-style diagnostics: `path:line:col: error: message` plus a hint.

Every stage reports into one `Diagnostics` collection instead of raising, so one run shows
every problem of the bank.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.col <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    location: Location
    message: str
    hint: str = ""

    def format(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class Diagnostics:
    """An ordered collection of diagnostics, shared by every stage of a build."""

    def __init__(self, root: Path | None = None) -> None:
        self._items: list[Diagnostic] = []
        self._root = root
        self._relative: dict[str, str] = {}  # each path once: resolving one asks about every folder

    def relative(self, path: Path | str) -> str:
        """Paths are printed relative to the working directory when possible, like a compiler."""
        known = self._relative.get(str(path))
        if known is not None:
            return known
        p = Path(path)
        try:
            found = str(p.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            found = str(p)
        self._relative[str(path)] = found
        return found

    def at(self, path: Path | str, line: int = 0, col: int = 0) -> Location:
        return Location(self.relative(path), line, col)

    def error(self, location: Location, message: str, hint: str = "") -> None:
        self._items.append(Diagnostic(Severity.ERROR, location, message, hint))

    def warning(self, location: Location, message: str, hint: str = "") -> None:
        self._items.append(Diagnostic(Severity.WARNING, location, message, hint))

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self._items.extend(items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(self._items, key=lambda d: (d.location, d.message)))

    def __len__(self) -> int:
        return len(self._items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self if d.severity is Severity.WARNING]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest known spelling, or an empty string."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if not close:
        # Chinese names are short: a known name that contains the word (or the reverse) is close.
        close = [c for c in options if word and (word in c or c in word)][:1]
    return f"did you mean '{close[0]}'?" if close else ""
