"""Bold terms: `**Target**: …`, `- **Target** — …`, `**X**は、…`, `**X** is …`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from ..parse import Section
from ..terms import clean_term, plain
from . import Candidate, Context, Finding, Skip
from .lines import is_label, item_rest, prose_lines, walk_items, why_not_term

KIND = "bold"

_BOLD_START = re.compile(
    r"^(?:[-*+]\s+|\d+[.)]\s+|[・●○■□◆◇▪]\s*)?(\*\*|__)(?P<term>[^*_\n]+?)\1"
    r"(?P<glued>[A-Za-z0-9]*)(?P<aside>\s*[(（][^()（）\n]{1,40}[)）])?\s*(?P<rest>.*)$"
)
_SEPARATOR = re.compile(r"^(?:[:：]|\s*[-–—]\s|\s*[-–—]$|\s*=\s|,\s*(?=(?:which|that|who)\s))\s*")
_JA_TOPIC = re.compile(r"^(?:は、?|とは、?|では、|：|って)\s*")
# `**Integer** data types represent …`: the bold word opens an English sentence about it.
_EN_SENTENCE = re.compile(r"^[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}\s+[a-z]+s\s+\w", re.ASCII)
_FIRST_SENTENCE = re.compile(r"^.+?[.!?](?=\s|$)")
_EN_VERB = re.compile(
    r"^(?:is|are|refers? to|means|stands for|represents?|describes?|denotes?)\s+", re.IGNORECASE
)


def bold_pair(text: str, ctx: Context) -> tuple[str, str] | None:
    """(term, definition) when a line opens with a bold term that it goes on to define."""
    if not may_open_bold(text):
        return None
    match = _BOLD_START.match(text.strip())
    if not match:
        return None
    term, rest = match.group("term").strip() + match.group("glued"), match.group("rest").strip()
    if not ctx.is_term(term) or is_label(term):
        return None
    aside = match.group("aside")
    if aside:  # `**RDS**(**Relational Database Service**)`: the spelled-out name joins the term
        term = f"{term} ({plain(aside.strip()[1:-1])})"
    separator = _SEPARATOR.match(rest)
    if separator:
        definition = rest[separator.end() :].strip()
        return (term, definition) if definition else None
    japanese = _JA_TOPIC.match(rest)
    if japanese and len(rest) > japanese.end() + 1:
        return term, rest[japanese.end() :].strip()
    if _EN_VERB.match(rest):
        return term, first_sentence(rest)
    if not aside and _EN_SENTENCE.match(rest):
        return term, first_sentence(f"{term} {rest}")
    return None


def may_open_bold(text: str) -> bool:
    """Whether a line holds a bold mark at all (most lines do not: no need to match them)."""
    return "**" in text or "__" in text


def first_sentence(text: str) -> str:
    """The first sentence of English text (the whole text when it has one)."""
    found = _FIRST_SENTENCE.match(text.strip())
    return found.group(0) if found else text.strip()


def _bold_line_over_list(section: Section, ctx: Context) -> Iterator[Finding]:
    """`**Pod**` alone as a paragraph, the bullet list right below it describing it."""
    blocks = section.blocks
    for block, below in pairwise(blocks):
        if block.kind != "paragraph" or len(block.lines) != 1 or below.kind != "list":
            continue
        # Numbered items below a bold line are steps, and a blank line between them means the
        # list is not the bold line's own (`**Important!**` then an unrelated list).
        if below.ordered or below.line != block.line + 1 or not below.items:
            continue
        match = _BOLD_START.fullmatch(block.lines[0].strip())
        if not match or match.group("rest").strip() or match.group("glued"):
            continue
        term = match.group("term").strip()
        # `**Tips!**` is an exclamation heading a list of advice, not a term.
        if term.endswith(("!", "！", "?", "？")) or not ctx.is_term(term) or is_label(term):
            continue
        children = ["  " * depth + "- " + item.text for item, depth in walk_items(below.items)]
        yield Candidate(
            clean_term(term), "\n".join(children), block.line, KIND, below.items[-1].line
        )


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Lines and list items that open with a defined bold term; a bold item with sub-items;
    a bold line with the bullets right below it."""
    yield from _bold_line_over_list(section, ctx)
    for line in prose_lines(section):
        if not may_open_bold(line.text):
            continue
        pair = bold_pair(line.text, ctx)
        if pair:
            term, definition = pair
            if (
                line.item is not None
                and item_rest(line.item)
                and not definition.endswith((".", "!", "?"))
            ):
                definition += "\n" + item_rest(line.item)
            yield Candidate(clean_term(term), definition, line.number, KIND)
            continue
        # `- **Term**` alone, its sub-items describing it.
        match = _BOLD_START.match(line.text)
        if match and _SEPARATOR.match(match.group("rest").strip()):
            yield Skip(line.number, why_not_term(match.group("term")))
            continue
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
