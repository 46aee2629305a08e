"""A build with nothing to do, answered without loading the bank.

Loading, validating and rendering the bank, and importing what does it (Pydantic, Jinja2, the
backends), cost far more than finding that nothing changed. So a successful build remembers
what it was made from (build/.state/nochange-<options>.json): every file of the source folder,
of the compiler's code, templates and schemas, and the pandoc binary, each by its content hash;
the git state that dates the content (`compiler.timestamps`: HEAD, the index, the ignore files);
`SOURCE_DATE_EPOCH`; the options; what phase one reported; and every output it stands for.

A later build with the same options first compares: when every input has the same content and
every output is the one written, it repeats the report and ends. Any difference, and the build
runs as always (and so validates and reports what changed). A file is hashed again only when its
size or modification time differs from the record; a file modified less than `RACY_S` before
it was recorded is always hashed again (the trick git uses for its index: a later edit within
the same clock tick would not change the modification time).

Only the standard library is imported here (and `compiler.paths`, which imports no more).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from compiler.paths import Resolver

VERSION = "1"  # bump when what a record means changes
ROOT = Path(__file__).resolve().parent.parent
CODE = ("compiler", "schema", "templates")
RACY_S = 2.0

Stats = dict[str, list[int | str]]  # path -> [size, mtime_ns, sha256]


@dataclass
class Snapshot:
    """The inputs of a build as found before it started."""

    options: str
    key: str
    files: Stats = field(default_factory=dict)


@dataclass(frozen=True)
class Replay:
    report: list[str]  # the lines phase one printed, warnings included
    warnings: int
    built: list[str]  # backends, in the order the build names them
    count: int  # files written


def options_key(only: list[str] | None, flt: tuple[object, ...], strict: bool) -> str:
    return json.dumps({"only": only, "filter": [str(x) for x in flt], "strict": strict})


def _record_path(out: Path, options: str) -> Path:
    digest = hashlib.sha256(options.encode()).hexdigest()[:16]
    return out / ".state" / f"nochange-{digest}.json"


# Folders below the source and the code that are no input: a bank kept at its repository's top
# has .git/, whose files git changes on its own (its index, an automatic `git gc` packing the
# objects of a large first commit while the first build runs); what of git decides the content
# time is read by `_git_state`.
_NOT_INPUTS = frozenset({"__pycache__", ".git"})


def _walk(folder: Path) -> list[str]:
    """Every file below `folder`, as strings: pathlib costs more than the check itself at 10,000."""
    found = []
    for base, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_INPUTS)
        found += [os.path.join(base, n) for n in sorted(names)]
    return found


def _hashed(name: str, known: Stats, now: float, racy_s: float = RACY_S) -> tuple[str, list[int | str]]:
    """The file's content hash, from `known` when its stat is the recorded one. An entry whose
    content did not change is kept as it was, so that a record of the same inputs is the same
    text (a build with nothing to do writes nothing)."""
    try:
        stat = os.stat(name)
    except OSError:
        return name, [-1, -1, "missing"]
    before = known.get(name)
    if before is not None and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
        return name, before
    try:
        with open(name, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        digest = "unreadable"
    if before is not None and before[2] == digest:
        return name, before
    racy = now - stat.st_mtime_ns / 1e9 < racy_s
    return name, [-1 if racy else stat.st_size, -1 if racy else stat.st_mtime_ns, digest]


def _git_state(source: Path) -> list[str]:
    """What decides the git part of the content time, read from .git without starting git."""
    folder = source.resolve()
    for top in (folder, *folder.parents):
        dot = top / ".git"
        if dot.exists():
            break
    else:
        return ["no git"]
    try:
        gitdir = dot
        if dot.is_file():
            gitdir = (top / dot.read_text().split(":", 1)[1].strip()).resolve()
        common = gitdir
        if (gitdir / "commondir").is_file():
            common = (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
        head = (gitdir / "HEAD").read_text().strip()
        state = [head]
        ref = head.removeprefix("ref: ")
        for where in (gitdir / ref, common / ref, common / "packed-refs"):
            if ref != head and where.is_file():
                state.append(where.read_text())
                break
        state.append(_index_entries(gitdir / "index", folder.relative_to(top).as_posix()))
        for extra in (common / "info" / "exclude", top / ".gitignore"):
            try:
                stat = extra.stat()
                state.append(f"{extra}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                state.append(f"{extra}:none")
    except (OSError, IndexError):
        return [f"unreadable {time.time()}"]  # never matches: the build runs
    return state


def _index_entries(index: Path, under: str) -> str:
    """The entries (path, mode, blob) of git's index below `under`, hashed: what `git status`
    compares the files with. Not the index file's own stat or bytes: `git status` rewrites it
    with fresh stat data whenever it likes, which changes nothing that matters here."""
    data = index.read_bytes()
    if data[:4] != b"DIRC" or int.from_bytes(data[4:8], "big") not in (2, 3):
        return hashlib.sha256(data).hexdigest()  # a format not read here: any change counts
    prefix = b"" if under in ("", ".") else under.encode() + b"/"
    digest = hashlib.sha256()
    at = 12
    for _ in range(int.from_bytes(data[8:12], "big")):
        flags = int.from_bytes(data[at + 60 : at + 62], "big")
        start = at + 62 + (2 if flags & 0x4000 else 0)
        end = data.index(b"\0", start)
        path = data[start:end]
        if path.startswith(prefix):
            digest.update(data[at + 24 : at + 28] + data[at + 40 : at + 60] + path + b"\0")
        at += ((end - at) // 8 + 1) * 8  # entries are NUL-padded to a multiple of 8 bytes
    return digest.hexdigest()


def _pandoc_binary() -> str:
    """The pandoc binary's identity as `compiler.pandoc.pandoc_version` gives it, found without
    importing pypandoc where pypandoc-binary ships it."""
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
        if path.is_file():
            stat = path.stat()
            return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    from compiler.pandoc import pandoc_version

    return pandoc_version()


def snapshot(source: Path, out: Path, options: str) -> Snapshot:
    """Every input of a build with `options`, hashed (cheaply, from the last record)."""
    known = _read(out, options).get("files", {})
    known = known if isinstance(known, dict) else {}
    now = time.time()
    files: Stats = {}
    for folder in (source, *(ROOT / name for name in CODE)):
        for name in _walk(folder.resolve()):
            files[name] = _hashed(name, known, now)[1]
    parts = [
        VERSION,
        options,
        str(source.resolve()),
        os.environ.get("SOURCE_DATE_EPOCH", ""),
        sys.version,
        _pandoc_binary(),
        *_git_state(source),
        *(f"{name}\0{stats[2]}" for name, stats in sorted(files.items())),
    ]
    key = hashlib.sha256("\0\0".join(parts).encode()).hexdigest()
    return Snapshot(options, key, files)


# the record last read, by its path and stat (a record is replaced, never rewritten in place: a
# new one has a new inode): one build reads it up to four times (replay, snapshot, remember), at
# 10,000 questions megabytes of JSON; callers never change what it returns
_last_read: dict[tuple[Path, int, int, int], dict[str, object]] = {}


def _read(out: Path, options: str) -> dict[str, object]:
    path = _record_path(out, options)
    try:
        stat = path.stat()
        k = (path, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if k in _last_read:
            return _last_read[k]
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    _last_read.clear()
    _last_read[k] = data
    return data


def forget(out: Path, options: str) -> None:
    """A build that did not end well leaves no record standing for its outputs."""
    _record_path(out, options).unlink(missing_ok=True)


def remember(
    out: Path, snap: Snapshot, report: list[str], warnings: int, built: list[str], outputs: list[Path]
) -> None:
    now = time.time()
    before = _read(out, snap.options).get("outputs", {})
    known = before if isinstance(before, dict) else {}
    # outputs are ours, written just now: no one else wrote them within the same clock tick
    resolve = Resolver()
    stats = dict(_hashed(str(resolve(path)), known, now, racy_s=0) for path in outputs)
    record = {
        "key": snap.key,
        "files": snap.files,
        "report": report,
        "warnings": warnings,
        "built": built,
        "outputs": stats,
    }
    path = _record_path(out, snap.options)
    # no indent: json's C encoder writes it (with an indent, the Python one: a second at 10,000)
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        if path.read_text(encoding="utf-8") == text:
            return  # a build with nothing to do writes nothing
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def replay(source: Path, out: Path, options: str) -> Replay | None:
    """What the last build with `options` reported, when it would be built from the same inputs
    again and its outputs are still the ones it wrote; otherwise None."""
    record = _read(out, options)
    outputs = record.get("outputs")
    report, built, warnings = record.get("report"), record.get("built"), record.get("warnings")
    if not (isinstance(outputs, dict) and isinstance(report, list) and isinstance(built, list)):
        return None
    if snapshot(source, out, options).key != record.get("key"):
        return None
    now = time.time()
    for name, stats in outputs.items():
        if _hashed(name, {name: stats}, now)[1][2] != stats[2]:
            return None
    count = warnings if isinstance(warnings, int) else 0
    return Replay([str(r) for r in report], count, [str(b) for b in built], len(outputs))
