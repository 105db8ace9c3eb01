"""Note types and packaging, checked by importing into a real Anki collection."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from notedeck.build import BuildOptions, build
from notedeck.package import (
    BASIC_FIELDS,
    BASIC_MODEL_ID,
    CLOZE_FIELDS,
    CLOZE_MODEL_ID,
    REVERSED_FIELDS,
    REVERSED_MODEL_ID,
    model_name,
    update_package,
    write_package,
)
from tests.anki_helpers import collection, import_package, notes
from tests.conftest import FIXTURES

RENDER = FIXTURES / "render"


def test_note_types_keep_their_ids_and_fields() -> None:
    # Changing any of these makes Anki import a copy of the note type (DESIGN §4).
    assert (BASIC_MODEL_ID, REVERSED_MODEL_ID, CLOZE_MODEL_ID) == (
        1_607_392_319_001,
        1_607_392_319_002,
        1_607_392_319_003,
    )
    assert BASIC_FIELDS == REVERSED_FIELDS == ("Term", "Definition", "Topic", "Source")
    assert CLOZE_FIELDS == ("Text", "Extra", "Topic", "Source")
    assert model_name("basic") == "notedeck Basic"
    assert model_name("reversed") == "notedeck Basic (and reversed card)"
    assert model_name("cloze") == "notedeck Cloze"


Imported = tuple[list[dict[str, object]], Path, dict[str, list[tuple[str, str]]]]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The render fixtures built into a package and imported into a fresh collection."""
    work = tmp_path_factory.mktemp("package")
    shutil.copytree(RENDER, work / "notes")
    report = build([work / "notes"], BuildOptions(out=work / "build", now=1_700_000_000))
    warnings = [str(w).split(": ", 1)[1] for w in report.warnings]
    assert warnings == [
        "warning: image 'img/missing.png' not found",
        "warning: image '../../conftest.py' is outside the notes folder; not included",
        "warning: sound 'media/missing.mp3' not found",
        "warning: sound '../../conftest.mp3' is outside the notes folder; not included",
    ]
    with collection(work) as col:
        log = import_package(col, report.packages[0])
        assert (log.new, log.duplicate, log.conflicting) == (18, 0, 0)
        media_dir = Path(col.media.dir())
        # What Anki itself shows: each card's question and answer, by the note's sort field.
        shown: dict[str, list[tuple[str, str]]] = {}
        for note_id in col.find_notes(""):
            note = col.get_note(note_id)
            shown[note.fields[0]] = [(c.question(), c.answer()) for c in note.cards()]
            played = [tag.filename for c in note.cards() for tag in c.answer_av_tags()]
            if played:  # what Anki's reviewer plays on the answer side
                shown[note.fields[0] + " (played)"] = [(name, "") for name in played]
        return notes(col), media_dir, shown


def test_images_land_in_the_media_folder(imported: Imported) -> None:
    _, media_dir, _ = imported
    names = sorted(p.name for p in media_dir.iterdir())
    assert names == [
        "121b7cf9c443-lecture.mp3",
        "789a5ee0b67f-demo.mp4",
        "95ccad25ef2c-diagram.png",
        "a7a7b92d3ce6-pronunciation.ogg",
        "e3fd491e9fdd-構成図.png",
    ]
    original = (RENDER / "img" / "diagram.png").read_bytes()
    assert (media_dir / "95ccad25ef2c-diagram.png").read_bytes() == original
    assert hashlib.sha1(original).hexdigest().startswith("95ccad25ef2c")


def test_reversed_notes_give_two_cards_and_clozes_one_per_number(imported: Imported) -> None:
    found, _, _ = imported
    by_model: dict[object, list[dict[str, object]]] = {}
    for note in found:
        by_model.setdefault(note["model"], []).append(note)
    reversed_notes = by_model["notedeck Basic (and reversed card)"]
    assert sorted((n["fields"]["Term"], n["cards"]) for n in reversed_notes) == [  # type: ignore[index]
        ("Ask both ways", 2),
        ("冗長化", 2),
    ]
    (cloze,) = by_model["notedeck Cloze"]
    # c1 and c2; the {{c9::…}} written in inline code is code, not a deletion.
    assert cloze["cards"] == 2
    assert all(n["cards"] == 1 for n in by_model["notedeck Basic"])
    assert len(by_model["notedeck Basic"]) == 15


def test_anki_renders_the_templates(imported: Imported) -> None:
    _, _, shown = imported
    (forward, backward) = shown["冗長化"]
    assert '<div class="term">冗長化</div>' in forward[0]
    assert "システムの一部" not in forward[0] and "システムの一部" in forward[1]
    assert "システムの一部" in backward[0] and '<div class="term">' not in backward[0]
    assert '<div class="source">reversed.md › Reversed</div>' in backward[1]
    cloze = next(cards for field, cards in shown.items() if "mitochondria" in field)
    first, second = (question for question, _ in cloze)
    assert '<span class="cloze" data-cloze="' in first and "[...]" in first
    assert "[a unit of life]" in second and "<strong>mitochondria</strong>" in second
    assert "c9::code" in first.replace("&#123;", "{").replace("&#125;", "}")
    (card,) = shown["Python で辞書を順に回す方法"]
    assert '<span class="k">for</span>' in card[1]
    assert ".highlight .k {" in card[0]  # the note type's stylesheet comes with the card


def test_anki_plays_sounds_and_videos_by_their_hash_names(imported: Imported) -> None:
    _, media_dir, shown = imported
    played = [name for name, _ in shown["Pronunciation (played)"]]
    assert played == [
        "121b7cf9c443-lecture.mp3",
        "a7a7b92d3ce6-pronunciation.ogg",
        "789a5ee0b67f-demo.mp4",
    ]
    assert all((media_dir / name).is_file() for name in played)
    (card,) = shown["Pronunciation"]
    assert "[anki:play:a:0]" in card[1] and "[sound:" not in card[1]


def test_changing_a_cards_note_type_adds_a_new_note_and_retires_the_old(tmp_path: Path) -> None:
    # Anki never updates a note into another note type (it reports a conflict and keeps the
    # old one), so `Kenya::` turned into `Kenya:::` must be a new note plus a tombstone.
    note = tmp_path / "notes" / "capitals.md"
    note.parent.mkdir()
    note.write_text("# Capitals\n\nKenya::Nairobi\n", encoding="utf-8")
    first = build([note.parent], BuildOptions(out=tmp_path / "build", now=1_700_000_000))
    with collection(tmp_path) as col:
        assert import_package(col, first.packages[0]).new == 1
        note.write_text("# Capitals\n\nKenya:::Nairobi\n", encoding="utf-8")
        second = build([note.parent], BuildOptions(out=tmp_path / "build", now=1_700_000_100))
        assert (second.counts()["added"], second.counts()["removed"]) == (1, 1)
        log = import_package(col, second.packages[0])
        assert (log.new, log.updated, log.conflicting) == (1, 1, 0)
        found = sorted(
            (n["model"], n["cards"], "notedeck::removed" in n["tags"]) for n in notes(col)
        )
    assert found == [
        ("notedeck Basic", 1, True),
        ("notedeck Basic (and reversed card)", 2, False),
    ]


def test_the_package_module_agrees_with_genanki_without_importing_it() -> None:
    # guid_for, the note type kinds and models_hash are made without genanki (a rebuild that
    # changes a few notes imports none of it); they must be what genanki gives.
    import genanki

    from notedeck import package

    values = [("ns", "deck", "term"), ("名前空間", "デッキ::下", "用語", 3), (), ("",), (0,)]
    values += [("n", str(i), "x" * i) for i in range(200)]
    for value in values:
        assert package.guid_for(*value) == genanki.guid_for(*value)
    assert (package.FRONT_BACK, package.CLOZE) == (genanki.Model.FRONT_BACK, genanki.Model.CLOZE)
    digest = hashlib.sha256()
    for name, make in sorted(package.MODELS.items()):
        model = make()
        text = json.dumps([name, model.fields, model.templates, model.css], sort_keys=True)
        digest.update(text.encode("utf-8"))
    assert package.models_hash() == digest.hexdigest()[:20]
    assert [package.model_id(name) for name in sorted(package.MODELS)] == [
        package.MODELS[name]().model_id for name in sorted(package.MODELS)
    ]


class _Note(NamedTuple):
    guid: str
    mod: int
    model: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]


def _package_tables(path: Path) -> tuple[list[Any], list[Any]]:
    scratch = path.with_suffix(".anki2")
    with zipfile.ZipFile(path) as archive:
        scratch.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(scratch)
    try:
        return (
            connection.execute("SELECT * FROM notes ORDER BY id").fetchall(),
            connection.execute("SELECT * FROM cards ORDER BY id").fetchall(),
        )
    finally:
        connection.close()


def test_an_update_keeps_cards_only_while_the_same_fields_are_empty(tmp_path: Path) -> None:
    basic, cloze = model_name("basic"), model_name("cloze")
    before = [
        _Note("g1", 100, basic, "d", ("Term", "<p>def</p>", "Topic", "src"), ("t",)),
        _Note("g2", 100, basic, "d", ("Other", "<p>more</p>", "", "src"), ()),
        _Note("g3", 100, cloze, "d", ("a {{c1::b}}", "", "", "src"), ()),
    ]
    kept, path, fresh = tmp_path / "kept.anki2", tmp_path / "p.apkg", tmp_path / "f.apkg"
    assert write_package(before, path, now=50, keep=kept)
    same_empty = [
        before[0]._replace(mod=200, fields=("Term", "<p>new</p>", "Topic 2", "src")),
        before[2]._replace(mod=200, fields=("a {{c1::bb}}", "", "", "src")),
    ]
    assert update_package(same_empty, path, kept)
    after = [same_empty[0], before[1], same_empty[1]]
    write_package(after, fresh, now=50)
    # Same rows as a package written afresh, but for the IDs counted from the write time.
    assert [r[1:] for r in _package_tables(path)[0]] == [r[1:] for r in _package_tables(fresh)[0]]
    assert [r[3:] for r in _package_tables(path)[1]] == [r[3:] for r in _package_tables(fresh)[1]]
    assert len(_package_tables(path)[1]) == 3
    # A field that became empty or filled may change the cards: the update declines and
    # writes nothing (the build then writes the package afresh).
    written = path.read_bytes()
    emptied = [before[1]._replace(mod=300, fields=("Other", "<p>more</p>", "Topic", "src"))]
    assert not update_package(emptied, path, kept)
    assert path.read_bytes() == written
