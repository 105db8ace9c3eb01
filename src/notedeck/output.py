"""Writing output files so that a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .leftovers import temp_prefix


def _default_mode() -> int:
    """The mode a plain `open()` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def scratch_beside(path: Path) -> Path:
    """A new empty temporary file beside `path`, named `.<name>.<pid>-….tmp`: the name carries
    this process's ID, so that a later build removes it once the process is gone."""
    handle, temp = tempfile.mkstemp(
        prefix=temp_prefix(f".{path.name}."), suffix=".tmp", dir=path.parent
    )
    os.close(handle)
    return Path(temp)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; on success it replaces `path` (with the mode a
    new file gets, not mkstemp's 0600), on any failure it is removed and `path` is untouched."""
    scratch = scratch_beside(path)
    try:
        yield scratch
        os.chmod(scratch, _default_mode())
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def write_atomic(path: Path, content: bytes | Iterable[bytes]) -> None:
    """Replace `path` with `content` (bytes, or pieces of it written as they come)."""
    with replacing(path) as scratch, scratch.open("wb") as stream:
        if isinstance(content, bytes):
            stream.write(content)
        else:
            stream.writelines(content)


def write_spliced(
    path: Path, pieces: Sequence[bytes | tuple[int, int]], source: Path | None = None
) -> None:
    """Replace `path` with `pieces`: bytes as they are, and (start, end) as those bytes of the
    file `source` (default: `path`) holds now, which must have them (OSError when shorter).

    The kept ranges are copied by the kernel where it can (os.copy_file_range), not read into
    memory and written out again: rewriting the 13 MB state file for a few changed lines took
    three times as long that way.
    """
    # The old file is closed before the new one replaces it (Windows refuses otherwise).
    with (
        replacing(path) as scratch,
        (source or path).open("rb", buffering=0) as old,
        scratch.open("wb", buffering=0) as target,
    ):
        for piece in pieces:
            if isinstance(piece, bytes):
                _write_all(target, piece)
            else:
                _copy_range(old, target, *piece)


def _write_all(target: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[target.write(view) or 0 :]


def _copy_range(source: BinaryIO, target: BinaryIO, start: int, end: int) -> None:
    offset, left = start, end - start
    kernel = hasattr(os, "copy_file_range")
    while left > 0:
        copied = 0
        if kernel:
            try:
                copied = os.copy_file_range(source.fileno(), target.fileno(), left, offset)
            except OSError:  # not between these files or on this system: copy by hand
                kernel = False
        if not copied:
            source.seek(offset)
            chunk = source.read(min(left, 1 << 20))
            if not chunk:
                raise OSError(errno.EIO, "the file to copy from is shorter than expected")
            _write_all(target, chunk)
            copied = len(chunk)
        offset += copied
        left -= copied
