"""A content-addressed cache under build/.cache: safe to delete, never trusted blindly.

All entries live in one SQLite file (build/.cache/cache.sqlite), one row per (namespace, key):
a large bank has tens of thousands of entries, and one file per entry cost more in opening,
writing and fsync than the work the cache saves. The cache is not flushed to disk on every
commit (`synchronous=OFF`): losing it costs only time, and a database that cannot be read is
deleted and rebuilt.

Each entry stores its value with a SHA-256 of that value; an entry that does not match (a torn
write, a disk error, a hand edit) is discarded and recomputed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILE = "cache.sqlite"
_BATCH = 500  # keys per query of `_select` (SQLite allows 32,766 parameters)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries ("
    " namespace TEXT NOT NULL, key TEXT NOT NULL, sha256 TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (namespace, key)) WITHOUT ROWID"
)


def key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def value_key(*values: object) -> str:
    """A key for JSON values (the inputs a cached rendering depends on)."""
    return key(json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _select(db: sqlite3.Connection, columns: str, namespace: str, keys: set[str]) -> Iterator[Any]:
    """The rows of `keys` in `namespace` (those that have one), `_BATCH` keys a query."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), _BATCH):
        batch = ordered[start : start + _BATCH]
        marks = ",".join("?" * len(batch))
        sql = f"SELECT {columns} FROM entries WHERE namespace = ? AND key IN ({marks})"
        yield from db.execute(sql, (namespace, *batch))


def _checksum(value: str | bytes) -> str:
    return hashlib.sha256(value.encode("utf-8") if isinstance(value, str) else value).hexdigest()


class Cache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.fetched = 0  # keys asked of the database by get_many (a test counts them)
        self._pending: dict[tuple[str, str], str | bytes] = {}
        self._discard: set[tuple[str, str]] = set()
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / FILE

    def _connection(self, create: bool = False) -> sqlite3.Connection | None:
        """The database, opened once per process (a connection must not cross a fork)."""
        if self.folder is None:
            return None
        if self._db is not None and self._pid == os.getpid():
            return self._db
        assert self.path is not None
        if not create and not self.path.exists():
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:  # not a database any more: start again
            self._remove_files()
            self._db = self._open()
        self._pid = os.getpid()
        return self._db

    def _open(self) -> sqlite3.Connection:
        assert self.path is not None
        db = sqlite3.connect(self.path, timeout=600, isolation_level=None)
        db.execute("PRAGMA journal_mode=DELETE")  # reading leaves no -wal or -shm file behind
        db.execute("PRAGMA synchronous=OFF")
        db.execute(_SCHEMA)
        return db

    def _remove_files(self) -> None:
        assert self.path is not None
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def get(self, namespace: str, k: str) -> str | None:
        value = self._get(namespace, k, str)
        return value if isinstance(value, str) else None

    def get_bytes(self, namespace: str, k: str) -> bytes | None:
        value = self._get(namespace, k, bytes)
        return value if isinstance(value, bytes) else None

    def _get(self, namespace: str, k: str, kind: type[str] | type[bytes]) -> str | bytes | None:
        pending = self._pending.get((namespace, k))
        if pending is not None:
            self.hits += 1
            return pending
        db = self._connection()
        if db is None:
            self.misses += 1
            return None
        try:
            row = db.execute(
                "SELECT sha256, value FROM entries WHERE namespace = ? AND key = ?", (namespace, k)
            ).fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            self.misses += 1
            return None
        sha256, value = row
        if not isinstance(value, kind) or _checksum(value) != sha256:
            self._discard.add((namespace, k))  # corrupt: recompute, and drop it at the next flush
            self.misses += 1
            return None
        self.hits += 1
        return value

    def missing(self, namespace: str, keys: list[str]) -> set[str]:
        """The keys that have no entry, asked in a few queries instead of one per key (a bank
        has thousands of formulas). An entry found here may still turn out corrupt at `get`,
        which then misses: the caller must cope with a miss anyway."""
        out = {k for k in keys if (namespace, k) not in self._pending}
        db = self._connection()
        if db is None or not out:
            return out
        with contextlib.suppress(sqlite3.DatabaseError):
            for (k,) in _select(db, "key", namespace, set(out)):
                out.discard(k)
        return out

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, str]:
        """The text entries of `keys` that are there and sound, in a few queries instead of one
        per key (phase one looks up every question of the bank)."""
        return {k: v for k, v in self._get_many(namespace, keys, str).items() if isinstance(v, str)}

    def get_many_bytes(self, namespace: str, keys: list[str]) -> dict[str, bytes]:
        """`get_many` for entries stored with `put_bytes` (no text to decode and encode again)."""
        return {k: v for k, v in self._get_many(namespace, keys, bytes).items() if isinstance(v, bytes)}

    def _get_many(
        self, namespace: str, keys: list[str], kind: type[str] | type[bytes]
    ) -> dict[str, str | bytes]:
        found: dict[str, str | bytes] = {}
        wanted = set()
        for k in keys:
            pending = self._pending.get((namespace, k))
            if isinstance(pending, kind):
                found[k] = pending
            else:
                wanted.add(k)
        db = self._connection()
        if db is not None and wanted:
            try:
                for k, sha256, value in _select(db, "key, sha256, value", namespace, wanted):
                    if isinstance(value, kind) and _checksum(value) == sha256:
                        found[k] = value
                    else:
                        self._discard.add((namespace, k))  # corrupt: recomputed, dropped at flush
            except sqlite3.DatabaseError:
                pass
        self.fetched += len(wanted)
        self.hits += len(found)
        self.misses += len(set(keys) - found.keys())
        return found

    def put(self, namespace: str, k: str, value: str) -> None:
        self._put(namespace, k, value)

    def put_bytes(self, namespace: str, k: str, value: bytes) -> None:
        self._put(namespace, k, value)

    def _put(self, namespace: str, k: str, value: str | bytes) -> None:
        """Remember a value; it reaches the disk at `flush`, so a build that fails writes nothing."""
        if self.folder is None:
            return
        self._pending[(namespace, k)] = value

    def take_pending(self) -> dict[tuple[str, str], str | bytes]:
        """The values not yet flushed, handed over (from a worker process to its parent)."""
        pending, self._pending = self._pending, {}
        return pending

    def absorb(self, pending: dict[tuple[str, str], str | bytes]) -> None:
        if self.folder is not None:
            self._pending.update(pending)

    def flush(self) -> None:
        if not (self._pending or self._discard):
            return
        db = self._connection(create=True)
        if db is None:
            return
        rows = [(ns, k, _checksum(v), v) for (ns, k), v in sorted(self._pending.items())]
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("DELETE FROM entries WHERE namespace = ? AND key = ?", sorted(self._discard))
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
        except sqlite3.DatabaseError:
            pass  # a cache that cannot be written only costs time next build
        self._pending.clear()
        self._discard.clear()

    def close(self) -> None:
        """Close the database (before forking workers, which open their own)."""
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None
