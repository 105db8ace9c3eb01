"""`make eval`: extraction quality on the shared corpus and the seed note.

Runs `notedeck extract` on `../shared/corpus/notes` and on `../shared/seed/aws-memo.md`,
scores both with the corpus's own `score.py` (`--by-kind --per-file`), prints its tables and
writes the numbers to `build/eval.json`. Then the leave-one-note-out run: each gold note is
extracted by a scorer trained without it (`tests/train.py`), the estimate of how notedeck does
on notes it has never seen. Without `../shared` it says so and exits 0. `--record` stores both
F1s in `tests/eval_baseline.json`, the values the test guards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from notedeck.config import Config
from notedeck.extract import extract_note

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NOTEDECK_SHARED", REPO.parent / "shared"))
BASELINE = REPO / "tests" / "eval_baseline.json"


def _extract(notes: Path, out: Path) -> Path:
    """The cards of `notes` as `extract --format json` prints them, saved to `out`."""
    found = subprocess.run(
        [sys.executable, "-m", "notedeck", "extract", str(notes), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out.write_text(found.stdout, encoding="utf-8")
    return out


def _score(score_py: Path, gold: Path, pred: Path, *, show: bool) -> dict[str, Any]:
    """score.py's result as data; with `show`, its tables are printed too."""
    base = [sys.executable, str(score_py), "--gold", str(gold), "--pred", str(pred)]
    if show:
        table = subprocess.run(
            [*base, "--by-kind", "--per-file"], capture_output=True, text=True, check=True
        )
        print(table.stdout, end="")
    result = subprocess.run([*base, "--json"], capture_output=True, text=True, check=True)
    scored: dict[str, Any] = json.loads(result.stdout)
    return scored


def leave_one_out(shared: Path, work: Path) -> tuple[Path, Path]:
    """Predictions of each gold note by a model trained on all the others (the corpus
    notes, then the seed note), written as `extract --format json` would."""
    from tests import train

    notes = train.gold_notes(shared)
    rows = train.all_rows(shared)
    found: dict[str, list[dict[str, str]]] = {"corpus": [], "seed": []}
    for gold in notes:
        model = train.fit([row for stem, kept in rows.items() if stem != gold.stem for row in kept])
        cards, _ = extract_note(train.read_note(gold.path), Config(), model)
        found["seed" if gold.stem == "aws-memo" else "corpus"].extend(
            {"term": c.term, "definition": c.definition, "source": f"{gold.path}:{c.location.line}"}
            for c in cards
        )
    paths = []
    for name, predictions in found.items():
        path = work / f"loo-{name}.json"
        path.write_text(json.dumps(predictions, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def evaluate(
    shared: Path, build: Path, *, show: bool = False, loo: bool = True
) -> dict[str, Any] | None:
    """Score the corpus and the seed note; None when `shared` holds no corpus."""
    corpus = shared / "corpus"
    seed = shared / "seed"
    if not (corpus / "score.py").is_file() or not (seed / "aws-memo.md").is_file():
        return None
    work = build / "eval"
    work.mkdir(parents=True, exist_ok=True)
    runs = {
        "corpus": (corpus / "notes", corpus / "gold"),
        "seed": (seed / "aws-memo.md", seed / "aws-memo.gold.yaml"),
    }
    numbers = {}
    for name, (notes, gold) in runs.items():
        if show:
            print(f"{chr(10) if numbers else ''}== {name}: {notes} (gold: {gold})")
        pred = _extract(notes, work / f"{name}.json")
        numbers[name] = _score(corpus / "score.py", gold, pred, show=show)
    if loo:
        corpus_pred, seed_pred = leave_one_out(shared, work)
        if show:
            print("\n== leave-one-note-out: each note scored by a model trained without it")
        numbers["loo"] = _score(corpus / "score.py", corpus / "gold", corpus_pred, show=show)
        if show:
            print("\n== leave-one-note-out, seed")
        numbers["loo_seed"] = _score(
            corpus / "score.py", seed / "aws-memo.gold.yaml", seed_pred, show=show
        )
    (build / "eval.json").write_text(
        json.dumps(numbers, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return numbers


def main(argv: list[str]) -> int:
    """Run the evaluation, print it, and with `--record` store the corpus F1."""
    numbers = evaluate(SHARED, REPO / "build", show=True)
    if numbers is None:
        print(f"eval: {SHARED} has no corpus and seed note; nothing to evaluate (skipped)")
        return 0
    f1 = round(numbers["corpus"]["overall"]["f1"], 3)
    loo = round(numbers["loo"]["overall"]["f1"], 3)
    recorded = json.loads(BASELINE.read_text(encoding="utf-8"))
    print(
        f"\nin-sample corpus F1 {f1:.3f} (recorded {recorded.get('corpus_f1', 0):.3f}); "
        f"leave-one-note-out F1 {loo:.3f} (recorded {recorded.get('loo_f1', 0):.3f}); "
        "written to build/eval.json"
    )
    if "--record" in argv:
        BASELINE.write_text(json.dumps({"corpus_f1": f1, "loo_f1": loo}) + "\n", encoding="utf-8")
        print(f"recorded F1 {f1:.3f} and leave-one-note-out F1 {loo:.3f} in {BASELINE.name}")
    elif f1 > recorded.get("corpus_f1", 0) + 0.005 or loo > recorded.get("loo_f1", 0) + 0.005:
        print("F1 improved: run `make eval RECORD=1` to record it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
