"""A content-addressed cache under build/.cache: safe to delete, never trusted blindly.

Each entry stores its value with a SHA-256 of that value; an entry that does not match (a torn
write, a disk error, a hand edit) is discarded and recomputed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from compiler.output import write_bytes_atomic


def key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


class Cache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self._pending: dict[Path, bytes] = {}

    def _path(self, namespace: str, k: str) -> Path:
        assert self.folder is not None
        return self.folder / namespace / k[:2] / f"{k}.json"

    def get(self, namespace: str, k: str) -> str | None:
        if self.folder is None:
            self.misses += 1
            return None
        path = self._path(namespace, k)
        if path in self._pending:
            self.hits += 1
            return str(json.loads(self._pending[path])["value"])
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            value = entry["value"]
            if hashlib.sha256(value.encode("utf-8")).hexdigest() != entry["sha256"]:
                raise ValueError("checksum mismatch")
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            path.unlink(missing_ok=True)  # corrupt: recompute
            self.misses += 1
            return None
        self.hits += 1
        return str(value)

    def put(self, namespace: str, k: str, value: str) -> None:
        """Remember a value; it reaches the disk at `flush`, so a build that fails writes nothing."""
        if self.folder is None:
            return
        entry = {"sha256": hashlib.sha256(value.encode("utf-8")).hexdigest(), "value": value}
        self._pending[self._path(namespace, k)] = json.dumps(entry, ensure_ascii=False).encode()

    def flush(self) -> None:
        for path, data in sorted(self._pending.items()):
            write_bytes_atomic(path, data)
        self._pending.clear()
