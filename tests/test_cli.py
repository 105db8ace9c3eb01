"""The command line with click's CliRunner: output formats, check, and one test per error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notedeck.frontmatter import EXCLUDE_HINT
from tests.conftest import FIXTURES, REPO, run_cli

COLON_NOTE = FIXTURES / "rules" / "colon.md"


def test_extract_json_has_the_schema_of_design_section_6() -> None:
    result = run_cli("extract", str(COLON_NOTE), "--format", "json")
    assert result.exit_code == 0, result.stderr
    cards = json.loads(result.stdout)
    assert [c["term"] for c in cards] == [
        "リスナー",
        "ヘルスチェック",
        "Host port",
        "Container port",
    ]
    first = cards[0]
    assert set(first) == {"term", "definition", "topic", "tags", "deck", "kind", "source", "guid"}
    assert first["topic"] == ["ロードバランサー"]
    assert first["tags"] == ["Network", "Network::ロードバランサー"]
    assert first["deck"] == "Colon lines"
    assert first["kind"] == "colon"
    assert first["source"] == f"{COLON_NOTE}:9"
    assert len(first["guid"]) >= 8
    assert len({c["guid"] for c in cards}) == 4


def test_extract_table_prints_one_line_per_card() -> None:
    result = run_cli("extract", str(COLON_NOTE))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        lines[0] == f"{COLON_NOTE}:9: [colon] リスナー → "
        "接続リクエストを受け付けて振り分けるプロセス。 リスナーはポートごとに一つ設定する。"
    )
    assert len(lines) == 4
    assert result.stderr.strip() == "4 cards"


def test_extract_tsv() -> None:
    result = run_cli("extract", str(COLON_NOTE), "--format", "tsv")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[2] == [
        "Host port",
        "the port on the machine that runs the container.",
        "Ports",
        "Colon lines",
        "colon",
        f"{COLON_NOTE}:15",
    ]


def test_check_explains_cards_and_skips() -> None:
    result = run_cli("check", str(COLON_NOTE))
    assert result.exit_code == 0
    out = result.stdout
    assert "'注意点' is a label for the lines below" in out
    assert "リスナー → 接続リクエストを受け付けて振り分けるプロセス。" in out
    assert "'Note' is a label, not a term" in out


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "notedeck", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "notedeck, version 0.1.0"


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
