"""Writing outputs so that a reader only ever sees a complete file.

Every file goes to a temporary name in its own folder, reaches the disk, and is moved over the
old one with `os.replace`, which is atomic on POSIX: an interrupted or failed build leaves the
previous output in place. Zip archives are written with fixed dates and sorted entries so that
the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from compiler.cache import Cache, key

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
DEFLATE_CACHE = "deflate"  # an entry's compressed bytes, by its content
DEFLATE_VERSION = "1"  # bump when `_pack` compresses differently
_VERSION = 20  # "version made by" and "needed to extract", as zipfile writes them


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_temporary(path: Path, data: bytes, sync: bool = False) -> Path:
    """`data` in a new temporary file next to `path`; on disk before returning when `sync`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically; False (and nothing touched) when it is already there."""
    if _unchanged(path, data):
        return False
    tmp = _write_temporary(path, data, sync=True)  # on disk before the rename makes it the output
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


@dataclass(frozen=True)
class Written:
    """An output as a build left it: its content hash and the stat it had then. A later build
    that makes the same bytes and finds the same stat leaves the file alone without reading it
    (a large API has ten thousand files, and reading them all cost more than the edit)."""

    sha256: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path, digest: str) -> Written:
        """The record of `path` as it is now, whose content hash is `digest`."""
        stat = path.stat()
        return cls(digest, stat.st_size, stat.st_mtime_ns)

    def on_disk(self, path: Path) -> bool:
        """Whether `path` still has the stat it had when this was recorded."""
        try:
            stat = path.stat()
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns)


class StagedWrites:
    """A backend's outputs, moved into place together once all are written.

    Each file goes to a temporary name next to its output; `commit` flushes them to disk
    (`_flush`: one fsync each, or one `sync` for many: an fsync costs more than writing a small
    JSON document) and renames each over its output. Files whose bytes are unchanged are not
    touched at all: with `known` (what the last build wrote), a file whose hash and stat are the
    recorded ones is not even read. `records` holds, after `commit`, every staged output as it
    is on disk now. Both are keyed by `str(path)`: making ten thousand `Path` objects costs more
    than the check."""

    def __init__(self, known: dict[str, Written] | None = None) -> None:
        self._known = known or {}
        self._staged: list[tuple[Path, Path, str]] = []
        self.records: dict[str, Written] = {}
        self.compared = 0  # outputs read to compare them with what was staged (a test counts)

    def stage(self, path: Path, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        name = str(path)
        before = self._known.get(name)
        same = before is not None and (before.sha256, before.size) == (digest, len(data))
        if same and before is not None and before.on_disk(path):
            self.records[name] = before
            return
        if before is None or before.sha256 == digest:  # not recorded, or touched since: compare
            self.compared += 1
            if _unchanged(path, data):
                self.records[name] = Written.of(path, digest)
                return
        self._staged.append((_write_temporary(path, data), path, digest))

    def commit(self) -> None:
        if not self._staged:
            return
        _flush([tmp for tmp, _, _ in self._staged])
        for tmp, path, digest in self._staged:
            os.replace(tmp, path)
            self.records[str(path)] = Written.of(path, digest)
        self._staged.clear()

    def discard(self) -> None:
        for tmp, _, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()
        self.records.clear()


# Up to this many staged files are flushed one by one; more with one `sync`. `sync` writes every
# dirty page of the machine, the cache's included: after an edit (a dozen files) it took 0.66 s
# on a 10,000-question bank, fsyncing each took milliseconds; a cold build stages thousands.
_FSYNC_EACH = 256


def _flush(files: list[Path]) -> None:
    """The staged `files` on disk, before a rename makes any of them an output."""
    if len(files) > _FSYNC_EACH:
        os.sync()
        return
    for file in files:
        fd = os.open(file, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_text_atomic(path: Path, text: str) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"))


def reproducible_zip(
    entries: dict[str, bytes],
    first: str | None = None,
    stored: tuple[str, ...] = (),
    cache: Cache | None = None,
) -> bytes:
    """A zip of `entries` with fixed dates and sorted names; `first` is written first (EPUB's
    `mimetype`), names in `stored` are not compressed.

    The entries are compressed on all cores (zlib releases the GIL; a large EPUB is hundreds of
    megabytes of SVG) and the archive is laid out as `zipfile` lays it out, byte for byte. With a
    `cache`, an entry compressed before (the same bytes) is not compressed again: after an edit,
    only the pages that changed are."""
    names = sorted(entries)
    if first is not None and first in entries:
        names.remove(first)
        names.insert(0, first)
    keys = {name: _deflate_key(entries[name]) for name in names if cache is not None and name not in stored}
    deflated = {
        name: data for name, k in keys.items() if cache and (data := cache.get_bytes(DEFLATE_CACHE, k))
    }
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        packed = list(pool.map(lambda name: _pack(entries[name], name in stored, deflated.get(name)), names))
    if cache is not None:
        for name, (data, *_) in zip(names, packed, strict=True):
            if name in keys and name not in deflated:
                cache.put_bytes(DEFLATE_CACHE, keys[name], data)
    return _zip_layout(names, packed)


def _deflate_key(data: bytes) -> str:
    return key(DEFLATE_VERSION, zlib.ZLIB_RUNTIME_VERSION, hashlib.sha256(data).hexdigest())


def _pack(data: bytes, store: bool, deflated: bytes | None = None) -> tuple[bytes, int, int, int]:
    """(the bytes to write, zip method, CRC-32, size): raw deflate at zlib's default level
    (on a large EPUB, level 9 took half as long again for 0.2 % fewer bytes), or `deflated`, the
    same bytes compressed before."""
    if store:
        return data, zipfile.ZIP_STORED, zlib.crc32(data), len(data)
    if deflated is None:
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = deflate.compress(data) + deflate.flush()
    return deflated, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data)


def _zip_layout(names: list[str], packed: list[tuple[bytes, int, int, int]]) -> bytes:
    """Local headers, data and the central directory, with the fields `zipfile` writes for a
    `ZipInfo` dated ZIP_EPOCH, mode 0644, made on Unix (no zip64: archives here are far smaller)."""
    year, month, day, hour, minute, second = ZIP_EPOCH
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    out = io.BytesIO()
    central = []
    for name, (data, method, crc, size) in zip(names, packed, strict=True):
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), 0x800
        offset = out.tell()
        common = struct.pack(
            "<HHHHHLLLH", _VERSION, flags, method, dos_time, dos_date, crc, len(data), size, len(raw)
        )
        out.write(b"PK\x03\x04" + common + struct.pack("<H", 0) + raw)
        out.write(data)
        central.append(
            b"PK\x01\x02"
            + struct.pack("<BB", _VERSION, 3)
            + common
            + struct.pack("<HHHHLL", 0, 0, 0, 0, 0o644 << 16, offset)
            + raw
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, len(names), len(names), len(directory), start, 0)
    )
    return out.getvalue()
