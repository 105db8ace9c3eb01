"""The evaluation guard: corpus F1 may not fall more than 0.02 below the recorded value, and
the seed note keeps every gold card and gains none from its skip list (needs ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import eval as evaluation
from tests.conftest import SHARED, needs_shared

needs_corpus = pytest.mark.skipif(
    not (SHARED / "corpus" / "score.py").is_file(),
    reason=f"{SHARED}/corpus (the shared evaluation corpus) is not present in this checkout",
)


@needs_shared
@needs_corpus
def test_corpus_f1_holds_and_the_seed_keeps_its_cards(tmp_path: Path) -> None:
    numbers = evaluation.evaluate(SHARED, tmp_path)
    assert numbers is not None
    recorded = json.loads(evaluation.BASELINE.read_text(encoding="utf-8"))["corpus_f1"]
    corpus = numbers["corpus"]["overall"]
    assert corpus["f1"] >= recorded - 0.02, (corpus, recorded)
    seed = numbers["seed"]
    assert seed["overall"]["tp"] == seed["overall"]["gold"] == 24, seed["overall"]
    assert seed["skip_hits"] == []
    written = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert written["corpus"]["overall"]["f1"] == corpus["f1"]


def test_eval_without_shared_says_so_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = tmp_path / "no-shared"
    assert evaluation.evaluate(absent, tmp_path / "build") is None
    assert not (tmp_path / "build").exists()
    monkeypatch.setattr(evaluation, "SHARED", absent)
    assert evaluation.main([]) == 0
    assert capsys.readouterr().out == (
        f"eval: {absent} has no corpus and seed note; nothing to evaluate (skipped)\n"
    )
