"""Glossary tables: Markdown pipe tables and TAB-separated blocks whose first column names
things. Each row is a card: the first cell the term, the other cells the definition."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..parse import Section
from ..terms import clean_term, plain
from . import Candidate, Context, Finding, Skip

KIND = "table"

Row = tuple[int, tuple[str, ...]]
_NUMBER = re.compile(r"^[\s\d.,%¥$€+\-−~〜()（）/]*$")
# `約2時間`, `about 3 days`, `2年（…）`: an amount, not a meaning.
_AMOUNT = re.compile(
    r"^(?:約|およそ|大体|最大|最小|about|approx\.?|around|up to|~|〜)?\s*[0-9０-９]", re.I
)
# A first cell that is a clause (`…を指定する`), not a name: the table reads the other way.
_CLAUSE = re.compile(r"[をがにで](?![\u30a0-\u30ff])|[\u3040-\u309f](?:る|た|す)$")


def tab_rows(lines: Sequence[tuple[int, str]]) -> list[list[Row]]:
    """Runs of two or more consecutive TAB-separated lines, as rows of cells."""
    runs: list[list[Row]] = []
    current: list[Row] = []
    for number, text in lines:
        if "\t" in text.strip("\n"):
            current.append((number, tuple(cell.strip() for cell in text.split("\t"))))
            continue
        if len(current) >= 2:
            runs.append(current)
        current = []
    if len(current) >= 2:
        runs.append(current)
    return runs


def glossary_rows(rows: Sequence[Row], ctx: Context) -> Iterator[Finding]:
    """The cards of one table: its header row names the columns of the definition."""
    if len(rows) < 2:
        return
    header, body = rows[0][1], [r for r in rows[1:] if any(c.strip("-: ") for c in r[1])]
    if not body or len(header) < 2:
        return
    firsts = [clean_term(cells[0]) if cells else "" for _, cells in body]
    terms = sum(1 for f in firsts if f and _is_cell_term(f, ctx) and not _NUMBER.match(f))
    if terms * 2 < len(body):
        yield Skip(rows[0][0], "the first column does not name things")
        return
    if sum(1 for f in firsts if _CLAUSE.search(f)) * 2 > len(body):
        yield Skip(rows[0][0], "the first column describes rather than names things")
        return
    if _values_only(body):
        yield Skip(rows[0][0], "a table of values, not of meanings")
        return
    for (line, cells), term in zip(body, firsts, strict=True):
        values = [c for c in cells[1:] if c.strip()]
        if not term or not values or not _is_cell_term(term, ctx):
            continue
        if len(header) == 2 or len(cells) == 2:
            definition = values[0]
        else:
            named = []
            for name, value in zip(header[1:], cells[1:], strict=False):
                if value.strip():
                    named.append(f"{name}: {value}" if name.strip() else value)
            definition = "\n".join(named)
        yield Candidate(term, definition, line, KIND)


def _values_only(body: Sequence[Row]) -> bool:
    """Whether every column after the first holds numbers or amounts (`約2時間`, `12`)."""
    width = max(len(cells) for _, cells in body)
    for column in range(1, width):
        values = [plain(cells[column]) for _, cells in body if len(cells) > column]
        values = [v for v in values if v.strip()]
        if not values:
            continue
        amounts = sum(1 for v in values if _NUMBER.match(v) or _AMOUNT.match(v))
        if amounts * 2 <= len(values):
            return False
    return True


def _is_cell_term(term: str, ctx: Context) -> bool:
    """A first cell as a term; a path or symbol (`/`, `..`) names something in a table."""
    if ctx.is_term(term):
        return True
    return bool(term) and len(term) <= ctx.config.term_max_chars and term.strip("-–—|: ") != ""


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Rows of every pipe table and TAB-separated block in the section's own body."""
    for block in section.blocks:
        if block.kind == "table":
            yield from glossary_rows(block.rows, ctx)
        elif block.kind == "paragraph" and any("\t" in text for text in block.lines):
            raw = [(block.line + i, text) for i, text in enumerate(block.lines)]
            for run in tab_rows(raw):
                yield from glossary_rows(run, ctx)
