"""`notedeck sync`: apply a build straight to a closed Anki collection (the `anki` extra).

An import alone cannot remove a note, move a card to another deck or keep the tags a user
added in Anki (DESIGN §4). Sync builds as usual, backs the collection up, imports the package
for new notes and the note types, then sets the fields and tags of every note of ours to what
the build says (keeping tags the last build did not write: the user's), moves cards whose deck
changed and deletes the notes whose cards left the notes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import identity
from .apkg import packaged_media
from .build import BuildOptions, build_after
from .errors import NotedeckError, UsageProblem
from .package import model_id, write_package
from .report import Report

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.collection import Collection
    from anki.decks import DeckId

LOCKED = "collection is open in Anki or locked; close Anki and retry"


@dataclass
class SyncResult:
    """What sync changed in the collection."""

    collection: Path
    backup: Path
    added: int = 0
    updated: int = 0
    moved: int = 0  # cards moved to another deck
    deleted: int = 0
    media: int = 0  # media files copied into collection.media
    skipped: list[str] = field(default_factory=list)  # notes sync left alone, and why

    def summary(self) -> str:
        """One line for a person."""
        return (
            f"{self.collection}: {self.added} added, {self.updated} updated, "
            f"{self.moved} cards moved to another deck, {self.deleted} deleted"
            + (f", {self.media} media file{'s' * (self.media != 1)} copied" if self.media else "")
            + f" (backup: {self.backup.name})"
        )


def sync(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None,
    collection: Path,
) -> tuple[Report, SyncResult]:
    """Build the notes under `paths`, then apply the build to the Anki collection file."""
    if not collection.is_file():
        raise UsageProblem(f"{collection}: no such Anki collection file")
    open_collection(collection).close()  # refuse before building when Anki holds it
    # The last build's state: the tags it wrote, the notes that are ours to delete.
    report, previous, current = build_after(paths, options, overrides)
    backup = backup_collection(collection)
    col = open_collection(collection)
    try:
        models_mod = current.models_mod if current is not None else 0
        result = apply(col, report, previous, models_mod, SyncResult(collection, backup))
    finally:
        col.close()
    return report, result


def open_collection(path: Path) -> Collection:
    """Open an existing collection; one line when Anki has it open or it is not one."""
    try:
        from anki.collection import Collection
        from anki.errors import DBError
    except ImportError:
        raise NotedeckError(
            "notedeck sync needs the anki package: pip install 'notedeck[anki]'"
        ) from None
    try:
        return Collection(str(path))
    except DBError as exc:
        text = str(exc)
        if "already open" in text or "locked" in text.lower():
            raise NotedeckError(f"{path}: {LOCKED}") from None
        detail = re.search(r'Some\(\\?"([^"\\]+)', text)
        reason = detail.group(1) if detail else text.splitlines()[0][:80]
        raise NotedeckError(f"{path}: cannot open the Anki collection: {reason}") from None


def backup_collection(path: Path) -> Path:
    """Copy the (closed) collection file beside itself, named with the time."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.stem}.notedeck-backup-{stamp}{path.suffix}")
    count = 1
    while backup.exists():
        count += 1
        backup = path.with_name(f"{path.stem}.notedeck-backup-{stamp}-{count}{path.suffix}")
    try:
        shutil.copy2(path, backup)
    except OSError as exc:
        raise NotedeckError(f"{backup}: cannot back up the collection: {exc.strerror}") from None
    return backup


def apply(
    col: Collection,
    report: Report,
    previous: identity.State | None,
    models_mod: int,
    result: SyncResult,
) -> SyncResult:
    """Make the collection hold what the build says; fill in and return `result`.

    `previous` is the state of the build before (the tags it wrote are notedeck's, the others
    the user's); `models_mod` the note types' mod of this build.
    """
    from anki import import_export_pb2 as ie
    from anki.notes import NoteId

    before = {guid: tags.split() for guid, tags in _rows(col, "select guid, tags from notes")}
    live = [p for p in report.planned if p.card is not None]
    with tempfile.TemporaryDirectory(prefix="notedeck-sync-") as temp:
        # The live notes only: a tombstone would come back as a new note, to be deleted again.
        package = Path(temp) / "sync.apkg"
        write_package(live, package, now=models_mod)
        options = ie.ImportAnkiPackageOptions(
            # Notes: only new ones; fields and tags are set below, whatever the mods say.
            update_notes=ie.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_NEVER,
            update_notetypes=ie.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            merge_notetypes=False,
            with_scheduling=False,
            with_deck_configs=False,
        )
        col.import_anki_package(
            ie.ImportAnkiPackageRequest(package_path=str(package), options=options)
        )
    after: dict[str, int] = {guid: nid for guid, nid in _rows(col, "select guid, id from notes")}
    last_tags = previous.entries if previous is not None else {}
    changed_notes = []
    moves: dict[DeckId, list[CardId]] = defaultdict(list)
    for item in live:
        nid = after.get(item.guid)
        if nid is None:
            continue
        note = col.get_note(NoteId(nid))
        if note.mid != model_id(item.model) or len(note.fields) != len(item.fields):
            result.skipped.append(f"{item.source}: the note in Anki has another note type")
            continue
        if item.guid not in before:
            result.added += 1
        fields = [unicodedata.normalize("NFC", f) for f in item.fields]
        written = last_tags[item.guid].tags if item.guid in last_tags else ()
        own = {t.casefold() for t in (*written, *item.tags, identity.REMOVED_TAG)}
        users = [t for t in before.get(item.guid, []) if t.casefold() not in own]
        tags = [*item.tags, *users]
        if note.fields != fields or _tag_set(note.tags) != _tag_set(tags):
            note.fields[:] = fields
            note.tags = tags
            changed_notes.append(note)
            if item.guid in before:
                result.updated += 1
        deck = col.decks.id(item.deck, create=True)
        for card in note.cards():
            if deck is not None and (card.odid or card.did) != deck:
                moves[deck].append(card.id)
    if changed_notes:
        col.update_notes(changed_notes)
    for deck, cards in moves.items():
        col.set_deck(cards, deck)
        result.moved += len(cards)
    kept = {p.guid for p in live}
    gone = {p.guid for p in report.planned if p.card is None} | (set(last_tags) - kept)
    doomed = [NoteId(after[guid]) for guid in sorted(gone) if guid in after]
    if doomed:
        col.remove_notes(doomed)
    result.deleted = len(doomed)
    # The import above brings the files of the notes it adds, not of those whose fields are
    # set here: copy every file the cards use that the collection lacks.
    for package in report.packages:
        for name, data in packaged_media(package, lambda name: not col.media.have(name)):
            col.media.write_data(name, data)
            result.media += 1
    return result


def _rows(col: Collection, sql: str) -> list[Any]:
    db = col.db
    if db is None:  # pragma: no cover - open_collection gives an open one
        raise NotedeckError(f"{col.path}: the collection is closed")
    return list(db.all(sql))


def _tag_set(tags: Sequence[str]) -> set[str]:
    return {t.casefold() for t in tags}
