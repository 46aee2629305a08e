"""What a backend is: a `name` and a `build(bank, ctx)` that returns the files it wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from compiler.cache import Cache
from compiler.model import Bank
from compiler.output import StagedWrites


class OutputClash(Exception):
    """A backend tried to write a path it does not own, or one path twice."""


@dataclass
class BuildContext:
    """Everything a backend may use besides the bank. Backends write only through `write`."""

    out_root: Path  # build/
    name: str  # the backend's name: its files go under out_root/name
    cache: Cache
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    claimed: set[Path] = field(default_factory=set)
    staged: StagedWrites = field(default_factory=StagedWrites)

    @property
    def out_dir(self) -> Path:
        return self.out_root / self.name

    def write(self, path: Path, data: bytes) -> Path:
        """Write one output; all of a backend's outputs are moved into place together when it
        has finished (`commit`). A backend owns build/<name>/ and writes each path once, so two
        writers can never interleave on one file."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.out_dir.resolve()):
            raise OutputClash(f"{self.name} may not write {path}: outside {self.out_dir}")
        if resolved in self.claimed:
            raise OutputClash(f"two outputs claim {path}")
        self.claimed.add(resolved)
        self.staged.stage(path, data)
        self.written.append(path)
        return path

    def commit(self) -> None:
        self.staged.commit()

    def discard(self) -> None:
        self.staged.discard()

    def note(self, message: str) -> None:
        self.notes.append(message)


class Backend(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]: ...

    def draws_svg_math(self, bank: Bank) -> bool:
        """Whether this backend draws formulas as SVG: those are typeset before the backends run."""
        ...
