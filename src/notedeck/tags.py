"""Tags as people write them in notes: inline `#tag` and `#a/b`, and Obsidian's `a/b` nesting.

An inline tag tags the cards of its section (the heading above it and what is under that
heading), or of the whole note when it stands on a line of its own or in the note's first
lines (above its first heading). It is taken out of the text, so that `Kernel #os` is the
term `Kernel`. Code, links, URLs and heading markers are never tags; nor are the Obsidian
Spaced Repetition plugin's `#flashcards…` tags, which its own rule reads (rules/explicit.py).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from .sources import CONTROL_CHARACTERS

# A tag is `#` after a space or the line's start, then letters, digits, `_`, `-` and `/`
# (Obsidian's alphabet); one made of digits only (`#1`) is not a tag.
_TAG = re.compile(r"(?:(?<=\s)|^)#([\w/\-]*[^\W\d][\w/\-]*)")
# Spans in which `#` is never a tag: code, links, wiki links, autolinks, HTML, URLs, math.
_OPAQUE = re.compile(
    r"(`+).*?\1"
    r"|!?\[\[[^\]]*\]\]"
    r"|!?\[[^\]]*\]\([^)]*\)"
    r"|<[^>\s][^>]*>"
    r"|\b[a-z][a-z0-9+.-]*://\S+"
    r"|\$[^$\s][^$]*\$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})(?=[ \t]|$)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class InlineTags:
    """A note body with its inline tags taken out (every line kept in its place), and the
    tags: of the whole note, and of each section by its first and last line."""

    body: str
    note: tuple[str, ...] = ()
    sections: tuple[tuple[int, int, tuple[str, ...]], ...] = ()

    def add_to(self, tags: tuple[str, ...], line: int) -> tuple[str, ...]:
        """`tags` of a card at `line`, with the inline tags that cover it after them."""
        extra = [*self.note]
        for first, last, found in self.sections:
            if first <= line <= last:
                extra.extend(found)
        if not extra:
            return tags
        return tuple(dict.fromkeys((*tags, *extra)))


@functools.lru_cache(maxsize=1 << 14)  # the same front matter tags stand on many notes
def anki_tag(text: str) -> str:
    """Text as one Anki tag: a leading `#` dropped, Obsidian's `a/b` nesting as Anki's
    `a::b`, spaces as `_` (Anki splits tags on spaces), `"` and control characters dropped."""
    cleaned = CONTROL_CHARACTERS.sub("", text.strip().lstrip("#").replace('"', ""))
    parts = [part for part in re.split(r"/|::", cleaned) if part.strip()]
    return "::".join(_SPACES.sub("_", part.strip()) for part in parts)


def read_inline(body: str) -> InlineTags:
    """The inline tags of a note body (see the module's docstring)."""
    if "#" not in body:
        return InlineTags(body)
    lines = body.split("\n")
    headings: list[tuple[int, int]] = []  # (line, level) of each heading, in order
    found: list[tuple[int, str, bool]] = []  # (line, tag, whether it holds for the note)
    fence = ""
    for index, line in enumerate(lines):
        number = index + 1
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append((number, len(heading.group(1))))
        if "#" not in line:
            continue
        start = heading.end() if heading else 0
        kept, tags = _take_tags(line, start)
        if not tags:
            continue
        lines[index] = kept
        alone = not heading and not kept.strip(" \t-*+>")
        found.extend((number, tag, alone) for tag in tags)
    if not found:
        return InlineTags(body)
    note: list[str] = []
    by_section: dict[tuple[int, int], list[str]] = {}
    starts = [number for number, _ in headings]
    for number, tag, whole in found:
        at = bisect.bisect_right(starts, number) - 1
        if whole or at < 0:  # alone on its line, or above every heading: the whole note
            note.append(tag)
            continue
        first, level = headings[at]
        last = next((n - 1 for n, deeper in headings[at + 1 :] if deeper <= level), len(lines))
        by_section.setdefault((first, last), []).append(tag)
    sections = tuple(
        (first, last, tuple(dict.fromkeys(tags))) for (first, last), tags in by_section.items()
    )
    return InlineTags("\n".join(lines), tuple(dict.fromkeys(note)), sections)


def _take_tags(line: str, start: int) -> tuple[str, list[str]]:
    """The line without its tags (from column `start` on), and the tags as Anki tags."""
    opaque = [(m.start(), m.end()) for m in _OPAQUE.finditer(line, start)]
    pieces: list[str] = []
    tags: list[str] = []
    cursor = 0
    for match in _TAG.finditer(line, start):
        at = match.start()
        if any(first <= at < last for first, last in opaque):
            continue
        raw = match.group(1).strip("/")
        if not raw or raw.split("/")[0].casefold() == "flashcards":
            continue  # the plugin's deck tags: rules/explicit.py reads them
        tag = anki_tag(raw)
        if not tag:
            continue
        tags.append(tag)
        before = line[cursor:at]
        # `Kernel #os` -> `Kernel`, `#os Kernel` -> `Kernel`, `a #x b` -> `a b`
        pieces.append(before.rstrip(" \t") if before.strip() else before)
        cursor = match.end()
        if not before.strip():
            while cursor < len(line) and line[cursor] in " \t":
                cursor += 1
        elif cursor < len(line) and line[cursor] in " \t":
            pieces.append(" ")
            while cursor < len(line) and line[cursor] in " \t":
                cursor += 1
    if not tags:
        return line, []
    pieces.append(line[cursor:])
    return "".join(pieces), tags
