"""The reference note: all 24 gold cards, nothing from its skip list (read from ../shared)."""

from __future__ import annotations

import json
import unicodedata

import yaml

from tests.conftest import SHARED, needs_shared, run_cli


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@needs_shared
def test_seed_note_gives_every_gold_card_and_nothing_skipped() -> None:
    gold = yaml.safe_load((SHARED / "seed" / "aws-memo.gold.yaml").read_text(encoding="utf-8"))
    result = run_cli("extract", str(SHARED / "seed" / "aws-memo.md"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    cards = json.loads(result.stdout)
    by_term = {_norm(c["term"]): c for c in cards}
    missing = []
    for pair in gold["pairs"]:
        card = by_term.get(_norm(pair["term"]))
        if card is None:
            missing.append(pair["term"])
            continue
        core = _norm(pair["definition"]).rstrip("。")
        assert core in _norm(card["definition"]), (pair["term"], card["definition"])
        assert card["topic"] == pair["topic"].split("::"), (pair["term"], card["topic"])
    assert missing == []
    skip_lines = {entry["line"] for entry in gold["skip"]}
    from_skips = [c for c in cards if int(c["source"].rsplit(":", 1)[1]) in skip_lines]
    assert from_skips == []
    optional = {_norm(p["term"]) for p in gold.get("optional", [])}
    extra = [
        c["term"]
        for c in cards
        if _norm(c["term"]) not in {_norm(p["term"]) for p in gold["pairs"]} | optional
    ]
    assert extra == []
    assert len(cards) == 24
