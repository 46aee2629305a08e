"""Resolving many paths in few folders (standard library only: `compiler.nochange` uses it).

`Path.resolve` asks the file system about every component of a path; a backend writes thousands
of files into a few folders. A folder is resolved once here, and a file that is not itself a
link is its resolved folder joined with its name, which is what `Path.resolve` gives for it.
"""

from __future__ import annotations

from pathlib import Path


class Resolver:
    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        if path.name in ("", ".", "..") or path.is_symlink():
            return path.resolve()
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name
