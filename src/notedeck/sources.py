"""Find note files under the paths the user named, read their bytes and decode them."""

from __future__ import annotations

import codecs
import errno
import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import Diagnostic, UsageProblem, error, warning
from .names import name_text
from .vault import Excludes, find_root, read_excludes, relative_name

NOTE_SUFFIXES = (".md", ".markdown")
# Folders that hold an editor's or a tool's own files, never notes.
IGNORED_DIRS = frozenset({".git", ".obsidian", ".trash", "node_modules", ".notedeck-cache"})


@dataclass(frozen=True)
class NoteFile:
    """A note file found on disk, before reading it."""

    path: Path  # as the user named it (joined with what was found below it)
    root: Path  # its notes root (vault.find_root): folders below it become parent decks

    @property
    def display(self) -> str:
        """The path as it is shown in messages."""
        return str(self.path)

    @functools.cached_property  # asked for each card of the note
    def relative(self) -> PurePosixPath:
        """The path below the notes root, with forward slashes, as text (`names.name_text`:
        what the card, its deck and the state file show of it)."""
        return PurePosixPath(name_text(str(relative_name(self.path, self.root))))

    @functools.cached_property
    def note_path(self) -> str:
        """The path below the notes root as the card shows it (see `note_path`)."""
        return _card_text(str(self.relative))


@dataclass(frozen=True)
class Source:
    """A decoded note: its text with line ends made `\\n`."""

    file: NoteFile
    text: str
    encoding: str


def note_path(path: Path, root: Path) -> str:
    """`path` below the notes root `root` as a card's Source field and the state file show it:
    forward slashes, bytes that are not UTF-8 as `\\xNN` (names.py), and control characters
    as U+FFFD (a file name may hold U+001F, Anki's field separator)."""
    return _card_text(name_text(str(relative_name(path, root))))


def _card_text(name: str) -> str:
    return CONTROL_CHARACTERS.sub("\ufffd", name)


def find_notes(paths: Iterable[Path]) -> tuple[list[NoteFile], list[Diagnostic]]:
    """Every note file below the given folders (and the given files), sorted, each once."""
    found: list[NoteFile] = []
    diagnostics: list[Diagnostic] = []
    linked: list[Path] = []  # note files that are symbolic links
    given_paths = list(paths)
    for given in given_paths:
        if given.is_dir():
            root = find_root(given)
            found.extend(_walk(given, root, _excludes(root), diagnostics, linked))
        elif given.is_file() and given.name.lower().endswith(NOTE_SUFFIXES):
            # A note named on its own is read even when an exclude covers it: it was asked for.
            found.append(NoteFile(given, find_root(given)))
        elif given.is_symlink():
            raise UsageProblem(f"{given}: {_link_problem(given, '') or 'symbolic link'}")
        elif given.is_file():
            raise UsageProblem(f"{given}: a file, not a notes folder or a Markdown note")
        elif os.path.lexists(given):
            raise UsageProblem(f"{given}: not a folder or a regular file")
        else:
            raise UsageProblem(f"{given}: no such notes folder or file")
    if len(given_paths) == 1 and given_paths[0].is_dir() and not linked:
        # One folder walked without following links: no file can be found twice, and
        # resolving 2,000 paths was a tenth of a rebuild.
        return sorted(found, key=lambda n: str(n.path)), diagnostics
    unique: dict[str, NoteFile] = {}
    for note in found:
        unique.setdefault(os.path.realpath(note.path), note)
    return sorted(unique.values(), key=lambda n: str(n.path)), diagnostics


def _excludes(root: Path) -> Excludes:
    """The excludes of a notes root (its notedeck.yaml is read again, validated, by extract)."""
    from .config import load_config_file  # config's validation needs nothing from here

    settings, _ = load_config_file(root)
    globs = settings.get("exclude")
    return read_excludes(root, globs if isinstance(globs, list) else ())


def _walk(
    given: Path,
    root: Path,
    excludes: Excludes,
    diagnostics: list[Diagnostic],
    linked: list[Path],
) -> Iterator[NoteFile]:
    """The notes below the folder `given` (in the notes root `root`), folder by folder as
    os.walk goes (top down, sorted by name), without what `excludes` leaves out.

    Walked with os.scandir rather than os.walk: a listing already tells which names are links,
    where asking each file again (lstat) was a tenth of finding 2,000 notes.
    """
    real_root = os.path.realpath(root)
    below = str(relative_name(given, root)) if excludes else ""
    below = "" if below == "." else below + "/"

    def visit(folder: str, inside: str) -> Iterator[NoteFile]:
        # `inside`: the folder below the notes root, with a closing `/` ("" at the root).
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            diagnostics.append(warning(str(exc.filename), 0, f"cannot read the folder: {reason}"))
            return
        dirs: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # a link to a folder counts as a folder, as in os.walk
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        walked = []
        for entry in dirs:
            if entry.name in IGNORED_DIRS or entry.name.startswith("."):
                continue
            if excludes and excludes.excluded(inside + entry.name, folder=True):
                continue
            # Folder links are never followed: a link to a parent folder would walk forever.
            if entry.is_symlink():
                child = str(Path(folder, entry.name))
                diagnostics.append(warning(child, 0, "symbolic link to a folder not followed"))
                continue
            walked.append((entry.path, inside + entry.name + "/"))
        for entry in files:
            name = entry.name
            if not name.lower().endswith(NOTE_SUFFIXES) or name.startswith("."):
                continue
            if excludes and excludes.excluded(inside + name):
                continue
            path = Path(folder, name)
            if entry.is_symlink():
                problem = _link_problem(path, real_root)
                if problem:
                    diagnostics.append(warning(str(path), 0, f"{problem} not followed"))
                    continue
                linked.append(path)
            yield NoteFile(path, root)
        for child_folder, child_inside in walked:
            yield from visit(child_folder, child_inside)

    yield from visit(str(given), below)


def _link_problem(path: Path, real_root: str) -> str:
    """What is wrong with following a file link: a loop, no target, a target outside the
    notes folder (`real_root`; "" allows any), a target that is no file; "" when it is fine."""
    try:
        os.stat(path)
    except OSError as exc:
        return "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"
    target = os.path.realpath(path)
    if real_root and not target.startswith(real_root + os.sep):
        return "symbolic link out of the notes folder"
    if not os.path.isfile(target):
        return "symbolic link to something other than a file"
    return ""


# Control characters other than tab, line feed and form feed: a NUL or U+001F (Anki's field
# separator) would break the package, an ESC would drive the terminal that prints a message.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_note_bytes(path: Path) -> bytes:
    """A note file's bytes; OSError for anything but a regular file (reading a FIFO or a
    device named x.md would wait forever or never end)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return path.read_bytes()


def read_source(
    note: NoteFile, content: bytes | None = None
) -> tuple[Source | None, list[Diagnostic]]:
    """Read and decode one note (its bytes are `content` when given: read already); an
    unreadable or binary file gives an error, not a Source."""
    shown = note.display
    try:
        raw = read_note_bytes(note.path) if content is None else content
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [error(shown, 1, f"cannot read the file: {reason}")]
    text, encoding, problem = decode(raw)
    if text is None:
        return None, [error(shown, problem[0], problem[1])]
    diagnostics = []
    if encoding in ("cp932",):
        diagnostics.append(warning(shown, 1, "read as Shift_JIS (cp932); save it as UTF-8"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = CONTROL_CHARACTERS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        first = ord(control.group())
        message = f"control characters replaced with U+FFFD (first: U+{first:04X})"
        diagnostics.append(warning(shown, line, message))
        text = CONTROL_CHARACTERS.sub("\ufffd", text)
    return Source(note, text, encoding), diagnostics


def decode(raw: bytes) -> tuple[str | None, str, tuple[int, str]]:
    """Text and encoding, or None and (line, what is wrong)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding, (0, "")
            except UnicodeDecodeError:
                return None, encoding, (1, f"not valid {encoding} despite its byte order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc
    else:
        if _looks_binary(raw, decoded=True):
            return None, "", (1, "binary file, not a Markdown note")
        return text, "utf-8", (0, "")
    if _looks_binary(raw, decoded=False):
        return None, "", (1, "binary file, not a Markdown note")
    try:
        return raw.decode("cp932"), "cp932", (0, "")
    except UnicodeDecodeError:
        pass
    line = raw.count(b"\n", 0, bad.start) + 1
    byte = raw[bad.start]
    return None, "", (line, f"cannot decode as UTF-8 (byte 0x{byte:02x}); save it as UTF-8")


def _looks_binary(raw: bytes, *, decoded: bool) -> bool:
    """Whether bytes are a binary file: many control bytes, or (when they are not even valid
    UTF-8) any NUL byte near the start."""
    head = raw[:8192]
    if not decoded and b"\x00" in head:
        return True
    controls = len(head.translate(None, _NOT_CONTROL))
    return controls * 10 > len(head)
