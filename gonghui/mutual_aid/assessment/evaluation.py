"""Held-out evaluation of the text model and the generated page `docs/mutual_aid_assessment.md`.

The evaluation model is fitted on the train split only; the threshold is checked on the
validation split; every figure below is computed on the test split, whose base names the
model never saw in any variant. Decisions are measured through the real assessor on
name-only cases, so the "none → auto_accept" count is the production code path's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template

from sklearn.metrics import precision_recall_fscore_support

from gonghui.mutual_aid.assessment.assessor import Assessor
from gonghui.mutual_aid.assessment.catalogue import Catalogue, load_catalogue
from gonghui.mutual_aid.assessment.dataset import DATASET_PATH, NONE, DatasetRow, read_csv
from gonghui.mutual_aid.assessment.text_model import (
    CONTRADICTION_THRESHOLD,
    HYPERPARAMETERS,
    MAX_NONE_REVIEW_RATE,
    MODEL_VERSION,
    TextModel,
    apply_threshold,
    evaluation_model,
    tune_threshold,
)
from gonghui.mutual_aid.assessment.types import Case, Diagnosis

REPORT_PATH = Path(__file__).resolve().parents[3] / "docs" / "mutual_aid_assessment.md"
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True, slots=True)
class CategoryScore:
    """Precision, recall, F1 and support of one label on the test split."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True, slots=True)
class Confusion:
    """One true label: how many test names, how many right, and where the others went."""

    label: str
    support: int
    correct: int
    errors: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class EvaluationReport:
    """Everything the docs page shows; deterministic for a given dataset and code."""

    model_version: str
    rows: dict[str, int]
    bases: dict[str, int]
    labels_by_split: dict[str, dict[str, int]]
    kinds_by_split: dict[str, dict[str, int]]
    threshold: float
    tuned_threshold: float
    validation_accuracy: float
    argmax_accuracy: float
    accuracy: float
    macro_f1: float
    scores: tuple[CategoryScore, ...]
    confusion: tuple[Confusion, ...]
    decisions_none: dict[str, int]
    decisions_positive: dict[str, int]
    none_review_by_kind: dict[str, tuple[int, int]]
    critical_precision: float
    critical_recall: float
    errors: tuple[tuple[str, str, str, float], ...] = field(default=())

    @property
    def wrong_auto_accept(self) -> int:
        """Held-out `none` names that came out auto_accept (must be 0)."""
        return self.decisions_none.get("auto_accept", 0)


def _decision_counts(assessor: Assessor, rows: Sequence[DatasetRow]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for i, row in enumerate(rows):
        result = assessor(Case(id=str(i), diagnoses=(Diagnosis(name=row.name),)))
        counts[result.decision] += 1
    return {k: counts.get(k, 0) for k in ("auto_accept", "needs_review", "none")}


def evaluate(
    rows: Sequence[DatasetRow] | None = None,
    *,
    model: TextModel | None = None,
    catalogue: Catalogue | None = None,
) -> EvaluationReport:
    """Measure the evaluation model (train split only) on the held-out test split."""
    rows = list(rows) if rows is not None else read_csv(DATASET_PATH)
    model = model or evaluation_model()
    catalogue = catalogue or load_catalogue()
    by_split = {s: [r for r in rows if r.split == s] for s in SPLITS}
    validation, test = by_split["validation"], by_split["test"]

    tuned = tune_threshold(model, validation)
    val_raw = model.raw_predictions([r.name for r in validation])
    val_final = [apply_threshold(lab, p, model.threshold) for lab, p in val_raw]
    validation_accuracy = _accuracy(val_final, [r.label for r in validation])

    raw = model.raw_predictions([r.name for r in test])
    truth = [r.label for r in test]
    final = [apply_threshold(lab, p, model.threshold) for lab, p in raw]
    argmax_accuracy = _accuracy([lab for lab, _ in raw], truth)
    labels = sorted(set(truth) | set(final), key=lambda x: (x != NONE, x))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, final, labels=labels, zero_division=0
    )
    predicted = Counter(final)
    scores = tuple(
        CategoryScore(
            label,
            float(precision[i]),
            float(recall[i]),
            float(f1[i]),
            int(support[i]),
            predicted.get(label, 0),
        )
        for i, label in enumerate(labels)
    )
    pairs = Counter(zip(truth, final, strict=True))
    confusion = tuple(
        Confusion(
            label,
            sum(n for (t, _), n in pairs.items() if t == label),
            pairs.get((label, label), 0),
            tuple(
                sorted(
                    ((p, n) for (t, p), n in pairs.items() if t == label and p != label),
                    key=lambda item: (-item[1], item[0]),
                )
            ),
        )
        for label in labels
        if any(t == label for t in truth)
    )
    # "Critical or not" as a binary question: any category counts as flagged.
    critical_true = [t != NONE for t in truth]
    critical_pred = [p != NONE for p in final]
    both = sum(t and p for t, p in zip(critical_true, critical_pred, strict=True))

    assessor = Assessor(catalogue, model)
    none_rows = [r for r in test if r.label == NONE]
    positive_rows = [r for r in test if r.label != NONE]
    by_kind: dict[str, tuple[int, int]] = {}
    for kind in ("derived_negative", "hard_negative", "ordinary"):
        subset = [r for r in none_rows if r.kind == kind]
        counts = _decision_counts(assessor, subset)
        by_kind[kind] = (len(subset), counts["needs_review"] + counts["auto_accept"])
    errors = tuple(
        sorted(
            (
                (r.name, r.label, lab if p >= model.threshold else NONE, p)
                for r, (lab, p) in zip(test, raw, strict=True)
                if apply_threshold(lab, p, model.threshold) != r.label
            ),
            key=lambda e: (e[1] == NONE, e[1], e[0]),
        )
    )
    return EvaluationReport(
        model_version=model.version or MODEL_VERSION,
        rows={s: len(v) for s, v in by_split.items()},
        bases={s: len({r.base for r in v}) for s, v in by_split.items()},
        labels_by_split={s: dict(Counter(r.label for r in v)) for s, v in by_split.items()},
        kinds_by_split={s: dict(Counter(r.kind for r in v)) for s, v in by_split.items()},
        threshold=model.threshold,
        tuned_threshold=tuned,
        validation_accuracy=validation_accuracy,
        argmax_accuracy=argmax_accuracy,
        accuracy=_accuracy(final, truth),
        macro_f1=sum(s.f1 for s in scores) / len(scores),
        scores=scores,
        confusion=confusion,
        decisions_none=_decision_counts(assessor, none_rows),
        decisions_positive=_decision_counts(assessor, positive_rows),
        none_review_by_kind=by_kind,
        critical_precision=both / (sum(critical_pred) or 1),
        critical_recall=both / (sum(critical_true) or 1),
        errors=errors,
    )


def _accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    return sum(p == t for p, t in zip(predicted, truth, strict=True)) / (len(truth) or 1)


# --- the docs page ---------------------------------------------------------------------------

TEMPLATE_PATH = Path(__file__).resolve().parent / "report_template.md"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _share(part: int, whole: int) -> str:
    return f"{part} / {whole}（{_pct(part / whole) if whole else '—'}）"


def _table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: EvaluationReport, catalogue: Catalogue | None = None) -> str:
    """The docs page: the prose of `report_template.md` filled with the measured figures."""
    catalogue = catalogue or load_catalogue()

    def zh(label: str) -> str:
        return "普通疾病（none）" if label == NONE else catalogue.get(label).name_zh

    split_rows = []
    for split in SPLITS:
        kinds, n_none = report.kinds_by_split[split], report.labels_by_split[split].get(NONE, 0)
        split_rows.append(
            (
                split,
                report.rows[split],
                report.bases[split],
                report.rows[split] - n_none,
                n_none,
                kinds.get("derived_negative", 0),
                kinds.get("hard_negative", 0),
                kinds.get("ordinary", 0),
            )
        )
    kind_titles = {
        "derived_negative": "既往/复查/筛查/疑似",
        "hard_negative": "难负例",
        "ordinary": "普通疾病",
    }
    by_kind = "\n".join(
        f"  - 其中{title}：送审 {_share(flagged, n)}"
        for kind, title in kind_titles.items()
        for n, flagged in [report.none_review_by_kind[kind]]
    )
    n_none = sum(report.decisions_none.values())
    n_pos = sum(report.decisions_positive.values())
    values = {
        "model_version": report.model_version,
        "production_version": MODEL_VERSION,
        "alpha": HYPERPARAMETERS.alpha,
        "epochs": HYPERPARAMETERS.epochs,
        "random_state": HYPERPARAMETERS.random_state,
        "threshold": f"{report.threshold:.2f}",
        "contradiction": f"{CONTRADICTION_THRESHOLD:.2f}",
        "max_none_rate": _pct(MAX_NONE_REVIEW_RATE),
        "tuned_threshold": f"{report.tuned_threshold:.2f}",
        "validation_accuracy": _pct(report.validation_accuracy),
        "accuracy": _pct(report.accuracy),
        "argmax_accuracy": _pct(report.argmax_accuracy),
        "macro_f1": f"{report.macro_f1:.3f}",
        "critical_precision": _pct(report.critical_precision),
        "critical_recall": _pct(report.critical_recall),
        "none_auto": _share(report.decisions_none["auto_accept"], n_none),
        "none_review": _share(report.decisions_none["needs_review"], n_none),
        "none_none": _share(report.decisions_none["none"], n_none),
        "none_by_kind": by_kind,
        "pos_review": _share(report.decisions_positive["needs_review"], n_pos),
        "pos_auto": _share(report.decisions_positive["auto_accept"], n_pos),
        "pos_none": _share(report.decisions_positive["none"], n_pos),
        "split_table": _table(
            ("划分", "行数", "基础名称", "重疾行", "none 行", "既往/疑似", "难负例", "普通疾病"),
            ("---", *["---:"] * 7),
            split_rows,
        ),
        "score_table": _table(
            ("类别", "中文名", "精确率", "召回率", "F1", "测试样本数", "预测数"),
            ("---", "---", *["---:"] * 5),
            [
                (
                    f"`{s.label}`",
                    zh(s.label),
                    f"{s.precision:.3f}",
                    f"{s.recall:.3f}",
                    f"{s.f1:.3f}",
                    s.support,
                    s.predicted,
                )
                for s in report.scores
            ],
        ),
        "confusion_table": _table(
            ("真实类别", "样本数", "判对", "判错为（数量）"),
            ("---", "---:", "---:", "---"),
            [
                (
                    f"`{c.label}`",
                    c.support,
                    c.correct,
                    "，".join(f"`{p}` {n}" for p, n in c.errors) or "—",
                )
                for c in report.confusion
            ],
        ),
        "error_table": _table(
            ("名称", "真实", "判为", "概率"),
            ("---", "---", "---", "---:"),
            [(name, f"`{t}`", f"`{p}`", f"{prob:.2f}") for name, t, p, prob in report.errors],
        ),
    }
    return Template(TEMPLATE_PATH.read_text(encoding="utf-8")).substitute(values)


@lru_cache(maxsize=1)
def default_report() -> EvaluationReport:
    """`evaluate()` on the shipped dataset and catalogue, once per process (deterministic)."""
    return evaluate()


def write_report(path: str | Path = REPORT_PATH) -> EvaluationReport:
    """Evaluate and write the docs page; returns the report."""
    catalogue = load_catalogue()
    report = default_report()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_markdown(report, catalogue), encoding="utf-8")
    return report
