"""What a build must remember between runs, under build/.state/: the one module that reads and
writes that folder.

- per backend and bank: the fingerprint it was built from and the digest and stat of every
  file it wrote, so an unchanged backend is skipped, a file it no longer writes is deleted, and
  an output still as it was written is never read again;
- per bank: the question ids it had, so a question that leaves the bank is reported once, and
  `new` never hands out an id that an earlier build saw (users' Anki collections still hold it);
- the content (hash) and time of each source file git does not vouch for, so that its time moves
  when its content changes and only then (`compiler.timestamps`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from compiler.output import Written, write_text_atomic
from compiler.timestamps import Remembered, Seen


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# what `clean` leaves in place: the ids of every bank an earlier build saw
KEPT_BY_CLEAN = "ids-*.json"


def _file(out: Path, kind: str, name: str) -> Path:
    return out / ".state" / f"{kind}-{name}.json"


def _read_outputs(out: Path, backend: str, stem: str) -> tuple[str, dict[str, list[object]]]:
    """The fingerprint the last build of `backend` for `stem` recorded, and what it wrote: the
    path relative to `out` -> [sha256, size, mtime_ns]."""
    try:
        state = json.loads(_file(out, backend, stem).read_text(encoding="utf-8"))
        fingerprint, outputs = state["fingerprint"], state["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return "", {}
    if not (isinstance(fingerprint, str) and isinstance(outputs, dict)):
        return "", {}
    return fingerprint, outputs


def _under(out: Path, rel: str) -> str:
    """`str(out / rel)`, without making a Path (`rel` is normalised: `relative_to` made it)."""
    return os.path.join(str(out), rel) if str(out) != "." else rel


def _relative(out: Path, path: str) -> str:
    prefix = "" if str(out) == "." else os.path.join(str(out), "")
    return path[len(prefix) :] if path.startswith(prefix) else str(Path(path).relative_to(out))


def _written(out: Path, outputs: dict[str, list[object]]) -> dict[str, Written]:
    found = {}
    for rel, record in outputs.items():
        match record:
            case [str(sha256), int(size), int(mtime_ns)]:
                found[_under(out, rel)] = Written(sha256, size, mtime_ns)
            case _:  # a record from before stats were kept: every file is read once more
                return {}
    return found


def recorded_outputs(out: Path, backend: str, stem: str) -> dict[str, Written]:
    """What the last build of `backend` for the bank `stem` wrote, by `str(path)`, each file with
    its hash and stat (`compiler.output.StagedWrites` leaves a file alone that is still as
    recorded)."""
    return _written(out, _read_outputs(out, backend, stem)[1])


def up_to_date(out: Path, backend: str, stem: str, fingerprint: str) -> list[Path] | None:
    """The outputs of the last build of `backend` for the bank `stem` when it was built from
    `fingerprint` and none of its files was touched since; None when it must run. A file is
    read only when its stat is not the recorded one."""
    before, recorded = _read_outputs(out, backend, stem)
    if not before or before != fingerprint:
        return None
    outputs = _written(out, recorded)
    if len(outputs) != len(recorded):
        return None
    for name, written in outputs.items():
        path = Path(name)
        if written.on_disk(path):
            continue
        try:
            if file_digest(path) != written.sha256:
                return None
        except OSError:
            return None
    return [Path(name) for name in outputs]


def record_outputs(
    out: Path,
    backend: str,
    stem: str,
    fingerprint: str,
    written: list[Path],
    records: dict[str, Written] | None = None,
) -> None:
    """Remember what `backend` wrote and from what; delete what it wrote last time for this bank
    but not this time (a removed question's page). `records`: the outputs as the backend left
    them (hash and stat, by `str(path)`), so that none is read again here; a file without one
    is hashed."""
    path = _file(out, backend, stem)
    records = records or {}
    now = {}
    for p in written:
        name = str(p)
        record = records.get(name)
        if record is None:
            record = Written.of(p, file_digest(p))
        now[_relative(out, name)] = [record.sha256, record.size, record.mtime_ns]
    before = _read_outputs(out, backend, stem)[1]
    for rel in set(before) - set(now):
        if isinstance(rel, str) and ".." not in Path(rel).parts:
            (out / rel).unlink(missing_ok=True)
    state = {"fingerprint": fingerprint, "outputs": now}
    # no indent: json's C encoder writes it (with an indent, the Python one: a second at 10,000)
    write_text_atomic(path, json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _read_ids(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [i for i in data if isinstance(i, str)] if isinstance(data, list) else []


def ids_gone(out: Path, stem: str, ids: list[str]) -> list[str]:
    """Ids the last build of this bank had and `ids` lacks, in their old order."""
    now = set(ids)
    return [i for i in _read_ids(_file(out, "ids", stem)) if i not in now]


def record_ids(out: Path, stem: str, ids: list[str]) -> None:
    write_text_atomic(_file(out, "ids", stem), json.dumps(ids, ensure_ascii=False, indent=0))


def ids_seen(out: Path) -> set[str]:
    """Every question id any earlier build into `out` saw, whatever the bank or filter."""
    seen: set[str] = set()
    for path in sorted((out / ".state").glob("ids-*.json")):
        seen.update(_read_ids(path))
    return seen


def content_times(out: Path) -> Remembered:
    """What earlier builds saw of the source files git does not vouch for (compiler.timestamps)."""
    try:
        data = json.loads(_file(out, "times", "source").read_text(encoding="utf-8"))
        return {str(name): Seen(str(s), int(t), int(z), int(m)) for name, (s, t, z, m) in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def record_content_times(out: Path, root: Path, seen: Remembered) -> None:
    """Remember `seen` for the files under `root`; what other source folders left is kept."""
    inside = str(root.resolve()) + "/"
    kept = {name: s for name, s in content_times(out).items() if not name.startswith(inside)}
    data = {name: [s.sha256, s.time, s.size, s.mtime_ns] for name, s in sorted({**kept, **seen}.items())}
    text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True)
    path = _file(out, "times", "source")
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_text_atomic(path, text)
