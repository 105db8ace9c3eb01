"""notedeck.yaml: each setting changes the output as the README and the starter notedeck.yaml
say; each invalid file stops with its exact one-line message and exit 2; front matter
`notedeck:` overrides the file for one note and flags override both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from notedeck.config import Config
from notedeck.extract import Card, extract_paths
from tests.conftest import FIXTURES, run_cli

CONFIG_FIXTURES = FIXTURES / "config"


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the config fixture notes in `tmp/notes`, with tmp as the working folder."""
    shutil.copytree(CONFIG_FIXTURES / "notes", tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    return Path("notes")


def _configure(notes: Path, text: str) -> None:
    (notes / "notedeck.yaml").write_text(text, encoding="utf-8")


def _cards(notes: Path) -> dict[str, Card]:
    result = extract_paths([notes])
    assert result.errors == []
    return {card.term: card for card in result.cards}


def _build_json(*args: str) -> dict[str, Any]:
    result = run_cli("build", "notes", "--json", *args)
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _guids(report: dict[str, Any]) -> dict[str, str]:
    return {entry["term"]: entry["guid"] for entry in report["added"]}


def test_defaults_without_a_config_file(notes: Path) -> None:
    cards = _cards(notes)
    assert sorted(cards) == sorted(
        [
            "ルーター",
            "Default gateway",
            "Time to live of a packet",
            "Hop",
            "サブネット",
            "Subnet mask",
            "Switch",
        ]
    )
    assert cards["Hop"].deck == "net::Routing"
    assert cards["Hop"].tags == ("Net", "Net::Routing")
    assert cards["Hop"].note_type == "basic"


def test_package_names_the_package_file(notes: Path) -> None:
    _configure(notes, "package: networking\n")
    report = _build_json()
    assert report["packages"] == [str(Path("build") / "networking.apkg")]
    assert Path("build/networking.apkg").is_file()
    assert not Path("build/notes.apkg").exists()


def test_namespace_changes_every_guid_and_the_flag_overrides_it(notes: Path) -> None:
    default = _guids(_build_json("-o", "out-default"))
    _configure(notes, "namespace: my-notes\n")
    configured = _guids(_build_json("-o", "out-configured"))
    assert set(configured) == set(default)
    assert all(configured[term] != default[term] for term in default)
    flagged = _guids(_build_json("-o", "out-flagged", "--namespace", "notedeck"))
    assert flagged == default


def test_deck_mode_title_uses_the_front_matter_title(notes: Path) -> None:
    _configure(notes, "deck_mode: title\n")
    assert _cards(notes)["Hop"].deck == "net::Routing"


def test_deck_mode_folder_uses_the_file_name(notes: Path) -> None:
    _configure(notes, "deck_mode: folder\n")
    cards = _cards(notes)
    assert cards["Hop"].deck == "net::routing"
    # A note's own `notedeck: deck:` still names its deck under its folders.
    assert cards["Switch"].deck == "net::Switching lab"


def test_deck_mode_single_puts_every_card_in_the_named_deck(notes: Path) -> None:
    _configure(notes, "deck_mode: single\ndeck: Study\n")
    cards = _cards(notes)
    assert {t for t, card in cards.items() if card.deck == "Study"} == set(cards) - {"Switch"}
    # switching.md names its own deck in its front matter, which wins over the file.
    assert cards["Switch"].deck == "Switching lab"


def test_deck_mode_single_without_a_deck_uses_the_package_name(notes: Path) -> None:
    _configure(notes, "deck_mode: single\npackage: networking\n")
    cards = _cards(notes)
    assert {t for t, card in cards.items() if card.deck == "networking"} == set(cards) - {"Switch"}


def test_tag_prefix_heads_every_topic_tag(notes: Path) -> None:
    _configure(notes, "tag_prefix: school\n")
    cards = _cards(notes)
    assert cards["Hop"].tags == ("school", "Net", "school::Net::Routing")
    assert cards["Subnet mask"].tags == ("school", "Net", "school::Net::Routing::Homework")


def test_rules_as_a_mapping_switches_one_rule_off(notes: Path) -> None:
    _configure(notes, "rules:\n  sentence: false\n")
    cards = _cards(notes)
    assert "サブネット" not in cards
    assert "Hop" in cards
    assert "ルーター" in cards


def test_rules_as_a_list_runs_only_those(notes: Path) -> None:
    _configure(notes, "rules: [explicit, sentence]\n")
    assert sorted(_cards(notes)) == ["Hop", "サブネット"]


def test_extra_meta_sections_skip_those_headings(notes: Path) -> None:
    _configure(notes, "extra_meta_sections: [Homework]\n")
    assert "Subnet mask" not in _cards(notes)
    result = run_cli("check", "notes")
    assert "  18  skip       meta section 'Homework': about the note, not a term" in result.stdout


def test_meta_sections_replace_the_built_in_list(notes: Path) -> None:
    _configure(notes, "meta_sections: [Homework]\n")
    cards = _cards(notes)
    assert "Subnet mask" not in cards
    # まとめ is no longer a meta section, so its line becomes a card.
    assert cards["Route table"].definition == (
        "the list a router reads to choose where a packet goes next."
    )


def test_term_max_chars_limits_the_length_of_a_term(notes: Path) -> None:
    _configure(notes, "term_max_chars: 12\n")
    cards = _cards(notes)
    assert "Default gateway" not in cards  # 15 characters
    assert "Subnet mask" in cards  # 11 characters


def test_term_max_words_limits_the_words_of_a_term(notes: Path) -> None:
    assert "Time to live of a packet" in _cards(notes)  # 6 words
    _configure(notes, "term_max_words: 5\n")
    cards = _cards(notes)
    assert "Time to live of a packet" not in cards
    assert "Default gateway" in cards


def test_reversed_makes_double_colon_cards_ask_both_ways(notes: Path) -> None:
    _configure(notes, "reversed: true\n")
    cards = _cards(notes)
    assert cards["Hop"].note_type == "reversed"
    # Only hand-written `::` cards: a found definition is often too long to ask backwards.
    assert cards["Default gateway"].note_type == "basic"


def _cloze_supported() -> bool:
    result = extract_paths([CONFIG_FIXTURES / "cloze.md"])
    return any(card.note_type == "cloze" for card in result.cards)


@pytest.mark.skipif(not _cloze_supported(), reason="cloze cards are not extracted yet (issue 8)")
def test_highlight_cloze_turns_highlights_into_clozes(notes: Path) -> None:
    assert not any(card.note_type == "cloze" for card in _cards(notes).values())
    _configure(notes, "highlight_cloze: true\n")
    clozes = [card for card in _cards(notes).values() if card.note_type == "cloze"]
    assert [card.definition for card in clozes] == [
        "A packet only ever reaches the {{c1::next hop}} on its own."
    ]


def test_front_matter_overrides_the_config_file_for_its_note(notes: Path) -> None:
    _configure(notes, "tag_prefix: school\n")
    cards = _cards(notes)
    assert cards["Switch"].tags == ("lab", "lab::Switching")
    assert cards["Hop"].tags[0] == "school"


def test_front_matter_cannot_set_build_settings(tmp_path: Path) -> None:
    shutil.copy(CONFIG_FIXTURES / "front-matter-build-setting.md", tmp_path / "note.md")
    result = run_cli("check", "note.md", "--no-color", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "note.md",
        "   4  warning    'namespace' applies to the whole build: set it in notedeck.yaml",
        "   5  warning    'reversed' must be true or false, not 'yes please'",
    ]


# Every setting, in name order (a setting added to Config joins the message by itself).
ALLOWED = ", ".join(sorted(Config.__dataclass_fields__))
RULES = "explicit, question, heading, bold, colon, table, bullet, deflist, sentence"
INVALID = [
    (
        "# my settings\ndeckmode: folder\n",
        f"2: unknown setting 'deckmode' (did you mean 'deck_mode'?); allowed: {ALLOWED}",
    ),
    ("colour: blue\n", f"1: unknown setting 'colour'; allowed: {ALLOWED}"),
    ("deck_mode: chapter\n", "1: 'deck_mode' must be one of title, folder, single, not 'chapter'"),
    ("deck_mode:\n", "1: 'deck_mode' must be one of title, folder, single, not nothing"),
    (
        "term_max_chars: many\n",
        "1: 'term_max_chars' must be a whole number of 1 or more, not 'many'",
    ),
    ("term_max_words: 0\n", "1: 'term_max_words' must be a whole number of 1 or more, not 0"),
    ("term_max_words: true\n", "1: 'term_max_words' must be a whole number of 1 or more, not true"),
    ("reversed: maybe\n", "1: 'reversed' must be true or false, not 'maybe'"),
    ("highlight_cloze: 1\n", "1: 'highlight_cloze' must be true or false, not 1"),
    (
        "rules:\n  - heading\n  - colons\n",
        f"3: unknown rule 'colons' (did you mean 'colon'?); rules: {RULES}",
    ),
    ("rules:\n  sentence: 0\n", "2: 'rules: sentence' must be true or false, not 0"),
    (
        "rules: heading\n",
        "1: 'rules' must be a list of rules to use, like [heading, colon], or a mapping like "
        f"{{sentence: false}}, not 'heading'; rules: {RULES}",
    ),
    (
        "extra_meta_sections: Homework\n",
        "1: 'extra_meta_sections' must be a list of headings, like [Notes, メモ], not 'Homework'",
    ),
    (
        "meta_sections: [[a]]\n",
        "1: 'meta_sections' must be a list of headings, like [Notes, メモ], not a list",
    ),
    ("namespace: ''\n", "1: 'namespace' must be a text, not ''"),
    ("package: [a, b]\n", "1: 'package' must be a text, not a list"),
    ("tag_prefix: 3\n", "1: 'tag_prefix' must be a text, not 3"),
    ("deck: {name: x}\n", "1: 'deck' must be a text, not a mapping"),
    (
        "deck_mode: title\nreversed: true\ndeck_mode: folder\n",
        "3: 'deck_mode' is set twice (first on line 1)",
    ),
    ("- package\n- deck\n", "1: the config must be `setting: value` lines, not a list"),
    ("deck_mode: [title\n", "2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[t for t, _ in INVALID])
def test_invalid_config_gives_its_exact_message_and_exit_2(
    notes: Path, text: str, message: str
) -> None:
    _configure(notes, text)
    result = run_cli("build", "notes")
    assert result.exit_code == 2
    assert result.stderr == f"{Path('notes') / 'notedeck.yaml'}:{message}\n"
    assert result.stdout == ""
    assert not Path("build").exists()


def test_every_problem_in_the_file_gets_its_own_line(notes: Path) -> None:
    _configure(notes, "reversed: maybe\nterm_max_chars: 0\n")
    result = run_cli("check", "notes")
    assert result.exit_code == 2
    shown = Path("notes") / "notedeck.yaml"
    assert result.stderr.splitlines() == [
        f"{shown}:1: 'reversed' must be true or false, not 'maybe'",
        f"{shown}:2: 'term_max_chars' must be a whole number of 1 or more, not 0",
    ]


def test_an_empty_or_all_comment_file_is_the_defaults(notes: Path) -> None:
    _configure(notes, "# nothing set yet\n")
    assert _cards(notes)["Hop"].deck == "net::Routing"


def test_the_starter_config_file_is_valid_and_all_defaults(notes: Path) -> None:
    starter = Path(__file__).resolve().parent.parent / "src/notedeck/starter/notedeck.yaml"
    shutil.copy(starter, notes / "notedeck.yaml")
    default = {t: (c.deck, c.tags, c.note_type) for t, c in _cards(notes).items()}
    (notes / "notedeck.yaml").unlink()
    assert {t: (c.deck, c.tags, c.note_type) for t, c in _cards(notes).items()} == default
