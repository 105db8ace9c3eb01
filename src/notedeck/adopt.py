"""`notedeck build --adopt PACKAGE|COLLECTION`: a lost state file rebuilt from what notedeck
wrote before, so that renamed and moved cards keep their notes in Anki.

The notes of notedeck's note types are read from a package (`.apkg`, as notedeck writes it)
or an Anki collection file (closed), and each is matched to a card of this build: by GUID
(the card's own), else by its Term field, else by its Definition field (each only when it is
unique on both sides). A matched note becomes the state entry of its card, with the note's
fields, tags and mod, so the plan keeps its GUID and moves its mod only if its content
changed; a note no card matches is a removed card (a tombstone).
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import identity
from .errors import UsageProblem
from .package import (
    BASIC_MODEL_ID,
    BASIC_NAME,
    CLOZE_MODEL_ID,
    CLOZE_NAME,
    REVERSED_MODEL_ID,
    REVERSED_NAME,
)
from .render import RenderedCard

_MODELS = {BASIC_MODEL_ID: BASIC_NAME, REVERSED_MODEL_ID: REVERSED_NAME, CLOZE_MODEL_ID: CLOZE_NAME}
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class OldNote:
    """A note of one of notedeck's note types, as a package or collection holds it."""

    guid: str
    model: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    mod: int


def read_notes(path: Path) -> list[OldNote]:
    """notedeck's notes in a package or a collection file; UsageProblem when it is neither."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as folder:
            names = set(archive.namelist())
            if "collection.anki2" not in names:
                raise UsageProblem(
                    f"{path}: not a package notedeck wrote (no collection.anki2 in it); "
                    "give the collection file instead"
                )
            database = Path(folder, "collection.anki2")
            database.write_bytes(archive.read("collection.anki2"))
            return _read_collection(database, path)
    return _read_collection(path, path)


def _read_collection(database: Path, shown: Path) -> list[OldNote]:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            decks = _deck_names(connection)
            deck_of = dict(connection.execute("SELECT nid, did FROM cards ORDER BY ord DESC"))
            rows = connection.execute("SELECT id, guid, mid, mod, flds, tags FROM notes").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise UsageProblem(f"{shown}: not an Anki package or collection ({exc})") from None
    found = []
    for note_id, guid, model_id, mod, fields, tags in rows:
        model = _MODELS.get(int(model_id))
        if model is None:  # a note of the user's own, not notedeck's
            continue
        deck = decks.get(deck_of.get(note_id, 0), "")
        found.append(
            OldNote(
                str(guid), model, deck, tuple(fields.split("\x1f")), tuple(tags.split()), int(mod)
            )
        )
    return found


def _entry(
    note: OldNote, key: str, term: str, topic: tuple[str, ...] = (), note_path: str = ""
) -> identity.Entry:
    """The state entry of an old note, under `key`, with no definition hash (set when a card
    matched it)."""
    return identity.Entry(
        key,
        identity.content_hash(note.model, note.fields, note.tags),
        note.mod,
        term,
        "",
        note.deck,
        note.model,
        note.fields,
        note.tags,
        "",
        identity.REMOVED_TAG in note.tags,
        topic,
        note_path,
    )


def _text(field: str) -> str:
    """A field's HTML as the text of the term it shows."""
    return html.unescape(_TAGS.sub("", field)).strip()


def _deck_names(connection: sqlite3.Connection) -> dict[int, str]:
    """Deck names by ID: a `decks` table in a collection of Anki 2.1.28 and later (names
    joined by U+001F), else the JSON in `col` (a package genanki wrote, older collections)."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if "decks" in tables:
        return {
            int(deck_id): str(name).replace("\x1f", "::")
            for deck_id, name in connection.execute("SELECT id, name FROM decks")
        }
    (decks_json,) = connection.execute("SELECT decks FROM col").fetchone()
    return {int(k): str(v["name"]) for k, v in json.loads(decks_json).items()}


def adopted_state(
    old: Sequence[OldNote], rendered: Sequence[RenderedCard], namespace: str
) -> tuple[identity.State, int]:
    """The state a build of `rendered` would have had if it had built `old`; and how many
    of the old notes matched a card."""
    cards = [r.card for r in rendered]
    keyed, _ = identity.assign_keys(cards)
    unmatched = {note.guid: note for note in old}
    matched: dict[int, OldNote] = {}

    def pair(index: int, note: OldNote) -> None:
        matched[index] = note
        del unmatched[note.guid]

    for index, (_, key) in enumerate(keyed):
        note = unmatched.get(identity.guid_of_key(namespace, key))
        if note is not None and note.model == rendered[index].model:
            pair(index, note)
    for field in (0, 1):  # the Term field, then the Definition field
        cards_by = Counter(rendered[i].fields[field] for i in range(len(cards)) if i not in matched)
        notes_by = Counter(n.fields[field] for n in unmatched.values() if len(n.fields) > field)
        for index in range(len(cards)):
            value = rendered[index].fields[field]
            if index in matched or not value or cards_by[value] != 1 or notes_by[value] != 1:
                continue
            note = next(n for n in unmatched.values() if n.fields[field] == value)
            if note.model == rendered[index].model:
                pair(index, note)
    state = identity.State(namespace)
    for index, note in matched.items():
        card, key = keyed[index]
        # A note matched by its GUID has the card's key; one matched by term or definition
        # gets a key no card has, so that the plan pairs it as it pairs a card that moved
        # (same term) or was renamed (same definition) since the last build, and says so.
        if identity.guid_of_key(namespace, key) == note.guid:
            entry = _entry(note, key, card.term, card.topic, card.note_path)
        else:
            entry = _entry(note, f"adopted\x1f{note.guid}", _text(note.fields[0]))
        state.entries[note.guid] = entry._replace(definition_hash=identity.definition_hash(card))
    for guid, note in unmatched.items():  # cards that left the notes: tombstones now
        state.entries[guid] = _entry(note, f"adopted\x1f{guid}", _text(note.fields[0]))
    state.entries = dict(sorted(state.entries.items()))
    return state, len(matched)
