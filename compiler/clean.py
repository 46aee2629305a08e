"""`qbank clean`: remove what builds wrote, keep what the next build must remember.

The ids earlier builds saw (`build/.state/ids-*.json`) stay: they are how a build reports a
question that left the bank without being retired, and how `new` avoids handing out an id that
users' Anki collections still hold. Everything else under the folder (outputs, caches,
fingerprints) goes, so the next build starts cold.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from compiler.lock import build_lock
from compiler.state import KEPT_BY_CLEAN

LOCK = ".lock"


def clean(out: Path) -> int:
    """Remove everything under `out` but the remembered ids; returns how many entries went."""
    if not out.is_dir():
        return 0
    removed = 0
    with build_lock(out):
        for entry in sorted(out.iterdir()):
            if entry.name == LOCK:
                continue
            if entry.name == ".state" and entry.is_dir() and not entry.is_symlink():
                for item in sorted(entry.iterdir()):
                    if not item.match(KEPT_BY_CLEAN):
                        _remove(item)
                        removed += 1
                continue
            _remove(entry)
            removed += 1
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
