"""notedeck: Markdown study notes -> Anki decks that update in place.

The pipeline is imported when it is first used, not with the package: `notedeck --help`
or `notedeck init` would otherwise import all of it (a hundred milliseconds and more).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, Location, NotedeckError

if TYPE_CHECKING:
    from .build import BuildOptions
    from .extract import Card
    from .report import Report

__version__ = "0.1.0"

# The names below that are the package's own functions as well as its submodules.
_FUNCTIONS = frozenset({"build", "extract"})
# The other public names, imported from their module when first asked for.
_LAZY = {"BuildOptions": "build", "Card": "extract", "Report": "report"}


def extract(paths: Iterable[str | Path]) -> list[Card]:
    """The cards in the notes under `paths`; raises NotedeckError if a note has errors."""
    from .extract import extract_paths

    result = extract_paths([Path(p) for p in paths])
    if result.errors:
        raise NotedeckError.from_diagnostics(result.errors)
    return result.cards


def build(paths: Iterable[str | Path], out: str | Path = "build", **flags: object) -> Report:
    """Build `.apkg` packages from the notes under `paths` into `out`."""
    from .build import BuildOptions
    from .build import build as build_notes

    options = BuildOptions(out=Path(out), **flags)  # type: ignore[arg-type]
    return build_notes([Path(p) for p in paths], options)


def __getattr__(name: str) -> Any:
    """`notedeck.BuildOptions`, `notedeck.Card` and `notedeck.Report`, imported on first use."""
    if name in _LAZY:
        module = __import__(f"{__name__}.{_LAZY[name]}", fromlist=[name])
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Package(types.ModuleType):
    """The package module, whose `build` and `extract` stay the functions above.

    Importing a submodule sets it as an attribute of its package; `notedeck.build` and
    `notedeck.extract` are imported after this file now, so they would replace the
    functions of the same name (when the package imported them first, the functions,
    defined after, replaced the modules).
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
