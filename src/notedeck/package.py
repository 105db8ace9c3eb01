"""The only module that imports genanki: note types, decks and the atomic package write."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import genanki


class PackageNote(Protocol):
    """What the package writer needs of a note."""

    @property
    def guid(self) -> str: ...
    @property
    def mod(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def deck(self) -> str: ...
    @property
    def fields(self) -> tuple[str, ...]: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


# Fixed forever: a changed ID or field list makes Anki import a copy of the note type and stop
# updating existing notes (DESIGN §4). CSS and templates may change.
BASIC_MODEL_ID = 1_607_392_319_001
BASIC_FIELDS = ("Term", "Definition", "Topic", "Source")
BASIC_NAME = "notedeck Basic"

CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif;
  font-size: 20px; line-height: 1.6; color: #1f2328; background: #fff;
  text-align: left; max-width: 42em; margin: 0 auto; padding: 0 .5em;
}
.term { font-size: 1.4em; font-weight: 600; text-align: center; margin: .6em 0 .2em; }
.topic { font-size: .7em; color: #6e7781; text-align: center; }
.definition { margin-top: .8em; }
.source { margin-top: 1.2em; font-size: .65em; color: #8c959f; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .2em .6em; }
th { background: #f6f8fa; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em;
  background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .6em .8em; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
img { max-width: 100%; }
.nightMode .card, .nightMode.card { color: #e6edf3; background: #0d1117; }
.nightMode th { background: #161b22; }
.nightMode th, .nightMode td { border-color: #30363d; }
.nightMode code, .nightMode pre { background: #161b22; }
.nightMode .topic, .nightMode .source { color: #8b949e; }
"""

_FRONT = '<div class="topic">{{Topic}}</div>\n<div class="term">{{Term}}</div>'
_BACK = (
    '{{FrontSide}}\n<hr id="answer">\n<div class="definition">{{Definition}}</div>\n'
    '<div class="source">{{Source}}</div>'
)


def guid_for(*values: object) -> str:
    """genanki's GUID hash (Anki's base91 of a SHA-256 prefix)."""
    return str(genanki.guid_for(*values))


def _basic_model() -> Any:
    return genanki.Model(
        BASIC_MODEL_ID,
        BASIC_NAME,
        fields=[{"name": name} for name in BASIC_FIELDS],
        templates=[{"name": "Card 1", "qfmt": _FRONT, "afmt": _BACK}],
        css=CSS,
        sort_field_index=0,
    )


MODELS = {BASIC_NAME: _basic_model}


def model_id(name: str) -> int:
    """The fixed ID of the note type called `name`."""
    return int(MODELS[name]().model_id)


def models_hash() -> str:
    """A fingerprint of every note type (names, fields, templates, CSS): the state file keeps
    the note types' mod while it stays the same, so imports update them only on a change."""
    digest = hashlib.sha256()
    for name, make in sorted(MODELS.items()):
        model = make()
        text = json.dumps([name, model.fields, model.templates, model.css], sort_keys=True)
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:20]


class _StableModNote(genanki.Note):  # type: ignore[misc]
    """A note whose `mod` is its own, not the package's build time (see DESIGN §4)."""

    def __init__(self, *args: Any, mod: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mod = mod

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        super().write_to_db(cursor, self.mod, deck_id, id_gen)


def deck_id(name: str) -> int:
    """A stable deck ID from the deck's name."""
    return 1_000_000_000 + zlib.crc32(name.encode("utf-8"))


def write_package(
    notes: Sequence[PackageNote], path: Path, media: Sequence[Path] = (), now: float | None = None
) -> None:
    """Write an .apkg to a temporary file beside `path`, then rename it into place.

    `now` is the package's time stamp, which genanki gives the note types as their mod.
    """
    models = {name: make() for name, make in MODELS.items()}
    decks: dict[str, Any] = {}
    for note in notes:
        deck = decks.get(note.deck)
        if deck is None:
            deck = decks[note.deck] = genanki.Deck(deck_id(note.deck), note.deck)
        deck.add_note(
            _StableModNote(
                model=models[note.model],
                fields=list(note.fields),
                tags=list(note.tags),
                guid=note.guid,
                mod=note.mod,
                sort_field=note.fields[0] if note.fields else "",
            )
        )
    package = genanki.Package(
        list(decks.values()) or [genanki.Deck(deck_id("notedeck"), "notedeck")]
    )
    package.media_files = [str(m) for m in media]
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        package.write_to_file(temp, timestamp=now)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
