"""`notedeck init`: a starter folder that builds into cards Anki imports, one per example term;
never an overwritten file."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from notedeck.config import RULE_NAMES
from notedeck.extract import extract_paths
from tests.conftest import run_cli

# The terms of the starter notes, one per writing style and language.
STARTER_TERMS = {
    "01-headings.md": ["キャッシュ", "Cookie"],
    "02-questions.md": ["DNS", "port"],
    "03-colons.md": ["タイムアウト", "Latency"],
    "04-bold.md": ["冪等性", "Payload"],
    "05-bullets.md": ["プロキシ", "Firewall", "Load balancer (LB)"],
    "06-tables.md": ["ステータスコード", "Header"],
    "07-sentences.md": ["ハッシュ", "checksum"],
    "08-definition-lists.md": ["帯域幅", "Throughput"],
    "09-explicit.md": ["HTTPS", "Certificate"],
}
ALL_TERMS = sorted(term for terms in STARTER_TERMS.values() for term in terms)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_init_writes_the_starter_notes_and_the_config(tmp_path: Path) -> None:
    result = run_cli("init", "notes", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == sorted(
        [*STARTER_TERMS, "notedeck.yaml"]
    )
    assert result.stdout.splitlines()[0] == "notes: 9 example notes and notedeck.yaml written"


def test_init_defaults_to_cards(tmp_path: Path) -> None:
    result = run_cli("init", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "cards" / "notedeck.yaml").is_file()


def test_every_writing_style_has_a_japanese_and_an_english_example(tmp_path: Path) -> None:
    run_cli("init", "notes", cwd=tmp_path)
    result = extract_paths([tmp_path / "notes"])
    assert result.diagnostics == []
    by_file: dict[str, list[str]] = {}
    japanese: dict[str, list[bool]] = {}
    for card in result.cards:
        by_file.setdefault(card.note_path, []).append(card.term)
        japanese.setdefault(card.note_path, []).append(bool(_CJK.search(card.definition)))
    assert by_file == STARTER_TERMS
    assert {card.kind for card in result.cards} == set(RULE_NAMES)
    for languages in japanese.values():
        assert True in languages and False in languages


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "04-bold.md").write_text("my own note\n", encoding="utf-8")
    result = run_cli("init", "notes", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{Path('notes') / '04-bold.md'}: already exists; notedeck init never overwrites "
        "files, so give it a new or empty folder\n"
    )
    assert [p.name for p in notes.iterdir()] == ["04-bold.md"]
    assert (notes / "04-bold.md").read_text(encoding="utf-8") == "my own note\n"


def test_init_twice_names_how_many_files_are_in_the_way(tmp_path: Path) -> None:
    assert run_cli("init", "notes", cwd=tmp_path).exit_code == 0
    result = run_cli("init", "notes", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{Path('notes') / '01-headings.md'}: already exists (and 9 more);"
    )


def test_init_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("", encoding="utf-8")
    result = run_cli("init", "notes", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "notes: exists and is not a folder\n"


def test_init_then_build_imports_one_card_per_example_term(tmp_path: Path) -> None:
    """Issue 6, test 1: init, build, import into a real Anki collection."""
    anki_helpers = pytest.importorskip("tests.anki_helpers")
    assert run_cli("init", cwd=tmp_path).exit_code == 0
    built = run_cli("build", cwd=tmp_path)
    assert built.exit_code == 0, built.stderr
    package = tmp_path / "build" / "cards.apkg"
    assert package.is_file()
    (tmp_path / "anki").mkdir()
    with anki_helpers.collection(tmp_path / "anki") as col:
        log = anki_helpers.import_package(col, package)
        assert (log.new, log.updated, log.duplicate, log.conflicting) == (len(ALL_TERMS), 0, 0, 0)
        found = anki_helpers.notes(col)
        fronts = sorted(_plain(n["fields"]["Term"]) for n in found)
        assert fronts == ALL_TERMS
        assert [n["cards"] for n in found] == [1] * len(ALL_TERMS)
        decks = {n["decks"][0] for n in found}
        assert decks == {
            "Starter::Headings",
            "Starter::Questions",
            "Starter::Colons",
            "Starter::Bold",
            "Starter::Bullets",
            "Starter::Tables",
            "Starter::Sentences",
            "Starter::Definition lists",
            "Starter::Explicit",
        }


def _plain(field: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", field)).strip()
