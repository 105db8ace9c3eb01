"""How far a build is: the steps it tells a progress display about, and how.

A build calls `progress(done, total, step)`: while it reads the notes `step` is `READING`
and the units are notes; a note so large that reading it takes a while is a step of its own,
counted in its sections, then its cards (when this process reads it: a worker process only
reports the notes it read); after the notes, planning the cards, writing each
package, the state file and the cache are steps too, so a display never stands still at
100% while a large build finishes. (The CLI draws one bar per step: see cli.progress_bar.)
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from .names import shown

READING = "Reading notes"
# A note at least this large reports its own progress, section by section (a cold build of
# a 2 MB note of 100,000 headings takes 20 seconds).
LONG_NOTE_BYTES = 1_000_000
# Sections or cards between two reports within one note.
REPORT_EVERY = 500


class Progress(Protocol):
    """Told `done` of `total` of `step` (READING while the notes are read)."""

    def __call__(self, done: int, total: int, step: str = READING) -> None: ...


# What reading one long note reports to, while it is read (None: no report): set around one
# note by cache.extract_many, read by the loops over its sections and cards. A context
# variable rather than one more argument through every step of extraction.
_WITHIN_NOTE: contextvars.ContextVar[Callable[[str, int, int], None] | None] = (
    contextvars.ContextVar("notedeck_within_note", default=None)
)


@contextlib.contextmanager
def within_note(progress: Progress | None, path: Path) -> Iterator[None]:
    """While the block reads the note at `path`: its sections and cards reported to
    `progress` as steps of their own when the note is long."""
    if progress is None or _size(path) < LONG_NOTE_BYTES:
        yield
        return
    name = shown(str(path))

    def report(what: str, done: int, total: int) -> None:
        progress(done, total, f"{what} of {name}")

    token = _WITHIN_NOTE.set(report)
    try:
        yield
    finally:
        _WITHIN_NOTE.reset(token)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:  # extraction says why it cannot read the note
        return 0


def note_step(what: str, done: int, total: int) -> None:
    """Report `done` of `total` `what` ("Sections", "Cards") of the long note being read;
    only every REPORT_EVERY and at the end, and nothing unless one is being read."""
    report = _WITHIN_NOTE.get()
    if report is not None and (done % REPORT_EVERY == 0 or done == total):
        report(what, done, total)


__all__ = ["LONG_NOTE_BYTES", "READING", "Progress", "note_step", "within_note"]
