"""GUIDs, mods, renames, moves, tombstones and the state file (identity.py, DESIGN §4)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import genanki
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notedeck.errors import Location
from notedeck.extract import Card
from notedeck.identity import (
    REMOVED_TAG,
    STATE_DIR,
    STATE_NAME,
    Plan,
    State,
    assign_guids,
    assign_keys,
    guid_of_key,
    load_state,
    plan,
    save_state,
)
from notedeck.package import BASIC_NAME
from notedeck.render import card_fields
from tests.conftest import run_cli
from tests.regen_scenario import V1

NS = "notedeck"
T = 1_700_000_000


def card(
    term: str,
    definition: str = "",
    *,
    deck: str = "Deck",
    topic: Sequence[str] = ("Topic",),
    note: str = "note.md",
    line: int = 1,
    tags: Sequence[str] = (),
) -> Card:
    """A card as extraction gives it."""
    return Card(
        term=term,
        definition=definition or f"what {term} means",
        topic=tuple(topic),
        tags=tuple(tags),
        deck=deck,
        kind="colon",
        location=Location(note, line),
        note_path=note,
    )


def run(
    cards: Sequence[Card], state: State | None, now: int = T, prune: bool = False, models: str = ""
) -> Plan:
    """plan() over cards rendered the way a build renders them."""
    rendered = [(c, BASIC_NAME, card_fields(c)) for c in cards]
    return plan(rendered, state, NS, now, prune=prune, models_hash=models)


def by_term(result: Plan) -> dict[str, tuple[str, str, int]]:
    """term -> (guid, status, mod), tombstones under their last term."""
    return {
        (p.card.term if p.card else p.previous_term): (p.guid, p.status, p.mod)
        for p in result.notes
    }


# Keys and GUIDs ------------------------------------------------------------------------


def test_guid_is_genanki_guid_for_namespace_deck_and_normalised_term() -> None:
    cards, diagnostics = assign_guids([card("**Ｌｉｓｔｅｎｅｒ**", deck="aws::ELB")], NS)
    assert diagnostics == []
    assert cards[0].guid == genanki.guid_for(NS, "aws::ELB", "listener")


def test_the_same_term_under_two_topics_adds_the_topic_to_the_key_quietly() -> None:
    keyed, diagnostics = assign_keys(
        [card("Port", topic=("Net",)), card("Port", topic=("Docker",))]
    )
    assert diagnostics == []
    assert [key.split("\x1f") for _, key in keyed] == [
        ["Deck", "port", "net"],
        ["Deck", "port", "docker"],
    ]


def test_the_same_term_and_topic_in_two_files_adds_the_file_with_a_warning() -> None:
    keyed, diagnostics = assign_keys([card("Port", note="a.md"), card("Port", note="b.md", line=7)])
    assert [key.split("\x1f")[-1] for _, key in keyed] == ["a.md", "b.md"]
    assert [str(d) for d in diagnostics] == [
        "a.md:1: warning: 'Port' also in b.md:7 under the same deck and topic; "
        "the file name now separates them"
    ]


def test_cards_that_would_share_a_guid_are_an_error_naming_both_places() -> None:
    _, diagnostics = assign_keys([card("Port", line=3), card("port", line=9)])
    assert [str(d) for d in diagnostics if d.severity == "error"] == [
        "note.md:9: 'port' would get the same GUID as 'Port' at note.md:3 "
        "(same deck, topic, file and term); rename one"
    ]


def test_two_roots_with_the_same_file_and_term_fail_the_build_and_write_nothing(
    tmp_path: Path,
) -> None:
    for root in ("a", "b"):
        (tmp_path / root).mkdir()
        (tmp_path / root / "same.md").write_text(
            "Port: the number that names a service on a host\n", encoding="utf-8"
        )
    out = tmp_path / "out"
    result = run_cli("build", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(out))
    assert result.exit_code == 1
    a, b = tmp_path / "a" / "same.md", tmp_path / "b" / "same.md"
    assert f"{b}:1: 'Port' would get the same GUID as 'Port' at {a}:1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(out.glob("*.apkg")) and not (out / STATE_NAME).exists()


# Mods ----------------------------------------------------------------------------------


def test_without_state_every_card_is_added_at_now_and_nothing_is_removed() -> None:
    result = run([card("A"), card("B")], None)
    assert [(p.status, p.mod) for p in result.notes] == [("added", T), ("added", T)]
    assert result.state.models_mod == T


def test_unchanged_cards_keep_their_mod_and_changed_ones_move_past_it() -> None:
    first = run([card("A"), card("B", "old")], None)
    same_second = run([card("A"), card("B", "new")], first.state, now=T)
    assert by_term(same_second) == {
        "A": (by_term(first)["A"][0], "unchanged", T),
        "B": (by_term(first)["B"][0], "changed", T + 1),
    }
    later = run([card("A"), card("B", "newer")], same_second.state, now=T + 50)
    assert by_term(later)["A"][1:] == ("unchanged", T)
    assert by_term(later)["B"][1:] == ("changed", T + 50)
    assert [p.updates_anki for p in later.notes] == [False, True]


def test_a_changed_tag_is_a_change() -> None:
    first = run([card("A", tags=["x"])], None)
    second = run([card("A", tags=["x", "y"])], first.state, now=T)
    assert by_term(second)["A"][1:] == ("changed", T + 1)


def test_note_types_keep_their_mod_until_they_change() -> None:
    first = run([card("A")], None, models="css-1")
    assert (first.state.models_hash, first.state.models_mod) == ("css-1", T)
    same = run([card("A")], first.state, now=T + 9, models="css-1")
    assert same.state.models_mod == T
    changed = run([card("A")], same.state, now=T, models="css-2")
    assert (changed.state.models_hash, changed.state.models_mod) == ("css-2", T + 1)


# Renames and moves -----------------------------------------------------------------------


def test_a_renamed_term_with_the_same_definition_keeps_its_guid() -> None:
    first = run([card("Loopback", "points back at this host"), card("B")], None)
    second = run([card("Loopback address", "points back at this host"), card("B")], first.state)
    guid, status, mod = by_term(second)["Loopback address"]
    assert (guid, status, mod) == (by_term(first)["Loopback"][0], "renamed", T + 1)
    assert second.notes[0].previous_term == "Loopback"
    assert [p.status for p in second.notes] == ["renamed", "unchanged"]


def test_a_card_moved_to_another_deck_keeps_its_guid_even_with_a_new_definition() -> None:
    first = run([card("Blanching", "dip", deck="Kitchen", note="kitchen.md")], None)
    moved = card("Blanching", "a short dip", deck="hobby::Kitchen", note="hobby/kitchen.md")
    second = run([moved], first.state)
    assert by_term(second)["Blanching"] == (by_term(first)["Blanching"][0], "moved", T + 1)
    assert second.notes[0].deck == "hobby::Kitchen"


def test_a_move_that_changes_nothing_anki_stores_keeps_the_mod() -> None:
    # A new `deck:` in front matter: no field or tag changes, so no import update.
    first = run([card("A", deck="Old")], None)
    second = run([card("A", deck="New")], first.state, now=T + 5)
    assert by_term(second)["A"][1:] == ("moved", T)
    assert not second.notes[0].updates_anki


def test_a_move_prefers_the_vanished_card_with_the_same_definition() -> None:
    first = run([card("Port", "a number", deck="A"), card("Port", "a socket", deck="B")], None)
    guids = [p.guid for p in first.notes]
    # Both move into deck C under two topics: each keeps its own history.
    second = run(
        [
            card("Port", "a socket", deck="C", topic=("Unix",)),
            card("Port", "a number", deck="C", topic=("Net",)),
        ],
        first.state,
    )
    assert [p.guid for p in second.notes] == [guids[1], guids[0]]
    assert [p.status for p in second.notes] == ["moved", "moved"]


def test_a_new_namesake_under_another_topic_does_not_take_the_old_cards_guid() -> None:
    first = run([card("Port", "a number", topic=("Net",))], None)
    second = run(
        [
            card("Port", "where a container listens", topic=("Docker",), line=1),
            card("Port", "a number", topic=("Net",), line=5),
        ],
        first.state,
    )
    old = by_term(first)["Port"][0]
    assert [(p.guid == old, p.status) for p in second.notes] == [
        (False, "added"),
        (True, "unchanged"),
    ]


def test_a_shared_definition_is_not_taken_for_a_rename() -> None:
    first = run([card("A", "see the manual"), card("B", "see the manual")], None)
    second = run([card("C", "see the manual")], first.state)
    assert [p.status for p in second.notes] == ["added", "removed", "removed"]


def test_re_adding_a_renamed_term_gets_a_new_guid_not_an_error() -> None:
    first = run([card("Loopback", "points back")], None)
    renamed = run([card("Loopback address", "points back")], first.state)
    both = run(
        [card("Loopback address", "points back"), card("Loopback", "the lo interface")],
        renamed.state,
    )
    assert both.diagnostics == []
    held, fresh = both.notes
    assert (held.guid, held.status) == (by_term(first)["Loopback"][0], "unchanged")
    assert fresh.status == "added"
    assert fresh.guid == guid_of_key(NS, "Deck\x1floopback", salt=1) != held.guid
    # Deterministic: the next build finds it again by its key.
    again = run([c for p in both.notes if (c := p.card)], both.state)
    assert [p.status for p in again.notes] == ["unchanged", "unchanged"]


# Tombstones ------------------------------------------------------------------------------


def test_a_removed_card_becomes_a_tombstone_until_prune() -> None:
    first = run([card("A"), card("Gone", tags=["t"])], None)
    gone_guid = by_term(first)["Gone"][0]
    second = run([card("A")], first.state)
    tomb = second.notes[1]
    assert (tomb.guid, tomb.status, tomb.mod, tomb.card) == (gone_guid, "removed", T + 1, None)
    assert tomb.tags == ("notedeck::removed", "t")
    assert tomb.fields == first.notes[1].fields and tomb.deck == "Deck"
    third = run([card("A")], second.state, now=T + 60)
    assert [(p.status, p.mod, p.tags) for p in third.notes[1:]] == [
        ("tombstone", T + 1, ("notedeck::removed", "t"))
    ]
    pruned = run([card("A")], third.state, prune=True)
    assert [p.status for p in pruned.notes] == ["unchanged"]
    assert gone_guid not in pruned.state.entries


def test_a_tombstone_whose_card_comes_back_is_updated_without_the_removed_tag() -> None:
    first = run([card("A"), card("B")], None)
    second = run([card("A")], first.state)
    third = run([card("A"), card("B")], second.state)
    guid, status, mod = by_term(third)["B"]
    assert (guid, status, mod) == (by_term(first)["B"][0], "changed", T + 2)
    assert REMOVED_TAG not in third.notes[1].tags
    assert not third.state.entries[guid].removed


# The state file ------------------------------------------------------------------------


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    result = run([card("A", tags=["x"]), card("B")], None, models="m")
    save_state(tmp_path, result.state)
    loaded, warnings = load_state(tmp_path, NS)
    assert warnings == [] and loaded == result.state


def test_a_missing_state_file_is_a_quiet_fresh_start(tmp_path: Path) -> None:
    assert load_state(tmp_path, NS) == (None, [])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "Expecting property name"),
        (b"", "Expecting value"),
        (b"[1, 2]", "not a JSON object with notes"),
        (b'{"version": 0, "notes": {}}', "unknown version 0"),
        (b'{"version": "1", "notes": {}}', "unknown version '1'"),
        (b"\xff\xfe\x00garbage", "codec can't decode"),
    ],
)
def test_a_corrupt_state_file_is_a_warning_and_a_fresh_start(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / STATE_NAME).write_bytes(content)
    state, warnings = load_state(tmp_path, NS)
    assert state is None
    assert len(warnings) == 1
    message = str(warnings[0])
    assert message.startswith(f"{tmp_path / STATE_NAME}:1: warning: state file is corrupt (")
    assert reason in message and message.endswith("rebuilding from scratch")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"version": 1, "notes": {"g": {"key": "k"}}}', "'hash' is missing, not a text"),
        (b'{"version": 1, "notes": {"g": 5}}', "not a JSON object"),
        (
            b'{"version": 1, "notes": {"g": {"key": "k", "hash": "h", "term": "t", '
            b'"definition_hash": "d", "deck": "D", "model": "notedeck Basic", "mod": "soon"}}}',
            "'mod' is 'soon', not a whole number from 0 to 2**53",
        ),
    ],
)
def test_a_note_with_bad_values_is_left_out_with_a_warning(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / STATE_NAME).write_bytes(content)
    state, warnings = load_state(tmp_path)
    assert state is not None and state.entries == {}
    assert [str(w) for w in warnings] == [
        f"{tmp_path / STATE_NAME}:1: warning: state file: 1 note with bad values left out "
        f"({reason}); its card may get a new GUID"
    ]


def test_a_state_file_of_another_namespace_is_not_used(tmp_path: Path) -> None:
    save_state(tmp_path, run([card("A")], None).state)
    state, warnings = load_state(tmp_path, "other")
    assert state is None
    assert "the last build used namespace 'notedeck', this one 'other'" in str(warnings[0])


def test_build_with_a_corrupt_state_file_warns_and_writes_a_fresh_one(tmp_path: Path) -> None:
    notes, out = tmp_path / "notes", tmp_path / "out"
    shutil.copytree(V1, notes)
    (notes / STATE_DIR).mkdir()
    (notes / STATE_DIR / STATE_NAME).write_text("{ half a file", encoding="utf-8")
    result = run_cli("build", str(notes), "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["added"] == 30 and report["removed"] == []
    assert any("state file is corrupt" in w for w in report["warnings"])
    state = json.loads((notes / STATE_DIR / STATE_NAME).read_text(encoding="utf-8"))
    assert state["version"] == 1


# Properties over random rebuilds ----------------------------------------------------------

_cards = st.lists(
    st.builds(
        lambda term, definition, deck, topic, note: card(
            term, definition, deck=deck, topic=(topic,), note=note
        ),
        st.sampled_from(["Port", "port", "Gate", "Node", "Pod"]),
        st.sampled_from(["one", "two", "three"]),
        st.sampled_from(["X", "Y"]),
        st.sampled_from(["t1", "t2"]),
        st.sampled_from(["a.md", "b.md"]),
    ),
    max_size=12,
).map(
    # Extraction never gives two cards with one deck, topic, file and term.
    lambda cards: list(
        {(c.deck, c.topic, c.note_path, c.normalised_term): c for c in cards}.values()
    )
)


@settings(max_examples=150, deadline=None)
@given(_cards, _cards)
def test_any_rebuild_keeps_guids_unique_and_mods_honest(old: list[Card], new: list[Card]) -> None:
    first = run(old, None)
    second = run(new, first.state, now=T)
    assert second.diagnostics == [d for d in second.diagnostics if d.severity == "warning"]
    guids = [p.guid for p in second.notes]
    assert len(guids) == len(set(guids))
    before = {p.guid: p for p in first.notes}
    for item in second.notes:
        last = before.get(item.guid)
        if item.status == "added":
            assert last is None and item.mod == T
        elif item.status == "unchanged" or (item.status == "moved" and not item.updates_anki):
            assert last is not None and item.mod == last.mod and item.fields == last.fields
        else:
            assert last is not None and item.mod == last.mod + 1
    live = {p.guid for p in second.notes if p.card is not None}
    assert {p.guid for p in second.notes if p.status == "removed"} == set(before) - live
    # The same notes again: nothing changes, nothing more is removed.
    third = run(new, second.state, now=T + 7)
    assert [(p.guid, p.mod) for p in third.notes] == [(p.guid, p.mod) for p in second.notes]
    assert {p.status for p in third.notes} <= {"unchanged", "tombstone"}
