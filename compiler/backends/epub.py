"""Epub backend (being written)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext
from compiler.model import Bank


class EpubBackend:
    name: ClassVar[str] = "epub"
    description: ClassVar[str] = "epub"

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        raise NotImplementedError
