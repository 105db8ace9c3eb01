"""The trained scorer: weights as data, deterministic scores, explanations, and the settings
that steer it (a threshold, kinds switched off)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from notedeck.config import Config
from notedeck.extract import Extraction, extract_file
from notedeck.parse import parse
from notedeck.rules import scorer
from notedeck.rules.detectors import propose, question_term
from notedeck.rules.features import section_proposal_features
from notedeck.sources import NoteFile
from tests.conftest import FIXTURES

UNSEEN = FIXTURES / "rules" / "unseen.md"


def _extract(path: Path, cfg: Config) -> Extraction:
    result = Extraction()
    extract_file(NoteFile(path, path.parent), cfg, result)
    return result


def test_probability_is_the_logistic_of_the_weighted_features() -> None:
    model = scorer.Model({"bias": -1.0, "form=colon": 2.5, "def_url": -4.0}, 0.3)
    assert model.margin({"bias": 1.0, "form=colon": 1.0}) == 1.5
    assert math.isclose(
        model.probability({"bias": 1.0, "form=colon": 1.0}), 1 / (1 + math.exp(-1.5))
    )
    assert model.explain({"bias": 1.0, "form=colon": 1.0, "def_url": 1.0, "unknown": 1.0}) == [
        ("def_url", -4.0),
        ("form=colon", 2.5),
    ]
    assert scorer.describe(model.explain({"form=colon": 1.0, "def_url": 1.0})) == (
        "def_url -4.0, form=colon +2.5"
    )


def test_weights_file_round_trips_sorted_and_rounded() -> None:
    model = scorer.Model({"b": 0.1234567891, "a": -2.0}, 0.3)
    text = scorer.to_json(model, {"notes": 2})
    assert text.index('"a"') < text.index('"b"')
    again = scorer.from_json(text)
    assert again.weights == {"a": -2.0, "b": 0.123457}
    assert again.threshold == 0.3


def test_the_packaged_model_has_trained_weights() -> None:
    model = scorer.packaged()
    assert 0 < model.threshold < 1
    assert len(model.weights) > 100
    assert model.weights["form=colon"] != 0.0


def test_features_are_generic_names_of_the_proposal() -> None:
    """A colon line in a list: its form, its section, its siblings, both sides described."""
    tree = parse("# Net\n\n- Hop: one router a packet passes.\n- TTL: how many hops are left.\n")
    section = tree.children[0]
    proposals = [p for p in propose(section) if p.form == "colon"]
    assert [(p.term, p.definition) for p in proposals] == [
        ("Hop", "one router a packet passes."),
        ("TTL", "how many hops are left."),
    ]
    features = section_proposal_features(proposals, section, (tree,))
    first = features[0]
    assert first["form=colon"] == 1.0
    assert first["unit=item"] == 1.0
    assert first["group_same_form"] == 1.0  # both items of the list are colon pairs
    assert first["term_script=en"] == 1.0
    assert first["sec_level=1"] == 1.0
    assert "term_acronym" in features[1] and features[1]["term_acronym"] == 1.0


def test_question_terms() -> None:
    assert question_term("What is a target group?") == "target group"
    assert question_term("2. ステージとは？") == "ステージ"
    assert question_term("アーティファクトとは何か？") == "アーティファクト"


def test_check_explains_every_proposal_with_its_weightiest_features() -> None:
    result = _extract(UNSEEN, Config())
    cards = [d for d in result.decisions if d.verdict == "card" and d.location.line == 3]
    assert len(cards) == 1
    assert cards[0].message.startswith("外部キー → 他のテーブルの主キーを参照する列。 (p=")
    skips = [d for d in result.decisions if d.verdict == "skip" and d.location.line == 27]
    # `Q: What is a process?` is also a would-be colon pair `Q` → `What is …`: said, not hidden
    assert any(d.message.startswith("'Q' (colon) is no card: p=") for d in skips)
    assert all("+" in d.message or "-" in d.message for d in skips)


def test_threshold_and_kinds_are_settings() -> None:
    every = _extract(UNSEEN, Config())
    terms = {c.term for c in every.cards}
    assert {"外部キー", "Paging", "API"} <= terms
    strict = _extract(UNSEEN, dataclasses.replace(Config(), threshold=0.99))
    assert len(strict.cards) < len(every.cards)
    loose = _extract(UNSEEN, dataclasses.replace(Config(), threshold=0.01))
    assert len(loose.cards) > len(every.cards)
    no_sentences = _extract(UNSEEN, dataclasses.replace(Config(), rules=("bullet", "colon")))
    assert {c.kind for c in no_sentences.cards} <= {"bullet", "colon"}
    assert "API" not in {c.term for c in no_sentences.cards}
    assert "外部キー" in {c.term for c in no_sentences.cards}
