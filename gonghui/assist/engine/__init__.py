"""The pure matching engine of 劳模工匠助企行 (no ORM): craftsmen and outcomes for a demand.

A context builder turns database rows into the frozen documents; `MatchIndex.build` indexes
them once; `index.match(MatchQuery(...))` ranks them with scores and Chinese reasons. The
re-ranker's weights are a versioned input (`RankerWeights`), hand-set until `fit_weights`
has labelled pairs to learn from.
"""

from gonghui.assist.engine.contract import parse_craftsmen_csv, parse_outcomes_csv, split_list
from gonghui.assist.engine.documents import (
    KINDS,
    MAX_LIMIT,
    CraftsmanDoc,
    Kind,
    MatchError,
    MatchQuery,
    MatchResult,
    OutcomeDoc,
)
from gonghui.assist.engine.features import DEFAULT_WEIGHTS, FEATURE_NAMES, Features, RankerWeights
from gonghui.assist.engine.index import Candidate, MatchIndex, baseline_match
from gonghui.assist.engine.ltr import LabelledPair, fit_weights, pairwise_accuracy

__all__ = [
    "DEFAULT_WEIGHTS",
    "FEATURE_NAMES",
    "KINDS",
    "MAX_LIMIT",
    "Candidate",
    "CraftsmanDoc",
    "Features",
    "Kind",
    "LabelledPair",
    "MatchError",
    "MatchIndex",
    "MatchQuery",
    "MatchResult",
    "OutcomeDoc",
    "RankerWeights",
    "baseline_match",
    "fit_weights",
    "pairwise_accuracy",
    "parse_craftsmen_csv",
    "parse_outcomes_csv",
    "split_list",
]
