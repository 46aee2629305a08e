"""An `.apkg` as bytes, the same bytes for the same input.

genanki's `Package.write_to_file` is close to reproducible once it is given a timestamp (its
collection row, deck and deck-config JSON are constants; note and card ids count up from
`timestamp * 1000`), but it leaves its SQLite file behind in the system temp folder, numbers
media in the order given and zips with the current time. So the package is assembled here from
genanki's own `write_to_db`: the database goes to a private temporary folder, media are sorted
by name, and the zip is written with `reproducible_zip` (fixed dates, sorted entries).
"""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import genanki

from compiler.output import reproducible_zip


def package_bytes(decks: list[genanki.Deck], media: list[Path], timestamp: int) -> bytes:
    """The `.apkg` of `decks` with `media` (referred to by base name), notes stamped `timestamp`."""
    ordered = sorted(media, key=lambda p: p.name)
    names = [p.name for p in ordered]
    if len(set(names)) != len(names):
        raise ValueError(f"two media files share a name: {sorted(n for n in names if names.count(n) > 1)}")
    package = genanki.Package(decks, media_files=[str(p) for p in ordered])
    entries = {"collection.anki2": _database(package, timestamp)}
    entries["media"] = json.dumps({str(i): name for i, name in enumerate(names)}, sort_keys=True).encode()
    for i, path in enumerate(ordered):
        entries[str(i)] = path.read_bytes()
    return reproducible_zip(entries)


def _database(package: genanki.Package, timestamp: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="qbank-anki-") as tmp:
        path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(path)
        try:
            # Ids count up from the timestamp in milliseconds, exactly as write_to_file does.
            package.write_to_db(conn.cursor(), timestamp, itertools.count(timestamp * 1000))
            conn.commit()
        finally:
            conn.close()
        return path.read_bytes()


def note_fields(apkg: bytes) -> dict[int, dict[str, str]]:
    """Every note of a package, by notetype id: its `Id` field (the first) -> its third field
    (a key-point note's Points); for an image-occlusion note, its Comments (question and figure)
    -> its Occlusion field.

    Used to compare a build with the previous one: Anki never deletes notes or cards on import,
    so the user is told which formula notes a rename or removal left behind, and which key-point
    cards a removed point left empty.
    """
    with zipfile.ZipFile(io.BytesIO(apkg)) as archive:
        database = archive.read("collection.anki2")
    with tempfile.TemporaryDirectory(prefix="qbank-anki-") as tmp:
        path = Path(tmp) / "collection.anki2"
        path.write_bytes(database)
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("SELECT mid, flds FROM notes ORDER BY id").fetchall()
        finally:
            conn.close()
    return fields_by_notetype((int(mid), str(flds).split("\x1f")) for mid, flds in rows)


def deck_fields(decks: list[genanki.Deck]) -> dict[int, dict[str, str]]:
    """`note_fields` of the package of `decks`, without writing it: notes are numbered in the
    order the decks hold them (`write_to_db` counts their ids up in that order)."""
    return fields_by_notetype((n.model.model_id, list(n.fields)) for d in decks for n in d.notes)


def fields_by_notetype(notes: Iterable[tuple[int, list[str]]]) -> dict[int, dict[str, str]]:
    """(notetype id, fields) of every note, in id order, as `note_fields` gives them."""
    found: dict[int, dict[str, str]] = {}
    for mid, fields in notes:
        if len(fields) == 5 and fields[0].startswith("{{c"):  # image occlusion: Comments names it
            found.setdefault(mid, {})[fields[4]] = fields[0]
            continue
        found.setdefault(mid, {})[fields[0]] = fields[2] if len(fields) > 2 else ""
    return found
