"""Question headings: `ステージとは？`, `アーティファクトとは何か？`, `What is a target group?`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import Section
from ..terms import clean_term, normalise_term
from . import Candidate, Context, Finding, Skip
from .heading import first_definition, heading_term, is_question
from .lines import prose_lines
from .sentence import defining_sentences

KIND = "question"

_STRIP = re.compile(
    r"\s*(?:とは何か|とは何ですか|とはなに|って何ですか|って何|ってなに|とは)\s*[？?]*\s*$"
)
_ENGLISH = re.compile(
    r"^(?:what\s+(?:is|are|was|were|'s)|what's|define)\s+(?:(?:a|an|the)\s+)?(.+?)\s*[?？]*$",
    re.IGNORECASE,
)


def question_term(title: str) -> str:
    """The term a question heading asks about; the title itself when it is no question."""
    text = heading_term(title).strip()
    english = _ENGLISH.match(text)
    if english:
        return english.group(1).strip()
    return _STRIP.sub("", text).strip() or text


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """The asked term, answered by a defining sentence in the section or its first paragraph."""
    if section.level == 0 or not is_question(section.title):
        return
    term = question_term(section.title)
    if not ctx.is_term(term):
        yield Skip(section.line, "the question is too long to be a term")
        return
    wanted = normalise_term(term)
    for line in prose_lines(section):
        for found_term, _, sentence in defining_sentences(line.text):
            if normalise_term(found_term) == wanted:
                yield Candidate(clean_term(term), sentence, section.line, KIND, line.number, True)
                return
    found = first_definition(section, ctx)
    if found is None or isinstance(found, Skip):
        yield Skip(section.line, "the question has no answer of its own under it")
        return
    definition, last = found
    yield Candidate(clean_term(term), definition, section.line, KIND, last, own_heading=True)
