"""The notes root and what it leaves out: one root whether a build names a vault, a folder
in it or one note, and the excludes of `notedeck.yaml` and of Obsidian's own settings.

The root is what every relative name is counted from (decks, the path a card shows, the
state file's place), so building `vault/English/biology/genetics.md` alone gives its cards
the decks and GUIDs that building `vault/` gives them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CONFIG_NAME = "notedeck.yaml"  # config.CONFIG_NAME; said here too, config imports sources
OBSIDIAN_DIR = ".obsidian"
# Where Templater keeps its settings, and the key naming its templates folder.
TEMPLATER_SETTINGS = Path(OBSIDIAN_DIR, "plugins", "templater-obsidian", "data.json")


def find_root(given: Path) -> Path:
    """The notes root of a folder or note: the nearest folder upward (from the folder itself,
    or the note's folder) holding notedeck.yaml or .obsidian/, else that folder."""
    start = given if given.is_dir() else given.parent
    absolute = Path(os.path.abspath(start))
    for folder in (absolute, *absolute.parents):
        if (folder / CONFIG_NAME).is_file() or (folder / OBSIDIAN_DIR).is_dir():
            if folder == absolute:
                return start  # as the user named it: messages then show the paths they typed
            return _as_named(start, absolute, folder)
    return start


def _as_named(start: Path, absolute: Path, root: Path) -> Path:
    """`root` written the way `start` was: relative when `start` is and `root` is one of
    its own parents as written (`notes` for `notes/English`), else absolute."""
    depth = len(absolute.parts) - len(root.parts)
    if not start.is_absolute() and depth <= len(start.parts) and ".." not in start.parts:
        named = Path(*start.parts[: len(start.parts) - depth]) if depth < len(start.parts) else None
        return named if named is not None else Path(".")
    return root


def relative_name(path: Path, root: Path) -> PurePosixPath:
    """`path` below `root`, with forward slashes, however each was written."""
    try:
        return PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        return PurePosixPath(
            Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
        )


@functools.lru_cache(maxsize=1 << 12)  # asked once per note, the same root for all
def note_link(setting: str | None, root: Path, note_path: str) -> str:
    """The link from a card back to its note, with `{line}` left for the card's line; ''
    for none. `setting` is the `link` setting: unset means obsidian:// in an Obsidian vault
    (the root holds .obsidian/) and no link elsewhere."""
    if setting is None:
        setting = "obsidian" if (root / OBSIDIAN_DIR).is_dir() else "none"
    if setting == "none":
        return ""
    vault_name = Path(os.path.abspath(root)).name
    if setting == "obsidian":
        quote = functools.partial(urllib.parse.quote, safe="")  # `/` too, as Obsidian writes it
        return f"obsidian://open?vault={quote(vault_name)}&file={quote(note_path)}"
    path = urllib.parse.quote(note_path, safe="/")
    # `{line}` stays for the caller; a template without it puts no line number in a field.
    return setting.replace("{path}", path).replace("{vault}", urllib.parse.quote(vault_name))


@dataclass(frozen=True)
class Excludes:
    """What a notes root leaves out: `exclude:` globs and Obsidian's settings."""

    globs: tuple[str, ...] = ()  # notedeck.yaml `exclude:`, gitignore-like
    prefixes: tuple[str, ...] = ()  # Obsidian: templates folders, "Excluded files"
    patterns: tuple[re.Pattern[str], ...] = ()  # Obsidian's `/regex/` excluded files

    def __bool__(self) -> bool:
        return bool(self.globs or self.prefixes or self.patterns)

    def excluded(self, relative: str, folder: bool = False) -> str:
        """The setting that leaves out `relative` (a path below the root), or ''."""
        shown = relative + "/" if folder else relative
        for glob in self.globs:
            matches = _glob_regex(glob).match
            if matches(relative) or (folder and matches(shown)):
                return f"exclude: {glob}"
        for prefix in self.prefixes:
            if shown.startswith(prefix):
                return f"Obsidian: {prefix}"
        for pattern in self.patterns:
            if pattern.search(shown):
                return f"Obsidian: /{pattern.pattern}/"
        return ""


def read_excludes(root: Path, globs: Iterable[str] = ()) -> Excludes:
    """The excludes of a notes root: `globs` from its notedeck.yaml, and when it is an
    Obsidian vault, its templates folder, Templater's folder and its "Excluded files"."""
    prefixes: list[str] = []
    patterns: list[re.Pattern[str]] = []
    obsidian = root / OBSIDIAN_DIR
    if obsidian.is_dir():
        for settings, key in (
            (obsidian / "templates.json", "folder"),
            (root / TEMPLATER_SETTINGS, "templates_folder"),
        ):
            folder = _json_value(settings, key)
            if isinstance(folder, str) and folder.strip("/ "):
                prefixes.append(folder.strip("/ ") + "/")
        filters = _json_value(obsidian / "app.json", "userIgnoreFilters")
        for entry in filters if isinstance(filters, list) else []:
            if not isinstance(entry, str) or not entry.strip():
                continue
            text = entry.strip()
            if len(text) > 2 and text.startswith("/") and text.endswith("/"):
                try:
                    patterns.append(re.compile(text[1:-1]))
                except re.error:
                    continue  # Obsidian ignores a filter it cannot read too
            else:
                prefixes.append(text.lstrip("/"))
    return Excludes(tuple(globs), tuple(dict.fromkeys(prefixes)), tuple(patterns))


def _json_value(path: Path, key: str) -> object:
    """One key of a JSON settings file; None when the file is missing or unreadable (an
    editor's own settings are no reason to stop a build)."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded.get(key) if isinstance(loaded, dict) else None


@functools.lru_cache(maxsize=256)
def _glob_regex(glob: str) -> re.Pattern[str]:
    """A glob as gitignore reads it: `*` within a name, `**` across folders; a glob without
    `/` matches a name at any depth; a folder's glob covers what is below it."""
    text = glob.strip()
    anchored = "/" in text.rstrip("/")
    text = text.strip("/")
    out = []
    index = 0
    while index < len(text):
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            out.append(".*")
            index += 2
        elif text[index] == "*":
            out.append("[^/]*")
            index += 1
        elif text[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(text[index]))
            index += 1
    lead = "" if anchored else "(?:.*/)?"
    return re.compile(f"{lead}{''.join(out)}(?:/.*)?$")
