"""One build at a time per output folder and per notes root (issue #18).

Two builds into one folder read the state file, then replace it: the one that reads before the
other's replace and writes after it splices its changes into the other's file. A lock taken
before anything is read and held until everything is written keeps them apart.

The lock is a POSIX record lock (`os.lockf`: fcntl's F_SETLK) on a small file that holds its
owner's process ID, so that the one refused can say which process has it: the kernel drops the
lock when its process ends however it ends (even by SIGKILL), so a stale lock file never blocks
a build. A
record lock, unlike `flock`, is not inherited by forked worker processes, which must not keep
the folder locked after their parent died. It belongs to the process, and closing any
descriptor of the file drops it: a lock this process holds already is counted, never opened
again.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import NotedeckError

LOCK_NAME = "lock"

# The locks this process holds, by the lock file's path: its descriptor and how many holders.
_held: dict[str, list[int]] = {}

Echo = Callable[[str], None]


class LockHeld(NotedeckError):
    """Another process builds into the same folder or from the same notes."""


@dataclass(frozen=True)
class Lock:
    """A lock file in `folder`, which lies in (or is) the `owner` folder, the `label` folder
    of a build (its output or state folder); `what` it keeps two builds from doing at once."""

    folder: Path
    owner: Path
    label: str
    what: str

    def problem(self, exc: OSError) -> NotedeckError:
        """The error of a lock file that cannot be made, as the owner folder's."""
        verb = "write to" if self.owner.is_dir() else "create"
        return NotedeckError(f"{self.owner}: cannot {verb} the {self.label}: {exc.strerror}")


@contextmanager
def holding(lock: Lock, *, wait: bool = False, echo: Echo | None = None) -> Iterator[None]:
    """Hold `lock` for the block. Held by another process: LockHeld naming it, or with
    `wait` a line to `echo` and wait until it is free.

    The lock file is removed when the lock is given up, and so are the folders made for it
    when nothing else was put in them: a build that fails before writing leaves no trace.
    """
    if not hasattr(os, "lockf"):  # pragma: no cover - Windows: no POSIX record locks
        yield
        return
    folder = lock.folder
    made = [p for p in (folder, *folder.parents) if not p.exists()]  # the deepest first
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = os.path.realpath(folder / LOCK_NAME)
    except OSError as exc:
        raise lock.problem(exc) from None
    if path in _held:  # this process holds it already (sync's build, a build within a build)
        _held[path][1] += 1
    else:
        _held[path] = [_acquire(path, lock, wait, echo), 1]
    try:
        yield
    finally:
        held = _held[path]
        held[1] -= 1
        if held[1] == 0:
            del _held[path]
            # Removed while still locked: a process that opened it meanwhile finds, once it
            # has the lock, that the path no longer names its file, and opens it again.
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(held[0])  # drops the lock
            for made_folder in made:
                with contextlib.suppress(OSError):  # not empty: a build wrote into it
                    made_folder.rmdir()


def _acquire(path: str, lock: Lock, wait: bool, echo: Echo | None) -> int:
    """A descriptor of the lock file at `path`, locked."""
    told = False
    shown = lock.folder / LOCK_NAME
    tries = 100
    while True:
        try:
            lock.folder.mkdir(parents=True, exist_ok=True)  # again: the last holder removed it
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        except FileNotFoundError as exc:  # the folder went with the last holder's lock file
            tries -= 1
            if tries:
                continue
            raise lock.problem(exc) from None
        except OSError as exc:
            raise lock.problem(exc) from None
        try:
            try:
                os.lockf(descriptor, os.F_TLOCK, 0)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise NotedeckError(f"{shown}: cannot lock it: {exc.strerror}") from None
                owner = _owner(descriptor)
                if not wait:
                    raise LockHeld(
                        f"{shown}: another notedeck ({owner}) is building {lock.what}; retry "
                        "when it is done, or pass --wait to queue behind it"
                    ) from None
                if echo is not None and not told:
                    echo(f"{shown}: waiting for another notedeck ({owner}) to finish")
                    told = True
                os.lockf(descriptor, os.F_LOCK, 0)
            if _same_file(descriptor, path):
                break
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # the holder removed it as we waited: lock the new one
    with contextlib.suppress(OSError):  # the owner's name only helps another build's message
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def _same_file(descriptor: int, path: str) -> bool:
    try:
        named = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)


def _owner(descriptor: int) -> str:
    """The process that holds the lock, as its lock file names it."""
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"process {text}" if text.isdigit() else "a process that is starting"


@contextmanager
def build_locks(
    out: Path,
    state_folder: Path | None,
    *,
    wait: bool = False,
    echo: Echo | None = None,
) -> Iterator[None]:
    """The locks of one build: its output folder's (in its cache folder), then its notes
    root's (in the state folder, when the build writes the state). Always taken in that order,
    so that two builds never wait for each other."""
    from .cache import CACHE_DIR

    taken = [Lock(out / CACHE_DIR, out, "output folder", f"into {out}")]
    if state_folder is not None:
        what = f"from the notes in {state_folder.parent}"
        taken.append(Lock(state_folder, state_folder, "state folder", what))
    with ExitStack() as stack:
        for lock in taken:
            stack.enter_context(holding(lock, wait=wait, echo=echo))
        yield
