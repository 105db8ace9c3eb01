"""The `notedeck` command: flags in, a call into the library, the report out.

Each command imports the part of notedeck it runs when it runs: `--help`, `init` or a
`build` never pay for importing what only `push`, `sync`, `preview` or `check` use.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .config import (
    ANKICONNECT_KEY_VARIABLE,
    ANKICONNECT_TIMEOUT,
    ANKICONNECT_URL,
    ANKICONNECT_URL_VARIABLE,
    CONFIG_NAME,
    SYNC_BACKUPS,
)
from .errors import NotedeckError

if TYPE_CHECKING:
    from .extract import Card, Extraction
    from .progress import Progress

F = TypeVar("F", bound=Callable[..., Any])
NOTES = click.argument("notes", nargs=-1, type=click.Path(path_type=Path))
NAMESPACE = click.option("--namespace", help="Identity namespace of the cards' GUIDs.")
WAIT = click.option(
    "--wait",
    is_flag=True,
    help="When another notedeck builds into the same folder or from the same notes, wait for "
    "it to finish instead of stopping.",
)


def _out_option(default: Path, help_text: str) -> Callable[[F], F]:
    """The `-o/--out` option of a command that writes somewhere."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(path_type=Path),
        default=default,
        show_default=True,
        help=help_text,
    )


OUT = _out_option(Path("build"), "Output folder.")
URL = click.option(
    "--url",
    envvar=ANKICONNECT_URL_VARIABLE,
    help=f"AnkiConnect's address [default: ankiconnect_url of notedeck.yaml, else "
    f"{ANKICONNECT_URL}; env: {ANKICONNECT_URL_VARIABLE}].",
)
KEY = click.option(
    "--key",
    envvar=ANKICONNECT_KEY_VARIABLE,
    help="AnkiConnect's apiKey, when its config sets one [default: ankiconnect_key of "
    f"notedeck.yaml; env: {ANKICONNECT_KEY_VARIABLE}].",
)
TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=ANKICONNECT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for Anki to answer (imports may take longer).",
)


def _paths(notes: tuple[Path, ...]) -> list[Path]:
    return list(notes) or [Path("cards")]


def _print_warnings(diagnostics: Any, quiet: bool = False) -> None:
    if quiet:
        return
    for diagnostic in sorted(d for d in diagnostics if d.severity == "warning"):
        click.echo(str(diagnostic), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notedeck")
def cli() -> None:
    """Turn Markdown study notes into Anki decks that update in place.

    \b
    Examples:
      notedeck init cards               # a starter notes folder
      notedeck check cards              # what becomes a card, what is skipped and why
      notedeck build cards -o build     # cards/**/*.md -> build/cards.apkg

    \b
    Shell completion (bash; zsh and fish likewise):
      eval "$(_NOTEDECK_COMPLETE=bash_source notedeck)"
    """


@cli.command("init", short_help="A starter notes folder and notedeck.yaml.")
@click.argument("folder", default=Path("cards"), type=click.Path(path_type=Path))
def init_command(folder: Path) -> None:
    """Make FOLDER (default: cards/) a starter notes folder: one short example note per
    writing style, in Japanese and English, and a commented notedeck.yaml.

    Never overwrites: when any of those files already exists, nothing is written and
    the command exits 2.

    \b
    Example:
      notedeck init cards && notedeck build cards
    """
    from .init import init as init_notes

    written = init_notes(folder)
    notes = sum(1 for path in written if path.suffix == ".md")
    click.echo(f"{folder}: {notes} example notes and {CONFIG_NAME} written")
    click.echo(f"next: notedeck check {folder}    # what becomes a card")
    click.echo(f"      notedeck build {folder}    # build/{folder.resolve().name}.apkg")


@cli.command("build")
@NOTES
@OUT
@click.option("--split", is_flag=True, help="One package per top-level deck.")
@click.option("--prune", is_flag=True, help="Drop removed cards instead of keeping tombstones.")
@NAMESPACE
@click.option("--keep-going", is_flag=True, help="Write the notes without errors anyway.")
@click.option(
    "--adopt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PACKAGE|COLLECTION",
    help="Rebuild a lost state from a package or an Anki collection notedeck wrote before.",
)
@click.option(
    "--rebuild-state",
    is_flag=True,
    help="Build as if there were no state file, and replace it (one that cannot be read, or "
    "from a newer notedeck): renamed cards get new GUIDs.",
)
@WAIT
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build_command(
    notes: tuple[Path, ...],
    out: Path,
    split: bool,
    prune: bool,
    namespace: str | None,
    keep_going: bool,
    adopt: Path | None,
    rebuild_state: bool,
    wait: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build .apkg packages from NOTES (default: cards/).

    \b
    Example:
      notedeck build cards -o build
      notedeck build cards --adopt old/cards.apkg   # the state file was lost
    """
    from .build import BuildOptions, build

    with progress_bar(enabled=not quiet and not as_json and sys.stderr.isatty()) as progress:
        options = BuildOptions(
            out=out,
            split=split,
            prune=prune,
            keep_going=keep_going,
            progress=progress,
            adopt=adopt,
            rebuild_state=rebuild_state,
            wait=wait,
        )
        report = build(_paths(notes), options, {"namespace": namespace})
    if not quiet:
        for notice in report.notices:
            click.echo(notice, err=True)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        _print_warnings(report.warnings, quiet)
        if not quiet:
            for line in report.text():
                click.echo(line)
    if report.errors:  # --keep-going wrote the other notes; the errors still fail the build
        raise NotedeckError.from_diagnostics(report.errors)


@cli.command("watch")
@NOTES
@OUT
@NAMESPACE
@click.option("--push", "push_to_anki", is_flag=True, help="Push into Anki after each rebuild.")
@URL
@KEY
@TIMEOUT
@WAIT
def watch_command(
    notes: tuple[Path, ...],
    out: Path,
    namespace: str | None,
    push_to_anki: bool,
    url: str | None,
    key: str | None,
    timeout: float,
    wait: bool,
) -> None:
    """Build NOTES, then rebuild whenever a note changes (Ctrl-C stops). With --push, each
    rebuild goes straight into the running Anki, as `notedeck push` does.

    \b
    Examples:
      notedeck watch cards -o build
      notedeck watch cards --push
    """
    from .build import BuildOptions
    from .watch import watch

    after = None
    if push_to_anki:
        from .push import AnkiConnect, connection_for, pusher

        client = AnkiConnect(connection_for(_paths(notes), url, key, timeout))
        client.check()  # Anki closed at the start is an error; later, one line per rebuild
        after = pusher(client, out, click.echo)
    options = BuildOptions(out=out, wait=wait)
    watch(_paths(notes), options, {"namespace": namespace}, echo=click.echo, after=after)


@cli.command("push")
@NOTES
@OUT
@URL
@KEY
@click.option("--prune", is_flag=True, help="Delete removed cards in Anki instead of tagging.")
@click.option("--dry-run", is_flag=True, help="Say what Anki would do; change nothing.")
@NAMESPACE
@TIMEOUT
@WAIT
def push_command(
    notes: tuple[Path, ...],
    out: Path,
    url: str | None,
    key: str | None,
    prune: bool,
    dry_run: bool,
    namespace: str | None,
    timeout: float,
    wait: bool,
) -> None:
    """Build NOTES and bring the running Anki to that build over the AnkiConnect add-on:
    new and changed notes, cards moved to their new decks, removed cards tagged
    notedeck::removed (deleted with --prune). Prints what Anki did.

    \b
    Examples:
      notedeck push cards
      notedeck push cards --dry-run --prune
    """
    from .build import BuildOptions
    from .push import connection_for, push

    paths = _paths(notes)
    report, result = push(
        paths,
        BuildOptions(out=out, prune=prune, wait=wait),
        {"namespace": namespace},
        connection_for(paths, url, key, timeout),
        dry_run=dry_run,
    )
    _print_warnings(report.warnings)
    lines = report.text()
    if dry_run:
        lines[0] += " (dry run: not written)"
    for line in [*lines, result.summary()]:
        click.echo(line)


@cli.command("sync")
@NOTES
@click.option(
    "--collection",
    required=True,
    type=click.Path(path_type=Path),
    help="The Anki collection file (e.g. ~/.local/share/Anki2/User 1/collection.anki2).",
)
@OUT
@NAMESPACE
@click.option(
    "--backups",
    type=click.IntRange(min=1),
    help="Keep this many of sync's backups of the collection, the older ones are deleted "
    f"[default: sync_backups of notedeck.yaml, else {SYNC_BACKUPS}].",
)
@WAIT
def sync_command(
    notes: tuple[Path, ...],
    collection: Path,
    out: Path,
    namespace: str | None,
    backups: int | None,
    wait: bool,
) -> None:
    """Build NOTES and apply the build to a closed Anki collection: adds, updates, moves
    between decks, deletions of removed cards. Needs `pip install 'notedeck[anki]'`.

    \b
    Example:
      notedeck sync cards --collection ~/.local/share/Anki2/"User 1"/collection.anki2
    """
    from .build import BuildOptions
    from .sync import sync

    report, result = sync(
        _paths(notes),
        BuildOptions(out=out, wait=wait),
        {"namespace": namespace},
        collection,
        backups=backups,
    )
    _print_warnings(report.warnings)
    for line in [*report.text(), result.summary()]:
        click.echo(line)
    for line in result.skipped:
        click.echo(f"{line}; left alone", err=True)


# A build shorter than this shows no bar: it would only flicker.
MOMENT = 0.5


@contextmanager
def progress_bar(enabled: bool, moment: float = MOMENT) -> Iterator[Progress | None]:
    """A `progress(done, total, step)` callback that draws a bar on stderr, one per step
    (reading the notes, a long note's sections, writing the package…), once the build has
    taken longer than `moment` seconds; None when disabled (pipes, -q, --json)."""
    if not enabled:
        yield None
        return
    from .progress import READING

    started = time.monotonic()
    shown: list[Any] = []  # the bar on screen, if any
    drawn = [0]
    step_shown = [""]

    def update(done: int, total: int, step: str = READING) -> None:
        if shown and step != step_shown[0]:  # the next step: its own bar on the next line
            shown.pop().__exit__(None, None, None)
        if not shown:
            if (done >= total and step == READING) or time.monotonic() - started < moment:
                return
            bar = click.progressbar(length=max(total, 1), label=step, file=sys.stderr)
            shown.append(bar.__enter__())
            step_shown[0], drawn[0] = step, 0
        shown[0].update(done - drawn[0])
        drawn[0] = done

    try:
        yield update
    finally:
        if shown:
            shown[0].__exit__(None, None, None)


def _extraction(notes: tuple[Path, ...]) -> Extraction:
    from .extract import extract_paths

    result = extract_paths(_paths(notes))
    if result.errors:
        raise NotedeckError.from_diagnostics(result.errors)
    return result


def card_json(card: Card) -> dict[str, Any]:
    """A card as `extract --format json` prints it (DESIGN §6)."""
    return {
        "term": card.term,
        "definition": card.definition,
        "topic": list(card.topic),
        "tags": list(card.tags),
        "deck": card.deck,
        "kind": card.kind,
        "source": str(card.location),
        "guid": card.guid,
    }


@cli.command("extract")
@NOTES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table", "tsv"]),
    default="table",
    show_default=True,
)
def extract_command(notes: tuple[Path, ...], fmt: str) -> None:
    """Print the cards found in NOTES.

    \b
    Example:
      notedeck extract cards --format json
    """
    from .identity import assign_guids

    result = _extraction(notes)
    cards, diagnostics = assign_guids(result.cards, result.config.namespace)
    _print_warnings([*result.diagnostics, *diagnostics])
    if fmt == "json":
        click.echo(json.dumps([card_json(c) for c in cards], ensure_ascii=False, indent=2))
    elif fmt == "tsv":
        for card in cards:
            row = [
                card.term,
                card.definition,
                "::".join(card.topic),
                card.deck,
                card.kind,
                str(card.location),
            ]
            click.echo("\t".join(cell.replace("\t", " ").replace("\n", "<br>") for cell in row))
    else:
        for card in cards:
            definition = " ".join(card.definition.split())
            if len(definition) > 60:
                definition = definition[:59] + "…"
            click.echo(f"{card.location}: [{card.kind}] {card.term} → {definition}")
        click.echo(f"{len(cards)} cards", err=True)


@cli.command("check", short_help="What became a card, what was skipped and why.")
@NOTES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for a person, json for a tool.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text output. Default: on a terminal, unless NO_COLOR is set.",
)
def check_command(notes: tuple[Path, ...], fmt: str, color: bool | None) -> None:
    """Show, note by note, the cards found in NOTES (default: cards/) and the sections
    skipped, with the reason. Exits 1 when a note has errors; warnings do not fail.

    \b
    Examples:
      notedeck check cards
      notedeck check cards/01-headings.md --format json
    """
    from . import check
    from .build import build_warnings
    from .extract import extract_paths
    from .sources import find_notes

    paths = _paths(notes)
    result = extract_paths(paths)
    result.diagnostics.extend(build_warnings(result))
    found, _ = find_notes(paths)
    checked = check.check_notes(result, [note.display for note in found])
    if fmt == "json":
        click.echo(json.dumps(check.as_json(checked), ensure_ascii=False, indent=2))
    else:
        if color is None and os.environ.get("NO_COLOR"):
            color = False
        for line in check.text_lines(checked):
            click.echo(line, color=color)
        click.echo(check.summary(checked))
    if result.errors:
        sys.exit(1)


@cli.command("preview")
@NOTES
@_out_option(Path("build/preview.html"), "The page to write.")
def preview_command(notes: tuple[Path, ...], out: Path) -> None:
    """Write one self-contained HTML page of every card, front and back.

    \b
    Example:
      notedeck preview cards -o build/preview.html
    """
    from .preview import write_preview

    result = write_preview(_paths(notes), out)
    _print_warnings(result.warnings)
    click.echo(f"{result.path}: {result.cards} cards from {result.files} notes")


def main() -> None:
    """Entry point of the `notedeck` script: run the command, then leave at once."""
    try:
        cli.main(prog_name="notedeck", standalone_mode=True)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("interrupted", err=True)
        code = 130
    leave(code)


def leave(code: object) -> None:
    """End the process with `code` (as `sys.exit` takes it) without tearing the interpreter
    down: freeing every object a build made one by one, which the OS frees at once anyway,
    was a twentieth of a cold build's CPU and 5–7% of a one-note rebuild (py-spy).

    Nothing is lost that a normal exit would keep: every file notedeck writes is closed (its
    bytes handed to the OS) before the command returns, a build's commit has fsynced its state
    and packages and its locks are released (their lock files removed) when `build` returns,
    notedeck starts no thread or atexit handler that a normal exit would wait for, and stdout
    and stderr are flushed here. When flushing fails (a closed pipe), Python's own exit
    reports it as usual.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)
