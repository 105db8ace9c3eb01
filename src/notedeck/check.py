"""`notedeck check`: what extraction decided, grouped per note, for a person or for a tool.

Built from `Extraction.decisions` (cards, skips, duplicates) and its diagnostics (warnings,
errors); nothing here decides anything about the notes themselves.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import click

from .extract import Card, Extraction
from .names import shown
from .report import plural

# The order of verdicts on one line, and of the counts in the summary.
VERDICTS = ("error", "warning", "card", "duplicate", "skip")
_COLOURS: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow", "bold": True},
    "card": {"fg": "green"},
    "duplicate": {"fg": "magenta"},
    "skip": {"fg": "yellow"},
}
_ARROW = " → "


@dataclass(frozen=True)
class Entry:
    """One line of the check of a note."""

    line: int
    verdict: str  # one of VERDICTS
    message: str
    kind: str = ""  # the rule that found the card ("heading", "colon"…), for cards and duplicates
    card: Card | None = None  # the card itself, for verdict "card"


@dataclass(frozen=True)
class NoteCheck:
    """Everything said about one note, in line order."""

    path: str
    entries: tuple[Entry, ...]

    def count(self, verdict: str) -> int:
        """How many entries have that verdict."""
        return sum(1 for e in self.entries if e.verdict == verdict)


def check_notes(extraction: Extraction, note_paths: Sequence[str] = ()) -> list[NoteCheck]:
    """The extraction grouped per note: every path in `note_paths` (so a note with nothing
    in it still shows), then any other path a decision or diagnostic names."""
    grouped: dict[str, list[Entry]] = {path: [] for path in note_paths}
    for entry_path, entry in _entries(extraction):
        grouped.setdefault(entry_path, []).append(entry)
    return [
        NoteCheck(path, tuple(sorted(entries, key=_entry_order)))
        for path, entries in grouped.items()
    ]


def _entries(extraction: Extraction) -> Iterator[tuple[str, Entry]]:
    cards = _cards_by_place(extraction.cards)
    for diagnostic in extraction.diagnostics:
        where = diagnostic.location
        yield where.path, Entry(where.line, diagnostic.severity, diagnostic.message)
    for decision in extraction.decisions:
        where = decision.location
        card = None
        if decision.verdict == "card":
            card = _card_of(cards.get((where.path, where.line), []), decision.message)
        yield where.path, Entry(where.line, decision.verdict, decision.message, decision.kind, card)


def _cards_by_place(cards: Iterable[Card]) -> dict[tuple[str, int], list[Card]]:
    places: dict[tuple[str, int], list[Card]] = {}
    for card in cards:
        places.setdefault((card.location.path, card.location.line), []).append(card)
    return places


def _card_of(candidates: list[Card], message: str) -> Card | None:
    """The card a "card" decision is about: the one on its line whose term opens the message."""
    for card in candidates:
        if message.startswith(card.term + _ARROW):
            return card
    return candidates[0] if len(candidates) == 1 else None


def _entry_order(entry: Entry) -> tuple[int, int, str]:
    rank = VERDICTS.index(entry.verdict) if entry.verdict in VERDICTS else len(VERDICTS)
    return entry.line, rank, entry.message


def totals(notes: Sequence[NoteCheck]) -> dict[str, int]:
    """Notes read and entries of each verdict, over every note."""
    counts = {"notes": len(notes)}
    for verdict in VERDICTS:
        counts[verdict] = sum(note.count(verdict) for note in notes)
    return counts


def summary(notes: Sequence[NoteCheck]) -> str:
    """One closing line: `19 cards in 9 notes, 6 skipped, 0 duplicates, 0 warnings, 0 errors`."""
    counts = totals(notes)
    return (
        f"{plural(counts['card'], 'card')} in {plural(counts['notes'], 'note')}, "
        f"{counts['skip']} skipped, {plural(counts['duplicate'], 'duplicate')}, "
        f"{plural(counts['warning'], 'warning')}, {plural(counts['error'], 'error')}"
    )


def text_lines(notes: Sequence[NoteCheck]) -> Iterator[str]:
    """The check for a person: a header per note, then `line  verdict  message` lines.

    Styled with click.style; click.echo drops the styles when the output is not a terminal.
    """
    width = max((len(str(e.line)) for n in notes for e in n.entries), default=1)
    for note in notes:
        yield click.style(shown(note.path), bold=True)
        if not note.entries:
            yield "  " + click.style("no cards: nothing here looks like a term", dim=True)
        for entry in note.entries:
            verdict = click.style(f"{entry.verdict:<9}", **_COLOURS.get(entry.verdict, {}))
            yield f"  {entry.line:>{width}}  {verdict}  {_describe(entry)}"


def _describe(entry: Entry) -> str:
    if entry.verdict != "card" or _ARROW not in entry.message:
        return entry.message
    term, definition = entry.message.split(_ARROW, 1)
    if entry.card is not None:
        term, definition = entry.card.term, entry.card.definition
    text = f"{click.style(term, bold=True)}{_ARROW}{_first_words(definition)}"
    if entry.kind:
        text += "  " + click.style(f"({entry.kind})", dim=True)
    return text


def _first_words(text: str, columns: int = 50) -> str:
    """The opening of a definition on one line: its first line, cut to about `columns` wide
    on a terminal (a CJK character takes two) after a word where there are spaces; `…` marks
    that more follows."""
    lines = [line for line in text.strip().split("\n") if line.strip()]
    first = " ".join(lines[0].split()) if lines else ""
    used = 0
    for index, char in enumerate(first):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > columns:
            cut = first[:index]
            if " " in cut[len(cut) // 2 :]:
                cut = cut[: cut.rindex(" ")]
            return cut.rstrip(" ,、。.;:") + "…"
    return first + ("…" if len(lines) > 1 else "")


def as_json(notes: Sequence[NoteCheck]) -> dict[str, Any]:
    """The check for a tool: every note with its entries, and the totals."""
    return {
        "notes": [
            {
                "path": shown(note.path),
                "entries": [_entry_json(shown(note.path), e) for e in note.entries],
            }
            for note in notes
        ],
        "totals": totals(notes),
    }


def _entry_json(path: str, entry: Entry) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "source": f"{path}:{entry.line}",
        "line": entry.line,
        "verdict": entry.verdict,
        "message": entry.message,
    }
    if entry.kind:
        fields["kind"] = entry.kind
    if entry.card is not None:
        fields["term"] = entry.card.term
        fields["definition"] = entry.card.definition
        fields["topic"] = list(entry.card.topic)
        fields["deck"] = entry.card.deck
    return fields


__all__ = ["Entry", "NoteCheck", "as_json", "check_notes", "summary", "text_lines", "totals"]
