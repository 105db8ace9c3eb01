"""Bold terms: `**Target**: …`, `- **Target** — …`, `**X**は、…`, `**X** is …`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import Section
from ..terms import clean_term
from . import Candidate, Context, Finding
from .lines import is_label, item_rest, prose_lines, walk_items

KIND = "bold"

_BOLD_START = re.compile(
    r"^(?:[-*+]\s+|\d+[.)]\s+|[・●○■□◆◇▪]\s*)?(\*\*|__)(?P<term>[^*_\n]+?)\1\s*(?P<rest>.*)$"
)
_SEPARATOR = re.compile(r"^(?:[:：]|\s*[-–—]\s|\s*[-–—]$|\s*=\s)\s*")
_JA_TOPIC = re.compile(r"^(?:は、?|とは、?|：|って)\s*")
_EN_VERB = re.compile(
    r"^(?:is|are|refers? to|means|stands for|represents?|describes?|denotes?)\s+", re.IGNORECASE
)


def bold_pair(text: str, ctx: Context) -> tuple[str, str] | None:
    """(term, definition) when a line opens with a bold term that it goes on to define."""
    match = _BOLD_START.match(text.strip())
    if not match:
        return None
    term, rest = match.group("term").strip(), match.group("rest").strip()
    if not ctx.is_term(term) or is_label(term):
        return None
    separator = _SEPARATOR.match(rest)
    if separator:
        definition = rest[separator.end() :].strip()
        return (term, definition) if definition else None
    japanese = _JA_TOPIC.match(rest)
    if japanese and len(rest) > japanese.end() + 1:
        return term, rest[japanese.end() :].strip()
    if _EN_VERB.match(rest):
        return term, rest
    return None


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Lines and list items that open with a defined bold term; a bold item with sub-items."""
    for line in prose_lines(section):
        pair = bold_pair(line.text, ctx)
        if pair:
            term, definition = pair
            if line.item is not None and item_rest(line.item):
                definition += "\n" + item_rest(line.item)
            yield Candidate(clean_term(term), definition, line.number, KIND)
            continue
        # `- **Term**` alone, its sub-items describing it.
        match = _BOLD_START.match(line.text)
        if (
            line.item is not None
            and match
            and not match.group("rest").strip(" :：")
            and line.item.children
            and ctx.is_term(match.group("term"))
        ):
            children = [
                "  " * depth + "- " + child.text for child, depth in walk_items(line.item.children)
            ]
            yield Candidate(
                clean_term(match.group("term")),
                "\n".join(children),
                line.number,
                KIND,
                line.item.children[-1].line,
            )
