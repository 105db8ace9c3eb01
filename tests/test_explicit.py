"""The Obsidian Spaced Repetition plugin's card syntax (issue 8): note types, highlights as
clozes, `#flashcards/…` decks, Anki card counts, and a vault mixing it with plain notes.

The cards of `tests/fixtures/rules/explicit.md` themselves are checked by tests/test_rules.py.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from notedeck.build import BuildOptions, build
from notedeck.config import Config
from notedeck.extract import Card, Extraction, extract_file, extract_paths
from notedeck.rules.explicit import cloze_shown, cloze_text, explicit_pair, tag_decks
from notedeck.sources import NoteFile
from tests.anki_helpers import collection, import_package, notes
from tests.conftest import FIXTURES

EXPLICIT = FIXTURES / "rules" / "explicit.md"
HERE = FIXTURES / "explicit"


def _cards(path: Path, config: Config | None = None) -> list[Card]:
    result = Extraction()
    extract_file(NoteFile(path, path.parent), config or Config(), result)
    assert result.errors == []
    return result.cards


# The cards marked by hand; what the scorer proposes beside them in explicit.md is
# tests/test_rules.py's (fixtures/rules/explicit.yaml).
ONLY_EXPLICIT = Config(rules=("explicit",))


def test_each_syntax_gives_its_note_type() -> None:
    got = [(c.location.line, c.note_type) for c in _cards(EXPLICIT, ONLY_EXPLICIT)]
    assert got == [
        (3, "basic"),
        (4, "basic"),
        (9, "reversed"),  # Term:::Definition
        (13, "basic"),  # multi-line ?
        (22, "reversed"),  # multi-line ??
        (28, "cloze"),
        (32, "basic"),
        (34, "basic"),
        (41, "basic"),
        (43, "basic"),
    ]


def test_scheduling_comments_never_reach_a_card() -> None:
    for card in _cards(EXPLICIT):
        assert "SR:" not in card.term + card.definition


def test_look_alikes_give_no_card_and_check_says_why() -> None:
    result = Extraction()
    extract_file(NoteFile(EXPLICIT, EXPLICIT.parent), ONLY_EXPLICIT, result)
    assert result.cards
    assert all(card.location.line < 45 for card in result.cards)
    skipped = {d.location.line: d.message for d in result.decisions if d.verdict == "skip"}
    assert skipped[56] == "a `::` card needs text on both sides of the separator"
    assert skipped[58] == "a `::` card needs text on both sides of the separator"
    assert skipped[60] == "a `?` card needs a question and an answer"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Kenya::Nairobi", ("Kenya", "Nairobi", False)),
        ("info 1:::info 2", ("info 1", "info 2", True)),
        ("- 光::ひかり <!--SR:!2026-01-01,3,250-->", ("光", "ひかり", False)),
        ("#flashcards/deckB Question4::Answer4", ("Question4", "Answer4", False)),
        ("use `a::b` here", None),
        ("The {{c1::DNS}} answers", None),
        ("::no question", None),
        ("no answer::", None),
        ("a::::b", None),
        ("a::b:::c", ("a::b", "c", True)),
        ("a:::b::c", ("a", "b::c", True)),
        ("Q :: A", ("Q", "A", False)),
        ("The type AWS::EC2::Instance makes a server", None),  # a name path, not a card
    ],
)
def test_explicit_pair(line: str, expected: tuple[str, str, bool] | None) -> None:
    assert explicit_pair(line) == expected


def test_highlights_are_clozes_only_when_the_config_says_so() -> None:
    cards = _cards(HERE / "highlights.md")
    assert [(c.term, c.definition) for c in cards] == [
        (
            "The Pacific is the largest ocean and the Arctic the smallest.",
            "The {{c1::Pacific}} is the largest ocean and the {{c2::Arctic}} the smallest.",
        ),
        (
            "Light from the Sun reaches Earth in about 8 minutes after 150 million km.",
            "Light from the Sun reaches Earth in about {{c1::8 minutes::a time}} after "
            "{{c2::150 million km::a distance}}.",
        ),
        (
            "Grouped: H and O make water, and H again.",
            "Grouped: {{c1::H}} and {{c2::O}} make water, and {{c1::H}} again.",
        ),
        ("Mixed deletion and highlight.", "Mixed {{c1::deletion}} and {{c2::highlight}}."),
    ]
    assert all(c.note_type == "cloze" for c in cards)
    # Without the switch highlights stay highlights; code is never read.
    assert cloze_text("a ==b== c", highlights=False) == "a ==b== c"
    assert cloze_text("`==x==` and ==y==", highlights=True) == "`==x==` and {{c1::y}}"
    assert cloze_shown("{{c1::Paris::a city}} is **big**") == "Paris is big"


def test_flashcard_tags_choose_decks_when_asked() -> None:
    decks = [(c.term, c.deck) for c in _cards(HERE / "decks.md")]
    assert decks == [
        ("Kenya", "Geo::Capitals"),
        ("Peru", "Geo::Capitals"),
        ("Boiling point of water", "Science"),  # the tag opens the card: this card only
        ("Chile", "Geo::Capitals"),
        ("Japan", "Geo::Capitals"),  # bare #flashcards names no deck of its own
    ]
    assert tag_decks("x\n```\n#flashcards/Code\n```\ny") == {}
    # A front matter tag holds for the whole note until a tag line says otherwise.
    assert tag_decks("a::b\n#flashcards/Two\nc::d", ["aws", "flashcards/One"]) == {
        1: "One",
        2: "Two",
        3: "Two",
    }


def test_flashcard_tags_are_ignored_by_default(tmp_path: Path) -> None:
    text = (HERE / "decks.md").read_text(encoding="utf-8")
    note = tmp_path / "trivia.md"
    note.write_text(text.replace("  tag_decks: true\n", "  reversed: false\n"), encoding="utf-8")
    cards = _cards(note)
    assert len(cards) == 5
    assert {c.deck for c in cards} == {"trivia"}


def test_config_reversed_makes_every_single_line_card_ask_both_ways() -> None:
    cards = _cards(EXPLICIT, Config(reversed=True))
    assert {c.note_type for c in cards if c.location.line in (3, 4, 13)} == {"reversed"}
    assert next(c for c in cards if c.location.line == 28).note_type == "cloze"


def test_anki_cards_per_note(tmp_path: Path) -> None:
    notes_dir = tmp_path / "notes"
    notes_dir.mkdir()
    shutil.copy(EXPLICIT, notes_dir / "explicit.md")
    shutil.copy(HERE / "highlights.md", notes_dir / "highlights.md")
    (notes_dir / "notedeck.yaml").write_text("rules: [explicit]\n", encoding="utf-8")
    report = build([notes_dir], BuildOptions(out=tmp_path / "build", now=1_700_000_000))
    with collection(tmp_path) as col:
        log = import_package(col, report.packages[0])
        assert (log.new, log.duplicate, log.conflicting) == (14, 0, 0)
        found = notes(col)
    counts = sorted((n["model"], n["cards"]) for n in found)
    assert counts == sorted(
        [("notedeck Basic", 1)] * 7
        # 犬:::dog and the multi-line ?? card: both directions
        + [("notedeck Basic (and reversed card)", 2)] * 2
        # c1 and c2 each: the explicit cloze and the four highlight notes
        + [("notedeck Cloze", 2)] * 5
    )
    reversed_terms = sorted(
        n["fields"]["Term"] for n in found if n["model"] == "notedeck Basic (and reversed card)"
    )
    assert reversed_terms == ["TCP の3ウェイハンドシェイク", "犬"]


def test_mixed_vault_has_no_duplicate_terms(tmp_path: Path) -> None:
    extraction = extract_paths([HERE / "vault"])
    assert extraction.errors == []
    seen = Counter((c.deck, c.topic, c.normalised_term) for c in extraction.cards)
    assert [key for key, count in seen.items() if count > 1] == []
    by_note = {(c.deck, c.term): (c.kind, c.note_type) for c in extraction.cards}
    assert by_note == {
        ("plain::networks", "TCP"): ("colon", "basic"),
        ("plain::networks", "ルーター"): ("heading", "basic"),
        ("plain::networks", "スイッチ"): ("bullet", "basic"),
        ("plain::networks", "ハブ"): ("bullet", "basic"),
        ("plugin::networks", "レイヤー3"): ("explicit", "basic"),
        ("plugin::networks", "TCP"): ("explicit", "basic"),
        ("plugin::networks", "ポート番号"): ("explicit", "basic"),
        # also a heading and a defining sentence: the card marked by hand wins
        ("plugin::networks", "UDP"): ("explicit", "reversed"),
        ("plugin::networks", "The DNS usually answers over UDP port 53."): ("explicit", "cloze"),
    }
    duplicates = [d for d in extraction.decisions if d.verdict == "duplicate"]
    assert {d.message.split("'")[1] for d in duplicates} >= {"UDP"}
    shutil.copytree(HERE / "vault", tmp_path / "vault")  # the build writes its state there
    report = build([tmp_path / "vault"], BuildOptions(out=tmp_path / "build"))
    assert report.counts()["added"] == 9
