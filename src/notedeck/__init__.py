"""notedeck: Markdown study notes -> Anki decks that update in place."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .build import BuildOptions
from .build import build as _build
from .errors import Diagnostic, Location, NotedeckError
from .extract import Card, extract_paths
from .report import Report

__version__ = "0.1.0"


def extract(paths: Iterable[str | Path]) -> list[Card]:
    """The cards in the notes under `paths`; raises NotedeckError if a note has errors."""
    result = extract_paths([Path(p) for p in paths])
    if result.errors:
        raise NotedeckError.from_diagnostics(result.errors)
    return result.cards


def build(paths: Iterable[str | Path], out: str | Path = "build", **flags: object) -> Report:
    """Build `.apkg` packages from the notes under `paths` into `out`."""
    options = BuildOptions(out=Path(out), **flags)  # type: ignore[arg-type]
    return _build([Path(p) for p in paths], options)


__all__ = [
    "BuildOptions",
    "Card",
    "Diagnostic",
    "Location",
    "NotedeckError",
    "Report",
    "__version__",
    "build",
    "extract",
]
