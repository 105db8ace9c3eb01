"""`用語：説明` and `Term: definition` lines, in paragraphs and list items."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..parse import Section
from . import Candidate, Context, Finding, Skip, term_within
from .lines import Line, is_label, is_link_only, mask_code, prose_lines

KIND = "colon"

# A full-width colon needs nothing after it; a half-width one needs a space (or CJK text),
# so `key:value`, `10:30` and `http://` are not pairs.
_SEPARATOR = re.compile(r"\s*(?:：|:(?=\s|[\u3000-\u9fff\uff00-\uffef]))\s*")
_KEY_PATH = re.compile(r"^[\w$-]+(?:[./][\w$-]+)+$")
# `CoreDNSが生きてる`, `設定を変更`: a clause before the colon, not a name.
_CJK_CLAUSE = re.compile(r"[\u30a0-\u30ff\u4e00-\u9fffA-Za-z0-9]\s*[がをで](?![\u30a0-\u30ff])")
# `Ports: 80/443, …` after the colon: a list of settings, not a definition.
_SETTING = re.compile(r"^[A-Za-z][\w ]{0,20}:\s")
_ENDS_WITH_DIGIT = re.compile(r"\d$")
_DIGIT = re.compile(r"\d")
_VALUE = re.compile(r"^[0-9０-９.,%]+(?:\s|$)")
# `IAM認証: クライアントが正しく認証されている。`, `Egress: 通信が許可されているか。`: one
# sentence saying what state a check showed (or the question it asks), not what a term is.
_RESULT = re.compile(r"(?:ている|ていない|が可能である)。?$|(?:る|た|い)か[。？?]?$")
_LEADING_MARKER = re.compile(r"^(?:[-*+]\s+|\d+[.)]\s+|[・●○■□◆◇▪▸►]\s*)")


def split_pair(text: str, ctx: Context) -> tuple[str, str] | Skip | None:
    """(term, definition) when a line is a colon pair, a Skip when it only looks like one."""
    if ":" not in text and "：" not in text:
        return None  # most lines: cheaper to see than to look up
    # The rules ask this of a line several times; only the term limits of the settings count.
    return _split_pair(text, ctx.config.term_max_chars, ctx.config.term_max_words)


@functools.lru_cache(maxsize=1 << 16)
def _split_pair(text: str, max_chars: int, max_words: int) -> tuple[str, str] | Skip | None:
    def is_term(markdown: str) -> bool:
        return term_within(markdown, max_chars, max_words)

    body = _LEADING_MARKER.sub("", text.strip())
    masked = mask_code(body)
    match = _SEPARATOR.search(masked)
    if not match or match.start() == 0:
        return None
    term, definition = body[: match.start()].strip(), body[match.end() :].strip()
    if not definition or term.endswith(":"):
        return None
    plain_term = term.strip("*_` ")
    if "://" in body[: match.end() + 8] and not is_term(plain_term):
        return None
    if _ENDS_WITH_DIGIT.search(plain_term) and _DIGIT.match(definition):
        return Skip(0, "a time or ratio, not a pair")
    if is_label(plain_term):
        return Skip(0, f"'{plain_term}' is a label, not a term")
    if term.startswith("`") and term.endswith("`") and _KEY_PATH.match(plain_term):
        return Skip(0, "a key path or code, not a term")
    if _KEY_PATH.match(plain_term) and "." in plain_term and " " not in plain_term:
        return Skip(0, "a key path or code, not a term")
    if not is_term(term):
        return Skip(0, "text before the colon is too long or a sentence, not a term")
    words = plain_term.split()
    # `Docker consists of two parts`: a subject and its verb, not a name.
    if len(words) > 4 and (
        re.fullmatch(r"[a-z]+[^s]s", words[1]) or all(w.islower() for w in words)
    ):
        return Skip(0, "text before the colon reads as a sentence, not a term")
    if plain_term.startswith("-") or "=" in plain_term:
        return Skip(0, f"'{plain_term}' is a command argument, not a term")
    if _CJK_CLAUSE.search(plain_term):
        return Skip(0, f"'{plain_term}' is a statement (a result or remark), not a term")
    if is_link_only(definition):
        return Skip(0, f"'{plain_term}' only points to a link")
    if _VALUE.match(definition) or definition.count(" | ") >= 2 or _SETTING.match(definition):
        return Skip(0, f"'{plain_term}' is given a value or figure, not a definition")
    if _RESULT.search(definition) and "。" not in definition.rstrip("。"):
        return Skip(0, f"'{plain_term}' is given a state or a check, not a definition")
    return term, definition


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Every colon pair among the section's prose lines, with continuation lines."""
    lines = list(prose_lines(section))
    code = "\n".join("\n".join(b.lines) for b in section.blocks if b.kind == "code")
    for position, line in enumerate(lines):
        if line.item is not None:
            yield from _continuation_pairs(line, ctx)
        found = split_pair(line.text, ctx)
        if found is None:
            continue
        if isinstance(found, Skip):
            yield Skip(line.number, found.reason)
            continue
        term, definition = found
        if code and len(term.strip("`*_ ")) > 1 and term.strip("`*_ ") in code:
            yield Skip(line.number, "explains a part of the command in the code block, not a term")
            continue
        last = line.number
        # Continuation lines of the same paragraph that go on about the term join it.
        for following in lines[position + 1 :]:
            if following.block is not line.block or following.item is not None:
                break
            if not following.text.startswith(term.strip("*_` ")):
                break
            if split_pair(following.text, ctx) is not None:
                break
            definition += "\n" + following.text
            last = following.number
        yield Candidate(term, definition, line.number, KIND, last)


def _continuation_pairs(line: Line, ctx: Context) -> Iterator[Finding]:
    """Pairs on the lines of a list item after its first (`- Reserved` / `Convertible: …`)."""
    assert line.item is not None
    for offset, text in enumerate(line.item.text.split("\n")[1:], start=1):
        found = split_pair(text, ctx)
        if isinstance(found, tuple):
            yield Candidate(found[0], found[1], line.number + offset, KIND)


def is_pair(line: Line | str, ctx: Context) -> bool:
    """Whether a line is a colon pair (used by rules that must not take such lines)."""
    text = line.text if isinstance(line, Line) else line
    return isinstance(split_pair(text, ctx), tuple)
