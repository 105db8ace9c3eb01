"""`notedeck watch`: rebuild whenever a note changes, print each report, keep going on errors.

A note is often invalid for a moment while it is being edited (a half-typed front matter);
the build error is printed as its usual `path:line: message` line and the next save builds
again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import watchfiles

from .build import BuildOptions, build
from .errors import NotedeckError, UsageProblem
from .report import Report

NOTE_SUFFIXES = (".md", ".markdown")
CONFIG_NAME = "notedeck.yaml"
DEBOUNCE_MS = 300  # an editor's save is often several writes; build once after them

Echo = Callable[..., None]


def is_note_change(change: watchfiles.Change, path: str) -> bool:
    """Whether a changed path can change the build: a note or the config file."""
    name = Path(path).name
    return name == CONFIG_NAME or (name.endswith(NOTE_SUFFIXES) and not name.startswith("."))


def rebuild(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None,
    echo: Echo,
    after: Callable[[Report], None] | None = None,
) -> Report | None:
    """Build once, print the report and hand it to `after` (watch --push); on errors in the
    notes print them and return None."""
    try:
        report = build(paths, options, overrides)
    except NotedeckError as exc:  # a bad config file too: it may be fixed while we watch
        echo(exc.format_message(), err=True)
        return None
    for diagnostic in report.warnings:
        echo(str(diagnostic), err=True)
    for line in report.text():
        echo(line)
    if after is not None:
        after(report)
    return report


def watch(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None = None,
    *,
    echo: Echo,
    stop_event: threading.Event | None = None,
    after: Callable[[Report], None] | None = None,
) -> None:
    """Build now, then again after every change to a note under `paths`, until interrupted
    (or `stop_event` is set); `after` gets each build's report."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageProblem(f"{missing[0]}: no such file or folder")
    rebuild(paths, options, overrides, echo, after)
    echo(f"watching {', '.join(str(p) for p in paths)} (Ctrl-C to stop)", err=True)
    for _ in watchfiles.watch(
        *paths,
        watch_filter=is_note_change,
        debounce=DEBOUNCE_MS,
        stop_event=stop_event,
        raise_interrupt=False,
    ):
        rebuild(paths, options, overrides, echo, after)
