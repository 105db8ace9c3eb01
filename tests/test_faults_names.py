"""Faults around names, processes and size (issue 18, items 7-9 and large inputs): file names
that are not UTF-8, workers whose parent was killed, temporary files a crash left behind, and
a note so large that only work in proportion to its size keeps a build usable.

Every build here is the real command in a child process, on real files: its output is bytes
as a terminal gets them, and a kill is a real SIGKILL."""

from __future__ import annotations

import contextlib
import cProfile
import importlib.util
import json
import os
import pstats
import pty
import re
import select
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notedeck import locks
from notedeck import progress as progress_module
from notedeck.build import BuildOptions, build
from notedeck.cli import progress_bar
from notedeck.progress import READING
from tests.conftest import FIXTURES, REPO
from tests.hostile_helpers import GOOD, made_up_word, package_notes

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
    same names; nothing is written. So is an error about an output folder's name."""
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
    (tmp_path / "a\nfile").write_bytes(b"")
    wrong = notedeck("build", "notes/good.md", "-o", "a\nfile", cwd=tmp_path)
    assert wrong.returncode == 2
    assert lines(wrong.stderr) == ["a\\nfile: the output path is a file, not a folder"]


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


# Item 8: workers die with their parent.


def _bench_vault(folder: Path, count: int) -> None:
    """The bench generator's notes (10 terms each, in folders)."""
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    module.write_vault(folder, count=count)


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        yield int(entry), fields[0], int(fields[1]), int(fields[2])


def _children(pid: int) -> set[int]:
    """The live child processes of `pid`."""
    return {child for child, state, parent, _ in _processes() if parent == pid and state != "Z"}


def _alive(pid: int) -> bool:
    """Whether `pid` is a process that still runs (a zombie has ended)."""
    return any(found == pid and state not in ("Z", "X") for found, state, _, _ in _processes())


def _in_group(pgid: int) -> set[int]:
    """The live processes of process group `pgid`."""
    return {pid for pid, state, _, group in _processes() if group == pgid and state != "Z"}


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# A build as `notedeck build vault -o out` runs it, with two worker processes on any machine.
BUILD_WITH_TWO_WORKERS = """\
import sys
from pathlib import Path
from notedeck import progress as progress_module
from notedeck.build import BuildOptions, build
from notedeck.cli import progress_bar
from notedeck.progress import READING
try:
    build([Path(sys.argv[1])], BuildOptions(out=Path(sys.argv[2]), jobs=2))
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc to find the workers"
)


@needs_proc
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_workers_die_with_the_build(tmp_path: Path, signum: int) -> None:
    """A build extracting over two worker processes (`jobs=2`) is sent `signum` once both
    workers run: afterwards no process of the build is left, neither the two workers (by
    their PIDs) nor anything else in its process group. SIGKILL gives the parent no chance to
    stop them (the kernel's parent-death signal does); SIGINT ends the build with
    `interrupted` and exit code 130, without a traceback."""
    _bench_vault(tmp_path / "vault", 600)
    # A file, not a pipe: a worker left alive would hold a pipe open, and reading it hang.
    with (tmp_path / "stderr").open("wb") as stderr:
        build = subprocess.Popen(
            [sys.executable, "-c", BUILD_WITH_TWO_WORKERS, "vault", "out"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: the group is the build
        )
    try:
        assert _wait_until(lambda: len(_children(build.pid)) >= 2, 120), "no workers started"
        workers = _children(build.pid)
        assert build.poll() is None, "the build ended before it could be killed"
        os.kill(build.pid, signum)
        build.wait(timeout=60)
        assert _wait_until(lambda: not any(map(_alive, workers)), 10), workers
        assert _in_group(build.pid) == set()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()
    if signum == signal.SIGINT:
        assert build.returncode == 130
        assert lines((tmp_path / "stderr").read_bytes())[-1:] == ["interrupted"]
    else:
        assert build.returncode == -signum
    assert not (tmp_path / "out" / "vault.apkg").exists()


@needs_proc
def test_a_worker_without_the_parent_death_signal_ends_when_its_parent_is_gone(
    tmp_path: Path,
) -> None:
    """The fallback where the kernel cannot be asked: a process watching its parent with
    `workers._watch_parent` (nothing else keeps it) ends within seconds of the parent's
    death, where without the watch it would sleep on."""
    script = (
        "import multiprocessing, os, time\n"
        "from notedeck import workers\n"
        "def child(parent):\n"
        "    import threading\n"
        "    threading.Thread(target=workers._watch_parent, args=(parent,)).start()\n"
        "    time.sleep(3600)\n"
        "if __name__ == '__main__':\n"
        "    process = multiprocessing.get_context('fork').Process(\n"
        "        target=child, args=(os.getpid(),))\n"
        "    process.start()\n"
        "    print(process.pid, flush=True)\n"
        "    time.sleep(0.5)\n"
        "    os._exit(0)\n"
    )
    middle = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    orphan = int(middle.stdout.split()[0])
    try:
        assert _wait_until(lambda: not _alive(orphan), 10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan, signal.SIGKILL)


# Item 9: leftovers of killed builds.

# A build's way of writing a file or a scratch folder, killed in the middle (os._exit: no
# clean-up runs), or kept in the middle while it sleeps: a build still running.
# "commit": as a build writes its package or state, into a temporary file of the commit's
# (commit.Staging), by way of a temporary file of the writer's own.
WRITE_AND_DIE = """\
import os, sys, time
from pathlib import Path
from notedeck.commit import Staging
from notedeck.leftovers import scratch_folder
from notedeck.output import replacing
target, how, then = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
made = []
if target.name == "scratch":
    writing = scratch_folder()
else:
    target.parent.mkdir(parents=True, exist_ok=True)
    if how == "commit":
        target = Staging().scratch(target)
        made.append(target)
    writing = replacing(target)
with writing as temp:
    (temp / "collection.anki2" if temp.is_dir() else temp).write_bytes(b"half" * 1000)
    print(*made, temp, sep="\\t", flush=True)
    if then == "die":
        os._exit(9)
    time.sleep(600)
"""


def test_leftovers_of_killed_builds_go_and_a_running_builds_files_stay(tmp_path: Path) -> None:
    """Temporary files that killed builds left (the package's, the kept collection's, the
    commit's for the package and the state file with the writer's inside them, and the
    scratch folder under $TMPDIR, each made by notedeck's own code in a process killed while
    writing) are gone after the next build, as is an unmarked one an hour old. Those of a
    build still running, an unmarked one just written, another program's and the user's own
    files stay."""
    notes, build, temp = tmp_path / "notes", tmp_path / "build", tmp_path / "tmp"
    _write(notes, {b"good.md": GOOD})
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}

    def write(target: Path, how: str, then: str) -> tuple[list[Path], subprocess.Popen[str]]:
        process = subprocess.Popen(
            [sys.executable, "-c", WRITE_AND_DIE, str(target), how, then],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        with process.stdout:
            return [Path(p) for p in process.stdout.readline().strip().split("\t")], process

    dead = []
    for target, how in (
        (build / "notes.apkg", "replace"),
        (build / "notes.apkg", "commit"),
        (build / ".notedeck-cache" / "notes.apkg.anki2", "replace"),
        (notes / ".notedeck" / "state.json", "commit"),
        (tmp_path / "scratch", "replace"),
    ):
        left, process = write(target, how, "die")
        assert process.wait() == 9 and all(path.exists() for path in left)
        assert all(f"{process.pid}-" in path.name for path in left), left  # named by it
        dead += left
    running = [
        *(write(build / "notes.apkg", how, "sleep") for how in ("replace", "commit")),
        write(tmp_path / "scratch", "replace", "sleep"),
    ]
    try:
        hour_ago = time.time() - 3700
        unmarked_old = build / ".notes.apkg.k2j4h6g8.tmp"
        unmarked_new = build / ".notes.apkg.a1b2c3d4.tmp"
        others = [build / ".report.txt.k2j4h6g8.tmp", build / "keep.me", temp / "notedeck-x"]
        for path in [unmarked_old, unmarked_new, *others]:
            path.write_bytes(b"x")
        os.utime(unmarked_old, (hour_ago, hour_ago))
        os.utime(others[0], (hour_ago, hour_ago))

        result = subprocess.run(
            [sys.executable, "-m", "notedeck", "build", "notes", "-o", "build"],
            cwd=tmp_path,
            capture_output=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert [path for path in dead if path.exists()] == []
        assert not unmarked_old.exists()
        live = [path for left, _ in running for path in left]
        assert [path for path in [*live, unmarked_new, *others] if not path.exists()] == []
        assert (build / "notes.apkg").is_file()
        assert sorted(p.name for p in temp.iterdir()) == sorted(
            ["notedeck-x", live[-1].name]  # the build's own scratch folder went as it ended
        )
    finally:
        for _, process in running:
            process.kill()
            process.wait()


def test_the_clean_up_keeps_the_lock_files_of_the_build_holding_them(tmp_path: Path) -> None:
    """A build removes leftovers only once it holds its locks, and their lock files (an hour
    old here, as a long build's would be) are no leftovers: they stay, the same files."""
    notes, out = tmp_path / "notes", tmp_path / "build"
    _write(notes, {b"good.md": GOOD})
    lock_files = [out / ".notedeck-cache" / "lock", notes / ".notedeck" / "lock"]
    with locks.build_locks(out, notes / ".notedeck"):  # this process's: the build joins them
        hour_ago = time.time() - 3700
        for lock_file in lock_files:
            os.utime(lock_file, (hour_ago, hour_ago))
        held = [os.stat(lock_file).st_ino for lock_file in lock_files]
        report = build([notes], BuildOptions(out=out, now=1_700_000_000))
        assert report.packages == [out / "notes.apkg"]
        assert [os.stat(lock_file).st_ino for lock_file in lock_files] == held
    assert [lock_file for lock_file in lock_files if lock_file.exists()] == []  # given up


# Large inputs: the work of a huge note is in proportion to its size.


def _headings_note(count: int) -> str:
    """`count` headings of every level; every tenth has a definition (a card)."""
    parts = []
    for index in range(count):
        parts.append(f"{'#' * (index % 6 + 1)} {made_up_word(index)}\n")
        if index % 10 == 0:
            parts.append(f"\nA queue that holds the requests of stage {index}.\n\n")
    return "".join(parts)


def _work(folder: Path, count: int) -> tuple[int, int, int, int]:
    """A cold build of one note of `count` headings, then a rebuild after one edit: the
    Python function calls each made (cProfile counts them, whatever the machine's speed) and
    the peak of the memory each allocated (tracemalloc)."""
    note = folder / "notes" / "headings.md"
    note.parent.mkdir(parents=True)
    note.write_text(_headings_note(count), encoding="utf-8")
    measured = []
    for _ in ("cold", "one edit"):
        profile = cProfile.Profile()
        tracemalloc.start()
        profile.enable()
        report = build([note.parent], BuildOptions(out=folder / "build", now=1_700_000_000))
        profile.disable()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(report.planned) == count // 10
        calls = sum(entry[1] for entry in pstats.Stats(profile).stats.values())  # type: ignore[attr-defined]
        measured += [calls, peak]
        note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    return measured[0], measured[1], measured[2], measured[3]


def test_a_note_four_times_as_long_takes_four_times_the_work(tmp_path: Path) -> None:
    """A note of 8,000 headings against one of 2,000, cold and rebuilt after one edit: at
    most 4.4 times the function calls and 5 times the peak memory (linear, with room for
    the constant part; a step that went over every earlier section for each section would
    make 16 times the calls)."""
    warm = tmp_path / "warm"  # lazy imports and loads: not counted
    _write(warm, {b"good.md": GOOD})
    build([warm], BuildOptions(out=warm / "build"))
    small = _work(tmp_path / "small", 2_000)
    large = _work(tmp_path / "large", 8_000)
    ratios = [b / a for a, b in zip(small, large, strict=True)]
    cold_calls, cold_peak, edit_calls, edit_peak = ratios
    assert cold_calls <= 4.4 and edit_calls <= 4.4, ratios
    assert cold_peak <= 5 and edit_peak <= 5, ratios


def test_the_package_is_compressed_and_its_images_stored(tmp_path: Path) -> None:
    """The collection in the package is deflated, to under a third of its size for 100 of
    the bench notes (1,000 cards); an image is stored as it is (deflating a PNG only costs
    time). Real Anki imports the package."""
    anki_helpers = pytest.importorskip("tests.anki_helpers")
    vault = tmp_path / "vault"
    _bench_vault(vault, 100)
    (vault / "image.md").write_bytes((FAULTS / "image.md").read_bytes())
    (vault / "diagram.png").write_bytes((FIXTURES / "render" / "img" / "diagram.png").read_bytes())
    report = build([vault], BuildOptions(out=tmp_path / "build", now=1_700_000_000))
    package = tmp_path / "build" / "vault.apkg"
    with zipfile.ZipFile(package) as archive:
        members = {info.filename: info for info in archive.infolist()}
        media = json.loads(archive.read("media"))
    collection = members["collection.anki2"]
    assert collection.compress_type == zipfile.ZIP_DEFLATED
    assert collection.compress_size * 3 < collection.file_size
    (image,) = [member for member, name in media.items() if name.endswith("diagram.png")]
    assert members[image].compress_type == zipfile.ZIP_STORED
    with anki_helpers.collection(tmp_path) as col:
        log = anki_helpers.import_package(col, package)
        assert (log.new, log.duplicate) == (len(report.planned), 0)
        assert col.media.have(media[image])


def test_a_long_note_and_the_steps_after_reading_report_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note over the size that makes it report on its own (lowered here to 10 kB, the
    same code path as 1 MB) reports its sections every 500 and its cards as it is read;
    after the notes, planning, writing the package, the state file and the cache each
    report their start and their end, in that order."""
    monkeypatch.setattr(progress_module, "LONG_NOTE_BYTES", 10_000)
    monkeypatch.chdir(tmp_path)
    notes = Path("notes")
    notes.mkdir()
    (notes / "big.md").write_text(_headings_note(2_000), encoding="utf-8")
    (notes / "small.md").write_bytes(GOOD)
    seen: list[tuple[int, int, str]] = []
    options = BuildOptions(
        out=tmp_path / "build",
        progress=lambda done, total, step=READING: seen.append((done, total, step)),
    )
    build([notes], options)
    assert seen == [
        (500, 2001, "Sections of notes/big.md"),  # 2,000 headings and the text above them
        (1000, 2001, "Sections of notes/big.md"),
        (1500, 2001, "Sections of notes/big.md"),
        (2000, 2001, "Sections of notes/big.md"),
        (2001, 2001, "Sections of notes/big.md"),
        (200, 200, "Cards of notes/big.md"),
        (1, 2, READING),
        (2, 2, READING),
        (0, 1, "Planning cards"),
        (1, 1, "Planning cards"),
        (0, 1, "Writing the package"),
        (1, 1, "Writing the package"),
        (0, 1, "Writing the state file"),
        (1, 1, "Writing the state file"),
        (0, 1, "Saving the cache"),
        (1, 1, "Saving the cache"),
    ]


def test_the_progress_display_draws_a_bar_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, each step gets its bar, labelled, on a line of its own."""
    master, child = pty.openpty()
    with os.fdopen(child, "w", encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        with progress_bar(enabled=True, moment=0) as progress:
            assert progress is not None
            for done in range(1, 3):
                progress(done, 2)
            progress(0, 1, "Planning cards")
            progress(1, 1, "Planning cards")
            progress(0, 1, "Writing the package")
        terminal.flush()
        chunks = []
        while select.select([master], [], [], 0.5)[0]:
            chunks.append(os.read(master, 65536))
    os.close(master)
    drawn = re.sub(r"\x1b\[[?0-9;]*[A-Za-z]", "", b"".join(chunks).decode())  # cursor codes
    last_of_each = [line.rstrip("\r").rsplit("\r", 1)[-1].strip() for line in drawn.split("\n")]
    assert [line.split("  ")[0] for line in last_of_each if line] == [
        "Reading notes",
        "Planning cards",
        "Writing the package",
    ]
    assert "100%" in last_of_each[0] and "100%" in last_of_each[1]
