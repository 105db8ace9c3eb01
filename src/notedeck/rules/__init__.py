"""Extraction rules: one module per writing style, each `find(section, ctx)`.

Like markdown-it's block rules, every rule has the same signature and they are gathered in
one ordered registry (`RULES`, in priority order) that the config switches on and off.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..config import Config
from ..parse import Section
from ..terms import clean_term, is_term

_CODE_ONLY = re.compile(r"^(`+)[^`]+\1$")


@dataclass(frozen=True)
class Candidate:
    """A term/definition pair one rule found, before dedupe, topics and decks."""

    term: str  # Markdown, as written
    definition: str  # Markdown
    line: int  # where the term stands
    kind: str
    last_line: int = 0  # the last line the pair uses; 0: the term's line only
    own_heading: bool = False  # the term is the section's heading (heading, question)
    note_type: str = "basic"  # "basic", "reversed" (asks both ways) or "cloze"
    score: float = 1.0  # the scorer's probability (explicit cards: 1)
    why: str = ""  # the features that weighed most, as `check` shows them


@dataclass(frozen=True)
class Skip:
    """Something that looks like a pair but is not, with the reason `check` prints."""

    line: int
    reason: str


Finding = Candidate | Skip


@dataclass(frozen=True)
class Context:
    """What a rule may know besides its section: the settings and the enclosing sections."""

    config: Config
    parents: tuple[Section, ...] = ()

    def is_term(self, markdown: str) -> bool:
        """Whether Markdown text can stand as a card's front under the configured limits."""
        return term_within(markdown, self.config.term_max_chars, self.config.term_max_words)


@functools.lru_cache(maxsize=1 << 16)  # several rules ask about the same line
def term_within(markdown: str, max_chars: int, max_words: int) -> bool:
    """Whether Markdown text can stand as a card's front within these limits."""
    text = markdown.strip()
    # `.`, `..`, `>>`: code names a thing however short
    if text.startswith("`") and _CODE_ONLY.match(text):
        return 0 < len(text.strip("`").strip()) <= max_chars
    return is_term(clean_term(markdown), max_chars, max_words)


Rule = Callable[[Section, Context], Iterator[Finding]]


def registry() -> list[tuple[str, Rule]]:
    """The rules that decide by themselves: cards marked by hand (`X::Y`, clozes). Every
    other kind is proposed by `detectors` and decided by `scorer`."""
    from . import explicit

    return [("explicit", explicit.find)]
