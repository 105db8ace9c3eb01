"""The evaluation guard: the corpus F1, in sample and leave-one-note-out, may not fall more
than 0.02 below the recorded values, the seed note keeps every gold card and gains none from
its skip list, and the shipped weights are what `make train` makes (needs ../shared)."""

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
    recorded = json.loads(evaluation.BASELINE.read_text(encoding="utf-8"))
    corpus = numbers["corpus"]["overall"]
    assert corpus["f1"] >= recorded["corpus_f1"] - 0.02, (corpus, recorded)
    unseen = numbers["loo"]["overall"]
    assert unseen["f1"] >= recorded["loo_f1"] - 0.02, (unseen, recorded)
    assert unseen["f1"] < corpus["f1"], "a note scored by a model trained without it"
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


@needs_shared
@needs_corpus
def test_make_train_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    """Training is deterministic and the weights in the package are the ones the corpus gives:
    `make train` twice writes the same bytes, and those of `rules/weights.json`."""
    from tests import train

    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert train.main([str(first)]) == 0
    assert train.main([str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == train.WEIGHTS.read_bytes()
