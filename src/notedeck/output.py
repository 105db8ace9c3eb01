"""Writing output files so that a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _default_mode() -> int:
    """The mode a plain `open()` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; on success it replaces `path` (with the mode a
    new file gets, not mkstemp's 0600), on any failure it is removed and `path` is untouched."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    scratch = Path(temp)
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
