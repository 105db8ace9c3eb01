"""One build: extract, render, plan identities, write the package and the state file."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache as cache_module
from . import identity
from .errors import Diagnostic, NotedeckError
from .extract import Extraction, extract_paths
from .output import write_atomic
from .package import models_hash, update_package, write_package
from .render import MediaFile, RenderedCard, render_card, render_cards
from .report import Report, sort_warnings


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where to, and the flags of `notedeck build`."""

    out: Path = Path("build")
    split: bool = False
    prune: bool = False
    keep_going: bool = False
    now: int | None = None  # the build time; tests pin it
    cache: bool = True  # reuse what the last build in `out` extracted from unchanged notes
    jobs: int | None = None  # processes that extract notes; None: one per core for many notes
    progress: cache_module.Progress | None = None  # called (done, total) as notes are read
    write: bool = True  # False: plan only (push --dry-run), no package or state file written


def package_name(paths: Sequence[Path], configured: str | None) -> str:
    """`build/<name>.apkg`: the configured name, else the notes folder's (or file's) name."""
    if configured:
        return configured
    first = paths[0] if paths else Path("cards")
    if first.is_file():
        return first.stem
    return first.resolve().name or "notedeck"


def build(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    overrides: dict[str, Any] | None = None,
) -> Report:
    """Build the notes under `paths` into packages in `options.out`; raise NotedeckError on
    errors in the notes, before anything is written."""
    with _collector_paused():
        return _build(paths, options or BuildOptions(), overrides)


def build_after(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None = None,
) -> tuple[Report, identity.State | None, identity.State | None]:
    """Build as `build` does; also the state of the build before (what sync and push --prune
    may delete: None when there was none, or when it was of another namespace, whose notes
    are not this build's) and the state now."""
    previous, _ = identity.load_state(options.out)
    report = build(paths, options, overrides)
    current, _ = identity.load_state(options.out)
    if previous is not None and (current is None or current.namespace != previous.namespace):
        previous = None
    return report, previous, current


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one build: a build makes hundreds of thousands of
    objects that die by reference counting, and the collector's passes over them took a
    quarter of a 20,000-card rebuild (peak memory the same without them)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            # Freezing and unfreezing moves what the build keeps (its report holds every card)
            # to the oldest generation and resets the youngest one's count: otherwise the
            # first allocation after enabling walks all of it, a thirtieth of a one-note
            # rebuild. The oldest generation's own passes still free any cycle among it.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _build(
    paths: Sequence[Path], options: BuildOptions, overrides: dict[str, Any] | None
) -> Report:
    cache = cache_module.load(options.out) if options.cache else None
    extraction = extract_paths(
        paths,
        overrides,
        cache=cache,
        render=render_card,
        jobs=options.jobs,
        progress=options.progress,
    )
    if extraction.errors and not options.keep_going:
        raise NotedeckError.from_diagnostics(extraction.errors)
    report = write(paths, extraction, options, cache)
    if cache is not None:
        cache_module.save(cache)
    return report


@dataclass(frozen=True)
class Written:
    """One package as a build wrote it: its media, its notes' order (see `_order`), and the
    stamps of the file and of the collection kept beside the cache."""

    path: str
    media: tuple[str, ...]
    order: str
    stamp: tuple[int, ...] | None
    kept_stamp: tuple[int, ...] | None


@dataclass(frozen=True)
class Record:
    """What a build wrote, kept in the cache for the next build: the state file's snapshot
    and the packages."""

    state: identity.Snapshot
    packages: tuple[Written, ...]

    def changes_since(self, base: Any) -> Any:
        """This record as its changes since `base` (the cache's journal keeps it so)."""
        if not isinstance(base, Record):
            return self
        return RecordChanges(self.state.changes_since(base.state), self.packages)


@dataclass(frozen=True)
class RecordChanges:
    """A record as its changes since an earlier one (see Record.changes_since)."""

    state: identity.SnapshotChanges
    packages: tuple[Written, ...]

    def on(self, base: Any) -> Record:
        """The record, given the earlier one."""
        return Record(self.state.on(base.state), self.packages)


def write(
    paths: Sequence[Path],
    extraction: Extraction,
    options: BuildOptions,
    cache: cache_module.Cache | None = None,
) -> Report:
    """Write the packages and state for an extraction that had no fatal errors.

    With a `cache` that holds the record of the last build, the state file is read from it
    while the file is the one that build wrote, and nothing is written when the new state is
    the old one and the packages are still as written: a package holds exactly the notes of
    the state's entries (GUID, mod, note type, deck, fields, tags), so it would be the same.
    """
    cfg = extraction.config
    out = options.out
    _prepare_output(out)
    now = options.now if options.now is not None else int(time.time())
    rendered = _rendered(extraction)
    render_warnings = [d for r in rendered for d in r.diagnostics]
    last = cache.record if cache is not None and isinstance(cache.record, Record) else None
    snapshot = last.state if last is not None else None
    state, state_warnings = identity.load_state(out, cfg.namespace, snapshot)
    facts = extraction.facts if len(extraction.facts) == len(rendered) else None
    plan = identity.plan(
        [(r.card, r.model, r.fields) for r in rendered],
        state,
        cfg.namespace,
        now,
        prune=options.prune,
        models_hash=models_hash(),
        facts=facts,
    )
    planned, new_state, diagnostics = plan.notes, plan.state, plan.diagnostics
    if extraction.errors and state is not None:
        planned = _keep_failed_notes(planned, new_state, state, extraction.errors)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors and not options.keep_going:
        raise NotedeckError.from_diagnostics(errors)
    name = package_name(paths, cfg.package)
    report = Report(
        warnings=sort_warnings(
            [*extraction.diagnostics, *render_warnings, *state_warnings, *diagnostics]
        ),
        notes_read=len({c.location.path for c in extraction.cards}),
        errors=sorted([*extraction.errors, *errors]),
    )
    if options.split:
        groups: dict[str, list[identity.Planned]] = {}
        for item in planned:
            groups.setdefault(item.deck.split("::")[0], []).append(item)
        targets = [(out / f"{_file_safe(top)}.apkg", items) for top, items in groups.items()]
    else:
        targets = [(out / f"{_file_safe(name)}.apkg", planned)]
    # Only cards that show images: hashing every card costs a tenth of a large rebuild.
    media_of = {r.card: r.media for r in rendered if r.media}
    try:
        media = []
        for _, items in targets:
            shown = [item.card for item in items if item.card is not None] if media_of else []
            media.append(_media_files(out, [m for card in shown for m in media_of.get(card, ())]))
        layout = [
            (str(path), tuple(p.name for p in files), _order(items, new_state.models_mod))
            for (path, items), files in zip(targets, media, strict=True)
        ]
        from_snapshot = last is not None and state is last.state.state
        before = {w.path: w for w in last.packages} if last is not None else {}
        unchanged = (
            from_snapshot
            and new_state == state
            and [(w.path, w.media, w.order) for w in before.values()] == layout
            and all(w.stamp == identity.file_stamp(Path(w.path)) for w in before.values())
        )
        if not unchanged and options.write:
            written = []
            for (path, items), files, (name, names, order) in zip(
                targets, media, layout, strict=True
            ):
                kept = _kept_collection(cache, path)
                old = before.get(name)
                updated = False
                if (
                    from_snapshot
                    and state is not None
                    and kept is not None
                    and old is not None
                    and (old.media, old.order) == (names, order)
                    and old.stamp == identity.file_stamp(path)
                    and old.kept_stamp is not None
                    and old.kept_stamp == identity.file_stamp(kept)
                ):
                    changed = _changed(items, state, new_state)
                    try:
                        updated = update_package(changed, path, kept, files)
                    except (OSError, sqlite3.Error):  # the kept copy is gone or damaged
                        updated = False
                if not updated:
                    # The note types' mod moves only when they change (see identity.plan).
                    models_mod = new_state.models_mod
                    if not write_package(items, path, files, now=models_mod, keep=kept):
                        kept = None  # no copy of this package's collection to change next time
                stamps = identity.file_stamp(path), identity.file_stamp(kept) if kept else None
                written.append(Written(name, names, order, *stamps))
            saved = identity.save_state(out, new_state, snapshot)
            if cache is not None:
                cache.next_record = Record(saved, tuple(written))
    except OSError as exc:
        raise NotedeckError(f"{out}: cannot write the package: {exc.strerror or exc}") from None
    report.packages.extend(path for path, _ in targets)
    report.planned = planned
    return report


def _keep_failed_notes(
    planned: list[identity.Planned],
    new_state: identity.State,
    state: identity.State,
    errors: Sequence[Diagnostic],
) -> list[identity.Planned]:
    """With --keep-going, the cards of a note that could not be read stay as the last build
    wrote them: an unreadable note is not a note whose cards were removed."""
    failed = {d.location.path for d in errors}
    kept: list[identity.Planned] = []
    for item in planned:
        previous = state.entries.get(item.guid)
        if (
            item.status == "removed"
            and previous is not None
            and previous.location.rsplit(":", 1)[0] in failed
        ):
            new_state.entries[item.guid] = previous
            item = item._replace(mod=previous.mod, tags=previous.tags, status="unchanged")
        kept.append(item)
    return kept


def _kept_collection(cache: cache_module.Cache | None, package: Path) -> Path | None:
    """Where the collection of `package` is kept for the next build; None without a cache or
    when its folder cannot be made (keeping it only saves time)."""
    if cache is None or cache.folder is None:
        return None
    try:
        cache.folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return cache.folder / f"{package.name}.anki2"


def _order(items: Sequence[identity.Planned], models_mod: int) -> str:
    """A digest of what a package holds besides its notes' mod, fields and tags: the notes
    (GUID, note type, deck) in their order, and the note types' mod. Two packages with the
    same digest differ only where `update_package` changes them."""
    # One text hashed at once: the same digest as hashing note by note, with one call in all
    # instead of two per note.
    text = "".join([f"\0{item.guid}\x1f{item.model}\x1f{item.deck}" for item in items])
    return hashlib.sha256(f"{models_mod}{text}".encode()).hexdigest()


def _changed(
    items: Sequence[identity.Planned], state: identity.State, new_state: identity.State
) -> list[identity.Planned]:
    """The notes whose mod or content (fields and tags: the entry's hash) moved since the state
    of the last build."""
    found = []
    for item in items:
        old, new = state.entries.get(item.guid), new_state.entries[item.guid]
        if old is new:  # an unchanged note keeps the entry itself (see identity.plan)
            continue
        if old is None or old.mod != new.mod or old.hash != new.hash:
            found.append(item)
    return found


MEDIA_DIR = ".notedeck-media"


def _media_files(out: Path, media: list[MediaFile]) -> list[Path]:
    """The package's media as files named the way the cards name them.

    genanki names a packaged file by its file name, and the cards use `<sha1[:12]>-<name>`,
    so each image is copied under that name into the output folder once.
    """
    folder = out / MEDIA_DIR
    paths: dict[str, Path] = {}
    for item in media:
        if item.name in paths:
            continue
        target = folder / item.name
        if not target.is_file():
            folder.mkdir(exist_ok=True)
            write_atomic(target, item.path.read_bytes())
        paths[item.name] = target
    return sorted(paths.values())


def _rendered(extraction: Extraction) -> list[RenderedCard]:
    """Each card rendered: during extraction (or taken from the cache) where it was, the
    others now, in one rendering run (cards with images: see cache.render_unless_media)."""
    cards = extraction.cards
    done = extraction.rendered if len(extraction.rendered) == len(cards) else [None] * len(cards)
    fresh = iter(render_cards([card for card, r in zip(cards, done, strict=True) if r is None]))
    return [r if r is not None else next(fresh) for r in done]


def _prepare_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise NotedeckError(f"{out}: the output path is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotedeckError(
            f"{out}: cannot create the output folder: {exc.strerror or exc}"
        ) from None
    if not out.is_dir():
        raise NotedeckError(f"{out}: the output path is not a folder")
    probe = out / ".notedeck-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise NotedeckError(
            f"{out}: cannot write to the output folder: {exc.strerror or exc}"
        ) from None


def _file_safe(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip(" .")
    return cleaned or "notedeck"
