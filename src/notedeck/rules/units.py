"""A section's text as units: the lines, list items and table rows a pair can stand on.

Detectors read units, not markdown-it blocks: each unit knows where it stands (its block,
its list and depth, its neighbours), which is what the features describe. Lines are read the
way Markdown renders them: a soft-wrapped English line is joined onto the one above it, and a
hard break (two trailing spaces, `\\`, `<br>`) ends a line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..parse import Block, ListItem, Section

_BR = re.compile(r"\s*<br\s*/?>\s*", re.IGNORECASE)
_SENTENCE_OR_COLON_END = re.compile(r"[。．！？!?.:：]\s*$")
_HARD_BREAK = ("  ", "\\", "\t")
# A container's fence (`:::note Title`, Zenn's `:::details Title`, the closing `:::`): its
# title stands on a line of its own, the fences are no text.
_CONTAINER = re.compile(r"^\s*:{3,}\s*[\w-]*\s*(.*?)\s*$")


@dataclass(frozen=True)
class Unit:
    """One logical line of a section, with where it stands."""

    line: int
    text: str  # raw Markdown of the line (list marker removed), soft wraps joined
    # "para" (a paragraph line), "item" (a list item), "cont" (a list item's later line),
    # "row" (a table row), "dt" (a deflist term)
    form: str
    block: int  # index of its block in the section
    group: int  # units of one list (at one depth), table or paragraph share a group
    depth: int = 0  # list depth (0 for top level)
    ordered: bool = False
    quoted: bool = False
    index: int = 0  # position in its group
    children: tuple[str, ...] = ()  # a list item's sub-items (raw Markdown)
    cells: tuple[str, ...] = ()  # a table row's cells
    header: tuple[str, ...] = ()  # its table's header cells
    rest: tuple[str, ...] = ()  # a list item's lines after its first (a definition line)
    hard_break: bool = False  # the line ends with a hard break


def split_breaks(text: str, first_line: int = 0) -> list[tuple[int, str]]:
    """A paragraph's lines as rendered, each with its source line: `<br>` splits, and a
    soft-wrapped English line joins the one above it."""
    joined: list[tuple[int, str]] = []
    above = ""
    for offset, raw in enumerate(text.split("\n")):
        fence = _CONTAINER.match(raw) if raw.lstrip().startswith(":::") else None
        if fence:
            if fence.group(1):
                joined.append((first_line + offset, fence.group(1)))
            above = ""
            continue
        for row in _BR.split(raw):
            if joined and _wraps(above, row):
                line, kept = joined[-1]
                joined[-1] = (line, f"{kept.rstrip()} {row.strip()}")
            elif row.strip():
                joined.append((first_line + offset, row))
            above = row
    return joined


def _wraps(above: str, below: str) -> bool:
    """Whether `below` goes on with the sentence of `above` (a soft line break)."""
    if not above.strip() or above.endswith(_HARD_BREAK) or _SENTENCE_OR_COLON_END.search(above):
        return False
    first = below.lstrip()[:1]
    return "a" <= first <= "z" or first == "("


def units(section: Section) -> list[Unit]:
    """Every unit of the section's own body, in order."""
    found: list[Unit] = []
    group = 0
    for index, block in enumerate(section.blocks):
        group += 1
        if block.kind == "paragraph" and block.lines[0].lstrip().startswith(("$$", "\\[")):
            continue  # a formula: it may join a definition, it is none
        if block.kind == "paragraph":
            for part, is_table in _tab_runs(block):
                if is_table:
                    found.extend(_tab_rows(part, index, group))
                    group += 1
                else:
                    found.extend(_paragraph_units(part, index, group))
        elif block.kind == "list":
            counter = [group]
            found.extend(_item_units(block.items, block, index, 0, counter))
            group = counter[0]
        elif block.kind == "table":
            header = block.rows[0][1] if block.rows else ()
            for position, (line, cells) in enumerate(block.rows[1:]):
                found.append(
                    Unit(
                        line,
                        " | ".join(cells),
                        "row",
                        index,
                        group,
                        index=position,
                        cells=cells,
                        header=header,
                    )
                )
        elif block.kind == "deflist":
            for position, (line, cells) in enumerate(block.rows):
                found.append(
                    Unit(
                        line,
                        cells[0],
                        "dt",
                        index,
                        group,
                        index=position,
                        children=(cells[1],) if len(cells) > 1 else (),
                    )
                )
    return found


def _tab_runs(block: Block) -> Iterator[tuple[Block, bool]]:
    """A paragraph cut into its runs of TAB-separated lines (two or more: a table) and the
    lines between them."""
    start = 0
    lines = block.lines
    while start < len(lines):
        end = start
        tabbed = "\t" in lines[start].strip()
        while end < len(lines) and ("\t" in lines[end].strip()) == tabbed:
            end += 1
        is_table = tabbed and end - start >= 2
        yield dataclasses.replace(block, line=block.line + start, lines=lines[start:end]), is_table
        start = end


def _tab_rows(block: Block, index: int, group: int) -> Iterator[Unit]:
    rows = [
        (block.line + i, tuple(c.strip() for c in text.split("\t") if c.strip()))
        for i, text in enumerate(block.lines)
    ]
    header = rows[0][1]
    for position, (line, cells) in enumerate(rows[1:]):
        yield Unit(
            line, " | ".join(cells), "row", index, group, index=position, cells=cells, header=header
        )


# A line of tags only (`#flashcards`, which stays in the text for the plugin's rule): no text.
_TAGS_ONLY = re.compile(r"^\s*(?:#[^\s#]+\s*)+$")


def _paragraph_units(block: Block, index: int, group: int) -> Iterator[Unit]:
    rows = split_breaks("\n".join(block.lines), block.line)
    rows = [(line, text) for line, text in rows if not _TAGS_ONLY.match(text)]
    for position, (line, text) in enumerate(rows):
        yield Unit(
            line,
            text.strip(),
            "para",
            index,
            group,
            quoted=block.quoted,
            index=position,
            hard_break=text.endswith(_HARD_BREAK),
        )


def _item_units(
    items: tuple[ListItem, ...], block: Block, index: int, depth: int, counter: list[int]
) -> Iterator[Unit]:
    group = counter[0]
    for position, item in enumerate(items):
        numbered = split_breaks(item.text, item.line)
        lines = [text for _, text in numbered]
        first = lines[0].strip() if lines else ""
        yield Unit(
            item.line,
            first,
            "item",
            index,
            group,
            depth=depth,
            ordered=item.ordered,
            quoted=block.quoted,
            index=position,
            children=tuple(c.text for c in item.children),
            rest=tuple(r.strip() for r in lines[1:]),
        )
        # The item's later lines (`- Reserved` over `Reserved Instances: long workloads`)
        # may each be a pair of their own.
        for offset, (line, text) in enumerate(numbered[1:]):
            yield Unit(
                line,
                text.strip(),
                "cont",
                index,
                counter[0] + 1,
                depth=depth + 1,
                quoted=block.quoted,
                index=offset,
            )
        if item.children:
            counter[0] += 1
            yield from _item_units(item.children, block, index, depth + 1, counter)
