"""The backend contract, in one file.

A backend is a folder `compiler/backends/<name>/` whose `backend.py` holds one class:

    class ApiBackend:
        name = "api"                      # its outputs go to build/api/
        description = "..."               # one line for `backends` and `--only`'s help
        options = ApiOptions              # the Pydantic model of `outputs.api` in bank.yaml
        templates = "api"                 # its folder under templates/ (part of its fingerprint)

        def math_forms(self, options) -> frozenset[MathForm]: ...   # math it draws
        def build(self, bank, ctx) -> list[Path]: ...               # write through ctx.write

and one line in `compiler.registry.REGISTRY`. Phase one hands every backend a rendered, validated
bank: HTML for every question, every formula typeset as SVG when some backend asks for "svg"
(`compiler.math.svg`, cached), MathML in `bank.mathml` when some backend asks for "mathml", and
the reader-visible words in the bank's language (`bank.words`). A backend never starts pandoc and
never reads another backend's files. It reports what the author should fix with `ctx.warn`
(located, counted by `--strict`) and what the user should know with `ctx.note`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

from compiler.cache import Cache
from compiler.diagnostics import Diagnostic, Diagnostics
from compiler.model import Bank, Question
from compiler.output import StagedWrites
from compiler.paths import Resolver

MathForm = Literal["svg", "mathml"]


class OutputClash(Exception):
    """A backend tried to write a path it does not own, or one path twice."""


def output_folder(out_root: Path, name: str, variant: str = "") -> Path:
    """build/<name>/ for the whole bank; build/<name>-<variant>/ beside it for a targeted bank,
    so that publishing build/site/ or build/api/ never carries a targeted copy along."""
    return out_root / (f"{name}-{variant}" if variant else name)


@dataclass
class BuildContext:
    """Everything a backend may use besides the bank. Backends write only through `write`."""

    out_root: Path  # build/
    name: str  # the backend's name: its files go under out_root/name
    cache: Cache
    variant: str = ""  # a targeted bank's (company-x, tag-y ...): out_root/name-variant
    options: Any = None  # the backend's `options` model, from bank.yaml `outputs.<name>`
    removed_ids: tuple[str, ...] = ()  # questions that left the bank since the last build
    bank_file: Path = Path("bank.yaml")  # where a warning about the whole bank points
    # the code and templates the backend runs (`compiler.fingerprint.code_version`): part of the
    # key of every page it caches by what the page is made from
    code: str = ""
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    claimed: set[Path] = field(default_factory=set)
    staged: StagedWrites = field(default_factory=StagedWrites)
    _resolve: Resolver = field(default_factory=Resolver)
    diags: Diagnostics = field(default_factory=Diagnostics)

    @property
    def out_dir(self) -> Path:
        return output_folder(self.out_root, self.name, self.variant)

    @cached_property
    def _resolved_out_dir(self) -> Path:  # once: a site writes thousands of files
        return self.out_dir.resolve()

    def write(self, path: Path, data: bytes) -> Path:
        """Write one output; all of a backend's outputs are moved into place together when it
        has finished (`commit`). A backend owns build/<name>/ and writes each path once, so two
        writers can never interleave on one file."""
        resolved = self._resolve(path)
        if not resolved.is_relative_to(self._resolved_out_dir):
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
        """Something the user should know about the outputs (not a problem in the source)."""
        self.notes.append(message)

    def warn(self, message: str, question: Question | None = None, hint: str = "") -> None:
        """A problem the author can fix, at the question's heading (or at the bank): printed as
        `source/…/x.md:LINE: warning: …` and an error under `--strict`."""
        where = (
            self.diags.at(question.path, question.body_line) if question else self.diags.at(self.bank_file)
        )
        self.diags.warning(where, f"{self.name}: {message}", hint)

    @property
    def warnings(self) -> list[Diagnostic]:
        return list(self.diags)


class Backend(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    options: ClassVar[type[BaseModel]]
    templates: ClassVar[str]

    def math_forms(self, options: Any) -> frozenset[MathForm]:
        """The forms of math this backend draws; phase one prepares each of them."""
        ...

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]: ...
