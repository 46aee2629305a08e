"""The time of the bank's last content change, never the clock.

Anki applies an imported note only when its mtime is newer than the note in the collection, so
this time must move forward with every edit (also one not committed yet), and stay put when
nothing changed so that builds are reproducible:

1. `SOURCE_DATE_EPOCH`, when set (the reproducible-builds convention);
2. otherwise the commit time of the last commit that touched the source folder, raised to the
   time of any source file that git reports as changed or new (an edit being previewed before
   it is committed);
3. outside git (or in a folder no commit touched), the newest time of the source files.

The time of a file that git does not vouch for is the time its *content* was first seen: its
modification time then, remembered with a hash of the content (`Remembered`, which a build
keeps in build/.state/). Saving a file again without changing it, or touching it, moves nothing,
so an unchanged bank gives the same bytes; a new content gets a new, later time. A file that
comes back to an earlier content is still a change for someone who imported the version in
between: it gets a new time too (one entry per file, the latest content).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Seen:
    """A file's content the last time a build looked, and the time given to it."""

    sha256: str
    time: int
    size: int = -1  # with mtime_ns: a file whose stat is unchanged is not hashed again
    mtime_ns: int = -1


@dataclass
class ContentTime:
    timestamp: int
    seen: dict[str, Seen] = field(default_factory=dict)  # absolute path -> its content


Remembered = dict[str, Seen]


def content_timestamp(root: Path) -> int:
    return content_time(root, {}).timestamp


def content_time(root: Path, remembered: Remembered) -> ContentTime:
    """The bank's content time, and what was seen of the files git does not vouch for."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return ContentTime(int(env))
    committed = (_git(root, "log", "-1", "--format=%ct", "--", ".") or "").strip()
    if not committed.isdigit():  # not in git, or no commit has this folder: every file counts
        return _newest(_files(root), remembered, 0)
    dirty = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    top = _git(root, "rev-parse", "--show-toplevel")
    changed: list[Path] = []
    if dirty and top:
        entries = iter(dirty.split("\0"))
        for entry in entries:
            if len(entry) > 3:
                changed.append(Path(top.strip()) / entry[3:])
            if entry[:1] in ("R", "C"):  # a rename is followed by the old name
                next(entries, None)
    return _newest(changed, remembered, int(committed))


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _newest(paths: Iterable[Path], remembered: Remembered, base: int) -> ContentTime:
    result = ContentTime(base)
    for path in paths:
        try:
            stat = path.stat()
            if not path.is_file():
                continue
            name = str(path.resolve())
        except OSError:
            continue
        before = remembered.get(name)
        if before is not None and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            seen = before
        else:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
            if before is not None and before.sha256 == digest:
                time = before.time  # touched or saved again: the same content, the same time
            elif before is not None:
                time = max(int(stat.st_mtime), before.time + 1)  # a new content is later
            else:
                time = int(stat.st_mtime)
            seen = Seen(digest, time, stat.st_size, stat.st_mtime_ns)
        result.seen[name] = seen
        result.timestamp = max(result.timestamp, seen.time)
    return result


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


ISO_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


def utc(timestamp: int) -> datetime:
    """A content time as a naive UTC datetime (what ebooklib formats with a literal 'Z')."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def iso_datetime(timestamp: int) -> str:
    """A content time in metadata (PDF, EPUB, JSON): ISO 8601 in UTC, to the second."""
    return utc(timestamp).strftime(ISO_DATETIME)


def pdf_date(timestamp: int) -> str:
    """A content time as a PDF date string (ISO 32000 7.9.4), UTC, as WeasyPrint writes it."""
    return utc(timestamp).strftime("D:%Y%m%d%H%M%SZ")


def iso_date(timestamp: int) -> str:
    """A content time in a machine-readable date (`<time datetime>`): ISO 8601, UTC."""
    return utc(timestamp).strftime("%Y-%m-%d")
