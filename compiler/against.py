"""`qbank check --against REF`: what a change would cost Anki users, before it is merged.

Every Anki card is identified by an id written in the source: a question's `id`, a key point's
`id` (its cloze card), a formula's key (its `id`, else its name), an occlusion shape's `id` (or
its group's). When one present at REF (a git
ref: the base branch of a pull request, the last release tag) is gone without being retired,
every user who studied that card loses its history on the next import, silently. A local
`build/.state` only notices this on the author's own machine; this check reads REF itself, so a
fresh CI clone fails the pull request with the file, the line and the fix.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from compiler.diagnostics import Diagnostics, Location
from compiler.identities import formula_keys
from compiler.model import Bank, Question
from compiler.sourcefile import load_yaml, split_front_matter
from schema.models import Formula


@dataclass
class Ids:
    """The card identities of one question file."""

    id: str
    path: str  # relative to the bank's folder, POSIX
    id_line: int
    key_points: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)
    occlusions: dict[str, list[str]] = field(default_factory=dict)  # figure -> its card ids


class GitError(Exception):
    pass


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"git could not run: {exc.strerror}") from exc
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(said[-1] if said else f"not a git ref here (git {args[0]} failed)")
    return result.stdout


def ids_at(source: Path, ref: str) -> dict[str, Ids]:
    """Every question's identities in the bank's folder as it was at `ref`, by question id."""
    top = Path(_git(source, "rev-parse", "--show-toplevel").decode().strip())
    commit = _git(source, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    folder = PurePosixPath(source.resolve().relative_to(top.resolve()).as_posix())
    listing = _git(top, "ls-tree", "-r", "-z", "--name-only", commit, "--", str(folder)).decode()
    paths = [
        p
        for p in listing.split("\0")
        if p.endswith(".md") and len(PurePosixPath(p).parts) > len(folder.parts) + 1
    ]
    if not paths:
        return {}
    # one git process for every file: `cat-file --batch` answers each "commit:path" in turn
    batch = _git(top, "cat-file", "--batch", stdin="".join(f"{commit}:{p}\n" for p in paths).encode())
    found: dict[str, Ids] = {}
    at = 0
    for path in paths:
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        text = batch[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace")
        at = header_end + 1 + size + 1
        ids = _ids_of(text, str(PurePosixPath(path).relative_to(folder)))
        if ids is not None:
            found.setdefault(ids.id, ids)
    return found


def _ids_of(text: str, path: str) -> Ids | None:
    """A question file's identities, or None for a file that was not a valid question there."""
    split = split_front_matter(text.replace("\r\n", "\n"))
    if split is None:
        return None
    doc = load_yaml(split[0], Path(path), 1, Diagnostics())
    data = doc.data if doc is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    line = next((n for n, x in enumerate(text.splitlines(), start=1) if x.startswith("id:")), 1)
    points = [
        p["id"] for p in data.get("key_points") or [] if isinstance(p, dict) and isinstance(p.get("id"), str)
    ]
    formulas: list[Formula] = []
    for f in data.get("formulas") or []:
        try:
            formulas.append(Formula.model_validate(f))
        except ValueError:
            continue
    occlusions: dict[str, list[str]] = {}
    for entry in data.get("occlusions") or []:
        if isinstance(entry, dict) and isinstance(entry.get("figure"), str):
            shapes = [s for s in entry.get("shapes") or [] if isinstance(s, dict)]
            cards = [str(s.get("group") or s.get("id")) for s in shapes if s.get("id")]
            occlusions[entry["figure"]] = list(dict.fromkeys(cards))
    return Ids(data["id"], path, line, points, formula_keys(formulas), occlusions)


def check_against(bank: Bank, source: Path, ref: str, diags: Diagnostics) -> None:
    """Report, located in today's files, every identity present at `ref` and gone unretired."""
    try:
        before = ids_at(source, ref)
    except (GitError, ValueError) as exc:
        diags.error(
            diags.at("command line"),
            f"--against {ref}: {exc}",
            "name a git ref of the repository that holds the bank (a branch, a tag, a commit); "
            "a shallow CI clone must fetch it first (git fetch origin main)",
        )
        return
    retired = _retired(source)
    now = {q.id: q for q in bank.questions}
    by_path = {q.path.resolve().relative_to(source.resolve()).as_posix(): q for q in bank.questions}
    retired_file = source / "retired.yaml"
    for qid, old in before.items():
        question = now.get(qid)
        if question is None:
            if qid in retired:
                continue
            renamed = by_path.get(old.path)
            if renamed is not None and renamed.id not in before:
                diags.error(
                    _at_key(diags, renamed, "id"),
                    f"id '{renamed.id}' was '{qid}' at {ref}: every Anki note of '{qid}' loses its "
                    "review history",
                    f"keep `id: {qid}`; to give the question up on purpose, add '{qid}' to "
                    "source/retired.yaml and keep the new id",
                )
            else:
                diags.error(
                    diags.at(retired_file, _retired_line(retired_file)),
                    f"question '{qid}' ({old.path} at {ref}) is gone but not retired",
                    f"add '{qid}' to `retired:` in retired.yaml (its id is then never reused), "
                    "or restore the question",
                )
            continue
        _check_cards(question, old, ref, diags)


def _check_cards(q: Question, old: Ids, ref: str, diags: Diagnostics) -> None:
    points = {p.id for p in q.key_points} | set(q.meta.retired_key_points)
    for point in old.key_points:
        if point not in points:
            diags.error(
                _at_key(diags, q, "key_points"),
                f"key point '{point}' of '{q.id}' (at {ref}) is gone: its cloze card loses its history",
                f"restore it, or add {point} to `retired_key_points:` (its number is then never reused)",
            )
    formulas = set(formula_keys(q.formulas)) | set(q.meta.retired_formulas)
    for key in old.formulas:
        if key not in formulas:
            diags.error(
                _at_key(diags, q, "formulas"),
                f"formula '{key}' of '{q.id}' (at {ref}) is gone: its Anki card loses its history",
                f"a renamed formula keeps its card with `id: '{key}'`; a removed one goes into "
                f"`retired_formulas: ['{key}']`",
            )

    figures = {o.figure: o for o in q.meta.occlusions}
    for figure, cards in old.occlusions.items():
        now = figures.get(figure)
        kept = {s.group or s.id for s in now.shapes} | set(now.retired) if now else set()
        for card in cards:
            if card not in kept:
                diags.error(
                    _at_key(diags, q, "occlusions"),
                    f"occlusion '{card}' of {figure} in '{q.id}' (at {ref}) is gone: its image-occlusion "
                    "card loses its history",
                    f"restore the shape, or add {card} to that figure's `retired:` (never reused then)",
                )


def _retired(source: Path) -> set[str]:
    try:
        data = yaml.safe_load((source / "retired.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return set()
    listed = data.get("retired") if isinstance(data, dict) else None
    return {x for x in listed if isinstance(x, str)} if isinstance(listed, list) else set()


def _retired_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines, start=1) if line.startswith("retired:")), 1)


def _at_key(diags: Diagnostics, q: Question, key: str) -> Location:
    """The line of a top-level front-matter key (`key_points:`), else the file's first line."""
    for number, line in enumerate(q.path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return diags.at(q.path, number, 1)
        if number > 1 and line.strip() == "---":
            break
    return diags.at(q.path, 1, 1)
