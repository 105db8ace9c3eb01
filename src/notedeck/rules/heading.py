"""A heading that names a term, and the prose paragraph (or first bullet) under it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import Block, Section
from ..terms import clean_term, normalise_term
from . import Candidate, Context, Finding, Skip
from .bold import bold_pair
from .colon import is_pair
from .explicit import explicit_pair
from .lines import REMARK_OPENERS, is_label, is_link_only, walk_items

KIND = "heading"

_TOPIC_HEADING = re.compile(
    r"(?:について|に関して|まわり|周り|関連|の概要|まとめ|メモ)$|^(?:about|notes? on|on)\s",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"(?:とは何か|とは何ですか|とはなに|って何|ってなに|って何ですか|とは)[？?]?$"
    r"|^(?:what\s+(?:is|are|was|were|'s)|what's|define)\s",
    re.IGNORECASE,
)
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[（(]?[0-9０-９]+[)）]|第\S+[章節])\s+")
_PREFIX = re.compile(r"^[（(【\[](?:参考|補足|おまけ|番外編?|例|memo|note)[)）】\]]\s*", re.I)


def heading_term(title: str) -> str:
    """A heading's text as a term: numbering and note-specific prefixes dropped."""
    text = _NUMBERING.sub("", title.strip())
    return _PREFIX.sub("", text).strip()


def is_topic_heading(title: str) -> bool:
    """`ALBについて`, `About X`, `Notes on X`: a heading about a subject, not a term."""
    return bool(_TOPIC_HEADING.search(title.strip()))


def is_question(title: str) -> bool:
    """`Xとは？`, `What is X?` and the like."""
    return bool(_QUESTION.search(title.strip()))


def first_definition(section: Section, ctx: Context) -> tuple[str, int] | Skip | None:
    """The section's first prose block as a definition, with its last line.

    A paragraph ending with `:` takes the code block, list or image after it; a list whose
    first item is prose gives that item. A body that opens with pairs gives nothing.
    """
    blocks = [b for b in section.blocks if b.kind not in ("hr",)]
    for index, block in enumerate(blocks):
        if block.kind == "paragraph":
            text = "\n".join(line.strip() for line in block.lines if line.strip())
            first = text.split("\n", 1)[0]
            if all(is_link_only(line) for line in text.split("\n")):
                continue
            if _is_pair_line(first, ctx) or is_label(first.rstrip(":：")):
                return Skip(block.line, "the body opens with pairs that make their own cards")
            if first.startswith(REMARK_OPENERS):
                return Skip(block.line, "a remark or example, not a definition")
            if "\t" in first:
                return None
            text = re.sub(r"^[・●○■□◆◇▪]\s*", "", text)
            last = block.line + len(block.lines) - 1
            if text.rstrip().endswith((":", "：")) and index + 1 < len(blocks):
                following = blocks[index + 1]
                if following.kind in ("code", "list", "paragraph", "table"):
                    text += "\n\n" + "\n".join(following.lines)
                    last = following.line + len(following.lines) - 1
            return text, last
        if block.kind == "list":
            return _from_list(block, ctx)
        if block.kind in ("code", "table", "deflist"):
            return None
    return None


def _from_list(block: Block, ctx: Context) -> tuple[str, int] | Skip | None:
    first = block.items[0] if block.items else None
    if first is None or not first.text.strip() or block.ordered:
        return None
    head = first.text.split("\n", 1)[0]
    if _is_pair_line(head, ctx) or is_link_only(head):
        return None
    if ctx.is_term(head) and not first.children and len(block.items) > 1:
        return None  # an outline of terms, not a definition
    parts = [first.text.strip()]
    last = first.line
    for child, depth in walk_items(first.children):
        parts.append("  " * depth + "- " + child.text.strip())
        last = child.line
    return "\n".join(parts), last


def _is_pair_line(text: str, ctx: Context) -> bool:
    from .bullet import dash_pair

    return (
        is_pair(text, ctx)
        or bold_pair(text, ctx) is not None
        or explicit_pair(text) is not None
        or dash_pair(text, ctx) is not None
    )


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """The heading as the term, when it names one and prose follows it."""
    if section.level == 0:
        return
    title = section.title
    if is_question(title) or is_topic_heading(title) or ctx.config.is_meta_section(title):
        return
    term = heading_term(title)
    if is_label(term):
        yield Skip(section.line, f"'{term}' is a label heading, not a term")
        return
    if not ctx.is_term(term):
        yield Skip(section.line, "the heading is too long or a sentence, not a term")
        return
    found = first_definition(section, ctx)
    if found is None:
        return
    if isinstance(found, Skip):
        yield found
        return
    definition, last = found
    from .sentence import defining_sentences

    wanted = normalise_term(term)
    for other, _, _ in defining_sentences(definition.split("\n", 1)[0]):
        if normalise_term(other) != wanted:
            yield Skip(section.line, f"the paragraph defines '{other}', not the heading")
            return
    yield Candidate(clean_term(term), definition, section.line, KIND, last, own_heading=True)
