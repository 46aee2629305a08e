"""What a backend's outputs were built from: the code and templates it runs, and the content.

A backend whose fingerprint and outputs are unchanged since the last build is skipped, so a
build with nothing changed writes nothing, and an edit to `templates/site/` or to
`outputs.pdf` re-runs that one backend. A filtered output whose questions did not change is
not rebuilt when another question is edited.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

from compiler.backends.base import Backend
from compiler.model import Bank, Question
from compiler.templating import TEMPLATES

ROOT = Path(__file__).resolve().parent.parent
_BACKENDS = ROOT / "compiler" / "backends"
# (path, size, mtime) -> digest: a long-running `serve` sees edited templates without being told
_digests: dict[tuple[Path, int, int], bytes] = {}


def _digest(path: Path) -> bytes:
    stat = path.stat()
    k = (path, stat.st_size, stat.st_mtime_ns)
    if k not in _digests:
        _digests[k] = hashlib.sha256(path.read_bytes()).digest()
    return _digests[k]


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def files_of(backend: type[Backend]) -> list[Path]:
    """Everything that decides what `backend` writes: the shared code, its own package and its
    templates; the other backends' code and templates are not among them."""
    module = Path(inspect.getfile(backend)).resolve()
    # a backend is a folder whose entry is backend.py (compiler/backends/<name>/), or one module
    own_code = _files(module.parent, "*.py") if module.name == "backend.py" else [module]
    code, schema = (
        [p for p in shared_files() if p.is_relative_to(ROOT / "compiler")],
        _files(ROOT / "schema", "*.py"),
    )
    words = _files(ROOT / "compiler" / "vocabulary", "*.yaml")
    files = [*code, *words, *own_code, *schema, *_files(TEMPLATES / backend.templates)]
    return list(dict.fromkeys(files))


def shared_files() -> list[Path]:
    """The code every backend runs: compiler/ but the backends' own packages, and schema/."""
    shared = [
        p
        for p in [*_files(ROOT / "compiler", "*.py"), *_files(ROOT / "compiler", "*.lua")]
        if not (p.parent != _BACKENDS and p.is_relative_to(_BACKENDS))
    ]
    return [*shared, *_files(ROOT / "schema", "*.py")]


def shared_code_version() -> str:
    """What phase one's results depend on besides the source: its code (cached results of
    phase one are keyed by it, so an edit to the compiler never reuses a stale one)."""
    return _version(shared_files())


def _version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        digest.update(_digest(path))
    return digest.hexdigest()


def code_version(backend: type[Backend]) -> str:
    return _version(files_of(backend))


def question_content(q: Question) -> dict[str, object]:
    """Everything of one question an output can show, as JSON values: one rule for what a
    change to a question is (the fingerprints here, the pages the backends cache)."""
    return {
        "id": q.id,
        "chapter": q.chapter_slug,
        "number": q.number,
        "title": q.title,
        "answer": q.answer,
        "meta": q.meta.model_dump(mode="json"),
        "companies": [c.model_dump(mode="json") for c in q.companies],
        "html": [q.html.title_html, q.html.answer_html, *q.html.formulas_html, *q.html.key_points_html],
    }


_DIGEST = "_content_digest"  # where `question_digest` keeps a question's, in its __dict__


def question_digest(q: Question) -> str:
    """A hash of `question_content(q)`, made once per question object: every backend's
    fingerprint and every page a backend caches name the question by it, and a question object
    never changes (a frozen dataclass: a changed question is a new object, without the hash)."""
    digest = q.__dict__.get(_DIGEST)
    if digest is None:
        text = json.dumps(question_content(q), ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        q.__dict__[_DIGEST] = digest  # past the frozen dataclass's __setattr__, as cached_property
    return str(digest)


def bank_digest(bank: Bank, backend: str) -> str:
    """The content `backend` reads: every question, and of `outputs` its own options only."""
    questions = [question_digest(q) for q in bank.questions]
    config = bank.config.model_dump(mode="json")
    # its own options, and where the site is: every output links its questions there
    config["outputs"] = {"own": config["outputs"].get(backend), "site_url": bank.config.outputs.site.base_url}
    content = {
        "config": config,
        "variant": bank.variant,
        "label": bank.filter_label,
        "timestamp": bank.timestamp,
        "chapters": [[c.slug, c.number, c.title] for c in bank.chapters],
        "companies": [c.model_dump(mode="json") for c in bank.companies],
        "tags": bank.tags,
        "questions": questions,
        "assets": {name: _digest(a.path).hex() for name, a in bank.assets.items()},
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def fingerprint(backend: type[Backend], bank: Bank) -> str:
    return hashlib.sha256(
        f"{code_version(backend)}\0{backend.name}\0{bank_digest(bank, backend.name)}".encode()
    ).hexdigest()
