"""Extraction: detectors propose (`detectors`), features describe (`features`), the trained
scorer decides (`scorer`). The one rule that decides by itself, cards marked by hand
(`explicit`), keeps the rule signature `find(section, ctx)` in `registry()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..config import Config
from ..parse import Section


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


Rule = Callable[[Section, Context], Iterator[Finding]]


def registry() -> list[tuple[str, Rule]]:
    """The rules that decide by themselves: cards marked by hand (`X::Y`, clozes). Every
    other kind is proposed by `detectors` and decided by `scorer`."""
    from . import explicit

    return [("explicit", explicit.find)]
