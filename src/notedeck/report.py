"""What a build did: cards added, changed, unchanged, renamed, moved, removed; warnings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic
from .identity import REMOVED_TAG, Planned

STATUSES = ("added", "changed", "unchanged", "renamed", "moved", "removed")
DETAIL_LINES = 10  # the text report stays short; --json has every card


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
        """Removed cards of earlier builds, still in the package (until --prune)."""
        return len(self.by_status("tombstone"))

    def summary(self) -> str:
        """One line for a person: where the package went and what changed."""
        counts = self.counts()
        cards = sum(v for k, v in counts.items() if k != "removed")
        parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
        where = ", ".join(str(p) for p in self.packages)
        text = f"{where}: {cards} cards from {self.notes_read} notes ({', '.join(parts) or 'none'})"
        if self.warnings:
            text += f", {len(self.warnings)} warnings"
        return text

    def details(self) -> list[str]:
        """A line per renamed, moved or removed card (at most DETAIL_LINES, then a count)."""
        lines = []
        for item in self.planned:
            if item.status == "renamed" and item.card is not None:
                lines.append(f"renamed: {item.previous_term} -> {item.card.term} ({item.source})")
            elif item.status == "moved" and item.card is not None:
                lines.append(f"moved: {item.card.term} to {item.source} (deck {item.deck})")
            elif item.status == "removed":
                lines.append(f"removed: {item.previous_term} (tagged {REMOVED_TAG})")
        if len(lines) > DETAIL_LINES:
            rest = len(lines) - DETAIL_LINES + 1
            lines[DETAIL_LINES - 1 :] = [f"… and {rest} more (see --json)"]
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
            "packages": [str(p) for p in self.packages],
            "notes_read": self.notes_read,
            "counts": {
                **self.counts(),
                "tombstones": self.tombstones,
                "import_updates": self.import_updates,
            },
            **{s: [entry(p) for p in self.by_status(s)] for s in STATUSES},
            "warnings": [str(w) for w in self.warnings],
            "errors": [str(e) for e in self.errors],
        }


def sort_warnings(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Warnings, sorted by place."""
    return sorted(d for d in diagnostics if d.severity == "warning")
