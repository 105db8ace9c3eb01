"""Definition lists (`Term` / `: Definition`) and a short term line over its definition line."""

from __future__ import annotations

from collections.abc import Iterator

from ..parse import Block, Section
from ..terms import clean_term
from . import Candidate, Context, Finding, Skip
from .bold import bold_pair
from .colon import is_pair
from .explicit import explicit_pair
from .lines import is_label, is_link_only, paragraph_lines

KIND = "deflist"


def _is_pair(text: str, ctx: Context) -> bool:
    return is_pair(text, ctx) or bold_pair(text, ctx) is not None or explicit_pair(text) is not None


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Every markdown-it definition list entry and every term line over a definition line."""
    for block in section.blocks:
        if block.kind == "deflist":
            for line, (term, definition) in block.rows:
                if term and definition and ctx.is_term(term):
                    yield Candidate(clean_term(term), definition, line, KIND)
        elif block.kind == "paragraph":
            yield from _term_line(block, ctx)


def opens_with_term_line(block: Block, ctx: Context) -> bool:
    """Whether a paragraph is a short term line over its definition (the deflist form)."""
    return any(isinstance(f, Candidate) for f in _term_line(block, ctx))


def _term_line(block: Block, ctx: Context) -> Iterator[Finding]:
    """A term line over its definition lines, or why the first line is a label."""
    if len(block.lines) < 2:
        return  # most paragraphs: one line, no term line over another
    lines = list(paragraph_lines(block))
    if len(lines) < 2:
        return
    head, rest = lines[0], lines[1:]
    if _is_pair(head.text, ctx) or "\t" in head.text or is_link_only(head.text):
        return
    if " - " in head.text or " | " in head.text:
        yield Skip(head.number, f"'{head.text}' reads as a title, not a term")
        return
    if not ctx.is_term(head.text) or head.text.endswith(tuple(":：、，,;；.。!！?？")):
        return
    if is_label(clean_term(head.text)):
        if any(_is_pair(line.text, ctx) for line in rest):
            yield Skip(head.number, f"'{head.text}' is a label for the lines below")
        return
    if _is_pair(rest[0].text, ctx) or is_link_only(rest[0].text):
        if any(_is_pair(line.text, ctx) for line in rest):
            yield Skip(head.number, f"'{head.text}' is a label for the lines below")
        return
    definition = "\n".join(line.text for line in rest)
    yield Candidate(clean_term(head.text), definition, head.number, KIND, rest[-1].number)
