"""Definition lists (`Term` / `: Definition`) and a short term line over its definition line."""

from __future__ import annotations

from collections.abc import Iterator

from ..parse import Block, ListItem, Section
from ..terms import clean_term
from . import Candidate, Context, Finding, Skip
from .bold import bold_pair
from .colon import is_pair
from .explicit import explicit_pair
from .lines import Line, is_label, is_link_only, paragraph_lines, walk_items, wraps

KIND = "deflist"
_SENTENCE_END = (".", "。", "!", "！", "?", "？")
_NO_BLOCK = Block("list", 0, ())


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
        elif block.kind == "list" and not block.ordered:
            for item, _ in walk_items(block.items):
                yield from _item_term_lines(item, ctx)


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
    for term, below in _segments(lines, ctx):
        definition = "\n".join(line.text for line in below)
        yield Candidate(clean_term(term.text), definition, term.number, KIND, below[-1].number)


def _item_term_lines(item: ListItem, ctx: Context) -> Iterator[Finding]:
    """`- Docker server` with its definition on the item's next line, and maybe more term
    lines over definition lines after it (a glossary pasted into one item)."""
    texts = [text.strip() for text in item.text.split("\n")]
    if len(texts) < 2 or not all(texts) or not _is_term_line(texts[0], ctx):
        return
    lines = [Line(item.line + offset, text, _NO_BLOCK) for offset, text in enumerate(texts)]
    if (
        _is_pair(lines[1].text, ctx)
        or not lines[1].text.endswith(_SENTENCE_END)
        or wraps(texts[0], texts[1])
    ):
        return  # `- Setup` over a pair, or one sentence wrapped onto a second line
    for term, below in _segments(lines, ctx):
        definition = "\n".join(line.text for line in below)
        yield Candidate(clean_term(term.text), definition, term.number, KIND, below[-1].number)


def _is_term_line(text: str, ctx: Context) -> bool:
    return (
        ctx.is_term(text)
        and not text.endswith(tuple(":：、，,;；.。!！?？"))
        and not _is_pair(text, ctx)
        and not is_link_only(text)
        and not is_label(clean_term(text))
        and " - " not in text
    )


def _segments(lines: list[Line], ctx: Context) -> Iterator[tuple[Line, list[Line]]]:
    """The first line as a term over the lines below it; a later short line between two
    finished sentences starts the next term (`Docker images` / `Docker images consist …`)."""
    term, below = lines[0], [lines[1]]
    for index in range(2, len(lines)):
        line = lines[index]
        if (
            index + 1 < len(lines)
            and below
            and below[-1].text.endswith(_SENTENCE_END)
            and lines[index + 1].text.endswith(_SENTENCE_END)
            and not wraps(line.text, lines[index + 1].text)
            and _is_term_line(line.text, ctx)
        ):
            yield term, below
            term, below = line, []
            continue
        below.append(line)
    if below:
        yield term, below
