"""Cards marked by hand: `Term::Definition` and reversed `Term:::Definition`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import Section
from . import Candidate, Context, Finding
from .lines import mask_code, prose_lines

KIND = "explicit"

_SEPARATOR = re.compile(r"(?<!:):{2,3}(?!:)")
_SCHEDULE = re.compile(r"\s*<!--SR:[^>]*-->\s*")


def explicit_pair(text: str) -> tuple[str, str, bool] | None:
    """(question, answer, reversed) for a `::` or `:::` line outside code."""
    line = _SCHEDULE.sub("", text).strip()
    line = re.sub(r"^(?:[-*+]\s+|\d+[.)]\s+)", "", line)
    masked = mask_code(line)
    if "{{c" in masked:
        return None
    match = _SEPARATOR.search(masked)
    if not match:
        return None
    question, answer = line[: match.start()].strip(), line[match.end() :].strip()
    if not question or not answer:
        return None
    return question, answer, len(match.group(0)) == 3


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Every `::` / `:::` line among the section's prose."""
    for line in prose_lines(section):
        pair = explicit_pair(line.text)
        if pair:
            question, answer, reverse = pair
            note_type = "reversed" if reverse else "basic"
            yield Candidate(question, answer, line.number, KIND, note_type=note_type)
