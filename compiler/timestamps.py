"""The time of the bank's last content change, never the clock.

Anki applies an imported note only when its mtime is newer than the note in the collection, so
this time must move forward with every edit (also one not committed yet), and stay put when
nothing changed so that builds are reproducible:

1. `SOURCE_DATE_EPOCH`, when set (the reproducible-builds convention);
2. otherwise the commit time of the last commit that touched the source folder, raised to the
   modification time of any source file that git reports as changed or new (an edit being
   previewed before it is committed);
3. outside git, the newest modification time of the source files.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path


def content_timestamp(root: Path) -> int:
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    committed = _git(root, "log", "-1", "--format=%ct", "--", ".")
    if committed is None:
        return _newest_mtime(root.rglob("*"))
    dirty = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    top = _git(root, "rev-parse", "--show-toplevel")
    changed: list[Path] = []
    if dirty and top:
        for entry in dirty.split("\0"):
            if len(entry) > 3:
                changed.append(Path(top.strip()) / entry[3:])
    base = int(committed.strip()) if committed.strip() else 0
    return max(base, _newest_mtime(changed))


def _newest_mtime(paths: object) -> int:
    newest = 0
    for path in paths:  # type: ignore[attr-defined]
        try:
            if path.is_file():
                newest = max(newest, int(path.stat().st_mtime))
        except OSError:
            continue
    return newest


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


def iso_date(timestamp: int) -> str:
    """A content time in a machine-readable date (`<time datetime>`): ISO 8601, UTC."""
    return utc(timestamp).strftime("%Y-%m-%d")
