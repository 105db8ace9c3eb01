"""Helpers of the hostile-input tests: a notes folder with a bad case in it, a build of it
through the CLI, and the checks every case makes (DESIGN §7): the exact message lines, no
traceback, every note file byte-identical, and `build/` holding the complete new package or,
byte for byte, the previous one."""

from __future__ import annotations

import html.parser
import json
import os
import re
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import Result

from tests.conftest import FIXTURES, run_cli

HOSTILE = FIXTURES / "hostile"
GOOD = (HOSTILE / "good.md").read_bytes()
GOOD_TERM = "Listener"
STATE = ".notedeck/state.json"  # in the notes folder, the notes root of these builds


def made_up_word(number: int) -> str:
    """A term of one syllable a digit (0 is Ka, 10 is Rika), for notes of many cards: a
    heading such as `Term 10`, ending in a digit, reads as no term to the scorer."""
    syllables = ("ka", "ri", "to", "mu", "se", "no", "ha", "ve", "lo", "zu")
    return "".join(syllables[int(digit)] for digit in str(number)).capitalize()


def notes_snapshot(folder: Path) -> dict[str, bytes]:
    """The notes below `folder`: everything but notedeck's own `.notedeck/` (its state)."""
    return {k: v for k, v in snapshot(folder).items() if k.split(os.sep)[0] != ".notedeck"}


def output_snapshot(tmp_path: Path) -> dict[str, bytes]:
    """What a build of `notes/` into `build/` writes: build/ and the state file."""
    found = snapshot(tmp_path / "build")
    state = tmp_path / "notes" / STATE
    if state.is_file():
        found[STATE] = state.read_bytes()
    return found


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry below `folder` (links not followed): files by content, links by target,
    folders and other entries by kind."""
    found: dict[str, bytes] = {}
    if not folder.exists():
        return found
    for current, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(current, name)
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = b"link -> " + os.readlink(path).encode()
            elif path.is_file():
                found[key] = path.read_bytes()
            else:
                found[key] = b"<not a regular file>" if not path.is_dir() else b"<folder>"
    return found


def package_notes(apkg: Path) -> list[dict[str, object]]:
    """The notes of a package as Anki would read them: fields, tags, deck names."""
    with zipfile.ZipFile(apkg) as archive:
        names = set(archive.namelist())
        assert "collection.anki2" in names, names
        database = apkg.parent / f".{apkg.name}.read.anki2"
        database.write_bytes(archive.read("collection.anki2"))
        media = json.loads(archive.read("media"))
    try:
        connection = sqlite3.connect(database)
        decks = json.loads(connection.execute("select decks from col").fetchone()[0])
        deck_names = {int(k): v["name"] for k, v in decks.items()}
        card_decks = dict(connection.execute("select nid, did from cards").fetchall())
        rows = connection.execute("select id, guid, flds, tags from notes").fetchall()
        connection.close()
    finally:
        database.unlink()
    return [
        {
            "guid": guid,
            "fields": flds.split("\x1f"),
            "tags": tags.split(),
            "deck": deck_names[card_decks[note_id]],
            "media": media,
        }
        for note_id, guid, flds, tags in rows
    ]


def terms(notes: list[dict[str, object]]) -> list[str]:
    """The first field of each note, sorted."""
    return sorted(str(n["fields"][0]) for n in notes)  # type: ignore[index]


@dataclass
class Outcome:
    """A build of a notes folder that holds a hostile case."""

    result: Result
    stderr: list[str]  # the lines the user sees on stderr
    before: dict[str, bytes]  # build/ before the build under test
    after: dict[str, bytes]
    folder: Path

    @property
    def package(self) -> Path:
        """The package a build of `notes/` writes."""
        return self.folder / "build" / "notes.apkg"

    @property
    def notes(self) -> list[dict[str, object]]:
        """The notes of that package."""
        return package_notes(self.package)


def build_case(
    tmp_path: Path,
    case: dict[str, bytes] | Callable[[Path], None],
    *args: str,
    previous: bool = True,
) -> Outcome:
    """Build `notes/` (good.md and the case) into `build/` through the CLI, after a first
    build of good.md alone (unless `previous` is False), and check what every case must
    hold: no traceback, no note file changed, `build/` the previous build or a complete
    new one."""
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "good.md").write_bytes(GOOD)
    if previous:
        first = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
        assert first.exit_code == 0, first.output
    before = output_snapshot(tmp_path)
    if callable(case):
        case(notes)
    else:
        for name, content in case.items():
            path = notes / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    notes_before = notes_snapshot(notes)
    result = run_cli("build", "notes", "-o", "build", *args, cwd=tmp_path)
    after = output_snapshot(tmp_path)
    assert_no_traceback(result.output)
    assert notes_snapshot(notes) == notes_before, "a note file changed"
    assert_previous_or_complete(tmp_path / "build", before, after)
    return Outcome(result, result.stderr.splitlines(), before, after, tmp_path)


def assert_no_traceback(output: str) -> None:
    """No Python traceback leaked into what the user sees."""
    assert "Traceback" not in output, output
    assert 'File "' not in output, output


# What a finished build leaves in its output folder; anything else is a stray temporary file.
def _expected_output(name: str) -> bool:
    top = name.split(os.sep)[0]
    return name.endswith(".apkg") or name == STATE or top in (".notedeck-media", ".notedeck-cache")


def assert_previous_or_complete(
    build: Path, before: dict[str, bytes], after: dict[str, bytes]
) -> None:
    """`build/` is byte-identical to before (a failed build), or holds complete packages
    whose every note the state file knows, and no temporary file (a finished build)."""
    if after == before:
        return
    stray = [name for name in after if not _expected_output(name)]
    assert not stray, stray
    packages = sorted(build.glob("*.apkg"))
    assert packages, after
    state = json.loads((build.parent / "notes" / STATE).read_text(encoding="utf-8"))
    for package in packages:
        notes = package_notes(package)
        assert notes, package
        assert {n["guid"] for n in notes} <= set(state["notes"])
        for note in notes:
            assert len(note["fields"]) == 4, note  # type: ignore[arg-type]


class _Markup(html.parser.HTMLParser):
    """Collects the tags and attributes of a field's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


UNSAFE_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "base"}


def unsafe_parts(field: str) -> list[str]:
    """What in a field could run code: unsafe tags, event handlers, script URLs, styles."""
    markup = _Markup()
    markup.feed(field)
    found = [f"<{t}>" for t in markup.tags if t in UNSAFE_TAGS]
    for name, value in markup.attributes:
        scheme = "".join(value.split()).lower().split(":")[0] if ":" in value else ""
        if name.startswith("on"):
            found.append(name)
        elif name == "style" and not re.fullmatch(r"\s*(text-align:\s*[a-z]+;?\s*)?", value):
            found.append(f"style={value}")  # table alignment is the only style allowed
        elif name in ("href", "src", "action", "formaction") and scheme in (
            "javascript",
            "vbscript",
            "data",
        ):
            found.append(f"{name}={value}")
    if "<script" in field.lower():
        found.append("<script")
    return found
