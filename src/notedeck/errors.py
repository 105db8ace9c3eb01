"""Locations, diagnostics and the one error type notedeck raises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import click

from .names import name_text, shown


@dataclass(frozen=True, order=True)
class Location:
    """A place in a note: the path as the user named it and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        path = shown(self.path)  # one line, whatever bytes the file name holds
        return f"{path}:{self.line}" if self.line else path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One message about one place, printed as `path:line: message`."""

    location: Location
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.message}"


def warning(path: str, line: int, message: str) -> Diagnostic:
    """A diagnostic that does not stop the build."""
    return Diagnostic(Location(path, line), message, "warning")


def error(path: str, line: int, message: str) -> Diagnostic:
    """A diagnostic that stops the build before anything is written."""
    return Diagnostic(Location(path, line), message, "error")


class NotedeckError(click.ClickException):
    """A problem with the user's input, shown as `path:line: message` lines, never a traceback."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.location = location

    @classmethod
    def from_diagnostics(cls, diagnostics: Iterable[Diagnostic]) -> NotedeckError:
        """One error carrying every error line, sorted by place."""
        lines = [str(d) for d in sorted(diagnostics) if d.severity == "error"]
        return cls("\n".join(lines))

    def format_message(self) -> str:
        # A path in the message may hold bytes that are not UTF-8 (see names.py).
        if self.location is None:
            return name_text(self.message)
        return f"{self.location}: {name_text(self.message)}"

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


class UsageProblem(NotedeckError):
    """Bad flags, a missing notes folder, an invalid config file: exit code 2."""

    exit_code = 2
