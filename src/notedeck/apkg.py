"""Write an .apkg file with sqlite3 and zipfile, in one pass over the notes.

The collection is the one genanki's `Package.write_to_file` writes: the same schema, the same
`col` row, note types and decks as genanki describes them (package.py hands them in; this
module does not import genanki), notes and cards numbered the same way. What differs is speed:
genanki reads, updates and rewrites the whole deck list and note-type list as JSON once per
deck, which grows with the square of the number of decks; a vault of 2,000 notes, each its own
deck, spent 18 of its 22 seconds there. Here each list is written once and the rows go in with
`executemany`.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .leftovers import scratch_folder
from .output import replacing

# ivl, factor, reps, lapses, left, odue, odid, flags, data of a card never reviewed
_NEW_CARD = (0, 0, 0, 0, 0, 0, 0, 0, "")
_SPACE = re.compile(r"\s")


class NoteRow(NamedTuple):
    """One note as the collection stores it, with the ordinals of the cards it makes (a named
    tuple: a package makes one per note, and a tuple is made in C)."""

    guid: str
    model_id: int
    deck_id: int
    mod: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    # None (only for `update_apkg`): the cards the note has in the kept collection, which
    # are right when it has the same fields empty there (front/back note types).
    card_ords: tuple[int, ...] | None
    due: int = 0


@dataclass(frozen=True)
class Collection:
    """Everything an .apkg holds besides the notes: the SQL that makes an empty collection,
    and the note types and decks as JSON objects keyed by their IDs."""

    schema_sql: str
    col_sql: str
    models: Mapping[str, Any]
    decks: Mapping[str, Any]


def write_apkg(
    path: Path,
    collection: Collection,
    notes: Sequence[NoteRow],
    media: Sequence[Path] = (),
    first_id: int = 0,
    keep: Path | None = None,
) -> bool:
    """Write the package to a temporary file beside `path`, then rename it into place.

    Note and card IDs count up from `first_id` (genanki starts at the build time in ms).
    With `keep`, the collection is also copied there, for `update_apkg` to change next time;
    True when it was (keeping it only saves time: a failure removes the old copy and is
    otherwise ignored).
    """
    with scratch_folder() as scratch:
        database = scratch / "collection.anki2"
        _write_database(database, collection, notes, first_id)
        _zip(path, database, media)
        if keep is None:
            return False
        try:
            _copy(database, keep)
        except OSError:
            keep.unlink(missing_ok=True)  # an older copy no longer matches the package
            return False
        return True


def update_apkg(
    path: Path, kept: Path, notes: Sequence[NoteRow], media: Sequence[Path] = ()
) -> bool:
    """Change `notes` (matched by GUID) in the collection kept by the last `write_apkg`, then
    write the package from it as `write_apkg` would; False, with nothing written, when a note
    is not there with the same note type, deck and cards (then write the package afresh).

    Only the note's mod, fields and tags change, and its cards' mod: what a rebuild after an
    edit changes. The caller makes sure the rest of the collection is what it would write.
    """
    # The kept collection is changed in place, in one SQLite transaction: a note that does not
    # fit rolls it back. Should the package then fail to be written, the kept collection is
    # ahead of it, its stamp no longer the one the cache recorded, and the next build writes
    # the package afresh. (Copying the 9 MB collection to change the copy took 6 ms.)
    try:
        _update_kept(path, kept, notes, media)
    except _NotKept:
        return False
    return True


class _NotKept(Exception):
    """A note of the rebuild is not in the kept collection as it would be written."""


def _update_kept(path: Path, kept: Path, notes: Sequence[NoteRow], media: Sequence[Path]) -> None:
    connection = sqlite3.connect(kept)
    try:
        # The rollback journal in memory: a journal file left by a crash could be played
        # back into the collection that the next build writes afresh under the same name.
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        for note in notes:
            if _SPACE.search("".join(note.tags)):
                raise ValueError(f"an Anki tag cannot hold spaces: {note.tags!r}")
            found = connection.execute(
                "SELECT id, mid, flds FROM notes WHERE guid = ?", (note.guid,)
            ).fetchall()
            if len(found) != 1 or found[0][1] != note.model_id:
                raise _NotKept
            note_id, _, kept_fields = found[0]
            cards = connection.execute(
                "SELECT ord, did FROM cards WHERE nid = ? ORDER BY id", (note_id,)
            ).fetchall()
            ords = note.card_ords
            if ords is None:
                empty = [not f for f in kept_fields.split("\x1f")]
                if empty != [not f for f in note.fields]:
                    raise _NotKept
                ords = tuple(o for o, _ in cards)
            if [(o, note.deck_id) for o in ords] != cards:
                raise _NotKept
            connection.execute(
                "UPDATE notes SET mod = ?, tags = ?, flds = ?, sfld = ? WHERE id = ?",
                (
                    note.mod,
                    " " + " ".join(note.tags) + " ",
                    "\x1f".join(note.fields),
                    note.fields[0] if note.fields else "",
                    note_id,
                ),
            )
            connection.execute("UPDATE cards SET mod = ? WHERE nid = ?", (note.mod, note_id))
        connection.commit()
    finally:
        connection.close()  # without a commit: the changes are rolled back
    _zip(path, kept, media)


def packaged_media(
    path: Path, wanted: Callable[[str], bool] = lambda name: True
) -> Iterator[tuple[str, bytes]]:
    """The media files the package at `path` ships, as (file name, bytes): those `wanted`
    says yes to, the others not even read (push and sync copy only what Anki lacks)."""
    with zipfile.ZipFile(path) as archive:
        for member, name in json.loads(archive.read("media")).items():
            if wanted(name):
                yield name, archive.read(member)


# The collection deflated at zlib's quickest level: the 8.8 MB collection of the 20,000-card
# bench vault becomes 1.8 MB for 40 ms more (level 6: 1.5 MB for 320 ms more), and a note of
# 50 MB no longer makes a package six times its size. Images, sound and video are compressed
# already: they are stored as they are.
COMPRESS_LEVEL = 1
_COMPRESSED_MEDIA = frozenset(
    [
        ".avif",
        ".gif",
        ".jpeg",
        ".jpg",
        ".m4a",
        ".mp3",
        ".mp4",
        ".oga",
        ".ogg",
        ".ogv",
        ".opus",
        ".png",
        ".webm",
        ".webp",
    ]
)


def _zip(path: Path, database: Path, media: Sequence[Path]) -> None:
    with (
        replacing(path) as scratch,
        zipfile.ZipFile(
            scratch, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        ) as archive,
    ):
        archive.write(database, "collection.anki2")
        archive.writestr("media", json.dumps({str(i): m.name for i, m in enumerate(media)}))
        for index, media_path in enumerate(media):
            stored = media_path.suffix.lower() in _COMPRESSED_MEDIA
            archive.write(media_path, str(index), zipfile.ZIP_STORED if stored else None)


def _copy(source: Path, target: Path) -> None:
    """Copy a file through a temporary file beside `target`, so `target` is never half."""
    with replacing(target) as scratch:
        shutil.copyfile(source, scratch)


def _write_database(
    database: Path, collection: Collection, notes: Sequence[NoteRow], first_id: int
) -> None:
    connection = sqlite3.connect(database)
    try:
        # A scratch file that is zipped and deleted: no journal, no waiting for the disk.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        # The tables first, their indexes after the rows: building an index once over sorted
        # rows is quicker than keeping it up to date through 40,000 inserts.
        tables, indexes = _split_schema(collection.schema_sql)
        connection.executescript(tables)
        connection.executescript(collection.col_sql)
        (decks_json, models_json) = connection.execute("SELECT decks, models FROM col").fetchone()
        decks = {**json.loads(decks_json), **collection.decks}
        models = {**json.loads(models_json), **collection.models}
        connection.execute(
            "UPDATE col SET decks = ?, models = ?", (json.dumps(decks), json.dumps(models))
        )
        next_id = first_id
        note_rows: list[tuple[Any, ...]] = []
        card_rows: list[tuple[Any, ...]] = []
        for note in notes:
            if _SPACE.search("".join(note.tags)):
                raise ValueError(f"an Anki tag cannot hold spaces: {note.tags!r}")
            note_id = next_id
            next_id += 1
            fields = note.fields
            note_rows.append(
                (
                    note_id,
                    note.guid,
                    note.model_id,
                    note.mod,
                    -1,
                    " " + " ".join(note.tags) + " ",
                    "\x1f".join(fields),
                    fields[0] if fields else "",
                    0,
                    0,
                    "",
                )
            )
            for card_ord in note.card_ords or ():  # a new package's rows always name them
                # id, nid, did, ord, mod, usn, type, queue, due, then the review columns
                head = (next_id, note_id, note.deck_id, card_ord, note.mod, -1, 0, 0, note.due)
                card_rows.append((*head, *_NEW_CARD))
                next_id += 1
        connection.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", note_rows)
        connection.executemany(
            "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows
        )
        connection.executescript(indexes)
        connection.commit()
    except sqlite3.OperationalError as exc:  # "database or disk is full": one line, not a trace
        raise OSError(errno.EIO, str(exc)) from exc
    finally:
        connection.close()


def _split_schema(sql: str) -> tuple[str, str]:
    """The schema's statements that make tables, and those that make indexes."""
    statements = [part.strip() for part in sql.split(";") if part.strip()]
    indexes = [st for st in statements if st.upper().startswith("CREATE INDEX")]
    tables = [st for st in statements if st not in indexes]
    return ";\n".join(tables) + ";\n", ";\n".join(indexes) + ";\n" if indexes else ""


__all__ = ["Collection", "NoteRow", "update_apkg", "write_apkg"]
