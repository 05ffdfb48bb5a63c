"""Catalogue as data: code normalisation, prefix and exclusion rules, validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gonghui.mutual_aid.assessment.catalogue import (
    CATALOGUE_PATH,
    Catalogue,
    CatalogueError,
    load_catalogue,
    normalise_code,
    parse_catalogue,
)

SHARED_CATALOGUE = Path(__file__).resolve().parents[4] / "shared" / "data" / "critical_illness.csv"

# The category codes and decisions are part of the contract (spec/mutual_aid.md).
CONTRACT_CODES = {
    "malignant_tumor", "acute_mi", "stroke_sequelae", "organ_transplant", "cabg",
    "ckd_end_stage", "multiple_limb_loss", "fulminant_hepatitis", "benign_brain_tumor",
    "chronic_liver_failure", "encephalitis_sequelae", "deep_coma", "deafness", "blindness",
    "paralysis", "heart_valve_surgery", "alzheimer", "brain_injury", "parkinson",
    "severe_burns", "pulmonary_hypertension", "motor_neuron_disease", "aphasia",
    "aplastic_anemia", "aorta_surgery", "chronic_respiratory_failure", "crohn",
    "ulcerative_colitis", "mild_malignant_tumor", "in_situ", "thyroid_cancer",
    "female_cancer", "hysterectomy",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I21.900x011", "I21900"),
        ("i21.900X011", "I21900"),
        ("  I21.9  ", "I219"),
        ("I21", "I21"),
        ("C34.900x001", "C34900"),
        ("C50.901", "C50901"),
        ("Ｃ５０．９０１", "C50901"),  # full-width characters from some exports
        ("G01*", "G01"),  # asterisk / dagger marks of dual classification
        ("A39.0+", "A390"),
        ("X59.900x001", "X59900"),  # chapter X is a real letter, not the extension
        ("X59.9", "X599"),
        ("36.1x", "361"),  # ICD-9-CM-3 "36.1x" = any 36.1 code
        ("36.10", "3610"),
        ("36.1000x003", "361000"),
        ("55.6900", "556900"),
        ("", ""),
        (None, ""),
        ("   ", ""),
    ],
)
def test_normalise_code(raw: str | None, expected: str) -> None:
    assert normalise_code(raw) == expected


def test_project_catalogue_has_every_contract_category(catalogue: Catalogue) -> None:
    assert set(catalogue.codes) >= CONTRACT_CODES
    assert catalogue.version.startswith("catalogue-")
    # The contract's decisions: procedures of these categories prove them on the code alone.
    for code in (
        "cabg",
        "heart_valve_surgery",
        "aorta_surgery",
        "organ_transplant",
        "hysterectomy",
    ):
        assert catalogue.get(code).proc_decision == "auto_accept"
    for category in catalogue:
        assert category.dx_decision in (None, "needs_review")  # no diagnosis code auto-accepts


@pytest.mark.skipif(not SHARED_CATALOGUE.exists(), reason="shared reference data not present")
def test_shared_starting_catalogue_still_loads() -> None:
    shared = load_catalogue(SHARED_CATALOGUE)
    assert set(shared.codes) == CONTRACT_CODES


# One row per category: a code that must match it and a near miss that must not.
CATEGORY_TABLE = [
    ("malignant_tumor", "dx", "C34.900x001", "C44.300"),
    ("acute_mi", "dx", "I21.900x011", "I25.200"),
    ("stroke_sequelae", "dx", "I63.900", "I67.800x002"),
    ("organ_transplant", "dx", "Z94.000", "Z94.700"),
    ("cabg", "proc", "36.1x", "36.0601"),
    ("ckd_end_stage", "dx", "N18.500", "N18.400"),
    ("multiple_limb_loss", "dx", "S78.000", "S68.000"),
    ("fulminant_hepatitis", "dx", "K72.000", "K72.900"),
    ("benign_brain_tumor", "dx", "D32.000", "D32.100"),
    ("chronic_liver_failure", "dx", "K74.600", "K74.000"),
    ("encephalitis_sequelae", "dx", "G04.900", "G06.000"),
    ("deep_coma", "dx", "R40.200", "R40.100"),
    ("deafness", "dx", "H90.300", "H90.400"),
    ("blindness", "dx", "H54.000", "H54.400"),
    ("paralysis", "dx", "G81.900", "G80.900"),
    ("heart_valve_surgery", "proc", "35.2100", "35.0500"),
    ("alzheimer", "dx", "G30.900", "F01.900"),
    ("brain_injury", "dx", "S06.500", "S02.000"),
    ("parkinson", "dx", "G20.x00", "G21.100"),
    ("severe_burns", "dx", "T31.300", "T31.100"),
    ("pulmonary_hypertension", "dx", "I27.000", "I27.200"),
    ("motor_neuron_disease", "dx", "G12.200", "G12.000"),
    ("aphasia", "dx", "R47.000", "R47.100"),
    ("aplastic_anemia", "dx", "D61.900", "D60.900"),
    ("aorta_surgery", "proc", "38.4500", "39.7100"),
    ("chronic_respiratory_failure", "dx", "J96.100", "J96.000"),
    ("crohn", "dx", "K50.900", "K52.900"),
    ("ulcerative_colitis", "dx", "K51.900", "K55.000"),
    ("mild_malignant_tumor", "dx", "C44.300", "C43.300"),
    ("in_situ", "dx", "D05.100", "D24.x00"),
    ("thyroid_cancer", "dx", "C73.x00", "E04.100"),
    ("female_cancer", "dx", "C50.901", "C61.x00"),
    ("hysterectomy", "proc", "68.4900", "68.3900"),
]


def test_category_table_covers_the_whole_catalogue(catalogue: Catalogue) -> None:
    assert {row[0] for row in CATEGORY_TABLE} == set(catalogue.codes)


@pytest.mark.parametrize(("category", "kind", "code", "near_miss"), CATEGORY_TABLE)
def test_prefix_rule_and_near_miss(
    catalogue: Catalogue, category: str, kind: str, code: str, near_miss: str
) -> None:
    match = catalogue.match_diagnosis if kind == "dx" else catalogue.match_procedure
    hits = {hit.category.code: hit for hit in match(code)}
    assert category in hits, f"{code} 应命中 {category}"
    assert hits[category].rule_id.startswith(f"{kind}_rule:")
    assert category not in {hit.category.code for hit in match(near_miss)}, near_miss


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("C44.300", {"mild_malignant_tumor"}),  # excluded from malignant_tumor
        ("C73.x00", {"thyroid_cancer"}),  # excluded from malignant_tumor
        ("C73.x00x001", {"thyroid_cancer"}),
        ("C50.901", {"malignant_tumor", "female_cancer"}),
        ("C43.300", {"malignant_tumor"}),  # melanoma of the skin is not C44
        ("Z94.700", set()),  # corneal transplant status (project exclusion)
        ("Z94.000", {"organ_transplant"}),
        ("D32.100", set()),  # spinal meninges (project exclusion)
        ("K70.300", {"chronic_liver_failure"}),  # alcoholic cirrhosis (project addition)
        ("A87.900", {"encephalitis_sequelae"}),  # viral meningitis (project addition)
        ("J18.900", set()),
    ],
)
def test_exclusions_are_checked_first(catalogue: Catalogue, code: str, expected: set[str]) -> None:
    assert {hit.category.code for hit in catalogue.match_diagnosis(code)} == expected


def test_rule_id_is_the_longest_matching_prefix(catalogue: Catalogue) -> None:
    hits = {hit.category.code: hit.rule_id for hit in catalogue.match_diagnosis("C50.901")}
    assert hits == {"malignant_tumor": "dx_rule:C", "female_cancer": "dx_rule:C50"}
    hits = {hit.category.code: hit.rule_id for hit in catalogue.match_procedure("36.1x")}
    assert hits == {"cabg": "proc_rule:361"}


def test_kidney_autotransplant_is_not_an_organ_transplant(catalogue: Catalogue) -> None:
    assert catalogue.match_procedure("55.61") == ()
    assert [h.category.code for h in catalogue.match_procedure("55.69")] == ["organ_transplant"]


def test_implied_categories_come_from_the_prefixes(catalogue: Catalogue) -> None:
    assert catalogue.implied("female_cancer") == ("female_cancer", "malignant_tumor")
    assert catalogue.implied("malignant_tumor") == ("malignant_tumor",)
    assert catalogue.implied("thyroid_cancer") == ("thyroid_cancer",)
    assert catalogue.implied("cabg") == ("cabg",)


@pytest.mark.parametrize(
    ("category", "name", "contradicts"),
    [
        ("heart_valve_surgery", "二尖瓣置换术", False),
        ("heart_valve_surgery", "经导管主动脉瓣置换术（TAVI）", True),
        ("cabg", "冠状动脉旁路移植术", False),
        ("cabg", "经皮冠状动脉支架植入术", True),
        ("aorta_surgery", "全主动脉弓置换+支架象鼻术", False),
        ("aorta_surgery", "腹主动脉瘤腔内隔绝术", True),
        ("organ_transplant", "同种异体肾移植术", False),
        ("organ_transplant", "自体肾移植术", True),
        ("hysterectomy", "腹腔镜下全子宫切除术", False),
        ("hysterectomy", "子宫次全切除术", True),
        ("malignant_tumor", "任何名称", False),  # no keywords: the name cannot contradict
    ],
)
def test_procedure_name_keywords(catalogue: Catalogue, category: str, name: str, contradicts: bool) -> None:
    assert catalogue.get(category).proc_name_contradicts(name) is contradicts


HEADER = "code,name_zh,severity,sex,dx_prefixes,dx_excludes,dx_decision,proc_prefixes,proc_decision,evidence"
GOOD = "acute_mi,较重急性心肌梗死,severe,,I21|I22,,needs_review,,,心电图"


@pytest.mark.parametrize(
    ("rows", "row", "column"),
    [
        ([GOOD, "acute_mi,重复,severe,,I21,,needs_review,,,x"], 3, "code"),
        ([",无代码,severe,,I21,,needs_review,,,x"], 2, "code"),
        (["Bad-Code,大写,severe,,I21,,needs_review,,,x"], 2, "code"),
        (["x,未知严重程度,fatal,,I21,,needs_review,,,x"], 2, "severity"),
        (["x,未知决定,severe,,I21,,maybe,,,x"], 2, "dx_decision"),
        (["x,缺决定,severe,,I21,,,,,x"], 2, "dx_decision"),
        (["x,手术未知决定,severe,,,,,361,always,x"], 2, "proc_decision"),
        (["x,未知性别,severe,X,I21,,needs_review,,,x"], 2, "sex"),
        (["x,无前缀,severe,,,,,,,x"], 2, "dx_prefixes"),
        (["x,坏前缀,severe,,I21|..,,needs_review,,,x"], 2, "dx_prefixes"),
        ([GOOD, ",第三行,severe,,I21,,needs_review,,,x"], 3, "code"),
    ],
)
def test_invalid_catalogue_names_row_and_column(rows: list[str], row: int, column: str) -> None:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue("\n".join([HEADER, *rows]) + "\n")
    assert (info.value.row, info.value.column) == (row, column)
    assert f"第 {row} 行" in str(info.value) and column in str(info.value)


def test_missing_and_unknown_columns_are_rejected() -> None:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(HEADER.replace(",evidence", "") + "\n")
    assert info.value.column == "evidence"
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(HEADER + ",colour\n" + GOOD + ",red\n")
    assert info.value.column == "colour"


def test_minimal_catalogue_parses_and_versions() -> None:
    catalogue = parse_catalogue(HEADER + "\n" + GOOD + "\n")
    assert catalogue.codes == ("acute_mi",)
    assert catalogue.get("acute_mi").dx_prefixes == ("I21", "I22")
    assert catalogue.version != parse_catalogue(HEADER + "\n" + GOOD + "x\n").version
    assert CATALOGUE_PATH.name == "critical_illness.csv"
