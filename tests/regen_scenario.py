"""The rebuild scenario of issue 4, shared by the import and the sync tests.

v1 is tests/fixtures/regen/v1 (4 files, 30 terms). v2 is made from a copy of it: 3
definitions changed, 2 terms added, 1 removed, 1 renamed with the same definition, and the
note file kitchen.md (4 terms) moved into the folder hobby/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

V1 = FIXTURES / "regen" / "v1"
NOW = 1_700_000_000  # both builds in the same second: the mods must still move forward

EDITED = ("Gateway", "TTL", "セクター")
ADDED = ("Node pool", "RAID")
REMOVED = "Sidecar"
RENAMED = ("Loopback", "Loopback address")
MOVED = ("Blanching", "Emulsion", "Deglazing", "Proofing")
# Cards answered after v1: one edited, the renamed, a moved, an unchanged and the removed one.
REVIEWED = ("Gateway", "Loopback", "Blanching", "Subnet", "Sidecar")


def copy_v1(tmp_path: Path) -> Path:
    """A copy of the v1 notes folder, to be edited into v2."""
    notes = tmp_path / "notes"
    shutil.copytree(V1, notes)
    return notes


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def make_v2(notes: Path) -> None:
    """Edit the v1 copy in `notes` into v2."""
    networking, storage = notes / "networking.md", notes / "storage.md"
    compute = notes / "cloud" / "compute.md"
    _edit(
        networking,
        "Gateway: the hop a packet takes when its destination lies outside the local subnet.",
        "Gateway: the router a host sends a packet to when the target is not on its own subnet.",
    )
    _edit(
        networking,
        "TTL: how many seconds a cached answer may be reused before asking again.",
        "TTL: the number of seconds a resolver may keep serving a cached record.",
    )
    _edit(
        storage,
        "セクター：ディスクが一度に読み書きする最小の単位。",
        "セクター：ディスク上で読み書きを行う最小の区画で、多くは 512 バイトか 4 KiB。",
    )
    _edit(networking, "Loopback: an address", "Loopback address: an address")
    _edit(
        compute,
        "- Autoscaling - adding or removing machines as the load goes up or down\n",
        "- Autoscaling - adding or removing machines as the load goes up or down\n"
        "- Node pool - a group of same-sized machines that a cluster draws workers from\n",
    )
    _edit(
        storage,
        "リストア：バックアップからデータを元の場所へ戻す作業。\n",
        "リストア：バックアップからデータを元の場所へ戻す作業。\n"
        "RAID：複数のディスクを束ねて、速さや故障への強さを得る仕組み。\n",
    )
    _edit(
        compute,
        "- Sidecar - a helper container that runs next to the main one in the same group\n",
        "",
    )
    (notes / "hobby").mkdir()
    (notes / "kitchen.md").rename(notes / "hobby" / "kitchen.md")


def notes_by_term(col: Any) -> dict[str, dict[str, Any]]:
    """Every note (as anki_helpers.notes gives it) by its Term, with its only card's id."""
    from tests.anki_helpers import notes  # here: the tests without Anki import this module too

    found = {}
    for note in notes(col):
        (card_id,) = col.get_note(note["id"]).card_ids()
        found[note["fields"]["Term"]] = {**note, "card": card_id}
    return found
