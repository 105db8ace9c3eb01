"""Faults around names, processes and size (issue 18, items 7-9 and large inputs): file names
that are not UTF-8, workers whose parent was killed, temporary files a crash left behind, and
a note so large that only work in proportion to its size keeps a build usable.

Every build here is the real command in a child process, on real files: its output is bytes
as a terminal gets them, and a kill is a real SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.hostile_helpers import GOOD, package_notes

FAULTS = FIXTURES / "faults"


def notedeck(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """`notedeck ARGS` in a child process, its output as the bytes it wrote."""
    return subprocess.run(
        [sys.executable, "-m", "notedeck", *args], cwd=cwd, capture_output=True, timeout=300
    )


def lines(output: bytes) -> list[str]:
    """What a terminal shows: the output must be UTF-8, and has no traceback."""
    text = output.decode("utf-8")  # strict: a lone surrogate written out would fail here
    assert "Traceback" not in text, text
    return text.splitlines()


# Item 7: names as bytes.


def _name(raw: bytes) -> str:
    """A file name as Python holds it: bytes that are not UTF-8 as lone surrogates."""
    return os.fsdecode(raw)


NAMES_CASE = {
    b"caf\xe9.md": GOOD,  # Latin-1, not UTF-8
    b"d\xff/x.md": GOOD,  # a folder whose name is not UTF-8
    b"new\nline.md": GOOD,
    b"t.md": (FAULTS / "surrogate-title.md").read_bytes(),
}


def _write(notes: Path, case: dict[bytes, bytes]) -> None:
    for raw, content in case.items():
        path = notes / _name(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def test_names_that_are_not_utf8_build_show_escaped_and_keep_their_guids(tmp_path: Path) -> None:
    """A note named `caf\\xe9.md` (Latin-1), one in a folder `d\\xff/`, one named with a line
    end and one whose front matter title is a lone surrogate build without a traceback: each
    name is shown with `\\xNN` for its bytes that are not UTF-8, on the cards and in the
    decks; the surrogate becomes U+FFFD with one warning. A rebuild, and a build of a copy of
    the folder elsewhere, give the same GUIDs (they are made of the names' bytes)."""
    notes = tmp_path / "notes"
    _write(notes, NAMES_CASE)
    first = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert lines(first.stderr) == [
        "notes/t.md:2: warning: front matter holds a lone surrogate (U+DCFF), not a character;"
        " replaced with U+FFFD"
    ]
    assert lines(first.stdout)[0].startswith("build/notes.apkg: 4 cards from 4 notes (4 added)")
    written = package_notes(tmp_path / "build" / "notes.apkg")
    by_deck = {str(n["deck"]): n for n in written}
    assert sorted(by_deck) == ["A\ufffdB", "caf\\xe9", "d\\xff::x", "new line"]
    assert by_deck["caf\\xe9"]["fields"][3] == "caf\\xe9.md › Listener"  # type: ignore[index]
    assert by_deck["d\\xff::x"]["fields"][3] == "d\\xff/x.md › Listener"  # type: ignore[index]
    assert by_deck["A\ufffdB"]["tags"] == ["x\ufffdy", "x\ufffdy::Health_check"]
    state = json.loads((notes / ".notedeck" / "state.json").read_text(encoding="utf-8"))
    assert sorted(e["note_path"] for e in state["notes"].values()) == [
        "caf\\xe9.md",
        "d\\xff/x.md",
        "new\nline.md",
        "t.md",
    ]
    guids = {deck: note["guid"] for deck, note in by_deck.items()}

    again = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "(4 unchanged)" in lines(again.stdout)[0]

    elsewhere = tmp_path / "copy"
    _write(elsewhere / "notes", NAMES_CASE)
    copy = notedeck("build", "notes", "-o", "build", "--json", cwd=elsewhere)
    assert copy.returncode == 0, copy.stderr
    report = json.loads(copy.stdout.decode("utf-8"))
    assert {item["deck"]: item["guid"] for item in report["added"]} == guids
    assert sorted(item["source"] for item in report["added"]) == [
        "notes/caf\\xe9.md:1",
        "notes/d\\xff/x.md:1",
        "notes/new\\nline.md:1",  # one line: the report names it so
        "notes/t.md:6",
    ]


def test_a_message_about_a_file_name_with_a_line_end_is_one_line(tmp_path: Path) -> None:
    """The errors about notes whose names hold a line end, an escape character and bytes
    that are not UTF-8 are one line each, naming the file with escapes; `check` shows the
    same names; nothing is written."""
    notes = tmp_path / "notes"
    _write(
        notes,
        {
            b"good.md": GOOD,
            b"bad\xe9\nname.md": b"\x00\x01\x02\x03 binary\n",
            b"d\xff/y\x1b[31m.md": b"---\ntitle: [\n---\n",
        },
    )
    result = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.returncode == 1
    assert lines(result.stderr) == [
        "notes/bad\\xe9\\nname.md:1: binary file, not a Markdown note",
        "notes/d\\xff/y\\x1b[31m.md:3: front matter is not valid YAML: expected the node content,"
        " but found '<stream end>' (not a note? leave it out with `exclude:` in notedeck.yaml)",
    ]
    assert not (tmp_path / "build" / "notes.apkg").exists()
    kept = notedeck("build", "notes", "-o", "build", "--keep-going", cwd=tmp_path)
    assert kept.returncode == 1
    assert lines(kept.stdout)[-1] == (
        "  left out for their errors: notes/bad\\xe9\\nname.md, notes/d\\xff/y\\x1b[31m.md"
    )
    check = notedeck("check", "notes", cwd=tmp_path)
    headers = [line for line in lines(check.stdout) if line.startswith("notes/")]
    assert "notes/bad\\xe9\\nname.md" in headers


def test_cards_from_names_that_are_not_utf8_import_into_anki(tmp_path: Path) -> None:
    """The package of those notes imports into a real Anki collection: every note new, the
    decks Anki shows are the decks the package names."""
    anki_helpers = pytest.importorskip("tests.anki_helpers")
    _write(tmp_path / "notes", NAMES_CASE)
    result = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    package = tmp_path / "build" / "notes.apkg"
    with anki_helpers.collection(tmp_path) as col:
        log = anki_helpers.import_package(col, package)
        assert (log.new, log.updated, log.duplicate, log.conflicting) == (4, 0, 0, 0)
        stored = anki_helpers.notes(col)
    assert sorted(d for n in stored for d in n["decks"]) == [
        "A\ufffdB",
        "caf\\xe9",
        "d\\xff::x",
        "new line",
    ]
    assert {n["fields"]["Source"] for n in stored} >= {
        "caf\\xe9.md › Listener",
        "d\\xff/x.md › Listener",
    }
