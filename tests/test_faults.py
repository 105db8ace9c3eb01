"""Faults around the build (issue #18, items 1 to 6): two builds at once, a full disk, a FIFO
or bad values where the state and cache should be, a state file that cannot be read, and a
sync killed half-way. Each on real files, real processes and a real Anki collection."""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from notedeck import locks
from notedeck.build import BuildOptions
from notedeck.cache import CACHE_DIR, CACHE_FILE, JOURNAL_FILE
from notedeck.errors import NotedeckError
from notedeck.identity import LEGACY_STATE_NAME, MAX_STATE_BYTES, load_state
from notedeck.sync import LOCKED, open_collection, sync
from tests.conftest import run_cli
from tests.hostile_helpers import (
    GOOD,
    assert_no_traceback,
    made_up_word,
    package_notes,
    snapshot,
)
from tests.test_errors import _many_cards, mounted_small_disk, notedeck, permissions_hold

STATE = Path("notes/.notedeck/state.json")
PACKAGE = Path("build/notes.apkg")
OTHER = b"## Target group\n\nWhere a load balancer sends requests.\n"
REBUILD = "or pass --rebuild-state to start afresh (renamed cards then get new GUIDs)"

__all__ = ["permissions_hold"]  # a fixture the tests below use


def _vault(tmp_path: Path, *notes: tuple[str, bytes]) -> Path:
    """notes/ with good.md and `notes`, built once into build/."""
    folder = tmp_path / "notes"
    folder.mkdir(exist_ok=True)
    (folder / "good.md").write_bytes(GOOD)
    for name, content in notes:
        (folder / name).write_bytes(content)
    first = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    return folder


def _temporary_files(*folders: Path) -> list[str]:
    return [str(p) for folder in folders for p in folder.rglob("*.tmp")]


@contextmanager
def _held(tmp_path: Path, *, notes_root: bool = True, output: bool = True) -> Iterator[None]:
    """This test's process holds the build locks a build of notes/ into build/ takes."""
    with locks.build_locks(
        tmp_path / "build" if output else tmp_path / "elsewhere",
        tmp_path / "notes" / ".notedeck" if notes_root else None,
    ):
        yield


def _background(*args: str, cwd: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "notedeck", *args]
    return subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _first_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line the process writes on stderr; fails when none comes (a hang guard)."""
    assert process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            pytest.fail("no line on stderr")
    return process.stderr.readline()


# 1. One build at a time per output folder and per notes root ------------------------------


@pytest.mark.parametrize(
    ("held", "message"),
    [
        (
            "output",
            "build/.notedeck-cache/lock: another notedeck (process {pid}) is building into "
            "build; retry when it is done, or pass --wait to queue behind it",
        ),
        (
            "notes",
            "notes/.notedeck/lock: another notedeck (process {pid}) is building from the notes "
            "in notes; retry when it is done, or pass --wait to queue behind it",
        ),
    ],
)
def test_a_build_while_another_holds_the_folder_is_refused_naming_it(
    tmp_path: Path, held: str, message: str
) -> None:
    _vault(tmp_path)
    (tmp_path / "notes" / "other.md").write_bytes(OTHER)
    before = snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()
    with _held(tmp_path, notes_root=held == "notes", output=held == "output"):
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == message.format(pid=os.getpid()) + "\n"
    assert_no_traceback(done.stdout + done.stderr)
    after = snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()
    assert after == before  # nothing read into a half state, nothing written
    # Given up, the lock leaves no file behind.
    assert not (tmp_path / "build" / CACHE_DIR / "lock").exists()
    assert not (tmp_path / "notes" / ".notedeck" / "lock").exists()


def test_wait_queues_the_build_behind_the_one_holding_the_folder(tmp_path: Path) -> None:
    _vault(tmp_path)
    (tmp_path / "notes" / "other.md").write_bytes(OTHER)
    with _held(tmp_path):
        waiting = _background("build", "notes", "-o", "build", "--wait", cwd=tmp_path)
        line = _first_line(waiting)
        assert line == (
            f"build/.notedeck-cache/lock: waiting for another notedeck (process {os.getpid()}) "
            "to finish\n"
        )
        assert waiting.poll() is None  # still waiting while the lock is held
        assert "Target group" not in [n["fields"][0] for n in package_notes(tmp_path / PACKAGE)]
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert stdout.startswith("build/notes.apkg: 2 cards from 2 notes (1 added, 1 unchanged)")
    assert sorted(n["fields"][0] for n in package_notes(tmp_path / PACKAGE)) == [
        "Listener",
        "Target group",
    ]


def test_builds_at_once_never_corrupt_the_state(tmp_path: Path) -> None:
    """The race of the issue, in rounds of two builds into one folder, each after an edit of
    its own: with --wait both finish; without, each finishes or is refused with the one line
    that names the other, never another error; the state is valid after every round."""
    notes = _vault(tmp_path)
    terms = ["Listener"]
    for round_ in range(4):
        wait = ["--wait"] if round_ % 2 == 0 else []
        processes = []
        for index, which in enumerate(("a", "b")):
            term = made_up_word(10 + 2 * round_ + index)
            (notes / f"{which}{round_}.md").write_text(
                f"## {term}\n\nA definition written in round {round_} by {which}.\n",
                encoding="utf-8",
            )
            terms.append(term)
            processes.append(_background("build", "notes", "-o", "build", *wait, cwd=tmp_path))
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            assert_no_traceback(stderr)
            if process.returncode != 0:
                assert not wait, stderr
                assert re.fullmatch(
                    r"\S+/lock: another notedeck \(process \d+\) is building .*--wait to "
                    r"queue behind it\n",
                    stderr,
                ), stderr
        state, warnings = load_state(notes / ".notedeck")
        assert warnings == [] and state is not None
        assert set(e.term for e in state.entries.values()) <= set(terms)
    again = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert again.stderr == ""
    state, _ = load_state(notes / ".notedeck")
    assert state is not None
    assert sorted(e.term for e in state.entries.values()) == sorted(terms)
    assert sorted(n["fields"][0] for n in package_notes(tmp_path / PACKAGE)) == sorted(terms)


@pytest.mark.parametrize("command", ["build", "watch", "push", "sync"])
def test_every_command_that_builds_can_wait_for_another(command: str) -> None:
    assert "--wait" in run_cli(command, "--help").stdout


def test_the_write_probe_has_a_name_of_its_own(tmp_path: Path) -> None:
    """The probe was `.notedeck-write-test` in both builds: one removed the other's."""
    (tmp_path / "build" / ".notedeck-write-test").mkdir(parents=True)
    (tmp_path / "notes" / ".notedeck" / ".notedeck-write-test").mkdir(parents=True)
    _vault(tmp_path)
    assert (tmp_path / PACKAGE).is_file() and (tmp_path / STATE).is_file()
    leftovers = [p.name for p in (tmp_path / "build").iterdir() if "write-test" in p.name]
    assert leftovers == [".notedeck-write-test"]  # the folder put there, no probe left


# 2. State and packages committed as one unit ----------------------------------------------


def test_a_full_disk_for_the_state_replaces_no_package(tmp_path: Path) -> None:
    """The state is beside the notes: when it does not fit, the new package must not land."""
    with mounted_small_disk(tmp_path / "notes" / ".notedeck"):
        notes = _vault(tmp_path)
        before = (tmp_path / PACKAGE).read_bytes(), (tmp_path / STATE).read_bytes()
        (notes / "many.md").write_bytes(_many_cards(400))  # a state of 400 cards: 200k is full
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr == (
            f"{STATE}: cannot write the state file: No space left on device; nothing was "
            f"replaced: {STATE} and {PACKAGE} are as before\n"
        )
        assert ((tmp_path / PACKAGE).read_bytes(), (tmp_path / STATE).read_bytes()) == before
        assert _temporary_files(tmp_path / "build", notes) == []
        (notes / "many.md").unlink()
        again = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("build/notes.apkg: 1 card from 1 note (1 unchanged)")


def test_a_cold_build_onto_a_full_disk_writes_neither_package_nor_state(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "many.md").write_bytes(_many_cards(1000))  # a deflated package of 250 KB
    with mounted_small_disk(tmp_path / "build"):
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr == (
            f"{PACKAGE}: cannot write the package: No space left on device; nothing was "
            f"replaced: {STATE} and {PACKAGE} are as before\n"
        )
        assert not (tmp_path / PACKAGE).exists()
        assert not (tmp_path / STATE).exists()
        assert _temporary_files(tmp_path / "build", notes) == []


def test_a_folder_at_the_state_path_stops_the_build_and_keeps_the_package(
    tmp_path: Path,
) -> None:
    notes = _vault(tmp_path)
    package = (tmp_path / PACKAGE).read_bytes()
    (tmp_path / STATE).unlink()
    (tmp_path / STATE).mkdir()
    (notes / "other.md").write_bytes(OTHER)
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"{STATE}: cannot read the state file: not a regular file but a folder; fix that, "
        f"{REBUILD}\n"
    )
    assert (tmp_path / PACKAGE).read_bytes() == package
    # Even on purpose, a folder is not written over.
    done = notedeck("build", "notes", "-o", "build", "--rebuild-state", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"{STATE}: cannot write the state file: a folder is in its place; nothing was "
        f"replaced: {STATE} and {PACKAGE} are as before\n"
    )
    assert (tmp_path / PACKAGE).read_bytes() == package
    assert (tmp_path / STATE).is_dir()
    assert _temporary_files(tmp_path / "build", notes) == []


def test_the_state_and_package_are_flushed_then_renamed_state_first(tmp_path: Path) -> None:
    """The commit as the kernel sees it (strace): both new files fsynced before either is
    renamed, the state renamed before the package, then both folders fsynced."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_bytes(GOOD)
    log = tmp_path / "trace.log"
    command = ["strace", "-f", "-y", "-e", "trace=fsync,rename,renameat,renameat2", "-o"]
    command += [str(log), sys.executable, "-m", "notedeck", "build", "notes", "-o", "build", "-q"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    calls = []
    for line in log.read_text().splitlines():
        found = re.search(r"(fsync)\(\d+<([^>]*)>\)|(rename\w*)\(.*\"([^\"]+)\"\) = 0", line)
        if found and found.group(1):
            calls.append(("fsync", Path(found.group(2)).name))
        elif found:
            calls.append(("rename", found.group(4)))
    state_at = calls.index(("rename", str(STATE)))
    package_at = calls.index(("rename", str(PACKAGE)))
    flushed = [name for call, name in calls[:state_at] if call == "fsync"]
    assert [n.split(".")[1:3] for n in flushed] == [["state", "json"], ["notes", "apkg"]]
    assert state_at + 1 == package_at  # nothing in between: the two renames are the commit
    after = [name for call, name in calls[package_at:] if call == "fsync"]
    assert after[:2] == [".notedeck", "build"]


# 3. A FIFO where the state or the cache was ---------------------------------------------


@pytest.mark.parametrize(
    ("where", "exit_code", "stderr"),
    [
        (
            str(STATE),
            1,
            f"{STATE}: cannot read the state file: not a regular file but a FIFO; fix that, "
            f"{REBUILD}\n",
        ),
        (
            f"build/{CACHE_DIR}/{CACHE_FILE}",
            0,
            f"build/{CACHE_DIR}/{CACHE_FILE}:1: warning: not a regular file but a FIFO; the "
            "cache ignores it\n",
        ),
        (
            f"build/{CACHE_DIR}/{JOURNAL_FILE}",
            0,
            f"build/{CACHE_DIR}/{JOURNAL_FILE}:1: warning: not a regular file but a FIFO; the "
            "cache ignores it\n",
        ),
    ],
    ids=["state", "cache", "journal"],
)
def test_a_fifo_in_place_of_the_state_or_the_cache_does_not_hang(
    tmp_path: Path, where: str, exit_code: int, stderr: str
) -> None:
    notes = _vault(tmp_path)
    (notes / "other.md").write_bytes(OTHER)  # a second build: its cache is a journal
    assert run_cli("build", "notes", "-o", "build", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "build" / CACHE_DIR / JOURNAL_FILE).is_file()
    fifo = tmp_path / where
    fifo.unlink()
    os.mkfifo(fifo)
    package = (tmp_path / PACKAGE).read_bytes()
    (notes / "third.md").write_bytes(b"## Health check\n\nA probe of a target's port.\n")
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)  # a hang fails it
    assert (done.returncode, done.stderr) == (exit_code, stderr)
    if exit_code:
        assert (tmp_path / PACKAGE).read_bytes() == package
    else:
        assert done.stdout.startswith("build/notes.apkg: 3 cards from 3 notes (1 added")
        # The cache file was written afresh in its place: the next build warns no more.
        again = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
        assert (again.returncode, again.stderr) == (0, "")


def test_a_fifo_where_the_old_state_file_was_is_one_warning(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_bytes(GOOD)
    (tmp_path / "build").mkdir()
    os.mkfifo(tmp_path / "build" / LEGACY_STATE_NAME)
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr == f"build/{LEGACY_STATE_NAME}:1: warning: not a regular file; ignored\n"
    assert (tmp_path / STATE).is_file()


# 4. Valid JSON with bad values in the state file ----------------------------------------


def _tombstone_vault(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """notes/ built with good.md and other.md, then without other.md: its card a tombstone."""
    notes = _vault(tmp_path, ("other.md", OTHER))
    (notes / "other.md").unlink()
    assert run_cli("build", "notes", "-o", "build", cwd=tmp_path).exit_code == 0
    return notes, json.loads((tmp_path / STATE).read_text(encoding="utf-8"))


def _with(state: dict[str, Any], removed: bool, name: str, value: Any) -> dict[str, Any]:
    for entry in state["notes"].values():
        if entry["removed"] == removed:
            entry[name] = value
    return state


def _state_text(case: str, state: dict[str, Any]) -> str:
    """The state file with the bad value of `case`."""
    if case == "mod 1e400":
        return json.dumps(_with(state, False, "mod", 123456789)).replace("123456789", "1e400")
    if case == "mod 10**20":
        return json.dumps(_with(state, False, "mod", 10**20))
    if case == "models_mod 10**20":
        return json.dumps({**state, "models_mod": 10**20})
    if case == "lone surrogate in a tombstone":
        text = json.dumps(_with(state, True, "fields", ["X", "Y", "", ""]))
        return text.replace('["X", "Y"', '["\\ud800", "Y"')
    if case == "tombstone of an unknown note type":
        return json.dumps(_with(state, True, "model", "Basic"))
    if case == "tombstone tag with a space":
        return json.dumps(_with(state, True, "tags", ["a b"]))
    if case == "tombstone without fields":
        return json.dumps(_with(state, True, "fields", []))
    if case == "removed as a text":
        return json.dumps(_with(state, False, "removed", "false"))
    assert case == "50,000 nested lists"
    return "[" * 50_000


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("mod 1e400", "1 note with bad values left out ('mod' is inf, not a whole number"),
        ("mod 10**20", "1 note with bad values left out ('mod' is 100000000000000000000, not"),
        ("models_mod 10**20", "the note types' hash or mod is not valid; they get a new mod"),
        ("lone surrogate in a tombstone", "(a text holds a lone surrogate, which UTF-8 cannot"),
        ("tombstone of an unknown note type", "('model' is 'Basic', not a note type of notedeck)"),
        ("tombstone tag with a space", "(the tag 'a b' is empty or holds a space, which Anki"),
        ("tombstone without fields", "('fields' has 0, not the 4 fields of notedeck Basic)"),
        ("removed as a text", "('removed' is 'false', not true or false)"),
        ("50,000 nested lists", "state file is corrupt (nested deeper than a state file is)"),
    ],
)
def test_bad_values_in_the_state_file_are_one_warning_never_a_traceback(
    tmp_path: Path, case: str, message: str
) -> None:
    _notes, state = _tombstone_vault(tmp_path)
    (tmp_path / STATE).write_text(_state_text(case, state), encoding="utf-8")
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_no_traceback(done.stdout + done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"{STATE}:\d+: warning: .+", lines[0]), lines[0]
    assert message in lines[0]
    # The package and the state written over the bad one are what Anki and the next build
    # can read: tags without spaces, four fields, a state without a warning.
    for note in package_notes(tmp_path / PACKAGE):
        assert len(note["fields"]) == 4  # type: ignore[arg-type]
        assert all(" " not in tag for tag in note["tags"])  # type: ignore[attr-defined]
    assert load_state(tmp_path / STATE.parent)[1] == []
    again = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (0, "")


def test_removed_as_a_text_is_not_read_as_true(tmp_path: Path) -> None:
    """`"removed": "false"` was read as true: the card counted as changed and Anki updated it."""
    _notes, state = _tombstone_vault(tmp_path)
    (tmp_path / STATE).write_text(_state_text("removed as a text", state), encoding="utf-8")
    done = notedeck("build", "notes", "-o", "build", "--json", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert report["counts"]["changed"] == 0
    assert report["removed"] == []


# 5. A state file that cannot be read, or from a newer notedeck ---------------------------


def test_a_state_file_from_a_newer_notedeck_is_refused_and_kept(tmp_path: Path) -> None:
    notes = _vault(tmp_path)
    state = json.loads((tmp_path / STATE).read_text(encoding="utf-8"))
    (tmp_path / STATE).write_text(json.dumps({**state, "version": 2}), encoding="utf-8")
    (notes / "other.md").write_bytes(OTHER)
    before = snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"{STATE}: the state file is version 2, written by a newer notedeck (this one reads "
        f"version 1); upgrade notedeck, {REBUILD}\n"
    )
    assert done.stdout == ""
    assert (snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()) == before
    # `check` shows what stops the build as a warning, and exits 0.
    checked = notedeck("check", "notes", cwd=tmp_path)
    assert checked.returncode == 0
    assert (
        f"{STATE}\n  1  warning    the state file is version 2, written by a newer notedeck"
        in checked.stdout
    )
    # On purpose: the state is built afresh and replaces the newer one.
    done = notedeck("build", "notes", "-o", "build", "--rebuild-state", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("build/notes.apkg: 2 cards from 2 notes (2 added)")
    assert json.loads((tmp_path / STATE).read_text(encoding="utf-8"))["version"] == 1


def test_a_state_file_beyond_the_size_bound_is_refused_and_kept(tmp_path: Path) -> None:
    notes = _vault(tmp_path)
    (notes / "other.md").write_bytes(OTHER)
    before = snapshot(tmp_path / "build")
    with (tmp_path / STATE).open("r+b") as stream:  # sparse: no gigabyte written
        stream.truncate(MAX_STATE_BYTES + 1)
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"{STATE}: cannot read the state file: larger than 1024 MB; fix that, {REBUILD}\n"
    )
    assert snapshot(tmp_path / "build") == before
    assert (tmp_path / STATE).stat().st_size == MAX_STATE_BYTES + 1


@pytest.mark.usefixtures("permissions_hold")
def test_an_unreadable_state_file_is_refused_and_kept(tmp_path: Path) -> None:
    """As root, mode 000 stops nobody: the build runs without root's file capabilities."""
    notes = _vault(tmp_path)
    (notes / "other.md").write_bytes(OTHER)
    before = snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()
    (tmp_path / STATE).chmod(0)
    try:
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path, drop_root=True)
    finally:
        (tmp_path / STATE).chmod(0o644)
    assert done.returncode == 1
    assert done.stderr == (
        f"{STATE}: cannot read the state file: Permission denied; fix that, {REBUILD}\n"
    )
    assert (snapshot(tmp_path / "build"), (tmp_path / STATE).read_bytes()) == before


# 6. sync: the collection held throughout, Anki written before the state ------------------


def _collection(path: Path) -> Any:
    from anki.collection import Collection

    return Collection(str(path))


def _tags(path: Path) -> dict[str, list[str]]:
    col = _collection(path)
    try:
        return {col.get_note(n).fields[0]: sorted(col.get_note(n).tags) for n in col.find_notes("")}
    finally:
        col.close()


TITLED = "# {title}\n\n## Top0\n\n### Kinase\n\nAn enzyme that adds phosphate groups.\n"
# Run notedeck, killed with SIGKILL just before (or just after) the state file's rename.
KILLER = """
import os, signal, sys
state, after = os.path.abspath(sys.argv[1]), sys.argv[2] == "after"
seen = []
def hook(event, args):
    if seen and event != "os.rename":
        return
    if seen or (event == "os.rename" and os.path.abspath(os.fspath(args[1])) == state):
        if after and not seen:
            seen.append(True)
            return
        os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
from notedeck.cli import main
sys.argv = ["notedeck", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_sync_killed_around_the_state_write_leaves_the_users_tags_right(
    tmp_path: Path, moment: str
) -> None:
    notes, path = tmp_path / "notes", tmp_path / "collection.anki2"
    notes.mkdir()
    (notes / "a.md").write_text(TITLED.format(title="Alpha"), encoding="utf-8")
    _collection(path).close()
    sync([notes], BuildOptions(out=tmp_path / "build"), None, path)
    col = _collection(path)
    (note_id,) = col.find_notes("")
    note = col.get_note(note_id)
    note.tags.append("mine")
    col.update_note(note)
    col.close()
    assert _tags(path) == {"Kinase": ["Alpha::Top0", "mine"]}
    (notes / "a.md").write_text(TITLED.format(title="Beta"), encoding="utf-8")
    command = [sys.executable, "-c", KILLER, str(STATE), moment]
    command += ["sync", "notes", "--collection", str(path), "-o", "build"]
    killed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Anki was written before the state: the state is old (killed before its rename) or new.
    assert _tags(path) == {"Kinase": ["Beta::Top0", "mine"]}
    state = json.loads((tmp_path / STATE).read_text(encoding="utf-8"))
    assert [e["tags"] for e in state["notes"].values()] == [
        ["Alpha::Top0"] if moment == "before" else ["Beta::Top0"]
    ]
    again = run_cli("sync", "notes", "--collection", str(path), "-o", "build", cwd=tmp_path)
    assert again.exit_code == 0, again.stderr
    assert _tags(path) == {"Kinase": ["Beta::Top0", "mine"]}


def test_sync_holds_the_collection_from_its_check_to_its_end(tmp_path: Path) -> None:
    """Anki cannot open the collection while sync waits for the build (the gap of the issue)."""
    _vault(tmp_path)
    path = tmp_path / "collection.anki2"
    _collection(path).close()
    with _held(tmp_path):
        syncing = _background(
            "sync", "notes", "--collection", str(path), "-o", "build", "--wait", cwd=tmp_path
        )
        assert "waiting for another notedeck" in _first_line(syncing)
        with pytest.raises(NotedeckError, match=re.escape(f"{path}: {LOCKED}")):
            open_collection(path)  # as Anki would open it now
    stdout, stderr = syncing.communicate(timeout=120)
    assert syncing.returncode == 0, stderr
    assert f"{path}: 1 added, 0 updated, 0 cards moved to another deck, 0 deleted" in stdout
    assert sorted(_tags(path)) == ["Listener"]


def test_sync_keeps_the_last_backups_only(tmp_path: Path) -> None:
    notes, path = _vault(tmp_path), tmp_path / "anki" / "collection.anki2"
    path.parent.mkdir()
    _collection(path).close()
    unrelated = path.with_name("collection.notedeck-backup-mine.anki2")
    unrelated.write_bytes(b"the user's own copy")
    made = []
    for _ in range(5):  # the default: the last 3
        made.append(sync([notes], BuildOptions(out=tmp_path / "build"), None, path)[1].backup)
    backups = sorted(path.parent.glob("collection.notedeck-backup-2*.anki2"))
    assert backups == sorted(made[-3:])
    assert unrelated.read_bytes() == b"the user's own copy"
    (notes / "notedeck.yaml").write_text("sync_backups: 1\n", encoding="utf-8")
    last = sync([notes], BuildOptions(out=tmp_path / "build"), None, path)[1].backup
    assert sorted(path.parent.glob("collection.notedeck-backup-2*.anki2")) == [last]
    done = run_cli("sync", "notes", "--collection", str(path), "--backups", "2", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    kept = sorted(path.parent.glob("collection.notedeck-backup-2*.anki2"))
    assert len(kept) == 2 and last in kept
    # A backup is a whole collection, taken through Anki's own connection.
    col = _collection(kept[-1])
    try:
        assert col.note_count() == 1
    finally:
        col.close()


def test_sync_refuses_an_empty_or_a_foreign_collection_file(tmp_path: Path) -> None:
    _vault(tmp_path)
    empty = tmp_path / "empty.anki2"
    empty.write_bytes(b"")
    done = run_cli("sync", "notes", "--collection", str(empty), cwd=tmp_path)
    assert (done.exit_code, done.stderr) == (
        1,
        f"{empty}: cannot open the Anki collection: the file is empty\n",
    )
    assert empty.read_bytes() == b""
    foreign = tmp_path / "other.anki2"
    connection = sqlite3.connect(foreign)
    connection.execute("create table recipes (name text)")
    connection.commit()
    connection.close()
    done = run_cli("sync", "notes", "--collection", str(foreign), cwd=tmp_path)
    assert (done.exit_code, done.stderr) == (
        1,
        f"{foreign}: cannot open the Anki collection: a SQLite database without Anki's tables\n",
    )
    connection = sqlite3.connect(foreign)
    tables = [row[0] for row in connection.execute("select name from sqlite_master")]
    connection.close()
    assert tables == ["recipes"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "build",
        "empty.anki2",
        "notes",
        "other.anki2",
    ]
