"""`make bench`: time notedeck on the bench vault against genanki alone and against ankdown.

    python bench/run.py [--out build] [--runs 5] [--scale 1] [--edits 20]

Writes the vault (bench/generate.py: 2,000 notes, 20,000 terms in the writing styles of
DESIGN §2) to OUT/bench/, then times, each the median of --runs runs in fresh processes: (a) a
cold build (no cache, no state), (a1) the same on one process and (a2) on two worker processes
whatever the load, (b) a rebuild with nothing changed, (c) a rebuild after one note changed,
(d) the floor: genanki alone writing the same notes (one deck; d2 with notedeck's decks; d3
notedeck's own writer), (e) ankdown, installed from PyPI into its own virtualenv under
OUT/bench/, on the same terms in its own card format, (f) `notedeck watch`: from saving an
edit to the package being replaced (its inode and mtime polled), over --edits edits, and (g)
the same vault style at 10,000 notes (100,000 terms): cold, nothing changed, one note changed.
--scale multiplies both vaults' sizes (0.1: a quick run). Each run's peak memory is read from
the kernel (ru_maxrss of the process and the workers it waited for, as wait4 reports it) and
sampled as the sum over the process tree. Prints a table and the ratios, and writes
OUT/bench.json. Times on a shared machine are noisy: compare the ratios of one run, not times
across runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TERMS_PER_NOTE, notes, write_vault

PYTHON = sys.executable
ANKDOWN_VERSION = "0.7.1"
ANKDOWN = f"ankdown=={ANKDOWN_VERSION}"
NOTES = 2000  # the bench vault: 20,000 terms
LARGE_NOTES = 10_000  # (g): 100,000 terms


@dataclass
class Timing:
    """The runs of one bench row."""

    name: str
    label: str
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)  # largest single process
    tree_mb: list[float] = field(default_factory=list)  # sampled sum over the process tree
    skipped: str = ""

    @property
    def median(self) -> float:
        """The median time, or NaN when skipped."""
        return statistics.median(self.seconds) if self.seconds else float("nan")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as stream:
                found.extend(int(c) for c in stream.read().split())
    except OSError:
        pass
    return found


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as stream:
                for line in stream:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
        stack.extend(_children(current))
    return total


def measure(command: list[str], timing: Timing, cwd: Path | None = None) -> None:
    """Run `command` once; add its wall time and peak memory to `timing`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak_tree[0] = max(peak_tree[0], _tree_rss_kb(process.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 gives the child's own resource use, including the pool workers it reaped.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors}")
    timing.seconds.append(elapsed)
    timing.peak_mb.append(usage.ru_maxrss / 1024)
    timing.tree_mb.append(peak_tree[0] / 1024)


def ankdown_venv(folder: Path) -> tuple[Path | None, str]:
    """The ankdown script in its own virtualenv, installed from PyPI; or None and why not."""
    script = folder / "bin" / "ankdown"
    if script.exists():
        return script, ""
    try:
        subprocess.run([PYTHON, "-m", "venv", str(folder)], check=True, capture_output=True)
        subprocess.run(
            [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", ANKDOWN],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        output = getattr(exc, "stderr", b"") or b""
        last = output.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"ankdown could not be installed from PyPI: {last[0]}"
    return script, ""


def write_ankdown_vault(out: Path, count: int) -> None:
    """The same terms in ankdown's format: front, `%`, back, `%`, tags; cards split by `---`."""
    if out.exists():
        shutil.rmtree(out)
    for path, _, pairs in notes(count=count):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        cards = [f"{term}\n\n%\n\n{definition}\n\n%\n\nbench\n" for term, definition in pairs]
        target.write_text("\n---\n\n".join(cards), encoding="utf-8")


def write_terms(out: Path, count: int) -> None:
    """[[deck, term, definition]] for the floor runs: one deck per note, as notedeck makes."""
    rows = [
        [path.removesuffix(".md").replace("/", "::"), term, definition]
        for path, _, pairs in notes(count=count)
        for term, definition in pairs
    ]
    out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def package_notes(path: Path) -> int:
    """How many notes a written .apkg holds."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("collection.anki2")
    scratch = path.with_suffix(".anki2")
    scratch.write_bytes(data)
    try:
        connection = sqlite3.connect(scratch)
        (count,) = connection.execute("SELECT count(*) FROM notes").fetchone()
        connection.close()
    finally:
        scratch.unlink()
    return int(count)


# Every Japanese definition of the bench vault says 「…ごとに設定する」; an edit turns it into
# 「…ごとに設定しない」 on one line and back, a real change each time.
_EDITED = re.compile(r"ごとに設定(する|しない)")
EDITED_NOTE = "note0000.md"


def _cards_of(note: Path) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "notedeck", "extract", str(note), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def card_line(vault: Path) -> int:
    """The first line of the edited note whose edit changes a card (a line the scorer leaves
    out would make the "one note changed" rebuild one that writes nothing)."""
    note = vault / EDITED_NOTE
    text = note.read_text(encoding="utf-8")
    before = _cards_of(note)
    try:
        for number, line in enumerate(text.split("\n"), 1):
            if _EDITED.search(line):
                _edit_line(note, text, number)
                if _cards_of(note) != before:
                    return number
    finally:
        note.write_text(text, encoding="utf-8")
    raise SystemExit(f"{note}: no card of it says 「ごとに設定する」 to edit")


def _edit_line(note: Path, text: str, number: int) -> None:
    lines = text.split("\n")
    flip = {"する": "しない", "しない": "する"}
    lines[number - 1] = _EDITED.sub(
        lambda found: "ごとに設定" + flip[found.group(1)], lines[number - 1], count=1
    )
    note.write_text("\n".join(lines), encoding="utf-8")


def change_one_note(vault: Path, line: int) -> None:
    """Edit one card's definition on `line` of one note, the other way than last time."""
    note = vault / EDITED_NOTE
    _edit_line(note, note.read_text(encoding="utf-8"), line)


def cold_start(vault: Path, target: Path) -> None:
    """No cache and no state: the output folder and the state folder of the notes root gone."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(vault / ".notedeck", ignore_errors=True)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns


def watch_latency(vault: Path, target: Path, edits: int, line: int, timing: Timing) -> None:
    """(f): `notedeck watch` on a built vault; for each edit, the seconds from saving the note
    to the package being replaced (a new inode or mtime, polled every millisecond). The next
    edit waits until the rebuild has printed its report (its state and cache are written)."""
    package = target / f"{vault.name}.apkg"
    command = [PYTHON, "-m", "notedeck", "watch", str(vault), "-o", str(target)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    reports: list[str] = []  # each rebuild's first line: `[hh:mm:ss] path: N cards …`
    said: list[str] = []
    ready = threading.Event()

    def read(stream: Any, into: list[str], line_start: str) -> None:
        for line in stream:
            if line.startswith(line_start):
                into.append(line)
            if line.startswith("watching "):
                ready.set()

    readers = [
        threading.Thread(target=read, args=(process.stdout, reports, "["), daemon=True),
        threading.Thread(target=read, args=(process.stderr, said, ""), daemon=True),
    ]
    for reader in readers:
        reader.start()

    def wait(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"notedeck watch: no {what}:\n{''.join(said[-20:])}")
            time.sleep(0.001)

    try:
        wait(ready.is_set, "start")
        wait(lambda: len(reports) >= 1, "first build")
        for _ in range(edits):
            before, built = _stamp(package), len(reports)
            time.sleep(0.3)  # apart from the last rebuild's writes, as a person's saves are
            change_one_note(vault, line)
            started = time.perf_counter()
            wait(lambda: _stamp(package) != before, "package replaced")  # noqa: B023
            timing.seconds.append(time.perf_counter() - started)
            wait(lambda: len(reports) > built, "report")  # noqa: B023
    finally:
        process.send_signal(signal.SIGINT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        timing.peak_mb.append(usage.ru_maxrss / 1024)
        timing.tree_mb.append(usage.ru_maxrss / 1024)


def compile_notedeck() -> None:
    """Byte-compile notedeck's modules, as installing a wheel does.

    pip compiled the dependencies (and ankdown) when it installed them, but an editable
    install compiles notedeck on first import, and not at all where PYTHONDONTWRITEBYTECODE is
    set: every timed run then compiled all of notedeck's source again, 40 ms that a user's
    installed notedeck never spends.
    """
    spec = importlib.util.find_spec("notedeck")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("notedeck is not installed in this Python")
    folder = spec.submodule_search_locations[0]
    subprocess.run([PYTHON, "-m", "compileall", "-q", folder], check=True)


def main() -> None:
    """Run the bench and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="times the vaults' sizes (2,000 and 10,000 notes)"
    )
    parser.add_argument("--edits", type=int, default=20, help="edits timed under watch (f)")
    args = parser.parse_args()
    runs = max(1, args.runs)
    count = max(1, round(NOTES * args.scale))
    large_count = max(1, round(LARGE_NOTES * args.scale))
    home = (args.out / "bench").resolve()
    home.mkdir(parents=True, exist_ok=True)
    vault, ank_vault, target = home / "vault", home / "ankdown-vault", home / "out"
    large, large_target = home / "vault-large", home / "out-large"
    terms_file = home / "terms.json"
    written = write_vault(vault, count=count)
    write_ankdown_vault(ank_vault, count)
    write_terms(terms_file, count)
    print(f"bench vault: {vault} ({written} notes, {written * TERMS_PER_NOTE} terms)")
    compile_notedeck()

    notedeck = [PYTHON, "-m", "notedeck", "build", str(vault), "-o", str(target), "-q"]

    def with_jobs(jobs: int) -> list[str]:
        return [
            PYTHON,
            "-c",
            "import sys; from pathlib import Path; from notedeck.build import BuildOptions, build; "
            "out, jobs = Path(sys.argv[2]), int(sys.argv[3]); "
            "build([Path(sys.argv[1])], BuildOptions(out=out, jobs=jobs))",
            str(vault),
            str(target),
            str(jobs),
        ]

    rows = {
        name: Timing(name, label)
        for name, label in (
            ("cold", "(a) cold build (no cache, no state)"),
            ("cold_one_process", "(a1) cold build, one process"),
            ("cold_two_processes", "(a2) cold build, two worker processes"),
            ("unchanged", "(b) rebuild, nothing changed"),
            ("one_changed", "(c) rebuild, one note changed"),
            ("floor", "(d) floor: genanki alone, one deck"),
            ("genanki_decks", "(d2) genanki alone, notedeck's decks"),
            ("writer", "(d3) notedeck's writer alone, same decks"),
            ("ankdown", f"(e) ankdown {ANKDOWN_VERSION}, same terms"),
            ("watch", f"(f) watch: edit saved -> package replaced, {args.edits} edits"),
            ("large_cold", "(g) large vault: cold build"),
            ("large_unchanged", "(g) large vault: nothing changed"),
            ("large_one_changed", "(g) large vault: one note changed"),
        )
    }
    load_before = os.getloadavg()
    for _ in range(runs):
        for command, row in (
            (with_jobs(1), "cold_one_process"),
            (with_jobs(2), "cold_two_processes"),
            (notedeck, "cold"),
        ):
            cold_start(vault, target)
            measure(command, rows[row])
    cards = package_notes(target / f"{vault.name}.apkg")
    package_bytes = (target / f"{vault.name}.apkg").stat().st_size
    for _ in range(runs):
        measure(notedeck, rows["unchanged"])
    line = card_line(vault)
    for _ in range(runs):
        change_one_note(vault, line)
        measure(notedeck, rows["one_changed"])
    watch_latency(vault, target, args.edits, line, rows["watch"])
    for name, writer in (
        ("floor", "genanki"),
        ("genanki_decks", "genanki-decks"),
        ("writer", "notedeck-writer"),
    ):
        floor = [PYTHON, str(Path(__file__).parent / "floor.py"), str(terms_file)]
        for _ in range(runs):
            measure([*floor, str(home / f"{name}.apkg"), writer], rows[name])
    script, reason = ankdown_venv(home / "ankdown-venv")
    if script is None:
        rows["ankdown"].skipped = reason
        print(f"skipped ankdown: {reason}")
    else:
        for _ in range(runs):
            measure(
                [str(script), "-r", str(ank_vault), "-p", str(home / "ankdown.apkg")],
                rows["ankdown"],
            )

    large_written = write_vault(large, count=large_count)
    print(f"large vault: {large} ({large_written} notes, {large_written * TERMS_PER_NOTE} terms)")
    large_build = [PYTHON, "-m", "notedeck", "build", str(large), "-o", str(large_target), "-q"]
    for _ in range(runs):
        cold_start(large, large_target)
        measure(large_build, rows["large_cold"])
    large_cards = package_notes(large_target / f"{large.name}.apkg")
    for _ in range(runs):
        measure(large_build, rows["large_unchanged"])
    large_line = card_line(large)
    for _ in range(runs):
        change_one_note(large, large_line)
        measure(large_build, rows["large_one_changed"])

    load = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    print(
        f"\n{cards} cards; median of {runs} runs; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; load average before {load[:3]}, after {load[3:]}"
    )
    print(f"large vault: {large_cards} cards")
    print(f"package of the cold build: {package_bytes:,} bytes")
    print(f"{'':52} {'seconds':>8} {'max':>8} {'peak MB':>8} {'tree MB':>8}")
    for row in rows.values():
        if row.skipped:
            print(f"{row.label:52} {'skipped':>8}")
            continue
        peak, tree = max(row.peak_mb), max(row.tree_mb)
        slowest = max(row.seconds)
        print(f"{row.label:52} {row.median:8.3f} {slowest:8.3f} {peak:8.0f} {tree:8.0f}")
    cold = rows["cold"].median
    per_card = cold / cards * 1e6
    large_per_card = rows["large_cold"].median / large_cards * 1e6
    ratios: dict[str, float | None] = {
        "ankdown/cold": rows["ankdown"].median / cold,
        "cold/floor": cold / rows["floor"].median,
        "one_changed/cold": rows["one_changed"].median / cold,
        "unchanged/cold": rows["unchanged"].median / cold,
        "cold_one_process/cold_two_processes": rows["cold_one_process"].median
        / rows["cold_two_processes"].median,
        "genanki_decks/writer": rows["genanki_decks"].median / rows["writer"].median,
        "watch_median/one_changed": rows["watch"].median / rows["one_changed"].median,
        "watch_max/watch_median": max(rows["watch"].seconds) / rows["watch"].median,
        "large_one_changed/large_cold": rows["large_one_changed"].median
        / rows["large_cold"].median,
        "large_unchanged/large_cold": rows["large_unchanged"].median / rows["large_cold"].median,
        "us_per_card_large/us_per_card": large_per_card / per_card,
        "large_peak_mb/peak_mb": max(rows["large_cold"].peak_mb) / max(rows["cold"].peak_mb),
    }
    ratios = {k: (v if v == v else None) for k, v in ratios.items()}  # NaN: a skipped row
    # The targets (19), each as (measured, target, met): seconds, ratios and MB.
    measured = {
        "watch median seconds <= 0.05": (rows["watch"].median, 0.05),
        "one_changed/cold <= 0.1": (ratios["one_changed/cold"], 0.1),
        "ankdown/cold >= 1.0": (ratios["ankdown/cold"], 1.0),
        "us_per_card_large/us_per_card <= 1.2": (ratios["us_per_card_large/us_per_card"], 1.2),
        "large peak MB < 400": (max(rows["large_cold"].tree_mb), 400.0),
        "large one_changed seconds < 1": (rows["large_one_changed"].median, 1.0),
    }
    targets = {
        name: {
            "measured": value,
            "target": bound,
            "met": None if value is None else (value >= bound if ">=" in name else value <= bound),
        }
        for name, (value, bound) in measured.items()
    }
    print()
    for name, value in ratios.items():
        print(f"{name:36} {'n/a' if value is None else format(value, '6.2f')}")
    print()
    for name, target in targets.items():
        value, met = target["measured"], target["met"]
        shown = "n/a" if value is None else format(value, "8.3f")
        print(f"{name:40} {shown} {'met' if met else 'not met' if met is not None else ''}")
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before_after": load,
        },
        "notes": written,
        "cards": cards,
        "package_bytes": package_bytes,
        "large_notes": large_written,
        "large_cards": large_cards,
        "us_per_card": {"cold": per_card, "large_cold": large_per_card},
        "runs": runs,
        "watch_edits": args.edits,
        "scale": args.scale,
        "rows": {
            name: {**asdict(row), "median": row.median if row.seconds else None}
            for name, row in rows.items()
        },
        "ratios": ratios,
        "targets": targets,
    }
    (args.out / "bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out / 'bench.json'}")


if __name__ == "__main__":
    main()
