"""List items: `- term - definition`, `` `cmd`  description``, and a short parent item whose
sub-items describe it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import ListItem, Section
from ..terms import clean_term
from . import Candidate, Context, Finding
from .colon import is_pair
from .lines import is_label, is_link_only, walk_items

KIND = "bullet"

_DASH = re.compile(r"\s+[-–—]+\s+")
_COMMAND = re.compile(r"^(`[^`]+`)(?:\s{2,}|\t)\s*(?P<def>\S.*)$")


def dash_pair(text: str, ctx: Context) -> tuple[str, str] | None:
    """(term, definition) for `term - definition` and `` `command`  description`` items."""
    command = _COMMAND.match(text)
    if command:
        return command.group(1), command.group("def")
    match = _DASH.search(text)
    if not match:
        return None
    term, definition = text[: match.start()].strip(), text[match.end() :].strip()
    if not definition or not ctx.is_term(term) or is_label(clean_term(term)):
        return None
    return term, definition


def _describes(item: ListItem, ctx: Context) -> bool:
    """Whether an item's sub-items read as a description of it (not a list of more terms)."""
    children = item.children
    if not children or is_label(clean_term(item.text)):
        return False
    texts = [child.text.split("\n", 1)[0] for child in children]
    if any(is_pair(text, ctx) or dash_pair(text, ctx) for text in texts):
        return False
    if all(is_link_only(text) for text in texts):
        return False
    # An outline of bare terms has short children; a description has prose.
    return any(not ctx.is_term(text) for text in texts)


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Dash-separated items, command items, and parent items described by their sub-items."""
    for block in section.blocks:
        if block.kind != "list":
            continue
        for item, _ in walk_items(block.items):
            first = item.text.split("\n", 1)[0].strip()
            pair = dash_pair(first, ctx)
            if pair:
                yield Candidate(clean_term(pair[0]), pair[1], item.line, KIND)
                continue
            if (
                ctx.is_term(first)
                and not first.rstrip().endswith((":", "："))
                and _describes(item, ctx)
            ):
                lines = ["  " * depth + "- " + c.text for c, depth in walk_items(item.children)]
                yield Candidate(
                    clean_term(first), "\n".join(lines), item.line, KIND, item.children[-1].line
                )
