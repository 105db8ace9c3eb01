"""What a build did: cards added, changed, unchanged, renamed, moved, removed; warnings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic
from .identity import REMOVED_TAG, Planned
from .names import shown

STATUSES = ("added", "changed", "unchanged", "renamed", "moved", "removed")
# The statuses the text report names card by card (unchanged cards are only counted: they
# are what a rebuild did not touch), and how many names one line shows.
NAMED_STATUSES = ("added", "changed", "renamed", "moved", "removed")
NAMES_PER_LINE = 5


def plural(count: int, word: str) -> str:
    """`1 card`, `2 cards`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class Report:
    """The outcome of one build."""

    packages: list[Path] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # Errors in notes left out of a --keep-going build (any other build stops on them).
    errors: list[Diagnostic] = field(default_factory=list)
    notes_read: int = 0
    notices: list[str] = field(default_factory=list)  # what a person should know, not warnings

    def by_status(self, status: str) -> list[Planned]:
        """The notes of the package with that status."""
        return [p for p in self.planned if p.status == status]

    def counts(self) -> dict[str, int]:
        """How many notes had each status."""
        return {status: len(self.by_status(status)) for status in STATUSES}

    @property
    def import_updates(self) -> int:
        """How many notes an import of this package updates in a collection that holds the
        previous build: the ones whose content changed, renamed and moved cards whose fields
        changed, and new tombstones (their tag changed)."""
        return sum(1 for p in self.planned if p.updates_anki)

    @property
    def tombstones(self) -> int:
        """Removed cards in the package, tagged notedeck::removed: removed in this build or
        in an earlier one (until --prune)."""
        return len(self.by_status("removed")) + len(self.by_status("tombstone"))

    @property
    def left_out(self) -> list[str]:
        """The notes a --keep-going build left out for their errors."""
        return sorted({shown(e.location.path) for e in self.errors})

    def summary(self) -> str:
        """One line for a person: where the package went and what changed."""
        counts = self.counts()
        cards = sum(v for k, v in counts.items() if k != "removed")
        parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
        where = ", ".join(shown(str(p)) for p in self.packages)
        text = (
            f"{where}: {plural(cards, 'card')} from {plural(self.notes_read, 'note')} "
            f"({', '.join(parts) or 'none'})"
        )
        if self.warnings:
            text += f", {plural(len(self.warnings), 'warning')}"
        return text

    def details(self) -> list[str]:
        """A line per status that changed something, naming its first cards and counting
        them all (`--json` lists every one), then the notes left out."""
        lines = []
        for status in NAMED_STATUSES:
            items = self.by_status(status)
            if not items:
                continue
            names = [_name(item) for item in items[:NAMES_PER_LINE]]
            rest = len(items) - len(names)
            text = f"{status} ({len(items)}): {', '.join(names)}"
            if rest:
                text += f", … and {rest} more"
            if status == "removed":
                text += f" (tagged {REMOVED_TAG})"
            lines.append(text)
        if self.left_out:
            lines.append(f"left out for their errors: {', '.join(self.left_out)}")
        return lines

    def text(self) -> list[str]:
        """The report as printed: the summary line, then the details indented."""
        return [self.summary(), *("  " + line for line in self.details())]

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object: a list of cards per status, counts and warnings."""

        def entry(item: Planned) -> dict[str, Any]:
            card = item.card
            found: dict[str, Any] = {
                "guid": item.guid,
                "term": card.term if card else item.previous_term,
                "deck": item.deck,
                "source": item.source,
            }
            if card is not None and item.previous_term:
                found["previous_term"] = item.previous_term
            return found

        return {
            "packages": [shown(str(p)) for p in self.packages],
            "notes_read": self.notes_read,
            "counts": {
                **self.counts(),
                "tombstones": self.tombstones,
                "import_updates": self.import_updates,
            },
            **{s: [entry(p) for p in self.by_status(s)] for s in STATUSES},
            "warnings": [str(w) for w in self.warnings],
            "errors": [str(e) for e in self.errors],
            "left_out": self.left_out,
        }


def _name(item: Planned) -> str:
    """How the text report names a card: its term on one line, cut short; a renamed card
    with its old term, a moved one with its new deck."""

    def short(term: str) -> str:
        term = " ".join(term.split())
        return term if len(term) <= 40 else term[:39] + "…"

    term = short(item.card.term if item.card is not None else item.previous_term)
    if item.status == "renamed":
        return f"{short(item.previous_term)} -> {term}"
    if item.status == "moved":
        return f"{term} (to {item.deck})"
    return term


def sort_warnings(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Warnings, sorted by place."""
    return sorted(d for d in diagnostics if d.severity == "warning")
