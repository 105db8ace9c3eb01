"""The scorer decides: a logistic regression over the named features of a proposal.

Its weights are a data file (`weights.json`, made by `make train` from the corpus gold), never
code. Scoring is pure Python and deterministic. `explain` names the features that weighed most,
which is what `notedeck check` prints beside each decision.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

WEIGHTS_FILE = "weights.json"


@dataclass(frozen=True)
class Model:
    """Weights by feature name, and the probability from which a proposal is a card."""

    weights: Mapping[str, float]
    threshold: float = 0.5

    def margin(self, features: Mapping[str, float]) -> float:
        """The weighted sum of the features (the log-odds that the proposal is a card)."""
        weights = self.weights
        return sum(weights.get(name, 0.0) * value for name, value in features.items() if value)

    def probability(self, features: Mapping[str, float]) -> float:
        """How likely the proposal is a card, from 0 to 1."""
        margin = max(-30.0, min(30.0, self.margin(features)))
        return 1.0 / (1.0 + math.exp(-margin))

    def explain(self, features: Mapping[str, float], count: int = 3) -> list[tuple[str, float]]:
        """The features that weighed most, each with its share of the margin, biggest first."""
        weights = self.weights
        shares = [
            (name, weights.get(name, 0.0) * value)
            for name, value in features.items()
            if value and name != "bias" and weights.get(name, 0.0)
        ]
        return heapq.nsmallest(count, shares, key=lambda share: (-abs(share[1]), share[0]))


def from_json(text: str) -> Model:
    """A model from the text of a weights file."""
    data = json.loads(text)
    return Model({str(k): float(v) for k, v in data["weights"].items()}, float(data["threshold"]))


def to_json(model: Model, meta: Mapping[str, object] | None = None) -> str:
    """The weights file's text: sorted, one weight per line, so that it diffs and reproduces."""
    body = {
        "threshold": round(model.threshold, 4),
        "meta": dict(meta or {}),
        "weights": {name: round(model.weights[name], 6) for name in sorted(model.weights)},
    }
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@functools.cache
def packaged() -> Model:
    """The model shipped with notedeck."""
    text = resources.files(__package__).joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return from_json(text)


def describe(shares: list[tuple[str, float]]) -> str:
    """`form=colon +1.2, def_url −0.8`: the weightiest features as `check` shows them."""
    return ", ".join(f"{name} {value:+.1f}" for name, value in shares)
