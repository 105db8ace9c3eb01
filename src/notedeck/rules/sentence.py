"""Definitions inside running text: `XとはYのことです`, `Xというのは、Y`, `YをXと呼びます`,
`①…を「X」 ②…を「Y」 と呼びます`, `X is a Y`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..parse import Section
from ..terms import clean_term
from . import Candidate, Context, Finding
from .lines import Line, prose_lines

KIND = "sentence"

_SENTENCES = re.compile(r"[^。！？!?]+[。！？!?]?")
_TOWA = re.compile(
    r"^(?P<term>[^、。，,]{1,40}?)(?P<particle>とは(?!限ら|いえ|言え|違|異な|別|無関係)|というのは"
    r"|っていうのは|というものは)[、，,\s]*(?P<def>.+)$"
)
_TOWA_DEFINES = re.compile(
    r"(?:のこと|を指|をい[うい]|を言|である|です|だ|のもの|もの|の総称|の略)"
)
_CALLED = re.compile(
    r"^(?P<def>.+?)を[「『\"]?(?P<term>[^「」『』\"、。を]{1,40}?)[」』\"]?"
    r"(?:と(?:呼|よ)[ぶびばんぼ]|と(?:い|言)[うい]|と称)"
)
_CALLED_LINE = re.compile(r"^[①-⑳\d.)、\s]*(?P<def>.+?)を[「『](?P<term>[^」』]{1,40})[」』]\s*$")
_CALLED_TAIL = re.compile(r"^(?:と|を)?(?:(?:呼|よ)[ぶびばんぼ]|(?:い|言)[うい]|称)")
_ENGLISH = re.compile(
    r"^(?:an?\s+|the\s+)?(?P<term>[A-Za-z][\w()./+#-]*(?:\s+[\w()./+#-]+){0,4}?)\s+"
    r"(?:is|are)\s+(?P<def>(?:an?|the|one|any|used|defined|known|called)\s.+)$",
    re.IGNORECASE,
)
_ENGLISH_STOP = frozenset(
    {
        "it",
        "this",
        "that",
        "there",
        "here",
        "which",
        "what",
        "he",
        "she",
        "they",
        "these",
        "those",
        "each",
        "all",
        "one",
        "some",
        "following",
        "above",
        "below",
        "example",
    }
)


def defining_sentences(text: str) -> Iterator[tuple[str, str, str]]:
    """(term, definition, the whole sentence) for each defining sentence in a line."""
    for match in _SENTENCES.finditer(text.strip()):
        sentence = match.group(0).strip()
        towa = _TOWA.match(sentence)
        if towa and (towa.group("particle") != "とは" or _TOWA_DEFINES.search(towa.group("def"))):
            yield towa.group("term").strip(), towa.group("def").strip(), sentence
            continue
        called = _CALLED.match(sentence)
        if called:
            yield called.group("term"), called.group("def").strip(), sentence
            continue
        english = _ENGLISH.match(sentence)
        if english and english.group("term").split()[0].casefold() not in _ENGLISH_STOP:
            yield english.group("term"), english.group("def").strip(), sentence


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Defining sentences among the section's prose lines, and `①…を「X」` line groups."""
    lines = list(prose_lines(section))
    used: set[int] = set()
    for position, line in enumerate(lines):
        if line.number in used:
            continue
        group = _called_group(lines, position)
        if group:
            for member, term, definition in group:
                used.add(member.number)
                if ctx.is_term(term):
                    yield Candidate(clean_term(term), definition, member.number, KIND)
            continue
        for term, definition, _ in defining_sentences(line.text):
            if ctx.is_term(term):
                yield Candidate(clean_term(term), definition, line.number, KIND)


def _called_group(lines: list[Line], start: int) -> list[tuple[Line, str, str]]:
    """Lines `①…を「X」` that a later line `と呼びます` closes."""
    group: list[tuple[Line, str, str]] = []
    for line in lines[start:]:
        if line.block is not lines[start].block:
            break
        match = _CALLED_LINE.match(line.text)
        if match:
            group.append((line, match.group("term"), match.group("def").strip()))
            continue
        if group and _CALLED_TAIL.match(line.text):
            return group
        break
    return []
