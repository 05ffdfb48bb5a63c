"""Learning to rank: fitted weights follow the labelled pairs and stay deterministic."""

import random

from gonghui.assist.engine import (
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    Features,
    LabelledPair,
    fit_weights,
    pairwise_accuracy,
)


def _random_features(rng: random.Random, region: float) -> Features:
    return Features(
        text=rng.random(),
        coverage=rng.random(),
        industry=float(rng.random() < 0.5),
        region=region,
        honours=rng.random(),
        track_record=rng.random(),
        capacity=1.0,
    )


def _pairs(seed: int, n: int) -> list[LabelledPair]:
    """Dispatchers who always pick the nearby craftsman, whatever the text says."""
    rng = random.Random(seed)
    return [
        LabelledPair(
            preferred=_random_features(rng, 1.0), other=_random_features(rng, rng.choice((0.0, 0.3)))
        )
        for _ in range(n)
    ]


def test_learns_the_predictive_feature():
    train, held_out = _pairs(1, 200), _pairs(2, 200)
    fitted = fit_weights(train)
    assert fitted.region > 5 * DEFAULT_WEIGHTS.region
    assert fitted.region == max(getattr(fitted, name) for name in FEATURE_NAMES)
    assert pairwise_accuracy(fitted, held_out) > 0.95
    assert pairwise_accuracy(fitted, held_out) > pairwise_accuracy(DEFAULT_WEIGHTS, held_out)
    assert fitted.version.startswith("ltr-")


def test_no_pairs_keeps_the_prior_and_fitting_is_deterministic():
    assert fit_weights([]) is DEFAULT_WEIGHTS
    pairs = _pairs(3, 50)
    assert fit_weights(pairs) == fit_weights(pairs)


def test_a_feature_the_pairs_never_vary_keeps_its_hand_set_weight():
    fitted = fit_weights(_pairs(4, 100))
    assert abs(fitted.capacity - DEFAULT_WEIGHTS.capacity) < 1e-9
