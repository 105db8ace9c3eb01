"""`make train`: fit the scorer's weights from the corpus gold and write `rules/weights.json`.

Every proposal the detectors make on a gold note is labelled by the corpus's own matching
(`score.py`: the same term, a definition similar enough): 1 when it is one of the note's gold
pairs, 0 when it is none, left out when it is an optional pair two annotators disagreed on.
A logistic regression with an L2 penalty is fitted by Newton's method (numpy, dev only), which
is deterministic: `make train` twice writes the same file.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NOTEDECK_SHARED", REPO.parent / "shared"))
WEIGHTS = REPO / "src" / "notedeck" / "rules" / "weights.json"
FIXTURES = REPO / "tests" / "fixtures" / "rules"
PENALTY = float(
    os.environ.get("NOTEDECK_PENALTY", "1.0")
)  # L2 strength: weights of features seen on few proposals stay small
MIN_COUNT = 3  # a feature seen on fewer proposals than this gets no weight
THRESHOLD = 0.25
# The seed note is the reference every build must get right (all 24 cards, nothing from its
# skip list): its proposals count this many times.
SEED_WEIGHT = 8
# Our fixtures each show one writing style the corpus has little of (counting them more
# made the leave-one-note-out F1 worse: they are not how other people write).
FIXTURE_WEIGHT = 1

sys.path.insert(0, str(REPO / "src"))

from notedeck.config import Config  # noqa: E402
from notedeck.extract import propose_note  # noqa: E402
from notedeck.frontmatter import Note, split  # noqa: E402
from notedeck.rules import scorer  # noqa: E402
from notedeck.sources import NoteFile, read_source  # noqa: E402
from notedeck.terms import clean_term  # noqa: E402


@dataclass(frozen=True)
class GoldNote:
    """A note of the corpus (or the seed) with its gold document."""

    stem: str
    path: Path
    doc: dict[str, Any]


def load_score(shared: Path) -> ModuleType:
    """The corpus's own `score.py`, imported."""
    spec = importlib.util.spec_from_file_location("corpus_score", shared / "corpus" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gold_notes(shared: Path) -> list[GoldNote]:
    """The corpus notes that have gold, then the seed note."""
    corpus = shared / "corpus"
    found = []
    for gold in sorted((corpus / "gold").glob("*.yaml")):
        doc = yaml.safe_load(gold.read_text(encoding="utf-8")) or {}
        path = corpus / str(doc.get("note") or f"notes/{gold.stem}.md")
        found.append(GoldNote(path.stem, path, doc))
    seed = shared / "seed"
    doc = yaml.safe_load((seed / "aws-memo.gold.yaml").read_text(encoding="utf-8")) or {}
    found.append(GoldNote("aws-memo", seed / "aws-memo.md", doc))
    return found


def fixture_notes() -> list[GoldNote]:
    """Our own notes with hand-written gold (`tests/fixtures/rules/*.gold.yaml`): the writing
    styles the issues named, in our words, which the corpus has few of. (The other fixtures'
    `.yaml` files say what the trained scorer gives; training on them would feed the scorer
    its own answers.)"""
    found = []
    for gold in sorted(FIXTURES.glob("*.gold.yaml")):
        note = gold.with_name(gold.name.removesuffix(".gold.yaml") + ".md")
        doc = yaml.safe_load(gold.read_text(encoding="utf-8")) or {}
        # Cards marked by hand (`X::Y`) are no proposals: the scorer never sees them.
        pairs = [p for p in doc.get("pairs") or [] if p.get("kind") != "explicit"]
        found.append(GoldNote(f"fixture:{note.stem}", note, {"pairs": pairs}))
    return found


def read_note(path: Path) -> Note:
    """One note as extraction reads it."""
    source, _ = read_source(NoteFile(path, path.parent))
    assert source is not None, path
    note, _ = split(source)
    assert note is not None, path
    return note


def labelled(gold: GoldNote, score: ModuleType, cfg: Config) -> list[tuple[dict[str, float], int]]:
    """Each proposal's features and label (1: a gold pair), optional pairs left out."""
    pairs = list(gold.doc.get("pairs") or [])
    optional = list(gold.doc.get("optional") or [])
    rows = []
    for proposed in propose_note(read_note(gold.path), cfg).proposed:
        proposal = proposed.proposal
        if not proposed.fits:
            continue
        term = score.norm_term(clean_term(proposal.term))
        definition = proposal.definition

        def matches(pair: dict[str, Any], term: str = term, definition: str = definition) -> bool:
            return bool(
                score.terms_match(term, score.norm_term(str(pair.get("term", ""))))
                and score.def_similarity(str(pair.get("definition", "")), definition)
                >= score.DEF_THRESHOLD
            )

        if any(matches(pair) for pair in pairs):
            rows.append((proposed.features, 1))
        elif not any(matches(pair) for pair in optional):
            rows.append((proposed.features, 0))
    return rows


def fit(rows: Sequence[tuple[dict[str, float], int]]) -> scorer.Model:
    """A logistic regression over the rows' features (Newton's method, L2 penalty)."""
    import numpy as np

    counts: Counter[str] = Counter(
        name for features, _ in rows for name, v in features.items() if v
    )
    names = sorted(name for name, seen in counts.items() if seen >= MIN_COUNT or name == "bias")
    column = {name: index for index, name in enumerate(names)}
    x = np.zeros((len(rows), len(names)))
    y = np.array([label for _, label in rows], dtype=float)
    for row, (features, _) in enumerate(rows):
        for name, value in features.items():
            if value and name in column:
                x[row, column[name]] = value
    weights = np.zeros(len(names))
    penalty = np.full(len(names), PENALTY)
    penalty[column["bias"]] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ weights, -30, 30)))
        gradient = x.T @ (p - y) + penalty * weights
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return scorer.Model(
        {n: float(w) for n, w in zip(names, weights, strict=True) if abs(w) >= 1e-6}, THRESHOLD
    )


def _weight(stem: str) -> int:
    """How many times a note's proposals count: the seed's and our fixtures' more."""
    if stem == "aws-memo":
        return SEED_WEIGHT
    return FIXTURE_WEIGHT if stem.startswith("fixture:") else 1


def all_rows(
    shared: Path, cfg: Config | None = None
) -> dict[str, list[tuple[dict[str, float], int]]]:
    """The labelled proposals of every gold note, by note stem."""
    score = load_score(shared)
    cfg = cfg or Config()
    return {
        gold.stem: labelled(gold, score, cfg) * _weight(gold.stem)
        for gold in [*gold_notes(shared), *fixture_notes()]
    }


def train(shared: Path) -> scorer.Model:
    """The model fitted on every gold note."""
    by_note = all_rows(shared)
    return fit([row for rows in by_note.values() for row in rows])


def main(argv: list[str]) -> int:
    """Fit the weights and write them; without `../shared` say so and exit 0."""
    if not (SHARED / "corpus" / "score.py").is_file():
        print(f"train: {SHARED} has no corpus; nothing to train on (skipped)")
        return 0
    by_note = all_rows(SHARED)
    rows = [row for found in by_note.values() for row in found]
    model = fit(rows)
    positives = sum(label for _, label in rows)
    meta = {"notes": len(by_note), "proposals": len(rows), "positives": positives}
    out = Path(argv[0]) if argv else WEIGHTS
    out.write_text(scorer.to_json(model, meta), encoding="utf-8")
    shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    print(
        f"trained on {len(by_note)} notes, {len(rows)} proposals ({positives} gold): "
        f"{len(model.weights)} weights written to {shown}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
