"""`notedeck sync`: the rebuild scenario applied straight to a closed Anki collection."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notedeck.build import BuildOptions
from notedeck.sync import SyncResult, sync
from tests.anki_helpers import answer, card_history
from tests.conftest import FIXTURES, run_cli
from tests.regen_scenario import (
    ADDED,
    EDITED,
    MOVED,
    NOW,
    REMOVED,
    RENAMED,
    REVIEWED,
    copy_v1,
    make_v2,
    notes_by_term,
)


def open_col(path: Path) -> Any:
    """The collection at `path`, opened (or created) the way Anki opens it."""
    from anki.collection import Collection

    return Collection(str(path))


@dataclass
class Synced:
    """What the sync scenario observed."""

    first: SyncResult
    second: SyncResult
    third: SyncResult
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]
    history_before: dict[str, tuple[int, int, int]]
    history_after: dict[str, tuple[int, int, int]]
    backups: list[Path]
    backup_terms: list[str]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    """v1 synced, reviewed and tagged in Anki; v2 synced; v2 synced again unchanged."""
    tmp = tmp_path_factory.mktemp("sync")
    notes_dir, out, path = copy_v1(tmp), tmp / "build", tmp / "anki" / "collection.anki2"
    path.parent.mkdir()
    open_col(path).close()
    _, first = sync([notes_dir], BuildOptions(out=out, now=NOW), None, path)
    col = open_col(path)
    before = notes_by_term(col)
    answer(col, [before[term]["card"] for term in REVIEWED])
    history_before = {term: card_history(col, before[term]["card"]) for term in REVIEWED}
    for term in ("Gateway", "Subnet", "Blanching"):
        note = col.get_note(before[term]["id"])
        note.tags.append("my_own")
        col.update_note(note)
    col.close()
    make_v2(notes_dir)
    _, second = sync([notes_dir], BuildOptions(out=out, now=NOW), None, path)
    col = open_col(path)
    after = notes_by_term(col)
    history_after = {
        term: card_history(col, after[RENAMED[1] if term == RENAMED[0] else term]["card"])
        for term in REVIEWED
        if term != REMOVED
    }
    col.close()
    _, third = sync([notes_dir], BuildOptions(out=out, now=NOW), None, path)
    backups = sorted(path.parent.glob("collection.notedeck-backup-*.anki2"))
    col = open_col(second.backup)  # taken just before v2 was applied
    backup_terms = sorted(notes_by_term(col))
    col.close()
    return Synced(
        first,
        second,
        third,
        before,
        after,
        history_before,
        history_after,
        backups,
        backup_terms,
    )


def test_first_sync_adds_every_card(synced: Synced) -> None:
    assert (synced.first.added, synced.first.updated, synced.first.deleted) == (30, 0, 0)
    assert len(synced.before) == 30


def test_second_sync_adds_updates_moves_and_deletes(synced: Synced) -> None:
    result = synced.second
    # Updated: 3 edits, the rename, the 4 moved cards (Source field); the removed one is deleted.
    assert (result.added, result.updated, result.moved, result.deleted) == (2, 8, 4, 1)
    assert result.skipped == []
    assert sorted(synced.after) == sorted(
        (set(synced.before) - {REMOVED, RENAMED[0]}) | {RENAMED[1], *ADDED}
    )


def test_removed_note_is_deleted_and_nothing_is_duplicated(synced: Synced) -> None:
    assert REMOVED not in synced.after
    assert len(synced.after) == 31
    assert all("notedeck::removed" not in n["tags"] for n in synced.after.values())


def test_moved_cards_are_in_their_new_deck_with_their_ids(synced: Synced) -> None:
    for term in MOVED:
        assert synced.after[term]["decks"] == ["hobby::Kitchen"]
        assert synced.after[term]["card"] == synced.before[term]["card"]
    assert synced.after[RENAMED[1]]["card"] == synced.before[RENAMED[0]]["card"]
    assert synced.after["Subnet"]["decks"] == ["Networking"]


def test_edits_arrive_and_tags_added_in_anki_survive(synced: Synced) -> None:
    for term in EDITED:
        assert synced.after[term]["fields"] != synced.before[term]["fields"]
    assert synced.after["Gateway"]["tags"] == ["Net", "Net::Addresses", "my_own"]
    assert synced.after["Subnet"]["tags"] == ["Net", "Net::Addresses", "my_own"]
    assert synced.after["Blanching"]["tags"] == ["Cooking", "Cooking::Techniques", "my_own"]
    assert synced.after["Port"]["tags"] == ["Net", "Net::Transport"]


def test_reviewed_cards_keep_their_history(synced: Synced) -> None:
    for term, (reps, interval, revlog) in synced.history_before.items():
        assert (reps, revlog) == (3, 3) and interval > 0, term
    expected = {t: h for t, h in synced.history_before.items() if t != REMOVED}
    assert synced.history_after == expected


def test_sync_without_change_changes_nothing(synced: Synced) -> None:
    result = synced.third
    assert (result.added, result.updated, result.moved, result.deleted) == (0, 0, 0, 0)


def test_each_sync_backs_the_collection_up_first(synced: Synced) -> None:
    assert len(synced.backups) == 3
    assert synced.second.backup in synced.backups
    assert all(b.stat().st_size > 0 for b in synced.backups)
    assert len(synced.backup_terms) == 30 and REMOVED in synced.backup_terms


def test_sync_refuses_an_open_collection_with_one_line(tmp_path: Path) -> None:
    notes_dir, path = copy_v1(tmp_path), tmp_path / "collection.anki2"
    col = open_col(path)  # as Anki holds it while running
    try:
        result = run_cli(
            "sync", str(notes_dir), "--collection", str(path), "-o", str(tmp_path / "out")
        )
    finally:
        col.close()
    assert result.exit_code == 1
    assert result.stderr == f"{path}: collection is open in Anki or locked; close Anki and retry\n"
    assert list(tmp_path.glob("*backup*")) == []
    assert not (tmp_path / "out").exists()


def test_sync_refuses_a_missing_or_broken_collection(tmp_path: Path) -> None:
    notes_dir = copy_v1(tmp_path)
    missing = tmp_path / "nope.anki2"
    result = run_cli("sync", str(notes_dir), "--collection", str(missing))
    assert (result.exit_code, result.stderr) == (2, f"{missing}: no such Anki collection file\n")
    assert not missing.exists()
    broken = tmp_path / "broken.anki2"
    broken.write_bytes(b"not a database " * 100)
    result = run_cli("sync", str(notes_dir), "--collection", str(broken))
    assert result.exit_code == 1
    assert result.stderr == f"{broken}: cannot open the Anki collection: file is not a database\n"


def test_sync_through_the_cli_prints_both_reports(tmp_path: Path) -> None:
    notes_dir, path = copy_v1(tmp_path), tmp_path / "collection.anki2"
    open_col(path).close()
    out = tmp_path / "out"
    result = run_cli("sync", str(notes_dir), "--collection", str(path), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{out / 'notes.apkg'}: 30 cards from 4 notes (30 added)"
    assert lines[1].startswith("  added (30): ")  # the first five terms, then the count
    assert lines[2].startswith(
        f"{path}: 30 added, 0 updated, 0 cards moved to another deck, 0 deleted "
        "(backup: collection.notedeck-backup-"
    )


def test_sync_without_the_anki_package_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "collection.anki2"
    open_col(path).close()
    monkeypatch.setitem(sys.modules, "anki.collection", None)  # as if not installed
    result = run_cli("sync", str(copy_v1(tmp_path)), "--collection", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        "notedeck sync needs the anki package: pip install 'notedeck[anki]'\n",
    )


def test_sync_copies_the_images_its_cards_show_into_the_collection(tmp_path: Path) -> None:
    notes, path = tmp_path / "notes", tmp_path / "anki" / "collection.anki2"
    shutil.copytree(FIXTURES / "push", notes)
    path.parent.mkdir()
    open_col(path).close()
    _, first = sync([notes], BuildOptions(out=tmp_path / "build"), None, path)
    _, second = sync([notes], BuildOptions(out=tmp_path / "build"), None, path)
    col = open_col(path)
    try:
        media = sorted(p.name for p in Path(col.media.dir()).iterdir())
        check = col.media.check()
        (note_id,) = col.find_notes("")
        definition = col.get_note(note_id)["Definition"]
    finally:
        col.close()
    assert (first.media, second.media) == (1, 0)
    assert ", 0 deleted, 1 media file copied (backup: " in first.summary()
    assert media == ["95ccad25ef2c-nucleus.png"]
    assert 'src="95ccad25ef2c-nucleus.png"' in definition
    assert (list(check.missing), list(check.unused)) == ([], [])
