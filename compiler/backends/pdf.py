"""Pdf backend (being written)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from compiler.backends.base import BuildContext
from compiler.model import Bank


class PdfBackend:
    name: ClassVar[str] = "pdf"
    description: ClassVar[str] = "pdf"

    def build(self, bank: Bank, ctx: BuildContext) -> list[Path]:
        raise NotImplementedError
