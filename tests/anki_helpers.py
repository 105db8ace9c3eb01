"""A real Anki collection (the `anki` package) for import tests: no mocks of Anki."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

anki = pytest.importorskip("anki", reason="the anki package is needed for import tests")

from anki import import_export_pb2 as ie  # noqa: E402
from anki.collection import Collection  # noqa: E402


@contextmanager
def collection(folder: Path) -> Iterator[Any]:
    """A fresh collection in `folder`, closed afterwards."""
    col = Collection(str(folder / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


@dataclass(frozen=True)
class ImportLog:
    """The counts Anki reports for one package import."""

    new: int
    updated: int
    duplicate: int
    conflicting: int
    updated_terms: tuple[str, ...]


def import_package(col: Any, path: Path) -> ImportLog:
    """Import like Anki's dialog: update notes and note types only when newer."""
    newer = ie.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
    options = ie.ImportAnkiPackageOptions(
        update_notes=newer,
        update_notetypes=newer,
        merge_notetypes=False,
        with_scheduling=False,
        with_deck_configs=False,
    )
    response = col.import_anki_package(
        ie.ImportAnkiPackageRequest(package_path=str(path.resolve()), options=options)
    )
    log = response.log
    return ImportLog(
        new=len(log.new),
        updated=len(log.updated),
        duplicate=len(log.duplicate),
        conflicting=len(log.conflicting),
        updated_terms=tuple(n.fields[0] for n in log.updated),
    )


def notes(col: Any) -> list[dict[str, Any]]:
    """Every note: guid, note type name, fields by name, tags, and its cards' decks."""
    found = []
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        model = note.note_type()
        decks = sorted({col.decks.name(card.did) for card in note.cards()})
        found.append(
            {
                "id": note_id,
                "guid": note.guid,
                "model": model["name"],
                "fields": dict(zip([f["name"] for f in model["flds"]], note.fields, strict=True)),
                "tags": sorted(note.tags),
                "decks": decks,
                "cards": len(note.cards()),
            }
        )
    return found


def review(col: Any, count: int, times: int = 3) -> list[int]:
    """Answer the first `count` cards Good `times` times with the v3 scheduler; their ids."""
    card_ids = list(col.db.list("select id from cards order by id limit ?", count))
    answer(col, card_ids, times)
    return card_ids


def answer(col: Any, card_ids: list[int], times: int = 3) -> None:
    """Answer the cards Good `times` times each with the v3 scheduler."""
    from anki.scheduler.v3 import CardAnswer

    for card_id in card_ids:
        for _ in range(times):
            card = col.get_card(card_id)
            card.start_timer()
            states = col._backend.get_scheduling_states(card_id)
            rating = CardAnswer.GOOD
            col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=rating))


def card_history(col: Any, card_id: int) -> tuple[int, int, int]:
    """(reps, interval, revlog rows) of a card."""
    card = col.get_card(card_id)
    revlog = col.db.scalar("select count() from revlog where cid=?", card_id)
    return card.reps, card.ivl, revlog
