"""Writing outputs so that a reader only ever sees a complete file.

Every file goes to a temporary name in its own folder, reaches the disk, and is moved over the
old one with `os.replace`, which is atomic on POSIX: an interrupted or failed build leaves the
previous output in place. Zip archives are written with fixed dates and sorted entries so that the same
input gives the same bytes.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_temporary(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically; False (and nothing touched) when it is already there."""
    if _unchanged(path, data):
        return False
    tmp = _write_temporary(path, data)
    try:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())  # on disk before the rename makes it the output
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


class StagedWrites:
    """A backend's outputs, moved into place together once all are written.

    Each file goes to a temporary name next to its output; `commit` flushes them all to disk
    with one `sync` (one fsync per file costs more than writing a small JSON document) and
    renames each over its output. Files whose bytes are unchanged are not touched at all."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, path: Path, data: bytes) -> None:
        if not _unchanged(path, data):
            self._staged.append((_write_temporary(path, data), path))

    def commit(self) -> None:
        if not self._staged:
            return
        os.sync()
        for tmp, path in self._staged:
            os.replace(tmp, path)
        self._staged.clear()

    def discard(self) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()


def write_text_atomic(path: Path, text: str) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"))


def reproducible_zip(
    entries: dict[str, bytes], first: str | None = None, stored: tuple[str, ...] = ()
) -> bytes:
    """A zip of `entries` with fixed dates and sorted names; `first` is written first (EPUB's
    `mimetype`), names in `stored` are not compressed."""
    names = sorted(entries)
    if first is not None and first in entries:
        names.remove(first)
        names.insert(0, first)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            # zlib's default level: on a large EPUB, 9 took half as long again for 0.2 % fewer bytes
            archive.writestr(info, entries[name], compresslevel=6 if name not in stored else None)
    return buffer.getvalue()


def rezip(data: bytes, first: str | None = None, stored: tuple[str, ...] = ()) -> bytes:
    """Re-pack a zip made by a library (genanki, ebooklib) reproducibly."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    return reproducible_zip(entries, first=first, stored=stored)
