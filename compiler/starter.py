"""`qbank init DIR`: a new bank that `qbank build` turns into every output at once.

The skeleton under `compiler/skeleton/` (package data, so an installed wheel has it) holds one
chapter with one question that has a formula and key points; `bank.yaml` is written here from
the command's arguments, with the Anki GUID prefix set to the bank's own slug so that two banks
never share note identities.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from compiler.output import write_text_atomic
from compiler.vocabulary import CATALOGS

SKELETON = Path(__file__).resolve().parent / "skeleton"
GITIGNORE = "build/\n"


class InitError(Exception):
    """The target cannot take a new bank; the message says why and what to do."""


def slug_for(folder: Path) -> str:
    words = re.findall(r"[a-z0-9]+", folder.resolve().name.lower())
    return "-".join(words) or "question-bank"


def init_bank(target: Path, title: str | None = None, language: str = "en") -> list[Path]:
    """Write the skeleton into `target` (created if missing); returns the files written."""
    source = target / "source"
    if source.exists() and any(source.iterdir()):
        raise InitError(f"{source} already holds a bank: choose an empty folder")
    languages = sorted(p.stem for p in CATALOGS.glob("*.yaml"))
    if language not in languages:
        raise InitError(f"no vocabulary for language '{language}': use one of {', '.join(languages)}")
    slug = slug_for(target)
    config = {
        "title": title or slug.replace("-", " ").capitalize(),
        "slug": slug,
        "language": language,
        "author": "Your Name",
        "description": "A question bank compiled by qbank.",
        "outputs": {"api": {}, "anki": {"guid_namespace": slug}, "pdf": {}, "epub": {}},
    }
    written = [source / "bank.yaml"]
    write_text_atomic(
        written[0],
        "# The bank's settings. Each backend reads its own table under `outputs`.\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
    )
    for path in sorted(p for p in (SKELETON / "source").rglob("*") if p.is_file()):
        dest = source / path.relative_to(SKELETON / "source")
        write_text_atomic(dest, path.read_text(encoding="utf-8"))
        written.append(dest)
    ignore = target / ".gitignore"
    if not ignore.exists():
        write_text_atomic(ignore, GITIGNORE)
        written.append(ignore)
    return written
