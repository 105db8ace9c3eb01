"""Reading what an earlier build left, which anyone could have changed since: the state file and
the cache. A FIFO or a device put in its place must not hang the build, nor a huge file
exhaust its memory (issue #18)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegular(OSError):
    """The path names something else than a regular file, or one too large to read."""


def open_regular(path: Path, limit: int | None = None) -> BinaryIO:
    """The regular file at `path`, open for reading, of at most `limit` bytes.

    Opened without blocking (opening a FIFO for reading waits for a writer otherwise), then
    checked with fstat on the very file opened, so that nothing swapped in between is read.
    OSError when it cannot be opened; NotRegular, whose strerror says what it is, when it is
    not a regular file or is larger than `limit`.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise NotRegular(errno.EINVAL, f"not a regular file but {kind}", str(path))
        if limit is not None and info.st_size > limit:
            raise NotRegular(errno.EFBIG, f"larger than {limit >> 20} MB", str(path))
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (see `open_regular`)."""
    with open_regular(path, limit) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:  # it grew as it was read
        raise NotRegular(errno.EFBIG, f"larger than {limit >> 20} MB", str(path))
    return data
