"""`notedeck push`: bring a running Anki to the state of a build, over AnkiConnect.

The package the build just wrote goes in with AnkiConnect's `importPackage`: only an import
keeps notedeck's GUIDs, note types and review history, and it updates exactly the notes whose
mod is newer, as a manual import does (`addNote` can set no GUID and ignores the deck). An
import moves no card and deletes no note, so push then moves the cards whose deck changed
(`changeDeck`) and, with --prune, deletes the notes whose cards left the notes (`deleteNotes`).

AnkiConnect shows no note's GUID, so push learns which note in Anki is which from an export
of the decks that hold notedeck's note types (`exportPackage`, read with sqlite3): once before
the import and once after. The report counts the difference between those two exports: what
Anki did, not what the build meant to do.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import sqlite3
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import identity
from .apkg import packaged_media
from .build import BuildOptions, build_after
from .config import (
    ANKICONNECT_KEY_VARIABLE,
    ANKICONNECT_TIMEOUT,
    ANKICONNECT_URL,
    load_config_file,
)
from .errors import NotedeckError, UsageProblem
from .package import MODELS, model_id
from .report import Report
from .sources import find_notes

ADDON_CODE = "2055492159"  # AnkiConnect on AnkiWeb: Tools > Add-ons > Get Add-ons...
API_VERSION = 6  # the reply format ({"result", "error"}) this client reads
LONG_TIMEOUT = 300.0  # an import or export of a large deck takes its time
# Every action push uses, asked for up front so that an old add-on fails before any change.
ACTIONS = (
    "deckNames",
    "multi",
    "findCards",
    "exportPackage",
    "importPackage",
    "changeDeck",
    "deleteNotes",
    "createDeck",
    "getMediaFilesNames",
    "storeMediaFile",
)
_UPDATE = "Tools > Add-ons > Check for Updates"


@dataclass(frozen=True)
class Connection:
    """Where AnkiConnect listens, its API key, and how long to wait for an answer."""

    url: str = ANKICONNECT_URL
    key: str | None = None
    timeout: float = ANKICONNECT_TIMEOUT


def connection_for(
    paths: Sequence[Path], url: str | None, key: str | None, timeout: float = ANKICONNECT_TIMEOUT
) -> Connection:
    """The connection: `url` and `key` as given (flag or environment), else notedeck.yaml's
    `ankiconnect_url` and `ankiconnect_key` at the notes root, else the add-on's defaults."""
    if url is None or key is None:
        found, _ = find_notes(paths)
        root = found[0].root if found else paths[0]
        settings, _ = load_config_file(root if root.is_dir() else root.parent)
        url = url if url is not None else settings.get("ankiconnect_url")
        key = key if key is not None else settings.get("ankiconnect_key")
    url = url or ANKICONNECT_URL
    if not url.startswith(("http://", "https://")):
        raise UsageProblem(f"{url}: an AnkiConnect URL starts with http://, like {ANKICONNECT_URL}")
    return Connection(url.rstrip("/"), key or None, timeout)


class ActionFailed(NotedeckError):
    """Anki's own error while it carried out an action (`reason` is its text)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason.splitlines()[0] if reason else reason


class AnkiConnect:
    """A client of the AnkiConnect add-on: one JSON request per action, one line per failure."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def call(self, action: str, timeout: float | None = None, **params: Any) -> Any:
        """The result of one action; NotedeckError with one line when there is none."""
        return self._result(action, self._post(self._request(action, params), timeout))

    def multi(
        self, calls: Sequence[tuple[str, dict[str, Any]]], timeout: float | None = None
    ) -> list[Any]:
        """The results of several actions sent in one request: AnkiConnect takes a request
        only when its timer next fires (every 25 ms), so each request saved is that wait."""
        requests = [self._request(action, params) for action, params in calls]
        replies = self.call("multi", timeout, actions=requests)
        if not isinstance(replies, list) or len(replies) != len(calls):
            raise NotedeckError(_not_ankiconnect(self.connection.url, "a multi reply"))
        return [
            self._result(action, reply) for (action, _), reply in zip(calls, replies, strict=True)
        ]

    def _request(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"action": action, "version": API_VERSION, "params": params}
        if self.connection.key is not None:  # every action of a multi is checked for it
            request["key"] = self.connection.key
        return request

    def _post(self, request: dict[str, Any], timeout: float | None) -> Any:
        """One HTTP request to AnkiConnect and its decoded JSON reply."""
        url = self.connection.url
        wait = timeout if timeout is not None else self.connection.timeout
        try:
            with urllib.request.urlopen(
                urllib.request.Request(
                    url,
                    json.dumps(request).encode("utf-8"),
                    {"Content-Type": "application/json"},
                ),
                timeout=wait,
            ) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise NotedeckError(_not_ankiconnect(url, f"HTTP {exc.code}")) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise NotedeckError(_busy(url, wait)) from None
            raise NotedeckError(_not_running(url)) from None
        except TimeoutError:
            raise NotedeckError(_busy(url, wait)) from None
        except (ConnectionError, OSError):
            raise NotedeckError(_not_running(url)) from None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _result(self, action: str, reply: Any) -> Any:
        """The result in one reply of API version 6; its error as one line."""
        url, key = self.connection.url, self.connection.key
        if not isinstance(reply, dict) or set(reply) != {"result", "error"}:
            raise NotedeckError(_not_ankiconnect(url, "not a JSON reply of API version 6"))
        error = reply["error"]
        if error is None:
            return reply["result"]
        text = str(error)
        if "api key" in text.lower():
            if key is None:
                raise NotedeckError(
                    f"{url}: AnkiConnect asks for its API key: give it with --key, "
                    f"{ANKICONNECT_KEY_VARIABLE} or ankiconnect_key in notedeck.yaml"
                )
            raise NotedeckError(
                f"{url}: AnkiConnect refused the API key: use the apiKey of its config "
                "(Tools > Add-ons > AnkiConnect > Config)"
            )
        if text == "unsupported action":
            raise NotedeckError(_too_old(url, [action]))
        raise ActionFailed(f"{url}: AnkiConnect {action} failed: {text.splitlines()[0]}", text)

    def check(self) -> None:
        """Refuse before any change when Anki or the add-on cannot do all that push does."""
        url = self.connection.url
        reflect = {"scopes": ["actions"], "actions": list(ACTIONS)}
        version, reflected = self.call(
            "multi", actions=[self._request("version", {}), self._request("apiReflect", reflect)]
        )
        number = self._result("version", version)
        if not isinstance(number, int) or number < API_VERSION:
            raise NotedeckError(
                f"{url}: AnkiConnect speaks API version {number}; notedeck needs "
                f"{API_VERSION} or newer: update the add-on ({_UPDATE})"
            )
        found = self._result("apiReflect", reflected)
        known = found.get("actions", []) if isinstance(found, dict) else []
        missing = [action for action in ACTIONS if action not in known]
        if missing:
            raise NotedeckError(_too_old(url, missing))


def _not_running(url: str) -> str:
    return (
        f"{url}: no answer from Anki: open Anki with the AnkiConnect add-on installed "
        f"(Tools > Add-ons > Get Add-ons, code {ADDON_CODE}), keep it open, and retry"
    )


def _not_ankiconnect(url: str, what: str) -> str:
    return (
        f"{url}: the answer is not AnkiConnect's ({what}): check the URL and that the "
        f"AnkiConnect add-on (code {ADDON_CODE}) is installed in Anki"
    )


def _busy(url: str, seconds: float) -> str:
    return (
        f"{url}: Anki did not answer within {seconds:g} s: it is busy or a dialog is open "
        "in it; close the dialog and retry"
    )


def _too_old(url: str, actions: Iterable[str]) -> str:
    return (
        f"{url}: this AnkiConnect is too old for {', '.join(actions)}: "
        f"update the add-on ({_UPDATE})"
    )


def _out_of_reach(package: Path, reason: str) -> NotedeckError:
    """Anki does not see the output folder as notedeck does (its exports go there too)."""
    return NotedeckError(
        f"{package}: Anki cannot read the package ({reason}): Anki must be able to read and "
        "write the output folder, which a sandboxed Anki (Flatpak, Snap) or one run by "
        "another user may not; use -o for another"
    )


class AnkiNote(NamedTuple):
    """A note of notedeck's note types as an export shows it."""

    nid: int
    mod: int
    tags: tuple[str, ...]
    cards: tuple[tuple[int, str], ...]  # (card id, home deck name)


Snapshot = dict[str, AnkiNote]  # by GUID
Seen = tuple[Snapshot, set[str]]  # a snapshot and the top-level decks it exported


def snapshot(
    client: AnkiConnect, out: Path, package: Path, tops: Iterable[str] | None = None
) -> Seen:
    """Every note of notedeck's note types in Anki, by GUID, and the top-level decks exported
    for it: `tops`, or else those that hold any card of those note types. The exports are
    written into `out` beside `package`, which the messages name: when Anki cannot write
    there, it cannot read the package either."""
    if tops is None:
        mids = " OR ".join(f"mid:{model_id(name)}" for name in sorted(MODELS))
        every = sorted({str(name).split("::")[0] for name in client.call("deckNames")})
        found = client.multi(
            [("findCards", {"query": f'"deck:{_quoted(top)}" ({mids})'}) for top in every]
        )
        tops = [top for top, cards in zip(every, found, strict=True) if cards]
    used = sorted(set(tops))
    notes: Snapshot = {}
    if not used:
        return notes, set()
    mid_set = {model_id(name) for name in MODELS}
    with tempfile.TemporaryDirectory(dir=out, prefix=".notedeck-push-") as scratch:
        exports = [(Path(scratch) / f"export-{i}.apkg").resolve() for i in range(len(used))]
        calls = [
            ("exportPackage", {"deck": top, "path": str(path), "includeSched": False})
            for top, path in zip(used, exports, strict=True)
        ]
        try:
            written = client.multi(calls, timeout=LONG_TIMEOUT)
        except ActionFailed as exc:  # Anki could not write there
            raise _out_of_reach(package, exc.reason) from None
        for index, (path, done) in enumerate(zip(exports, written, strict=True)):
            if not done:  # no such deck (left empty and deleted, say)
                continue
            if not path.is_file():
                raise _out_of_reach(package, "its export of the notes beside it is not there")
            notes.update(_read_export(path, Path(scratch) / f"export-{index}.db", mid_set))
    return notes, set(used)


def _quoted(text: str) -> str:
    """Text inside a quoted Anki search term: quotes, backslashes and wildcards escaped."""
    return "".join("\\" + ch if ch in '\\"*_' else ch for ch in text)


def _read_export(path: Path, database: Path, mids: set[int]) -> Snapshot:
    """The notes of the note types `mids` in an exported package (legacy schema 11)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        member = "collection.anki21" if "collection.anki21" in names else "collection.anki2"
        if "collection.anki21b" in names and member not in names:  # zstd: not the legacy form
            raise NotedeckError(f"{path}: Anki's export is in a form notedeck cannot read")
        database.write_bytes(archive.read(member))
    connection = sqlite3.connect(database)
    try:
        (decks_json,) = connection.execute("SELECT decks FROM col").fetchone()
        decks = {int(k): v["name"] for k, v in json.loads(decks_json).items()}
        cards: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for cid, nid, did, odid in connection.execute(
            "SELECT id, nid, did, odid FROM cards ORDER BY id"
        ):
            cards[nid].append((cid, decks.get(odid or did, "")))
        notes: Snapshot = {}
        for nid, guid, mid, mod, tags in connection.execute(
            "SELECT id, guid, mid, mod, tags FROM notes"
        ):
            if mid in mids:
                notes[guid] = AnkiNote(nid, mod, tuple(tags.split()), tuple(cards[nid]))
        return notes
    finally:
        connection.close()


@dataclass
class PushResult:
    """What Anki did (or, in a dry run, would do), counted from its notes before and after."""

    url: str
    added: int = 0
    updated: int = 0
    moved: int = 0  # cards moved to their note's deck
    tagged: int = 0  # notes newly tagged notedeck::removed
    deleted: int = 0
    unchanged: int = 0
    missing: int = 0  # notes of the build that Anki does not hold after the push
    media: int = 0  # media files stored that the import had not brought
    dry_run: bool = False

    def summary(self) -> str:
        """One line for a person."""
        cards = "card" if self.moved == 1 else "cards"
        if self.dry_run:
            text = (
                f"{self.url} (dry run, Anki unchanged): would add {self.added}, update "
                f"{self.updated}, move {self.moved} {cards}, tag {self.tagged} "
                f"{identity.REMOVED_TAG}, delete {self.deleted}; {self.unchanged} unchanged"
            )
        else:
            text = (
                f"{self.url}: Anki added {self.added}, updated {self.updated}, moved "
                f"{self.moved} {cards}, tagged {self.tagged} {identity.REMOVED_TAG}, deleted "
                f"{self.deleted}; {self.unchanged} unchanged"
            )
        if self.media:
            text += f"; {self.media} media file{'s' * (self.media != 1)} stored"
        if self.missing:
            text += f"; {self.missing} notes of the build are not in Anki"
        return text


def push(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None,
    connection: Connection,
    *,
    dry_run: bool = False,
) -> tuple[Report, PushResult]:
    """Build the notes under `paths` as `build` does, then bring the running Anki to that
    build. With `dry_run`, write no package and change nothing in Anki: say what would be."""
    client = AnkiConnect(connection)
    client.check()  # before building: a build that cannot be pushed leaves --prune nothing
    if dry_run:
        options = dataclasses.replace(options, write=False, cache=False)
    report, previous, _ = build_after(paths, options, overrides)
    ours = set(previous.entries) if previous is not None else set()  # what --prune deletes
    result, _ = push_build(client, report, options.out, ours, prune=options.prune, dry_run=dry_run)
    return report, result


def push_build(
    client: AnkiConnect,
    report: Report,
    out: Path,
    ours: Iterable[str] = (),
    *,
    prune: bool = False,
    dry_run: bool = False,
    seen: Seen | None = None,
) -> tuple[PushResult, Seen]:
    """Bring Anki to the build `report` describes: import its packages, move cards to their
    notes' decks and, with `prune`, delete the notes of `ours` (the GUIDs of earlier builds)
    that the build no longer holds. Returns what Anki did and what it holds afterwards.

    `seen` is what a push a moment ago left (watch --push): taken as Anki's notes now, it
    spares an export before the import, so a saved edit is in Anki sooner.
    """
    planned = {item.guid: item for item in report.planned}
    package = report.packages[0].resolve() if report.packages else out.resolve()
    before, tops = seen if seen is not None else snapshot(client, out, package)
    moves: dict[str, list[int]] = defaultdict(list)
    moved_from: dict[str, list[str]] = defaultdict(list)  # GUID: the decks its cards leave
    for guid, item in planned.items():
        note = before.get(guid)
        if item.card is not None and note is not None:
            for cid, deck in note.cards:
                if deck != item.deck:
                    moves[item.deck].append(cid)
                    moved_from[guid].append(deck)
    ours = set(ours)
    gone = sorted(g for g in ours - planned.keys() if g in before) if prune else []
    doomed = [before[g].nid for g in gone]
    url = client.connection.url
    if dry_run:
        return _predicted(url, planned, before, moves, doomed), (before, tops)
    for built in report.packages:
        path = built.resolve()
        try:
            client.call("importPackage", timeout=LONG_TIMEOUT, path=str(path))
        except ActionFailed as exc:  # Anki's own error: it could not read the file
            raise _out_of_reach(path, exc.reason) from None
    calls: list[tuple[str, dict[str, Any]]] = [
        ("changeDeck", {"cards": cards, "deck": deck}) for deck, cards in sorted(moves.items())
    ]
    if doomed:
        calls.append(("deleteNotes", {"notes": doomed}))
    if planned:
        # After an import AnkiConnect can answer notesInfo and modelFieldNames from stale
        # note types until another action runs; an idempotent createDeck is one, so the
        # user's next look (or tool) sees what was pushed.
        calls.append(("createDeck", {"deck": next(iter(planned.values())).deck}))
    if calls:
        client.multi(calls, timeout=LONG_TIMEOUT)
    stored = _store_missing_media(client, report.packages)
    # Exported again: the top-level decks where this push can have changed a note (an
    # import changes only notes it adds or holds newer). Exports cost about 50 ms a deck, and
    # a vault of notes at its top has a deck each; the other decks' notes are as they were.
    touched = {_top(item.deck) for guid, item in planned.items() if _updates(item, before)}
    touched |= {_top(deck) for deck in moves}
    touched |= {_top(deck) for guid in gone for _, deck in before[guid].cards}
    touched |= {_top(deck) for guid, cards in moved_from.items() for deck in cards}
    fresh, exported = snapshot(client, out, package, touched) if touched else ({}, set())
    after = {
        guid: note
        for guid, note in before.items()
        if not any(_top(deck) in exported for _, deck in note.cards)
    }
    after.update(fresh)
    result = _counted(url, before, after, ours | planned.keys())
    result.missing = sum(1 for guid in planned if guid not in after)
    result.media = stored
    return result, (after, tops | exported)


def _top(deck: str) -> str:
    return deck.split("::")[0]


def _updates(item: identity.Planned, before: Snapshot) -> bool:
    """Whether an import of the package adds or updates this note (Anki's rule: a known
    GUID is updated only when the package's note is strictly newer)."""
    note = before.get(item.guid)
    return note is None or item.mod > note.mod


def _predicted(
    url: str,
    planned: Mapping[str, identity.Planned],
    before: Snapshot,
    moves: Mapping[str, list[int]],
    doomed: list[int],
) -> PushResult:
    """What an import of the build would do, by Anki's rule: a known GUID is updated only
    when the package's note is strictly newer."""
    result = PushResult(url, dry_run=True, deleted=len(doomed))
    result.moved = sum(len(cards) for cards in moves.values())
    for guid, item in planned.items():
        note = before.get(guid)
        if note is None:
            result.added += 1
        elif not _updates(item, before):
            result.unchanged += 1
        elif item.card is None and identity.REMOVED_TAG not in note.tags:
            result.tagged += 1
        else:
            result.updated += 1
    return result


def _counted(url: str, before: Snapshot, after: Snapshot, ours: Iterable[str]) -> PushResult:
    """What Anki did to the notes `ours`, from its notes before and after."""
    result = PushResult(url)
    for guid in ours:
        old, new = before.get(guid), after.get(guid)
        if old is None and new is None:
            continue
        if old is None:
            result.added += 1
        elif new is None:
            result.deleted += 1
        else:
            decks = dict(old.cards)
            moved = sum(1 for cid, deck in new.cards if cid in decks and decks[cid] != deck)
            result.moved += moved
            if identity.REMOVED_TAG in new.tags and identity.REMOVED_TAG not in old.tags:
                result.tagged += 1
            elif new.mod != old.mod:
                result.updated += 1
            elif not moved:
                result.unchanged += 1
    return result


def _store_missing_media(client: AnkiConnect, packages: Sequence[Path]) -> int:
    """Store the media files the packages ship that Anki lacks (an import brings only the
    files of the notes it adds or updates); how many were stored."""
    present: list[set[str]] = []  # Anki's file names, asked for at the first shipped file

    def lacking(name: str) -> bool:
        if not present:
            present.append(set(client.call("getMediaFilesNames", pattern="*")))
        if name in present[0]:
            return False
        present[0].add(name)  # the next package may ship it too
        return True

    stored = 0
    for package in packages:
        for name, data in packaged_media(package, lacking):
            encoded = base64.b64encode(data).decode("ascii")
            client.call("storeMediaFile", timeout=LONG_TIMEOUT, filename=name, data=encoded)
            stored += 1
    return stored


def pusher(client: AnkiConnect, out: Path, echo: Callable[..., None]) -> Callable[[Report], None]:
    """For `watch --push`: push each rebuild and print what Anki did; a failed push prints
    its line and the watch goes on (Anki may be open again at the next save)."""

    seen: list[Seen] = []  # what the last push left in Anki

    def after_build(report: Report) -> None:
        try:
            result, now = push_build(client, report, out, seen=seen.pop() if seen else None)
        except NotedeckError as exc:
            echo(exc.format_message(), err=True)
            return
        seen.append(now)
        echo(result.summary())

    return after_build
