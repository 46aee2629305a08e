"""`python -m compiler new`: a new question file with valid front matter, in the right place.

The file goes into the chapter's folder with the next `NN-` number; its id is fresh (never used by
another file, nor by a question that left the bank: ids are Anki note identities and URLs); the
front matter lists every field of the schema, the optional ones as comments with their meaning.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic.fields import FieldInfo

from compiler import state
from compiler.diagnostics import Diagnostics, did_you_mean
from compiler.loader import CHAPTER_DIR
from compiler.sourcefile import load_yaml, read_text
from compiler.vocabulary import Vocabulary, resolve, vocabulary
from schema.models import TAG_PATTERN, CompanyRegistry, QuestionMeta, TagRegistry, is_slug

_ID_LINE = re.compile(r"^id:\s*['\"]?([a-z0-9-]+)['\"]?\s*$", re.MULTILINE)
_TAG_LINE = re.compile(r"^tags:\s*\[([^\]]*)\]", re.MULTILINE)
_NUMBER = re.compile(r"^(\d+)-")
_WORD = re.compile(r"[A-Za-z0-9]+")
_PLAIN = re.compile(r"^[\w\u3400-\u9fff][\w\u3400-\u9fff /.()（）-]*$")
MAX_ID_WORDS = 6


class ScaffoldError(Exception):
    """A problem with the command's arguments; the message says how to fix it."""


@dataclass(frozen=True)
class NewQuestion:
    path: Path
    id: str
    notes: tuple[str, ...]


def new_question(
    source: Path,
    chapter: int,
    title: str,
    companies: list[str] | None = None,
    tags: list[str] | None = None,
    slug: str | None = None,
    difficulty: str | None = None,
    origin: str | None = None,
    retired_ids: set[str] | None = None,
) -> NewQuestion:
    """Write the file and return where; raises ScaffoldError before writing anything."""
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError("the title is empty: pass --title '问题？'")
    folder = _chapter_folder(source, chapter)
    notes: list[str] = []
    names = _companies(source, companies or [])
    chosen_tags = _tags(source, folder, tags or [], notes)
    if difficulty is not None and difficulty not in ("easy", "medium", "hard"):
        raise ScaffoldError(f"unknown difficulty '{difficulty}': use easy, medium or hard")
    taken = _used_ids(source) | (retired_ids or set())
    number, width = _next_number(folder)
    qid = _fresh_id(slug, title, folder, number, taken, notes)
    path = folder / f"{number:0{width}d}-{qid}.md"
    if path.exists():
        raise ScaffoldError(f"{path} already exists")
    values: dict[str, object] = {"id": qid, "tags": chosen_tags}
    if names:
        values["company"] = names
    if difficulty:
        values["difficulty"] = difficulty
    if origin:
        values["source"] = origin
    path.write_text(question_text(values, title, _words(source)), encoding="utf-8")
    return NewQuestion(path, qid, tuple(notes))


def _words(source: Path) -> Vocabulary:
    """The bank's vocabulary, read leniently: `new` works on a bank with errors elsewhere."""
    try:
        config = yaml.safe_load((source / "bank.yaml").read_text(encoding="utf-8"))
        language = str(config.get("language", "zh-CN"))
    except (OSError, yaml.YAMLError, AttributeError):
        language = "zh-CN"
    return vocabulary(language if resolve(language) else "zh-CN")


def question_text(values: dict[str, object], title: str, words: Vocabulary) -> str:
    """Front matter in the schema's field order (optional fields not given become comments that
    say what they are), then the question heading and a placeholder answer."""
    lines = ["---", "# yaml-language-server: $schema=../../schema/question.schema.json"]
    for name, info in QuestionMeta.model_fields.items():
        if name in values:
            lines.append(f"{name}: {_yaml_value(values[name])}")
        else:
            lines.extend(_commented(name, info, words))
    lines += ["---", "", f"# {title}", "", words["new.answer"], ""]
    return "\n".join(lines)


def _commented(name: str, info: FieldInfo, w: Vocabulary) -> list[str]:
    about = f"  # {info.description}" if info.description else ""
    examples = {
        "company": [f"# company: [{w['new.company']}]" + about],
        "formulas": [
            f"# formulas:{about}",
            f"#   - name: {w['new.formula_name']}",
            "#     tex: 'a^2 + b^2 = c^2'",
        ],
        "key_points": [
            f"# key_points:{about}",
            "#   - id: k1",
            f"#     text: '{w['new.key_point']}'",
        ],
        "retired_key_points": [],
        "difficulty": ["# difficulty: medium  # easy | medium | hard"],
        "source": [f"# source: {w['new.source']}" + about],
        "errata": [
            f"# errata:{about}",
            f"#   - was: {w['new.was']}",
            f"#     now: {w['new.now']}",
            f"#     why: {w['new.why']}",
        ],
    }
    return examples.get(name, [f"# {name}:{about}"])


def _yaml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(str(v)) for v in value) + "]"
    return _yaml_scalar(str(value))


def _yaml_scalar(text: str) -> str:
    """Plain when YAML reads it back as the same string, else a JSON string (valid YAML)."""
    if (
        _PLAIN.match(text)
        and text.strip() == text
        and text.lower() not in ("yes", "no", "true", "false", "null")
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _chapter_folder(source: Path, chapter: int) -> Path:
    folders = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        match = CHAPTER_DIR.match(folder.name)
        if match:
            folders[int(match.group(1))] = folder
    if chapter not in folders:
        known = ", ".join(f"{n} ({f.name})" for n, f in sorted(folders.items()))
        raise ScaffoldError(f"no chapter {chapter} in {source}: chapters are {known}")
    return folders[chapter]


def _registry(path: Path, model: type[CompanyRegistry] | type[TagRegistry]) -> CompanyRegistry | TagRegistry:
    diags = Diagnostics()
    text = read_text(path, diags)
    doc = load_yaml(text, path, 0, diags) if text is not None else None
    try:
        return model.model_validate(doc.data if doc else None)
    except ValueError as exc:
        raise ScaffoldError(f"{path} is not valid: run `python -m compiler check`") from exc


def _companies(source: Path, wanted: list[str]) -> list[str]:
    if not wanted:
        return []
    registry = _registry(source / "companies.yaml", CompanyRegistry)
    assert isinstance(registry, CompanyRegistry)
    table = {s.casefold(): c.name for c in registry.companies for s in (c.name, c.slug, *c.aliases)}
    names: list[str] = []
    for name in wanted:
        canonical = table.get(name.strip().casefold())
        if canonical is None:
            hint = (
                did_you_mean(name, [c.name for c in registry.companies]) or "add it to companies.yaml first"
            )
            raise ScaffoldError(f"unknown company '{name}': {hint}")
        if canonical not in names:
            names.append(canonical)
    return names


def _tags(source: Path, folder: Path, wanted: list[str], notes: list[str]) -> list[str]:
    registry = _registry(source / "tags.yaml", TagRegistry)
    assert isinstance(registry, TagRegistry)
    for tag in wanted:
        if not re.match(TAG_PATTERN, tag):
            raise ScaffoldError(f"'{tag}' is not a valid tag: lowercase slugs, '/' between levels")
        if tag.split("/")[0] not in registry.tags:
            hint = did_you_mean(tag.split("/")[0], registry.tags) or "the first segment must be in tags.yaml"
            raise ScaffoldError(f"unknown tag '{tag}': {hint}")
    if wanted:
        return list(dict.fromkeys(wanted))
    # No tag given: the chapter's most common topic, so the file checks clean at once.
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("*.md")):
        for match in _TAG_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            counts.update(
                t.strip().strip("'\"").split("/")[0] for t in match.group(1).split(",") if t.strip()
            )
    known = [t for t, _ in counts.most_common() if t in registry.tags]
    if not known:
        raise ScaffoldError(f"pass --tag: {folder.name} has no question to take a tag from")
    notes.append(f"tagged '{known[0]}' (the chapter's most common topic): change it with a more precise tag")
    return [known[0]]


def _used_ids(source: Path) -> set[str]:
    """Ids of every question file, read leniently: a broken file elsewhere still reserves its id."""
    ids: set[str] = set()
    for path in source.rglob("*.md"):
        ids.update(_ID_LINE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return ids


def _next_number(folder: Path) -> tuple[int, int]:
    numbers = [m for p in folder.glob("*.md") if (m := _NUMBER.match(p.name))]
    width = max([2, *(len(m.group(1)) for m in numbers)])
    return max([0, *(int(m.group(1)) for m in numbers)]) + 1, width


def _fresh_id(
    slug: str | None, title: str, folder: Path, number: int, taken: set[str], notes: list[str]
) -> str:
    if slug is not None:
        if not is_slug(slug):
            raise ScaffoldError(f"'{slug}' is not a valid id: lowercase letters a-z, digits and '-'")
        if slug in taken:
            raise ScaffoldError(f"id '{slug}' is already used (ids are never reused): choose another --slug")
        return slug
    words = [w.lower() for w in _WORD.findall(title)][:MAX_ID_WORDS]
    base = "-".join(words)
    if not words:
        base = f"{folder.name.split('-', 1)[1]}-{number}"
        notes.append(
            f"id '{base}' was made from the chapter: pass --slug for a readable id (ids never change)"
        )
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def main(args: argparse.Namespace) -> int:
    try:
        made = new_question(
            args.source,
            args.chapter,
            args.title,
            companies=args.company,
            tags=args.tag,
            slug=args.slug,
            difficulty=args.difficulty,
            origin=args.origin,
            retired_ids=state.ids_seen(args.out),
        )
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in made.notes:
        print(f"note: {note}", file=sys.stderr)
    print(made.path)
    return 0
