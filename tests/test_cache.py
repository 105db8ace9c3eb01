"""The extraction cache, the process pool and the direct package writer change nothing in what
a build writes: same GUIDs, fields, tags, decks and mods (DESIGN §8). No timings here: speed is
measured by `make bench`."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pty
import select
import shutil
import sqlite3
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import genanki
import pytest

from notedeck import cache
from notedeck.build import BuildOptions, build
from notedeck.cli import progress_bar
from notedeck.errors import NotedeckError
from notedeck.extract import extract_paths
from notedeck.identity import (
    STATE_DIR,
    STATE_NAME,
    Planned,
    file_stamp,
    load_state,
    plan,
    save_state,
)
from notedeck.package import BASIC_NAME, MODELS, deck_id, write_package
from notedeck.render import render_card
from tests.conftest import REPO, run_cli

NOW = 1_700_000_000
NOTES = 12  # the bench generator's fixed notes: 10 terms each, Japanese and English, in folders
CARDS = 120  # the cards the scorer gives them: all 10 of each note


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def vault(tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    _generator().write_vault(folder, count=NOTES, varied=False)  # the layout edited below
    return folder


def package_rows(path: Path) -> list[tuple[Any, ...]]:
    """Each note of a package as (guid, fields, tags, deck, mod, card ordinals), sorted."""
    scratch = path.with_suffix(".anki2")
    with zipfile.ZipFile(path) as archive:
        scratch.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(scratch)
    try:
        (decks_json,) = connection.execute("SELECT decks FROM col").fetchone()
        names = {int(k): v["name"] for k, v in json.loads(decks_json).items()}
        rows = []
        for note_id, guid, fields, tags, mod in connection.execute(
            "SELECT id, guid, flds, tags, mod FROM notes"
        ):
            cards = connection.execute(
                "SELECT did, ord FROM cards WHERE nid = ? ORDER BY ord", (note_id,)
            ).fetchall()
            decks = sorted({names[did] for did, _ in cards})
            rows.append((guid, fields, tags, tuple(decks), mod, tuple(o for _, o in cards)))
    finally:
        connection.close()
        scratch.unlink()
    return sorted(rows)


def _build(vault: Path, out: Path, **options: Any) -> list[tuple[Any, ...]]:
    report = build([vault], BuildOptions(out=out, now=NOW, **options))
    (package,) = report.packages
    return package_rows(package)


def test_cache_and_pool_write_the_same_package_as_a_plain_build(
    vault: Path, tmp_path: Path
) -> None:
    plain = _build(vault, tmp_path / "plain", cache=False, jobs=1)
    pooled = _build(vault, tmp_path / "cached", jobs=2)  # the pool, forced on for 12 notes
    assert (tmp_path / "cached" / cache.CACHE_DIR / cache.CACHE_FILE).is_file()
    rebuilt = _build(vault, tmp_path / "cached", jobs=2)  # every note from the cache
    assert len(plain) == CARDS
    assert pooled == plain
    assert rebuilt == plain
    assert not (tmp_path / "plain" / cache.CACHE_DIR).exists()
    decks = {deck for row in plain for deck in row[3]}
    assert "area1::ストレージ 0001" not in decks  # English notes use their own titles
    assert "area1::Storage notes 0001" in decks
    assert "ネットワーク 0000" in decks


def test_extraction_from_cache_and_pool_equals_extraction_without(
    vault: Path, tmp_path: Path
) -> None:
    plain = extract_paths([vault])
    first = cache.load(tmp_path / "out")
    pooled = extract_paths([vault], cache=first, render=render_card, jobs=2)
    assert (first.hits, first.misses) == (0, NOTES)
    first.folder = tmp_path / "out" / cache.CACHE_DIR
    cache.save(first)
    second = cache.load(tmp_path / "out")
    assert len(second.previous) == NOTES
    cached = extract_paths([vault], cache=second, render=render_card, jobs=1)
    assert (second.hits, second.misses) == (NOTES, 0)
    for result in (pooled, cached):
        assert result.cards == plain.cards
        assert result.diagnostics == plain.diagnostics
        assert result.rendered == [render_card(card) for card in plain.cards]
    assert pooled.decisions == cached.decisions == []  # a build needs no decisions
    assert extract_paths([vault], jobs=2).decisions == plain.decisions  # check's, pooled


def test_only_the_changed_note_is_extracted_again(vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(vault, out)
    note = vault / "area1" / "note0001.md"
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            "\n## Terms\n", "\n## Terms\nZeltron: a new term.\n"
        ),
        encoding="utf-8",
    )
    warm = cache.load(out)
    changed = extract_paths([vault], cache=warm, render=render_card)
    assert (warm.hits, warm.misses) == (NOTES - 1, 1)
    assert changed.cards == extract_paths([vault]).cards
    assert "Zeltron" in {card.term for card in changed.cards}
    rows = _build(vault, out)
    assert rows == _build(vault, tmp_path / "plain", cache=False)
    assert len(rows) == CARDS + 1


def _state(vault: Path) -> Path:
    """The state file of a build of `vault`: in the notes root, not the output folder."""
    return vault / STATE_DIR / STATE_NAME


def _stamps(out: Path) -> tuple[tuple[int, ...] | None, ...]:
    return (file_stamp(out / "vault.apkg"), file_stamp(_state(out.parent / "vault")))


def test_a_rebuild_with_nothing_changed_writes_nothing(vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _build(vault, out)
    written = _stamps(out)
    report = build([vault], BuildOptions(out=out, now=NOW + 60))
    assert report.counts()["unchanged"] == CARDS and report.packages == [out / "vault.apkg"]
    assert _stamps(out) == written  # neither file was written again
    assert package_rows(out / "vault.apkg") == first
    # A package that is gone or no longer the one written is written again, the same.
    (out / "vault.apkg").unlink()
    assert _build(vault, out) == first
    (out / "vault.apkg").write_bytes(b"not a package")
    assert _build(vault, out) == first
    # So is one whose note is dropped from the notes: a tombstone now.
    (vault / "area1" / "note0001.md").unlink()
    assert len(_build(vault, out)) == CARDS


def test_a_state_file_changed_after_the_build_is_read_again(vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(vault, out)
    _state(vault).write_text("{ half a file", encoding="utf-8")
    report = build([vault], BuildOptions(out=out, now=NOW))
    assert any("state file is corrupt" in str(w) for w in report.warnings)
    assert report.counts()["added"] == CARDS


def test_the_state_file_of_a_rebuild_is_the_one_a_fresh_save_writes(
    vault: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _build(vault, out)
    note = vault / "area1" / "note0001.md"
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("\n## Terms\n", "\n## Terms\nZeltron: a new term.\n"), "utf-8")
    report = build([vault], BuildOptions(out=out, now=NOW + 60))
    assert report.counts()["added"] == 1
    state, warnings = load_state(vault / STATE_DIR)
    assert state is not None and warnings == []
    save_state(tmp_path, state)  # no snapshot: every line encoded afresh
    assert _state(vault).read_bytes() == (tmp_path / STATE_NAME).read_bytes()


def test_a_state_file_patched_line_by_line_is_the_one_a_fresh_save_writes(
    vault: Path, tmp_path: Path
) -> None:
    # Same GUIDs, changed definitions: the rebuild patches the changed lines into the last
    # file. The first edit makes lines longer (every later line moves), the second keeps their
    # length, and each rebuild starts from where the one before left its lines.
    out = tmp_path / "out"
    _build(vault, out)
    note = vault / "area1" / "note0001.md"
    for number, (old, new) in enumerate(
        (("behind it.", "behind it, twice over."), ("twice over.", "thrice over.")), 1
    ):
        note.write_text(note.read_text(encoding="utf-8").replace(old, new), "utf-8")
        report = build([vault], BuildOptions(out=out, now=NOW + 60 * number))
        assert report.counts()["changed"] == 7 and report.counts()["added"] == 0
        state, warnings = load_state(vault / STATE_DIR)
        assert state is not None and warnings == []
        fresh = tmp_path / f"fresh{number}"
        fresh.mkdir()
        save_state(fresh, state)
        assert _state(vault).read_bytes() == (fresh / STATE_NAME).read_bytes()


def test_a_plan_from_the_facts_of_the_extraction_equals_one_without(vault: Path) -> None:
    extraction = extract_paths([vault], render=render_card, jobs=2)
    rendered = [(r.card, r.model, r.fields) for r in extraction.rendered]
    namespace = extraction.config.namespace
    assert len(extraction.facts) == CARDS and None not in extraction.facts
    with_facts = plan(rendered, None, namespace, NOW, facts=extraction.facts)
    without = plan(rendered, None, namespace, NOW)
    assert with_facts == without
    assert len({item.guid for item in with_facts.notes}) == CARDS


def _change_counter(database: Path) -> int:
    """SQLite's file change counter (header bytes 24-27): one more for each write."""
    return int.from_bytes(database.read_bytes()[24:28], "big")


def test_a_package_updated_in_place_is_the_one_written_afresh(vault: Path, tmp_path: Path) -> None:
    cached, plain = tmp_path / "cached", tmp_path / "plain"
    # Each build keeps its state in its notes: the same notes twice, one copy per build.
    copy = tmp_path / "plain-notes" / "vault"
    shutil.copytree(vault, copy)
    builds = ((vault, cached), (copy, plain))
    for notes, out in builds:
        build([notes], BuildOptions(out=out, now=NOW, cache=out == cached))
    kept = cached / cache.CACHE_DIR / "vault.apkg.anki2"
    fresh_writes = _change_counter(kept)
    text = (vault / "area1" / "note0001.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(("- ", "* ")))
    lines[index] += " (edited)"
    for notes, out in builds:
        (notes / "area1" / "note0001.md").write_text("\n".join(lines), encoding="utf-8")
        report = build([notes], BuildOptions(out=out, now=NOW + 60, cache=out == cached))
        assert report.counts()["changed"] == 1
    # The kept collection was changed by one more write, not made again.
    assert _change_counter(kept) == fresh_writes + 1
    assert _tables(cached / "vault.apkg") == _tables(plain / "vault.apkg")
    # Without the kept collection the package is written afresh, the same.
    kept.unlink()
    for notes, out in builds:
        (notes / "area1" / "note0001.md").write_text(text, encoding="utf-8")
        build([notes], BuildOptions(out=out, now=NOW + 120, cache=out == cached))
    assert _tables(cached / "vault.apkg") == _tables(plain / "vault.apkg")
    assert kept.is_file()


def _edit(note: Path, mark: str) -> None:
    lines = note.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(("- ", "* ")))
    lines[index] += f" ({mark})"
    note.write_text("\n".join(lines), encoding="utf-8")


def test_the_journal_holds_what_the_builds_after_the_base_changed(
    vault: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _build(vault, out)
    base = (out / cache.CACHE_DIR / cache.CACHE_FILE).read_bytes()
    for index, name in enumerate(("area1/note0001.md", "area2/note0007.md", "area1/note0001.md")):
        _edit(vault / name, f"edit {index}")
        assert build([vault], BuildOptions(out=out, now=NOW + index + 1)).counts()["changed"] == 1
    # Only the journal was written; read with its base, it is this build's cache and record.
    assert (out / cache.CACHE_DIR / cache.CACHE_FILE).read_bytes() == base
    assert (out / cache.CACHE_DIR / cache.JOURNAL_FILE).is_file()
    warm = cache.load(out)
    from_file, _ = load_state(vault / STATE_DIR)
    assert warm.record.state.state == from_file
    assert list(warm.record.state.state.entries) == list(from_file.entries)  # the file's order
    extract_paths([vault], cache=warm, render=render_card)
    assert (warm.hits, warm.misses) == (NOTES, 0)
    rows, plain = _build(vault, out), _build(vault, tmp_path / "plain", cache=False)
    assert [row[:4] for row in rows] == [row[:4] for row in plain]  # all but the mods
    # A damaged journal leaves the base: the notes changed since are read again.
    (out / cache.CACHE_DIR / cache.JOURNAL_FILE).write_bytes(b"garbage")
    cold = cache.load(out)
    extract_paths([vault], cache=cold, render=render_card)
    assert (cold.hits, cold.misses) == (NOTES - 2, 2)


def test_changed_settings_or_paths_miss_the_cache(vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(vault, out)
    (vault / "notedeck.yaml").write_text("tag_prefix: bench\n", encoding="utf-8")
    warm = cache.load(out)
    result = extract_paths([vault], cache=warm)
    assert (warm.hits, warm.misses) == (0, NOTES)
    assert all(card.tags[0] == "bench" for card in result.cards)
    moved = tmp_path / "moved"
    vault.rename(moved)
    again = cache.load(out)
    extract_paths([moved], cache=again)
    assert again.hits == 0  # cards hold their path: a moved vault is read anew


def test_a_damaged_cache_is_ignored(vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    expected = _build(vault, out)
    (out / cache.CACHE_DIR / cache.CACHE_FILE).write_bytes(b"\x80\x05not a pickle")
    assert cache.load(out).previous == {}
    assert _build(vault, out) == expected


def test_a_build_with_errors_writes_no_cache(vault: Path, tmp_path: Path) -> None:
    (vault / "broken.md").write_bytes(b"\x00\x01\x02\x80\x81binary")
    out = tmp_path / "out"
    with pytest.raises(NotedeckError, match=r"broken\.md:1: binary file"):
        build([vault], BuildOptions(out=out, now=NOW, jobs=2))
    assert not (out / cache.CACHE_DIR).exists()


def test_progress_is_reported_in_order_and_silent_in_a_pipe(vault: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    extract_paths([vault], jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (NOTES, NOTES)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    result = run_cli("build", str(vault), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert "Reading notes" not in result.stderr
    assert result.stderr == ""


def _genanki_package(notes: list[Planned], path: Path) -> None:
    """The package as genanki's own writer makes it, for comparison."""
    models = {name: make() for name, make in MODELS.items()}
    decks: dict[str, Any] = {}
    for note in notes:
        deck = decks.get(note.deck)
        if deck is None:
            deck = decks[note.deck] = genanki.Deck(deck_id(note.deck), note.deck)
        deck.add_note(
            genanki.Note(
                model=models[note.model],
                fields=list(note.fields),
                tags=list(note.tags),
                guid=note.guid,
                sort_field=note.fields[0],
            )
        )
    genanki.Package(list(decks.values())).write_to_file(str(path), timestamp=NOW)


def _tables(path: Path) -> dict[str, Any]:
    scratch = path.with_suffix(".anki2")
    with zipfile.ZipFile(path) as archive:
        scratch.write_bytes(archive.read("collection.anki2"))
        media = archive.read("media")
    connection = sqlite3.connect(scratch)
    try:
        (decks, models) = connection.execute("SELECT decks, models FROM col").fetchone()
        return {
            "notes": connection.execute("SELECT * FROM notes ORDER BY id").fetchall(),
            "cards": connection.execute("SELECT * FROM cards ORDER BY id").fetchall(),
            "decks": json.loads(decks),
            "models": json.loads(models),
            "media": media,
        }
    finally:
        connection.close()
        scratch.unlink()


def test_the_direct_writer_writes_what_genanki_writes(tmp_path: Path) -> None:
    notes = [
        Planned(
            guid=f"g{i}",
            mod=NOW,
            model=BASIC_NAME,
            deck=("AWS::ELB" if i % 3 else "Linux"),
            fields=(f"用語{i}", f"<p>definition {i}</p>", "ELB", "elb.md › ELB"),
            tags=("AWS", f"AWS::ELB::t{i}"),
            status="added",
            card=None,
        )
        for i in range(7)
    ]
    write_package(notes, tmp_path / "direct.apkg", now=NOW)
    _genanki_package(notes, tmp_path / "genanki.apkg")
    direct, reference = _tables(tmp_path / "direct.apkg"), _tables(tmp_path / "genanki.apkg")
    assert direct == reference
    assert len(direct["notes"]) == 7
    assert {d["name"] for d in direct["decks"].values()} == {"Default", "AWS::ELB", "Linux"}


def test_a_package_from_the_direct_writer_imports_into_anki(vault: Path, tmp_path: Path) -> None:
    helpers = pytest.importorskip("tests.anki_helpers")
    report = build([vault], BuildOptions(out=tmp_path / "out", now=NOW, jobs=2))
    with helpers.collection(tmp_path) as col:
        log = helpers.import_package(col, report.packages[0])
        assert (log.new, log.updated, log.duplicate, log.conflicting) == (CARDS, 0, 0, 0)
        imported = helpers.notes(col)
    assert {n["guid"] for n in imported} == {p.guid for p in report.planned}
    first = next(n for n in imported if n["fields"]["Term"] == report.planned[0].fields[0])
    assert first["decks"] == [report.planned[0].deck]
    assert first["tags"] == sorted(report.planned[0].tags)


def test_a_card_with_an_image_follows_the_image_not_the_cache(vault: Path, tmp_path: Path) -> None:
    # The media name comes from the image's bytes, which the note's own bytes do not show.
    image = vault / "area1" / "layout.png"
    image.write_bytes(b"\x89PNG first")
    note = vault / "area1" / "note0001.md"
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            "\n## Terms\n", "\n## Terms\nDiagram: the layout ![layout](layout.png).\n"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    first = _build(vault, out)
    entries = cache.load(out).previous.values()
    (entry,) = [e for e in entries if e.cards[0].note_path == "area1/note0001.md"]
    assert entry.rendered is not None
    pairs = zip(entry.cards, entry.rendered, strict=True)
    assert [card.term for card, rendered in pairs if rendered is None] == ["Diagram"]
    image.write_bytes(b"\x89PNG second")
    second = _build(vault, out)

    def diagram(rows: list[tuple[Any, ...]]) -> str:
        return next(str(row[1]) for row in rows if str(row[1]).startswith("Diagram\x1f"))

    assert hashlib.sha1(b"\x89PNG first").hexdigest()[:12] in diagram(first)
    assert hashlib.sha1(b"\x89PNG second").hexdigest()[:12] in diagram(second)
    plain = _build(vault, tmp_path / "plain", cache=False)
    assert [r[:4] for r in second] == [r[:4] for r in plain]  # all but the mods


def test_a_note_saved_again_while_it_is_read_is_cached_as_read_and_read_again_next(
    vault: Path, tmp_path: Path
) -> None:
    note = vault / "note0000.md"
    read = note.read_bytes()
    saved: list[bool] = []

    def render_and_save(card: Any) -> Any:
        if card.note_path == "note0000.md" and not saved:  # the editor saves mid-build
            note.write_text(note.read_text(encoding="utf-8") + "\nLate: saved.\n", "utf-8")
            saved.append(True)
        return render_card(card)

    fresh = cache.load(tmp_path / "out")
    extract_paths([vault], cache=fresh, render=render_and_save, jobs=1)
    assert saved and fresh.misses == NOTES and len(fresh.current) == NOTES
    # The entry is of the bytes that were read (and hashed for its key), not of the save.
    (entry,) = [e for e in fresh.current.values() if e.cards[0].note_path == "note0000.md"]
    lines = {card.location.line for card in entry.cards}
    assert max(lines) <= read.count(b"\n") + 1
    cache.save(fresh)
    again = cache.load(tmp_path / "out")
    extract_paths([vault], cache=again, render=render_card, jobs=1)
    assert (again.hits, again.misses) == (NOTES - 1, 1)  # the saved version is read now


# Lists that the audit hook below adds each opened note's path to, while a test wants them.
READ_LOG: list[list[str]] = []


def _log_note_reads(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and READ_LOG and str(args[0]).endswith(".md"):
        READ_LOG[-1].append(str(args[0]))


sys.addaudithook(_log_note_reads)  # a hook cannot be removed: it records only when asked


def test_a_build_reads_each_note_once(vault: Path, tmp_path: Path) -> None:
    opened: list[str] = []
    READ_LOG.append(opened)
    try:
        _build(vault, tmp_path / "out")  # cold: every note read, hashed and extracted
        cold = sorted(opened)
        (vault / "note0000.md").write_text("# Late\nLate is a note saved now.\n", "utf-8")
        opened.clear()
        _build(vault, tmp_path / "out")
    finally:
        READ_LOG.remove(opened)
    notes = sorted(str(path) for path in vault.rglob("*.md"))
    assert cold == notes
    # Only notes whose stat is not known from the last build are read again, once each.
    assert len(opened) == len(set(opened)) and str(vault / "note0000.md") in opened


def test_the_progress_bar_draws_on_a_terminal_only_after_a_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    master, child = pty.openpty()
    with os.fdopen(child, "w", encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert sys.stderr.isatty()
        with progress_bar(enabled=True, moment=3600) as progress:  # a quick build
            assert progress is not None
            for done in range(1, 11):
                progress(done, 10)
        terminal.flush()
        assert not select.select([master], [], [], 0.2)[0]  # nothing drawn
        with progress_bar(enabled=True, moment=0) as progress:  # a slow one
            assert progress is not None
            for done in range(1, 11):
                progress(done, 10)
        terminal.flush()
        chunks = []  # a pty hands output over in pieces: read until it has nothing more
        while select.select([master], [], [], 0.5)[0]:
            chunks.append(os.read(master, 65536))
        drawn = b"".join(chunks).decode()
    os.close(master)
    assert "Reading notes" in drawn
    assert "100%" in drawn


def test_a_note_is_known_by_its_stat_and_an_edit_that_keeps_size_and_time_is_seen(
    vault: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # Stats are trusted only for notes saved longer ago than the file system's granularity.
    time.sleep(cache.RACY_NS / 1e9 + 0.1)
    fresh = vault / "note0000.md"
    fresh.write_bytes(fresh.read_bytes())  # saved just now
    first = _build(vault, out)
    stats = cache.load(out).stats
    note = vault / "area1" / "note0001.md"
    before = note.stat()
    stamp = (before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns)
    assert stats[str(note)] == (stamp, hashlib.sha256(note.read_bytes()).digest())
    assert str(fresh) not in stats  # a save within the same tick could keep its times
    warm = cache.load(out)
    extract_paths([vault], cache=warm, render=render_card)
    assert (warm.hits, warm.misses) == (NOTES, 0)
    # Edited in place (same inode), same size, its modification time set back: only its
    # change time tells, and it must.
    term = next(row[1].split("\x1f")[0] for row in first if "area1/note0001.md" in row[1])
    renamed = term[:-1] + ("X" if term[-1] != "X" else "Y")
    text = note.read_text(encoding="utf-8")
    with note.open("r+b") as stream:
        stream.write(text.replace(term, renamed).encode("utf-8"))
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = note.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == stamp[:3]
    warm = cache.load(out)
    changed = extract_paths([vault], cache=warm, render=render_card)
    assert (warm.hits, warm.misses) == (NOTES - 1, 1)
    assert renamed in {card.term for card in changed.cards}
    assert any(row[1].startswith(renamed + "\x1f") for row in _build(vault, out))


def test_a_rebuild_from_the_cache_plans_what_one_from_the_state_file_plans(
    vault: Path, tmp_path: Path
) -> None:
    # Unchanged cards whose last entry the cache holds take a short way through the plan;
    # a copy of each card's note in its folder makes their keys longer, which that way must
    # see. A build from the state file alone (no cache: every card the long way) gives the
    # same notes, state file and package.
    out = tmp_path / "out"
    _build(vault, out)
    plain = tmp_path / "plain"
    shutil.copytree(out, plain)
    shutil.rmtree(plain / cache.CACHE_DIR)
    note = vault / "area1" / "note0001.md"
    (vault / "area1" / "note0001copy.md").write_bytes(note.read_bytes())
    edited = vault / "note0000.md"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("ごとに設定する。", "ごとに設定しない。", 1), "utf-8")
    before = _state(vault).read_bytes()
    cached = build([vault], BuildOptions(out=out, now=NOW + 60))
    after = _state(vault).read_bytes()
    _state(vault).write_bytes(before)  # both builds start from the same state file
    fresh = build([vault], BuildOptions(out=plain, now=NOW + 60))
    assert cached.planned == fresh.planned
    assert [cached.counts()[s] for s in ("added", "changed", "unchanged")] == [10, 1, CARDS - 1]
    assert any(w.message.endswith("the file name now separates them") for w in cached.warnings)
    assert after == _state(vault).read_bytes()
    assert package_rows(out / "vault.apkg") == package_rows(plain / "vault.apkg")
