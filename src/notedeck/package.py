"""The only module that imports genanki: note types, decks and the atomic package write."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pygments.formatters import HtmlFormatter

from . import apkg

if TYPE_CHECKING:
    import genanki

# genanki is imported where a note type or deck is made (writing a package afresh, a cloze
# note's cards): a rebuild that only changes a few notes of the note types with a front and a
# back needs none, and genanki (with the asyncio it pulls in) was a seventh of its imports.
# genanki.Model.FRONT_BACK and genanki.Model.CLOZE (tests check they agree):
FRONT_BACK = 0
CLOZE = 1


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
REVERSED_MODEL_ID = 1_607_392_319_002
REVERSED_FIELDS = BASIC_FIELDS
REVERSED_NAME = "notedeck Basic (and reversed card)"
CLOZE_MODEL_ID = 1_607_392_319_003
CLOZE_FIELDS = ("Text", "Extra", "Topic", "Source")
CLOZE_NAME = "notedeck Cloze"

# Pygments styles of highlighted code on a light and on a night-mode card.
LIGHT_CODE_STYLE = "default"
NIGHT_CODE_STYLE = "github-dark"

_CARD_CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic", Meiryo, "PingFang SC",
    "Microsoft YaHei", "Noto Sans CJK KR", "Apple SD Gothic Neo", sans-serif;
  font-size: 20px; line-height: 1.6; color: #1f2328; background: #fff;
  text-align: left; max-width: 42em; margin: 0 auto; padding: 0 .5em;
  overflow-wrap: anywhere;
}
.term { font-size: 1.4em; font-weight: 600; text-align: center; margin: .6em 0 .2em; }
.topic { font-size: .7em; color: #6e7781; text-align: center; }
.definition, .cloze-text { margin-top: .8em; }
.extra { margin-top: .8em; color: #57606a; }
.source { margin-top: 1.2em; font-size: .65em; color: #6e7781; }
.cloze { font-weight: 600; color: #0969da; }
/* A rule drawn as Anki's reviewer draws it (a 1px background), in the card's own colours. */
hr { border: none; height: 1px; background-color: #d0d7de; margin: .8em 0; }
a { color: #0969da; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .2em .6em; }
th { background: #f6f8fa; }
.row-table { margin: .5em auto; }
.row-table th { text-align: right; font-weight: 600; color: #57606a; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK JP",
  monospace; font-size: .9em; background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .6em .8em; overflow-x: auto; border-radius: 6px;
  line-height: 1.4; }
pre code { background: none; padding: 0; font-size: .8em; }
img, video { max-width: 100%; }
mark { background: #fff8c5; color: inherit; padding: 0 .1em; }
blockquote { margin: .5em 0; padding: 0 .8em; color: #57606a; border-left: .25em solid #d0d7de; }
.callout { margin: .6em 0; padding: .4em .8em; border-left: .25em solid #0969da;
  background: #ddf4ff; border-radius: 4px; }
.callout-title { font-weight: 600; }
.callout-warning, .callout-caution, .callout-attention {
  border-color: #9a6700; background: #fff8c5; }
.callout-danger, .callout-error, .callout-bug { border-color: #cf222e; background: #ffebe9; }
.callout-tip, .callout-hint, .callout-success { border-color: #1a7f37; background: #dafbe1; }
.missing-image, .missing-sound, .missing-video { color: #cf222e; font-style: italic; }
.footnotes { font-size: .8em; color: #57606a; }
rt { font-size: .55em; }
"""
# Night mode, under Anki's `.nightMode` class (on the card's body) or, in the preview, under
# the page's own night selector: said once here, with `.nightMode` as the placeholder.
_NIGHT_CSS = """\
.nightMode .card, .nightMode.card { color: #e6edf3; background: #0d1117; }
.nightMode hr { background-color: #30363d; }
.nightMode a { color: #58a6ff; }
.nightMode th { background: #161b22; }
.nightMode th, .nightMode td { border-color: #30363d; }
.nightMode .row-table th { color: #8b949e; }
.nightMode code, .nightMode pre { background: #161b22; }
.nightMode pre code { background: none; }
.nightMode .topic, .nightMode .source, .nightMode .extra, .nightMode .footnotes {
  color: #8b949e; }
.nightMode .cloze { color: #58a6ff; }
.nightMode mark { background: #bb800966; }
.nightMode blockquote { color: #8b949e; border-color: #30363d; }
.nightMode .callout { background: #121d2f; border-color: #1f6feb; }
.nightMode .callout-warning, .nightMode .callout-caution, .nightMode .callout-attention {
  border-color: #9e6a03; background: #272115; }
.nightMode .callout-danger, .nightMode .callout-error, .nightMode .callout-bug {
  border-color: #da3633; background: #25171c; }
.nightMode .callout-tip, .nightMode .callout-hint, .nightMode .callout-success {
  border-color: #238636; background: #12261e; }
.nightMode .missing-image, .nightMode .missing-sound, .nightMode .missing-video {
  color: #f85149; }
"""


def _code_css(scope: str, style: str) -> str:
    """Pygments' rules for highlighted code in `style`, under `scope`."""
    defs = HtmlFormatter(style=style).get_style_defs(scope)
    # The style's own page and line-number rules would fight the card's colours and layout.
    rule = re.compile(rf"^{re.escape(scope)} \.\w+ \{{")
    return "".join(line + "\n" for line in defs.splitlines() if rule.match(line))


def light_css() -> str:
    """The note types' CSS without its night-mode rules (the preview adds those its own way)."""
    return _CARD_CSS + _code_css(".highlight", LIGHT_CODE_STYLE)


def night_css(scope: str = ".nightMode") -> str:
    """The night-mode rules under `scope`: Anki's `.nightMode`, or the preview's selector."""
    return _NIGHT_CSS.replace(".nightMode", scope) + _code_css(
        f"{scope} .highlight", NIGHT_CODE_STYLE
    )


CSS = light_css() + night_css()

_TOPIC = '<div class="topic">{{Topic}}</div>\n'
_SOURCE = '<div class="source">{{Source}}</div>'
_FRONT = _TOPIC + '<div class="term">{{Term}}</div>'
_BACK = '{{FrontSide}}\n<hr id="answer">\n<div class="definition">{{Definition}}</div>\n' + _SOURCE
_REVERSE_FRONT = _TOPIC + '<div class="definition">{{Definition}}</div>'
_REVERSE_BACK = '{{FrontSide}}\n<hr id="answer">\n<div class="term">{{Term}}</div>\n' + _SOURCE
_CLOZE_FRONT = _TOPIC + '<div class="cloze-text">{{cloze:Text}}</div>'
_CLOZE_BACK = (
    _TOPIC
    + '<div class="cloze-text">{{cloze:Text}}</div>\n'
    + '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}\n'
    + _SOURCE
)


_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)


def guid_for(*values: object) -> str:
    """genanki's GUID hash (Anki's base91 of a SHA-256 prefix), without importing genanki:
    the same text as `genanki.guid_for` gives (a test compares them)."""
    text = "__".join(map(str, values))
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    digits = []
    while number > 0:
        number, digit = divmod(number, 91)
        digits.append(_BASE91[digit])
    return "".join(reversed(digits))


# Each note type: its fixed ID, fixed fields, card templates (name, front, back) and kind.
_NOTE_TYPES: dict[str, tuple[int, tuple[str, ...], tuple[tuple[str, str, str], ...], int]] = {
    BASIC_NAME: (
        BASIC_MODEL_ID,
        BASIC_FIELDS,
        (("Card 1", _FRONT, _BACK),),
        FRONT_BACK,
    ),
    REVERSED_NAME: (
        REVERSED_MODEL_ID,
        REVERSED_FIELDS,
        (("Card 1", _FRONT, _BACK), ("Card 2", _REVERSE_FRONT, _REVERSE_BACK)),
        FRONT_BACK,
    ),
    CLOZE_NAME: (
        CLOZE_MODEL_ID,
        CLOZE_FIELDS,
        (("Cloze", _CLOZE_FRONT, _CLOZE_BACK),),
        CLOZE,
    ),
}


def _model(name: str) -> genanki.Model:
    """The genanki note type called `name`."""
    import genanki

    model_id, _, _, model_type = _NOTE_TYPES[name]
    fields, templates = _model_parts(name)
    return genanki.Model(
        model_id,
        name,
        fields=fields,
        templates=templates,
        css=CSS,
        model_type=model_type,
        sort_field_index=0,
    )


def _model_parts(name: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The fields and templates of the note type called `name`, as genanki keeps them."""
    _, fields, templates, _ = _NOTE_TYPES[name]
    return (
        [{"name": field} for field in fields],
        [{"name": t, "qfmt": front, "afmt": back} for t, front, back in templates],
    )


MODELS = {name: functools.partial(_model, name) for name in _NOTE_TYPES}
_BY_NOTE_TYPE = {"basic": BASIC_NAME, "reversed": REVERSED_NAME, "cloze": CLOZE_NAME}


def model_name(note_type: str) -> str:
    """The note type (model) a card of `note_type` ("basic", "reversed", "cloze") is written as."""
    return _BY_NOTE_TYPE[note_type]


def model_id(name: str) -> int:
    """The fixed ID of the note type called `name`."""
    return _NOTE_TYPES[name][0]


def field_names(name: str) -> tuple[str, ...]:
    """The fixed fields of the note type called `name` (KeyError for another name)."""
    return _NOTE_TYPES[name][1]


def models_hash() -> str:
    """A fingerprint of every note type (names, fields, templates, CSS): the state file keeps
    the note types' mod while it stays the same, so imports update them only on a change."""
    digest = hashlib.sha256()
    for name in sorted(MODELS):
        fields, templates = _model_parts(name)  # as genanki.Model keeps them: no genanki needed
        text = json.dumps([name, fields, templates, CSS], sort_keys=True)
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:20]


def deck_id(name: str) -> int:
    """A stable deck ID from the deck's name."""
    return 1_000_000_000 + zlib.crc32(name.encode("utf-8"))


def write_package(
    notes: Sequence[PackageNote],
    path: Path,
    media: Sequence[Path] = (),
    now: float | None = None,
    keep: Path | None = None,
) -> bool:
    """Write an .apkg to a temporary file beside `path`, then rename it into place.

    `now` is the package's time stamp, which genanki gives the note types as their mod.
    genanki describes the note types, decks and collection; apkg.py writes them (genanki's own
    writer rewrites the deck list once per deck: see apkg.py). With `keep`, the collection is
    kept there for `update_package`: True when it was.
    """
    import genanki
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    timestamp = time.time() if now is None else now
    models = {name: make() for name, make in MODELS.items()}
    decks: dict[str, Any] = {}
    model_decks: dict[str, int] = {}  # genanki gives a note type the last deck that used it
    ords: dict[tuple[str, tuple[bool, ...]], tuple[int, ...]] = {}
    for note in notes:
        if note.deck not in decks:
            decks[note.deck] = genanki.Deck(deck_id(note.deck), note.deck)
    if not decks:
        decks["notedeck"] = genanki.Deck(deck_id("notedeck"), "notedeck")
    rows = []
    deck_ids = {name: deck.deck_id for name, deck in decks.items()}
    for note in sorted(notes, key=_deck_order(list(decks))):
        model = models[note.model]
        deck = deck_ids[note.deck]
        model_decks[note.model] = deck
        rows.append(
            apkg.NoteRow(
                note.guid,
                model.model_id,
                deck,
                note.mod,
                tuple(note.fields),
                tuple(note.tags),
                _card_ords(model, note.fields, ords),
            )
        )
    collection = apkg.Collection(
        schema_sql=APKG_SCHEMA,
        col_sql=APKG_COL,
        models={
            str(models[name].model_id): models[name].to_json(timestamp, deck)
            for name, deck in model_decks.items()
        },
        decks={str(deck.deck_id): deck.to_json() for deck in decks.values()},
    )
    return apkg.write_apkg(path, collection, rows, media, first_id=int(timestamp * 1000), keep=keep)


def update_package(
    changed: Sequence[PackageNote], path: Path, kept: Path, media: Sequence[Path] = ()
) -> bool:
    """Write the package kept at `kept` by `write_package` again with the `changed` notes'
    new mod, fields and tags; False when that cannot give what `write_package` would (see
    apkg.update_apkg). The caller makes sure every other note, deck and note type is the same
    and in the same order as when the package was kept."""
    ords: dict[tuple[str, tuple[bool, ...]], tuple[int, ...]] = {}
    rows = [
        apkg.NoteRow(
            note.guid,
            model_id(note.model),
            deck_id(note.deck),
            note.mod,
            tuple(note.fields),
            tuple(note.tags),
            # A front/back note's cards depend only on which fields are empty: None asks for
            # the cards it has in the kept collection, while that is as it was there.
            _card_ords(_model(note.model), note.fields, ords)
            if _NOTE_TYPES[note.model][3] == CLOZE
            else None,
        )
        for note in changed
    ]
    return apkg.update_apkg(path, kept, rows, media)


def _deck_order(names: list[str]) -> Any:
    """genanki writes the notes deck by deck, in the order the decks were first seen."""
    rank = {name: index for index, name in enumerate(names)}
    return lambda note: rank[note.deck]


def _card_ords(
    model: Any, fields: Sequence[str], known: dict[tuple[str, tuple[bool, ...]], tuple[int, ...]]
) -> tuple[int, ...]:
    """The cards genanki makes for a note. For front/back note types they depend only on which
    fields are empty, so each pattern is asked once; a cloze note is asked each time."""
    import genanki

    if model.model_type == CLOZE:
        note = genanki.Note(model=model, fields=list(fields))
        return tuple(card.ord for card in note.cards)
    pattern = (model.name, tuple(map(bool, fields)))
    found = known.get(pattern)
    if found is None:
        note = genanki.Note(model=model, fields=list(fields))
        found = known[pattern] = tuple(card.ord for card in note.cards)
    return found
