"""`notedeck sync`: apply a build straight to a closed Anki collection (the `anki` extra).

An import alone cannot remove a note, move a card to another deck or keep the tags a user
added in Anki (DESIGN §4). Sync builds as usual, backs the collection up, imports the package
for new notes and the note types, then sets the fields and tags of every note of ours to what
the build says (keeping tags the last build did not write: the user's), moves cards whose deck
changed and deletes the notes whose cards left the notes.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import identity
from .apkg import packaged_media
from .build import BuildOptions, Staged, build, locked, notes_root, previous_state
from .config import SYNC_BACKUPS, load_config_file
from .errors import NotedeckError, UsageProblem
from .leftovers import scratch_folder
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
    *,
    backups: int | None = None,
) -> tuple[Report, SyncResult]:
    """Build the notes under `paths`, then apply the build to the Anki collection file.

    The collection is opened first and held to the end, so that Anki cannot open it between
    the check and the changes. The build's package and state are written, then Anki is
    changed, and only then do they replace the old ones (see build.BuildOptions.before_commit):
    a sync stopped before that leaves the old state, and the next sync does it all again,
    whereas a state that moved on before Anki did would take the last build's tags for the
    user's. `backups` (default: `sync_backups` of notedeck.yaml) is how many backups are kept.
    """
    refuse_non_collection(collection)
    keep = backups if backups is not None else _configured_backups(paths)
    col = open_collection(collection)
    try:
        with locked(paths, options):  # the state read as `previous` is the one built on
            previous = previous_state(paths, options)
            applied: list[SyncResult] = []

            def to_anki(staged: Staged) -> None:
                last = previous
                if last is not None and last.namespace != staged.state.namespace:
                    last = None  # another namespace's notes are not this build's to delete
                backup = backup_collection(col, collection, keep)
                result = SyncResult(collection, backup)
                try:
                    apply(col, staged.report, last, staged.state.models_mod, result, staged)
                except Exception as exc:
                    if not type(exc).__module__.startswith("anki."):
                        raise
                    reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
                    raise NotedeckError(
                        f"{collection}: Anki could not take the build: {reason}; the state "
                        f"file is as before (backup: {backup.name})"
                    ) from None
                applied.append(result)
                col.close()  # flushed into the collection file before the state moves on

            options = dataclasses.replace(options, before_commit=to_anki)
            report = build(paths, options, overrides)
    finally:
        if col.db is not None:
            col.close()
    return report, applied[0]


def refuse_non_collection(path: Path) -> None:
    """One line, before anything else, for a path that is no Anki collection: missing, empty
    (Anki would make a new collection of it) or another SQLite database (Anki would add its
    tables to it)."""
    if not path.is_file():
        raise UsageProblem(f"{path}: no such Anki collection file")
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise NotedeckError(f"{path}: cannot open the Anki collection: {exc.strerror}") from None
    if not head:
        raise NotedeckError(f"{path}: cannot open the Anki collection: the file is empty")
    if head != b"SQLite format 3\x00":
        raise NotedeckError(f"{path}: cannot open the Anki collection: file is not a database")
    try:
        # Read only the schema, as the file is: no lock taken and no -shm file left beside a
        # collection in WAL mode (Anki checkpoints its schema into the file when it closes).
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True)
        try:
            tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise NotedeckError(f"{path}: cannot open the Anki collection: {exc}") from None
    # A collection Anki holds open may have its tables only in its WAL still: Anki then
    # refuses it as open (see open_collection).
    wal = path.with_name(path.name + "-wal")
    if not {"col", "notes", "cards"} <= tables and not wal.exists():
        raise NotedeckError(
            f"{path}: cannot open the Anki collection: a SQLite database without Anki's tables"
        )


def _configured_backups(paths: Sequence[Path]) -> int:
    """`sync_backups` of notedeck.yaml at the notes root, else the default."""
    settings, _ = load_config_file(notes_root(paths))
    return int(settings.get("sync_backups", SYNC_BACKUPS))


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


BACKUP_INFIX = ".notedeck-backup-"


def backup_collection(col: Collection, path: Path, keep: int = SYNC_BACKUPS) -> Path:
    """Back the open collection up beside its file, named with the time (SQLite's VACUUM INTO
    through Anki's own connection: the file alone may lack what is still in its WAL), then
    delete all but the newest `keep` of these backups."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # After every backup of this second, even those pruned: a reused name would sort first.
    count = 1 + max((n for (s, n), _ in _backups(path) if s == stamp), default=0)
    suffix = f"-{count}" if count > 1 else ""
    backup = path.with_name(f"{path.stem}{BACKUP_INFIX}{stamp}{suffix}{path.suffix}")
    db = col.db
    if db is None:  # pragma: no cover - sync passes the collection it holds open
        raise NotedeckError(f"{path}: the collection is closed")
    try:
        db.execute("vacuum into ?", str(backup))
    except Exception as exc:  # anki's DBError or an OSError: one line, no traceback
        backup.unlink(missing_ok=True)
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise NotedeckError(f"{backup}: cannot back up the collection: {reason}") from None
    prune_backups(path, keep)
    return backup


def prune_backups(path: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` of sync's backups of the collection at `path`; the
    ones deleted. Only files named as `backup_collection` names them are touched."""
    found = _backups(path)
    old = [backup for _, backup in found[: max(0, len(found) - keep)]]
    for backup in old:
        backup.unlink(missing_ok=True)
    return old


def _backups(path: Path) -> list[tuple[tuple[str, int], Path]]:
    """sync's backups of the collection at `path`, oldest first, each with its (time, count)."""
    pattern = re.compile(
        re.escape(path.stem + BACKUP_INFIX) + r"(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix)
    )
    found = []
    for candidate in path.parent.iterdir():
        match = pattern.fullmatch(candidate.name)
        if match and candidate.is_file():
            found.append(((match.group(1), int(match.group(2) or 1)), candidate))
    return sorted(found)


def apply(
    col: Collection,
    report: Report,
    previous: identity.State | None,
    models_mod: int,
    result: SyncResult,
    staged: Staged | None = None,
) -> SyncResult:
    """Make the collection hold what the build says; fill in and return `result`.

    `previous` is the state of the build before (the tags it wrote are notedeck's, the others
    the user's); `models_mod` the note types' mod of this build; `staged` where the build's
    new packages are until they replace the old ones.
    """
    from anki import import_export_pb2 as ie
    from anki.notes import NoteId

    before = {guid: tags.split() for guid, tags in _rows(col, "select guid, tags from notes")}
    live = [p for p in report.planned if p.card is not None]
    with scratch_folder() as temp:  # named by this process: see leftovers.py
        # The live notes only: a tombstone would come back as a new note, to be deleted again.
        package = temp / "sync.apkg"
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
        readable = staged.readable(package) if staged is not None else package
        for name, data in packaged_media(readable, lambda name: not col.media.have(name)):
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
