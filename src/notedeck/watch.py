"""`notedeck watch`: rebuild whenever a note, a media file or a setting changes, print each
report under the time with only the warnings that are new, keep going on errors.

A note is often invalid for a moment while it is being edited (a half-typed front matter);
the build error is printed as its usual `path:line: message` line and the next save builds
again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import watchfiles

from .build import BuildOptions, build, notes_root
from .errors import NotedeckError, UsageProblem
from .render import MEDIA_SUFFIXES
from .report import Report
from .vault import CONFIG_NAME, OBSIDIAN_DIR

NOTE_SUFFIXES = (".md", ".markdown")
DEBOUNCE_MS = 300  # an editor's save is often several writes; build once after them
# Obsidian's settings that say what is left out (see vault.read_excludes).
OBSIDIAN_SETTINGS = frozenset({"app.json", "templates.json", "data.json"})
# Folders whose changes are notedeck's own writing or an editor's churn.
_OWN = frozenset({".notedeck", ".notedeck-cache", ".notedeck-media", ".git", ".trash"})

Echo = Callable[..., None]


def is_note_change(change: watchfiles.Change, path: str) -> bool:
    """Whether a changed path can change the build: a note, an image, sound or video a card
    may show, the config file or Obsidian's settings of what is left out."""
    parts = Path(path).parts
    name = parts[-1] if parts else ""
    if _OWN.intersection(parts):
        return False
    if OBSIDIAN_DIR in parts:
        return name in OBSIDIAN_SETTINGS
    if name.startswith("."):
        return False
    if change == watchfiles.Change.added and os.path.isdir(path):
        # Files made in a new folder before the watcher saw the folder send no event of
        # their own: a folder of images copied in is one change.
        return True
    lowered = name.lower()
    return name == CONFIG_NAME or lowered.endswith((*NOTE_SUFFIXES, *MEDIA_SUFFIXES))


def rebuild(
    paths: Sequence[Path],
    options: BuildOptions,
    overrides: dict[str, Any] | None,
    echo: Echo,
    shown: set[str] | None = None,
    after: Callable[[Report], None] | None = None,
) -> Report | None:
    """Build once, print the report under the time and hand it to `after` (watch --push);
    on errors in the notes print them and return None. With `shown` (the warnings printed
    before), only new warnings are printed, and `shown` becomes this build's."""
    stamp = time.strftime("%H:%M:%S")
    try:
        report = build(paths, options, overrides)
    except NotedeckError as exc:  # a bad config file too: it may be fixed while we watch
        echo(f"[{stamp}] build failed", err=True)
        echo(exc.format_message(), err=True)
        return None
    warnings = [str(d) for d in report.warnings]
    for warning in warnings:
        if shown is None or warning not in shown:
            echo(warning, err=True)
    if shown is not None:
        shown.clear()
        shown.update(warnings)
    for notice in report.notices:
        echo(notice, err=True)
    for index, line in enumerate(report.text()):
        echo(f"[{stamp}] {line}" if index == 0 else line)
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
    """Build now, then again after every change to a note, a media file or the settings under
    `paths` (and the notes root's notedeck.yaml), until Ctrl-C (or `stop_event` is set);
    `after` gets each build's report."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageProblem(f"{missing[0]}: no such file or folder")
    shown: set[str] = set()
    rebuild(paths, options, overrides, echo, shown, after)
    watched = [*paths]
    config = notes_root(paths) / CONFIG_NAME
    if config.is_file() and config not in watched:
        watched.append(config)  # a subfolder's build reads the root's settings too
    echo(f"watching {', '.join(str(p) for p in paths)} (Ctrl-C to stop)", err=True)
    try:
        for _ in watchfiles.watch(
            *watched,
            watch_filter=is_note_change,
            debounce=DEBOUNCE_MS,
            stop_event=stop_event,
            raise_interrupt=True,  # caught below: watchfiles' own message would be printed
        ):
            rebuild(paths, options, overrides, echo, shown, after)
    except KeyboardInterrupt:
        echo("stopped", err=True)
