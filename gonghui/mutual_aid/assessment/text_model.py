"""Text model: maps a Chinese diagnosis NAME to a critical-illness category with a probability.

TF-IDF over character 1–3-grams (`char_wb`) and a one-vs-rest logistic model fitted by SGD
(`SGDClassifier(loss="log_loss")`: the model of LogisticRegression, fitted in about a second
instead of several). Trained at first use from the shipped dataset
(`data/diagnosis_names_v1.csv`), deterministic (fixed seed, fixed epochs), cached in the
process; nothing is downloaded and no pickle is committed.

Two models, same settings: the EVALUATION model is fitted on the train split only (the report
measures it on the held-out test split, and REVIEW_THRESHOLD is tuned with it on the
validation split); the PRODUCTION model is refitted on every split, as is usual once the
settings are chosen, so it knows more base names.

Policy (applied by the assessor): the text model never gives `auto_accept`; a confident
prediction (p ≥ REVIEW_THRESHOLD) gives `needs_review`; below it, nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from gonghui.mutual_aid.assessment.dataset import (
    DATASET_PATH,
    NONE,
    DatasetRow,
    normalise_name,
    read_csv,
)


@dataclass(frozen=True, slots=True)
class Hyperparameters:
    """Model settings, chosen on the validation split (accuracy and the share of ordinary
    names sent to review). Part of MODEL_VERSION, so changing one changes the version
    stored with every assessment."""

    analyzer: Literal["char", "char_wb"] = "char_wb"
    ngram_min: int = 1
    ngram_max: int = 3
    sublinear_tf: bool = True
    min_df: int = 2  # an n-gram seen in one training name only is noise, and costs time
    alpha: float = 1e-5
    epochs: int = 5
    random_state: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain dict (for hashing and the report)."""
        return asdict(self)


HYPERPARAMETERS = Hyperparameters()
# Candidate review thresholds and the ceiling on ordinary (`none`) validation names that may
# be sent to review: a review costs staff time, never money, so the ceiling is a few percent.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))
MAX_NONE_REVIEW_RATE = 0.02
# p ≥ REVIEW_THRESHOLD → needs_review. The value `tune_threshold` finds on the validation
# split with the evaluation model; a test fails when the dataset changes and it drifts.
REVIEW_THRESHOLD = 0.40
# A name "clearly says" an ordinary disease (and so contradicts a code's category) only with
# p(none) ≥ this; stricter than the review threshold because it overrides a code.
CONTRADICTION_THRESHOLD = 0.80
NAME_CACHE_SIZE = 65_536


def model_version(dataset_path: str | Path = DATASET_PATH) -> str:
    """`dxname-<dataset sha256[:12]>-<hyper-parameters sha256[:8]>`: changes whenever the
    training data or the model settings do."""
    data = hashlib.sha256(Path(dataset_path).read_bytes()).hexdigest()[:12]
    params = json.dumps(
        {
            "hyperparameters": HYPERPARAMETERS.as_dict(),
            "review_threshold": REVIEW_THRESHOLD,
            "contradiction_threshold": CONTRADICTION_THRESHOLD,
            "trained_on": "all splits",
        },
        sort_keys=True,
    )
    return f"dxname-{data}-{hashlib.sha256(params.encode()).hexdigest()[:8]}"


MODEL_VERSION = model_version()


@dataclass(frozen=True, slots=True)
class TextPrediction:
    """The most likely label for a name (a category code or "none"), its probability, and
    whether it clears the review threshold."""

    label: str
    probability: float
    confident: bool

    @property
    def category(self) -> str | None:
        """The category when the prediction is confident and not "none"."""
        return self.label if self.confident and self.label != NONE else None

    @property
    def says_none(self) -> bool:
        """True when the name clearly says an ordinary (non-critical) disease."""
        return self.label == NONE and self.probability >= CONTRADICTION_THRESHOLD


class TextModel:
    """A fitted name classifier with its review threshold. Immutable after `fit`."""

    def __init__(
        self,
        *,
        vectorizer: TfidfVectorizer,
        classifier: SGDClassifier,
        threshold: float,
        version: str,
    ) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.threshold = threshold
        self.version = version
        self.labels: tuple[str, ...] = tuple(str(c) for c in classifier.classes_)
        # Dense copies for the per-name fast path (no sklearn input validation per call).
        self._vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
        self._idf: NDArray[np.float64] = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._coef: NDArray[np.float64] = np.asarray(classifier.coef_, dtype=np.float64).T.copy()
        self._intercept: NDArray[np.float64] = np.asarray(classifier.intercept_, dtype=np.float64)
        self._analyse: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self._cached = lru_cache(maxsize=NAME_CACHE_SIZE)(self._predict_one)

    @classmethod
    def fit(
        cls,
        rows: Sequence[DatasetRow],
        *,
        splits: Collection[str] = ("train",),
        threshold: float = REVIEW_THRESHOLD,
        version: str = "",
        hyperparameters: Hyperparameters = HYPERPARAMETERS,
    ) -> TextModel:
        """Fit on the rows of the given splits (by default the train split only)."""
        train = [r for r in rows if r.split in splits]
        if not train:
            raise ValueError("训练集为空")
        hp = hyperparameters
        vec = TfidfVectorizer(
            analyzer=hp.analyzer,
            ngram_range=(hp.ngram_min, hp.ngram_max),
            sublinear_tf=hp.sublinear_tf,
            min_df=hp.min_df,
        )
        features = vec.fit_transform([normalise_name(r.name) for r in train])
        clf = SGDClassifier(
            loss="log_loss",
            alpha=hp.alpha,
            max_iter=hp.epochs,
            tol=None,  # a fixed number of epochs: the same model on every machine
            random_state=hp.random_state,
        )
        clf.fit(features, [r.label for r in train])
        return cls(vectorizer=vec, classifier=clf, threshold=threshold, version=version)

    def probabilities(self, name: str) -> NDArray[np.float64]:
        """Probability per label (order of `labels`) — sklearn's one-vs-rest `predict_proba`,
        computed directly from the fitted weights."""
        counts: dict[int, int] = {}
        for gram in self._analyse(normalise_name(name)):
            index = self._vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        scores = self._intercept.copy()
        if counts:
            indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights = (1.0 + np.log(tf)) * self._idf[indices]  # sublinear tf × idf
            norm = math.sqrt(float(weights @ weights))
            scores += (weights / norm) @ self._coef[indices]
        probs = 1.0 / (1.0 + np.exp(-scores))
        total = float(probs.sum())
        return probs / total if total > 0 else np.full_like(probs, 1.0 / len(probs))

    def _predict_one(self, name: str) -> TextPrediction:
        probs = self.probabilities(name)
        best = int(probs.argmax())
        probability = float(probs[best])
        return TextPrediction(self.labels[best], probability, probability >= self.threshold)

    def predict(self, name: str) -> TextPrediction:
        """The prediction for one name (cached per process: names repeat across cases)."""
        return self._cached(normalise_name(name))

    def clear_cache(self) -> None:
        """Forget the cached per-name predictions (benchmarks measure the cold path)."""
        self._cached.cache_clear()

    def predict_many(self, names: Sequence[str]) -> list[TextPrediction]:
        """Predictions for several names, in order."""
        return [self.predict(name) for name in names]

    def raw_predictions(self, names: Sequence[str]) -> list[tuple[str, float]]:
        """(label, probability) before the threshold, uncached (for tuning and evaluation)."""
        out = []
        for name in names:
            probs = self.probabilities(name)
            best = int(probs.argmax())
            out.append((self.labels[best], float(probs[best])))
        return out


def apply_threshold(label: str, probability: float, threshold: float) -> str:
    """The label the assessor acts on: the category if confident, else "none"."""
    return label if probability >= threshold else NONE


def tune_threshold(model: TextModel, validation: Sequence[DatasetRow]) -> float:
    """The threshold with the best validation accuracy of `apply_threshold` among those that
    send at most MAX_NONE_REVIEW_RATE of `none` names to review; ties go to the higher
    (more cautious) threshold. Falls back to the most cautious grid value."""
    raw = model.raw_predictions([r.name for r in validation])
    truth = [r.label for r in validation]
    n_none = sum(1 for t in truth if t == NONE) or 1
    best: tuple[float, float] | None = None  # (accuracy, threshold)
    for threshold in THRESHOLD_GRID:
        final = [apply_threshold(lab, p, threshold) for lab, p in raw]
        accuracy = sum(f == t for f, t in zip(final, truth, strict=True)) / len(truth)
        sent = sum(1 for f, t in zip(final, truth, strict=True) if t == NONE and f != NONE)
        none_review = sent / n_none
        if none_review > MAX_NONE_REVIEW_RATE:
            continue
        if best is None or (accuracy, threshold) >= best:
            best = (accuracy, threshold)
    return best[1] if best is not None else THRESHOLD_GRID[-1]


_lock = threading.Lock()
_models: dict[str, TextModel] = {}


def _cached_model(key: str, splits: Collection[str]) -> TextModel:
    model = _models.get(key)
    if model is None:
        with _lock:  # train once per process even when several threads ask at start-up
            model = _models.get(key)
            if model is None:
                version = MODEL_VERSION if key == "production" else f"{MODEL_VERSION}-eval"
                model = TextModel.fit(read_csv(DATASET_PATH), splits=splits, version=version)
                _models[key] = model
    return model


def default_model() -> TextModel:
    """The production model: same settings and threshold as the evaluated one, refit on
    every split of the shipped dataset (more base names known). Trained once per process."""
    return _cached_model("production", ("train", "validation", "test"))


def evaluation_model() -> TextModel:
    """The model the report measures: train split only, so validation and test base names
    are unseen. Trained once per process."""
    return _cached_model("evaluation", ("train",))
