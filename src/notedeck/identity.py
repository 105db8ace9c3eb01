"""Card identity across rebuilds: GUIDs, per-note mod times and the state file (DESIGN §4).

A card's GUID comes from its key (namespace, deck, normalised term; topic and file join the
key only to separate cards that would collide). The state file remembers, per GUID, the key,
a hash of what Anki would store and the mod written last time, so that only changed notes
get a newer mod and renamed or moved cards keep their GUID and with it their review history.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Diagnostic, error, warning
from .extract import Card
from .package import guid_for
from .terms import normalise_term

STATE_NAME = ".notedeck-state.json"
STATE_VERSION = 1
REMOVED_TAG = "notedeck::removed"


def card_key(card: Card, depth: int) -> str:
    """The identity key of a card: deck and term, plus topic (depth 1) and file (depth 2)."""
    parts = [card.deck, card.normalised_term]
    if depth >= 1:
        parts.append("::".join(normalise_term(t) for t in card.topic))
    if depth >= 2:
        parts.append(card.note_path)
    return "\x1f".join(parts)


def assign_keys(cards: Sequence[Card]) -> tuple[list[tuple[Card, str]], list[Diagnostic]]:
    """Each card with its key; colliding keys are made longer, with a warning naming both."""
    depth = [0] * len(cards)
    diagnostics: list[Diagnostic] = []
    for level in (1, 2, 3):
        groups: dict[str, list[int]] = defaultdict(list)
        for index, card in enumerate(cards):
            groups[card_key(card, depth[index])].append(index)
        collisions = [g for g in groups.values() if len(g) > 1]
        if not collisions:
            break
        for group in collisions:
            first, second = cards[group[0]], cards[group[1]]
            if level == 3:
                diagnostics.append(
                    error(
                        first.location.path,
                        first.location.line,
                        f"'{first.term}' has the same identity as {second.location} "
                        "(same deck, topic, file and term); rename one",
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
    return [(card, card_key(card, depth[i])) for i, card in enumerate(cards)], diagnostics


def guid_of_key(namespace: str, key: str) -> str:
    """The GUID a key gets when the state file knows nothing about it."""
    return str(guid_for(namespace, *key.split("\x1f")))


def assign_guids(cards: Sequence[Card], namespace: str) -> tuple[list[Card], list[Diagnostic]]:
    """Cards with the GUIDs their keys give (no state file consulted)."""
    keyed, diagnostics = assign_keys(cards)
    return [dataclasses.replace(c, guid=guid_of_key(namespace, k)) for c, k in keyed], diagnostics


@dataclass(frozen=True)
class Entry:
    """What the state file remembers of one note in the last package."""

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


@dataclass
class State:
    """The state file's contents: entries by GUID."""

    namespace: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)


def load_state(out_dir: Path) -> tuple[State | None, list[Diagnostic]]:
    """The state of the last build in `out_dir`; None (with a warning if corrupt) if none."""
    path = out_dir / STATE_NAME
    if not path.exists():
        return None, []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != STATE_VERSION:
            raise ValueError("unknown version")
        entries = {
            guid: Entry(
                key=e["key"],
                hash=e["hash"],
                mod=int(e["mod"]),
                term=e["term"],
                definition_hash=e["definition_hash"],
                deck=e["deck"],
                model=e["model"],
                fields=tuple(e["fields"]),
                tags=tuple(e["tags"]),
                location=e.get("location", ""),
                removed=bool(e.get("removed", False)),
            )
            for guid, e in raw["notes"].items()
        }
        return State(str(raw.get("namespace", "")), entries), []
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0][:80]
        return None, [
            warning(str(path), 1, f"state file is corrupt ({reason}); rebuilding from scratch")
        ]


def save_state(out_dir: Path, state: State) -> None:
    """Write the state file atomically (temp file, then rename)."""
    payload = {
        "version": STATE_VERSION,
        "namespace": state.namespace,
        "notes": {guid: dataclasses.asdict(e) for guid, e in sorted(state.entries.items())},
    }
    write_atomic(out_dir / STATE_NAME, json.dumps(payload, ensure_ascii=False, indent=1).encode())


def write_atomic(path: Path, content: bytes) -> None:
    """Replace `path` with `content` so that readers see the old file or the new, never half."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def content_hash(model: str, fields: Sequence[str], tags: Sequence[str]) -> str:
    """A hash of everything an import would write into the note."""
    digest = hashlib.sha256()
    for part in (model, *fields, "\x1e", *sorted(tags)):
        digest.update(part.encode("utf-8") + b"\x1f")
    return digest.hexdigest()[:20]


def definition_hash(card: Card) -> str:
    """A hash of the definition as written, to find a renamed term."""
    return hashlib.sha256(" ".join(card.definition.split()).encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Planned:
    """A card as it goes into the package: GUID, mod, fields, tags, and what happened to it."""

    guid: str
    mod: int
    model: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    status: str  # added | changed | unchanged | renamed | moved | removed
    card: Card | None  # None for a tombstone
    previous_term: str = ""


def plan(
    rendered: Sequence[tuple[Card, str, tuple[str, ...]]],
    state: State | None,
    namespace: str,
    now: int,
    *,
    prune: bool = False,
) -> tuple[list[Planned], State, list[Diagnostic]]:
    """GUIDs, mods and statuses for this build, and the state to save after writing it.

    `rendered` holds each card with its note type name and its rendered fields.
    """
    cards = [card for card, _, _ in rendered]
    keyed, diagnostics = assign_keys(cards)
    known = state.entries if state and state.namespace == namespace else {}
    by_key = {entry.key: guid for guid, entry in known.items() if not entry.removed}
    live_guids: dict[int, str] = {}
    for index, (_, key) in enumerate(keyed):
        guid = by_key.get(key)
        if guid is None and key not in by_key and guid_of_key(namespace, key) in known:
            guid = guid_of_key(namespace, key)
        if guid is not None:
            live_guids[index] = guid
    vanished = {g: e for g, e in known.items() if g not in live_guids.values() and not e.removed}
    statuses: dict[int, str] = {}
    previous: dict[int, str] = {}
    # Renames and moves: a new key takes over a vanished GUID, by term first, then definition.
    for attribute, status in (("term", "moved"), ("definition", "renamed")):
        for index, (card, _) in enumerate(keyed):
            if index in live_guids:
                continue
            for guid, entry in list(vanished.items()):
                if attribute == "term":
                    same = normalise_term(entry.term) == card.normalised_term
                else:
                    same = entry.definition_hash == definition_hash(card)
                if same:
                    live_guids[index] = guid
                    statuses[index] = status
                    previous[index] = entry.term
                    del vanished[guid]
                    break
    planned: list[Planned] = []
    new_state = State(namespace)
    seen: dict[str, Card] = {}
    for index, (card, key) in enumerate(keyed):
        model, fields = rendered[index][1], rendered[index][2]
        guid = live_guids.get(index) or guid_of_key(namespace, key)
        if guid in seen:
            other = seen[guid]
            diagnostics.append(
                error(
                    card.location.path,
                    card.location.line,
                    f"'{card.term}' would share a GUID with '{other.term}' at {other.location}",
                )
            )
            continue
        seen[guid] = card
        digest = content_hash(model, fields, card.tags)
        last = known.get(guid)
        if last is None:
            status, mod = "added", now
        elif last.hash == digest and not last.removed:
            status, mod = statuses.get(index, "unchanged"), last.mod
        else:
            status, mod = statuses.get(index, "changed"), max(now, last.mod + 1)
        planned.append(
            Planned(
                guid,
                mod,
                model,
                card.deck,
                fields,
                card.tags,
                status,
                card,
                previous.get(index, ""),
            )
        )
        new_state.entries[guid] = Entry(
            key,
            digest,
            mod,
            card.term,
            definition_hash(card),
            card.deck,
            model,
            fields,
            card.tags,
            str(card.location),
        )
    if not prune:
        for guid, entry in known.items():
            if guid in new_state.entries:
                continue
            if entry.removed:  # an earlier build's tombstone: written again, unchanged
                new_state.entries[guid] = entry
                planned.append(
                    Planned(
                        guid,
                        entry.mod,
                        entry.model,
                        entry.deck,
                        entry.fields,
                        entry.tags,
                        "tombstone",
                        None,
                        entry.term,
                    )
                )
                continue
            tags = tuple(sorted({*entry.tags, REMOVED_TAG}))
            tomb = dataclasses.replace(
                entry,
                tags=tags,
                mod=max(now, entry.mod + 1),
                removed=True,
                hash=content_hash(entry.model, entry.fields, tags),
            )
            new_state.entries[guid] = tomb
            planned.append(
                Planned(
                    guid,
                    tomb.mod,
                    entry.model,
                    entry.deck,
                    entry.fields,
                    tags,
                    "removed",
                    None,
                    entry.term,
                )
            )
    return planned, new_state, diagnostics
