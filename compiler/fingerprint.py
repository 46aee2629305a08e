"""What an output was built from: the compiler's own code and the bank's content.

A backend whose fingerprint and outputs are unchanged since the last build is skipped, so a
build with nothing changed writes nothing; a filtered output whose questions did not change
is not rebuilt when another question is edited.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from compiler.model import Bank

ROOT = Path(__file__).resolve().parent.parent


@cache
def code_version() -> str:
    """A hash of everything that decides what the compiler writes: its code and templates."""
    digest = hashlib.sha256()
    for folder, pattern in (("compiler", "*.py"), ("schema", "*.py"), ("templates", "*")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def bank_digest(bank: Bank) -> str:
    questions = [
        {
            "id": q.id,
            "chapter": q.chapter_slug,
            "number": q.number,
            "title": q.title,
            "answer": q.answer,
            "meta": q.meta.model_dump(mode="json"),
            "companies": [c.model_dump(mode="json") for c in q.companies],
            "html": [q.html.title_html, q.html.answer_html, *q.html.formulas_html],
        }
        for q in bank.questions
    ]
    content = {
        "config": bank.config.model_dump(mode="json"),
        "variant": bank.variant,
        "label": bank.filter_label,
        "timestamp": bank.timestamp,
        "chapters": [[c.slug, c.number, c.title] for c in bank.chapters],
        "companies": [c.model_dump(mode="json") for c in bank.companies],
        "tags": bank.tags,
        "questions": questions,
        "assets": {name: file_digest(a.path) for name, a in bank.assets.items()},
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(backend: str, bank: Bank) -> str:
    return hashlib.sha256(f"{code_version()}\0{backend}\0{bank_digest(bank)}".encode()).hexdigest()
