"""The assessor's rules: strongest decision, procedures, names that contradict codes, order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gonghui.mutual_aid.assessment.assessor import Assessor
from gonghui.mutual_aid.assessment.catalogue import Catalogue, load_catalogue, parse_catalogue
from gonghui.mutual_aid.assessment.types import Case, Diagnosis, Procedure


@dataclass(frozen=True)
class StubPrediction:
    """Same contract as text_model.TextPrediction, with fixed thresholds 0.5 / 0.8."""

    label: str
    probability: float

    @property
    def category(self) -> str | None:
        return self.label if self.label != "none" and self.probability >= 0.5 else None

    @property
    def says_none(self) -> bool:
        return self.label == "none" and self.probability >= 0.8


class StubModel:
    """A text model that answers from a dict (unknown names → an unconfident none)."""

    version = "stub-1"

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers

    def predict(self, name: str) -> StubPrediction:
        label, p = self.answers.get(name, ("none", 0.0))
        return StubPrediction(label, p)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def rules(catalogue: Catalogue) -> Assessor:
    return Assessor(catalogue)  # code rules only, no text model


def dx(*items: tuple[str | None, str | None]) -> tuple[Diagnosis, ...]:
    return tuple(Diagnosis(code, name) for code, name in items)


def px(*items: tuple[str | None, str | None]) -> tuple[Procedure, ...]:
    return tuple(Procedure(code, name) for code, name in items)


@pytest.mark.parametrize(
    ("code", "category", "prefix"),
    [
        ("36.1x", "cabg", "361"),
        ("36.10", "cabg", "361"),
        ("36.1500x001", "cabg", "361"),
        ("35.12", "heart_valve_surgery", "351"),
        ("35.2100x001", "heart_valve_surgery", "352"),
        ("35.24", "heart_valve_surgery", "352"),
        ("33.52", "organ_transplant", "335"),  # lung
        ("33.6", "organ_transplant", "336"),  # heart-lung (project addition)
        ("37.51", "organ_transplant", "3751"),  # heart
        ("50.59", "organ_transplant", "505"),  # liver
        ("55.69", "organ_transplant", "556"),  # kidney
        ("46.97", "organ_transplant", "4697"),  # small intestine
        ("41.05", "organ_transplant", "410"),  # haematopoietic stem cells
        ("38.45", "aorta_surgery", "3845"),
        ("38.4400x002", "aorta_surgery", "3844"),
        ("68.49", "hysterectomy", "684"),
        ("68.5100", "hysterectomy", "685"),
    ],
)
def test_procedure_codes_auto_accept(rules: Assessor, code: str, category: str, prefix: str) -> None:
    result = rules(Case(id="p", procedures=px((code, None))))
    match = result.category(category)
    assert match is not None and match.decision == "auto_accept"
    assert match.matched_by == f"proc_rule:{prefix}" and match.probability is None
    assert result.decision == "auto_accept"


@pytest.mark.parametrize("code", ["36.06", "36.07", "35.05", "39.71", "55.61", "68.39", "45.23"])
def test_look_alike_procedures_prove_nothing(rules: Assessor, code: str) -> None:
    # PCI stent, TAVI, EVAR, kidney autotransplant, subtotal hysterectomy, colonoscopy.
    assert rules(Case(id="p", procedures=px((code, None)))).categories == ()


def test_strongest_decision_wins_whatever_the_order(rules: Assessor) -> None:
    clean = ("36.10", "冠状动脉旁路移植术")
    contradicted = ("36.11", "经皮冠状动脉支架植入术")  # name says PCI → needs_review
    for order in ((clean, contradicted), (contradicted, clean)):
        match = rules(Case(id="s", procedures=px(*order))).category("cabg")
        assert match is not None and match.decision == "auto_accept" and match.note == ""


def test_diagnosis_rule_and_procedure_rule_on_one_category(rules: Assessor) -> None:
    result = rules(Case(id="t", diagnoses=dx(("Z94.000", None)), procedures=px(("55.69", None))))
    match = result.category("organ_transplant")
    assert match is not None
    assert (match.decision, match.matched_by) == ("auto_accept", "proc_rule:556")


def test_procedure_name_contradicting_the_code_downgrades(rules: Assessor) -> None:
    result = rules(Case(id="v", procedures=px(("35.21", "经导管主动脉瓣置换术"))))
    match = result.category("heart_valve_surgery")
    assert match is not None and match.decision == "needs_review"
    assert "经导管主动脉瓣置换术" in match.note and "不符" in match.note
    assert result.category("aorta_surgery") is None  # 主动脉瓣 is a valve, not the aorta


def test_procedure_name_alone_gives_review_never_auto_accept(rules: Assessor) -> None:
    result = rules(Case(id="n", procedures=px((None, "冠状动脉旁路移植术"), (None, "肝移植术"))))
    assert {m.code: m.decision for m in result.categories} == {
        "cabg": "needs_review",
        "organ_transplant": "needs_review",
    }
    assert result.category("cabg").matched_by.startswith("proc_name:")  # type: ignore[union-attr]


def test_diagnosis_rules_give_review_with_rule_id(rules: Assessor) -> None:
    result = rules(Case(id="d", diagnoses=dx(("I21.900x011", "急性前壁心肌梗死"))))
    match = result.category("acute_mi")
    assert match is not None
    assert (match.decision, match.matched_by, match.probability) == (
        "needs_review",
        "dx_rule:I21",
        None,
    )
    assert match.evidence.startswith("肌钙蛋白")
    assert result.decision == "needs_review"


def test_categories_most_severe_first_and_top_decision(rules: Assessor) -> None:
    result = rules(
        Case(
            id="o",
            diagnoses=dx(("C73.x00", None), ("C44.300", None), ("C50.901", None)),
            procedures=px(("68.49", None)),
        )
    )
    assert [m.severity for m in result.categories] == ["severe", "mild", "other", "other", "other"]
    assert result.categories[0].code == "malignant_tumor"
    # The most severe category decides, even though hysterectomy (other) is auto_accept.
    assert result.decision == "needs_review"
    assert rules(Case(id="e")).decision == "none"


def test_known_sex_drops_categories_of_the_other_sex(rules: Assessor) -> None:
    case = Case(id="m", diagnoses=dx(("C50.901", "乳腺癌")), procedures=px(("68.49", None)), sex="M")
    assert [m.code for m in rules(case).categories] == ["malignant_tumor"]
    women = Case(id="f", diagnoses=dx(("C50.901", None)), sex="F")
    assert {m.code for m in rules(women).categories} == {"malignant_tumor", "female_cancer"}


def test_text_model_never_auto_accepts(catalogue: Catalogue) -> None:
    model = StubModel({"冠状动脉旁路移植术后": ("cabg", 1.0), "乳腺癌": ("female_cancer", 0.99)})
    assessor = Assessor(catalogue, model)
    result = assessor(Case(id="x", diagnoses=dx((None, "冠状动脉旁路移植术后"), (None, "乳腺癌"))))
    assert result.categories and all(m.decision == "needs_review" for m in result.categories)
    # The label expands to the categories its codes would give (female_cancer ⊂ malignant_tumor).
    assert {m.code for m in result.categories} == {"cabg", "female_cancer", "malignant_tumor"}
    female = result.category("female_cancer")
    assert female is not None and female.probability == 0.99
    assert female.matched_by == "text_model:stub-1" and "无诊断编码" in female.note
    assert result.model_version == "stub-1" and result.catalogue_version == catalogue.version


def test_name_adds_a_category_the_code_does_not_give(catalogue: Catalogue) -> None:
    assessor = Assessor(catalogue, StubModel({"急性心肌梗死": ("acute_mi", 0.95)}))
    result = assessor(Case(id="x", diagnoses=dx(("J18.900", "急性心肌梗死"))))
    match = result.category("acute_mi")
    assert match is not None and match.decision == "needs_review"
    assert "编码 J18.900 未提示此类别" in match.note


def test_agreeing_name_keeps_the_rule_match(catalogue: Catalogue) -> None:
    assessor = Assessor(catalogue, StubModel({"乳腺癌": ("female_cancer", 0.99)}))
    result = assessor(Case(id="x", diagnoses=dx(("C50.901", "乳腺癌"))))
    assert {m.code: m.matched_by for m in result.categories} == {
        "malignant_tumor": "dx_rule:C",
        "female_cancer": "dx_rule:C50",
    }


def test_unconfident_name_adds_nothing_and_contradicts_nothing(catalogue: Catalogue) -> None:
    model = StubModel({"胸痛": ("acute_mi", 0.3), "不适": ("none", 0.6)})
    assessor = Assessor(catalogue, model)
    assert assessor(Case(id="x", diagnoses=dx((None, "胸痛")))).categories == ()
    match = assessor(Case(id="y", diagnoses=dx(("I21.9", "不适")))).category("acute_mi")
    assert match is not None and match.note == ""  # p(none) below the contradiction bar


AUTO_DX_CATALOGUE = (
    "code,name_zh,severity,sex,dx_prefixes,dx_excludes,dx_decision,proc_prefixes,proc_decision,"
    "evidence\nacute_mi,急性心肌梗死,severe,,I21,,auto_accept,,,心电图\n"
)


def test_name_saying_ordinary_disease_downgrades_a_code_auto_accept() -> None:
    # The project catalogue has no auto-accepting diagnosis code; this one does.
    catalogue = parse_catalogue(AUTO_DX_CATALOGUE)
    assessor = Assessor(catalogue, StubModel({"肺炎": ("none", 0.97)}))
    plain = assessor(Case(id="a", diagnoses=dx(("I21.9", None))))
    assert plain.category("acute_mi").decision == "auto_accept"  # type: ignore[union-attr]
    contradicted = assessor(Case(id="b", diagnoses=dx(("I21.9", "肺炎"))))
    match = contradicted.category("acute_mi")
    assert match is not None and match.decision == "needs_review"
    assert "肺炎" in match.note and "与编码 I21.9 不符" in match.note
    # Another, uncontradicted code for the same category restores the strongest decision.
    both = assessor(Case(id="c", diagnoses=dx(("I21.9", "肺炎"), ("I21.0", None))))
    assert both.category("acute_mi").decision == "auto_accept"  # type: ignore[union-attr]
