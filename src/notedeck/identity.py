"""Card identity across rebuilds: GUIDs, per-note mod times and the state file (DESIGN §4).

A card's GUID comes from its key (namespace, deck, normalised term; topic and file join the
key only to separate cards that would collide). The state file remembers, per GUID, the key,
a hash of what Anki would store and the mod written last time, so that only changed notes
get a newer mod and renamed or moved cards keep their GUID and with it their review history.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, not_
from pathlib import Path
from typing import Any, NamedTuple

from . import state_schema
from .errors import Diagnostic, NotedeckError, error, warning
from .extract import Card
from .names import shown
from .output import write_atomic, write_spliced
from .package import guid_for
from .terms import normalise_term
from .untrusted import read_regular

# The state lives in the notes root, not in the output folder people delete (DESIGN §4).
STATE_DIR = ".notedeck"
STATE_NAME = "state.json"
LEGACY_STATE_NAME = ".notedeck-state.json"  # in the output folder, before 0.1.0
STATE_VERSION = 1
REMOVED_TAG = "notedeck::removed"
_SEP = "\x1f"


class CardFacts(NamedTuple):
    """What `plan` computes of each card from the card and its rendered fields alone, so a
    rebuild can take it from the cache instead of hashing every card again."""

    normalised_term: str
    topic_key: str  # the normalised topic path, as the key's depth 1 adds it
    content_hash: str
    definition_hash: str
    namespace: str = ""  # with `guid`: the GUID of the card's shortest key in this namespace
    guid: str = ""
    # The card's shortest key (deck and normalised term), which most cards keep: made once per
    # note version, and kept by the cache as the very string the state's entry holds, so that
    # a rebuild neither joins it again nor unpickles a copy of it.
    short_key: str = ""


def card_facts(
    card: Card, model: str, fields: Sequence[str], namespace: str | None = None
) -> CardFacts:
    """The facts of `card` rendered as `fields` of note type `model`; with a `namespace`,
    also the GUID its shortest key gets there (most cards keep that key)."""
    normalised = card.normalised_term
    short_key = f"{card.deck}{_SEP}{normalised}"
    guid = "" if namespace is None else guid_of_key(namespace, short_key)
    return CardFacts(
        normalised,
        "::".join(normalise_term(t) for t in card.topic),
        content_hash(model, fields, card.tags),
        definition_hash(card),
        namespace or "",
        guid,
        short_key,
    )


def card_key(card: Card, depth: int, facts: CardFacts | None = None) -> str:
    """The identity key of a card: deck and term, plus topic (depth 1) and file (depth 2)."""
    if facts is None:
        facts = CardFacts(
            card.normalised_term, "::".join(normalise_term(t) for t in card.topic), "", ""
        )
    parts = [card.deck, facts.normalised_term]
    if depth >= 1:
        parts.append(facts.topic_key)
    if depth >= 2:
        parts.append(card.note_path)
    return _SEP.join(parts)


def assign_keys(
    cards: Sequence[Card], facts: Sequence[CardFacts] | None = None
) -> tuple[list[tuple[Card, str]], list[Diagnostic]]:
    """Each card with its key; colliding keys are made longer, with a warning naming both.

    Two cards that still collide with deck, topic, file and term in the key would get one
    GUID: that is an error naming both places. `facts` (one per card) saves normalising the
    terms again.
    """
    known: Sequence[CardFacts | None] = facts if facts is not None else [None] * len(cards)
    depth = [0] * len(cards)
    diagnostics: list[Diagnostic] = []
    keys: list[str] | None = None
    for level in (1, 2, 3):
        if level == 1 and facts is not None:  # every depth is 0: each card's shortest key
            keys = [fact.short_key for fact in facts]
        else:
            keys = [card_key(card, depth[i], known[i]) for i, card in enumerate(cards)]
        if len(set(keys)) == len(keys):  # no collision, the usual case: no groups to make
            break
        groups: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[key].append(index)
        collisions = [g for g in groups.values() if len(g) > 1]
        if not collisions:
            break
        keys = None
        for group in collisions:
            first, second = cards[group[0]], cards[group[1]]
            if level == 3:
                diagnostics.append(
                    error(
                        second.location.path,
                        second.location.line,
                        f"'{second.term}' would get the same GUID as '{first.term}' at "
                        f"{first.location} (same deck, topic, file and term); rename one",
                    )
                )
                continue
            for index in group:
                depth[index] = level
            if level == 2:
                diagnostics.append(
                    warning(
                        first.location.path,
                        first.location.line,
                        f"'{first.term}' also in {second.location} under the same deck and "
                        "topic; the file name now separates them",
                    )
                )
    if keys is None:  # the last level moved some keys deeper
        keys = [card_key(card, depth[i], known[i]) for i, card in enumerate(cards)]
    return list(zip(cards, keys, strict=True)), diagnostics


def guid_of_key(namespace: str, key: str, salt: int = 0) -> str:
    """The GUID a key gets when the state file knows nothing about it.

    `salt` > 0 gives the key another GUID, for when its own belongs to a renamed card.
    """
    parts: list[object] = [namespace, *key.split(_SEP)]
    if salt:
        parts.append(salt)
    return guid_for(*parts)


def assign_guids(cards: Sequence[Card], namespace: str) -> tuple[list[Card], list[Diagnostic]]:
    """Cards with the GUIDs their keys give (no state file consulted)."""
    keyed, diagnostics = assign_keys(cards)
    return [dataclasses.replace(c, guid=guid_of_key(namespace, k)) for c, k in keyed], diagnostics


class Entry(NamedTuple):
    """What the state file remembers of one note in the last package.

    A named tuple, not a dataclass: a rebuild makes and compares one per card, and reads and
    pickles them by the ten thousand (a tuple is made and compared in C).
    """

    key: str
    hash: str
    mod: int
    term: str
    definition_hash: str
    deck: str
    model: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    location: str
    removed: bool = False
    topic: tuple[str, ...] = ()
    note_path: str = ""


@dataclass
class State:
    """The state file's contents: entries by GUID, and the note types' hash and mod."""

    namespace: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    models_hash: str = ""
    models_mod: int = 0


class StateRefused(NotedeckError):
    """A state file that exists but cannot be read, or that a newer notedeck wrote: building
    over it would give its renamed cards new GUIDs, so the build stops (as git and SQLite do
    with what they cannot read) unless asked to start afresh."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# The state file of 20,000 cards is 13 MB; a file beyond this is not one notedeck wrote.
MAX_STATE_BYTES = 1 << 30
REBUILD_HINT = "or pass --rebuild-state to start afresh (renamed cards then get new GUIDs)"


def load_state(
    folder: Path,
    namespace: str | None = None,
    snapshot: Snapshot | None = None,
    *,
    name: str = STATE_NAME,
) -> tuple[State | None, list[Diagnostic]]:
    """The state of the last build kept in `folder` (file `name`), or None when there is
    none to use.

    A corrupt file, or one written for another namespace, gives a warning and None: the
    build starts afresh rather than fail. Notes with bad values are left out with one warning
    (see state_schema). A file that cannot be read (permissions, not a regular file, too
    large) or that a newer notedeck wrote raises StateRefused. `snapshot` is what
    `save_state` returned when it wrote the file: while the file is still the one it wrote,
    its state is taken as it is instead of reading 13 MB of JSON for 20,000 cards again.
    """
    path = folder / name
    if snapshot is not None and snapshot.stamp == file_stamp(path):
        state: State = snapshot.state
        if namespace is None or state.namespace == namespace:
            return state, []
    try:
        data = read_regular(path, MAX_STATE_BYTES)
    except (FileNotFoundError, NotADirectoryError) as exc:
        if isinstance(exc, NotADirectoryError) and folder.exists():
            raise StateRefused(
                folder, f"cannot read the state file: the state folder is a file; {REBUILD_HINT}"
            ) from None
        return None, []
    except OSError as exc:
        reason = f"cannot read the state file: {exc.strerror or exc}; fix that, {REBUILD_HINT}"
        raise StateRefused(path, reason) from None
    parsed, problems = _parsed_state(data, str(path))
    if parsed is None:
        return None, problems
    if namespace is not None and parsed.namespace != namespace:
        return None, [
            warning(
                str(path),
                1,
                f"the last build used namespace '{parsed.namespace}', this one '{namespace}': "
                "every card gets a new GUID and the old notes stay in Anki as they are",
            )
        ]
    return parsed, problems


def _parsed_state(data: bytes, shown: str) -> tuple[State | None, list[Diagnostic]]:
    """The state in the bytes of a state file, checked against the schema; None and a
    warning when it cannot be used at all."""

    def corrupt(reason: str) -> tuple[None, list[Diagnostic]]:
        message = f"state file is corrupt ({reason}); rebuilding from scratch"
        return None, [warning(shown, 1, message)]

    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except RecursionError:  # json's C decoder stops at Python's recursion limit
        return corrupt("nested deeper than a state file is")
    except ValueError as exc:  # also UnicodeDecodeError and numbers of 4,300 digits
        return corrupt(str(exc).splitlines()[0][:80] or type(exc).__name__)
    if not isinstance(raw, dict) or not isinstance(raw.get("notes"), dict):
        return corrupt("not a JSON object with notes")
    version = raw.get("version")
    if type(version) is int and version > STATE_VERSION:
        raise StateRefused(
            shown,
            f"the state file is version {version}, written by a newer notedeck (this one "
            f"reads version {STATE_VERSION}); upgrade notedeck, {REBUILD_HINT}",
        )
    if version != STATE_VERSION or type(version) is not int:
        return corrupt(f"unknown version {version!r}")
    namespace = raw.get("namespace", "")
    if state_schema.text_problem(namespace):
        return corrupt("the namespace is not a text")
    problems: list[Diagnostic] = []
    models_hash, models_mod = raw.get("models_hash", ""), raw.get("models_mod", 0)
    if state_schema.text_problem(models_hash) or not state_schema.is_mod(models_mod):
        # The note types are then written with a new mod: Anki updates them once.
        models_hash, models_mod = "", 0
        message = "state file: the note types' hash or mod is not valid; they get a new mod"
        problems.append(warning(shown, 1, message))
    surrogates = state_schema.may_hold_surrogates(text)
    entries: dict[str, Entry] = {}
    left_out: list[tuple[str, str]] = []
    for guid, entry in raw["notes"].items():
        problem = state_schema.entry_problem(guid, entry, surrogates)
        if problem:
            left_out.append((guid, problem))
            continue
        entries[guid] = Entry(
            entry["key"],
            entry["hash"],
            entry["mod"],
            entry["term"],
            entry["definition_hash"],
            entry["deck"],
            entry["model"],
            tuple(entry["fields"]),
            tuple(entry["tags"]),
            entry.get("location", ""),
            entry.get("removed", False),
            tuple(entry.get("topic", ())),
            entry.get("note_path", ""),
        )
    if left_out:
        guid, problem = left_out[0]
        # One note a line (see save_state): the line of the first, found by its GUID.
        at = text.find("\n" + json.dumps(guid, ensure_ascii=False) + ":")
        line = text.count("\n", 0, at + 1) + 1 if at >= 0 else 1
        count = len(left_out)
        problems.append(
            warning(
                shown,
                line,
                f"state file: {count} note{'s' * (count != 1)} with bad values left out "
                f"({problem}); {'their cards' if count > 1 else 'its card'} may get a new GUID",
            )
        )
    state = State(str(namespace), entries, str(models_hash), models_mod)
    return state, problems


@dataclass(frozen=True)
class Snapshot:
    """The state file as `save_state` wrote it: its state (entries in the file's order), the
    file's stamp, and where each GUID's line lies in it."""

    state: State
    stamp: tuple[int, ...] | None
    spans: dict[str, tuple[int, int]]

    def changes_since(self, base: Snapshot) -> SnapshotChanges:
        """This snapshot as its differences from `base`, to store in little room."""
        old, entries = base.state.entries, self.state.entries
        changed = {guid: tuple(e) for guid, e in entries.items() if old.get(guid) != e}
        gone = tuple(guid for guid in old if guid not in entries)
        header = (self.state.namespace, self.state.models_hash, self.state.models_mod)
        # After edits that kept every line's length, the spans are the base's: not stored.
        # (Often the base's very dict: comparing 20,000 spans then takes no time.)
        spans = None if self.spans is base.spans or self.spans == base.spans else self.spans
        return SnapshotChanges(header, changed, gone, self.stamp, spans)

    def __getstate__(self) -> object:
        # Plain tuples: pickle makes and reads those in C, a named tuple through Python calls.
        state = self.state
        entries = {guid: tuple(entry) for guid, entry in state.entries.items()}
        header = (state.namespace, state.models_hash, state.models_mod)
        return header, entries, self.stamp, self.spans

    def __setstate__(self, saved: Any) -> None:
        (namespace, models_hash, models_mod), entries, stamp, spans = saved
        make = functools.partial(tuple.__new__, Entry)  # Entry._make without a Python call
        state = State(namespace, {g: make(e) for g, e in entries.items()}, models_hash, models_mod)
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "stamp", stamp)
        object.__setattr__(self, "spans", spans)


@dataclass(frozen=True)
class SnapshotChanges:
    """A snapshot as its differences from an earlier one (`Snapshot.changes_since`)."""

    header: tuple[str, str, int]  # namespace, models_hash, models_mod
    entries: dict[str, tuple[Any, ...]]  # the entries not in the earlier one as they are
    gone: tuple[str, ...]  # the GUIDs of the earlier one that are no more
    stamp: tuple[int, ...] | None
    spans: dict[str, tuple[int, int]] | None  # None: the earlier one's

    def on(self, base: Snapshot) -> Snapshot:
        """The snapshot these changes were taken from, given the earlier one."""
        entries = dict(base.state.entries)
        for guid in self.gone:
            del entries[guid]
        fresh = {guid: Entry._make(e) for guid, e in self.entries.items()}
        new_guid = any(guid not in entries for guid in fresh)
        entries.update(fresh)
        if new_guid:  # else the base's order (by GUID) holds: sorting 20,000 again is time
            entries = dict(sorted(entries.items()))
        namespace, models_hash, models_mod = self.header
        state = State(namespace, entries, models_hash, models_mod)
        return Snapshot(state, self.stamp, base.spans if self.spans is None else self.spans)


def file_stamp(path: Path) -> tuple[int, ...] | None:
    """What changes whenever a file is written or replaced: inode, size, modification and
    change times; None when there is no such file."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def save_state(
    folder: Path, state: State, previous: Snapshot | None = None, *, into: Path | None = None
) -> Snapshot:
    """Write the state file into `folder` (made when missing) atomically (temp file, then
    rename); return its snapshot. The file is sorted by GUID, one note per line, so that it
    can be committed with the notes and merged by git.

    With `into`, the file is written there instead, for the caller to rename into place with
    the packages (see commit.py); the snapshot then has no stamp until the caller gives it the
    renamed file's.

    With the `previous` snapshot of the file still in place, the line of each note whose
    entry equals the one of the previous state is copied from the old file, so a rebuild
    after one change encodes only the changed notes.
    """
    # One note per line, each encoded by json's C encoder and written as it is made: `indent`
    # switches json to its pure-Python encoder, `dataclasses.asdict` deep-copies, and the whole
    # text held at once is three copies of a 13 MB file; together they cost 2 s and 60 MB on a
    # 20,000-card rebuild. The file stays one JSON object that diffs line by line.
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATE_NAME
    header = {
        "version": STATE_VERSION,
        "namespace": state.namespace,
        "models_hash": state.models_hash,
        "models_mod": state.models_mod,
    }
    encode = json.JSONEncoder(ensure_ascii=False).encode
    old_bytes = b""
    old_entries: dict[str, Entry] = {}
    old_spans: dict[str, tuple[int, int]] = {}
    if previous is not None and previous.stamp is not None and previous.stamp == file_stamp(path):
        old_entries, old_spans = previous.state.entries, previous.spans
    head = encode(header)[:-1].encode() + b', "notes": {'
    if (
        old_spans
        and state.entries.keys() == old_entries.keys()
        and list(old_spans) == list(old_entries)
    ):
        try:
            patched = _patched(head, state.entries, path, old_entries, old_spans, encode)
            if patched is not None:
                kept, kept_pieces, kept_spans = patched
                write_spliced(into or path, kept_pieces, source=path)
                saved = State(state.namespace, kept, state.models_hash, state.models_mod)
                return Snapshot(saved, None if into else file_stamp(path), kept_spans)
        except OSError:  # the old file went away or shrank: written afresh below
            old_entries, old_spans = {}, {}
    if old_spans:
        try:
            old_bytes = path.read_bytes()
        except OSError:
            old_entries, old_spans = {}, {}
    entries = dict(sorted(state.entries.items()))
    spans: dict[str, tuple[int, int]] = {}
    pieces: list[bytes] = [head]
    offset = len(pieces[0]) - 1  # as if the first note's lead were two bytes, like the rest
    # Bound once: the loop runs once per card. Every line after the first is led by ",\n";
    # the first one's lead is its last byte (see below).
    old_entry, old_span, add = old_entries.get, old_spans.get, pieces.append
    for guid, entry in entries.items():
        span = old_span(guid) if old_entry(guid) == entry else None
        if span is not None:
            line = old_bytes[span[0] : span[1]]
        else:
            line = (encode(guid) + ": " + encode(entry._asdict())).encode()
        start = offset + 2
        offset = start + len(line)
        spans[guid] = (start, offset)
        add(b",\n")
        add(line)
    if len(pieces) > 1:
        pieces[1] = b"\n"
    pieces.append(b"\n}}\n")
    write_atomic(into or path, pieces)
    saved = State(state.namespace, entries, state.models_hash, state.models_mod)
    return Snapshot(saved, None if into else file_stamp(path), spans)


def _patched(
    head: bytes,
    entries: dict[str, Entry],
    old_path: Path,
    old_entries: dict[str, Entry],
    old_spans: dict[str, tuple[int, int]],
    encode: Any,
) -> tuple[dict[str, Entry], list[bytes | tuple[int, int]], dict[str, tuple[int, int]]] | None:
    """The state file as the old one (at `old_path`) with the lines of changed entries
    replaced, when the notes' GUIDs are the same as in it: its entries (in the old, sorted
    order), its pieces (new bytes, or (start, end) of the old file) and its spans; None when
    the header moved (then the caller writes every line).

    The same bytes the line-by-line loop of `save_state` gives, without a Python step per
    note: a rebuild after one edit changes a few lines of 20,000.
    """
    first = next(iter(old_spans.values()))[0]
    if first != len(head) + 1:
        return None
    with old_path.open("rb") as stream:
        if stream.read(len(head)) != head:
            return None
    old_size = next(reversed(old_spans.values()))[1] + len(b"\n}}\n")
    ordered = {guid: entries[guid] for guid in old_entries}  # the old file's order: by GUID
    pairs = zip(ordered.items(), old_entries.values(), strict=True)
    changed = [(guid, entry) for (guid, entry), old in pairs if entry != old]
    pieces: list[bytes | tuple[int, int]] = []
    moved: dict[str, tuple[int, int]] = {}  # changed GUID: its old span, its new line's length
    cursor = 0
    for guid, entry in changed:
        start, end = old_spans[guid]
        line = (encode(guid) + ": " + encode(entry._asdict())).encode()
        pieces.append((cursor, start))
        pieces.append(line)
        cursor = end
        moved[guid] = (end - start, len(line))
    pieces.append((cursor, old_size))
    if all(old == new for old, new in moved.values()):
        return ordered, pieces, old_spans  # every line kept its place
    spans: dict[str, tuple[int, int]] = {}
    shift = 0
    for guid, (start, end) in old_spans.items():
        size = moved.get(guid)
        if size is None:
            spans[guid] = (start + shift, end + shift)
        else:
            spans[guid] = (start + shift, start + shift + size[1])
            shift += size[1] - size[0]
    return ordered, pieces, spans


def content_hash(model: str, fields: Sequence[str], tags: Sequence[str]) -> str:
    """A hash of everything an import would write into the note."""
    text = "\x1f".join((model, *fields, "\x1e", *sorted(tags))) + "\x1f"  # each part closed
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def definition_hash(card: Card) -> str:
    """A hash of the definition as written, to find a renamed term."""
    return hashlib.sha256(" ".join(card.definition.split()).encode("utf-8")).hexdigest()[:20]


def newer_mod(previous: int, now: int) -> int:
    """The mod of something that changed: now, but always after the previous one, so that
    two builds within one second still update (Anki updates only when strictly newer)."""
    return max(now, previous + 1)


class Planned(NamedTuple):
    """A note as it goes into the package: GUID, mod, fields, tags, and what happened to it.

    `status` is added, changed, unchanged, renamed, moved, removed (a tombstone written for
    the first time) or tombstone (one from an earlier build, written again unchanged).
    A named tuple: every build makes one per card.
    """

    guid: str
    mod: int
    model: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    status: str
    card: Card | None  # None for a tombstone
    previous_term: str = ""
    source: str = ""  # path:line of the card, or where it was last seen
    previous_mod: int | None = None  # None: the state file knew no such note

    @property
    def updates_anki(self) -> bool:
        """Whether importing the package updates this note in a collection that holds the
        previous build: its mod moved forward."""
        return self.previous_mod is not None and self.mod > self.previous_mod


@dataclass(frozen=True)
class Plan:
    """The outcome of `plan`: the notes of the package, the state to save, diagnostics."""

    notes: list[Planned]
    state: State
    diagnostics: list[Diagnostic]


def plan(
    rendered: Sequence[tuple[Card, str, tuple[str, ...]]],
    state: State | None,
    namespace: str,
    now: int,
    *,
    prune: bool = False,
    models_hash: str = "",
    facts: Sequence[Sequence[str] | None] | None = None,
) -> Plan:
    """GUIDs, mods and statuses for this build, and the state to save after writing it.

    `rendered` holds each card with its note type name and its rendered fields; `state` is
    the last build's (None: a fresh start, no tombstones). `models_hash` fingerprints the
    note types, whose mod moves only when it changes (`State.models_mod`). `facts` may give
    each card's `card_facts` computed earlier (None where not); the others are computed here.
    """
    given: Sequence[Sequence[str] | None] = facts if facts is not None else [None] * len(rendered)
    # The cache keeps them as plain tuples; CardFacts._make without a Python call per card.
    make = functools.partial(tuple.__new__, CardFacts)
    every = [
        make(found) if found is not None else card_facts(card, model, fields)
        for (card, model, fields), found in zip(rendered, given, strict=True)
    ]
    cards = [card for card, _, _ in rendered]
    keyed, diagnostics = assign_keys(cards, every)
    known = state.entries if state is not None else {}
    models = [model for _, model, _ in rendered]
    guids, renamed = _match(keyed, known, namespace, models, every)
    notes: list[Planned] = []
    new_state = State(namespace)
    entries = new_state.entries
    # Bound once: this loop runs once per card, and a rebuild after one edit is mostly it.
    find = known.get
    for index, ((card, key), (_, model, fields), facts_of) in enumerate(
        zip(keyed, rendered, every, strict=True)
    ):
        guid = guids[index]
        digest = facts_of.content_hash
        last = find(guid)
        if (
            last is not None
            and last.fields is fields
            and last.key == key
            and last.hash == digest
            and not last.removed
            and index not in renamed
        ):
            # The entry the last build made of this very card, from the cache: a fields tuple
            # is made once per card and the cache pickles it with the state that holds it, so
            # an entry holding this card's own fields object was made from this card (same
            # term, deck, tags, topic, note and line). With the same key it is unchanged, and
            # kept as the same object; its note is made from it without reading the card
            # (a rebuild after one edit: 20,000 cards, a fifth of their planning).
            notes.append(
                Planned(
                    guid,
                    last.mod,
                    model,
                    last.deck,
                    fields,
                    last.tags,
                    "unchanged",
                    card,
                    "",
                    str(card.location),  # the entry's is below the notes root
                    last.mod,
                )
            )
            entries[guid] = last
            continue
        deck, tags, topic, note_path = card.deck, card.tags, card.topic, card.note_path
        if last is None:
            status, mod = "added", now
        else:
            # Renamed (matched by its definition, see _match), or moved: the same term in
            # another deck, note or topic. Compared field by field, which for an unchanged
            # card compares each object with itself.
            if index in renamed:
                status = "renamed"
            elif (
                last.deck != deck or last.note_path != note_path or last.topic != topic
            ) and normalise_term(last.term) == facts_of.normalised_term:
                status = "moved"
            else:
                status = ""
            if last.hash == digest and not last.removed:
                status, mod = status or "unchanged", last.mod
            else:  # changed, or a tombstone brought back: the note in Anki must be updated
                status, mod = status or "changed", newer_mod(last.mod, now)
        place = card.location  # str(Location) inlined: one call less per card
        path = shown(place.path)
        location = f"{path}:{place.line}" if place.line else path
        # The state file names the note below the notes root: the same on every machine and
        # however the build named its paths, so the committed file does not churn.
        kept_location = f"{note_path}:{place.line}" if place.line else note_path
        notes.append(
            Planned(
                guid,
                mod,
                model,
                deck,
                fields,
                tags,
                status,
                card,
                last.term if last and status in ("renamed", "moved") else "",
                location,
                last.mod if last else None,
            )
        )
        entry = Entry(
            key,
            digest,
            mod,
            card.term,
            facts_of.definition_hash,
            deck,
            model,
            fields,
            tags,
            kept_location,
            False,
            topic,
            note_path,
        )
        if last is not None and last.fields is fields and status == "unchanged" and entry == last:
            # The last state's own entry: comparing the states, saving the state file and
            # finding the notes to update then see the same object and skip its fields. Only
            # when it shares its fields with the cached card: an entry read from the JSON
            # state file holds copies of every string, which the cache would then keep twice.
            entry = last
        entries[guid] = entry
    if not prune:
        for guid, entry in known.items():
            if guid not in new_state.entries:  # a card left the notes
                tomb = _tombstone(guid, entry, now)
                notes.append(tomb)
                new_state.entries[guid] = entry._replace(
                    tags=tomb.tags,
                    mod=tomb.mod,
                    removed=True,
                    hash=content_hash(entry.model, entry.fields, tomb.tags),
                )
    if state is not None and state.models_hash == models_hash:
        new_state.models_hash, new_state.models_mod = models_hash, state.models_mod
    elif state is not None:
        new_state.models_hash = models_hash
        new_state.models_mod = newer_mod(state.models_mod, now)
    else:
        new_state.models_hash, new_state.models_mod = models_hash, now
    return Plan(notes, new_state, diagnostics)


def _tombstone(guid: str, entry: Entry, now: int) -> Planned:
    """A note whose card left the notes, kept in the package tagged notedeck::removed."""
    if entry.removed:  # an earlier build's tombstone: written again, unchanged
        return Planned(
            guid,
            entry.mod,
            entry.model,
            entry.deck,
            entry.fields,
            entry.tags,
            "tombstone",
            None,
            entry.term,
            entry.location,
            entry.mod,
        )
    tags = tuple(sorted({*entry.tags, REMOVED_TAG}))
    return Planned(
        guid,
        newer_mod(entry.mod, now),
        entry.model,
        entry.deck,
        entry.fields,
        tags,
        "removed",
        None,
        entry.term,
        entry.location,
        entry.mod,
    )


_KEY, _REMOVED = attrgetter("key"), attrgetter("removed")


def _match(
    keyed: Sequence[tuple[Card, str]],
    known: dict[str, Entry],
    namespace: str,
    models: Sequence[str],
    facts: Sequence[CardFacts],
) -> tuple[list[str], set[int]]:
    """The GUID of each card, and the cards renamed: matched to a note by their definition
    (`plan` tells which others moved).

    In order: the GUID the last build gave the same key (a live note, else a tombstone,
    which brings it back); then a note that vanished in this rebuild with the same term
    (moved; same term and definition first) or, failing that, the same definition (renamed;
    only when that definition is unique on both sides, so that short stock answers do not
    pair unrelated cards); last the key's own GUID, salted when a renamed card holds it.
    A note never keeps its GUID across a change of note type (`Term::` to `Term:::`): Anki
    does not update a note into another note type, it reports a conflict and keeps the old
    note, so the card gets a new GUID and the old note a tombstone.
    """
    claimed: dict[str, int] = {}
    guids: dict[int, str] = {}

    def claim(index: int, guid: str) -> None:
        guids[index] = guid
        claimed[guid] = index

    def other_type(index: int, guid: str) -> bool:
        return guid in known and known[guid].model != models[index]

    # {key: GUID} of the live notes and of the tombstones, built by C loops (map, zip,
    # compress): two passes over 20,000 entries in Python were a tenth of planning a rebuild.
    by_key = list(zip(map(_KEY, known.values()), known, strict=True))
    removed = list(map(_REMOVED, known.values()))
    live_by_key = dict(compress(by_key, map(not_, removed)))
    dead_by_key = dict(compress(by_key, removed))
    live, dead = live_by_key.get, dead_by_key.get
    for index, (_, key) in enumerate(keyed):  # once per card: claim and other_type inlined
        guid = live(key) or dead(key)
        if guid is not None and guid not in claimed and known[guid].model == models[index]:
            guids[index] = guid
            claimed[guid] = index

    # The notes no card claimed: a set difference in C, then a loop over the few left.
    vanished = {g: known[g] for g in known.keys() - claimed.keys() if not known[g].removed}
    by_term: dict[str, list[str]] = defaultdict(list)
    by_definition: dict[str, list[str]] = defaultdict(list)
    for guid, entry in sorted(vanished.items()):
        by_term[normalise_term(entry.term)].append(guid)
        by_definition[entry.definition_hash].append(guid)
    open_cards = [i for i in range(len(keyed)) if i not in guids]
    card_definitions = Counter(facts[i].definition_hash for i in open_cards)
    pairs: list[tuple[int, int, str]] = []  # (-score, card index, guid)
    for index in open_cards:
        digest = facts[index].definition_hash
        for guid in by_term.get(facts[index].normalised_term, []):
            pairs.append((-3 if vanished[guid].definition_hash == digest else -2, index, guid))
        same = by_definition.get(digest, [])
        if len(same) == 1 and card_definitions[digest] == 1:
            pairs.append((-1, index, same[0]))
    renamed: set[int] = set()
    for score, index, guid in sorted(pairs):
        if index in guids or guid in claimed or other_type(index, guid):
            continue
        claim(index, guid)
        if score == -1:
            renamed.add(index)

    for index in open_cards:  # the cards with no GUID yet are among these, in order
        if index not in guids:
            key = keyed[index][1]
            salt = 0
            known_guid = facts[index].guid and facts[index].namespace == namespace
            if known_guid and key == facts[index].short_key:
                guid = facts[index].guid  # hashed already, in the worker that read the note
            else:
                guid = guid_of_key(namespace, key)
            while guid in claimed or other_type(index, guid):
                salt += 1
                guid = guid_of_key(namespace, key, salt)
            claim(index, guid)

    return [guids[i] for i in range(len(keyed))], renamed
