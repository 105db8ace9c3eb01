"""`notedeck watch`, run as a real process: rebuilds on change, survives a broken note."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import watchfiles

from notedeck.identity import STATE_DIR, STATE_NAME
from notedeck.watch import is_note_change
from tests.regen_scenario import copy_v1

TIMEOUT = 60.0  # seconds; generous for a loaded machine, the loop ends as soon as it can


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[Path, Path, Path, Path]]:
    """`notedeck watch notes -o out` running in tmp_path: (notes, out, stdout, stderr)."""
    notes, out = copy_v1(tmp_path), tmp_path / "out"
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with watching(tmp_path, stdout, stderr) as process:
        yield notes, out, stdout, stderr
        assert process.poll() is None, "watch stopped by itself"


@contextmanager
def watching(tmp_path: Path, stdout: Path, stderr: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`notedeck watch notes -o out` running in tmp_path, its output in the two files;
    stopped afterwards if it still runs."""
    with stdout.open("wb") as out_stream, stderr.open("wb") as err_stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "notedeck", "watch", "notes", "-o", "out"],
            cwd=tmp_path,
            stdout=out_stream,
            stderr=err_stream,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=TIMEOUT)


def wait_for(condition: Callable[[], bool], *logs: Path) -> None:
    """Poll until `condition` holds, failing with the logs after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            shown = "\n".join(f"{p.name}:\n{p.read_text(encoding='utf-8')}" for p in logs)
            pytest.fail(f"timed out waiting\n{shown}")
        time.sleep(0.1)


def state_terms(out: Path) -> set[str]:
    """The terms of the live notes in the state file ({} while there is none): the build of
    notes/ into `out` keeps it in notes/.notedeck/."""
    try:
        state = json.loads((out.parent / "notes" / STATE_DIR / STATE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    return {e["term"] for e in state["notes"].values() if not e.get("removed")}


def test_watch_rebuilds_on_change_and_survives_a_broken_note(
    watcher: tuple[Path, Path, Path, Path],
) -> None:
    notes, out, stdout, stderr = watcher
    wait_for(lambda: len(state_terms(out)) == 30, stdout, stderr)
    wait_for(lambda: "watching notes" in stderr.read_text(encoding="utf-8"), stdout, stderr)
    assert "out/notes.apkg: 30 cards from 4 notes (30 added)" in stdout.read_text("utf-8")

    extra = notes / "extra.md"
    extra.write_text("# Kernel\n\nKernel: the core program of an operating system.\n", "utf-8")
    wait_for(lambda: "Kernel" in state_terms(out), stdout, stderr)
    wait_for(lambda: "(1 added, 30 unchanged)" in stdout.read_text("utf-8"), stdout, stderr)

    # Half-typed front matter: the error line is printed, the package is left as it was.
    package = out / "notes.apkg"
    written = package.stat().st_mtime_ns
    extra.write_text("---\ntitle: [Kern\n---\nKernel: the core program.\n", "utf-8")
    wait_for(
        lambda: "extra.md:3: front matter is not valid YAML" in stderr.read_text("utf-8"),
        stdout,
        stderr,
    )
    assert package.stat().st_mtime_ns == written

    extra.write_text(
        "---\ntitle: Kernel\n---\n# Kernel\n\nScheduler: the part that picks the next task.\n",
        "utf-8",
    )
    wait_for(lambda: "Scheduler" in state_terms(out), stdout, stderr)
    assert "Kernel" not in state_terms(out)
    assert "Traceback" not in stderr.read_text("utf-8")


def test_watch_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notedeck", "watch", "nowhere"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert (done.returncode, done.stderr) == (2, "nowhere: no such file or folder\n")


def test_watch_follows_images_and_settings_says_new_warnings_once_and_stops_quietly(
    tmp_path: Path,
) -> None:
    notes, stdout, stderr = copy_v1(tmp_path), tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    (notes / "pic.md").write_text(
        "# Diagram\n\nDiagram: a drawing of the parts, ![d](img/d.png)\n", encoding="utf-8"
    )
    missing = "notes/pic.md:3: warning: image 'img/d.png' not found"
    with watching(tmp_path, stdout, stderr) as process:
        wait_for(lambda: "watching notes" in stderr.read_text("utf-8"), stdout, stderr)
        first = stdout.read_text("utf-8").splitlines()[0]
        assert re.fullmatch(r"\[\d\d:\d\d:\d\d\] out/notes\.apkg: 31 cards .*", first)
        assert stderr.read_text("utf-8").count(missing) == 1
        # An edit elsewhere: rebuilt, the same warning not said again.
        extra = notes / "extra.md"
        extra.write_text("Kernel: the core program of an operating system.\n", "utf-8")
        wait_for(lambda: "added (1): Kernel" in stdout.read_text("utf-8"), stdout, stderr)
        assert stderr.read_text("utf-8").count(missing) == 1
        # The image appears: the card that shows it is rebuilt.
        (notes / "img").mkdir()
        (notes / "img" / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
        wait_for(lambda: "changed (1): Diagram" in stdout.read_text("utf-8"), stdout, stderr)
        # The settings change: every card's tags do.
        (notes / "notedeck.yaml").write_text("tag_prefix: lab\n", encoding="utf-8")
        wait_for(lambda: "changed (32)" in stdout.read_text("utf-8"), stdout, stderr)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0
    said = stderr.read_text("utf-8")
    assert said.endswith("stopped\n")
    assert "KeyboardInterrupt" not in said and "Traceback" not in said


def test_watch_reacts_to_every_file_a_card_can_show_and_not_to_its_own_writing() -> None:
    # Sounds and videos are media since issue 17: adding a missing one must rebuild too.
    changed = watchfiles.Change.modified
    followed = ["n/a.md", "n/img/x.PNG", "n/media/talk.mp3", "n/v/demo.mp4", "n/notedeck.yaml"]
    followed.append("n/.obsidian/app.json")
    ignored = ["n/.notedeck/state.json", "n/.git/index", "n/a.txt", "n/.obsidian/workspace.json"]
    assert [p for p in followed if not is_note_change(changed, p)] == []
    assert [p for p in ignored if is_note_change(changed, p)] == []
