"""File names as text: what a card, a deck and a message show of a name, which is bytes.

A POSIX file name is any bytes but `/` and NUL; Python gives the bytes that are not UTF-8 as
lone surrogates (`os.fsdecode`, the `surrogateescape` handler), which no UTF-8 encoder,
SQLite or Anki accepts. Paths stay that way while they are used to open files, so every
note is read by its own bytes. Wherever a name becomes text, each such byte is written
`\\xNN` (`café.md` saved in Latin-1 shows as `caf\\xe9.md`): on the card's Source field, in
its deck, in the state file. That text is made from the name's bytes alone, so the GUIDs keyed
by it stay the same from build to build. A message also writes a line end, a tab and the
other control characters of a name as escapes (`\\n`, `\\t`, `\\x1b`), so that it stays one
line and cannot drive the terminal.
"""

from __future__ import annotations

import functools
import re

# The lone surrogates Python makes of bytes that are not UTF-8, and any other lone surrogate.
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def name_text(name: str) -> str:
    """A file name (or any text made by `os.fsdecode`) as valid Unicode: each byte that is not
    UTF-8 as `\\xNN`; text without such bytes is returned as it is."""
    if not LONE_SURROGATE.search(name):
        return name
    return LONE_SURROGATE.sub(_escape, name)


@functools.lru_cache(maxsize=1 << 14)  # asked for each card's place: a note's cards share it
def shown(text: str) -> str:
    """A name as a message shows it: `name_text`, with control characters (a line end too)
    written as escapes, so that the message stays on one line."""
    if not _UNSHOWN.search(text):
        return text
    return _UNSHOWN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # the byte code - 0xDC00 that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


__all__ = ["LONE_SURROGATE", "name_text", "shown"]
