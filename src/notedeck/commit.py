"""A build's state file and packages replaced as one unit: all of them, or none (issue #18).

Each file is written in full under a temporary name beside the file it replaces and flushed to
the disk; only when every one of them is written are they renamed into place, one after the
other, and their folders flushed, so that a full disk, a failed write or a crash before the
renames leaves every old file as it was. The state file is renamed first: a state ahead of
its package is safe (the next build writes the package again, as the cache's stamps no longer
match it), whereas a package ahead of its state would be imported into Anki with identities
that the next build does not know.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .output import scratch_beside


class NotCommitted(OSError):
    """Renaming the written files into place failed: `replaced` are new, `kept` as before."""

    def __init__(self, failed: Path, reason: str, replaced: list[Path], kept: list[Path]) -> None:
        super().__init__(reason)
        self.failed = failed
        self.reason = reason
        self.replaced = replaced
        self.kept = kept


@dataclass
class Staging:
    """The files of one commit: each target, and the temporary file that will replace it."""

    files: list[tuple[Path, Path]] = field(default_factory=list)  # (target, temporary file)

    def scratch(self, target: Path) -> Path:
        """A new empty temporary file beside `target`, to be written and then renamed onto
        it by `commit` (output.scratch_beside, as output.replacing). OSError when
        a folder is in the target's place: a rename could not replace it."""
        _not_a_folder(target)
        scratch = scratch_beside(target)
        self.files.append((target, scratch))
        return scratch

    @property
    def targets(self) -> list[Path]:
        """The files the commit replaces, in the order it renames them."""
        return [target for target, _ in self.files]

    def staged(self) -> dict[Path, Path]:
        """Each target with the temporary file that holds its new content until the commit."""
        return dict(self.files)

    def commit(self) -> None:
        """Flush every temporary file to the disk, then rename each onto its target and
        flush their folders. OSError, with every target as before, when a file cannot be
        flushed or a target is a folder; NotCommitted when a rename fails."""
        try:
            for target, scratch in self.files:
                _flush(scratch)
                _not_a_folder(target)
        except BaseException:
            self.discard()
            raise
        done: list[Path] = []
        for target, scratch in self.files:
            try:
                os.replace(scratch, target)
            except OSError as exc:
                kept = [t for t in self.targets if t not in done]
                self.discard()
                raise NotCommitted(target, exc.strerror or str(exc), done, kept) from None
            done.append(target)
        for folder in dict.fromkeys(target.parent for target in done):
            _flush(folder)
        self.files.clear()

    def discard(self) -> None:
        """Remove the temporary files that were not renamed; every target stays as it is."""
        for _, scratch in self.files:
            with contextlib.suppress(OSError):
                scratch.unlink()
        self.files.clear()


def _not_a_folder(target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(target).st_mode):
            raise IsADirectoryError(errno.EISDIR, "a folder is in its place", str(target))


def _flush(path: Path) -> None:
    """fsync a file or a folder (a folder's entries: the renames into it)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
