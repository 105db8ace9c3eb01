"""Locations, diagnostics and the one error type notedeck raises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import click

from .names import shown


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
        self.lines: tuple[str, ...] | None = None  # a message of many lines (`from_lines`)

    @classmethod
    def from_diagnostics(cls, diagnostics: Iterable[Diagnostic]) -> NotedeckError:
        """One error carrying every error line, sorted by place."""
        return cls.from_lines([str(d) for d in sorted(diagnostics) if d.severity == "error"])

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> NotedeckError:
        """One error of several lines (each a `path:line: message`)."""
        kept = tuple(lines)
        found = cls("\n".join(kept))
        found.lines = kept
        return found

    def format_message(self) -> str:
        # Any other message is one line: a path in it may hold a line end, or bytes that
        # are not UTF-8 (see names.py).
        if self.lines is not None:
            return "\n".join(shown(line) for line in self.lines)
        if self.location is None:
            return shown(self.message)
        return f"{self.location}: {shown(self.message)}"

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


class UsageProblem(NotedeckError):
    """Bad flags, a missing notes folder, an invalid config file: exit code 2."""

    exit_code = 2
