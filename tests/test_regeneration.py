"""Rebuilding after the notes change, imported into a real Anki collection (DESIGN §4).

How the import counts: a note is "updated" when its mod moved forward, which happens exactly
when what Anki stores for it changed: an edited definition, a renamed term (the Term field),
each card of a moved note file (its Source field names the new folder), and a new tombstone
(its notedeck::removed tag). Unchanged notes keep their mod and are logged as duplicates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notedeck import package
from notedeck.build import BuildOptions, build
from notedeck.identity import REMOVED_TAG
from notedeck.report import Report
from tests.anki_helpers import ImportLog, answer, card_history, collection, import_package, notes
from tests.conftest import run_cli
from tests.regen_scenario import (
    ADDED,
    EDITED,
    MOVED,
    NOW,
    REMOVED,
    RENAMED,
    REVIEWED,
    copy_v1,
    make_v2,
    notes_by_term,
)


def card_ids(col: Any) -> dict[str, int]:
    """Term -> the id of its (only) card."""
    return {term: note["card"] for term, note in notes_by_term(col).items()}


@dataclass
class Scenario:
    """What the scenario observed, for the tests below to check."""

    v1: Report
    v2: Report
    again: Report
    log_v1: ImportLog
    log_v2: ImportLog
    log_again: ImportLog
    ids_v1: dict[str, int]
    ids_v2: dict[str, int]
    history_v1: dict[str, tuple[int, int, int]]
    history_v2: dict[str, tuple[int, int, int]]
    notes_v2: list[dict[str, Any]]
    decks_v2: list[str]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """v1 built, imported and reviewed; v2 built in the same second and imported; then v2
    rebuilt with no change and imported again."""
    tmp = tmp_path_factory.mktemp("scenario")
    notes_dir, out = copy_v1(tmp), tmp / "build"
    v1 = build([notes_dir], BuildOptions(out=out, now=NOW))
    with collection(tmp) as col:
        log_v1 = import_package(col, v1.packages[0])
        ids_v1 = card_ids(col)
        answer(col, [ids_v1[term] for term in REVIEWED])
        history_v1 = {term: card_history(col, ids_v1[term]) for term in REVIEWED}
        make_v2(notes_dir)
        v2 = build([notes_dir], BuildOptions(out=out, now=NOW))
        log_v2 = import_package(col, v2.packages[0])
        ids_v2 = card_ids(col)
        history_v2 = {
            term: card_history(col, ids_v1[term]) for term in REVIEWED if term != RENAMED[0]
        }
        history_v2[RENAMED[0]] = card_history(col, ids_v2[RENAMED[1]])
        notes_v2 = notes(col)
        decks_v2 = sorted(col.decks.all_names())
        again = build([notes_dir], BuildOptions(out=out, now=NOW))
        log_again = import_package(col, again.packages[0])
    return Scenario(
        v1,
        v2,
        again,
        log_v1,
        log_v2,
        log_again,
        ids_v1,
        ids_v2,
        history_v1,
        history_v2,
        notes_v2,
        decks_v2,
    )


def test_v1_has_30_cards_from_4_files(scenario: Scenario) -> None:
    assert scenario.v1.counts()["added"] == 30
    assert scenario.v1.notes_read == 4
    assert scenario.log_v1.new == 30


def test_v2_report_names_each_kind_of_change(scenario: Scenario) -> None:
    report = scenario.v2
    assert report.counts() == {
        "added": 2,
        "changed": 3,
        "unchanged": 21,
        "renamed": 1,
        "moved": 4,
        "removed": 1,
    }
    terms = {
        status: sorted(e["term"] for e in report.as_json()[status]) for status in report.counts()
    }
    assert terms["added"] == sorted(ADDED)
    assert terms["changed"] == sorted(EDITED)
    assert terms["renamed"] == [RENAMED[1]]
    assert terms["moved"] == sorted(MOVED)
    assert terms["removed"] == [REMOVED]
    assert report.as_json()["renamed"][0]["previous_term"] == RENAMED[0]
    assert report.import_updates == 9


def test_v2_import_updates_exactly_the_notes_whose_content_changed(scenario: Scenario) -> None:
    log = scenario.log_v2
    assert (log.new, log.conflicting) == (2, 0)
    expected = {*EDITED, RENAMED[1], *MOVED, REMOVED}
    assert sorted(log.updated_terms) == sorted(expected)
    assert log.updated == len(expected) == scenario.v2.import_updates
    assert log.duplicate == 21


def test_no_term_is_duplicated_and_the_edit_arrived(scenario: Scenario) -> None:
    terms = [note["fields"]["Term"] for note in scenario.notes_v2]
    assert len(terms) == len(set(terms)) == 32  # 30 + 2 added; the removed one stays as a tombstone
    assert RENAMED[0] not in terms
    gateway = next(n for n in scenario.notes_v2 if n["fields"]["Term"] == "Gateway")
    assert "the router a host sends a packet to" in gateway["fields"]["Definition"]


def test_reviewed_cards_keep_reps_interval_and_revlog(scenario: Scenario) -> None:
    for term in REVIEWED:
        reps, interval, revlog = scenario.history_v1[term]
        assert (reps, revlog) == (3, 3) and interval > 0, term
    assert scenario.history_v2 == scenario.history_v1


def test_renamed_and_moved_cards_are_the_same_cards(scenario: Scenario) -> None:
    assert scenario.ids_v2[RENAMED[1]] == scenario.ids_v1[RENAMED[0]]
    for term in MOVED:
        assert scenario.ids_v2[term] == scenario.ids_v1[term]


def test_moved_note_file_changes_source_but_anki_leaves_cards_in_their_deck(
    scenario: Scenario,
) -> None:
    # Anki matches decks by name and never moves an existing card on import (tools/README
    # row 9): the new deck is created, empty; `notedeck sync` moves the cards.
    by_term = {n["fields"]["Term"]: n for n in scenario.notes_v2}
    for term in MOVED:
        assert by_term[term]["decks"] == ["Kitchen"]
        assert by_term[term]["fields"]["Source"] == "hobby/kitchen.md › Techniques"
    assert "hobby::Kitchen" in scenario.decks_v2
    assert {p.deck for p in scenario.v2.by_status("moved")} == {"hobby::Kitchen"}


def test_removed_note_carries_the_removed_tag(scenario: Scenario) -> None:
    by_term = {n["fields"]["Term"]: n for n in scenario.notes_v2}
    assert by_term[REMOVED]["tags"] == sorted(["Cloud", "Cloud::Containers", REMOVED_TAG])
    tagged = [t for t, n in by_term.items() if REMOVED_TAG in n["tags"]]
    assert tagged == [REMOVED]


def test_rebuild_without_change_is_all_unchanged_and_updates_nothing(
    scenario: Scenario,
) -> None:
    counts = scenario.again.counts()
    assert counts == {
        "added": 0,
        "changed": 0,
        "unchanged": 31,
        "renamed": 0,
        "moved": 0,
        "removed": 0,
    }
    assert scenario.again.tombstones == 1
    assert scenario.again.import_updates == 0
    log = scenario.log_again
    assert (log.new, log.updated, log.conflicting) == (0, 0, 0)
    assert log.duplicate == 32


def test_css_change_updates_the_note_type_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    notes = copy_v1(tmp_path)  # the state file goes into the notes folder
    first = build([notes], BuildOptions(out=out, now=NOW))
    monkeypatch.setattr(package, "CSS", package.CSS + "\n.term { color: #b31d28; }\n")
    # The same second: only the state file's note type mod makes the change newer.
    second = build([notes], BuildOptions(out=out, now=NOW))
    assert second.counts()["unchanged"] == 30 and second.import_updates == 0
    with collection(tmp_path) as col:
        import_package(col, first.packages[0])
        log = import_package(col, second.packages[0])
        assert (log.new, log.updated, log.conflicting) == (0, 0, 0)
        col.models._clear_cache()  # the Python side caches note types across the import
        ours = [m for m in col.models.all_names_and_ids() if m.name.startswith("notedeck")]
        assert [(m.id, m.name) for m in ours] == [(package.BASIC_MODEL_ID, package.BASIC_NAME)]
        model = col.models.get(package.BASIC_MODEL_ID)
        assert ".term { color: #b31d28; }" in model["css"]
        assert [f["name"] for f in model["flds"]] == list(package.BASIC_FIELDS)
        assert model["mod"] == NOW + 1


# The report on the command line ----------------------------------------------------------

REPORT_KEYS = [
    "packages",
    "notes_read",
    "counts",
    "added",
    "changed",
    "unchanged",
    "renamed",
    "moved",
    "removed",
    "warnings",
    "errors",
    "left_out",
]


def test_build_json_is_one_object_with_every_status(tmp_path: Path) -> None:
    notes_dir, out = copy_v1(tmp_path), tmp_path / "out"
    assert run_cli("build", str(notes_dir), "-o", str(out), "-q").exit_code == 0
    make_v2(notes_dir)
    result = run_cli("build", str(notes_dir), "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == REPORT_KEYS
    assert report["counts"] == {
        "added": 2,
        "changed": 3,
        "unchanged": 21,
        "renamed": 1,
        "moved": 4,
        "removed": 1,
        "tombstones": 1,  # the removed card, written as a tombstone
        "import_updates": 9,
    }
    assert report["renamed"] == [
        {
            "guid": report["renamed"][0]["guid"],
            "term": "Loopback address",
            "deck": "Networking",
            "source": f"{notes_dir / 'networking.md'}:11",
            "previous_term": "Loopback",
        }
    ]
    assert report["removed"][0]["term"] == REMOVED
    assert len(report["unchanged"]) == 21 and report["warnings"] == []


def test_build_text_report_is_a_summary_and_a_few_lines(tmp_path: Path) -> None:
    notes_dir, out = copy_v1(tmp_path), tmp_path / "out"
    assert run_cli("build", str(notes_dir), "-o", str(out), "-q").exit_code == 0
    make_v2(notes_dir)
    result = run_cli("build", str(notes_dir), "-o", str(out))
    assert result.stdout.splitlines() == [
        f"{out / 'notes.apkg'}: 31 cards from 4 notes (2 added, 3 changed, 21 unchanged, "
        "1 renamed, 4 moved, 1 removed)",
        "  added (2): Node pool, RAID",
        "  changed (3): Gateway, TTL, セクター",
        "  renamed (1): Loopback -> Loopback address",
        "  moved (4): Blanching (to hobby::Kitchen), Emulsion (to hobby::Kitchen), "
        "Deglazing (to hobby::Kitchen), Proofing (to hobby::Kitchen)",
        "  removed (1): Sidecar (tagged notedeck::removed)",
    ]
    (notes_dir / "networking.md").unlink()
    (notes_dir / "storage.md").unlink()
    result = run_cli("build", str(notes_dir), "-o", str(out))
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("12 cards from 2 notes (12 unchanged, 19 removed)")
    # Every removed card is counted: the first five named, the rest in --json.
    assert re.fullmatch(
        r"  removed \(19\): (?:[^,]+, ){5}… and 14 more \(tagged notedeck::removed\)", lines[1]
    ), lines[1]
