"""Learning to rank: fit the re-ranker's weights from labelled preference pairs.

A pair says "for this demand, document A should rank above document B" — the dispatcher
assigned A rather than B, or the enterprise accepted A's answer and not B's. The fit is a
pairwise logistic regression (RankNet with a linear scorer) on feature differences:

    minimise  Σ_i c_i · log(1 + exp(−w · (x_i⁺ − x_i⁻))) / Σ_i c_i  +  λ · ‖w − w₀‖²

where w₀ are the prior (hand-set) weights. Pulling toward the prior instead of toward zero
means a handful of pairs nudges the hand-set ranking instead of replacing it with noise, and
a feature the pairs never vary keeps its hand-set weight. Full-batch gradient descent from
w₀ with a fixed step: the same pairs always give the same weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gonghui.assist.engine.features import DEFAULT_WEIGHTS, Features, RankerWeights

L2 = 0.01
LEARNING_RATE = 0.5
EPOCHS = 2_000


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """`preferred` should rank above `other` for the same query; `weight` counts its strength."""

    preferred: Features
    other: Features
    weight: float = 1.0


def fit_weights(
    pairs: Sequence[LabelledPair],
    *,
    prior: RankerWeights = DEFAULT_WEIGHTS,
    l2: float = L2,
    learning_rate: float = LEARNING_RATE,
    epochs: int = EPOCHS,
) -> RankerWeights:
    """Weights fitted on the pairs (the prior unchanged when there are none).

    The version is "ltr-" plus a hash of the fitted weights, so stored results say which
    weights ranked them.
    """
    if not pairs:
        return prior
    diffs = np.stack([p.preferred.vector() - p.other.vector() for p in pairs])
    counts = np.array([p.weight for p in pairs], dtype=np.float64)
    counts = counts / counts.sum()
    w0 = prior.vector()
    w = w0.copy()
    for _ in range(epochs):
        margins = diffs @ w
        # d/dw log(1 + e^{-m}) = -sigmoid(-m) · diff; clip so exp never overflows.
        pull = 1.0 / (1.0 + np.exp(np.clip(margins, -50.0, 50.0)))
        gradient = -(counts * pull) @ diffs + 2.0 * l2 * (w - w0)
        w -= learning_rate * gradient
    return RankerWeights.from_vector(w, version=_version(w))


def pairwise_accuracy(weights: RankerWeights, pairs: Sequence[LabelledPair]) -> float:
    """Share of pairs the weights order correctly (ties count as wrong)."""
    if not pairs:
        return 0.0
    right = sum(weights.score(p.preferred) > weights.score(p.other) for p in pairs)
    return right / len(pairs)


def _version(w: np.ndarray) -> str:
    digest = hashlib.sha256(np.round(w, 6).tobytes()).hexdigest()[:10]
    return f"ltr-{digest}"
