"""List items: `- term - definition`, `` `cmd`  description``, and a short parent item whose
sub-items describe it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import ListItem, Section
from ..terms import clean_term
from . import Candidate, Context, Finding, Skip
from .colon import is_pair
from .lines import (
    is_cjk,
    is_label,
    is_link_only,
    is_name,
    paragraph_lines,
    starts_with_number,
    walk_items,
    why_not_term,
)

KIND = "bullet"

_DASH = re.compile(r"\s+[-–—]+\s+")
_CODE_SPANS = re.compile(r"`[^`]*`")
_OPTION = re.compile(r"^[A-Za-z][.)]\s")
# Particles and commas that make Japanese text a clause (`…を使用`, `…に基づく`), not a name.
_COMPARISON = re.compile(r"の違い|との比較|\bvs\b|\bversus\b", re.IGNORECASE)
_CJK_CLAUSE = re.compile(r"[をがにでへ、]|[\u3040-\u309f](?:る|た|す)$")
# `` `cmd`  what it does``, `` `cmd` what it does``, `--flag  what it does`: a command or
# option, then its description after a wide gap (or right after the code span).
_COMMAND = re.compile(
    r"^(?P<term>`[^`]+`|--?[A-Za-z][\w-]*)(?:\s{2,}|\t|(?<=`)\s)\s*(?P<def>[A-Za-z\u3040-\u9fff].*)$"
)
# `` `cmd  desc` more desc``: a gap inside a code span that swallowed the description.
_GAP = re.compile(r"\s{2,}|\t")
# `using X`, `via X`, `by means of X` after the dash: the means to an end, not a definition.
_MEANS = re.compile(r"(?:using|via|by (?:using|means of))\s", re.IGNORECASE)
# What `_DASH` or `_COMMAND` needs to match at all.
_MAY_PAIR = re.compile(r"[-–—`]")


def _dash_pair(text: str, ctx: Context | None) -> tuple[str, str] | None:
    if not _MAY_PAIR.search(text):
        return None  # neither a dash nor a command: most lines
    command = _COMMAND.match(text.strip())
    if command:
        term, definition = command.group("term"), command.group("def").strip()
        inner = term.strip("`").strip()
        gap = _GAP.search(inner)
        if gap and term.startswith("`"):  # the description began inside the code span
            term, definition = inner[: gap.start()], f"{inner[gap.end() :]} {definition}"
        if definition.endswith((":", "：")):
            return None  # `` `kubectl describe` shows:`` introduces what follows
        if re.match(r"[をでにとへもの](?![ぁ-ん])", definition):
            return None  # `` `docker pull` を実行して…`` says what to do with it
        return term, definition
    match = _DASH.search(text)
    if not match or ctx is None:
        return None
    term, definition = text[: match.start()].strip(), text[match.end() :].strip()
    if not definition or not ctx.is_term(term) or is_label(clean_term(term)):
        return None
    if not _CODE_SPANS.sub("", definition).strip(" &|;"):
        return None  # `Update - `apt-get update``: a step and its command
    if definition.endswith((":", "：")):
        return None  # `kubectl describe - shows:` introduces what follows
    if _MEANS.match(definition):
        return None  # `Remote access - using a VPN`: how a task is done, not what a term is
    return term, definition


def _why_not_dash(term: str, definition: str, ctx: Context) -> str:
    """Why `text - text` is no pair."""
    text = clean_term(term)
    if not _CODE_SPANS.sub("", definition).strip(" &|;"):
        return "a step and its command, not a definition"
    if _MEANS.match(definition):
        return f"'{text}' is a task and the text after the dash its means, not a definition"
    return why_not_term(term)


def names_means(text: str) -> bool:
    """`Remote access - using a VPN`: a task and the means to it, neither term nor definition."""
    dash = _DASH.search(text)
    return bool(dash and _MEANS.match(text[dash.end() :]))


def dash_pair(text: str, ctx: Context) -> tuple[str, str] | None:
    """(term, definition) for `term - definition` or a command and its description."""
    return _dash_pair(text.strip(), ctx)


def why_not_described(item: ListItem, ctx: Context) -> str:
    """Why an item with sub-items is no term described by them; '' when it is one."""
    children = item.children
    first = item.text.split("\n", 1)[0].strip()
    if is_label(clean_term(first)):
        return f"'{clean_term(first)}' is a label for the items below"
    if not is_parent_term(item.text, ctx):
        return "the parent item is a sentence, task, question or comparison, not a term"
    texts = [child.text.split("\n", 1)[0] for child in children]
    if any(is_pair(text, ctx) or _dash_pair(text, ctx) for text in texts):
        return "the sub-items are pairs of their own"
    if all(is_link_only(text) for text in texts):
        return "the sub-items are only links"
    # Numbered children are an outline (`1.1 …`) or figures (`99.9%の耐久性`), and answer
    # options (`A. …`) belong to a quiz, not a description.
    if any(starts_with_number(text) or _OPTION.match(text) for text in texts):
        return "the sub-items are a numbered outline, figures or answer options"
    # Children that are only commands are the steps of a task (`Update` + `apt-get …`).
    if all(not _CODE_SPANS.sub("", text).strip(" &|;") for text in texts):
        return "the sub-items are only commands: steps, not a description"
    # An outline of bare names has name children; a description has prose. A lone
    # Japanese noun phrase under a name (`非リレーショナルデータベース`) says what it is.
    if len(texts) == 1 and is_cjk(texts[0]):
        return ""
    if all(is_name(text) for text in texts):
        return "the sub-items are names (an outline or examples), not a description"
    return ""


def is_parent_term(text: str, ctx: Context) -> bool:
    """Whether a parent item names a thing: a short name, not a task or question
    (`…をデプロイ`, `How do I …?`)."""
    first = text.split("\n", 1)[0].strip()
    if not ctx.is_term(first) or first.rstrip().endswith((":", "：")):
        return False
    if names_means(first):
        return False  # `Remote access - using a VPN` + its steps: a task, not a name
    term = clean_term(first)
    return not _CJK_CLAUSE.search(term) and not _COMPARISON.search(term)


def command_pair(text: str) -> tuple[str, str] | None:
    """(command, description) for a line like `` `docker ps`  list containers``."""
    found = _COMMAND.match(text.strip())
    return _dash_pair(text, None) if found else None


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Dash-separated items, command items, and parent items described by their sub-items."""
    for block in section.blocks:
        if block.kind == "paragraph":
            # Command lines stand in paragraphs too, one per line (each opens with a code
            # span or a dash, which most paragraphs have on none of their lines).
            if not any(text.lstrip().startswith(("`", "-")) for text in block.lines):
                continue
            for line in paragraph_lines(block):
                pair = command_pair(line.text)
                if pair:
                    yield Candidate(clean_term(pair[0]), pair[1], line.number, KIND)
            continue
        if block.kind != "list":
            continue
        for item, _ in walk_items(block.items):
            first = item.text.split("\n", 1)[0].strip()
            pair = _dash_pair(first, ctx)
            if pair:
                yield Candidate(clean_term(pair[0]), pair[1], item.line, KIND)
                continue
            dash = _DASH.search(first)
            if dash and not item.children:
                yield Skip(
                    item.line, _why_not_dash(first[: dash.start()], first[dash.end() :], ctx)
                )
                continue
            if not item.children:
                continue
            reason = why_not_described(item, ctx)
            if reason:
                yield Skip(item.line, reason)
                continue
            lines = ["  " * depth + "- " + c.text for c, depth in walk_items(item.children)]
            yield Candidate(
                clean_term(first), "\n".join(lines), item.line, KIND, item.children[-1].line
            )
