"""Temporary files of builds that were killed, removed at the start of the next build.

A build writes each output file to a temporary file beside it and renames it into place (the
state file and the packages together: commit.py), and assembles a package's collection in a
scratch folder under $TMPDIR. A build killed meanwhile (SIGKILL, the OOM killer, a power cut)
leaves those behind, each up to the package's size. Their names carry the ID of the process
that made them (`.notes.apkg.<pid>-<random>.tmp`, `notedeck-<pid>-<random>/`): one whose
process is gone is a leftover. One whose process still runs may be another build's file in
the middle of being written, and is never touched, nor is a file of this process. Names
without an ID, from earlier versions of notedeck, are left for an hour: no build writes one
file that long. The build runs this once it holds its locks (locks.py), whose `lock` files
are no temporary files and stay.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

SCRATCH_PREFIX = "notedeck-"
# A temporary file a build names without a process ID is a leftover after this long.
UNMARKED_AGE_SECONDS = 3600
# mkstemp and mkdtemp end a name with eight of these.
_RANDOM = r"[a-z0-9_]{8}"
_MARK = r"(?:(?P<pid>\d+)-)?"
_FILE = re.compile(rf"\.(?P<target>.+)\.{_MARK}{_RANDOM}\.tmp")
_SCRATCH = re.compile(rf"{re.escape(SCRATCH_PREFIX)}{_MARK}{_RANDOM}")


def temp_prefix(name: str) -> str:
    """The start of a temporary name made from `name`, with this process's ID in it."""
    return f"{name}{os.getpid()}-"


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A folder under $TMPDIR for one package's collection, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=temp_prefix(SCRATCH_PREFIX)) as folder:
        yield Path(folder)


def remove_leftovers(folders: Iterable[Path], output: Path | None = None) -> list[Path]:
    """Remove the leftovers of dead builds: temporary files in each of `folders` (notedeck's
    own), those of packages in `output` (a folder that may hold other files), and scratch
    folders under $TMPDIR. What was removed; a file that cannot be removed stays."""
    removed: list[Path] = []
    places = [(folder, False) for folder in folders]
    if output is not None:
        places.append((output, True))
    for folder, packages_only in places:
        for entry in _entries(folder):
            found = _FILE.fullmatch(entry.name)
            if found is None or (packages_only and not _target(entry.name).endswith(".apkg")):
                continue
            if entry.is_file(follow_symlinks=False) and _dead(found["pid"], entry):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    for entry in _entries(Path(tempfile.gettempdir())):
        found = _SCRATCH.fullmatch(entry.name)
        if found is None or not entry.is_dir(follow_symlinks=False):
            continue
        with contextlib.suppress(OSError):
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue  # another user's: theirs to remove
            if _dead(found["pid"], entry):
                shutil.rmtree(entry.path)
                removed.append(Path(entry.path))
    return removed


def _target(name: str) -> str:
    """The name of the file a temporary file is to replace, through the temporary files of
    temporary files: a build writes a package to a temporary file of commit.Staging's by way
    of one of its own (`..notes.apkg.<pid>-<random>.tmp.<pid>-<random>.tmp`)."""
    while (found := _FILE.fullmatch(name)) is not None:
        name = found["target"]
    return name


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError:  # missing, or not ours to list: nothing to remove there
        return []


def _dead(pid_text: str | None, entry: os.DirEntry[str]) -> bool:
    """Whether the temporary file or folder `entry`, made by process `pid_text` (None: not
    said), belongs to no build that may still be running."""
    if pid_text is None:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        return time.time() - info.st_mtime > UNMARKED_AGE_SECONDS
    pid = int(pid_text)
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process is there
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False  # there, another user's (or an ID no process can have): left alone
    return False


__all__ = ["SCRATCH_PREFIX", "remove_leftovers", "scratch_folder", "temp_prefix"]
