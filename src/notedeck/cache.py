"""The extraction cache and the process pool: what makes a rebuild of a large vault quick.

A note whose bytes, path and effective settings are the same as in the last build, read by the
same notedeck code, gives the same cards, diagnostics and rendered fields, so they are kept in
`build/.notedeck-cache/` and reused instead of parsing the note again (DESIGN §8). The
decisions `notedeck check` explains are not collected when a cache is used: a build does not
use them, and they were a quarter of the cache's memory and of what workers send back.
Deleting the output folder gives a cold build.

Whether a note is unchanged is told, as git's index tells it, by its stat: a note whose inode,
size and modification and change times are those recorded when the last build read it is not
read and hashed again (reading and hashing 2,000 notes was a twentieth of a rebuild after one
edit). A stat is recorded only when the note's times were older than the build by more than
any file system's timestamp granularity, so that a note saved again within the same tick,
same size, can never look unchanged.

Notes that do need extracting are spread over a process pool when there are many of them and
more than one core; each worker also renders its cards, which is a third of the work.

The cache is a pickle: it is trusted as much as the output folder it lives in.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, warning
from .output import write_atomic
from .progress import Progress, note_step, within_note
from .sources import read_note_bytes
from .untrusted import NotRegular, open_regular

if TYPE_CHECKING:
    from .config import Config
    from .extract import Card, Decision
    from .sources import NoteFile

CACHE_DIR = ".notedeck-cache"
CACHE_FILE = "extract.pickle"
JOURNAL_FILE = "journal.pickle"
# The journal may hold this many changed notes however small the vault.
JOURNAL_MIN = 50
# Below this many notes to extract, starting worker processes costs more than it saves.
POOL_MIN_NOTES = 200
# Notes handed to a worker at a time: large enough that pickling the batch is cheap, small
# enough that both cores stay busy to the end and the progress bar moves.
BATCH_SIZE = 50
# A note's stat is trusted only when its times were older than this when it was read: FAT
# keeps times in 2-second steps, and Linux stamps files from a clock that moves in ticks.
RACY_NS = 2_000_000_000
# A card that shows an image renders differently when only the image changed (media files are
# named by their bytes), and Obsidian's `![[name]]` is looked up across the whole vault once
# per rendering run: such cards are rendered by the build, never here or from the cache.
_MEDIA = re.compile(r"!\[|<img", re.IGNORECASE)

Renderer = Callable[["Card"], Any]
# A note to extract: where it is, its settings, and its bytes when they were read already.
Job = tuple["NoteFile", "Config", bytes | None]


@dataclass(frozen=True)
class FileResult:
    """What extracting one note gave: its cards, decisions, diagnostics and rendered fields."""

    cards: tuple[Card, ...]
    decisions: tuple[Decision, ...]
    diagnostics: tuple[Diagnostic, ...]
    rendered: tuple[Any, ...] | None = None  # one per card with a renderer; None: left to build
    # One per card with a renderer: identity.card_facts of it rendered, as a plain tuple, which
    # pickles in C (None: left to build).
    facts: tuple[Any, ...] | None = None


@dataclass
class Cache:
    """The entries of the last build (`previous`) and of this one (`current`), by key.

    `current` holds only the notes of this build, so saving it drops notes that are gone.
    """

    folder: Path | None = None
    previous: dict[str, FileResult] = field(default_factory=dict)
    current: dict[str, FileResult] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    # What the last build wrote (the build's own record: see build.py), and this build's. The
    # journal keeps a record by its `changes_since(base record)`, whose `on(base record)` gives
    # it back.
    record: Any = None
    next_record: Any = None
    # The base file as loaded: its keys, record and stamp (see `save`).
    base_keys: frozenset[str] = frozenset()
    base_record: Any = None
    base_stamp: tuple[int, ...] | None = None
    # By note path: (its stat, the SHA-256 of its bytes) when the last build read it, and as
    # this build found them (see `content_digest`). Saved with the entries, never on their own:
    # a stat not recorded only costs reading that note again.
    stats: dict[str, tuple[tuple[int, ...], bytes]] = field(default_factory=dict)
    next_stats: dict[str, tuple[tuple[int, ...], bytes]] = field(default_factory=dict)
    # A cache file that is not a regular file (a FIFO would hang the build): one warning each.
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether saving would write anything new."""
        return (
            self.misses > 0
            or self.current.keys() != self.previous.keys()
            or self.next_record is not self.record
        )


_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """A hash of notedeck's version, Python's and notedeck's own source files: new code, new
    cache."""
    if not _FINGERPRINT:
        from . import __version__

        digest = hashlib.sha256(f"{__version__} {sys.version_info[:2]}".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        _FINGERPRINT.append(digest.hexdigest()[:24])
    return _FINGERPRINT[0]


def entry_key(content: bytes, note_file: NoteFile, config: Config) -> str:
    """The cache key of a note: the digest of its bytes (`content_digest`), where it is and
    the settings it is read with."""
    digest = hashlib.sha256(content)
    for part in (note_file.display, str(note_file.root), _settings_text(config)):
        digest.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


class _OwnClassesUnpickler(pickle.Unpickler):
    """Unpickles notedeck's own data classes and paths, nothing else: a pickle may name any
    callable, and a cache file that came with a cloned or shared build/ folder must not run
    code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "pathlib" and name in ("PosixPath", "PurePosixPath", "WindowsPath"):
            return super().find_class(module, name)
        if module.startswith("notedeck."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (dataclasses.is_dataclass(found) or _named_tuple(found)):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def _named_tuple(found: type) -> bool:
    """Whether `found` is a named tuple class: making one only stores its values."""
    return issubclass(found, tuple) and hasattr(found, "_fields")


@functools.lru_cache(maxsize=64)  # one Config per notes folder, asked for every note
def _settings_text(config: Config) -> str:
    return repr(config)


def load(out: Path) -> Cache:
    """The cache in `out`; an empty one when there is none, it is unreadable or it was written
    by other code (the cache only saves time, so a broken one is ignored, never reported).

    The cache is the base file and, when it is there and made on top of that very base file,
    the journal: the entries and record changes of the builds since (see `save`).
    """
    folder = out / CACHE_DIR
    problems: list[Diagnostic] = []
    saved = _read(folder / CACHE_FILE, problems)
    if saved is None:
        return Cache(folder, warnings=problems)
    entries = saved.get("entries")
    cache = Cache(folder, entries if isinstance(entries, dict) else {}, warnings=problems)
    cache.record = cache.next_record = saved.get("record")
    cache.base_keys = frozenset(cache.previous)
    cache.base_record = cache.record
    cache.base_stamp = _stamp(folder / CACHE_FILE)
    stats = saved.get("stats")
    cache.stats = stats if isinstance(stats, dict) else {}
    journal = _read(folder / JOURNAL_FILE, problems)
    if journal is not None and journal.get("base") == cache.base_stamp:
        try:
            added, keys = journal["entries"], journal["keys"]
            record = journal["record"]
            if hasattr(record, "on"):
                record = record.on(cache.base_record)
            previous = {key: added.get(key) or cache.previous[key] for key in keys}
            stats = journal["stats"]
        except Exception:  # a journal that does not fit its base: the base alone
            return cache
        cache.previous = previous
        cache.stats = stats if isinstance(stats, dict) else {}
        cache.record = cache.next_record = record
    return cache


def _read(path: Path, problems: list[Diagnostic]) -> dict[str, Any] | None:
    try:
        with open_regular(path) as stream:
            saved = _OwnClassesUnpickler(stream).load()
    except NotRegular as exc:
        problems.append(warning(str(path), 1, f"{exc.strerror}; the cache ignores it"))
        return None
    except Exception:  # missing, or any damage to the file: start again
        return None
    if not isinstance(saved, dict) or saved.get("fingerprint") != code_fingerprint():
        return None
    return saved


def _stamp(path: Path) -> tuple[int, ...] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def save(cache: Cache) -> None:
    """Write this build's entries (temp file, then rename); a failure only costs time later.

    After a few changes only the journal is written: the entries the base file lacks, the
    keys of this build, and the record as its changes since the base file's (a rebuild after
    one edit then writes kilobytes, not the 14 MB of 20,000 cards). When the journal would
    hold more than a twentieth of the notes, the base file is written afresh instead.
    """
    if cache.folder is None or not cache.changed:
        return
    added = {k: v for k, v in cache.current.items() if k not in cache.base_keys}
    record = cache.next_record
    small = len(added) <= max(JOURNAL_MIN, len(cache.current) // 20)
    journal = (
        cache.base_stamp is not None
        and small
        and (record is None or hasattr(record, "changes_since"))
        and _stamp(cache.folder / CACHE_FILE) == cache.base_stamp
    )
    try:
        if journal:
            if record is not None:
                record = record.changes_since(cache.base_record)
            payload = {
                "fingerprint": code_fingerprint(),
                "base": cache.base_stamp,
                "entries": added,
                "keys": list(cache.current),
                "record": record,
                "stats": cache.next_stats,
            }
            write_atomic(
                cache.folder / JOURNAL_FILE, pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
            )
            return
        # One pickle for both: the record's state shares its field strings with the entries.
        payload = {
            "fingerprint": code_fingerprint(),
            "entries": cache.current,
            "record": record,
            "stats": cache.next_stats,
        }
        cache.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(cache.folder / CACHE_FILE, pickle.dumps(payload, pickle.HIGHEST_PROTOCOL))
        (cache.folder / JOURNAL_FILE).unlink(missing_ok=True)
    except OSError:
        pass


def content_digest(cache: Cache, path: Path, racy_after: int) -> tuple[bytes, bytes | None] | None:
    """The SHA-256 of a note's bytes for its cache key, and the bytes when they were read
    for it (extraction reads those, not the file again); None when it is unreadable or not a
    regular file (extraction reports why).

    Taken from the last build without reading the note when the note's stat is the one
    recorded then. The stat is taken before reading, and recorded only when the note's times
    are before `racy_after` (nanoseconds since the epoch): any later save then gives the note
    other times, even one within the same tick and of the same size.
    """
    shown = str(path)
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device named x.md: extraction says so
        return None
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    known = cache.stats.get(shown)
    if known is not None and known[0] == stamp:
        cache.next_stats[shown] = known
        return known[1], None
    try:
        content = read_note_bytes(path)
    except OSError:
        return None
    digest = hashlib.sha256(content).digest()
    if info.st_mtime_ns < racy_after and info.st_ctime_ns < racy_after:
        cache.next_stats[shown] = (stamp, digest)
    return digest, content


def render_unless_media(card: Card, render: Renderer) -> Any:
    """The card rendered, or None when it shows an image (the build renders it)."""
    if _MEDIA.search(card.term) or _MEDIA.search(card.definition):
        return None
    return render(card)


def extract_one(
    note_file: NoteFile,
    config: Config,
    render: Renderer | None,
    decisions: bool = True,
    content: bytes | None = None,
) -> FileResult:
    """Extract one note (and render its cards), with its decisions when asked; from
    `content` when its bytes were read already."""
    from .extract import Extraction, extract_file

    part = Extraction()
    extract_file(note_file, config, part, content)
    rendered = facts = None
    if render is not None:
        from .identity import card_facts  # identity imports extract, which imports this module

        total = len(part.cards)
        rendered = tuple(
            _reported(render_unless_media(card, render), index, total)
            for index, card in enumerate(part.cards, 1)
        )
        # Hashed here, once per note version, and over the pool in a cold build.
        facts = tuple(
            None if r is None else tuple(card_facts(card, r.model, r.fields, config.namespace))
            for card, r in zip(part.cards, rendered, strict=True)
        )
    kept = tuple(part.decisions) if decisions else ()
    return FileResult(tuple(part.cards), kept, tuple(part.diagnostics), rendered, facts)


def _reported(rendered: Any, done: int, total: int) -> Any:
    note_step("Cards", done, total)  # a long note's cards: see progress.py
    return rendered


def file_results(
    work: Sequence[tuple[NoteFile, Config]],
    cache: Cache | None,
    render: Renderer | None,
    jobs: int | None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """The result of each (note, settings) in order: from the cache where the note is
    unchanged, else extracted (over a process pool when there are many), and noted in the
    cache's `current` entries.

    Each note is read once: the bytes hashed for its key are the bytes extracted, so the
    entry saved under that key is always of those bytes, even when the note is saved again
    meanwhile (its new stat then tells the next build to read it again)."""
    found: list[FileResult | None] = [None] * len(work)
    todo: list[tuple[int, bytes | None]] = []  # (index, the note's bytes when read already)
    keys: dict[int, str] = {}
    racy_after = time.time_ns() - RACY_NS  # before any stat is taken
    for index, (note_file, config) in enumerate(work):
        known = content_digest(cache, note_file.path, racy_after) if cache is not None else None
        if cache is None or known is None:
            todo.append((index, None))
            continue
        digest, content = known
        key = entry_key(digest, note_file, config)
        hit = cache.previous.get(key)
        if hit is None:
            todo.append((index, content))
            keys[index] = key
            continue
        found[index] = cache.current[key] = hit
        cache.hits += 1
    workers = worker_count(jobs, len(todo))
    extracted = extract_many(
        [(*work[i], content) for i, content in todo],
        render,
        workers,
        progress,
        decisions=cache is None,
    )
    for (index, _), result in zip(todo, extracted, strict=True):
        found[index] = result
        if cache is not None and index in keys:
            cache.misses += 1
            cache.current[keys[index]] = result
    return [result for result in found if result is not None]


def _extract_batch(
    batch: Sequence[Job], render: Renderer | None, decisions: bool
) -> list[FileResult]:
    return [extract_one(n, c, render, decisions, content) for n, c, content in batch]


def worker_count(jobs: int | None, notes: int) -> int:
    """How many processes extract `notes` notes: `jobs` when given, else one per core when
    there are enough notes to pay for starting them.

    The load average is no guide: it still counts the build that ended a moment ago, so it
    sent the next build to one process while the second core sat idle.
    """
    if jobs is not None:
        return max(1, jobs)
    if notes < POOL_MIN_NOTES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, notes // BATCH_SIZE))


def extract_many(
    work: Sequence[Job],
    render: Renderer | None,
    workers: int,
    progress: Progress | None = None,
    *,
    decisions: bool = True,
) -> Iterator[FileResult]:
    """Extract each (note, settings, bytes or None) in order, over `workers` processes when
    more than one."""
    total = len(work)
    if workers <= 1:
        for done, (note_file, config, content) in enumerate(work, 1):
            with within_note(progress, note_file.path):
                result = extract_one(note_file, config, render, decisions, content)
            yield result
            if progress is not None:
                progress(done, total)
        return
    batches = [work[i : i + BATCH_SIZE] for i in range(0, total, BATCH_SIZE)]
    done = 0
    # Imported here: a rebuild that reads a few notes starts no pool, and the pool's imports
    # were a tenth of its import time.
    from .workers import pool, stopped_on_signals

    with pool(workers) as executor, stopped_on_signals(executor):
        many = len(batches)
        for results in executor.map(_extract_batch, batches, [render] * many, [decisions] * many):
            yield from results
            done += len(results)
            if progress is not None:
                progress(done, total)


__all__ = [
    "CACHE_DIR",
    "Cache",
    "FileResult",
    "Progress",
    "code_fingerprint",
    "content_digest",
    "entry_key",
    "extract_many",
    "file_results",
    "load",
    "render_unless_media",
    "save",
    "worker_count",
]
