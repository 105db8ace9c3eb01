"""The command line with click's CliRunner: output formats, check, and one test per error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from notedeck.frontmatter import EXCLUDE_HINT
from tests.conftest import FIXTURES, REPO, run_cli

COLON_NOTE = FIXTURES / "rules" / "colon.md"


# What the scorer makes of this note is tests/test_rules.py's (fixtures/rules/colon.yaml); these
# tests read its four colon cards to check the formats, whatever else comes out beside them.
COLON_CARDS = [
    (9, "リスナー", "接続リクエストを受け付けて振り分けるプロセス。"),
    (11, "ヘルスチェック", "ターゲットが応答するかを定期的に確かめる仕組み。"),
    (15, "Host port", "the port on the machine that runs the container."),
    (16, "Container port", "the port the process inside the container listens on."),
]


def test_extract_json_has_the_schema_of_design_section_6() -> None:
    result = run_cli("extract", str(COLON_NOTE), "--format", "json")
    assert result.exit_code == 0, result.stderr
    cards = json.loads(result.stdout)
    colons = [c for c in cards if c["kind"] == "colon"]
    assert [(c["source"], c["term"], c["definition"]) for c in colons] == [
        (f"{COLON_NOTE}:{line}", term, definition) for line, term, definition in COLON_CARDS
    ]
    first = colons[0]
    assert set(first) == {"term", "definition", "topic", "tags", "deck", "kind", "source", "guid"}
    assert first["topic"] == ["ロードバランサー"]
    assert first["tags"] == ["Network", "Network::ロードバランサー"]
    assert first["deck"] == "Colon lines"
    assert len(first["guid"]) >= 8
    assert len({c["guid"] for c in cards}) == len(cards)


def test_extract_table_prints_one_line_per_card() -> None:
    result = run_cli("extract", str(COLON_NOTE))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        f"{COLON_NOTE}:9: [colon] リスナー → 接続リクエストを受け付けて振り分けるプロセス。"
        in lines
    )
    assert (
        f"{COLON_NOTE}:16: [colon] Container port → the port the process inside the container "
        "listens on." in lines
    )
    json_cards = json.loads(run_cli("extract", str(COLON_NOTE), "--format", "json").stdout)
    assert [line.split(": [")[0] for line in lines] == [c["source"] for c in json_cards]
    assert result.stderr.strip() == f"{len(lines)} cards"


def test_extract_tsv() -> None:
    result = run_cli("extract", str(COLON_NOTE), "--format", "tsv")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [
        "Host port",
        "the port on the machine that runs the container.",
        "Ports",
        "Colon lines",
        "colon",
        f"{COLON_NOTE}:15",
    ] in rows
    assert {len(row) for row in rows} == {6}


# `is no card: p=0.15 < 0.25 (def_script=ja +1.4, term_within_limits +1.4, sep=: -1.1)`
_FEATURE = r"[a-z_=&<0-9:]+ [+-]\d\.\d"
_NO_CARD = rf"is no card: p=0\.\d\d < 0\.25 \({_FEATURE}(, {_FEATURE}){{2}}\)"


def test_check_explains_cards_and_skips() -> None:
    """Every proposal gets a line: a card, or a skip with the scorer's probability under the
    threshold and the features that weighed most."""
    result = run_cli("check", str(COLON_NOTE))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        "   9  card       リスナー → 接続リクエストを受け付けて振り分けるプロセス。  (colon)"
        in lines
    )
    skips = {line.split("'")[1]: line for line in lines if "  skip  " in line and "'" in line}
    # a label over the lines below, and a remark that only looks like `term: definition`
    assert re.fullmatch(rf"   8  skip       '注意点' \(termline\) {_NO_CARD}", skips["注意点"])
    assert re.fullmatch(rf"  22  skip       'Note' \(colon\) {_NO_CARD}", skips["Note"])
    assert lines[-1].startswith(f"{sum(' card ' in line for line in lines)} cards in 1 note, ")


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "notedeck", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "notedeck, version 0.1.0"


def test_the_script_leaves_with_all_its_output_and_exit_code_and_its_files_whole(
    tmp_path: Path,
) -> None:
    """The script ends with os._exit after flushing (cli.leave): a piped stdout larger than a
    pipe's buffer arrives whole, exit codes are kept, and the next build finds the cache and
    state the last one wrote."""
    import subprocess
    import sys

    def notedeck(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "notedeck", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)

    notes = tmp_path / "notes"
    lines = [
        f"Term{i}: the definition of term number {i}, long enough to fill a pipe."
        for i in range(900)
    ]
    _note(notes, "many.md", "\n".join(lines).encode())
    shown = notedeck("extract", "notes", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout) > 65536  # more than a pipe holds: flushed at exit, not lost
    cards = len(json.loads(shown.stdout))  # the whole JSON list, however many cards it has
    assert cards > 500
    first = notedeck("build", "notes", "-o", "out")
    assert first.returncode == 0 and f"({cards} added)" in first.stdout, first.stderr
    again = notedeck("build", "notes", "-o", "out")
    assert again.returncode == 0 and f"({cards} unchanged)" in again.stdout, again.stderr
    assert (tmp_path / "out" / ".notedeck-cache" / "extract.pickle").stat().st_size > 0
    # Released before leaving: the locks' files are removed (locks.holding), not left behind.
    assert not (tmp_path / "out" / ".notedeck-cache" / "lock").exists()
    assert (notes / ".notedeck").is_dir() and not (notes / ".notedeck" / "lock").exists()
    _note(notes, "bad.md", b"---\ntitle: [unclosed\n---\n# A\ntext\n")
    checked = notedeck("check", "notes")
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.endswith("0 duplicates, 0 warnings, 1 error\n")
    missing = notedeck("build", "nowhere")
    assert (missing.returncode, missing.stderr) == (2, "nowhere: no such notes folder or file\n")


def test_help_imports_no_pipeline_and_the_library_keeps_its_functions() -> None:
    """`notedeck --help` imports click and notedeck's settings, not the pipeline (each
    command imports what it runs); after a command imported `notedeck.build` and
    `notedeck.extract`, the package's `build` and `extract` are still its functions."""
    import subprocess
    import sys

    probe = (
        "import sys; from notedeck.cli import cli; "
        "cli.main(['--help'], standalone_mode=False); "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.splitlines()[-1].split())  # after the help text
    heavy = {"notedeck.build", "notedeck.extract", "notedeck.render", "markdown_it", "yaml"}
    assert "notedeck.cli" in loaded and not heavy & loaded

    import notedeck
    from notedeck.build import BuildOptions

    assert callable(notedeck.build) and callable(notedeck.extract)
    assert not isinstance(notedeck.build, type(sys)) and notedeck.BuildOptions is BuildOptions
    terms = {card.term for card in notedeck.extract([COLON_NOTE])}
    assert {term for _, term, _ in COLON_CARDS} <= terms


def _note(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"---\ntitle: [unclosed\ntopics: x\n---\n# A\ntext\n",
            "n.md:3: front matter is not valid YAML: expected ',' or ']', but got ':'"
            + EXCLUDE_HINT,
        ),
        (b"---\n- a\n- b\n---\n# A\n", "n.md:1: front matter is a list, not a mapping of keys"),
        (b"---\njust text\n---\n# A\n", "n.md:1: front matter is a string, not a mapping of keys"),
        (b"# A\n\xff\xfe\x00\x01\x89PNG\n", "n.md:1: binary file, not a Markdown note"),
    ],
    ids=["malformed-yaml", "list", "scalar", "undecodable"],
)
def test_bad_note_gives_one_line_and_writes_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    notes = tmp_path / "notes"
    note = _note(notes, "n.md", content)
    _note(notes, "good.md", b"# Listener\nA process that checks connection requests.\n")
    out = tmp_path / "out"
    result = run_cli("build", str(notes), "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"{notes}/{message}\n"
    assert "Traceback" not in result.output
    assert not out.exists()
    assert note.read_bytes() == content


def test_missing_notes_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path}/nope: no such notes folder or file\n"


def test_output_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("build", str(REPO / "cards"), "-o", str(blocker / "sub"))
    assert result.exit_code == 1
    assert result.stderr == f"{blocker}/sub: cannot create the output folder: Not a directory\n"
    result = run_cli("build", str(REPO / "cards"), "-o", str(blocker))
    assert result.exit_code == 2  # `-o afile` is a usage error (README: exit codes)
    assert result.stderr == f"{blocker}: the output path is a file, not a folder\n"
    assert blocker.read_text() == "not a folder"
