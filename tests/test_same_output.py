"""One build, three ways to run it, one output: the one-shot CLI with its cache (which updates
the kept collection in place), the CLI with the cache deleted (everything extracted and
written afresh), and `notedeck watch` rebuilding after each edit. Each runs as a real process
on its own copy of the rebuild scenario of issue 4 (tests/regen_scenario.py): a first build of
v1, then v2, then one more definition edited; the packages are read back from their zip with
sqlite3 and compared column by column: notes, cards, decks, note types, media.

The builds run at different times, so what depends on the clock is compared as what it says:
a note's mod as "kept from the v1 build" or "moved on", IDs as offsets from the package's
first one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from notedeck.cache import CACHE_DIR
from notedeck.identity import REMOVED_TAG, STATE_DIR, STATE_NAME
from tests.regen_scenario import ADDED, REMOVED, copy_v1, make_v2
from tests.test_watch import TIMEOUT, wait_for, watching

PACKAGE = Path("out") / "notes.apkg"


def notedeck(folder: Path, *args: str) -> str:
    """Run `notedeck ARGS` as the script runs, in `folder`; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "notedeck", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def read_package(path: Path) -> dict[str, Any]:
    """Everything a package holds, as plain values: its zip's members and media, and the
    rows of its collection's tables."""
    scratch = path.with_name(path.name + ".read.anki2")
    with zipfile.ZipFile(path) as archive:
        members = sorted(archive.namelist())
        media = {
            name: archive.read(member) for member, name in json.loads(archive.read("media")).items()
        }
        scratch.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(scratch)
    try:
        notes = connection.execute(
            "SELECT id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data FROM notes"
        ).fetchall()
        cards = connection.execute("SELECT * FROM cards").fetchall()
        decks_json, models_json, dconf, conf, tags = connection.execute(
            "SELECT decks, models, dconf, conf, tags FROM col"
        ).fetchone()
        tables = connection.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        connection.close()
        scratch.unlink()
    return {
        "members": members,
        "media": media,
        "notes": notes,
        "cards": cards,
        "decks": json.loads(decks_json),
        "models": json.loads(models_json),
        "col": (json.loads(dconf), json.loads(conf), tags),
        "schema": tables,
    }


def compared(package: dict[str, Any], v1_mods: dict[str, int]) -> dict[str, Any]:
    """The package with what depends on the clock told as what it means (see the module's
    docstring): a mod as "kept" when it is the v1 build's mod of that note, else "moved"
    (and then it must not be earlier); IDs as offsets from the first note's."""
    first = min(row[0] for row in package["notes"])

    def mod(guid: str, value: int) -> str:
        if value == v1_mods.get(guid):
            return "kept"
        # A changed note's mod moves forward; a new note's is its build's time, which may be
        # the same second as the v1 build's.
        later = value > v1_mods[guid] if guid in v1_mods else value >= max(v1_mods.values())
        assert later, (guid, value)
        return "moved"

    guid_of = {row[0]: row[1] for row in package["notes"]}
    notes = sorted(
        (row[0] - first, row[1], row[2], mod(row[1], row[3]), *row[4:]) for row in package["notes"]
    )
    cards = sorted(
        (row[0] - first, row[1] - first, row[2], row[3], mod(guid_of[row[1]], row[4]), *row[5:])
        for row in package["cards"]
    )
    models = {
        key: {k: v for k, v in model.items() if k != "mod"}
        for key, model in package["models"].items()
    }
    decks = {
        key: {k: v for k, v in deck.items() if k != "mod"} for key, deck in package["decks"].items()
    }
    return {**package, "notes": notes, "cards": cards, "models": models, "decks": decks}


def build_v1(folder: Path) -> dict[str, int]:
    """The scenario's v1 notes in `folder`, built once with the CLI: each note's mod by GUID."""
    copy_v1(folder)
    notedeck(folder, "build", "notes", "-o", "out")
    return {row[1]: row[3] for row in read_package(folder / PACKAGE)["notes"]}


NETMASK = "Netmask: the bit pattern that tells the network part of an address from the host part."
EDITED_NETMASK = "Netmask: the bits that split an address into its network and its host parts."


def edit_one(notes: Path) -> None:
    """After v2, one definition edited: a rebuild that can change the kept package in place."""
    networking = notes / "networking.md"
    text = networking.read_text(encoding="utf-8")
    assert text.count(NETMASK) == 1
    networking.write_text(text.replace(NETMASK, EDITED_NETMASK), encoding="utf-8")


def kept_inode(folder: Path) -> int:
    """The inode of the package's collection kept beside the cache: the same after a rebuild
    that changed it in place, another after one that wrote it afresh."""
    return (folder / "out" / CACHE_DIR / f"{PACKAGE.name}.anki2").stat().st_ino


def test_the_cli_with_and_without_cache_and_watch_write_the_same_packages(tmp_path: Path) -> None:
    steps = (make_v2, edit_one)

    def with_cache(folder: Path) -> list[dict[str, Any]]:
        written = []
        for step in steps:
            kept = kept_inode(folder)
            step(folder / "notes")
            notedeck(folder, "build", "notes", "-o", "out")
            written.append(read_package(folder / PACKAGE))
        assert kept_inode(folder) == kept  # the one-definition edit changed it in place
        return written

    def without_cache(folder: Path) -> list[dict[str, Any]]:
        written = []
        for step in steps:
            step(folder / "notes")
            shutil.rmtree(folder / "out" / CACHE_DIR)
            notedeck(folder, "build", "notes", "-o", "out")
            written.append(read_package(folder / PACKAGE))
        return written

    def watched(folder: Path) -> list[dict[str, Any]]:
        stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
        written = []
        with watching(folder, stdout, stderr) as process:
            wait_for(lambda: "watching notes" in stderr.read_text("utf-8"), stdout, stderr)
            for step, built in zip(steps, (v2_built, edit_built), strict=True):
                kept = kept_inode(folder)
                step(folder / "notes")
                # The state is written after the package: once it is the step's, so is the
                # package.
                wait_for(lambda done=built: done(state_entries(folder)), stdout, stderr)
                written.append(read_package(folder / PACKAGE))
            assert kept_inode(folder) == kept
            assert process.poll() is None, "watch stopped by itself"
        assert "Traceback" not in stderr.read_text("utf-8")
        return written

    runs: dict[str, Callable[[Path], list[dict[str, Any]]]] = {
        "cli with cache": with_cache,
        "cli without cache": without_cache,
        "watch": watched,
    }
    packages = {}
    for name, run in runs.items():
        folder = tmp_path / name.replace(" ", "-")
        v1_mods = build_v1(folder)
        assert (folder / "out" / CACHE_DIR).is_dir()
        packages[name] = [compared(package, v1_mods) for package in run(folder)]
    v2, edited = packages["cli with cache"]
    # The scenario's changes are in it: v1's 30 notes (the removed one as a tombstone, the
    # renamed one keeping its GUID) and the 2 added; then one more definition.
    assert len(v2["notes"]) == len(edited["notes"]) == 32
    assert sum(REMOVED_TAG in row[5] for row in v2["notes"]) == 1
    moved = sum(row[3] == "moved" for row in v2["notes"])
    assert moved >= 3 + 2 + 1
    assert sum(row[3] == "moved" for row in edited["notes"]) == moved + 1
    assert any(EDITED_NETMASK.split(": ")[1] in row[6] for row in edited["notes"])
    for name in ("cli without cache", "watch"):
        for index, package in enumerate(packages[name]):
            for part, value in package.items():
                assert value == packages["cli with cache"][index][part], (name, index, part)


def state_entries(folder: Path) -> dict[str, dict[str, Any]]:
    """The state file's entries by term ({} while it cannot be read)."""
    try:
        state = json.loads((folder / "notes" / STATE_DIR / STATE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {entry["term"]: entry for entry in state["notes"].values()}


def v2_built(entries: dict[str, dict[str, Any]]) -> bool:
    """Whether the state is v2's: its added terms there, its removed one a tombstone."""
    return all(term in entries for term in ADDED) and bool(entries[REMOVED].get("removed"))


def edit_built(entries: dict[str, dict[str, Any]]) -> bool:
    """Whether the state holds the edited definition."""
    fields = entries.get("Netmask", {}).get("fields", [])
    return any(EDITED_NETMASK.split(": ")[1] in field for field in fields)
