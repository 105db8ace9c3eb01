"""Markdown body -> a tree of sections, each holding its own blocks with their line numbers.

Only the block structure is parsed here (markdown-it with its inline rules off): the rules
work on the raw Markdown of each block, and only definitions that become cards are rendered.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin


@dataclass(frozen=True)
class ListItem:
    """One list item: its own text (first paragraph, raw Markdown) and its sub-items."""

    line: int
    text: str
    children: tuple[ListItem, ...] = ()
    ordered: bool = False
    has_code: bool = False


@dataclass(frozen=True)
class Block:
    """A top-level block of a section, with the raw lines it spans."""

    kind: str  # paragraph | list | table | code | html | deflist | hr
    line: int
    lines: tuple[str, ...]
    items: tuple[ListItem, ...] = ()  # for lists
    rows: tuple[tuple[int, tuple[str, ...]], ...] = ()  # for tables and deflists: (line, cells)
    ordered: bool = False
    quoted: bool = False  # inside a blockquote


@dataclass(frozen=True)
class Section:
    """A heading and what stands under it. The root section (level 0) has no heading."""

    title: str
    level: int
    line: int
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()

    def walk(self) -> list[tuple[tuple[Section, ...], Section]]:
        """Every section below and including this one, with its enclosing sections."""
        found: list[tuple[tuple[Section, ...], Section]] = []
        stack: list[tuple[tuple[Section, ...], Section]] = [((), self)]
        while stack:
            parents, section = stack.pop()
            found.append((parents, section))
            for child in reversed(section.children):
                stack.append(((*parents, section), child))
        return found


# markdown-it nests block rules by recursion and stops at `maxNesting` levels (a list and its
# item are two). CommonMark's 20 is an outline ten lists deep; 64 stays far from Python's
# recursion limit.
MAX_NESTING = 64


def limit_nesting(md: MarkdownIt) -> MarkdownIt:
    """`md` with room for deep outlines, and past its nesting limit dropping only the block
    that is too deep: markdown-it itself drops every line to the end of the note there."""
    md.options["maxNesting"] = MAX_NESTING
    tokenize = md.block.tokenize

    def tokenize_within_limit(state: StateBlock, start: int, end: int) -> None:
        if state.level < MAX_NESTING:
            tokenize(state, start, end)
            return
        line = start
        while line < end and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
            line += 1
        state.line = line

    setattr(md.block, "tokenize", tokenize_within_limit)  # noqa: B010 - a method, per instance
    return md


@functools.cache
def _parser() -> MarkdownIt:
    md = limit_nesting(MarkdownIt("commonmark", {"html": True})).enable(["table", "strikethrough"])
    md.use(deflist_plugin)
    # Blocks only: inline tokens keep their raw content, which is all the rules read.
    md.disable(["inline", "text_join"], ignoreInvalid=True)
    return md


@dataclass
class _Open:
    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def close(self) -> Section:
        return Section(self.title, self.level, self.line, tuple(self.blocks), tuple(self.children))


def parse(body: str) -> Section:
    """The section tree of a Markdown body; line numbers are the body's (1-based)."""
    lines = body.split("\n")
    tokens = _parser().parse(body)
    stack = [_Open("", 0, 0)]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open" and token.level == 0:
            level = int(token.tag[1:])
            title = tokens[i + 1].content.strip()
            while stack[-1].level >= level:
                closed = stack.pop().close()
                stack[-1].children.append(closed)
            stack.append(_Open(title, level, _line(token)))
            i += 3
            continue
        end = _block_end(tokens, i)
        stack[-1].blocks.extend(_blocks(tokens[i:end], lines, quoted=False))
        i = end
    while len(stack) > 1:
        closed = stack.pop().close()
        stack[-1].children.append(closed)
    return stack[0].close()


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _block_end(tokens: Sequence[Token], start: int) -> int:
    """Index after the block that opens at `start` (tokens at nesting 0 close it)."""
    token = tokens[start]
    if token.nesting != 1:
        return start + 1
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j + 1
    return len(tokens)


def _span(token: Token, lines: Sequence[str]) -> tuple[str, ...]:
    if not token.map:
        return ()
    return tuple(lines[token.map[0] : token.map[1]])


def _blocks(tokens: Sequence[Token], lines: Sequence[str], *, quoted: bool) -> list[Block]:
    if not tokens:
        return []
    first = tokens[0]
    kind = first.type
    if kind == "paragraph_open":
        return [Block("paragraph", _line(first), _span(first, lines), quoted=quoted)]
    if kind in ("bullet_list_open", "ordered_list_open"):
        ordered = kind == "ordered_list_open"
        items = _list_items(tokens[1:-1], ordered)
        return [
            Block("list", _line(first), _span(first, lines), items, ordered=ordered, quoted=quoted)
        ]
    if kind == "table_open":
        return [Block("table", _line(first), _span(first, lines), rows=_table_rows(tokens))]
    if kind in ("fence", "code_block"):
        return [Block("code", _line(first), _span(first, lines), quoted=quoted)]
    if kind == "html_block":
        return [Block("html", _line(first), _span(first, lines), quoted=quoted)]
    if kind == "hr":
        return [Block("hr", _line(first), _span(first, lines))]
    if kind == "dl_open":
        return [Block("deflist", _line(first), _span(first, lines), rows=_deflist_rows(tokens))]
    if kind == "blockquote_open":
        inner: list[Block] = []
        i = 1
        while i < len(tokens) - 1:
            end = _block_end(tokens, i)
            inner.extend(_blocks(tokens[i:end], lines, quoted=True))
            i = end
        return inner
    if kind == "heading_open":  # a heading inside a quote or list: keep its text as prose
        return [Block("paragraph", _line(first), _span(first, lines), quoted=quoted)]
    return []


def _list_items(tokens: Sequence[Token], ordered: bool) -> tuple[ListItem, ...]:
    items: list[ListItem] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = _block_end(tokens, i)
        if token.type == "list_item_open":
            items.append(_list_item(tokens[i + 1 : end - 1], _line(token), ordered))
        i = end
    return tuple(items)


def _list_item(tokens: Sequence[Token], line: int, ordered: bool) -> ListItem:
    text_parts: list[str] = []
    children: list[ListItem] = []
    has_code = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = _block_end(tokens, i)
        if token.type == "paragraph_open" and not text_parts and not children:
            text_parts.append(tokens[i + 1].content)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            children.extend(_list_items(tokens[i + 1 : end - 1], token.type == "ordered_list_open"))
        elif token.type in ("fence", "code_block"):
            has_code = True
        i = end
    return ListItem(line, "\n".join(text_parts), tuple(children), ordered, has_code)


def _table_rows(tokens: Sequence[Token]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    rows: list[tuple[int, tuple[str, ...]]] = []
    cells: list[str] = []
    line = 0
    for token in tokens:
        if token.type == "tr_open":
            cells, line = [], _line(token)
        elif token.type == "inline":
            cells.append(token.content.strip())
        elif token.type == "tr_close":
            rows.append((line, tuple(cells)))
    return tuple(rows)


def _deflist_rows(tokens: Sequence[Token]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    rows: list[tuple[int, tuple[str, ...]]] = []
    term, line = "", 0
    definitions: list[str] = []
    depth_in_dd = 0
    for index, token in enumerate(tokens):
        if token.type == "dt_open":
            if term:
                rows.append((line, (term, "\n\n".join(definitions))))
            term, line, definitions = tokens[index + 1].content.strip(), _line(token), []
        elif token.type == "dd_open":
            depth_in_dd += 1
        elif token.type == "dd_close":
            depth_in_dd -= 1
        elif token.type == "inline" and depth_in_dd:
            definitions.append(token.content.strip())
    if term:
        rows.append((line, (term, "\n\n".join(definitions))))
    return tuple(rows)
