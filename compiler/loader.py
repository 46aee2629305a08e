"""Phase one, reading: the source tree -> a validated (not yet rendered) `Bank`.

Every problem becomes a diagnostic; nothing here raises for a user mistake.

A question file read without any diagnostic (and without occlusions, which read its figures) is
remembered, by its bytes, where it is and what it was checked against (the registries, the
code): the next build takes it from the cache instead of parsing and validating it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

import pydantic
from pydantic import BaseModel, ValidationError

from compiler.cache import Cache, value_key
from compiler.diagnostics import Diagnostics, Location, did_you_mean
from compiler.fingerprint import shared_code_version
from compiler.identities import formula_keys
from compiler.keypoints import MAX_POINTS, MIN_POINTS, card_number, problems
from compiler.markup import MARKDOWN_IMAGE
from compiler.model import Bank, Chapter, Question
from compiler.occlusions import Figure, Size, figure_size, normalised, outside
from compiler.occlusions import card_number as shape_number
from compiler.sourcefile import YamlDoc, child, load_yaml, read_text, scalars, split_front_matter, validate
from compiler.timestamps import content_timestamp
from compiler.vocabulary import available, resolve
from schema.models import (
    BankConfig,
    ChapterMeta,
    Company,
    CompanyRegistry,
    Formula,
    NotationRule,
    NotationRules,
    Occlusions,
    QuestionMeta,
    RetiredIds,
    TagRegistry,
)

CHAPTER_DIR = re.compile(r"^(\d+)-[a-z0-9]+(?:-[a-z0-9]+)*$")
# Raw HTML that the sanitiser would strip: an author should know their text will not show.
DANGEROUS_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|style|form|input|link|meta|base)\b"
    r"|<[a-z][^>]*\s(on[a-z]+)\s*="
    r"|(javascript|vbscript)\s*:",
    re.IGNORECASE,
)
M = TypeVar("M", bound=BaseModel)
LOADED_CACHE = "question-loaded"  # a question file read and checked, by its bytes and context


def load_bank(
    root: Path, diags: Diagnostics, timestamp: int | None = None, cache: Cache | None = None
) -> Bank | None:
    """Read and validate everything under `root`; None when the bank cannot even be assembled.
    `timestamp` is the content time when the caller knows it (`compiler.timestamps`); with a
    `cache`, question files read before are taken from it."""
    if not root.is_dir():
        diags.error(diags.at(root), "source folder does not exist", "run from the repository root")
        return None
    config = _load_model(root / "bank.yaml", BankConfig, diags, "bank.yaml")
    registry = _load_model(root / "companies.yaml", CompanyRegistry, diags, "companies.yaml")
    tags = _load_model(root / "tags.yaml", TagRegistry, diags, "tags.yaml")
    companies = tuple(registry.companies) if registry else ()
    # A broken registry is reported once, at the registry, not as an unknown company per question.
    aliases = _company_aliases(companies, root / "companies.yaml", diags) if registry else None

    remembered = (
        _Remembered(cache, root, companies) if cache is not None and aliases is not None and tags else None
    )
    chapters: list[Chapter] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        match = CHAPTER_DIR.match(folder.name)
        if not match:
            continue  # figures/ and other asset folders
        meta = _load_model(folder / "chapter.yaml", ChapterMeta, diags, "chapter.yaml")
        questions = []
        paths = sorted(folder.glob("*.md"))
        known = remembered.look_up(paths, folder.name) if remembered else {}
        for number, path in enumerate(paths, start=1):
            q = known.get(path)
            if q is None:
                reported = len(diags)
                q = _load_question(path, folder.name, number, aliases, tags, diags)
                if q and remembered and len(diags) == reported:
                    remembered.keep(q)
            if q:
                questions.append(q)
        if meta:
            chapters.append(Chapter(folder.name, int(match.group(1)), meta.title, folder, tuple(questions)))
    if not chapters and config:
        diags.error(
            diags.at(root), "no chapters found", "add a folder such as source/01-basics/ with chapter.yaml"
        )
    _check_unique_ids([q for c in chapters for q in c.questions], diags)
    if (root / "retired.yaml").exists():
        retired = _load_model(root / "retired.yaml", RetiredIds, diags, "retired.yaml")
        _check_not_retired([q for c in chapters for q in c.questions], retired, diags)
        listed = retired.retired if retired else []
        for i, rid in enumerate(listed):
            if rid in listed[:i]:
                diags.error(
                    _registry_location(root / "retired.yaml", ("retired", i), diags),
                    f"'{rid}' is listed twice in retired.yaml",
                    "list each removed id once",
                )
    notation = _load_notation(root / "notation.yaml", diags)
    if config and resolve(config.language) is None:
        _unknown_language(root / "bank.yaml", config.language, diags)
        return None
    if not (config and registry and tags):
        return None
    return Bank(
        config=config,
        root=root,
        chapters=tuple(chapters),
        companies=companies,
        tags=dict(tags.tags),
        timestamp=content_timestamp(root) if timestamp is None else timestamp,
        notation=notation,
    )


class _Remembered:
    """Question files read before, in the cache: the key is the file's bytes, its place (path,
    chapter, number), the registries its companies and tags were checked against, and the code;
    the value the question as read. A question that reported anything, or has occlusions (their
    figures are other files), is read again every time."""

    def __init__(self, cache: Cache, root: Path, companies: tuple[Company, ...]) -> None:
        self.cache = cache
        self.companies = {c.slug: c for c in companies}
        registries = [_file_digest(root / name) for name in ("companies.yaml", "tags.yaml")]
        self.context = value_key(shared_code_version(), pydantic.VERSION, *registries)
        self.keys: dict[Path, str] = {}

    def look_up(self, paths: list[Path], chapter_slug: str) -> dict[Path, Question]:
        for number, path in enumerate(paths, start=1):
            if not path.is_symlink():  # a link is checked for where it leads, every time
                digest = _file_digest(path)
                self.keys[path] = value_key(self.context, str(path), chapter_slug, number, digest)
        found = self.cache.get_many(LOADED_CACHE, list(self.keys[p] for p in paths if p in self.keys))
        known = {}
        for number, path in enumerate(paths, start=1):
            value = found.get(self.keys.get(path, ""))
            if value is None:
                continue
            meta, title, answer, body_line, slugs = json.loads(value)
            known[path] = Question(
                meta=QuestionMeta.model_validate_json(meta),
                title=title,
                answer=answer,
                path=path,
                body_line=body_line,
                chapter_slug=chapter_slug,
                number=number,
                companies=tuple(self.companies[slug] for slug in slugs),
            )
        return known

    def keep(self, q: Question) -> None:
        meta = q.meta.model_dump_json()
        if q.path not in self.keys or q.meta.occlusions or QuestionMeta.model_validate_json(meta) != q.meta:
            return
        if any(self.companies.get(c.slug) != c for c in q.companies):
            return
        value = [meta, q.title, q.answer, q.body_line, [c.slug for c in q.companies]]
        self.cache.put(LOADED_CACHE, self.keys[q.path], json.dumps(value, ensure_ascii=False))


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _load_model(path: Path, model: type[M], diags: Diagnostics, what: str) -> M | None:
    if not path.is_file():
        diags.error(diags.at(path), f"missing {what}", f"create {path}")
        return None
    text = read_text(path, diags)
    if text is None:
        return None
    doc = load_yaml(text, path, 0, diags)
    if doc is None:
        return None
    result = validate(model, doc, diags, what)
    return result if isinstance(result, model) else None


def _load_notation(path: Path, diags: Diagnostics) -> tuple[NotationRule, ...]:
    """The notation rules (optional file), each pattern a valid regular expression."""
    if not path.exists():
        return ()
    rules = _load_model(path, NotationRules, diags, "notation.yaml")
    good = []
    for i, rule in enumerate(rules.rules if rules else []):
        try:
            re.compile(rule.pattern)
        except re.error as exc:
            diags.error(
                _registry_location(path, ("rules", i, "pattern"), diags),
                f"not a regular expression: {exc}",
                "write the pattern in single quotes, where a backslash is itself",
            )
            continue
        good.append(rule)
    return tuple(good)


def _unknown_language(path: Path, language: str, diags: Diagnostics) -> None:
    """No catalog for the bank's language: at its line in bank.yaml, with the ones there are."""
    text = path.read_text(encoding="utf-8", errors="replace")
    match = re.search(r"^language\s*:\s*[\"']?", text, re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else 0
    col = match.end() - match.start() + 1 if match else 0
    diags.error(
        diags.at(path, line, col),
        f"no vocabulary for language '{language}'",
        f"languages: {', '.join(available())} (a new language is one file in compiler/vocabulary/)",
    )


def _stand_in_meta(data: object, path: Path) -> QuestionMeta:
    """The parts of broken front matter that validate on their own (its formulas, for the math
    checks), the rest left empty: enough to render and check the body."""
    fields = data if isinstance(data, dict) else {}
    listed = fields.get("formulas")
    formulas = []
    for item in listed if isinstance(listed, list) else []:
        try:
            formulas.append(Formula.model_validate(item))
        except ValidationError:
            continue
    qid = fields.get("id")
    return QuestionMeta.model_construct(
        id=qid if isinstance(qid, str) and qid else path.stem,
        tags=[],
        company=[],
        formulas=formulas,
        key_points=[],
        retired_key_points=[],
        retired_formulas=[],
        occlusions=[],
        difficulty=None,
        source=None,
        errata=[],
    )


def _check_key_points(meta: QuestionMeta, doc: YamlDoc, diags: Diagnostics) -> None:
    """Key points, each located: their number, ids that are stable and never reused, spans."""
    points = meta.key_points
    if points and not MIN_POINTS <= len(points) <= MAX_POINTS:
        diags.error(
            doc.key_location(diags, ("key_points",)),
            f"{len(points)} key point(s): a question has {MIN_POINTS} to {MAX_POINTS}",
            "one fact each; what does not fit belongs in the answer",
        )
    seen: set[str] = set()
    for i, point in enumerate(points):
        where = ("key_points", i, "id")  # located only when reported: locating resolves paths
        if point.id in seen:
            diags.error(
                doc.location(diags, where),
                f"key point id '{point.id}' is used twice",
                "give each point its own k<N>",
            )
        elif point.id in meta.retired_key_points:
            diags.error(
                doc.location(diags, where),
                f"key point id '{point.id}' belonged to a removed point (retired_key_points)",
                f"use a new number, e.g. 'k{_next_point_number(meta)}': Anki cards still hold the old one",
            )
        seen.add(point.id)
        for problem in problems(point.text):
            at = doc.text_location(diags, ("key_points", i, "text"), problem.column)
            report = diags.error if problem.severity == "error" else diags.warning
            report(at, problem.message, problem.hint)


def _check_occlusions(
    meta: QuestionMeta, doc: YamlDoc, path: Path, answer: str, diags: Diagnostics
) -> tuple[Figure, ...]:
    """Occluded figures, each located: a figure of this answer, listed once, readable; shapes
    inside it, ids unique and never reused. The figures, one per entry when all is well."""
    used = set()
    for match in MARKDOWN_IMAGE.finditer(answer):
        try:
            used.add((path.parent / unquote(match.group(2))).resolve())
        except (OSError, ValueError):
            continue
    figures: list[Figure] = []
    seen: dict[Path, int] = {}
    for i, entry in enumerate(meta.occlusions):
        where = doc.location(diags, ("occlusions", i, "figure"))
        try:
            target = (path.parent / entry.figure).resolve()
        except (OSError, ValueError):
            diags.error(where, f"figure path '{entry.figure}' is not a valid file name")
            continue
        if not target.is_file():
            diags.error(
                where,
                f"figure '{entry.figure}' does not exist",
                "give the path as the answer's image does, relative to the question file",
            )
            continue
        if target not in used:
            diags.error(
                where,
                f"figure '{entry.figure}' is not an image of this answer",
                "occlusions drill a figure the answer shows: add it as ![alt](path) or fix the path",
            )
            continue
        if target in seen:
            diags.error(
                where,
                f"figure '{entry.figure}' has occlusions twice (also occlusions[{seen[target] + 1}])",
                "list all of a figure's shapes under one entry",
            )
            continue
        seen[target] = i
        size = figure_size(target)
        if size is None and entry.units == "figure":
            diags.error(
                where,
                f"the size of '{entry.figure}' cannot be read",
                "use an SVG with a viewBox or width and height, a PNG, or 'units: fraction'",
            )
            continue
        size = size or Size(0, 0, 1, 1)
        if _check_shapes(entry, size, doc, ("occlusions", i), diags):
            figures.append(Figure(target, size))
    return tuple(figures) if len(figures) == len(meta.occlusions) else ()


def _check_shapes(
    entry: Occlusions, size: Size, doc: YamlDoc, loc: tuple[int | str, ...], diags: Diagnostics
) -> bool:
    ok = True
    ids = [s.id for s in entry.shapes]
    groups = {s.group for s in entry.shapes if s.group}
    numbers = [shape_number(s) for s in entry.shapes] + [int(r[1:]) for r in entry.retired]
    hint_id = f"o{max(numbers, default=0) + 1}"
    for j, shape in enumerate(entry.shapes):
        at = doc.location(diags, (*loc, "shapes", j, "id"))
        if shape.id in ids[:j]:
            diags.error(
                at, f"shape id '{shape.id}' is used twice", f"give each shape its own id, e.g. '{hint_id}'"
            )
            ok = False
        if shape.id in entry.retired:
            diags.error(
                at,
                f"shape id '{shape.id}' belonged to a removed shape (retired)",
                f"use a new number, e.g. '{hint_id}': Anki cards still hold the old one",
            )
            ok = False
        if shape.group in entry.retired:
            diags.error(
                doc.location(diags, (*loc, "shapes", j, "group")),
                f"group '{shape.group}' belonged to a removed shape or group (retired)",
                f"use a new number, e.g. '{hint_id}': Anki cards still hold the old one",
            )
            ok = False
        if shape.group is None and shape.id in groups:
            diags.error(
                at,
                f"shape '{shape.id}' has the number of a group and is not in it",
                f"add 'group: {shape.id}' to it, or give it a new id such as '{hint_id}'",
            )
            ok = False
        box = normalised(shape, entry.units, size)
        if outside(box):
            kind = "rect" if shape.rect is not None else "ellipse"
            extent = "1 x 1" if entry.units == "fraction" else f"{size.width:g} x {size.height:g}"
            diags.error(
                doc.location(diags, (*loc, "shapes", j, kind)),
                f"shape '{shape.id}' reaches outside the figure ({extent})",
                "coordinates are the figure's own (an SVG's viewBox) unless 'units: fraction'",
            )
            ok = False
    return ok


# What YAML's double quotes make of the TeX commands that start like its escapes (\t, \f, \b ...).
_ESCAPES = {
    "\t": "\\t",
    "\f": "\\f",
    "\b": "\\b",
    "\x1b": "\\e",
    "\a": "\\a",
    "\v": "\\v",
    "\r": "\\r",
    "\0": "\\0",
}
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # a newline may be a block scalar's


def _check_formulas(meta: QuestionMeta, doc: YamlDoc, diags: Diagnostics) -> None:
    """TeX the author did not mean: control characters YAML made of escapes, `$` delimiters."""
    fields = [
        (("formulas", i, key), getattr(f, key))
        for i, f in enumerate(meta.formulas)
        for key in ("name", "tex")
    ]
    fields += [(("key_points", i, "text"), p.text) for i, p in enumerate(meta.key_points)]
    for i, key in enumerate(formula_keys(meta.formulas)):
        if key in meta.retired_formulas:
            diags.error(
                doc.location(diags, ("formulas", i)),
                f"formula '{key}' is listed in retired_formulas",
                "a retired formula's card is never made again: give this formula another name, or "
                "remove it from retired_formulas to bring the old card back",
            )
    for loc, value in fields:
        control = _CONTROL.search(value)
        if control:
            char = control.group(0)
            escape = _ESCAPES.get(char)
            seen = f"'{escape}' became U+{ord(char):04X}" if escape else f"U+{ord(char):04X}"
            diags.error(
                doc.location(diags, loc),
                f"a control character in {loc[0]}[{loc[1]}].{loc[2]}: {seen}",
                "write TeX in single quotes: double quotes turn \\t, \\f, \\b ... into control characters",
            )
        elif loc[2] == "tex" and "$" in value.replace("\\$", ""):
            diags.error(
                doc.location(diags, loc),
                "a '$' in formulas[].tex: the TeX of a named formula is written without delimiters",
                "remove the $ signs (write \\$ for a dollar sign)",
            )


def _check_symbols(meta: QuestionMeta, doc: YamlDoc, diags: Diagnostics) -> None:
    """A glossary explains the formula as written: each symbol's TeX is in the formula's TeX."""
    for i, formula in enumerate(meta.formulas):
        written = "".join(formula.tex.split())
        for symbol in formula.symbols:
            if "".join(symbol.split()) not in written:
                diags.error(
                    doc.key_location(diags, ("formulas", i, "symbols", symbol)),
                    f"symbol '{symbol}' is not in the formula '{formula.name}'",
                    "write each symbol's TeX exactly as the formula's tex writes it",
                )


def _next_point_number(meta: QuestionMeta) -> int:
    used = [card_number(i) for i in [*(p.id for p in meta.key_points), *meta.retired_key_points]]
    return max(used, default=0) + 1


def _company_aliases(companies: tuple[Company, ...], path: Path, diags: Diagnostics) -> dict[str, Company]:
    """Every spelling (name, slug, alias; case-blind) -> its company. A spelling of two companies
    would send questions to the wrong one, and a slug names output files: both are errors."""
    table: dict[str, Company] = {}
    slugs: dict[str, Company] = {}
    for i, company in enumerate(companies):
        if company.slug in slugs:
            diags.error(
                _registry_location(path, ("companies", i, "slug"), diags),
                f"company slug '{company.slug}' is used by '{slugs[company.slug].name}' too",
                "give each company its own slug: it names the company's pages and files",
            )
        own = slugs.setdefault(company.slug, company) is company
        for spelling in dict.fromkeys((company.name, *([company.slug] if own else []), *company.aliases)):
            known = table.get(spelling.casefold())
            if known is not None and known is not company:
                diags.error(
                    _registry_location(path, ("companies", i), diags, spelling),
                    f"'{spelling}' names two companies: '{known.name}' and '{company.name}'",
                    "a name or alias may belong to one company only: remove it from one of them",
                )
                continue
            table[spelling.casefold()] = company
    return table


def _registry_location(
    path: Path, loc: tuple[int | str, ...], diags: Diagnostics, text: str | None = None
) -> Location:
    """Where `loc` (or, inside it, the string `text`) is written in a registry file."""
    doc = load_yaml(path.read_text(encoding="utf-8"), path, 0, Diagnostics())
    if doc is None:
        return diags.at(path)
    if text is not None:
        node = doc.node
        for key in loc:
            node = child(node, key)
        for found in scalars(node):
            if found.value == text:
                return diags.at(path, found.start_mark.line + 1, found.start_mark.column + 1)
    return doc.location(diags, loc)


def _load_question(
    path: Path,
    chapter_slug: str,
    number: int,
    aliases: dict[str, Company] | None,
    tags: TagRegistry | None,
    diags: Diagnostics,
) -> Question | None:
    if not path.resolve().is_relative_to(path.parent.parent.resolve()):
        diags.error(
            diags.at(path),
            "question file is a link to a file outside the source folder",
            "replace the link with the file itself",
        )
        return None
    text = read_text(path, diags)
    if text is None:
        return None
    if not text.strip():
        diags.error(diags.at(path, 1, 1), "file is empty", "a question file starts with '---' front matter")
        return None
    parts = split_front_matter(text)
    if parts is None and text.startswith("---"):
        diags.error(
            diags.at(path, 1, 1),
            "the front matter is never closed",
            "end the metadata with a line that holds only '---'",
        )
        return None
    if parts is None:
        diags.error(
            diags.at(path, 1, 1),
            "missing YAML front matter",
            "start the file with a '---' line, the metadata (id, tags ...), and another '---' line",
        )
        return None
    yaml_text, body, body_line = parts
    doc = load_yaml(yaml_text, path, 1, diags)
    meta = validate(QuestionMeta, doc, diags, "front matter") if doc else None
    title, answer, title_line = _split_body(body, body_line, path, diags)
    _check_raw_html(text, path, diags)
    if doc is None or title is None:
        return None
    if not isinstance(meta, QuestionMeta):
        # The front matter has errors (reported): the body is still checked in the same run, under
        # a stand-in for the metadata, and the bank is never built from it.
        meta = _stand_in_meta(doc.data, path)
        aliases, tags = None, None

    companies = []
    known = aliases or {}
    for i, name in enumerate(meta.company if aliases is not None else []):
        company = known.get(name.casefold())
        if company is None:
            diags.error(
                doc.location(diags, ("company", i)),
                f"unknown company '{name}'",
                did_you_mean(name, sorted({c.name for c in known.values()}))
                or "add it to source/companies.yaml",
            )
        elif company not in companies:
            companies.append(company)
    if tags is not None:
        for i, tag in enumerate(meta.tags):
            top = tag.split("/")[0]
            if top not in tags.tags:
                diags.error(
                    doc.location(diags, ("tags", i)),
                    f"unknown tag '{tag}'",
                    did_you_mean(top, tags.tags) or "the first segment must be a key of source/tags.yaml",
                )
    _check_key_points(meta, doc, diags)
    _check_formulas(meta, doc, diags)
    _check_symbols(meta, doc, diags)
    figures = _check_occlusions(meta, doc, path, answer, diags)
    # The correction must be in the content itself, not only in the erratum that names it.
    content = "\n".join([body, *(f"{f.name}\n{f.tex}" for f in meta.formulas)])
    for i, erratum in enumerate(meta.errata):
        if erratum.now not in content:
            diags.error(
                doc.location(diags, ("errata", i, "now")),
                "erratum 'now' text does not appear in the file",
                "copy the corrected text exactly as it is written in the answer",
            )
    return Question(
        meta=meta,
        title=title,
        answer=answer,
        path=path,
        body_line=title_line,
        chapter_slug=chapter_slug,
        number=number,
        companies=tuple(companies),
        figures=figures,
    )


def _split_body(body: str, first_line: int, path: Path, diags: Diagnostics) -> tuple[str | None, str, int]:
    """(question Markdown, answer Markdown, line of the H1); the question is the H1."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        lineno = first_line + i
        if not line.startswith("# ") or not line[2:].strip():
            diags.error(
                diags.at(path, lineno, 1),
                "the question is missing",
                "after the front matter, write the question as a level-1 heading: '# 问题？'",
            )
            return None, "", lineno
        answer = "\n".join(lines[i + 1 :]).strip("\n")
        if not answer.strip():
            diags.error(
                diags.at(path, lineno, 1),
                "the answer is empty",
                "write the answer below the question heading",
            )
            return None, "", lineno
        return line[2:].strip(), answer, lineno
    diags.error(
        diags.at(path, first_line, 1),
        "the question is missing",
        "after the front matter, write the question as a level-1 heading: '# 问题？'",
    )
    return None, "", first_line


def _check_raw_html(text: str, path: Path, diags: Diagnostics) -> None:
    for match in DANGEROUS_HTML.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        what = match.group(0).strip()
        diags.error(
            diags.at(path, line, col),
            f"raw HTML '{what[:40]}' would be removed from every output",
            "write Markdown; scripts, event handlers, frames and styles are not allowed",
        )


def _check_unique_ids(questions: list[Question], diags: Diagnostics) -> None:
    first: dict[str, Question] = {}
    for q in questions:
        if q.id in first:
            other = first[q.id]
            diags.error(
                diags.at(q.path, _id_line(q.path), 1),
                f"duplicate id '{q.id}' (also used by {diags.relative(other.path)})",
                "ids must be unique across the bank; give this question a new id",
            )
        else:
            first[q.id] = q


def _check_not_retired(questions: list[Question], retired: RetiredIds | None, diags: Diagnostics) -> None:
    gone = set(retired.retired) if retired else set()
    for q in questions:
        if q.id in gone:
            diags.error(
                diags.at(q.path, _id_line(q.path), 1),
                f"id '{q.id}' belonged to a removed question (source/retired.yaml)",
                "ids are never reused: Anki collections still hold that note; choose a new id",
            )


def _id_line(path: Path) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("id:"):
            return number
    return 1
