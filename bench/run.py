"""`make bench`: time notedeck on the bench vault against genanki alone and against ankdown.

    python bench/run.py [--out build] [--runs 3] [--notes 2000]

Writes the vault (bench/generate.py) to OUT/bench/, then times, each the median of --runs runs
in fresh processes: (a) a cold build (no cache, no state), (a1) the same on one process and
(a2) on two worker processes whatever the load, (b) a
rebuild with nothing changed, (c) a rebuild after one note changed, (d) the floor: genanki
alone writing the same notes (one deck; d2 with notedeck's decks; d3 notedeck's own writer),
and (e) ankdown, installed from PyPI into its own virtualenv under OUT/bench/, on the same
terms in its own card format. Each run's peak memory is read from the kernel (ru_maxrss of the
process and the workers it waited for) and sampled as the sum over the process tree. Prints a
table and the ratios, and writes OUT/bench.json. Times on a shared machine are noisy: compare
the ratios of one run, not times across runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TERMS_PER_NOTE, notes, write_vault

PYTHON = sys.executable
ANKDOWN_VERSION = "0.7.1"
ANKDOWN = f"ankdown=={ANKDOWN_VERSION}"


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


def change_one_note(vault: Path, round_number: int) -> None:
    """Edit one definition of one note, differently each round (a real change every time)."""
    note = vault / "note0000.md"
    text = note.read_text(encoding="utf-8")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.endswith("ごとに設定する。") or "（改訂" in line:
            lines[index] = line.split("（改訂")[0].rstrip("。") + f"（改訂{round_number}）。"
            break
    note.write_text("\n".join(lines), encoding="utf-8")


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
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--notes", type=int, default=2000)
    args = parser.parse_args()
    runs = max(1, args.runs)
    home = (args.out / "bench").resolve()
    home.mkdir(parents=True, exist_ok=True)
    vault, ank_vault, target = home / "vault", home / "ankdown-vault", home / "out"
    terms_file = home / "terms.json"
    written = write_vault(vault, count=args.notes)
    write_ankdown_vault(ank_vault, args.notes)
    write_terms(terms_file, args.notes)
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
        )
    }
    load_before = os.getloadavg()
    for _ in range(runs):
        for command, row in (
            (with_jobs(1), "cold_one_process"),
            (with_jobs(2), "cold_two_processes"),
            (notedeck, "cold"),
        ):
            shutil.rmtree(target, ignore_errors=True)
            measure(command, rows[row])
    cards = package_notes(target / f"{vault.name}.apkg")
    package_bytes = (target / f"{vault.name}.apkg").stat().st_size
    for _ in range(runs):
        measure(notedeck, rows["unchanged"])
    for round_number in range(runs):
        change_one_note(vault, round_number)
        measure(notedeck, rows["one_changed"])
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

    load = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    print(
        f"\n{cards} cards; median of {runs} runs; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; load average before {load[:3]}, after {load[3:]}"
    )
    print(f"package of the cold build: {package_bytes:,} bytes")
    print(f"{'':44} {'seconds':>8} {'peak MB':>8} {'tree MB':>8}")
    for row in rows.values():
        if row.skipped:
            print(f"{row.label:44} {'skipped':>8}")
            continue
        peak, tree = max(row.peak_mb), max(row.tree_mb)
        print(f"{row.label:44} {row.median:8.2f} {peak:8.0f} {tree:8.0f}")
    cold = rows["cold"].median
    ratios: dict[str, float | None] = {
        "ankdown/cold": rows["ankdown"].median / cold,
        "cold/floor": cold / rows["floor"].median,
        "one_changed/cold": rows["one_changed"].median / cold,
        "unchanged/cold": rows["unchanged"].median / cold,
        "cold_one_process/cold_two_processes": rows["cold_one_process"].median
        / rows["cold_two_processes"].median,
        "genanki_decks/writer": rows["genanki_decks"].median / rows["writer"].median,
    }
    ratios = {k: (v if v == v else None) for k, v in ratios.items()}  # NaN: a skipped row
    print()
    for name, value in ratios.items():
        print(f"{name:36} {'n/a' if value is None else format(value, '6.2f')}")
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
        "runs": runs,
        "rows": {
            name: {**asdict(row), "median": row.median if row.seconds else None}
            for name, row in rows.items()
        },
        "ratios": ratios,
    }
    (args.out / "bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out / 'bench.json'}")


if __name__ == "__main__":
    main()
