"""One build: extract, render, plan identities, write the package and the state file."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import adopt, identity, locks
from . import cache as cache_module
from .commit import NotCommitted, Staging
from .errors import Diagnostic, NotedeckError, UsageProblem, warning
from .extract import Extraction, extract_paths
from .leftovers import remove_leftovers
from .output import write_atomic
from .package import models_hash, update_package, write_package
from .progress import Progress
from .render import MediaFile, RenderedCard, render_card, render_cards
from .report import Report, plural, sort_warnings
from .sources import note_path
from .vault import find_root


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
    # Called (done, total, step) as notes are read and the package and state written.
    progress: Progress | None = None
    # A package or collection notedeck wrote earlier: the state is rebuilt from its notes.
    adopt: Path | None = None
    write: bool = True  # False: plan only (push --dry-run), no package or state file written
    wait: bool = False  # another build holds the output folder or the notes: wait, not fail
    rebuild_state: bool = False  # ignore the state file, even one that cannot be read
    # Called once the package and state are written, before they replace the old ones (sync
    # writes Anki there: the state moves on only once Anki has what it says).
    before_commit: Callable[[Staged], None] | None = None


@dataclass(frozen=True)
class Staged:
    """A build about to be committed: its report, its new state, and the temporary file that
    holds each package's new content until the commit (none when nothing is rewritten)."""

    report: Report
    state: identity.State
    packages: dict[Path, Path]

    def readable(self, package: Path) -> Path:
        """Where the package's new content can be read now."""
        return self.packages.get(package, package)


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
    options = options or BuildOptions()
    with locked(paths, options), _collector_paused():
        return _build(paths, options, overrides)


def locked(paths: Sequence[Path], options: BuildOptions) -> ContextManager[None]:
    """The locks a build of `paths` with `options` holds from its first read to its last
    write (see locks.py): the output folder's, and the notes root's when it writes the state.
    """
    _not_a_file(options.out)
    folder = notes_root(paths) / identity.STATE_DIR if options.write else None
    return locks.build_locks(options.out, folder, wait=options.wait, echo=_echo)


def _echo(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def build_after(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None = None,
) -> tuple[Report, identity.State | None, identity.State | None]:
    """Build as `build` does; also the state of the build before (what sync and push --prune
    may delete: None when there was none, or when it was of another namespace, whose notes
    are not this build's) and the state now."""
    with locked(paths, options):  # no other build may move the state between the two reads
        return _build_after(paths, options, overrides)


def _build_after(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None = None,
) -> tuple[Report, identity.State | None, identity.State | None]:
    folder = notes_root(paths) / identity.STATE_DIR
    previous = previous_state(paths, options)
    report = build(paths, options, overrides)
    current, _ = identity.load_state(folder)
    if current is None and not options.write:  # a dry run moved nothing: still the old place
        current = previous
    if previous is not None and (current is None or current.namespace != previous.namespace):
        previous = None
    return report, previous, current


def previous_state(paths: Sequence[Path], options: BuildOptions) -> identity.State | None:
    """The state the last build of `paths` left (None when there is none, or with
    --rebuild-state); raises StateRefused as a build would."""
    if options.rebuild_state:
        return None
    previous, _ = identity.load_state(notes_root(paths) / identity.STATE_DIR)
    if previous is None:  # kept in the output folder before, moved by the next build
        legacy = options.out / identity.LEGACY_STATE_NAME
        if legacy.is_file():
            previous, _ = identity.load_state(options.out, name=identity.LEGACY_STATE_NAME)
    return previous


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
    if options.write:  # a build killed before left its temporary files: see leftovers.py
        out = options.out
        own = [
            out / cache_module.CACHE_DIR,
            out / MEDIA_DIR,
            notes_root(paths) / identity.STATE_DIR,
        ]
        remove_leftovers(own, output=out)
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
        _tell(options, "Saving the cache", 0)
        cache_module.save(cache)
        _tell(options, "Saving the cache", 1)
    return report


def _tell(options: BuildOptions, step: str, done: int, total: int = 1) -> None:
    """Report `done` of `total` of a step after reading the notes (see progress.py)."""
    if options.progress is not None:
        options.progress(done, total, step)


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
    root = extraction.roots[0] if extraction.roots else notes_root(paths)
    folder = root / identity.STATE_DIR
    state, state_warnings, legacy = (
        (None, [], None)
        if options.rebuild_state
        else _load_state(folder, out, cfg.namespace, snapshot)
    )
    adopted = ""
    if options.adopt is not None:
        old_notes = adopt.read_notes(options.adopt)
        state, matched = adopt.adopted_state(old_notes, rendered, cfg.namespace)
        adopted = (
            f"{options.adopt}: {matched} of {plural(len(old_notes), 'note')} matched a card "
            "and keep their identity"
        )
    if options.write:  # after reading all it needs: nothing written; a dry run makes nothing
        _writable_folder(folder, "state folder")
    # Building a folder of the vault or one note plans only their cards: the others keep
    # their entries, and are neither removed nor written into this package.
    scoped, outside = _scoped(state, _scope(paths, root))
    facts = extraction.facts if len(extraction.facts) == len(rendered) else None
    _tell(options, "Planning cards", 0)
    plan = identity.plan(
        [(r.card, r.model, r.fields) for r in rendered],
        scoped,
        cfg.namespace,
        now,
        prune=options.prune,
        models_hash=models_hash(),
        facts=facts,
    )
    planned, new_state, diagnostics = plan.notes, plan.state, plan.diagnostics
    _tell(options, "Planning cards", 1)
    new_state.entries.update(outside)
    if extraction.errors and scoped is not None:
        planned = _keep_failed_notes(planned, new_state, scoped, extraction.errors, root)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors and not options.keep_going:
        raise NotedeckError.from_diagnostics(errors)
    name = package_name(paths, cfg.package)
    report = Report(
        warnings=sort_warnings(
            [
                *extraction.diagnostics,
                *render_warnings,
                *state_warnings,
                *diagnostics,
                *(cache.warnings if cache is not None else ()),
            ]
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
    report.packages.extend(path for path, _ in targets)
    report.planned = planned
    try:
        media = []
        for _, items in targets:
            shown = [item.card for item in items if item.card is not None] if media_of else []
            media.append(_media_files(out, [m for card in shown for m in media_of.get(card, ())]))
    except OSError as exc:
        raise NotedeckError(f"{out}: cannot write the media files: {exc.strerror or exc}") from None
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
    if unchanged or not options.write:
        if options.before_commit is not None:
            options.before_commit(Staged(report, new_state, {}))
        return report
    state_path = folder / identity.STATE_NAME
    staging = Staging()
    writing = f"{state_path}: cannot write the state file"
    progress_step = "Writing the package" if len(targets) == 1 else "Writing the packages"
    try:
        state_scratch = staging.scratch(state_path)  # written last, renamed first: commit.py
        kept_copies: list[Path | None] = []
        for (path, items), files, (name, names, order) in zip(targets, media, layout, strict=True):
            _tell(options, progress_step, len(kept_copies), len(targets))
            writing = f"{path}: cannot write the package"
            scratch = staging.scratch(path)
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
                    updated = update_package(changed, scratch, kept, files)
                except (OSError, sqlite3.Error):  # the kept copy is gone or damaged
                    updated = False
            if not updated:
                # The note types' mod moves only when they change (see identity.plan).
                models_mod = new_state.models_mod
                if not write_package(items, scratch, files, now=models_mod, keep=kept):
                    kept = None  # no copy of this package's collection to change next time
            kept_copies.append(kept)
        _tell(options, progress_step, len(kept_copies), len(targets))
        writing = f"{state_path}: cannot write the state file"
        _tell(options, "Writing the state file", 0)
        saved = identity.save_state(folder, new_state, snapshot, into=state_scratch)
        _tell(options, "Writing the state file", 1)
        if options.before_commit is not None:
            writing = "cannot finish the build before its commit"
            options.before_commit(Staged(report, new_state, staging.staged()))
        writing = "cannot flush the new files to the disk"
        staging.commit()
    except NotCommitted as exc:
        replaced = ", ".join(map(str, exc.replaced)) or "nothing"
        raise NotedeckError(
            f"{exc.failed}: cannot replace it: {exc.reason}; replaced: {replaced}; "
            f"not replaced: {', '.join(map(str, exc.kept))}"
        ) from None
    except OSError as exc:
        staging.discard()
        raise NotedeckError(
            f"{writing}: {exc.strerror or exc}; nothing was replaced: "
            f"{' and '.join(map(str, _replaced_files(state_path, targets)))} are as before"
        ) from None
    except BaseException:
        staging.discard()
        raise
    saved = dataclasses.replace(saved, stamp=identity.file_stamp(state_path))
    written = [
        Written(
            name,
            names,
            order,
            identity.file_stamp(Path(name)),
            identity.file_stamp(kept) if kept else None,
        )
        for (name, names, order), kept in zip(layout, kept_copies, strict=True)
    ]
    if cache is not None:
        cache.next_record = Record(saved, tuple(written))
    if adopted:
        report.notices.append(adopted)
    if legacy is not None:
        legacy.unlink(missing_ok=True)
        report.notices.append(
            f"{legacy}: the card identities moved to {folder / identity.STATE_NAME}, "
            "beside your notes (commit it with them)"
        )
    return report


def _replaced_files(state_path: Path, targets: Sequence[tuple[Path, Any]]) -> list[Path]:
    """The files one build replaces: its state file, then its packages."""
    return [state_path, *(path for path, _ in targets)]


def build_warnings(extraction: Extraction) -> list[Diagnostic]:
    """The warnings a build of `extraction` prints besides extraction's own: images that
    cannot be packaged, cards whose keys collide, a state file that cannot be used. So
    `check` shows every warning `build` would."""
    found = [d for r in render_cards(extraction.cards) for d in r.diagnostics]
    found += identity.assign_keys(extraction.cards)[1]
    root = extraction.roots[0] if extraction.roots else None
    if root is not None:
        try:
            found += identity.load_state(root / identity.STATE_DIR, extraction.config.namespace)[1]
        except identity.StateRefused as exc:  # what stops `build`: a warning of `check`
            found.append(warning(exc.path, 1, exc.reason))
    return [d for d in found if d.severity == "warning"]


def notes_root(paths: Sequence[Path]) -> Path:
    """The notes root of a build: that of its first path (the state file lives there)."""
    return find_root(paths[0] if paths else Path("cards"))


def _load_state(
    folder: Path, out: Path, namespace: str, snapshot: identity.Snapshot | None
) -> tuple[identity.State | None, list[Diagnostic], Path | None]:
    """The last build's state from the notes root, or once from where notedeck kept it
    before (the output folder): then also that old file's path, to remove once the state is
    written to its new place."""
    legacy = out / identity.LEGACY_STATE_NAME
    state, warnings = identity.load_state(folder, namespace, snapshot)
    if state is not None or (folder / identity.STATE_NAME).exists():
        return state, warnings, None
    if legacy.is_file():
        state, warnings = identity.load_state(out, namespace, name=identity.LEGACY_STATE_NAME)
        return state, warnings, legacy
    if os.path.lexists(legacy):  # a FIFO or a folder where the old state file was: not read
        return None, [warning(str(legacy), 1, "not a regular file; ignored")], None
    return None, warnings, None


def _scope(paths: Sequence[Path], root: Path) -> tuple[str, ...] | None:
    """The notes a build covers, below the root: a note's path, or a folder's with a closing
    `/`; None when it covers the whole root."""
    scope = []
    for given in paths:
        name = note_path(given, root)
        if name == "." or name.startswith("../"):
            return None  # the root itself, or notes outside it: every entry is this build's
        scope.append(name + "/" if given.is_dir() else name)
    return tuple(scope)


def _scoped(
    state: identity.State | None, scope: tuple[str, ...] | None
) -> tuple[identity.State | None, dict[str, identity.Entry]]:
    """The state of the notes in `scope`, and the entries of the others."""
    if state is None or scope is None:
        return state, {}
    inside: dict[str, identity.Entry] = {}
    outside: dict[str, identity.Entry] = {}
    for guid, entry in state.entries.items():
        path = entry.note_path
        covered = not path or any(
            path == s or (s.endswith("/") and path.startswith(s)) for s in scope
        )
        (inside if covered else outside)[guid] = entry
    return identity.State(state.namespace, inside, state.models_hash, state.models_mod), outside


def _keep_failed_notes(
    planned: list[identity.Planned],
    new_state: identity.State,
    state: identity.State,
    errors: Sequence[Diagnostic],
    root: Path,
) -> list[identity.Planned]:
    """With --keep-going, the cards of a note that could not be read stay as the last build
    wrote them: an unreadable note is not a note whose cards were removed."""
    failed = {note_path(Path(d.location.path), root) for d in errors}
    kept: list[identity.Planned] = []
    for item in planned:
        previous = state.entries.get(item.guid)
        if item.status == "removed" and previous is not None and previous.note_path in failed:
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
    _not_a_file(out)
    _writable_folder(out, "output folder")


def _not_a_file(out: Path) -> None:
    if out.exists() and not out.is_dir():  # `-o afile`: a wrong flag, not a broken note
        raise UsageProblem(f"{out}: the output path is a file, not a folder")


def _writable_folder(folder: Path, what: str) -> None:
    """Make `folder` if needed and check that a file can be written in it, so that a build
    that cannot write its package or its state stops before writing either."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotedeckError(f"{folder}: cannot create the {what}: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise NotedeckError(f"{folder}: the {what} path is not a folder")
    try:
        # A probe of its own: two builds sharing one name removed each other's.
        handle, probe = tempfile.mkstemp(prefix=".notedeck-write-test.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise NotedeckError(
            f"{folder}: cannot write to the {what}: {exc.strerror or exc}"
        ) from None


def _file_safe(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip(" .")
    return cleaned or "notedeck"
