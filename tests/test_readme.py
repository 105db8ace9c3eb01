"""The README's commands run, so the docs cannot rot.

Every fenced block marked `sh`, `bash` or `console` is run, in README order, by bash in one
temporary folder (the first commands are `notedeck init cards` and `notedeck build cards`, so
the rest runs on the example notes). Each command must exit 0.
- In a `console` block, `$ ` starts a command and the lines after it, up to the next `$ `, are
  its exact output.
- In `sh` and `bash` blocks every line that is not blank or a `#` comment is a command.
- A block whose info string says `norun` (```` ```sh norun ````) is shown but not run: install
  lines, the pre-commit hook, anything needing a shell's rc file or an Anki collection.
Other blocks (`markdown`, `yaml`, `text`, `python`) are not run; a `markdown` block that
shows a starter note must match that note exactly, and one introduced by "A note `PATH`:" is
built, and must give exactly the cards of the `| front | back | kind | tags |` table after it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import notedeck
from notedeck import __version__
from notedeck.cli import cli
from notedeck.init import starter_files
from tests.conftest import REPO, run_cli

README = REPO / "README.md"
RUNNABLE = {"sh", "bash", "console"}
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Command:
    """One command from the README and the output it shows (None: output not shown)."""

    line: int
    text: str
    output: str | None


@dataclass(frozen=True)
class Block:
    line: int
    language: str
    flags: tuple[str, ...]
    body: str


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        words = match.group("info").split()
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, words[0] if words else "", tuple(words[1:]), match["body"]))
    return blocks


def readme_commands() -> list[Command]:
    """The commands of the README's runnable blocks, in order."""
    commands: list[Command] = []
    for block in readme_blocks():
        if block.language not in RUNNABLE or "norun" in block.flags:
            continue
        lines = block.body.rstrip("\n").split("\n")
        if block.language == "console":
            commands.extend(_console_commands(block.line, lines))
        else:
            for offset, line in enumerate(lines, start=block.line + 1):
                if line.strip() and not line.lstrip().startswith("#"):
                    commands.append(Command(offset, line, None))
    return commands


def _console_commands(first: int, lines: list[str]) -> list[Command]:
    commands: list[Command] = []
    starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    assert starts and starts[0] == 0, f"README.md:{first + 1}: a console block starts with `$ `"
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        output = "".join(line + "\n" for line in lines[start + 1 : end])
        commands.append(Command(first + 1 + start, lines[start][2:], output))
    return commands


def test_the_readme_has_runnable_commands() -> None:
    commands = readme_commands()
    texts = [c.text.split("#")[0].strip() for c in commands]
    assert texts[:3] == ["notedeck --version", "notedeck init cards", "notedeck build cards"]
    assert any(c.output for c in commands)
    assert all("notedeck" in c.text for c in commands), "mark other blocks `norun`"


def test_every_command_in_the_readme_runs(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "notedeck").exists():
        pytest.fail(f"the notedeck script is not installed beside {sys.executable}")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("NO_COLOR", None)
    for command in readme_commands():
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command.text],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        where = f"README.md:{command.line}: {command.text}"
        assert result.returncode == 0, f"{where}\n{result.stderr}"
        if command.output is not None:
            assert result.stdout == command.output, where


def test_the_example_note_in_the_readme_is_the_starter_note() -> None:
    shown = [
        b.body for b in readme_blocks() if b.language == "markdown" and "deck: Starter" in b.body
    ]
    starters = {f.name: f.read_text(encoding="utf-8") for f in starter_files()}
    assert shown, "the README shows a starter note"
    for body in shown:
        assert body in starters.values()


_SHOWN_NOTE = re.compile(
    r"^A note `(?P<path>[^`]+)`:\n\n```markdown\n(?P<note>.*?)^```\n(?P<after>.*?)^#",
    re.MULTILINE | re.DOTALL,
)
_DECK = re.compile(r"in the deck `(?P<deck>[^`]+)`")


def test_the_example_notes_give_the_cards_the_readme_shows(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    examples = list(_SHOWN_NOTE.finditer(text))
    assert examples, "the README shows a note and its cards"
    for example in examples:
        path = tmp_path / example["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(example["note"], encoding="utf-8")
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in example["after"].splitlines()
            if line.startswith("|")
        ]
        assert rows[0] == ["front", "back", "kind", "tags"]
        shown = [
            (front, back, kind, tags.replace("`", "").split())
            for front, back, kind, tags in rows[2:]
        ]
        cards = notedeck.extract([tmp_path / Path(example["path"]).parts[0]])
        made = [(c.term, c.definition, c.kind, list(c.tags)) for c in cards]
        assert made == shown, example["path"]
        deck = _DECK.search(example["after"])
        assert deck is not None
        assert {c.deck for c in cards} == {deck["deck"]}


def test_the_readme_config_example_is_valid(tmp_path: Path) -> None:
    examples = [b.body for b in readme_blocks() if b.language == "yaml" and "deck_mode" in b.body]
    assert len(examples) == 1
    (tmp_path / "cards").mkdir()
    assert run_cli("init", "cards", cwd=tmp_path).exit_code == 0
    (tmp_path / "cards" / "notedeck.yaml").write_text(examples[0], encoding="utf-8")
    result = run_cli("build", "cards", "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "build" / "networking.apkg").is_file()


def test_the_readme_documents_every_setting() -> None:
    from notedeck.config import Config

    text = README.read_text(encoding="utf-8")
    starter = next(f for f in starter_files() if f.name == "notedeck.yaml").read_text("utf-8")
    for name in Config.__dataclass_fields__:
        assert f"| `{name}` |" in text, name
        assert f"# {name}:" in starter, name
    assert yaml.safe_load(starter) is None  # every setting commented out: the defaults


def test_every_command_has_help_with_an_example() -> None:
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        result = run_cli(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, f"notedeck {name} --help shows no example"


def test_version_and_shell_completion() -> None:
    assert run_cli("--version").stdout == f"notedeck, version {__version__}\n"
    completion = subprocess.run(
        [str(Path(sys.executable).parent / "notedeck")],
        env={**os.environ, "_NOTEDECK_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completion.returncode == 0
    assert "_notedeck_completion()" in completion.stdout
    assert "_NOTEDECK_COMPLETE" in README.read_text(encoding="utf-8")


def test_every_local_file_the_readme_links_exists() -> None:
    text = README.read_text(encoding="utf-8")
    text = re.sub(r"`[^`\n]*`", "", text)  # Markdown shown as code links nowhere
    targets = re.findall(r"\]\((?!https?:|#)([^)\s]+)\)", text)
    assert {"docs/card-day.png", "docs/card-night.png"} <= set(targets)
    assert [t for t in targets if not (REPO / t).exists()] == []


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_pre_commit_hook_rebuilds_and_stops_a_commit_with_a_broken_note(
    tmp_path: Path,
) -> None:
    hooks = [b.body for b in readme_blocks() if b.body.startswith("#!/bin/sh\n")]
    assert len(hooks) == 1
    assert _git("init", "-q", cwd=tmp_path).returncode == 0
    hook = tmp_path / ".git" / "hooks" / "pre-commit"
    hook.write_text(hooks[0], encoding="utf-8")
    hook.chmod(0o755)
    assert run_cli("init", "cards", cwd=tmp_path).exit_code == 0
    _git("add", "cards", cwd=tmp_path)
    done = _git("commit", "-q", "-m", "notes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "build" / "cards.apkg").is_file()
    (tmp_path / "cards" / "scan.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    _git("add", "cards", cwd=tmp_path)
    refused = _git("commit", "-q", "-m", "a broken note", cwd=tmp_path)
    assert refused.returncode != 0
    assert f"{Path('cards') / 'scan.md'}:" in refused.stderr


def test_the_ci_job_runs_the_readme_commands(tmp_path: Path) -> None:
    jobs = [yaml.safe_load(b.body) for b in readme_blocks() if b.body.startswith("on:\n")]
    assert len(jobs) == 1
    steps = jobs[0]["jobs"]["deck"]["steps"]
    commands = [s["run"] for s in steps if str(s.get("run", "")).startswith("notedeck ")]
    assert commands == ["notedeck check cards", "notedeck build cards"]
    assert run_cli("init", "cards", cwd=tmp_path).exit_code == 0
    for command in commands:
        assert run_cli(*command.split()[1:], cwd=tmp_path).exit_code == 0, command


def _keys(value: object) -> set[str]:
    """Every key in a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_json_section_names_every_key_the_commands_print(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## JSON output") :]
    section = section[: section.index("\n## ", 1)]
    named = set(re.findall(r"[a-z_]+", section))
    assert run_cli("init", "cards", cwd=tmp_path).exit_code == 0
    for args in (
        ("extract", "cards", "--format", "json"),
        ("build", "cards", "--json"),
        ("check", "cards", "--format", "json"),
    ):
        result = run_cli(*args, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        missing = _keys(json.loads(result.stdout)) - named
        assert missing == set(), f"README's JSON section does not name {missing} of {args}"
