"""Cards marked by hand, read as the Obsidian Spaced Repetition plugin reads them.

- `Question::Answer` on one line; `Question:::Answer` asks both ways.
- Multi-line: the question's lines, a line `?` (or `??` to ask both ways), the answer's lines.
  The card is the run of lines around the separator, and a blank line outside a code block
  ends it, as in the plugin.
- Cloze: a run of lines holding `{{c1::…}}` deletions (and `==…==` highlights when the config
  turns highlights into clozes) is one cloze note, a card per deletion number.
- The plugin's scheduling comments (`<!--SR:…-->`) never reach a card, a leading
  `#flashcards/…` tag is not part of the question, nothing in code is read, and a run inside
  another HTML comment is left alone (the plugin's way of switching a card off).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..parse import Section
from ..terms import plain
from . import Candidate, Context, Finding, Skip
from .lines import mask_code

KIND = "explicit"

_SEPARATOR = re.compile(r"(?<!:):{2,3}(?!:)")
# `AWS::EC2::Instance`, `std::chrono::seconds`: a name path written in prose, not a card.
_PATH = re.compile(r"\w::\w+::\w")
_SCHEDULE = re.compile(r"[ \t]*<!--SR:[^>]*-->")
_CLOZE = re.compile(r"\{\{c(\d+)::(.+?)\}\}", re.DOTALL)
# `==text==`, optionally with the plugin's hint `^[hint]` and group number `[^2]`.
_HIGHLIGHT = re.compile(r"==(?!=)(\S(?:.*?\S)??)==(?:\^\[([^\]]*)\])?(?:\[\^(\d+)\])?")
_FLASHCARD_TAG = re.compile(r"^(?:#flashcards(?:/[^\s#]*)?[ \t]*)+", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^(?:[-*+][ \t]+|\d+[.)][ \t]+)")
_QUOTE_MARKER = re.compile(r"^[ \t]*(?:>[ \t]?)+")
MULTI_LINE = "?"
_MAY_MARK = re.compile(r"::|==|\?")
MULTI_LINE_REVERSED = "??"


class _Line(NamedTuple):  # a tuple: one for every line of a section with a mark
    number: int
    raw: str  # as written, without a scheduling comment
    text: str  # also without quote markers: what separators are looked for in
    code: bool  # inside a code block: kept in a card, never read for separators
    quoted: bool = False
    skipped: bool = False  # a scheduling comment alone on its line


def explicit_pair(text: str) -> tuple[str, str, bool] | None:
    """(question, answer, reversed) for a `::` or `:::` line outside code."""
    if "::" not in text and "<!--SR:" not in text:  # a comment between two colons joins them
        return None
    line = _SCHEDULE.sub("", text).strip()
    line = _FLASHCARD_TAG.sub("", _LIST_MARKER.sub("", line)).strip()
    masked = _masked(line)
    if _PATH.search(masked):
        return None
    # As in the plugin, a `:::` anywhere on the line makes it a reversed card split there.
    matches = list(_SEPARATOR.finditer(masked))
    match = next((m for m in matches if len(m.group(0)) == 3), matches[0] if matches else None)
    if match is None:
        return None
    question, answer = line[: match.start()].strip(), line[match.end() :].strip()
    if not question or not answer:
        return None
    return question, answer, len(match.group(0)) == 3


def _masked(text: str) -> str:
    """Text with code spans and cloze deletions blanked: `::` in them is no separator."""
    masked = mask_code(text)
    return _CLOZE.sub(lambda m: "\x01" * len(m.group(0)), masked)


def is_cloze(text: str, highlights: bool) -> bool:
    """Whether a line (outside code) holds a cloze deletion."""
    if "{{c" not in text and not (highlights and "==" in text):
        return False  # what a deletion or highlight needs; most lines have neither
    masked = mask_code(text)
    return bool(_CLOZE.search(masked) or (highlights and _HIGHLIGHT.search(masked)))


def cloze_text(text: str, highlights: bool) -> str:
    """The text with highlights turned into `{{cN::…}}` deletions (when asked to), numbered
    after any deletions already written, a number per highlight unless it names its group."""
    if not highlights:
        return text
    masked = mask_code(text)
    taken = [int(m.group(1)) for m in _CLOZE.finditer(masked)]
    counter = max(taken, default=0)
    out, last = [], 0
    for match in _HIGHLIGHT.finditer(masked):
        answer, hint, group = text[match.start(1) : match.end(1)], match.group(2), match.group(3)
        if group:
            number = int(group)
        else:
            counter += 1
            number = counter
        out.append(text[last : match.start()])
        out.append(f"{{{{c{number}::{answer}{'::' + hint if hint else ''}}}}}")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def cloze_shown(text: str) -> str:
    """A cloze text as plain text with every deletion shown: the note's identity."""
    return plain(_CLOZE.sub(lambda m: m.group(2).split("::")[0], text))


_TAG_LINE = re.compile(r"^\s*(?:[-*+]\s+)?((?:#flashcards(?:/[^\s#]*)?\s*)+)(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def tag_decks(body: str, note_tags: Sequence[str] = ()) -> dict[int, str]:
    """The deck each line of a note is in by the plugin's `#flashcards/Sub/Deck` tags.

    A `flashcards/…` tag in the front matter holds for the whole note; a tag alone on its line
    holds for the lines after it until the next tag; a tag that opens a card's line holds for
    that card only. Lines no tag covers are left out; `#flashcards` alone names no deck.
    """
    decks: dict[int, str] = {}
    current = next((deck for deck in map(_tag_deck, note_tags) if deck), "")
    fence = ""
    for number, line in enumerate(body.split("\n"), start=1):
        opening = _FENCE.match(line)
        if fence or opening:
            if fence and opening and opening.group(1)[0] == fence[0]:
                fence = ""
            elif not fence and opening:
                fence = opening.group(1)
            if current:
                decks[number] = current
            continue
        match = _TAG_LINE.match(line)
        deck = current
        if match:
            deck = _tag_deck(match.group(1).split()[0].lstrip("#")) or current
            if not match.group(2).strip():  # a tag line: the cards below go to its deck
                current = deck
        if deck:
            decks[number] = deck
    return decks


def _tag_deck(tag: str) -> str:
    """`flashcards/Sub/Deck` -> `Sub::Deck`; '' for any other tag or bare `flashcards`."""
    head, _, rest = tag.replace("::", "/").partition("/")  # front matter tags come as a::b
    if head.casefold() != "flashcards":
        return ""
    return "::".join(part for part in rest.split("/") if part)


def _section_lines(section: Section) -> list[_Line]:
    """Every line of the section's body, blank lines included, as the plugin reads them."""
    by_number: dict[int, _Line] = {}
    for block in section.blocks:
        for offset, raw in enumerate(block.lines):
            number = block.line + offset
            raw = (_SCHEDULE.sub("", raw) if "<!--SR:" in raw else raw).rstrip()
            text = _QUOTE_MARKER.sub("", raw) if block.quoted else raw
            schedule_only = bool(block.lines[offset].strip()) and not raw.strip()
            by_number.setdefault(
                number,
                _Line(number, raw, text, block.kind == "code", block.quoted, schedule_only),
            )
    if not by_number:
        return []
    first, last = min(by_number), max(by_number)
    return [by_number.get(n) or _Line(n, "", "", False) for n in range(first, last + 1)]


def _html_comment_lines(section: Section) -> set[int]:
    """Lines inside an HTML comment block (other than a scheduling comment)."""
    inside: set[int] = set()
    for block in section.blocks:
        if block.kind != "html" or not block.lines:
            continue
        if block.lines[0].strip().startswith("<!--") and not block.lines[0].strip().startswith(
            "<!--SR:"
        ):
            inside.update(range(block.line, block.line + len(block.lines)))
    return inside


def _runs(lines: list[_Line]) -> Iterator[list[_Line]]:
    """Runs of lines a blank line (outside code) ends."""
    run: list[_Line] = []
    for line in lines:
        if line.skipped:
            continue
        if not line.text.strip() and not line.code:
            if run:
                yield run
            run = []
            continue
        run.append(line)
    if run:
        yield run


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Every card marked in the plugin's syntax in the section."""
    highlights = ctx.config.highlight_cloze
    # Every card needs a separator or deletion (`::`), a highlight (`==`) or a `?` line: most
    # sections have none of them, and are not read line by line.
    if not any(_MAY_MARK.search(raw) for block in section.blocks for raw in block.lines):
        return
    commented = _html_comment_lines(section)
    lines = [line for line in _section_lines(section) if line.number not in commented]
    for run in _runs(lines):
        yield from _run_cards(run, highlights)


def _run_cards(run: list[_Line], highlights: bool) -> Iterator[Finding]:
    """The plugin's reading of one run: single-line cards stand alone and restart the run;
    a `?`/`??` line makes the run a multi-line card; else a deletion makes it a cloze."""
    card: list[_Line] = []
    note_type = ""  # "", "multi", "multi-reversed" or "cloze"
    for line in run:
        if line.code:
            card.append(line)
            continue
        stripped = line.text.strip()
        # `::` is what a separator needs (most lines have none); `:::note` opens a container
        if "::" in stripped and not stripped.startswith(":::"):
            masked = _masked(stripped)
            if _SEPARATOR.search(masked) and not _PATH.search(masked):
                yield _single(line)
                card, note_type = [], ""
                continue
        card.append(line)
        if stripped == MULTI_LINE and not note_type.startswith("multi"):
            note_type = "multi"
        elif stripped == MULTI_LINE_REVERSED and not note_type.startswith("multi"):
            note_type = "multi-reversed"
        elif not note_type and is_cloze(stripped, highlights):
            note_type = "cloze"
    if note_type == "cloze":
        yield _cloze(card, highlights)
    elif note_type:
        yield _multi(card, note_type == "multi-reversed")


def _single(line: _Line) -> Finding:
    pair = explicit_pair(line.text)
    if pair is None:
        return Skip(line.number, "a `::` card needs text on both sides of the separator")
    question, answer, reverse = pair
    note_type = "reversed" if reverse else "basic"
    return Candidate(question, answer, line.number, KIND, line.number, note_type=note_type)


def _multi(card: list[_Line], reverse: bool) -> Finding:
    separator = MULTI_LINE_REVERSED if reverse else MULTI_LINE
    split = next(
        i for i, line in enumerate(card) if not line.code and line.text.strip() == separator
    )
    texts = _texts(card)
    question_lines = texts[:split]
    if question_lines:
        question_lines[0] = _FLASHCARD_TAG.sub("", question_lines[0].strip())
    question = "\n".join(question_lines).strip()
    answer = "\n".join(texts[split + 1 :]).strip()
    if not question or not answer:
        return Skip(card[split].number, f"a `{separator}` card needs a question and an answer")
    first = next(line.number for line in card if line.text.strip())
    return Candidate(
        question,
        answer,
        first,
        KIND,
        card[-1].number,
        note_type="reversed" if reverse else "basic",
    )


def _cloze(card: list[_Line], highlights: bool) -> Finding:
    lines = _texts(card)
    lines[0] = _FLASHCARD_TAG.sub("", lines[0].strip())
    text = cloze_text("\n".join(lines).strip(), highlights)
    return Candidate(
        cloze_shown(text), text, card[0].number, KIND, card[-1].number, note_type="cloze"
    )


def _texts(card: list[_Line]) -> list[str]:
    """The card's lines as Markdown: a card wholly inside a quote is read without its `>`s."""
    if all(line.quoted for line in card):
        return [line.text for line in card]
    return [line.raw for line in card]
