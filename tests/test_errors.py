"""Files and folders that go wrong around the notes (issue 5, DESIGN §7): links, unreadable
files, a notes folder that is a file, an output folder that cannot be written or fills up, a
corrupt state file, an interrupted build, and --keep-going. Each builds a real folder through
the CLI and checks the exact lines, the exit code, no traceback, every note byte-identical,
and `build/` holding the previous build or a complete new one."""

from __future__ import annotations

import errno
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from notedeck.cache import CACHE_DIR, CACHE_FILE
from notedeck.frontmatter import EXCLUDE_HINT
from tests.conftest import REPO, run_cli
from tests.hostile_helpers import (
    GOOD,
    GOOD_TERM,
    HOSTILE,
    STATE,
    assert_no_traceback,
    build_case,
    made_up_word,
    package_notes,
    snapshot,
    terms,
)

OTHER = b"## Target group\n\nWhere a load balancer sends requests.\n"


def test_symbolic_link_loop_is_not_followed(tmp_path: Path) -> None:
    def links(notes: Path) -> None:
        (notes / "loop-a.md").symlink_to("loop-b.md")
        (notes / "loop-b.md").symlink_to("loop-a.md")
        (notes / "self").symlink_to(".", target_is_directory=True)

    outcome = build_case(tmp_path, links)
    assert outcome.result.exit_code == 0
    assert outcome.stderr == [
        "notes/loop-a.md: warning: symbolic link loop not followed",
        "notes/loop-b.md: warning: symbolic link loop not followed",
        "notes/self: warning: symbolic link to a folder not followed",
    ]
    assert terms(outcome.notes) == [GOOD_TERM]


def test_symbolic_links_out_of_the_notes_folder_are_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.md").write_bytes(b"## Password\n\nThe secret outside the notes.\n")

    def links(notes: Path) -> None:
        (notes / "outside.md").symlink_to(elsewhere / "secret.md")
        (notes / "folder").symlink_to(elsewhere, target_is_directory=True)
        (notes / "broken.md").symlink_to(tmp_path / "nowhere.md")
        (notes / "inside.md").symlink_to("good.md")  # inside: the same note, read once

    outcome = build_case(tmp_path, links)
    assert outcome.result.exit_code == 0
    assert outcome.stderr == [
        "notes/broken.md: warning: broken symbolic link not followed",
        "notes/folder: warning: symbolic link to a folder not followed",
        "notes/outside.md: warning: symbolic link out of the notes folder not followed",
    ]
    assert terms(outcome.notes) == [GOOD_TERM]


def notedeck(*args: str, cwd: Path, drop_root: bool = False) -> subprocess.CompletedProcess[str]:
    """`notedeck ARGS` in a child process (a hang fails the test instead of stopping the run).
    With `drop_root`, root runs it without the capabilities that let it read and write any
    file, so file permissions hold for it as for any user."""
    command = [sys.executable, "-m", "notedeck", *args]
    if drop_root and os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def permissions_hold(tmp_path: Path) -> None:
    """Skip unless a mode-000 file is really unreadable to the notedeck process."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        if os.geteuid() != 0:
            return
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions do not stop root")
        command = ["setpriv", "--inh-caps=-dac_override,-dac_read_search"]
        command += ["--bounding-set=-dac_override,-dac_read_search", "cat", str(probe)]
        if subprocess.run(command, capture_output=True, check=False).returncode == 0:
            pytest.skip("root keeps its file capabilities here: permissions do not stop it")
    finally:
        probe.unlink()


def _first_build(tmp_path: Path, *extra: tuple[str, bytes]) -> tuple[Path, dict[str, bytes]]:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_bytes(GOOD)
    first = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    for name, content in extra:
        (notes / name).write_bytes(content)
    return notes, snapshot(tmp_path / "build")


@pytest.mark.usefixtures("permissions_hold")
def test_unreadable_note(tmp_path: Path) -> None:
    notes, before = _first_build(tmp_path, ("secret.md", OTHER))
    (notes / "secret.md").chmod(0)
    try:
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path, drop_root=True)
    finally:
        (notes / "secret.md").chmod(0o644)
    assert done.returncode == 1
    assert done.stderr == "notes/secret.md:1: cannot read the file: Permission denied\n"
    assert_no_traceback(done.stdout + done.stderr)
    assert (notes / "secret.md").read_bytes() == OTHER
    assert snapshot(tmp_path / "build") == before


@pytest.mark.usefixtures("permissions_hold")
def test_unreadable_folder_is_warned_about(tmp_path: Path) -> None:
    notes, _ = _first_build(tmp_path)
    locked = notes / "locked"
    locked.mkdir()
    (locked / "inside.md").write_bytes(OTHER)
    locked.chmod(0)
    try:
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path, drop_root=True)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 0
    assert done.stderr == "notes/locked: warning: cannot read the folder: Permission denied\n"
    assert_no_traceback(done.stdout + done.stderr)
    assert terms(package_notes(tmp_path / "build" / "notes.apkg")) == [GOOD_TERM]


def test_fifo_and_folder_named_like_notes(tmp_path: Path) -> None:
    """A FIFO named x.md is refused without reading (a read would wait forever); a folder
    named x.md is a folder like any other."""
    notes, before = _first_build(tmp_path)
    os.mkfifo(notes / "pipe.md")
    (notes / "folder.md").mkdir()
    (notes / "folder.md" / "inner.md").write_bytes(OTHER)
    done = notedeck("build", "notes", "-o", "build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "notes/pipe.md:1: cannot read the file: not a regular file\n"
    assert_no_traceback(done.stdout + done.stderr)
    assert snapshot(tmp_path / "build") == before
    (notes / "pipe.md").unlink()
    result = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.exit_code == 0
    assert terms(package_notes(tmp_path / "build" / "notes.apkg")) == [GOOD_TERM, "Target group"]


def test_notes_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_bytes(GOOD)
    result = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "notes: a file, not a notes folder or a Markdown note\n"
    assert not (tmp_path / "build").exists()
    assert (tmp_path / "notes").read_bytes() == GOOD
    # A single note named as a file is still fine.
    (tmp_path / "one.md").write_bytes(GOOD)
    assert run_cli("build", "one.md", "-o", "build", cwd=tmp_path).exit_code == 0


def test_output_folder_inside_a_file(tmp_path: Path) -> None:
    _notes, _ = _first_build(tmp_path)
    (tmp_path / "blocker").write_text("a file")
    result = run_cli("build", "notes", "-o", "blocker/build", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == "blocker/build: cannot create the output folder: Not a directory\n"
    assert_no_traceback(result.output)
    assert (tmp_path / "blocker").read_text() == "a file"


@pytest.mark.usefixtures("permissions_hold")
@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("build", "build: cannot write to the output folder: Permission denied"),
        # The state goes beside the notes: a build that cannot write it writes no package.
        ("notes/.notedeck", "notes/.notedeck: cannot write to the state folder: Permission denied"),
    ],
    ids=["output", "state"],
)
def test_read_only_output_or_state_folder(tmp_path: Path, folder: str, message: str) -> None:
    _notes, before = _first_build(tmp_path, ("other.md", OTHER))
    locked = tmp_path / folder
    locked.chmod(0o555)
    try:
        done = notedeck("build", "notes", "-o", "build", cwd=tmp_path, drop_root=True)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr == message + "\n"
    assert_no_traceback(done.stdout + done.stderr)
    assert snapshot(tmp_path / "build") == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 200 KiB file system (tmpfs) as the output folder; skipped where mounting is
    not allowed."""
    with mounted_small_disk(tmp_path / "build") as mount_point:
        yield mount_point


@contextmanager
def mounted_small_disk(mount_point: Path) -> Iterator[Path]:
    """A real 200 KiB file system (tmpfs) mounted at `mount_point` (made when missing) for the
    block; skipped where mounting is not allowed."""
    mount_point.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def _many_cards(count: int) -> bytes:
    # Text that does not compress much, so the package outgrows the small disk.
    words = [f"{i * 7919 % 100_003:x}" for i in range(count * 60)]
    return "".join(
        f"## {made_up_word(i)}\n\nA record that holds the values "
        f"{' '.join(words[i * 60 : i * 60 + 60])}.\n\n"
        for i in range(count)
    ).encode()


@pytest.mark.parametrize("scratch_on_small_disk", [False, True], ids=["zip", "database"])
def test_full_disk_keeps_the_previous_package(
    tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch, scratch_on_small_disk: bool
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_bytes(GOOD)
    assert run_cli("build", "notes", "-o", "build", cwd=tmp_path).exit_code == 0
    if scratch_on_small_disk:  # the package's database is written in the temporary folder
        (small_disk / "scratch").mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(small_disk / "scratch"))
    before = snapshot(small_disk)
    # 1,000 cards: a deflated package of 250 KB (400 made 110 KB, which fits).
    (notes / "many.md").write_bytes(_many_cards(1000))
    result = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.exit_code == 1
    full = "database or disk is full" if scratch_on_small_disk else "No space left on device"
    assert result.stderr == (
        f"build/notes.apkg: cannot write the package: {full}; nothing was replaced: "
        "notes/.notedeck/state.json and build/notes.apkg are as before\n"
    )
    assert_no_traceback(result.output)
    assert snapshot(small_disk) == before


def _fail_packaging(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> Path:
    """Make the package's zip write raise `failure` (where a full disk or Ctrl-C strikes) in
    the real write path, with the system temporary folder redirected to an empty folder to
    catch leftovers there."""

    def write(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(zipfile.ZipFile, "write", write)
    scratch = Path(tempfile.mkdtemp(prefix="notedeck-tmp-"))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.mark.parametrize(
    ("failure", "exit_code", "stderr"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device"),
            1,
            "build/notes.apkg: cannot write the package: No space left on device; nothing was "
            "replaced: notes/.notedeck/state.json and build/notes.apkg are as before\n",
        ),
        (KeyboardInterrupt(), 1, "\nAborted!\n"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_failure_while_packaging_leaves_the_previous_build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    exit_code: int,
    stderr: str,
) -> None:
    _notes, before = _first_build(tmp_path, ("other.md", OTHER))
    scratch = _fail_packaging(monkeypatch, failure)
    result = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.exit_code == exit_code
    assert result.stderr == stderr
    assert_no_traceback(result.output)
    assert snapshot(tmp_path / "build") == before
    assert list(scratch.iterdir()) == []
    scratch.rmdir()


def test_an_unexpected_exception_while_packaging_leaves_the_previous_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _notes, before = _first_build(tmp_path, ("other.md", OTHER))
    scratch = _fail_packaging(monkeypatch, RuntimeError("genanki broke"))
    with pytest.raises(RuntimeError, match="genanki broke"):
        run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert snapshot(tmp_path / "build") == before
    assert list(scratch.iterdir()) == []
    scratch.rmdir()


def test_a_build_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """genanki's own write left its SQLite file in the system temporary folder every time."""
    scratch = Path(tempfile.mkdtemp(prefix="notedeck-tmp-"))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    outcome = build_case(tmp_path, {"other.md": OTHER}, previous=False)
    assert outcome.result.exit_code == 0
    # The cache and the collection kept for the next build's update are no temporary files.
    cache = [CACHE_DIR, f"{CACHE_DIR}/{CACHE_FILE}", f"{CACHE_DIR}/notes.apkg.anki2"]
    assert sorted(outcome.after) == sorted([*cache, STATE, "notes.apkg"])
    assert list(scratch.iterdir()) == []
    scratch.rmdir()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "Expecting property name enclosed in double quotes"),
        (b"\xff\xfe\x00", "'utf-8' codec can't decode byte 0xff in position 0"),
        (b'{"version": 1, "notes": []}', "not a JSON object with notes"),
    ],
    ids=["not-json", "binary", "wrong-shape"],
)
def test_corrupt_state_file_warns_and_starts_afresh(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    def corrupt(notes: Path) -> None:
        (notes / STATE).write_bytes(content)

    outcome = build_case(tmp_path, corrupt)
    assert outcome.result.exit_code == 0
    assert len(outcome.stderr) == 1
    assert re.fullmatch(
        r"notes/\.notedeck/state\.json:1: warning: state file is corrupt \((.*)\); "
        r"rebuilding from scratch",
        outcome.stderr[0],
    ), outcome.stderr
    assert reason in outcome.stderr[0]
    assert terms(outcome.notes) == [GOOD_TERM]
    state = json.loads((tmp_path / "notes" / STATE).read_text(encoding="utf-8"))
    assert len(state["notes"]) == 1


def test_image_path_out_of_the_notes_folder_is_refused(tmp_path: Path) -> None:
    outcome = build_case(tmp_path, {"pic.md": (HOSTILE / "image-escape.md").read_bytes()})
    assert outcome.result.exit_code == 0
    assert outcome.stderr == [
        "notes/pic.md:3: warning: image '../../../etc/passwd' is outside the notes folder; "
        "not included"
    ]
    notes = outcome.notes
    assert terms(notes) == [GOOD_TERM, "Secret"]
    assert all(n["media"] == {} for n in notes)
    assert not any("passwd" in field for n in notes for field in n["fields"])  # type: ignore[attr-defined]


def test_keep_going_writes_the_good_notes_prints_the_errors_and_exits_1(tmp_path: Path) -> None:
    broken = (HOSTILE / "yaml-malformed.md").read_bytes()
    outcome = build_case(
        tmp_path, {"broken.md": broken, "png.md": b"\x89PNG\r\n\x1a\n\x00\x00"}, "--keep-going"
    )
    assert outcome.result.exit_code == 1
    assert outcome.stderr == [
        "notes/broken.md:4: front matter is not valid YAML: expected ',' or ']', but got ':'"
        + EXCLUDE_HINT,
        "notes/png.md:1: binary file, not a Markdown note",
    ]
    assert outcome.result.stdout.splitlines() == [
        "build/notes.apkg: 1 card from 1 note (1 unchanged)",
        "  left out for their errors: notes/broken.md, notes/png.md",
    ]
    assert terms(outcome.notes) == [GOOD_TERM]


def test_keep_going_keeps_the_cards_of_a_note_that_broke(tmp_path: Path) -> None:
    """A note that cannot be read is not a note whose cards were removed: its cards stay as
    the last build wrote them, not tombstoned, and come back unchanged once it is fixed."""
    notes, _ = _first_build(tmp_path, ("other.md", OTHER))
    assert run_cli("build", "notes", "-o", "build", cwd=tmp_path).exit_code == 0
    previous = {n["guid"]: n for n in package_notes(tmp_path / "build" / "notes.apkg")}
    (notes / "other.md").write_bytes(b"---\n- a list\n---\n" + OTHER)
    result = run_cli("build", "notes", "-o", "build", "--keep-going", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == "notes/other.md:1: front matter is a list, not a mapping of keys\n"
    kept = {n["guid"]: n for n in package_notes(tmp_path / "build" / "notes.apkg")}
    assert kept == previous
    assert not any("notedeck::removed" in n["tags"] for n in kept.values())  # type: ignore[operator]
    (notes / "other.md").write_bytes(OTHER)
    result = run_cli("build", "notes", "-o", "build", "--json", cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"]["unchanged"] == 2


def test_keep_going_json_lists_the_errors(tmp_path: Path) -> None:
    outcome = build_case(
        tmp_path, {"list.md": b"---\n- a\n---\n" + OTHER}, "--keep-going", "--json"
    )
    assert outcome.result.exit_code == 1
    report = json.loads(outcome.result.stdout)
    assert report["errors"] == ["notes/list.md:1: front matter is a list, not a mapping of keys"]
    assert outcome.stderr == ["notes/list.md:1: front matter is a list, not a mapping of keys"]


def test_readme_troubleshooting_lists_every_message() -> None:
    """Each message these tests expect is explained in the README's Troubleshooting table."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for message in (
        "front matter is not valid YAML",
        "front matter is a list, not a mapping of keys",
        "front matter uses the YAML tag",
        "front matter has a value YAML cannot read",
        "front matter is nested too deeply",
        "unknown setting",
        "'notedeck' must be a mapping of settings, or false; ignored",
        "read as Shift_JIS (cp932); save it as UTF-8",
        "cannot decode as UTF-8",
        "binary file, not a Markdown note",
        "control characters replaced with U+FFFD",
        "characters long (a card holds at most 65,536); left out",
        "symbolic link loop not followed",
        "broken symbolic link not followed",
        "symbolic link out of the notes folder not followed",
        "symbolic link to a folder not followed",
        "cannot read the file",
        "cannot read the folder",
        "a file, not a notes folder or a Markdown note",
        "cannot create the output folder",
        "cannot write to the output folder",
        "cannot write the package",
        "state file is corrupt",
        "is outside the notes folder; not included",
    ):
        assert message in section, message


class _Planted:
    """A pickle payload that makes a folder when unpickled: what a planted cache could run."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.target),))


def test_a_planted_cache_file_runs_no_code(tmp_path: Path) -> None:
    """The parse cache is a pickle in build/; one that came with a cloned folder names
    `os.mkdir` here (it could name anything). The build ignores it and starts afresh."""
    pwned = tmp_path / "pwned"

    def plant(notes: Path) -> None:
        payload = {"fingerprint": "x", "entries": _Planted(pwned)}
        (tmp_path / "build" / CACHE_DIR / CACHE_FILE).write_bytes(pickle.dumps(payload))

    outcome = build_case(tmp_path, plant)
    assert outcome.result.exit_code == 0
    assert outcome.stderr == []
    assert not pwned.exists()
    assert terms(outcome.notes) == [GOOD_TERM]
